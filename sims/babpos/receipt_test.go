package babpos_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/babpos"
)

// TestReceipt: the printed receipt in text, HTML and JSON, both copies,
// Arabic and English, in the mada order.
func TestReceipt(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	a := e.answer(e.buy("12345", http.StatusOK))
	path := "/_sim/babpos/receipts/" + strconv.FormatInt(a.Receipt.ID, 10)
	text := string(s.Control(http.MethodGet, path, nil, http.StatusOK, nil).Body)
	if text != string(s.Control(http.MethodGet, path+"?format=text", nil, http.StatusOK, nil).Body) {
		t.Error("text is not the default format")
	}
	order := []string{"تاجر باب", "Bab Merchant", "الرياض", "DATE 01/01/2026", "TIME 12:00:00", "INMA", "MID 100000000000001",
		"TID 0210046200100462", "STAN 000001", "RRN", a.Receipt.RRN, "مدى", "MADA", "شراء PURCHASE", "5069 68** **** 9140", "29/02",
		"مبلغ الشراء", "PURCHASE AMOUNT", "ريال", "SAR 123.45", "مقبولة APPROVED", "DEVICE OWNER IDENTITY VERIFIED",
		"رمز الموافقة / Approval Code", a.Receipt.ApprovalCode, "01/01/2026", "12:00:00",
		"شكرا لاستخدامكم مدى", "THANK YOU FOR USING MADA", "PLEASE RETAIN RECEIPT",
		"نسخة التاجر", "** RETAILER COPY **", "CONTACTLESS 000", "AID A0000002281010", "TVR 0080008000", "CVR 640300", "CID 80",
		"AC " + a.Receipt.ApplicationCryptogram, "KERNEL-ID", a.Receipt.PaymentAccountReference, "PAN 9140", "TSI 0000",
		"نسخة العميل", "** CUSTOMER COPY **"}
	at := 0
	for _, want := range order {
		i := strings.Index(text[at:], want)
		if i < 0 {
			t.Fatalf("receipt lacks %q after position %d:\n%s", want, at, text)
		}
		at += i
	}
	html := s.Control(http.MethodGet, path+"?format=html", nil, http.StatusOK, nil)
	if ct := html.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}
	for _, want := range []string{`data-copy="customer"`, `data-copy="retailer"`, "مقبولة APPROVED", "SAR 123.45", "5069 68** **** 9140"} {
		if !strings.Contains(string(html.Body), want) {
			t.Errorf("html lacks %q", want)
		}
	}
	var j struct {
		Printed bool
		Answer  babpos.Answer
	}
	s.Control(http.MethodGet, path+"?format=json", nil, http.StatusOK, &j)
	if !j.Printed || j.Answer.TransactionID != a.TransactionID {
		t.Errorf("json: %+v", j)
	}
	s.Control(http.MethodGet, path+"?format=pdf", nil, http.StatusBadRequest, nil)

	// A declined receipt says why.
	e.queue(map[string]string{"name": "mada-expired", "entryMode": "CHIP"})
	d := e.answer(e.buy("100", http.StatusOK))
	text = string(s.Control(http.MethodGet, "/_sim/babpos/receipts/"+strconv.FormatInt(d.Receipt.ID, 10), nil, http.StatusOK, nil).Body)
	for _, want := range []string{"مرفوضة DECLINED", "Expired Card (101)", "CHIP 101", "TSI E800"} {
		if !strings.Contains(text, want) {
			t.Errorf("declined receipt lacks %q:\n%s", want, text)
		}
	}
}

// TestTerminalPageOverHTTP: the page, its state and its actions, in BAB's
// envelope when they fail.
func TestTerminalPageOverHTTP(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	base := "/babpos/terminal/" + e.tid
	page := s.Do(simtest.Request{Method: http.MethodGet, Path: base})
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), "mada-wallet") || !strings.Contains(string(page.Body), e.tid) {
		t.Fatalf("page = %d", page.Status)
	}
	resp := s.Do(simtest.Request{Method: http.MethodPost, Path: base + "/tap", Body: map[string]string{"name": "visa-approve"}})
	if resp.Status != http.StatusConflict || failure(t, resp).Msg != "Not Waiting" {
		t.Errorf("tap when idle = %d %s", resp.Status, resp.Body)
	}
	resp = s.Do(simtest.Request{Method: http.MethodPost, Path: base + "/pin", Body: map[string]string{"pin": "1234"}})
	if resp.Status != http.StatusConflict {
		t.Errorf("pin when idle = %d %s", resp.Status, resp.Body)
	}
	resp = s.Do(simtest.Request{Method: http.MethodPost, Path: base + "/tap", Body: `{"name":1}`})
	if resp.Status != http.StatusBadRequest {
		t.Errorf("bad tap body = %d %s", resp.Status, resp.Body)
	}
	resp = s.Do(simtest.Request{Method: http.MethodPost, Path: base + "/tap", Body: map[string]string{"name": "nope"}})
	if resp.Status != http.StatusBadRequest {
		t.Errorf("unknown card = %d %s", resp.Status, resp.Body)
	}

	e.mode(map[string]string{"mode": "manual"})
	ch := e.async("50000", "page-1")
	e.waitScreen(babpos.AwaitingCard)
	var st babpos.TerminalState
	mustJSON(t, s.Do(simtest.Request{Method: http.MethodGet, Path: base + "/state"}).Body, &st)
	if st.Purchase == nil || st.Purchase.Display != "SAR 500.00" {
		t.Fatalf("state %+v", st)
	}
	resp = s.Do(simtest.Request{Method: http.MethodPost, Path: base + "/tap", Body: map[string]string{"name": "mada-approve", "entryMode": "CONTACTLESS"}})
	_ = json.Unmarshal(resp.Body, &st)
	if st.Screen != babpos.PinEntry {
		t.Fatalf("above the CVM limit: %s", st.Screen)
	}
	resp = s.Do(simtest.Request{Method: http.MethodPost, Path: base + "/pin", Body: map[string]string{"pin": "1234"}})
	_ = json.Unmarshal(resp.Body, &st)
	if st.Last == nil || st.Last.Status != "APPROVED" || !strings.Contains(st.Last.ReceiptText, "CUSTOMER COPY") {
		t.Errorf("after the PIN: %+v", st.Last)
	}
	if a := e.answer(<-ch); a.Status != "APPROVED" {
		t.Errorf("answer %+v", a)
	}
}
