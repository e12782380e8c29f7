package myfatoorah

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

type pageData struct {
	T                                                              map[string]string // labels in the page's language
	ImgBase                                                        string
	Lang, Title, View, Action, Amount, Message, Card, CustomerName string
	InvoiceID                                                      int64
	Failed, NeedPIN                                                bool
	Method                                                         paymentMethod
	Methods                                                        []paymentMethod
}

func htmlError(status int, msg string) httpx.Response {
	return httpx.HTMLMessage(status, "MyFatoorah", msg)
}

const msgBadLink = "This payment link is not valid."

func (p *Provider) renderPage(d pageData) (httpx.Response, error) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		return httpx.Response{}, err
	}
	return httpx.HTML(http.StatusOK, b.Bytes()), nil
}

func (p *Provider) basePage(inv *invoice) pageData {
	lang := strings.ToLower(inv.Req.Language)
	if lang != "ar" {
		lang = "en"
	}
	return pageData{
		T: labels[lang], ImgBase: p.deps.BaseURL() + "/imgs/payment-methods/",
		Lang: lang, Title: labels[lang]["title"], InvoiceID: inv.ID, CustomerName: inv.Req.CustomerName,
		Amount: inv.Value.Decimal() + " " + displayCode(inv.Value.Currency.Code),
		Action: p.pageURL(inv),
	}
}

// page handles GET /pay/{key}: the hosted payment page at PaymentURL.
func (p *Provider) page(r *http.Request) (httpx.Response, error) {
	inv := p.pageInvoice(mux.Vars(r)["key"])
	if inv == nil {
		return htmlError(http.StatusNotFound, msgBadLink), nil
	}
	defer inv.m.mu.Unlock()
	d := p.basePage(inv)
	if inv.Status != InvoicePending {
		d.Title, d.View = "Invoice "+strings.ToLower(string(inv.Status)), "closed"
		d.Message = "This invoice is " + strings.ToLower(string(inv.Status)) + " and cannot be paid."
		return p.renderPage(d)
	}
	id := inv.MethodID
	if id == 0 {
		id, _ = strconv.Atoi(r.URL.Query().Get("method"))
	}
	pm, ok := methodByID(id)
	if !ok || !inv.m.enabled(pm) {
		d.View, d.Title = "choose", d.T["choose"]
		for _, m := range methods {
			if inv.m.enabled(m) {
				d.Methods = append(d.Methods, m)
			}
		}
		return p.renderPage(d)
	}
	d.Method = pm
	switch pm.ID {
	case 14:
		d.View = "stc"
	case 11, 32:
		d.View = "wallet"
	default:
		d.View, d.NeedPIN = "card", pm.ID == 1 || pm.ID == 5
	}
	if n := len(inv.Txs); n > 0 && inv.Txs[n-1].Status == TxFailed {
		d.Message, d.Failed = "The last attempt failed: "+inv.Txs[n-1].Error+". Please try again.", true
	}
	return p.renderPage(d)
}

// pageSubmit handles POST /pay/{key}: the customer submits the form.
func (p *Provider) pageSubmit(r *http.Request) (httpx.Response, error) {
	if err := parseForm(r); err != nil {
		return htmlError(http.StatusBadRequest, "The form could not be read."), nil
	}
	inv := p.pageInvoice(mux.Vars(r)["key"])
	if inv == nil {
		return htmlError(http.StatusNotFound, msgBadLink), nil
	}
	defer inv.m.mu.Unlock()
	id, _ := strconv.Atoi(r.PostForm.Get("method"))
	pm, ok := methodByID(id)
	if inv.MethodID != 0 {
		pm, ok = methodByID(inv.MethodID)
	}
	if !ok || !inv.m.enabled(pm) {
		return htmlError(http.StatusBadRequest, "Choose a payment method."), nil
	}
	a := attempt{Method: pm, Number: r.PostForm.Get("number"), Expiry: r.PostForm.Get("expiry"), CVV: r.PostForm.Get("cvv"),
		PIN: r.PostForm.Get("pin"), Mobile: r.PostForm.Get("mobile"), OTP: r.PostForm.Get("otp")}
	tx, err := p.startAttemptLocked(inv, a, true)
	if err != nil {
		return htmlError(http.StatusConflict, "This invoice is "+strings.ToLower(string(inv.Status))+" and cannot be paid."), nil
	}
	if tx.Status == TxInProgress {
		return httpx.Redirect(p.pageURL(inv) + "/3ds/" + url.PathEscape(tx.PaymentID)), nil
	}
	return p.afterAttempt(inv, tx)
}

// afterAttempt sends the browser to the merchant, or shows the result.
func (p *Provider) afterAttempt(inv *invoice, tx *transaction) (httpx.Response, error) {
	if u := redirectURL(inv, tx); u != "" {
		return httpx.Redirect(u), nil
	}
	if tx.Status == TxFailed {
		// No ErrorUrl: back to the form, which shows the failure.
		return httpx.Redirect(p.pageURL(inv)), nil
	}
	d := p.basePage(inv)
	d.Title, d.View, d.Message = "Payment successful", "done", "Payment "+tx.PaymentID+" was successful."
	return p.renderPage(d)
}

// pageInvoice finds the invoice of a page key and returns it with its
// merchant's lock held (the caller unlocks inv.m.mu).
func (p *Provider) pageInvoice(key string) *invoice {
	return p.lockInvoice(func(st *state) *invoice { return st.byPageKey[key] })
}

// find3DS finds the invoice and transaction of a 3-D Secure page; the
// invoice comes with its merchant's lock held (the caller unlocks
// inv.m.mu).
func (p *Provider) find3DS(r *http.Request) (*invoice, *transaction) {
	v := mux.Vars(r)
	inv := p.pageInvoice(v["key"])
	if inv == nil {
		return nil, nil
	}
	for _, tx := range inv.Txs {
		if tx.PaymentID == v["paymentId"] {
			return inv, tx
		}
	}
	return inv, nil
}

// page3DS handles GET /pay/{key}/3ds/{paymentId}: the simulated 3-D
// Secure challenge.
func (p *Provider) page3DS(r *http.Request) (httpx.Response, error) {
	inv, tx := p.find3DS(r)
	if inv != nil {
		defer inv.m.mu.Unlock()
	}
	if tx == nil {
		return htmlError(http.StatusNotFound, msgBadLink), nil
	}
	if tx.Status != TxInProgress {
		return p.afterAttempt(inv, tx)
	}
	d := p.basePage(inv)
	d.Title, d.View, d.Card = "3-D Secure", "3ds", tx.Card
	d.Action = p.pageURL(inv) + "/3ds/" + url.PathEscape(tx.PaymentID)
	return p.renderPage(d)
}

// page3DSSubmit handles POST /pay/{key}/3ds/{paymentId}.
func (p *Provider) page3DSSubmit(r *http.Request) (httpx.Response, error) {
	if err := parseForm(r); err != nil {
		return htmlError(http.StatusBadRequest, "The form could not be read."), nil
	}
	inv, tx := p.find3DS(r)
	if inv != nil {
		defer inv.m.mu.Unlock()
	}
	if tx == nil {
		return htmlError(http.StatusNotFound, msgBadLink), nil
	}
	if tx.Status == TxInProgress {
		_ = p.finish3DSLocked(inv, tx, r.PostForm.Get("result") != "fail")
	}
	return p.afterAttempt(inv, tx)
}

func parseForm(r *http.Request) error {
	if r.ContentLength == 0 {
		r.PostForm = url.Values{}
		return nil
	}
	b, err := httpx.ReadBody(r)
	if err != nil {
		return err
	}
	v, err := url.ParseQuery(string(b))
	if err != nil {
		return err
	}
	r.PostForm = v
	return nil
}

// labels are the page's words, by Language (EN or AR).
var labels = map[string]map[string]string{
	"en": {
		"title": "Pay invoice", "invoice": "Invoice", "for": "for", "number": "Card number", "expiry": "Expiry (MM/YY)",
		"pin": "PIN", "cvv": "CVV", "holder": "Name on card", "pay": "Pay", "mobile": "STC Pay mobile number",
		"otp": "One-time password", "payWith": "Pay with", "authenticate": "Authenticate", "cancel": "Cancel",
		"password": "Password", "choose": "Choose a payment method",
	},
	"ar": {
		"title": "دفع الفاتورة", "invoice": "فاتورة", "for": "لـ", "number": "رقم البطاقة", "expiry": "تاريخ الانتهاء (MM/YY)",
		"pin": "الرقم السري", "cvv": "رمز التحقق", "holder": "الاسم على البطاقة", "pay": "ادفع", "mobile": "رقم جوال STC Pay",
		"otp": "رمز التحقق لمرة واحدة", "payWith": "ادفع باستخدام", "authenticate": "تحقق", "cancel": "إلغاء",
		"password": "كلمة المرور", "choose": "اختر طريقة الدفع",
	},
}
