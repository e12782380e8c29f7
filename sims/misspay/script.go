package misspay

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sims/misspay/seal"
)

// Volatile are the response fields of MIS Pay exchanges (and of its
// control actions) whose values differ between two runs or two targets:
// ids, tokens, links and times. `contract diff` compares them by type.
var Volatile = []string{
	"body.result.token", "body.result.url", "body.result.trackId", "body.result.checkoutId",
	"body.result.id", "body.result.transactionId", "body.result.userId", "body.result.merchantId",
	"body.result.purchaseDate", "body.result.createdAt", "body.result.updatedAt",
	"body.result.refundPaymentHistories[*].transactionId", "body.result.refundPaymentHistories[*].createdAt",
	"body.trackId", "body.checkoutId", "body.redirectUrl", "body.appId", "body.appSecret", "body.merchantId",
	"body.baseUrl", "body.callbackUrl", "body.webhookUrl",
	"headers.location", "query._", "query.appId",
}

// Helpers are the scenario expression helpers for MIS Pay's wire crypto
// (package seal): misspayDecrypt, misspayToken, misspayEncrypt,
// misspayCallback and misspayCallbackParam. Each call returns fresh key
// caches.
func Helpers() map[string]any {
	c := &scriptCrypto{openers: map[string]*seal.Opener{}, sealers: map[string]*seal.Sealer{}}
	return map[string]any{
		"misspayDecrypt":       c.decrypt,
		"misspayToken":         c.token,
		"misspayEncrypt":       c.encrypt,
		"misspayCallback":      c.callback,
		"misspayCallbackParam": c.callbackParam,
	}
}

// scriptCrypto caches keys: every key costs 40000 PBKDF2 iterations.
type scriptCrypto struct {
	mu      sync.Mutex
	openers map[string]*seal.Opener
	sealers map[string]*seal.Sealer
}

func (c *scriptCrypto) opener(secret string) *seal.Opener {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.openers[secret]
	if !ok {
		o = seal.NewOpener(secret)
		c.openers[secret] = o
	}
	return o
}

func (c *scriptCrypto) sealer(secret string) (*seal.Sealer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.sealers[secret]
	if !ok {
		salt := make([]byte, seal.SaltSize)
		if _, err := io.ReadFull(auth.Random(), salt); err != nil {
			return nil, err
		}
		var err error
		if s, err = seal.NewSealer(secret, salt, auth.Random()); err != nil {
			return nil, err
		}
		c.sealers[secret] = s
	}
	return s, nil
}

// decrypt opens a MIS Pay blob (GET /token's result.token): the plaintext
// parsed as JSON when it is JSON ({"token":"<JWT>","expiration":...}), else
// the text.
func (c *scriptCrypto) decrypt(blob, secret string) (any, error) {
	pt, err := c.opener(secret).Open(blob)
	if err != nil {
		return nil, fmt.Errorf("misspayDecrypt: %v", err)
	}
	var v any
	if json.Unmarshal(pt, &v) == nil {
		return v, nil
	}
	return string(pt), nil
}

// token opens GET /token's result.token and returns the JWT in it.
func (c *scriptCrypto) token(blob, secret string) (string, error) {
	v, err := c.decrypt(blob, secret)
	if err != nil {
		return "", err
	}
	m, ok := v.(map[string]any)
	tok, _ := m["token"].(string)
	if !ok || tok == "" {
		return "", errors.New("misspayToken: the blob holds no token")
	}
	return tok, nil
}

// encrypt seals v (JSON unless it is a string) the way MIS Pay does.
func (c *scriptCrypto) encrypt(v any, secret string) (string, error) {
	s, err := c.sealer(secret)
	if err != nil {
		return "", fmt.Errorf("misspayEncrypt: %v", err)
	}
	pt, ok := v.(string)
	if !ok {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", fmt.Errorf("misspayEncrypt: %v", err)
		}
		pt = strings.TrimSuffix(b.String(), "\n")
	}
	return s.Seal([]byte(pt))
}

// callback decodes the callback's "_" parameter: base64 of the blob, which
// decrypts to {"orderId","code","checkoutId"}.
func (c *scriptCrypto) callback(underscore, secret string) (any, error) {
	inner, err := base64.StdEncoding.DecodeString(strings.TrimSpace(underscore))
	if err != nil {
		return nil, fmt.Errorf("misspayCallback: the _ parameter is not base64: %v", err)
	}
	return c.decrypt(string(inner), secret)
}

// callbackParam builds a "_" parameter from v: base64(encrypt(v)).
func (c *scriptCrypto) callbackParam(v any, secret string) (string, error) {
	blob, err := c.encrypt(v, secret)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString([]byte(blob)), nil
}

// Tools are MIS Pay's command-line helpers: `simulator decrypt`.
func Tools() map[string]sim.Tool {
	return map[string]sim.Tool{
		"decrypt": {
			Usage: "--secret SECRET [--field token] [BLOB|-]: decrypt a MIS Pay token blob or callback \"_\" value",
			Run:   runDecrypt,
		},
	}
}

// runDecrypt handles "simulator decrypt --secret S [BLOB]": it opens a MIS
// Pay blob (the result.token of GET /token, or the "_" value of a callback,
// which is base64 of a blob) and prints the plaintext.
func runDecrypt(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulator decrypt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	secret := fs.String("secret", "", "the app secret (x-app-secret) the blob was encrypted with")
	field := fs.String("field", "", "print only this top-level field of the JSON plaintext, e.g. token")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: simulator decrypt --secret SECRET [--field token] [BLOB|-]\n\nDecrypts a MIS Pay token blob, a whole GET /token response, or a callback \"_\" value;\nreads stdin when BLOB is - or absent.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *secret == "" {
		return errors.New("decrypt: --secret is required")
	}
	var blob string
	switch fs.NArg() {
	case 0:
		blob = "-"
	case 1:
		blob = fs.Arg(0)
	default:
		return errors.New("decrypt: give one blob")
	}
	if blob == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			return err
		}
		blob = string(b)
	}
	blob = strings.TrimSpace(blob)
	if strings.HasPrefix(blob, "{") {
		// A whole GET /token response: take result.token.
		var resp struct {
			Result struct {
				Token string `json:"token"`
			} `json:"result"`
		}
		if err := json.Unmarshal([]byte(blob), &resp); err != nil || resp.Result.Token == "" {
			return errors.New("decrypt: input is JSON but has no result.token")
		}
		blob = resp.Result.Token
	}
	pt, err := openAny(*secret, blob)
	if err != nil {
		return fmt.Errorf("decrypt: %w", err)
	}
	if *field != "" {
		v, err := jsonField(pt, *field)
		if err != nil {
			return fmt.Errorf("decrypt: %w", err)
		}
		fmt.Fprintln(stdout, v)
		return nil
	}
	fmt.Fprintln(stdout, string(pt))
	return nil
}

// openAny opens a blob, or the base64 of a blob as the callback "_"
// parameter carries it.
func openAny(secret, blob string) ([]byte, error) {
	pt, err := seal.Open(secret, blob)
	if err == nil {
		return pt, nil
	}
	if inner, derr := base64.StdEncoding.DecodeString(blob); derr == nil {
		if pt, err2 := seal.Open(secret, string(inner)); err2 == nil {
			return pt, nil
		}
	}
	return nil, err
}

func jsonField(b []byte, name string) (string, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("plaintext is not a JSON object: %w", err)
	}
	v, ok := m[name]
	if !ok {
		return "", fmt.Errorf("plaintext has no field %q", name)
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	out, _ := json.Marshal(v)
	return string(out), nil
}
