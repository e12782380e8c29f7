package mobilepay_test

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

// node is a generic XML element.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []node     `xml:",any"`
}

func (n node) child(name string) *node {
	for i := range n.Nodes {
		if n.Nodes[i].XMLName.Local == name {
			return &n.Nodes[i]
		}
	}
	return nil
}

func parseXML(t *testing.T, b []byte) node {
	t.Helper()
	var n node
	if err := xml.Unmarshal(b, &n); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b)
	}
	return n
}

var xmlAccept = http.Header{"Accept": {"application/xml"}}

func TestXML(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	const ns = "http://schemas.datacontract.org/2004/07/_1SA_MobilePay_POS_ViewModels"

	r := c.do("GET", "api/pos/payment/start", fields{"orderId": "x-1", "amount": "12.5", "terminalId": "T1001"}, true, xmlAccept)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/xml; charset=utf-8" {
		t.Fatalf("start: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	n := parseXML(t, r.Raw)
	if n.XMLName.Local != "PaymentStartViewModel" || n.XMLName.Space != ns {
		t.Fatalf("root = %v", n.XMLName)
	}
	var names []string
	for _, ch := range n.Nodes {
		names = append(names, ch.XMLName.Local)
	}
	if diff := cmp.Diff([]string{"errors", "paymentId", "success"}, names); diff != "" {
		t.Fatalf("members (-want +got):\n%s", diff)
	}
	id := n.child("paymentId").Text
	if n.child("success").Text != "true" || len(n.child("errors").Nodes) != 0 || id == "" {
		t.Fatalf("start XML: %s", r.Raw)
	}

	// POST with XML answer, list with d2p1:string items, details with nil and decimals.
	r = c.do("POST", "api/pos/payment/start", fields{"orderId": "x-2", "amount": "1", "terminalId": "T1002"}, true, xmlAccept)
	if n := parseXML(t, r.Raw); r.Status != http.StatusOK || n.XMLName.Local != "PaymentStartViewModel" {
		t.Fatalf("POST start XML: %d %s", r.Status, r.Raw)
	}
	r = c.do("GET", "api/pos/payments", nil, true, xmlAccept)
	n = parseXML(t, r.Raw)
	ids := n.child("paymentsIds")
	if n.XMLName.Local != "PaymentListViewModel" || ids == nil || len(ids.Nodes) != 2 || ids.Nodes[0].XMLName.Local != "string" ||
		ids.Nodes[0].XMLName.Space != "http://schemas.microsoft.com/2003/10/Serialization/Arrays" || ids.Nodes[0].Text != id {
		t.Fatalf("list XML: %s", r.Raw)
	}
	r = c.do("GET", "api/pos/payment/details", fields{"paymentId": id}, true, http.Header{"Accept": {"text/xml"}})
	if r.Header.Get("Content-Type") != "text/xml; charset=utf-8" {
		t.Fatalf("text/xml content type = %q", r.Header.Get("Content-Type"))
	}
	n = parseXML(t, r.Raw)
	if n.child("amount").Text != "12.50" || n.child("customerName") == nil || !strings.Contains(string(r.Raw), `<customerName i:nil="true"/>`) {
		t.Fatalf("details XML: %s", r.Raw)
	}
	names = names[:0]
	for _, ch := range n.Nodes {
		names = append(names, ch.XMLName.Local)
	}
	if !slices.IsSorted(names) {
		t.Fatalf("members not in alphabetical order: %v", names)
	}

	// Errors in XML.
	r = c.do("GET", "api/pos/payment/status", fields{"paymentId": "nope"}, true, xmlAccept)
	n = parseXML(t, r.Raw)
	if r.Status != http.StatusNotFound || n.XMLName.Local != "ErrorViewModel" || n.child("success").Text != "false" ||
		len(n.child("errors").Nodes) != 1 || r.errCode() != mobilepay.CodePaymentNotFound {
		t.Fatalf("error XML: %d %s", r.Status, r.Raw)
	}
	r = c.do("GET", "api/pos/payment/status", fields{"paymentId": id}, false, xmlAccept)
	if n := parseXML(t, r.Raw); r.Status != http.StatusUnauthorized || n.XMLName.Local != "ErrorViewModel" {
		t.Fatalf("401 XML: %d %s", r.Status, r.Raw)
	}
	r = c.do("POST", "api/pos/payment/start", nil, false, http.Header{"Accept": {"application/xml"}})
	if n := parseXML(t, r.Raw); r.Status != http.StatusUnauthorized || n.XMLName.Local != "ErrorViewModel" {
		t.Fatalf("401 XML: %d %s", r.Status, r.Raw)
	}
}

func TestContentNegotiation(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	for _, tc := range []struct {
		accept string
		want   string
	}{
		{"", "application/json; charset=utf-8"},
		{"application/json", "application/json; charset=utf-8"},
		{"*/*", "application/json; charset=utf-8"},
		{"application/xml", "application/xml; charset=utf-8"},
		{"text/xml", "text/xml; charset=utf-8"},
		{"application/xml;q=0.5, application/json", "application/json; charset=utf-8"},
		{"application/json;q=0.2, application/xml;q=0.9", "application/xml; charset=utf-8"},
		{"text/html, application/xml", "application/xml; charset=utf-8"},
		{"application/xml;q=0", "application/json; charset=utf-8"},
		{"garbage;;;", "application/json; charset=utf-8"},
	} {
		t.Run(tc.accept, func(t *testing.T) {
			r := c.For(t).do("GET", "api/pos/manage/stores", nil, true, http.Header{"Accept": {tc.accept}})
			if r.Status != http.StatusOK || r.Header.Get("Content-Type") != tc.want {
				t.Fatalf("Accept %q: %d %q, want %q", tc.accept, r.Status, r.Header.Get("Content-Type"), tc.want)
			}
		})
	}
}
