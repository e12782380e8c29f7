package httpx_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/httpx"
)

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		body string
		want error
	}{
		{`{"a":1}`, nil},
		{``, httpx.ErrEmptyBody},
		{`   `, httpx.ErrEmptyBody},
		{`{"a":`, httpx.ErrMalformed},
		{`{"a":1} {"b":2}`, httpx.ErrMalformed},
		{`[1]`, httpx.ErrMalformed},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
		var v map[string]any
		if err := httpx.DecodeJSON(r, &v); !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Errorf("DecodeJSON(%q) = %v, want %v", tc.body, err, tc.want)
		}
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", 100)))
	r.Body = http.MaxBytesReader(w, r.Body, 10)
	var v any
	if err := httpx.DecodeJSON(r, &v); !errors.Is(err, httpx.ErrBodyTooLarge) {
		t.Errorf("over the limit: %v, want ErrBodyTooLarge", err)
	}
}

func TestAdapter(t *testing.T) {
	a := httpx.Adapter{Errors: func(_ *http.Request, err error) httpx.Response {
		return httpx.JSON(http.StatusTeapot, map[string]string{"e": err.Error()})
	}}
	tests := []struct {
		name       string
		fn         httpx.HandlerFunc
		wantStatus int
		wantBody   string
		wantCT     string
	}{
		{"json", func(*http.Request) (httpx.Response, error) { return httpx.JSON(201, map[string]int{"n": 1}), nil }, 201, "{\"n\":1}\n", "application/json; charset=utf-8"},
		{"error", func(*http.Request) (httpx.Response, error) { return httpx.Response{}, errors.New("x") }, 418, "{\"e\":\"x\"}\n", "application/json; charset=utf-8"},
		{"html", func(*http.Request) (httpx.Response, error) { return httpx.HTML(200, []byte("<p>")), nil }, 200, "<p>", "text/html; charset=utf-8"},
		{"redirect", func(*http.Request) (httpx.Response, error) { return httpx.Redirect("/x"), nil }, 303, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			a.H(tc.fn).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			if w.Code != tc.wantStatus || w.Body.String() != tc.wantBody || w.Header().Get("Content-Type") != tc.wantCT {
				t.Errorf("got %d %q %q, want %d %q %q", w.Code, w.Body, w.Header().Get("Content-Type"), tc.wantStatus, tc.wantBody, tc.wantCT)
			}
		})
	}
}
