package babpos

import (
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/fsm"
)

// Screen is what the terminal shows: its state.
type Screen string

// The terminal's screens, in the order a purchase walks through them.
const (
	Idle         Screen = "idle"          // waiting for the ECR
	AwaitingCard Screen = "awaiting-card" // shows the amount: tap, insert or swipe
	Reading      Screen = "reading"       // reading the card
	PinEntry     Screen = "pin-entry"     // asks the cardholder for the PIN
	Processing   Screen = "processing"    // online authorisation at the host
	Approved     Screen = "approved"      // result: approved
	Declined     Screen = "declined"      // result: declined
	Printing     Screen = "receipt"       // printing the receipt
)

// Event moves the terminal between screens.
type Event string

// Terminal events: what the ECR, the cardholder, the card, the host, the
// printer and the clock do.
const (
	EvPurchase  Event = "purchase"  // the ECR starts a purchase
	EvPresent   Event = "present"   // the cardholder taps, inserts or swipes a card
	EvReadError Event = "readError" // the card could not be read: present again
	EvNeedPin   Event = "needPin"   // the card or the amount needs a PIN
	EvRead      Event = "read"      // read, no PIN needed
	EvPin       Event = "pin"       // the cardholder entered the PIN
	EvApprove   Event = "approve"   // the host approved
	EvDecline   Event = "decline"   // the host (or the card) declined
	EvPrint     Event = "print"     // the receipt is printed (or would be)
	EvDone      Event = "done"      // the receipt is taken: ready for the next sale
	EvCancel    Event = "cancel"    // nobody came: the timeout passed, or the ECR went away
)

type termTr = fsm.Transition[Screen, Event]

// terminalFSM is the one transition table of a terminal. Every screen
// change goes through it.
var terminalFSM = fsm.New("terminal",
	[]Screen{Idle, AwaitingCard, Reading, PinEntry, Processing, Approved, Declined, Printing},
	termTr{From: []Screen{Idle}, Event: EvPurchase, To: AwaitingCard},
	termTr{From: []Screen{AwaitingCard}, Event: EvPresent, To: Reading},
	termTr{From: []Screen{Reading}, Event: EvReadError, To: AwaitingCard},
	termTr{From: []Screen{Reading}, Event: EvNeedPin, To: PinEntry},
	termTr{From: []Screen{Reading}, Event: EvRead, To: Processing},
	termTr{From: []Screen{PinEntry}, Event: EvPin, To: Processing},
	termTr{From: []Screen{Processing}, Event: EvApprove, To: Approved},
	termTr{From: []Screen{Processing}, Event: EvDecline, To: Declined},
	termTr{From: []Screen{Approved, Declined}, Event: EvPrint, To: Printing},
	termTr{From: []Screen{Printing}, Event: EvDone, To: Idle},
	termTr{From: []Screen{AwaitingCard, PinEntry}, Event: EvCancel, To: Idle},
)

// Screens lists the terminal's screens in flow order.
func Screens() []Screen { return terminalFSM.States() }

// Transitions lists the terminal's transition table, for tests and the
// dashboard.
func Transitions() []fsm.Edge { return terminalFSM.Edges() }

// fireLocked moves t's screen by ev, recording the edge for coverage.
func (p *Provider) fireLocked(t *terminal, ev Event) error {
	to, err := sim.Fire(p.cover.For(t.merchant.ID), terminalFSM, t.screen, ev)
	if err != nil {
		return err
	}
	t.screen = to
	t.gen++
	return nil
}
