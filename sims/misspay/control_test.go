package misspay_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

func TestControlHealth(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var got struct {
		Status    string
		Providers []string
		Objects   map[string]map[string]int
	}
	s.Control(http.MethodGet, "/_sim/health", nil, http.StatusOK, &got)
	want := map[string]map[string]int{"misspay": {"merchants": 1, "checkouts": 0}}
	if got.Status != "ok" || len(got.Providers) != 1 || got.Providers[0] != "misspay" {
		t.Errorf("health: %+v", got)
	}
	if diff := cmp.Diff(want, got.Objects); diff != "" {
		t.Errorf("health objects (-want +got):\n%s", diff)
	}
}

func TestControlCredentials(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var got misspay.Credentials
	s.Control(http.MethodGet, "/_sim/misspay/credentials", nil, http.StatusOK, &got)
	if !objectIDRe.MatchString(got.MerchantID) {
		t.Errorf("merchantId = %q, want a 24-hex id", got.MerchantID)
	}
	want := misspay.Credentials{
		AppID: "mispay-sandbox-app", AppSecret: "mispay-sandbox-secret", MerchantID: got.MerchantID,
		BaseURL: s.URL + "/misspay", TokenTTL: "1h0m0s", CheckoutTimeout: "30m0s",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("credentials (-want +got):\n%s", diff)
	}
	// Deterministic: another simulator has the same fixture merchant.
	var other misspay.Credentials
	newServer(t).Control(http.MethodGet, "/_sim/misspay/credentials", nil, http.StatusOK, &other)
	if other.MerchantID != got.MerchantID {
		t.Errorf("merchantId differs between simulators with one seed: %s, %s", got.MerchantID, other.MerchantID)
	}
}

func TestControlMintMerchant(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a, b := mint(t, s, nil), mint(t, s, map[string]string{"callbackUrl": "https://shop.example/cb", "checkoutTimeout": "45m"})
	if !strings.HasPrefix(a.AppID, "app_") || !strings.HasPrefix(a.AppSecret, "sk_") {
		t.Errorf("minted credentials %+v: want app_ and sk_ prefixes", a)
	}
	if a.AppID == b.AppID || a.AppSecret == b.AppSecret || a.MerchantID == b.MerchantID {
		t.Errorf("two minted merchants share credentials: %+v, %+v", a, b)
	}
	if b.CallbackURL != "https://shop.example/cb" || b.CheckoutTimeout != "45m0s" || b.TokenTTL != "1h0m0s" {
		t.Errorf("settings not applied: %+v", b)
	}
	for _, bad := range []string{`{"callbackUrl":"not a url"}`, `{"webhookUrl":"mailto:x@y"}`, `{"tokenTtl":"forever"}`,
		`{"checkoutTimeout":"-1m"}`, `{"unknown":1}`, `{`, `[]`} {
		resp := s.Do(simtest.Request{Method: http.MethodPost, Path: "/_sim/misspay/merchants", Body: bad})
		if resp.Status != http.StatusBadRequest || resp.JSON(t)["error"] != "bad_request" {
			t.Errorf("mint %s = %d %s, want 400 bad_request", bad, resp.Status, resp.Body)
		}
	}
}

func TestControlCheckoutView(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	trackID, checkoutID := c.approved(t)
	c.refund(t, refundBody(t, checkoutID, "1233-ABCD", "200", "12.5"))
	var got map[string]any
	s.Control(http.MethodGet, "/_sim/misspay/checkouts/"+trackID, nil, http.StatusOK, &got)
	want := map[string]any{
		"trackId": trackID, "checkoutId": checkoutID, "appId": fixture.AppID, "orderId": "1233-ABCD",
		"status": "success", "purchaseAmount": 200.0, "refunded": 12.5,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checkout view (-want +got):\n%s", diff)
	}
	resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/_sim/misspay/checkouts/nope"})
	require.Equal(t, http.StatusNotFound, resp.Status)
	require.Equal(t, "not_found", resp.JSON(t)["error"])
}

func TestControlReset(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := login(t, s, fixture)
	trackID := a.startV12(t).TrackID
	minted := mint(t, s, nil)
	var before misspay.Credentials
	s.Control(http.MethodGet, "/_sim/misspay/credentials", nil, http.StatusOK, &before)
	s.Advance(time.Hour)
	a = login(t, s, fixture) // the first token expired with the hour
	b := login(t, s, minted)
	bTrack := b.startV12(t).TrackID
	wantNow := clockNow(t, s)

	var reply map[string]any
	s.Control(http.MethodPost, "/_sim/reset", nil, http.StatusOK, &reply)
	if diff := cmp.Diff(map[string]any{"status": "ok", "reset": []any{"misspay"}}, reply); diff != "" {
		t.Errorf("reset reply (-want +got):\n%s", diff)
	}

	// Journal and callbacks are empty; the clock did not go back.
	var journal struct {
		Entries []any `json:"entries"`
	}
	s.Control(http.MethodGet, "/_sim/journal?provider=misspay", nil, http.StatusOK, &journal)
	if len(journal.Entries) != 0 {
		t.Errorf("journal after reset has %d entries", len(journal.Entries))
	}
	if got := clockNow(t, s); !got.Equal(wantNow) {
		t.Errorf("clock after reset = %s, want %s", got, wantNow)
	}

	// The fixture merchant is unchanged, so its credentials and even its
	// token still work; its checkouts are gone.
	var after misspay.Credentials
	s.Control(http.MethodGet, "/_sim/misspay/credentials", nil, http.StatusOK, &after)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("fixture credentials changed by reset (-before +after):\n%s", diff)
	}
	wantServiceError(t, a.do(http.MethodGet, "/track-checkout/"+trackID, nil), "ME04")
	wantServiceError(t, login(t, s, fixture).do(http.MethodGet, "/track-checkout/"+trackID, nil), "ME04")
	resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/_sim/misspay/checkouts/" + trackID})
	require.Equal(t, http.StatusNotFound, resp.Status)

	// The minted merchant is gone: its token and its credentials fail.
	wantCodedError(t, b.do(http.MethodGet, "/track-checkout/"+bTrack, nil), http.StatusUnauthorized, "ME10")
	resp = s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tokenHeaders(minted.AppID, minted.AppSecret)})
	wantTokenError(t, resp, "ME03")

	// Reset of one provider by name; unknown names are refused.
	s.Control(http.MethodPost, "/_sim/reset?provider=misspay", nil, http.StatusOK, nil)
	resp = s.Do(simtest.Request{Method: http.MethodPost, Path: "/_sim/reset?provider=nope"})
	require.Equal(t, http.StatusNotFound, resp.Status)
}

// TestControlResetTimers: timeouts armed before a reset do not fire into
// the new state.
func TestControlResetTimers(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	hooks := simtest.NewReceiver(t, http.StatusOK)
	m := mint(t, s, map[string]string{"webhookUrl": hooks.URL})
	login(t, s, m).startV12(t)
	s.Control(http.MethodPost, "/_sim/reset", nil, http.StatusOK, nil)
	s.Advance(time.Hour)
	s.Callbacks().Wait()
	if hooks.Count() != 0 {
		t.Errorf("a checkout from before the reset timed out and sent %d webhooks", hooks.Count())
	}
}

func TestControlClock(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var now struct {
		Now string `json:"now"`
	}
	s.Control(http.MethodGet, "/_sim/clock", nil, http.StatusOK, &now)
	require.Equal(t, "2026-01-01T09:00:00Z", now.Now)

	c := login(t, s, fixture)
	trackID := c.startV12(t).TrackID

	s.Control(http.MethodPost, "/_sim/clock/advance", map[string]string{"by": "15m"}, http.StatusOK, &now)
	require.Equal(t, "2026-01-01T09:15:00Z", now.Now)
	require.Equal(t, "in-progress", c.track(t, trackID).Status)

	// Set jumps forward and fires the timers on the way.
	s.Control(http.MethodPost, "/_sim/clock/set", map[string]string{"to": "2026-01-01T09:45:00Z"}, http.StatusOK, &now)
	require.Equal(t, "2026-01-01T09:45:00Z", now.Now)
	require.Equal(t, "canceled", c.track(t, trackID).Status)

	bad := []struct {
		path string
		body any
	}{
		{"/_sim/clock/set", map[string]string{"to": "2026-01-01T09:00:00Z"}}, // backwards
		{"/_sim/clock/set", map[string]string{"to": "tomorrow"}},
		{"/_sim/clock/advance", map[string]string{"by": "-1m"}},
		{"/_sim/clock/advance", map[string]string{"by": "soon"}},
		{"/_sim/clock/advance", map[string]string{"bye": "1m"}},
		{"/_sim/clock/advance", "{"},
	}
	for _, tt := range bad {
		resp := s.Do(simtest.Request{Method: http.MethodPost, Path: tt.path, Body: tt.body})
		if resp.Status != http.StatusBadRequest || resp.JSON(t)["error"] != "bad_request" {
			t.Errorf("POST %s %v = %d %s, want 400 bad_request", tt.path, tt.body, resp.Status, resp.Body)
		}
	}
	s.Control(http.MethodGet, "/_sim/clock", nil, http.StatusOK, &now)
	require.Equal(t, "2026-01-01T09:45:00Z", now.Now, "refused calls moved the clock")
}

func TestControlJournalRedacts(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	m := mint(t, s, nil)
	var secrets []string
	for _, creds := range []misspay.Credentials{fixture, m} {
		blob, pt := fetchToken(t, s, creds.AppID, creds.AppSecret)
		c := &client{s: s, creds: creds, jwt: pt.Token}
		c.startV12(t)
		sig := pt.Token[strings.LastIndex(pt.Token, ".")+1:]
		secrets = append(secrets, creds.AppSecret, blob, pt.Token, sig)
	}
	// A wrong secret is a secret too.
	resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tokenHeaders(fixture.AppID, "guessed-Secret-123")})
	wantTokenError(t, resp, "ME03")
	secrets = append(secrets, "guessed-Secret-123")

	resp = s.Do(simtest.Request{Method: http.MethodGet, Path: "/_sim/journal?provider=misspay"})
	require.Equal(t, http.StatusOK, resp.Status)
	for _, secret := range secrets {
		if strings.Contains(string(resp.Body), secret) {
			t.Errorf("journal contains the secret %q", secret)
		}
	}

	var journal struct {
		Entries []struct {
			Seq      int    `json:"seq"`
			Provider string `json:"provider"`
			Method   string `json:"method"`
			Path     string `json:"path"`
			Status   int    `json:"status"`
			Request  struct {
				Headers map[string]string `json:"headers"`
				Body    any               `json:"body"`
			} `json:"request"`
			Response struct {
				Headers map[string]string `json:"headers"`
				Body    json.RawMessage   `json:"body"`
			} `json:"response"`
		} `json:"entries"`
	}
	decode(t, resp, &journal)
	var tokens, starts int
	for _, e := range journal.Entries {
		if e.Provider != "misspay" {
			t.Errorf("entry of provider %q in the misspay journal", e.Provider)
		}
		switch e.Path {
		case "/misspay/token":
			tokens++
			if got := e.Request.Headers["X-App-Secret"]; got != "[REDACTED]" {
				t.Errorf("token request x-app-secret = %q, want [REDACTED]", got)
			}
			if e.Status == http.StatusOK {
				var body struct {
					Result struct {
						Token string `json:"token"`
					} `json:"result"`
				}
				require.NoError(t, json.Unmarshal(e.Response.Body, &body))
				if body.Result.Token != "[REDACTED]" {
					t.Errorf("token response result.token = %q, want [REDACTED]", body.Result.Token)
				}
			}
		case "/misspay/start-checkout":
			starts++
			if got := e.Request.Headers["Authorization"]; got != "[REDACTED]" {
				t.Errorf("start-checkout Authorization = %q, want [REDACTED]", got)
			}
			if e.Request.Headers["X-App-Id"] == "" || e.Method != http.MethodPost || e.Status != http.StatusCreated {
				t.Errorf("start-checkout entry %+v", e)
			}
		}
	}
	if tokens != 3 || starts != 2 {
		t.Errorf("journal has %d token and %d start-checkout entries, want 3 and 2", tokens, starts)
	}
	for i := 1; i < len(journal.Entries); i++ {
		if journal.Entries[i].Seq <= journal.Entries[i-1].Seq {
			t.Errorf("journal not oldest first: seq %d after %d", journal.Entries[i].Seq, journal.Entries[i-1].Seq)
		}
	}

	// limit keeps the newest.
	var last struct {
		Entries []struct {
			Path   string `json:"path"`
			Status int    `json:"status"`
		} `json:"entries"`
	}
	s.Control(http.MethodGet, "/_sim/journal?provider=misspay&limit=1", nil, http.StatusOK, &last)
	if diff := cmp.Diff(1, len(last.Entries)); diff != "" || last.Entries[0].Status != http.StatusBadRequest {
		t.Errorf("journal limit=1 = %+v, want the last (ME03) entry", last.Entries)
	}
}

func TestControlOpenAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	want, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/_sim/misspay/openapi.yaml"})
	require.Equal(t, http.StatusOK, resp.Status)
	if ct := resp.Header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type = %q, want application/yaml", ct)
	}
	if string(resp.Body) != string(want) {
		t.Error("served document differs from openapi.yaml")
	}
}
