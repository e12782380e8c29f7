package sim

import (
	"runtime/debug"
	"strconv"
)

// GCPercent is the garbage collector target (GOGC) a simulator process
// runs with unless the GOGC environment variable sets one. A simulator's
// live heap is small (a few megabytes: the journal ring, retained
// objects), so Go's default of 100 collects every few hundred requests;
// at 400 the collector runs a quarter as often, which measured 30% less
// CPU per request in BenchmarkHandlers (cmd/bench), for a heap that peaks
// at five times the live heap instead of twice: still bounded, since the
// live heap is (retention, per-merchant caps, a fixed journal ring).
const GCPercent = 400

// TuneGC sets GCPercent as the collector's target unless getenv("GOGC")
// names one, and returns the target in force. The simulator's and the
// load benchmark's main functions call it once; a library embedding the
// simulator keeps its process's own setting.
func TuneGC(getenv func(string) string) int {
	if v := getenv("GOGC"); v != "" {
		if v == "off" {
			return -1
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 100 // the runtime ignores a bad GOGC
		}
		return n
	}
	debug.SetGCPercent(GCPercent)
	return GCPercent
}
