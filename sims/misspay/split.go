package misspay

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The start-checkout body is read field by field (type fields). Its
// objects are split into their raw fields here, as json.Unmarshal into a
// map[string]json.RawMessage splits them, but without copying each value
// and scanning it again: the hot path of POST /start-checkout.

// fastFields splits b into its fields when b is one valid JSON object,
// as json.Unmarshal into a map[string]json.RawMessage would; false for
// anything else, which the caller decodes the slow way.
func fastFields(b []byte) (map[string]json.RawMessage, bool) {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' || !json.Valid(b) {
		return nil, false
	}
	return splitObject(b)
}

// mayRepeatKeys is duplicateKeys's cheap test over valid JSON b: false
// only when no object repeats a key. Keys are compared as written, which
// is as decoded unless they hold escapes or invalid UTF-8; then it says
// true and duplicateKeys decides.
func mayRepeatKeys(b []byte) bool {
	type frame struct {
		object bool
		start  int // where the object's keys begin in keys
	}
	var stack []frame
	var keys [][]byte
	prev := byte(0) // the last structural character, 'v' after a value
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case ' ', '\t', '\r', '\n':
		case '{', '[':
			stack = append(stack, frame{object: c == '{', start: len(keys)})
			prev = c
		case '}', ']':
			if n := len(stack); n > 0 {
				keys = keys[:stack[n-1].start]
				stack = stack[:n-1]
			}
			prev = 'v'
		case ',', ':':
			prev = c
		case '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(b) {
				return true
			}
			raw := b[i+1 : j]
			if n := len(stack); n > 0 && stack[n-1].object && (prev == '{' || prev == ',') {
				if bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw) {
					return true
				}
				for _, k := range keys[stack[n-1].start:] {
					if bytes.Equal(k, raw) {
						return true
					}
				}
				keys = append(keys, raw)
			}
			i = j
			prev = 'v'
		default:
			prev = 'v'
		}
	}
	return false
}

// splitObject is json.Unmarshal(raw, &m) for a map[string]json.RawMessage
// m and raw that is valid JSON (a field of a body already decoded): the
// fields of an object, the last of duplicate keys winning; false when raw
// is not an object. null gives a nil map, as json.Unmarshal leaves it.
func splitObject(raw []byte) (map[string]json.RawMessage, bool) {
	s := splitter{in: raw}
	s.ws()
	if s.literal("null") {
		return nil, true
	}
	if s.i >= len(s.in) || s.in[s.i] != '{' {
		return nil, false
	}
	m, ok := s.object()
	s.ws()
	return m, ok && s.i == len(s.in)
}

// splitObjects is json.Unmarshal(raw, &a) for a []map[string]json.RawMessage
// a: an array whose elements are objects or null.
func splitObjects(raw []byte) ([]map[string]json.RawMessage, bool) {
	s := splitter{in: raw}
	s.ws()
	if s.literal("null") {
		return nil, true
	}
	if s.i >= len(s.in) || s.in[s.i] != '[' {
		return nil, false
	}
	s.i++
	out := []map[string]json.RawMessage{}
	s.ws()
	if s.i < len(s.in) && s.in[s.i] == ']' {
		s.i++
		return out, true
	}
	for {
		s.ws()
		var m map[string]json.RawMessage
		switch {
		case s.literal("null"):
		case s.i < len(s.in) && s.in[s.i] == '{':
			var ok bool
			if m, ok = s.object(); !ok {
				return nil, false
			}
		default:
			return nil, false
		}
		out = append(out, m)
		s.ws()
		if s.i >= len(s.in) {
			return nil, false
		}
		switch s.in[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			s.ws()
			return out, s.i == len(s.in)
		default:
			return nil, false
		}
	}
}

// knownKeys are the field names of the documented start-checkout body.
var knownKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"orderId", "invoiceId", "totalPrice", "shippingAmount", "vat", "discount", "percentage",
		"amount", "voucherName", "purchaseAmount", "purchaseCurrency", "lang", "version", "customerDetails", "id",
		"firstName", "lastName", "mobileNumber", "email", "orderDetails", "items", "sku", "nameArabic", "nameEnglish",
		"quantity", "unitPrice", "itemUrl", "imageUrl", "shippingDetails", "countryCode", "city", "district", "line1",
		"line2", "gpsCoordinates", "isMobile", "callbackUri", "serialNumber"} {
		m[k] = k
	}
	return m
}()

type splitter struct {
	in []byte
	i  int
}

func (s *splitter) ws() {
	for s.i < len(s.in) && (s.in[s.i] == ' ' || s.in[s.i] == '\t' || s.in[s.i] == '\r' || s.in[s.i] == '\n') {
		s.i++
	}
}

func (s *splitter) literal(lit string) bool {
	if len(s.in)-s.i >= len(lit) && string(s.in[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// object reads the object at s.i ('{').
func (s *splitter) object() (map[string]json.RawMessage, bool) {
	s.i++
	m := make(map[string]json.RawMessage, min(64, max(8, (len(s.in)-s.i)/48)))
	s.ws()
	if s.i < len(s.in) && s.in[s.i] == '}' {
		s.i++
		return m, true
	}
	for {
		s.ws()
		if s.i >= len(s.in) || s.in[s.i] != '"' {
			return nil, false
		}
		start := s.i
		plain, ok := s.str()
		if !ok {
			return nil, false
		}
		var key string
		if plain {
			if k, ok := knownKeys[string(s.in[start+1:s.i-1])]; ok {
				key = k // no allocation for the documented field names
			} else {
				key = string(s.in[start+1 : s.i-1])
			}
		} else if json.Unmarshal(s.in[start:s.i], &key) != nil {
			return nil, false
		}
		s.ws()
		if s.i >= len(s.in) || s.in[s.i] != ':' {
			return nil, false
		}
		s.i++
		s.ws()
		vstart := s.i
		if !s.value() {
			return nil, false
		}
		m[key] = json.RawMessage(s.in[vstart:s.i:s.i])
		s.ws()
		if s.i >= len(s.in) {
			return nil, false
		}
		switch s.in[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return m, true
		default:
			return nil, false
		}
	}
}

// str skips the string at s.i ('"'); plain reports one without escapes
// and with valid UTF-8, whose bytes are its text.
func (s *splitter) str() (plain, ok bool) {
	plain = true
	start := s.i + 1
	for j := start; j < len(s.in); j++ {
		switch c := s.in[j]; {
		case c == '\\':
			plain = false
			j++
		case c == '"':
			s.i = j + 1
			return plain && utf8.Valid(s.in[start:j]), true
		}
	}
	return false, false
}

// value skips one value: a string, an object or array (brackets counted,
// strings skipped), or a number or literal.
func (s *splitter) value() bool {
	if s.i >= len(s.in) {
		return false
	}
	switch s.in[s.i] {
	case '"':
		_, ok := s.str()
		return ok
	case '{', '[':
		depth := 0
		for s.i < len(s.in) {
			switch s.in[s.i] {
			case '"':
				if _, ok := s.str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	default:
		start := s.i
		for s.i < len(s.in) {
			switch s.in[s.i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return s.i > start
			}
			s.i++
		}
		return s.i > start
	}
}
