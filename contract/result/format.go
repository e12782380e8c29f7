package result

import (
	"fmt"
	"strconv"
	"time"
)

func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

func fmtSscan(s string, f *float64) (int, error) { return fmt.Sscan(s, f) }
