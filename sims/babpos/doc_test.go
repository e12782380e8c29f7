package babpos_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sims/babpos"
)

// TestDocListsTheCatalogue keeps doc.go's table of test cards true.
func TestDocListsTheCatalogue(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range babpos.Catalogue() {
		line := regexp.MustCompile(`(?m)^//\s+` + regexp.QuoteMeta(c.Name) + `\s+` + c.PAN + `\s+` + regexp.QuoteMeta(c.Expiry) + `\s`)
		if !line.Match(doc) {
			t.Errorf("doc.go does not list %s %s %s", c.Name, c.PAN, c.Expiry)
		}
		if !luhnOK(c.PAN) {
			t.Errorf("%s: %s fails the Luhn check", c.Name, c.PAN)
		}
	}
	for _, f := range babpos.Faults {
		if !strings.Contains(string(doc), "//\t"+f) {
			t.Errorf("doc.go does not describe fault %s", f)
		}
	}
}

func luhnOK(pan string) bool {
	sum := 0
	for i := range pan {
		d := int(pan[len(pan)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
