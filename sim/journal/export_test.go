package journal

import (
	"regexp"
	"strings"
)

// panRe is the card number pattern maskPANs implements.
var panRe = regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`)

// MaskPANsSlow is MaskPANs as it was first written: panRe over the whole
// text, the reference its shortcuts are fuzzed against.
func MaskPANsSlow(s string) string {
	if strings.Contains(s, "eyJ") {
		s = jwtRe.ReplaceAllString(s, Redacted)
	}
	return panRe.ReplaceAllStringFunc(s, maskPAN)
}
