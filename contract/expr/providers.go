package expr

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/paysandbox/paysandbox/sims/misspay/seal"
)

// misspayCrypto wraps MIS Pay's AES-GCM scheme (package seal) with key
// caches, since every key costs 40000 PBKDF2 iterations.
type misspayCrypto struct {
	mu      sync.Mutex
	openers map[string]*seal.Opener
	sealers map[string]*seal.Sealer
}

func newMisspayCrypto() *misspayCrypto {
	return &misspayCrypto{openers: map[string]*seal.Opener{}, sealers: map[string]*seal.Sealer{}}
}

func (c *misspayCrypto) opener(secret string) *seal.Opener {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.openers[secret]
	if !ok {
		o = seal.NewOpener(secret)
		c.openers[secret] = o
	}
	return o
}

func (c *misspayCrypto) sealer(secret string) (*seal.Sealer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.sealers[secret]
	if !ok {
		salt := make([]byte, seal.SaltSize)
		if _, err := rand.Read(salt); err != nil {
			return nil, err
		}
		var err error
		if s, err = seal.NewSealer(secret, salt, rand.Reader); err != nil {
			return nil, err
		}
		c.sealers[secret] = s
	}
	return s, nil
}

// decrypt opens a MIS Pay blob (GET /token's result.token): the plaintext
// parsed as JSON when it is JSON ({"token":"<JWT>","expiration":...}), else
// the text.
func (c *misspayCrypto) decrypt(blob, secret string) (any, error) {
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
func (c *misspayCrypto) token(blob, secret string) (string, error) {
	v, err := c.decrypt(blob, secret)
	if err != nil {
		return "", err
	}
	m, ok := v.(map[string]any)
	tok, _ := m["token"].(string)
	if !ok || tok == "" {
		return "", fmt.Errorf("misspayToken: the blob holds no token")
	}
	return tok, nil
}

// encrypt seals v (JSON unless it is a string) the way MIS Pay does.
func (c *misspayCrypto) encrypt(v any, secret string) (string, error) {
	s, err := c.sealer(secret)
	if err != nil {
		return "", fmt.Errorf("misspayEncrypt: %v", err)
	}
	pt := []byte(Stringify(v))
	return s.Seal(pt)
}

// callback decodes the callback's "_" parameter: base64 of the blob, which
// decrypts to {"orderId","code","checkoutId"}.
func (c *misspayCrypto) callback(underscore, secret string) (any, error) {
	inner, err := base64.StdEncoding.DecodeString(strings.TrimSpace(underscore))
	if err != nil {
		return nil, fmt.Errorf("misspayCallback: the _ parameter is not base64: %v", err)
	}
	return c.decrypt(string(inner), secret)
}

// callbackParam builds a "_" parameter from v: base64(encrypt(v)).
func (c *misspayCrypto) callbackParam(v any, secret string) (string, error) {
	blob, err := c.encrypt(v, secret)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString([]byte(blob)), nil
}

// v2Fields are the ordered signature fields of MyFatoorah webhook V2 per
// Event.Code.
var v2Fields = map[int][]string{
	1: {"Invoice.Id", "Invoice.Status", "Transaction.Status", "Transaction.PaymentId", "Invoice.ExternalIdentifier"},
	2: {"Refund.Id", "Refund.Status", "Amount.ValueInBaseCurrency", "ReferencedInvoice.Id"},
	3: {"Deposit.Reference", "Deposit.ValueInBaseCurrency", "Deposit.NumberOfTransactions"},
	4: {"Supplier.Code", "KycDecision.Status"},
	5: {"Recurring.Id", "Recurring.Status", "Recurring.InitialInvoiceId"},
}

// myfatoorahSignature computes the MyFatoorah-Signature of a webhook body
// (V1: {EventType, Data}; V2: {Event:{Code}, Data}): base64(HMAC-SHA256)
// of the documented "k=v,k=v" string.
func myfatoorahSignature(body any, secret string) (string, error) {
	msg, err := myfatoorahMessage(body)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(hmacSum(secret, msg)), nil
}

// myfatoorahVerify checks a webhook's MyFatoorah-Signature header.
func myfatoorahVerify(body any, secret, signature string) (bool, error) {
	want, err := myfatoorahSignature(body, secret)
	if err != nil {
		return false, err
	}
	return want == strings.TrimSpace(signature), nil
}

func myfatoorahMessage(body any) (string, error) {
	if s, ok := body.(string); ok {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return "", fmt.Errorf("myfatoorahSignature: body is not JSON: %v", err)
		}
		body = v
	}
	m, ok := Normalize(body).(map[string]any)
	if !ok {
		return "", fmt.Errorf("myfatoorahSignature: body must be an object")
	}
	data, _ := m["Data"].(map[string]any)
	if ev, ok := m["Event"].(map[string]any); ok { // V2
		code, _ := ev["Code"].(float64)
		fields, ok := v2Fields[int(code)]
		if !ok {
			return "", fmt.Errorf("myfatoorahSignature: unknown V2 Event.Code %v", ev["Code"])
		}
		parts := make([]string, len(fields))
		for i, f := range fields {
			parts[i] = f + "=" + Stringify(lookup(data, f))
		}
		return strings.Join(parts, ","), nil
	}
	// V1: every Data key sorted case-insensitively; GatewayReference is
	// left out of refund events.
	keys := make([]string, 0, len(data))
	for k := range data {
		if k == "GatewayReference" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.ToLower(keys[i]) < strings.ToLower(keys[j]) })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + Stringify(data[k])
	}
	return strings.Join(parts, ","), nil
}

func lookup(m map[string]any, dotted string) any {
	var cur any = m
	for _, p := range strings.Split(dotted, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}
