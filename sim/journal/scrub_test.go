package journal

import "testing"

func TestScrub(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		secrets  []string
		want     string
	}{
		{"none", `{"message":"mp_0123456789"}`, nil, `{"message":"mp_0123456789"}`},
		{"json", `{"message":"mp_0123456789"}`, []string{"mp_0123456789"}, `{"message":"[REDACTED]"}`},
		{"xml twice", `<a>mp_0123456789</a><b>mp_0123456789</b>`, []string{"mp_0123456789"}, `<a>[REDACTED]</a><b>[REDACTED]</b>`},
		{"too short", `{"message":"abc"}`, []string{"abc"}, `{"message":"abc"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(Scrub([]byte(tc.in), tc.secrets)); got != tc.want {
				t.Fatalf("Scrub = %s, want %s", got, tc.want)
			}
		})
	}
}
