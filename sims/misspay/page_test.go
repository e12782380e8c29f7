package misspay_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

var (
	planRe   = regexp.MustCompile(`(?s)<ol class="plan" id="plan">(.*?)</ol>`)
	planItem = regexp.MustCompile(`<li>([0-9.]+) SAR: [^<]+</li>`)
)

// getPage opens a hosted page URL handed out by start-checkout.
func getPage(t *testing.T, s *simtest.Server, pageURL string) simtest.Response {
	t.Helper()
	path, ok := strings.CutPrefix(pageURL, s.URL)
	if !ok {
		t.Fatalf("page URL %q is not on the simulator %s", pageURL, s.URL)
	}
	return s.With(t).Do(simtest.Request{Method: http.MethodGet, Path: path})
}

// press posts the hosted page's form for action.
func press(t *testing.T, s *simtest.Server, trackID, action string) simtest.Response {
	t.Helper()
	return s.With(t).Do(simtest.Request{
		Method: http.MethodPost, Path: "/misspay/pay/" + trackID + "/" + action,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: "",
	})
}

// instalments extracts the amounts of the plan on a page.
func instalments(t *testing.T, page string) []float64 {
	t.Helper()
	m := planRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no plan on the page:\n%s", page)
	}
	var out []float64
	for _, li := range planItem.FindAllStringSubmatch(m[1], -1) {
		v, err := strconv.ParseFloat(li[1], 64)
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func TestHostedPage(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c, shop, _ := merchantWithHooks(t, s, http.StatusOK)
	st := c.startV12(t)

	resp := getPage(t, s, st.URL)
	require.Equal(t, http.StatusOK, resp.Status)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	page := string(resp.Body)
	for _, want := range []string{
		`<strong id="order-id">1233-ABCD</strong>`,
		`<span id="amount">200</span> SAR`,
		`item name in english`,
		`action="` + s.URL + `/misspay/pay/` + st.TrackID + `/approve"`,
		`action="` + s.URL + `/misspay/pay/` + st.TrackID + `/cancel"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if diff := cmp.Diff([]float64{50, 50, 50, 50}, instalments(t, page)); diff != "" {
		t.Errorf("instalments (-want +got):\n%s", diff)
	}
	if got := c.track(t, st.TrackID).Status; got != "pending" {
		t.Errorf("status after opening the page = %q, want pending", got)
	}

	// Approve: 303 to the merchant callback URL with _ and appId.
	resp = press(t, s, st.TrackID, "approve")
	require.Equal(t, http.StatusSeeOther, resp.Status, "%s", resp.Body)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	if got, want := loc.Scheme+"://"+loc.Host+loc.Path, shop.URL+"/cb"; got != want {
		t.Errorf("Location = %q, want the callback URL %s", resp.Header.Get("Location"), want)
	}
	got := c.track(t, st.TrackID)
	require.Equal(t, "success", got.Status)
	// The browser follows the redirect: that is the shop's one callback (the
	// simulator does not send its own GET for a click on the page).
	s.Callbacks().Wait()
	if n := shop.Count(); n != 0 {
		t.Errorf("the simulator called the shop %d times before the browser followed the redirect", n)
	}
	follow(t, resp.Header.Get("Location"))
	cb := shop.Wait(t, 1)[0]
	if diff := cmp.Diff(map[string][]string(loc.Query()), cb.Query); diff != "" {
		t.Errorf("Location query vs callback (-location +callback):\n%s", diff)
	}
	pt := openCallback(t, c, simtest.Received{Method: http.MethodGet, Path: loc.Path, Query: loc.Query()})
	if diff := cmp.Diff(callbackPlain{OrderID: "1233-ABCD", Code: "MP00", CheckoutID: got.CheckoutID}, pt); diff != "" {
		t.Errorf("Location _ plaintext (-want +got):\n%s", diff)
	}

	// The checkout is finished: both buttons answer 409, the page shows the outcome.
	for _, action := range []string{"approve", "cancel"} {
		resp := press(t, s, st.TrackID, action)
		if resp.Status != http.StatusConflict || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("second %s: %d %s, want 409 HTML", action, resp.Status, resp.Header.Get("Content-Type"))
		}
	}
	page = string(getPage(t, s, st.URL).Body)
	if !strings.Contains(page, "<strong>success</strong>") || !strings.Contains(page, *got.CheckoutID) || strings.Contains(page, `id="approve"`) {
		t.Errorf("finished page should show success and the checkout id, without buttons:\n%s", page)
	}
	s.Callbacks().Wait()
	if shop.Count() != 1 {
		t.Errorf("callbacks = %d, want 1", shop.Count())
	}
}

func TestHostedPageCancel(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c, shop, _ := merchantWithHooks(t, s, http.StatusOK)
	st := c.startV12(t)
	resp := press(t, s, st.TrackID, "cancel")
	require.Equal(t, http.StatusSeeOther, resp.Status)
	if got := c.track(t, st.TrackID).Status; got != "canceled" {
		t.Errorf("status = %q, want canceled", got)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	pt := openCallback(t, c, simtest.Received{Method: http.MethodGet, Path: loc.Path, Query: loc.Query()})
	if pt.Code != "MP02" || pt.CheckoutID != nil {
		t.Errorf("cancel callback = %+v, want MP02 without checkoutId", pt)
	}
	follow(t, resp.Header.Get("Location"))
	shop.Wait(t, 1)
}

func TestHostedPageVariants(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)

	t.Run("no callback URL", func(t *testing.T) {
		st := c.For(t).startV12(t)
		resp := press(t, s, st.TrackID, "approve")
		require.Equal(t, http.StatusSeeOther, resp.Status)
		if got := resp.Header.Get("Location"); got != st.URL {
			t.Errorf("Location = %q, want the page itself %q", got, st.URL)
		}
	})
	t.Run("plan with remainder", func(t *testing.T) {
		st := c.For(t).start(t, set(t, v11Body(t), "purchaseAmount", "250.01"))
		plan := instalments(t, string(getPage(t, s, st.URL).Body))
		require.Len(t, plan, 4)
		var sum float64
		for _, v := range plan {
			sum += v
		}
		if got := strconv.FormatFloat(sum, 'f', 2, 64); got != "250.01" {
			t.Errorf("instalments %v add up to %s, want 250.01", plan, got)
		}
	})
	t.Run("escaping", func(t *testing.T) {
		st := c.For(t).start(t, set(t, v11Body(t), "orderId", `<script>alert("x")</script>`))
		page := string(getPage(t, s, st.URL).Body)
		if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;") {
			t.Errorf("order id is not HTML-escaped:\n%s", page)
		}
	})
	t.Run("arabic", func(t *testing.T) {
		st := c.For(t).start(t, set(t, v12Body(t), "lang", "ar"))
		if page := string(getPage(t, s, st.URL).Body); !strings.Contains(page, `<html lang="ar" dir="rtl">`) {
			t.Errorf("arabic page is not right-to-left:\n%.200s", page)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		s := s.With(t)
		for _, r := range []simtest.Request{
			{Method: http.MethodGet, Path: "/misspay/pay/nope"},
			{Method: http.MethodPost, Path: "/misspay/pay/nope/approve"},
			{Method: http.MethodPost, Path: "/misspay/pay/nope/cancel"},
		} {
			resp := s.Do(r)
			if resp.Status != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("%s %s = %d %s, want 404 HTML", r.Method, r.Path, resp.Status, resp.Header.Get("Content-Type"))
			}
		}
	})
	t.Run("timed out", func(t *testing.T) {
		st := c.For(t).startV12(t)
		s.With(t).Advance(31 * time.Minute)
		resp := press(t, s, st.TrackID, "approve")
		require.Equal(t, http.StatusConflict, resp.Status)
	})
}

// follow does what the customer's browser does with a 303 from the page.
func follow(t *testing.T, location string) {
	t.Helper()
	resp, err := http.Get(location)
	require.NoError(t, err)
	resp.Body.Close()
}
