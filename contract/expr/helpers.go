package expr

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/brianvoe/gofakeit/v6"
)

// Options configure the helpers of one scenario run.
type Options struct {
	// Seed makes uuid() and fake data reproducible.
	Seed int64
	// Now is the target's time: the virtual clock on a fake target.
	Now func() time.Time
	// Extra are the providers' own helpers (their wire crypto and
	// signatures), from the provider registry; they may not shadow a
	// built-in helper.
	Extra map[string]any
}

// Helpers returns the helper functions and the seeded faker, keyed by the
// names scenarios use. Each call returns fresh state, so scenario runs do
// not share random streams.
func Helpers(o Options) Env {
	fake := gofakeit.New(o.Seed)
	var mu sync.Mutex // gofakeit.Faker is not safe for concurrent use
	now := o.Now
	if now == nil {
		now = time.Now
	}
	env := Env{
		"fake": fake,
		"uuid": func() string { mu.Lock(); defer mu.Unlock(); return fake.UUID() },
		"now":  func() time.Time { return now().UTC() },
		"rfc3339": func(t time.Time) string {
			return t.UTC().Format(time.RFC3339)
		},
		"base64":        func(s any) string { return base64.StdEncoding.EncodeToString([]byte(Stringify(s))) },
		"base64url":     func(s any) string { return base64.RawURLEncoding.EncodeToString([]byte(Stringify(s))) },
		"unbase64":      unbase64,
		"sha256":        func(s any) string { h := sha256.Sum256([]byte(Stringify(s))); return hex.EncodeToString(h[:]) },
		"hmacSHA256":    func(key, msg any) string { return hex.EncodeToString(hmacSum(key, msg)) },
		"hmacSHA256B64": func(key, msg any) string { return base64.StdEncoding.EncodeToString(hmacSum(key, msg)) },
		"json":          func(v any) (string, error) { b, err := marshalJSON(v); return string(b), err },
		"parseJSON":     parseJSON,
		"queryParam":    queryParam,
		"jwtClaims":     jwtClaims,
	}
	for name, fn := range o.Extra {
		if _, builtin := env[name]; !builtin {
			env[name] = fn
		}
	}
	return env
}

// HelperNames lists the helper names, built-in and extra, for
// documentation and for checking that a scenario variable does not shadow
// one.
func HelperNames(extra map[string]any) []string { return Helpers(Options{Extra: extra}).Names() }

func hmacSum(key, msg any) []byte {
	m := hmac.New(sha256.New, []byte(Stringify(key)))
	m.Write([]byte(Stringify(msg)))
	return m.Sum(nil)
}

func unbase64(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return string(b), nil
		}
	}
	return "", fmt.Errorf("unbase64: %q is not base64", short(s))
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// marshalJSON encodes v without HTML escaping.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func parseJSON(s string) (any, error) {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("parseJSON: %v", err)
	}
	return v, nil
}

// queryParam returns the named query parameter of a URL ("" if absent).
func queryParam(raw, name string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("queryParam: %v", err)
	}
	return u.Query().Get(name), nil
}

// jwtClaims decodes a JWT's claims without checking its signature, as
// clients do to read exp.
func jwtClaims(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("jwtClaims: not a JWT (want 3 dot-separated parts, got %d)", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("jwtClaims: payload: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("jwtClaims: payload: %v", err)
	}
	return c, nil
}
