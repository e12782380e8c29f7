package mobilepay_test

import (
	"net/http"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

// authedOps are the operations that need accessToken + bioCode, with
// fields that would otherwise be valid.
var authedOps = []struct {
	method, op string
}{
	{"GET", "api/pos/refund/create"}, {"POST", "api/pos/refund/create"}, {"GET", "api/pos/refund/details"},
	{"GET", "api/pos/refunds"}, {"GET", "api/pos/refund/capture"}, {"GET", "api/pos/refund/cancel"},
	{"GET", "api/pos/terminal/qrcode"}, {"GET", "api/pos/payment/start"}, {"POST", "api/pos/payment/start"},
	{"GET", "api/pos/payment/start/byPosId"}, {"POST", "api/pos/payment/start/byPosId"},
	{"GET", "api/pos/payment/prepare"}, {"POST", "api/pos/payment/prepare"},
	{"GET", "api/pos/payment/ready"}, {"POST", "api/pos/payment/ready"},
	{"GET", "api/pos/payment/details"}, {"GET", "api/pos/payments"}, {"GET", "api/pos/payment/status"},
	{"GET", "api/pos/payment/capture"}, {"GET", "api/pos/payment/cancel"},
	{"GET", "api/pos/payment/id/retrieve/bystate"}, {"GET", "api/pos/payment/id/retrieve/byterminal"},
	{"GET", "api/pos/payment/id/retrieve/byposId"},
	{"GET", "api/pos/manage/create"}, {"POST", "api/pos/manage/create"},
	{"GET", "api/pos/manage/delete"}, {"DELETE", "api/pos/manage/delete"},
	{"GET", "api/pos/manage/terminal/information"}, {"GET", "api/pos/manage/stores"},
	{"GET", "api/pos/manage/store"}, {"GET", "api/pos/manage/checkInStatus/byposId"},
	{"GET", "api/pos/manage/checkInStatus/byterminalId"},
}

func TestAuthFailures(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	other := minted(s, t, nil)
	f := fields{"terminalId": "T1001", "orderId": "o", "amount": "1", "paymentId": "p", "refundId": "r",
		"posId": c.pos["T1001"], "storeId": c.store[0], "refundOrderId": "r", "state": "Captured"}
	cases := []struct {
		name        string
		token, bio  any
		omitToken   bool
		omitBioCode bool
	}{
		{name: "no credentials", omitToken: true, omitBioCode: true},
		{name: "no accessToken", omitToken: true, bio: c.bio},
		{name: "no bioCode", token: c.token, omitBioCode: true},
		{name: "wrong accessToken", token: "wrong", bio: c.bio},
		{name: "unknown bioCode", token: c.token, bio: "BIO9999"},
		{name: "other merchant's token", token: other.token, bio: c.bio},
		{name: "empty values", token: "", bio: ""},
	}
	if len(authedOps) != 32 {
		t.Fatalf("authedOps = %d, want 32 (35 minus the three token calls)", len(authedOps))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := c.For(t)
			for _, op := range authedOps {
				all := fields{}
				for k, v := range f {
					all[k] = v
				}
				if !tc.omitToken {
					all["accessToken"] = tc.token
				}
				if !tc.omitBioCode {
					all["bioCode"] = tc.bio
				}
				r := c.do(op.method, op.op, all, false, nil)
				fails(t, r, http.StatusUnauthorized, mobilepay.CodeUnauthorized)
				if msg := r.Body["errors"].([]any)[0]; msg != "Authorization has been denied for this request." {
					t.Fatalf("%s %s: message %q", op.method, op.op, msg)
				}
			}
		})
	}
}

func TestAccessTokenLifecycle(t *testing.T) {
	for _, form := range forms {
		t.Run(form, func(t *testing.T) {
			s := newServer(t)
			fx := fixture(s, t).with(form)
			// The fixture merchant already has a token.
			fails(t, fx.do(methodOf(form), "api/pos/manage/token", fields{"bioCode": fx.bio}, false, nil), http.StatusConflict, mobilepay.CodeTokenExists)
			fails(t, fx.do(methodOf(form), "api/pos/manage/token", fields{"bioCode": "BIO404"}, false, nil), http.StatusNotFound, mobilepay.CodeMerchantNotFound)
			fails(t, fx.do(methodOf(form), "api/pos/manage/token", fields{}, false, nil), http.StatusBadRequest, mobilepay.CodeMissingField)

			m := minted(s, t, map[string]bool{"withoutAccessToken": true}).with(form)
			if m.token != "" {
				t.Fatalf("minted without token has %q", m.token)
			}
			fails(t, m.call("api/pos/manage/stores", fields{"accessToken": "anything"}), http.StatusUnauthorized, mobilepay.CodeUnauthorized)
			tok := ok(t, m.do(methodOf(form), "api/pos/manage/token", fields{"bioCode": m.bio}, false, nil)).str("message")
			if tok == "" {
				t.Fatal("no token in message")
			}
			fails(t, m.do(methodOf(form), "api/pos/manage/token", fields{"bioCode": m.bio}, false, nil), http.StatusConflict, mobilepay.CodeTokenExists)
			m.token = tok
			ok(t, m.call("api/pos/manage/stores", nil))

			// Reset needs the previous token and invalidates it.
			fails(t, m.do("GET", "api/pos/manage/token/reset", fields{"bioCode": m.bio, "previousAccessToken": "wrong"}, false, nil), http.StatusUnauthorized, mobilepay.CodeUnauthorized)
			fails(t, m.do("GET", "api/pos/manage/token/reset", fields{"bioCode": m.bio}, false, nil), http.StatusBadRequest, mobilepay.CodeMissingField)
			fails(t, m.do("GET", "api/pos/manage/token/reset", fields{"bioCode": fx.bio, "previousAccessToken": tok}, false, nil), http.StatusUnauthorized, mobilepay.CodeUnauthorized)
			newTok := ok(t, m.do("GET", "api/pos/manage/token/reset", fields{"bioCode": m.bio, "previousAccessToken": tok}, false, nil)).str("message")
			if newTok == "" || newTok == tok {
				t.Fatalf("reset token = %q (old %q)", newTok, tok)
			}
			fails(t, m.call("api/pos/manage/stores", nil), http.StatusUnauthorized, mobilepay.CodeUnauthorized)
			m.token = newTok
			ok(t, m.call("api/pos/manage/stores", nil))
			fails(t, m.do("GET", "api/pos/manage/token/reset", fields{"bioCode": m.bio, "previousAccessToken": tok}, false, nil), http.StatusUnauthorized, mobilepay.CodeUnauthorized)
		})
	}
}

func methodOf(form string) string {
	if form == formPOST {
		return http.MethodPost
	}
	return http.MethodGet
}

// TestTenantIsolation: two merchants share nothing: ids of one are "not
// found" for the other, and one's active payment does not block the other.
func TestTenantIsolation(t *testing.T) {
	s := newServer(t)
	a := fixture(s, t)
	b := minted(s, t, nil)
	idA := a.start("T1001", "same-order", "10")
	idB := b.start(b.term("T1001"), "same-order", "10")
	if idA == idB {
		t.Fatal("same payment id")
	}
	for _, op := range []string{"api/pos/payment/status", "api/pos/payment/details", "api/pos/payment/capture", "api/pos/payment/cancel", "api/pos/refunds"} {
		fails(t, b.call(op, fields{"paymentId": idA}), http.StatusNotFound, mobilepay.CodePaymentNotFound)
	}
	fails(t, b.twin("api/pos/payment/start", fields{"orderId": "x", "amount": "1", "terminalId": "T1002"}), http.StatusNotFound, mobilepay.CodeTerminalNotFound)
	fails(t, b.call("api/pos/payment/start/byPosId", fields{"orderId": "x", "amount": "1", "posId": a.pos["T1002"]}), http.StatusNotFound, mobilepay.CodePosNotFound)
	fails(t, b.call("api/pos/manage/store", fields{"storeId": a.store[0]}), http.StatusNotFound, mobilepay.CodeStoreNotFound)
	fails(t, b.call("api/pos/manage/checkInStatus/byposId", fields{"posId": a.pos["T1001"]}), http.StatusNotFound, mobilepay.CodePosNotFound)
	fails(t, b.call("api/pos/manage/terminal/information", fields{"terminalId": "T1001"}), http.StatusNotFound, mobilepay.CodeTerminalNotFound)

	listA := ok(t, a.call("api/pos/payments", nil)).Body["paymentsIds"].([]any)
	listB := ok(t, b.call("api/pos/payments", nil)).Body["paymentsIds"].([]any)
	if len(listA) != 1 || listA[0] != idA || len(listB) != 1 || listB[0] != idB {
		t.Fatalf("lists: A %v, B %v", listA, listB)
	}
	fails(t, b.call("api/pos/payment/id/retrieve/byposId", fields{"orderId": "same-order", "posId": a.pos["T1001"]}), http.StatusNotFound, mobilepay.CodePaymentNotFound)

	// A's customer checks in at A's PoS only.
	a.checkIn("T1001", "A's customer", 30)
	a.wantStatus(idA, mobilepay.IssuedToUser)
	b.wantStatus(idB, mobilepay.Initiated)
	ci := ok(t, b.call("api/pos/manage/checkInStatus/byterminalId", fields{"terminalId": b.term("T1001")}))
	if ci.Body["isUserCheckedIn"] != false || ci.Body["customerName"] != nil {
		t.Fatalf("B sees a check-in: %s", ci.Raw)
	}
	// Stores differ.
	storesA := ok(t, a.call("api/pos/manage/stores", nil)).Body["storesIds"].([]any)
	storesB := ok(t, b.call("api/pos/manage/stores", nil)).Body["storesIds"].([]any)
	if storesA[0] == storesB[0] {
		t.Fatal("merchants share a store id")
	}
}

// TestEveryOperationRouted: each documented operation reaches its handler
// (the coverage report counts it), so the route table and the OpenAPI
// document agree.
func TestEveryOperationRouted(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	f := fields{"terminalId": "T1003", "orderId": "o", "amount": "1", "paymentId": "p", "refundId": "r",
		"posId": c.pos["T1001"], "storeId": c.store[0], "refundOrderId": "r", "state": "Captured"}
	for _, op := range authedOps {
		if r := c.do(op.method, op.op, f, true, nil); r.Status >= 500 || r.Body["success"] == nil {
			t.Fatalf("%s %s: %d %s", op.method, op.op, r.Status, r.Raw)
		}
	}
	c.do("GET", "api/pos/manage/token", fields{"bioCode": c.bio}, false, nil)
	c.do("POST", "api/pos/manage/token", fields{"bioCode": c.bio}, false, nil)
	c.do("GET", "api/pos/manage/token/reset", fields{"bioCode": c.bio, "previousAccessToken": "x"}, false, nil)
	c.do("GET", "qr/"+c.pos["T1001"]+".png", nil, false, nil)
	s.Do(simtestRequest(http.MethodGet, "/mobilepay/phone/"+c.pos["T1001"]))
	s.Do(simtestRequest(http.MethodPost, "/mobilepay/phone/"+c.pos["T1001"]+"/leave"))

	var cov struct {
		Providers map[string]sim.ProviderCoverage `json:"providers"`
	}
	s.Control(http.MethodGet, "/_sim/coverage?provider=mobilepay", nil, http.StatusOK, &cov)
	ops := cov.Providers["mobilepay"].Operations
	if ops.Total != 38 || ops.Covered != ops.Total {
		for _, it := range ops.Items {
			if it.Hits == 0 {
				t.Errorf("not served: %s", it.Name)
			}
		}
		t.Fatalf("operations covered %d of %d, want 38 of 38", ops.Covered, ops.Total)
	}
}
