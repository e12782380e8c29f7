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
