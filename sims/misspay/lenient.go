package misspay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/paysandbox/paysandbox/sim/httpx"
)

// decodeBody decodes a JSON object body the way MIS Pay's NestJS service
// reads it (JSON.parse after a UTF-8 decode): a repeated key keeps its last
// value, bytes that are not UTF-8 become U+FFFD, and what is then a string
// is a string (class-validator's IsString), control characters included.
// The fake accepts all that, as the real service does, and returns in note
// what it tolerated, for the X-Paysandbox-Detail header (see doc.go,
// "Lenient input").
func decodeBody(r *http.Request, v *map[string]json.RawMessage) (note string, err error) {
	b, err := httpx.ReadBody(r)
	if err != nil {
		return "", err
	}
	// The hot path (POST /start-checkout): a valid object is split into
	// its fields without copying them; anything else gets DecodeJSON's
	// answer.
	if m, ok := fastFields(b); ok {
		*v = m
	} else if err := httpx.DecodeJSONBytes(b, v); err != nil {
		return "", err
	}
	var notes []string
	if !mayRepeatKeys(b) {
		// No object repeats a key: nothing for duplicateKeys to find.
	} else if dups := duplicateKeys(b); len(dups) > 0 {
		notes = append(notes, fmt.Sprintf("the body repeats %s; the last value wins, as JSON.parse does", strings.Join(dups, ", ")))
	}
	if !utf8.Valid(b) {
		notes = append(notes, "the body is not valid UTF-8; the invalid bytes were read as U+FFFD, as MIS Pay's Node service decodes them")
	}
	return strings.Join(notes, "; "), nil
}

// duplicateKeys lists the keys (as dotted paths, at most a few) that occur
// more than once in one object of a JSON document b, which is known to be
// valid JSON.
func duplicateKeys(b []byte) []string {
	type frame struct {
		object  bool
		keys    map[string]bool
		path    string
		wantKey bool
		key     string
	}
	var dups []string
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(b))
	// valueDone moves the enclosing object back to expecting a key.
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	childPath := func() string {
		if n := len(stack); n > 0 {
			top := stack[n-1]
			if top.object {
				return strings.TrimPrefix(top.path+"."+top.key, ".")
			}
			return top.path + "[]"
		}
		return ""
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		top := (*frame)(nil)
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, &frame{object: t == '{', keys: map[string]bool{}, path: childPath(), wantKey: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if top != nil && top.object && top.wantKey {
				if top.keys[t] && len(dups) < 5 {
					dups = append(dups, fmt.Sprintf("%q", strings.TrimPrefix(top.path+"."+t, ".")))
				}
				top.keys[t] = true
				top.key, top.wantKey = t, false
				continue
			}
			valueDone()
		default:
			valueDone()
		}
	}
	return dups
}

// controlNote is the X-Paysandbox-Detail note for an orderId with control
// characters (NUL, ESC, CR, LF...), which MIS Pay stores and echoes as
// sent; "" when there are none.
func controlNote(name, v string) string {
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return fmt.Sprintf("%s contains the control character U+%04X; MIS Pay accepts any string and echoes it as sent (in JSON, escaped)", name, r)
		}
	}
	return ""
}

// joinNotes joins the non-empty notes with "; ".
func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}
