// Package fault is the model of injected failures: rules that say which
// provider requests or outbound callbacks fail, how and when, scoped to one
// merchant (or, for a developer's flaky day, to every merchant of a
// provider). The package decides; package sim applies the decision to the
// HTTP exchange (sim/middleware.go) and package callback to a delivery.
//
// Decisions are reproducible: counting rules (next, every, after) count the
// requests a rule matched, and probability draws come from a stream seeded
// by the simulator's seed (or the rule's own seed) and indexed by that
// count, so the same seed and the same calls fail the same requests.
package fault

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// Kinds of fault on a provider request.
const (
	// Latency answers normally after a wall-clock wait (the client is
	// waiting in real time): Action.Latency, up to Action.LatencyMax.
	Latency = "latency"
	// Error answers the provider's own error envelope with Action.Status:
	// 500 (default), 503 (maintenance) or 429 (rate limited, with
	// Retry-After). The request is not processed.
	Error = "error"
	// Reset drops the connection before any answer (a TCP reset where the
	// connection allows it). The request is not processed.
	Reset = "reset"
	// Empty answers Action.Status (default 200) with an empty body. The
	// request is not processed.
	Empty = "empty"
	// Truncate processes the request, then sends the headers and part of
	// the body and drops the connection.
	Truncate = "truncate"
	// Malformed processes the request and answers a complete but corrupt
	// body (cut in half, so JSON or XML fails to parse).
	Malformed = "malformed"
	// Lost processes the request (its state changes) and drops the
	// connection instead of answering: the case that tests idempotency and
	// reconciliation.
	Lost = "lost"
	// Hang holds the request until the client goes away or the simulator
	// stops. The request is not processed.
	Hang = "hang"
)

// Kinds of fault on an outbound callback or webhook.
const (
	// Drop never sends the callback.
	Drop = "drop"
	// Delay sends it Action.Delay later on the merchant's virtual clock.
	Delay = "delay"
	// Duplicate sends it twice.
	Duplicate = "duplicate"
	// Reorder holds it until the merchant's next callback was delivered
	// (or Action.Delay of virtual time passed, default 1m), so the two
	// arrive in the wrong order.
	Reorder = "reorder"
	// Corrupt breaks its signature: the provider's own hook when it has
	// one, else one character of a signature-like header, else of the body.
	Corrupt = "corrupt"
	// WrongURL sends it to Action.URL (default: the URL with "-wrong"
	// appended to its path).
	WrongURL = "wrong-url"
)

// RequestKinds and CallbackKinds list the kinds, for docs and coverage.
var (
	RequestKinds  = []string{Latency, Error, Reset, Empty, Truncate, Malformed, Lost, Hang}
	CallbackKinds = []string{Drop, Delay, Duplicate, Reorder, Corrupt, WrongURL}
)

// OnCallback reports whether kind applies to callbacks (else to requests).
func OnCallback(kind string) bool { return slices.Contains(CallbackKinds, kind) }

// BeforeHandler reports whether a request fault of kind is applied instead
// of the provider's handler (the request is not processed); the others let
// the handler run and then act on its answer.
func BeforeHandler(kind string) bool {
	switch kind {
	case Error, Reset, Empty, Hang:
		return true
	}
	return false
}

// Origins of a rule.
const (
	OriginControl = "control" // POST /_sim/faults or Server.AddFault
	OriginFile    = "file"    // --faults FILE; kept across resets
)

// Rule is one fault rule as the control plane shows and takes it.
type Rule struct {
	// ID is assigned by the simulator ("flt_1", ...).
	ID string `json:"id,omitempty"`
	// Provider is the mount name the rule applies to (required).
	Provider string `json:"provider"`
	// MerchantID scopes the rule to one merchant (the non-secret merchantId
	// of its credentials). Required unless Global.
	MerchantID string `json:"merchantId,omitempty"`
	// Global applies the rule to every request or callback of the
	// provider, whoever makes it (also unauthenticated requests).
	Global bool `json:"global,omitempty"`

	// Operation is an operationId of the provider's OpenAPI document or
	// "METHOD /documented/{path}" (as the coverage report names them).
	Operation string `json:"operation,omitempty"`
	// Method and Path match the request: Path is a pattern below the
	// provider base where "*" matches within one segment and a final "/**"
	// any rest. For a callback, Path matches the end of its URL's path
	// ("/webhook" matches https://shop.example/hooks/webhook).
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	// Match compares fields of the request or callback.
	Match *Match `json:"match,omitempty"`

	Action Action `json:"action"`
	When   When   `json:"when,omitempty"`

	// Origin is where the rule came from (control or file); file rules
	// survive resets.
	Origin string `json:"origin,omitempty"`
	// Seen counts the requests the rule matched while active; Hits those
	// it failed.
	Seen int `json:"seen"`
	Hits int `json:"hits"`
	// Exhausted is true once the rule will not fire again (next reached or
	// until passed).
	Exhausted bool `json:"exhausted,omitempty"`
}

// Match compares request or callback fields with wanted values (all must
// hold). Body fields are dotted paths into a JSON body ("order.id") or
// names of a form body's fields; values compare as text.
type Match struct {
	Query   map[string]string `json:"query,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    map[string]string `json:"body,omitempty"`
}

// Action is what happens.
type Action struct {
	Kind string `json:"kind"`
	// Status of an error (500, 503, 429) or empty answer.
	Status int `json:"status,omitempty"`
	// RetryAfter is sent as Retry-After (whole seconds) with an error;
	// default 1s for 429.
	RetryAfter Duration `json:"retryAfter,omitempty"`
	// Latency is a wall-clock wait before the answer, for any request kind
	// (with kind latency, the only effect). With LatencyMax the wait is
	// drawn from [Latency, LatencyMax] by the rule's seeded stream.
	Latency    Duration `json:"latency,omitempty"`
	LatencyMax Duration `json:"latencyMax,omitempty"`
	// Delay is the virtual-clock delay of a delayed callback, or the
	// longest a reordered callback waits for the next one.
	Delay Duration `json:"delay,omitempty"`
	// URL is where a wrong-url callback goes.
	URL string `json:"url,omitempty"`
}

// When says which of the matching requests fail. Zero values mean "every
// one". The conditions combine: skip the first After, then every Every-th
// one, each with Probability, at most Next times, until Until.
type When struct {
	Next        int     `json:"next,omitempty"`
	Every       int     `json:"every,omitempty"`
	After       int     `json:"after,omitempty"`
	Probability float64 `json:"probability,omitempty"`
	// Seed of the probability stream (default: the simulator's --seed).
	Seed uint64 `json:"seed,omitempty"`
	// Until is the virtual time (the merchant's clock; the simulator's for
	// global rules) at which the rule expires.
	Until *time.Time `json:"until,omitempty"`
	// For expires the rule this long (virtual time) after it was added;
	// the simulator turns it into Until.
	For Duration `json:"for,omitempty"`
}

// Duration is a Go duration written as a JSON string ("2s", "5m").
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a Go duration string such as \"2s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("want a non-negative Go duration such as \"2s\", got %q", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// D is the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Limits keep rules bounded.
const (
	// MaxRules is the most rules a simulator holds.
	MaxRules = 1000
	// MaxPerMerchant is the most rules one merchant (or the global scope
	// of one provider) holds.
	MaxPerMerchant = 100
	// MaxLatency caps a latency (a client waits it in real time).
	MaxLatency = 10 * time.Minute
)

// ErrInvalid wraps every validation error.
var ErrInvalid = errors.New("invalid fault rule")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Validate checks a rule as written (before the simulator assigns its id).
func (r *Rule) Validate() error {
	if r.Provider == "" {
		return invalid("provider is required")
	}
	if r.Global && r.MerchantID != "" {
		return invalid("give merchantId or global, not both")
	}
	if !r.Global && r.MerchantID == "" {
		return invalid("merchantId is required (rules are per merchant); set global: true for every merchant of %s", r.Provider)
	}
	a := &r.Action
	switch {
	case a.Kind == "":
		return invalid("action.kind is required: one of %s (requests) or %s (callbacks)", strings.Join(RequestKinds, ", "), strings.Join(CallbackKinds, ", "))
	case !slices.Contains(RequestKinds, a.Kind) && !OnCallback(a.Kind):
		return invalid("action.kind %q is not one of %s (requests) or %s (callbacks)", a.Kind, strings.Join(RequestKinds, ", "), strings.Join(CallbackKinds, ", "))
	}
	if OnCallback(a.Kind) {
		if r.Operation != "" {
			return invalid("operation is for request faults; a callback rule matches method, path and match")
		}
		if a.Latency != 0 || a.LatencyMax != 0 || a.Status != 0 || a.RetryAfter != 0 {
			return invalid("latency, status and retryAfter are for request faults")
		}
		if a.Kind == Delay && a.Delay <= 0 {
			return invalid("action.delay (a virtual-clock duration such as \"5m\") is required for %s", Delay)
		}
		if a.Kind != Delay && a.Kind != Reorder && a.Delay != 0 {
			return invalid("action.delay is for %s and %s", Delay, Reorder)
		}
		if a.URL != "" && a.Kind != WrongURL {
			return invalid("action.url is for %s", WrongURL)
		}
	} else {
		if a.Delay != 0 || a.URL != "" {
			return invalid("action.delay and action.url are for callback faults")
		}
		switch a.Kind {
		case Error:
			switch a.Status {
			case 0:
				a.Status = 500
			case 500, 503, 429:
			default:
				return invalid("action.status of an error is 500, 503 or 429, got %d", a.Status)
			}
		case Empty:
			if a.Status == 0 {
				a.Status = 200
			}
			if a.Status < 200 || a.Status > 599 || (a.Status >= 300 && a.Status < 400) || a.Status == 204 || a.Status == 304 {
				return invalid("action.status of an empty answer is 200-299 (not 204) or 400-599, got %d", a.Status)
			}
		default:
			if a.Status != 0 {
				return invalid("action.status is for %s and %s", Error, Empty)
			}
		}
		if a.RetryAfter != 0 && a.Kind != Error {
			return invalid("action.retryAfter is for %s", Error)
		}
		if a.Kind == Latency && a.Latency <= 0 {
			return invalid("action.latency (a duration such as \"2s\") is required for %s", Latency)
		}
		if a.LatencyMax != 0 && a.LatencyMax < a.Latency {
			return invalid("action.latencyMax must not be below action.latency")
		}
		if max(a.Latency, a.LatencyMax).D() > MaxLatency {
			return invalid("latency is capped at %s", MaxLatency)
		}
	}
	if r.Method != "" {
		r.Method = strings.ToUpper(r.Method)
	}
	if r.Path != "" {
		if !strings.HasPrefix(r.Path, "/") {
			return invalid("path must start with / (below the provider base), got %q", r.Path)
		}
		if _, err := path.Match(strings.TrimSuffix(r.Path, "/**"), "/"); err != nil {
			return invalid("path %q is not a valid pattern: %v", r.Path, err)
		}
	}
	w := &r.When
	switch {
	case w.Next < 0 || w.Every < 0 || w.After < 0:
		return invalid("when.next, when.every and when.after are not negative")
	case w.Probability < 0 || w.Probability > 1:
		return invalid("when.probability is between 0 and 1, got %v", w.Probability)
	case w.Until != nil && w.For != 0:
		return invalid("give when.until or when.for, not both")
	}
	return nil
}

// Hit is a decision: rule RuleID fails this request or callback.
type Hit struct {
	RuleID string
	Action Action
	// Latency is the wall-clock wait drawn for this request.
	Latency time.Duration
}

// Kind is the hit's kind.
func (h *Hit) Kind() string { return h.Action.Kind }
