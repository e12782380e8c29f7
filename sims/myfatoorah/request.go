package myfatoorah

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/paysandbox/paysandbox/sim/httpx"
)

// num is a JSON number that ASP.NET's binder would also take as a numeric
// string ("2"). It keeps the literal so amounts stay exact.
type num string

func (n *num) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*n = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = ""
			return nil
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil || !tame(s) {
			return errNotNumber
		}
		*n = num(s)
		return nil
	default:
		var x json.Number
		if err := json.Unmarshal(b, &x); err != nil || !tame(string(x)) {
			return errNotNumber
		}
		*n = num(x)
		return nil
	}
}

// tame refuses number literals whose exact value is costly to compute
// (1e999999 takes big.Rat tens of milliseconds): no money amount, quantity
// or dimension needs more than 40 characters or an exponent beyond 30.
func tame(s string) bool {
	if len(s) > 40 {
		return false
	}
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return true
	}
	e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
	return err == nil && e >= -30 && e <= 30
}

var errNotNumber = errors.New("not a number")

func (n num) set() bool { return n != "" }

// int returns the value as an integer; ok is false for fractions and
// values out of range.
func (n num) int() (int64, bool) {
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err == nil {
		return v, true
	}
	r := ratOf(string(n))
	if string(n) != "0" && r.Sign() == 0 {
		return 0, false
	}
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// optional is an object field that PHP clients may send as null or ""
// (the official library's own test sends "ShippingConsignee": ""): both
// mean "not given".
type optional[T any] struct {
	V *T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte(`""`)) {
		o.V = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.V = &v
	return nil
}

// flexBool is a JSON boolean that also takes "true"/"false".
type flexBool struct {
	Set, V bool
}

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.ToLower(string(bytes.TrimSpace(b))), `"`)
	switch s {
	case "null", "":
		*f = flexBool{}
	case "true":
		*f = flexBool{Set: true, V: true}
	case "false":
		*f = flexBool{Set: true}
	default:
		return errors.New("not a boolean")
	}
	return nil
}

// decode reads the JSON body into v. A field of the wrong type is a
// validation error naming the field, as ASP.NET's model binder reports it.
func decode(r *http.Request, v any) error {
	if r.ContentLength == 0 { // also an in-process request with a nil Body
		return httpx.ErrEmptyBody
	}
	b, err := httpx.ReadBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return httpx.ErrEmptyBody
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fieldsErr([]FieldError{{Name: te.Field, Error: "The value is not valid for " + te.Field + "."}})
		}
		return errors.Join(httpx.ErrMalformed, err)
	}
	if dec.More() {
		return errors.Join(httpx.ErrMalformed, errors.New("trailing data"))
	}
	return nil
}
