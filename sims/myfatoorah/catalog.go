package myfatoorah

import (
	"fmt"
	"strings"
	"time"
)

// country is a MyFatoorah vendor country: its base currency and the time
// zone its dates are shown in. The fake is the test environment
// (apitest.myfatoorah.com, one for every country), which works in
// Asia/Kuwait whatever the account's country: the official library reads
// and writes test-mode dates in Asia/Kuwait (getVendorTimeZone: "In test
// mode, the Kuwait time zone is always used"; live accounts use their own
// country's zone, which the fake does not model).
type country struct {
	Code, Currency string
	Zone           *time.Location
}

// kuwait is Asia/Kuwait, a fixed offset (no DST).
var kuwait = time.FixedZone("Asia/Kuwait", 3*3600)

var countries = map[string]country{
	"KWT": {"KWT", "KWD", kuwait},
	"SAU": {"SAU", "SAR", kuwait},
	"ARE": {"ARE", "AED", kuwait},
	"BHR": {"BHR", "BHD", kuwait},
	"QAT": {"QAT", "QAR", kuwait},
	"OMN": {"OMN", "OMR", kuwait},
	"EGY": {"EGY", "EGP", kuwait},
	"JOR": {"JOR", "JOD", kuwait},
}

// kwdRates are the fixed display-currency rates: units of a currency per
// 1 KWD. A rate between two other currencies is the ratio of theirs,
// rounded to 6 decimals (see doc.go).
var kwdRates = map[string]string{
	"KWD": "1", "SAR": "12.2", "AED": "11.95", "BHD": "1.225", "QAR": "11.85",
	"OMR": "1.25", "EGP": "158", "JOD": "2.3", "USD": "3.25", "EUR": "3",
}

// rateOrder is the order GetCurrenciesExchangeList lists currencies in.
var rateOrder = []string{"KWD", "SAR", "AED", "BHD", "QAR", "OMR", "EGP", "JOD", "USD", "EUR"}

// rate returns units of `to` per unit of `from` as a decimal string.
func rate(from, to string) string {
	if from == to {
		return "1"
	}
	f, t := ratOf(kwdRates[from]), ratOf(kwdRates[to])
	return t.Quo(t, f).FloatString(6)
}

// displayCode is how MyFatoorah writes a currency in display strings:
// the Kuwaiti dinar is "KD".
func displayCode(code string) string {
	if code == "KWD" {
		return "KD"
	}
	return code
}

// paymentMethod is a gateway InitiatePayment lists.
type paymentMethod struct {
	ID                  int
	Code, En, Ar        string
	Direct, Embedded    bool
	Card                bool   // a card form on the hosted page (3-D Secure applies)
	Authorize           bool   // supports AutoCapture false
	Recurring           bool   // supports RecurringModel
	FeeBasisPoints      int64  // service charge: percentage in 1/100 %
	Fixed               string // plus a fixed amount in the base currency
	Countries           string // "" = every country
	GatewayName         string // TransactionGateway / PaymentGateway text
	PaymentCurrencyBase bool
}

// methods are the sandbox gateways every merchant has enabled.
var methods = []paymentMethod{
	{ID: 1, Code: "kn", En: "KNET", Ar: "كي نت", FeeBasisPoints: 0, Fixed: "0.1", Countries: "KWT", GatewayName: "KNET"},
	{ID: 2, Code: "vm", En: "VISA/MASTER", Ar: "فيزا / ماستر", Card: true, Authorize: true, Recurring: true, Embedded: true, FeeBasisPoints: 250, GatewayName: "VISA/MASTER"},
	{ID: 3, Code: "ae", En: "AMEX", Ar: "اميكس", Card: true, Authorize: true, FeeBasisPoints: 300, GatewayName: "AMEX"},
	{ID: 5, Code: "b", En: "Benefit", Ar: "بنفت", FeeBasisPoints: 100, Countries: "BHR KWT", GatewayName: "Benefit"},
	{ID: 6, Code: "md", En: "MADA", Ar: "مدى", Card: true, Recurring: true, Embedded: true, FeeBasisPoints: 100, GatewayName: "MADA"},
	{ID: 11, Code: "ap", En: "Apple Pay", Ar: "أبل باي", Embedded: true, FeeBasisPoints: 250, GatewayName: "Apple Pay"},
	{ID: 14, Code: "stc", En: "STC Pay", Ar: "STC Pay", Embedded: true, FeeBasisPoints: 150, GatewayName: "STC Pay"},
	{ID: 32, Code: "gp", En: "Google Pay", Ar: "جوجل باي", Embedded: true, FeeBasisPoints: 250, GatewayName: "Google Pay"},
}

func methodByID(id int) (paymentMethod, bool) {
	for _, pm := range methods {
		if pm.ID == id {
			return pm, true
		}
	}
	return paymentMethod{}, false
}

// methodByName finds a method by id-less name or code, for the control
// action ("KNET", "kn", "STC", "VISA/MASTER"...).
func methodByName(s string) (paymentMethod, bool) {
	s = strings.ToLower(strings.ReplaceAll(s, " ", ""))
	for _, pm := range methods {
		if s == pm.Code || s == strings.ToLower(strings.ReplaceAll(pm.En, " ", "")) {
			return pm, true
		}
	}
	if s == "stc" || s == "stcpay" {
		return methodByID(14)
	}
	return paymentMethod{}, false
}

// serviceCharge is the method's charge on amount (base currency),
// rounded half-up.
func (pm paymentMethod) serviceCharge(a Amount) Amount {
	c := Amount{Currency: a.Currency}
	if pm.FeeBasisPoints > 0 {
		c = convert(a, a.Currency, fmt.Sprintf("%d.%04d", pm.FeeBasisPoints/10000, pm.FeeBasisPoints%10000))
	}
	if pm.Fixed != "" {
		f, _ := parseDecimal(pm.Fixed, a.Currency)
		c = add(c, f)
	}
	return c
}

// Outcomes of a payment attempt.
type outcome struct {
	OK    bool
	Error string // TransactionStatus Failed: the Error shown
	Code  string // ErrorCode
}

var (
	approved    = outcome{OK: true}
	declined    = outcome{Error: "Declined", Code: "MF001"}
	notCaptured = outcome{Error: "NOT CAPTURED", Code: "MF002"}
	expiredCard = outcome{Error: "Card Expired", Code: "MF003"}
	wrongPIN    = outcome{Error: "Invalid PIN", Code: "MF004"}
	wrongOTP    = outcome{Error: "Invalid OTP", Code: "MF005"}
	authFailed  = outcome{Error: "3D Secure authentication failed", Code: "MF006"}
	invalidCard = outcome{Error: "Invalid card details", Code: "MF007"}
)

// testCard is a documented sandbox card.
type testCard struct {
	Number  string
	Expiry  string // the documented expiry "MM/YY"; "" = any future expiry
	CVV     string // "" = any 3 or 4 digits
	Methods []int  // the gateways it belongs to
	Outcome outcome
	// ExpiryRule: the documented expiry succeeds, any other gives
	// WrongExpiry (KNET's rule).
	ExpiryRule  bool
	WrongExpiry outcome
}

// testCards follow https://docs.myfatoorah.com/docs/test-cards.
var testCards = []testCard{
	{Number: "8888880000000001", Expiry: "09/30", Methods: []int{1}, Outcome: approved, ExpiryRule: true, WrongExpiry: notCaptured},
	{Number: "4508750015741019", Methods: []int{2}, Outcome: approved},
	{Number: "5123450000000008", Methods: []int{2}, Outcome: approved},
	{Number: "2223000000000007", Methods: []int{2}, Outcome: approved},
	{Number: "4464040000000007", Methods: []int{6}, Outcome: approved},
	{Number: "5297412542005689", Methods: []int{6}, Outcome: approved},
	{Number: "4600410123456789", Methods: []int{5}, Outcome: approved},
	{Number: "4550120123456789", Methods: []int{5}, Outcome: expiredCard},
	{Number: "4845550123456789", Methods: []int{5}, Outcome: wrongPIN},
	{Number: "345678901234564", Methods: []int{3}, Outcome: approved},
}

// STC Pay's sandbox wallet.
const (
	STCMobile = "0557877988"
	STCOTP    = "1234"
)

// cardOutcome decides a card payment on method pm at virtual time now.
func cardOutcome(pm paymentMethod, number, expiry, cvv string, now time.Time) outcome {
	number = strings.ReplaceAll(strings.ReplaceAll(number, " ", ""), "-", "")
	exp, ok := parseExpiry(expiry)
	if !ok || !digitsOnly(number) || len(number) < 12 || len(number) > 19 {
		return invalidCard
	}
	if pm.ID != 1 && pm.ID != 5 && (len(cvv) < 3 || len(cvv) > 4 || !digitsOnly(cvv)) {
		return invalidCard
	}
	if !luhn(number) && !isTestCard(number) {
		return invalidCard
	}
	for _, tc := range testCards {
		if tc.Number != number {
			continue
		}
		if !containsInt(tc.Methods, pm.ID) {
			return declined
		}
		if tc.ExpiryRule {
			if normExpiry(expiry) != tc.Expiry {
				return tc.WrongExpiry
			}
			return tc.Outcome
		}
		if exp.Before(now) {
			return expiredCard
		}
		return tc.Outcome
	}
	// Any other card number: the sandbox declines it.
	if exp.Before(now) {
		return expiredCard
	}
	return declined
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// parseExpiry reads "MM/YY" (or "MM/YYYY", "MMYY") and returns the first
// instant after the card's last valid month.
func parseExpiry(s string) (time.Time, bool) {
	n := normExpiry(s)
	if len(n) != 5 {
		return time.Time{}, false
	}
	mm, yy := atoi(n[:2]), atoi(n[3:])
	if mm < 1 || mm > 12 || yy < 0 {
		return time.Time{}, false
	}
	return time.Date(2000+yy, time.Month(mm)+1, 1, 0, 0, 0, 0, time.UTC), true
}

func normExpiry(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, " ", "")
	if len(s) == 4 && digitsOnly(s) {
		s = s[:2] + "/" + s[2:]
	}
	if len(s) == 7 && s[2] == '/' {
		s = s[:3] + s[5:]
	}
	if len(s) == 5 && s[2] == '/' && digitsOnly(s[:2]+s[3:]) {
		return s
	}
	return ""
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func digitsOnly(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func luhn(s string) bool {
	sum, alt := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if alt {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		alt = !alt
	}
	return sum%10 == 0
}

func maskCard(n string) string {
	n = strings.ReplaceAll(n, " ", "")
	if len(n) < 10 {
		return n
	}
	return n[:6] + strings.Repeat("x", len(n)-10) + n[len(n)-4:]
}

func isTestCard(n string) bool {
	for _, tc := range testCards {
		if tc.Number == n {
			return true
		}
	}
	return false
}
