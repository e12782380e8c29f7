// Package result holds what a contract run produced, kept apart from the
// scenario input: per scenario and per step a status, timings, the
// (redacted) exchanges and the failures with their diffs. Reports render
// these types; the JSON report is their JSON encoding.
package result

import (
	"time"

	"github.com/paysandbox/paysandbox/sim"
)

// Status of a scenario or step.
type Status string

// Statuses.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Run is the outcome of one run on one target.
type Run struct {
	Target     string         `json:"target"`
	TargetKind string         `json:"targetKind"`
	Started    time.Time      `json:"started"`
	Duration   Duration       `json:"duration"`
	Scenarios  []Scenario     `json:"scenarios"`
	Summary    Summary        `json:"summary"`
	Coverage   CoverageByName `json:"coverage,omitempty"`
}

// CoverageByName is the simulator's coverage report per provider.
type CoverageByName map[string]sim.ProviderCoverage

// Summary counts scenarios by status.
type Summary struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	// Partial counts the passed scenarios some of whose steps were
	// skipped on the target.
	Partial int `json:"partial,omitempty"`
}

// Ran is the number of scenarios that ran (passed or failed).
func (s Summary) Ran() int { return s.Passed + s.Failed }

// Summarize counts the scenarios' statuses.
func Summarize(ss []Scenario) Summary {
	var s Summary
	for _, sc := range ss {
		switch sc.Status {
		case Passed:
			s.Passed++
			for _, st := range sc.Steps {
				if st.Status == Skipped {
					s.Partial++
					break
				}
			}
		case Failed:
			s.Failed++
		default:
			s.Skipped++
		}
	}
	return s
}

// Scenario is one scenario's outcome.
type Scenario struct {
	Name       string   `json:"name"`
	File       string   `json:"file"`
	Provider   string   `json:"provider"`
	Tags       []string `json:"tags,omitempty"`
	Status     Status   `json:"status"`
	Duration   Duration `json:"duration"`
	SkipReason string   `json:"skipReason,omitempty"`
	// Error is a problem outside any step (minting the merchant...).
	Error string `json:"error,omitempty"`
	Steps []Step `json:"steps"`
}

// Step is one step's outcome.
type Step struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	// At is where the step is written, file:line.
	At         string    `json:"at,omitempty"`
	Status     Status    `json:"status"`
	Duration   Duration  `json:"duration"`
	SkipReason string    `json:"skipReason,omitempty"`
	Attempts   int       `json:"attempts,omitempty"`
	Exchange   *Exchange `json:"exchange,omitempty"`
	Failures   []Failure `json:"failures,omitempty"`
	Notes      []string  `json:"notes,omitempty"`
}

// Exchange is a request and its response (or a received callback, which
// has no response), secrets redacted.
type Exchange struct {
	Request  Message  `json:"request"`
	Response *Message `json:"response,omitempty"`
}

// Message is one side of an exchange.
type Message struct {
	Method  string            `json:"method,omitempty"`
	URL     string            `json:"url,omitempty"`
	Status  int               `json:"status,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

// Failure is one failed expectation.
type Failure struct {
	// What failed: "status", "body", "headers.content-type", "openapi"...
	Check string `json:"check"`
	// At is where the failed expectation is written, file:line.
	At      string `json:"at,omitempty"`
	Message string `json:"message"`
	// Diff is a go-cmp diff, -want +got, when there is one.
	Diff string `json:"diff,omitempty"`
}

// Duration is a time.Duration that encodes as seconds in JSON.
type Duration time.Duration

// MarshalJSON writes seconds with millisecond precision.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(formatSeconds(time.Duration(d))), nil
}

// UnmarshalJSON reads seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var f float64
	if _, err := fmtSscan(string(b), &f); err != nil {
		return err
	}
	*d = Duration(f * float64(time.Second))
	return nil
}

// Seconds formats d as seconds with millisecond precision ("0.012").
func (d Duration) Seconds() string { return formatSeconds(time.Duration(d)) }
