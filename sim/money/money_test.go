package money_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/paysandbox/paysandbox/sim/money"
)

var (
	sar = money.MustCurrency("SAR")
	kwd = money.MustCurrency("KWD")
	jpy = money.MustCurrency("JPY")
)

func TestCurrencyOf(t *testing.T) {
	for code, want := range map[string]int{"SAR": 2, "DKK": 2, "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "JPY": 0, "TRY": 2, "EUR": 2, "USD": 2} {
		c, err := money.CurrencyOf(code)
		if err != nil || c.Exponent != want {
			t.Errorf("CurrencyOf(%s) = %v, %v; want exponent %d", code, c, err, want)
		}
	}
	for _, bad := range []string{"", "sar", "XXX", "SA"} {
		if _, err := money.CurrencyOf(bad); !errors.Is(err, money.ErrCurrency) {
			t.Errorf("CurrencyOf(%q) err = %v, want ErrCurrency", bad, err)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		c    money.Currency
		want int64
		err  error
	}{
		{"12.5", kwd, 12500, nil},
		{"12.500", kwd, 12500, nil},
		{"12.5000", kwd, 12500, nil},
		{"12.5001", kwd, 0, money.ErrPrecision},
		{"0.01", sar, 1, nil},
		{".5", sar, 50, nil},
		{"7", sar, 700, nil},
		{"7.", sar, 700, nil},
		{"-3.25", sar, -325, nil},
		{"1.25e1", sar, 1250, nil},
		{"1e-3", sar, 0, money.ErrPrecision},
		{"1E2", jpy, 100, nil},
		{"5", jpy, 5, nil},
		{"5.5", jpy, 0, money.ErrPrecision},
		{"", sar, 0, money.ErrSyntax},
		{".", sar, 0, money.ErrSyntax},
		{"-", sar, 0, money.ErrSyntax},
		{"1.2.3", sar, 0, money.ErrSyntax},
		{"+1", sar, 0, money.ErrSyntax},
		{"1,5", sar, 0, money.ErrSyntax},
		{" 1", sar, 0, money.ErrSyntax},
		{"NaN", sar, 0, money.ErrSyntax},
		{"99999999999999999999", sar, 0, money.ErrRange},
	} {
		got, err := money.ParseDecimal(tc.in, tc.c)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("ParseDecimal(%q) err = %v, want %v", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got.Minor != tc.want || got.Currency != tc.c {
			t.Errorf("ParseDecimal(%q, %s) = %+v, %v; want %d", tc.in, tc.c, got, err, tc.want)
		}
	}
}

func TestParseMinor(t *testing.T) {
	got, err := money.ParseMinor("12000", sar)
	if err != nil || got.Decimal() != "120.00" {
		t.Fatalf("ParseMinor = %v, %v", got, err)
	}
	for _, bad := range []string{"", "-1", "1.0", "12 000", "+5", "1e3"} {
		if _, err := money.ParseMinor(bad, sar); !errors.Is(err, money.ErrSyntax) {
			t.Errorf("ParseMinor(%q) err = %v", bad, err)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		a                       money.Amount
		decimal, display, minor string
	}{
		{money.FromMinor(12500, kwd), "12.500", "12.500 KWD", "12500"},
		{money.FromMinor(5, kwd), "0.005", "0.005 KWD", "5"},
		{money.FromMinor(12000, sar), "120.00", "120.00 SAR", "12000"},
		{money.FromMinor(-7, sar), "-0.07", "-0.07 SAR", "-7"},
		{money.FromMinor(5, jpy), "5", "5 JPY", "5"},
		{money.FromMinor(0, sar), "0.00", "0.00 SAR", "0"},
	} {
		if got := tc.a.Decimal(); got != tc.decimal {
			t.Errorf("Decimal = %q, want %q", got, tc.decimal)
		}
		if got := tc.a.Display(); got != tc.display {
			t.Errorf("Display = %q, want %q", got, tc.display)
		}
		if got := tc.a.MinorString(); got != tc.minor {
			t.Errorf("MinorString = %q, want %q", got, tc.minor)
		}
		if got := string(tc.a.Number()); got != tc.decimal {
			t.Errorf("Number = %q", got)
		}
	}
}

func TestArithmetic(t *testing.T) {
	a, b := money.FromMinor(1, sar), money.FromMinor(2, sar)
	s, err := a.Add(b)
	if err != nil || s.Minor != 3 {
		t.Fatalf("Add = %v, %v", s, err)
	}
	d, err := a.Sub(b)
	if err != nil || d.Minor != -1 || d.Sign() != -1 {
		t.Fatalf("Sub = %v, %v", d, err)
	}
	if a.Cmp(b) != -1 || b.Cmp(a) != 1 || a.Cmp(a) != 0 {
		t.Error("Cmp")
	}
	if _, err := a.Add(money.FromMinor(1, kwd)); !errors.Is(err, money.ErrCurrency) {
		t.Errorf("mixed Add err = %v", err)
	}
	if _, err := money.FromMinor(1<<62, sar).Add(money.FromMinor(1<<62, sar)); !errors.Is(err, money.ErrRange) {
		t.Errorf("overflow err = %v", err)
	}
	// 0.1 + 0.2 is exactly 0.3: no floats.
	x, _ := money.ParseDecimal("0.1", sar)
	y, _ := money.ParseDecimal("0.2", sar)
	z, _ := x.Add(y)
	if z.Decimal() != "0.30" {
		t.Errorf("0.1+0.2 = %s", z.Decimal())
	}
}

func TestConvert(t *testing.T) {
	for _, tc := range []struct {
		a    money.Amount
		to   money.Currency
		rate string
		want string
	}{
		{money.FromMinor(1000, kwd), sar, "12.2", "12.20"},  // 1 KWD at 12.2
		{money.FromMinor(100, sar), kwd, "0.0819", "0.082"}, // 1 SAR -> 0.0819 -> half-up 0.082
		{money.FromMinor(5, sar), kwd, "0.1", "0.005"},      // 0.05 SAR -> 0.005 KWD
		{money.FromMinor(1, sar), kwd, "0.05", "0.001"},     // 0.0005 rounds half away from zero
		{money.FromMinor(-1, sar), kwd, "0.05", "-0.001"},
	} {
		got, err := tc.a.Convert(tc.to, tc.rate)
		if err != nil || got.Decimal() != tc.want || got.Currency != tc.to {
			t.Errorf("%s.Convert(%s, %s) = %v, %v; want %s", tc.a, tc.to, tc.rate, got, err, tc.want)
		}
	}
	if _, err := money.FromMinor(1, sar).Convert(kwd, "x"); !errors.Is(err, money.ErrSyntax) {
		t.Errorf("bad rate err = %v", err)
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"12.5", "-1", "1e3", ".", "0.001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := money.ParseDecimal(s, kwd)
		if err != nil {
			return
		}
		// What parses round-trips through Decimal.
		b, err := money.ParseDecimal(a.Decimal(), kwd)
		if err != nil || b != a {
			t.Fatalf("%q -> %s -> %v, %v", s, a.Decimal(), b, err)
		}
	})
}

func TestParseRoundedAndShort(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"500.0000", "500"}, {"12.345", "12.35"}, {"12.344", "12.34"}, {"0.005", "0.01"},
		{"1e2", "100"}, {"99.75", "99.75"}, {"-1.005", "-1.01"}, {"0.1", "0.1"},
	} {
		a, err := money.ParseRounded(tc.in, sar)
		if err != nil || a.Short() != tc.want {
			t.Errorf("ParseRounded(%q) = %v %v, want %s", tc.in, a.Short(), err, tc.want)
		}
	}
	for _, bad := range []string{"", "abc", "1..2", "+1", "NaN", "Inf", "0x10", "1,5"} {
		if _, err := money.ParseRounded(bad, sar); err == nil {
			t.Errorf("ParseRounded(%q) succeeded", bad)
		}
	}
	b, _ := json.Marshal(struct {
		S money.ShortJSON
		D money.DecimalJSON
	}{money.ShortJSON(money.FromMinor(1250, sar)), money.DecimalJSON(money.FromMinor(1250, kwd))})
	if string(b) != `{"S":12.5,"D":1.250}` {
		t.Errorf("JSON = %s", b)
	}
}

// Huge exponents are refused at once rather than computed.
func TestHugeExponentRefused(t *testing.T) {
	for _, s := range []string{"1e999999", "1e-999999", "1e41"} {
		if _, err := money.ParseDecimal(s, sar); !errors.Is(err, money.ErrRange) {
			t.Errorf("ParseDecimal(%q) err = %v", s, err)
		}
		if _, err := money.ParseRounded(s, sar); !errors.Is(err, money.ErrRange) {
			t.Errorf("ParseRounded(%q) err = %v", s, err)
		}
	}
}

// The plain decimal form reads the whole int64 range of minor units, as
// the exponent form does: whatever Decimal writes reads back.
func TestParseDecimalWholeRange(t *testing.T) {
	for _, a := range []money.Amount{
		money.FromMinor(math.MaxInt64, kwd), money.FromMinor(math.MinInt64, kwd),
		money.FromMinor(1_000_000_000_000_000_000, kwd), money.FromMinor(-1, kwd), money.FromMinor(0, kwd),
	} {
		b, err := money.ParseDecimal(a.Decimal(), kwd)
		if err != nil || b != a {
			t.Errorf("ParseDecimal(%q) = %v, %v; want %v", a.Decimal(), b, err, a)
		}
	}
	if _, err := money.ParseDecimal("9223372036854775.808", kwd); !errors.Is(err, money.ErrRange) {
		t.Errorf("one past the range: err = %v, want ErrRange", err)
	}
}
