package simtest

import "runtime/metrics"

// MutexWait is the total time the process's goroutines have spent blocked
// on sync.Mutex and sync.RWMutex so far, in nanoseconds (0 where the
// runtime does not report it). Benchmarks of tenant isolation report its
// growth per request ("mutex-wait-ns/op"): unlike ns/op on a shared
// machine, it shows whether a request waited on another merchant's lock.
func MutexWait() int64 {
	s := []metrics.Sample{{Name: "/sync/mutex/wait/total:seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return int64(s[0].Value.Float64() * 1e9)
}
