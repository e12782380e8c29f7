package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/paysandbox/paysandbox/contract/result"
	"github.com/paysandbox/paysandbox/sim"
)

// JSON writes the run as indented JSON.
func JSON(w io.Writer, run result.Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(run)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string          `xml:"name,attr"`
	Tests     int             `xml:"tests,attr"`
	Failures  int             `xml:"failures,attr"`
	Skipped   int             `xml:"skipped,attr"`
	Time      string          `xml:"time,attr"`
	Timestamp string          `xml:"timestamp,attr,omitempty"`
	Props     []junitProperty `xml:"properties>property,omitempty"`
	Cases     []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut *cdata        `xml:"system-out,omitempty"`
}

type cdata struct {
	Text string `xml:",cdata"`
}

type junitMessage struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

// JUnit writes JUnit XML: a testsuite per provider, a testcase per
// scenario, its steps in system-out.
func JUnit(w io.Writer, run result.Run) error {
	byProvider := map[string][]result.Scenario{}
	for _, s := range run.Scenarios {
		byProvider[s.Provider] = append(byProvider[s.Provider], s)
	}
	names := make([]string, 0, len(byProvider))
	for n := range byProvider {
		names = append(names, n)
	}
	sort.Strings(names)
	out := junitSuites{Name: "contract " + run.Target, Time: run.Duration.Seconds()}
	for _, n := range names {
		suite := junitSuite{Name: n, Props: []junitProperty{{Name: "target", Value: run.Target}, {Name: "targetKind", Value: run.TargetKind}}}
		if !run.Started.IsZero() {
			suite.Timestamp = run.Started.Format("2006-01-02T15:04:05Z")
		}
		var total result.Duration
		for _, s := range byProvider[n] {
			c := junitCase{Name: s.Name, Classname: n, File: s.File, Time: s.Duration.Seconds(), SystemOut: &cdata{Text: steps(s)}}
			total += s.Duration
			suite.Tests++
			switch s.Status {
			case result.Failed:
				suite.Failures++
				msg, detail := failureText(s)
				c.Failure = &junitMessage{Message: msg, Type: "ContractFailure", Text: detail}
			case result.Skipped:
				suite.Skipped++
				c.Skipped = &junitMessage{Message: s.SkipReason}
			}
			suite.Cases = append(suite.Cases, c)
		}
		suite.Time = total.Seconds()
		out.Tests += suite.Tests
		out.Failures += suite.Failures
		out.Skipped += suite.Skipped
		out.Suites = append(out.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func steps(s result.Scenario) string {
	var b strings.Builder
	for _, st := range s.Steps {
		fmt.Fprintf(&b, "%s %d. %s [%s] %ss", strings.ToUpper(string(st.Status)), st.Index, st.Name, st.Kind, st.Duration.Seconds())
		if st.SkipReason != "" {
			b.WriteString(": " + st.SkipReason)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func failureText(s result.Scenario) (string, string) {
	if s.Error != "" {
		return s.Error, s.Error
	}
	var b strings.Builder
	msg := ""
	for _, st := range s.Steps {
		if st.Status != result.Failed {
			continue
		}
		fmt.Fprintf(&b, "step %d: %s (%s)\n", st.Index, st.Name, st.Kind)
		for _, f := range st.Failures {
			if msg == "" {
				first, _, _ := strings.Cut(f.Message, "\n")
				msg = fmt.Sprintf("step %d (%s): %s", st.Index, st.Name, first)
			}
			b.WriteString(indent(f.Message, "  ") + "\n")
			if f.Diff != "" {
				b.WriteString("  diff (-want +got):\n" + indent(strings.TrimRight(f.Diff, "\n"), "  ") + "\n")
			}
		}
		if st.Exchange != nil {
			b.WriteString(indent(Exchange(*st.Exchange), "  ") + "\n")
		}
	}
	return msg, b.String()
}

// Coverage writes the simulator's coverage as a Markdown table, one row per
// provider, then the items never hit of the providers in detail (all when
// detail is nil).
func Coverage(w io.Writer, cov map[string]sim.ProviderCoverage, detail []string) {
	names := make([]string, 0, len(cov))
	for n := range cov {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "| provider | operations | error codes | transitions |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, n := range names {
		c := cov[n]
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", n, frac(c.Operations), frac(c.ErrorCodes), frac(c.Transitions))
	}
	for _, n := range names {
		if detail != nil && !slices.Contains(detail, n) {
			continue
		}
		c := cov[n]
		for _, sec := range []struct {
			name string
			s    sim.CoverageSection
		}{{"operation", c.Operations}, {"error code", c.ErrorCodes}, {"transition", c.Transitions}} {
			for _, it := range sec.s.Items {
				if it.Hits == 0 {
					fmt.Fprintf(w, "not covered: %s %s %s\n", n, sec.name, it.Name)
				}
			}
		}
	}
}

func frac(s sim.CoverageSection) string {
	pct := 100.0
	if s.Total > 0 {
		pct = 100 * float64(s.Covered) / float64(s.Total)
	}
	return fmt.Sprintf("%d/%d (%.0f%%)", s.Covered, s.Total, pct)
}

// CoverageComplete reports whether every item of provider is covered.
func CoverageComplete(c sim.ProviderCoverage) bool {
	return c.Operations.Covered == c.Operations.Total &&
		c.ErrorCodes.Covered == c.ErrorCodes.Total &&
		c.Transitions.Covered == c.Transitions.Total
}
