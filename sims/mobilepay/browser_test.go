package mobilepay_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/paysandbox/paysandbox/sim/simtest/browsertest"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

// TestPhoneInBrowser clicks through a payment the way a developer would:
// open the phone page the QR code links to, check in, and swipe to pay.
func TestPhoneInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	s := newServer(t)
	c := fixture(s, t)
	phone := s.URL + "/mobilepay/phone/" + c.pos["T1001"]

	var note string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(phone),
		chromedp.WaitVisible(`#checkin`, chromedp.ByID),
		chromedp.SetValue(`#name`, "Browser Bob", chromedp.ByID),
		chromedp.SetValue(`#age`, "41", chromedp.ByID),
		chromedp.Click(`#checkin button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#waiting`, chromedp.ByID),
		chromedp.Text(`#message`, &note, chromedp.ByID),
	); err != nil {
		t.Fatalf("check-in: %v", err)
	}
	if !strings.Contains(note, "checked in") {
		t.Fatalf("note after check-in = %q", note)
	}
	ci := ok(t, c.call("api/pos/manage/checkInStatus/byterminalId", fields{"terminalId": "T1001"}))
	if ci.str("customerName") != "Browser Bob" || ci.Body["customerAge"] != 41.0 {
		t.Fatalf("check-in status = %s", ci.Raw)
	}

	id := c.start("T1001", "browser-1", "64.00")
	var amount string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(phone), // no note on the page until the swipe
		chromedp.WaitVisible(`#swipe`, chromedp.ByID),
		chromedp.Text(`#amount`, &amount, chromedp.ByID),
		// Swipe: drag the slider to the end.
		chromedp.Evaluate(`(() => { const s = document.getElementById('swipe'); s.value = 100; s.dispatchEvent(new Event('input')); })()`, nil),
		chromedp.WaitVisible(`#message`, chromedp.ByID),
		chromedp.Text(`#message`, &note, chromedp.ByID),
	); err != nil {
		t.Fatalf("swipe: %v", err)
	}
	if amount != "64.00 DKK" || !strings.Contains(note, "approved") {
		t.Fatalf("amount %q, note %q", amount, note)
	}
	c.wantStatus(id, mobilepay.Reserved)
}
