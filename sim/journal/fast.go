package journal

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Record is Body for the simulator's own journal: the same redaction, but a
// JSON body comes back as compact JSON text (json.RawMessage) instead of Go
// values. It scans the body once and copies it, where Body decodes it into
// maps and slices (one allocation per key and value) only for them to be
// encoded again when the journal is read. Decoding the text gives what
// encoding Body's value gives: every value of a secret key redacted, card
// numbers masked, JWTs removed.
func Record(b []byte, contentType string, limit int) any {
	if len(b) > 0 && len(b) <= limit && looksJSON(b) && !binaryType(contentType) {
		if out, ok := redactJSON(b); ok {
			return out
		}
	}
	return Body(b, contentType, limit)
}

// redactJSON returns b, one JSON value, compacted and redacted as
// redactValue redacts it; false when b is not valid JSON. The walk checks
// the grammar as it goes (no separate json.Valid pass); it may refuse
// valid JSON it does not expect (nesting deeper than maxDepth), never
// accept invalid JSON, and a refusal only sends the body down Body's
// slower path.
func redactJSON(b []byte) (json.RawMessage, bool) {
	r := jsonRedactor{in: b, out: make([]byte, 0, len(b))}
	r.value()
	r.ws()
	if r.bad || r.i != len(r.in) {
		return nil, false
	}
	return r.out, true
}

// maxDepth is the deepest nesting redactJSON walks (encoding/json's limit
// is 10000).
const maxDepth = 1000

// jsonRedactor walks JSON, writing its redacted, compact form.
type jsonRedactor struct {
	in    []byte
	i     int
	depth int
	out   []byte
	bad   bool // input the walk did not expect; the caller falls back
}

func (r *jsonRedactor) ws() {
	for r.i < len(r.in) {
		switch r.in[r.i] {
		case ' ', '\t', '\r', '\n':
			r.i++
		default:
			return
		}
	}
}

func (r *jsonRedactor) peek() byte {
	r.ws()
	if r.i >= len(r.in) {
		r.bad = true
		return 0
	}
	return r.in[r.i]
}

func (r *jsonRedactor) value() {
	if r.bad {
		return
	}
	switch c := r.peek(); {
	case r.bad:
	case c == '{':
		r.object()
	case c == '[':
		r.array()
	case c == '"':
		r.str()
	default:
		r.literal()
	}
}

func (r *jsonRedactor) object() {
	if r.depth++; r.depth > maxDepth {
		r.bad = true
		return
	}
	r.members()
	r.depth--
}

// members writes an object's members, r.i at its '{'.
func (r *jsonRedactor) members() {
	r.out = append(r.out, '{')
	r.i++
	if r.peek() == '}' {
		r.i++
		r.out = append(r.out, '}')
		return
	}
	for !r.bad {
		if r.peek() != '"' {
			r.bad = true
			return
		}
		raw, escaped, high := r.scanString()
		if r.bad {
			return
		}
		var secret bool
		if escaped || high {
			var name string
			if json.Unmarshal(raw, &name) != nil {
				r.bad = true
				return
			}
			secret = IsSecret(name)
			r.appendString(name)
		} else {
			secret = isSecret(raw[1 : len(raw)-1])
			r.out = append(r.out, raw...)
		}
		if r.peek() != ':' {
			r.bad = true
			return
		}
		r.i++
		r.out = append(r.out, ':')
		if secret {
			if r.peek() == 'n' { // null stays null
				r.literal()
			} else {
				mark := len(r.out)
				r.value()
				r.out = append(r.out[:mark], `"`+Redacted+`"`...)
			}
		} else {
			r.value()
		}
		switch r.peek() {
		case ',':
			r.i++
			r.out = append(r.out, ',')
		case '}':
			r.i++
			r.out = append(r.out, '}')
			return
		default:
			r.bad = true
		}
	}
}

func (r *jsonRedactor) array() {
	if r.depth++; r.depth > maxDepth {
		r.bad = true
		return
	}
	r.elements()
	r.depth--
}

// elements writes an array's elements, r.i at its '['.
func (r *jsonRedactor) elements() {
	r.out = append(r.out, '[')
	r.i++
	if r.peek() == ']' {
		r.i++
		r.out = append(r.out, ']')
		return
	}
	for !r.bad {
		r.value()
		switch r.peek() {
		case ',':
			r.i++
			r.out = append(r.out, ',')
		case ']':
			r.i++
			r.out = append(r.out, ']')
			return
		default:
			r.bad = true
		}
	}
}

// scanString reads the string at r.i, quotes included, and reports
// whether it holds escapes or bytes outside ASCII. Control characters and
// unknown escapes make it bad.
func (r *jsonRedactor) scanString() (raw []byte, escaped, high bool) {
	start := r.i
	for j := r.i + 1; j < len(r.in); j++ {
		// Plain printable ASCII, the bulk of most strings, in a tight loop.
		for j < len(r.in) {
			if c := r.in[j]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
				break
			}
			j++
		}
		if j == len(r.in) {
			break
		}
		switch c := r.in[j]; {
		case c == '\\':
			escaped = true
			if j+1 >= len(r.in) {
				r.bad = true
				return nil, false, false
			}
			switch r.in[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if j+5 >= len(r.in) || !isHex(r.in[j+2]) || !isHex(r.in[j+3]) || !isHex(r.in[j+4]) || !isHex(r.in[j+5]) {
					r.bad = true
					return nil, false, false
				}
				j += 5
			default:
				r.bad = true
				return nil, false, false
			}
		case c == '"':
			r.i = j + 1
			return r.in[start:r.i], escaped, high
		case c < 0x20:
			r.bad = true
			return nil, false, false
		case c >= 0x80:
			high = true
		}
	}
	r.bad = true
	return nil, false, false
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// validLiteral reports true, false, null or a JSON number.
func validLiteral(lit []byte) bool {
	switch string(lit) {
	case "true", "false", "null":
		return true
	}
	i := 0
	if i < len(lit) && lit[i] == '-' {
		i++
	}
	switch {
	case i < len(lit) && lit[i] == '0':
		i++
	case i < len(lit) && '1' <= lit[i] && lit[i] <= '9':
		for i < len(lit) && isDigit(lit[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(lit) && lit[i] == '.' {
		i++
		if i >= len(lit) || !isDigit(lit[i]) {
			return false
		}
		for i < len(lit) && isDigit(lit[i]) {
			i++
		}
	}
	if i < len(lit) && (lit[i] == 'e' || lit[i] == 'E') {
		i++
		if i < len(lit) && (lit[i] == '+' || lit[i] == '-') {
			i++
		}
		if i >= len(lit) || !isDigit(lit[i]) {
			return false
		}
		for i < len(lit) && isDigit(lit[i]) {
			i++
		}
	}
	return i == len(lit)
}

// str writes a string value with card numbers masked and JWTs redacted.
// A string with escapes is decoded first, so an escape cannot hide a
// card number, and one with invalid UTF-8 is written again as
// encoding/json would (U+FFFD).
func (r *jsonRedactor) str() {
	raw, escaped, high := r.scanString()
	if r.bad {
		return
	}
	content := raw[1 : len(raw)-1]
	if escaped || (high && !utf8.Valid(content)) {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			r.bad = true
			return
		}
		r.appendString(MaskPANs(s))
		return
	}
	if !mayHoldPANOrJWT(content) {
		r.out = append(r.out, raw...)
		return
	}
	s := string(content)
	if m := MaskPANs(s); m != s {
		r.appendString(m)
		return
	}
	r.out = append(r.out, raw...)
}

// literal writes a number, true, false or null. A number that is a card
// number becomes the masked string, as redactValue makes it.
func (r *jsonRedactor) literal() {
	start := r.i
	for r.i < len(r.in) {
		c := r.in[r.i]
		if c == ',' || c == ']' || c == '}' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			break
		}
		r.i++
	}
	lit := r.in[start:r.i]
	if !validLiteral(lit) {
		r.bad = true
		return
	}
	if mayHoldPANOrJWT(lit) {
		s := string(lit)
		if m := MaskPANs(s); m != s {
			r.appendString(m)
			return
		}
	}
	r.out = append(r.out, lit...)
}

func (r *jsonRedactor) appendString(s string) {
	b, err := json.Marshal(s)
	if err != nil {
		r.bad = true
		return
	}
	r.out = append(r.out, b...)
}

// mayHoldPANOrJWT is MaskPANs's cheap test: a card number is a run of at
// least 13 digits, single spaces or dashes allowed between them (what
// panRe matches), and a JWT starts with "eyJ". A UUID's digits, broken up
// by letters, make no such run.
func mayHoldPANOrJWT[T string | []byte](s T) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			run++
			if run >= 13 {
				return true
			}
		case (c == ' ' || c == '-') && run > 0 && i+1 < len(s) && '0' <= s[i+1] && s[i+1] <= '9':
			// a separator inside a run
		case c == 'e' && i+2 < len(s) && s[i+1] == 'y' && s[i+2] == 'J':
			return true
		default:
			run = 0
		}
	}
	return false
}

func binaryType(contentType string) bool {
	return strings.HasPrefix(contentType, "image/") || strings.Contains(contentType, "octet-stream")
}
