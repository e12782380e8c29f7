package misspay_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sims/misspay"
	"github.com/paysandbox/paysandbox/sims/misspay/seal"
	"github.com/stretchr/testify/require"
)

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestScenarioHelpers(t *testing.T) {
	h := misspay.Helpers()
	decrypt := h["misspayDecrypt"].(func(string, string) (any, error))
	token := h["misspayToken"].(func(string, string) (string, error))
	encrypt := h["misspayEncrypt"].(func(any, string) (string, error))
	callback := h["misspayCallback"].(func(string, string) (any, error))
	callbackParam := h["misspayCallbackParam"].(func(any, string) (string, error))

	// A blob sealed by the simulator's package opens with misspayDecrypt.
	s, err := seal.NewSealer("s3cret-value", make([]byte, seal.SaltSize), zeroReader{})
	require.NoError(t, err)
	blob, err := s.Seal([]byte(`{"token":"jwt.x.y","expiration":"2026-01-01T00:00:00Z"}`))
	require.NoError(t, err)
	v, err := decrypt(blob, "s3cret-value")
	require.NoError(t, err)
	require.Equal(t, "jwt.x.y", v.(map[string]any)["token"])
	tok, err := token(blob, "s3cret-value")
	require.NoError(t, err)
	require.Equal(t, "jwt.x.y", tok)
	_, err = decrypt(blob, "wrong")
	require.ErrorContains(t, err, "authentication failed")

	// encrypt -> decrypt round trip, and the double-base64 callback parameter.
	sealed, err := encrypt(map[string]any{"code": "MP00", "url": "a<b"}, "s3cret-value")
	require.NoError(t, err)
	pt, err := seal.Open("s3cret-value", sealed)
	require.NoError(t, err)
	require.Equal(t, `{"code":"MP00","url":"a<b"}`, string(pt))
	param, err := callbackParam(map[string]any{"orderId": "o-1", "code": "MP02", "checkoutId": nil}, "s3cret-value")
	require.NoError(t, err)
	inner, err := base64.StdEncoding.DecodeString(param)
	require.NoError(t, err)
	pt, err = seal.Open("s3cret-value", string(inner))
	require.NoError(t, err)
	require.JSONEq(t, `{"orderId":"o-1","code":"MP02","checkoutId":null}`, string(pt))
	cb, err := callback(param, "s3cret-value")
	require.NoError(t, err)
	require.Equal(t, "MP02", cb.(map[string]any)["code"])
}

func TestDecryptTool(t *testing.T) {
	tool := misspay.Tools()["decrypt"]
	s, err := seal.NewSealer("k", make([]byte, seal.SaltSize), zeroReader{})
	require.NoError(t, err)
	blob, err := s.Seal([]byte(`{"token":"jwt.x.y"}`))
	require.NoError(t, err)
	var out, errOut bytes.Buffer
	require.NoError(t, tool.Run([]string{"--secret", "k", "--field", "token"}, strings.NewReader(`{"result":{"token":"`+blob+`"}}`), &out, &errOut))
	require.Equal(t, "jwt.x.y\n", out.String())
	out.Reset()
	require.NoError(t, tool.Run([]string{"--secret", "k", base64.StdEncoding.EncodeToString([]byte(blob))}, nil, &out, &errOut))
	require.Equal(t, `{"token":"jwt.x.y"}`+"\n", out.String())
	require.Error(t, tool.Run(nil, nil, &out, &errOut))
}
