// Package oneline makes text from elsewhere (a server's error message, a validator's report, a path) fit
// one line of an error, a log record or a report: it is cut to a bounded length, and everything that
// could break the line or drive a terminal is escaped by internal/termsafe.
package oneline

import (
	"unicode/utf8"

	"github.com/data8-toolkit/data8/internal/termsafe"
)

// Trim returns s on one line and at most max characters of s long. When s has more than max characters
// (an invalid UTF-8 byte counts as one) the rest is cut and marked with "…". What is kept is escaped
// with termsafe.String: control characters, line and paragraph separators and bidirectional controls in
// Go's notation (\n, \x1b, \u2028, \u202e), invalid bytes as \xNN. max <= 0 keeps nothing but the mark.
func Trim(s string, max int) string {
	n := 0
	for i := 0; i < len(s); n++ {
		if n >= max {
			return termsafe.String(s[:i]) + "…"
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return termsafe.String(s)
}
