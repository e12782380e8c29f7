package misspay_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sim/simtest/browsertest"
	"github.com/paysandbox/paysandbox/sims/misspay"
	"github.com/paysandbox/paysandbox/sims/misspay/seal"
)

// startV12Checkout gets a token for the merchant and starts a v1.2 checkout.
func startV12Checkout(t *testing.T, s *simtest.Server, appID, secret string) (trackID, pageURL, jwt string) {
	t.Helper()
	r := s.Do(simtest.Request{Method: "GET", Path: "/misspay/token", Header: http.Header{"X-App-Id": {appID}, "X-App-Secret": {secret}}})
	var tok struct{ Result struct{ Token string } }
	if err := json.Unmarshal(r.Body, &tok); err != nil {
		t.Fatal(err)
	}
	plain, err := seal.Open(secret, tok.Result.Token)
	if err != nil {
		t.Fatal(err)
	}
	var inner struct{ Token string }
	_ = json.Unmarshal(plain, &inner)
	body := `{"orderId":"WEB-1","totalPrice":"1000","shippingAmount":"25","vat":"150","purchaseAmount":"1175",
		"purchaseCurrency":"SAR","lang":"en","version":"v1.2","customerDetails":{"mobileNumber":"0512345678"},
		"orderDetails":{"items":[{"nameEnglish":"Desk lamp","quantity":"2","unitPrice":"500"}]}}`
	r = s.Do(simtest.Request{Method: "POST", Path: "/misspay/start-checkout", Body: body,
		Header: http.Header{"Authorization": {"Bearer " + inner.Token}, "X-App-Id": {appID}}})
	if r.Status != http.StatusCreated {
		t.Fatalf("start-checkout = %d %s", r.Status, r.Body)
	}
	var sc struct{ Result struct{ URL, TrackID string } }
	_ = json.Unmarshal(r.Body, &sc)
	return sc.Result.TrackID, sc.Result.URL, inner.Token
}

// A customer opens the hosted page in a real browser, sees the order and
// the plan, clicks "Approve and pay" and lands on the merchant's callback
// URL with the encrypted result.
func TestHostedPageInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	s := simtest.New(t, sim.Factory{Name: misspay.Name, New: func(d sim.Deps) sim.Provider { return misspay.New(d) }})
	shop := simtest.NewReceiver(t, http.StatusOK)
	var creds misspay.Credentials
	s.Control("POST", "/_sim/misspay/merchants", map[string]string{"callbackUrl": shop.URL + "/mispay/return"}, http.StatusCreated, &creds)
	trackID, pageURL, jwt := startV12Checkout(t, s, creds.AppID, creds.AppSecret)

	var amount, order string
	var instalments int
	var landed string
	err := chromedp.Run(ctx,
		chromedp.Navigate(pageURL),
		chromedp.Text("#amount", &amount, chromedp.ByQuery),
		chromedp.Text("#order-id", &order, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#plan li").length`, &instalments),
		chromedp.Click("#approve", chromedp.ByQuery),
		chromedp.WaitVisible("body", chromedp.ByQuery),
		chromedp.ActionFunc(func(ctx context.Context) error {
			// Wait for the browser to leave the simulator for the shop.
			for {
				if err := chromedp.Location(&landed).Do(ctx); err != nil {
					return err
				}
				if strings.HasPrefix(landed, shop.URL) {
					return nil
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(20 * time.Millisecond):
				}
			}
		}),
	)
	if err != nil {
		t.Fatalf("browser: %v (at %s)", err, landed)
	}
	if amount != "1175" || order != "WEB-1" || instalments != misspay.Instalments {
		t.Errorf("page shows amount %q, order %q, %d instalments", amount, order, instalments)
	}
	u, err := url.Parse(landed)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/mispay/return" || u.Query().Get("appId") != creds.AppID || u.Query().Get("_") == "" {
		t.Errorf("landed on %s, want the callback URL with _ and appId", landed)
	}

	s.Callbacks().Wait()
	returns := 0
	for _, r := range shop.Wait(t, shop.Count()) {
		if r.Path == "/mispay/return" { // not the browser's /favicon.ico
			returns++
		}
	}
	if returns != 1 {
		t.Errorf("the shop got %d callbacks, want exactly 1 (the browser's)", returns)
	}

	r := s.Do(simtest.Request{Method: "GET", Path: "/misspay/track-checkout/" + trackID,
		Header: http.Header{"Authorization": {"Bearer " + jwt}, "X-App-Id": {creds.AppID}}})
	if !strings.Contains(string(r.Body), `"status":"success"`) {
		t.Errorf("after the click, track = %s", r.Body)
	}
}
