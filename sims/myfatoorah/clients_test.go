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

// In test mode the library computes ExpiryDate from ExpiryMinutes in
// Asia/Kuwait for every country (getVendorTimeZone) and reads ExpiryDate,
// ExpiryTime and TransactionDate back in Asia/Kuwait. The fake used the
// account country's zone: on an ARE (+04:00) account an invoice asked to
// live 30 minutes was refused as "in the past", on EGY it lived 90.
func TestClientTestModeDatesAreKuwaitTime(t *testing.T) {
	s := newServer(t)
	kuwait := time.FixedZone("Asia/Kuwait", 3*3600)
	for _, country := range []string{"ARE", "OMN", "EGY", "SAU"} {
		c, creds := mint(t, s, map[string]any{"country": country})
		var clk struct{ Now time.Time }
		s.Control(http.MethodGet, "/_sim/clock?provider=myfatoorah&merchantId="+creds.MerchantID, nil, http.StatusOK, &clk)
		probe := c.execute(map[string]any{"InvoiceValue": 10, "PaymentMethodId": 2})
		created, err := time.ParseInLocation("2006-01-02T15:04:05.000", c.status(probe.InvoiceID, "InvoiceId").CreatedDate, kuwait)
		if err != nil {
			t.Fatal(err)
		}
		if !created.Equal(clk.Now.Truncate(time.Millisecond)) {
			t.Errorf("%s: CreatedDate read in Kuwait time is %s, the clock says %s", country, created, clk.Now)
		}
		// getExpiryDate(30): now + 30 minutes in Kuwait, 'Y-m-d\TH:i:s'.
		want := clk.Now.Truncate(time.Second).Add(30 * time.Minute).In(kuwait)
		r, e := c.call("ExecutePayment", map[string]any{"InvoiceValue": 10, "PaymentMethodId": 2, "ExpiryDate": want.Format("2006-01-02T15:04:05")})
		if r.Status != http.StatusOK || !e.IsSuccess {
			t.Errorf("%s: ExpiryMinutes 30 = %d %s", country, r.Status, r.Body)
			continue
		}
		var d executed
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		st := c.status(d.InvoiceID, "InvoiceId")
		got, err := time.ParseInLocation("January 2, 2006 15:04:05.000", st.ExpiryDate+" "+st.ExpiryTime, kuwait)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: ExpiryDate %s %s, want %s (%v)", country, st.ExpiryDate, st.ExpiryTime, want, err)
		}
		// It expires 30 minutes later on the merchant's clock, not 90 or 0.
		s.Control(http.MethodPost, "/_sim/clock/advance", map[string]any{"provider": "myfatoorah", "merchantId": creds.MerchantID, "by": "29m"}, http.StatusOK, nil)
		if st := c.status(d.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Pending" {
			t.Errorf("%s: after 29 minutes %s", country, st.InvoiceStatus)
		}
		s.Control(http.MethodPost, "/_sim/clock/advance", map[string]any{"provider": "myfatoorah", "merchantId": creds.MerchantID, "by": "1m"}, http.StatusOK, nil)
		if st := c.status(d.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Expired" {
			t.Errorf("%s: after 30 minutes %s", country, st.InvoiceStatus)
		}
	}
}
