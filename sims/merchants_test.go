package sims_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
)

// Every provider frees a minted merchant at once on DELETE, refuses to
// delete its fixture merchant, and reports its objects in /_sim/health.
func TestDeleteMintedMerchantEveryProvider(t *testing.T) {
	srv := sims.Start(t, sim.Options{Seed: 1, FrozenClock: true})
	do := func(method, path string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for _, f := range sims.Registry() {
		t.Run(f.Name, func(t *testing.T) {
			status, body := do(http.MethodPost, "/_sim/"+f.Name+"/merchants")
			var minted struct{ MerchantID string }
			if status != http.StatusCreated || json.Unmarshal(body, &minted) != nil || minted.MerchantID == "" {
				t.Fatalf("mint: %d %s", status, body)
			}
			_, body = do(http.MethodGet, "/_sim/"+f.Name+"/credentials")
			var fixture struct{ MerchantID string }
			if json.Unmarshal(body, &fixture) != nil || fixture.MerchantID == "" {
				t.Fatalf("fixture credentials lack merchantId: %s", body)
			}
			health := func() map[string]int {
				_, body := do(http.MethodGet, "/_sim/health")
				var h struct{ Objects map[string]map[string]int }
				if err := json.Unmarshal(body, &h); err != nil {
					t.Fatal(err)
				}
				return h.Objects[f.Name]
			}
			before := health()["merchants"]
			if status, body := do(http.MethodDelete, "/_sim/"+f.Name+"/merchants/"+minted.MerchantID); status != http.StatusOK {
				t.Fatalf("delete: %d %s", status, body)
			}
			if after := health()["merchants"]; after != before-1 {
				t.Errorf("merchants %d -> %d after delete", before, after)
			}
			if status, _ := do(http.MethodDelete, "/_sim/"+f.Name+"/merchants/"+minted.MerchantID); status != http.StatusNotFound {
				t.Errorf("second delete: %d, want 404", status)
			}
			if status, _ := do(http.MethodDelete, "/_sim/"+f.Name+"/merchants/"+fixture.MerchantID); status != http.StatusConflict {
				t.Errorf("delete fixture: %d, want 409", status)
			}
			if status, _ := do(http.MethodGet, "/_sim/clock?provider="+f.Name+"&merchantId="+minted.MerchantID); status != http.StatusNotFound {
				t.Errorf("the deleted merchant's clock: %d, want 404", status)
			}
		})
	}
}
