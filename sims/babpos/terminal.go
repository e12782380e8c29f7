package babpos

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/paysandbox/paysandbox/sim/httpx"
)

// riyadh is Saudi Arabia's time (UTC+3, no daylight saving): receipts and
// answers show dates and times there.
var riyadh = time.FixedZone("AST", 3*60*60)

// How the cardholder was verified.
const (
	verifyNone   = "none"
	verifyDevice = "device"
	verifyPIN    = "pin"
)

// armLocked runs fn after d on the merchant's clock, unless the terminal
// moves on (or the merchant is gone) first; d <= 0 runs it now. The
// callback runs on the clock's goroutine under the merchant's lock.
func (p *Provider) armLocked(pur *purchase, d time.Duration, fn func()) {
	if pur.timer != nil {
		pur.timer.Stop()
		pur.timer = nil
	}
	if d <= 0 {
		fn()
		return
	}
	t, gen := pur.terminal, pur.terminal.gen
	m := t.merchant
	pur.timer = m.timers.AfterFunc(d, func() {
		if !m.lock() {
			return
		}
		defer m.mu.Unlock()
		if t.gen != gen || t.cur != pur {
			return
		}
		pur.timer = nil
		fn()
	})
}

// awaitCardLocked runs when the terminal asks for a card: an auto-mode
// terminal presents the next card after its delay; a manual one waits for
// a tap until its timeout.
func (p *Provider) awaitCardLocked(pur *purchase) {
	t := pur.terminal
	if t.mode == ModeAuto {
		p.armLocked(pur, t.delay, func() { _ = p.presentLocked(pur, p.nextCardLocked(t)) })
		return
	}
	p.armLocked(pur, t.timeout, func() { p.timeoutLocked(pur, "no card was presented") })
}

// nextCardLocked takes the queued card, or the default mada tap.
func (p *Provider) nextCardLocked(t *terminal) Card {
	if len(t.queue) == 0 {
		return DefaultCard()
	}
	c := t.queue[0]
	t.queue = t.queue[1:]
	return c
}

func (p *Provider) timeoutLocked(pur *purchase, why string) {
	if err := p.fireLocked(pur.terminal, EvCancel); err != nil {
		return
	}
	e := apiErr(CodeTimeout, "the terminal timed out after %s: %s", pur.terminal.timeout, why)
	e.msg = "Timeout: " + why
	p.finishLocked(pur, nil, e)
}

// presentLocked: the cardholder presents c (normalized).
func (p *Provider) presentLocked(pur *purchase, c Card) error {
	t := pur.terminal
	if err := p.fireLocked(t, EvPresent); err != nil {
		return err
	}
	if pur.timer != nil {
		pur.timer.Stop()
		pur.timer = nil
	}
	pur.card = c
	if c.Balance != nil {
		p.setBalanceLocked(t.merchant, c.PAN, *c.Balance)
	}
	if t.fault == FaultCardReadError || c.Outcome == OutcomeReadError {
		if t.fault == FaultCardReadError {
			t.fault = ""
		}
		pur.readErrors++
		_ = p.fireLocked(t, EvReadError)
		p.awaitCardLocked(pur)
		return nil
	}
	if p.needsPIN(pur) {
		_ = p.fireLocked(t, EvNeedPin)
		if t.mode == ModeAuto && !c.WalkAway {
			return p.enterPINLocked(pur, autoPIN(c))
		}
		p.armLocked(pur, t.timeout, func() { p.timeoutLocked(pur, "no PIN was entered") })
		return nil
	}
	pur.verification = verifyNone
	if c.Wallet && c.EntryMode == Contactless {
		pur.verification = verifyDevice
	}
	_ = p.fireLocked(t, EvRead)
	p.authoriseLocked(pur)
	return nil
}

// needsPIN: CHIP and MAGSTRIPE always; contactless plastic above the
// merchant's CVM limit; a card whose holder mistypes the PIN always. Phone
// wallets verify on the device.
func (p *Provider) needsPIN(pur *purchase) bool {
	c := pur.card
	switch {
	case c.Outcome == OutcomeWrongPin:
		return true
	case c.EntryMode != Contactless:
		return true
	case c.Wallet:
		return false
	}
	return pur.amount > pur.terminal.merchant.CVMLimit
}

// autoPIN is what the virtual cardholder types in auto mode.
func autoPIN(c Card) string {
	if c.Outcome != OutcomeWrongPin {
		return c.PIN
	}
	if c.PIN == "0000" {
		return "1111"
	}
	return "0000"
}

// enterPINLocked: the cardholder types pin.
func (p *Provider) enterPINLocked(pur *purchase, pin string) error {
	if err := p.fireLocked(pur.terminal, EvPin); err != nil {
		return err
	}
	if pur.timer != nil {
		pur.timer.Stop()
		pur.timer = nil
	}
	pur.verification = verifyPIN
	pur.pinOK = pin == pur.card.PIN && pur.card.Outcome != OutcomeWrongPin
	p.authoriseLocked(pur)
	return nil
}

// authoriseLocked is the host's decision, the receipt and the way back to
// idle.
func (p *Provider) authoriseLocked(pur *purchase) {
	t, m, c := pur.terminal, pur.terminal.merchant, pur.card
	now := m.clock.Now()
	code := RespApproved
	exp, _ := parseExpiry(c.Expiry)
	bal, hasBal := m.balances[c.PAN]
	switch {
	case c.Outcome == OutcomeDoNotHonour:
		code = RespDoNotHonour
	case c.Outcome == OutcomeExpiredCard || !now.Before(exp):
		code = RespExpiredCard
	case pur.verification == verifyPIN && !pur.pinOK:
		code = RespIncorrectPin
	case c.Outcome == OutcomeInsufficientFunds, hasBal && bal < pur.amount:
		code = RespInsufficientFunds
	}
	if code == RespApproved {
		if hasBal {
			m.balances[c.PAN] = bal - pur.amount
		}
		_ = p.fireLocked(t, EvApprove)
	} else {
		_ = p.fireLocked(t, EvDecline)
	}
	tx := p.transactionLocked(pur, code, now)
	_ = p.fireLocked(t, EvPrint)
	tx.Printed = t.fault != FaultPaperOut
	_ = p.fireLocked(t, EvDone)
	if t.fault == FaultConnectionLost {
		t.fault = ""
		pur.lost = true
	}
	p.finishLocked(pur, tx, nil)
}

// finishLocked ends pur with tx (a transaction) or err, wakes the waiting
// ECR call and frees the terminal.
func (p *Provider) finishLocked(pur *purchase, tx *transaction, err *apiError) {
	t := pur.terminal
	if pur.timer != nil {
		pur.timer.Stop()
		pur.timer = nil
	}
	if t.cur == pur {
		t.cur = nil
	}
	if tx != nil {
		t.last = tx
		p.recordLocked(t.merchant, tx)
	}
	pur.tx, pur.err = tx, err
	close(pur.done)
}

// transaction is a finished purchase: approved or declined, with its
// receipt.
type transaction struct {
	ID        int64
	RefNumber string
	Amount    int64
	Code      string
	Card      Card
	Printed   bool
	Answer    Answer
	terminal  *terminal
	done      time.Time // when the terminal finished it, on the merchant's clock
}

// answer is what the ECR gets, the first time and on every replay.
func (p *Provider) answerOf(tx *transaction) httpx.Response {
	if tx.Code == RespInsufficientFunds {
		// BAB's documented error form for this decline.
		return p.render(apiErr(CodeInsufficientFunds, "transaction %d declined 116: insufficient funds", tx.ID))
	}
	return httpx.JSON(http.StatusOK, tx.Answer)
}

// Answer is the success answer of a purchase (approved or declined), field
// for field as the documentation's example.
type Answer struct {
	TransactionID int64   `json:"transactionId"`
	Status        string  `json:"status"`
	Message       string  `json:"message"`
	Receipt       Receipt `json:"receipt"`
}

// Receipt is the answer's receipt object, in the example's order.
type Receipt struct {
	ID                           int64   `json:"id"`
	MerchantNameAr               string  `json:"merchantNameAr"`
	MerchantNameEn               string  `json:"merchantNameEn"`
	AddressAr                    string  `json:"addressAr"`
	AddressEn                    string  `json:"addressEn"`
	StartDate                    string  `json:"startDate"`
	StartTime                    string  `json:"startTime"`
	StartDateTime                *string `json:"startDateTime"`
	EndDateTime                  *string `json:"endDateTime"`
	AcquirerCode                 string  `json:"acquirerCode"`
	MerchantID                   string  `json:"merchantId"`
	TerminalID                   string  `json:"terminalId"`
	MerchantCategoryCode         string  `json:"merchantCategoryCode"`
	Stan                         string  `json:"stan"`
	AppVersion                   string  `json:"appVersion"`
	RRN                          string  `json:"rrn"`
	CardSchemeID                 string  `json:"cardSchemeId"`
	CardSchemeAr                 string  `json:"cardSchemeAr"`
	CardSchemeEn                 string  `json:"cardSchemeEn"`
	ApplicationLabelAr           *string `json:"applicationLabelAr"`
	ApplicationLabelEn           *string `json:"applicationLabelEn"`
	PAN                          string  `json:"pan"`
	CardExpiration               string  `json:"cardExpiration"`
	TransactionTypeAr            string  `json:"transactionTypeAr"`
	TransactionTypeEn            string  `json:"transactionTypeEn"`
	AmountAuthorized             string  `json:"amountAuthorized"`
	AmountAuthorizedAr           string  `json:"amountAuthorizedAr"`
	AmountAuthorizedEn           string  `json:"amountAuthorizedEn"`
	StatusMessageAr              string  `json:"statusMessageAr"`
	StatusMessageEn              string  `json:"statusMessageEn"`
	VerificationMethodAr         string  `json:"verificationMethodAr"`
	VerificationMethodEn         string  `json:"verificationMethodEn"`
	ApprovalCodeAr               string  `json:"approvalCodeAr"`
	ApprovalCodeEn               string  `json:"approvalCodeEn"`
	ApprovalCode                 string  `json:"approvalCode"`
	EndTime                      string  `json:"endTime"`
	EndDate                      string  `json:"endDate"`
	EntryMode                    string  `json:"entryMode"`
	SwitchResponseCode           string  `json:"switchResponseCode"`
	ApplicationIdentifier        string  `json:"applicationIdentifier"`
	TerminalVerificationResult   string  `json:"terminalVerificationResult"`
	TransactionStateInformation  string  `json:"transactionStateInformation"`
	CardholderVerificationResult string  `json:"cardholderVerificationResult"`
	CryptogramInformationData    string  `json:"cryptogramInformationData"`
	ApplicationCryptogram        string  `json:"applicationCryptogram"`
	KernelID                     string  `json:"kernelId"`
	PaymentAccountReference      string  `json:"paymentAccountReference"`
	ThanksMessageAr              string  `json:"thanksMessageAr"`
	ThanksMessageEn              string  `json:"thanksMessageEn"`
	SaveReceiptMessageAr         string  `json:"saveReceiptMessageAr"`
	SaveReceiptMessageEn         string  `json:"saveReceiptMessageEn"`
	ProviderResponseCode         *string `json:"providerResponseCode"`
}

type schemeInfo struct {
	id, ar, aid, kernel, thanksAr, thanksEn string
}

var schemes = map[string]schemeInfo{
	SchemeMada:       {"P1", "مدى", "A0000002281010", "2d", "شكرا لاستخدامكم مدى", "Thank you for using mada"},
	SchemeVisa:       {"VC", "فيزا", "A0000000031010", "03", "شكرا لاستخدامكم فيزا", "Thank you for using Visa"},
	SchemeMasterCard: {"MC", "ماستركارد", "A0000000041010", "02", "شكرا لاستخدامكم ماستركارد", "Thank you for using MasterCard"},
}

// declineTexts are the answer's message per response code.
var declineTexts = map[string]string{
	RespApproved:          "Approved",
	RespDoNotHonour:       "Do Not Honour",
	RespExpiredCard:       "Expired Card",
	RespInsufficientFunds: "Insufficient Funds",
	RespIncorrectPin:      "Incorrect PIN",
}

// transactionLocked builds the transaction and its answer from the
// terminal, the card and the clock.
func (p *Provider) transactionLocked(pur *purchase, code string, now time.Time) *transaction {
	t, m, c, st := pur.terminal, pur.terminal.merchant, pur.card, pur.terminal.merchant.st
	txID, receiptID := p.txSeq.Add(1), p.receiptSeq.Add(1)
	t.stan = t.stan%999999 + 1
	m.rrnSeq = m.rrnSeq%999999 + 1
	start, end := pur.started.In(riyadh), now.In(riyadh)
	sc := schemes[c.Scheme]
	approved := code == RespApproved

	status, statusAr, statusEn, approval := "APPROVED", "مقبولة", "Approved", st.ids.Digits(6)
	cid := "80"
	if !approved {
		status, statusAr, statusEn, approval, cid = "DECLINED", "مرفوضة", "Declined", "", "00"
	}
	verAr, verEn, cvr := "لا يلزم التحقق", "NO VERIFICATION REQUIRED", "1F0302"
	switch {
	case pur.verification == verifyDevice:
		verAr, verEn, cvr = "تم التحقق من هوية حامل الجهاز ", "DEVICE OWNER IDENTITY VERIFIED", "640300"
	case pur.verification == verifyPIN && pur.pinOK:
		verAr, verEn, cvr = "تم التحقق من الرقم السري", "CARDHOLDER PIN VERIFIED", "420300"
	case pur.verification == verifyPIN:
		verAr, verEn, cvr = "الرقم السري غير صحيح", "INCORRECT PIN", "410301"
	}
	tvr, tsi, kernel := "0080008000", "0000", sc.kernel
	switch c.EntryMode {
	case Chip:
		tvr, tsi, kernel = "0000048000", "E800", "00"
	case Magstripe:
		tvr, tsi, kernel = "0000000000", "0000", "00"
	}
	if code == RespExpiredCard && c.EntryMode != Magstripe {
		tvr = tvr[:2] + "4" + tvr[3:] // byte 2: expired application
	}
	rrn := fmt.Sprintf("%d%03d%02d%06d", now.In(riyadh).Year()%10, now.In(riyadh).YearDay(), now.In(riyadh).Hour(), m.rrnSeq)
	tx := &transaction{
		ID: txID, RefNumber: pur.refNumber, Amount: pur.amount, Code: code, Card: c, terminal: t,
	}
	tx.Answer = Answer{
		TransactionID: tx.ID, Status: status, Message: declineTexts[code],
		Receipt: Receipt{
			ID: receiptID, MerchantNameAr: m.NameAr, MerchantNameEn: m.NameEn, AddressAr: m.AddressAr, AddressEn: m.AddressEn,
			StartDate: start.Format("02/01/2006"), StartTime: start.Format("15:04:05"),
			AcquirerCode: m.Acquirer, MerchantID: m.ID, TerminalID: t.ID, MerchantCategoryCode: m.MCC,
			Stan: fmt.Sprintf("%06d", t.stan), AppVersion: "1.0.0", RRN: rrn,
			CardSchemeID: sc.id, CardSchemeAr: sc.ar, CardSchemeEn: c.Scheme,
			PAN: maskPAN(c.PAN), CardExpiration: cardExpiration(c.Expiry),
			TransactionTypeAr: "شراء", TransactionTypeEn: "PURCHASE",
			AmountAuthorized: fmt.Sprint(pur.amount), AmountAuthorizedAr: "مبلغ الشراء", AmountAuthorizedEn: "PURCHASE AMOUNT",
			StatusMessageAr: statusAr, StatusMessageEn: statusEn,
			VerificationMethodAr: verAr, VerificationMethodEn: verEn,
			ApprovalCodeAr: "رمز الموافقة", ApprovalCodeEn: "Approval Code", ApprovalCode: approval,
			EndTime: end.Format("15:04:05"), EndDate: end.Format("02/01/2006"),
			EntryMode: c.EntryMode, SwitchResponseCode: code, ApplicationIdentifier: sc.aid,
			TerminalVerificationResult: tvr, TransactionStateInformation: tsi, CardholderVerificationResult: cvr,
			CryptogramInformationData: cid, ApplicationCryptogram: strings.ToUpper(st.ids.Hex(16)),
			KernelID: kernel, PaymentAccountReference: par(p.deps.Seed, c.PAN),
			ThanksMessageAr: sc.thanksAr, ThanksMessageEn: sc.thanksEn,
			SaveReceiptMessageAr: "يرجى الاحتفاظ بالفاتورة", SaveReceiptMessageEn: "please retain receipt",
		},
	}
	return tx
}
