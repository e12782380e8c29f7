package match

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/contract/expr"
)

func TestMatch(t *testing.T) {
	env := expr.Env{"orderId": "o-1", "min": 10}
	body := map[string]any{
		"status": "success",
		"result": map[string]any{
			"orderId": "o-1", "amount": 200.0, "price": "185.50", "tags": []any{"a", "b"},
			"items": []any{map[string]any{"id": "x", "qty": 1.0}, map[string]any{"id": "y", "qty": 2.0}},
			"none":  nil,
		},
	}
	tests := []struct {
		name string
		want any
		// mismatches expected, as "path: message" substrings; none means a match
		fails []string
	}{
		{"partial object", map[string]any{"status": "success"}, nil},
		{"nested template", map[string]any{"result": map[string]any{"orderId": "${orderId}"}}, nil},
		{"wrong scalar", map[string]any{"status": "error"}, []string{`status: got "success", want "error"`}},
		{"number is not a string", map[string]any{"result": map[string]any{"amount": "200"}}, []string{`result.amount: got 200, want "200"`}},
		{"missing key", map[string]any{"result": map[string]any{"nope": 1}}, []string{"result.nope: missing, want 1"}},
		{"exact fails on extra keys", map[string]any{"$exact": map[string]any{"status": "success"}}, []string{"not exactly"}},
		{"exact holds", map[string]any{"result": map[string]any{"tags": map[string]any{"$exact": []any{"a", "b"}}}}, nil},
		{"array same length, elements partial", map[string]any{"result": map[string]any{"items": []any{map[string]any{"id": "x"}, map[string]any{"id": "y"}}}}, nil},
		{"array length differs", map[string]any{"result": map[string]any{"tags": []any{"a"}}}, []string{"result.tags: got 2 elements, want 1"}},
		{"type", map[string]any{"result": map[string]any{"amount": map[string]any{"$type": "integer"}, "tags": map[string]any{"$type": "array"}, "none": map[string]any{"$type": "null"}}}, nil},
		{"type mismatch", map[string]any{"result": map[string]any{"amount": map[string]any{"$type": "string"}}}, []string{"result.amount: got integer 200, want a string"}},
		{"regex", map[string]any{"result": map[string]any{"orderId": map[string]any{"$regex": "^o-\\d$"}}}, nil},
		{"regex with a template quotes the value", map[string]any{"result": map[string]any{"orderId": map[string]any{"$regex": "^${orderId}$"}}}, nil},
		{"regex mismatch", map[string]any{"status": map[string]any{"$regex": "^err"}}, []string{`status: "success" does not match /^err/`}},
		{"oneOf", map[string]any{"status": map[string]any{"$oneOf": []any{"error", "success"}}}, nil},
		{"oneOf mismatch", map[string]any{"status": map[string]any{"$oneOf": []any{"error", "pending"}}}, []string{`want one of "error", "pending"`}},
		{"absent", map[string]any{"result": map[string]any{"checkoutId": map[string]any{"$absent": true}}}, nil},
		{"absent but present", map[string]any{"status": map[string]any{"$absent": true}}, []string{"status: got \"success\", want it absent"}},
		{"present", map[string]any{"result": map[string]any{"none": map[string]any{"$present": true}}}, nil},
		{"numeric comparisons", map[string]any{"result": map[string]any{"amount": map[string]any{"$gt": 199, "$lte": 200}, "price": map[string]any{"$gte": "${min}", "$lt": 186}}}, nil},
		{"numeric comparison fails", map[string]any{"result": map[string]any{"amount": map[string]any{"$lt": 100}}}, []string{"result.amount: got 200, want < 100"}},
		{"len", map[string]any{"result": map[string]any{"tags": map[string]any{"$len": 2}, "orderId": map[string]any{"$len": map[string]any{"$gte": 3}}}}, nil},
		{"len fails", map[string]any{"result": map[string]any{"items": map[string]any{"$len": 3}}}, []string{"result.items: length got 2, want 3"}},
		{"contains substring", map[string]any{"status": map[string]any{"$contains": "ucc"}}, nil},
		{"contains element", map[string]any{"result": map[string]any{"items": map[string]any{"$contains": map[string]any{"id": "y"}}}}, nil},
		{"contains fails", map[string]any{"result": map[string]any{"items": map[string]any{"$contains": map[string]any{"id": "z"}}}}, []string{"result.items: no element of 2 matches"}},
		{"not", map[string]any{"status": map[string]any{"$not": "error"}}, nil},
		{"not fails", map[string]any{"status": map[string]any{"$not": map[string]any{"$regex": "^succ"}}}, []string{"status: got \"success\", want it not to match"}},
		{"expr", map[string]any{"result": map[string]any{"amount": map[string]any{"$expr": "it / 2 == 100 && orderId == 'o-1'"}}}, nil},
		{"expr fails", map[string]any{"result": map[string]any{"amount": map[string]any{"$expr": "it > 1000"}}}, []string{"want it > 1000 to hold"}},
		{"literal dollar key", map[string]any{"$$ref": "x"}, []string{"$ref: missing"}},
		{"several mismatches", map[string]any{"status": "x", "result": map[string]any{"orderId": "y"}}, []string{"result.orderId:", "status:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shape := expr.Env{"orderId": expr.Unknown, "min": expr.Unknown}
			m, err := Compile(tc.want, shape)
			require.NoError(t, err)
			res, err := Match(m, env, body, true)
			require.NoError(t, err)
			var got []string
			for _, mm := range res.Mismatches {
				got = append(got, mm.String())
			}
			if len(got) != len(tc.fails) {
				t.Fatalf("mismatches %q, want %d like %q", got, len(tc.fails), tc.fails)
			}
			for i, w := range tc.fails {
				if !strings.Contains(got[i], w) {
					t.Errorf("mismatch %d = %q, want it to contain %q", i, got[i], w)
				}
			}
			if len(got) > 0 && (res.Want == nil || res.Got == nil) {
				t.Errorf("a failed match should carry want and got for a diff")
			}
		})
	}
}

func TestMatchDiffTrimsToExpectation(t *testing.T) {
	m, err := Compile(map[string]any{"a": 1, "b": map[string]any{"$type": "string"}, "c": map[string]any{"$absent": true}}, expr.Env{})
	require.NoError(t, err)
	res, err := Match(m, expr.Env{}, map[string]any{"a": 2, "b": "ok", "extra": true}, true)
	require.NoError(t, err)
	if diff := cmp.Diff(map[string]any{"a": 1.0, "b": "ok"}, res.Want); diff != "" {
		t.Errorf("want (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"a": 2.0, "b": "ok"}, res.Got); diff != "" {
		t.Errorf("got (-want +got):\n%s", diff)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       any
		wantPath []string
		wantErr  string
	}{
		{"unknown operator", map[string]any{"a": map[string]any{"$regx": "x"}}, []string{"a", "$regx"}, "unknown matcher $regx"},
		{"bad type", map[string]any{"$type": "text"}, []string{"$type"}, "want one of string"},
		{"bad regex", []any{map[string]any{"$regex": "("}}, []string{"0", "$regex"}, "error parsing regexp"},
		{"empty oneOf", map[string]any{"$oneOf": []any{}}, []string{"$oneOf"}, "non-empty list"},
		{"gt needs a number", map[string]any{"$gt": "ten"}, []string{"$gt"}, "want a number"},
		{"absent needs a bool", map[string]any{"$absent": "yes"}, []string{"$absent"}, "true or false"},
		{"unknown name in template", map[string]any{"a": "${nope}"}, []string{"a"}, "unknown name nope"},
		{"expr syntax", map[string]any{"$expr": "it >"}, []string{"$expr"}, "unexpected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.in, expr.Env{})
			var pe *PathError
			require.ErrorAs(t, err, &pe)
			if diff := cmp.Diff(tc.wantPath, pe.Path); diff != "" {
				t.Errorf("path (-want +got):\n%s", diff)
			}
			require.Contains(t, pe.Err.Error(), tc.wantErr)
		})
	}
}
