package misspay_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

// callbackPlain is what the "_" parameter decrypts to.
type callbackPlain struct {
	OrderID    string  `json:"orderId"`
	Code       string  `json:"code"`
	CheckoutID *string `json:"checkoutId"`
}

// webhook is the plaintext JSON body POSTed to the webhook URL.
type webhook struct {
	CheckoutID      *string `json:"checkoutId"`
	OrderID         string  `json:"orderId"`
	Code            string  `json:"code"`
	AppID           string  `json:"appId"`
	IsFullyRefunded *bool   `json:"isFullyRefunded"`
}

// merchantWithHooks mints a merchant whose callback URL carries a query
// parameter of its own, with a receiver for the customer's browser (the
// shop's return URL) and one for webhooks.
func merchantWithHooks(t *testing.T, s *simtest.Server, status int) (c *client, shop, hooks *simtest.Receiver) {
	t.Helper()
	shop = simtest.NewReceiver(t, status)
	hooks = simtest.NewReceiver(t, status)
	creds := mint(t, s, map[string]string{"callbackUrl": shop.URL + "/cb?x=1", "webhookUrl": hooks.URL + "/hook"})
	if creds.CallbackURL != shop.URL+"/cb?x=1" || creds.WebhookURL != hooks.URL+"/hook" {
		t.Fatalf("minted merchant settings = %+v", creds)
	}
	return login(t, s, creds), shop, hooks
}

// openCallback checks the shop callback's shape and decrypts its "_".
func openCallback(t *testing.T, c *client, got simtest.Received) callbackPlain {
	t.Helper()
	if got.Method != http.MethodGet || got.Path != "/cb" {
		t.Errorf("callback = %s %s, want GET /cb", got.Method, got.Path)
	}
	if diff := cmp.Diff([]string{"1"}, got.Query["x"]); diff != "" {
		t.Errorf("callbackUrl's own x parameter (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{c.creds.AppID}, got.Query["appId"]); diff != "" {
		t.Errorf("appId parameter (-want +got):\n%s", diff)
	}
	require.Len(t, got.Query["_"], 1, "query %v", got.Query)
	// Double base64: base64(base64(salt || nonce || ct || tag)).
	inner, err := base64.StdEncoding.DecodeString(got.Query["_"][0])
	require.NoError(t, err, "outer base64 of _")
	raw, err := base64.StdEncoding.DecodeString(string(inner))
	require.NoError(t, err, "inner base64 of _")
	plain := mustOpen(t, c.creds.AppSecret, string(inner))
	if got, want := len(raw), saltLen+nonceLen+len(plain)+tagLen; got != want {
		t.Errorf("blob is %d bytes, want %d", got, want)
	}
	var pt callbackPlain
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&pt), "plaintext %s", plain)
	return pt
}

// readWebhook checks the webhook's shape and decodes it.
func readWebhook(t *testing.T, got simtest.Received) webhook {
	t.Helper()
	if got.Method != http.MethodPost || got.Path != "/hook" {
		t.Errorf("webhook = %s %s, want POST /hook", got.Method, got.Path)
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("webhook Content-Type = %q, want application/json", ct)
	}
	var fields map[string]any
	require.NoError(t, json.Unmarshal(got.Body, &fields), "webhook body %s", got.Body)
	for k := range fields {
		switch k {
		case "checkoutId", "orderId", "code", "appId", "isFullyRefunded":
		default:
			t.Errorf("webhook has unexpected field %q: %s", k, got.Body)
		}
	}
	var w webhook
	require.NoError(t, json.Unmarshal(got.Body, &w))
	return w
}

func ptr[T any](v T) *T { return &v }

func TestCallbackApprove(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c, shop, hooks := merchantWithHooks(t, s, http.StatusOK)
	trackID := c.startV12(t).TrackID
	res := act(t, s, trackID, "approve")
	require.NotNil(t, res.CheckoutID)
	checkoutID := *res.CheckoutID
	if got := c.track(t, trackID).CheckoutID; got == nil || *got != checkoutID {
		t.Errorf("track checkoutId = %v, want %s", got, checkoutID)
	}

	cb := shop.Wait(t, 1)[0]
	if diff := cmp.Diff(callbackPlain{OrderID: "1233-ABCD", Code: "MP00", CheckoutID: &checkoutID}, openCallback(t, c, cb)); diff != "" {
		t.Errorf("callback plaintext (-want +got):\n%s", diff)
	}
	// The control reply's redirectUrl is the URL the shop was sent to.
	u, err := url.Parse(res.RedirectURL)
	require.NoError(t, err)
	if got, want := u.Scheme+"://"+u.Host+u.Path, shop.URL+"/cb"; got != want {
		t.Errorf("redirectUrl base = %q, want %q", got, want)
	}
	if diff := cmp.Diff(map[string][]string(u.Query()), cb.Query); diff != "" {
		t.Errorf("redirectUrl query vs received (-reply +received):\n%s", diff)
	}
	if len(u.RawQuery) < 2 || u.RawQuery[:2] != "_=" {
		t.Errorf("redirectUrl query %q: want _ first", u.RawQuery)
	}

	hook := readWebhook(t, hooks.Wait(t, 1)[0])
	want := webhook{CheckoutID: &checkoutID, OrderID: "1233-ABCD", Code: "MP00", AppID: c.creds.AppID}
	if diff := cmp.Diff(want, hook); diff != "" {
		t.Errorf("webhook (-want +got):\n%s", diff)
	}

	// Exactly once each, and nothing more when the checkout window passes.
	s.Advance(time.Hour)
	s.Callbacks().Wait()
	if shop.Count() != 1 || hooks.Count() != 1 {
		t.Errorf("deliveries: shop %d, webhook %d; want 1 each", shop.Count(), hooks.Count())
	}

	// The delivery log shows both delivered.
	var log struct {
		Callbacks []struct {
			Method   string `json:"method"`
			URL      string `json:"url"`
			State    string `json:"state"`
			Attempts []struct {
				Status int    `json:"status"`
				Error  string `json:"error"`
			} `json:"attempts"`
		} `json:"callbacks"`
	}
	s.Control(http.MethodGet, "/_sim/callbacks?provider=misspay", nil, http.StatusOK, &log)
	require.Len(t, log.Callbacks, 2, "%+v", log)
	methods := map[string]string{}
	for _, cb := range log.Callbacks {
		methods[cb.Method] = cb.URL
		if cb.State != "delivered" || len(cb.Attempts) != 1 || cb.Attempts[0].Status != http.StatusOK {
			t.Errorf("callback %s %s: state %s, attempts %+v; want delivered once with 200", cb.Method, cb.URL, cb.State, cb.Attempts)
		}
	}
	if got := methods[http.MethodPost]; got != hooks.URL+"/hook" {
		t.Errorf("logged webhook URL = %q", got)
	}
	if u, err := url.Parse(methods[http.MethodGet]); err != nil || u.Path != "/cb" || u.Query().Get("appId") != c.creds.AppID {
		t.Errorf("logged callback URL = %q", methods[http.MethodGet])
	}
}

func TestCallbackCodes(t *testing.T) {
	t.Parallel()
	// One server and merchant; each case waits for its own deliveries.
	s := newServer(t)
	c, shop, hooks := merchantWithHooks(t, s, http.StatusOK)
	tests := []struct {
		name     string
		finish   func(t *testing.T, trackID string)
		code     string // "" for no callback
		wantBody string
	}{
		{"cancel", func(t *testing.T, id string) { act(t, s, id, "cancel") }, "MP02", ""},
		{"cancel on page", func(t *testing.T, id string) {
			resp := s.With(t).Do(simtest.Request{Method: http.MethodPost, Path: "/misspay/pay/" + id + "/cancel"})
			require.Equal(t, http.StatusSeeOther, resp.Status)
			follow(t, resp.Header.Get("Location")) // the browser brings the callback
		}, "MP02", ""},
		{"timeout action", func(t *testing.T, id string) { act(t, s, id, "timeout") }, "MP01", ""},
		{"timeout on the clock", func(t *testing.T, id string) { s.With(t).Advance(30 * time.Minute) }, "MP01", ""},
		{"fail", func(t *testing.T, id string) { act(t, s, id, "fail") }, "", ""},
		{"progress", func(t *testing.T, id string) { act(t, s, id, "progress") }, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := login(t, s.With(t), c.creds)
			nb, nh := shop.Count(), hooks.Count()
			trackID := c.startV12(t).TrackID
			tt.finish(t, trackID)
			s.Callbacks().Wait()
			if tt.code == "" {
				if shop.Count() != nb || hooks.Count() != nh {
					t.Errorf("deliveries: shop %d, webhook %d new; want none", shop.Count()-nb, hooks.Count()-nh)
				}
				return
			}
			cb := shop.Wait(t, nb+1)[nb]
			if diff := cmp.Diff(callbackPlain{OrderID: "1233-ABCD", Code: tt.code}, openCallback(t, c, cb)); diff != "" {
				t.Errorf("callback plaintext (-want +got):\n%s", diff)
			}
			hook := readWebhook(t, hooks.Wait(t, nh+1)[nh])
			if diff := cmp.Diff(webhook{OrderID: "1233-ABCD", Code: tt.code, AppID: c.creds.AppID}, hook); diff != "" {
				t.Errorf("webhook (-want +got):\n%s", diff)
			}
			if shop.Count() != nb+1 || hooks.Count() != nh+1 {
				t.Errorf("deliveries: shop %d, webhook %d new; want 1 each", shop.Count()-nb, hooks.Count()-nh)
			}
		})
	}
}

func TestCallbackRefundWebhook(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c, shop, hooks := merchantWithHooks(t, s, http.StatusOK)
	_, checkoutID := c.approved(t)
	shop.Wait(t, 1)
	hooks.Wait(t, 1)

	for i, tt := range []struct {
		amount string
		full   bool
	}{{"150", false}, {"50", true}} {
		c.refund(t, refundBody(t, checkoutID, "1233-ABCD", "200", tt.amount))
		hook := readWebhook(t, hooks.Wait(t, 2+i)[1+i])
		want := webhook{CheckoutID: &checkoutID, OrderID: "1233-ABCD", Code: "MP03", AppID: c.creds.AppID, IsFullyRefunded: ptr(tt.full)}
		if diff := cmp.Diff(want, hook); diff != "" {
			t.Errorf("refund %s webhook (-want +got):\n%s", tt.amount, diff)
		}
	}
	s.Callbacks().Wait()
	if shop.Count() != 1 {
		t.Errorf("shop callbacks = %d, want 1 (refunds only send webhooks)", shop.Count())
	}
}

func TestCallbackReceiverFails(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c, shop, hooks := merchantWithHooks(t, s, http.StatusInternalServerError)
	act(t, s, c.startV12(t).TrackID, "approve")
	shop.Wait(t, 1)
	hooks.Wait(t, 1)
	s.Callbacks().Wait()
	s.Advance(24 * time.Hour) // no retry is scheduled
	s.Callbacks().Wait()

	var log struct {
		Callbacks []struct {
			State    string `json:"state"`
			Attempts []struct {
				Status int    `json:"status"`
				Error  string `json:"error"`
			} `json:"attempts"`
		} `json:"callbacks"`
	}
	s.Control(http.MethodGet, "/_sim/callbacks?provider=misspay", nil, http.StatusOK, &log)
	require.Len(t, log.Callbacks, 2)
	for _, cb := range log.Callbacks {
		if cb.State != "failed" || len(cb.Attempts) != 1 || cb.Attempts[0].Status != http.StatusInternalServerError || cb.Attempts[0].Error == "" {
			t.Errorf("callback: state %s, attempts %+v; want failed after one 500", cb.State, cb.Attempts)
		}
	}
	if shop.Count() != 1 || hooks.Count() != 1 {
		t.Errorf("deliveries: shop %d, webhook %d; want 1 each (no retries)", shop.Count(), hooks.Count())
	}
}

func TestCallbackNoURLs(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	trackID := c.startV12(t).TrackID
	res := act(t, s, trackID, "approve")
	s.Callbacks().Wait()
	var log struct {
		Callbacks []any `json:"callbacks"`
	}
	s.Control(http.MethodGet, "/_sim/callbacks?provider=misspay", nil, http.StatusOK, &log)
	if len(log.Callbacks) != 0 {
		t.Errorf("callbacks without URLs: %v", log.Callbacks)
	}
	// Without a callback URL the customer goes back to the hosted page.
	if got, want := res.RedirectURL, s.URL+"/misspay/pay/"+trackID; got != want {
		t.Errorf("redirectUrl = %q, want %q", got, want)
	}
}

// TestCallbackSettingsUpdate: PUT changes where later callbacks go.
func TestCallbackSettingsUpdate(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c, shop, hooks := merchantWithHooks(t, s, http.StatusOK)
	moved := simtest.NewReceiver(t, http.StatusOK)
	creds := setMerchant(t, s, c.creds.AppID, map[string]string{"webhookUrl": moved.URL + "/new"})
	if diff := cmp.Diff(misspay.Credentials{CallbackURL: shop.URL + "/cb?x=1", WebhookURL: moved.URL + "/new"},
		misspay.Credentials{CallbackURL: creds.CallbackURL, WebhookURL: creds.WebhookURL}); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	act(t, s, c.startV12(t).TrackID, "approve")
	moved.Wait(t, 1)
	shop.Wait(t, 1)
	s.Callbacks().Wait()
	if hooks.Count() != 0 {
		t.Errorf("old webhook URL got %d deliveries", hooks.Count())
	}

	for _, bad := range []map[string]string{{"callbackUrl": "ftp://x"}, {"webhookUrl": "/relative"}, {"color": "red"}} {
		resp := s.Do(simtest.Request{Method: http.MethodPut, Path: "/_sim/misspay/merchants/" + c.creds.AppID, Body: bad})
		if resp.Status != http.StatusBadRequest {
			t.Errorf("PUT %v = %d, want 400", bad, resp.Status)
		}
	}
	resp := s.Do(simtest.Request{Method: http.MethodPut, Path: "/_sim/misspay/merchants/nope", Body: map[string]string{}})
	require.Equal(t, http.StatusNotFound, resp.Status)
}
