package misspay_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

// factory mounts the MIS Pay fake alone.
var factory = sim.Factory{Name: misspay.Name, New: func(d sim.Deps) sim.Provider { return misspay.New(d) }}

// newServer starts the fake with a frozen clock at simtest.Start; every
// response is validated against openapi.yaml.
func newServer(tb testing.TB) *simtest.Server {
	tb.Helper()
	return simtest.New(tb, factory)
}

// fixture is the fixture merchant as documented in doc.go.
var fixture = misspay.Credentials{AppID: "mispay-sandbox-app", AppSecret: "mispay-sandbox-secret"}

// Wire-level patterns of the identifiers the fake hands out.
var (
	objectIDRe = regexp.MustCompile(`^[0-9a-f]{24}$`)
	uuidRe     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	exception  = regexp.MustCompile(`^"ExceptionType\.ME\d\d"$`)
)

// ---------------------------------------------------------------------------
// Independent implementation of MIS Pay's message encryption, written from
// RFC 8018 and the providers.md notes, so that the tests never trust the
// fake's own seal package.

// pbkdf2SHA256 is PBKDF2 (RFC 8018, section 5.2) with HMAC-SHA256 as PRF.
func pbkdf2SHA256(password, salt []byte, iterations, keyLen int) []byte {
	prf := hmac.New(sha256.New, password)
	hLen := prf.Size()
	blocks := (keyLen + hLen - 1) / hLen
	dk := make([]byte, 0, blocks*hLen)
	var u []byte
	for i := 1; i <= blocks; i++ {
		// U_1 = PRF(P, S || INT(i))
		prf.Reset()
		prf.Write(salt)
		var be [4]byte
		binary.BigEndian.PutUint32(be[:], uint32(i))
		prf.Write(be[:])
		u = prf.Sum(u[:0])
		t := append([]byte(nil), u...)
		// U_c = PRF(P, U_{c-1}); T_i = U_1 xor ... xor U_c
		for c := 2; c <= iterations; c++ {
			prf.Reset()
			prf.Write(u)
			u = prf.Sum(u[:0])
			for j := range t {
				t[j] ^= u[j]
			}
		}
		dk = append(dk, t...)
	}
	return dk[:keyLen]
}

// Parameters of the scheme (providers.md, section 1).
const (
	saltLen    = 16
	nonceLen   = 12
	tagLen     = 16
	iterations = 40000
	keyLen     = 32
)

// keyCache holds derived keys per (secret, salt): the fake keeps one salt per
// merchant, and seeded servers repeat salts, so tests derive each key once.
var keyCache sync.Map // string(secret)+"\x00"+string(salt) -> cipher.AEAD

func aeadFor(secret string, salt []byte, cache bool) (cipher.AEAD, error) {
	k := secret + "\x00" + string(salt)
	if cache {
		if a, ok := keyCache.Load(k); ok {
			return a.(cipher.AEAD), nil
		}
	}
	block, err := aes.NewCipher(pbkdf2SHA256([]byte(secret), salt, iterations, keyLen))
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if cache {
		keyCache.Store(k, a)
	}
	return a, nil
}

// openBlob decrypts base64(salt16 || nonce12 || ciphertext || tag16) with
// AES-256-GCM under PBKDF2-HMAC-SHA256(secret, salt, 40000, 32), no AAD.
func openBlob(secret, blob string) ([]byte, error) { return open(secret, blob, true) }

func open(secret, blob string, cache bool) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(blob)
	if err != nil {
		return nil, fmt.Errorf("blob is not standard base64: %w", err)
	}
	if len(raw) < saltLen+nonceLen+tagLen {
		return nil, fmt.Errorf("blob is %d bytes, shorter than salt+nonce+tag", len(raw))
	}
	a, err := aeadFor(secret, raw[:saltLen], cache)
	if err != nil {
		return nil, err
	}
	return a.Open(nil, raw[saltLen:saltLen+nonceLen], raw[saltLen+nonceLen:], nil)
}

// mustOpen is openBlob for tests.
func mustOpen(tb testing.TB, secret, blob string) []byte {
	tb.Helper()
	pt, err := openBlob(secret, blob)
	if err != nil {
		tb.Fatalf("decrypt %q with the merchant secret: %v", blob, err)
	}
	return pt
}

// ---------------------------------------------------------------------------
// Tokens.

// tokenPlain is what result.token decrypts to.
type tokenPlain struct {
	Token      string `json:"token"`
	Expiration string `json:"expiration"`
}

// jwtClaims are the claims the tests read from the fake's JWT.
type jwtClaims struct {
	AppID      string `json:"appId"`
	MerchantID string `json:"merchantId"`
	Iss        string `json:"iss"`
	Sub        string `json:"sub"`
	Iat        int64  `json:"iat"`
	Exp        int64  `json:"exp"`
	Jti        string `json:"jti"`
}

// decodeJWT splits a compact JWS and decodes its header and payload
// (base64url without padding), without checking the signature.
func decodeJWT(tb testing.TB, tok string) (header map[string]any, claims jwtClaims) {
	tb.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		tb.Fatalf("JWT %q has %d parts, want 3", tok, len(parts))
	}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		tb.Fatalf("JWT header: %v", err)
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		tb.Fatalf("JWT payload: %v", err)
	}
	if err := json.Unmarshal(h, &header); err != nil {
		tb.Fatalf("JWT header: %v", err)
	}
	if err := json.Unmarshal(p, &claims); err != nil {
		tb.Fatalf("JWT payload: %v", err)
	}
	return header, claims
}

// signHS256 builds a compact HS256 JWT of payload with key.
func signHS256(payload []byte, key []byte) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// tokenHeaders are the headers of GET /token.
func tokenHeaders(appID, secret string) http.Header {
	h := http.Header{}
	if appID != "" {
		h.Set("x-app-id", appID)
	}
	if secret != "" {
		h.Set("x-app-secret", secret)
	}
	return h
}

// fetchToken calls GET /token and decrypts result.token.
func fetchToken(tb testing.TB, s *simtest.Server, appID, secret string) (blob string, pt tokenPlain) {
	tb.Helper()
	resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tokenHeaders(appID, secret)})
	if resp.Status != http.StatusOK {
		tb.Fatalf("GET /token = %d, want 200\n%s", resp.Status, resp.Body)
	}
	var body struct {
		Status string `json:"status"`
		Result struct {
			Token string `json:"token"`
		} `json:"result"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		tb.Fatalf("GET /token: %v\n%s", err, resp.Body)
	}
	plain := mustOpen(tb, secret, body.Result.Token)
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pt); err != nil {
		tb.Fatalf("token plaintext %s: %v", plain, err)
	}
	return body.Result.Token, pt
}

// ---------------------------------------------------------------------------
// Merchants.

// client is a merchant logged in to the fake.
type client struct {
	s     *simtest.Server
	creds misspay.Credentials
	jwt   string
}

// login fetches a token for creds.
func login(tb testing.TB, s *simtest.Server, creds misspay.Credentials) *client {
	tb.Helper()
	_, pt := fetchToken(tb, s, creds.AppID, creds.AppSecret)
	return &client{s: s, creds: creds, jwt: pt.Token}
}

// For returns c reporting to tb (a subtest sharing the server).
func (c *client) For(tb testing.TB) *client {
	v := *c
	v.s = c.s.With(tb)
	return &v
}

func (c *client) headers() http.Header {
	return http.Header{"Authorization": {"Bearer " + c.jwt}, "X-App-Id": {c.creds.AppID}}
}

// do calls the MIS Pay API (path relative to the provider base) with the
// merchant's bearer token and app id.
func (c *client) do(method, path string, body any) simtest.Response {
	return c.s.Do(simtest.Request{Method: method, Path: "/misspay" + path, Header: c.headers(), Body: body})
}

// mint creates an isolated merchant with settings.
func mint(tb testing.TB, s *simtest.Server, settings any) misspay.Credentials {
	tb.Helper()
	var creds misspay.Credentials
	if settings == nil {
		settings = map[string]any{}
	}
	s.With(tb).Control(http.MethodPost, "/_sim/misspay/merchants", settings, http.StatusCreated, &creds)
	return creds
}

// ---------------------------------------------------------------------------
// Request bodies.

// loadJSON reads testdata/name into a fresh generic value.
func loadJSON(tb testing.TB, name string) map[string]any {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return v
}

// v12Body is the documentation's sample start-checkout body (adjusted so
// 215 + 0 + 15 - 30 = 200 holds).
func v12Body(tb testing.TB) map[string]any { return loadJSON(tb, "start-checkout-v1.2.json") }

// v11Body is the short body the WooCommerce and Magento plugins send.
func v11Body(tb testing.TB) map[string]any { return loadJSON(tb, "start-checkout-v1.1.json") }

// refundBody is the documentation's sample refund body for a purchase.
func refundBody(tb testing.TB, checkoutID, orderID, total, amount string) map[string]any {
	b := loadJSON(tb, "refund.json")
	b["purchaseId"], b["orderId"], b["totalAmount"], b["amount"] = checkoutID, orderID, total, amount
	delete(b, "merchantRefundId")
	return b
}

// walk follows a dotted path ("customerDetails.mobileNumber",
// "orderDetails.items.0.quantity") to the container holding its last step.
func walk(tb testing.TB, v any, path string) (parent any, last string) {
	tb.Helper()
	steps := strings.Split(path, ".")
	for _, st := range steps[:len(steps)-1] {
		switch x := v.(type) {
		case map[string]any:
			v = x[st]
		case []any:
			i, err := strconv.Atoi(st)
			if err != nil || i >= len(x) {
				tb.Fatalf("path %q: bad index %q", path, st)
			}
			v = x[i]
		default:
			tb.Fatalf("path %q: %q is not a container", path, st)
		}
	}
	return v, steps[len(steps)-1]
}

// set assigns value at path in body and returns body.
func set(tb testing.TB, body map[string]any, path string, value any) map[string]any {
	tb.Helper()
	parent, last := walk(tb, body, path)
	switch x := parent.(type) {
	case map[string]any:
		x[last] = value
	case []any:
		i, _ := strconv.Atoi(last)
		x[i] = value
	default:
		tb.Fatalf("set %q: no container", path)
	}
	return body
}

// del removes the field at path from body and returns body.
func del(tb testing.TB, body map[string]any, path string) map[string]any {
	tb.Helper()
	parent, last := walk(tb, body, path)
	m, ok := parent.(map[string]any)
	if !ok {
		tb.Fatalf("del %q: parent is not an object", path)
	}
	delete(m, last)
	return body
}

// ---------------------------------------------------------------------------
// Checkouts.

type startResult struct {
	URL     string `json:"url"`
	TrackID string `json:"trackId"`
}

// start calls POST /start-checkout and wants 201.
func (c *client) start(tb testing.TB, body any) startResult {
	tb.Helper()
	resp := c.do(http.MethodPost, "/start-checkout", body)
	if resp.Status != http.StatusCreated {
		tb.Fatalf("POST /start-checkout = %d, want 201\n%s\n%s", resp.Status, resp.Header.Get(misspay.DetailHeader), resp.Body)
	}
	var out struct {
		Status string      `json:"status"`
		Result startResult `json:"result"`
	}
	decode(tb, resp, &out)
	if out.Status != "success" {
		tb.Fatalf("status = %q, want success", out.Status)
	}
	return out.Result
}

// startV12 starts a checkout with the sample body.
func (c *client) startV12(tb testing.TB) startResult {
	tb.Helper()
	return c.start(tb, v12Body(tb))
}

// trackResult is result of GET /track-checkout.
type trackResult struct {
	CheckoutID       *string `json:"checkoutId"`
	OrderID          string  `json:"orderId"`
	PurchaseAmount   float64 `json:"purchaseAmount"`
	PurchaseCurrency string  `json:"purchaseCurrency"`
	Status           string  `json:"status"`
}

// track calls GET /track-checkout/{trackId} and wants 200.
func (c *client) track(tb testing.TB, trackID string) trackResult {
	tb.Helper()
	resp := c.do(http.MethodGet, "/track-checkout/"+trackID, nil)
	if resp.Status != http.StatusOK {
		tb.Fatalf("GET /track-checkout/%s = %d, want 200\n%s", trackID, resp.Status, resp.Body)
	}
	var out struct {
		Result trackResult `json:"result"`
	}
	decode(tb, resp, &out)
	return out.Result
}

// act performs a control action on a checkout and wants 200.
func act(tb testing.TB, s *simtest.Server, trackID, action string) misspay.ActionResult {
	tb.Helper()
	var res misspay.ActionResult
	s.With(tb).Control(http.MethodPost, "/_sim/misspay/checkouts/"+trackID+"/"+action, nil, http.StatusOK, &res)
	return res
}

// approved starts the sample checkout and approves it; it returns the
// track and checkout ids.
func (c *client) approved(tb testing.TB) (trackID, checkoutID string) {
	tb.Helper()
	st := c.startV12(tb)
	res := act(tb, c.s, st.TrackID, "approve")
	if res.CheckoutID == nil {
		tb.Fatalf("approve: no checkoutId in %+v", res)
	}
	return st.TrackID, *res.CheckoutID
}

func decode(tb testing.TB, resp simtest.Response, v any) {
	tb.Helper()
	if err := json.Unmarshal(resp.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", resp.Body, err)
	}
}

// ---------------------------------------------------------------------------
// Envelopes.

// wantBody checks the status and the exact body bytes (without the
// trailing newline) and returns the X-Paysandbox-Detail header.
func wantBody(tb testing.TB, resp simtest.Response, status int, body string) string {
	tb.Helper()
	if resp.Status != status {
		tb.Errorf("status = %d, want %d", resp.Status, status)
	}
	if got := string(bytes.TrimRight(resp.Body, "\n")); got != body {
		tb.Errorf("body = %s\nwant   %s", got, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("Content-Type = %q, want application/json", ct)
	}
	return resp.Header.Get(misspay.DetailHeader)
}

// wantTokenError wants {"status":"error : 400","result":"ExceptionType.<code>"}.
func wantTokenError(tb testing.TB, resp simtest.Response, code string) string {
	tb.Helper()
	return wantBody(tb, resp, http.StatusBadRequest, `{"status":"error : 400","result":"ExceptionType.`+code+`"}`)
}

// wantServiceError wants {"status":"error :: 400","result":"ExceptionType.<code>"}
// with an explanation in X-Paysandbox-Detail, and returns it.
func wantServiceError(tb testing.TB, resp simtest.Response, code string) string {
	tb.Helper()
	d := wantBody(tb, resp, http.StatusBadRequest, `{"status":"error :: 400","result":"ExceptionType.`+code+`"}`)
	if d == "" {
		tb.Errorf("%s: no %s header", code, misspay.DetailHeader)
	}
	return d
}

// wantCodedError wants {"status":"error","result":{"code":<status>,"message":"<msg>"}}.
func wantCodedError(tb testing.TB, resp simtest.Response, status int, msg string) string {
	tb.Helper()
	return wantBody(tb, resp, status, fmt.Sprintf(`{"status":"error","result":{"code":%d,"message":%q}}`, status, msg))
}

// envelopeOK reports whether body is one of MIS Pay's four envelopes.
func envelopeOK(body []byte) error {
	var env struct {
		Status *string         `json:"status"`
		Result json.RawMessage `json:"result"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return fmt.Errorf("not an envelope: %w", err)
	}
	if env.Status == nil || env.Result == nil {
		return errors.New("status or result missing")
	}
	switch *env.Status {
	case "success":
		if !bytes.HasPrefix(env.Result, []byte("{")) {
			return errors.New("success result is not an object")
		}
	case "error : 400", "error :: 400":
		if !exception.Match(env.Result) {
			return fmt.Errorf("result %s is not ExceptionType.MEnn", env.Result)
		}
	case "error":
		var coded struct {
			Code    *int    `json:"code"`
			Message *string `json:"message"`
		}
		d := json.NewDecoder(bytes.NewReader(env.Result))
		d.DisallowUnknownFields()
		if err := d.Decode(&coded); err != nil || coded.Code == nil || coded.Message == nil {
			return fmt.Errorf("coded result %s: want {code, message}", env.Result)
		}
	default:
		return fmt.Errorf("unknown status %q", *env.Status)
	}
	return nil
}

// clockNow reads the virtual clock through the control plane.
func clockNow(tb testing.TB, s *simtest.Server) time.Time {
	tb.Helper()
	var c struct {
		Now time.Time `json:"now"`
	}
	s.With(tb).Control(http.MethodGet, "/_sim/clock", nil, http.StatusOK, &c)
	return c.Now
}

// setMerchant changes a merchant's settings through the control plane.
func setMerchant(tb testing.TB, s *simtest.Server, appID string, settings any) misspay.Credentials {
	tb.Helper()
	var creds misspay.Credentials
	s.With(tb).Control(http.MethodPut, "/_sim/misspay/merchants/"+appID, settings, http.StatusOK, &creds)
	return creds
}
