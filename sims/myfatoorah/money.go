package myfatoorah

import (
	"math/big"

	"github.com/paysandbox/paysandbox/sim/money"
)

// Amounts are sim/money's: integer minor units, exact decimals.
type (
	Amount   = money.Amount
	Currency = money.Currency
)

func currencyOf(code string) (Currency, error) { return money.CurrencyOf(code) }

func parseDecimal(s string, c Currency) (Amount, error) { return money.ParseDecimal(s, c) }

// add and sub are for amounts the fake knows share a currency and stay far
// from overflow (validated inputs are capped).
func add(a, b Amount) Amount {
	s, err := a.Add(b)
	if err != nil {
		return a
	}
	return s
}

func sub(a, b Amount) Amount {
	s, err := a.Sub(b)
	if err != nil {
		return a
	}
	return s
}

// convert converts at a rate string, rounded half-up.
func convert(a Amount, to Currency, rate string) Amount {
	c, err := a.Convert(to, rate)
	if err != nil {
		return Amount{Currency: to}
	}
	return c
}

func ratOf(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return new(big.Rat)
	}
	return r
}
