package oas_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/oas"
	"github.com/paysandbox/paysandbox/sims"
)

// findPaths are paths to look up in every provider's document: documented
// ones, near misses (case, trailing slash, empty parameters, text around
// parameters) and unknown ones.
var findPaths = []string{
	"", "/", "//", "/token", "/TOKEN", "/token/", "/start-checkout", "/track-checkout/abc", "/track-checkout/",
	"/track-checkout/a/b", "/checkout/abc", "/checkout/abc/end", "/checkoutabc/end", "/checkout/end", "/checkout/",
	"/refund", "/update-order-id/x", "/pay/t", "/pay/t/approve", "/pay//approve", "/api/pos/payment/status",
	"/api/pos/payment/Status", "/api/pos/payment/start/byPosId", "/api/pos/payment/id/retrieve/byposId",
	"/qr/abc.png", "/qr/.png", "/qr/abc.jpg", "/qr/abc", "/phone/p", "/phone/p/checkin", "/phone/p/x/y",
	"/api/v1/auth/login", "/api/v1/transactions/purchase", "/terminal/T1", "/terminal/T1/state", "/terminal/T1/tap",
	"/terminal/%2F/pin", "/terminal/a b/pin", "/nope", "/api/pos/nope",
}

var findMethods = []string{"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"}

// FindOperation's fast path answers as kin-openapi's router does.
func TestFindOperationMatchesRouter(t *testing.T) {
	for _, f := range sims.Registry() {
		// The simulator's Lazy document, built from the generated table,
		// against the router over the parsed document.
		d := oas.Lazy(f.OpenAPI, f.Operations())
		paths := append([]string(nil), findPaths...)
		for _, op := range d.Operations() {
			p := strings.NewReplacer("{", "", "}", "").Replace(op.Path)
			paths = append(paths, p, p+"/", strings.ToUpper(p))
		}
		for _, p := range paths {
			for _, m := range findMethods {
				checkFind(t, d, m, p)
			}
		}
	}
}

func checkFind(t *testing.T, d *oas.Doc, method, path string) {
	t.Helper()
	got, gotErr := d.FindOperation(method, path)
	want, wantErr := d.FindOperationSlow(method, path)
	if gotErr != wantErr || !reflect.DeepEqual(got, want) {
		t.Errorf("FindOperation(%s, %q) = %+v, %v; the router says %+v, %v", method, path, got, gotErr, want, wantErr)
	}
}

func FuzzFindOperation(f *testing.F) {
	var docs []*oas.Doc
	for _, fac := range sims.Registry() {
		docs = append(docs, oas.Lazy(fac.OpenAPI, fac.Operations()))
	}
	for i, p := range findPaths {
		f.Add(uint8(i), p)
	}
	f.Fuzz(func(t *testing.T, m uint8, path string) {
		for _, d := range docs {
			checkFind(t, d, findMethods[int(m)%len(findMethods)], path)
		}
	})
}

func BenchmarkFindOperation(b *testing.B) {
	var d *oas.Doc
	for _, f := range sims.Registry() {
		if f.Name == "misspay" {
			d = oas.MustLoad(f.OpenAPI)
		}
	}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := d.FindOperation("GET", "/track-checkout/0c6c6f3e-6f53-4a5e-9a36-3f1f8c2f9a11"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("router", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := d.FindOperationSlow("GET", "/track-checkout/0c6c6f3e-6f53-4a5e-9a36-3f1f8c2f9a11"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
