package journal_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/journal"
)

const liveToken = "mp_0123456789abcdef0123456789abcdef01234567"

// Redaction follows the body's content, not its Content-Type: handlers
// parse JSON sent as a form or as text, so the journal must too.
func TestBodyRedactsWhateverTheContentType(t *testing.T) {
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	for _, tc := range []struct {
		name, ct, body string
		secret         string
	}{
		{"JSON as a form", "application/x-www-form-urlencoded", `{"bioCode":"BIO1","accessToken":"` + liveToken + `"}`, liveToken},
		{"JSON as text", "text/plain", `{"bioCode":"BIO1","accessToken":"` + liveToken + `"}`, liveToken},
		{"JSON without a type", "", ` {"accessToken":"` + liveToken + `"}`, liveToken},
		{"escaped key", "application/json", `{"access\u0054oken":"` + liveToken + `"}`, liveToken},
		{"escaped key, malformed", "application/json", `{"access\u0054oken":"` + liveToken + `",}`, liveToken},
		{"form as text", "text/plain", "bioCode=BIO1&accessToken=" + liveToken, liveToken},
		{"JWT in free text", "text/plain", "token was " + jwt + " ok", jwt},
		{"JWT in a JSON value", "application/json", `{"note":"` + jwt + `"}`, jwt},
		{"PAN with spaces", "application/json", `{"card":"4111 1111 1111 1111"}`, "4111 1111 1111 1111"},
		{"PAN with dashes", "text/plain", "card 4111-1111-1111-1111 used", "4111-1111-1111-1111"},
		{"PAN as a JSON number", "application/json", `{"card":4111111111111111}`, "4111111111111111"},
		{"XML", "application/xml", "<req><accessToken>" + liveToken + "</accessToken></req>", liveToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := journal.Body([]byte(tc.body), tc.ct, 16<<10)
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(out), tc.secret) || strings.Contains(string(out), strings.ReplaceAll(tc.secret, " ", "")) {
				t.Errorf("secret kept: %s", out)
			}
		})
	}
	// Ordinary numbers and text stay as they are.
	v := journal.Body([]byte(`{"amount":12.5,"orderId":"1234567890"}`), "application/json", 1024)
	out, _ := json.Marshal(v)
	if string(out) != `{"amount":12.5,"orderId":"1234567890"}` {
		t.Errorf("plain body changed: %s", out)
	}
}

// A huge JSON body is cut and scanned as text, never parsed whole.
func TestBodyHugeJSONIsBounded(t *testing.T) {
	huge := hugeArray(1 << 20)
	v := journal.Body(huge, "application/json", 16<<10)
	s, ok := v.(string)
	if !ok || len(s) > 17<<10 {
		t.Fatalf("got %T of %d bytes, want a cut string", v, len(s))
	}
}

func hugeArray(n int) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for b.Len() < n-4 {
		b.WriteString("{},")
	}
	b.WriteString("{}]")
	return b.Bytes()
}

// BenchmarkBodyHugeJSON is issue 8's point 3: a 1 MiB body of empty
// objects used to be parsed whole (tens of MiB per request); now the
// journal's work per request is bounded by its 16 KiB limit.
func BenchmarkBodyHugeJSON(b *testing.B) {
	huge := hugeArray(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		_ = journal.Body(huge, "application/json", 16<<10)
	}
}
