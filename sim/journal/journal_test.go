package journal_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paysandbox/paysandbox/sim/journal"
)

func TestRingKeepsNewest(t *testing.T) {
	j := journal.New(3)
	for i := range 5 {
		p := "a"
		if i%2 == 1 {
			p = "b"
		}
		j.Add(journal.Entry{Provider: p, Status: 200 + i})
	}
	var got []int
	for _, e := range j.List("", "", 0) {
		got = append(got, e.Status)
	}
	if diff := cmp.Diff([]int{202, 203, 204}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if got := j.List("b", "", 0); len(got) != 1 || got[0].Seq != 4 {
		t.Errorf("List(b) = %+v, want one entry with seq 4", got)
	}
	if got := j.List("", "", 2); len(got) != 2 || got[1].Seq != 5 {
		t.Errorf("List limit 2 = %+v", got)
	}
	j.Reset("a")
	if got := j.List("", "", 0); len(got) != 1 || got[0].Provider != "b" {
		t.Errorf("after Reset(a) = %+v", got)
	}
	j.Add(journal.Entry{Provider: "c"})
	if got := j.List("c", "", 0); got[0].Seq != 6 {
		t.Errorf("seq after reset = %d, want 6", got[0].Seq)
	}
}

func TestRedaction(t *testing.T) {
	h := http.Header{"Authorization": {"Bearer abc"}, "X-App-Secret": {"s3cret"}, "X-App-Id": {"app"},
		"X-Access-Token": {"t"}, "X-Partner-Api-Key": {"k"}, "X-Token-Ttl": {"1h"}}
	got := journal.Headers(h)
	want := map[string]string{"Authorization": journal.Redacted, "X-App-Secret": journal.Redacted, "X-App-Id": "app",
		"X-Access-Token": journal.Redacted, "X-Partner-Api-Key": journal.Redacted, "X-Token-Ttl": "1h"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Headers (-want +got):\n%s", diff)
	}
	body := journal.Body([]byte(`{"result":{"token":"blob"},"card":{"number":"4111111111111111","cvv":"123"},"n":"1234567890123"}`), "application/json", 100)
	wantBody := map[string]any{
		"result": map[string]any{"token": journal.Redacted},
		"card":   map[string]any{"number": "411111******1111", "cvv": journal.Redacted},
		"n":      "1234567890123", // not Luhn-valid: left alone
	}
	if diff := cmp.Diff(wantBody, body); diff != "" {
		t.Errorf("Body (-want +got):\n%s", diff)
	}
	if got, want := journal.Query("accessToken=xyz&bioCode=42"), "accessToken=%5BREDACTED%5D&bioCode=42"; got != want {
		t.Errorf("Query = %q, want %q", got, want)
	}
	for _, tc := range []struct{ in, want string }{
		// Nothing to redact: as sent, order kept.
		{"paymentId=0c6c6f3e-6f53-4a5e&posId=P1&amount=12.50", "paymentId=0c6c6f3e-6f53-4a5e&posId=P1&amount=12.50"},
		{"z=1&a=2", "z=1&a=2"},
		// A secret key, however it is written, and values that hold card
		// numbers or JWTs are redacted.
		{"posId=P1&apiKey=k&x=1", "posId=P1&apiKey=%5BREDACTED%5D&x=1"},
		{"posId=P1&api%4Bey=k", "posId=P1&apiKey=%5BREDACTED%5D"},
		{"api+key=k&&a=%20", "api+key=k&&a=%20"}, // "api key" is no secret name
		{"a=%zz&apiKey=k", journal.Redacted},
		{"a=1;b=2", journal.Redacted},
		{"pan=4111+1111+1111+1111", "pan=411111%2A%2A%2A%2A%2A%2A1111"},
		{"pan=4111-1111-1111-1111", "pan=411111%2A%2A%2A%2A%2A%2A1111"},
		{"t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "t=%5BREDACTED%5D"},
	} {
		if got := journal.Query(tc.in); got != tc.want {
			t.Errorf("Query(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := journal.Body([]byte("plain text that is long"), "text/plain", 5); got != "plain…[truncated]" {
		t.Errorf("text body = %q", got)
	}
}

// The journal's header list reads and writes as the map it replaced: the
// same JSON bytes (names sorted, values escaped alike), and back.
func TestHeaderListJSON(t *testing.T) {
	h := http.Header{
		"Content-Type":  {"application/json"},
		"Authorization": {"Bearer abc"},
		"X-Multi":       {"a", "b"},
		"X-Html":        {"<b>&</b> \"q\" \u2028"},
		"X-Card":        {"4111 1111 1111 1111"},
	}
	list, err := json.Marshal(journal.RedactHeaders(h))
	if err != nil {
		t.Fatal(err)
	}
	m, err := json.Marshal(journal.Headers(h))
	if err != nil {
		t.Fatal(err)
	}
	if string(list) != string(m) {
		t.Errorf("HeaderList JSON\n%s\nwant the map's\n%s", list, m)
	}
	var back journal.HeaderList
	if err := json.Unmarshal(list, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(journal.RedactHeaders(h), back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if got := back.Get("Authorization"); got != journal.Redacted {
		t.Errorf("Get(Authorization) = %q", got)
	}
	if got, _ := json.Marshal(journal.RedactHeaders(nil)); string(got) != "{}" {
		t.Errorf("no headers = %s, want {}", got)
	}
}
