package babpos

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/money"
)

// Limits of the request fields (BAB documents none; see doc.go).
const (
	maxAmountDigits = 10 // 99,999,999.99 SAR
	maxRefNumber    = 64
	maxLoginField   = 128
)

// LoginRequest is the body of POST /api/v1/auth/login.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LoginAnswer is the answer of POST /api/v1/auth/login.
type LoginAnswer struct {
	AccessToken string `json:"accessToken"`
	TokenType   string `json:"tokenType"`
	ExpiresIn   int64  `json:"expiresIn"`
}

// PurchaseRequest is the body of POST /api/v1/transactions/purchase.
type PurchaseRequest struct {
	Amount    string `json:"amount"`
	RefNumber string `json:"refNumber"`
}

// purchase is a purchase the terminal is working on.
type purchase struct {
	terminal     *terminal
	refNumber    string
	amount       int64
	started      time.Time
	card         Card
	verification string // verifyPIN, verifyDevice, verifyNone
	pinOK        bool
	readErrors   int
	timer        clock.Timer
	done         chan struct{}
	tx           *transaction
	err          *apiError
	lost         bool // the connection-lost fault: the ECR never sees the answer
}

// bodyFields decodes a JSON object body into its raw fields.
func bodyFields(r *http.Request) (map[string]json.RawMessage, error) {
	b, err := httpx.ReadBody(r)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, apiErr(CodeBadRequest, "the body is empty; want a JSON object")
	}
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, apiErr(CodeBadRequest, "the body is not a JSON object")
	}
	if dec.More() {
		return nil, apiErr(CodeBadRequest, "the body has data after the JSON object")
	}
	return fields, nil
}

// stringField reads a required JSON string field.
func stringField(fields map[string]json.RawMessage, name string, max int) (string, error) {
	raw, ok := fields[name]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return "", apiErr(CodeBadRequest, "%s is required", name)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", apiErr(CodeBadRequest, "%s must be a JSON string", name)
	}
	if strings.TrimSpace(s) == "" {
		return "", apiErr(CodeBadRequest, "%s must not be empty", name)
	}
	if utf8.RuneCountInString(s) > max {
		return "", apiErr(CodeBadRequest, "%s is longer than %d characters", name, max)
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return "", apiErr(CodeBadRequest, "%s contains control characters", name)
		}
	}
	return s, nil
}

func decodePurchase(r *http.Request) (PurchaseRequest, int64, error) {
	fields, err := bodyFields(r)
	if err != nil {
		return PurchaseRequest{}, 0, err
	}
	amount, err := stringField(fields, "amount", maxAmountDigits)
	if err != nil {
		return PurchaseRequest{}, 0, err
	}
	a, err := money.ParseMinor(amount, riyal)
	if err != nil {
		return PurchaseRequest{}, 0, apiErr(CodeBadRequest, "amount must be a whole number of halalas: digits only, no decimals or sign, e.g. \"12000\"")
	}
	if a.Sign() <= 0 {
		return PurchaseRequest{}, 0, apiErr(CodeBadRequest, "amount must be greater than zero")
	}
	n := a.Minor
	ref, err := stringField(fields, "refNumber", maxRefNumber)
	if err != nil {
		return PurchaseRequest{}, 0, err
	}
	return PurchaseRequest{Amount: amount, RefNumber: ref}, n, nil
}

// login answers POST /api/v1/auth/login: a bearer token for an ECR.
func (p *Provider) login(r *http.Request) (httpx.Response, error) {
	fields, err := bodyFields(r)
	if err != nil {
		return httpx.Response{}, err
	}
	user, err := stringField(fields, "username", maxLoginField)
	if err != nil {
		return httpx.Response{}, err
	}
	pass, err := stringField(fields, "password", maxLoginField)
	if err != nil {
		return httpx.Response{}, err
	}
	p.mu.RLock()
	e, ok := p.st.ecrs[user]
	p.mu.RUnlock()
	if !ok || !auth.Equal(pass, e.Password) {
		return httpx.Response{}, apiErr(CodeUnauthorized, "wrong username or password")
	}
	m := e.merchant
	if !m.lock() { // evicted, deleted or reset meanwhile
		return httpx.Response{}, apiErr(CodeUnauthorized, "wrong username or password")
	}
	defer m.mu.Unlock()
	sim.SetMerchant(r, m.ID)
	m.lastUsed = m.clock.Now()
	token, ttl := p.issueTokenLocked(e)
	resp := httpx.JSON(http.StatusOK, LoginAnswer{AccessToken: token, TokenType: "Bearer", ExpiresIn: int64(ttl / time.Second)})
	resp.Secrets = []string{token}
	return resp, nil
}

// purchaseHandler answers POST /api/v1/transactions/purchase. It starts
// the purchase on the ECR's terminal and waits until the terminal is done,
// the ECR goes away, or the simulator is reset.
func (p *Provider) purchaseHandler(r *http.Request) (httpx.Response, error) {
	token, ok := auth.Bearer(r.Header.Get("Authorization"))
	p.mu.RLock()
	st := p.st
	p.mu.RUnlock()
	e, err := lookupToken(st, token, ok)
	if err != nil {
		return httpx.Response{}, err
	}
	sim.SetMerchant(r, e.merchant.ID)
	req, amount, err := decodePurchase(r)
	if err != nil {
		return httpx.Response{}, err
	}

	m := e.merchant
	if !m.lock() { // evicted, deleted or reset meanwhile
		return httpx.Response{}, apiErr(CodeUnauthorized, "the token is not valid")
	}
	pur, replay, err := p.startLocked(e, req.RefNumber, amount)
	gone := m.st.gone
	m.mu.Unlock()
	if err != nil {
		return httpx.Response{}, err
	}
	if replay != nil {
		return p.answerOf(replay), nil
	}

	select {
	case <-pur.done:
	case <-gone:
		return httpx.Response{}, apiErr(CodeUnavailable, "the simulator was reset while the purchase waited")
	case <-p.deps.Stopping:
		// The simulator is shutting down: the purchase is abandoned like
		// one whose ECR went away (nothing charged) and answered now, so
		// it does not hold the shutdown until the card timeout.
		m.mu.Lock()
		p.abandonLocked(pur)
		m.mu.Unlock()
		<-pur.done
		return httpx.Response{}, apiErr(CodeUnavailable, "the simulator is shutting down")
	case <-r.Context().Done():
		m.mu.Lock()
		p.abandonLocked(pur)
		m.mu.Unlock()
		<-pur.done
	}
	switch {
	case pur.err != nil:
		return httpx.Response{}, pur.err
	case pur.lost:
		return httpx.Response{}, apiErr(CodeConnectionLost, "the terminal lost its connection after the host approved; retry with the same refNumber")
	}
	return p.answerOf(pur.tx), nil
}

// startLocked checks the refNumber and the terminal, then starts the
// purchase. A refNumber already used with the same amount returns the
// transaction to replay.
func (p *Provider) startLocked(e *ecr, ref string, amount int64) (*purchase, *transaction, error) {
	m, t := e.merchant, e.terminal
	m.lastUsed = m.clock.Now()
	if tx := m.refs[ref]; tx != nil {
		if tx.Amount != amount {
			return nil, nil, apiErr(CodeDuplicateRef, "refNumber %q was used for transaction %d with amount %d", ref, tx.ID, tx.Amount)
		}
		return nil, tx, nil
	}
	switch {
	case t.fault == FaultOffline:
		return nil, nil, apiErr(CodeTerminalOffline, "terminal %s is offline", t.ID)
	case t.fault == FaultBusy:
		return nil, nil, apiErr(CodeTerminalBusy, "terminal %s is busy", t.ID)
	case t.cur != nil:
		if t.cur.refNumber == ref {
			return nil, nil, apiErr(CodeTerminalBusy, "refNumber %q is in progress on terminal %s", ref, t.ID)
		}
		return nil, nil, apiErr(CodeTerminalBusy, "terminal %s is processing another purchase", t.ID)
	}
	if err := p.fireLocked(t, EvPurchase); err != nil {
		return nil, nil, apiErr(CodeTerminalBusy, "terminal %s is %s", t.ID, t.screen)
	}
	pur := &purchase{terminal: t, refNumber: ref, amount: amount, started: m.clock.Now(), done: make(chan struct{})}
	t.cur = pur
	p.awaitCardLocked(pur)
	return pur, nil, nil
}

// abandonLocked ends a purchase whose ECR went away before the terminal
// was done: the terminal goes back to idle, nothing is charged. The
// merchant's lock is held, gone or not: the waiting call needs pur.done
// closed either way (a gone merchant's terminal just does not move).
func (p *Provider) abandonLocked(pur *purchase) {
	t := pur.terminal
	if t.cur != pur {
		return // finished meanwhile
	}
	if t.merchant.gone {
		p.finishLocked(pur, nil, apiErr(CodeUnavailable, "the ECR went away"))
		return
	}
	if err := p.fireLocked(t, EvCancel); err != nil {
		// Not at a waiting screen: cannot happen, every other screen is
		// passed under the lock. Finish anyway so nothing hangs.
		p.deps.Log.Error("abandon", "err", err)
	}
	p.finishLocked(pur, nil, apiErr(CodeUnavailable, "the ECR went away"))
}

// lookupToken finds the ECR of a bearer token in st (the token store is
// safe on its own); tokens expire on their merchant's clock.
func lookupToken(st *state, token string, ok bool) (*ecr, error) {
	if !ok {
		return nil, apiErr(CodeUnauthorized, "Authorization: Bearer <accessToken> is required")
	}
	e, err := st.tokens.Lookup(token)
	switch {
	case errors.Is(err, auth.ErrExpired):
		return nil, apiErr(CodeUnauthorized, "the token expired")
	case err != nil:
		return nil, apiErr(CodeUnauthorized, "the token is not valid")
	}
	return e, nil
}

// issueTokenLocked gives e a token, kept in the merchant's list too so
// that evicting the merchant revokes its tokens without looking at other
// merchants'. The list drops what the store forgets anyway (expired
// longer than auth.Grace ago; one TTL per merchant, so oldest first), and
// past Limits.MaxObjects tokens the merchant's oldest is revoked, so a
// merchant logging in in a loop holds a bounded number whatever its TTL.
func (p *Provider) issueTokenLocked(e *ecr) (string, time.Duration) {
	m := e.merchant
	token := auth.TokenFrom(p.deps.Secrets, 24)
	exp := m.st.tokens.Put(token, e, m.TokenTTL)
	now, n := m.clock.Now(), 0
	for n < len(m.tokens) && now.After(m.tokens[n].forget) {
		n++
	}
	for len(m.tokens)-n >= p.deps.Limits.MaxObjects {
		m.st.tokens.Revoke(m.tokens[n].token)
		n++
	}
	if n > 0 {
		clear(m.tokens[:n])
		m.tokens = m.tokens[n:]
	}
	m.tokens = append(m.tokens, issued{token: token, forget: exp.Add(auth.Grace)})
	return token, m.TokenTTL
}
