package termsafe

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// unsafeText is every text String must escape, each holding one unsafe character (or invalid byte) and
// nothing else unsafe, with the escape String writes for it.
func unsafeText() map[string]string {
	cases := map[string]string{}
	c0 := map[rune]string{'\a': `\a`, '\b': `\b`, '\t': `\t`, '\n': `\n`, '\v': `\v`, '\f': `\f`, '\r': `\r`}
	for r := rune(0); r < 0x20; r++ {
		esc, ok := c0[r]
		if !ok {
			esc = fmt.Sprintf(`\x%02x`, r)
		}
		cases[string(r)] = esc
	}
	cases["\x7f"] = `\x7f`
	for r := rune(0x80); r <= 0x9f; r++ {
		cases[string(r)] = fmt.Sprintf(`\u%04x`, r)
	}
	for _, r := range bidiAndSeparators() {
		cases[string(r)] = fmt.Sprintf(`\u%04x`, r)
	}
	// Invalid UTF-8: a lone continuation byte, bytes that never occur, a truncated sequence, an overlong
	// encoding, a surrogate.
	for _, b := range []string{"\x80", "\xbf", "\xc0", "\xc1", "\xf5", "\xfe", "\xff"} {
		cases[b] = fmt.Sprintf(`\x%02x`, b[0])
	}
	cases["\xe2\x80"] = `\xe2\x80`
	cases["\xc0\xaf"] = `\xc0\xaf`
	cases["\xed\xa0\x80"] = `\xed\xa0\x80`
	return cases
}

// bidiAndSeparators are the bidirectional controls and the line and paragraph separators.
func bidiAndSeparators() []rune {
	rs := []rune{0x061c, 0x200e, 0x200f, 0x2028, 0x2029}
	for r := rune(0x202a); r <= 0x202e; r++ {
		rs = append(rs, r)
	}
	for r := rune(0x2066); r <= 0x2069; r++ {
		rs = append(rs, r)
	}
	return rs
}

// TestStringEscapesEveryUnsafeCharacter: each unsafe character is escaped, and Safe says no, whether it is
// the whole text, its first, its last or a middle character; the rest of the text is kept.
func TestStringEscapesEveryUnsafeCharacter(t *testing.T) {
	for in, esc := range unsafeText() {
		for _, tc := range []struct{ in, want string }{
			{in, esc},
			{in + "tail", esc + "tail"},
			{"head" + in, "head" + esc},
			{"Zoë " + in + " 東京", "Zoë " + esc + " 東京"},
			{in + in, esc + esc},
		} {
			if got := String(tc.in); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if Safe(tc.in) {
				t.Errorf("Safe(%q) = true", tc.in)
			}
		}
	}
}

// TestStringKeepsTheNeighbours: the characters just outside each unsafe range are printable and kept as
// they are, and Safe says yes.
func TestStringKeepsTheNeighbours(t *testing.T) {
	for _, s := range []string{
		" ", "~", "\u00a0", "\u00a1", "ÿ", "\u061b", "\u061d", "\u200d", "\u2010", "\u2027", "\u202f",
		"\u2065", "\u206a", "\ufffd", "\U0001f600", `\x1b`, "plain text",
	} {
		if got := String(s); got != s {
			t.Errorf("String(%q) = %q, want it unchanged", s, got)
		}
		if !Safe(s) {
			t.Errorf("Safe(%q) = false", s)
		}
	}
}

// TestJSONEscapesEveryUnsafeCharacter: JSON text of a string holding any unsafe character, as
// encoding/json writes it, comes out of JSON with no unsafe character left, and denotes the same string.
func TestJSONEscapesEveryUnsafeCharacter(t *testing.T) {
	for in := range unsafeText() {
		for _, s := range []string{in, "a" + in + "b"} {
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			got := JSON(b)
			if !Safe(string(got)) {
				t.Errorf("JSON(%q) = %q still holds an unsafe character", b, got)
			}
			var back, want string
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("JSON(%q) = %q is not JSON: %v", b, got, err)
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if back != want {
				t.Errorf("JSON(%q) = %q reads as %q, want %q", b, got, back, want)
			}
		}
	}
	// What encoding/json leaves as it is, JSON writes as \uXXXX: DEL, C1 and bidirectional controls,
	// and the separators in text that did not come from encoding/json.
	for _, r := range append([]rune{0x7f, 0x80, 0x85, 0x9b, 0x9f}, bidiAndSeparators()...) {
		in := []byte(`["x` + string(r) + `y"]`)
		want := fmt.Sprintf(`["x\u%04xy"]`, r)
		if got := string(JSON(in)); got != want {
			t.Errorf("JSON(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStringResultIsSafe: whatever goes in, what String returns is valid UTF-8 that Safe accepts, and
// String leaves it as it is.
func TestStringResultIsSafe(t *testing.T) {
	var all strings.Builder
	for in := range unsafeText() {
		all.WriteString(in)
	}
	for r := rune(0); r < 0x3000; r++ {
		all.WriteRune(r)
	}
	in := all.String()
	got := String(in)
	if !utf8.ValidString(got) || !Safe(got) || String(got) != got {
		t.Errorf("String of every character up to U+3000 is not safe: %q", got)
	}
}
