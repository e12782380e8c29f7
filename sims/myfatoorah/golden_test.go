package myfatoorah_test

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

// pageKey hides the crypto/rand part of hosted-page URLs.
var pageKey = regexp.MustCompile(`/pay/[0-9a-f]{32}`)

// TestWireGolden pins the exact bytes of the API's answers and of both
// webhook versions for a seeded run. go test -run WireGolden -update
// rewrites it.
func TestWireGolden(t *testing.T) {
	s := newServer(t)
	rc := simtest.NewReceiver(t, http.StatusOK)
	v2, _ := mint(t, s, map[string]any{"webhookUrl": rc.URL + "/v2", "webhookSecret": "golden"})
	v1, _ := mint(t, s, map[string]any{"webhookUrl": rc.URL + "/v1", "webhookSecret": "golden", "webhookVersion": "V1"})
	var out bytes.Buffer
	clean := func(b []byte) string {
		return pageKey.ReplaceAllString(strings.ReplaceAll(strings.TrimSpace(string(b)), s.URL, "{base}"), "/pay/{key}")
	}
	record := func(c *client, op string, body any) {
		t.Helper()
		r, _ := c.call(op, body)
		fmt.Fprintf(&out, "POST /v2/%s -> %d %s\n%s\n\n", op, r.Status, r.Header.Get("X-Paysandbox-Error"), clean(r.Body))
	}
	record(v2, "InitiatePayment", map[string]any{"InvoiceAmount": 10, "CurrencyIso": "KWD"})
	record(v2, "ExecutePayment", map[string]any{"InvoiceValue": 1.2345, "CustomerMobile": "x"})
	ex := v2.execute(with(func(b map[string]any) {
		b["InvoiceItems"] = items(dims(item("Lamp", 2, 5), 1, 2, 3, 4))
		b["UserDefinedField"] = "udf"
	}))
	res := v2.pay(ex.InvoiceID, card("5123450000000008", "01/39", "100"))
	record(v2, "GetPaymentStatus", map[string]any{"Key": res.PaymentID, "KeyType": "PaymentId"})
	record(v2, "MakeRefund", map[string]any{"Key": ex.InvoiceID, "KeyType": "InvoiceId", "Amount": 2.5, "Comment": "golden"})
	record(v2, "GetRefundStatus", map[string]any{"Key": ex.InvoiceID, "KeyType": "InvoiceId"})
	record(v2, "UpdatePaymentStatus", map[string]any{"Operation": "capture", "Key": ex.InvoiceID, "KeyType": "InvoiceId"})
	ex1 := v1.execute(basic())
	v1.pay(ex1.InvoiceID, map[string]any{})
	got := rc.Wait(t, 2)
	sort.Slice(got, func(i, j int) bool { return got[i].Path < got[j].Path })
	for _, r := range got {
		fmt.Fprintf(&out, "webhook %s MyFatoorah-Webhook-Version=%s MyFatoorah-Signature=%s\n%s\n\n", r.Path,
			r.Header.Get("MyFatoorah-Webhook-Version"), r.Header.Get("MyFatoorah-Signature"), clean(r.Body))
	}

	simtest.Golden(t, filepath.Join("testdata", "wire.golden"), out.Bytes())
}
