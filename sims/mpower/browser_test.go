package mpower_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/paysandbox/paysandbox/sim/simtest/browsertest"
	"github.com/paysandbox/paysandbox/sims/mpower"
)

// A user opens their mPower app in a real browser. The page waits; a
// payment request arrives and the page updates by itself to show the
// merchant, the lines and the amount; the user approves. Then a request
// to the 3-D Secure user: approve, a wrong code, the right code.
func TestAppPageInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	s := newServer(t)
	rc := newReceiver(t)
	c := fixture(s, t, ssms).login()
	page := c.c.AppURLs["manual"]

	var waiting string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(page),
		chromedp.Text("#waiting", &waiting, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(waiting, "No payment requests") {
		t.Errorf("empty app shows %q", waiting)
	}

	// The request arrives while the page is open: it reloads by itself.
	b := c.createBody("manual", rc.URL)
	b["merchantName"] = "Kadıköy Market"
	b["amount"] = 4250
	b["paymentContent"] = []any{[]any{obj{"key": "Ekmek", "value": "10.00 TRY"}, obj{"key": "Süt", "value": "32.50 TRY"}}}
	id := c.create(b)
	var merchant, amount, lines, message string
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible("#approve", chromedp.ByQuery),
		chromedp.Text("#merchant", &merchant, chromedp.ByQuery),
		chromedp.Text("#amount", &amount, chromedp.ByQuery),
		chromedp.Text("table.content", &lines, chromedp.ByQuery),
		chromedp.Click("#approve", chromedp.ByQuery),
		waitLocation("m=approved"),
		chromedp.WaitVisible("#message", chromedp.ByQuery),
		chromedp.Text("#message", &message, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("browser: %v", err)
	}
	if merchant != "Kadıköy Market" || amount != "42.50 TRY" || !strings.Contains(lines, "Süt") || !strings.Contains(lines, "32.50 TRY") {
		t.Errorf("page shows merchant %q, amount %q, lines %q", merchant, amount, lines)
	}
	if message != "You approved the payment." {
		t.Errorf("message %q", message)
	}
	if got := c.txn(id).Status; got != mpower.StatusProcessing {
		t.Errorf("after the tap: %s", got)
	}

	// The 3-D Secure step.
	id = c.create(c.createBody("threeDSecure", rc.URL))
	c.act(id, "approve", http.StatusOK)
	if err := chromedp.Run(ctx,
		chromedp.Navigate(c.c.AppURLs["threeDSecure"]),
		chromedp.WaitVisible("#otp", chromedp.ByQuery),
		chromedp.SendKeys("#otp", "000000", chromedp.ByQuery),
		chromedp.Click("#verify", chromedp.ByQuery),
		waitLocation("m=wrong"),
		chromedp.WaitVisible("#message", chromedp.ByQuery),
		chromedp.Text("#message", &message, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("browser: %v", err)
	}
	if message != "Wrong code. Try again." || c.txn(id).Status != mpower.StatusProcessing3DSecure {
		t.Fatalf("wrong code: %q, %s", message, c.txn(id).Status)
	}
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible("#otp", chromedp.ByQuery),
		chromedp.SendKeys("#otp", mpower.ThreeDSCode, chromedp.ByQuery),
		chromedp.Click("#verify", chromedp.ByQuery),
		waitLocation("m=verified"),
		chromedp.WaitVisible("#message", chromedp.ByQuery),
		chromedp.Text("#message", &message, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("browser: %v", err)
	}
	if message != "3-D Secure verification complete." || c.txn(id).Status != mpower.StatusProcessing {
		t.Errorf("right code: %q, %s", message, c.txn(id).Status)
	}

	// Reject from the page.
	id = c.create(c.createBody("manual", rc.URL))
	if err := chromedp.Run(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible("#reject", chromedp.ByQuery),
		chromedp.Click("#reject", chromedp.ByQuery),
		waitLocation("m=rejected"),
		chromedp.WaitVisible("#message", chromedp.ByQuery),
		chromedp.Text("#message", &message, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("browser: %v", err)
	}
	if message != "You rejected the payment." || c.txn(id).Status != mpower.StatusCancelled {
		t.Errorf("reject: %q, %s", message, c.txn(id).Status)
	}
}

// waitLocation waits until the browser's URL contains part.
func waitLocation(part string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for {
			var loc string
			if err := chromedp.Location(&loc).Do(ctx); err != nil {
				return err
			}
			if strings.Contains(loc, part) {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
}
