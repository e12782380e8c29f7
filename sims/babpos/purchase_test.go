package babpos_test

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/babpos"
)

// TestPurchaseFieldRules: every malformed purchase body gets BAB's
// {"status":"failed","msg":"Bad Request"} with 400, and the terminal never
// starts.
func TestPurchaseFieldRules(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	long := strings.Repeat("9", 11)
	for _, tc := range []struct {
		name string
		body any
	}{
		{"empty body", ""},
		{"not JSON", "amount=100"},
		{"array", `[{"amount":"100","refNumber":"r"}]`},
		{"string", `"100"`},
		{"null", `null`},
		{"trailing data", `{"amount":"100","refNumber":"r"} {}`},
		{"amount missing", `{"refNumber":"r"}`},
		{"amount null", `{"amount":null,"refNumber":"r"}`},
		{"amount a JSON number", `{"amount":12000,"refNumber":"r"}`},
		{"amount with decimals", `{"amount":"120.00","refNumber":"r"}`},
		{"amount negative", `{"amount":"-100","refNumber":"r"}`},
		{"amount with plus", `{"amount":"+100","refNumber":"r"}`},
		{"amount zero", `{"amount":"0","refNumber":"r"}`},
		{"amount zeros", `{"amount":"000","refNumber":"r"}`},
		{"amount empty", `{"amount":"","refNumber":"r"}`},
		{"amount spaces", `{"amount":" 100","refNumber":"r"}`},
		{"amount exponent", `{"amount":"1e3","refNumber":"r"}`},
		{"amount grouped", `{"amount":"12,000","refNumber":"r"}`},
		{"amount too long", `{"amount":"` + long + `","refNumber":"r"}`},
		{"amount boolean", `{"amount":true,"refNumber":"r"}`},
		{"amount object", `{"amount":{"value":"100"},"refNumber":"r"}`},
		{"refNumber missing", `{"amount":"100"}`},
		{"refNumber a number", `{"amount":"100","refNumber":12}`},
		{"refNumber empty", `{"amount":"100","refNumber":""}`},
		{"refNumber blank", `{"amount":"100","refNumber":"   "}`},
		{"refNumber too long", `{"amount":"100","refNumber":"` + strings.Repeat("r", 65) + `"}`},
		{"refNumber control character", `{"amount":"100","refNumber":"a\nb"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.purchase(tc.body)
			if resp.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", resp.Status, resp.Body)
			}
			if got, want := failure(t, resp), (babpos.Failure{Status: "failed", Msg: "Bad Request"}); got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
			if got := resp.Header.Get(babpos.ErrorHeader); got != babpos.CodeBadRequest {
				t.Errorf("%s = %q", babpos.ErrorHeader, got)
			}
			if resp.Header.Get(babpos.DetailHeader) == "" {
				t.Errorf("no %s", babpos.DetailHeader)
			}
		})
	}
	if st := e.state(); st.Screen != babpos.Idle || st.Last != nil {
		t.Errorf("terminal after bad requests: %+v", st)
	}
	// The largest accepted amount and refNumber.
	e.buyRef(strings.Repeat("9", 10), strings.Repeat("r", 64), http.StatusOK)
	// Unknown fields are ignored.
	if resp := e.purchase(`{"amount":"100","refNumber":"extra","currency":"SAR"}`); resp.Status != http.StatusOK {
		t.Errorf("unknown field: %d %s", resp.Status, resp.Body)
	}
}

// shape replaces every JSON value by its type, keeping object keys.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, v := range x {
			out[k] = shape(v)
		}
		return out
	case string:
		return "string"
	case json.Number:
		return "integer"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "array"
}

func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestAnswerHasEveryFieldOfTheExample: the approved answer has exactly the
// example's fields, nesting and JSON types.
func TestAnswerHasEveryFieldOfTheExample(t *testing.T) {
	example, err := os.ReadFile("testdata/seed-example.json")
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	resp := e.buy("1000", http.StatusOK)
	if diff := cmp.Diff(shape(decodeNumbers(t, example)), shape(decodeNumbers(t, resp.Body))); diff != "" {
		t.Errorf("answer shape differs from the documentation's example (-example +fake):\n%s", diff)
	}
	// The default tap is the example's card, verified the same way.
	var ex, got babpos.Answer
	mustJSON(t, example, &ex)
	mustJSON(t, resp.Body, &got)
	for name, pair := range map[string][2]string{
		"pan":                   {ex.Receipt.PAN, got.Receipt.PAN},
		"cardExpiration":        {ex.Receipt.CardExpiration, got.Receipt.CardExpiration},
		"verificationMethodAr":  {ex.Receipt.VerificationMethodAr, got.Receipt.VerificationMethodAr},
		"verificationMethodEn":  {ex.Receipt.VerificationMethodEn, got.Receipt.VerificationMethodEn},
		"applicationIdentifier": {ex.Receipt.ApplicationIdentifier, got.Receipt.ApplicationIdentifier},
		"cardSchemeAr":          {ex.Receipt.CardSchemeAr, got.Receipt.CardSchemeAr},
		"cardSchemeId":          {ex.Receipt.CardSchemeID, got.Receipt.CardSchemeID},
		"thanksMessageAr":       {ex.Receipt.ThanksMessageAr, got.Receipt.ThanksMessageAr},
		"saveReceiptMessageEn":  {ex.Receipt.SaveReceiptMessageEn, got.Receipt.SaveReceiptMessageEn},
		"amountAuthorized":      {ex.Receipt.AmountAuthorized, got.Receipt.AmountAuthorized},
		"terminalId":            {ex.Receipt.TerminalID, got.Receipt.TerminalID},
		"merchantId":            {ex.Receipt.MerchantID, got.Receipt.MerchantID},
		"kernelId":              {ex.Receipt.KernelID, got.Receipt.KernelID},
		"status":                {ex.Status, got.Status},
		"message":               {ex.Message, got.Message},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s = %q, the example has %q", name, pair[1], pair[0])
		}
	}
}

// TestAnswerFormats: dates and times in Riyadh, 6-digit STAN counting up
// per terminal, 12-digit RRN, 6-digit approval code, EMV fields.
func TestAnswerFormats(t *testing.T) {
	s := newServer(t) // virtual time 2026-01-01 09:00 UTC = 12:00 in Riyadh
	e1, e2 := fixtureECRs(s, t)
	a1 := e1.answer(e1.buy("1000", http.StatusOK))
	a2 := e1.answer(e1.buy("2000", http.StatusOK))
	b1 := e2.answer(e2.buy("3000", http.StatusOK))
	r := a1.Receipt
	checks := map[string][2]string{
		"startDate":  {r.StartDate, `^01/01/2026$`},
		"startTime":  {r.StartTime, `^12:00:00$`},
		"endDate":    {r.EndDate, `^01/01/2026$`},
		"endTime":    {r.EndTime, `^12:00:00$`},
		"stan":       {r.Stan, `^000001$`},
		"rrn":        {r.RRN, `^600112[0-9]{6}$`}, // year digit, day of year, hour, sequence
		"approval":   {r.ApprovalCode, `^[0-9]{6}$`},
		"cryptogram": {r.ApplicationCryptogram, `^[0-9A-F]{16}$`},
		"par":        {r.PaymentAccountReference, `^[0-9A-Z]{29}$`},
		"tvr":        {r.TerminalVerificationResult, `^[0-9A-F]{10}$`},
		"switch":     {r.SwitchResponseCode, `^000$`},
	}
	for name, c := range checks {
		if !regexp.MustCompile(c[1]).MatchString(c[0]) {
			t.Errorf("%s = %q, want %s", name, c[0], c[1])
		}
	}
	if a2.Receipt.Stan != "000002" || b1.Receipt.Stan != "000001" {
		t.Errorf("STANs %s, %s on terminal 1 and %s on terminal 2: want 000002 and 000001 (per terminal)", r.Stan, a2.Receipt.Stan, b1.Receipt.Stan)
	}
	if a2.TransactionID <= a1.TransactionID || a2.Receipt.ID <= a1.Receipt.ID {
		t.Errorf("ids do not count up: %d %d", a1.TransactionID, a2.TransactionID)
	}
	if a1.Receipt.RRN == a2.Receipt.RRN {
		t.Errorf("two purchases share RRN %s", a1.Receipt.RRN)
	}
	if a1.Receipt.PaymentAccountReference != a2.Receipt.PaymentAccountReference {
		t.Errorf("one card, two PARs")
	}
	// End time follows the clock while the terminal waits.
	e1.mode(map[string]string{"mode": "auto", "delay": "2s"})
	ch := e1.async("500", "late")
	e1.waitScreen(babpos.AwaitingCard)
	s.Advance(2e9)
	late := e1.answer(<-ch)
	if late.Receipt.StartTime != "12:00:00" || late.Receipt.EndTime != "12:00:02" {
		t.Errorf("start %s end %s, want 12:00:00 and 12:00:02", late.Receipt.StartTime, late.Receipt.EndTime)
	}
}

// TestGoldenAnswer: with --seed 1 the whole answer is reproducible.
func TestGoldenAnswer(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	e.queue(map[string]any{"name": "visa-approve", "entryMode": "CHIP"})
	simtest.Golden(t, "testdata/purchase-visa-chip.golden", e.buyRef("12000", "golden-1", http.StatusOK).Body)
}

// TestIdempotentRefNumber: the same refNumber and amount returns the first
// answer without charging again; another amount is refused.
func TestIdempotentRefNumber(t *testing.T) {
	s := newServer(t)
	e1, e2 := fixtureECRs(s, t)
	e1.queue(map[string]any{"name": "mada-approve", "balance": 10000})
	first := e1.buyRef("6000", "INV-1", http.StatusOK)
	again := e1.buyRef("6000", "INV-1", http.StatusOK)
	if string(first.Body) != string(again.Body) {
		t.Errorf("replay differs:\n%s\n%s", first.Body, again.Body)
	}
	// From the other ECR of the same merchant too.
	if other := e2.buyRef("6000", "INV-1", http.StatusOK); string(other.Body) != string(first.Body) {
		t.Errorf("replay from ECR 2 differs")
	}
	if st := e1.state(); st.Last.TransactionID != e1.answer(first).TransactionID {
		t.Errorf("a replay made a new transaction: %+v", st.Last)
	}
	// Not charged twice: the card still has 4000 for a new purchase.
	e1.queue(map[string]any{"name": "mada-approve"})
	e1.buyRef("4000", "INV-2", http.StatusOK)

	resp := e1.buyRef("6001", "INV-1", http.StatusConflict)
	if f := failure(t, resp); f.Msg != "Duplicate refNumber" || resp.Header.Get(babpos.ErrorHeader) != babpos.CodeDuplicateRef {
		t.Errorf("got %+v %v", f, resp.Header)
	}
	// A declined refNumber replays its decline.
	e1.queue(map[string]any{"name": "mada-do-not-honour"})
	d1 := e1.buyRef("100", "INV-3", http.StatusOK)
	d2 := e1.buyRef("100", "INV-3", http.StatusOK)
	if string(d1.Body) != string(d2.Body) || e1.answer(d1).Status != "DECLINED" {
		t.Errorf("declined replay: %s / %s", d1.Body, d2.Body)
	}
	// Insufficient funds replays its failure.
	e1.queue(map[string]any{"name": "mada-insufficient"})
	e1.buyRef("100", "INV-4", http.StatusPaymentRequired)
	e1.buyRef("100", "INV-4", http.StatusPaymentRequired)
}

func TestUnknownPathsAndMethods(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		method, path string
		status       int
		msg          string
	}{
		{http.MethodGet, "/babpos/api/v1/transactions/purchase", http.StatusMethodNotAllowed, "Method Not Allowed"},
		{http.MethodGet, "/babpos/api/v1/auth/login", http.StatusMethodNotAllowed, "Method Not Allowed"},
		{http.MethodPost, "/babpos/api/v1/transactions/refund", http.StatusNotFound, "Not Found"},
		{http.MethodGet, "/babpos/", http.StatusNotFound, "Not Found"},
		{http.MethodGet, "/babpos/terminal/0000000000000000", http.StatusNotFound, "Not Found"},
	} {
		resp := s.Do(simtest.Request{Method: tc.method, Path: tc.path})
		if resp.Status != tc.status || failure(t, resp).Msg != tc.msg {
			t.Errorf("%s %s = %d %s", tc.method, tc.path, resp.Status, resp.Body)
		}
	}
	big := `{"amount":"100","refNumber":"` + strings.Repeat("x", 2<<20) + `"}`
	resp := s.Do(simtest.Request{Method: http.MethodPost, Path: purchasePath, Body: big})
	if resp.Status != http.StatusRequestEntityTooLarge || failure(t, resp).Status != "failed" {
		t.Errorf("big body = %d %s", resp.Status, resp.Body)
	}
}
