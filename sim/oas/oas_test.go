package oas_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/oas"
)

const doc = `openapi: 3.0.3
info: {title: t, version: "1"}
servers: [{url: "https://api.example.com/v1"}]
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [id, price]
                properties:
                  id: {type: string}
                  price: {type: number}
`

func TestValidate(t *testing.T) {
	d, err := oas.Load([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if ops := d.Operations(); len(ops) != 1 || ops[0].OperationID != "getItem" || ops[0].Path != "/items/{id}" {
		t.Errorf("Operations = %+v", ops)
	}
	if op, err := d.FindOperation("GET", "/items/42"); err != nil || op.OperationID != "getItem" {
		t.Errorf("FindOperation = %+v, %v", op, err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name    string
		x       oas.Exchange
		wantErr string
	}{
		{"ok, any base", oas.Exchange{Method: "GET", RelPath: "/items/1", Status: 200, RespHeader: h, RespBody: []byte(`{"id":"1","price":2.5}`)}, ""},
		{"wrong type", oas.Exchange{Method: "GET", RelPath: "/items/1", Status: 200, RespHeader: h, RespBody: []byte(`{"id":"1","price":"2.5"}`)}, "price"},
		{"missing field", oas.Exchange{Method: "GET", RelPath: "/items/1", Status: 200, RespHeader: h, RespBody: []byte(`{"id":"1"}`)}, "price"},
		{"undeclared status", oas.Exchange{Method: "GET", RelPath: "/items/1", Status: 500, RespHeader: h, RespBody: []byte(`{}`)}, "500"},
		{"no operation", oas.Exchange{Method: "GET", RelPath: "/nope", Status: 200}, "no documented operation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := d.Validate(context.Background(), tc.x)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate = %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Validate = %v, want an error mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestLoadRejectsInvalid(t *testing.T) {
	for _, bad := range []string{"not: [yaml", "openapi: 3.0.3\ninfo: {title: t}\npaths: {}\n"} {
		if _, err := oas.Load([]byte(bad)); err == nil {
			t.Errorf("Load(%q) succeeded", bad)
		}
	}
}

// A Lazy document answers Operations and FindOperation from its table
// alone, parses on first Validate, and reports a broken document then.
func TestLazy(t *testing.T) {
	ops := oas.MustLoad([]byte(doc)).Operations()
	d := oas.Lazy([]byte(doc), ops)
	if got := d.Operations(); len(got) != 1 || got[0] != ops[0] {
		t.Errorf("Operations = %+v, want %+v", got, ops)
	}
	if op, err := d.FindOperation("GET", "/items/42"); err != nil || op.OperationID != "getItem" {
		t.Errorf("FindOperation = %+v, %v", op, err)
	}
	if _, err := d.FindOperation("POST", "/items/42"); err != oas.ErrNoMethod {
		t.Errorf("FindOperation(POST) error = %v, want ErrNoMethod", err)
	}
	if _, err := d.FindOperation("GET", "/nope"); err != oas.ErrNoRoute {
		t.Errorf("FindOperation(/nope) error = %v, want ErrNoRoute", err)
	}
	if d.Parsed() {
		t.Fatal("the document was parsed before anything needed it")
	}
	h := http.Header{"Content-Type": {"application/json"}}
	err := d.Validate(context.Background(), oas.Exchange{Method: "GET", RelPath: "/items/1", Status: 200, RespHeader: h, RespBody: []byte(`{"id":"1"}`)})
	if err == nil || !strings.Contains(err.Error(), "price") {
		t.Errorf("Validate = %v, want the missing price", err)
	}
	if !d.Parsed() {
		t.Error("Validate did not parse the document")
	}

	broken := oas.Lazy([]byte("not: [yaml"), ops)
	if _, err := broken.Spec(); err == nil {
		t.Error("Spec of a broken document succeeded")
	}
	if err := broken.Validate(context.Background(), oas.Exchange{Method: "GET", RelPath: "/items/1", Status: 200}); err == nil {
		t.Error("Validate against a broken document succeeded")
	}
}
