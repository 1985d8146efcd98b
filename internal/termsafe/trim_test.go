package termsafe

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestTrim(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 10, "plain"},
		{"exactly", 7, "exactly"},
		{"too long here", 8, "too long…"},
		{"line one\nline two", 100, `line one\nline two`},
		{"tab\tcr\rnul\x00esc\x1b[31mdel\x7f", 100, `tab\tcr\rnul\x00esc\x1b[31mdel\x7f`},
		{"c1\u0085sep\u2028par\u2029", 100, `c1\u0085sep\u2028par\u2029`},
		{"bad \xff\xfe utf8", 100, `bad \xff\xfe utf8`},
		{"bidi \u202egnp.exe", 100, `bidi \u202egnp.exe`},
		{"ünïcødé ✓", 9, "ünïcødé ✓"},
		{"ünïcødé ✓", 3, "ünï…"},
		{"\n\n\n\n", 2, `\n\n…`},
		{"anything", 0, "…"},
		{"anything", -1, "…"},
		{"", 5, ""},
		{"", 0, ""},
	} {
		if got := Trim(tc.in, tc.max); got != tc.want {
			t.Errorf("Trim(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// FuzzTrim: whatever the input, the result is valid UTF-8 on one line without a control character, and
// holds the input unchanged when it was short and clean.
func FuzzTrim(f *testing.F) {
	for _, s := range []string{"", "a\nb", "\x1b]0;title\x07", "\xff", "ü\u2028", strings.Repeat("x", 400)} {
		f.Add(s, 300)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 1000
		got := Trim(s, max)
		if !utf8.ValidString(got) {
			t.Fatalf("Trim(%q, %d) = %q: not UTF-8", s, max, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("Trim(%q, %d) = %q holds %U", s, max, got, r)
			}
		}
		if n := utf8.RuneCountInString(got); max >= 0 && n > 6*max+1 {
			t.Fatalf("Trim(%q, %d) = %q: %d characters", s, max, got, n)
		}
		clean := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
			return unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control)
		})
		if clean && utf8.RuneCountInString(s) <= max && got != s {
			t.Fatalf("Trim(%q, %d) = %q: a short clean string changed", s, max, got)
		}
	})
}
