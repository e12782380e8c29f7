package scenario

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/goccy/go-yaml"

	"github.com/paysandbox/paysandbox/contract/expr"
)

var (
	merchantRef = regexp.MustCompile(`\bmerchant((?:\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])+)`)
	envRefRe    = regexp.MustCompile(`\benv\.([A-Za-z_][A-Za-z0-9_]*)`)
	receiverRef = regexp.MustCompile(`\breceiver\.url\b`)
	// receiverTest is an expression that handles an empty receiver.url
	// itself: ${receiver.url != "" ? receiver.url : "https://callback.invalid"}.
	receiverTest = regexp.MustCompile(`\$\{[^}]*\breceiver\.url\s*[!=]=\s*(""|'')[^}]*\}`)
)

// refs records the merchant fields and environment variables the
// scenario's expressions read (scanning its strings, included files
// aside), so a plan can tell what a target must provide.
func (p *parse) refs(s *Scenario, generic any) {
	m, _ := expr.Normalize(generic).(map[string]any)
	delete(m, "description")
	delete(m, "name")
	merchant, env := map[string]bool{}, map[string]bool{}
	for k, v := range m {
		if k != "merchant" && receiverRef.MatchString(receiverTest.ReplaceAllString(fmt.Sprint(v), "")) {
			s.Compiled.SendsReceiverURL = true
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			for _, mm := range merchantRef.FindAllStringSubmatch(x, -1) {
				merchant["merchant"+mm[1]] = true
			}
			for _, mm := range envRefRe.FindAllStringSubmatch(x, -1) {
				env[mm[1]] = true
			}
		case map[string]any:
			for k, e := range x {
				walk(k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(m)
	for _, st := range s.Steps {
		if st.Include == "" {
			continue
		}
		file := st.Include
		if !filepath.IsAbs(file) {
			file = filepath.Join(p.dir, file)
		}
		if data, err := os.ReadFile(file); err == nil {
			var v any
			if yaml.Unmarshal(data, &v) == nil {
				walk(expr.Normalize(v))
			}
		}
	}
	s.Compiled.MerchantRefs = sortedKeys(merchant)
	s.Compiled.EnvRefs = sortedKeys(env)
}
