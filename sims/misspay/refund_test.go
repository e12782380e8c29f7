package misspay_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

type refundHistory struct {
	TransactionID    string  `json:"transactionId"`
	Amount           float64 `json:"amount"`
	MerchantRefundID string  `json:"merchantRefundId,omitempty"`
	CreatedAt        string  `json:"createdAt"`
}

type refundResult struct {
	TransactionID          string          `json:"transactionId"`
	UserID                 string          `json:"userId"`
	MerchantID             string          `json:"merchantId"`
	OrderID                string          `json:"orderId"`
	NewPurchaseAmount      float64         `json:"newPurchaseAmount"`
	MoneyRefundToUser      float64         `json:"moneyRefundToUser"`
	MoneyRefundAmount      float64         `json:"moneyRefundAmount"`
	IncreaseUserBalance    float64         `json:"increaseUserBalance"`
	RefundPaymentHistories []refundHistory `json:"refundPaymentHistories"`
}

// refund posts body and wants 201.
func (c *client) refund(tb testing.TB, body any) (refundResult, simtest.Response) {
	tb.Helper()
	resp := c.do(http.MethodPost, "/refund", body)
	if resp.Status != http.StatusCreated {
		tb.Fatalf("POST /refund = %d, want 201\n%s\n%s", resp.Status, resp.Header.Get("X-Paysandbox-Detail"), resp.Body)
	}
	var out struct {
		Status string       `json:"status"`
		Result refundResult `json:"result"`
	}
	decode(tb, resp, &out)
	if out.Status != "success" {
		tb.Fatalf("refund status = %q", out.Status)
	}
	return out.Result, resp
}

// refunded reads what the control plane says was refunded.
func refunded(tb testing.TB, s *simtest.Server, trackID string) float64 {
	tb.Helper()
	var v struct {
		Refunded float64 `json:"refunded"`
	}
	s.With(tb).Control(http.MethodGet, "/_sim/misspay/checkouts/"+trackID, nil, http.StatusOK, &v)
	return v.Refunded
}

func TestRefund(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var creds struct {
		MerchantID string `json:"merchantId"`
	}
	s.Control(http.MethodGet, "/_sim/misspay/credentials", nil, http.StatusOK, &creds)
	c := login(t, s, fixture)
	trackID, checkoutID := c.approved(t)
	now := clockNow(t, s).UTC().Format("2006-01-02T15:04:05.000Z")

	// A full sample body, with every optional field.
	body := refundBody(t, checkoutID, "1233-ABCD", "200", "10")
	body["merchantRefundId"] = "REF-1"
	first, _ := c.refund(t, body)
	for name, id := range map[string]string{"transactionId": first.TransactionID, "userId": first.UserID} {
		if !objectIDRe.MatchString(id) {
			t.Errorf("%s = %q, want a 24-hex id", name, id)
		}
	}
	want := refundResult{
		TransactionID: first.TransactionID, UserID: first.UserID, MerchantID: creds.MerchantID, OrderID: "1233-ABCD",
		NewPurchaseAmount: 190, MoneyRefundToUser: 10, MoneyRefundAmount: 0, IncreaseUserBalance: 10,
		RefundPaymentHistories: []refundHistory{},
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("first refund (-want +got):\n%s", diff)
	}

	// A second, partial refund (minimal body) lists the first in its history.
	second, _ := c.refund(t, map[string]string{"purchaseId": checkoutID, "totalAmount": "200", "amount": "50.5", "currency": "SAR", "orderId": "1233-ABCD"})
	want = refundResult{
		TransactionID: second.TransactionID, UserID: first.UserID, MerchantID: creds.MerchantID, OrderID: "1233-ABCD",
		NewPurchaseAmount: 139.5, MoneyRefundToUser: 50.5, MoneyRefundAmount: 0, IncreaseUserBalance: 50.5,
		RefundPaymentHistories: []refundHistory{{TransactionID: first.TransactionID, Amount: 10, MerchantRefundID: "REF-1", CreatedAt: now}},
	}
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("second refund (-want +got):\n%s", diff)
	}
	if second.TransactionID == first.TransactionID {
		t.Error("two refunds share a transactionId")
	}

	// More than what remains (139.5) is refused and changes nothing.
	detail := wantServiceError(t, c.do(http.MethodPost, "/refund", refundBody(t, checkoutID, "1233-ABCD", "200", "139.51")), "ME97")
	if !strings.Contains(detail, "139.5") {
		t.Errorf("detail = %q, want it to say what remains", detail)
	}
	require.Equal(t, 60.5, refunded(t, s, trackID))

	// Exactly what remains empties the purchase.
	third, _ := c.refund(t, refundBody(t, checkoutID, "1233-ABCD", "200", "139.5"))
	if third.NewPurchaseAmount != 0 || len(third.RefundPaymentHistories) != 2 {
		t.Errorf("third refund: newPurchaseAmount %v, %d earlier refunds; want 0 and 2", third.NewPurchaseAmount, len(third.RefundPaymentHistories))
	}
	wantServiceError(t, c.do(http.MethodPost, "/refund", refundBody(t, checkoutID, "1233-ABCD", "200", "0.01")), "ME97")
	require.Equal(t, 200.0, refunded(t, s, trackID))

	// GET /checkout keeps the original amount.
	get := c.do(http.MethodGet, "/checkout/"+checkoutID, nil)
	if got := get.JSON(t)["result"].(map[string]any)["purchaseAmount"]; got != 200.0 {
		t.Errorf("checkout purchaseAmount after refunds = %v, want 200", got)
	}
}

func TestRefundReplay(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	trackID, checkoutID := c.approved(t)

	body := refundBody(t, checkoutID, "1233-ABCD", "200", "25")
	body["merchantRefundId"] = "REF-87654321"
	_, first := c.refund(t, body)
	_, again := c.refund(t, body)
	if diff := cmp.Diff(string(first.Body), string(again.Body)); diff != "" {
		t.Errorf("replayed refund differs (-first +replay):\n%s", diff)
	}
	if got := refunded(t, s, trackID); got != 25 {
		t.Errorf("refunded after replay = %v, want 25 (refunded once)", got)
	}

	// Another merchantRefundId is another refund.
	body["merchantRefundId"] = "REF-2"
	next, _ := c.refund(t, body)
	if next.NewPurchaseAmount != 150 {
		t.Errorf("newPurchaseAmount = %v, want 150", next.NewPurchaseAmount)
	}
	// The first id with another amount is refused.
	body["merchantRefundId"], body["amount"] = "REF-87654321", "30"
	detail := wantServiceError(t, c.do(http.MethodPost, "/refund", body), "ME97")
	if !strings.Contains(detail, "REF-87654321") {
		t.Errorf("detail = %q", detail)
	}
	if got := refunded(t, s, trackID); got != 50 {
		t.Errorf("refunded = %v, want 50", got)
	}
}

func TestRefundInvalid(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	trackID, checkoutID := c.approved(t)
	canceled := c.startV12(t).TrackID
	act(t, s, canceled, "cancel")

	body := func(t *testing.T) map[string]any { return refundBody(t, checkoutID, "1233-ABCD", "200", "10") }
	with := func(path string, v any) func(t *testing.T) any {
		return func(t *testing.T) any { return set(t, body(t), path, v) }
	}
	without := func(path string) func(t *testing.T) any {
		return func(t *testing.T) any { return del(t, body(t), path) }
	}
	tests := []struct {
		name   string
		body   func(t *testing.T) any
		code   string
		detail string
	}{
		{"unknown purchase", with("purchaseId", "0123456789abcdef01234567"), "ME05", "no purchase"},
		{"track id as purchase", with("purchaseId", trackID), "ME05", "no purchase"},
		{"canceled checkout", with("purchaseId", canceled), "ME05", "no purchase"},
		{"missing purchaseId", without("purchaseId"), "ME97", "purchaseId is mandatory"},
		{"missing totalAmount", without("totalAmount"), "ME97", "totalAmount is mandatory"},
		{"missing amount", without("amount"), "ME97", "amount is mandatory"},
		{"missing currency", without("currency"), "ME97", "currency is mandatory"},
		{"missing orderId", without("orderId"), "ME97", "orderId is mandatory"},
		{"amount zero", with("amount", "0"), "ME97", "amount must be greater than 0"},
		{"amount negative", with("amount", "-1"), "ME97", "amount must be a string holding"},
		{"amount number", with("amount", 10), "ME97", "amount must be a string"},
		{"amount words", with("amount", "ten"), "ME97", "amount must be a string holding"},
		{"amount three decimals", with("amount", "1.001"), "ME97", "amount must be a string holding"},
		{"amount above purchase", with("amount", "200.01"), "ME97", "more than"},
		{"wrong orderId", with("orderId", "767676"), "ME97", "orderId"},
		{"wrong currency", with("currency", "USD"), "ME97", "currency"},
		{"wrong totalAmount", with("totalAmount", "250"), "ME97", "totalAmount"},
		{"userDetails not object", with("userDetails", "agent"), "ME97", "userDetails must be an object"},
		{"userDetails name number", with("userDetails.name", 1), "ME97", "userDetails.name must be a string"},
		{"comments number", with("comments", 1), "ME97", "comments must be a string"},
		{"malformed", func(*testing.T) any { return `{"purchaseId":` }, "ME97", "request body"},
		{"empty body", func(*testing.T) any { return "" }, "ME97", "request body"},
		{"array", func(*testing.T) any { return `[]` }, "ME97", "request body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			detail := wantServiceError(t, c.For(t).do(http.MethodPost, "/refund", tt.body(t)), tt.code)
			if !strings.Contains(detail, tt.detail) {
				t.Errorf("detail = %q, want it to mention %q", detail, tt.detail)
			}
		})
	}
	if got := refunded(t, s, trackID); got != 0 {
		t.Errorf("refunded after refused refunds = %v, want 0", got)
	}

	// After update-order-id the refund needs the new order id.
	resp := c.do(http.MethodPut, "/update-order-id/"+checkoutID, map[string]string{"orderId": "renamed"})
	require.Equal(t, http.StatusOK, resp.Status)
	wantServiceError(t, c.do(http.MethodPost, "/refund", body(t)), "ME97")
	got, _ := c.refund(t, refundBody(t, checkoutID, "renamed", "200", "10"))
	if diff := cmp.Diff(refundResult{OrderID: "renamed", NewPurchaseAmount: 190}, got,
		cmpopts.IgnoreFields(refundResult{}, "TransactionID", "UserID", "MerchantID", "MoneyRefundToUser", "IncreaseUserBalance", "RefundPaymentHistories")); diff != "" {
		t.Errorf("refund after rename (-want +got):\n%s", diff)
	}
}
