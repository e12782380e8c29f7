// Package money holds amounts as integer minor units of an ISO 4217
// currency, with exact arithmetic (no floats anywhere) and the parsing and
// formatting the providers' wire formats need: MIS Pay decimal strings,
// MobilePay decimal numbers, BAB POS whole halalas as strings, MyFatoorah
// decimals with the currency's precision and display strings such as
// "12.500 KWD", mPower integer minor units.
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Errors.
var (
	// ErrSyntax: not a decimal number.
	ErrSyntax = errors.New("money: not a decimal amount")
	// ErrPrecision: more fraction digits than the currency has.
	ErrPrecision = errors.New("money: more decimals than the currency allows")
	// ErrRange: the amount does not fit in int64 minor units.
	ErrRange = errors.New("money: amount out of range")
	// ErrCurrency: unknown currency, or two amounts in different currencies.
	ErrCurrency = errors.New("money: currency")
)

// Currency is an ISO 4217 currency and its minor-unit exponent.
type Currency struct {
	Code     string
	Exponent int
}

func (c Currency) String() string { return c.Code }

// exponents are the ISO 4217 minor-unit exponents of the currencies the
// providers and their merchants use (the rest of the list defaults to 2).
var exponents = map[string]int{
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0,
	"KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0,
	"XOF": 0, "XPF": 0,
}

// known are the other active ISO 4217 codes (exponent 2) accepted.
var known = strings.Fields(`AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL
BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR
LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN
PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB
TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL`)

// CurrencyOf returns the ISO 4217 currency with that (upper-case) code.
func CurrencyOf(code string) (Currency, error) {
	if e, ok := exponents[code]; ok {
		return Currency{Code: code, Exponent: e}, nil
	}
	for _, k := range known {
		if k == code {
			return Currency{Code: code, Exponent: 2}, nil
		}
	}
	return Currency{}, fmt.Errorf("%w: unknown currency %q", ErrCurrency, code)
}

// MustCurrency is CurrencyOf for codes written in the program.
func MustCurrency(code string) Currency {
	c, err := CurrencyOf(code)
	if err != nil {
		panic(err)
	}
	return c
}

// Amount is an exact amount: Minor units of Currency.
type Amount struct {
	Minor    int64
	Currency Currency
}

// FromMinor is an amount of minor units.
func FromMinor(minor int64, c Currency) Amount { return Amount{Minor: minor, Currency: c} }

// ParseDecimal reads a decimal amount ("12.5", "12.500", "-3", and the
// exponent forms a JSON number may take, such as "1.25e1"). More fraction
// digits than the currency has is ErrPrecision, even when they are zeros
// beyond the currency's precision ("12.5000" in KWD is fine, "12.5001" is
// not: trailing zeros are allowed).
func ParseDecimal(s string, c Currency) (Amount, error) {
	if s == "" || strings.ContainsAny(s, " _\t\n") || strings.HasPrefix(s, "+") {
		return Amount{}, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	if strings.ContainsAny(s, "eE") {
		if !smallExponent(s) {
			return Amount{}, fmt.Errorf("%w: %q", ErrRange, s)
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok || strings.Count(s, ".") > 1 {
			return Amount{}, fmt.Errorf("%w: %q", ErrSyntax, s)
		}
		return fromRat(r, c, s)
	}
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(body, ".")
	if whole == "" && !hasDot || !digits(whole) || !digits(frac) || whole == "" && frac == "" || hasDot && frac == "" && whole == "" {
		return Amount{}, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	if whole == "" {
		whole = "0"
	}
	if len(frac) > c.Exponent {
		if strings.Trim(frac[c.Exponent:], "0") != "" {
			return Amount{}, fmt.Errorf("%w: %q has more than %d decimals for %s", ErrPrecision, s, c.Exponent, c.Code)
		}
		frac = frac[:c.Exponent]
	}
	frac += strings.Repeat("0", c.Exponent-len(frac))
	// The whole range of int64 minor units, as the exponent forms have it
	// (big.Rat), so that whatever Decimal writes reads back.
	var v int64
	if n := strings.TrimLeft(whole+frac, "0"); n != "" {
		if neg {
			n = "-" + n
		}
		var err error
		if v, err = strconv.ParseInt(n, 10, 64); err != nil {
			return Amount{}, fmt.Errorf("%w: %q", ErrRange, s)
		}
	}
	return Amount{Minor: v, Currency: c}, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func fromRat(r *big.Rat, c Currency, s string) (Amount, error) {
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(pow10(c.Exponent)))
	if !scaled.IsInt() {
		return Amount{}, fmt.Errorf("%w: %q has more than %d decimals for %s", ErrPrecision, s, c.Exponent, c.Code)
	}
	n := scaled.Num()
	if !n.IsInt64() {
		return Amount{}, fmt.Errorf("%w: %q", ErrRange, s)
	}
	return Amount{Minor: n.Int64(), Currency: c}, nil
}

// smallExponent reports a number whose exponent (if any) is within ±40 and
// whose digits are not absurdly many: big.Rat would spend tens of
// milliseconds on "1e999999", a cheap way to tie up a server.
func smallExponent(s string) bool {
	if len(s) > 64 {
		return false
	}
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return true
	}
	e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
	return err == nil && e >= -40 && e <= 40
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// ParseNumber reads a JSON number as an amount (see ParseDecimal).
func ParseNumber(n json.Number, c Currency) (Amount, error) { return ParseDecimal(n.String(), c) }

// ParseMinor reads a whole number of minor units written as digits only,
// e.g. BAB POS's "12000" halalas: no sign, no decimals, no spaces.
func ParseMinor(s string, c Currency) (Amount, error) {
	if s == "" || !digits(s) {
		return Amount{}, fmt.Errorf("%w: %q is not a whole number of minor units", ErrSyntax, s)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return Amount{}, fmt.Errorf("%w: %q", ErrRange, s)
	}
	return Amount{Minor: v, Currency: c}, nil
}

// Decimal formats the amount with exactly the currency's number of
// decimals: "12.500" for 12500 fils, "120.00" for 12000 halalas, "5" for
// 5 yen.
func (a Amount) Decimal() string {
	neg := a.Minor < 0
	u := uint64(a.Minor)
	if neg {
		u = uint64(-(a.Minor + 1)) + 1 // safe for math.MinInt64
	}
	s := strconv.FormatUint(u, 10)
	if e := a.Currency.Exponent; e > 0 {
		if len(s) <= e {
			s = strings.Repeat("0", e-len(s)+1) + s
		}
		s = s[:len(s)-e] + "." + s[len(s)-e:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Display is the amount followed by its currency code, "12.500 KWD".
func (a Amount) Display() string { return a.Decimal() + " " + a.Currency.Code }

// Number is the amount as a JSON number with the currency's precision.
func (a Amount) Number() json.Number { return json.Number(a.Decimal()) }

// MinorString is the amount in minor units as digits, "12000".
func (a Amount) MinorString() string { return strconv.FormatInt(a.Minor, 10) }

func (a Amount) String() string { return a.Display() }

// Sign is -1, 0 or +1.
func (a Amount) Sign() int {
	switch {
	case a.Minor < 0:
		return -1
	case a.Minor > 0:
		return 1
	}
	return 0
}

// IsZero reports a zero amount.
func (a Amount) IsZero() bool { return a.Minor == 0 }

func (a Amount) same(b Amount) error {
	if a.Currency != b.Currency {
		return fmt.Errorf("%w: %s and %s do not mix", ErrCurrency, a.Currency.Code, b.Currency.Code)
	}
	return nil
}

// Add is a+b in the same currency.
func (a Amount) Add(b Amount) (Amount, error) {
	if err := a.same(b); err != nil {
		return Amount{}, err
	}
	s := a.Minor + b.Minor
	if (b.Minor > 0 && s < a.Minor) || (b.Minor < 0 && s > a.Minor) {
		return Amount{}, ErrRange
	}
	return Amount{Minor: s, Currency: a.Currency}, nil
}

// Sub is a-b in the same currency.
func (a Amount) Sub(b Amount) (Amount, error) {
	if b.Minor == math.MinInt64 {
		return Amount{}, ErrRange
	}
	return a.Add(Amount{Minor: -b.Minor, Currency: b.Currency})
}

// Cmp compares two amounts of the same currency (-1, 0, +1); amounts of
// different currencies compare by code so sorting stays total.
func (a Amount) Cmp(b Amount) int {
	if a.Currency != b.Currency {
		return strings.Compare(a.Currency.Code, b.Currency.Code)
	}
	switch {
	case a.Minor < b.Minor:
		return -1
	case a.Minor > b.Minor:
		return 1
	}
	return 0
}

// Convert is the amount in another currency at rate (units of to per unit
// of a's currency, a decimal string such as "0.0819"), rounded half away
// from zero to to's precision.
func (a Amount) Convert(to Currency, rate string) (Amount, error) {
	r, ok := new(big.Rat).SetString(rate)
	if !ok || r.Sign() <= 0 {
		return Amount{}, fmt.Errorf("%w: rate %q", ErrSyntax, rate)
	}
	v := new(big.Rat).SetFrac(big.NewInt(a.Minor), pow10(a.Currency.Exponent))
	v.Mul(v, r)
	v.Mul(v, new(big.Rat).SetInt(pow10(to.Exponent)))
	q := roundHalfAway(v.Num(), v.Denom())
	if !q.IsInt64() {
		return Amount{}, ErrRange
	}
	return Amount{Minor: q.Int64(), Currency: to}, nil
}

// ParseRounded reads a decimal (or a JSON number's exponent form) and
// rounds it half away from zero to the currency's precision: unit prices
// that shops store with four decimals, or a float a PHP client cast.
func ParseRounded(s string, c Currency) (Amount, error) {
	if s == "" || strings.ContainsAny(s, " _\t\n") || strings.HasPrefix(s, "+") || strings.Count(s, ".") > 1 {
		return Amount{}, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == 'e' || r == 'E' || r == '+') {
			return Amount{}, fmt.Errorf("%w: %q", ErrSyntax, s)
		}
	}
	if !smallExponent(s) {
		return Amount{}, fmt.Errorf("%w: %q", ErrRange, s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return Amount{}, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	r.Mul(r, new(big.Rat).SetInt(pow10(c.Exponent)))
	q := roundHalfAway(r.Num(), r.Denom())
	if !q.IsInt64() {
		return Amount{}, fmt.Errorf("%w: %q", ErrRange, s)
	}
	return Amount{Minor: q.Int64(), Currency: c}, nil
}

// roundHalfAway is num/den rounded half away from zero.
func roundHalfAway(num, den *big.Int) *big.Int {
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// Short formats the amount with no trailing fraction zeros, as a
// JavaScript number prints: "12.5", "100", "0.05".
func (a Amount) Short() string {
	s := a.Decimal()
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// ShortJSON is an amount that encodes as a JSON number without trailing
// zeros (12.5, 100), as a Node service writes it.
type ShortJSON Amount

// MarshalJSON implements json.Marshaler.
func (a ShortJSON) MarshalJSON() ([]byte, error) { return []byte(Amount(a).Short()), nil }

// DecimalJSON is an amount that encodes as a JSON number with the
// currency's precision (12.50, 12.500).
type DecimalJSON Amount

// MarshalJSON implements json.Marshaler.
func (a DecimalJSON) MarshalJSON() ([]byte, error) { return []byte(Amount(a).Decimal()), nil }

func (a ShortJSON) String() string   { return Amount(a).Short() }
func (a DecimalJSON) String() string { return Amount(a).Decimal() }
