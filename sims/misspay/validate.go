package misspay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/money"
)

// sar is the one currency MIS Pay takes. Amounts are money.Amount (whole
// halalas); on the wire they are JSON numbers in riyals without trailing
// zeros (money.ShortJSON), the way MIS Pay's Node service writes them.
var sar = money.MustCurrency("SAR")

// zero is 0 SAR.
var zero = money.FromMinor(0, sar)

// amountRe accepts non-negative decimals with at most 12 integer digits
// and at most two significant fraction digits: more are allowed when they
// are zeros, as shops send DECIMAL(x,4) columns ("1073.5300", Magento).
var amountRe = regexp.MustCompile(`^\d{1,12}(\.\d{1,2}0*)?$`)

func parseAmount(s string) (money.Amount, bool) {
	s = strings.TrimSpace(s)
	if !amountRe.MatchString(s) {
		return zero, false
	}
	a, err := money.ParseDecimal(s, sar)
	return a, err == nil
}

// mobileRe is the documented mobile formats: 05XXXXXXXX, 9665XXXXXXXX and
// +9665XXXXXXXX.
var mobileRe = regexp.MustCompile(`^(05\d{8}|9665\d{8}|\+9665\d{8})$`)

// quantityRe is a decimal quantity: Magento sends qty_ordered as "2.0000",
// and items sold by weight have fractions.
var quantityRe = regexp.MustCompile(`^\d{1,6}(\.\d+)?$`)

// quantity checks a quantity string and returns it for display, without
// insignificant zeros ("2.0000" -> "2"); ok is false unless it is a
// positive number.
func quantity(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !quantityRe.MatchString(s) {
		return "", false
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s = strings.TrimLeft(s, "0"); s == "" {
		return "", false
	}
	if s[0] == '.' {
		s = "0" + s
	}
	return s, true
}

// fields reads a JSON object field by field, keeping the first problem.
type fields struct {
	raw map[string]json.RawMessage
	// The path of the object in the body ("customerDetails.",
	// "orderDetails.items[0]."), built only for a message: parent's path,
	// then key, then [index] when index >= 0.
	parent *fields
	key    string
	index  int
	err    *apiError
}

func (f *fields) fail(format string, args ...any) {
	if f.err == nil {
		f.err = apiErr(ME97, format, args...)
	}
}

func (f *fields) name(n string) string { return f.path() + n }

// path is the prefix of the object's field names in messages.
func (f *fields) path() string {
	if f.parent == nil {
		return ""
	}
	p := f.parent.path() + f.key
	if f.index >= 0 {
		p += "[" + strconv.Itoa(f.index) + "]"
	}
	return p + "."
}

// present reports whether name is there and not null.
func (f *fields) present(name string) bool {
	v, ok := f.raw[name]
	return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

func (f *fields) str(name string, required bool) string {
	if !f.present(name) {
		if required {
			f.fail("%s is mandatory", f.name(name))
		}
		return ""
	}
	s, ok := plainString(f.raw[name])
	if !ok {
		var u string // its own variable: &u escapes, s need not
		if err := json.Unmarshal(f.raw[name], &u); err != nil {
			f.fail("%s must be a string", f.name(name))
			return ""
		}
		s = u
	}
	if required && strings.TrimSpace(s) == "" {
		f.fail("%s must not be empty", f.name(name))
	}
	return s
}

// plainString is the text of a JSON string without escapes, control
// characters or invalid UTF-8, which is its raw bytes between the quotes:
// the common case, decoded without json.Unmarshal. false sends anything
// else to json.Unmarshal.
func plainString(raw json.RawMessage) (string, bool) {
	if !isPlainString(raw) {
		return "", false
	}
	return string(raw[1 : len(raw)-1]), true
}

func isPlainString(raw json.RawMessage) bool {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return false
	}
	in := raw[1 : len(raw)-1]
	for _, c := range in {
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
	}
	return utf8.Valid(in)
}

// money reads a string that must hold an amount.
func (f *fields) money(name string, required bool) money.Amount {
	s := f.str(name, required)
	if s == "" {
		return zero
	}
	a, ok := parseAmount(s)
	if !ok {
		f.fail("%s must be a string holding a non-negative number with at most 2 decimals (more only if they are zeros), got %q", f.name(name), s)
	}
	return a
}

// priceRe accepts any non-negative decimal: unit prices are not summed,
// and shops store them with more decimals (OpenCart sends "500.0000").
var priceRe = regexp.MustCompile(`^\d{1,12}(\.\d+)?$`)

// price reads a mandatory string holding a unit price, rounded to halalas.
func (f *fields) price(name string) money.Amount {
	s := strings.TrimSpace(f.str(name, true))
	if s == "" {
		return zero
	}
	a, err := money.ParseRounded(s, sar)
	if !priceRe.MatchString(s) || err != nil {
		f.fail("%s must be a string holding a non-negative number, got %q", f.name(name), s)
		return zero
	}
	return a
}

// moneyAny reads an amount given as a JSON number or a numeric string (the
// v1.1 body sends a number).
func (f *fields) moneyAny(name string) money.Amount {
	if !f.present(name) {
		f.fail("%s is mandatory", f.name(name))
		return zero
	}
	var n json.Number
	if err := json.Unmarshal(f.raw[name], &n); err == nil {
		// A JSON number as PHP's (float) cast produces it: any finite,
		// non-negative value, rounded to halalas, exactly.
		a, err := money.ParseRounded(n.String(), sar)
		if err != nil || a.Sign() < 0 || a.Minor > 1e14 {
			f.fail("%s must be a non-negative number, got %s", f.name(name), n)
			return zero
		}
		return a
	}
	return f.money(name, true)
}

func (f *fields) object(name string, required bool) *fields {
	sub := &fields{parent: f, key: name, index: -1}
	if !f.present(name) {
		if required {
			f.fail("%s is mandatory", f.name(name))
		}
		return nil
	}
	raw, ok := splitObject(f.raw[name])
	if !ok {
		f.fail("%s must be an object", f.name(name))
		return nil
	}
	sub.raw = raw
	return sub
}

// merge copies a sub-object's first problem up.
func (f *fields) merge(sub *fields) {
	if sub != nil && sub.err != nil && f.err == nil {
		f.err = sub.err
	}
}

func (f *fields) boolean(name string) bool {
	if !f.present(name) {
		return false
	}
	var b bool
	if err := json.Unmarshal(f.raw[name], &b); err != nil {
		f.fail("%s must be a boolean", f.name(name))
	}
	return b
}

func (f *fields) optionalStrings(names ...string) {
	for _, n := range names {
		if f.present(n) && isPlainString(f.raw[n]) {
			continue // a string, and its text is not kept: nothing to copy
		}
		f.str(n, false)
	}
}

type item struct {
	ID          string          `json:"id,omitempty"`
	SKU         string          `json:"sku,omitempty"`
	NameArabic  string          `json:"nameArabic,omitempty"`
	NameEnglish string          `json:"nameEnglish,omitempty"`
	Quantity    string          `json:"quantity"`
	UnitPrice   money.ShortJSON `json:"unitPrice"`
	ImageURL    string          `json:"imageUrl,omitempty"`
}

type customer struct {
	ID, FirstName, LastName, MobileNumber, Email string
}

type startRequest struct {
	OrderID, InvoiceID, Currency, Lang, Version string
	// CallbackURI is the per-checkout return URL the Magento
	// dynamic-callback plugin sends; it overrides the merchant's.
	CallbackURI string
	// Warning explains a documented rule the request breaks that the fake
	// tolerates; it is sent in the detail header of the success.
	Warning                                   string
	PurchaseAmount, TotalPrice, Shipping, VAT money.Amount
	Discount                                  money.Amount
	Items                                     []item
	Customer                                  customer
}

// Supported request versions: v1.2 is the documented body; v1.1 is the
// short body the public WooCommerce and Magento plugins still send.
const (
	versionV11 = "v1.1"
	versionV12 = "v1.2"
)

// parseStartCheckout validates a start-checkout body; see doc.go for rules.
func parseStartCheckout(raw map[string]json.RawMessage) (startRequest, error) {
	f := &fields{raw: raw}
	var req startRequest
	req.Version = f.str("version", true)
	if f.err == nil && req.Version != versionV11 && req.Version != versionV12 {
		f.fail("version must be %q or %q, got %q", versionV12, versionV11, req.Version)
	}
	req.OrderID = f.str("orderId", true)
	if e := checkOrderID(req.OrderID); e != nil && f.err == nil {
		f.err = e
	}
	req.Currency = f.str("purchaseCurrency", true)
	if f.err == nil && req.Currency != "SAR" {
		f.fail("purchaseCurrency must be \"SAR\", got %q", req.Currency)
	}
	// v1.1 bodies of the WooCommerce plugin carry no lang.
	req.Lang = f.str("lang", req.Version != versionV11)
	if f.err == nil && req.Lang != "" && req.Lang != "en" && req.Lang != "ar" {
		f.fail("lang must be \"en\" or \"ar\", got %q", req.Lang)
	}
	if req.Lang == "" {
		req.Lang = "en"
	}
	req.CallbackURI = f.str("callbackUri", false)
	if f.err == nil && req.CallbackURI != "" {
		if u, err := url.Parse(req.CallbackURI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.fail("callbackUri must be an absolute http(s) URL, got %q", req.CallbackURI)
		}
	}
	if f.err != nil {
		return req, f.err
	}
	if req.Version == versionV11 {
		req.PurchaseAmount = f.moneyAny("purchaseAmount")
		if f.err == nil && req.PurchaseAmount.Sign() <= 0 {
			f.fail("purchaseAmount must be greater than 0")
		}
		if f.err != nil {
			return req, f.err
		}
		return req, nil
	}

	req.InvoiceID = f.str("invoiceId", false)
	f.str("serialNumber", false)
	req.TotalPrice = f.money("totalPrice", true)
	req.Shipping = f.money("shippingAmount", true)
	req.VAT = f.money("vat", true)
	req.PurchaseAmount = f.money("purchaseAmount", true)
	f.boolean("isMobile")
	if d := f.object("discount", false); d != nil {
		if p := d.money("percentage", false); p.Minor > 100*100 {
			d.fail("discount.percentage must be at most 100")
		}
		req.Discount = d.money("amount", false)
		d.str("voucherName", false)
		f.merge(d)
	}
	if f.err == nil && req.PurchaseAmount.Sign() <= 0 {
		f.fail("purchaseAmount must be greater than 0")
	}
	// The documented sum is not enforced: MIS Pay's own Magento extension
	// sends purchaseAmount rounded to one decimal and no discount. A
	// mismatch is reported as a warning.
	if want := money.FromMinor(req.TotalPrice.Minor+req.Shipping.Minor+req.VAT.Minor-req.Discount.Minor, sar); f.err == nil && req.PurchaseAmount != want {
		req.Warning = fmt.Sprintf("accepted, but purchaseAmount %s differs from totalPrice + shippingAmount + vat - discount.amount = %s", req.PurchaseAmount.Short(), want.Short())
	}
	if cd := f.object("customerDetails", true); cd != nil {
		// Any text: the Magento extension sends the billing telephone as
		// typed, the OpenCart plugin "" for numbers it does not recognise.
		req.Customer.MobileNumber = cd.str("mobileNumber", false)
		if cd.err == nil && !mobileRe.MatchString(req.Customer.MobileNumber) && req.Warning == "" {
			req.Warning = fmt.Sprintf("accepted, but customerDetails.mobileNumber %q is none of the documented formats 05XXXXXXXX, 9665XXXXXXXX, +9665XXXXXXXX", req.Customer.MobileNumber)
		}
		req.Customer.ID = cd.str("id", false)
		req.Customer.FirstName = cd.str("firstName", false)
		req.Customer.LastName = cd.str("lastName", false)
		req.Customer.Email = cd.str("email", false)
		f.merge(cd)
	}
	if od := f.object("orderDetails", true); od != nil {
		req.Items = parseItems(od)
		f.merge(od)
	}
	if sd := f.object("shippingDetails", false); sd != nil {
		sd.optionalStrings("firstName", "lastName", "countryCode", "city", "district", "line1", "line2", "gpsCoordinates")
		f.merge(sd)
	}
	if f.err != nil {
		return req, f.err
	}
	return req, nil
}

func parseItems(od *fields) []item {
	if !od.present("items") {
		od.fail("orderDetails.items is mandatory")
		return nil
	}
	raw, ok := splitObjects(od.raw["items"])
	if !ok {
		od.fail("orderDetails.items must be an array of objects")
		return nil
	}
	if len(raw) == 0 {
		od.fail("orderDetails.items must not be empty")
		return nil
	}
	items := make([]item, 0, len(raw))
	for i, r := range raw {
		f := &fields{raw: r, parent: od, key: "items", index: i}
		it := item{
			ID: f.str("id", false), SKU: f.str("sku", false),
			NameArabic: f.str("nameArabic", false), NameEnglish: f.str("nameEnglish", false),
			UnitPrice: money.ShortJSON(f.price("unitPrice")),
		}
		q := f.str("quantity", true)
		if f.err == nil {
			var ok bool
			if it.Quantity, ok = quantity(q); !ok {
				f.fail("%squantity must be a string holding a positive number, got %q", f.path(), q)
			}
		}
		if f.err == nil && strings.TrimSpace(it.NameArabic) == "" && strings.TrimSpace(it.NameEnglish) == "" {
			f.fail("%snameArabic or %snameEnglish is required", f.path(), f.path())
		}
		f.str("itemUrl", false)
		it.ImageURL = f.str("imageUrl", false)
		od.merge(f)
		items = append(items, it)
	}
	return items
}

func checkOrderID(id string) *apiError {
	if strings.TrimSpace(id) == "" {
		return apiErr(ME97, "orderId is mandatory")
	}
	if len(id) > 255 {
		return apiErr(ME97, "orderId must be at most 255 characters")
	}
	return nil
}

func errorsIsTooLarge(err error) bool { return errors.Is(err, httpx.ErrBodyTooLarge) }
