package journal

import "strings"

// MaskPANsSlow is MaskPANs as it was first written: panRe over the whole
// text, the reference its shortcuts are fuzzed against.
func MaskPANsSlow(s string) string {
	if strings.Contains(s, "eyJ") {
		s = jwtRe.ReplaceAllString(s, Redacted)
	}
	return panRe.ReplaceAllStringFunc(s, maskPAN)
}
