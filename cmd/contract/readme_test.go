package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sims"
)

// The README's runner section documents the flags each command really
// has, links only to files that exist, and calls a provider available only
// when it is registered.
func TestREADMEMatchesTheCommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)

	row := regexp.MustCompile("(?m)^\\| `(--?[a-z-]+)`(?:, `(--?[a-z-]+)`)? \\| ([a-z, ]+) \\|")
	rows := row.FindAllStringSubmatch(text, -1)
	if len(rows) < 10 {
		t.Fatalf("found %d rows of the runner's flag table", len(rows))
	}
	for _, r := range rows {
		for _, cmd := range strings.Split(r[3], ", ") {
			_, _, help := contract(t, cmd, "-h")
			for _, flag := range []string{r[1], r[2]} {
				if flag == "" {
					continue
				}
				if !regexp.MustCompile(`\n  -` + regexp.QuoteMeta(strings.TrimLeft(flag, "-")) + `[ \t\n]`).MatchString(help) {
					t.Errorf("README: %s is a flag of %q, but `contract %s -h` does not list it", flag, cmd, cmd)
				}
			}
		}
	}
	if !strings.Contains(text, "contract coverage") {
		t.Error("README's command list lacks contract coverage")
	}

	for _, doc := range []string{"../../README.md", "../../docs/scenarios.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`).FindAllStringSubmatch(string(b), -1) {
			if strings.Contains(m[1], "://") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(doc), m[1])); err != nil {
				t.Errorf("%s links to %s, which does not exist", doc, m[1])
			}
		}
		if strings.Contains(string(b), "CONTROL-API.md") {
			t.Errorf("%s names CONTROL-API.md; the file is docs/control-api.md", doc)
		}
	}

	avail := regexp.MustCompile(`(?s)\nProviders available now: (.*?)\n\n`).FindStringSubmatch(text)
	if avail == nil {
		t.Fatal(`README has no "Providers available now:" line`)
	}
	var listed []string
	for _, m := range regexp.MustCompile("\\(`/([a-z0-9]+)`\\)").FindAllStringSubmatch(avail[1], -1) {
		listed = append(listed, m[1])
	}
	var registered []string
	for _, f := range sims.Registry() {
		registered = append(registered, f.Name)
	}
	slices.Sort(listed)
	slices.Sort(registered)
	if !slices.Equal(listed, registered) {
		t.Errorf("README says %v are available; the registry has %v", listed, registered)
	}
}
