package expr

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sims/misspay/seal"
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

func TestMisspayHelpers(t *testing.T) {
	env := testEnv()
	run := func(src string) any {
		t.Helper()
		p, err := CompileExpr(src, env)
		require.NoError(t, err)
		v, err := p.Run(env)
		require.NoError(t, err)
		return v
	}
	// A blob sealed by the simulator's package opens with misspayDecrypt.
	s, err := seal.NewSealer("s3cret-value", make([]byte, seal.SaltSize), zeroReader{})
	require.NoError(t, err)
	blob, err := s.Seal([]byte(`{"token":"jwt.x.y","expiration":"2026-01-01T00:00:00Z"}`))
	require.NoError(t, err)
	env["blob"] = blob
	require.Equal(t, "jwt.x.y", run("misspayDecrypt(blob, merchant.appSecret).token"))
	require.Equal(t, "jwt.x.y", run("misspayToken(blob, merchant.appSecret)"))

	// encrypt -> decrypt round trip, and the double-base64 callback parameter.
	got := run(`misspayDecrypt(misspayEncrypt({"code": "MP00"}, merchant.appSecret), merchant.appSecret).code`)
	require.Equal(t, "MP00", got)
	param := run(`misspayCallbackParam({"orderId": "o-1", "code": "MP02", "checkoutId": nil}, merchant.appSecret)`).(string)
	inner, err := base64.StdEncoding.DecodeString(param)
	require.NoError(t, err)
	pt, err := seal.Open("s3cret-value", string(inner))
	require.NoError(t, err)
	require.JSONEq(t, `{"orderId":"o-1","code":"MP02","checkoutId":null}`, string(pt))
	env["param"] = param
	require.Equal(t, "MP02", run("misspayCallback(param, merchant.appSecret).code"))

	_, err = Helpers(Options{})["misspayDecrypt"].(func(string, string) (any, error))(blob, "wrong")
	require.ErrorContains(t, err, "authentication failed")
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestMyfatoorahSignature(t *testing.T) {
	// V1: every Data key sorted case-insensitively, null as "", GatewayReference left out.
	v1 := map[string]any{"EventType": 1.0, "Data": map[string]any{
		"InvoiceId": 12.0, "CustomerEmail": nil, "TransactionStatus": "SUCCESS", "GatewayReference": map[string]any{"x": 1.0},
	}}
	msg, err := myfatoorahMessage(v1)
	require.NoError(t, err)
	require.Equal(t, "CustomerEmail=,InvoiceId=12,TransactionStatus=SUCCESS", msg)
	sig, err := myfatoorahSignature(v1, "k")
	require.NoError(t, err)
	require.Equal(t, base64.StdEncoding.EncodeToString(hmacSum("k", msg)), sig)
	ok, err := myfatoorahVerify(v1, "k", sig)
	require.NoError(t, err)
	require.True(t, ok)

	// V2: the fixed field list of Event.Code 1.
	v2 := `{"Event":{"Code":1},"Data":{"Invoice":{"Id":"5","Status":"PAID","ExternalIdentifier":null},"Transaction":{"Status":"SUCCESS","PaymentId":"77"}}}`
	msg, err = myfatoorahMessage(v2)
	require.NoError(t, err)
	require.Equal(t, "Invoice.Id=5,Invoice.Status=PAID,Transaction.Status=SUCCESS,Transaction.PaymentId=77,Invoice.ExternalIdentifier=", msg)
}
