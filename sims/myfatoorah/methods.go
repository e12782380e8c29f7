package myfatoorah

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sims/myfatoorah/signature"
)

type initiatePaymentRequest struct {
	InvoiceAmount num    `json:"InvoiceAmount"`
	CurrencyIso   string `json:"CurrencyIso"`
}

// PaymentMethodView is one entry of InitiatePayment's PaymentMethods.
type PaymentMethodView struct {
	PaymentMethodID     int         `json:"PaymentMethodId"`
	PaymentMethodAr     string      `json:"PaymentMethodAr"`
	PaymentMethodEn     string      `json:"PaymentMethodEn"`
	PaymentMethodCode   string      `json:"PaymentMethodCode"`
	IsDirectPayment     bool        `json:"IsDirectPayment"`
	ServiceCharge       json.Number `json:"ServiceCharge"`
	TotalAmount         json.Number `json:"TotalAmount"`
	CurrencyIso         string      `json:"CurrencyIso"`
	ImageURL            string      `json:"ImageUrl"`
	IsEmbeddedSupported bool        `json:"IsEmbeddedSupported"`
	PaymentCurrencyIso  string      `json:"PaymentCurrencyIso"`
}

type initiatePaymentData struct {
	PaymentMethods []PaymentMethodView `json:"PaymentMethods"`
}

// initiatePayment handles POST /v2/InitiatePayment: the merchant's
// gateways for an amount, with their service charges.
func (p *Provider) initiatePayment(r *http.Request, m *merchant) (any, error) {
	var req initiatePaymentRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	cur := m.Base
	var errs []FieldError
	if c := strings.ToUpper(strings.TrimSpace(req.CurrencyIso)); c != "" {
		cc, err := currencyOf(c)
		if _, rated := kwdRates[c]; err != nil || !rated {
			errs = append(errs, FieldError{Name: "CurrencyIso", Error: fmt.Sprintf(errDisplayCurrency, req.CurrencyIso)})
		} else {
			cur = cc
		}
	}
	var amount Amount
	if !req.InvoiceAmount.set() {
		errs = append(errs, FieldError{Name: "InvoiceAmount", Error: "The InvoiceAmount field is required."})
	} else if a, err := parseDecimal(string(req.InvoiceAmount), cur); err != nil || a.Sign() < 0 {
		// 0 lists the account's gateways: the official library's
		// getCachedVendorGateways sends initiatePayment(0, '') and its own
		// test expects PaymentMethods back.
		errs = append(errs, FieldError{Name: "InvoiceAmount", Error: fmt.Sprintf("InvoiceAmount must be zero or more with at most %d decimal places.", cur.Exponent)})
	} else {
		amount = a
	}
	if len(errs) > 0 {
		return nil, fieldsErr(errs)
	}
	base := convert(amount, m.Base, rate(cur.Code, m.Base.Code))
	out := initiatePaymentData{PaymentMethods: []PaymentMethodView{}}
	for _, pm := range methods {
		if !m.enabled(pm) {
			continue
		}
		chargeBase := pm.serviceCharge(base)
		charge := convert(chargeBase, cur, rate(m.Base.Code, cur.Code))
		out.PaymentMethods = append(out.PaymentMethods, PaymentMethodView{
			PaymentMethodID: pm.ID, PaymentMethodAr: pm.Ar, PaymentMethodEn: pm.En, PaymentMethodCode: pm.Code,
			IsDirectPayment: pm.Direct, ServiceCharge: charge.Number(), TotalAmount: add(amount, charge).Number(),
			CurrencyIso: cur.Code, ImageURL: p.deps.BaseURL() + "/imgs/payment-methods/" + pm.Code + ".png",
			IsEmbeddedSupported: pm.Embedded, PaymentCurrencyIso: m.Base.Code,
		})
	}
	return okEnvelope("Initiated Successfully!", out), nil
}

type initiateSessionRequest struct {
	CustomerIdentifier string   `json:"CustomerIdentifier"`
	SaveToken          flexBool `json:"SaveToken"`
}

type sessionData struct {
	SessionID   string `json:"SessionId"`
	CountryCode string `json:"CountryCode"`
}

// initiateSession handles POST /v2/InitiateSession: a session for the
// embedded card form, usable once by ExecutePayment before it expires.
func (p *Provider) initiateSession(r *http.Request, m *merchant) (any, error) {
	var req initiateSessionRequest
	b, err := readOptional(r, &req)
	if err != nil {
		return nil, err
	}
	_ = b
	now := m.clock.Now()
	expired := 0
	for expired < len(m.sessionQ) && !now.Before(m.sessionQ[expired].Expires) {
		expired++
	}
	dropSessionsLocked(m, max(expired, len(m.sessionQ)+1-p.deps.Limits.MaxObjects))
	s := &session{ID: m.st.ids.UUID(), m: m, Expires: now.Add(DefaultSessionTTL), CustomerID: req.CustomerIdentifier}
	m.sessions[s.ID] = s
	m.sessionQ = append(m.sessionQ, s)
	m.st.sessions.Add(1)
	s.timer = p.afterLocked(m, DefaultSessionTTL, func() {
		// Sessions live DefaultSessionTTL on one clock: the ones that
		// expired lead the queue, s among them.
		n := 0
		for n < len(m.sessionQ) && !m.clock.Now().Before(m.sessionQ[n].Expires) {
			n++
		}
		dropSessionsLocked(m, n)
	})
	return okEnvelope("Initiated Successfully!", sessionData{SessionID: s.ID, CountryCode: m.Country.Code}), nil
}

// dropSessionsLocked forgets m's n oldest sessions. A merchant keeps at
// most Limits.MaxObjects sessions: InitiateSession past that forgets the
// oldest, as it forgets those expired.
func dropSessionsLocked(m *merchant, n int) {
	if n <= 0 {
		return
	}
	for _, s := range m.sessionQ[:n] {
		delete(m.sessions, s.ID)
		if s.timer != nil {
			s.timer.Stop()
		}
	}
	clear(m.sessionQ[:n])
	m.sessionQ = m.sessionQ[n:]
	if len(m.sessionQ) == 0 {
		m.sessionQ = nil // let the emptied array go
	}
	m.st.sessions.Add(-int64(n))
}

// readOptional decodes an optional body (an empty body is {}).
func readOptional(r *http.Request, v any) (bool, error) {
	err := decode(r, v)
	if errors.Is(err, httpx.ErrEmptyBody) {
		return false, nil
	}
	return err == nil, err
}

// CurrencyRate is one entry of GetCurrenciesExchangeList: units of Text
// per unit of the account's currency.
type CurrencyRate struct {
	Text  string      `json:"Text"`
	Value json.Number `json:"Value"`
}

// currencies handles GET /v2/GetCurrenciesExchangeList. Like the real
// endpoint it answers a bare array, not the envelope.
func (p *Provider) currencies(_ *http.Request, m *merchant) (any, error) {
	out := []CurrencyRate{}
	for _, c := range rateOrder {
		r := ratOf(rate(m.Base.Code, c))
		out = append(out, CurrencyRate{Text: c, Value: json.Number(trimRat(r))})
	}
	return out, nil
}

// trimRat is r in its shortest decimal form (at most 6 decimals).
func trimRat(r interface{ FloatString(int) string }) string {
	s, err := signature.Number(r.FloatString(6))
	if err != nil {
		return "0"
	}
	return s
}

type applePayDomainRequest struct {
	DomainName string `json:"DomainName"`
}

var domainRe = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)

// registerApplePayDomain handles POST /v2/RegisterApplePayDomain
// {DomainName}: the library registers the shop's host (parse_url host) for
// embedded Apple Pay. The fake checks the name and remembers nothing.
func (p *Provider) registerApplePayDomain(r *http.Request, m *merchant) (any, error) {
	var req applePayDomainRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	d := strings.TrimSpace(req.DomainName)
	switch {
	case d == "":
		return nil, fieldsErr([]FieldError{{Name: "DomainName", Error: "The DomainName field is required."}})
	case len(d) > 253 || !domainRe.MatchString(d) || strings.EqualFold(d, "localhost"):
		return nil, fieldsErr([]FieldError{{Name: "DomainName", Error: "DomainName must be a public host name such as shop.example.com."}})
	}
	return okEnvelope("Domain registered successfully!", applePayDomainData{DomainName: strings.ToLower(d)}), nil
}

type applePayDomainData struct {
	DomainName string `json:"DomainName"`
}
