package myfatoorah

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// key is a Key field: a string or a number on the wire.
type key string

func (k *key) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*k = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*k = key(strings.TrimSpace(s))
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errNotNumber
	}
	*k = key(n)
	return nil
}

// keyTypes normalises KeyType values (case-insensitive, as ASP.NET binds
// enums).
func keyType(s string, allowed ...string) (string, bool) {
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimSpace(s), a) {
			return a, true
		}
	}
	return "", false
}

func keyErrors(k key, kt string, ok bool, allowed ...string) []FieldError {
	var errs []FieldError
	if k == "" {
		errs = append(errs, FieldError{Name: "Key", Error: "The Key field is required."})
	}
	if !ok {
		errs = append(errs, FieldError{Name: "KeyType", Error: "KeyType must be one of " + strings.Join(allowed, ", ") + "."})
	}
	return errs
}

// findInvoiceLocked finds the merchant's invoice by Key and KeyType.
func (p *Provider) findInvoiceLocked(m *merchant, k key, kt string) (*invoice, *transaction) {
	switch kt {
	case "InvoiceId":
		id, err := strconv.ParseInt(string(k), 10, 64)
		if inv := m.invoiceByID(id); err == nil && inv != nil {
			return inv, nil
		}
	case "PaymentId":
		if inv := m.payments[string(k)]; inv != nil {
			for _, tx := range inv.Txs {
				if tx.PaymentID == string(k) {
					return inv, tx
				}
			}
		}
	case "CustomerReference":
		if list := m.byRef[string(k)]; len(list) > 0 {
			return list[len(list)-1], nil
		}
	}
	return nil, nil
}

// invoiceByID finds one of m's invoices by id: m.invoices is in id order
// (see addInvoiceLocked).
func (m *merchant) invoiceByID(id int64) *invoice {
	i, found := slices.BinarySearchFunc(m.invoices, id, func(inv *invoice, id int64) int { return cmp.Compare(inv.ID, id) })
	if !found {
		return nil
	}
	return m.invoices[i]
}

func errKeyNotFound() error {
	return apiErr(CodeKeyNotFound, "No data match the entered Key value.")
}

type statusRequest struct {
	Key     key    `json:"Key"`
	KeyType string `json:"KeyType"`
}

// getPaymentStatus handles POST /v2/GetPaymentStatus.
func (p *Provider) getPaymentStatus(r *http.Request, m *merchant) (any, error) {
	var req statusRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	allowed := []string{"InvoiceId", "PaymentId", "CustomerReference"}
	kt, ok := keyType(req.KeyType, allowed...)
	if errs := keyErrors(req.Key, kt, ok, allowed...); len(errs) > 0 {
		return nil, fieldsErr(errs)
	}
	inv, _ := p.findInvoiceLocked(m, req.Key, kt)
	if inv == nil {
		return nil, errKeyNotFound()
	}
	return okEnvelope("", p.statusView(inv)), nil
}

// StatusData is GetPaymentStatus's Data.
type StatusData struct {
	InvoiceID           int64          `json:"InvoiceId"`
	InvoiceStatus       InvoiceStatus  `json:"InvoiceStatus"`
	InvoiceReference    string         `json:"InvoiceReference"`
	CustomerReference   *string        `json:"CustomerReference"`
	CreatedDate         string         `json:"CreatedDate"`
	ExpiryDate          string         `json:"ExpiryDate"`
	ExpiryTime          string         `json:"ExpiryTime"`
	InvoiceValue        json.Number    `json:"InvoiceValue"`
	Comments            *string        `json:"Comments"`
	CustomerName        *string        `json:"CustomerName"`
	CustomerMobile      *string        `json:"CustomerMobile"`
	CustomerEmail       *string        `json:"CustomerEmail"`
	UserDefinedField    *string        `json:"UserDefinedField"`
	InvoiceDisplayValue string         `json:"InvoiceDisplayValue"`
	DueDeposit          json.Number    `json:"DueDeposit"`
	DepositStatus       string         `json:"DepositStatus"`
	InvoiceItems        []itemView     `json:"InvoiceItems"`
	InvoiceTransactions []txView       `json:"InvoiceTransactions"`
	Suppliers           []supplierView `json:"Suppliers"`
	RecurringID         *string        `json:"RecurringId,omitempty"`
}

type itemView struct {
	ItemName  string      `json:"ItemName"`
	Quantity  int64       `json:"Quantity"`
	UnitPrice json.Number `json:"UnitPrice"`
	Weight    *string     `json:"Weight"`
	Width     *string     `json:"Width"`
	Height    *string     `json:"Height"`
	Depth     *string     `json:"Depth"`
}

type txView struct {
	TransactionDate       string   `json:"TransactionDate"`
	PaymentGateway        string   `json:"PaymentGateway"`
	ReferenceID           string   `json:"ReferenceId"`
	TrackID               string   `json:"TrackId"`
	TransactionID         string   `json:"TransactionId"`
	PaymentID             string   `json:"PaymentId"`
	AuthorizationID       *string  `json:"AuthorizationId"`
	TransactionStatus     TxStatus `json:"TransactionStatus"`
	TransationValue       string   `json:"TransationValue"`
	CustomerServiceCharge string   `json:"CustomerServiceCharge"`
	TotalServiceCharge    string   `json:"TotalServiceCharge"`
	DueValue              string   `json:"DueValue"`
	PaidCurrency          string   `json:"PaidCurrency"`
	PaidCurrencyValue     string   `json:"PaidCurrencyValue"`
	VatAmount             string   `json:"VatAmount"`
	IPAddress             string   `json:"IpAddress"`
	Country               string   `json:"Country"`
	Currency              string   `json:"Currency"`
	Error                 *string  `json:"Error"`
	CardNumber            *string  `json:"CardNumber"`
	ErrorCode             string   `json:"ErrorCode"`
	ECI                   string   `json:"ECI"`
}

type supplierView struct {
	SupplierCode  int          `json:"SupplierCode"`
	SupplierName  string       `json:"SupplierName"`
	InvoiceShare  json.Number  `json:"InvoiceShare"`
	ProposedShare *json.Number `json:"ProposedShare"`
	DepositShare  json.Number  `json:"DepositShare"`
}

// Date formats of GetPaymentStatus, in the vendor's time zone.
const (
	createdLayout    = "2006-01-02T15:04:05.000"
	expiryDateLayout = "January 2, 2006"
	expiryTimeLayout = "15:04:05.000"
)

func (p *Provider) statusView(inv *invoice) StatusData {
	z := inv.m.Country.Zone
	zero := Amount{Currency: inv.Base.Currency}
	d := StatusData{
		InvoiceID: inv.ID, InvoiceStatus: inv.Status, InvoiceReference: inv.Reference,
		CustomerReference: nullable(inv.Req.CustomerReference), CreatedDate: inv.Created.In(z).Format(createdLayout),
		ExpiryDate: inv.Expiry.In(z).Format(expiryDateLayout), ExpiryTime: inv.Expiry.In(z).Format(expiryTimeLayout),
		InvoiceValue: inv.Base.Number(), CustomerName: nullable(inv.Req.CustomerName),
		CustomerMobile: nullable(inv.Req.CustomerMobile), CustomerEmail: nullable(inv.Req.CustomerEmail),
		UserDefinedField:    nullable(inv.Req.UserDefinedField),
		InvoiceDisplayValue: inv.Value.Decimal() + " " + displayCode(inv.Value.Currency.Code),
		DueDeposit:          zero.Number(), DepositStatus: "Not Deposited",
		InvoiceItems: []itemView{}, InvoiceTransactions: []txView{}, Suppliers: []supplierView{},
	}
	for _, it := range inv.Items {
		d.InvoiceItems = append(d.InvoiceItems, itemView{ItemName: it.Name, Quantity: it.Quantity, UnitPrice: it.Price.Number(),
			Weight: it.Weight, Width: it.Width, Height: it.Height, Depth: it.Depth})
	}
	for _, s := range inv.Suppliers {
		sv := supplierView{SupplierCode: s.Code, SupplierName: "Sandbox Supplier " + strconv.Itoa(s.Code), InvoiceShare: s.Share.Number(), DepositShare: Amount{Currency: s.Share.Currency}.Number()}
		if s.Proposed != nil {
			n := s.Proposed.Number()
			sv.ProposedShare = &n
		}
		d.Suppliers = append(d.Suppliers, sv)
	}
	if inv.Status == InvoicePaid {
		d.DueDeposit = inv.Base.Number()
	}
	for _, tx := range inv.Txs {
		code := displayCode(inv.Base.Currency.Code)
		tv := txView{
			TransactionDate: tx.Date.In(z).Format(createdLayout), PaymentGateway: tx.Method.GatewayName,
			ReferenceID: tx.ReferenceID, TrackID: tx.TrackID, TransactionID: tx.TransactionID, PaymentID: tx.PaymentID,
			AuthorizationID: nullable(tx.AuthID), TransactionStatus: tx.Status,
			TransationValue: inv.Base.Decimal(), CustomerServiceCharge: zero.Decimal(), TotalServiceCharge: tx.Charge.Decimal(),
			DueValue: inv.Base.Decimal(), PaidCurrency: displayCode(inv.Value.Currency.Code), PaidCurrencyValue: inv.Value.Decimal(),
			VatAmount: zero.Decimal(), IPAddress: "127.0.0.1", Country: inv.m.Country.Code, Currency: code,
			Error: nullable(tx.Error), CardNumber: nullable(tx.Card), ErrorCode: tx.ErrorCode, ECI: "",
		}
		if tx.Method.Card && !inv.Bypass3DS {
			tv.ECI = "05"
		}
		d.InvoiceTransactions = append(d.InvoiceTransactions, tv)
	}
	if inv.Recurring != nil {
		d.RecurringID = &inv.Recurring.ID
	}
	return d
}

// capturedTx is the invoice's successful transaction, if any.
func capturedTx(inv *invoice) *transaction {
	for _, tx := range inv.Txs {
		if tx.Status == TxSuccess {
			return tx
		}
	}
	return nil
}

func authorizedTx(inv *invoice) *transaction {
	for _, tx := range inv.Txs {
		if tx.Status == TxAuthorize {
			return tx
		}
	}
	return nil
}

type updateRequest struct {
	Operation string `json:"Operation"`
	Amount    num    `json:"Amount"`
	Key       key    `json:"Key"`
	KeyType   string `json:"KeyType"`
}

// UpdateData is UpdatePaymentStatus's Data.
type UpdateData struct {
	InvoiceID         int64         `json:"InvoiceId"`
	PaymentID         string        `json:"PaymentId"`
	Operation         string        `json:"Operation"`
	Amount            json.Number   `json:"Amount"`
	TransactionStatus TxStatus      `json:"TransactionStatus"`
	InvoiceStatus     InvoiceStatus `json:"InvoiceStatus"`
}

// updatePaymentStatus handles POST /v2/UpdatePaymentStatus: capture or
// release an authorized payment (AutoCapture false).
func (p *Provider) updatePaymentStatus(r *http.Request, m *merchant) (any, error) {
	var req updateRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	allowed := []string{"InvoiceId", "PaymentId"}
	kt, ok := keyType(req.KeyType, allowed...)
	errs := keyErrors(req.Key, kt, ok, allowed...)
	op := strings.ToLower(strings.TrimSpace(req.Operation))
	if op != "capture" && op != "release" {
		errs = append(errs, FieldError{Name: "Operation", Error: "Operation must be capture or release."})
	}
	if len(errs) > 0 {
		return nil, fieldsErr(errs)
	}
	inv, tx := p.findInvoiceLocked(m, req.Key, kt)
	if inv == nil {
		return nil, errKeyNotFound()
	}
	if tx == nil || tx.Status != TxAuthorize {
		tx = authorizedTx(inv)
	}
	if tx == nil {
		return nil, apiErr(CodeNotAuthorized, "The payment is not authorized; only an authorized payment can be captured or released.")
	}
	amount := inv.Base
	if req.Amount.set() {
		a, err := parseDecimal(string(req.Amount), inv.Base.Currency)
		if err != nil || a.Sign() <= 0 {
			return nil, fieldsErr([]FieldError{{Name: "Amount", Error: "Amount must be a positive amount in " + inv.Base.Currency.Code + "."}})
		}
		if a.Cmp(inv.Base) > 0 {
			return nil, apiErr(CodeCaptureExceeds, "The amount is greater than the authorized amount (%s).", inv.Base.Decimal())
		}
		amount = a
	}
	if op == "capture" {
		_ = fire(p, inv.m, txFSM, &tx.Status, EvCapture)
		_ = fire(p, inv.m, invoiceFSM, &inv.Status, EvCapture)
		tx.Captured = amount
	} else {
		_ = fire(p, inv.m, txFSM, &tx.Status, EvRelease)
		_ = fire(p, inv.m, invoiceFSM, &inv.Status, EvRelease)
	}
	p.changedLocked(inv)
	p.paymentWebhookLocked(inv, tx)
	return okEnvelope("Payment status updated successfully", UpdateData{
		InvoiceID: inv.ID, PaymentID: tx.PaymentID, Operation: op, Amount: amount.Number(),
		TransactionStatus: tx.Status, InvoiceStatus: inv.Status,
	}), nil
}
