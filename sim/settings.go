package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// DecodeSettings decodes the optional JSON settings of POST
// /_sim/<provider>/merchants (or PUT of a merchant) into v, strictly: an
// empty body leaves v untouched; unknown fields, trailing JSON, wrong types
// and bad durations are a 400 in the control envelope naming the problem.
func DecodeSettings(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return ErrBadRequest("settings: %v", err)
	}
	if dec.More() {
		return ErrBadRequest("settings: more than one JSON value")
	}
	var rest json.RawMessage
	if err := dec.Decode(&rest); err == nil {
		return ErrBadRequest("settings: more than one JSON value")
	}
	return nil
}

// Duration is a positive Go duration written as a JSON string ("5m",
// "90s") in merchant settings.
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a Go duration string such as \"5m\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("want a positive Go duration such as \"5m\", got %q", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// D is the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
