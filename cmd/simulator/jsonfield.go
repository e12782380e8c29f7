package main

import (
	"encoding/json"
	"fmt"
)

func jsonField(b []byte, name string) (string, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("plaintext is not a JSON object: %w", err)
	}
	v, ok := m[name]
	if !ok {
		return "", fmt.Errorf("plaintext has no field %q", name)
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	out, _ := json.Marshal(v)
	return string(out), nil
}
