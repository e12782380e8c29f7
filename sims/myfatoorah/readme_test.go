package myfatoorah_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The README's MyFatoorah walk-through works when pasted.
func TestREADMEWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("runs bash and curl")
	}
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- myfatoorah walk-through -->\n```sh\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no MyFatoorah walk-through")
	}
	s := newServer(t)
	script := strings.ReplaceAll(string(m[1]), "http://127.0.0.1:8080", s.URL)
	out, err := exec.Command("bash", "-euo", "pipefail", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("walk-through failed: %v\n%s", err, out)
	}
	s.Callbacks().Wait()
	for _, want := range []string{
		`"PaymentMethodCode":"vm"`, `InvoiceId: [0-9]+\n`, `"invoiceStatus":"Paid","transactionStatus":"Succss"`,
		`"InvoiceStatus":"Paid"`, `"TransactionStatus":"Succss"`, `"MyFatoorah-Signature":"[A-Za-z0-9+/=]{44}"`,
		`"Name":"PAYMENT_STATUS_CHANGED"`,
	} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}
