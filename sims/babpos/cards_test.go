package babpos_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/paysandbox/paysandbox/sims/babpos"
)

var aids = map[string]string{"Mada": "A0000002281010", "Visa": "A0000000031010", "MasterCard": "A0000000041010"}

// TestCatalogue: every test card in every entry mode gives its documented
// outcome.
func TestCatalogue(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	for _, tc := range babpos.Catalogue() {
		for _, mode := range babpos.EntryModes {
			t.Run(tc.Name+"/"+mode, func(t *testing.T) {
				e := *e
				e.tb, e.s = t, e.s.With(t)
				e.queue(map[string]any{"name": tc.Name, "entryMode": mode})
				wantStatus, wantCode, wantVerify := http.StatusOK, "000", "NO VERIFICATION REQUIRED"
				switch {
				case mode != babpos.Contactless:
					wantVerify = "CARDHOLDER PIN VERIFIED"
				case tc.Wallet:
					wantVerify = "DEVICE OWNER IDENTITY VERIFIED"
				}
				switch tc.Outcome {
				case babpos.OutcomeInsufficientFunds:
					wantStatus = http.StatusPaymentRequired
				case babpos.OutcomeWrongPin:
					wantCode, wantVerify = "117", "INCORRECT PIN"
				case babpos.OutcomeDoNotHonour:
					wantCode = "100"
				}
				if tc.Expiry == "01/20" {
					wantCode = "101"
				}
				resp := e.buy("1000", wantStatus)
				if wantStatus != http.StatusOK {
					if f := failure(t, resp); f.Msg != "Insufficient Funds" {
						t.Errorf("msg %q", f.Msg)
					}
					return
				}
				a := e.answer(resp).Receipt
				pan, scheme, entry := tc.PAN, tc.Scheme, mode
				if tc.Outcome == babpos.OutcomeReadError {
					// Not read: the terminal asked again and the default
					// card (a mada phone tap) was presented.
					d := babpos.DefaultCard()
					pan, scheme, entry, wantVerify = d.PAN, d.Scheme, d.EntryMode, "DEVICE OWNER IDENTITY VERIFIED"
				}
				wantStatusText := "APPROVED"
				if wantCode != "000" {
					wantStatusText = "DECLINED"
				}
				got := fmt.Sprint(a.SwitchResponseCode, " ", e.answer(resp).Status, " ", a.VerificationMethodEn, " ", a.CardSchemeEn, " ", a.EntryMode, " ", a.PAN[len(a.PAN)-4:], " ", a.ApplicationIdentifier)
				want := fmt.Sprint(wantCode, " ", wantStatusText, " ", wantVerify, " ", scheme, " ", entry, " ", pan[len(pan)-4:], " ", aids[scheme])
				if got != want {
					t.Errorf("got  %s\nwant %s", got, want)
				}
				if wantCode != "000" && (a.ApprovalCode != "" || a.StatusMessageEn != "Declined" || a.CryptogramInformationData != "00") {
					t.Errorf("declined with approval code %q, status %q, CID %q", a.ApprovalCode, a.StatusMessageEn, a.CryptogramInformationData)
				}
			})
		}
	}
}

// TestCVMLimit: a contactless card asks for the PIN above the merchant's
// CVM limit (mada's SAR 300 by default); a phone wallet never does.
func TestCVMLimit(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	verify := func(card string, amount string) string {
		t.Helper()
		e.queue(map[string]any{"name": card})
		return e.answer(e.buy(amount, http.StatusOK)).Receipt.VerificationMethodEn
	}
	for _, tc := range []struct{ card, amount, want string }{
		{"mada-approve", "30000", "NO VERIFICATION REQUIRED"},
		{"mada-approve", "30001", "CARDHOLDER PIN VERIFIED"},
		{"visa-approve", "50000", "CARDHOLDER PIN VERIFIED"},
		{"mada-wallet", "90000", "DEVICE OWNER IDENTITY VERIFIED"},
	} {
		if got := verify(tc.card, tc.amount); got != tc.want {
			t.Errorf("%s %s: %s, want %s", tc.card, tc.amount, got, tc.want)
		}
	}
	// A merchant with another limit.
	es, creds := mintedECRs(s, t, map[string]any{"cvmLimit": 10000})
	if creds.CVMLimit != 10000 {
		t.Errorf("cvmLimit %d", creds.CVMLimit)
	}
	es[0].queue(map[string]any{"name": "mada-approve"})
	if got := es[0].answer(es[0].buy("10001", http.StatusOK)).Receipt.VerificationMethodEn; got != "CARDHOLDER PIN VERIFIED" {
		t.Errorf("minted limit: %s", got)
	}
}

// TestBalance: a card's balance is spent by purchases, then it declines
// with Insufficient Funds.
func TestBalance(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	e.queue(map[string]any{"scheme": "visa", "pan": "4000000000000002", "expiry": "12/30", "balance": 5000})
	e.buy("3000", http.StatusOK)
	e.queue(map[string]any{"scheme": "visa", "pan": "4000000000000002", "expiry": "12/30"})
	resp := e.buy("3000", http.StatusPaymentRequired)
	if f := failure(t, resp); f != (babpos.Failure{Status: "failed", Msg: "Insufficient Funds"}) {
		t.Errorf("%+v", f)
	}
	e.queue(map[string]any{"scheme": "visa", "pan": "4000000000000002", "expiry": "12/30"})
	a := e.answer(e.buy("2000", http.StatusOK))
	if a.Receipt.PAN != "4000 00** **** 0002" || a.Receipt.CardSchemeEn != "Visa" {
		t.Errorf("custom card: %+v", a.Receipt)
	}
	// The declined purchase is on the terminal, with its receipt.
	st := e.state()
	if st.Last.Status != "APPROVED" {
		t.Errorf("last %+v", st.Last)
	}
}

// TestCustomCards: a card built from scheme, PAN, expiry and outcome; bad
// cards are refused by the control plane.
func TestCustomCards(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	e.queue(map[string]any{"scheme": "MasterCard", "expiry": "06/20"})
	a := e.answer(e.buy("100", http.StatusOK))
	if a.Receipt.SwitchResponseCode != "101" || a.Receipt.CardExpiration != "20/06" {
		t.Errorf("expired custom card: %s %s", a.Receipt.SwitchResponseCode, a.Receipt.CardExpiration)
	}
	e.queue(map[string]any{"scheme": "mada", "outcome": "expired-card"})
	if a := e.answer(e.buy("100", http.StatusOK)); a.Message != "Expired Card" {
		t.Errorf("expired-card outcome: %s", a.Message)
	}
	for _, bad := range []any{
		map[string]any{"scheme": "amex"},
		map[string]any{"pan": "12ab"},
		map[string]any{"expiry": "2030-12"},
		map[string]any{"expiry": "13/30"},
		map[string]any{"entryMode": "NFC"},
		map[string]any{"outcome": "maybe"},
		map[string]any{"pin": "12"},
		map[string]any{"balance": -1},
		map[string]any{"name": "no-such-card"},
		map[string]any{"colour": "gold"},
		`{"scheme":"mada"} {}`,
	} {
		e.ctl(http.MethodPost, "/cards", bad, http.StatusBadRequest)
	}
	var cat struct{ Cards []babpos.TestCard }
	s.Control(http.MethodGet, "/_sim/babpos/cards", nil, http.StatusOK, &cat)
	if len(cat.Cards) != len(babpos.Catalogue()) {
		t.Errorf("catalogue has %d cards", len(cat.Cards))
	}
}
