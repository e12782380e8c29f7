package signature_test

import (
	"testing"

	"github.com/paysandbox/paysandbox/sims/myfatoorah/signature"
)

// Vectors computed outside Go (Python's hmac) from the documented strings.
func TestV2Vector(t *testing.T) {
	body := []byte(`{"Event":{"Code":1,"Name":"PAYMENT_STATUS_CHANGED"},"Data":{"Invoice":{"Id":6409988,"Status":"PAID","ExternalIdentifier":"asdqwd-f13sdf-fasjkz"},"Transaction":{"Status":"SUCCESS","PaymentId":"07076409988323998875"}}}`)
	got, err := signature.Body("V2", "secret", body)
	if err != nil || got != "PPtcaNCL6USUEG5Neh1yFjKQKSF9qqo6WjHURzX/m6M=" {
		t.Fatalf("got %q, %v", got, err)
	}
	if !signature.Verify("v2", "secret", body, got) || signature.Verify("V2", "other", body, got) {
		t.Error("Verify")
	}
}

// V1 sorts keys case-insensitively, writes null as "", 1.50 as 1.5 and
// leaves GatewayReference out of refund events.
func TestV1Vector(t *testing.T) {
	body := []byte(`{"EventType":2,"Event":"RefundStatusChanged","Data":{"RefundId":7,"invoiceRefernce":"2026000042","InvoiceId":42,"Comments":null,"CreatedDate":"01012026120000","Amount":1.50,"GatewayReference":{"RRN":"1"}}}`)
	got, err := signature.Body("V1", "k", body)
	if err != nil || got != "21fqxsPjDgz2Dv4lNyQazoFt4AGHrYqAmmrSBcEPJuY=" {
		t.Fatalf("got %q, %v", got, err)
	}
	if v, _ := signature.Version(body); v != "V1" {
		t.Errorf("version %q", v)
	}
}

func TestErrors(t *testing.T) {
	for _, b := range []string{``, `[]`, `{"Data":null}`, `{"EventType":"x","Data":{}}`} {
		if _, err := signature.Body("V1", "k", []byte(b)); err == nil {
			t.Errorf("V1 %q: no error", b)
		}
	}
	if _, err := signature.Body("V2", "k", []byte(`{"Event":{"Code":9},"Data":{}}`)); err == nil {
		t.Error("unknown code")
	}
	if _, err := signature.Body("V3", "k", []byte(`{"EventType":1,"Data":{}}`)); err == nil {
		t.Error("unknown version")
	}
	if _, err := signature.Version([]byte(`{}`)); err == nil {
		t.Error("Version of {}")
	}
	for in, want := range map[string]string{"10.500": "10.5", "12.0": "12", "1e2": "100", "-0.25": "-0.25"} {
		if got, _ := signature.Number(in); got != want {
			t.Errorf("Number(%s) = %s", in, got)
		}
	}
}
