package myfatoorah_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sims/myfatoorah"
)

// Regressions found by running the official PHP library
// (rasha-saeed/myfatoorah-php-library, unmodified) against the simulator.
// The tests send what the library sent and check what it reads.

// MyFatoorahPayment::getCachedVendorGateways (used by getCachedCheckoutGateways)
// calls initiatePayment(0, ”, true): InvoiceAmount 0, CurrencyIso "". The
// library's own testInitiatePayment does the same and expects gateways. The
// fake used to refuse the 0 amount, so the cached checkout failed.
func TestClientInitiatePaymentWithoutAmount(t *testing.T) {
	s := newServer(t)
	r := phpCall(t, s, myfatoorah.FixtureAPIKey, "InitiatePayment", `{"InvoiceAmount":0,"CurrencyIso":""}`)
	if r.Status != http.StatusOK || libraryError(r.Body) != "" {
		t.Fatalf("InitiatePayment(0, '') = %d %s", r.Status, r.Body)
	}
	var e struct {
		Data struct {
			PaymentMethods []map[string]any
		}
	}
	if err := json.Unmarshal(r.Body, &e); err != nil || len(e.Data.PaymentMethods) == 0 {
		t.Fatalf("no gateways: %v %s", err, r.Body)
	}
	// addGatewayToCheckout reads these on every gateway.
	for _, pm := range e.Data.PaymentMethods {
		for _, f := range []string{"PaymentMethodId", "PaymentMethodCode", "IsEmbeddedSupported", "IsDirectPayment", "CurrencyIso", "PaymentCurrencyIso", "TotalAmount"} {
			if _, ok := pm[f]; !ok {
				t.Errorf("gateway without %s: %v", f, pm)
			}
		}
		if pm["CurrencyIso"] != "KWD" {
			t.Errorf("CurrencyIso \"\" should mean the account currency: %v", pm)
		}
	}
	// A negative amount is still refused.
	r = phpCall(t, s, myfatoorah.FixtureAPIKey, "InitiatePayment", `{"InvoiceAmount":-1,"CurrencyIso":"KWD"}`)
	if r.Status != http.StatusBadRequest || libraryError(r.Body) == "" {
		t.Errorf("InvoiceAmount -1 = %d %s", r.Status, r.Body)
	}
}

// MyFatoorahPaymentStatus::getErrorData reports "Expired" only when
// ExpiryDate + ExpiryTime (read in Asia/Kuwait) are in the past; it never
// looks at InvoiceStatus "Expired". An invoice expired early through the
// control action kept its original (future) ExpiryDate, so the library
// told the shop the payment was still Pending.
func TestClientExpiredInvoiceShowsPastExpiry(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	inv := c.execute(basic())
	before := c.status(inv.InvoiceID, "InvoiceId")
	s.Control(http.MethodPost, "/_sim/myfatoorah/invoices/"+itoa(inv.InvoiceID)+"/expire", nil, http.StatusOK, nil)
	st := c.status(inv.InvoiceID, "InvoiceId")
	if st.InvoiceStatus != "Expired" {
		t.Fatalf("InvoiceStatus = %q", st.InvoiceStatus)
	}
	kuwait := time.FixedZone("Asia/Kuwait", 3*3600)
	expiry, err := time.ParseInLocation("January 2, 2006 15:04:05.000", st.ExpiryDate+" "+st.ExpiryTime, kuwait)
	if err != nil {
		t.Fatalf("ExpiryDate %q ExpiryTime %q: %v", st.ExpiryDate, st.ExpiryTime, err)
	}
	created, err := time.ParseInLocation("2006-01-02T15:04:05.000", st.CreatedDate, kuwait)
	if err != nil {
		t.Fatal(err)
	}
	// The clock did not move: the invoice expired at its creation instant,
	// earlier than the 72 h default it showed before.
	if !expiry.Equal(created) || before.ExpiryDate == st.ExpiryDate {
		t.Errorf("expired invoice shows expiry %s (created %s, before %s %s)", expiry, created, before.ExpiryDate, before.ExpiryTime)
	}
	// Expiry on the clock keeps the scheduled ExpiryDate.
	inv2 := c.execute(basic())
	want := c.status(inv2.InvoiceID, "InvoiceId")
	s.Control(http.MethodPost, "/_sim/clock/advance", map[string]any{"provider": "myfatoorah", "merchantId": "mf-fixture", "by": "73h"}, http.StatusOK, nil)
	got := c.status(inv2.InvoiceID, "InvoiceId")
	if got.InvoiceStatus != "Expired" || got.ExpiryDate != want.ExpiryDate || got.ExpiryTime != want.ExpiryTime {
		t.Errorf("expired on the clock: %+v, scheduled %s %s", got, want.ExpiryDate, want.ExpiryTime)
	}
}
