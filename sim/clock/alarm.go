package clock

import (
	"sync"
	"time"
)

// Alarm is one timer that can be moved: Set arms it for a time unless it
// is already armed for an earlier one. It never repeats by itself: its
// callback decides whether to Set it again. A periodic sweep would fire
// once per period when the clock jumps years ahead (292 years of 12-hour
// sweeps is 213,000 callbacks per merchant); an Alarm fires once and its
// callback finds everything due at once.
type Alarm struct {
	c Clock
	f func()

	mu sync.Mutex
	t  Timer
	at time.Time // zero when disarmed
}

// NewAlarm returns a disarmed alarm that calls f on c (typically a
// merchant's Group, so a reset stops it).
func NewAlarm(c Clock, f func()) *Alarm { return &Alarm{c: c, f: f} }

// Set arms the alarm for at, unless it is already armed for an earlier
// time (or the same one).
func (a *Alarm) Set(at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.at.IsZero() && !at.Before(a.at) {
		return
	}
	if a.t != nil {
		a.t.Stop()
	}
	a.at = at
	var t Timer
	t = a.c.AfterFunc(max(at.Sub(a.c.Now()), time.Nanosecond), func() {
		a.mu.Lock()
		if a.t != t {
			a.mu.Unlock()
			return // moved meanwhile
		}
		a.t, a.at = nil, time.Time{}
		a.mu.Unlock()
		a.f()
	})
	a.t = t
}

// Armed reports when the alarm will ring (zero when disarmed).
func (a *Alarm) Armed() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.at
}
