package babpos

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/fsm"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/money"
)

// TerminalState is a terminal as the control plane and the terminal page
// show it.
type TerminalState struct {
	TerminalID string `json:"terminalId"`
	MerchantID string `json:"merchantId"`
	// State is the coarse screen: idle, awaiting-card, processing or
	// result. Screen is the exact one (see Screens).
	State    string        `json:"state"`
	Screen   Screen        `json:"screen"`
	PromptEn string        `json:"promptEn"`
	PromptAr string        `json:"promptAr"`
	Mode     string        `json:"mode"`
	Delay    string        `json:"delay"`
	Timeout  string        `json:"timeout"`
	Fault    *string       `json:"fault"`
	Purchase *PurchaseView `json:"purchase"`
	Queue    []Card        `json:"queue"`
	Last     *LastView     `json:"last"`
}

// PurchaseView is the purchase a terminal works on.
type PurchaseView struct {
	RefNumber  string `json:"refNumber"`
	Amount     string `json:"amount"`
	Display    string `json:"display"`
	Card       *Card  `json:"card"`
	ReadErrors int    `json:"readErrors"`
}

// LastView is a terminal's last finished transaction.
type LastView struct {
	TransactionID      int64  `json:"transactionId"`
	ReceiptID          int64  `json:"receiptId"`
	RefNumber          string `json:"refNumber"`
	Status             string `json:"status"`
	SwitchResponseCode string `json:"switchResponseCode"`
	Message            string `json:"message"`
	Amount             string `json:"amount"`
	PAN                string `json:"pan"`
	Printed            bool   `json:"printed"`
	ReceiptText        string `json:"receiptText"`
}

// ModeRequest is the body of PUT /_sim/babpos/terminals/{terminalId}/mode.
type ModeRequest struct {
	Mode    string `json:"mode"`
	Delay   string `json:"delay"`
	Timeout string `json:"timeout"`
}

// PINRequest is the body of POST .../pin.
type PINRequest struct {
	PIN string `json:"pin"`
}

// FaultRequest is the body of PUT .../fault; a null fault clears it.
type FaultRequest struct {
	Fault *string `json:"fault"`
}

func coarse(s Screen) string {
	switch s {
	case Idle, AwaitingCard:
		return string(s)
	case Approved, Declined, Printing:
		return "result"
	}
	return "processing"
}

var prompts = map[Screen][2]string{
	Idle:         {"Welcome", "أهلا وسهلا"},
	AwaitingCard: {"Tap, insert or swipe card", "الرجاء تمرير أو إدخال البطاقة"},
	Reading:      {"Reading card...", "جاري قراءة البطاقة..."},
	PinEntry:     {"Enter PIN", "أدخل الرقم السري"},
	Processing:   {"Processing...", "جاري المعالجة..."},
	Approved:     {"Approved", "مقبولة"},
	Declined:     {"Declined", "مرفوضة"},
	Printing:     {"Printing receipt...", "جاري طباعة الإيصال..."},
}

// riyal is the terminal's currency; amounts are in halalas.
var riyal = money.MustCurrency("SAR")

// sar renders halalas as the terminal shows them: "SAR 120.00".
func sar(halalas int64) string { return "SAR " + money.FromMinor(halalas, riyal).Decimal() }

func (p *Provider) stateLocked(t *terminal) TerminalState {
	pr := prompts[t.screen]
	s := TerminalState{
		TerminalID: t.ID, MerchantID: t.merchant.ID, State: coarse(t.screen), Screen: t.screen,
		PromptEn: pr[0], PromptAr: pr[1], Mode: t.mode, Delay: t.delay.String(), Timeout: t.timeout.String(),
		Queue: append([]Card{}, t.queue...),
	}
	if t.fault != "" {
		f := t.fault
		s.Fault = &f
	}
	if pur := t.cur; pur != nil {
		v := &PurchaseView{RefNumber: pur.refNumber, Amount: strconv.FormatInt(pur.amount, 10), Display: sar(pur.amount), ReadErrors: pur.readErrors}
		if pur.card.PAN != "" && t.screen != AwaitingCard {
			c := pur.card
			v.Card = &c
		}
		s.Purchase = v
		if t.screen == AwaitingCard {
			s.PromptEn = sar(pur.amount) + " - " + s.PromptEn
		}
	}
	if tx := t.last; tx != nil {
		s.Last = &LastView{
			TransactionID: tx.ID, ReceiptID: tx.Answer.Receipt.ID, RefNumber: tx.RefNumber, Status: tx.Answer.Status,
			SwitchResponseCode: tx.Code, Message: tx.Answer.Message, Amount: strconv.FormatInt(tx.Amount, 10),
			PAN: tx.Answer.Receipt.PAN, Printed: tx.Printed, ReceiptText: receiptText(tx),
		}
	}
	return s
}

// onTerminal runs fn on terminal id under its merchant's lock (the
// provider lock is held only to find the terminal), and marks the
// merchant used.
func (p *Provider) onTerminal(id string, fn func(t *terminal) (TerminalState, error)) (TerminalState, error) {
	p.mu.RLock()
	t, ok := p.st.terminals[id]
	p.mu.RUnlock()
	if !ok || !t.merchant.lock() {
		return TerminalState{}, sim.ErrNotFound("no terminal %q", id)
	}
	m := t.merchant
	defer m.mu.Unlock()
	m.lastUsed = m.clock.Now()
	return fn(t)
}

// Terminal returns a terminal's state.
func (p *Provider) Terminal(id string) (TerminalState, error) {
	return p.onTerminal(id, func(t *terminal) (TerminalState, error) {
		return p.stateLocked(t), nil
	})
}

// QueueCard queues the card the next cardholder presents at a terminal.
func (p *Provider) QueueCard(id string, c Card) (TerminalState, error) {
	c, err := c.normalize()
	if err != nil {
		return TerminalState{}, sim.ErrBadRequest("%v", err)
	}
	return p.onTerminal(id, func(t *terminal) (TerminalState, error) {
		if len(t.queue) >= maxQueue {
			return TerminalState{}, sim.ErrConflict("terminal %s already has %d queued cards", id, maxQueue)
		}
		t.queue = append(t.queue, c)
		return p.stateLocked(t), nil
	})
}

// ClearQueue empties a terminal's queue of cards.
func (p *Provider) ClearQueue(id string) (TerminalState, error) {
	return p.onTerminal(id, func(t *terminal) (TerminalState, error) {
		t.queue = nil
		return p.stateLocked(t), nil
	})
}

// SetMode sets a terminal's mode: auto presents the queued (or default)
// card after delay; manual waits for Tap. timeout bounds every wait for
// the cardholder ("" is the default, 60s; "0s" times out at once).
func (p *Provider) SetMode(id string, req ModeRequest) (TerminalState, error) {
	if req.Mode != ModeAuto && req.Mode != ModeManual {
		return TerminalState{}, sim.ErrBadRequest("mode %q: want auto or manual", req.Mode)
	}
	delay, err := duration("delay", req.Delay, 0)
	if err != nil {
		return TerminalState{}, err
	}
	timeout, err := duration("timeout", req.Timeout, DefaultTimeout)
	if err != nil {
		return TerminalState{}, err
	}
	return p.onTerminal(id, func(t *terminal) (TerminalState, error) {
		t.mode, t.delay, t.timeout = req.Mode, delay, timeout
		if t.cur != nil && t.screen == AwaitingCard {
			// A purchase waits for a card: it now follows the new mode (auto
			// presents after the delay; manual waits, its timeout starting now).
			p.awaitCardLocked(t.cur)
		}
		return p.stateLocked(t), nil
	})
}

func duration(name, s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, sim.ErrBadRequest("%s: want a Go duration >= 0 such as \"2s\", got %q", name, s)
	}
	return d, nil
}

// Tap presents a card at a terminal that waits for one: c when given,
// else the queued card, else the default mada tap.
func (p *Provider) Tap(id string, c *Card) (TerminalState, error) {
	var card Card
	if c != nil {
		var err error
		if card, err = c.normalize(); err != nil {
			return TerminalState{}, sim.ErrBadRequest("%v", err)
		}
	}
	return p.onTerminal(id, func(t *terminal) (TerminalState, error) {
		if t.cur == nil || t.screen != AwaitingCard {
			return TerminalState{}, sim.ErrConflict("terminal %s shows %s: no purchase waits for a card", id, t.screen)
		}
		if c == nil {
			card = p.nextCardLocked(t)
		}
		if err := p.presentLocked(t.cur, card); err != nil {
			return TerminalState{}, err
		}
		return p.stateLocked(t), nil
	})
}

// EnterPIN types a PIN on a terminal that asks for one.
func (p *Provider) EnterPIN(id, pin string) (TerminalState, error) {
	if !allDigits(pin) || len(pin) < 4 || len(pin) > 12 {
		return TerminalState{}, sim.ErrBadRequest("pin: want 4 to 12 digits")
	}
	return p.onTerminal(id, func(t *terminal) (TerminalState, error) {
		if t.cur == nil || t.screen != PinEntry {
			return TerminalState{}, sim.ErrConflict("terminal %s shows %s: it does not ask for a PIN", id, t.screen)
		}
		if err := p.enterPINLocked(t.cur, pin); err != nil {
			return TerminalState{}, err
		}
		return p.stateLocked(t), nil
	})
}

// SetFault gives a terminal a hardware fault ("" clears it).
func (p *Provider) SetFault(id, fault string) (TerminalState, error) {
	known := fault == ""
	for _, f := range Faults {
		known = known || f == fault
	}
	if !known {
		return TerminalState{}, sim.ErrBadRequest("fault %q: want one of offline, busy, card-read-error, connection-lost, paper-out, or null", fault)
	}
	return p.onTerminal(id, func(t *terminal) (TerminalState, error) {
		t.fault = fault
		return p.stateLocked(t), nil
	})
}

// Receipt renders a receipt: format text (default), html or json.
func (p *Provider) Receipt(id int64, format string) (httpx.Response, error) {
	// A transaction does not change once recorded: the lock of the map is
	// all it takes.
	p.mu.RLock()
	st := p.st
	p.mu.RUnlock()
	p.objMu.RLock()
	tx, ok := st.receipts[id]
	p.objMu.RUnlock()
	if !ok {
		return httpx.Response{}, sim.ErrNotFound("no receipt %d", id)
	}
	switch format {
	case "", "text":
		return httpx.Response{Status: http.StatusOK, Raw: []byte(receiptText(tx)), ContentType: "text/plain; charset=utf-8"}, nil
	case "html":
		return httpx.HTML(http.StatusOK, receiptHTML(tx)), nil
	case "json":
		return httpx.JSON(http.StatusOK, map[string]any{"printed": tx.Printed, "refNumber": tx.RefNumber, "answer": tx.Answer}), nil
	}
	return httpx.Response{}, sim.ErrBadRequest("format %q: want text, html or json", format)
}

// Control registers the babpos control actions under /_sim/babpos.
func (p *Provider) Control(r *mux.Router) {
	r.Handle("/cards", sim.ControlH(p.ctlCatalogue)).Methods(http.MethodGet)
	r.Handle("/terminals/{terminalId}", sim.ControlH(p.ctlTerminal)).Methods(http.MethodGet)
	r.Handle("/terminals/{terminalId}/cards", sim.ControlH(p.ctlQueue)).Methods(http.MethodPost)
	r.Handle("/terminals/{terminalId}/cards", sim.ControlH(p.ctlClearQueue)).Methods(http.MethodDelete)
	r.Handle("/terminals/{terminalId}/mode", sim.ControlH(p.ctlMode)).Methods(http.MethodPut)
	r.Handle("/terminals/{terminalId}/tap", sim.ControlH(p.ctlTap)).Methods(http.MethodPost)
	r.Handle("/terminals/{terminalId}/pin", sim.ControlH(p.ctlPIN)).Methods(http.MethodPost)
	r.Handle("/terminals/{terminalId}/fault", sim.ControlH(p.ctlFault)).Methods(http.MethodPut)
	r.Handle("/receipts/{receiptId}", sim.ControlH(p.ctlReceipt)).Methods(http.MethodGet)
}

func ok(s TerminalState, err error) (httpx.Response, error) {
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.JSON(http.StatusOK, s), nil
}

// ctlCatalogue: GET /_sim/babpos/cards, the test card catalogue.
func (p *Provider) ctlCatalogue(*http.Request) (httpx.Response, error) {
	return httpx.JSON(http.StatusOK, map[string]any{"cards": Catalogue(), "cvmLimit": DefaultCVMLimit, "pin": DefaultPIN}), nil
}

// ctlTerminal: GET /_sim/babpos/terminals/{terminalId}.
func (p *Provider) ctlTerminal(r *http.Request) (httpx.Response, error) {
	return ok(p.Terminal(mux.Vars(r)["terminalId"]))
}

// ctlQueue: POST /_sim/babpos/terminals/{terminalId}/cards.
func (p *Provider) ctlQueue(r *http.Request) (httpx.Response, error) {
	var c Card
	if err := sim.DecodeControl(r, &c); err != nil {
		return httpx.Response{}, err
	}
	return ok(p.QueueCard(mux.Vars(r)["terminalId"], c))
}

// ctlClearQueue: DELETE /_sim/babpos/terminals/{terminalId}/cards.
func (p *Provider) ctlClearQueue(r *http.Request) (httpx.Response, error) {
	return ok(p.ClearQueue(mux.Vars(r)["terminalId"]))
}

// ctlMode: PUT /_sim/babpos/terminals/{terminalId}/mode.
func (p *Provider) ctlMode(r *http.Request) (httpx.Response, error) {
	var req ModeRequest
	if err := sim.DecodeControl(r, &req); err != nil {
		return httpx.Response{}, err
	}
	return ok(p.SetMode(mux.Vars(r)["terminalId"], req))
}

// ctlTap: POST /_sim/babpos/terminals/{terminalId}/tap, optional card body.
func (p *Provider) ctlTap(r *http.Request) (httpx.Response, error) {
	var c *Card
	if err := sim.DecodeControl(r, &c); err != nil {
		return httpx.Response{}, err
	}
	return ok(p.Tap(mux.Vars(r)["terminalId"], c))
}

// ctlPIN: POST /_sim/babpos/terminals/{terminalId}/pin {"pin":"1234"}.
func (p *Provider) ctlPIN(r *http.Request) (httpx.Response, error) {
	var req PINRequest
	if err := sim.DecodeControl(r, &req); err != nil {
		return httpx.Response{}, err
	}
	return ok(p.EnterPIN(mux.Vars(r)["terminalId"], req.PIN))
}

// ctlFault: PUT /_sim/babpos/terminals/{terminalId}/fault {"fault":...}.
func (p *Provider) ctlFault(r *http.Request) (httpx.Response, error) {
	var req FaultRequest
	if err := sim.DecodeControl(r, &req); err != nil {
		return httpx.Response{}, err
	}
	f := ""
	if req.Fault != nil {
		f = *req.Fault
	}
	return ok(p.SetFault(mux.Vars(r)["terminalId"], f))
}

// ctlReceipt: GET /_sim/babpos/receipts/{receiptId}?format=text|html|json.
func (p *Provider) ctlReceipt(r *http.Request) (httpx.Response, error) {
	id, err := strconv.ParseInt(mux.Vars(r)["receiptId"], 10, 64)
	if err != nil {
		return httpx.Response{}, sim.ErrNotFound("no receipt %q", mux.Vars(r)["receiptId"])
	}
	return p.Receipt(id, r.URL.Query().Get("format"))
}

// isTransition reports a refused screen change.
func isTransition(err error) bool { return errors.Is(err, fsm.ErrInvalidTransition) }
