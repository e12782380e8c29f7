package myfatoorah

import (
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/fsm"
)

// InvoiceStatus is GetPaymentStatus's Data.InvoiceStatus.
type InvoiceStatus string

// Invoice statuses.
const (
	InvoicePending   InvoiceStatus = "Pending"
	InvoiceAuthorize InvoiceStatus = "Authorize" // AutoCapture false, until UpdatePaymentStatus
	InvoicePaid      InvoiceStatus = "Paid"
	InvoiceExpired   InvoiceStatus = "Expired"
	InvoiceCanceled  InvoiceStatus = "Canceled" // canceled by the merchant, or its authorization released
)

// TxStatus is an InvoiceTransactions entry's TransactionStatus, spelt as
// MyFatoorah spells it ("Succss").
type TxStatus string

// Transaction statuses.
const (
	TxInProgress TxStatus = "InProgress"
	TxSuccess    TxStatus = "Succss"
	TxFailed     TxStatus = "Failed"
	TxAuthorize  TxStatus = "Authorize"
	TxCanceled   TxStatus = "Canceled"
)

// RefundStatus is GetRefundStatus's RefundStatus.
type RefundStatus string

// Refund statuses.
const (
	RefundPending  RefundStatus = "Pending"
	RefundRefunded RefundStatus = "Refunded"
	RefundCanceled RefundStatus = "Canceled"
)

// RecurringStatus is a recurring schedule's status (webhook
// RecurringStatus, upper-cased on the wire).
type RecurringStatus string

// Recurring statuses.
const (
	RecurringPending     RecurringStatus = "Pending" // the initial invoice is not paid yet
	RecurringActive      RecurringStatus = "Active"
	RecurringCompleted   RecurringStatus = "Completed"
	RecurringUncompleted RecurringStatus = "Uncompleted" // a charge failed after every retry
	RecurringCanceled    RecurringStatus = "Canceled"
)

// Event moves a resource between statuses.
type Event string

// Events.
const (
	EvPay       Event = "pay"
	EvAuthorize Event = "authorize"
	EvCapture   Event = "capture"
	EvRelease   Event = "release"
	EvExpire    Event = "expire"
	EvSucceed   Event = "succeed"
	EvFail      Event = "fail"
	EvComplete  Event = "complete"
	EvReject    Event = "reject"
	EvActivate  Event = "activate"
	EvCharge    Event = "charge"
	EvExhaust   Event = "exhaust"
	EvCancel    Event = "cancel"
)

type (
	invT = fsm.Transition[InvoiceStatus, Event]
	txT  = fsm.Transition[TxStatus, Event]
	rfT  = fsm.Transition[RefundStatus, Event]
	rcT  = fsm.Transition[RecurringStatus, Event]
)

// invoiceFSM: an invoice waits for a successful attempt (failed attempts
// leave it Pending) until it expires on the merchant's clock.
var invoiceFSM = fsm.New("invoice",
	[]InvoiceStatus{InvoicePending, InvoiceAuthorize, InvoicePaid, InvoiceExpired, InvoiceCanceled},
	invT{From: []InvoiceStatus{InvoicePending}, Event: EvPay, To: InvoicePaid},
	invT{From: []InvoiceStatus{InvoicePending}, Event: EvAuthorize, To: InvoiceAuthorize},
	invT{From: []InvoiceStatus{InvoiceAuthorize}, Event: EvCapture, To: InvoicePaid},
	invT{From: []InvoiceStatus{InvoiceAuthorize}, Event: EvRelease, To: InvoiceCanceled},
	invT{From: []InvoiceStatus{InvoicePending}, Event: EvExpire, To: InvoiceExpired},
	invT{From: []InvoiceStatus{InvoicePending}, Event: EvCancel, To: InvoiceCanceled},
)

// txFSM: one payment attempt on an invoice.
var txFSM = fsm.New("transaction",
	[]TxStatus{TxInProgress, TxSuccess, TxFailed, TxAuthorize, TxCanceled},
	txT{From: []TxStatus{TxInProgress}, Event: EvSucceed, To: TxSuccess},
	txT{From: []TxStatus{TxInProgress}, Event: EvFail, To: TxFailed},
	txT{From: []TxStatus{TxInProgress}, Event: EvAuthorize, To: TxAuthorize},
	txT{From: []TxStatus{TxAuthorize}, Event: EvCapture, To: TxSuccess},
	txT{From: []TxStatus{TxAuthorize}, Event: EvRelease, To: TxCanceled},
)

// refundFSM: MakeRefund creates a Pending refund that the bank completes
// after the merchant's refund delay (or a control action decides).
var refundFSM = fsm.New("refund",
	[]RefundStatus{RefundPending, RefundRefunded, RefundCanceled},
	rfT{From: []RefundStatus{RefundPending}, Event: EvComplete, To: RefundRefunded},
	rfT{From: []RefundStatus{RefundPending}, Event: EvReject, To: RefundCanceled},
)

// recurringFSM: a schedule starts with its initial invoice's payment and
// charges the stored card on the merchant's clock.
var recurringFSM = fsm.New("recurring",
	[]RecurringStatus{RecurringPending, RecurringActive, RecurringCompleted, RecurringUncompleted, RecurringCanceled},
	rcT{From: []RecurringStatus{RecurringPending}, Event: EvActivate, To: RecurringActive},
	rcT{From: []RecurringStatus{RecurringActive}, Event: EvCharge, To: RecurringActive},
	rcT{From: []RecurringStatus{RecurringActive}, Event: EvComplete, To: RecurringCompleted},
	rcT{From: []RecurringStatus{RecurringActive}, Event: EvExhaust, To: RecurringUncompleted},
	rcT{From: []RecurringStatus{RecurringPending, RecurringActive}, Event: EvCancel, To: RecurringCanceled},
)

// fire applies ev through a table and records the edge for coverage,
// the provider's and m's.
func fire[S ~string](p *Provider, m *merchant, t *fsm.Table[S, Event], cur *S, ev Event) error {
	to, err := sim.Fire(p.track.For(m.ID), t, *cur, ev)
	if err != nil {
		return err
	}
	*cur = to
	return nil
}

// invoice is a MyFatoorah invoice (ExecutePayment or SendPayment).
type invoice struct {
	ID        int64
	Reference string
	PageKey   string // unguessable key of the hosted page URL
	m         *merchant
	Status    InvoiceStatus
	Created   time.Time
	Expiry    time.Time
	Value     Amount // in the display currency, as sent
	Base      Amount // in the merchant's base currency
	MethodID  int    // 0: the customer chooses on the page (SendPayment)
	SessionID string
	Send      bool // created by SendPayment
	Req       invoiceRequest
	Items     []lineItem
	Suppliers []supplierShare

	AutoCapture bool
	Bypass3DS   bool
	Recurring   *recurring
	Txs         []*transaction
	Refunds     []*refund
	expiryTimer interface{ Stop() bool }
	touched     time.Time // last change (status, attempt, refund), on the merchant's clock
	forgotten   bool      // dropped by retention or with its merchant: nothing may act on it
}

type lineItem struct {
	Name     string
	Quantity int64
	Price    Amount
	Weight   *string
	Width    *string
	Height   *string
	Depth    *string
}

type supplierShare struct {
	Code     int
	Proposed *Amount
	Share    Amount
}

// transaction is one payment attempt.
type transaction struct {
	PaymentID     string
	Status        TxStatus
	Method        paymentMethod
	Date          time.Time
	Error         string
	ErrorCode     string
	Card          string // masked
	ReferenceID   string
	TrackID       string
	TransactionID string
	AuthID        string
	Charge        Amount // service charge, base currency
	Captured      Amount
	pending       outcome // the outcome once 3-D Secure is passed
	cardNumber    string  // kept for recurring charges (sandbox cards only)
	cardExpiry    string
	cardCVV       string
}

// refund is a MakeRefund.
type refund struct {
	ID         int64
	Reference  string
	Status     RefundStatus
	inv        *invoice
	Amount     Amount
	Comment    string
	ExternalID string
	Created    time.Time
}

// recurring is a RecurringModel schedule.
type recurring struct {
	ID         string
	Status     RecurringStatus
	Type       string
	Interval   int // days, Custom
	Iteration  int // total charges including the initial invoice; 0 = until canceled
	RetryCount int
	initial    *invoice
	m          *merchant
	charges    int // successful charges so far
	retriesUse int
	declines   int // control: the next n charges decline
	timer      interface{ Stop() bool }
	last       *invoice  // the latest charge's invoice
	touched    time.Time // last status change, on the merchant's clock
}

// session is an InitiateSession session.
type session struct {
	ID         string
	m          *merchant
	Expires    time.Time
	Used       bool
	CustomerID string
	timer      interface{ Stop() bool } // expires it
}
