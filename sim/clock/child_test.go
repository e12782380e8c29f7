package clock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func TestChildAdvanceFiresOnlyItsTimers(t *testing.T) {
	p := clock.New(clock.Options{Start: t0, Frozen: true})
	a, b := p.NewChild(), p.NewChild()
	var mu sync.Mutex
	var fired []string
	note := func(s string) func() {
		return func() { mu.Lock(); fired = append(fired, s); mu.Unlock() }
	}
	a.AfterFunc(10*time.Minute, note("a10"))
	a.AfterFunc(5*time.Minute, note("a5"))
	b.AfterFunc(5*time.Minute, note("b5"))

	now, err := a.Advance(7 * time.Minute)
	require.NoError(t, err)
	require.Equal(t, t0.Add(7*time.Minute), now)
	require.Equal(t, []string{"a5"}, fired)
	require.Equal(t, t0, p.Now(), "the parent did not move")
	require.Equal(t, t0, b.Now(), "the other child did not move")

	// Moving the parent moves every child.
	_, err = p.Advance(5 * time.Minute)
	require.NoError(t, err)
	require.Equal(t, []string{"a5", "a10", "b5"}, fired)
	require.Equal(t, t0.Add(12*time.Minute), a.Now())
	require.Equal(t, t0.Add(5*time.Minute), b.Now())
}

func TestChildTimerSeesItsDeadline(t *testing.T) {
	p := clock.New(clock.Options{Start: t0, Frozen: true})
	c := p.NewChild()
	_, _ = c.Advance(time.Hour)
	var at []time.Time
	c.AfterFunc(time.Minute, func() { at = append(at, c.Now()) })
	c.AfterFunc(3*time.Minute, func() { at = append(at, c.Now()) })
	_, _ = c.Set(t0.Add(2 * time.Hour))
	require.Equal(t, []time.Time{t0.Add(61 * time.Minute), t0.Add(63 * time.Minute)}, at)
	_, err := c.Set(t0)
	require.ErrorIs(t, err, clock.ErrBackwards)
	_, err = c.Advance(-time.Second)
	require.ErrorIs(t, err, clock.ErrBackwards)
}

func TestChildStopAndTimerStop(t *testing.T) {
	p := clock.New(clock.Options{Start: t0, Frozen: true})
	c := p.NewChild()
	n := 0
	tm := c.AfterFunc(time.Minute, func() { n++ })
	require.True(t, tm.Stop())
	require.False(t, tm.Stop())
	c.AfterFunc(time.Minute, func() { n++ })
	c.AfterFunc(2*time.Minute, func() { n++ })
	require.Equal(t, 2, c.Pending())
	require.Equal(t, 1, p.Pending(), "one parent timer per child")
	c.Stop()
	require.Zero(t, p.Pending())
	c.AfterFunc(time.Second, func() { n++ })
	_, _ = p.Advance(time.Hour)
	require.Zero(t, n)
}

func TestChildCallbackSchedulesMore(t *testing.T) {
	p := clock.New(clock.Options{Start: t0, Frozen: true})
	c := p.NewChild()
	var got []time.Duration
	var tick func()
	tick = func() {
		got = append(got, c.Now().Sub(t0))
		if len(got) < 3 {
			c.AfterFunc(time.Minute, tick)
		}
	}
	c.AfterFunc(time.Minute, tick)
	_, _ = p.Advance(10 * time.Minute)
	require.Equal(t, []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute}, got)
}

func TestGroupStop(t *testing.T) {
	p := clock.New(clock.Options{Start: t0, Frozen: true})
	g := clock.NewGroup(p)
	n := 0
	g.AfterFunc(time.Minute, func() { n++ })
	tm := g.AfterFunc(2*time.Minute, func() { n += 10 })
	g.AfterFunc(3*time.Minute, func() { n += 100 })
	require.True(t, tm.Stop())
	_, _ = p.Advance(90 * time.Second)
	require.Equal(t, 1, n)
	require.Equal(t, 1, g.Pending())
	g.Stop()
	g.AfterFunc(time.Second, func() { n += 1000 })
	_, _ = p.Advance(time.Hour)
	require.Equal(t, 1, n)
	require.Zero(t, p.Pending())
}

func TestChildConcurrent(t *testing.T) {
	p := clock.New(clock.Options{Start: t0, Frozen: true})
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 8 {
		c := p.NewChild()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				c.AfterFunc(time.Second, func() { mu.Lock(); total++; mu.Unlock() })
				_, _ = c.Advance(time.Second)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 50 {
			_, _ = p.Advance(time.Millisecond)
		}
	}()
	wg.Wait()
	require.Equal(t, 400, total)
}

// A child advanced part of the way keeps its timer due at the right
// parent time: the rest of the way comes from the parent.
func TestChildPartlyAdvancedThenParent(t *testing.T) {
	p := clock.New(clock.Options{Start: t0, Frozen: true})
	c := p.NewChild()
	fired := false
	c.AfterFunc(30*time.Minute, func() { fired = true })
	_, _ = c.Advance(29 * time.Minute)
	require.False(t, fired)
	_, _ = p.Advance(time.Minute)
	require.True(t, fired)
}

// An alarm rings once however far the clock jumps, at the earliest time it
// was set for, and its callback can set it again.
func TestAlarm(t *testing.T) {
	p := clock.New(clock.Options{Start: t0, Frozen: true})
	c := p.NewChild()
	var rings []time.Time
	var a *clock.Alarm
	a = clock.NewAlarm(c, func() {
		rings = append(rings, c.Now())
		if len(rings) < 2 {
			a.Set(c.Now().Add(time.Hour))
		}
	})
	a.Set(t0.Add(3 * time.Hour))
	a.Set(t0.Add(2 * time.Hour)) // earlier wins
	a.Set(t0.Add(5 * time.Hour)) // later is ignored
	require.Equal(t, t0.Add(2*time.Hour), a.Armed())
	_, _ = c.Advance(100 * 365 * 24 * time.Hour)
	require.Equal(t, []time.Time{t0.Add(2 * time.Hour), t0.Add(3 * time.Hour)}, rings)
	require.True(t, a.Armed().IsZero())
}
