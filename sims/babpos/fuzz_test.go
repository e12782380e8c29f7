package babpos_test

import (
	"net/http"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

// FuzzRequests: no purchase or login body, with or without a valid token,
// gets a 5xx, a panic or a hang; every answer validates against the
// OpenAPI document (simtest checks).
func FuzzRequests(f *testing.F) {
	for _, seed := range []string{
		`{"amount":"12000","refNumber":"refNumber"}`, `{"amount":12000,"refNumber":"r"}`, `{"amount":"1.5"}`,
		`{"username":"ecr1","password":"bab-sandbox-ecr1"}`, `[]`, `null`, `{"amount":"0","refNumber":""}`,
		"{\"amount\":\"\u0661\u0662\",\"refNumber\":\"x\"}", `{"amount":"99999999999999999999","refNumber":"x"}`, "\xff\xfe", `{"a":{"b":[1,2,{}]}}`,
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	s := newServer(f)
	e, _ := fixtureECRs(s, f)
	f.Fuzz(func(t *testing.T, body string, withToken bool) {
		sv := s.With(t)
		h := http.Header{}
		if withToken {
			h.Set("Authorization", "Bearer "+e.token)
		}
		for _, path := range []string{purchasePath, loginPath} {
			resp := sv.Do(simtest.Request{Method: http.MethodPost, Path: path, Body: []byte(body), Header: h})
			if resp.Status >= 500 {
				t.Fatalf("%s %q = %d %s", path, body, resp.Status, resp.Body)
			}
			if resp.Status != http.StatusOK {
				failure(t, resp)
			}
		}
	})
}
