package misspay

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/money"
)

// sar is the one currency MIS Pay takes. Amounts are money.Amount (whole
// halalas); on the wire they are JSON numbers in riyals without trailing
// zeros (money.ShortJSON), the way MIS Pay's Node service writes them.
var sar = money.MustCurrency("SAR")

// zero is 0 SAR.
var zero = money.FromMinor(0, sar)

// The formats below are written out rather than as regular expressions
// (they are matched several times per request); split_test.go checks each
// against its expression.

// isDigits reports a non-empty run of ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// decimal splits s, a decimal with 1 to maxWhole integer digits and, after
// a point, at least one fraction digit (`^\d{1,maxWhole}(\.\d+)?$`).
func decimal(s string, maxWhole int) (whole, frac string, ok bool) {
	whole, frac, dot := strings.Cut(s, ".")
	if len(whole) > maxWhole || !isDigits(whole) || dot && !isDigits(frac) {
		return "", "", false
	}
	return whole, frac, true
}

// isAmount is `^\d{1,12}(\.\d{1,2}0*)?$`: a non-negative decimal with at
// most 12 integer digits and at most two significant fraction digits; more
// are allowed when they are zeros, as shops send DECIMAL(x,4) columns
// ("1073.5300", Magento).
func isAmount(s string) bool {
	_, frac, ok := decimal(s, 12)
	return ok && (len(frac) <= 2 || strings.Trim(frac[2:], "0") == "")
}

// halalas is the decimal whole.frac (digits) in halalas, the fraction
// rounded half away from zero at its third digit. whole has at most 12
// digits, so it fits.
func halalas(whole, frac string) int64 {
	var v int64
	for i := 0; i < len(whole); i++ {
		v = v*10 + int64(whole[i]-'0')
	}
	for i := 0; i < 2; i++ {
		v *= 10
		if i < len(frac) {
			v += int64(frac[i] - '0')
		}
	}
	if len(frac) > 2 && frac[2] >= '5' {
		v++
	}
	return v
}

func parseAmount(s string) (money.Amount, bool) {
	s = strings.TrimSpace(s)
	if !isAmount(s) {
		return zero, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	return money.FromMinor(halalas(whole, frac), sar), true
}

// isMobile is one of the documented mobile formats
// `^(05\d{8}|9665\d{8}|\+9665\d{8})$`.
func isMobile(s string) bool {
	switch {
	case len(s) == 10 && strings.HasPrefix(s, "05"):
		return isDigits(s[2:])
	case len(s) == 12 && strings.HasPrefix(s, "9665"):
		return isDigits(s[4:])
	case len(s) == 13 && strings.HasPrefix(s, "+9665"):
		return isDigits(s[5:])
	}
	return false
}

// quantity checks a quantity string and returns it for display, without
// insignificant zeros ("2.0000" -> "2"); ok is false unless it is a
// positive number.
func quantity(s string) (string, bool) {
	s = strings.TrimSpace(s)
	// `^\d{1,6}(\.\d+)?$`: Magento sends qty_ordered as "2.0000", and
	// items sold by weight have fractions.
	if _, _, ok := decimal(s, 6); !ok {
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
	d   *doc
	obj int32 // the object's index in d; -1: none (null), no fields
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

// get is name's value when it is there and not null.
func (f *fields) get(name string) (value, bool) {
	v, ok := f.d.lookup(f.obj, name)
	return v, ok && v.kind != kindNull
}

func (f *fields) str(name string, required bool) string {
	v, ok := f.get(name)
	if !ok {
		if required {
			f.fail("%s is mandatory", f.name(name))
		}
		return ""
	}
	var s string
	if v.plain {
		// Its raw bytes between the quotes are its text: the common case,
		// decoded without json.Unmarshal.
		s = f.d.text(v)
	} else {
		var u string // its own variable: &u escapes, s need not
		if err := json.Unmarshal(f.d.raw(v), &u); err != nil {
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

// skip checks that optional fields are strings, keeping nothing.
func (f *fields) skip(names ...string) {
	for _, n := range names {
		if v, ok := f.get(n); ok && v.plain {
			continue // a string, and its text is not kept: nothing to copy
		}
		f.str(n, false)
	}
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

// price reads a mandatory string holding a unit price, rounded to halalas:
// any non-negative decimal, as unit prices are not summed, and shops store
// them with more decimals (OpenCart sends "500.0000").
func (f *fields) price(name string) money.Amount {
	s := strings.TrimSpace(f.str(name, true))
	if s == "" {
		return zero
	}
	// `^\d{1,12}(\.\d+)?$`, rounded half away from zero, as
	// money.ParseRounded rounds.
	whole, frac, ok := decimal(s, 12)
	if !ok {
		f.fail("%s must be a string holding a non-negative number, got %q", f.name(name), s)
		return zero
	}
	return money.FromMinor(halalas(whole, frac), sar)
}

// moneyAny reads an amount given as a JSON number or a numeric string (the
// v1.1 body sends a number).
func (f *fields) moneyAny(name string) money.Amount {
	v, ok := f.get(name)
	if !ok {
		f.fail("%s is mandatory", f.name(name))
		return zero
	}
	var n json.Number
	if err := json.Unmarshal(f.d.raw(v), &n); err == nil {
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
	v, ok := f.get(name)
	if !ok {
		if required {
			f.fail("%s is mandatory", f.name(name))
		}
		return nil
	}
	if v.kind != kindObject {
		f.fail("%s must be an object", f.name(name))
		return nil
	}
	return &fields{d: f.d, obj: v.ref, parent: f, key: name, index: -1}
}

// merge copies a sub-object's first problem up.
func (f *fields) merge(sub *fields) {
	if sub != nil && sub.err != nil && f.err == nil {
		f.err = sub.err
	}
}

func (f *fields) boolean(name string) bool {
	v, ok := f.get(name)
	if !ok {
		return false
	}
	switch string(f.d.raw(v)) {
	case "true":
		return true
	case "false":
		return false
	}
	f.fail("%s must be a boolean", f.name(name))
	return false
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
func parseStartCheckout(f *fields) (startRequest, error) {
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
	f.skip("serialNumber")
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
		d.skip("voucherName")
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
		if cd.err == nil && !isMobile(req.Customer.MobileNumber) && req.Warning == "" {
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
		sd.skip("firstName", "lastName", "countryCode", "city", "district", "line1", "line2", "gpsCoordinates")
		f.merge(sd)
	}
	if f.err != nil {
		return req, f.err
	}
	return req, nil
}

func parseItems(od *fields) []item {
	v, ok := od.get("items")
	if !ok {
		od.fail("orderDetails.items is mandatory")
		return nil
	}
	var raw []value
	if v.kind == kindArray {
		raw = od.d.elements(v.ref)
	}
	for _, e := range raw {
		if e.kind != kindObject && e.kind != kindNull {
			v.kind = 0
		}
	}
	if v.kind != kindArray {
		od.fail("orderDetails.items must be an array of objects")
		return nil
	}
	if len(raw) == 0 {
		od.fail("orderDetails.items must not be empty")
		return nil
	}
	items := make([]item, 0, len(raw))
	for i, r := range raw {
		obj := r.ref // a null item has no fields
		if r.kind != kindObject {
			obj = -1
		}
		f := &fields{d: od.d, obj: obj, parent: od, key: "items", index: i}
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
		f.skip("itemUrl")
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

// compact gives the request's strings, which share the whole body when it
// was decoded with share, one allocation of their own, so a checkout keeps
// its text and not the body. Constant values keep their constants.
func (req *startRequest) compact() {
	n := len(req.OrderID) + len(req.InvoiceID) + len(req.CallbackURI) + len(req.Customer.ID) + len(req.Customer.FirstName) +
		len(req.Customer.LastName) + len(req.Customer.MobileNumber) + len(req.Customer.Email)
	for i := range req.Items {
		it := &req.Items[i]
		n += len(it.ID) + len(it.SKU) + len(it.NameArabic) + len(it.NameEnglish) + len(it.Quantity) + len(it.ImageURL)
	}
	var b strings.Builder
	b.Grow(n)
	// own copies s into b; b never moves, as it was grown to n at once.
	own := func(s *string) {
		if *s == "" {
			return
		}
		start := b.Len()
		b.WriteString(*s)
		*s = b.String()[start:]
	}
	own(&req.OrderID)
	own(&req.InvoiceID)
	own(&req.CallbackURI)
	own(&req.Customer.ID)
	own(&req.Customer.FirstName)
	own(&req.Customer.LastName)
	own(&req.Customer.MobileNumber)
	own(&req.Customer.Email)
	for i := range req.Items {
		it := &req.Items[i]
		own(&it.ID)
		own(&it.SKU)
		own(&it.NameArabic)
		own(&it.NameEnglish)
		own(&it.Quantity)
		own(&it.ImageURL)
	}
	req.Version = intern(req.Version, versionV11, versionV12)
	req.Currency = intern(req.Currency, "SAR")
	req.Lang = intern(req.Lang, "en", "ar")
}

// intern is s, or the equal constant among consts.
func intern(s string, consts ...string) string {
	for _, c := range consts {
		if s == c {
			return c
		}
	}
	return strings.Clone(s)
}
