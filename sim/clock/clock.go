// Package clock provides the virtual time source used by every simulator
// component.
//
// The central type is [Virtual], a controllable clock modelled on tailscale's
// tstest.Clock: timers created with [Virtual.AfterFunc] live in a heap ordered
// by deadline and are fired, in order, as virtual time advances.
//
// # Modes
//
// A Virtual clock runs in one of two modes, chosen by [Options.Frozen]:
//
//   - Following (the default): virtual time follows wall-clock time at real
//     speed from [Options.Start], plus whatever [Virtual.Advance] and
//     [Virtual.Set] add. That is, Now() = Start + (monotonic wall time elapsed
//     since New) + offsets. Timers also fire by themselves when wall-clock time
//     reaches their deadline: the clock keeps a single real time.Timer armed
//     for the earliest deadline and, when it goes off, fires every due timer
//     through the same code path Advance uses, on the real timer's goroutine.
//     Call [Virtual.Close] to stop that real timer.
//   - Frozen: time only moves when Advance or Set is called.
//
// # Firing
//
// Advance and Set fire every timer whose deadline is at or before the target
// time synchronously, on the calling goroutine, before returning. Timers fire
// in deadline order; timers with equal deadlines fire in the order they were
// scheduled. Timers scheduled by callbacks while firing are included if their
// deadline falls inside the window. While a callback runs, Now() returns that
// timer's deadline (or the previous value of Now() if that is later, since
// time never goes backwards); once all due timers have fired, Now() is the
// target (in following mode, the target plus whatever wall time has elapsed
// since).
//
// Callbacks run without any clock lock held, so they may call Now, AfterFunc,
// Stop, Pending, and even Advance or Set. A nested Advance/Set from inside a
// callback is handled in place: it fires the timers due by its own target
// (still in order) before returning to the callback. Otherwise, concurrent
// Advance/Set calls and wall-clock firing are serialized: a call made while
// another goroutine is firing timers waits for it to finish. (Consequently a
// callback must not block waiting for an Advance or Set running on another
// goroutine.)
//
// Timers scheduled with d <= 0 are due immediately and, in both modes, fire
// promptly in a new goroutine (like time.AfterFunc). Advance and Set do not
// wait for them, and they are not ordered relative to other timers.
//
// Virtual time never goes backwards: Advance with a negative duration and Set
// with a time before Now() fail with [ErrBackwards].
//
// All methods are safe for concurrent use.
package clock

import (
	"container/heap"
	"errors"
	"runtime"
	"sync"
	"time"
)

// Clock is the time source every simulator component uses.
type Clock interface {
	// Now returns the current virtual time.
	Now() time.Time
	// AfterFunc calls f (in its own goroutine or synchronously from
	// Advance/Set, see the package documentation) once the clock reaches
	// Now()+d.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending call scheduled with [Clock.AfterFunc].
type Timer interface {
	// Stop prevents the timer from firing. It returns true if it stopped
	// the timer before it fired, false if the timer had already fired or
	// been stopped.
	Stop() bool
}

// ErrBackwards is returned by [Virtual.Advance] and [Virtual.Set] when asked
// to move time backwards.
var ErrBackwards = errors.New("clock: time cannot go backwards")

// Options configures a [Virtual] clock.
type Options struct {
	// Start is the initial virtual time. The zero value means time.Now()
	// at construction.
	Start time.Time
	// Frozen makes time move only by Advance/Set. When false (the
	// default), the clock follows wall-clock time at real speed from
	// Start, plus any Advance/Set offsets.
	Frozen bool
}

// Virtual is a controllable [Clock]. Create one with [New].
type Virtual struct {
	frozen bool

	// fireMu serializes firing: Advance, Set and the wall-clock timer
	// callback hold it while firing timers. It is always acquired before
	// mu, never while holding it.
	fireMu sync.Mutex

	mu sync.Mutex // guards everything below
	// Raw virtual time is base in frozen mode and base + (wall time since
	// anchor) in following mode. Advance/Set re-anchor instead of keeping
	// a separate offset, which is equivalent.
	base   time.Time
	anchor time.Time // wall-clock time (with monotonic reading) base refers to
	last   time.Time // largest time Now has reported; Now never goes below it

	firing   bool      // timers are being fired (fireMu is held)
	firingAt time.Time // what Now reports while firing
	driver   uint64    // goroutine id of the firing goroutine

	timers   timerHeap
	seq      uint64 // scheduling order, breaks deadline ties
	npending int    // timers neither fired nor stopped (heap + immediate)

	wall   *time.Timer // following mode: armed for timers[0].when
	wallAt time.Time   // deadline wall is armed for; zero if disarmed
	closed bool
}

var _ Clock = (*Virtual)(nil)

// New returns a new virtual clock configured by opts.
func New(opts Options) *Virtual {
	wallNow := time.Now()
	start := opts.Start
	if start.IsZero() {
		start = wallNow
	}
	// Virtual times are plain wall values; strip any monotonic reading so
	// comparisons between virtual times are consistent.
	start = start.Round(0)
	return &Virtual{
		frozen: opts.Frozen,
		base:   start,
		anchor: wallNow,
		last:   start,
	}
}

// Frozen reports whether the clock only moves via Advance and Set.
func (v *Virtual) Frozen() bool { return v.frozen }

// Now returns the current virtual time. It never goes backwards.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	t := v.peekLocked()
	v.last = t
	return t
}

// rawLocked returns the raw virtual time, ignoring firing and the
// monotonic floor.
func (v *Virtual) rawLocked() time.Time {
	if v.frozen {
		return v.base
	}
	return v.base.Add(time.Since(v.anchor))
}

// peekLocked returns what Now would report, without recording it.
func (v *Virtual) peekLocked() time.Time {
	t := v.firingAt
	if !v.firing {
		t = v.rawLocked()
	}
	if t.Before(v.last) {
		return v.last
	}
	return t
}

// raiseLocked moves raw virtual time forward to at least target.
func (v *Virtual) raiseLocked(target time.Time) {
	if v.frozen {
		if v.base.Before(target) {
			v.base = target
		}
		return
	}
	wallNow := time.Now()
	if v.base.Add(wallNow.Sub(v.anchor)).Before(target) {
		v.base, v.anchor = target, wallNow
	}
}

// AfterFunc schedules f to be called once the clock reaches Now()+d and
// returns a Timer that can cancel the call. If d <= 0, f is called promptly
// in a new goroutine. Otherwise f is called either synchronously by
// Advance/Set or, in following mode, on the goroutine of the clock's real
// timer.
func (v *Virtual) AfterFunc(d time.Duration, f func()) Timer {
	if f == nil {
		panic("clock: AfterFunc called with nil func")
	}
	t := &timer{v: v, f: f, index: -1}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.npending++
	if d <= 0 {
		go v.runImmediate(t)
		return t
	}
	t.when = v.peekLocked().Add(d)
	t.seq = v.seq
	v.seq++
	heap.Push(&v.timers, t)
	if t.index == 0 {
		v.rearmLocked()
	}
	return t
}

func (v *Virtual) runImmediate(t *timer) {
	v.mu.Lock()
	if t.done {
		v.mu.Unlock()
		return
	}
	t.done = true
	v.npending--
	v.mu.Unlock()
	t.f()
}

// Advance moves the clock forward by d, firing every timer due by the new
// time in order before returning. It returns the new time, or ErrBackwards
// if d < 0.
func (v *Virtual) Advance(d time.Duration) (time.Time, error) {
	if d < 0 {
		return v.Now(), ErrBackwards
	}
	return v.advance(func(cur time.Time) (time.Time, error) {
		return cur.Add(d), nil
	})
}

// Set moves the clock forward to t, firing every timer due by t in order
// before returning. It returns the new time, or ErrBackwards if t is before
// Now().
func (v *Virtual) Set(t time.Time) (time.Time, error) {
	t = t.Round(0)
	return v.advance(func(cur time.Time) (time.Time, error) {
		if t.Before(cur) {
			return cur, ErrBackwards
		}
		return t, nil
	})
}

// advance implements Advance and Set. target maps the current time to the
// target time.
func (v *Virtual) advance(target func(cur time.Time) (time.Time, error)) (time.Time, error) {
	gid := goroutineID()
	v.mu.Lock()
	nested := v.firing && v.driver == gid
	if !nested {
		// Serialize with other firing goroutines. fireMu is acquired
		// without holding mu so a firing goroutine can keep taking mu.
		v.mu.Unlock()
		v.fireMu.Lock()
		defer v.fireMu.Unlock()
		v.mu.Lock()
	}
	defer v.mu.Unlock()

	cur := v.peekLocked()
	to, err := target(cur)
	if err != nil {
		v.last = cur
		return cur, err
	}
	v.raiseLocked(to)

	if nested {
		// Called from a callback on the firing goroutine: fire what is
		// due by our target in place; the outer loop carries on after.
		v.fireLocked(to, false)
		if v.firingAt.Before(to) {
			v.firingAt = to
		}
		v.last = v.firingAt
		return v.firingAt, nil
	}

	v.beginFiringLocked(gid)
	defer v.endFiringLocked()
	v.fireLocked(to, false)
	v.firing = false
	now := v.peekLocked()
	v.last = now
	return now, nil
}

// beginFiringLocked marks the start of a firing run by goroutine gid, which
// holds fireMu.
func (v *Virtual) beginFiringLocked(gid uint64) {
	v.firing = true
	v.driver = gid
	v.firingAt = v.last // callbacks see their deadline, but never less than this
}

// endFiringLocked ends a firing run. It also runs when a callback panics.
func (v *Virtual) endFiringLocked() {
	v.firing = false
	v.driver = 0
	v.rearmLocked()
}

// fireLocked fires, in order, every timer due by limit (or, if dynamic, by
// the raw virtual time at each step). v.mu is held on entry and exit but
// released around each callback.
func (v *Virtual) fireLocked(limit time.Time, dynamic bool) {
	for len(v.timers) > 0 {
		t := v.timers[0]
		if dynamic {
			limit = v.rawLocked()
		}
		if t.when.After(limit) {
			return
		}
		heap.Pop(&v.timers)
		t.done = true
		v.npending--
		if t.when.After(v.firingAt) {
			v.firingAt = t.when
		}
		v.callUnlocked(t.f)
	}
}

// callUnlocked calls f with v.mu released, re-acquiring it afterwards even
// if f panics.
func (v *Virtual) callUnlocked(f func()) {
	v.mu.Unlock()
	defer v.mu.Lock()
	f()
}

// rearmLocked arms the real timer for the earliest deadline (following mode
// only). It does nothing while firing; the firing run re-arms when done.
func (v *Virtual) rearmLocked() {
	if v.frozen || v.closed || v.firing {
		return
	}
	if len(v.timers) == 0 {
		if v.wall != nil && !v.wallAt.IsZero() {
			v.wall.Stop()
			v.wallAt = time.Time{}
		}
		return
	}
	when := v.timers[0].when
	if when.Equal(v.wallAt) {
		return
	}
	delay := when.Sub(v.rawLocked())
	v.wallAt = when
	if v.wall == nil {
		v.wall = time.AfterFunc(delay, v.wallFire)
		return
	}
	v.wall.Reset(delay)
}

// wallFire runs on the real timer's goroutine and fires every timer whose
// deadline wall-clock time has reached.
func (v *Virtual) wallFire() {
	gid := goroutineID()
	v.fireMu.Lock()
	defer v.fireMu.Unlock()
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	v.wallAt = time.Time{}
	v.beginFiringLocked(gid)
	defer v.endFiringLocked()
	v.fireLocked(time.Time{}, true)
}

// Pending returns the number of timers that have neither fired nor been
// stopped.
func (v *Virtual) Pending() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.npending
}

// Close stops the real timer used in following mode; afterwards timers only
// fire through Advance and Set (or, for d <= 0, immediately). Close is
// idempotent and does not affect Now.
func (v *Virtual) Close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.closed = true
	if v.wall != nil {
		v.wall.Stop()
		v.wallAt = time.Time{}
	}
}

// timer is a Timer scheduled on a Virtual clock.
type timer struct {
	v     *Virtual
	f     func()
	when  time.Time
	seq   uint64
	index int  // position in v.timers, -1 if not in the heap
	done  bool // fired or stopped
}

// Stop implements Timer.
func (t *timer) Stop() bool {
	v := t.v
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	v.npending--
	if t.index >= 0 {
		wasFirst := t.index == 0
		heap.Remove(&v.timers, t.index)
		if wasFirst {
			v.rearmLocked()
		}
	}
	return true
}

// timerHeap is a min-heap of timers by (when, seq).
type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }

func (h timerHeap) Less(i, j int) bool {
	if !h[i].when.Equal(h[j].when) {
		return h[i].when.Before(h[j].when)
	}
	return h[i].seq < h[j].seq
}

func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.index = len(*h)
	*h = append(*h, t)
}

func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}

// goroutineID returns the id of the calling goroutine, parsed from the
// "goroutine N [" header of its stack trace. It is used only to recognise
// Advance/Set calls made from a callback on the goroutine that is firing
// timers, which must not wait for that goroutine.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) < len(prefix) {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
