package myfatoorah_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/myfatoorah"
)

// phpString writes a decoded JSON value as PHP's sprintf("%s") does after
// json_decode: the test's own implementation, independent of package
// signature.
func phpString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		if x {
			return "1"
		}
		return ""
	case json.Number:
		r, _ := new(big.Rat).SetString(string(x))
		s := r.FloatString(12)
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		return s
	default:
		return fmt.Sprint(x)
	}
}

func hmacB64(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func decodeNumbers(t *testing.T, b []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v map[string]any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("webhook body: %v\n%s", err, b)
	}
	return v
}

// verifyV1 is MyFatoorah's documented V1 check, written independently.
func verifyV1(t *testing.T, secret string, r simtest.Received) map[string]any {
	t.Helper()
	body := decodeNumbers(t, r.Body)
	data := body["Data"].(map[string]any)
	et := body["EventType"].(json.Number).String()
	var keys []string
	for k := range data {
		if et == "2" && k == "GatewayReference" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.ToLower(keys[i]) < strings.ToLower(keys[j]) })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + phpString(data[k])
	}
	if got, want := r.Header.Get("MyFatoorah-Signature"), hmacB64(secret, strings.Join(parts, ",")); got != want {
		t.Errorf("V1 signature %q, want %q over %s", got, want, strings.Join(parts, ","))
	}
	if v := r.Header.Get("MyFatoorah-Webhook-Version"); v != "V1" {
		t.Errorf("version header %q", v)
	}
	return body
}

// verifyV2 is the documented V2 check, written independently.
func verifyV2(t *testing.T, secret string, r simtest.Received) map[string]any {
	t.Helper()
	body := decodeNumbers(t, r.Body)
	data := body["Data"].(map[string]any)
	fields := map[string][]string{
		"1": {"Invoice.Id", "Invoice.Status", "Transaction.Status", "Transaction.PaymentId", "Invoice.ExternalIdentifier"},
		"2": {"Refund.Id", "Refund.Status", "Amount.ValueInBaseCurrency", "ReferencedInvoice.Id"},
		"5": {"Recurring.Id", "Recurring.Status", "Recurring.InitialInvoiceId"},
	}[body["Event"].(map[string]any)["Code"].(json.Number).String()]
	var parts []string
	for _, f := range fields {
		obj, key, _ := strings.Cut(f, ".")
		parts = append(parts, f+"="+phpString(data[obj].(map[string]any)[key]))
	}
	if got, want := r.Header.Get("MyFatoorah-Signature"), hmacB64(secret, strings.Join(parts, ",")); got != want {
		t.Errorf("V2 signature %q, want %q over %s", got, want, strings.Join(parts, ","))
	}
	if v := r.Header.Get("MyFatoorah-Webhook-Version"); v != "V2" {
		t.Errorf("version header %q", v)
	}
	return body
}

func TestWebhooksV1(t *testing.T) {
	s := newServer(t)
	rc := simtest.NewReceiver(t, 200)
	c, creds := mint(t, s, map[string]any{"webhookUrl": rc.URL + "/hook", "webhookVersion": "V1", "webhookSecret": "s3cret"})
	inv := c.execute(with(func(b map[string]any) {
		b["CustomerEmail"] = nil
		b["RecurringModel"] = map[string]any{"RecurringType": "Daily", "Iteration": 2}
	}))
	res := c.pay(inv.InvoiceID, map[string]any{})
	got := byEvent(rc.Wait(t, 2))
	body := verifyV1(t, creds.WebhookSecret, got[0])
	d := body["Data"].(map[string]any)
	if body["Event"] != "TransactionsStatusChanged" || body["EventType"].(json.Number) != "1" || d["TransactionStatus"] != "SUCCESS" ||
		d["PaymentId"] != res.PaymentID || d["CustomerEmail"] != nil || d["InvoiceValueInDisplayCurreny"] != "10.000" || body["CountryIsoCode"] != "KWT" {
		t.Errorf("transaction webhook %s", got[0].Body)
	}
	if dt := body["DateTime"].(string); dt != "01012026120000" {
		t.Errorf("DateTime %q", dt)
	}
	rec := verifyV1(t, creds.WebhookSecret, got[1])
	if rec["EventType"].(json.Number) != "5" || rec["Data"].(map[string]any)["RecurringStatus"] != "ACTIVE" {
		t.Errorf("recurring webhook %s", got[1].Body)
	}
	var rf myfatoorah.RefundData
	c.ok("MakeRefund", map[string]any{"Key": res.PaymentID, "KeyType": "PaymentId", "Amount": 2.5, "Comment": "sorry"}, &rf)
	s.Advance(myfatoorah.DefaultRefundDelay)
	got = rc.Wait(t, 3)
	refund := verifyV1(t, creds.WebhookSecret, got[2])
	if refund["EventType"].(json.Number) != "2" || refund["Data"].(map[string]any)["RefundStatus"] != "REFUNDED" || refund["Data"].(map[string]any)["GatewayReference"] == nil {
		t.Errorf("refund webhook %s", got[2].Body)
	}
	// The second (last) recurring charge: its payment and COMPLETED.
	s.Advance(24 * time.Hour)
	got = rc.Wait(t, 6)
	completed := false
	for _, r := range got[3:] {
		verifyV1(t, creds.WebhookSecret, r)
		completed = completed || strings.Contains(string(r.Body), `"RecurringStatus":"COMPLETED"`)
	}
	if !completed {
		t.Errorf("no COMPLETED among the last webhooks")
	}
}

func TestWebhooksV2(t *testing.T) {
	s := newServer(t)
	rc := simtest.NewReceiver(t, 200)
	c, creds := mint(t, s, map[string]any{"webhookUrl": rc.URL + "/hook"})
	if creds.WebhookVersion != "V2" || len(creds.WebhookSecret) < 32 {
		t.Fatalf("defaults %+v", creds)
	}
	inv := c.execute(with(func(b map[string]any) {
		b["ProcessingDetails"] = map[string]any{"AutoCapture": false}
		b["ExternalIdentifier"] = "ext-1"
	}))
	c.pay(inv.InvoiceID, card("4111111111111111", "01/39", "123")) // declined
	rc.Wait(t, 1)
	res := c.pay(inv.InvoiceID, map[string]any{})
	rc.Wait(t, 2)
	c.ok("UpdatePaymentStatus", map[string]any{"Operation": "capture", "Key": res.PaymentID, "KeyType": "PaymentId"}, nil)
	got := rc.Wait(t, 3)
	want := []struct{ tx, inv string }{{"FAILED", "PENDING"}, {"AUTHORIZE", "AUTHORIZE"}, {"SUCCESS", "PAID"}}
	for i, w := range want {
		b := verifyV2(t, creds.WebhookSecret, got[i])
		ev := b["Event"].(map[string]any)
		d := b["Data"].(map[string]any)
		if ev["Name"] != "PAYMENT_STATUS_CHANGED" || d["Transaction"].(map[string]any)["Status"] != w.tx || d["Invoice"].(map[string]any)["Status"] != w.inv {
			t.Errorf("%d: %s", i, got[i].Body)
		}
	}
	var rf myfatoorah.RefundData
	c.ok("MakeRefund", map[string]any{"Key": inv.InvoiceID, "KeyType": "InvoiceId", "Amount": "10.000"}, &rf)
	s.Control("POST", "/_sim/myfatoorah/refunds/"+itoa(rf.RefundID)+"/reject", nil, 200, nil)
	got = rc.Wait(t, 4)
	b := verifyV2(t, creds.WebhookSecret, got[3])
	if b["Event"].(map[string]any)["Code"].(json.Number) != "2" || b["Data"].(map[string]any)["Refund"].(map[string]any)["Status"] != "CANCELED" {
		t.Errorf("refund %s", got[3].Body)
	}
}

// The invoice's WebhookUrl wins over the account's.
func TestPerInvoiceWebhookURL(t *testing.T) {
	s := newServer(t)
	account := simtest.NewReceiver(t, 200)
	perInvoice := simtest.NewReceiver(t, 200)
	c, creds := mint(t, s, map[string]any{"webhookUrl": account.URL})
	inv := c.execute(with(func(b map[string]any) { b["WebhookUrl"] = perInvoice.URL + "/mine" }))
	c.pay(inv.InvoiceID, map[string]any{})
	got := perInvoice.Wait(t, 1)
	verifyV2(t, creds.WebhookSecret, got[0])
	s.Callbacks().Wait()
	if account.Count() != 0 {
		t.Errorf("account receiver got %d", account.Count())
	}
}

// A failing receiver gets retries on the merchant's clock: V1 4 attempts
// 10 s apart, V2 as configured.
func TestWebhookRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]any
		wait     time.Duration
		attempts int
	}{
		{"V1", map[string]any{"webhookVersion": "V1"}, 10 * time.Second, 4},
		{"V2", map[string]any{"webhookRetries": 2, "webhookRetryDelay": "30s"}, 30 * time.Second, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			rc := simtest.NewReceiver(t, http.StatusInternalServerError)
			tc.settings["webhookUrl"] = rc.URL
			c, _ := mint(t, s, tc.settings)
			inv := c.execute(basic())
			c.pay(inv.InvoiceID, map[string]any{})
			for i := 1; i <= tc.attempts; i++ {
				rc.Wait(t, i)
				s.Callbacks().Wait()
				if i < tc.attempts {
					s.Advance(tc.wait - time.Second)
					s.Callbacks().Wait()
					if rc.Count() != i {
						t.Fatalf("retry %d came early", i)
					}
					s.Advance(time.Second)
				}
			}
			s.Advance(time.Hour)
			s.Callbacks().Wait()
			if rc.Count() != tc.attempts {
				t.Errorf("%d attempts, want %d", rc.Count(), tc.attempts)
			}
			cbs := s.Callbacks().List("myfatoorah", "")
			if len(cbs) != 1 || cbs[0].State != "failed" || len(cbs[0].Attempts) != tc.attempts {
				t.Errorf("callback log %+v", cbs)
			}
		})
	}
}

// byEvent orders webhooks sent at the same instant (delivered
// concurrently) by event type.
func byEvent(rs []simtest.Received) []simtest.Received {
	code := func(r simtest.Received) string {
		var b struct {
			EventType json.RawMessage
			Event     json.RawMessage
		}
		_ = json.Unmarshal(r.Body, &b)
		return string(b.EventType) + string(b.Event)
	}
	sort.SliceStable(rs, func(i, j int) bool { return code(rs[i]) < code(rs[j]) })
	return rs
}
