package misspay_test

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

// TestWireGolden records the exact bytes of a whole merchant flow, errors
// included, in testdata/flow.golden. With one seed and a frozen clock every
// id, nonce and token is reproducible, so any change on the wire shows up
// here; review it and rerun with -update.
func TestWireGolden(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var out bytes.Buffer
	record := func(title string, req simtest.Request) simtest.Response {
		t.Helper()
		resp := s.Do(req)
		fmt.Fprintf(&out, "### %s\n> %s %s\n", title, req.Method, req.Path)
		if b, ok := req.Body.(string); ok && b != "" {
			fmt.Fprintf(&out, "> %s\n", b)
		}
		fmt.Fprintf(&out, "< %d\n", resp.Status)
		for _, h := range []string{"Content-Type", "Location", "X-Paysandbox-Detail"} {
			if v := resp.Header.Get(h); v != "" {
				fmt.Fprintf(&out, "< %s: %s\n", h, v)
			}
		}
		out.Write(resp.Body)
		out.WriteString("\n")
		return resp
	}
	api := func(c *client, method, path, body string) simtest.Request {
		r := simtest.Request{Method: method, Path: "/misspay" + path, Header: c.headers()}
		if body != "" {
			r.Body = body
		}
		return r
	}

	record("token: missing app id", simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tokenHeaders("", "x")})
	record("token: missing secret", simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tokenHeaders("x", "")})
	record("token: wrong secret", simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tokenHeaders(fixture.AppID, "x")})
	record("token", simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tokenHeaders(fixture.AppID, fixture.AppSecret)})
	c := login(t, s, fixture)
	record("start-checkout: no token", simtest.Request{Method: http.MethodPost, Path: "/misspay/start-checkout", Body: `{}`})
	record("start-checkout: invalid", api(c, http.MethodPost, "/start-checkout", `{"version":"v1.2"}`))
	large := api(c, http.MethodPost, "/start-checkout", "")
	large.Body = oversized() // []byte: not written to the golden file
	record("start-checkout: too large", large)
	v11 := `{"version":"v1.1","orderId":"WC-1","purchaseAmount":250,"purchaseCurrency":"SAR","lang":"en"}`
	resp := record("start-checkout v1.1", api(c, http.MethodPost, "/start-checkout", v11))
	var st struct{ Result startResult }
	decode(t, resp, &st)
	id := st.Result.TrackID
	record("track: in-progress", api(c, http.MethodGet, "/track-checkout/"+id, ""))
	record("track: unknown", api(c, http.MethodGet, "/track-checkout/nope", ""))
	res := act(t, s, id, "approve")
	checkoutID := *res.CheckoutID
	record("track: success", api(c, http.MethodGet, "/track-checkout/"+id, ""))
	record("checkout", api(c, http.MethodGet, "/checkout/"+checkoutID, ""))
	record("checkout: unknown", api(c, http.MethodGet, "/checkout/nope", ""))
	record("end", api(c, http.MethodPut, "/checkout/"+checkoutID+"/end", ""))
	record("update-order-id", api(c, http.MethodPut, "/update-order-id/"+checkoutID, `{"orderId":"WC-1b"}`))
	record("update-order-id: unknown", api(c, http.MethodPut, "/update-order-id/nope", `{"orderId":"x"}`))
	record("update-order-id: invalid", api(c, http.MethodPut, "/update-order-id/"+checkoutID, `{}`))
	refund := `{"purchaseId":"` + checkoutID + `","totalAmount":"250","amount":"%s","currency":"SAR","orderId":"WC-1b"}`
	record("refund", api(c, http.MethodPost, "/refund", fmt.Sprintf(refund, "100")))
	record("refund: second", api(c, http.MethodPost, "/refund", fmt.Sprintf(refund, "50.25")))
	record("refund: too much", api(c, http.MethodPost, "/refund", fmt.Sprintf(refund, "100")))
	record("unknown path", api(c, http.MethodGet, "/nope", ""))

	got := strings.ReplaceAll(out.String(), s.URL, "http://simulator")
	simtest.Golden(t, filepath.Join("testdata", "flow.golden"), []byte(got))
}
