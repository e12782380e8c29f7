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
	Version     int            `yaml:"version"`
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	Provider    string         `yaml:"provider"`
	Tags        []string       `yaml:"tags"`
	Variables   yaml.MapSlice  `yaml:"variables"`
	Secrets     []string       `yaml:"secrets"`
	Merchant    map[string]any `yaml:"merchant"`
	FakeOnly    bool           `yaml:"fakeOnly"`
	Volatile    []string       `yaml:"volatile"`
	Steps       []Step         `yaml:"steps"`

	// File is where the scenario was read from.
	File string `yaml:"-"`
	// Compiled holds the checked, compiled form the runner executes.
	Compiled Compiled `yaml:"-"`
}

// Step is one step as written: exactly one of Request, Await, Sim and
// Callback.
type Step struct {
	Name     string        `yaml:"name"`
	Request  *Request      `yaml:"request"`
	Await    *Await        `yaml:"await"`
	Sim      *Sim          `yaml:"sim"`
	Callback *Callback     `yaml:"callback"`
	Expect   *Expect       `yaml:"expect"`
	Capture  yaml.MapSlice `yaml:"capture"`
	Volatile []string      `yaml:"volatile"`
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
}

// Kind is a step's kind.
type Kind string

// Step kinds.
const (
	KindRequest  Kind = "request"
	KindAwait    Kind = "await"
	KindSim      Kind = "sim"
	KindCallback Kind = "callback"
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
}

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

	CallbackPath string // callback: the path below the receiver URL ("" any)

	Status, Body, Text, Method, Path match.Matcher
	Headers                          []Field
	Query                            []Field

	Captures []Capture
	Volatile []string
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
var runtimeNames = []string{"merchant", "receiver", "target", "scenario", "provider"}

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

// HasTag reports whether s is tagged t.
func (s *Scenario) HasTag(t string) bool {
	for _, x := range s.Tags {
		if strings.EqualFold(x, t) {
			return true
		}
	}
	return false
}

// String is "file: name".
func (s *Scenario) String() string { return fmt.Sprintf("%s: %s", s.File, s.Name) }
