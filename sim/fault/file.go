package fault

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/goccy/go-yaml"
)

// File is the --faults file: a YAML (or JSON) document with a list of
// rules under "faults". Rules without merchantId are global.
type File struct {
	Faults []Rule `json:"faults"`
}

// ParseFile reads a --faults file. Rules come back validated, with origin
// "file"; a rule that names no merchant applies to every merchant of its
// provider.
func ParseFile(data []byte) ([]Rule, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	var f File
	if err := DecodeStrict(js, &f); err != nil {
		return nil, err
	}
	for i := range f.Faults {
		r := &f.Faults[i]
		if r.MerchantID == "" {
			r.Global = true
		}
		r.Origin = OriginFile
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("faults[%d]: %w", i, err)
		}
	}
	return f.Faults, nil
}

// DecodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data.
func DecodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: more than one JSON value", ErrInvalid)
	}
	return nil
}
