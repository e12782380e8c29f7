package misspay

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var splitSeeds = []string{
	`{}`, `null`, `[]`, `"x"`, `1`, `{"a":1,"b":"x","c":{"d":[1,{"e":null}]},"f":true}`,
	`{"a":1,"a":2}`, `{"k\u0041":"v","\u00e9":"\"}"}`, " { \"a\" : [ ] , \"b\" : { } } ",
	"{\"\xff\":1}", `[{"a":1},null,{}]`, `{"a":{"b":1,"b":2}}`, `[{"a":1},{"a":1}]`, `{"a":{"a":1},"b":{"a":2}}`,
	`{"a":1,"\u0061":2}`, "{\"\xff\":1,\"\xfe\":2}", `{"k":"a","v":"a"}`, `[1]`, `[{"a":1},"x"]`, `[ ]`, `{"a":"]}\\"}`,
	`{"a":1}}`, `{"a":1} x`, `{"a":-0.5e+3,"b":01}`, `{"a":"\u12"}`, `{"a":"\x"}`, "{\"a\":\"\x01\"}", `{"a":[1,]}`,
	`{"a":1,}`, `{,}`, `-`, `1.`, `1e`, `.5`, `tru`, `nul`, `{"é":"ü"}`, strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000), `{"a":{"b":{"c":[{"d":1,"d":2}]}}}`,
}

// unmarshalAny is json.Unmarshal into an any, numbers as json.Number.
func unmarshalAny(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var x any
	return x, dec.Decode(&x)
}

// toAny is a doc value as json.Unmarshal into an any gives it.
func toAny(t *testing.T, d *doc, v value) any {
	switch v.kind {
	case kindObject:
		m := map[string]any{}
		sp := d.objs[v.ref]
		for _, mb := range d.members[sp.lo:sp.hi] {
			m[d.keyString(&mb)] = toAny(t, d, mb.val)
		}
		return m
	case kindArray:
		a := []any{}
		for _, e := range d.elements(v.ref) {
			a = append(a, toAny(t, d, e))
		}
		return a
	}
	x, err := unmarshalAny(d.raw(v))
	if err != nil {
		t.Fatalf("value %q: %v", d.raw(v), err)
	}
	if v.plain && d.text(v) != x {
		t.Fatalf("plain string %q reads %q, json.Unmarshal %q", d.raw(v), d.text(v), x)
	}
	return x
}

// The doc answers as encoding/json does, for every input.
func FuzzSplit(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := new(docPool).newDoc()
		defer d.release()
		root, first, ok := d.split(b)
		if ok != json.Valid(b) {
			t.Fatalf("split(%q) ok = %v, json.Valid = %v", b, ok, !ok)
		}
		if !first {
			return
		}
		end := int(root.hi)
		want, err := unmarshalAny(b[:end])
		if err != nil {
			t.Fatalf("split(%q): first value %q, but json.Unmarshal: %v", b, b[:end], err)
		}
		if got := toAny(t, d, root); !reflect.DeepEqual(got, want) {
			t.Fatalf("split(%q) = %#v, json.Unmarshal %#v", b, got, want)
		}
		if !ok {
			return
		}
		dups := duplicateKeys(b)
		if d.dup != (len(dups) > 0) {
			t.Fatalf("split(%q) dup = %v, duplicateKeys = %q", b, d.dup, dups)
		}
		if len(dups) > 0 && !mayRepeatKeys(b) {
			t.Fatalf("mayRepeatKeys(%q) = false, duplicateKeys = %q", b, dups)
		}
		if !d.high && !utf8.Valid(b) {
			t.Fatalf("split(%q) found no byte above ASCII in invalid UTF-8", b)
		}
	})
}

func TestSplitSeeds(t *testing.T) {
	for _, s := range splitSeeds {
		d := new(docPool).newDoc()
		root, _, ok := d.split([]byte(s))
		if ok != json.Valid([]byte(s)) {
			t.Errorf("split(%.40q) ok = %v", s, ok)
		}
		if ok && root.kind == kindObject && d.dup != (len(duplicateKeys([]byte(s))) > 0) {
			t.Errorf("split(%.40q) dup = %v", s, d.dup)
		}
		d.release()
	}
}

// The formats written out answer as their regular expressions.
var formats = []struct {
	re *regexp.Regexp
	fn func(string) bool
}{
	{regexp.MustCompile(`^\d{1,12}(\.\d{1,2}0*)?$`), isAmount},
	{regexp.MustCompile(`^(05\d{8}|9665\d{8}|\+9665\d{8})$`), isMobile},
	{regexp.MustCompile(`^\d{1,6}(\.\d+)?$`), func(s string) bool { _, _, ok := decimal(s, 6); return ok }},
	{regexp.MustCompile(`^\d{1,12}(\.\d+)?$`), func(s string) bool { _, _, ok := decimal(s, 12); return ok }},
}

var formatSeeds = []string{"", "0", "1", "1.", ".5", "1.5", "1.05", "1.050", "1.055", "1.0500", "123456789012", "1234567890123",
	"123456789012.99", "1.2.3", "-1", "+1", "1e2", " 1", "0512345678", "051234567", "05123456789", "966512345678",
	"+966512345678", "+96651234567a", "9665123456789", "123456", "1234567", "123456.5", "１", "0.005", "0.0049999"}

func FuzzFormats(f *testing.F) {
	for _, s := range formatSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, fm := range formats {
			if got, want := fm.fn(s), fm.re.MatchString(s); got != want {
				t.Fatalf("format %d (%s) of %q = %v, want %v", i, fm.re, s, got, want)
			}
		}
		// Amounts and prices read as the money package reads them.
		if a, ok := parseAmount(s); ok != oldAmountOK(s) || ok && a != oldAmount(s) {
			t.Fatalf("parseAmount(%q) = %v, %v", s, a, ok)
		}
	})
}

func oldAmountOK(s string) bool { _, ok := oldParseAmount(s); return ok }
func oldAmount(s string) any    { a, _ := oldParseAmount(s); return a }

// Every body gets the same answer from the one-pass parser as from the
// parser it replaced: the request, the error and the note.
func FuzzParseLikeBefore(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add([]byte(s))
	}
	for _, name := range []string{"start-checkout-v1.2.json", "start-checkout-v1.1.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(bytes.Replace(b, []byte(`"orderId"`), []byte(`"orderId":"x\u0000","orderId"`), 1))
		f.Add(bytes.Replace(b, []byte(`"unitPrice": "100"`), []byte(`"unitPrice": "100.005"`), 1))
		f.Add(bytes.Replace(b, []byte(`"items": [`), []byte(`"items": [null,`), 1))
		f.Add(bytes.Replace(b, []byte(`"1233-ABCD"`), []byte("\"a\xffb\""), 1))
		f.Add(append(b, '}'))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req := func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/start-checkout", bytes.NewReader(b))
		}
		var m map[string]json.RawMessage
		oldNote, oldErr := oldDecodeBody(req(), &m)
		var oldReq startRequest
		if oldErr == nil {
			oldReq, oldErr = oldParseStartCheckout(m)
		}
		for _, share := range []bool{false, true} {
			d, fs, note, err := decodeBody(nil, req(), share)
			var got startRequest
			if err == nil {
				got, err = parseStartCheckout(fs)
				d.release()
				got.compact()
			}
			if note != oldNote || errString(err) != errString(oldErr) {
				t.Fatalf("%q: note %q, error %v; before: note %q, error %v", b, note, err, oldNote, oldErr)
			}
			if err == nil && !reflect.DeepEqual(got, oldReq) {
				t.Fatalf("%q: request %+v; before %+v", b, got, oldReq)
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
