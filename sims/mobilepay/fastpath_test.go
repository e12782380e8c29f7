package mobilepay

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/httpx"
)

// The status call's hand-written JSON must be the bytes encoding/json
// writes, whatever the values; where it cannot be, it steps aside.
func TestStatusJSONMatchesEncodingJSON(t *testing.T) {
	for _, v := range []statusView{
		{envelope: ok(), PaymentID: "0f8fad5b-d9cb-469f-a165-70867728950e", Status: Initiated, PollDelayInMs: PollDelayMs},
		{envelope: ok(), PaymentID: "", Status: RejectedByMobilePayDueToAgeRestrictions, PollDelayInMs: 0},
		{envelope: ok(), PaymentID: `a"b\c<d>&e`, Status: Captured, PollDelayInMs: -1},
		{envelope: ok(), PaymentID: "æøå\u2028\x00", Status: Reserved, PollDelayInMs: 1},
		{envelope: envelope{Success: true}, PaymentID: "x", Status: Paired},
		{envelope: envelope{Success: false, Errors: []string{"e"}}, PaymentID: "x", Status: Paired},
	} {
		want, wantCT, err := httpx.EncodeJSON(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		got, gotCT, err := encodeBody(httptest.NewRequest(http.MethodGet, "/", nil), v)
		if err != nil || !bytes.Equal(got, want) || gotCT != wantCT {
			t.Errorf("%+v:\n got %q %q %v\nwant %q %q", v, got, gotCT, err, want, wantCT)
		}
	}
}

// Skipping Accept headers without "xml" answers what full negotiation
// answers.
func TestNegotiateShortcut(t *testing.T) {
	for _, accept := range []string{"", "*/*", "application/json", "text/html, */*;q=0.8", "APPLICATION/XML", "text/Xml;q=0.5, application/json;q=0.4",
		"application/xml;q=0", "application/xhtml+xml", "xml", "application/json, application/xml", "text/json, text/xm"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		if got, want := negotiate(r), negotiateAccept(r.Header.Values("Accept")); got != want {
			t.Errorf("Accept %q: %q, full negotiation %q", accept, got, want)
		}
	}
}

// The canonical-form shortcut of canonicalGUID agrees with the long way.
func TestCanonicalGUIDShortcut(t *testing.T) {
	for _, s := range []string{
		"0f8fad5b-d9cb-469f-a165-70867728950e", "0F8FAD5B-D9CB-469F-A165-70867728950E", "{0f8fad5b-d9cb-469f-a165-70867728950e}",
		"0f8fad5bd9cb469fa16570867728950e", "0f8fad5b-d9cb-469f-a165-70867728950g", "0f8fad5b_d9cb-469f-a165-70867728950e", "",
	} {
		got, gotOK := canonicalGUID(s)
		if isCanonicalGUID(s) && (got != s || !gotOK) {
			t.Errorf("%q: %q %v", s, got, gotOK)
		}
		if _, ok := canonicalGUID(strings.ToUpper(s)); ok != gotOK {
			t.Errorf("%q: upper case differs", s)
		}
	}
}
