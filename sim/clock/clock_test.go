package clock_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sim/clock"
)

var start = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// waitTimeout bounds every wait on something that should happen promptly.
const waitTimeout = 10 * time.Second

func newFrozen(t testing.TB) *clock.Virtual {
	t.Helper()
	c := clock.New(clock.Options{Start: start, Frozen: true})
	t.Cleanup(c.Close)
	return c
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func TestInterface(t *testing.T) {
	var c clock.Clock = newFrozen(t)
	require.True(t, c.Now().Equal(start))
}

func TestFrozenDoesNotMove(t *testing.T) {
	c := newFrozen(t)
	require.True(t, c.Frozen())
	require.True(t, c.Now().Equal(start))
	time.Sleep(20 * time.Millisecond)
	require.True(t, c.Now().Equal(start))

	fired := false
	c.AfterFunc(time.Millisecond, func() { fired = true })
	time.Sleep(20 * time.Millisecond)
	require.False(t, fired, "frozen clock fired a timer by itself")
	require.Equal(t, 1, c.Pending())

	now, err := c.Advance(time.Millisecond)
	require.NoError(t, err)
	require.True(t, now.Equal(start.Add(time.Millisecond)))
	require.True(t, fired)
}

func TestZeroStartUsesWallClock(t *testing.T) {
	before := time.Now()
	c := clock.New(clock.Options{Frozen: true})
	defer c.Close()
	after := time.Now()
	now := c.Now()
	require.False(t, now.Before(before.Round(0)))
	require.False(t, now.After(after.Round(0)))
}

func TestAdvanceOrder(t *testing.T) {
	c := newFrozen(t)
	type event struct {
		ID  int
		At  time.Duration // Now() inside the callback, relative to start
		Due time.Duration
	}
	var got []event
	var want []event
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 500
	for i := range n {
		// Few distinct deadlines so there are many ties.
		due := time.Duration(1+rng.IntN(20)) * time.Second
		c.AfterFunc(due, func() {
			got = append(got, event{ID: i, At: c.Now().Sub(start), Due: due})
		})
		want = append(want, event{ID: i, At: due, Due: due})
	}
	require.Equal(t, n, c.Pending())
	// Stable sort by deadline: ties keep scheduling order.
	for i := 1; i < len(want); i++ {
		for j := i; j > 0 && want[j].Due < want[j-1].Due; j-- {
			want[j], want[j-1] = want[j-1], want[j]
		}
	}

	now, err := c.Advance(10 * time.Second)
	require.NoError(t, err)
	require.True(t, now.Equal(start.Add(10*time.Second)))
	require.True(t, c.Now().Equal(now))
	var firstHalf int
	for _, e := range want {
		if e.Due <= 10*time.Second {
			firstHalf++
		}
	}
	require.Equal(t, n-firstHalf, c.Pending())

	now, err = c.Advance(time.Hour)
	require.NoError(t, err)
	require.True(t, now.Equal(start.Add(time.Hour+10*time.Second)))
	require.Equal(t, 0, c.Pending())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("firing order (-want +got):\n%s", diff)
	}
}

func TestDeadlineIsInclusive(t *testing.T) {
	c := newFrozen(t)
	var fired []string
	c.AfterFunc(time.Second, func() { fired = append(fired, "1s") })
	c.AfterFunc(time.Second+1, func() { fired = append(fired, "1s+1ns") })
	_, err := c.Advance(time.Second)
	require.NoError(t, err)
	require.Equal(t, []string{"1s"}, fired)
	_, err = c.Set(start.Add(time.Second + 1))
	require.NoError(t, err)
	require.Equal(t, []string{"1s", "1s+1ns"}, fired)
}

func TestCallbacksScheduleWithinWindow(t *testing.T) {
	c := newFrozen(t)
	var got []string
	rec := func(name string) func() {
		return func() { got = append(got, fmt.Sprintf("%s@%v", name, c.Now().Sub(start))) }
	}
	c.AfterFunc(1*time.Second, func() {
		rec("a")()
		// Due at 3s: inside the window, after b.
		c.AfterFunc(2*time.Second, func() {
			rec("a.child")()
			// Due at 4s, same as c: scheduled later, so fires after c.
			c.AfterFunc(time.Second, rec("a.grandchild"))
		})
		// Due at 11s: outside the window.
		c.AfterFunc(10*time.Second, rec("a.late"))
	})
	c.AfterFunc(2*time.Second, rec("b"))
	c.AfterFunc(4*time.Second, rec("c"))

	now, err := c.Advance(5 * time.Second)
	require.NoError(t, err)
	require.True(t, now.Equal(start.Add(5*time.Second)))
	require.Equal(t, []string{"a@1s", "b@2s", "a.child@3s", "c@4s", "a.grandchild@4s"}, got)
	require.Equal(t, 1, c.Pending())

	_, err = c.Advance(10 * time.Second)
	require.NoError(t, err)
	require.Equal(t, "a.late@11s", got[len(got)-1])
	require.Equal(t, 0, c.Pending())
}

func TestSetFiresInOrder(t *testing.T) {
	c := newFrozen(t)
	var got []time.Duration
	for _, d := range []time.Duration{5, 1, 3, 2, 4} {
		c.AfterFunc(d*time.Minute, func() { got = append(got, c.Now().Sub(start)) })
	}
	now, err := c.Set(start.Add(3 * time.Minute))
	require.NoError(t, err)
	require.True(t, now.Equal(start.Add(3*time.Minute)))
	require.Equal(t, []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute}, got)
	require.Equal(t, 2, c.Pending())

	// Setting to the current time is allowed and fires nothing new.
	_, err = c.Set(c.Now())
	require.NoError(t, err)
	require.Len(t, got, 3)
}

func TestStop(t *testing.T) {
	c := newFrozen(t)
	var fired []string
	a := c.AfterFunc(time.Second, func() { fired = append(fired, "a") })
	b := c.AfterFunc(2*time.Second, func() { fired = append(fired, "b") })
	require.Equal(t, 2, c.Pending())

	require.True(t, b.Stop(), "Stop before firing")
	require.False(t, b.Stop(), "second Stop")
	require.Equal(t, 1, c.Pending())

	_, err := c.Advance(3 * time.Second)
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, fired)
	require.False(t, a.Stop(), "Stop after firing")
	require.Equal(t, 0, c.Pending())
}

func TestStopFromCallback(t *testing.T) {
	c := newFrozen(t)
	var fired []string
	var later clock.Timer
	c.AfterFunc(time.Second, func() {
		fired = append(fired, "first")
		require.True(t, later.Stop())
	})
	later = c.AfterFunc(2*time.Second, func() { fired = append(fired, "later") })
	_, err := c.Advance(time.Minute)
	require.NoError(t, err)
	require.Equal(t, []string{"first"}, fired)
	require.Equal(t, 0, c.Pending())
}

func TestBackwards(t *testing.T) {
	c := newFrozen(t)
	_, err := c.Advance(time.Hour)
	require.NoError(t, err)

	now, err := c.Advance(-1)
	require.ErrorIs(t, err, clock.ErrBackwards)
	require.True(t, now.Equal(start.Add(time.Hour)))

	_, err = c.Set(start)
	require.ErrorIs(t, err, clock.ErrBackwards)
	_, err = c.Set(c.Now().Add(-1))
	require.ErrorIs(t, err, clock.ErrBackwards)
	require.True(t, c.Now().Equal(start.Add(time.Hour)))

	f := clock.New(clock.Options{Start: start})
	defer f.Close()
	_, err = f.Advance(-time.Second)
	require.ErrorIs(t, err, clock.ErrBackwards)
	_, err = f.Set(start)
	require.ErrorIs(t, err, clock.ErrBackwards)
}

func TestNowInsideCallbacksNeverGoesBackwards(t *testing.T) {
	c := newFrozen(t)
	var seen []time.Time
	c.AfterFunc(time.Second, func() {
		seen = append(seen, c.Now())
		// A nested Advance moves time past the next timer's deadline.
		now, err := c.Advance(5 * time.Second)
		require.NoError(t, err)
		require.True(t, now.Equal(start.Add(6*time.Second)))
		seen = append(seen, c.Now())
	})
	c.AfterFunc(3*time.Second, func() { seen = append(seen, c.Now()) })
	c.AfterFunc(4*time.Second, func() { seen = append(seen, c.Now()) })

	now, err := c.Advance(2 * time.Second)
	require.NoError(t, err)
	// The nested Advance fired the 3s and 4s timers inside the 1s
	// callback, and time stays at 6s rather than dropping to 2s.
	want := []time.Duration{1 * time.Second, 3 * time.Second, 4 * time.Second, 6 * time.Second}
	var got []time.Duration
	for _, s := range seen {
		got = append(got, s.Sub(start))
	}
	require.Equal(t, want, got)
	require.True(t, now.Equal(start.Add(6*time.Second)))
	require.Equal(t, 0, c.Pending())
}

func TestReentrantCallsDoNotDeadlock(t *testing.T) {
	c := newFrozen(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.AfterFunc(time.Second, func() {
			_ = c.Now()
			_ = c.Pending()
			tm := c.AfterFunc(time.Hour, func() {})
			tm.Stop()
			if _, err := c.Set(c.Now().Add(time.Second)); err != nil {
				t.Errorf("nested Set: %v", err)
			}
			if _, err := c.Advance(-1); !errors.Is(err, clock.ErrBackwards) {
				t.Errorf("nested Advance(-1) = %v, want ErrBackwards", err)
			}
			if _, err := c.Set(start); !errors.Is(err, clock.ErrBackwards) {
				t.Errorf("nested Set(past) = %v, want ErrBackwards", err)
			}
		})
		if _, err := c.Advance(time.Second); err != nil {
			t.Errorf("Advance: %v", err)
		}
	}()
	wait(t, done, "re-entrant callback")
	require.True(t, c.Now().Equal(start.Add(2*time.Second)))
}

func TestImmediateTimers(t *testing.T) {
	for _, frozen := range []bool{true, false} {
		t.Run(fmt.Sprintf("frozen=%v", frozen), func(t *testing.T) {
			c := clock.New(clock.Options{Start: start, Frozen: frozen})
			defer c.Close()
			zero := make(chan struct{})
			neg := make(chan struct{})
			c.AfterFunc(0, func() { close(zero) })
			c.AfterFunc(-time.Hour, func() { close(neg) })
			wait(t, zero, "d=0 timer")
			wait(t, neg, "d<0 timer")
			require.Equal(t, 0, c.Pending())
		})
	}
}

func TestStopImmediateTimer(t *testing.T) {
	c := newFrozen(t)
	// Stop races with the timer's goroutine, so only check that the
	// outcome is consistent.
	var fired atomic.Bool
	done := make(chan struct{})
	tm := c.AfterFunc(0, func() { fired.Store(true); close(done) })
	if tm.Stop() {
		require.Equal(t, 0, c.Pending())
		time.Sleep(10 * time.Millisecond)
		require.False(t, fired.Load(), "stopped timer fired")
	} else {
		wait(t, done, "immediate timer")
	}
	require.Equal(t, 0, c.Pending())
	require.False(t, tm.Stop())
}

func TestFollowingMoves(t *testing.T) {
	c := clock.New(clock.Options{Start: start})
	defer c.Close()
	require.False(t, c.Frozen())

	t0 := c.Now()
	require.False(t, t0.Before(start))
	time.Sleep(5 * time.Millisecond)
	t1 := c.Now()
	require.True(t, t1.After(t0), "following clock did not move: %v then %v", t0, t1)

	now, err := c.Advance(time.Hour)
	require.NoError(t, err)
	require.False(t, now.Before(t1.Add(time.Hour)))
	require.False(t, c.Now().Before(now))

	target := c.Now().Add(24 * time.Hour)
	now, err = c.Set(target)
	require.NoError(t, err)
	require.False(t, now.Before(target))
}

func TestFollowingFiresByItself(t *testing.T) {
	c := clock.New(clock.Options{Start: start})
	defer c.Close()

	fired := make(chan time.Time, 1)
	scheduled := c.Now()
	c.AfterFunc(20*time.Millisecond, func() { fired <- c.Now() })
	// A later timer that must not fire (checked via Pending).
	c.AfterFunc(time.Hour, func() { t.Error("hour timer fired") })

	select {
	case at := <-fired:
		require.False(t, at.Before(scheduled.Add(20*time.Millisecond)))
	case <-time.After(waitTimeout):
		t.Fatal("timer did not fire by itself in following mode")
	}
	require.Equal(t, 1, c.Pending())
}

func TestFollowingRearms(t *testing.T) {
	c := clock.New(clock.Options{Start: start})
	defer c.Close()

	// The earliest timer is armed first, then an even earlier one is added
	// and the earliest is stopped: the real timer must follow.
	first := c.AfterFunc(time.Hour, func() { t.Error("stopped timer fired") })
	order := make(chan string, 3)
	c.AfterFunc(30*time.Millisecond, func() { order <- "b" })
	c.AfterFunc(10*time.Millisecond, func() { order <- "a" })
	require.True(t, first.Stop())

	for _, want := range []string{"a", "b"} {
		select {
		case got := <-order:
			require.Equal(t, want, got)
		case <-time.After(waitTimeout):
			t.Fatalf("timer %s did not fire", want)
		}
	}

	// Advance past a long timer in following mode fires it synchronously.
	fired := false
	c.AfterFunc(time.Hour, func() { fired = true })
	_, err := c.Advance(time.Hour)
	require.NoError(t, err)
	require.True(t, fired)
	require.Equal(t, 0, c.Pending())
}

func TestCloseStopsWallTimer(t *testing.T) {
	c := clock.New(clock.Options{Start: start})
	var fired atomic.Bool
	c.AfterFunc(5*time.Millisecond, func() { fired.Store(true) })
	c.Close()
	c.Close() // idempotent
	time.Sleep(30 * time.Millisecond)
	require.False(t, fired.Load())
	require.Equal(t, 1, c.Pending())

	// Advance still works after Close.
	_, err := c.Advance(time.Second)
	require.NoError(t, err)
	require.True(t, fired.Load())
}

func TestAdvanceSerialized(t *testing.T) {
	c := newFrozen(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	c.AfterFunc(time.Second, func() {
		close(entered)
		<-release
	})

	firstDone := make(chan struct{})
	go func() {
		defer close(firstDone)
		if _, err := c.Advance(time.Second); err != nil {
			t.Errorf("first Advance: %v", err)
		}
	}()
	wait(t, entered, "first callback")

	// Other goroutines can use the clock while a callback runs...
	require.True(t, c.Now().Equal(start.Add(time.Second)))
	c.AfterFunc(time.Second, func() {})

	// ...but a second Advance waits for the first to finish.
	var secondDone atomic.Bool
	secondCh := make(chan struct{})
	go func() {
		defer close(secondCh)
		if _, err := c.Advance(time.Second); err != nil {
			t.Errorf("second Advance: %v", err)
		}
		secondDone.Store(true)
	}()
	time.Sleep(20 * time.Millisecond)
	require.False(t, secondDone.Load(), "Advance did not wait for the running one")
	close(release)
	wait(t, firstDone, "first Advance")
	wait(t, secondCh, "second Advance")
	require.True(t, c.Now().Equal(start.Add(2*time.Second)))
	require.Equal(t, 0, c.Pending())
}

func TestConcurrentUse(t *testing.T) {
	for _, frozen := range []bool{true, false} {
		t.Run(fmt.Sprintf("frozen=%v", frozen), func(t *testing.T) {
			c := clock.New(clock.Options{Start: start, Frozen: frozen})
			defer c.Close()

			const workers, perWorker = 8, 200
			var fired, stopped atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(w), 7))
					last := c.Now()
					for i := range perWorker {
						d := time.Duration(rng.IntN(1000)) * time.Millisecond
						tm := c.AfterFunc(d, func() {
							fired.Add(1)
							_ = c.Now()
						})
						switch i % 4 {
						case 0:
							if tm.Stop() {
								stopped.Add(1)
							}
						case 1:
							if _, err := c.Advance(time.Duration(rng.IntN(50)) * time.Millisecond); err != nil {
								t.Errorf("Advance: %v", err)
							}
						case 2:
							// Another goroutine may move time between
							// Now and Set, so ErrBackwards is possible.
							if _, err := c.Set(c.Now().Add(time.Millisecond)); err != nil && !errors.Is(err, clock.ErrBackwards) {
								t.Errorf("Set: %v", err)
							}
						}
						now := c.Now()
						if now.Before(last) {
							t.Errorf("time went backwards: %v then %v", last, now)
						}
						last = now
						_ = c.Pending()
					}
				}()
			}
			wg.Wait()

			_, err := c.Advance(time.Hour)
			require.NoError(t, err)
			// d <= 0 timers fire in their own goroutines; wait for them.
			deadline := time.Now().Add(waitTimeout)
			for c.Pending() > 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			require.Equal(t, 0, c.Pending())
			for fired.Load()+stopped.Load() != workers*perWorker && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			require.Equal(t, int64(workers*perWorker), fired.Load()+stopped.Load())
		})
	}
}

func ExampleVirtual_Advance() {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.New(clock.Options{Start: start, Frozen: true})
	defer c.Close()

	for _, d := range []time.Duration{3 * time.Second, time.Second, 2 * time.Second, time.Second} {
		c.AfterFunc(d, func() {
			fmt.Printf("timer %v fired at +%v\n", d, c.Now().Sub(start))
		})
	}
	c.AfterFunc(time.Minute, func() { fmt.Println("not yet") })

	now, _ := c.Advance(5 * time.Second)
	fmt.Printf("now +%v, %d pending\n", now.Sub(start), c.Pending())
	// Output:
	// timer 1s fired at +1s
	// timer 1s fired at +1s
	// timer 2s fired at +2s
	// timer 3s fired at +3s
	// now +5s, 1 pending
}

func BenchmarkAfterFuncAdvance(b *testing.B) {
	c := newFrozen(b)
	f := func() {}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.AfterFunc(time.Duration(1+i%16)*time.Millisecond, f)
		if i%16 == 15 {
			if _, err := c.Advance(16 * time.Millisecond); err != nil {
				b.Fatal(err)
			}
		}
	}
}
