// Package names holds the naming rules that Data8 documents, for datasets, their columns and jobs,
// and the one mapping of free text (a spreadsheet's "First Name") to a valid name. The client, the
// stand-in server, the conformance suite's classifier and the command all use these, so that every
// part of the module applies the very same rule.
package names

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pattern is the documented rule for dataset and column names.
const Pattern = "^[a-z][a-z0-9_]*$"

// Valid reports whether s matches Pattern: a lower-case ASCII letter, then lower-case ASCII letters,
// digits and underscores.
func Valid(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// JobNameChars are the characters Data8's documentation says a job name may not contain, "characters
// invalid in file names": the list its page gives, / : * ? " < > | and the backslash, Windows' set.
const JobNameChars = `/:*?"<>|\`

// JobNameProblem says what is wrong with a job name, or "" when nothing is: it must not be blank,
// must be valid UTF-8, and must hold no control character and none of JobNameChars. Spaces are
// fine. The text follows "job name %q " in a sentence ("must not be empty", ...).
func JobNameProblem(name string) string {
	if strings.TrimSpace(name) == "" {
		return "must not be empty"
	}
	if !utf8.ValidString(name) {
		return "is not valid UTF-8"
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Sprintf("must not contain control characters (it holds %U)", r)
		}
		if strings.ContainsRune(JobNameChars, r) {
			return fmt.Sprintf("must not contain %q (no / : * ? \" < > | or backslash)", r)
		}
	}
	return ""
}

// Snake turns text into snake case: lower case, every run of characters other than a-z and 0-9
// becomes one underscore, with none at either end. It may return "" (no letter or digit) or a name
// starting with a digit; Column and the stand-in's output names add their own prefix then.
func Snake(text string) string {
	var b strings.Builder
	pending := false
	for _, r := range strings.ToLower(text) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteRune(r)
			continue
		}
		pending = true
	}
	return b.String()
}

// Column maps a header such as "First Name" to a valid column name ("first_name"): Snake, with the
// prefix "c_" when the result does not start with a letter ("2nd Line" → "c_2nd_line"), and
// "c_<position>" (1-based) for a header with no letter or digit at all. A valid name is kept as it
// is ("a__b" stays).
func Column(header string, position int) string {
	if Valid(header) {
		return header
	}
	s := Snake(header)
	switch {
	case s == "":
		return "c_" + strconv.Itoa(position)
	case s[0] < 'a' || s[0] > 'z':
		return "c_" + s
	}
	return s
}
