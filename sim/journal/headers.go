package journal

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// HeaderList is a journalled message's headers, sorted by name, each with
// its values joined by ", " and secrets redacted (RedactHeaders). It reads
// and writes as a JSON object, as a map would; it is a slice so that an
// entry costs one small allocation per message instead of a map's table.
type HeaderList []Header

// Header is one header of a HeaderList.
type Header struct {
	Name, Value string
}

// RedactHeaders returns the headers of h as Headers does, as a HeaderList.
func RedactHeaders(h http.Header) HeaderList {
	if len(h) == 0 {
		return nil
	}
	out := make(HeaderList, 0, len(h))
	for k, v := range h {
		value := Redacted
		if !IsSecret(k) {
			value = MaskPANs(strings.Join(v, ", "))
		}
		out = append(out, Header{k, value})
	}
	slices.SortFunc(out, func(a, b Header) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// Get returns the value of the header named name (as the message spelled
// it, e.g. "Content-Type"), "" when there is none.
func (l HeaderList) Get(name string) string {
	for _, h := range l {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

// MarshalJSON writes l as an object, names in order.
func (l HeaderList) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, h := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, s := range []string{h.Name, h.Value} {
			q, err := json.Marshal(s)
			if err != nil {
				return nil, err
			}
			b.Write(q)
			if j == 0 {
				b.WriteByte(':')
			}
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of string values.
func (l *HeaderList) UnmarshalJSON(data []byte) error {
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	out := make(HeaderList, 0, len(m))
	for k, v := range m {
		out = append(out, Header{k, v})
	}
	slices.SortFunc(out, func(a, b Header) int { return cmp.Compare(a.Name, b.Name) })
	*l = out
	return nil
}
