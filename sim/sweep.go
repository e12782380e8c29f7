package sim

import (
	"time"

	"github.com/paysandbox/paysandbox/sim/clock"
)

// Sweep collects, while a provider sweeps one merchant's state (DESIGN
// rule 10), the earliest moment something of the merchant can next
// expire, and sets the merchant's alarm for it. The alarm is never a
// ticker: a clock that jumps years ahead rings it once.
type Sweep struct{ next time.Time }

// Due notes that something expires at t.
func (s *Sweep) Due(t time.Time) {
	if s.next.IsZero() || t.Before(s.next) {
		s.next = t
	}
}

// Arm sets a for the earliest due time, but no sooner than a tenth of the
// retention after now (each sweep walks the merchant's objects, so a busy
// merchant is not swept per object), and leaves it unset when nothing is
// due.
func (s Sweep) Arm(a *clock.Alarm, now time.Time, l Limits) {
	if s.next.IsZero() {
		return
	}
	at := now.Add(max(l.Retention/10, time.Second))
	if s.next.After(at) {
		at = s.next
	}
	a.Set(at)
}
