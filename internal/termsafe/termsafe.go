// Package termsafe makes text that came from a server safe to print on a terminal.
//
// A server (or anything in front of it) chooses the dataset, job, column and workflow names, the
// statistics and the error messages a command prints. Printed as they are, an ESC or a C1 control
// starts a terminal escape sequence (recolouring the terminal, moving the cursor, setting the
// window title, writing to the clipboard), a CR or LF forges a line of output, BEL rings, and a
// bidirectional override shows text in another order than it is. String escapes all of them
// visibly, in Go's notation (\x1b, \n, \u202e), so the text stays on one line and reads as what
// it is.
package termsafe

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// String returns s with every character that could control a terminal or break a line escaped:
// C0 and C1 controls, DEL, line and paragraph separators, bidirectional controls (U+061C,
// U+200E-U+200F, U+202A-U+202E, U+2066-U+2069) and invalid UTF-8 bytes. Everything else, other
// scripts and backslashes included, is kept as it is. s is returned unchanged when it needs
// nothing.
func String(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case mustEscape(r):
			b.WriteString(escape(r))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Safe reports whether s prints as it is: String(s) == s.
func Safe(s string) bool { return firstUnsafe(s) < 0 }

// firstUnsafe returns the index of the first byte String escapes, or -1.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || mustEscape(r) {
			return i
		}
		i += size
	}
	return -1
}

// mustEscape reports whether a valid rune must be escaped.
func mustEscape(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) ||
		unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control)
}

// escape renders r in Go's notation.
func escape(r rune) string {
	switch r {
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\v':
		return `\v`
	}
	if r < 0x80 {
		return `\x` + hex2(byte(r))
	}
	q := strconv.QuoteRuneToASCII(r) // '\u0085'
	return q[1 : len(q)-1]
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

// JSON returns the JSON text b, as encoding/json writes it, with DEL, C1 controls and
// bidirectional controls written as \uXXXX escapes, which denote the same JSON value.
// encoding/json already escapes C0 controls, U+2028, U+2029 and invalid UTF-8 inside strings;
// outside strings valid JSON holds none of the characters escaped here (its whitespace is kept),
// so b's structure is kept. b is returned when it needs nothing.
func JSON(b []byte) []byte {
	jsonUnsafe := func(r rune) bool { return r >= 0x20 && mustEscape(r) }
	if !bytes.ContainsFunc(b, jsonUnsafe) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if size > 0 && jsonUnsafe(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// Trim returns s on one line and at most max characters of s long. When s has more than max characters
// (an invalid UTF-8 byte counts as one) the rest is cut and marked with "…". What is kept is escaped
// with termsafe.String: control characters, line and paragraph separators and bidirectional controls in
// Go's notation (\n, \x1b, \u2028, \u202e), invalid bytes as \xNN. max <= 0 keeps nothing but the mark.
func Trim(s string, max int) string {
	n := 0
	for i := 0; i < len(s); n++ {
		if n >= max {
			return String(s[:i]) + "…"
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return String(s)
}
