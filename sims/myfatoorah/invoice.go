package myfatoorah

import (
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paysandbox/paysandbox/sim/money"
)

// invoiceRequest is the body of ExecutePayment and SendPayment.
type invoiceRequest struct {
	InvoiceValue       num                      `json:"InvoiceValue"`
	PaymentMethodID    num                      `json:"PaymentMethodId"`
	SessionID          string                   `json:"SessionId"`
	CustomerName       string                   `json:"CustomerName"`
	NotificationOption string                   `json:"NotificationOption"`
	CallBackURL        string                   `json:"CallBackUrl"`
	ErrorURL           string                   `json:"ErrorUrl"`
	DisplayCurrencyIso string                   `json:"DisplayCurrencyIso"`
	MobileCountryCode  string                   `json:"MobileCountryCode"`
	CustomerMobile     string                   `json:"CustomerMobile"`
	CustomerEmail      string                   `json:"CustomerEmail"`
	Language           string                   `json:"Language"`
	CustomerReference  string                   `json:"CustomerReference"`
	CustomerCivilID    string                   `json:"CustomerCivilId"`
	UserDefinedField   string                   `json:"UserDefinedField"`
	CustomerAddress    optional[addressRequest] `json:"CustomerAddress"`
	ExpiryDate         string                   `json:"ExpiryDate"`
	InvoiceItems       []itemRequest            `json:"InvoiceItems"`
	ShippingMethod     num                      `json:"ShippingMethod"`
	ShippingConsignee  optional[consignee]      `json:"ShippingConsignee"`
	Suppliers          []supplierReq            `json:"Suppliers"`
	RecurringModel     *recurringReq            `json:"RecurringModel"`
	ProcessingDetails  *processingReq           `json:"ProcessingDetails"`
	WebhookURL         string                   `json:"WebhookUrl"`
	SourceInfo         string                   `json:"SourceInfo"`
	ExternalIdentifier string                   `json:"ExternalIdentifier"`
}

type addressRequest struct {
	Block               string `json:"Block"`
	Street              string `json:"Street"`
	HouseBuildingNo     string `json:"HouseBuildingNo"`
	Address             string `json:"Address"`
	AddressInstructions string `json:"AddressInstructions"`
}

type itemRequest struct {
	ItemName  string `json:"ItemName"`
	Quantity  num    `json:"Quantity"`
	UnitPrice num    `json:"UnitPrice"`
	Weight    num    `json:"Weight"`
	Width     num    `json:"Width"`
	Height    num    `json:"Height"`
	Depth     num    `json:"Depth"`
}

type consignee struct {
	PersonName   string `json:"PersonName"`
	Mobile       string `json:"Mobile"`
	EmailAddress string `json:"EmailAddress"`
	LineAddress  string `json:"LineAddress"`
	CityName     string `json:"CityName"`
	PostalCode   string `json:"PostalCode"`
	CountryCode  string `json:"CountryCode"`
}

type supplierReq struct {
	SupplierCode  num `json:"SupplierCode"`
	ProposedShare num `json:"ProposedShare"`
	InvoiceShare  num `json:"InvoiceShare"`
}

type recurringReq struct {
	RecurringType string `json:"RecurringType"`
	IntervalDays  num    `json:"IntervalDays"`
	Iteration     num    `json:"Iteration"`
	RetryCount    num    `json:"RetryCount"`
}

type processingReq struct {
	AutoCapture flexBool `json:"AutoCapture"`
	Bypass3DS   flexBool `json:"Bypass3DS"`
}

// Validation messages, one per rule of the seed.
const (
	errRequired        = "The %s field is required."
	errInvoiceValue    = "InvoiceValue must be greater than zero."
	errPrecisionMsg    = "InvoiceValue has more decimal places than %s allows (%d)."
	errOneOf           = "Only one of PaymentMethodId and SessionId is required."
	errNeitherOf       = "Either PaymentMethodId or SessionId is required."
	errMethod          = "The payment method %s is not enabled for this account."
	errURLLength       = "The field %s must be a string with a maximum length of 254."
	errURLForm         = "The field %s must be a valid absolute http or https URL."
	errLocalhost       = "The localhost is not allowed to be set as a domain in %s."
	errMobileLength    = "The field CustomerMobile must be a string with a maximum length of 11."
	errMobilePattern   = "The field CustomerMobile must match the regular expression '^(?:(\\+)|(00)|(\\*)|())[0-9]{3,14}((\\#)|())$'."
	errMobileCountry   = "The field MobileCountryCode must be a country calling code such as +965."
	errEmail           = "The CustomerEmail field is not a valid e-mail address."
	errUDF             = "The field UserDefinedField must be a string with a maximum length of 500."
	errItemsTotal      = "The InvoiceValue must be equal to the total of the InvoiceItems (UnitPrice * Quantity)."
	errItemQuantity    = "Quantity must be an integer greater than zero."
	errItemPrice       = "UnitPrice must be a non-negative amount in the invoice currency."
	errRange           = "The field %s must be between %s (exclusive) and %s."
	errShippingMethod  = "ShippingMethod must be 1 (DHL) or 2 (ARAMEX)."
	errConsignee       = "ShippingConsignee is required for a shipping invoice."
	errShippingItems   = "A shipping invoice needs InvoiceItems with Weight, Width, Height and Depth."
	errSupplierCode    = "The supplier code %s is not one of this account's suppliers."
	errSupplierShares  = "The total of the suppliers' InvoiceShare must be equal to the InvoiceValue."
	errProposedShare   = "ProposedShare must not be greater than InvoiceShare."
	errRecurringType   = "RecurringType must be one of Custom, Daily, Weekly and Monthly."
	errIntervalDays    = "IntervalDays must be between 1 and 180 for the Custom RecurringType."
	errIteration       = "Iteration must be a non-negative integer."
	errRetryCount      = "RetryCount must be between 1 and 5."
	errRecurringMethod = "Recurring payments are only available for card payment methods (VISA/MASTER, MADA) or an embedded session."
	errAutoCapture     = "Authorize and capture (AutoCapture false) is not available for the payment method %s."
	errBypass3DS       = "The Bypass3DS feature is not enabled on your account."
	errExpiryFormat    = "ExpiryDate is not a valid date (for example 2026-01-31T23:59:59)."
	errExpiryPast      = "ExpiryDate must be in the future."
	errLanguage        = "Language must be EN or AR."
	errDisplayCurrency = "DisplayCurrencyIso %q is not a currency supported by MyFatoorah."
	errNotification    = "NotificationOption must be one of Lnk, SMS, EML and ALL."
	errNeedEmail       = "CustomerEmail is required for the notification option %s."
	errNeedMobile      = "CustomerMobile is required for the notification option %s."
)

var (
	mobileRe        = regexp.MustCompile(`^(?:(\+)|(00)|(\*)|())[0-9]{3,14}((#)|())$`)
	mobileCountryRe = regexp.MustCompile(`^\+?[0-9]{1,4}$`)
	emailRe         = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// parsed is what validation extracts from a valid request.
type parsed struct {
	value, base Amount
	display     Currency
	method      paymentMethod
	hasMethod   bool
	expiry      time.Time
	items       []lineItem
	suppliers   []supplierShare
	autoCapture bool
	bypass3DS   bool
	recurring   *recurring
	notify      string
}

// validate checks every rule of the seed and returns every violation.
func (p *Provider) validate(m *merchant, req *invoiceRequest, send bool) (parsed, []FieldError) {
	var errs []FieldError
	fail := func(name, format string, args ...any) {
		errs = append(errs, FieldError{Name: name, Error: fmt.Sprintf(format, args...)})
	}
	var out parsed
	now := m.clock.Now()

	// Display currency and InvoiceValue.
	out.display = m.Base
	if c := strings.ToUpper(strings.TrimSpace(req.DisplayCurrencyIso)); c != "" {
		cur, err := currencyOf(c)
		if _, rated := kwdRates[c]; err != nil || !rated {
			fail("DisplayCurrencyIso", errDisplayCurrency, req.DisplayCurrencyIso)
		} else {
			out.display = cur
		}
	}
	valueOK := false
	if !req.InvoiceValue.set() {
		fail("InvoiceValue", errRequired, "InvoiceValue")
	} else if v, err := parseDecimal(string(req.InvoiceValue), out.display); errors.Is(err, money.ErrPrecision) {
		fail("InvoiceValue", errPrecisionMsg, out.display.Code, out.display.Exponent)
	} else if err != nil || v.Sign() <= 0 {
		fail("InvoiceValue", errInvoiceValue)
	} else {
		out.value, valueOK = v, true
		out.base = convert(v, m.Base, rate(out.display.Code, m.Base.Code))
		if out.base.Sign() <= 0 {
			fail("InvoiceValue", errInvoiceValue)
			valueOK = false
		}
	}

	// PaymentMethodId / SessionId.
	if send {
		n := strings.ToUpper(strings.TrimSpace(req.NotificationOption))
		switch n {
		case "LNK", "SMS", "EML", "ALL":
			out.notify = map[string]string{"LNK": "Lnk", "SMS": "SMS", "EML": "EML", "ALL": "ALL"}[n]
		case "":
			fail("NotificationOption", errRequired, "NotificationOption")
		default:
			fail("NotificationOption", errNotification)
		}
		if strings.TrimSpace(req.CustomerName) == "" {
			fail("CustomerName", errRequired, "CustomerName")
		}
		if (out.notify == "EML" || out.notify == "ALL") && req.CustomerEmail == "" {
			fail("CustomerEmail", errNeedEmail, out.notify)
		}
		if (out.notify == "SMS" || out.notify == "ALL") && req.CustomerMobile == "" {
			fail("CustomerMobile", errNeedMobile, out.notify)
		}
	} else {
		hasID, hasSession := req.PaymentMethodID.set() && string(req.PaymentMethodID) != "0", strings.TrimSpace(req.SessionID) != ""
		switch {
		case hasID && hasSession:
			fail("PaymentMethodId", errOneOf)
		case !hasID && !hasSession:
			fail("PaymentMethodId", errNeitherOf)
		case hasID:
			id, ok := req.PaymentMethodID.int()
			pm, found := methodByID(int(id))
			if !ok || !found || !m.enabled(pm) {
				fail("PaymentMethodId", errMethod, string(req.PaymentMethodID))
			} else {
				out.method, out.hasMethod = pm, true
			}
		default:
			out.method, _ = methodByID(2) // an embedded card session
			out.hasMethod = true
		}
	}

	// URLs.
	for _, u := range []struct{ name, v string }{{"CallBackUrl", req.CallBackURL}, {"ErrorUrl", req.ErrorURL}, {"WebhookUrl", req.WebhookURL}} {
		if u.v == "" {
			continue
		}
		switch {
		case utf8.RuneCountInString(u.v) > 254:
			fail(u.name, errURLLength, u.name)
		case !isHTTPURL(u.v):
			fail(u.name, errURLForm, u.name)
		case isLocalhost(u.v):
			fail(u.name, errLocalhost, u.name)
		}
	}

	// Customer.
	if req.CustomerMobile != "" {
		if utf8.RuneCountInString(req.CustomerMobile) > 11 {
			fail("CustomerMobile", errMobileLength)
		} else if !mobileRe.MatchString(req.CustomerMobile) {
			fail("CustomerMobile", errMobilePattern)
		}
	}
	if req.MobileCountryCode != "" && !mobileCountryRe.MatchString(req.MobileCountryCode) {
		fail("MobileCountryCode", errMobileCountry)
	}
	if req.CustomerEmail != "" && !emailRe.MatchString(req.CustomerEmail) {
		fail("CustomerEmail", errEmail)
	}
	if utf8.RuneCountInString(req.UserDefinedField) > 500 {
		fail("UserDefinedField", errUDF)
	}
	switch strings.ToUpper(req.Language) {
	case "", "EN", "AR":
	default:
		fail("Language", errLanguage)
	}

	// Expiry.
	out.expiry = now.Add(m.Settings.invoiceExpiry)
	if req.ExpiryDate != "" && !strings.HasPrefix(req.ExpiryDate, "0001-01-01") {
		t, ok := parseExpiryDate(req.ExpiryDate, m.Country.Zone)
		switch {
		case !ok:
			fail("ExpiryDate", errExpiryFormat)
		case !t.After(now):
			fail("ExpiryDate", errExpiryPast)
		default:
			out.expiry = t
		}
	}

	// Items.
	shipping := req.ShippingMethod.set()
	total := Amount{Currency: out.display}
	itemsOK := true
	for i, it := range req.InvoiceItems {
		name := fmt.Sprintf("InvoiceItems[%d]", i)
		if strings.TrimSpace(it.ItemName) == "" {
			fail(name+".ItemName", errRequired, "ItemName")
		}
		q, ok := it.Quantity.int()
		if !it.Quantity.set() || !ok || q <= 0 || q > 1_000_000 {
			fail(name+".Quantity", errItemQuantity)
			itemsOK = false
		}
		price, err := parseDecimal(string(it.UnitPrice), out.display)
		if !it.UnitPrice.set() || err != nil || price.Sign() < 0 {
			fail(name+".UnitPrice", errItemPrice)
			itemsOK = false
		}
		li := lineItem{Name: it.ItemName, Quantity: q, Price: price}
		for _, d := range []struct {
			field string
			v     num
			max   string
			dst   **string
		}{{"Weight", it.Weight, "100", &li.Weight}, {"Width", it.Width, "200", &li.Width}, {"Height", it.Height, "160", &li.Height}, {"Depth", it.Depth, "200", &li.Depth}} {
			if !d.v.set() || !shipping && ratOf(string(d.v)).Sign() == 0 && isNumber(string(d.v)) {
				continue // 0 means "not given" outside shipping invoices (see doc.go)
			}
			r, okR := new(big.Rat).SetString(string(d.v))
			if !okR || r.Sign() <= 0 || r.Cmp(ratOf(d.max)) > 0 {
				fail(name+"."+d.field, errRange, d.field, "0", d.max)
				continue
			}
			s := string(d.v)
			*d.dst = &s
		}
		if itemsOK {
			total = add(total, Amount{Minor: price.Minor * q, Currency: out.display})
		}
		out.items = append(out.items, li)
	}
	if len(req.InvoiceItems) > 0 && itemsOK && valueOK && total.Cmp(out.value) != 0 {
		fail("InvoiceItems", errItemsTotal)
	}

	// Shipping.
	if req.ShippingMethod.set() {
		sm, ok := req.ShippingMethod.int()
		if !ok || (sm != 1 && sm != 2) {
			fail("ShippingMethod", errShippingMethod)
		}
		if c := req.ShippingConsignee.V; c == nil {
			fail("ShippingConsignee", errConsignee)
		} else {
			for _, f := range []struct{ name, v string }{{"PersonName", c.PersonName}, {"Mobile", c.Mobile}, {"LineAddress", c.LineAddress}, {"CityName", c.CityName}, {"CountryCode", c.CountryCode}} {
				if strings.TrimSpace(f.v) == "" {
					fail("ShippingConsignee."+f.name, errRequired, f.name)
				}
			}
		}
		dims := len(req.InvoiceItems) > 0
		for _, it := range req.InvoiceItems {
			for _, d := range []num{it.Weight, it.Width, it.Height, it.Depth} {
				if !d.set() || ratOf(string(d)).Sign() == 0 {
					dims = false
				}
			}
		}
		if !dims {
			fail("InvoiceItems", errShippingItems)
		}
	}

	// Suppliers.
	shares := Amount{Currency: out.display}
	sharesOK := len(req.Suppliers) > 0
	for i, s := range req.Suppliers {
		name := fmt.Sprintf("Suppliers[%d]", i)
		code, ok := s.SupplierCode.int()
		if !s.SupplierCode.set() || !ok || !m.suppliers[int(code)] {
			fail(name+".SupplierCode", errSupplierCode, string(s.SupplierCode))
		}
		share, err := parseDecimal(string(s.InvoiceShare), out.display)
		if !s.InvoiceShare.set() || err != nil || share.Sign() <= 0 {
			fail(name+".InvoiceShare", errRequired, "InvoiceShare")
			sharesOK = false
			continue
		}
		ss := supplierShare{Code: int(code), Share: share}
		if s.ProposedShare.set() {
			prop, err := parseDecimal(string(s.ProposedShare), out.display)
			if err != nil || prop.Sign() < 0 || prop.Cmp(share) > 0 {
				fail(name+".ProposedShare", errProposedShare)
			} else {
				ss.Proposed = &prop
			}
		}
		shares = add(shares, share)
		out.suppliers = append(out.suppliers, ss)
	}
	if sharesOK && valueOK && shares.Cmp(out.value) != 0 {
		fail("Suppliers", errSupplierShares)
	}

	// Recurring.
	if rm := req.RecurringModel; rm != nil {
		rc := &recurring{RetryCount: 0}
		switch strings.ToLower(rm.RecurringType) {
		case "custom":
			rc.Type = "Custom"
			d, ok := rm.IntervalDays.int()
			if !rm.IntervalDays.set() || !ok || d < 1 || d > 180 {
				fail("RecurringModel.IntervalDays", errIntervalDays)
			}
			rc.Interval = int(d)
		case "daily":
			rc.Type, rc.Interval = "Daily", 1
		case "weekly":
			rc.Type, rc.Interval = "Weekly", 7
		case "monthly":
			rc.Type = "Monthly"
		default:
			fail("RecurringModel.RecurringType", errRecurringType)
		}
		if rm.Iteration.set() {
			n, ok := rm.Iteration.int()
			if !ok || n < 0 || n > 10000 {
				fail("RecurringModel.Iteration", errIteration)
			}
			rc.Iteration = int(n)
		}
		if rm.RetryCount.set() {
			n, ok := rm.RetryCount.int()
			if !ok || n < 1 || n > 5 {
				fail("RecurringModel.RetryCount", errRetryCount)
			}
			rc.RetryCount = int(n)
		}
		if !send && out.hasMethod && !out.method.Recurring {
			fail("RecurringModel", errRecurringMethod)
		}
		out.recurring = rc
	}

	// ProcessingDetails.
	out.autoCapture = true
	if pd := req.ProcessingDetails; pd != nil {
		if pd.AutoCapture.Set && !pd.AutoCapture.V {
			out.autoCapture = false
			if !send && out.hasMethod && !out.method.Authorize {
				fail("ProcessingDetails.AutoCapture", errAutoCapture, out.method.En)
			}
		}
		if pd.Bypass3DS.Set && pd.Bypass3DS.V {
			if !m.Settings.bypass3DS {
				fail("ProcessingDetails.Bypass3DS", errBypass3DS)
			}
			out.bypass3DS = true
		}
	}
	return out, errs
}

func (m *merchant) enabled(pm paymentMethod) bool {
	return pm.Countries == "" || strings.Contains(pm.Countries, m.Country.Code)
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Hostname() != ""
}

func isLocalhost(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// parseExpiryDate reads ExpiryDate: the library's "2006-01-02T15:04:05" in
// the vendor's time zone, or any RFC 3339 instant.
func parseExpiryDate(s string, zone *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, zone); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// executePayment handles POST /v2/ExecutePayment.
func (p *Provider) executePayment(r *http.Request, m *merchant) (any, error) {
	var req invoiceRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	v, errs := p.validate(m, &req, false)
	if len(errs) > 0 {
		return nil, fieldsErr(errs)
	}
	if req.SessionID != "" {
		s := m.sessions[strings.TrimSpace(req.SessionID)]
		if s == nil || s.Used || !m.clock.Now().Before(s.Expires) {
			return nil, apiErr(CodeSessionInvalid, "Invalid or expired SessionId.")
		}
		s.Used = true
	}
	inv := p.newInvoiceLocked(m, &req, v, false)
	data := executeData{
		InvoiceID: inv.ID, IsDirectPayment: false, PaymentURL: p.pageURL(inv),
		CustomerReference: nullable(req.CustomerReference), UserDefinedField: nullable(req.UserDefinedField),
		RecurringID: "",
	}
	if inv.Recurring != nil {
		data.RecurringID = inv.Recurring.ID
	}
	return okEnvelope("Invoice Created Successfully!", data), nil
}

type executeData struct {
	InvoiceID         int64   `json:"InvoiceId"`
	IsDirectPayment   bool    `json:"IsDirectPayment"`
	PaymentURL        string  `json:"PaymentURL"`
	CustomerReference *string `json:"CustomerReference"`
	UserDefinedField  *string `json:"UserDefinedField"`
	RecurringID       string  `json:"RecurringId"`
}

// sendPayment handles POST /v2/SendPayment.
func (p *Provider) sendPayment(r *http.Request, m *merchant) (any, error) {
	var req invoiceRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	v, errs := p.validate(m, &req, true)
	if len(errs) > 0 {
		return nil, fieldsErr(errs)
	}
	inv := p.newInvoiceLocked(m, &req, v, true)
	return okEnvelope("Invoice Created Successfully!", sendData{
		InvoiceID: inv.ID, InvoiceURL: p.pageURL(inv),
		CustomerReference: nullable(req.CustomerReference), UserDefinedField: nullable(req.UserDefinedField),
	}), nil
}

type sendData struct {
	InvoiceID         int64   `json:"InvoiceId"`
	InvoiceURL        string  `json:"InvoiceURL"`
	CustomerReference *string `json:"CustomerReference"`
	UserDefinedField  *string `json:"UserDefinedField"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (p *Provider) pageURL(inv *invoice) string {
	return p.deps.BaseURL() + "/pay/" + inv.PageKey
}

// newInvoiceLocked stores a validated invoice and arms its expiry.
func (p *Provider) newInvoiceLocked(m *merchant, req *invoiceRequest, v parsed, send bool) *invoice {
	st := m.st
	step := 1 + int64(st.ids.IntN(7))
	p.objMu.Lock()
	st.nextInvoice += step
	id := st.nextInvoice
	p.objMu.Unlock()
	now := m.clock.Now()
	inv := &invoice{
		ID: id, PageKey: p.secretToken(16), m: m, Status: InvoicePending,
		Created: now, Expiry: v.expiry, Value: v.value, Base: v.base, Send: send,
		SessionID: req.SessionID, Req: *req, Items: v.items, Suppliers: v.suppliers,
		AutoCapture: v.autoCapture, Bypass3DS: v.bypass3DS,
	}
	inv.Req.InvoiceItems, inv.Req.Suppliers = nil, nil
	inv.Reference = fmt.Sprintf("%d%06d", now.In(m.Country.Zone).Year(), inv.ID%1000000)
	if v.hasMethod && !send {
		inv.MethodID = v.method.ID
	}
	if v.recurring != nil && !send {
		rc := v.recurring
		rc.ID = "RECUR" + st.ids.Digits(10)
		rc.Status, rc.initial, rc.m = RecurringPending, inv, m
		inv.Recurring = rc
	}
	inv.touched = now
	p.addInvoiceLocked(m, inv)
	p.objMu.Lock()
	st.invoices[inv.ID] = inv
	st.byPageKey[inv.PageKey] = inv
	if rc := inv.Recurring; rc != nil {
		st.recurrings[rc.ID] = rc
	}
	p.objMu.Unlock()
	if ref := req.CustomerReference; ref != "" {
		m.byRef[ref] = append(m.byRef[ref], inv)
	}
	inv.expiryTimer = p.afterLocked(m, inv.Expiry.Sub(now), func() { p.expireLocked(inv) })
	return inv
}

// expireLocked expires a still-pending invoice.
func (p *Provider) expireLocked(inv *invoice) bool {
	if !p.closeLocked(inv, EvExpire) {
		return false
	}
	// An invoice expired early (control action) now shows the moment it
	// expired as ExpiryDate/ExpiryTime: the official library decides
	// "Expired" by comparing them with its clock, not by InvoiceStatus.
	if now := inv.m.clock.Now(); now.Before(inv.Expiry) {
		inv.Expiry = now
	}
	return true
}

// closeLocked ends a pending invoice (expire, or cancel by the merchant):
// attempts in progress fail, a schedule waiting for it is canceled.
func (p *Provider) closeLocked(inv *invoice, ev Event) bool {
	if fire(p, inv.m, invoiceFSM, &inv.Status, ev) != nil {
		return false
	}
	if inv.expiryTimer != nil {
		inv.expiryTimer.Stop()
	}
	p.changedLocked(inv)
	for _, tx := range inv.Txs {
		if tx.Status == TxInProgress {
			p.failTxLocked(inv, tx, outcome{Error: "Invoice " + strings.ToLower(string(inv.Status)), Code: "MF010"})
		}
	}
	if rc := inv.Recurring; rc != nil && rc.Status == RecurringPending && rc.initial == inv {
		_ = fire(p, rc.m, recurringFSM, &rc.Status, EvCancel)
		p.recurringChangedLocked(rc)
	}
	return true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func isNumber(s string) bool {
	_, ok := new(big.Rat).SetString(s)
	return ok
}
