package client

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidateDatasetName checks a dataset name against the documented pattern ^[a-z][a-z0-9_]*$. The
// error matches ErrValidation.
func ValidateDatasetName(name string) error {
	if !validName(name) {
		return invalid("dataset name %q must start with a lower-case letter followed by lower-case letters, digits and underscores", name)
	}
	return nil
}

// ValidateColumnName checks a column name against the documented pattern ^[a-z][a-z0-9_]*$. The
// error matches ErrValidation.
func ValidateColumnName(name string) error {
	if !validName(name) {
		return invalid("column name %q must start with a lower-case letter followed by lower-case letters, digits and underscores", name)
	}
	return nil
}

// ValidateJobName checks a job name: not empty, valid UTF-8, no control characters and none of the
// characters invalid in file names (/ : * ? " < > | and backslash). Spaces are fine. The error
// matches ErrValidation.
func ValidateJobName(name string) error {
	if strings.TrimSpace(name) == "" {
		return invalid("job name must not be empty")
	}
	if !utf8.ValidString(name) {
		return invalid("job name %q is not valid UTF-8", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return invalid("job name %q must not contain control characters", name)
		}
		if strings.ContainsRune(`/:*?"<>|\`, r) {
			return invalid("job name %q must not contain %q (no / : * ? \" < > | or backslash)", name, r)
		}
	}
	return nil
}

// validName reports whether s matches ^[a-z][a-z0-9_]*$.
func validName(s string) bool {
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
