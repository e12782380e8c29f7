package simtest

import (
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
)

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

// BesideWriters benchmarks read twice: "alone", and "beside" one goroutine
// per writer calling it over and over (until it returns false). Both
// report, per read, the time goroutines spent blocked on mutexes
// (mutex-wait-ns/op) and the writers' rounds (writes/op): with
// per-merchant locks the first stays near zero beside as alone.
func BesideWriters(b *testing.B, read func(b *testing.B), writers ...func() bool) {
	var rounds atomic.Int64
	run := func(b *testing.B) {
		wait, writes := MutexWait(), rounds.Load()
		b.ResetTimer()
		for b.Loop() {
			read(b)
		}
		b.StopTimer()
		b.ReportMetric(float64(MutexWait()-wait)/float64(b.N), "mutex-wait-ns/op")
		b.ReportMetric(float64(rounds.Load()-writes)/float64(b.N), "writes/op")
	}
	b.Run("alone", run)
	b.Run("beside", func(b *testing.B) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for _, write := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if !write() {
						return
					}
					rounds.Add(1)
				}
			}()
		}
		run(b)
		close(stop)
		wg.Wait()
	})
}
