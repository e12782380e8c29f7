package mobilepay_test

import (
	"net/http"
	"strings"
	"testing"
)

// A check-in naming a posId and a terminalId that disagree is refused,
// not silently resolved by one of them.
func TestCheckInPosAndTerminalMustAgree(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	body := map[string]any{"posId": c.pos["T1001"], "terminalId": "T1002", "customer": map[string]any{"name": "Eve", "age": 30}}
	r := s.Control(http.MethodPost, "/_sim/mobilepay/checkins", body, http.StatusBadRequest, nil)
	if !strings.Contains(string(r.Body), `"error":"bad_request"`) || !strings.Contains(string(r.Body), "T1001") {
		t.Errorf("reply = %s", r.Body)
	}
	body["terminalId"] = "T1001"
	s.Control(http.MethodPost, "/_sim/mobilepay/checkins", body, http.StatusOK, nil)
}
