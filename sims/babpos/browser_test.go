package babpos_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/paysandbox/paysandbox/sim/simtest/browsertest"
	"github.com/paysandbox/paysandbox/sims/babpos"
)

// TestTerminalPageInBrowser: a cashier's purchase waits while a person, on
// the terminal page in a real browser, sees the amount appear, inserts a
// chip card, types the PIN on the pad, and sees the result and the receipt.
func TestTerminalPageInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	e.mode(map[string]string{"mode": "manual"})
	page := s.URL + "/babpos/terminal/" + e.tid

	var idlePrompt string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(`#screen[data-screen="idle"]`, chromedp.ByQuery),
		chromedp.Text(`#prompt`, &idlePrompt, chromedp.ByID),
	); err != nil {
		t.Fatalf("open the page: %v", err)
	}
	if idlePrompt != "Welcome" {
		t.Errorf("idle prompt %q", idlePrompt)
	}

	ch := e.async("45000", "browser-1")
	var amount, prompt string
	chip := `#cards button[data-card="mada-approve"][data-mode="CHIP"]`
	if err := chromedp.Run(ctx,
		// The page updates by itself while the ECR's call waits.
		chromedp.WaitVisible(`#screen[data-screen="awaiting-card"]`, chromedp.ByQuery),
		chromedp.Text(`#amount`, &amount, chromedp.ByID),
		chromedp.Text(`#prompt`, &prompt, chromedp.ByID),
		chromedp.WaitEnabled(chip, chromedp.ByQuery),
		chromedp.Click(chip, chromedp.ByQuery),
		chromedp.WaitVisible(`#pinpad`, chromedp.ByID),
	); err != nil {
		t.Fatalf("present the card: %v", err)
	}
	if amount != "SAR 450.00" || !strings.Contains(prompt, "Tap, insert or swipe card") {
		t.Errorf("awaiting card: amount %q prompt %q", amount, prompt)
	}
	if st := e.state(); st.Screen != babpos.PinEntry {
		t.Fatalf("after the click the terminal shows %s", st.Screen)
	}

	var status, receipt string
	pressDigits := chromedp.ActionFunc(func(ctx context.Context) error {
		for _, d := range "1234" {
			js := `[...document.querySelectorAll("#pinpad button")].find(b => b.textContent === "` + string(d) + `").click()`
			if err := chromedp.Evaluate(js, nil).Do(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err := chromedp.Run(ctx,
		pressDigits,
		chromedp.Click(`#pinok`, chromedp.ByID),
		chromedp.WaitVisible(`#status`, chromedp.ByID),
		chromedp.Text(`#status`, &status, chromedp.ByID),
		chromedp.Text(`#receipt`, &receipt, chromedp.ByID),
	); err != nil {
		t.Fatalf("enter the PIN: %v", err)
	}
	select {
	case resp := <-ch:
		a := e.answer(resp)
		if a.Status != "APPROVED" || a.Receipt.VerificationMethodEn != "CARDHOLDER PIN VERIFIED" || a.Receipt.EntryMode != "CHIP" {
			t.Errorf("answer %+v", a.Receipt)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the ECR's call did not return")
	}
	if status != "APPROVED 000" || !strings.Contains(receipt, "CUSTOMER COPY") || !strings.Contains(receipt, "SAR 450.00") {
		t.Errorf("result %q, receipt:\n%s", status, receipt)
	}
}
