package mpower

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/money"
)

// fields is a request body: a JSON object by field name. Like Jackson in
// Spring Boot, unknown fields are ignored; names are case-sensitive.
type fields map[string]json.RawMessage

// parseObject reads a JSON object body the way Spring's message converter
// does: JSON content types only, one object, nothing after it.
func parseObject(r *http.Request, raw []byte) (fields, error) {
	ct := mediaType(r)
	if ct != "application/json" && !strings.HasSuffix(ct, "+json") {
		if ct == "" {
			ct = "application/octet-stream"
		}
		return nil, apiErr(CodeUnsupportedMedia, "Content-Type '%s' is not supported", ct)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, httpx.ErrEmptyBody
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var f fields
	if err := dec.Decode(&f); err != nil || f == nil {
		return nil, apiErr(CodeMalformedJSON, "JSON parse error: %s", jsonReason(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, apiErr(CodeMalformedJSON, "JSON parse error: trailing content after the JSON object")
	}
	return f, nil
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return "the request body must be a JSON object, not null"
	case errors.As(err, &se):
		return fmt.Sprintf("%s (at offset %d)", se.Error(), se.Offset)
	case errors.As(err, &te):
		return "the request body must be a JSON object, not " + te.Value
	}
	return "the request body is not valid JSON"
}

// value is a field's JSON value as decoded, for rejectedValue; a value
// JSON numbers cannot carry (1e400) is given as its text.
func (f fields) value(name string) any {
	var v any
	if err := json.Unmarshal(f[name], &v); err != nil {
		return string(f[name])
	}
	return v
}

// present reports whether name is given and not null.
func (f fields) present(name string) bool {
	raw, ok := f[name]
	return ok && string(bytes.TrimSpace(raw)) != "null"
}

// str reads a string field of at most max characters. A required field
// must be present and not blank.
func (f fields) str(name string, required bool, max int) (string, error) {
	if !f.present(name) {
		if required {
			return "", fieldErr(CodeMissingField, name, nil, "must not be null")
		}
		return "", nil
	}
	var s string
	if err := json.Unmarshal(f[name], &s); err != nil {
		return "", fieldErr(CodeInvalidField, name, f.value(name), "must be a string")
	}
	if required && strings.TrimSpace(s) == "" {
		return "", fieldErr(CodeMissingField, name, s, "must not be blank")
	}
	if utf8.RuneCountInString(s) > max {
		return "", fieldErr(CodeInvalidField, name, s, "size must be between 0 and %d", max)
	}
	return s, nil
}

// integer reads an integer field in [min, max]. JSON strings and
// fractions are refused (no coercion).
func (f fields) integer(name string, required bool, min, max int64) (int64, bool, error) {
	if !f.present(name) {
		if required {
			return 0, false, fieldErr(CodeMissingField, name, nil, "must not be null")
		}
		return 0, false, nil
	}
	lit := string(bytes.TrimSpace(f[name]))
	n, err := strconv.ParseInt(lit, 10, 64)
	if err != nil {
		return 0, false, fieldErr(CodeInvalidField, name, f.value(name), "must be an integer")
	}
	if n < min || n > max {
		return 0, false, fieldErr(CodeInvalidField, name, n, "must be between %d and %d", min, max)
	}
	return n, true, nil
}

// callbackURL reads an absolute http(s) URL field.
func (f fields) callbackURL(name string, required bool) (string, error) {
	s, err := f.str(name, required, 2048)
	if err != nil || s == "" {
		return s, err
	}
	u, perr := url.Parse(s)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fieldErr(CodeInvalidField, name, s, "must be an absolute http or https URL")
	}
	return s, nil
}

// mustMatch reads a string field that, when given, must equal want.
func (f fields) mustMatch(name string, required bool, want, code, msg string) error {
	s, err := f.str(name, required, 256)
	if err != nil {
		return err
	}
	if f.present(name) && s != want {
		return fieldErr(code, name, s, "%s", msg)
	}
	return nil
}

// content reads paymentContent: the sample's array of arrays of
// {"key","value"}, or (as the table says) a string, kept as one line or,
// when it holds such an array as JSON, as its lines.
func (f fields) content(name string) ([][]ContentLine, error) {
	if !f.present(name) {
		return nil, fieldErr(CodeMissingField, name, nil, "must not be null")
	}
	raw := f[name]
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if strings.TrimSpace(s) == "" {
			return nil, fieldErr(CodeMissingField, name, s, "must not be blank")
		}
		if utf8.RuneCountInString(s) > 4096 {
			return nil, fieldErr(CodeInvalidField, name, s, "size must be between 0 and 4096")
		}
		if groups, err := contentGroups([]byte(s)); err == nil {
			return groups, nil
		}
		return [][]ContentLine{{{Key: "", Value: s}}}, nil
	}
	groups, err := contentGroups(raw)
	if err != nil {
		return nil, fieldErr(CodeInvalidField, name, f.value(name), "%s", err.Error())
	}
	return groups, nil
}

const contentShape = "must be a string or an array of arrays of {\"key\",\"value\"} strings"

func contentGroups(raw []byte) ([][]ContentLine, error) {
	var groups []json.RawMessage
	if err := json.Unmarshal(raw, &groups); err != nil || len(groups) == 0 {
		return nil, errors.New(contentShape + " (at least one)")
	}
	if len(groups) > 50 {
		return nil, errors.New("at most 50 groups")
	}
	out := make([][]ContentLine, 0, len(groups))
	lines := 0
	for _, g := range groups {
		var items []map[string]json.RawMessage
		if err := json.Unmarshal(g, &items); err != nil {
			return nil, errors.New(contentShape)
		}
		group := make([]ContentLine, 0, len(items))
		for _, it := range items {
			var l ContentLine
			if json.Unmarshal(it["key"], &l.Key) != nil || json.Unmarshal(it["value"], &l.Value) != nil ||
				it["key"] == nil || it["value"] == nil {
				return nil, errors.New(contentShape)
			}
			if utf8.RuneCountInString(l.Key) > 256 || utf8.RuneCountInString(l.Value) > 256 {
				return nil, errors.New("keys and values have at most 256 characters")
			}
			group = append(group, l)
		}
		if lines += len(group); lines > 200 {
			return nil, errors.New("at most 200 lines")
		}
		out = append(out, group)
	}
	return out, nil
}

func equalSecret(got, want string) bool { return auth.Equal(got, want) }

// displayAmount renders minor units in currency, e.g. 1300 TRY -> "13.00 TRY".
func displayAmount(minor int64, currency string) string {
	c, err := money.CurrencyOf(currency)
	if err != nil {
		return strconv.FormatInt(minor, 10) + " " + currency
	}
	return money.FromMinor(minor, c).Display()
}
