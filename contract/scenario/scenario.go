// Package scenario parses and checks scenario files. Parsing is strict:
// the file is validated against the JSON Schema (scenario.schema.json, the
// same document docs/scenario.schema.json publishes for editors), decoded
// into typed structs with unknown keys rejected, and every expression,
// matcher, duration and variable reference is checked before anything runs.
// Every problem carries file:line:column.
package scenario

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/paysandbox/paysandbox/contract/expr"
	"github.com/paysandbox/paysandbox/contract/match"
)

// Version is the scenario format version this package reads.
const Version = 1

// Scenario is one scenario file as written.
type Scenario struct {
	Version     int             `yaml:"version"`
	Name        string          `yaml:"name"`
	Description string          `yaml:"description"`
	Provider    string          `yaml:"provider"`
	Tags        []string        `yaml:"tags"`
	Variables   yaml.MapSlice   `yaml:"variables"`
	Secrets     []string        `yaml:"secrets"`
	Merchant    map[string]any  `yaml:"merchant"`
	FakeOnly    bool            `yaml:"fakeOnly"`
	Volatile    []string        `yaml:"volatile"`
	Timeout     string          `yaml:"timeout"`
	Cases       []yaml.MapSlice `yaml:"cases"`
	Locks       []string        `yaml:"locks"`
	Steps       []Step          `yaml:"steps"`

	// File is where the scenario was read from.
	File string `yaml:"-"`
	// Compiled holds the checked, compiled form the runner executes.
	Compiled Compiled `yaml:"-"`
	// Case is the case of a data-driven scenario (cases:) this copy runs;
	// nil for an ordinary scenario.
	Case *Case `yaml:"-"`
}

// Case is one row of a data-driven scenario's cases: table. Its values
// become variables, set before the scenario's own variables.
type Case struct {
	// Index is the row's position, from 1.
	Index int
	// Name is the case's name: its name: entry, else "#<Index>".
	Name string
	Vars []Var
}

// Step is one step as written: exactly one of Request, Await, Sim and
// Callback.
type Step struct {
	Name     string        `yaml:"name"`
	Request  *Request      `yaml:"request"`
	Await    *Await        `yaml:"await"`
	Sim      *Sim          `yaml:"sim"`
	Callback *Callback     `yaml:"callback"`
	Fault    *Fault        `yaml:"fault"`
	Assert   *string       `yaml:"assert"`
	Include  string        `yaml:"include"`
	Retry    *Retry        `yaml:"retry"`
	Expect   *Expect       `yaml:"expect"`
	Capture  yaml.MapSlice `yaml:"capture"`
	Volatile []string      `yaml:"volatile"`
	FakeOnly bool          `yaml:"fakeOnly"`
	Always   bool          `yaml:"always"`
}

// Request is an HTTP request to the provider's API.
type Request struct {
	Method  string         `yaml:"method"`
	Path    string         `yaml:"path"`
	Query   map[string]any `yaml:"query"`
	Headers map[string]any `yaml:"headers"`
	JSON    any            `yaml:"json"`
	Form    map[string]any `yaml:"form"`
	Raw     *string        `yaml:"raw"`
	// Timeout bounds this request (default: the run's request timeout),
	// e.g. a client that gives up on a hung provider.
	Timeout string `yaml:"timeout"`
}

// Retry repeats a request step until its expectations hold.
type Retry struct {
	// Attempts is how many times the request is sent at most (>= 2).
	Attempts int `yaml:"attempts"`
	// Delay is the real time between attempts (default 1s).
	Delay string `yaml:"delay"`
}

// Await repeats Request until the step's expectations hold.
type Await struct {
	Request Request `yaml:"request"`
	Every   string  `yaml:"every"`
	Within  string  `yaml:"within"`
}

// Sim is a control-plane action.
type Sim struct {
	Action     string `yaml:"action"`
	Method     string `yaml:"method"`
	Body       any    `yaml:"body"`
	Advance    string `yaml:"advance"`
	Standalone bool   `yaml:"standalone"`
}

// Fault adds a fault rule for the scenario's merchant (POST /_sim/faults):
// the same model as the control plane's, without provider and merchantId,
// which the runner fills in. See docs/control-api.md, Faults.
type Fault struct {
	Operation  string         `yaml:"operation"`
	Method     string         `yaml:"method"`
	Path       string         `yaml:"path"`
	Match      map[string]any `yaml:"match"`
	Action     map[string]any `yaml:"action"`
	When       map[string]any `yaml:"when"`
	Standalone bool           `yaml:"standalone"`
}

// Callback waits for a callback at the runner's receiver.
type Callback struct {
	Path   string `yaml:"path"`
	Within string `yaml:"within"`
}

// Expect is what a response or callback must look like.
type Expect struct {
	Status  any            `yaml:"status"`
	Headers map[string]any `yaml:"headers"`
	Body    any            `yaml:"body"`
	Text    any            `yaml:"text"`
	Method  any            `yaml:"method"`
	Path    any            `yaml:"path"`
	Query   map[string]any `yaml:"query"`
	// Dropped expects the request to fail at the transport: the connection
	// reset or closed without a complete answer, or the request's timeout
	// passed (an injected fault). Only status-less checks apply then.
	Dropped bool `yaml:"dropped"`
}

// Kind is a step's kind.
type Kind string

// Step kinds.
const (
	KindRequest  Kind = "request"
	KindAwait    Kind = "await"
	KindSim      Kind = "sim"
	KindCallback Kind = "callback"
	KindFault    Kind = "fault"
	KindAssert   Kind = "assert"
)

// Kind returns the step's kind ("" when none or several are set).
func (s *Step) Kind() Kind {
	var kinds []Kind
	if s.Request != nil {
		kinds = append(kinds, KindRequest)
	}
	if s.Await != nil {
		kinds = append(kinds, KindAwait)
	}
	if s.Sim != nil {
		kinds = append(kinds, KindSim)
	}
	if s.Callback != nil {
		kinds = append(kinds, KindCallback)
	}
	if s.Fault != nil {
		kinds = append(kinds, KindFault)
	}
	if s.Assert != nil {
		kinds = append(kinds, KindAssert)
	}
	if len(kinds) != 1 {
		return ""
	}
	return kinds[0]
}

// Title is the step's name, or a description built from it.
func (s *Step) Title() string {
	if s.Name != "" {
		return s.Name
	}
	switch s.Kind() {
	case KindRequest:
		return s.Request.Method + " " + s.Request.Path
	case KindAwait:
		return "await " + s.Await.Request.Method + " " + s.Await.Request.Path
	case KindSim:
		if s.Sim.Advance != "" {
			return "advance the clock by " + s.Sim.Advance
		}
		return "sim " + s.Sim.Action
	case KindCallback:
		return "callback " + s.Callback.Path
	case KindFault:
		what := s.Fault.Operation
		if what == "" {
			what = strings.TrimSpace(s.Fault.Method + " " + s.Fault.Path)
		}
		kind, _ := s.Fault.Action["kind"].(string)
		if what == "" {
			return "fault " + kind
		}
		return "fault " + kind + " on " + what
	case KindAssert:
		return "assert " + *s.Assert
	}
	return "step"
}

// Compiled is a scenario ready to run.
type Compiled struct {
	Variables []Var
	Merchant  *expr.Value
	Steps     []CompiledStep
	// MovesClock is true when a step calls a clock action of the control
	// plane itself (sim: clock/...), which may move the simulator's shared
	// clock; on a shared fake target such a scenario runs alone. advance
	// steps and awaits move only the scenario's merchant's clock.
	MovesClock bool
	// Timeout bounds the scenario's run (0: only the run's --timeout).
	Timeout time.Duration
	// MerchantRefs are the merchant fields the scenario reads, as written
	// (merchant.stores[0].terminals[1].terminalId), sorted; a sandbox
	// target must define each in its credentials or fixtures.
	MerchantRefs []string
	// EnvRefs are the environment variables the scenario reads (env.NAME).
	EnvRefs []string
	// Cases are the rows of a data-driven scenario (cases:).
	Cases []Case
	// SendsReceiverURL is true when ${receiver.url} appears outside the
	// merchant: settings (in a request, say), where it is "" on a target
	// that cannot call the runner back.
	SendsReceiverURL bool
}

// RealTimeWait is the longest the scenario can wait in real time on a
// target without a control plane (where awaits sleep between polls): the
// sum of its awaits' within.
func (c *Compiled) RealTimeWait() time.Duration {
	var d time.Duration
	for _, st := range c.Steps {
		if st.Kind == KindAwait {
			d += st.Within
		}
	}
	return d
}

// SlowWait is the real-time wait from which a scenario counts as slow:
// it carries the implicit tag "slow", so --tags '!slow' leaves it out.
const SlowWait = time.Minute

// Var is a compiled scenario variable.
type Var struct {
	Name  string
	Value *expr.Value
}

// CompiledStep is a step ready to run.
type CompiledStep struct {
	Kind  Kind
	Title string

	Request *CompiledRequest // request and await

	Every, Within time.Duration // await, callback

	SimMethod  string
	SimPath    *expr.Template // below /_sim/
	SimBody    *expr.Value
	Advance    time.Duration
	Standalone bool

	// FakeOnly steps exercise what only the simulator has (a merchant
	// of the scenario's own...): skipped on targets without a control
	// plane; later steps do not depend on them.
	FakeOnly bool
	// Always steps clean up (cancel what the scenario started): they run
	// even when an earlier step failed or was skipped for a dependency,
	// unless a capture they read (Reads) was never made. They are not
	// checks: a scenario of which only they can run is skipped.
	Always bool
	// Reads are the captures of earlier steps an Always step reads.
	Reads []string

	CallbackPath string // callback: the path below the receiver URL ("" any)

	FaultRule *expr.Value // fault: the rule, without provider and merchantId

	// Timeout bounds a request step (0: the run's default); Dropped
	// expects its connection to be dropped.
	Timeout time.Duration
	Dropped bool

	Status, Body, Text, Method, Path match.Matcher
	Headers                          []Field
	Query                            []Field

	Captures []Capture
	Volatile []string

	// Assert is the expression of an assert step.
	Assert *expr.Program
	// Attempts and RetryDelay: a request step with retry: is sent up to
	// Attempts times, RetryDelay apart, until its expectations hold.
	Attempts   int
	RetryDelay time.Duration
	// Asserts is true when the step checks something the scenario wrote
	// (an expect: block or an assert step), not only the default 2xx.
	Asserts bool
	// File and Line locate the step (an included step is in its own
	// file); Lines locate its expectations by check ("status", "body",
	// "headers.x-y", ...).
	File  string
	Line  int
	Lines map[string]int
}

// CompiledRequest is a request ready to render.
type CompiledRequest struct {
	Method  string
	Path    *expr.Template
	Query   []TField
	Headers []TField
	JSON    *expr.Value
	Form    []TField
	Raw     *expr.Template
}

// TField is a named template.
type TField struct {
	Name  string
	Value *expr.Template
}

// Field is a named matcher.
type Field struct {
	Name    string
	Matcher match.Matcher
}

// Capture stores an expression's value in a variable.
type Capture struct {
	Name string
	Expr *expr.Program
}

// Runtime names every scenario sees besides its variables.
var runtimeNames = []string{"merchant", "receiver", "target", "scenario", "provider", "env"}

// RuntimeNames lists the variables the runner defines for every scenario.
func RuntimeNames() []string { return append([]string(nil), runtimeNames...) }

// responseNames are the names captures and expectations of a request see.
var responseNames = []string{"status", "headers", "body", "text"}

// callbackNames are the names captures and expectations of a callback see.
var callbackNames = []string{"method", "path", "query", "headers", "body", "text"}

// sortedKeys returns m's keys sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// HasTag reports whether s is tagged t. A scenario whose real-time
// waits reach SlowWait is tagged "slow" implicitly.
func (s *Scenario) HasTag(t string) bool {
	if strings.EqualFold(t, "slow") && s.Compiled.RealTimeWait() >= SlowWait {
		return true
	}
	for _, x := range s.Tags {
		if strings.EqualFold(x, t) {
			return true
		}
	}
	return false
}

// String is "file: name".
func (s *Scenario) String() string { return fmt.Sprintf("%s: %s", s.File, s.Name) }

// At is where the expectation named check ("status", "body",
// "headers.content-type"...) of the step is written, file:line; the
// step's own line for other checks.
func (cs *CompiledStep) At(check string) string {
	line := cs.Line
	if l, ok := cs.Lines[check]; ok {
		line = l
	} else {
		for k, l := range cs.Lines {
			if strings.EqualFold(k, check) {
				line = l
			}
		}
	}
	if cs.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", cs.File, line)
}

// LineNote is " (line N)" when the expectation at path below check (a
// mismatch's path, "result.status") is written on another line than the
// check itself, else "".
func (cs *CompiledStep) LineNote(check, path string) string {
	base, ok := cs.Lines[check]
	if !ok {
		return ""
	}
	key := check + "." + path
	for key != check {
		if l, ok := cs.Lines[key]; ok {
			if l == base {
				return ""
			}
			return fmt.Sprintf(" (line %d)", l)
		}
		i := strings.LastIndexAny(key, ".[")
		if i < len(check) {
			break
		}
		key = key[:i]
	}
	return ""
}
