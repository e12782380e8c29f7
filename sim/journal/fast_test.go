package journal_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/journal"
)

// decoded is what a reader of the journal sees of a body: its JSON
// encoding, decoded again.
func decoded(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %#v: %v", v, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return out
}

var recordSeeds = []string{
	`{"result":{"token":"blob"},"card":{"number":"4111111111111111","cvv":"123"},"n":"1234567890123"}`,
	`{"bioCode":"BIO1","accessToken":"mp_0123456789abcdef"}`,
	`{"access\u0054oken":"mp_0123456789abcdef","a":"\u0034111111111111111"}`,
	`{"card":4111111111111111,"amount":12.5,"big":123456789012345678901234567890}`,
	`{"card":"4111 1111 1111 1111","jwt":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2ln"}`,
	`[{"token":null},{"token":{"a":[1,2]}},{"password":[]},"x",1,true,false,null]`,
	"{\"k\":\"\xff\xfe\",\"\xffname\":1}",
	`{"a":"x","a":"y","token":"t1","token":"t2"}`,
	` { "spaced" : [ 1 , { "pin" : "1234" } ] } `,
	`{"html":"<b>&amp;</b>","u":"\u00e9\ud83d\ude00","esc":"a\"b\\c\n"}`,
	`[]`, `{}`, `[[[]]]`,
	// Not JSON: Record must refuse them as Body does.
	`{"a":1,}`, `[1,]`, `{"a":tru}`, `{"a":01}`, `{"a":1.}`, "{\"a\":\"\x01\"}", `{"a":"\q"}`, `{"a":"\u12"}`,
	`{} {}`, `{"a":-}`, `{"a":1e}`, `[1 2]`, `{"a" 1}`, `{"token":nul}`, `{"a":1}}`, `[`, `{"a":"x`, `{,}`, `[-0.5e+7]`,
}

// Record writes JSON bodies as text, but a reader decodes the same value
// from it as from Body's Go values: the same redaction, nothing secret.
func TestRecordMatchesBody(t *testing.T) {
	for _, body := range recordSeeds {
		checkRecord(t, []byte(body))
	}
}

func checkRecord(t *testing.T, body []byte) {
	t.Helper()
	for _, ct := range []string{"application/json", "text/plain", ""} {
		want := decoded(t, journal.Body(body, ct, 1<<10))
		got := decoded(t, journal.Record(body, ct, 1<<10))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Record(%q, %q) reads as\n%#v\nBody as\n%#v", body, ct, got, want)
		}
	}
}

func FuzzRecordMatchesBody(f *testing.F) {
	for _, s := range recordSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"a":` + strings.Repeat("[", 50) + strings.Repeat("]", 50) + `}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkRecord(t, body)
	})
}

func BenchmarkRecord(b *testing.B) {
	body := []byte(`{"orderId":"1233-ABCD","invoiceId":"1234567890","totalPrice":"215","shippingAmount":"0","vat":"15","discount":{"percentage":"15","amount":"30","voucherName":"MIS-30"},"purchaseAmount":"200","purchaseCurrency":"SAR","lang":"en","version":"v1.2","customerDetails":{"id":"customer ID","firstName":"first name","lastName":"last name","mobileNumber":"+966512345678","email":"customer@example.com"},"orderDetails":{"items":[{"id":"OR12345","sku":"1234568abcd","nameArabic":"item name in arabic","nameEnglish":"item name in english","quantity":"2","unitPrice":"100","itemUrl":"https://itemurl.com","imageUrl":"https://imagurle.com"}]},"isMobile":true}`)
	b.Run("Body", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = journal.Body(body, "application/json", 16<<10)
		}
	})
	b.Run("Record", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = journal.Record(body, "application/json", 16<<10)
		}
	})
}

// MaskPANs's cheap test never skips text it would change.
func FuzzMaskPANsShortcut(f *testing.F) {
	for _, s := range []string{"4111 1111 1111 1111", "4111-1111-1111-1111", "a1e3b2c4-1001-4c7e-8f00-5a4db0c01001",
		"x4111111111111111y", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2ln", "1-2-3-4-5-6-7-8-9-0-1-2-3", "12 34",
		"4111111111111111a4111111111111111", "4111111111111111-4111111111111111 x 5500 0000 0000 0004",
		"12345678-1234-1234-1234-123456789012", "41111111111111111111111 4111111111111111", "-4111111111111111-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := journal.MaskPANs(s), journal.MaskPANsSlow(s); got != want {
			t.Fatalf("MaskPANs(%q) = %q, want %q", s, got, want)
		}
	})
}

// Nesting deeper than Record walks goes down Body's path, with the same
// result.
func TestRecordDeepNesting(t *testing.T) {
	for _, n := range []int{999, 1000, 1001, 5000} {
		body := []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
		want := decoded(t, journal.Body(body, "application/json", 16<<10))
		got := decoded(t, journal.Record(body, "application/json", 16<<10))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("depth %d: Record and Body differ", n)
		}
	}
}

// MaskPANs agrees with the regexp on many strings made of digits,
// separators and word and non-word characters (a fixed pseudo-random
// sequence; the fuzzer explores further).
func TestMaskPANsMatchesRegexp(t *testing.T) {
	const alphabet = "0123456789012345678901234567890123456789  --a_.é+"
	cards := []string{"4111111111111111", "5500000000000004", "340000000000009", "6011000000000004", "4111111111111"}
	x := uint64(1)
	next := func(n int) int {
		x = x*6364136223846793005 + 1442695040888963407
		return int(x>>33) % n
	}
	for range 100000 {
		var b strings.Builder
		for n := next(64); n > 0; n-- {
			if next(20) == 0 {
				b.WriteString(cards[next(len(cards))])
				continue
			}
			b.WriteByte(alphabet[next(len(alphabet))])
		}
		s := b.String()
		if got, want := journal.MaskPANs(s), journal.MaskPANsSlow(s); got != want {
			t.Fatalf("MaskPANs(%q) = %q, want %q", s, got, want)
		}
	}
}

// Query leaves nothing a reader could take a secret, card number or JWT
// from, and changes nothing else: decoded, its pairs are the input's, in
// order, with secret values and masked values replaced.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"accessToken=xyz&bioCode=42", "a=1&&b=2&", "api%4Bey=k&x=%20", "pan=4111+1111+1111+1111",
		"t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "a=%zz", "a;b", "=v&k=", "secret"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := journal.Query(raw)
		in, err := url.ParseQuery(raw)
		if err != nil {
			if got != journal.Redacted {
				t.Fatalf("Query(%q) = %q, want %q for a query Go refuses", raw, got, journal.Redacted)
			}
			return
		}
		out, err := url.ParseQuery(got)
		if err != nil {
			t.Fatalf("Query(%q) = %q, which does not parse: %v", raw, got, err)
		}
		if len(in) != len(out) {
			t.Fatalf("Query(%q) = %q: keys %v, want %v", raw, got, out, in)
		}
		for k, vs := range in {
			for i, v := range vs {
				want := journal.MaskPANs(v)
				if journal.IsSecret(k) {
					want = journal.Redacted
				}
				if i >= len(out[k]) || out[k][i] != want {
					t.Fatalf("Query(%q) = %q: %s=%q, want %q", raw, got, k, out[k], want)
				}
			}
		}
	})
}
