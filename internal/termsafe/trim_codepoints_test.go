package termsafe

import (
	"fmt"
	"testing"
)

// unsafeRunes is every character Trim must escape, with its escape: C0 controls, DEL, C1 controls,
// bidirectional controls and the line and paragraph separators.
func trimUnsafeRunes() map[rune]string {
	m := map[rune]string{'\a': `\a`, '\b': `\b`, '\t': `\t`, '\n': `\n`, '\v': `\v`, '\f': `\f`, '\r': `\r`}
	for r := rune(0); r < 0x20; r++ {
		if _, ok := m[r]; !ok {
			m[r] = fmt.Sprintf(`\x%02x`, r)
		}
	}
	m[0x7f] = `\x7f`
	for r := rune(0x80); r <= 0x9f; r++ {
		m[r] = fmt.Sprintf(`\u%04x`, r)
	}
	bidi := []rune{0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069}
	for _, r := range bidi {
		m[r] = fmt.Sprintf(`\u%04x`, r)
	}
	return m
}

// TestTrimEscapesEveryUnsafeCharacter: each unsafe character is escaped wherever it stands, alone or not,
// kept or at the cut, and counts as one character of the limit.
func TestTrimEscapesEveryUnsafeCharacter(t *testing.T) {
	for r, esc := range trimUnsafeRunes() {
		c := string(r)
		for _, tc := range []struct {
			in   string
			max  int
			want string
		}{
			{c, 1, esc},
			{c, 100, esc},
			{c + "ok", 100, esc + "ok"},
			{"ok" + c, 100, "ok" + esc},
			{"ok" + c, 3, "ok" + esc},
			{"ok" + c + "more", 3, "ok" + esc + "…"},
			{c + c + c, 2, esc + esc + "…"},
			{"ok" + c, 2, "ok…"},
		} {
			got := Trim(tc.in, tc.max)
			if got != tc.want {
				t.Errorf("Trim(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
			if !Safe(got) {
				t.Errorf("Trim(%q, %d) = %q is not safe to print", tc.in, tc.max, got)
			}
		}
	}
}

// TestTrimEscapesInvalidUTF8: each invalid byte is written \xNN and counts as one character.
func TestTrimEscapesInvalidUTF8(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"\xff", 1, `\xff`},
		{"\x80", 5, `\x80`},
		{"\xc0\xaf", 5, `\xc0\xaf`},
		{"\xc0\xaf", 1, `\xc0…`},
		{"\xed\xa0\x80x", 3, `\xed\xa0\x80…`},
		{"ok\xe2\x80", 4, `ok\xe2\x80`},
		{"ok\xe2\x80", 3, `ok\xe2…`},
	} {
		if got := Trim(tc.in, tc.max); got != tc.want {
			t.Errorf("Trim(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
