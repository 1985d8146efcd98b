// Package redact removes secrets from text. It is the module's one redactor: the client, the data8
// command and the conformance suite each keep a Set of the secrets they hold (the configured client
// secret, the bearer tokens issued to them, the members of token answers and credential bodies) and
// pass every text that leaves them (errors, logs, reports, standard output) through it.
//
// A Set redacts by origin, never by guess: only strings added to it are secrets. Each is looked for
// in every encoding the text could carry it in: literally, form- and URL-encoded (upper- or lower-case
// percent escapes), JSON-escaped, and inside base64 (standard or URL alphabet, at any alignment, so
// that "Basic base64(id:secret)" or a secret echoed inside a larger base64 blob is found too).
package redact

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// Placeholder replaces every secret found.
const Placeholder = "[REDACTED]"

// MinLen is the shortest secret a Set redacts. A shorter string cannot be told apart from ordinary
// words ("500", "true"), and no real secret or token is that short; Add ignores it.
const MinLen = 8

// Set is a set of secrets to remove from text. The zero value is empty and ready to use; it is safe
// for concurrent use.
type Set struct {
	mu      sync.RWMutex
	secrets []string          // as added, for Has
	forms   []string          // every encoded form, longest first
	rep     *strings.Replacer // nil while there is none
}

// Add registers secrets. Strings shorter than MinLen, and ones already registered, are ignored.
func (s *Set) Add(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for _, secret := range secrets {
		if len(secret) < MinLen || slices.Contains(s.secrets, secret) {
			continue
		}
		s.secrets = append(s.secrets, secret)
		for _, f := range Forms(secret) {
			if !slices.Contains(s.forms, f) {
				s.forms = append(s.forms, f)
			}
		}
		changed = true
	}
	if !changed {
		return
	}
	// Longest first: where forms overlap at one position the replacer takes the first in argument
	// order, so a secret that contains another is replaced whole.
	slices.SortStableFunc(s.forms, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(s.forms))
	for _, f := range s.forms {
		pairs = append(pairs, f, Placeholder)
	}
	s.rep = strings.NewReplacer(pairs...)
}

// Has reports whether secret was added (and was long enough to be kept).
func (s *Set) Has(secret string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Contains(s.secrets, secret)
}

// String returns text with every form of every secret replaced by Placeholder.
func (s *Set) String(text string) string {
	if s == nil {
		return text
	}
	s.mu.RLock()
	rep := s.rep
	s.mu.RUnlock()
	if rep == nil {
		return text
	}
	return rep.Replace(text)
}

// Writer returns a writer that writes to w what it is given, redacted. Each Write is redacted on its
// own: a secret split across two writes is not found, so write whole lines (as fmt.Fprintf does).
func (s *Set) Writer(w io.Writer) io.Writer { return &writer{w: w, s: s} }

type writer struct {
	w io.Writer
	s *Set
}

func (rw *writer) Write(p []byte) (int, error) {
	rw.s.mu.RLock()
	rep := rw.s.rep
	rw.s.mu.RUnlock()
	if rep == nil {
		return rw.w.Write(p)
	}
	if _, err := io.WriteString(rw.w, rep.Replace(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Unwrap returns the writer written to, so that a caller can tell whether it is a terminal.
func (rw *writer) Unwrap() io.Writer { return rw.w }

// Forms returns the encodings of secret that Set looks for: the secret itself, its form (query)
// and path escapes with upper- and lower-case hex digits, its JSON string escapes (as Go writes it,
// and as encoders that write ASCII only do: every non-ASCII character as \uXXXX, as Python's does,
// and also < > & ' " + and ` as .NET's System.Text.Json does by default, in upper- and lower-case
// hex), and the parts of
// its base64 encodings (standard and URL alphabets) that do not depend on the bytes around it, at
// each of the three alignments it can have inside a longer base64 text. Forms shorter than MinLen are
// left out.
func Forms(secret string) []string {
	var out []string
	add := func(f string) {
		if len(f) >= MinLen && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	add(secret)
	for _, esc := range []string{url.QueryEscape(secret), url.PathEscape(secret)} {
		add(esc)
		add(lowerHexEscapes(esc))
	}
	if j, err := json.Marshal(secret); err == nil {
		add(string(j[1 : len(j)-1]))
	}
	for _, html := range []bool{false, true} {
		e := asciiJSONEscape(secret, html)
		add(e)
		add(lowerHexUnicodeEscapes(e))
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for _, core := range base64Cores(enc, secret) {
			add(core)
		}
	}
	return out
}

// base64Cores returns, for each alignment of secret inside a longer byte string (0, 1 or 2 bytes
// before it in its first 3-byte group), the characters of its base64 encoding that depend on the
// secret's bytes alone.
func base64Cores(enc *base64.Encoding, secret string) []string {
	var cores []string
	for lead := range 3 {
		text := enc.EncodeToString(append(make([]byte, lead), secret...))
		// Characters that hold bits of the lead bytes: none, the first 2, or the first 3.
		skip := [3]int{0, 2, 3}[lead]
		// A last, incomplete group's final character holds bits of whatever follows the secret.
		end := len(text)
		if (lead+len(secret))%3 != 0 {
			end--
		}
		if end > skip {
			cores = append(cores, text[skip:end])
		}
	}
	return cores
}

// asciiJSONEscape returns the inside of secret's JSON string as an encoder that writes ASCII only
// writes it, with upper-case hex digits: every character outside ASCII as \uXXXX (a UTF-16 pair
// beyond U+FFFF), control characters as \n, \r, \t or \u00XX, and, when html is set, < > & ' " +
// and ` as \u00XX too.
func asciiJSONEscape(secret string, html bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	u := func(r rune) {
		b.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			b.WriteByte(hex[r>>shift&0xF])
		}
	}
	for _, r := range secret {
		switch {
		case r >= utf8.RuneSelf:
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				u(r1)
				u(r2)
			} else {
				u(r)
			}
		case html && strings.ContainsRune("<>&'\"+`", r):
			u(r)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			u(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lowerHexUnicodeEscapes returns s with the hex digits of its \uXXXX escapes in lower case.
func lowerHexUnicodeEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+5 < len(b); i++ {
		if b[i] == '\\' && b[i+1] == 'u' {
			for j := i + 2; j < i+6; j++ {
				b[j] = lowerHex(b[j])
			}
			i += 5
		} else if b[i] == '\\' {
			i++ // an escaped character: \\ followed by u is not an escape
		}
	}
	return string(b)
}

// lowerHexEscapes returns s with the hex digits of its percent escapes in lower case.
func lowerHexEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerHex(b[i+1]), lowerHex(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + ('a' - 'A')
	}
	return c
}
