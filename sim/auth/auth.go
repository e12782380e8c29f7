// Package auth holds the credential handling every provider fake shares:
// reading a Bearer header, comparing secrets in constant time, minting
// unguessable tokens and keeping issued tokens that expire on a virtual
// clock.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/paysandbox/paysandbox/sim/clock"
)

// Bearer returns the token of an Authorization header value such as
// "Bearer abc". The scheme is case-insensitive (RFC 9110, section 11.1) and
// may be followed by more than one space. ok is false when the header is
// empty, names another scheme, or carries no token.
func Bearer(header string) (token string, ok bool) {
	scheme, rest, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(rest)
	return token, token != ""
}

// Equal reports whether a presented secret equals the expected one, in
// time that does not depend on where they differ.
func Equal(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// Token returns n bytes from crypto/rand as lower-case hex: a secret
// nobody can guess from ids, seeds or other tokens.
func Token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// TokenFrom returns n bytes of r as lower-case hex: Token from a given
// source (sim.Deps.Secrets, which is crypto/rand unless the simulator runs
// with insecure deterministic secrets).
func TokenFrom(r io.Reader, n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		panic("auth: the secret source failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// UUIDFrom returns a version 4 UUID made of r's bytes: an id nobody can
// guess, for links that need no credentials (a hosted payment page).
func UUIDFrom(r io.Reader) string {
	b := make([]byte, 16)
	if _, err := io.ReadFull(r, b); err != nil {
		panic("auth: the secret source failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Random is the source of secret randomness (crypto/rand), for keys a
// provider generates itself (an RSA signing key, a webhook secret). It is
// the only one under sim/ and sims/: everything else comes from seeded
// generators so runs repeat.
func Random() io.Reader { return rand.Reader }

// Lookup errors.
var (
	// ErrUnknown: the token was never issued, was revoked, or was purged
	// long after it expired.
	ErrUnknown = errors.New("auth: unknown token")
	// ErrExpired: the token was issued but its lifetime has passed.
	ErrExpired = errors.New("auth: token expired")
)

// Store keeps issued tokens and the value each stands for (usually the
// merchant, or an ECR/terminal pairing). Tokens expire on the clock of
// their value, so advancing one merchant's clock expires only that
// merchant's tokens. Expired tokens are remembered for a while (so a client
// can be told "expired" rather than "unknown") and then purged, which keeps
// memory bounded. The zero value is not usable; create one with NewStore.
type Store[V any] struct {
	clockOf func(V) clock.Clock

	mu     sync.Mutex
	tokens map[string]entry[V]
	// queue holds every token once (as of its latest Put), for the sweep:
	// each Put looks at the sweepPerPut oldest, forgets those expired for
	// longer than Grace and sends the others to the back. A Put's cost
	// stays the same however many tokens other merchants hold, and every
	// token is looked at once per turn of the queue, so the store holds at
	// most about twice its live and recently expired tokens.
	queue []queued
	seq   uint64
}

type entry[V any] struct {
	v       V
	expires time.Time
	seq     uint64 // of the Put that stored it, to tell its queue place
}

type queued struct {
	token string
	seq   uint64
}

// sweepPerPut is how many queued tokens each Put looks at.
const sweepPerPut = 2

// Grace is how long an expired token is still recognised as expired
// before it is forgotten.
const Grace = 24 * time.Hour

// NewStore returns an empty store. clockOf gives the clock a value's
// tokens are measured against.
func NewStore[V any](clockOf func(V) clock.Clock) *Store[V] {
	return &Store[V]{clockOf: clockOf, tokens: map[string]entry[V]{}}
}

// Issue mints a random token for v that lives for ttl.
func (s *Store[V]) Issue(v V, ttl time.Duration) (token string, expires time.Time) {
	token = Token(24)
	return token, s.Put(token, v, ttl)
}

// Put stores a token the caller made (a JWT, a provider-shaped key) for v,
// living for ttl, and returns when it expires. A ttl of zero or less means
// it never expires.
func (s *Store[V]) Put(token string, v V, ttl time.Duration) time.Time {
	var exp time.Time
	if ttl > 0 {
		exp = s.clockOf(v).Now().Add(ttl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.tokens[token] = entry[V]{v: v, expires: exp, seq: s.seq}
	s.queue = append(s.queue, queued{token, s.seq})
	s.sweepLocked(sweepPerPut)
	return exp
}

// sweepLocked looks at the n oldest queued tokens: it forgets those that
// expired more than Grace ago and sends the others to the back.
func (s *Store[V]) sweepLocked(n int) {
	for ; n > 0 && len(s.queue) > 0; n-- {
		q := s.queue[0]
		s.queue[0] = queued{}
		s.queue = s.queue[1:]
		e, ok := s.tokens[q.token]
		if !ok || e.seq != q.seq {
			continue // revoked, or queued again by a later Put
		}
		if !e.expires.IsZero() && s.clockOf(e.v).Now().After(e.expires.Add(Grace)) {
			delete(s.tokens, q.token)
			continue
		}
		s.queue = append(s.queue, q)
	}
}

// Lookup returns the value a live token stands for, ErrExpired for a token
// whose lifetime has passed, or ErrUnknown.
func (s *Store[V]) Lookup(token string) (V, error) {
	s.mu.Lock()
	e, ok := s.tokens[token]
	s.mu.Unlock()
	var zero V
	if !ok || token == "" {
		return zero, ErrUnknown
	}
	if !e.expires.IsZero() && !s.clockOf(e.v).Now().Before(e.expires) {
		return zero, ErrExpired
	}
	return e.v, nil
}

// Expires returns when a token expires (zero for never, false if unknown).
func (s *Store[V]) Expires(token string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.tokens[token]
	return e.expires, ok
}

// Revoke forgets a token.
func (s *Store[V]) Revoke(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

// RevokeIf forgets every token whose value matches, e.g. all tokens of a
// merchant being deleted.
func (s *Store[V]) RevokeIf(match func(V) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, e := range s.tokens {
		if match(e.v) {
			delete(s.tokens, tok)
		}
	}
}

// Reset forgets every token.
func (s *Store[V]) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
	s.queue = nil
}

// Len is the number of tokens held, live or recently expired.
func (s *Store[V]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens)
}
