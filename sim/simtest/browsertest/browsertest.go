// Package browsertest starts a headless Chromium for tests of the
// simulator's HTML pages (hosted checkout pages, virtual phones), driven
// with chromedp. Tests skip when no Chromium is installed (Debian: apt-get
// install chromium) or with -short.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// New returns a browser context that lives until the test ends.
func New(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test")
	}
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("no Chromium installed")
	}
	// Not t.TempDir: Chromium may still write to its profile while the test
	// cleans up, and a failed RemoveAll would fail the test.
	profile, err := os.MkdirTemp("", "paysandbox-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// This machine's network is closed: keep Chromium from trying.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(profile),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		_ = os.RemoveAll(profile) // best effort
	})
	return ctx
}
