package myfatoorah

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

type refundRequest struct {
	Key                     key      `json:"Key"`
	KeyType                 string   `json:"KeyType"`
	RefundChargeOnCustomer  flexBool `json:"RefundChargeOnCustomer"`
	ServiceChargeOnCustomer flexBool `json:"ServiceChargeOnCustomer"`
	Amount                  num      `json:"Amount"`
	CurrencyIso             string   `json:"CurrencyIso"`
	Comment                 string   `json:"Comment"`
	ExternalIdentifier      string   `json:"ExternalIdentifier"`
}

// RefundData is MakeRefund's Data.
type RefundData struct {
	Key             string      `json:"Key"`
	RefundID        int64       `json:"RefundId"`
	RefundReference string      `json:"RefundReference"`
	RefundInvoiceID int64       `json:"RefundInvoiceId"`
	Amount          json.Number `json:"Amount"`
	Comment         *string     `json:"Comment"`
}

// makeRefund handles POST /v2/MakeRefund.
func (p *Provider) makeRefund(r *http.Request, m *merchant) (any, error) {
	var req refundRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	allowed := []string{"InvoiceId", "PaymentId"}
	kt, ok := keyType(req.KeyType, allowed...)
	errs := keyErrors(req.Key, kt, ok, allowed...)
	cur := m.Base
	if c := strings.ToUpper(strings.TrimSpace(req.CurrencyIso)); c != "" && c != m.Base.Code {
		errs = append(errs, FieldError{Name: "CurrencyIso", Error: fmt.Sprintf("Refunds are made in the account's currency %s.", m.Base.Code)})
	}
	var amount Amount
	if !req.Amount.set() {
		errs = append(errs, FieldError{Name: "Amount", Error: "The Amount field is required."})
	} else if a, err := parseDecimal(string(req.Amount), cur); err != nil || a.Sign() <= 0 {
		errs = append(errs, FieldError{Name: "Amount", Error: fmt.Sprintf("Amount must be greater than zero with at most %d decimal places.", cur.Exponent)})
	} else {
		amount = a
	}
	if len(errs) > 0 {
		return nil, fieldsErr(errs)
	}
	inv, _ := p.findInvoiceLocked(m, req.Key, kt)
	if inv == nil {
		return nil, errKeyNotFound()
	}
	tx := capturedTx(inv)
	if tx == nil {
		return nil, fieldErr(CodeInvoiceNotPaid, "Key", "The invoice has no captured payment to refund.")
	}
	left := tx.Captured
	for _, rf := range inv.Refunds {
		if rf.Status == RefundPending {
			return nil, fieldErr(CodeRefundInProcess, "Key", "The transaction is already under processing!")
		}
		if rf.Status != RefundCanceled {
			left = sub(left, rf.Amount)
		}
	}
	if amount.Cmp(left) > 0 {
		return nil, fieldErr(CodeRefundExceeds, "Amount", "The refund amount is greater than the available amount to refund (%s %s).", left.Decimal(), left.Currency.Code)
	}
	st := m.st
	step := 1 + int64(st.ids.IntN(5))
	p.objMu.Lock()
	st.nextRefund += step
	id := st.nextRefund
	p.objMu.Unlock()
	now := m.clock.Now()
	rf := &refund{
		ID: id, Reference: fmt.Sprintf("%d%06d", now.In(m.Country.Zone).Year(), id%1000000),
		Status: RefundPending, inv: inv, Amount: amount, Comment: req.Comment, ExternalID: req.ExternalIdentifier, Created: now,
	}
	gone := p.dropCanceledRefundLocked(inv)
	inv.Refunds = append(inv.Refunds, rf)
	p.objMu.Lock()
	if gone != nil {
		delete(st.refunds, gone.ID)
	}
	st.refunds[rf.ID] = rf
	p.objMu.Unlock()
	p.changedLocked(inv)
	p.afterLocked(m, m.Settings.refundDelay, func() {
		if !inv.forgotten { // not forgotten meanwhile (--max-objects)
			_ = p.decideRefundLocked(rf, EvComplete)
		}
	})
	return okEnvelope("Refund has been created successfully", RefundData{
		Key: string(req.Key), RefundID: rf.ID, RefundReference: rf.Reference, RefundInvoiceID: inv.ID,
		Amount: amount.Number(), Comment: nullable(req.Comment),
	}), nil
}

// decideRefundLocked completes or rejects a pending refund.
func (p *Provider) decideRefundLocked(rf *refund, ev Event) error {
	if err := fire(p, rf.inv.m, refundFSM, &rf.Status, ev); err != nil {
		return err
	}
	p.changedLocked(rf.inv)
	p.refundWebhookLocked(rf)
	return nil
}

// RefundStatusItem is one entry of GetRefundStatus's RefundStatusResult.
type RefundStatusItem struct {
	RefundID           int64        `json:"RefundId"`
	RefundStatus       RefundStatus `json:"RefundStatus"`
	InvoiceID          int64        `json:"InvoiceId"`
	Amount             json.Number  `json:"Amount"`
	RefundReference    string       `json:"RefundReference"`
	RefundAmount       json.Number  `json:"RefundAmount"`
	BaseCurrency       string       `json:"BaseCurrency"`
	ExternalIdentifier *string      `json:"ExternalIdentifier"`
}

type refundStatusData struct {
	RefundStatusResult []RefundStatusItem `json:"RefundStatusResult"`
}

// getRefundStatus handles POST /v2/GetRefundStatus.
func (p *Provider) getRefundStatus(r *http.Request, m *merchant) (any, error) {
	var req statusRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	allowed := []string{"InvoiceId", "RefundId"}
	kt, ok := keyType(req.KeyType, allowed...)
	if errs := keyErrors(req.Key, kt, ok, allowed...); len(errs) > 0 {
		return nil, fieldsErr(errs)
	}
	var list []*refund
	if kt == "RefundId" {
		id, err := strconv.ParseInt(string(req.Key), 10, 64)
		p.objMu.RLock()
		rf := m.st.refunds[id]
		p.objMu.RUnlock()
		if err == nil && rf != nil && rf.inv.m == m {
			list = []*refund{rf}
		}
	} else if inv, _ := p.findInvoiceLocked(m, req.Key, "InvoiceId"); inv != nil && len(inv.Refunds) > 0 {
		list = inv.Refunds
	}
	if len(list) == 0 {
		return nil, errKeyNotFound()
	}
	out := refundStatusData{RefundStatusResult: []RefundStatusItem{}}
	for _, rf := range list {
		out.RefundStatusResult = append(out.RefundStatusResult, RefundStatusItem{
			RefundID: rf.ID, RefundStatus: rf.Status, InvoiceID: rf.inv.ID, Amount: rf.inv.Base.Number(),
			RefundReference: rf.Reference, RefundAmount: rf.Amount.Number(), BaseCurrency: rf.Amount.Currency.Code,
			ExternalIdentifier: nullable(rf.ExternalID),
		})
	}
	return okEnvelope("", out), nil
}
