// Package report renders results: live text progress with failure details
// for people, and JSON and JUnit XML for CI systems. It only reads
// result types; secrets were redacted when the results were made.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/paysandbox/paysandbox/contract/result"
)

// Text writes human-readable output.
type Text struct {
	W io.Writer
	// Color adds ANSI colours; use IsTerminal to decide.
	Color bool
	// Verbose lists every step of every scenario, not only failures.
	Verbose bool
}

// IsTerminal reports whether w is a character device (a terminal), the
// only place colour is written. NO_COLOR in the environment turns it off.
func IsTerminal(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

const (
	green  = "\x1b[32m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	dim    = "\x1b[2m"
	reset  = "\x1b[0m"
)

func (t Text) paint(color, s string) string {
	if !t.Color {
		return s
	}
	return color + s + reset
}

func (t Text) label(s result.Status) string {
	switch s {
	case result.Passed:
		return t.paint(green, "PASS")
	case result.Failed:
		return t.paint(red, "FAIL")
	default:
		return t.paint(yellow, "SKIP")
	}
}

// Progress writes the one line of a finished scenario.
func (t Text) Progress(s result.Scenario) {
	label := t.label(s.Status)
	n := skippedSteps(s)
	if s.Status == result.Passed && n > 0 {
		// Passed, but not all of it ran: say so where the eye goes.
		label = t.paint(yellow, "PART")
	}
	line := fmt.Sprintf("%s  %s  %s", label, s.Name, t.paint(dim, "("+s.File+", "+s.Duration.Seconds()+"s)"))
	switch {
	case s.Status == result.Skipped && s.SkipReason != "":
		line += "  " + s.SkipReason
	case s.Status == result.Passed && n > 0:
		line += fmt.Sprintf("  passed, but %d of %d steps did not run on this target", n, len(s.Steps))
		for _, st := range s.Steps {
			if st.Status == result.Skipped {
				line += fmt.Sprintf(" (from step %d: %s)", st.Index, st.SkipReason)
				break
			}
		}
	}
	fmt.Fprintln(t.W, line)
	if t.Verbose {
		for _, st := range s.Steps {
			t.stepLine(st)
		}
	}
}

func skippedSteps(s result.Scenario) int {
	n := 0
	for _, st := range s.Steps {
		if st.Status == result.Skipped {
			n++
		}
	}
	return n
}

func (t Text) stepLine(st result.Step) {
	line := fmt.Sprintf("      %s %2d. %s %s", t.label(st.Status), st.Index, st.Name, t.paint(dim, "("+st.Duration.Seconds()+"s)"))
	if st.SkipReason != "" {
		line += "  " + t.paint(dim, st.SkipReason)
	}
	if st.Attempts > 1 {
		line += fmt.Sprintf("  (%d attempts)", st.Attempts)
	}
	fmt.Fprintln(t.W, line)
	for _, n := range st.Notes {
		fmt.Fprintln(t.W, "          "+t.paint(dim, "note: "+n))
	}
}

// Failures writes the details of every failed scenario: the step, the
// request and response, what was expected and a diff.
func (t Text) Failures(run result.Run) {
	for _, s := range run.Scenarios {
		if s.Status != result.Failed {
			continue
		}
		fmt.Fprintf(t.W, "\n%s %s (%s)\n", t.paint(red, "--- FAIL:"), s.Name, s.File)
		if s.Error != "" {
			fmt.Fprintf(t.W, "    %s\n", s.Error)
		}
		for _, st := range s.Steps {
			if st.Status != result.Failed {
				continue
			}
			at := ""
			if st.At != "" {
				at = " at " + st.At
			}
			fmt.Fprintf(t.W, "    step %d: %s (%s)%s\n", st.Index, st.Name, st.Kind, at)
			last := st.At
			for _, f := range st.Failures {
				if f.At != "" && f.At != last {
					fmt.Fprintf(t.W, "      expected at %s:\n", f.At)
					last = f.At
				}
				fmt.Fprintf(t.W, "%s\n", indent(f.Message, "      "))
				if f.Diff != "" {
					fmt.Fprintf(t.W, "      diff (-want +got):\n%s\n", indent(strings.TrimRight(f.Diff, "\n"), "      "))
				}
			}
			if st.Exchange != nil {
				fmt.Fprintf(t.W, "%s\n", indent(Exchange(*st.Exchange), "      "))
			}
			for _, n := range st.Notes {
				fmt.Fprintf(t.W, "      note: %s\n", n)
			}
		}
	}
}

// Exchange renders a request and response like an HTTP transcript.
func Exchange(x result.Exchange) string {
	var b strings.Builder
	b.WriteString("> " + x.Request.Method + " " + x.Request.URL + "\n")
	writeHeaders(&b, "> ", x.Request.Headers)
	writeBody(&b, "> ", x.Request.Body)
	if x.Response != nil {
		fmt.Fprintf(&b, "< %d\n", x.Response.Status)
		writeHeaders(&b, "< ", x.Response.Headers)
		writeBody(&b, "< ", x.Response.Body)
	}
	return strings.TrimRight(b.String(), "\n")
}

func writeHeaders(b *strings.Builder, prefix string, h map[string]string) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(prefix + k + ": " + h[k] + "\n")
	}
}

func writeBody(b *strings.Builder, prefix string, body any) {
	if body == nil {
		return
	}
	var s string
	if str, ok := body.(string); ok {
		s = str
	} else {
		out, err := json.MarshalIndent(body, "", "  ")
		if err != nil {
			s = fmt.Sprint(body)
		} else {
			s = string(out)
		}
	}
	b.WriteString(prefix + "\n")
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(prefix + line + "\n")
	}
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// Summary writes the summary line.
func (t Text) Summary(run result.Run) {
	s := run.Summary
	line := fmt.Sprintf("%d passed, %d failed, %d skipped", s.Passed, s.Failed, s.Skipped)
	if s.Partial > 0 {
		line = fmt.Sprintf("%d passed (%d of them partly: PART, steps skipped on this target), %d failed, %d skipped", s.Passed, s.Partial, s.Failed, s.Skipped)
	}
	if s.Failed > 0 {
		line = t.paint(red, line)
	} else {
		line = t.paint(green, line)
	}
	fmt.Fprintf(t.W, "\n%s  %s\n", line, t.paint(dim, fmt.Sprintf("(%ss on %s)", run.Duration.Seconds(), run.Target)))
}
