package myfatoorah_test

import "testing"

func TestSmoke(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	inv := c.execute(basic())
	res := c.pay(inv.InvoiceID, card("5123450000000008", "01/39", "100"))
	if res.InvoiceStatus != "Paid" {
		t.Fatalf("%+v", res)
	}
	st := c.status(inv.InvoiceID, "InvoiceId")
	if st.InvoiceStatus != "Paid" || st.InvoiceTransactions[0].TransactionStatus != "Succss" {
		t.Fatalf("%+v", st)
	}
}
