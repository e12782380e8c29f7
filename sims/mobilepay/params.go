package mobilepay

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/money"
)

// params are a request's fields: the query string of a GET (or DELETE) or
// the body of a POST, with the same names either way. Names match
// without regard to case, as ASP.NET model binding does.
type params map[string]string

// readParams decodes r into params. GET and DELETE read the query; POST
// reads the body with the formatter its Content-Type picks, as ASP.NET Web
// API's defaults do: application/x-www-form-urlencoded as a form,
// application/xml and text/xml as a DataContract-style element whose
// children are the fields, anything else (or none) as a JSON object whose
// values are strings, numbers, booleans or null (null counts as absent).
// Query parameters fill in fields the body lacks. The first value of a
// repeated query or form parameter wins.
func readParams(r *http.Request) (params, error) {
	query, err := queryParams(r.URL.RawQuery)
	if err != nil || r.Method != http.MethodPost {
		return query, err
	}
	b, err := httpx.ReadBody(r)
	if err != nil {
		return nil, err
	}
	var body params
	switch mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); strings.ToLower(mt) {
	case "application/x-www-form-urlencoded":
		body, err = queryParams(strings.TrimSpace(string(b)))
		if err != nil {
			err = apiErr(CodeInvalidRequest, "The request body is not correctly form-encoded.")
		}
	case "application/xml", "text/xml":
		body, err = xmlParams(b)
	default:
		body, err = bodyParams(b)
	}
	if err != nil {
		return nil, err
	}
	// A POST may carry some fields (typically accessToken and bioCode) in
	// the query string; the body wins where both have one.
	for k, v := range query {
		if _, ok := body[k]; !ok {
			body[k] = v
		}
	}
	return body, nil
}

func queryParams(raw string) (params, error) {
	out := params{}
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, apiErr(CodeInvalidRequest, "The query string is not correctly encoded.")
		}
		key = fieldKey(key)
		if _, dup := out[key]; !dup {
			out[key] = val
		}
	}
	return out, nil
}

func bodyParams(b []byte) (params, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, apiErr(CodeInvalidRequest, "The request body is empty; send the fields as a JSON object.")
	}
	// The members are read in document order, so that of fields whose
	// names differ only in case the last one wins, as for exact duplicates
	// (a map would pick one at random).
	invalid := apiErr(CodeInvalidRequest, "The request body is not a valid JSON object.")
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, invalid
	}
	if tok == nil {
		return nil, apiErr(CodeInvalidRequest, "The request body must be a JSON object, not null.")
	}
	if tok != json.Delim('{') {
		return nil, invalid
	}
	out := params{}
	for dec.More() {
		tok, err := dec.Token()
		k, isKey := tok.(string)
		var v json.RawMessage
		if err != nil || !isKey || dec.Decode(&v) != nil {
			return nil, invalid
		}
		key := fieldKey(k)
		v = bytes.TrimSpace(v)
		var val string
		switch {
		case len(v) == 0 || bytes.Equal(v, []byte("null")):
			delete(out, key) // null counts as absent
			continue
		case v[0] == '"':
			if err := json.Unmarshal(v, &val); err != nil {
				return nil, apiErr(CodeInvalidRequest, "The field %s is not a valid string.", k)
			}
		case v[0] == '{' || v[0] == '[':
			val = complexValue // an error only if a handler reads it
		default:
			val = string(v) // a number or a boolean, as written
		}
		out[key] = val
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, invalid
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, apiErr(CodeInvalidRequest, "The request body has data after the JSON object.")
	}
	return out, nil
}

// xmlParams reads an XML body as DataContractSerializer would bind it to a
// flat model: the root element (any name, any namespace) holds one element
// per field; an element with i:nil="true" is absent, one with child
// elements holds a complex value.
func xmlParams(b []byte) (params, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, apiErr(CodeInvalidRequest, "The request body is empty; send the fields as an XML element.")
	}
	invalid := apiErr(CodeInvalidRequest, "The request body is not a valid XML element.")
	dec := xml.NewDecoder(bytes.NewReader(b))
	out := params{}
	depth := 0
	var key string
	var text strings.Builder
	nested, isNil, rootDone := false, false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, invalid
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if rootDone {
				return nil, invalid
			}
			depth++
			switch depth {
			case 2:
				key, nested, isNil = strings.ToLower(t.Name.Local), false, false
				text.Reset()
				for _, a := range t.Attr {
					if a.Name.Local == "nil" && strings.TrimSpace(a.Value) == "true" {
						isNil = true
					}
				}
			case 3:
				nested = true
			}
		case xml.EndElement:
			if depth == 2 {
				switch {
				case isNil:
					delete(out, key)
				case nested:
					out[key] = complexValue
				default:
					out[key] = text.String()
				}
			}
			depth--
			if depth == 0 {
				rootDone = true
			}
		case xml.CharData:
			if depth == 2 {
				text.Write(t)
			} else if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return nil, invalid
			}
		}
	}
	if !rootDone {
		return nil, invalid
	}
	return out, nil
}

// complexValue marks a body field holding an object or an array. Unknown
// fields are ignored whatever they hold; a known field that holds one is
// rejected when read.
const complexValue = "\x00complex"

// get returns the value of name ("" when absent).
func (ps params) get(name string) string { return ps[fieldKey(name)] }

// fieldKeys are the lower-case keys of the fields handlers read, so that
// reading a field costs no allocation.
var fieldKeys = func() map[string]string {
	out := map[string]string{}
	for _, n := range []string{"accessToken", "bioCode", "currencyCode", "orderId", "paymentId", "paymentState", "posId",
		"previousAccessToken", "refundId", "refundOrderId", "storeId", "terminalId"} {
		out[n] = strings.ToLower(n)
	}
	return out
}()

// fieldKey is name's key in params: name in lower case. Field names as
// the documentation spells them cost no allocation.
func fieldKey(name string) string {
	if k, ok := fieldKeys[name]; ok {
		return k
	}
	return strings.ToLower(name)
}

// required returns the trimmed value of name or a missing-field error.
func (ps params) required(name string) (string, error) {
	v := strings.TrimSpace(ps.get(name))
	if v == "" {
		return "", apiErr(CodeMissingField, "The %s field is required.", name)
	}
	if v == complexValue {
		return "", apiErr(CodeInvalidRequest, "The %s field must be a string, a number or a boolean.", name)
	}
	return v, nil
}

// validChars are the characters MobilePay accepts in free-text fields such
// as orderId: digits, ASCII letters, æøåäöšž in both cases, ASCII
// punctuation and space.
func validChar(r rune) bool {
	switch {
	case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == ' ':
		return true
	case r > ' ' && r < 0x7f: // ASCII punctuation
		return true
	}
	return strings.ContainsRune("æÆøØåÅäÄöÖšŠžŽ", r)
}

// MaxTextLen is the longest orderId / refundOrderId.
const MaxTextLen = 36

// checkText validates an orderId-like field.
func checkText(name, v string) error {
	if !utf8.ValidString(v) {
		return apiErr(CodeInvalidOrderID, "The %s field must be valid UTF-8 text.", name)
	}
	if n := utf8.RuneCountInString(v); n > MaxTextLen {
		return apiErr(CodeInvalidOrderID, "The %s field must be at most %d characters long, got %d.", name, MaxTextLen, n)
	}
	for _, r := range v {
		if !validChar(r) {
			return apiErr(CodeInvalidOrderID, "The %s field contains the character %q, which is not allowed; use 0-9, a-z, A-Z, æøåäöšž, ASCII punctuation and space.", name, r)
		}
	}
	return nil
}

// orderID reads a required orderId-like field.
func (ps params) orderID(name string) (string, error) {
	v, err := ps.required(name)
	if err != nil {
		return "", err
	}
	return v, checkText(name, v)
}

// Amounts are money.Amount (øre/cents of DKK or EUR, both two decimals);
// on the wire they are JSON numbers with two decimals ("27.00"), like a
// .NET decimal (money.DecimalJSON).

// dkk is the default currency, and the one amounts are read in until the
// request's currencyCode is known (EUR has the same two decimals).
var dkk = money.MustCurrency("DKK")

// in is a in the given currency code (DKK or EUR).
func in(a money.Amount, code string) money.Amount {
	if c, err := money.CurrencyOf(code); err == nil {
		a.Currency = c
	}
	return a
}

// amountRe: a positive decimal with at most two fraction digits and at
// most 9 integer digits; "." is the decimal separator.
var amountRe = regexp.MustCompile(`^\d{1,9}(\.\d{1,2})?$`)

func parseAmount(s string) (money.Amount, bool) {
	if !amountRe.MatchString(s) {
		return money.Amount{}, false
	}
	a, err := money.ParseDecimal(s, dkk)
	return a, err == nil
}

// amount reads a required positive amount.
func (ps params) amount(name string) (money.Amount, error) {
	v, err := ps.required(name)
	if err != nil {
		return money.Amount{}, err
	}
	a, ok := parseAmount(v)
	if !ok || a.Sign() <= 0 {
		return money.Amount{}, apiErr(CodeInvalidAmount, "The %s field must be a positive amount with at most two decimals and '.' as separator, such as 27.00; got %q.", name, v)
	}
	return a, nil
}

// optionalAmount reads an amount that may be absent (0, false).
func (ps params) optionalAmount(name string) (money.Amount, bool, error) {
	if strings.TrimSpace(ps.get(name)) == "" {
		return money.Amount{}, false, nil
	}
	a, err := ps.amount(name)
	return a, err == nil, err
}

// Currencies MobilePay accepts.
var currencies = []string{"DKK", "EUR"}

// currency reads currencyCode, DKK when absent.
func (ps params) currency() (string, error) {
	v := strings.TrimSpace(ps.get("currencyCode"))
	if v == "" {
		return "DKK", nil
	}
	for _, c := range currencies {
		if v == c {
			return v, nil
		}
	}
	return "", apiErr(CodeInvalidCurrency, "The currencyCode field must be DKK or EUR, got %q.", v)
}

// state reads an optional payment state name.
func (ps params) state(name string) (Status, error) {
	v := strings.TrimSpace(ps.get(name))
	if v == "" {
		return "", nil
	}
	for _, s := range paymentFSM.States() {
		if strings.EqualFold(v, string(s)) {
			return s, nil
		}
	}
	return "", apiErr(CodeInvalidState, "The %s field must be one of the payment states (Initiated, Prepared, Paired, IssuedToUser, Reserved, Captured, CancelledByUser, CancelledByClient, CancelledByMobilePay, ExpiredAndCancelled, RejectedByMobilePayDueToAgeRestrictions), got %q.", name, v)
}

// guid reads a required GUID field (paymentId, refundId, posId, storeId)
// the way ASP.NET binds a Guid parameter: any case, and in the formats
// Guid.Parse accepts -- 32 digits, hyphenated, or hyphenated in braces or
// parentheses. It returns the fake's canonical form (lower case,
// hyphenated); a value that is no GUID is returned as given, so that the
// lookup answers "not found" as before.
func (ps params) guid(name string) (string, error) {
	v, err := ps.required(name)
	if err != nil {
		return "", err
	}
	if g, ok := canonicalGUID(v); ok {
		return g, nil
	}
	return v, nil
}

func canonicalGUID(s string) (string, bool) {
	if isCanonicalGUID(s) {
		return s, true // the usual case: the form the fake hands out
	}
	hyphens := true
	switch {
	case len(s) == 38 && (s[0] == '{' && s[37] == '}' || s[0] == '(' && s[37] == ')'):
		s = s[1:37]
	case len(s) == 32:
		hyphens = false
	}
	if hyphens {
		if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return "", false
		}
		s = s[:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			return "", false
		}
	}
	s = strings.ToLower(s)
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:], true
}

// isCanonicalGUID reports whether s is a GUID in the fake's canonical form
// already: lower-case hex digits, hyphenated 8-4-4-4-12.
func isCanonicalGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}
