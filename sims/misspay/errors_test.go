package misspay_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
)

func TestUnknownRoutes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	tests := []struct{ method, path string }{
		{http.MethodGet, "/nope"},
		{http.MethodGet, "/"},
		{http.MethodGet, "/v1/api/token"},
		{http.MethodGet, "/track-checkout"},
		{http.MethodGet, "/checkout/x/end"},
		{http.MethodGet, "/pay"},
		// Wrong methods on known paths.
		{http.MethodPost, "/token"},
		{http.MethodDelete, "/token"},
		{http.MethodGet, "/start-checkout"},
		{http.MethodPut, "/start-checkout"},
		{http.MethodPost, "/track-checkout/x"},
		{http.MethodDelete, "/checkout/x"},
		{http.MethodPost, "/checkout/x/end"},
		{http.MethodGet, "/refund"},
		{http.MethodPost, "/update-order-id/x"},
		{http.MethodPost, "/pay/x"},
		{http.MethodGet, "/pay/x/approve"},
		{http.MethodPost, "/pay/x/refund"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			// With and without credentials: routing comes first.
			for _, h := range []http.Header{c.headers(), nil} {
				resp := s.With(t).Do(simtest.Request{Method: tt.method, Path: "/misspay" + tt.path, Header: h})
				wantCodedError(t, resp, http.StatusNotFound, "Cannot "+tt.method+" "+tt.path)
			}
		})
	}
}

// oversized is a body one byte over the simulator's limit.
func oversized() []byte {
	return bytes.Repeat([]byte(" "), sim.DefaultBodyLimit+1)
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	_, checkoutID := c.approved(t)
	tests := []struct{ method, path string }{
		{http.MethodPost, "/start-checkout"},
		{http.MethodPost, "/refund"},
		{http.MethodPut, "/update-order-id/" + checkoutID},
		{http.MethodPut, "/checkout/" + checkoutID + "/end"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := c.For(t).do(tt.method, tt.path, oversized())
			wantCodedError(t, resp, http.StatusRequestEntityTooLarge, "ME97")
		})
	}
	t.Run("without credentials", func(t *testing.T) {
		resp := s.With(t).Do(simtest.Request{Method: http.MethodPost, Path: "/misspay/start-checkout", Body: oversized()})
		wantCodedError(t, resp, http.StatusRequestEntityTooLarge, "ME97")
	})
	t.Run("chunked", func(t *testing.T) {
		// No Content-Length: the limit still applies while reading.
		s := s.With(t)
		body := io.MultiReader(strings.NewReader(`{"version":"v1.2","orderId":"`), bytes.NewReader(oversized()), strings.NewReader(`"}`))
		req, err := http.NewRequest(http.MethodPost, s.URL+"/misspay/start-checkout", body)
		require.NoError(t, err)
		req.Header = c.headers()
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = -1 // unknown: sent chunked
		resp, err := s.Client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		wantCodedError(t, simtest.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, http.StatusRequestEntityTooLarge, "ME97")
	})
	t.Run("at the limit", func(t *testing.T) {
		// A valid body padded to exactly the limit is accepted.
		b, err := json.Marshal(v12Body(t))
		require.NoError(t, err)
		padded := append(b, bytes.Repeat([]byte(" "), sim.DefaultBodyLimit-len(b))...)
		require.Len(t, padded, sim.DefaultBodyLimit)
		resp := c.For(t).do(http.MethodPost, "/start-checkout", padded)
		require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	})
}
