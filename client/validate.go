package client

import (
	"github.com/data8-toolkit/data8/internal/names"
)

// ValidateDatasetName checks a dataset name against the documented pattern ^[a-z][a-z0-9_]*$. The
// error matches ErrValidation.
func ValidateDatasetName(name string) error {
	if !names.Valid(name) {
		return invalid("dataset name %q must start with a lower-case letter followed by lower-case letters, digits and underscores", name)
	}
	return nil
}

// ValidateColumnName checks a column name against the documented pattern ^[a-z][a-z0-9_]*$. The
// error matches ErrValidation.
func ValidateColumnName(name string) error {
	if !names.Valid(name) {
		return invalid("column name %q must start with a lower-case letter followed by lower-case letters, digits and underscores", name)
	}
	return nil
}

// ValidateJobName checks a job name: not empty, valid UTF-8, no control characters and none of the
// characters invalid in file names (/ : * ? " < > | and backslash). Spaces are fine. The error
// matches ErrValidation.
func ValidateJobName(name string) error {
	if p := names.JobNameProblem(name); p != "" {
		if p == "must not be empty" {
			return invalid("job name must not be empty")
		}
		return invalid("job name %q %s", name, p)
	}
	return nil
}
