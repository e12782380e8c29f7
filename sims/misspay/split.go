package misspay

import (
	"bytes"
	"encoding/json"
	"math"
	"sync"
	"unicode/utf8"
)

// Request bodies are read field by field (type fields) from a doc: one
// pass over the body that validates it as encoding/json does (json.Valid,
// nesting limit included) and at the same time splits every object into
// its members and every array into its elements, finds repeated keys and
// notes whether any byte is outside ASCII. Values stay where they are in
// the body (offsets, no copies); a string's text is taken only when a
// field is kept. Nothing else goes over the body again, unless the body
// repeats a key (duplicateKeys then names them) or is not a valid object
// (encoding/json then gives its error).

// maxDepth is encoding/json's nesting limit: deeper documents are invalid.
const maxDepth = 10000

// kind is a JSON value's kind.
type kind byte

const (
	kindNull kind = iota + 1
	kindString
	kindObject
	kindArray
	kindOther // a number, true or false
)

// value is one value of a doc.
type value struct {
	lo, hi int32 // the raw value, d.in[lo:hi]
	ref    int32 // the index in d.objs (kindObject) or d.arrs (kindArray)
	kind   kind
	plain  bool // a string without escapes whose bytes are valid UTF-8: its text is d.in[lo+1:hi-1]
}

// member is one key and value of an object.
type member struct {
	klo, khi int32  // the key's text, d.in[klo:khi], when it is plain
	key      string // the decoded key when it is not (escapes or invalid UTF-8)
	decoded  bool
	val      value
}

type span struct{ lo, hi int32 }

// doc is a JSON document split into its objects and arrays. Objects and
// arrays are numbered as they close; their members and elements are
// contiguous in members and elems.
type doc struct {
	pool    *docPool // where release puts it back; nil: nowhere
	in      []byte
	s       string // in as one string, made on first use when share is set
	share   bool   // str returns substrings of s instead of copies
	objs    []span
	members []member
	arrs    []span
	elems   []value

	pm    []member // members of the objects still open
	pe    []value  // elements of the arrays still open
	depth int
	dup   bool // some object repeats a key
	high  bool // some byte is >= 0x80
}

// docPool reuses a provider's docs across its requests (one per
// provider, not per package: providers keep no package-level state).
type docPool struct{ p sync.Pool }

// newDoc returns an empty doc from dp (a fresh one when dp is nil);
// release gives it back.
func (dp *docPool) newDoc() *doc {
	if dp != nil {
		if d, ok := dp.p.Get().(*doc); ok {
			return d
		}
	}
	return &doc{pool: dp}
}

// release returns d to its pool. Strings taken from d stay valid.
func (d *doc) release() {
	if d == nil || d.pool == nil {
		return
	}
	if cap(d.members) > 4096 || cap(d.elems) > 4096 || cap(d.pm) > 4096 || cap(d.pe) > 4096 {
		return // a big body's doc is left to the collector
	}
	clear(d.members) // decoded keys
	clear(d.pm[:cap(d.pm)])
	*d = doc{pool: d.pool, objs: d.objs[:0], members: d.members[:0], arrs: d.arrs[:0], elems: d.elems[:0], pm: d.pm[:0], pe: d.pe[:0]}
	d.pool.p.Put(d)
}

// split scans b, which d then describes. ok reports that b is one valid
// JSON value (json.Valid); root is that value. first is false when not
// even b's first value is valid; otherwise root is it, whatever follows.
func (d *doc) split(b []byte) (root value, first, ok bool) {
	d.in = b
	if len(b) >= math.MaxInt32 {
		return value{}, false, false
	}
	v, j, ok := d.value(d.ws(0))
	if !ok {
		return value{}, false, false
	}
	return v, true, d.ws(j) == len(b)
}

func (d *doc) ws(i int) int {
	for i < len(d.in) {
		switch d.in[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// value scans the value at i and returns it and where it ends.
func (d *doc) value(i int) (value, int, bool) {
	if i >= len(d.in) {
		return value{}, i, false
	}
	switch c := d.in[i]; {
	case c == '{':
		return d.object(i)
	case c == '[':
		return d.array(i)
	case c == '"':
		j, plain, ok := d.str(i)
		return value{lo: int32(i), hi: int32(j), kind: kindString, plain: plain}, j, ok
	case c == '-' || c >= '0' && c <= '9':
		j, ok := d.number(i)
		return value{lo: int32(i), hi: int32(j), kind: kindOther}, j, ok
	case c == 't':
		return d.literal(i, "true", kindOther)
	case c == 'f':
		return d.literal(i, "false", kindOther)
	case c == 'n':
		return d.literal(i, "null", kindNull)
	}
	return value{}, i, false
}

func (d *doc) literal(i int, lit string, k kind) (value, int, bool) {
	if len(d.in)-i < len(lit) || string(d.in[i:i+len(lit)]) != lit {
		return value{}, i, false
	}
	return value{lo: int32(i), hi: int32(i + len(lit)), kind: k}, i + len(lit), true
}

// str scans the string at i ('"') and returns where it ends; plain
// reports one without escapes whose bytes are valid UTF-8.
func (d *doc) str(i int) (end int, plain, ok bool) {
	plain = true
	high := false
	for j := i + 1; j < len(d.in); j++ {
		switch c := d.in[j]; {
		case c == '"':
			if high {
				d.high = true
				plain = plain && utf8.Valid(d.in[i+1:j])
			}
			return j + 1, plain, true
		case c == '\\':
			plain = false
			j++
			if j >= len(d.in) {
				return j, false, false
			}
			switch d.in[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(d.in)-j <= 4 {
					return j, false, false
				}
				for _, h := range d.in[j+1 : j+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return j, false, false
					}
				}
				j += 4
			default:
				return j, false, false
			}
		case c < 0x20:
			return j, false, false
		case c >= 0x80:
			high = true
		}
	}
	return len(d.in), false, false
}

// number scans the number at i.
func (d *doc) number(i int) (int, bool) {
	in, j := d.in, i
	if in[j] == '-' {
		j++
	}
	digits := func() bool {
		start := j
		for j < len(in) && in[j] >= '0' && in[j] <= '9' {
			j++
		}
		return j > start
	}
	switch {
	case j < len(in) && in[j] == '0':
		j++
	case j < len(in) && in[j] >= '1' && in[j] <= '9':
		digits()
	default:
		return j, false
	}
	if j < len(in) && in[j] == '.' {
		j++
		if !digits() {
			return j, false
		}
	}
	if j < len(in) && (in[j] == 'e' || in[j] == 'E') {
		j++
		if j < len(in) && (in[j] == '+' || in[j] == '-') {
			j++
		}
		if !digits() {
			return j, false
		}
	}
	return j, true
}

func (d *doc) object(i int) (value, int, bool) {
	if d.depth++; d.depth > maxDepth {
		return value{}, i, false
	}
	start := len(d.pm)
	j := d.ws(i + 1)
	if j < len(d.in) && d.in[j] == '}' {
		j++
	} else {
		for {
			if j >= len(d.in) || d.in[j] != '"' {
				return value{}, j, false
			}
			kend, kplain, ok := d.str(j)
			if !ok {
				return value{}, j, false
			}
			m := member{klo: int32(j + 1), khi: int32(kend - 1)}
			if !kplain {
				// As json.Unmarshal decodes a key: escapes resolved,
				// invalid UTF-8 as U+FFFD.
				var key string // its own variable: only this branch allocates
				if json.Unmarshal(d.in[j:kend], &key) != nil {
					return value{}, j, false
				}
				m.key, m.decoded = key, true
			}
			j = d.ws(kend)
			if j >= len(d.in) || d.in[j] != ':' {
				return value{}, j, false
			}
			if m.val, j, ok = d.value(d.ws(j + 1)); !ok {
				return value{}, j, false
			}
			d.pm = append(d.pm, m)
			if j = d.ws(j); j >= len(d.in) {
				return value{}, j, false
			}
			if d.in[j] == ',' {
				j = d.ws(j + 1)
				continue
			}
			if d.in[j] != '}' {
				return value{}, j, false
			}
			j++
			break
		}
	}
	d.depth--
	ms := d.pm[start:]
	if !d.dup && d.repeats(ms) {
		d.dup = true
	}
	lo := len(d.members)
	d.members = append(d.members, ms...)
	clear(ms)
	d.pm = d.pm[:start]
	d.objs = append(d.objs, span{int32(lo), int32(len(d.members))})
	return value{lo: int32(i), hi: int32(j), kind: kindObject, ref: int32(len(d.objs) - 1)}, j, true
}

func (d *doc) array(i int) (value, int, bool) {
	if d.depth++; d.depth > maxDepth {
		return value{}, i, false
	}
	start := len(d.pe)
	j := d.ws(i + 1)
	if j < len(d.in) && d.in[j] == ']' {
		j++
	} else {
		for {
			v, next, ok := d.value(j)
			if !ok {
				return value{}, next, false
			}
			d.pe = append(d.pe, v)
			if j = d.ws(next); j >= len(d.in) {
				return value{}, j, false
			}
			if d.in[j] == ',' {
				j = d.ws(j + 1)
				continue
			}
			if d.in[j] != ']' {
				return value{}, j, false
			}
			j++
			break
		}
	}
	d.depth--
	lo := len(d.elems)
	d.elems = append(d.elems, d.pe[start:]...)
	d.pe = d.pe[:start]
	d.arrs = append(d.arrs, span{int32(lo), int32(len(d.elems))})
	return value{lo: int32(i), hi: int32(j), kind: kindArray, ref: int32(len(d.arrs) - 1)}, j, true
}

// keyEq reports whether two members have the same (decoded) key.
func (d *doc) keyEq(a, b *member) bool {
	switch {
	case !a.decoded && !b.decoded:
		return bytes.Equal(d.in[a.klo:a.khi], d.in[b.klo:b.khi])
	case a.decoded && b.decoded:
		return a.key == b.key
	case a.decoded:
		return a.key == string(d.in[b.klo:b.khi])
	default:
		return b.key == string(d.in[a.klo:a.khi])
	}
}

func (d *doc) keyString(m *member) string {
	if m.decoded {
		return m.key
	}
	return string(d.in[m.klo:m.khi])
}

// repeats reports whether an object's members repeat a key.
func (d *doc) repeats(ms []member) bool {
	if len(ms) <= 16 {
		for i := range ms {
			for j := i + 1; j < len(ms); j++ {
				if d.keyEq(&ms[i], &ms[j]) {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(ms))
	for i := range ms {
		k := d.keyString(&ms[i])
		if _, ok := seen[k]; ok {
			return true
		}
		seen[k] = struct{}{}
	}
	return false
}

// lookup finds name among object o's members; the last of repeated keys
// wins, as in JSON.parse and json.Unmarshal.
func (d *doc) lookup(o int32, name string) (value, bool) {
	if o < 0 {
		return value{}, false
	}
	sp := d.objs[o]
	for k := sp.hi - 1; k >= sp.lo; k-- {
		m := &d.members[k]
		if m.decoded {
			if m.key == name {
				return m.val, true
			}
			continue
		}
		// Length and first byte first: most keys differ there.
		if int(m.khi-m.klo) == len(name) && (name == "" || d.in[m.klo] == name[0]) && string(d.in[m.klo:m.khi]) == name {
			return m.val, true
		}
	}
	return value{}, false
}

// raw is v's bytes.
func (d *doc) raw(v value) []byte { return d.in[v.lo:v.hi] }

// text is a plain string's text: a substring of the whole body when d
// shares, else a copy.
func (d *doc) text(v value) string {
	if d.share {
		if d.s == "" {
			d.s = string(d.in)
		}
		return d.s[v.lo+1 : v.hi-1]
	}
	return string(d.in[v.lo+1 : v.hi-1])
}

// elements are the elements of array a.
func (d *doc) elements(a int32) []value {
	sp := d.arrs[a]
	return d.elems[sp.lo:sp.hi]
}
