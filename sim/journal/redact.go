package journal

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Redacted replaces every secret value in journal entries.
const Redacted = "[REDACTED]"

// normalise lower-cases name and drops '-' and '_'. It runs for every
// header, query parameter and JSON key of every journalled exchange, so it
// avoids allocating when it can.
func normalise(name string) string {
	clean := true
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '-' || c == '_' || ('A' <= c && c <= 'Z') || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return name
	}
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range strings.ToLower(name) {
		if r != '-' && r != '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Scrub returns b with every occurrence of each secret replaced by
// Redacted. Values shorter than 8 bytes are ignored, so a short value cannot
// mask unrelated text; b itself is returned when there is nothing to do.
func Scrub(b []byte, secrets []string) []byte {
	for _, s := range secrets {
		if len(s) >= 8 && bytes.Contains(b, []byte(s)) {
			b = bytes.ReplaceAll(b, []byte(s), []byte(Redacted))
		}
	}
	return b
}

// IsSecret reports whether a header, query parameter or JSON key of this
// name holds a secret.
func IsSecret(name string) bool { return isSecret(name) }

// isSecret is IsSecret for a name as text or bytes. ASCII names up to 64
// bytes are normalised on the stack: it runs for every header, query
// parameter and JSON key of every journalled exchange.
func isSecret[T string | []byte](name T) bool {
	var buf [64]byte
	n := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 0x80 || n == len(buf) {
			return isSecretNormalised(normalise(string(name)))
		}
		switch {
		case c == '-' || c == '_':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	return isSecretNormalised(buf[:n])
}

func isSecretNormalised[T string | []byte](n T) bool {
	// Header, query and JSON key names (compared without case, '-' and
	// '_') whose values are secrets: credentials, tokens, passwords.
	switch string(n) {
	case "authorization", "proxyauthorization", "cookie", "setcookie",
		"xappsecret", "appsecret", "secret", "clientsecret", "webhooksecret", "xapikey", "apikey",
		"accesstoken", "token", "refreshtoken", "idtoken", "previousaccesstoken",
		"password", "pin", "cvv", "cvc", "otp", "xsimcontroltoken":
		return true
	}
	// Names not on the list but built like one: X-Access-Token,
	// clientSecret, merchantPassword, x-partner-api-key.
	return hasSuffix(n, "token") || hasSuffix(n, "secret") || hasSuffix(n, "password") || hasSuffix(n, "apikey")
}

func hasSuffix[T string | []byte](n T, suffix string) bool {
	return len(n) >= len(suffix) && string(n[len(n)-len(suffix):]) == suffix
}

// jwtRe finds JSON Web Tokens (and other JWS compact values) wherever they
// appear: a header, a query, a text body, a JSON string.
var jwtRe = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`)

// MaskPANs masks every Luhn-valid card number in s to its first six and
// last four digits, and redacts every JWT-shaped value.
func MaskPANs(s string) string {
	if !mayHoldPANOrJWT(s) {
		return s
	}
	return maskPANs(s)
}

// maskPANs masks what the regular expression \b\d(?:[ -]?\d){12,18}\b
// matches (13 to 19 digits, alone or grouped by single spaces or dashes)
// when it is a Luhn-valid card number, without running a regexp: a match
// lies within a run of digits joined by single separators, starts at a
// digit that follows a non-word character (or the text's start), and is
// the longest of 19 down to 13 digits followed by a non-word character (or
// the text's end); the search goes on after it. export_test.go keeps the
// regexp, and a fuzzer holds the two to the same answers.
func maskPANs(s string) string {
	if strings.Contains(s, "eyJ") {
		s = jwtRe.ReplaceAllString(s, Redacted)
	}
	var b strings.Builder
	last := 0
	var buf [64]int
	pos := buf[:0] // the run's digit positions
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		pos = pos[:0]
		j := i
		for j < len(s) {
			if isDigit(s[j]) {
				pos = append(pos, j)
				j++
				continue
			}
			if (s[j] == ' ' || s[j] == '-') && j+1 < len(s) && isDigit(s[j+1]) {
				j++
				continue
			}
			break
		}
		i = j
		for t := 0; t+13 <= len(pos); t++ {
			// A match starts at a word boundary: the run's first digit
			// after a non-word character, or a digit after a separator.
			if p := pos[t]; p > 0 && (t > 0 && pos[t-1] == p-1 || t == 0 && isWordChar(s[p-1])) {
				continue
			}
			for n := min(19, len(pos)-t); n >= 13; n-- {
				end := pos[t+n-1] + 1
				if end < len(s) && isWordChar(s[end]) {
					continue
				}
				m := s[pos[t]:end]
				if r := maskPAN(m); r != m {
					b.WriteString(s[last:pos[t]])
					b.WriteString(r)
					last = end
				}
				// The search goes on after the match.
				for t+1 < len(pos) && pos[t+1] < end {
					t++
				}
				break
			}
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isWordChar(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// maskPAN masks one match that is a Luhn-valid card number.
func maskPAN(m string) string {
	if !luhn(m) {
		return m
	}
	var d []byte
	for i := 0; i < len(m); i++ {
		if isDigit(m[i]) {
			d = append(d, m[i])
		}
	}
	if len(d) < 13 || len(d) > 19 {
		return m
	}
	return string(d[:6]) + strings.Repeat("*", len(d)-10) + string(d[len(d)-4:])
}

// luhn reports whether the digits of d (anything else skipped) pass the
// Luhn check.
func luhn(d string) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		if !isDigit(d[i]) {
			continue
		}
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}

// Headers returns a flat copy of h with secret values redacted, as a map
// (RedactHeaders is the journal's sorted list).
func Headers(h http.Header) map[string]string {
	l := RedactHeaders(h)
	out := make(map[string]string, len(l))
	for _, x := range l {
		out[x.Name] = x.Value
	}
	return out
}

// Query returns the raw query with secret parameter values redacted and
// card numbers and JWTs masked, judged on the decoded names and values. A
// pair that needs nothing stays as the client wrote it, in its place, so a
// query without secrets comes back unchanged and without allocations; a
// query Go's url.ParseQuery would refuse comes back as Redacted.
func Query(raw string) string {
	if raw == "" {
		return ""
	}
	var b strings.Builder
	last := 0 // raw[:last] is settled in b (when b is in use)
	for start := 0; start <= len(raw); {
		end := strings.IndexByte(raw[start:], '&')
		if end < 0 {
			end = len(raw)
		} else {
			end += start
		}
		pair := raw[start:end]
		if strings.IndexByte(pair, ';') >= 0 {
			return Redacted
		}
		key, value, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(key)
		v, err2 := url.QueryUnescape(value)
		if err1 != nil || err2 != nil {
			return Redacted
		}
		var out string
		switch {
		case pair == "":
		case isSecret(k):
			out = url.QueryEscape(k) + "=" + url.QueryEscape(Redacted)
		case mayHoldPANOrJWT(v):
			if m := maskPANs(v); m != v {
				out = url.QueryEscape(k) + "=" + url.QueryEscape(m)
			}
		}
		if out != "" {
			b.WriteString(raw[last:start])
			b.WriteString(out)
			last = end
		}
		start = end + 1
	}
	if last == 0 {
		return raw
	}
	b.WriteString(raw[last:])
	return b.String()
}

// Body returns a JSON-friendly, redacted view of a message body. What a
// provider might read as parameters is redacted whatever the Content-Type
// says, since handlers parse bodies by their content (PHP's curl sends JSON
// as a form): a body that looks like JSON is treated as JSON, one that
// parses as a form as a form, anything else as text, where key/value pairs,
// XML elements, JWTs and card numbers are found and masked. The work is
// bounded: only a JSON body of at most limit bytes is parsed into values;
// longer bodies (a 1 MiB array of empty objects, say) are cut at limit
// bytes first and redacted as text.
func Body(b []byte, contentType string, limit int) any {
	if len(b) == 0 {
		return nil
	}
	if binaryType(contentType) {
		return "[" + contentType + " body, " + itoa(len(b)) + " bytes]"
	}
	if looksJSON(b) {
		if len(b) <= limit {
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber() // card numbers sent as JSON numbers keep their digits
			var v any
			if dec.Decode(&v) == nil && !dec.More() {
				return redactValue(v)
			}
		}
		return redactAsText(b, limit)
	}
	if strings.Contains(contentType, "x-www-form-urlencoded") || looksForm(b) {
		return truncate(Query(truncateBytes(b, 4*limit)), limit)
	}
	return redactAsText(b, limit)
}

// redactAsText cuts b at limit and masks what looks secret in the text.
// Escaped characters in JSON keys ("access\u0054oken") are decoded first,
// so an escape cannot hide a key from the scan.
func redactAsText(b []byte, limit int) string {
	s := truncateBytes(b, limit)
	if strings.Contains(s, `\u`) {
		s = unescapeASCII(s)
	}
	return MaskPANs(redactText(s))
}

// unescapeASCII decodes \uXXXX escapes of printable ASCII characters.
func unescapeASCII(s string) string {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+5 < len(s) && s[i+1] == 'u' {
			if n, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil && n >= 0x20 && n < 0x7f {
				out.WriteByte(byte(n))
				i += 5
				continue
			}
		}
		out.WriteByte(s[i])
	}
	return out.String()
}

// looksJSON reports a body whose first non-space byte opens a JSON object
// or array.
func looksJSON(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// looksForm reports a body that is a plausible form: key=value pairs of
// printable characters without spaces, as PHP and curl send them whatever
// Content-Type they declare.
func looksForm(b []byte) bool {
	if len(b) > 64<<10 || !bytes.ContainsRune(b, '=') {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == '<' || c == '{' || c == '"' {
			return false
		}
	}
	return true
}

// truncateBytes is truncate without copying more than limit bytes.
func truncateBytes(b []byte, limit int) string {
	if len(b) > limit {
		return string(b[:limit]) + "…[truncated]"
	}
	return string(b)
}

func truncate(s string, limit int) string {
	if len(s) > limit {
		return s[:limit] + "…[truncated]"
	}
	return s
}

// secretPairRe finds the key/value pairs of a body kept as text (malformed
// JSON, JSON sent as text/plain, XML, free text): "key": "value",
// key=value, key: Bearer value, and <key>value</key>.
var secretPairRe = regexp.MustCompile(`(?i)"?([a-z][a-z0-9_-]*)"?(\s*[:=]\s*"?)((?:bearer\s+|basic\s+)?[^"&,;\s}<]*)|<([a-z][a-z0-9_.:-]*)>([^<]*)</`)

// redactText replaces the values of secret keys in a body that could not
// be parsed as JSON or a form, so that a secret is not kept just because
// the client sent a malformed body or the wrong Content-Type.
func redactText(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range secretPairRe.FindAllStringSubmatchIndex(s, -1) {
		var key string
		var from, to int
		if m[2] >= 0 {
			key, from, to = s[m[2]:m[3]], m[6], m[7]
		} else {
			key, from, to = s[m[8]:m[9]], m[10], m[11]
			if i := strings.LastIndexByte(key, ':'); i >= 0 {
				key = key[i+1:] // a namespace prefix
			}
		}
		if from == to || !IsSecret(key) {
			continue
		}
		b.WriteString(s[last:from])
		b.WriteString(Redacted)
		last = to
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func redactValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if IsSecret(k) {
				if val != nil {
					x[k] = Redacted
				}
				continue
			}
			x[k] = redactValue(val)
		}
		return x
	case []any:
		for i := range x {
			x[i] = redactValue(x[i])
		}
		return x
	case string:
		return MaskPANs(x)
	case json.Number:
		// A card number sent as a JSON number is masked like one sent as
		// a string; other numbers stay numbers.
		if m := MaskPANs(string(x)); m != string(x) {
			return m
		}
		return x
	default:
		return v
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
