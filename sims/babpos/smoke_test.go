package babpos_test

import (
	"net/http"
	"testing"
)

func TestSmoke(t *testing.T) {
	s := newServer(t)
	e1, _ := fixtureECRs(s, t)
	resp := e1.buy("1000", http.StatusOK)
	t.Logf("%s", resp.Body)
}
