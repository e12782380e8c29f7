package misspay_test

// Client-compatibility tests: MIS Pay's public merchant plugins, re-implemented
// in Go from what they put on the wire, run unchanged against the fake.
//
// Each test re-creates one client's HTTP behaviour: its base URL and the way
// it joins paths to it, its methods, headers and body bytes (PHP json_encode,
// hand-built JSON, PHP (string)/(float) casts), and the way it reads the
// answers back (which fields, which HTTP statuses it accepts, how it decodes
// the callback "_" parameter with PHP's lenient base64_decode, openssl GCM
// and hash_pbkdf2, how it decides a token is still good). The crypto below is
// written here from the standard library; the tests never use the fake's own
// seal package, so a fake that drifted from what the plugins decrypt fails.
//
// Sources (read, not copied):
//   - WooCommerce: mispay-bnpl/mispay-woocommerce-plugin MispayController.php,
//     MispayPaymentGateway.php.
//   - Magento 2: mispay-bnpl/mispay-magento2-extension
//     Helper/MISPayHelper.php, Helper/MISPayRequestHelper.php,
//     Controller/Callback/index.php, Cron/TrackCheckoutStatus.php,
//     Observer/ControllerActionPredispatch.php: the v1.1 body of the
//     releases up to 2024 (e.g. commit 991bbfd) and the v1.2 body of the
//     current main branch (commit 943e00e, since e0d327f); the
//     dynamic-callback variant
//     (mis-pay-dev/mispay-magento2-extension-dynamic-callback).
//   - OpenCart 3: IP-CAM/Mispay-Opencart-Plugin
//     upload/system/library/MispayController.php,
//     upload/catalog/model/extension/payment/mispay.php,
//     upload/catalog/controller/extension/payment/mispay.php.
//   - A community Laravel service (MisPayService.php of a Rocket LMS
//     integration; repository not identified).
//
// Every identifier in this file starts with "plug" so that it cannot collide
// with the other test files of the package.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

// ---------------------------------------------------------------------------
// Harness: the fake, a merchant, the customer and the clock.

type plugHarness struct {
	t     *testing.T
	s     *simtest.Server
	creds misspay.Credentials
}

// plugStart starts the fake (frozen virtual clock, every response checked
// against openapi.yaml by simtest) and mints a merchant with settings.
func plugStart(t *testing.T, settings map[string]any) *plugHarness {
	t.Helper()
	s := simtest.New(t, sim.Factory{Name: misspay.Name, New: func(d sim.Deps) sim.Provider { return misspay.New(d) }})
	h := &plugHarness{t: t, s: s}
	h.creds = h.mint(settings)
	return h
}

// mint creates another merchant on the same fake.
func (h *plugHarness) mint(settings map[string]any) misspay.Credentials {
	h.t.Helper()
	var c misspay.Credentials
	h.s.Control(http.MethodPost, "/_sim/misspay/merchants", settings, http.StatusCreated, &c)
	if c.AppID == "" || c.AppSecret == "" {
		h.t.Fatalf("minted merchant has no credentials: %+v", c)
	}
	return c
}

// base is where the fake serves MIS Pay's API, without a trailing slash.
func (h *plugHarness) base() string { return h.s.URL + "/" + misspay.Name }

// now is the virtual clock. The merchant's server clock is taken to agree
// with MIS Pay's, so the plugins' time() is this.
func (h *plugHarness) now() time.Time {
	h.t.Helper()
	var c struct {
		Now time.Time `json:"now"`
	}
	h.s.Control(http.MethodGet, "/_sim/clock", nil, http.StatusOK, &c)
	return c.Now
}

func (h *plugHarness) advance(d time.Duration) { h.t.Helper(); h.s.Advance(d) }

// customer performs a customer action on the hosted checkout.
func (h *plugHarness) customer(trackID, action string) misspay.ActionResult {
	h.t.Helper()
	var res misspay.ActionResult
	h.s.Control(http.MethodPost, "/_sim/misspay/checkouts/"+trackID+"/"+action, nil, http.StatusOK, &res)
	return res
}

// plugView is GET /_sim/misspay/checkouts/{trackId}.
type plugView struct {
	TrackID        string         `json:"trackId"`
	CheckoutID     *string        `json:"checkoutId"`
	OrderID        string         `json:"orderId"`
	Status         misspay.Status `json:"status"`
	PurchaseAmount json.Number    `json:"purchaseAmount"`
	TransactionID  string         `json:"transactionId"`
}

// view is the checkout as the simulator sees it.
func (h *plugHarness) view(trackID string) plugView {
	h.t.Helper()
	var v plugView
	h.s.Control(http.MethodGet, "/_sim/misspay/checkouts/"+trackID, nil, http.StatusOK, &v)
	return v
}

// openPage is the customer's browser following result.url.
func (h *plugHarness) openPage(w *plugWire, pageURL string) {
	h.t.Helper()
	r := w.send(http.MethodGet, pageURL, []string{"Accept: text/html"}, nil)
	if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
		h.t.Fatalf("customer's browser: GET %s = %d %q, want a 200 HTML page\n%s", pageURL, r.status, r.header.Get("Content-Type"), r.body)
	}
}

// ---------------------------------------------------------------------------
// Wire: the plugins' HTTP client (cURL / WordPress HTTP API / Guzzle).

type plugResp struct {
	status int
	header http.Header
	body   []byte
}

// detail describes a response for failure messages, including the fake's
// explanation header.
func (r plugResp) detail() string {
	return fmt.Sprintf("HTTP %d %s (%s: %q)", r.status, bytes.TrimSpace(r.body), misspay.DetailHeader, r.header.Get(misspay.DetailHeader))
}

type plugWire struct {
	t  *testing.T
	c  *http.Client
	mu sync.Mutex
	// calls are "METHOD path" of every request sent.
	calls []string
}

func plugNewWire(h *plugHarness) *plugWire { return &plugWire{t: h.t, c: h.s.Client} }

// send makes one request. headers are cURL-style "Name: value" lines, sent
// as given; body nil sends no body.
func (w *plugWire) send(method, rawURL string, headers []string, body []byte) plugResp {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		w.t.Fatalf("plugin builds a bad request %s %s: %v", method, rawURL, err)
	}
	for _, line := range headers {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			w.t.Fatalf("bad header line %q", line)
		}
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	w.mu.Lock()
	w.calls = append(w.calls, method+" "+req.URL.Path)
	w.mu.Unlock()
	resp, err := w.c.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatalf("%s %s: read body: %v", method, rawURL, err)
	}
	return plugResp{status: resp.StatusCode, header: resp.Header, body: b}
}

// count is how many requests went to a path ending in suffix.
func (w *plugWire) count(method, suffix string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range w.calls {
		m, p, _ := strings.Cut(c, " ")
		if m == method && strings.HasSuffix(p, suffix) {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------------------
// PHP semantics the plugins rely on.

// plugB64Decode is PHP's base64_decode($s) in its default, non-strict mode:
// characters outside the alphabet (spaces, "=", line breaks) are skipped,
// padding is optional, and a dangling single character fails.
func plugB64Decode(s string) ([]byte, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
			b.WriteByte(c)
		}
	}
	t := b.String()
	if len(t)%4 == 1 {
		return nil, false
	}
	out, err := base64.RawStdEncoding.DecodeString(t)
	return out, err == nil
}

var plugKeys sync.Map // secret + "\x00" + salt -> cipher.AEAD

// plugGCM is hash_pbkdf2("sha256", $secret, $salt, 40000, 32, true) as the
// AES-256-GCM key. Keys are cached per (secret, salt) only to keep the
// tests fast; the fake keeps one salt per merchant.
func plugGCM(secret string, salt []byte) cipher.AEAD {
	k := secret + "\x00" + string(salt)
	if a, ok := plugKeys.Load(k); ok {
		return a.(cipher.AEAD)
	}
	key, err := pbkdf2.Key(sha256.New, secret, salt, 40000, 32)
	if err != nil {
		panic(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	plugKeys.Store(k, a)
	return a
}

// plugDecrypt is the plugins' decrypt(string $token): base64_decode, then
// salt = substr(0,16), nonce = substr(16,12), ciphertext = substr(28,-16),
// tag = substr(-16), and openssl_decrypt(..., 'aes-256-gcm', $key,
// OPENSSL_RAW_DATA, $nonce, $tag). false on any failure.
func plugDecrypt(secret, token string) ([]byte, bool) {
	in, ok := plugB64Decode(token)
	if !ok || len(in) < 16+12+16 {
		return nil, false
	}
	salt, nonce := in[:16], in[16:28]
	ct, tag := in[28:len(in)-16], in[len(in)-16:]
	pt, err := plugGCM(secret, salt).Open(nil, nonce, append(append([]byte(nil), ct...), tag...), nil)
	if err != nil {
		return nil, false
	}
	return pt, true
}

// plugJSONDecode is json_decode($s, true): nil (PHP null) when s is not
// JSON. Numbers stay json.Number.
func plugJSONDecode(b []byte) any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	if dec.More() {
		return nil
	}
	return v
}

// plugAt is $v['a']['b']...: nil when any step is missing.
func plugAt(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// plugIdentical is PHP's $v === $s for a string $s.
func plugIdentical(v any, s string) bool {
	x, ok := v.(string)
	return ok && x == s
}

// plugStr is a PHP string value, "" for anything else.
func plugStr(v any) string {
	x, _ := v.(string)
	return x
}

// plugEmpty is PHP's empty($v) for the values JSON can hold.
func plugEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == "" || x == "0"
	case bool:
		return !x
	case json.Number:
		f, _ := x.Float64()
		return f == 0
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// plugQuery is $_GET[$name] for a received request: PHP keeps the last of
// repeated keys; Go's url.Values already decodes "+" as a space, as PHP does.
func plugQuery(r simtest.Received, name string) string {
	v := r.Query[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// plugKV and plugObj are a PHP associative array, which keeps key order.
type plugKV struct {
	k string
	v any
}
type plugObj []plugKV

// plugJSONEncode is PHP's json_encode($v) with default flags: "/" is
// escaped, non-ASCII becomes \uXXXX, and a float prints with the shortest
// round-trip digits and no ".0" (JSON_PRESERVE_ZERO_FRACTION is off).
func plugJSONEncode(v any) []byte {
	var b bytes.Buffer
	plugEncode(&b, v)
	return b.Bytes()
}

func plugEncode(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		if math.Abs(x) >= 1e15 || math.IsNaN(x) || math.IsInf(x, 0) {
			panic("plugEncode: float out of the range these tests use")
		}
		b.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	case string:
		b.WriteByte('"')
		for _, r := range x {
			switch {
			case r == '"':
				b.WriteString(`\"`)
			case r == '\\':
				b.WriteString(`\\`)
			case r == '/':
				b.WriteString(`\/`)
			case r == '\n':
				b.WriteString(`\n`)
			case r == '\r':
				b.WriteString(`\r`)
			case r == '\t':
				b.WriteString(`\t`)
			case r < 0x20 || r > 0x7e:
				for _, u := range utf16.Encode([]rune{r}) {
					fmt.Fprintf(b, `\u%04x`, u)
				}
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			plugEncode(b, e)
		}
		b.WriteByte(']')
	case plugObj:
		b.WriteByte('{')
		for i, kv := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			plugEncode(b, kv.k)
			b.WriteByte(':')
			plugEncode(b, kv.v)
		}
		b.WriteByte('}')
	default:
		panic(fmt.Sprintf("plugEncode: %T", v))
	}
}

// plugFloatString is PHP's (string)$float (precision=14, trailing zeros
// dropped: 1150.0 -> "1150", 199.99 -> "199.99").
func plugFloatString(f float64) string { return strconv.FormatFloat(f, 'g', 14, 64) }

// plugFloatval is PHP's (float)"460.50".
func plugFloatval(s string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		panic(err)
	}
	return f
}

// ---------------------------------------------------------------------------
// WooCommerce: mispay-bnpl/mispay-woocommerce-plugin.
//
// API_URL ends in "/" and paths are appended without one ('token',
// 'start-checkout', and 'checkout' . $id . '/end' -- the missing slash is the
// plugin's). Every call fetches a fresh token first. It never looks at HTTP
// statuses, only at a top-level status identical to "success". The
// start-checkout body is PHP json_encode of four keys: orderId (the order
// number interpolated into a string), purchaseAmount (the order total cast
// to float, so a JSON number), purchaseCurrency "SAR" and version "v1.1";
// there is no lang.
// The callback (registered as <site>/wc-api/mispay-callback) reads
// decrypt(base64_decode($_GET['_'])) and accepts only code MP00; MP02 shows
// "Payment was canceled", anything else "Timeout while processing payment.".

type plugWoo struct {
	w           *plugWire
	apiURL      string
	appID       string
	secret      string
	accessToken string
	orders      map[string]*plugOrder
}

// plugOrder is a shop order as the plugins keep it.
type plugOrder struct {
	ID            string
	Status        string
	Message       string
	TrackID       string
	TransactionID string
}

func (c *plugWoo) getAccessToken() string {
	r := c.w.send(http.MethodGet, c.apiURL+"token", []string{
		"x-app-id: " + c.appID,
		"x-app-secret: " + c.secret,
		"accept: application/json",
	}, nil)
	data := plugJSONDecode(r.body)
	if !plugIdentical(plugAt(data, "status"), "success") {
		c.w.t.Logf("woocommerce: token refused: %s", r.detail())
		return ""
	}
	pt, _ := plugDecrypt(c.secret, plugStr(plugAt(data, "result", "token")))
	dec := plugJSONDecode(pt)
	if plugEmpty(plugAt(dec, "token")) {
		c.w.t.Logf("woocommerce: result.token does not decrypt to {token}: %s", r.detail())
		return ""
	}
	c.accessToken = plugStr(plugAt(dec, "token"))
	return c.accessToken
}

func (c *plugWoo) apiHeaders() []string {
	return []string{
		"x-app-id: " + c.appID,
		"Authorization: Bearer " + c.accessToken,
		"Content-Type: application/json",
		"accept: application/json",
	}
}

// startCheckout is start_checkout($orderId, $totalAmount): the redirect URL,
// or "" (false). data is the decoded response, for the test to see.
func (c *plugWoo) startCheckout(orderID int, total string) (redirect string, data any, r plugResp) {
	c.getAccessToken()
	payload := plugJSONEncode(plugObj{
		{"orderId", strconv.Itoa(orderID)},
		{"purchaseAmount", plugFloatval(total)},
		{"purchaseCurrency", "SAR"},
		{"version", "v1.1"},
	})
	r = c.w.send(http.MethodPost, c.apiURL+"start-checkout", c.apiHeaders(), payload)
	data = plugJSONDecode(r.body)
	if !plugIdentical(plugAt(data, "status"), "success") {
		return "", data, r
	}
	return plugStr(plugAt(data, "result", "url")), data, r
}

// endCheckout is end_checkout($transactionId) (called with the checkoutId).
func (c *plugWoo) endCheckout(checkoutID string) (bool, plugResp) {
	c.getAccessToken()
	r := c.w.send(http.MethodPut, c.apiURL+"checkout"+checkoutID+"/end", c.apiHeaders(), nil)
	return plugIdentical(plugAt(plugJSONDecode(r.body), "status"), "success"), r
}

// processPayment is process_payment($order_id).
func (c *plugWoo) processPayment(orderID int, total string) (redirect string, trackID string, r plugResp) {
	id := strconv.Itoa(orderID)
	c.orders[id] = &plugOrder{ID: id, Status: "on-hold"}
	redirect, data, r := c.startCheckout(orderID, total)
	return redirect, plugStr(plugAt(data, "result", "trackId")), r
}

// handleCallback is handle_mispay_callback(): handle_callback() and, on
// success, end_checkout. It returns the order and whether the end call
// answered success (the plugin ignores that; the test does not).
func (c *plugWoo) handleCallback(req simtest.Received) (order *plugOrder, ended bool, endResp plugResp) {
	resp := plugQuery(req, "_")
	if resp == "" {
		return nil, false, plugResp{}
	}
	inner, _ := plugB64Decode(resp)
	pt, _ := plugDecrypt(c.secret, string(inner))
	dec := plugJSONDecode(pt)
	order, ok := c.orders[plugStr(plugAt(dec, "orderId"))] // new WC_Order($decodeResponse['orderId'])
	if !ok {
		return nil, false, plugResp{}
	}
	code := plugAt(dec, "code")
	if code == nil || !plugIdentical(code, "MP00") {
		order.Status = "cancelled"
		if plugIdentical(code, "MP02") {
			order.Message = "Payment was canceled"
		} else {
			order.Message = "Timeout while processing payment."
		}
		return order, false, plugResp{}
	}
	order.Status = "processing" // $order->payment_complete()
	ended, endResp = c.endCheckout(plugStr(plugAt(dec, "checkoutId")))
	return order, ended, endResp
}

func TestWooCommercePlugin(t *testing.T) {
	rc := simtest.NewReceiver(t, http.StatusOK)
	h := plugStart(t, map[string]any{"callbackUrl": rc.URL + "/wc-api/mispay-callback"})
	w := plugNewWire(h)
	// The plugin's sandbox API URL (api.sandbox.mispay.co/v1/api/) ends in a slash.
	wc := &plugWoo{w: w, apiURL: h.base() + "/", appID: h.creds.AppID, secret: h.creds.AppSecret, orders: map[string]*plugOrder{}}

	// Order 1234 (total "349.99" -> JSON 349.99): paid.
	redirect, track1, r := wc.processPayment(1234, "349.99")
	if redirect == "" || track1 == "" {
		t.Fatalf("process_payment(1234): no redirect: %s", r.detail())
	}
	if u, err := url.Parse(redirect); err != nil || !u.IsAbs() {
		t.Fatalf("result.url %q is not an absolute URL the browser can follow", redirect)
	}
	h.openPage(w, redirect)
	if v := h.view(track1); v.PurchaseAmount.String() != "349.99" || v.OrderID != "1234" {
		t.Errorf("fake recorded order %q amount %s, want 1234 / 349.99", v.OrderID, v.PurchaseAmount)
	}
	h.customer(track1, "approve")
	cbs := rc.Wait(t, 1)
	if cbs[0].Method != http.MethodGet || cbs[0].Path != "/wc-api/mispay-callback" {
		t.Fatalf("callback = %s %s, want GET /wc-api/mispay-callback", cbs[0].Method, cbs[0].Path)
	}
	order, ended, endResp := wc.handleCallback(cbs[0])
	if order == nil || order.ID != "1234" || order.Status != "processing" {
		t.Fatalf("handle_callback: order %+v, want 1234 processing (query %v)", order, cbs[0].Query)
	}
	if !ended {
		t.Fatalf("end_checkout (PUT .../checkout<id>/end, no slash) did not answer success: %s", endResp.detail())
	}
	if v := h.view(track1); v.TransactionID == "" || v.Status != misspay.StatusSuccess {
		t.Errorf("after end_checkout the fake shows %+v, want a transactionId", v)
	}

	// Order 1235 (total "1200.00" -> JSON 1200): the customer cancels.
	redirect, track2, r := wc.processPayment(1235, "1200.00")
	if redirect == "" {
		t.Fatalf("process_payment(1235): %s", r.detail())
	}
	h.customer(track2, "cancel")
	order, _, _ = wc.handleCallback(rc.Wait(t, 2)[1])
	if order == nil || order.ID != "1235" || order.Status != "cancelled" || order.Message != "Payment was canceled" {
		t.Errorf("cancel: order %+v, want 1235 cancelled with \"Payment was canceled\"", order)
	}

	// Order 1236: the customer never finishes; MIS Pay times the session out.
	redirect, _, r = wc.processPayment(1236, "500.5")
	if redirect == "" {
		t.Fatalf("process_payment(1236): %s", r.detail())
	}
	h.advance(31 * time.Minute)
	order, _, _ = wc.handleCallback(rc.Wait(t, 3)[2])
	if order == nil || order.ID != "1236" || order.Status != "cancelled" || order.Message != "Timeout while processing payment." {
		t.Errorf("timeout: order %+v, want 1236 cancelled with the timeout message", order)
	}

	// The plugin asks for a token before every call: 3 starts + 1 end.
	if n := w.count(http.MethodGet, "/token"); n != 4 {
		t.Errorf("token requests = %d, want 4", n)
	}
}

// ---------------------------------------------------------------------------
// Magento 2: mispay-bnpl/mispay-magento2-extension.
//
// getBaseUrl() has no trailing slash and the endpoints start with one
// ("/token", "/start-checkout", "/track-checkout/:id", "/checkout/:id/end").
// Every API call sends x-app-secret and x-app-id, plus Authorization and
// Content-Type: application/json (also on GET). The token is kept while
// isJWTValid: the JWT payload is base64-decoded after "-"->"+", "_"->"/"
// (no signature check) and its exp must be after now. In the releases up
// to 2024 the start-checkout body is hand-built v1.1 text with
// purchaseAmount = number_format(grandTotal, 1, '.', '') as a bare JSON
// number (the current v1.2 body is startCheckoutSessionV12 below), and
// purchaseCurrency is the literal "SAR" (getCurrency()'s "SR" mapping never
// reaches the body). The observer reads result.url and result.trackId. The
// callback controller (frontName "mispay") decodes
// json_decode(decrypt(base64_decode($_GET['_']))), cancels unless
// isset(checkoutId) && code === 'MP00', then calls end and needs
// status == 'success' and result.transactionId. The cron polls
// track-checkout for pending orders and maps result.status success ->
// processing, canceled|error -> canceled.

type plugMagento struct {
	w           *plugWire
	baseURL     string
	appID       string
	secret      string
	now         func() time.Time
	lang        string // first part of the store locale, e.g. "en" of en_US
	accessToken string
	// The dynamic-callback variant sends "callbackUri" when dynamic is set.
	dynamic     bool
	callbackURI string
	orders      map[string]*plugOrder
}

// isJWTValid: json_decode(base64_decode(strtr(explode('.', $t)[1], '-_',
// '+/')))->exp, compared with now to the second.
func (c *plugMagento) isJWTValid(token string) bool {
	if token == "" {
		return false
	}
	parts := strings.Split(token, ".")
	if len(parts) < 2 {
		return false
	}
	raw, _ := plugB64Decode(strings.NewReplacer("-", "+", "_", "/").Replace(parts[1]))
	exp, ok := plugAt(plugJSONDecode(raw), "exp").(json.Number)
	if !ok {
		return false // date('Y-m-d H:i:s', null) is 1970
	}
	e, err := exp.Int64()
	if err != nil {
		f, _ := exp.Float64()
		e = int64(f)
	}
	return e > c.now().Unix()
}

func (c *plugMagento) getAccessToken() string {
	if c.isJWTValid(c.accessToken) {
		return c.accessToken
	}
	return c.getToken()
}

func (c *plugMagento) getToken() string {
	r := c.w.send(http.MethodGet, c.baseURL+"/token", []string{
		"x-app-secret: " + c.secret,
		"x-app-id: " + c.appID,
	}, nil)
	body := plugJSONDecode(r.body)
	if !plugIdentical(plugAt(body, "status"), "success") {
		c.w.t.Logf("magento: token refused: %s", r.detail())
		return ""
	}
	dec, _ := plugDecrypt(c.secret, plugStr(plugAt(body, "result", "token")))
	payload := plugJSONDecode(dec)
	if plugEmpty(plugAt(payload, "token")) {
		c.w.t.Logf("magento: token does not decrypt: %s", r.detail())
		return ""
	}
	c.accessToken = plugStr(plugAt(payload, "token"))
	return c.accessToken
}

func (c *plugMagento) headers(token string) []string {
	return []string{
		"x-app-secret: " + c.secret,
		"x-app-id: " + c.appID,
		"Authorization: Bearer " + token,
		"Content-Type: application/json",
	}
}

// trackCheckout returns the decoded response (json_decode of the body).
func (c *plugMagento) trackCheckout(trackID string) (any, plugResp) {
	tok := c.getAccessToken()
	r := c.w.send(http.MethodGet, c.baseURL+strings.ReplaceAll("/track-checkout/:id", ":id", trackID), c.headers(tok), nil)
	return plugJSONDecode(r.body), r
}

// startCheckoutSession returns $responseBody->result.
func (c *plugMagento) startCheckoutSession(incrementID string, grandTotal float64) (any, plugResp) {
	tok := c.getAccessToken()
	lang := "ar"
	if c.lang == "en" {
		lang = "en"
	}
	// number_format($grandTotal, 1, '.', '')
	amount := strconv.FormatFloat(math.Round(grandTotal*10)/10, 'f', 1, 64)
	dyn := ""
	if c.dynamic {
		dyn = `"callbackUri": "` + c.callbackURI + `",`
	}
	body := `{
                "version": "v1.1",
                "orderId": "` + incrementID + `",
                "purchaseAmount": ` + amount + `,
                ` + dyn + `
                "purchaseCurrency": "SAR",
                "lang": "` + lang + `"
            }`
	r := c.w.send(http.MethodPost, c.baseURL+"/start-checkout", c.headers(tok), []byte(body))
	return plugAt(plugJSONDecode(r.body), "result"), r
}

func (c *plugMagento) endCheckoutSession(checkoutID string) (any, plugResp) {
	tok := c.getAccessToken()
	r := c.w.send(http.MethodPut, c.baseURL+strings.ReplaceAll("/checkout/:id/end", ":id", checkoutID), c.headers(tok), nil)
	return plugJSONDecode(r.body), r
}

// placeOrder is the order-success observer: start the session, keep the
// track id, send the customer to result.url.
func (c *plugMagento) placeOrder(incrementID string, grandTotal float64) (*plugOrder, string, plugResp) {
	o := &plugOrder{ID: incrementID, Status: "pending"}
	c.orders[incrementID] = o
	res, r := c.startCheckoutSession(incrementID, grandTotal)
	if plugEmpty(res) || plugEmpty(plugAt(res, "url")) {
		return o, "", r
	}
	o.TrackID = plugStr(plugAt(res, "trackId"))
	return o, plugStr(plugAt(res, "url")), r
}

// callback is Controller/Callback/Index::execute() for the customer's last
// order.
func (c *plugMagento) callback(order *plugOrder, req simtest.Received) (endResp plugResp) {
	inner, _ := plugB64Decode(plugQuery(req, "_"))
	pt, _ := plugDecrypt(c.secret, string(inner))
	dec := plugJSONDecode(pt)
	if plugAt(dec, "checkoutId") == nil || !plugIdentical(plugAt(dec, "code"), "MP00") {
		order.Status = "canceled"
		order.Message = "CODE_" + plugStr(plugAt(dec, "code"))
		return plugResp{}
	}
	end, r := c.endCheckoutSession(plugStr(plugAt(dec, "checkoutId")))
	if end == nil || !plugIdentical(plugAt(end, "status"), "success") {
		order.Message = "CODE_" + plugStr(plugAt(dec, "code"))
		return r
	}
	order.TransactionID = plugStr(plugAt(end, "result", "transactionId"))
	order.Status = "processing"
	return r
}

// cron is TrackCheckoutStatus::execute() over the pending orders.
func (c *plugMagento) cron() {
	for _, o := range c.orders {
		if o.Status != "pending" || o.TrackID == "" {
			continue
		}
		resp, _ := c.trackCheckout(o.TrackID)
		switch plugStr(plugAt(resp, "result", "status")) {
		case "success":
			o.Status = "processing"
		case "canceled", "error":
			o.Status = "canceled"
		}
	}
}

// plugCallbackFor finds the callback whose decrypted orderId is orderID.
func plugCallbackFor(t *testing.T, secret string, cbs []simtest.Received, orderID string) simtest.Received {
	t.Helper()
	for _, cb := range cbs {
		inner, _ := plugB64Decode(plugQuery(cb, "_"))
		pt, _ := plugDecrypt(secret, string(inner))
		if plugStr(plugAt(plugJSONDecode(pt), "orderId")) == orderID {
			return cb
		}
	}
	t.Fatalf("no callback for order %q among %d received", orderID, len(cbs))
	return simtest.Received{}
}

func TestMagentoPlugin(t *testing.T) {
	rc := simtest.NewReceiver(t, http.StatusOK)
	h := plugStart(t, map[string]any{"callbackUrl": rc.URL + "/mispay/callback"})
	w := plugNewWire(h)
	mg := &plugMagento{w: w, baseURL: h.base(), appID: h.creds.AppID, secret: h.creds.AppSecret,
		now: h.now, lang: "en", orders: map[string]*plugOrder{}}

	// A: paid, the customer comes back through the callback.
	a, urlA, r := mg.placeOrder("000000021", 1234.56) // purchaseAmount: 1234.6
	if urlA == "" || a.TrackID == "" {
		t.Fatalf("startCheckoutSession: no url/trackId: %s", r.detail())
	}
	h.openPage(w, urlA)
	if v := h.view(a.TrackID); v.PurchaseAmount.String() != "1234.6" {
		t.Errorf("fake recorded purchaseAmount %s, want 1234.6", v.PurchaseAmount)
	}
	h.customer(a.TrackID, "approve")
	cbA := rc.Wait(t, 1)[0]
	if cbA.Path != "/mispay/callback" {
		t.Fatalf("callback path = %q, want /mispay/callback", cbA.Path)
	}
	endResp := mg.callback(a, cbA)
	if a.Status != "processing" || a.TransactionID == "" {
		t.Fatalf("callback: order %+v, want processing with a transactionId; end: %s", a, endResp.detail())
	}

	// B: paid, but the customer never returns; the cron finds it.
	b, urlB, r := mg.placeOrder("000000022", 250)
	if urlB == "" {
		t.Fatalf("startCheckoutSession(B): %s", r.detail())
	}
	h.customer(b.TrackID, "approve")
	// C: canceled by the customer; the callback carries checkoutId null.
	cOrder, urlC, r := mg.placeOrder("000000023", 2999.99)
	if urlC == "" {
		t.Fatalf("startCheckoutSession(C): %s", r.detail())
	}
	h.customer(cOrder.TrackID, "cancel")
	cbs := rc.Wait(t, 3)
	mg.callback(cOrder, plugCallbackFor(t, mg.secret, cbs, "000000023"))
	if cOrder.Status != "canceled" || cOrder.Message != "CODE_MP02" {
		t.Errorf("cancel callback: order %+v, want canceled CODE_MP02", cOrder)
	}
	mg.cron()
	if b.Status != "processing" {
		t.Errorf("cron: order B is %q, want processing (track-checkout result.status success)", b.Status)
	}

	// D and E: nobody finishes; after the checkout window both time out.
	d, urlD, r := mg.placeOrder("000000024", 400)
	e, urlE, r2 := mg.placeOrder("000000025", 400)
	if urlD == "" || urlE == "" {
		t.Fatalf("startCheckoutSession(D/E): %s / %s", r.detail(), r2.detail())
	}
	mg.cron()
	if d.Status != "pending" || e.Status != "pending" {
		t.Errorf("cron before the timeout changed D/E to %q/%q, want pending (in-progress is not final)", d.Status, e.Status)
	}
	h.advance(31 * time.Minute)
	cbs = rc.Wait(t, 5)
	mg.callback(d, plugCallbackFor(t, mg.secret, cbs, "000000024"))
	if d.Status != "canceled" || d.Message != "CODE_MP01" {
		t.Errorf("timeout callback: order D %+v, want canceled CODE_MP01", d)
	}
	mg.cron() // E's customer is gone: only the cron learns of the timeout
	if e.Status != "canceled" {
		t.Errorf("cron: order E is %q, want canceled after the timeout", e.Status)
	}
	// One token so far: isJWTValid kept it (exp is an hour away).
	if n := w.count(http.MethodGet, "/token"); n != 1 {
		t.Errorf("token requests after 31 minutes = %d, want 1 (the JWT exp claim must keep it valid)", n)
	}

	// An hour later the JWT's exp has passed: the plugin fetches a new one.
	h.advance(30 * time.Minute)
	f, urlF, r := mg.placeOrder("000000026", 999)
	if urlF == "" {
		t.Fatalf("startCheckoutSession after token expiry: %s", r.detail())
	}
	if n := w.count(http.MethodGet, "/token"); n != 2 {
		t.Errorf("token requests after 61 minutes = %d, want 2", n)
	}
	res, tr := mg.trackCheckout(f.TrackID)
	if got := plugStr(plugAt(res, "result", "status")); got != "in-progress" {
		t.Errorf("track F: result.status = %q, want in-progress: %s", got, tr.detail())
	}
}

// TestMagentoDynamicCallbackPlugin is the dynamic-callback variant
// (MISPay_MISPayMethodDynamicCallback): the v1.1 body also carries
// "callbackUri": <store base URL> + the configured template, and the
// customer is expected back there rather than at a URL registered with MIS
// Pay.
func TestMagentoDynamicCallbackPlugin(t *testing.T) {
	registered := simtest.NewReceiver(t, http.StatusOK)
	store := simtest.NewReceiver(t, http.StatusOK)
	h := plugStart(t, map[string]any{"callbackUrl": registered.URL + "/mispay/callback"})
	w := plugNewWire(h)
	// Store locale ar_SA with the README's template "/{LANG}-{LOCALE}/mispay-dynamic/callback";
	// getCallbackUri() strips the leading "/" and appends to the base URL, which ends in "/".
	callbackURI := store.URL + "/" + "ar-sa/mispay-dynamic/callback"
	mg := &plugMagento{w: w, baseURL: h.base(), appID: h.creds.AppID, secret: h.creds.AppSecret,
		now: h.now, lang: "ar", dynamic: true, callbackURI: callbackURI, orders: map[string]*plugOrder{}}

	o, redirect, r := mg.placeOrder("100000007", 640.25) // purchaseAmount 640.3, lang "ar"
	if redirect == "" {
		t.Fatalf("startCheckoutSession (dynamic): %s", r.detail())
	}
	h.customer(o.TrackID, "approve")

	// Wait for the callback to arrive anywhere.
	deadline := time.Now().Add(10 * time.Second)
	for store.Count() == 0 && registered.Count() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if store.Count() == 0 {
		t.Fatalf("the customer was not sent to the callbackUri of the start-checkout body (%s); "+
			"requests at the merchant's registered callbackUrl: %d", callbackURI, registered.Count())
	}
	cb := store.Wait(t, 1)[0]
	if cb.Path != "/ar-sa/mispay-dynamic/callback" {
		t.Errorf("dynamic callback path = %q, want /ar-sa/mispay-dynamic/callback", cb.Path)
	}
	end := mg.callback(o, cb)
	if o.Status != "processing" || o.TransactionID == "" {
		t.Errorf("dynamic callback: order %+v, want processing; end: %s", o, end.detail())
	}
	if n := registered.Count(); n != 0 {
		t.Errorf("%d callback(s) also went to the registered callbackUrl", n)
	}
}

// plugMGOrder is a Magento sales order as MISPayHelper::getOrder() loads it
// from the database: DECIMAL(20,4) columns come back as PHP strings
// ("1000.0000"), qty_ordered included, and json_encode sends them as such.
type plugMGOrder struct {
	IncrementID string
	Subtotal    string // getSubtotal(): before discount, shipping and tax
	Shipping    string // getShippingAmount()
	Tax         string // getTaxAmount()
	GrandTotal  string // getGrandTotal(): subtotal + shipping + tax - discount
	Telephone   string // billing address, as the customer typed it
	Email       string
	Items       []plugMGItem // getAllItems(): parents and their children
}

type plugMGItem struct {
	Name, Qty, Price string // getName(), getQtyOrdered(), getPrice()
}

// startCheckoutSessionV12 is startCheckoutSession() of the extension's
// current main branch (commit 943e00e): a v1.2 body built with json_encode
// from the loaded order. purchaseAmount is still number_format(grandTotal,
// 1, '.', ”) -- a string with one decimal -- while totalPrice,
// shippingAmount and vat are the raw columns and no discount is sent, so
// the sum rule of the documentation does not hold (the extension only logs
// the mismatch). Items carry quantity, unitPrice and nameEnglish from
// getAllItems(). Right after a successful start it calls trackCheckout
// once.
func (c *plugMagento) startCheckoutSessionV12(o plugMGOrder) (any, plugResp) {
	tok := c.getAccessToken()
	lang := "ar"
	if c.lang == "en" {
		lang = "en"
	}
	items := []any{}
	for _, it := range o.Items {
		items = append(items, plugObj{{"quantity", it.Qty}, {"unitPrice", it.Price}, {"nameEnglish", it.Name}})
	}
	purchase := strconv.FormatFloat(math.Round(plugFloatval(o.GrandTotal)*10)/10, 'f', 1, 64)
	body := plugJSONEncode(plugObj{
		{"version", "v1.2"},
		{"orderId", o.IncrementID},
		{"purchaseAmount", purchase},
		{"totalPrice", o.Subtotal},
		{"shippingAmount", o.Shipping},
		{"vat", o.Tax},
		{"purchaseCurrency", "SAR"},
		{"lang", lang},
		{"customerDetails", plugObj{{"mobileNumber", o.Telephone}, {"email", o.Email}}},
		{"orderDetails", plugObj{{"items", items}}},
	})
	r := c.w.send(http.MethodPost, c.baseURL+"/start-checkout", c.headers(tok), body)
	resp := plugJSONDecode(r.body)
	if plugIdentical(plugAt(resp, "status"), "success") && !plugEmpty(plugAt(resp, "result", "trackId")) {
		c.trackCheckout(plugStr(plugAt(resp, "result", "trackId")))
	}
	return plugAt(resp, "result"), r
}

// placeOrderV12 is the observer with the current extension.
func (c *plugMagento) placeOrderV12(o plugMGOrder) (*plugOrder, string, plugResp) {
	po := &plugOrder{ID: o.IncrementID, Status: "pending"}
	c.orders[o.IncrementID] = po
	res, r := c.startCheckoutSessionV12(o)
	if plugEmpty(res) || plugEmpty(plugAt(res, "url")) {
		return po, "", r
	}
	po.TrackID = plugStr(plugAt(res, "trackId"))
	return po, plugStr(plugAt(res, "url")), r
}

// TestMagentoPluginV12 runs the current Magento 2 extension (v1.2 body,
// api-sandbox.mispay.dev base without a trailing slash) through a paid
// order with tax, a configurable product and a free-text telephone, an
// order with a coupon discount, and a cancel.
func TestMagentoPluginV12(t *testing.T) {
	rc := simtest.NewReceiver(t, http.StatusOK)
	h := plugStart(t, map[string]any{"callbackUrl": rc.URL + "/mispay/callback"})
	w := plugNewWire(h)
	mg := &plugMagento{w: w, baseURL: h.base(), appID: h.creds.AppID, secret: h.creds.AppSecret,
		now: h.now, lang: "en", orders: map[string]*plugOrder{}}

	// A: 15% VAT, a configurable product (parent row with the price, child
	// row at 0), two of a simple product, a telephone with spaces.
	a, urlA, r := mg.placeOrderV12(plugMGOrder{
		IncrementID: "000000031", Subtotal: "1073.5300", Shipping: "25.0000", Tax: "164.7800",
		GrandTotal: "1263.3100", Telephone: "+966 50 123 4567", Email: "noura@example.sa",
		Items: []plugMGItem{
			{Name: "Abaya \u0639\u0628\u0627\u064a\u0629", Qty: "1.0000", Price: "899.0000"},
			{Name: "Abaya-Black-M", Qty: "1.0000", Price: "0.0000"},
			{Name: "Oud oil 12ml", Qty: "2.0000", Price: "87.2650"},
		},
	})
	if urlA == "" || a.TrackID == "" {
		t.Fatalf("startCheckoutSession (v1.2): no url/trackId: %s", r.detail())
	}
	if v := h.view(a.TrackID); v.PurchaseAmount.String() != "1263.3" || v.OrderID != "000000031" {
		t.Errorf("fake recorded order %q amount %s, want 000000031 / 1263.3 (the purchaseAmount sent)", v.OrderID, v.PurchaseAmount)
	}
	h.openPage(w, urlA)
	h.customer(a.TrackID, "approve")
	cbA := rc.Wait(t, 1)[0]
	if end := mg.callback(a, cbA); a.Status != "processing" || a.TransactionID == "" {
		t.Fatalf("callback: order %+v, want processing with a transactionId; end: %s", a, end.detail())
	}

	// B: a 10% coupon. grand total = 500 + 20 + 72 - 50 = 542; the body
	// says totalPrice 500, shippingAmount 20, vat 72 and no discount.
	b, urlB, r := mg.placeOrderV12(plugMGOrder{
		IncrementID: "000000032", Subtotal: "500.0000", Shipping: "20.0000", Tax: "72.0000",
		GrandTotal: "542.0000", Telephone: "0551234567", Email: "omar@example.sa",
		Items: []plugMGItem{{Name: "Prayer mat", Qty: "1.0000", Price: "500.0000"}},
	})
	if urlB == "" {
		t.Fatalf("startCheckoutSession (v1.2, discount): %s", r.detail())
	}
	h.customer(b.TrackID, "approve")
	mg.cron()
	if b.Status != "processing" {
		t.Errorf("cron: order B is %q, want processing", b.Status)
	}

	// C: Arabic store, canceled on the page.
	mg.lang = "ar"
	cOrder, urlC, r := mg.placeOrderV12(plugMGOrder{
		IncrementID: "000000033", Subtotal: "260.8700", Shipping: "0.0000", Tax: "39.1300",
		GrandTotal: "300.0000", Telephone: "966551234567", Email: "sara@example.sa",
		Items: []plugMGItem{{Name: "\u0642\u0647\u0648\u0629", Qty: "3.0000", Price: "86.9567"}},
	})
	if urlC == "" {
		t.Fatalf("startCheckoutSession (v1.2, ar): %s", r.detail())
	}
	h.customer(cOrder.TrackID, "cancel")
	cbs := rc.Wait(t, 3)
	mg.callback(cOrder, plugCallbackFor(t, mg.secret, cbs, "000000033"))
	if cOrder.Status != "canceled" || cOrder.Message != "CODE_MP02" {
		t.Errorf("cancel callback: order %+v, want canceled CODE_MP02", cOrder)
	}
	if n := w.count(http.MethodGet, "/token"); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
}

// ---------------------------------------------------------------------------
// OpenCart 3: IP-CAM/Mispay-Opencart-Plugin.
//
// API_URL ends in "/" ('token', 'start-checkout', 'track-checkout/' . $id).
// get_access_token wants HTTP 200 and status success, and assumes the token
// lives an hour (reused until 5 minutes before). handle_api_response: a 401
// clears the token and fetches a new one, and the call is retried once;
// otherwise HTTP 200 (or 201 for start-checkout) and status success. The
// start-checkout body is a v1.2 json_encode of strings: totalPrice =
// (string)(float)$order['total'], shippingAmount/vat/discount.amount "0",
// purchaseAmount = (string) of their sum, purchaseCurrency =
// $order['currency_code'], lang 'ar' or 'en', customerDetails {mobileNumber
// (when it matches ^(966|\+966|0)?5\d{8}$, else ""), email}, and items
// {quantity, unitPrice, nameEnglish} straight from the order_product rows,
// where price is a DECIMAL(15,4) column ("500.0000"). It keeps result.trackId
// and redirects to result.url. The callback (index.php?route=
// extension/payment/mispay/callback) reads decrypt(base64_decode($this->
// request->get['_'])) and looks the order up by orderId; the webhook
// (route=.../webhook) reads the JSON body's orderId and code. track_checkout
// treats success/canceled/error as final and pending/in-progress as "poll
// again".

type plugOCOrder struct {
	ID        int
	Total     string // order.total, DECIMAL(15,4)
	Currency  string
	Telephone string
	Email     string
	Products  []plugOCProduct
	StatusID  int // 1 pending, 2 processing (payment_mispay_order_status_id), 7 cancelled, 10 failed
	Meta      map[string]string
}

type plugOCProduct struct {
	Name     string
	Quantity int
	Price    string // order_product.price, DECIMAL(15,4)
}

type plugOpenCart struct {
	w           *plugWire
	apiURL      string
	appID       string
	secret      string
	now         func() time.Time
	language    string // config_language, "en-gb"
	accessToken string
	tokenExpiry int64
	orders      map[int]*plugOCOrder
}

const (
	plugOCPending    = 1
	plugOCProcessing = 2
	plugOCCancelled  = 7
	plugOCFailed     = 10
)

func (c *plugOpenCart) isTokenValid() bool {
	return c.accessToken != "" && c.tokenExpiry != 0 && c.now().Unix() < c.tokenExpiry-300
}

func (c *plugOpenCart) getAccessToken() string {
	if c.isTokenValid() {
		return c.accessToken
	}
	c.accessToken, c.tokenExpiry = "", 0
	r := c.w.send(http.MethodGet, c.apiURL+"token", []string{
		"x-app-id: " + c.appID,
		"x-app-secret: " + c.secret,
		"accept: application/json",
	}, nil)
	if r.status != http.StatusOK {
		c.w.t.Logf("opencart: token: %s", r.detail())
		return ""
	}
	data := plugJSONDecode(r.body)
	if _, ok := data.(map[string]any); !ok || !plugIdentical(plugAt(data, "status"), "success") {
		return ""
	}
	dec := c.decrypt(plugStr(plugAt(data, "result", "token")))
	if plugEmpty(plugAt(dec, "token")) {
		c.w.t.Logf("opencart: failed to decrypt token: %s", r.detail())
		return ""
	}
	c.accessToken = plugStr(plugAt(dec, "token"))
	c.tokenExpiry = c.now().Unix() + 3600
	return c.accessToken
}

func (c *plugOpenCart) ensureValidToken() bool {
	if c.getAccessToken() != "" {
		return true
	}
	c.accessToken, c.tokenExpiry = "", 0
	return c.getAccessToken() != ""
}

// handleAPIResponse returns the decoded body, or nil (false).
func (c *plugOpenCart) handleAPIResponse(r plugResp, op string) any {
	if r.status == http.StatusUnauthorized {
		c.accessToken, c.tokenExpiry = "", 0
		c.getAccessToken() // refresh_token()
		return nil
	}
	ok := r.status == http.StatusOK || (op == "start-checkout" && r.status == http.StatusCreated)
	if !ok {
		c.w.t.Logf("opencart: %s: invalid response code: %s", op, r.detail())
		return nil
	}
	data := plugJSONDecode(r.body)
	if _, isMap := data.(map[string]any); !isMap || !plugIdentical(plugAt(data, "status"), "success") {
		c.w.t.Logf("opencart: %s: invalid response data: %s", op, r.detail())
		return nil
	}
	return data
}

func (c *plugOpenCart) apiHeaders() []string {
	return []string{
		"x-app-id: " + c.appID,
		"Authorization: Bearer " + c.accessToken,
		"Content-Type: application/json",
		"accept: application/json",
	}
}

// startCheckout is start_checkout($orderId): the redirect URL or "".
func (c *plugOpenCart) startCheckout(orderID int) (string, plugResp) {
	if !c.ensureValidToken() {
		return "", plugResp{}
	}
	o := c.orders[orderID]
	items := []any{}
	for _, p := range o.Products {
		items = append(items, plugObj{
			{"quantity", strconv.Itoa(p.Quantity)},
			{"unitPrice", p.Price},
			{"nameEnglish", p.Name},
		})
	}
	totalPrice := plugFloatval(o.Total)
	shipping, vat, discount := 0, 0, 0
	purchase := totalPrice + float64(shipping) + float64(vat) - float64(discount)
	phone := ""
	if plugOCPhone(o.Telephone) {
		phone = o.Telephone
	}
	lang := "en"
	if c.language == "ar" {
		lang = "ar"
	}
	payload := plugJSONEncode(plugObj{
		{"orderId", strconv.Itoa(orderID)},
		{"totalPrice", plugFloatString(totalPrice)},
		{"shippingAmount", strconv.Itoa(shipping)},
		{"invoiceId", strconv.Itoa(orderID)},
		{"vat", strconv.Itoa(vat)},
		{"purchaseAmount", plugFloatString(purchase)},
		{"purchaseCurrency", o.Currency},
		{"discount", plugObj{{"amount", strconv.Itoa(discount)}}},
		{"lang", lang},
		{"version", "v1.2"},
		{"customerDetails", plugObj{{"mobileNumber", phone}, {"email", o.Email}}},
		{"orderDetails", plugObj{{"items", items}}},
	})
	r := c.w.send(http.MethodPost, c.apiURL+"start-checkout", c.apiHeaders(), payload)
	data := c.handleAPIResponse(r, "start-checkout")
	if data == nil {
		r = c.w.send(http.MethodPost, c.apiURL+"start-checkout", c.apiHeaders(), payload)
		data = c.handleAPIResponse(r, "start-checkout")
	}
	if data == nil {
		return "", r
	}
	o.Meta["mispay_track_id"] = plugStr(plugAt(data, "result", "trackId"))
	return strings.ReplaceAll(plugStr(plugAt(data, "result", "url")), `\/`, "/"), r
}

// plugOCPhone is the plugin's phone check: an optional 966, +966 or 0 prefix,
// then 5 and eight digits.
func plugOCPhone(s string) bool {
	for _, p := range []string{"+966", "966", "0", ""} {
		rest, ok := strings.CutPrefix(s, p)
		if !ok || len(rest) != 9 || rest[0] != '5' {
			continue
		}
		if strings.Trim(rest, "0123456789") == "" {
			return true
		}
	}
	return false
}

// trackCheckout is track_checkout($orderId): $data['result'] or nil.
func (c *plugOpenCart) trackCheckout(orderID int) (any, plugResp) {
	if !c.ensureValidToken() {
		return nil, plugResp{}
	}
	trackID := c.orders[orderID].Meta["mispay_track_id"]
	if trackID == "" {
		return nil, plugResp{}
	}
	u := c.apiURL + "track-checkout/" + trackID
	r := c.w.send(http.MethodGet, u, c.apiHeaders(), nil)
	data := c.handleAPIResponse(r, "track-checkout")
	if data == nil {
		r = c.w.send(http.MethodGet, u, c.apiHeaders(), nil)
		if data = c.handleAPIResponse(r, "track-checkout"); data == nil {
			return nil, r
		}
	}
	return plugAt(data, "result"), r
}

// decrypt is the library's decrypt(): false (nil) on any failure.
func (c *plugOpenCart) decrypt(token string) any {
	pt, ok := plugDecrypt(c.secret, token)
	if !ok {
		return nil
	}
	return plugJSONDecode(pt)
}

// plugHTMLSpecialChars is OpenCart's Request::clean() on $_GET values.
var plugHTMLSpecialChars = strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;")

// callback is index.php?route=extension/payment/mispay/callback:
// handleCallback() and the redirect it picks.
func (c *plugOpenCart) callback(req simtest.Received) (result string, orderID int, message string) {
	if plugQuery(req, "route") != "extension/payment/mispay/callback" {
		return "not routed to the plugin", 0, ""
	}
	resp := plugHTMLSpecialChars.Replace(plugQuery(req, "_"))
	if resp == "" {
		return "failed", 0, ""
	}
	inner, _ := plugB64Decode(resp)
	dec := c.decrypt(string(inner))
	id, _ := strconv.Atoi(plugStr(plugAt(dec, "orderId"))) // getOrder((int)$order_id)
	o, ok := c.orders[id]
	if !ok {
		return "failed", 0, "error_invalid_order"
	}
	code := plugAt(dec, "code")
	if code == nil || !plugIdentical(code, "MP00") {
		o.StatusID = plugOCCancelled
		if plugIdentical(code, "MP02") {
			return "failed", id, "error_payment_canceled"
		}
		return "failed", id, "error_payment_timeout"
	}
	o.StatusID = plugOCProcessing
	return "success", id, ""
}

// webhook is index.php?route=extension/payment/mispay/webhook: its answer.
func (c *plugOpenCart) webhook(req simtest.Received) (status int, out string) {
	if plugQuery(req, "route") != "extension/payment/mispay/webhook" {
		return http.StatusNotFound, "not routed to the plugin"
	}
	data := plugJSONDecode(req.Body)
	orderIDv, codeV := plugAt(data, "orderId"), plugAt(data, "code")
	if orderIDv == nil || codeV == nil {
		return http.StatusBadRequest, "Invalid data"
	}
	var id int
	switch x := orderIDv.(type) {
	case string:
		id, _ = strconv.Atoi(x)
	case json.Number:
		n, _ := x.Int64()
		id = int(n)
	}
	o, ok := c.orders[id]
	if !ok {
		return http.StatusNotFound, "Order not found"
	}
	if o.StatusID == plugOCProcessing || o.StatusID == plugOCCancelled || o.StatusID == plugOCFailed {
		return http.StatusOK, "OK" // already final
	}
	switch plugStr(codeV) {
	case "MP00":
		o.StatusID = plugOCProcessing
	case "MP02":
		o.StatusID = plugOCCancelled
	default:
		o.StatusID = plugOCFailed
	}
	return http.StatusOK, "OK"
}

func (c *plugOpenCart) newOrder(id int, products ...plugOCProduct) *plugOCOrder {
	total := 0.0
	for _, p := range products {
		total += plugFloatval(p.Price) * float64(p.Quantity)
	}
	o := &plugOCOrder{ID: id, Total: strconv.FormatFloat(total, 'f', 4, 64), Currency: "SAR",
		Telephone: "0551234567", Email: "buyer@example.sa", Products: products,
		StatusID: plugOCPending, Meta: map[string]string{}}
	c.orders[id] = o
	return o
}

func TestOpenCartPlugin(t *testing.T) {
	site := simtest.NewReceiver(t, http.StatusOK)
	hooks := simtest.NewReceiver(t, http.StatusOK)
	settings := map[string]any{
		"callbackUrl": site.URL + "/index.php?route=extension/payment/mispay/callback",
		"webhookUrl":  hooks.URL + "/index.php?route=extension/payment/mispay/webhook",
	}
	h := plugStart(t, settings)
	w := plugNewWire(h)
	newClient := func(creds misspay.Credentials) *plugOpenCart {
		// The library's sandbox API URL (api-sandbox.mispay.dev/v1/api/) ends in a slash.
		return &plugOpenCart{w: w, apiURL: h.base() + "/", appID: creds.AppID, secret: creds.AppSecret,
			now: h.now, language: "en-gb", orders: map[int]*plugOCOrder{}}
	}
	oc := newClient(h.creds)
	dates := plugOCProduct{Name: "Ajwa dates 1kg / تمر عجوة", Quantity: 2, Price: "500.0000"}
	coffee := plugOCProduct{Name: "Saudi coffee \"Khawlani\"", Quantity: 1, Price: "150.0000"}

	// Order 57: the customer opens the page, pays and comes back.
	oc.newOrder(57, dates, coffee) // total "1150.0000"
	redirect, r := oc.startCheckout(57)
	if redirect == "" {
		t.Fatalf("start_checkout(57) failed: %s", r.detail())
	}
	h.openPage(w, redirect)
	res, r := oc.trackCheckout(57)
	if got := plugStr(plugAt(res, "status")); got != "pending" {
		t.Errorf("track after opening the page: status %q, want pending: %s", got, r.detail())
	}
	track57 := oc.orders[57].Meta["mispay_track_id"]
	if v := h.view(track57); v.PurchaseAmount.String() != "1150" || v.OrderID != "57" {
		t.Errorf("fake recorded order %q amount %s, want 57 / 1150", v.OrderID, v.PurchaseAmount)
	}
	h.customer(track57, "approve")
	cb := site.Wait(t, 1)[0]
	if result, id, msg := oc.callback(cb); result != "success" || id != 57 {
		t.Fatalf("callback: %s order %d %s (query %v)", result, id, msg, cb.Query)
	}
	hook := hooks.Wait(t, 1)[0]
	if st, out := oc.webhook(hook); st != http.StatusOK || out != "OK" {
		t.Errorf("webhook: %d %s, body %s", st, out, hook.Body)
	}
	if res, r := oc.trackCheckout(57); plugStr(plugAt(res, "status")) != "success" {
		t.Errorf("track after payment: %v, want success: %s", res, r.detail())
	}
	if got := oc.orders[57].StatusID; got != plugOCProcessing {
		t.Errorf("order 57 status %d, want %d", got, plugOCProcessing)
	}

	// Order 58: canceled; the webhook comes first this time.
	oc.newOrder(58, coffee)
	if redirect, r := oc.startCheckout(58); redirect == "" {
		t.Fatalf("start_checkout(58) failed: %s", r.detail())
	}
	h.customer(oc.orders[58].Meta["mispay_track_id"], "cancel")
	hook = hooks.Wait(t, 2)[1]
	if st, _ := oc.webhook(hook); st != http.StatusOK || oc.orders[58].StatusID != plugOCCancelled {
		t.Errorf("webhook MP02: %d, order status %d, want 200 and %d; body %s", st, oc.orders[58].StatusID, plugOCCancelled, hook.Body)
	}
	if result, id, msg := oc.callback(site.Wait(t, 2)[1]); result != "failed" || id != 58 || msg != "error_payment_canceled" {
		t.Errorf("callback MP02: %s %d %s", result, id, msg)
	}
	if res, _ := oc.trackCheckout(58); plugStr(plugAt(res, "status")) != "canceled" {
		t.Errorf("track canceled: %v", res)
	}

	// Order 59: nobody finishes; the session times out.
	oc.newOrder(59, dates)
	if redirect, r := oc.startCheckout(59); redirect == "" {
		t.Fatalf("start_checkout(59) failed: %s", r.detail())
	}
	if res, _ := oc.trackCheckout(59); plugStr(plugAt(res, "status")) != "in-progress" {
		t.Errorf("track before the timeout: %v, want in-progress (poll again)", res)
	}
	h.advance(31 * time.Minute)
	hook = hooks.Wait(t, 3)[2]
	if st, _ := oc.webhook(hook); st != http.StatusOK || oc.orders[59].StatusID != plugOCFailed {
		t.Errorf("webhook MP01: %d, order status %d, want 200 and %d; body %s", st, oc.orders[59].StatusID, plugOCFailed, hook.Body)
	}
	if result, id, msg := oc.callback(site.Wait(t, 3)[2]); result != "failed" || id != 59 || msg != "error_payment_timeout" {
		t.Errorf("callback MP01: %s %d %s", result, id, msg)
	}
	if res, _ := oc.trackCheckout(59); plugStr(plugAt(res, "status")) != "canceled" {
		t.Errorf("track after timeout: %v, want canceled", res)
	}
	// The token was reused throughout (its assumed hour is not over).
	if n := w.count(http.MethodGet, "/token"); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}

	// A merchant whose tokens live 10 minutes, not the hour the plugin
	// assumes: the expired token must come back as HTTP 401 so that
	// handle_api_response refreshes it and the retry succeeds.
	short := h.mint(map[string]any{"tokenTtl": "10m"})
	oc2 := newClient(short)
	oc2.newOrder(60, coffee)
	if redirect, r := oc2.startCheckout(60); redirect == "" {
		t.Fatalf("start_checkout(60) failed: %s", r.detail())
	}
	before := w.count(http.MethodGet, "/token")
	h.advance(11 * time.Minute)
	res, r = oc2.trackCheckout(60)
	if plugStr(plugAt(res, "status")) != "in-progress" {
		t.Errorf("track with an expired token: %v, want in-progress after refresh and retry: %s", res, r.detail())
	}
	if n := w.count(http.MethodGet, "/token") - before; n != 1 {
		t.Errorf("token requests after the 401 = %d, want 1", n)
	}
}

// ---------------------------------------------------------------------------
// Community Laravel service (MisPayService.php, Rocket LMS integration).
//
// baseUrl is configured without a trailing slash by default
// ("https://api.mispay.co/sandbox/v1/api") and paths start with "/"; an admin
// may type one, giving "//token". It sends x-app-secret, x-app-id (and, for
// API calls, Authorization and Content-Type) through Laravel's Http client,
// accepts any 2xx, caches the token for the instance, and reads:
// result.token; result.url (and result.id, which MIS Pay does not send);
// GET /checkout/{id} result.status, id, orderId, purchaseAmount,
// purchaseCurrency, createdAt, updatedAt; the same from
// /track-checkout/{id}. Its start-checkout body is {orderId, purchaseAmount
// (the order's decimal column, "250.00"), purchaseCurrency}: no version and
// no lang. PUT /checkout/{id}/end goes out with Laravel's default JSON body
// "[]".

type plugLaravel struct {
	w           *plugWire
	baseURL     string
	appID       string
	secret      string
	accessToken string
}

func (c *plugLaravel) getAccessToken() string {
	if c.accessToken != "" {
		return c.accessToken
	}
	r := c.w.send(http.MethodGet, c.baseURL+"/token", []string{"x-app-secret: " + c.secret, "x-app-id: " + c.appID}, nil)
	if r.status < 200 || r.status > 299 {
		c.w.t.Logf("laravel: token: %s", r.detail())
		return ""
	}
	tok := plugAt(plugJSONDecode(r.body), "result", "token")
	if tok == nil {
		return ""
	}
	pt, _ := plugDecrypt(c.secret, plugStr(tok))
	t := plugAt(plugJSONDecode(pt), "token")
	if t == nil {
		return ""
	}
	c.accessToken = plugStr(t)
	return c.accessToken
}

func (c *plugLaravel) headers() []string {
	return []string{
		"x-app-secret: " + c.secret,
		"x-app-id: " + c.appID,
		"Authorization: Bearer " + c.accessToken,
		"Content-Type: application/json",
	}
}

// createCheckoutSession returns web_url ("" on failure) and the response.
func (c *plugLaravel) createCheckoutSession(payload plugObj) (string, plugResp) {
	if c.getAccessToken() == "" {
		return "", plugResp{}
	}
	r := c.w.send(http.MethodPost, c.baseURL+"/start-checkout", c.headers(), plugJSONEncode(payload))
	if r.status >= 200 && r.status <= 299 {
		if u := plugAt(plugJSONDecode(r.body), "result", "url"); u != nil {
			return plugStr(u), r
		}
	}
	return "", r
}

// get is verifyPayment / trackCheckout: result fields or nil.
func (c *plugLaravel) get(path string) (map[string]any, plugResp) {
	if c.getAccessToken() == "" {
		return nil, plugResp{}
	}
	r := c.w.send(http.MethodGet, c.baseURL+path, c.headers(), nil)
	if r.status < 200 || r.status > 299 {
		return nil, r
	}
	res, _ := plugAt(plugJSONDecode(r.body), "result").(map[string]any)
	return res, r
}

func (c *plugLaravel) endCheckoutSession(checkoutID string) (bool, plugResp) {
	if c.getAccessToken() == "" {
		return false, plugResp{}
	}
	r := c.w.send(http.MethodPut, c.baseURL+"/checkout/"+checkoutID+"/end", c.headers(), []byte("[]"))
	return r.status >= 200 && r.status <= 299, r
}

func TestLaravelCommunityPlugin(t *testing.T) {
	h := plugStart(t, nil)
	w := plugNewWire(h)

	// Both base URL forms an admin may configure reach the API; with a
	// trailing slash the service asks for "...//token", which the platform
	// collapses. simtest's response validator looks operations up by the
	// uncollapsed path and would call that "undocumented", so that probe
	// goes through a plain client.
	raw := &plugWire{t: t, c: &http.Client{Timeout: 30 * time.Second}}
	for _, base := range []string{h.base(), h.base() + "/"} {
		c := &plugLaravel{w: w, baseURL: base, appID: h.creds.AppID, secret: h.creds.AppSecret}
		if strings.HasSuffix(base, "/") {
			c.w = raw
		}
		if c.getAccessToken() == "" {
			t.Fatalf("getAccessToken with baseUrl %q failed", base)
		}
		if res, r := c.get("/track-checkout/00000000-0000-4000-8000-000000000000"); res != nil || r.status < 400 || r.status > 499 {
			t.Errorf("track of an unknown checkout with baseUrl %q: %s, want a 4xx", base, r.detail())
		}
	}

	c := &plugLaravel{w: w, baseURL: h.base(), appID: h.creds.AppID, secret: h.creds.AppSecret}
	asSent := plugObj{{"orderId", "42"}, {"purchaseAmount", "250.00"}, {"purchaseCurrency", "SAR"}}
	webURL, r := c.createCheckoutSession(asSent)
	var data any
	switch {
	case webURL != "":
		data = plugJSONDecode(r.body) // the fake accepts the body as sent
	case r.status == http.StatusBadRequest && bytes.Contains(r.body, []byte("ME97")):
		// The service omits "version", which MIS Pay documents as mandatory;
		// the fake refuses it as the documentation says. Go on with the
		// smallest fix, to exercise the service's reading code.
		t.Logf("the Laravel service's start-checkout body has no version and is refused: %s", r.detail())
		fixed := append(plugObj{{"version", "v1.1"}}, asSent...)
		if webURL, r = c.createCheckoutSession(fixed); webURL == "" {
			t.Fatalf("start-checkout with version v1.1 added: %s", r.detail())
		}
		data = plugJSONDecode(r.body)
	default:
		t.Fatalf("start-checkout as the Laravel service sends it: %s, want 201 or a 400 ME97", r.detail())
	}
	trackID := plugStr(plugAt(data, "result", "trackId"))
	if plugAt(data, "result", "id") != nil {
		t.Logf("result.id is present: %v", plugAt(data, "result", "id"))
	}

	tr, r := c.get("/track-checkout/" + trackID)
	if tr == nil || tr["status"] != "in-progress" || tr["orderId"] != "42" || tr["purchaseCurrency"] != "SAR" {
		t.Fatalf("trackCheckout: %v: %s", tr, r.detail())
	}
	if amt, ok := tr["purchaseAmount"].(json.Number); !ok || amt.String() != "250" {
		t.Errorf("track purchaseAmount = %#v, want 250", tr["purchaseAmount"])
	}

	res := h.customer(trackID, "approve")
	if res.CheckoutID == nil {
		t.Fatalf("approve gave no checkoutId: %+v", res)
	}
	checkoutID := *res.CheckoutID
	tr, _ = c.get("/track-checkout/" + trackID)
	if tr == nil || tr["status"] != "success" || tr["checkoutId"] != checkoutID {
		t.Errorf("trackCheckout after approval: %v, want success with checkoutId %s", tr, checkoutID)
	}

	// verifyPayment(checkoutId): GET /checkout/{id}.
	vp, r := c.get("/checkout/" + checkoutID)
	if vp == nil {
		t.Fatalf("verifyPayment: %s", r.detail())
	}
	if vp["status"] != "success" || vp["id"] != checkoutID || vp["orderId"] != "42" || vp["purchaseCurrency"] != "SAR" {
		t.Errorf("verifyPayment result = %v", vp)
	}
	for _, k := range []string{"purchaseAmount", "createdAt", "updatedAt"} {
		if plugEmpty(vp[k]) {
			t.Errorf("verifyPayment: result.%s is missing or empty in %v", k, vp)
		}
	}
	if ok, r := c.endCheckoutSession(checkoutID); !ok {
		t.Errorf("endCheckoutSession with body []: %s", r.detail())
	}
	if v := h.view(trackID); v.TransactionID == "" {
		t.Errorf("after end the fake shows no transactionId: %+v", v)
	}
	if n := w.count(http.MethodGet, "/token") + raw.count(http.MethodGet, "/token"); n != 3 {
		t.Errorf("token requests = %d, want 3 (one per service instance)", n)
	}
}
