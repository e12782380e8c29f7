package babpos

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Card schemes, as the API names them (cardSchemeEn).
const (
	SchemeMada       = "Mada"
	SchemeVisa       = "Visa"
	SchemeMasterCard = "MasterCard"
)

// Entry modes, as the API names them (entryMode).
const (
	Contactless = "CONTACTLESS"
	Chip        = "CHIP"
	Magstripe   = "MAGSTRIPE"
)

// Card outcomes a test card can force.
const (
	OutcomeApprove           = "approve"
	OutcomeInsufficientFunds = "insufficient-funds"
	OutcomeExpiredCard       = "expired-card"
	OutcomeWrongPin          = "wrong-pin"
	OutcomeDoNotHonour       = "do-not-honour"
	OutcomeReadError         = "read-error"
)

// Outcomes lists the outcome values a card accepts.
var Outcomes = []string{OutcomeApprove, OutcomeInsufficientFunds, OutcomeExpiredCard, OutcomeWrongPin, OutcomeDoNotHonour, OutcomeReadError}

// EntryModes lists the entry modes.
var EntryModes = []string{Contactless, Chip, Magstripe}

// Switch response codes (ISO 8583:1993 action codes, see doc.go).
const (
	RespApproved          = "000"
	RespDoNotHonour       = "100"
	RespExpiredCard       = "101"
	RespInsufficientFunds = "116"
	RespIncorrectPin      = "117"
)

// DefaultPIN is the PIN of every catalogue card.
const DefaultPIN = "1234"

// Card is a virtual card a cardholder presents at a terminal. It is also
// the body of POST /_sim/babpos/terminals/{terminalId}/cards and .../tap.
type Card struct {
	// Name is a catalogue card's name ("mada-approve"); its properties are
	// the defaults of the other fields.
	Name string `json:"name,omitempty"`
	// Scheme is mada, Visa or MasterCard (any case).
	Scheme string `json:"scheme,omitempty"`
	// PAN is the full card number (digits).
	PAN string `json:"pan,omitempty"`
	// Expiry is MM/YY.
	Expiry string `json:"expiry,omitempty"`
	// EntryMode is CONTACTLESS (default), CHIP or MAGSTRIPE.
	EntryMode string `json:"entryMode,omitempty"`
	// PIN is the card's PIN (default 1234); the virtual cardholder types it
	// in auto mode.
	PIN string `json:"pin,omitempty"`
	// Balance, in halalas, is what the card can spend; later purchases
	// with the same PAN at the same merchant spend what is left. Absent:
	// no limit.
	Balance *int64 `json:"balance,omitempty"`
	// Outcome forces a result (see Outcomes); absent, the card's expiry,
	// balance and PIN decide.
	Outcome string `json:"outcome,omitempty"`
	// Wallet marks a phone or watch wallet: contactless taps are verified
	// on the device (CDCVM), never by PIN.
	Wallet bool `json:"wallet,omitempty"`
	// WalkAway: the cardholder leaves at the PIN prompt; the terminal
	// times out.
	WalkAway bool `json:"walkAway,omitempty"`
}

// TestCard is a catalogue entry.
type TestCard struct {
	Card
	Description string `json:"description"`
}

// Catalogue is the documented list of test cards, one per scheme and
// outcome. Every card works with every entry mode; the PIN is 1234.
func Catalogue() []TestCard {
	c := func(name, scheme, prefix, expiry, outcome, desc string, wallet bool) TestCard {
		pan := prefix
		if len(pan) == 15 {
			pan = luhn(prefix)
		}
		return TestCard{Card: Card{Name: name, Scheme: scheme, PAN: pan, Expiry: expiry, EntryMode: Contactless, PIN: DefaultPIN, Outcome: outcome, Wallet: wallet}, Description: desc}
	}
	return []TestCard{
		c("mada-wallet", SchemeMada, "5069680000089140", "02/29", "", "mada in a phone wallet: approved, verified on the device (the default tap)", true),
		c("mada-approve", SchemeMada, "588845000000001", "12/30", "", "mada card: approved; PIN on CHIP and MAGSTRIPE and above the CVM limit", false),
		c("mada-insufficient", SchemeMada, "588845000000116", "12/30", OutcomeInsufficientFunds, "mada card: insufficient funds (116)", false),
		c("mada-expired", SchemeMada, "588845000000101", "01/20", "", "mada card that expired in January 2020: declined 101", false),
		c("mada-wrong-pin", SchemeMada, "588845000000117", "12/30", OutcomeWrongPin, "mada card whose holder mistypes the PIN: asks for a PIN, declined 117", false),
		c("mada-do-not-honour", SchemeMada, "588845000000100", "12/30", OutcomeDoNotHonour, "mada card the issuer refuses: declined 100", false),
		c("mada-read-error", SchemeMada, "588845000000999", "12/30", OutcomeReadError, "mada card the reader cannot read: the terminal asks again", false),
		c("visa-approve", SchemeVisa, "476173900101001", "12/30", "", "Visa card: approved", false),
		c("visa-insufficient", SchemeVisa, "476173900101116", "12/30", OutcomeInsufficientFunds, "Visa card: insufficient funds (116)", false),
		c("visa-do-not-honour", SchemeVisa, "476173900101100", "12/30", OutcomeDoNotHonour, "Visa card: declined 100", false),
		c("mastercard-approve", SchemeMasterCard, "541333008900001", "12/30", "", "MasterCard card: approved", false),
		c("mastercard-expired", SchemeMasterCard, "541333008900101", "01/20", "", "MasterCard card that expired in January 2020: declined 101", false),
		c("mastercard-wrong-pin", SchemeMasterCard, "541333008900117", "12/30", OutcomeWrongPin, "MasterCard card: wrong PIN, declined 117", false),
	}
}

// DefaultCard is the card an auto-mode terminal presents when none is
// queued: an approving mada phone tap, as in the documentation's example.
func DefaultCard() Card { return Catalogue()[0].Card }

func catalogueCard(name string) (Card, bool) {
	for _, tc := range Catalogue() {
		if tc.Name == name {
			return tc.Card, true
		}
	}
	return Card{}, false
}

func catalogueByPAN(pan string) (Card, bool) {
	for _, tc := range Catalogue() {
		if tc.PAN == pan {
			return tc.Card, true
		}
	}
	return Card{}, false
}

// luhn appends the Luhn check digit to a 15-digit prefix.
func luhn(prefix string) string {
	sum := 0
	for i := len(prefix) - 1; i >= 0; i-- {
		d := int(prefix[i] - '0')
		if (len(prefix)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return prefix + strconv.Itoa((10-sum%10)%10)
}

// normalize fills a card's defaults (from the catalogue when it names a
// catalogue card or its PAN) and checks every field.
func (c Card) normalize() (Card, error) {
	base, ok := Card{}, false
	if c.Name != "" {
		if base, ok = catalogueCard(c.Name); !ok {
			return c, fmt.Errorf("no test card named %q (see GET /_sim/babpos/cards)", c.Name)
		}
	} else if c.PAN != "" {
		base, ok = catalogueByPAN(c.PAN)
	}
	if !ok {
		base = DefaultCard()
		base.Name, base.Wallet = "", false
		if c.PAN != "" || c.Scheme != "" {
			base.PAN = ""
		}
	}
	out := base
	if c.Scheme != "" {
		s, ok := schemeName(c.Scheme)
		if !ok {
			return c, fmt.Errorf("scheme %q: want mada, Visa or MasterCard", c.Scheme)
		}
		out.Scheme = s
	}
	if c.PAN != "" {
		if len(c.PAN) < 12 || len(c.PAN) > 19 || !allDigits(c.PAN) {
			return c, fmt.Errorf("pan %q: want 12 to 19 digits", c.PAN)
		}
		out.PAN = c.PAN
	}
	if out.PAN == "" {
		out.PAN = defaultPAN(out.Scheme)
	}
	if c.Expiry != "" {
		if _, err := parseExpiry(c.Expiry); err != nil {
			return c, err
		}
		out.Expiry = c.Expiry
	}
	if c.EntryMode != "" {
		m := strings.ToUpper(c.EntryMode)
		if m != Contactless && m != Chip && m != Magstripe {
			return c, fmt.Errorf("entryMode %q: want CONTACTLESS, CHIP or MAGSTRIPE", c.EntryMode)
		}
		out.EntryMode = m
	}
	if out.EntryMode == "" {
		out.EntryMode = Contactless
	}
	if c.PIN != "" {
		if len(c.PIN) < 4 || len(c.PIN) > 12 || !allDigits(c.PIN) {
			return c, fmt.Errorf("pin: want 4 to 12 digits")
		}
		out.PIN = c.PIN
	}
	if c.Balance != nil {
		if *c.Balance < 0 {
			return c, fmt.Errorf("balance: want halalas >= 0")
		}
		out.Balance = c.Balance
	}
	if c.Outcome != "" {
		known := false
		for _, o := range Outcomes {
			known = known || o == c.Outcome
		}
		if !known {
			return c, fmt.Errorf("outcome %q: want one of %s", c.Outcome, strings.Join(Outcomes, ", "))
		}
		out.Outcome = c.Outcome
	}
	out.Wallet = out.Wallet || c.Wallet
	out.WalkAway = c.WalkAway
	if c.Name != "" {
		out.Name = c.Name
	}
	return out, nil
}

func defaultPAN(scheme string) string {
	switch scheme {
	case SchemeVisa:
		return luhn("476173900101001")
	case SchemeMasterCard:
		return luhn("541333008900001")
	}
	return luhn("588845000000001")
}

func schemeName(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "mada":
		return SchemeMada, true
	case "visa":
		return SchemeVisa, true
	case "mastercard":
		return SchemeMasterCard, true
	}
	return "", false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseExpiry reads MM/YY and returns the first instant after the card's
// last valid day (UTC).
func parseExpiry(s string) (time.Time, error) {
	mm, yy, ok := strings.Cut(s, "/")
	if !ok || len(mm) != 2 || len(yy) != 2 || !allDigits(mm) || !allDigits(yy) {
		return time.Time{}, fmt.Errorf("expiry %q: want MM/YY", s)
	}
	m, _ := strconv.Atoi(mm)
	y, _ := strconv.Atoi(yy)
	if m < 1 || m > 12 {
		return time.Time{}, fmt.Errorf("expiry %q: month must be 01 to 12", s)
	}
	return time.Date(2000+y, time.Month(m)+1, 1, 0, 0, 0, 0, riyadh), nil
}

// cardExpiration renders MM/YY in the answer's form, YY/MM ("29/02").
func cardExpiration(expiry string) string {
	mm, yy, _ := strings.Cut(expiry, "/")
	return yy + "/" + mm
}

// maskPAN masks like the example: "5069 68** **** 9140".
func maskPAN(pan string) string {
	b := []byte(pan)
	for i := 6; i < len(b)-4; i++ {
		b[i] = '*'
	}
	var out strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out.WriteByte(' ')
		}
		out.WriteByte(c)
	}
	return out.String()
}

// par is the card's Payment Account Reference: 29 characters, the same for
// a PAN on every purchase, reproducible from the seed.
func par(seed uint64, pan string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var seedBytes [8]byte
	binary.BigEndian.PutUint64(seedBytes[:], seed)
	sum := sha256.Sum256(append(seedBytes[:], pan...))
	out := []byte("5001")
	for i := 0; len(out) < 29; i++ {
		out = append(out, alphabet[int(sum[i%len(sum)])%len(alphabet)])
	}
	return string(out)
}
