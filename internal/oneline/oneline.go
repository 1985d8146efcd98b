// Package oneline makes text from elsewhere (a server's error message, a validator's report, a path) safe
// to put on one line of an error, a log record or a report: control characters are escaped, so the text
// cannot break lines or drive a terminal, and it is cut to a bounded length.
package oneline

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Trim returns s on one line and at most max characters of s long: every control character (and the
// Unicode line and paragraph separators) is written as its Go escape (\n, \x1b, \u2028), each byte that
// is not UTF-8 as \xNN, and when s has more than max characters the rest is cut and marked with "…".
// An escape counts as one character. max <= 0 keeps nothing but the mark.
func Trim(s string, max int) string {
	if max < 0 {
		max = 0
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		if n == max {
			b.WriteString("…")
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(s[i])&0xf, 16))
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += size
		n++
	}
	return b.String()
}
