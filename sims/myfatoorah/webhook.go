package myfatoorah

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sims/myfatoorah/signature"
)

// Webhook event types (V1 EventType / V2 Event.Code).
const (
	EventTransaction = 1
	EventRefund      = 2
	EventRecurring   = 5
)

var (
	v1Names = map[int]string{EventTransaction: "TransactionsStatusChanged", EventRefund: "RefundStatusChanged", EventRecurring: "RecurringStatusChanged"}
	v2Names = map[int]string{EventTransaction: "PAYMENT_STATUS_CHANGED", EventRefund: "REFUND_STATUS_CHANGED", EventRecurring: "RECURRING_STATUS_CHANGED"}
)

// webhookTxStatus is a transaction's status in webhooks.
func webhookTxStatus(s TxStatus) string {
	switch s {
	case TxSuccess:
		return "SUCCESS"
	case TxFailed:
		return "FAILED"
	case TxAuthorize:
		return "AUTHORIZE"
	case TxCanceled:
		return "CANCELED"
	default:
		return "PENDING"
	}
}

// webhookInvoiceStatus is an invoice's status in V2 webhooks.
func webhookInvoiceStatus(s InvoiceStatus) string {
	switch s {
	case InvoicePaid:
		return "PAID"
	case InvoiceAuthorize:
		return "AUTHORIZE"
	case InvoiceExpired:
		return "EXPIRED"
	case InvoiceCanceled:
		return "CANCELED"
	default:
		return "PENDING"
	}
}

// v1Date is V1's DateTime / CreatedDate format, ddMMyyyyHHmmss, in the
// vendor's time zone.
func v1Date(t time.Time, z *time.Location) string { return t.In(z).Format("02012006150405") }

// v2Date is V2's date format.
func v2Date(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// sendWebhookLocked signs and queues one webhook to the invoice's
// WebhookUrl or the merchant's.
func (p *Provider) sendWebhookLocked(m *merchant, inv *invoice, code int, v1Data, v2Data any) {
	target := m.Settings.WebhookURL
	if inv != nil && inv.Req.WebhookURL != "" {
		target = inv.Req.WebhookURL
	}
	if target == "" {
		return
	}
	now := m.clock.Now()
	version := m.Settings.WebhookVersion
	var body any
	policy := callback.Policy{MaxAttempts: V1Attempts, Backoff: []time.Duration{V1Delay}}
	if version == "V1" {
		body = v1Body{EventType: code, Event: v1Names[code], DateTime: v1Date(now, m.Country.Zone), CountryIsoCode: m.Country.Code, Data: v1Data}
	} else {
		body = v2Body{Event: v2Event{Code: code, Name: v2Names[code], CountryIsoCode: m.Country.Code, CreationDate: v2Date(now), Reference: "WH-" + m.st.ids.Digits(10)}, Data: v2Data}
		policy = callback.Policy{MaxAttempts: 1 + m.Settings.retries, Backoff: []time.Duration{m.Settings.retryWait}}
	}
	b, err := json.Marshal(body)
	if err != nil {
		p.deps.Log.Error("webhook encode", "err", err)
		return
	}
	sig, err := signature.Body(version, m.Settings.WebhookSecret, b)
	if err != nil {
		p.deps.Log.Error("webhook sign", "err", err)
		return
	}
	h := http.Header{
		"Content-Type":          {"application/json"},
		signature.Header:        {sig},
		signature.VersionHeader: {version},
	}
	p.deps.Callbacks.Send(callback.Request{Provider: Name, Method: http.MethodPost, URL: target, Header: h, Body: b, Clock: m.clock, Merchant: m.ID}, policy)
}

type v1Body struct {
	EventType      int    `json:"EventType"`
	Event          string `json:"Event"`
	DateTime       string `json:"DateTime"`
	CountryIsoCode string `json:"CountryIsoCode"`
	Data           any    `json:"Data"`
}

type v2Body struct {
	Event v2Event `json:"Event"`
	Data  any     `json:"Data"`
}

type v2Event struct {
	Code           int    `json:"Code"`
	Name           string `json:"Name"`
	CountryIsoCode string `json:"CountryIsoCode"`
	CreationDate   string `json:"CreationDate"`
	Reference      string `json:"Reference"`
}

// V1 TransactionsStatusChanged Data (field names as documented, the
// misspelt InvoiceValueInDisplayCurreny included).
type v1TxData struct {
	InvoiceID                    int64   `json:"InvoiceId"`
	InvoiceReference             string  `json:"InvoiceReference"`
	CreatedDate                  string  `json:"CreatedDate"`
	CustomerReference            *string `json:"CustomerReference"`
	CustomerName                 *string `json:"CustomerName"`
	CustomerMobile               *string `json:"CustomerMobile"`
	CustomerEmail                *string `json:"CustomerEmail"`
	TransactionStatus            string  `json:"TransactionStatus"`
	PaymentMethod                string  `json:"PaymentMethod"`
	UserDefinedField             *string `json:"UserDefinedField"`
	ReferenceID                  string  `json:"ReferenceId"`
	TrackID                      string  `json:"TrackId"`
	PaymentID                    string  `json:"PaymentId"`
	AuthorizationID              *string `json:"AuthorizationId"`
	InvoiceValueInBaseCurrency   string  `json:"InvoiceValueInBaseCurrency"`
	BaseCurrency                 string  `json:"BaseCurrency"`
	InvoiceValueInDisplayCurreny string  `json:"InvoiceValueInDisplayCurreny"`
	DisplayCurrency              string  `json:"DisplayCurrency"`
	InvoiceValueInPayCurrency    string  `json:"InvoiceValueInPayCurrency"`
	PayCurrency                  string  `json:"PayCurrency"`
}

type v2TxData struct {
	Invoice     v2Invoice     `json:"Invoice"`
	Transaction v2Transaction `json:"Transaction"`
	Customer    v2Customer    `json:"Customer"`
	Amount      v2TxAmount    `json:"Amount"`
}

type v2Invoice struct {
	ID                 string  `json:"Id"`
	Status             string  `json:"Status"`
	Reference          string  `json:"Reference"`
	CreationDate       string  `json:"CreationDate"`
	ExpirationDate     string  `json:"ExpirationDate"`
	ExternalIdentifier *string `json:"ExternalIdentifier"`
	UserDefinedField   *string `json:"UserDefinedField"`
}

type v2Transaction struct {
	Status          string         `json:"Status"`
	PaymentMethod   string         `json:"PaymentMethod"`
	PaymentID       string         `json:"PaymentId"`
	ReferenceID     string         `json:"ReferenceId"`
	TrackID         string         `json:"TrackId"`
	AuthorizationID *string        `json:"AuthorizationId"`
	TransactionDate string         `json:"TransactionDate"`
	Error           *v2ErrorDetail `json:"Error"`
}

type v2ErrorDetail struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

type v2Customer struct {
	Reference *string `json:"Reference"`
	Name      *string `json:"Name"`
	Mobile    *string `json:"Mobile"`
	Email     *string `json:"Email"`
}

type v2TxAmount struct {
	BaseCurrency           string      `json:"BaseCurrency"`
	ValueInBaseCurrency    json.Number `json:"ValueInBaseCurrency"`
	ServiceCharge          json.Number `json:"ServiceCharge"`
	DisplayCurrency        string      `json:"DisplayCurrency"`
	ValueInDisplayCurrency json.Number `json:"ValueInDisplayCurrency"`
	PayCurrency            string      `json:"PayCurrency"`
	ValueInPayCurrency     json.Number `json:"ValueInPayCurrency"`
}

func (p *Provider) paymentWebhookLocked(inv *invoice, tx *transaction) {
	m := inv.m
	st := webhookTxStatus(tx.Status)
	v1 := v1TxData{
		InvoiceID: inv.ID, InvoiceReference: inv.Reference, CreatedDate: v1Date(inv.Created, m.Country.Zone),
		CustomerReference: nullable(inv.Req.CustomerReference), CustomerName: nullable(inv.Req.CustomerName),
		CustomerMobile: nullable(inv.Req.CustomerMobile), CustomerEmail: nullable(inv.Req.CustomerEmail),
		TransactionStatus: st, PaymentMethod: tx.Method.En, UserDefinedField: nullable(inv.Req.UserDefinedField),
		ReferenceID: tx.ReferenceID, TrackID: tx.TrackID, PaymentID: tx.PaymentID, AuthorizationID: nullable(tx.AuthID),
		InvoiceValueInBaseCurrency: inv.Base.Decimal(), BaseCurrency: inv.Base.Currency.Code,
		InvoiceValueInDisplayCurreny: inv.Value.Decimal(), DisplayCurrency: inv.Value.Currency.Code,
		InvoiceValueInPayCurrency: inv.Value.Decimal(), PayCurrency: inv.Value.Currency.Code,
	}
	v2 := v2TxData{
		Invoice: v2Invoice{
			ID: itoa(inv.ID), Status: webhookInvoiceStatus(inv.Status), Reference: inv.Reference,
			CreationDate: v2Date(inv.Created), ExpirationDate: v2Date(inv.Expiry),
			ExternalIdentifier: nullable(inv.Req.ExternalIdentifier), UserDefinedField: nullable(inv.Req.UserDefinedField),
		},
		Transaction: v2Transaction{
			Status: st, PaymentMethod: tx.Method.En, PaymentID: tx.PaymentID, ReferenceID: tx.ReferenceID,
			TrackID: tx.TrackID, AuthorizationID: nullable(tx.AuthID), TransactionDate: v2Date(tx.Date),
		},
		Customer: v2Customer{
			Reference: nullable(inv.Req.CustomerReference), Name: nullable(inv.Req.CustomerName),
			Mobile: nullable(inv.Req.CustomerMobile), Email: nullable(inv.Req.CustomerEmail),
		},
		Amount: v2TxAmount{
			BaseCurrency: inv.Base.Currency.Code, ValueInBaseCurrency: inv.Base.Number(), ServiceCharge: tx.Charge.Number(),
			DisplayCurrency: inv.Value.Currency.Code, ValueInDisplayCurrency: inv.Value.Number(),
			PayCurrency: inv.Value.Currency.Code, ValueInPayCurrency: inv.Value.Number(),
		},
	}
	if tx.Error != "" {
		v2.Transaction.Error = &v2ErrorDetail{Code: tx.ErrorCode, Message: tx.Error}
	}
	p.sendWebhookLocked(m, inv, EventTransaction, v1, v2)
}

type v1RefundData struct {
	RefundID         int64          `json:"RefundId"`
	RefundReference  string         `json:"RefundReference"`
	CreatedDate      string         `json:"CreatedDate"`
	RefundStatus     string         `json:"RefundStatus"`
	Amount           string         `json:"Amount"`
	Comments         *string        `json:"Comments"`
	InvoiceID        int64          `json:"InvoiceId"`
	InvoiceRefernce  string         `json:"InvoiceRefernce"`
	GatewayReference map[string]any `json:"GatewayReference"`
}

type v2RefundData struct {
	Refund            v2Refund       `json:"Refund"`
	Amount            v2RefundAmount `json:"Amount"`
	ReferencedInvoice v2RefInvoice   `json:"ReferencedInvoice"`
}

type v2Refund struct {
	ID           string  `json:"Id"`
	Status       string  `json:"Status"`
	Reference    string  `json:"Reference"`
	CreationDate string  `json:"CreationDate"`
	Comment      *string `json:"Comment"`
}

type v2RefundAmount struct {
	BaseCurrency        string      `json:"BaseCurrency"`
	ValueInBaseCurrency json.Number `json:"ValueInBaseCurrency"`
}

type v2RefInvoice struct {
	ID        string `json:"Id"`
	Reference string `json:"Reference"`
	PaymentID string `json:"PaymentId"`
}

func (p *Provider) refundWebhookLocked(rf *refund) {
	inv, m := rf.inv, rf.inv.m
	status := strings.ToUpper(string(rf.Status))
	paymentID := ""
	if tx := capturedTx(inv); tx != nil {
		paymentID = tx.PaymentID
	}
	v1 := v1RefundData{
		RefundID: rf.ID, RefundReference: rf.Reference, CreatedDate: v1Date(rf.Created, m.Country.Zone), RefundStatus: status,
		Amount: rf.Amount.Decimal(), Comments: nullable(rf.Comment), InvoiceID: inv.ID, InvoiceRefernce: inv.Reference,
		GatewayReference: map[string]any{"RRN": m.st.ids.Digits(12), "AuthorizationId": nil, "TrackId": m.st.ids.Digits(9)},
	}
	v2 := v2RefundData{
		Refund:            v2Refund{ID: itoa(rf.ID), Status: status, Reference: rf.Reference, CreationDate: v2Date(rf.Created), Comment: nullable(rf.Comment)},
		Amount:            v2RefundAmount{BaseCurrency: rf.Amount.Currency.Code, ValueInBaseCurrency: rf.Amount.Number()},
		ReferencedInvoice: v2RefInvoice{ID: itoa(inv.ID), Reference: inv.Reference, PaymentID: paymentID},
	}
	p.sendWebhookLocked(m, inv, EventRefund, v1, v2)
}

type v1RecurringData struct {
	RecurringID      string `json:"RecurringId"`
	RecurringStatus  string `json:"RecurringStatus"`
	InitialInvoiceID int64  `json:"InitialInvoiceId"`
	InvoiceID        int64  `json:"InvoiceId"`
	CreatedDate      string `json:"CreatedDate"`
	RecurringType    string `json:"RecurringType"`
	Iteration        int    `json:"Iteration"`
	PaidCount        int    `json:"PaidCount"`
}

type v2RecurringData struct {
	Recurring v2Recurring `json:"Recurring"`
}

type v2Recurring struct {
	ID               string `json:"Id"`
	Status           string `json:"Status"`
	InitialInvoiceID string `json:"InitialInvoiceId"`
	LastInvoiceID    string `json:"LastInvoiceId"`
	Type             string `json:"Type"`
	Iteration        int    `json:"Iteration"`
	PaidCount        int    `json:"PaidCount"`
}

func (p *Provider) recurringWebhookLocked(rc *recurring, last *invoice) {
	m := rc.m
	status := strings.ToUpper(string(rc.Status))
	v1 := v1RecurringData{
		RecurringID: rc.ID, RecurringStatus: status, InitialInvoiceID: rc.initial.ID, InvoiceID: last.ID,
		CreatedDate: v1Date(m.clock.Now(), m.Country.Zone), RecurringType: rc.Type, Iteration: rc.Iteration, PaidCount: rc.charges,
	}
	v2 := v2RecurringData{Recurring: v2Recurring{
		ID: rc.ID, Status: status, InitialInvoiceID: itoa(rc.initial.ID), LastInvoiceID: itoa(last.ID),
		Type: rc.Type, Iteration: rc.Iteration, PaidCount: rc.charges,
	}}
	p.sendWebhookLocked(m, rc.initial, EventRecurring, v1, v2)
}
