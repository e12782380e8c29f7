package sim_test

// Regression tests for QA findings on the platform, black-box over HTTP.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

func qaDo(t *testing.T, method, url, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// A MobilePay POST twin whose body is JSON sent as text/plain, or JSON that
// does not parse, used to be journalled verbatim, accessToken included.
func TestQAJournalRedactsSecretsInUnparsedBodies(t *testing.T) {
	srv := sims.Start(t, sim.Options{Seed: 1, FrozenClock: true})
	tok := mobilepay.FixtureAccessToken
	for _, tc := range []struct{ contentType, body string }{
		{"text/plain", `{"accessToken":"` + tok + `","bioCode":"BIO0001"}`},
		{"application/xml", `{"accessToken":"` + tok + `","bioCode":"BIO0001"}`},
		{"application/json", `{"accessToken":"` + tok + `","bioCode":"BIO0001"`},
		{"application/json", `{"accessToken":"` + tok + `","bioCode":"BIO0001"} trailing`},
		{"text/plain", `accessToken=` + tok + `&bioCode=BIO0001`},
	} {
		status, _ := qaDo(t, http.MethodPost, srv.URL+"/mobilepay/api/pos/payment/start", tc.contentType, tc.body)
		if status < 400 || status > 499 {
			t.Errorf("POST %s %q: status %d, want a 4xx", tc.contentType, tc.body, status)
		}
	}
	status, journal := qaDo(t, http.MethodGet, srv.URL+"/_sim/journal", "", "")
	if status != http.StatusOK {
		t.Fatalf("GET /_sim/journal: %d %s", status, journal)
	}
	if strings.Contains(journal, tok) {
		t.Errorf("the journal holds the access token:\n%s", journal)
	}
	if !strings.Contains(journal, "BIO0001") {
		t.Errorf("the journal lost the non-secret fields:\n%s", journal)
	}
}

// Moving the clock past the year 9999 made every later GET /_sim/journal a
// 500 (encoding/json cannot write such times), even after a reset.
func TestQAClockStopsBeforeYear10000(t *testing.T) {
	srv := sims.Start(t, sim.Options{Seed: 1, FrozenClock: true, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})

	status, body := qaDo(t, http.MethodPost, srv.URL+"/_sim/clock/set", "application/json", `{"to":"9999-12-31T23:00:00Z"}`)
	if status != http.StatusBadRequest || !strings.Contains(body, `"bad_request"`) {
		t.Errorf("clock/set to 9999-12-31: %d %s, want 400 bad_request", status, body)
	}
	refused := false
	for range 40 { // 2562047h is about 292 years
		status, body = qaDo(t, http.MethodPost, srv.URL+"/_sim/clock/advance", "application/json", `{"by":"2562047h"}`)
		if status == http.StatusBadRequest && strings.Contains(body, `"bad_request"`) {
			refused = true
			break
		}
		if status != http.StatusOK {
			t.Fatalf("clock/advance: %d %s", status, body)
		}
	}
	if !refused {
		t.Errorf("the clock advanced past the year 9999")
	}
	var clk struct{ Now string }
	_, body = qaDo(t, http.MethodGet, srv.URL+"/_sim/clock", "", "")
	if err := json.Unmarshal([]byte(body), &clk); err != nil || len(clk.Now) < 4 || clk.Now[4] != '-' {
		t.Errorf("GET /_sim/clock = %s, want a four-digit year", body)
	}

	qaDo(t, http.MethodGet, srv.URL+"/mobilepay/api/pos/payments?bioCode=BIO0001&accessToken="+mobilepay.FixtureAccessToken, "", "")
	if status, body := qaDo(t, http.MethodGet, srv.URL+"/_sim/journal", "", ""); status != http.StatusOK {
		t.Errorf("GET /_sim/journal: %d %s, want 200", status, body)
	}
}

// A card number in the path was journalled unmasked (the query string and
// bodies were masked).
func TestQAJournalMasksCardNumbersInPaths(t *testing.T) {
	srv := sims.Start(t, sim.Options{Seed: 1, FrozenClock: true})
	qaDo(t, http.MethodGet, srv.URL+"/misspay/track-checkout/4111111111111111", "", "")
	_, journal := qaDo(t, http.MethodGet, srv.URL+"/_sim/journal", "", "")
	if strings.Contains(journal, "4111111111111111") {
		t.Errorf("the journal holds a full card number:\n%s", journal)
	}
}

// A percent-encoded mount prefix (/%6Disspay/token decodes to
// /misspay/token) got Go's bare "404 page not found" in text/plain instead
// of the provider's envelope.
func TestQAEncodedMountPrefix(t *testing.T) {
	srv := sims.Start(t, sim.Options{Seed: 1, FrozenClock: true})
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/misspay/token", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.RawPath = "/%6Disspay/token"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var env map[string]any
	if resp.StatusCode < 400 || resp.StatusCode > 499 || json.Unmarshal(b, &env) != nil || env["status"] == nil {
		t.Errorf("GET /%%6Disspay/token: %d %q, want a 4xx in the MIS Pay envelope", resp.StatusCode, b)
	}
}

// With --control-token, "Authorization: bearer TOKEN" was refused: the
// authentication scheme is case-insensitive.
func TestQAControlTokenBearerSchemeCaseInsensitive(t *testing.T) {
	srv := sims.Start(t, sim.Options{Seed: 1, FrozenClock: true, ControlToken: "ctl-token-0123456789"})
	for _, tc := range []struct {
		auth string
		want int
	}{
		{"Bearer ctl-token-0123456789", http.StatusOK},
		{"bearer ctl-token-0123456789", http.StatusOK},
		{"BEARER ctl-token-0123456789", http.StatusOK},
		{"bearer wrong", http.StatusUnauthorized},
		{"", http.StatusUnauthorized},
		// The token alone, without the scheme, is not a Bearer credential.
		{"ctl-token-0123456789", http.StatusUnauthorized},
		{"Basic ctl-token-0123456789", http.StatusUnauthorized},
	} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/_sim/health", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q: status %d, want %d", tc.auth, resp.StatusCode, tc.want)
		}
	}
}

// --start-time 9999-12-31T23:59:59Z (or sim.Options.Start) put the clock
// past the year 9999 at once, with the same 500s on /_sim/journal.
func TestQAStartTimePastYear9999Refused(t *testing.T) {
	if _, err := sims.New(sim.Options{Seed: 1, Start: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}); err == nil {
		t.Errorf("sims.New with a start time in 9999-12-31 succeeded, want an error")
	}
	if _, err := sims.New(sim.Options{Seed: 1, Start: time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Errorf("sims.New with a start time in 9000: %v", err)
	}
}

// The journal kept every JSON body parsed and whole: a 1 MiB JSON array of
// small numbers took about 20 MiB of heap per entry, and the journal keeps
// 1000 entries, so a client could grow the simulator to ~20 GiB. Text
// bodies were already cut at 16 KiB; JSON bodies now are too.
func TestQAJournalBoundsLargeJSONBodies(t *testing.T) {
	srv := sims.Start(t, sim.Options{Seed: 1, FrozenClock: true})
	big := `{"accessToken":"` + mobilepay.FixtureAccessToken + `","x":[` + strings.Repeat("1,", 500_000) + `1]}`
	status, _ := qaDo(t, http.MethodPost, srv.URL+"/mobilepay/api/pos/payment/start", "application/json", big)
	if status < 400 || status > 499 {
		t.Fatalf("status %d, want a 4xx", status)
	}
	status, body := qaDo(t, http.MethodGet, srv.URL+"/_sim/journal?limit=1", "", "")
	if status != http.StatusOK {
		t.Fatalf("GET /_sim/journal: %d", status)
	}
	if len(body) > 64<<10 {
		t.Errorf("the journal entry of a 1 MiB body is %d bytes, want it cut to about 16 KiB", len(body))
	}
	if strings.Contains(body, mobilepay.FixtureAccessToken) {
		t.Errorf("the journal holds the access token")
	}
	var j struct {
		Entries []struct {
			Request struct{ Body any }
		}
	}
	if err := json.Unmarshal([]byte(body), &j); err != nil || len(j.Entries) != 1 {
		t.Fatalf("journal: %v\n%.300s", err, body)
	}
	if s, ok := j.Entries[0].Request.Body.(string); !ok || !strings.HasSuffix(s, "[truncated]") || !strings.Contains(s, `"accessToken":"[REDACTED]"`) {
		t.Errorf("request body = %.200v, want the redacted JSON text, truncated", j.Entries[0].Request.Body)
	}
}

// A provider or control path with "." or ".." segments got gorilla/mux's
// bare 301 to the cleaned path, which drops the mount prefix:
// POST /misspay/..%2f_sim/reset answered 301 Location: /_sim/reset.
func TestQADotSegmentsGetTheEnvelopeNotARedirect(t *testing.T) {
	srv := sims.Start(t, sim.Options{Seed: 1, FrozenClock: true})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ rawPath, key string }{
		{"/misspay/../_sim/reset", "status"},
		{"/misspay/..%2f_sim/reset", "status"},
		{"/misspay/./token", "status"},
		{"/mobilepay/api/pos/../pos/payments", "success"},
		{"/_sim/../misspay/token", "error"},
		{"/_sim/mobilepay/checkins/%2e%2e", "error"},
	} {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Opaque = "//" + req.URL.Host + tc.rawPath
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var env map[string]any
		if resp.StatusCode != http.StatusNotFound || json.Unmarshal(b, &env) != nil || env[tc.key] == nil {
			t.Errorf("POST %s: %d %q (Location %q), want a 404 in the envelope with %q", tc.rawPath, resp.StatusCode, b, resp.Header.Get("Location"), tc.key)
		}
	}
}

// A control request built in-process with a nil Body (as an in-memory
// transport passes it) gets an answer, not a panic.
func TestQAControlNilBody(t *testing.T) {
	srv, err := sims.New(sim.Options{Seed: 1, FrozenClock: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	u, _ := url.Parse("http://sim.test/_sim/misspay/merchants")
	req := &http.Request{Method: http.MethodPost, URL: u, Header: http.Header{}, Host: "sim.test"}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Errorf("POST merchants with a nil Body: %d %s", rec.Code, rec.Body)
	}
}
