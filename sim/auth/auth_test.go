package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/stretchr/testify/require"
)

func TestBearer(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER abc", "abc", true},
		{"Bearer   abc  ", "abc", true},
		{"  Bearer abc", "abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Basic abc", "", false},
		{"abc", "", false},
		{"", "", false},
		{"Bearerabc", "", false},
	} {
		got, ok := auth.Bearer(tc.in)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("Bearer(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestEqual(t *testing.T) {
	require.True(t, auth.Equal("s3cret", "s3cret"))
	require.False(t, auth.Equal("s3cret", "s3cre"))
	require.False(t, auth.Equal("", "x"))
}

func TestTokenIsRandom(t *testing.T) {
	a, b := auth.Token(16), auth.Token(16)
	require.Len(t, a, 32)
	require.NotEqual(t, a, b)
}

type owner struct {
	name string
	clk  clock.Clock
}

func TestStoreExpiresOnOwnersClock(t *testing.T) {
	c1 := clock.New(clock.Options{Frozen: true})
	c2 := clock.New(clock.Options{Frozen: true})
	s := auth.NewStore(func(o *owner) clock.Clock { return o.clk })
	a, b := &owner{"a", c1}, &owner{"b", c2}
	ta, expA := s.Issue(a, time.Hour)
	tb, _ := s.Issue(b, time.Hour)
	require.Equal(t, c1.Now().Add(time.Hour), expA)

	got, err := s.Lookup(ta)
	require.NoError(t, err)
	require.Equal(t, a, got)

	_, err = c1.Advance(time.Hour)
	require.NoError(t, err)
	_, err = s.Lookup(ta)
	require.True(t, errors.Is(err, auth.ErrExpired), "got %v", err)
	// b's clock did not move.
	_, err = s.Lookup(tb)
	require.NoError(t, err)

	_, err = s.Lookup("nope")
	require.ErrorIs(t, err, auth.ErrUnknown)
	_, err = s.Lookup("")
	require.ErrorIs(t, err, auth.ErrUnknown)

	s.Revoke(tb)
	_, err = s.Lookup(tb)
	require.ErrorIs(t, err, auth.ErrUnknown)
}

func TestStorePutRevokeIfReset(t *testing.T) {
	c := clock.New(clock.Options{Frozen: true})
	s := auth.NewStore(func(*owner) clock.Clock { return c })
	a, b := &owner{name: "a"}, &owner{name: "b"}
	exp := s.Put("jwt-a", a, 0)
	require.True(t, exp.IsZero())
	s.Put("jwt-b", b, time.Minute)
	s.RevokeIf(func(o *owner) bool { return o == a })
	_, err := s.Lookup("jwt-a")
	require.ErrorIs(t, err, auth.ErrUnknown)
	_, err = s.Lookup("jwt-b")
	require.NoError(t, err)
	s.Reset()
	require.Zero(t, s.Len())
}

// Expired tokens are purged after the grace period, so a store that keeps
// issuing short-lived tokens does not grow without bound.
func TestStoreStaysBounded(t *testing.T) {
	c := clock.New(clock.Options{Frozen: true})
	s := auth.NewStore(func(*owner) clock.Clock { return c })
	o := &owner{}
	for range 10_000 {
		s.Issue(o, time.Second)
		_, _ = c.Advance(time.Hour)
	}
	require.Less(t, s.Len(), 200)
}

// A Put looks at a fixed number of other tokens, however many the store
// holds: one merchant's login never pays for a sweep of every merchant's
// expired tokens.
func TestStorePutCostIsBounded(t *testing.T) {
	c := clock.New(clock.Options{Frozen: true})
	looked := 0
	s := auth.NewStore(func(*owner) clock.Clock { looked++; return c })
	o := &owner{}
	for range 5000 {
		s.Issue(o, time.Minute)
	}
	_, _ = c.Advance(48 * time.Hour) // every token is past its grace
	most := 0
	for range 5000 {
		looked = 0
		s.Issue(o, time.Minute)
		most = max(most, looked)
	}
	require.LessOrEqual(t, most, 3, "clock lookups in one Put")
	require.Less(t, s.Len(), 5100, "the expired tokens are gone once the queue has turned")
}
