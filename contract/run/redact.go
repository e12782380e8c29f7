package run

import (
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/paysandbox/paysandbox/contract/expr"
	"github.com/paysandbox/paysandbox/sim/journal"
)

// redactor removes known secret values (the merchant's app secret, tokens
// the scenario captured) from everything a report shows, on top of the
// name-based redaction of package journal (Authorization headers, "token"
// keys...).
type redactor struct {
	mu      sync.Mutex
	secrets []string
}

func newRedactor() *redactor { return &redactor{} }

// minSecret is the shortest value treated as a secret; shorter ones would
// blank out unrelated text.
const minSecret = 6

func (r *redactor) add(v any) {
	s, ok := v.(string)
	if !ok || len(s) < minSecret {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.secrets {
		if x == s {
			return
		}
	}
	r.secrets = append(r.secrets, s)
	// Longest first, so a secret containing another is replaced whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

func (r *redactor) str(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.secrets {
		s = strings.ReplaceAll(s, x, journal.Redacted)
	}
	return s
}

func (r *redactor) tree(v any) any {
	switch x := v.(type) {
	case string:
		return r.str(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = r.tree(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.tree(e)
		}
		return out
	}
	return v
}

func (r *redactor) headers(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := journal.Headers(h)
	for k, v := range out {
		out[k] = r.str(v)
	}
	return out
}

// body is the redacted, JSON-friendly view of a message body.
func (r *redactor) body(b []byte, contentType string) any {
	return r.tree(expr.Normalize(journal.Body(b, contentType, 16<<10)))
}

func (r *redactor) url(base, rawQuery string) string {
	if rawQuery == "" {
		return r.str(base)
	}
	return r.str(base + "?" + journal.Query(rawQuery))
}

// isSecretName reports whether a variable or credential of this name holds
// a secret.
func isSecretName(name string) bool {
	if journal.IsSecret(name) {
		return true
	}
	n := strings.ToLower(name)
	for _, part := range []string{"secret", "token", "jwt", "password", "apikey"} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}
