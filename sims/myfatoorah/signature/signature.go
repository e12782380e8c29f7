// Package signature computes and checks the MyFatoorah-Signature header of
// MyFatoorah webhooks, V1 and V2. It is a leaf package: the fake signs with
// it, and the contract runner's scenario helpers verify with it.
//
// Both versions sign a string of "key=value" pairs joined with ",":
// base64(HMAC-SHA256(secret, utf8(string))).
//
//   - V1 signs every field of Data (minus GatewayReference for EventType
//     2, refunds), sorted by key case-insensitively.
//   - V2 signs a fixed, ordered list of dotted fields per Event.Code.
//
// Values are written the way MyFatoorah's PHP library writes them after
// json_decode: strings as they are, null as the empty string, numbers in
// their shortest decimal form (10.500 -> 10.5, 12.0 -> 12), true as "1"
// and false as "".
package signature

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
)

// Header names.
const (
	Header        = "MyFatoorah-Signature"
	VersionHeader = "MyFatoorah-Webhook-Version"
)

// Pair is one signed field.
type Pair struct{ Key, Value string }

// String joins pairs as MyFatoorah does: "k=v,k=v".
func String(pairs []Pair) string {
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.Key)
		b.WriteByte('=')
		b.WriteString(p.Value)
	}
	return b.String()
}

// Sign returns base64(HMAC-SHA256(secret, String(pairs))).
func Sign(secret string, pairs []Pair) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(String(pairs)))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// V2Fields lists, per Event.Code, the dotted Data fields V2 signs, in
// order.
var V2Fields = map[int][]string{
	1: {"Invoice.Id", "Invoice.Status", "Transaction.Status", "Transaction.PaymentId", "Invoice.ExternalIdentifier"},
	2: {"Refund.Id", "Refund.Status", "Amount.ValueInBaseCurrency", "ReferencedInvoice.Id"},
	3: {"Deposit.Reference", "Deposit.ValueInBaseCurrency", "Deposit.NumberOfTransactions"},
	4: {"Supplier.Code", "KycDecision.Status"},
	5: {"Recurring.Id", "Recurring.Status", "Recurring.InitialInvoiceId"},
}

// Errors of the body-level functions.
var (
	ErrBody    = errors.New("signature: body is not a MyFatoorah webhook")
	ErrEvent   = errors.New("signature: unknown event")
	ErrVersion = errors.New("signature: unknown webhook version")
)

// Value renders a decoded JSON value (decoded with UseNumber, or plain
// float64) as the signed string.
func Value(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		if x {
			return "1", nil
		}
		return "", nil
	case json.Number:
		return Number(string(x))
	case float64:
		return Number(fmt.Sprint(x))
	case int:
		return fmt.Sprint(x), nil
	case int64:
		return fmt.Sprint(x), nil
	default:
		return "", fmt.Errorf("signature: cannot sign a %T", v)
	}
}

// Number renders a JSON number literal in its shortest decimal form.
func Number(lit string) (string, error) {
	r, ok := new(big.Rat).SetString(lit)
	if !ok {
		return "", fmt.Errorf("signature: bad number %q", lit)
	}
	if r.IsInt() {
		return r.Num().String(), nil
	}
	s := r.FloatString(30)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, "."), nil
}

// V1Pairs returns the pairs V1 signs from a webhook's Data object.
func V1Pairs(eventType int, data map[string]any) ([]Pair, error) {
	keys := make([]string, 0, len(data))
	for k := range data {
		if eventType == 2 && k == "GatewayReference" {
			continue
		}
		keys = append(keys, k)
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := strings.ToLower(keys[i]), strings.ToLower(keys[j])
		if a != b {
			return a < b
		}
		return keys[i] < keys[j]
	})
	out := make([]Pair, 0, len(keys))
	for _, k := range keys {
		s, err := Value(data[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out = append(out, Pair{Key: k, Value: s})
	}
	return out, nil
}

// V2Pairs returns the pairs V2 signs for an Event.Code from Data.
func V2Pairs(code int, data map[string]any) ([]Pair, error) {
	fields, ok := V2Fields[code]
	if !ok {
		return nil, fmt.Errorf("%w: code %d", ErrEvent, code)
	}
	out := make([]Pair, 0, len(fields))
	for _, f := range fields {
		var v any = data
		for _, part := range strings.Split(f, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[part]
		}
		s, err := Value(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, Pair{Key: f, Value: s})
	}
	return out, nil
}

// Body computes the signature of a whole webhook body for version "V1" or
// "V2" (case-insensitive).
func Body(version, secret string, body []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var w struct {
		EventType json.Number     `json:"EventType"`
		Event     json.RawMessage `json:"Event"`
		Data      map[string]any  `json:"Data"`
	}
	if err := dec.Decode(&w); err != nil || w.Data == nil {
		return "", ErrBody
	}
	var pairs []Pair
	var err error
	switch strings.ToUpper(version) {
	case "V1":
		t, convErr := w.EventType.Int64()
		if convErr != nil {
			return "", ErrBody
		}
		pairs, err = V1Pairs(int(t), w.Data)
	case "V2":
		var ev struct {
			Code json.Number `json:"Code"`
		}
		if json.Unmarshal(w.Event, &ev) != nil {
			return "", ErrBody
		}
		c, convErr := ev.Code.Int64()
		if convErr != nil {
			return "", ErrBody
		}
		pairs, err = V2Pairs(int(c), w.Data)
	default:
		return "", fmt.Errorf("%w %q", ErrVersion, version)
	}
	if err != nil {
		return "", err
	}
	return Sign(secret, pairs), nil
}

// Verify reports whether sig is the signature of body (constant time).
func Verify(version, secret string, body []byte, sig string) bool {
	want, err := Body(version, secret, body)
	if err != nil {
		return false
	}
	return hmac.Equal([]byte(want), []byte(sig))
}

// Version tells a webhook body's version from its shape: V1 bodies carry
// EventType, V2 bodies an Event object with a Code.
func Version(body []byte) (string, error) {
	var w struct {
		EventType json.RawMessage `json:"EventType"`
		Event     json.RawMessage `json:"Event"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return "", ErrBody
	}
	switch {
	case len(w.EventType) > 0 && string(w.EventType) != "null":
		return "V1", nil
	case len(w.Event) > 0 && w.Event[0] == '{':
		return "V2", nil
	}
	return "", ErrBody
}
