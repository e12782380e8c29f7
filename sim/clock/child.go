package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Child is a clock that runs at its parent's pace plus an offset of its
// own: a merchant's clock on a shared simulator. Moving the parent moves
// every child; Advance and Set on a child move only that child (and fire
// only its timers). A child keeps its own timer heap and holds at most one
// timer on the parent, armed for its earliest deadline, so the parent's
// cost does not grow with the number of children's timers.
type Child struct {
	parent *Virtual

	fireMu sync.Mutex // serializes firing of this child's timers

	mu       sync.Mutex
	offset   time.Duration
	last     time.Time
	firing   bool
	firingAt time.Time
	timers   timerHeap
	seq      uint64
	armed    Timer     // on the parent, for timers[0]
	armedAt  time.Time // parent time armed falls due
	stopped  bool
}

var _ Clock = (*Child)(nil)

// NewChild returns a clock following v with a zero offset.
func (v *Virtual) NewChild() *Child { return &Child{parent: v} }

// Now is the parent's time plus the child's offset; it never goes
// backwards.
func (c *Child) Now() time.Time {
	p := c.parent.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.peekLocked(p)
	c.last = t
	return t
}

func (c *Child) peekLocked(parentNow time.Time) time.Time {
	t := parentNow.Add(c.offset)
	if c.firing {
		// A callback sees its own deadline, as on the parent.
		t = c.firingAt
	}
	if t.Before(c.last) {
		return c.last
	}
	return t
}

// Offset is how far the child is ahead of its parent.
func (c *Child) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// AfterFunc schedules f once the child's time reaches Now()+d. As on the
// parent, d <= 0 runs f promptly in a new goroutine.
func (c *Child) AfterFunc(d time.Duration, f func()) Timer {
	if f == nil {
		panic("clock: AfterFunc called with nil func")
	}
	if d <= 0 {
		return c.parent.AfterFunc(d, f)
	}
	now := c.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &childTimer{c: c, timer: timer{f: f, index: -1, when: now.Add(d), seq: c.seq}}
	c.seq++
	if c.stopped {
		t.done = true
		return t
	}
	heap.Push(&c.timers, &t.timer)
	if t.index == 0 && !c.firing {
		c.rearmLocked()
	}
	return t
}

// rearmLocked keeps one parent timer armed for the earliest deadline, at
// the parent time it falls due (the deadline minus the offset, which moves
// when the child is advanced).
func (c *Child) rearmLocked() {
	if len(c.timers) == 0 || c.stopped {
		if c.armed != nil {
			c.armed.Stop()
			c.armed, c.armedAt = nil, time.Time{}
		}
		return
	}
	due := c.timers[0].when.Add(-c.offset) // in parent time
	if c.armed != nil && due.Equal(c.armedAt) {
		return
	}
	if c.armed != nil {
		c.armed.Stop()
	}
	d := due.Sub(c.parent.Now())
	if d <= 0 {
		d = time.Nanosecond
	}
	c.armedAt = due
	c.armed = c.parent.AfterFunc(d, c.fireDue)
}

// fireDue runs on the parent's firing goroutine (or its wall timer) when
// the earliest deadline is reached.
func (c *Child) fireDue() {
	c.fireMu.Lock()
	defer c.fireMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed, c.armedAt = nil, time.Time{}
	c.fireLocked(0)
}

// fireLocked fires, in order, every timer due by the parent's time plus the
// offset plus extra (re-read after each callback), then adds extra to the
// offset and re-arms. fireMu and mu are held; mu is released around each
// callback.
func (c *Child) fireLocked(extra time.Duration) {
	c.firing = true
	c.firingAt = c.peekLocked(c.parent.Now())
	defer func() {
		c.offset += extra
		c.firing = false
		c.rearmLocked()
	}()
	for len(c.timers) > 0 {
		t := c.timers[0]
		if t.when.After(c.parent.Now().Add(c.offset + extra)) {
			return
		}
		heap.Pop(&c.timers)
		t.done = true
		if t.when.After(c.firingAt) {
			c.firingAt = t.when
		}
		c.mu.Unlock()
		func() {
			defer c.mu.Lock()
			t.f()
		}()
	}
}

// Advance moves only this child forward by d and fires its due timers in
// order before returning. A timer callback must not call Advance or Set on
// its own child.
func (c *Child) Advance(d time.Duration) (time.Time, error) {
	if d < 0 {
		return c.Now(), ErrBackwards
	}
	c.fireMu.Lock()
	defer c.fireMu.Unlock()
	c.mu.Lock()
	c.fireLocked(d)
	c.mu.Unlock()
	return c.Now(), nil
}

// Set moves only this child forward to t, firing its due timers.
func (c *Child) Set(t time.Time) (time.Time, error) {
	now := c.Now()
	if t.Before(now) {
		return now, ErrBackwards
	}
	return c.Advance(t.Sub(now))
}

// Stop stops every timer of the child, now and later: the merchant is
// gone.
func (c *Child) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	for _, t := range c.timers {
		t.done = true
		t.index = -1
	}
	c.timers = nil
	c.rearmLocked()
}

// Pending is the number of the child's timers not fired or stopped.
func (c *Child) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

type childTimer struct {
	c *Child
	timer
}

// Stop implements Timer.
func (t *childTimer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	if t.index >= 0 {
		first := t.index == 0
		heap.Remove(&c.timers, t.index)
		if first && !c.firing {
			c.rearmLocked()
		}
	}
	return true
}
