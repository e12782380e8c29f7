package scenario

import (
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sim"
)

var update = flag.Bool("update", false, "rewrite docs/scenario.schema.json from the embedded schema")

var opts = Options{Providers: []string{"misspay", "mobilepay"}}

func TestParseGood(t *testing.T) {
	data, err := os.ReadFile("testdata/good.yaml")
	require.NoError(t, err)
	s, probs := Parse("testdata/good.yaml", data, opts)
	require.Empty(t, probs)
	require.Equal(t, "every feature", s.Name)
	c := s.Compiled
	var kinds []Kind
	for _, st := range c.Steps {
		kinds = append(kinds, st.Kind)
	}
	if diff := cmp.Diff([]Kind{KindRequest, KindAwait, KindSim, KindSim, KindCallback}, kinds); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
	require.Len(t, c.Variables, 3)
	require.Equal(t, []string{"orderId", "amount", "nested"}, []string{c.Variables[0].Name, c.Variables[1].Name, c.Variables[2].Name})
	require.False(t, c.MovesClock, "awaits and advance steps move only the scenario merchant's clock")
	require.Equal(t, time.Minute, c.Steps[1].Every)
	require.Equal(t, 15*time.Minute, c.Steps[3].Advance)
	require.True(t, c.Steps[3].Standalone)
	require.Equal(t, "/cb", c.Steps[4].CallbackPath)
	require.Equal(t, 2*time.Second, c.Steps[4].Within)
	require.Equal(t, []string{"both", "jwt"}, []string{c.Steps[0].Captures[1].Name, c.Steps[0].Captures[0].Name})
	require.Equal(t, "advance the clock by 15m", c.Steps[3].Title)
}

func TestParseBad(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // "line:col: substring"
	}{
		{"syntax", "version: 1\nname: [x\n", []string{"2:7: sequence end token"}},
		{"unknown top key", "version: 1\nname: x\nprovider: misspay\nstepz: []\nsteps: [{request: {method: GET, path: /}}]\n", []string{`4:1: unknown key "stepz"`}},
		{"missing steps", "version: 1\nname: x\nprovider: misspay\n", []string{"1:1: missing property 'steps'"}},
		{"wrong version", "version: 2\nname: x\nprovider: misspay\nsteps: [{request: {method: GET, path: /}}]\n", []string{"1:10: value must be 1"}},
		{"unknown provider", "version: 1\nname: x\nprovider: paypal\nsteps: [{request: {method: GET, path: /}}]\n", []string{`3:11: unknown provider "paypal"`}},
		{"unknown step key", `version: 1
name: x
provider: misspay
steps:
  - request:
      method: GET
      path: /token
    expekt: {status: 200}
`, []string{`8:5: unknown key "expekt"`}},
		{"bad method", `version: 1
name: x
provider: misspay
steps:
  - request:
      method: FETCH
      path: /token
`, []string{"6:15: value must be one of"}},
		{"two kinds", `version: 1
name: x
provider: misspay
steps:
  - request: {method: GET, path: /token}
    sim: {advance: 1m}
`, []string{"5:5: a step needs exactly one of"}},
		{"undefined variable", `version: 1
name: x
provider: misspay
steps:
  - request:
      method: GET
      path: /track-checkout/${trackId}
`, []string{"7:13: expression \"trackId\": unknown name trackId"}},
		{"capture used before it is made", `version: 1
name: x
provider: misspay
steps:
  - request: {method: GET, path: "/x/${later}"}
  - request: {method: GET, path: /token}
    capture: {later: body.x}
`, []string{"5:34: expression \"later\": unknown name later"}},
		{"bad matcher", `version: 1
name: x
provider: misspay
steps:
  - request: {method: GET, path: /token}
    expect:
      body:
        result:
          token: {$regx: "^a"}
`, []string{"9:26: unknown matcher $regx"}},
		{"bad regex", `version: 1
name: x
provider: misspay
steps:
  - request: {method: GET, path: /token}
    expect:
      body: {a: {$regex: "(("}}
`, []string{"7:26: $regex: error parsing regexp"}},
		{"bad duration", `version: 1
name: x
provider: misspay
steps:
  - await:
      request: {method: GET, path: /token}
      every: 5 minutes
      within: 1m
`, []string{"7:14: does not match pattern"}},
		{"every above within", `version: 1
name: x
provider: misspay
steps:
  - await:
      request: {method: GET, path: /token}
      every: 5m
      within: 1m
`, []string{"5:5: await: want 0 < every <= within"}},
		{"variable shadows a helper", `version: 1
name: x
provider: misspay
variables:
  uuid: x
steps:
  - request: {method: GET, path: /token}
`, []string{`5:9: variable "uuid" shadows a built-in name`}},
		{"expression syntax", `version: 1
name: x
provider: misspay
steps:
  - request: {method: GET, path: "/x/${1 +}"}
`, []string{"5:34: expression \"1 +\": unexpected token EOF"}},
		{"status on a callback", `version: 1
name: x
provider: misspay
steps:
  - callback: {path: /cb}
    expect: {status: 200}
`, []string{"6:22: expect.status is for requests"}},
		{"query on a request expectation", `version: 1
name: x
provider: misspay
steps:
  - request: {method: GET, path: /token}
    expect: {query: {a: b}}
`, []string{"6:14: expect.query is for callback steps"}},
		{"two bodies", `version: 1
name: x
provider: misspay
steps:
  - request: {method: POST, path: /token, json: {}, raw: x}
`, []string{"5:5: a request has at most one of json, form, raw"}},
		{"secret that is not a variable", `version: 1
name: x
provider: misspay
secrets: [nope]
steps:
  - request: {method: GET, path: /token}
`, []string{`4:11: secrets: "nope" is not a variable`}},
		{"a broken capture is reported once, not at every use", `version: 1
name: x
provider: misspay
steps:
  - request: {method: GET, path: /token}
    capture: {jwt: "body.("}
  - request: {method: GET, path: "/x/${jwt}"}
`, []string{"6:20: expression \"body.(\""}},
		{"fault kind not known", `version: 1
name: x
provider: misspay
steps:
  - fault: {action: {kind: explode}}
`, []string{"5:28: value must be one of"}},
		{"fault rule not valid", `version: 1
name: x
provider: misspay
steps:
  - fault:
      operation: startCheckout
      action: {kind: error, status: 418}
`, []string{"5:5: action.status of an error is 500, 503 or 429"}},
		{"fault on a callback with an operation", `version: 1
name: x
provider: misspay
steps:
  - fault: {operation: x, action: {kind: drop}}
`, []string{"5:5: operation is for request faults"}},
		{"dropped with a status", `version: 1
name: x
provider: misspay
steps:
  - request: {method: GET, path: /}
    expect: {dropped: true, status: 200}
`, []string{"6:23: a dropped request has no status"}},
		{"several problems at once", `version: 1
name: x
provider: misspay
steps:
  - request: {method: GET, path: "/${a}"}
  - request: {method: GET, path: "/${b}"}
`, []string{"5:34: expression \"a\"", "6:34: expression \"b\""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, probs := Parse("f.yaml", []byte(tc.yaml), opts)
			if s != nil {
				t.Fatalf("parsed, want problems %q", tc.want)
			}
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				pos := strings.Join(strings.SplitN(w, ":", 3)[:2], ":")
				if i < len(got) && !strings.HasPrefix(got[i], "f.yaml:"+pos+":") {
					t.Errorf("problem %d = %q, want position %q", i, got[i], w)
				}
				if i < len(got) && !strings.Contains(got[i], strings.SplitN(w, ": ", 2)[len(strings.SplitN(w, ": ", 2))-1]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestLoadSkipsUnderscoreDirs(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/good.yaml")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir+"/p/_failing", 0o755))
	require.NoError(t, os.WriteFile(dir+"/p/a.yaml", good, 0o644))
	require.NoError(t, os.WriteFile(dir+"/p/_failing/b.yaml", []byte("not: [valid"), 0o644))
	require.NoError(t, os.WriteFile(dir+"/p/notes.txt", []byte("ignored"), 0o644))
	scs, probs := Load([]string{dir}, opts)
	require.Empty(t, probs)
	require.Len(t, scs, 1)

	_, probs = Load([]string{dir + "/p/_failing"}, opts)
	require.Len(t, probs, 1, "a folder named directly is read")

	dup := strings.Replace(string(good), "name: every feature", "name: every feature", 1)
	require.NoError(t, os.WriteFile(dir+"/p/c.yaml", []byte(dup), 0o644))
	_, probs = Load([]string{dir}, opts)
	require.Len(t, probs, 1)
	require.Contains(t, probs[0].Message, "already used")
}

// TestSchemaPublished keeps docs/scenario.schema.json, the copy editors use,
// equal to the embedded schema the runner validates against.
func TestSchemaPublished(t *testing.T) {
	const path = "../../docs/scenario.schema.json"
	if *update {
		require.NoError(t, os.WriteFile(path, Schema, 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	if string(got) != string(Schema) {
		t.Errorf("%s differs from contract/scenario/scenario.schema.json; run go test ./contract/scenario -update", path)
	}
}

func TestMerchantSettingsSelfDecodingTypes(t *testing.T) {
	type settings struct {
		TTL   *sim.Duration `json:"tokenTtl"`
		Count *int          `json:"terminals"`
	}
	src := "version: 1\nname: x\nprovider: p\nmerchant: {tokenTtl: 2h, terminals: two}\nsteps:\n  - request: {method: GET, path: /x}\n"
	_, probs := Parse("x.yaml", []byte(src), Options{Providers: []string{"p"}, Settings: map[string]any{"p": settings{}}})
	if len(probs) != 1 || !strings.Contains(probs[0].Message, "p merchant setting terminals: want a number, got the string \"two\"") {
		t.Fatalf("problems = %v, want one about terminals only", probs)
	}
}

// A request sending ${receiver.url} as it is sends "" where the target
// cannot call back; one that tests it against "" handles that itself.
// A clean-up step (always:) knows the captures it reads.
func TestReceiverURLAndCleanupReads(t *testing.T) {
	scen := func(cb string) string {
		return `version: 1
name: x
provider: misspay
variables:
  cb: '` + cb + `'
steps:
  - request: {method: GET, path: /a}
    capture: {trackId: body.id, other: body.other, token: body.token}
  - name: uses trackId in its name, not other
    always: true
    fakeOnly: true
    request: {method: GET, path: "/token/${trackId}", headers: {x-other: other}}
    capture: {more: body.x}
`
	}
	s, probs := Parse("s.yaml", []byte(scen(`${receiver.url}/cb`)), opts)
	require.Empty(t, probs)
	require.True(t, s.Compiled.SendsReceiverURL)
	require.True(t, s.Compiled.Steps[1].Always)
	require.True(t, s.Compiled.Steps[1].FakeOnly)
	require.Equal(t, []string{"trackId"}, s.Compiled.Steps[1].Reads)
	require.Nil(t, s.Compiled.Steps[0].Reads)

	s, probs = Parse("s.yaml", []byte(scen(`${receiver.url != "" ? receiver.url : "https://callback.invalid"}/cb`)), opts)
	require.Empty(t, probs)
	require.False(t, s.Compiled.SendsReceiverURL)
}
