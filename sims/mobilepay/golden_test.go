package mobilepay_test

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

// TestWireGolden pins the exact bytes of every view model, in JSON and in
// XML, for a seeded run. go test -run WireGolden -update rewrites it.
func TestWireGolden(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	var out bytes.Buffer
	record := func(method, op string, f fields, auth bool) result {
		t.Helper()
		var r result
		for _, accept := range []string{"application/json", "application/xml"} {
			r2 := c.do(method, op, f, auth, http.Header{"Accept": {accept}})
			fmt.Fprintf(&out, "%s %s (%s) -> %d %s\n%s\n\n", method, op, accept, r2.Status, r2.errCode(),
				strings.ReplaceAll(strings.TrimSpace(string(r2.Raw)), s.URL, "{base}"))
			if accept == "application/json" {
				r = r2
			}
		}
		return r
	}
	// Starting twice answers a 409, so only the JSON start creates a payment.
	id := record("GET", "api/pos/payment/start", fields{"orderId": "g-1", "amount": "27.00", "terminalId": "T1001"}, true).str("paymentId")
	c.checkIn("T1001", "Golden Customer", 33)
	record("GET", "api/pos/payment/status", fields{"paymentId": id}, true)
	c.act(id, "accept", http.StatusOK)
	record("GET", "api/pos/payment/details", fields{"paymentId": id}, true)
	record("GET", "api/pos/payments", nil, true)
	record("GET", "api/pos/payment/capture", fields{"paymentId": id, "amount": "20.00"}, true)
	rid := record("GET", "api/pos/refund/create", fields{"paymentId": id, "amount": "5.00", "refundOrderId": "g-r1"}, true).str("refundId")
	record("GET", "api/pos/refund/details", fields{"refundId": rid}, true)
	record("GET", "api/pos/refunds", fields{"paymentId": id}, true)
	prep := record("GET", "api/pos/payment/prepare", fields{"orderId": "g-2", "terminalId": "T1002"}, true).str("paymentId")
	record("GET", "api/pos/payment/ready", fields{"orderId": "g-2", "amount": "1.00", "terminalId": "T1002", "paymentId": prep}, true)
	record("GET", "api/pos/terminal/qrcode", fields{"terminalId": "T1001"}, true)
	record("GET", "api/pos/manage/terminal/information", fields{"terminalId": "T1001"}, true)
	record("GET", "api/pos/manage/stores", nil, true)
	record("GET", "api/pos/manage/store", fields{"storeId": c.store[1]}, true)
	record("GET", "api/pos/manage/checkInStatus/byposId", fields{"posId": c.pos["T1001"]}, true)
	record("GET", "api/pos/manage/create", fields{"terminalId": "T1003"}, true)
	record("GET", "api/pos/manage/token", fields{"bioCode": c.bio}, false)
	record("GET", "api/pos/payment/status", fields{"paymentId": id}, false)
	record("GET", "api/pos/nope", nil, true)
	// Cancel in a finished state answers success with that state; GUIDs
	// bind in any case and in braces.
	record("GET", "api/pos/payment/cancel", fields{"paymentId": prep}, true)
	record("GET", "api/pos/payment/cancel", fields{"paymentId": "{" + strings.ToUpper(prep) + "}"}, true)
	record("GET", "api/pos/payments", fields{"paymentState": "Captured"}, true)

	simtest.Golden(t, filepath.Join("testdata", "wire.golden"), out.Bytes())
}
