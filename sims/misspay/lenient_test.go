package misspay_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sims/misspay"
)

// MIS Pay's NestJS service takes any string as orderId (class-validator's
// IsString), JSON.parse keeps the last of repeated keys, and Node decodes
// invalid UTF-8 as U+FFFD. The fake does the same, echoes what it stored,
// and says what it tolerated in X-Paysandbox-Detail.
func TestLenientInputLikeNode(t *testing.T) {
	s := newServer(t)
	c := login(t, s, fixture)
	body := func(t *testing.T, mutate func([]byte) []byte) []byte {
		b, err := json.Marshal(set(t, v12Body(t), "orderId", "PLACEHOLDER"))
		if err != nil {
			t.Fatal(err)
		}
		return mutate(b)
	}
	tests := []struct {
		name      string
		mutate    func([]byte) []byte
		wantOrder string
		wantNote  string
	}{
		{"control characters", func(b []byte) []byte {
			return bytes.Replace(b, []byte("PLACEHOLDER"), []byte(`a\u0000b\u001bc\r\nd`), 1)
		}, "a\x00b\x1bc\r\nd", "control character U+0000"},
		{"invalid UTF-8", func(b []byte) []byte {
			return bytes.Replace(b, []byte("PLACEHOLDER"), []byte("a\xffb"), 1)
		}, "a\uFFFDb", "not valid UTF-8"},
		{"duplicate key", func(b []byte) []byte {
			return bytes.Replace(b, []byte("{"), []byte(`{"orderId":"first",`), 1)
		}, "PLACEHOLDER", `repeats "orderId"`},
		{"plain", func(b []byte) []byte { return b }, "PLACEHOLDER", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := c.For(t)
			resp := c.do(http.MethodPost, "/start-checkout", body(t, tc.mutate))
			if resp.Status != http.StatusCreated {
				t.Fatalf("start-checkout = %d %s (%s)", resp.Status, resp.Body, resp.Header.Get(misspay.DetailHeader))
			}
			note := resp.Header.Get(misspay.DetailHeader)
			if tc.wantNote == "" && note != "" || !strings.Contains(note, tc.wantNote) {
				t.Errorf("detail = %q, want it to mention %q", note, tc.wantNote)
			}
			var out struct {
				Result struct{ TrackID string } `json:"result"`
			}
			decode(t, resp, &out)
			if got := c.track(t, out.Result.TrackID).OrderID; got != tc.wantOrder {
				t.Errorf("track-checkout orderId = %q, want %q", got, tc.wantOrder)
			}
		})
	}
}

func TestUpdateOrderIDTakesAnyString(t *testing.T) {
	s := newServer(t)
	c := login(t, s, fixture)
	_, checkoutID := c.approved(t)
	resp := c.do(http.MethodPut, "/update-order-id/"+checkoutID, []byte(`{"orderId":"x","orderId":"new\u0000id\n"}`))
	if resp.Status != http.StatusOK {
		t.Fatalf("update-order-id = %d %s", resp.Status, resp.Body)
	}
	var out struct {
		Result struct{ OrderID string } `json:"result"`
	}
	decode(t, resp, &out)
	if out.Result.OrderID != "new\x00id\n" {
		t.Errorf("orderId = %q", out.Result.OrderID)
	}
	note := resp.Header.Get(misspay.DetailHeader)
	for _, want := range []string{"U+0000", `repeats "orderId"`} {
		if !strings.Contains(note, want) {
			t.Errorf("detail = %q, want it to mention %s", note, want)
		}
	}
}
