package expr

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func testEnv() Env {
	env := Helpers(Options{Seed: 7, Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
	env["merchant"] = map[string]any{"appId": "app_1", "appSecret": "s3cret-value"}
	env["amount"] = 200.0
	env["items"] = []any{"a", "b"}
	return env
}

func TestTemplates(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"plain text", "plain text"},
		{"${amount}", 200.0},
		{"${amount + 1}", 201.0},
		{"total: ${amount} SAR", "total: 200 SAR"},
		{"${merchant.appId}/${merchant.appId}", "app_1/app_1"},
		{"${items}", []any{"a", "b"}},
		{"list ${items}", `list ["a","b"]`},
		{"$${not an expression}", "${not an expression}"},
		{"costs $5", "costs $5"},
		{`${ {"a": 1}.a }`, 1},
		{`${"}" + "x"}`, "}x"},
		{"${base64('hi')}", "aGk="},
		{"${unbase64('aGk=')}", "hi"},
		{"${hmacSHA256('key', 'msg')}", "2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628"},
		{"${hmacSHA256B64('key', 'msg')}", "LZPLwb4We8sWN6SiPL/wGnh48MUO6DOVTqUiG7G4xig="},
		{"${sha256('abc')}", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"${rfc3339(now())}", "2026-01-02T03:04:05Z"},
		{"${queryParam('https://x/cb?_=abc%2B&appId=1', '_')}", "abc+"},
		{"${json({'a': [1]})}", `{"a":[1]}`},
		{"${parseJSON('{\"a\":1}').a}", 1.0},
		{"${jwtClaims('eyJhbGciOiJIUzI1NiJ9.eyJhcHBJZCI6ImFwcF8xIiwiZXhwIjoxMDB9.c2ln').appId}", "app_1"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			env := testEnv()
			tmpl, err := CompileTemplate(tc.in, env)
			require.NoError(t, err)
			got, err := tmpl.Eval(env)
			require.NoError(t, err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	for _, in := range []string{"${", "${}", "${nope}", "${amount +}", "a ${merchant.appId"} {
		t.Run(in, func(t *testing.T) {
			_, err := CompileTemplate(in, testEnv())
			require.Error(t, err)
		})
	}
}

func TestSeededFakeData(t *testing.T) {
	a, b := Helpers(Options{Seed: 1}), Helpers(Options{Seed: 1})
	tmpl, err := CompileTemplate("${uuid()} ${fake.Email()} ${fake.Numerify('####')}", a)
	require.NoError(t, err)
	got1, err := tmpl.EvalString(a)
	require.NoError(t, err)
	got2, err := tmpl.EvalString(b)
	require.NoError(t, err)
	require.Equal(t, got1, got2, "the same seed gives the same data")
	c := Helpers(Options{Seed: 2})
	got3, err := tmpl.EvalString(c)
	require.NoError(t, err)
	require.NotEqual(t, got1, got3)
}
