package myfatoorah

// Stand-in for the platform's sim/money (provider kit, issue 7) until it
// lands on main: same names and semantics (integer minor units, exact
// decimal parsing, half-up conversion), so the switch is mechanical.

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
)

var (
	errSyntax     = errors.New("money: not a decimal number")
	errPrecision  = errors.New("money: more fraction digits than the currency has")
	errMoneyRange = errors.New("money: amount out of range")
	errCurrency   = errors.New("money: unknown currency")
)

// Currency is an ISO 4217 currency and its number of minor digits.
type Currency struct {
	Code     string
	Exponent int
}

var exponents = map[string]int{
	"KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "SAR": 2, "AED": 2, "QAR": 2,
	"EGP": 2, "USD": 2, "EUR": 2, "GBP": 2, "TRY": 2, "INR": 2, "JPY": 0,
}

func currencyOf(code string) (Currency, error) {
	e, ok := exponents[code]
	if !ok {
		return Currency{}, errCurrency
	}
	return Currency{Code: code, Exponent: e}, nil
}

// Amount is an exact amount of a currency in minor units.
type Amount struct {
	Minor    int64
	Currency Currency
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// parseDecimal parses "12.5", "12.500", "1e2" exactly.
func parseDecimal(s string, c Currency) (Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "/_ ") || strings.HasPrefix(s, "+") {
		return Amount{}, errSyntax
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return Amount{}, errSyntax
	}
	r.Mul(r, new(big.Rat).SetInt(pow10(c.Exponent)))
	if !r.IsInt() {
		return Amount{}, errPrecision
	}
	n := r.Num()
	if !n.IsInt64() || n.Int64() > 1e15 || n.Int64() < -1e15 {
		return Amount{}, errMoneyRange
	}
	return Amount{Minor: n.Int64(), Currency: c}, nil
}

func (a Amount) rat() *big.Rat {
	return new(big.Rat).SetFrac(big.NewInt(a.Minor), pow10(a.Currency.Exponent))
}

// Decimal is the amount with exactly Exponent decimals: "12.500".
func (a Amount) Decimal() string { return a.rat().FloatString(a.Currency.Exponent) }

// Number is the amount as a JSON number with the currency's decimals.
func (a Amount) Number() json.Number { return json.Number(a.Decimal()) }

func (a Amount) Add(b Amount) Amount { return Amount{Minor: a.Minor + b.Minor, Currency: a.Currency} }
func (a Amount) Sub(b Amount) Amount { return Amount{Minor: a.Minor - b.Minor, Currency: a.Currency} }

func (a Amount) Cmp(b Amount) int {
	switch {
	case a.Minor < b.Minor:
		return -1
	case a.Minor > b.Minor:
		return 1
	}
	return 0
}

func (a Amount) Sign() int { return a.Cmp(Amount{Currency: a.Currency}) }

// mulRat multiplies by an exact rational and rounds half-up into currency to.
func (a Amount) mulRat(r *big.Rat, to Currency) Amount {
	v := new(big.Rat).Mul(a.rat(), r)
	v.Mul(v, new(big.Rat).SetInt(pow10(to.Exponent)))
	// half-up (amounts here are never negative)
	num, den := v.Num(), v.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).CmpAbs(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	return Amount{Minor: q.Int64(), Currency: to}
}

// Convert converts at rate (units of to per unit of a), rounded half-up.
func (a Amount) Convert(to Currency, rate string) (Amount, error) {
	r, ok := new(big.Rat).SetString(rate)
	if !ok {
		return Amount{}, errSyntax
	}
	return a.mulRat(r, to), nil
}

func ratOf(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return new(big.Rat)
	}
	return r
}
