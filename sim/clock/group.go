package clock

import (
	"sync"
	"time"
)

// Group is a set of timers that can all be stopped at once, e.g. every
// timer of a provider's state when the provider is reset. After Stop, the
// group's pending timers never fire and AfterFunc schedules nothing, so a
// callback cannot act on state that has been replaced.
type Group struct {
	c Clock

	mu      sync.Mutex
	stopped bool
	timers  map[*groupTimer]struct{}
}

// NewGroup returns an empty group scheduling on c.
func NewGroup(c Clock) *Group { return &Group{c: c, timers: map[*groupTimer]struct{}{}} }

type groupTimer struct {
	g *Group
	t Timer
}

// Stop implements Timer.
func (gt *groupTimer) Stop() bool {
	gt.g.mu.Lock()
	delete(gt.g.timers, gt)
	gt.g.mu.Unlock()
	return gt.t.Stop()
}

type stoppedTimer struct{}

func (stoppedTimer) Stop() bool { return false }

// AfterFunc schedules f on the group's clock. Once the group is stopped it
// returns a timer that never fires.
func (g *Group) AfterFunc(d time.Duration, f func()) Timer {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return stoppedTimer{}
	}
	gt := &groupTimer{g: g}
	gt.t = g.c.AfterFunc(d, func() {
		g.mu.Lock()
		_, live := g.timers[gt]
		delete(g.timers, gt)
		stopped := g.stopped
		g.mu.Unlock()
		if live && !stopped {
			f()
		}
	})
	g.timers[gt] = struct{}{}
	return gt
}

// Now is the group's clock's time.
func (g *Group) Now() time.Time { return g.c.Now() }

// Stop stops every pending timer of the group and every later one.
func (g *Group) Stop() {
	g.mu.Lock()
	g.stopped = true
	ts := g.timers
	g.timers = map[*groupTimer]struct{}{}
	g.mu.Unlock()
	for gt := range ts {
		gt.t.Stop()
	}
}

// Pending is the number of the group's timers not yet fired or stopped.
func (g *Group) Pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.timers)
}

var _ Clock = (*Group)(nil)
