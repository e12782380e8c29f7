package sim_test

import (
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/clock"
)

func TestSweepArmsTheEarliestDueNotTooSoon(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.New(clock.Options{Start: t0, Frozen: true})
	l := sim.Limits{Retention: 10 * time.Hour}
	for _, tc := range []struct {
		name string
		due  []time.Duration
		want time.Duration // 0: not armed
	}{
		{"nothing due", nil, 0},
		{"earliest wins", []time.Duration{5 * time.Hour, 3 * time.Hour, 8 * time.Hour}, 3 * time.Hour},
		{"not sooner than a tenth of the retention", []time.Duration{time.Minute}, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := clock.NewAlarm(c, func() {})
			var s sim.Sweep
			for _, d := range tc.due {
				s.Due(t0.Add(d))
			}
			s.Arm(a, t0, l)
			var want time.Time
			if tc.want != 0 {
				want = t0.Add(tc.want)
			}
			if got := a.Armed(); !got.Equal(want) {
				t.Errorf("armed for %v, want %v", got, want)
			}
		})
	}
}
