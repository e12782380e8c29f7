package mpower_test

import (
	"fmt"
	"net/http"
	"sort"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims/mpower"
)

// Every edge of the transaction table, driven over HTTP by what causes it
// (doc.go lists the same causes), ends in the table's target status; and
// the coverage report then shows every edge exercised.
func TestEveryEdge(t *testing.T) {
	s := newServer(t)
	rc := newReceiver(t)
	c := fixture(s, t, shift).login()
	refund := func(id string, amount int) {
		r := c.post("refund", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id, "amount": amount, "currency": "TRY"})
		if r.Status != 200 {
			t.Fatalf("refund = %d %s", r.Status, r.Body)
		}
	}
	cancel := func(id string) {
		if r := c.post("cancel", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id}); r.Status != 200 {
			t.Fatalf("cancel = %d %s", r.Status, r.Body)
		}
	}
	type step func(id string)
	act := func(a string) step { return func(id string) { c.act(id, a, http.StatusOK) } }
	wait := func(id string) { c.advance(mpower.DefaultProcessingDelay) }
	cases := []struct {
		edge  string
		user  string
		steps []step
		want  mpower.Status
	}{
		{"NEW -notify-> NOTIFICATION", "manual", nil, mpower.StatusNotification},
		{"NEW -block-> ERROR", "blocked", nil, mpower.StatusError},
		{"NOTIFICATION -approveCard-> PROCESSING", "manual", []step{act("approve")}, mpower.StatusProcessing},
		{"NOTIFICATION -approveWallet-> PROCESSING_DIGITAL", "wallet", []step{act("approve")}, mpower.StatusProcessingDigital},
		{"NOTIFICATION -approve3ds-> PROCESSING_3D_SECURE", "threeDSecure", []step{act("approve")}, mpower.StatusProcessing3DSecure},
		{"PROCESSING_3D_SECURE -verify3ds-> PROCESSING", "threeDSecure", []step{act("approve"), act("3ds")}, mpower.StatusProcessing},
		{"PROCESSING -settle-> FINISHED", "manual", []step{act("approve"), wait}, mpower.StatusFinished},
		{"PROCESSING_DIGITAL -settle-> FINISHED", "wallet", []step{act("approve"), wait}, mpower.StatusFinished},
		{"NOTIFICATION -reject-> CANCELLED", "manual", []step{act("reject")}, mpower.StatusCancelled},
		{"PROCESSING_3D_SECURE -reject-> CANCELLED", "threeDSecure", []step{act("approve"), act("reject")}, mpower.StatusCancelled},
		{"NOTIFICATION -fail-> ERROR", "manual", []step{act("fail")}, mpower.StatusError},
		{"PROCESSING_3D_SECURE -fail-> ERROR", "threeDSecure", []step{act("approve"), act("fail")}, mpower.StatusError},
		{"PROCESSING -fail-> ERROR", "insufficientFunds", []step{act("approve"), wait}, mpower.StatusError},
		{"PROCESSING_DIGITAL -fail-> ERROR", "wallet", []step{act("approve"), act("fail")}, mpower.StatusError},
		{"NOTIFICATION -timeout-> TIMEOUT", "manual", []step{func(string) { c.advance(60e9) }}, mpower.StatusTimeout},
		{"PROCESSING_3D_SECURE -timeout-> TIMEOUT", "threeDSecure", []step{act("approve"), func(string) { c.advance(60e9) }}, mpower.StatusTimeout},
		{"NOTIFICATION -cancel-> CANCELLED", "manual", []step{cancel}, mpower.StatusCancelled},
		{"PROCESSING_3D_SECURE -cancel-> CANCELLED", "threeDSecure", []step{act("approve"), cancel}, mpower.StatusCancelled},
		{"FINISHED -cancel-> VOID", "manual", []step{act("approve"), wait, cancel}, mpower.StatusVoid},
		{"FINISHED -refund-> REFUND", "manual", []step{act("approve"), wait, func(id string) { refund(id, 100) }}, mpower.StatusRefund},
		{"REFUND -refund-> REFUND", "manual", []step{act("approve"), wait, func(id string) { refund(id, 100); refund(id, 100) }}, mpower.StatusRefund},
		{"FINISHED -refundRest-> CLOSED", "manual", []step{act("approve"), wait, func(id string) { refund(id, 1300) }}, mpower.StatusClosed},
		{"REFUND -refundRest-> CLOSED", "manual", []step{act("approve"), wait, func(id string) { refund(id, 100); refund(id, 1200) }}, mpower.StatusClosed},
	}
	if got, want := len(cases), len(mpower.Edges()); got != want {
		t.Errorf("the test drives %d edges, the table has %d", got, want)
	}
	for _, tc := range cases {
		t.Run(tc.edge, func(t *testing.T) {
			c.tb = t
			id := c.create(c.createBody(tc.user, rc.URL))
			for _, st := range tc.steps {
				st(id)
			}
			if got := c.txn(id).Status; got != tc.want {
				t.Fatalf("status %s, want %s", got, tc.want)
			}
		})
	}
	var cov struct {
		Providers map[string]sim.ProviderCoverage `json:"providers"`
	}
	s.Control(http.MethodGet, "/_sim/coverage?provider=mpower", nil, http.StatusOK, &cov)
	var missed []string
	for _, it := range cov.Providers["mpower"].Transitions.Items {
		if it.Hits == 0 {
			missed = append(missed, it.Name)
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Errorf("edges never exercised: %v", missed)
	}
	for _, e := range mpower.Edges() {
		name := fmt.Sprintf("%s -%s-> %s", e.From, e.Event, e.To)
		found := false
		for _, tc := range cases {
			found = found || tc.edge == name
		}
		if !found {
			t.Errorf("edge %s has no case", name)
		}
	}
}

// The table has the twelve documented statuses.
func TestTwelveStatuses(t *testing.T) {
	want := "[NEW PROCESSING PROCESSING_3D_SECURE PROCESSING_DIGITAL NOTIFICATION FINISHED CANCELLED CLOSED TIMEOUT ERROR VOID REFUND]"
	if got := fmt.Sprint(mpower.Statuses()); got != want {
		t.Errorf("statuses %s", got)
	}
}
