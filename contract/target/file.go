package target

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// File is a targets file: named real sandboxes (and simulators), with
// credentials taken from environment variables.
//
//	version: 1
//	targets:
//	  mispay-sandbox:
//	    kind: sandbox
//	    providers:
//	      misspay:
//	        baseUrl: https://api.mispay.co/sandbox/v1/api
//	        credentials:
//	          appId: ${MISPAY_APP_ID}
//	          appSecret: ${MISPAY_APP_SECRET}
//	        fixtures:             # non-secret merchant data, as written
//	          stores: [{storeId: S1, terminals: [{terminalId: T1001}]}]
//	  shared-sim:
//	    kind: simulator
//	    url: http://sim.ci.internal:8080
type File struct {
	Version int            `yaml:"version"`
	Targets map[string]Def `yaml:"targets"`
}

// Def defines one target.
type Def struct {
	Kind      Kind                   `yaml:"kind"`
	URL       string                 `yaml:"url"`
	Providers map[string]ProviderDef `yaml:"providers"`
}

// ProviderDef is one provider of a sandbox target.
type ProviderDef struct {
	BaseURL     string            `yaml:"baseUrl"`
	Credentials map[string]string `yaml:"credentials"`
	// Fixtures are non-secret merchant data (stores, terminals, ids) that
	// scenarios read as merchant.<key>, alongside the credentials. A
	// secret nested in them (stores[1].password) is written as an
	// ${ENV_VAR} reference, resolved like a credential.
	Fixtures map[string]any `yaml:"fixtures"`
}

// SandboxProvider is a provider of a sandbox target with its credentials
// resolved from the environment.
type SandboxProvider struct {
	BaseURL     string
	Credentials map[string]string
	Fixtures    map[string]any
}

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// LoadFile reads a targets file. Credentials must be ${ENV} references:
// secrets are never stored in the file.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: the targets file %s does not exist (give one with --targets FILE or CONTRACT_TARGETS)", ErrNoTargetsFile, path)
	}
	if err != nil {
		return nil, err
	}
	var f File
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("%s: %s", path, yaml.FormatError(err, false, true))
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("%s: version: want 1, got %d", path, f.Version)
	}
	var problems []string
	for _, name := range sortedNames(f.Targets) {
		d := f.Targets[name]
		switch d.Kind {
		case KindSandbox:
			if len(d.Providers) == 0 {
				problems = append(problems, fmt.Sprintf("target %s: a sandbox needs providers", name))
			}
			for pn, p := range d.Providers {
				if !strings.HasPrefix(p.BaseURL, "https://") && !strings.HasPrefix(p.BaseURL, "http://") {
					problems = append(problems, fmt.Sprintf("target %s: provider %s: baseUrl must be an http(s) URL", name, pn))
				}
				for _, k := range sortedNames(p.Credentials) {
					if !envRef.MatchString(p.Credentials[k]) {
						problems = append(problems, fmt.Sprintf("target %s: provider %s: credentials.%s must be an ${ENV_VAR} reference; secrets are never stored in the targets file (non-secret merchant data such as stores and terminal ids goes under fixtures:)", name, pn, k))
					}
				}
				for _, k := range sortedNames(p.Fixtures) {
					if _, dup := p.Credentials[k]; dup {
						problems = append(problems, fmt.Sprintf("target %s: provider %s: %s is both a credential and a fixture", name, pn, k))
					}
				}
				for _, at := range literalSecrets("fixtures", jsonValue(p.Fixtures)) {
					problems = append(problems, fmt.Sprintf("target %s: provider %s: %s looks like a secret: write it as an ${ENV_VAR} reference", name, pn, at))
				}
			}
		case KindSimulator:
			if d.URL == "" {
				problems = append(problems, fmt.Sprintf("target %s: a simulator needs url", name))
			}
		default:
			problems = append(problems, fmt.Sprintf("target %s: kind must be sandbox or simulator, got %q", name, d.Kind))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s", path, strings.Join(problems, "; "))
	}
	return &f, nil
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ErrNoTargetsFile is returned when the targets file does not exist.
var ErrNoTargetsFile = errors.New("no targets file")

// ErrLiveNotAllowed is returned when a real sandbox is named without the
// explicit opt-in.
var ErrLiveNotAllowed = errors.New("real sandboxes need the explicit opt-in flag --live")

// OpenOptions control Open.
type OpenOptions struct {
	// Live allows real sandboxes.
	Live bool
	// Getenv looks credentials up (default os.Getenv).
	Getenv    func(string) string
	Simulator SimulatorOptions
}

// Open opens the named target of f.
func (f *File) Open(ctx context.Context, name string, o OpenOptions) (*Target, error) {
	d, ok := f.Targets[name]
	if !ok {
		return nil, fmt.Errorf("no target %q in the targets file (have %s)", name, strings.Join(sortedNames(f.Targets), ", "))
	}
	if d.Kind == KindSimulator {
		t, err := Simulator(ctx, d.URL, o.Simulator)
		if err != nil {
			return nil, err
		}
		t.name = name
		return t, nil
	}
	if !o.Live {
		return nil, fmt.Errorf("target %s is a real sandbox: %w", name, ErrLiveNotAllowed)
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	t := &Target{name: name, kind: KindSandbox, client: noRedirects(nil), sandbox: map[string]SandboxProvider{}}
	var missing []string
	for pn, p := range d.Providers {
		sp := SandboxProvider{BaseURL: p.BaseURL, Credentials: map[string]string{}, Fixtures: jsonValue(p.Fixtures)}
		if sp.Fixtures != nil {
			sp.Fixtures = resolveEnv(sp.Fixtures, getenv, &missing).(map[string]any)
		}
		for k, v := range p.Credentials {
			env := envRef.FindStringSubmatch(v)[1]
			val := getenv(env)
			if val == "" {
				missing = append(missing, env)
			}
			sp.Credentials[k] = val
		}
		t.sandbox[pn] = sp
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("target %s: set the environment variables %s", name, strings.Join(missing, ", "))
	}
	return t, nil
}

// resolveEnv replaces every ${ENV_VAR} string in v (fixtures) by the
// variable's value, adding unset variables to missing.
func resolveEnv(v any, getenv func(string) string, missing *[]string) any {
	switch x := v.(type) {
	case string:
		if m := envRef.FindStringSubmatch(x); m != nil {
			val := getenv(m[1])
			if val == "" {
				*missing = append(*missing, m[1])
			}
			return val
		}
	case map[string]any:
		for k, e := range x {
			x[k] = resolveEnv(e, getenv, missing)
		}
	case []any:
		for i, e := range x {
			x[i] = resolveEnv(e, getenv, missing)
		}
	}
	return v
}

// literalSecrets lists the paths of fixture strings whose keys name a
// secret (password, secret, token) written literally, not as ${ENV_VAR}.
func literalSecrets(at string, v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedNames(x) {
			e := x[k]
			if s, ok := e.(string); ok && s != "" && !envRef.MatchString(s) && secretKey(k) {
				out = append(out, at+"."+k)
			}
			out = append(out, literalSecrets(at+"."+k, e)...)
		}
	case []any:
		for i, e := range x {
			out = append(out, literalSecrets(fmt.Sprintf("%s[%d]", at, i), e)...)
		}
	}
	return out
}

// secretKey: password, appSecret, accessToken, apiKey (not tokenPath).
func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, part := range []string{"secret", "token", "password", "apikey"} {
		if strings.HasSuffix(k, part) {
			return true
		}
	}
	return false
}

// jsonValue is m as encoding/json would decode it (map[string]any, []any,
// float64), the shapes scenario expressions and plans walk.
func jsonValue(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return m
	}
	var out map[string]any
	if json.Unmarshal(b, &out) != nil {
		return m
	}
	return out
}
