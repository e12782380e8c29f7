package misspay

// The parser as it was before the one-pass doc (commit c81a28f), kept as
// the oracle of FuzzParseLikeBefore: the new one answers every body
// exactly as it did. A deliberate change of what start-checkout accepts
// or says ends this file's use: delete it and the fuzz test then.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
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

// zero is 0 SAR.

// oldAmountRe accepts non-negative decimals with at most 12 integer digits
// and at most two significant fraction digits: more are allowed when they
// are zeros, as shops send DECIMAL(x,4) columns ("1073.5300", Magento).
var oldAmountRe = regexp.MustCompile(`^\d{1,12}(\.\d{1,2}0*)?$`)

func oldParseAmount(s string) (money.Amount, bool) {
	s = strings.TrimSpace(s)
	if !oldAmountRe.MatchString(s) {
		return zero, false
	}
	a, err := money.ParseDecimal(s, sar)
	return a, err == nil
}

// oldMobileRe is the documented mobile formats: 05XXXXXXXX, 9665XXXXXXXX and
// +9665XXXXXXXX.
var oldMobileRe = regexp.MustCompile(`^(05\d{8}|9665\d{8}|\+9665\d{8})$`)

// oldQuantityRe is a decimal oldQuantity: Magento sends qty_ordered as "2.0000",
// and items sold by weight have fractions.
var oldQuantityRe = regexp.MustCompile(`^\d{1,6}(\.\d+)?$`)

// oldQuantity checks a oldQuantity string and returns it for display, without
// insignificant zeros ("2.0000" -> "2"); ok is false unless it is a
// positive number.
func oldQuantity(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !oldQuantityRe.MatchString(s) {
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

// oldFields reads a JSON object field by field, keeping the first problem.
type oldFields struct {
	raw map[string]json.RawMessage
	// The path of the object in the body ("customerDetails.",
	// "orderDetails.items[0]."), built only for a message: parent's path,
	// then key, then [index] when index >= 0.
	parent *oldFields
	key    string
	index  int
	err    *apiError
}

func (f *oldFields) fail(format string, args ...any) {
	if f.err == nil {
		f.err = apiErr(ME97, format, args...)
	}
}

func (f *oldFields) name(n string) string { return f.path() + n }

// path is the prefix of the object's field names in messages.
func (f *oldFields) path() string {
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
func (f *oldFields) present(name string) bool {
	v, ok := f.raw[name]
	return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

func (f *oldFields) str(name string, required bool) string {
	if !f.present(name) {
		if required {
			f.fail("%s is mandatory", f.name(name))
		}
		return ""
	}
	s, ok := oldPlainString(f.raw[name])
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

// oldPlainString is the text of a JSON string without escapes, control
// characters or invalid UTF-8, which is its raw bytes between the quotes:
// the common case, decoded without json.Unmarshal. false sends anything
// else to json.Unmarshal.
func oldPlainString(raw json.RawMessage) (string, bool) {
	if !oldIsPlainString(raw) {
		return "", false
	}
	return string(raw[1 : len(raw)-1]), true
}

func oldIsPlainString(raw json.RawMessage) bool {
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
func (f *oldFields) money(name string, required bool) money.Amount {
	s := f.str(name, required)
	if s == "" {
		return zero
	}
	a, ok := oldParseAmount(s)
	if !ok {
		f.fail("%s must be a string holding a non-negative number with at most 2 decimals (more only if they are zeros), got %q", f.name(name), s)
	}
	return a
}

// oldPriceRe accepts any non-negative decimal: unit prices are not summed,
// and shops store them with more decimals (OpenCart sends "500.0000").
var oldPriceRe = regexp.MustCompile(`^\d{1,12}(\.\d+)?$`)

// price reads a mandatory string holding a unit price, rounded to halalas.
func (f *oldFields) price(name string) money.Amount {
	s := strings.TrimSpace(f.str(name, true))
	if s == "" {
		return zero
	}
	a, err := money.ParseRounded(s, sar)
	if !oldPriceRe.MatchString(s) || err != nil {
		f.fail("%s must be a string holding a non-negative number, got %q", f.name(name), s)
		return zero
	}
	return a
}

// moneyAny reads an amount given as a JSON number or a numeric string (the
// v1.1 body sends a number).
func (f *oldFields) moneyAny(name string) money.Amount {
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

func (f *oldFields) object(name string, required bool) *oldFields {
	sub := &oldFields{parent: f, key: name, index: -1}
	if !f.present(name) {
		if required {
			f.fail("%s is mandatory", f.name(name))
		}
		return nil
	}
	raw, ok := oldSplitObject(f.raw[name])
	if !ok {
		f.fail("%s must be an object", f.name(name))
		return nil
	}
	sub.raw = raw
	return sub
}

// merge copies a sub-object's first problem up.
func (f *oldFields) merge(sub *oldFields) {
	if sub != nil && sub.err != nil && f.err == nil {
		f.err = sub.err
	}
}

func (f *oldFields) boolean(name string) bool {
	if !f.present(name) {
		return false
	}
	var b bool
	if err := json.Unmarshal(f.raw[name], &b); err != nil {
		f.fail("%s must be a boolean", f.name(name))
	}
	return b
}

func (f *oldFields) optionalStrings(names ...string) {
	for _, n := range names {
		if f.present(n) && oldIsPlainString(f.raw[n]) {
			continue // a string, and its text is not kept: nothing to copy
		}
		f.str(n, false)
	}
}

// Supported request versions: v1.2 is the documented body; v1.1 is the
// short body the public WooCommerce and Magento plugins still send.

// oldParseStartCheckout validates a start-checkout body; see doc.go for rules.
func oldParseStartCheckout(raw map[string]json.RawMessage) (startRequest, error) {
	f := &oldFields{raw: raw}
	var req startRequest
	req.Version = f.str("version", true)
	if f.err == nil && req.Version != versionV11 && req.Version != versionV12 {
		f.fail("version must be %q or %q, got %q", versionV12, versionV11, req.Version)
	}
	req.OrderID = f.str("orderId", true)
	if e := oldCheckOrderID(req.OrderID); e != nil && f.err == nil {
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
		if cd.err == nil && !oldMobileRe.MatchString(req.Customer.MobileNumber) && req.Warning == "" {
			req.Warning = fmt.Sprintf("accepted, but customerDetails.mobileNumber %q is none of the documented formats 05XXXXXXXX, 9665XXXXXXXX, +9665XXXXXXXX", req.Customer.MobileNumber)
		}
		req.Customer.ID = cd.str("id", false)
		req.Customer.FirstName = cd.str("firstName", false)
		req.Customer.LastName = cd.str("lastName", false)
		req.Customer.Email = cd.str("email", false)
		f.merge(cd)
	}
	if od := f.object("orderDetails", true); od != nil {
		req.Items = oldParseItems(od)
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

func oldParseItems(od *oldFields) []item {
	if !od.present("items") {
		od.fail("orderDetails.items is mandatory")
		return nil
	}
	raw, ok := oldSplitObjects(od.raw["items"])
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
		f := &oldFields{raw: r, parent: od, key: "items", index: i}
		it := item{
			ID: f.str("id", false), SKU: f.str("sku", false),
			NameArabic: f.str("nameArabic", false), NameEnglish: f.str("nameEnglish", false),
			UnitPrice: money.ShortJSON(f.price("unitPrice")),
		}
		q := f.str("quantity", true)
		if f.err == nil {
			var ok bool
			if it.Quantity, ok = oldQuantity(q); !ok {
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

func oldCheckOrderID(id string) *apiError {
	if strings.TrimSpace(id) == "" {
		return apiErr(ME97, "orderId is mandatory")
	}
	if len(id) > 255 {
		return apiErr(ME97, "orderId must be at most 255 characters")
	}
	return nil
}

// The start-checkout body is read field by field (type oldFields). Its
// objects are split into their raw oldFields here, as json.Unmarshal into a
// map[string]json.RawMessage splits them, but without copying each value
// and scanning it again: the hot path of POST /start-checkout.

// oldFastFields splits b into its oldFields when b is one valid JSON object,
// as json.Unmarshal into a map[string]json.RawMessage would; false for
// anything else, which the caller decodes the slow way.
func oldFastFields(b []byte) (map[string]json.RawMessage, bool) {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' || !json.Valid(b) {
		return nil, false
	}
	return oldSplitObject(b)
}

// oldMayRepeatKeys is duplicateKeys's cheap test over valid JSON b: false
// only when no object repeats a key. Keys are compared as written, which
// is as decoded unless they hold escapes or invalid UTF-8; then it says
// true and duplicateKeys decides.
func oldMayRepeatKeys(b []byte) bool {
	type frame struct {
		object bool
		start  int // where the object's keys begin in keys
	}
	var stack []frame
	var keys [][]byte
	prev := byte(0) // the last structural character, 'v' after a value
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case ' ', '\t', '\r', '\n':
		case '{', '[':
			stack = append(stack, frame{object: c == '{', start: len(keys)})
			prev = c
		case '}', ']':
			if n := len(stack); n > 0 {
				keys = keys[:stack[n-1].start]
				stack = stack[:n-1]
			}
			prev = 'v'
		case ',', ':':
			prev = c
		case '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(b) {
				return true
			}
			raw := b[i+1 : j]
			if n := len(stack); n > 0 && stack[n-1].object && (prev == '{' || prev == ',') {
				if bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw) {
					return true
				}
				for _, k := range keys[stack[n-1].start:] {
					if bytes.Equal(k, raw) {
						return true
					}
				}
				keys = append(keys, raw)
			}
			i = j
			prev = 'v'
		default:
			prev = 'v'
		}
	}
	return false
}

// oldSplitObject is json.Unmarshal(raw, &m) for a map[string]json.RawMessage
// m and raw that is valid JSON (a field of a body already decoded): the
// oldFields of an object, the last of duplicate keys winning; false when raw
// is not an object. null gives a nil map, as json.Unmarshal leaves it.
func oldSplitObject(raw []byte) (map[string]json.RawMessage, bool) {
	s := oldSplitter{in: raw}
	s.ws()
	if s.literal("null") {
		return nil, true
	}
	if s.i >= len(s.in) || s.in[s.i] != '{' {
		return nil, false
	}
	m, ok := s.object()
	s.ws()
	return m, ok && s.i == len(s.in)
}

// oldSplitObjects is json.Unmarshal(raw, &a) for a []map[string]json.RawMessage
// a: an array whose elements are objects or null.
func oldSplitObjects(raw []byte) ([]map[string]json.RawMessage, bool) {
	s := oldSplitter{in: raw}
	s.ws()
	if s.literal("null") {
		return nil, true
	}
	if s.i >= len(s.in) || s.in[s.i] != '[' {
		return nil, false
	}
	s.i++
	out := []map[string]json.RawMessage{}
	s.ws()
	if s.i < len(s.in) && s.in[s.i] == ']' {
		s.i++
		return out, true
	}
	for {
		s.ws()
		var m map[string]json.RawMessage
		switch {
		case s.literal("null"):
		case s.i < len(s.in) && s.in[s.i] == '{':
			var ok bool
			if m, ok = s.object(); !ok {
				return nil, false
			}
		default:
			return nil, false
		}
		out = append(out, m)
		s.ws()
		if s.i >= len(s.in) {
			return nil, false
		}
		switch s.in[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			s.ws()
			return out, s.i == len(s.in)
		default:
			return nil, false
		}
	}
}

// oldKnownKeys are the field names of the documented start-checkout body.
var oldKnownKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"orderId", "invoiceId", "totalPrice", "shippingAmount", "vat", "discount", "percentage",
		"amount", "voucherName", "purchaseAmount", "purchaseCurrency", "lang", "version", "customerDetails", "id",
		"firstName", "lastName", "mobileNumber", "email", "orderDetails", "items", "sku", "nameArabic", "nameEnglish",
		"quantity", "unitPrice", "itemUrl", "imageUrl", "shippingDetails", "countryCode", "city", "district", "line1",
		"line2", "gpsCoordinates", "isMobile", "callbackUri", "serialNumber"} {
		m[k] = k
	}
	return m
}()

type oldSplitter struct {
	in []byte
	i  int
}

func (s *oldSplitter) ws() {
	for s.i < len(s.in) && (s.in[s.i] == ' ' || s.in[s.i] == '\t' || s.in[s.i] == '\r' || s.in[s.i] == '\n') {
		s.i++
	}
}

func (s *oldSplitter) literal(lit string) bool {
	if len(s.in)-s.i >= len(lit) && string(s.in[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// object reads the object at s.i ('{').
func (s *oldSplitter) object() (map[string]json.RawMessage, bool) {
	s.i++
	m := make(map[string]json.RawMessage, min(64, max(8, (len(s.in)-s.i)/48)))
	s.ws()
	if s.i < len(s.in) && s.in[s.i] == '}' {
		s.i++
		return m, true
	}
	for {
		s.ws()
		if s.i >= len(s.in) || s.in[s.i] != '"' {
			return nil, false
		}
		start := s.i
		plain, ok := s.str()
		if !ok {
			return nil, false
		}
		var key string
		if plain {
			if k, ok := oldKnownKeys[string(s.in[start+1:s.i-1])]; ok {
				key = k // no allocation for the documented field names
			} else {
				key = string(s.in[start+1 : s.i-1])
			}
		} else if json.Unmarshal(s.in[start:s.i], &key) != nil {
			return nil, false
		}
		s.ws()
		if s.i >= len(s.in) || s.in[s.i] != ':' {
			return nil, false
		}
		s.i++
		s.ws()
		vstart := s.i
		if !s.value() {
			return nil, false
		}
		m[key] = json.RawMessage(s.in[vstart:s.i:s.i])
		s.ws()
		if s.i >= len(s.in) {
			return nil, false
		}
		switch s.in[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return m, true
		default:
			return nil, false
		}
	}
}

// str skips the string at s.i ('"'); plain reports one without escapes
// and with valid UTF-8, whose bytes are its text.
func (s *oldSplitter) str() (plain, ok bool) {
	plain = true
	start := s.i + 1
	for j := start; j < len(s.in); j++ {
		switch c := s.in[j]; {
		case c == '\\':
			plain = false
			j++
		case c == '"':
			s.i = j + 1
			return plain && utf8.Valid(s.in[start:j]), true
		}
	}
	return false, false
}

// value skips one value: a string, an object or array (brackets counted,
// strings skipped), or a number or literal.
func (s *oldSplitter) value() bool {
	if s.i >= len(s.in) {
		return false
	}
	switch s.in[s.i] {
	case '"':
		_, ok := s.str()
		return ok
	case '{', '[':
		depth := 0
		for s.i < len(s.in) {
			switch s.in[s.i] {
			case '"':
				if _, ok := s.str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	default:
		start := s.i
		for s.i < len(s.in) {
			switch s.in[s.i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return s.i > start
			}
			s.i++
		}
		return s.i > start
	}
}
func oldDecodeBody(r *http.Request, v *map[string]json.RawMessage) (note string, err error) {
	b, err := httpx.ReadBody(r)
	if err != nil {
		return "", err
	}
	// The hot path (POST /start-checkout): a valid object is split into
	// its oldFields without copying them; anything else gets DecodeJSON's
	// answer.
	if m, ok := oldFastFields(b); ok {
		*v = m
	} else if err := httpx.DecodeJSONBytes(b, v); err != nil {
		return "", err
	}
	var notes []string
	if !oldMayRepeatKeys(b) {
		// No object repeats a key: nothing for duplicateKeys to find.
	} else if dups := duplicateKeys(b); len(dups) > 0 {
		notes = append(notes, fmt.Sprintf("the body repeats %s; the last value wins, as JSON.parse does", strings.Join(dups, ", ")))
	}
	if !utf8.Valid(b) {
		notes = append(notes, "the body is not valid UTF-8; the invalid bytes were read as U+FFFD, as MIS Pay's Node service decodes them")
	}
	return strings.Join(notes, "; "), nil
}
