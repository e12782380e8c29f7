package clock

import (
	"context"
	"time"
)

// SleepWall waits d of wall-clock time, for an injected latency: the
// client of a fault waits in real time, whatever the virtual clock does.
// It returns false when ctx is done or stop is closed first.
func SleepWall(ctx context.Context, stop <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	}
}
