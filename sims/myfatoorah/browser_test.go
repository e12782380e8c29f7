package myfatoorah_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sim/simtest/browsertest"
)

// waitLocation waits until the browser is on a URL starting with prefix.
func waitLocation(prefix string, at *string) chromedp.ActionFunc {
	return func(ctx context.Context) error {
		for {
			if err := chromedp.Location(at).Do(ctx); err != nil {
				return err
			}
			if strings.HasPrefix(*at, prefix) {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// A customer pays on the hosted page in a real browser: the card form,
// the 3-D Secure challenge, then the shop's CallBackUrl with paymentId.
func TestHostedPageInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	s := newServer(t)
	shop := simtest.NewReceiver(t, http.StatusOK)
	c := fixture(t, s)
	inv := c.execute(with(func(b map[string]any) {
		b["CallBackUrl"] = shop.URL + "/mf/ok"
		b["ErrorUrl"] = shop.URL + "/mf/err"
	}))
	var amount, landed, challenge string
	err := chromedp.Run(ctx,
		chromedp.Navigate(inv.PaymentURL),
		chromedp.Text("#amount", &amount, chromedp.ByQuery),
		chromedp.SendKeys("#number", "5123450000000008", chromedp.ByQuery),
		chromedp.SendKeys("#expiry", "01/39", chromedp.ByQuery),
		chromedp.SendKeys("#cvv", "100", chromedp.ByQuery),
		chromedp.Click("#pay", chromedp.ByQuery),
		chromedp.WaitVisible("#authenticate", chromedp.ByQuery),
		chromedp.Location(&challenge),
		chromedp.SendKeys("#password", "1234", chromedp.ByQuery),
		chromedp.Click("#authenticate", chromedp.ByQuery),
		waitLocation(shop.URL, &landed),
	)
	if err != nil {
		t.Fatalf("browser: %v (at %s)", err, landed)
	}
	if amount != "10.000 KD" || !strings.Contains(challenge, "/3ds/") {
		t.Errorf("page showed %q, challenge at %s", amount, challenge)
	}
	u, _ := url.Parse(landed)
	pid := u.Query().Get("paymentId")
	if u.Path != "/mf/ok" || pid == "" || u.Query().Get("Id") != pid {
		t.Fatalf("landed on %s", landed)
	}
	st := c.status(pid, "PaymentId")
	if st.InvoiceStatus != "Paid" || st.InvoiceTransactions[0].TransactionStatus != "Succss" {
		t.Errorf("after the browser: %+v", st)
	}
}

// A declined card in the browser lands on ErrorUrl.
func TestHostedPageDeclinedInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	s := newServer(t)
	shop := simtest.NewReceiver(t, http.StatusOK)
	c := fixture(t, s)
	inv := c.execute(with(func(b map[string]any) {
		b["PaymentMethodId"] = 1
		b["CallBackUrl"] = shop.URL + "/mf/ok"
		b["ErrorUrl"] = shop.URL + "/mf/err"
	}))
	var landed string
	err := chromedp.Run(ctx,
		chromedp.Navigate(inv.PaymentURL),
		chromedp.SendKeys("#number", "8888880000000001", chromedp.ByQuery),
		chromedp.SendKeys("#expiry", "10/30", chromedp.ByQuery), // KNET: only 09/30 is captured
		chromedp.Click("#pay", chromedp.ByQuery),
		waitLocation(shop.URL, &landed),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if u, _ := url.Parse(landed); u.Path != "/mf/err" {
		t.Fatalf("landed on %s", landed)
	}
}
