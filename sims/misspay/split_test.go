package misspay

import (
	"encoding/json"
	"reflect"
	"testing"
)

var splitSeeds = []string{
	`{}`, `null`, `[]`, `"x"`, `1`, `{"a":1,"b":"x","c":{"d":[1,{"e":null}]},"f":true}`,
	`{"a":1,"a":2}`, `{"k\u0041":"v","\u00e9":"\"}"}`, " { \"a\" : [ ] , \"b\" : { } } ",
	"{\"\xff\":1}", `[{"a":1},null,{}]`, `{"a":{"b":1,"b":2}}`, `[{"a":1},{"a":1}]`, `{"a":{"a":1},"b":{"a":2}}`,
	`{"a":1,"\u0061":2}`, "{\"\xff\":1,\"\xfe\":2}", `{"k":"a","v":"a"}`, `[1]`, `[{"a":1},"x"]`, `[ ]`, `{"a":"]}\\"}`,
}

// The splitters answer as json.Unmarshal does, for every valid input.
func FuzzSplit(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			t.Skip()
		}
		var want map[string]json.RawMessage
		wantErr := json.Unmarshal(b, &want)
		got, ok := splitObject(b)
		if ok != (wantErr == nil) || (ok && !reflect.DeepEqual(got, want)) {
			t.Fatalf("splitObject(%q) = %q, %v; json.Unmarshal: %q, %v", b, got, ok, want, wantErr)
		}
		if !mayRepeatKeys(b) {
			if dups := duplicateKeys(b); len(dups) > 0 {
				t.Fatalf("mayRepeatKeys(%q) = false, duplicateKeys = %q", b, dups)
			}
		}
		var wantA []map[string]json.RawMessage
		wantErr = json.Unmarshal(b, &wantA)
		gotA, ok := splitObjects(b)
		if ok != (wantErr == nil) || (ok && !reflect.DeepEqual(gotA, wantA)) {
			t.Fatalf("splitObjects(%q) = %q, %v; json.Unmarshal: %q, %v", b, gotA, ok, wantA, wantErr)
		}
	})
}
