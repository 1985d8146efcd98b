// Package names holds the naming rule that Data8 documents for datasets and their columns, shared by
// the client, the stand-in server and the command so that all three apply the very same rule.
package names

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
