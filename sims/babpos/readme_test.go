package babpos_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEWalkThrough runs the README's BAB POS walk-through with bash and
// curl against a test server, as a reader would paste it.
func TestREADMEWalkThrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "sed", "grep"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## BAB POS")
	if !ok {
		t.Fatal("README has no BAB POS section")
	}
	m := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(section)
	if m == nil {
		t.Fatal("the BAB POS section has no sh block")
	}
	s := newServer(t)
	script := strings.ReplaceAll(m[1], "http://127.0.0.1:8080", s.URL)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walk-through failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		`{"transactionId":1001,"status":"APPROVED","message":"Approved","receipt":{"id":401,`,
		"** CUSTOMER COPY **", "** RETAILER COPY **", "SAR 120.00",
		`"transactionId":1001` + "\n",
		`"status":"DECLINED","message":"Expired Card"`,
		`"screen":"pin-entry"`, `"status":"APPROVED"`, `"verificationMethodEn":"CARDHOLDER PIN VERIFIED"`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
