package mpower_test

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mpower"
)

// The wire bytes of a flow through both URL styles, against
// testdata/wire.golden (go test -run TestGoldenWire -update). Tokens, keys
// and session ids are random on every start and masked; everything else
// is the same for seed 1.
func TestGoldenWire(t *testing.T) {
	s := newServer(t)
	var out bytes.Buffer
	mask := regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+|"session_state":"[^"]+"`)
	record := func(title string, r simtest.Response) {
		fmt.Fprintf(&out, "### %s\n%d\n", title, r.Status)
		var names []string
		for k := range r.Header {
			if k != "Date" && k != "Content-Length" {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(&out, "%s: %s\n", k, r.Header.Get(k))
		}
		fmt.Fprintf(&out, "\n%s\n", mask.ReplaceAllString(string(r.Body), "<masked>"))
	}
	rc := newReceiver(t)
	c := fixture(s, t, ssms)
	record("SSMS login", c.loginWith(c.loginForm()))
	c.login()
	bad := c.loginForm()
	bad.Set("password", "x")
	record("SSMS login, wrong password", c.loginWith(bad))

	body := c.createBody("approves", rc.URL+"/cb")
	body["idempotencyId"] = "golden-1"
	r := c.post("", body)
	record("SSMS create", r)
	id := c.create(body)
	record("SSMS status", c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": id}))
	bad2 := c.createBody("approves", rc.URL+"/cb")
	bad2["amount"] = 12.5
	record("SSMS create, fractional amount", c.post("", bad2))
	record("SSMS status, unknown transaction", c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": "nope"}))
	c.advance(2e9)
	sh := fixture(s, t, shift)
	sh.token = c.token
	record("SHIFT refund", sh.post("refund", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id, "amount": 300, "currency": "TRY"}))
	record("SHIFT cancel (void of a REFUND payment)", sh.post("cancel", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id}))
	id2 := sh.create(sh.createBody("manual", rc.URL+"/cb2"))
	record("SHIFT cancel", sh.post("cancel", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id2, "cancellationMessage": "out of stock"}))
	sh.token = "not-a-jwt"
	record("SHIFT create, bad token", sh.post("", body))
	sh.token = ""
	record("SHIFT create, no token", sh.post("", body))
	sh.c.TenantID = "nowhere"
	record("SHIFT token, unknown realm", sh.loginWith(sh.loginForm()))

	// The callbacks, in a stable order.
	var cbs []string
	for _, got := range rc.Wait(t, 4) {
		cbs = append(cbs, got.Path+" "+string(got.Body))
	}
	sort.Strings(cbs)
	for _, cb := range cbs {
		fmt.Fprintf(&out, "### callback\n%s\n", cb)
	}
	_ = mpower.Name
	simtest.Golden(t, "testdata/wire.golden", out.Bytes())
}
