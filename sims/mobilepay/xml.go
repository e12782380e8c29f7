package mobilepay

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/paysandbox/paysandbox/sim/httpx"
)

// Integra is an ASP.NET Web API service: it answers JSON by default and XML
// (DataContractSerializer style) when the Accept header prefers it.
const (
	xmlNamespace       = "http://schemas.datacontract.org/2004/07/_1SA_MobilePay_POS_ViewModels"
	xmlArrayNamespace  = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
	xmlInstanceNS      = "http://www.w3.org/2001/XMLSchema-instance"
	contentTypeXML     = "application/xml; charset=utf-8"
	contentTypeTextXML = "text/xml; charset=utf-8"
	contentTypeJSON    = "application/json; charset=utf-8" // as httpx.EncodeJSON
)

// viewModeler names the XML root element of a response body, after the
// Integra view model it stands for.
type viewModeler interface{ viewModel() string }

// negotiate returns the XML content type to answer with, or "" for JSON.
// Media ranges are weighed by q; on a tie the earlier one wins; JSON is the
// default, as in ASP.NET Web API.
func negotiate(r *http.Request) string {
	if r == nil {
		return ""
	}
	accept := r.Header.Values("Accept")
	if !mentionsXML(accept) {
		return "" // no XML media range, so JSON (most clients: none or */*)
	}
	return negotiateAccept(accept)
}

// negotiateAccept weighs the Accept header's media ranges.
func negotiateAccept(accept []string) string {
	best, bestQ := "", -1.0
	for _, h := range accept {
		for part := range strings.SplitSeq(h, ",") {
			mt, ps, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if v, ok := ps["q"]; ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
			var ct string
			switch mt {
			case "application/json", "text/json":
				ct = "json"
			case "application/xml":
				ct = contentTypeXML
			case "text/xml":
				ct = contentTypeTextXML
			default:
				continue
			}
			if q > bestQ && q > 0 {
				best, bestQ = ct, q
			}
		}
	}
	if best == "json" {
		return ""
	}
	return best
}

// mentionsXML reports whether an Accept header holds "xml" in any case;
// without it no media range can pick XML.
func mentionsXML(values []string) bool {
	for _, v := range values {
		for i := 0; i+3 <= len(v); i++ {
			if v[i]|0x20 == 'x' && v[i+1]|0x20 == 'm' && v[i+2]|0x20 == 'l' {
				return true
			}
		}
	}
	return false
}

// encodeBody is the adapter's Encode hook: JSON, or XML when asked.
func encodeBody(r *http.Request, body any) ([]byte, string, error) {
	ct := negotiate(r)
	if ct == "" {
		if v, ok := body.(statusView); ok {
			if b, ok := v.appendJSON(make([]byte, 0, 128)); ok {
				return b, contentTypeJSON, nil
			}
		}
		return httpx.EncodeJSON(r, body)
	}
	b, err := encodeXML(body)
	return b, ct, err
}

// encodeXML renders body the way DataContractSerializer does: the root
// element named after the view model, members in alphabetical order,
// string arrays as d2p1:string items, nulls as i:nil.
func encodeXML(body any) ([]byte, error) {
	root := "Response"
	if vm, ok := body.(viewModeler); ok {
		root = vm.viewModel()
	}
	j, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("<" + root + ` xmlns:i="` + xmlInstanceNS + `" xmlns="` + xmlNamespace + `">`)
	if m, ok := v.(map[string]any); ok {
		writeMembers(&b, m)
	}
	b.WriteString("</" + root + ">")
	return b.Bytes(), nil
}

func writeMembers(b *bytes.Buffer, m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		writeElement(b, k, m[k])
	}
}

func writeElement(b *bytes.Buffer, name string, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("<" + name + ` i:nil="true"/>`)
	case map[string]any:
		b.WriteString("<" + name + ">")
		writeMembers(b, x)
		b.WriteString("</" + name + ">")
	case []any:
		if len(x) == 0 {
			b.WriteString("<" + name + ` xmlns:d2p1="` + xmlArrayNamespace + `"/>`)
			return
		}
		b.WriteString("<" + name + ` xmlns:d2p1="` + xmlArrayNamespace + `">`)
		for _, item := range x {
			writeElement(b, "d2p1:"+arrayItemName(item), item)
		}
		b.WriteString("</" + name + ">")
	default:
		b.WriteString("<" + name + ">")
		_ = xml.EscapeText(b, []byte(scalar(x)))
		b.WriteString("</" + name + ">")
	}
}

func arrayItemName(v any) string {
	switch v.(type) {
	case json.Number:
		return "decimal"
	case bool:
		return "boolean"
	default:
		return "string"
	}
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	default:
		return ""
	}
}

// appendJSON renders v as httpx.EncodeJSON does (the same bytes, a
// newline after), without reflection: the status call is what a PoS polls
// every second. ok is false when a value needs escaping; the caller then
// falls back to encoding/json.
func (v statusView) appendJSON(b []byte) ([]byte, bool) {
	if !v.Success || v.Errors == nil || len(v.Errors) != 0 || !plainJSON(v.PaymentID) || !plainJSON(string(v.Status)) {
		return nil, false
	}
	b = append(b, `{"success":true,"errors":[],"paymentId":"`...)
	b = append(b, v.PaymentID...)
	b = append(b, `","status":"`...)
	b = append(b, v.Status...)
	b = append(b, `","pollDelayInMs":`...)
	b = strconv.AppendInt(b, int64(v.PollDelayInMs), 10)
	return append(b, "}\n"...), true
}

// plainJSON reports whether encoding/json writes s inside its quotes as it
// is: printable ASCII without '"', '\\' and the HTML characters it escapes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
