package misspay

import (
	"bytes"
	"encoding/json"
	"errors"
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
// "Lenient input"). The caller releases d when it has read its fields;
// with share, the strings it reads share one copy of the body.
func decodeBody(pool *docPool, r *http.Request, share bool) (d *doc, f *fields, note string, err error) {
	b, err := httpx.ReadBody(r)
	if err != nil {
		return nil, nil, "", err
	}
	d = pool.newDoc()
	d.share = share
	obj, fast, err := d.parseObject(b)
	if err != nil {
		d.release()
		return nil, nil, "", err
	}
	var notes []string
	// In one pass (fast), the scan found whether an object repeats a key
	// and whether any byte is outside ASCII; a body encoding/json had to
	// decode is checked the long way.
	if fast && !d.dup || !fast && !mayRepeatKeys(b) {
		// No object repeats a key: nothing for duplicateKeys to find.
	} else if dups := duplicateKeys(b); len(dups) > 0 {
		notes = append(notes, fmt.Sprintf("the body repeats %s; the last value wins, as JSON.parse does", strings.Join(dups, ", ")))
	}
	if (d.high || !fast) && !utf8.Valid(b) {
		notes = append(notes, "the body is not valid UTF-8; the invalid bytes were read as U+FFFD, as MIS Pay's Node service decodes them")
	}
	return d, &fields{d: d, obj: obj}, strings.Join(notes, "; "), nil
}

// parseObject splits b, which must be a JSON object, into d, as
// httpx.DecodeJSONBytes into a map[string]json.RawMessage reads it, and
// returns the object's index in d (-1 for null, which decodes to a nil
// map). fast reports that b was valid JSON, read in one pass; errors are
// DecodeJSONBytes's.
func (d *doc) parseObject(b []byte) (obj int32, fast bool, err error) {
	root, first, ok := d.split(b)
	if ok && root.kind == kindObject {
		return root.ref, true, nil
	}
	var m map[string]json.RawMessage
	if err := httpx.DecodeJSONBytes(b, &m); err != nil {
		return -1, false, err
	}
	switch {
	case m == nil: // null
		return -1, false, nil
	case first && root.kind == kindObject:
		// One object and then what the decoder does not read ("{}}").
		return root.ref, false, nil
	}
	// The scan refused what encoding/json accepts: not expected (the fuzz
	// tests compare them), but should it happen, encoding/json's own
	// rendering of the object is read instead.
	b2, err := json.Marshal(m)
	if err != nil {
		return -1, false, errors.Join(httpx.ErrMalformed, err)
	}
	*d = doc{pool: d.pool, share: d.share}
	if root, _, ok := d.split(b2); ok && root.kind == kindObject {
		return root.ref, false, nil
	}
	return -1, false, errors.Join(httpx.ErrMalformed, errors.New("the body could not be split"))
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
