package sim_test

import (
	"runtime/debug"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
)

func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	if got := sim.TuneGC(getenv); got != sim.GCPercent {
		t.Errorf("TuneGC without GOGC = %d, want %d", got, sim.GCPercent)
	}
	if got := debug.SetGCPercent(100); got != sim.GCPercent {
		t.Errorf("collector target after TuneGC = %d, want %d", got, sim.GCPercent)
	}
	for v, want := range map[string]int{"50": 50, "off": -1, "bogus": 100} {
		env["GOGC"] = v
		if got := sim.TuneGC(getenv); got != want {
			t.Errorf("TuneGC with GOGC=%s = %d, want %d", v, got, want)
		}
		if got := debug.SetGCPercent(100); got != 100 {
			t.Errorf("TuneGC with GOGC=%s changed the collector target to %d; the environment rules", v, got)
		}
	}
}
