package batch

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/internal/names"
)

// Spec is every setting of a whole job: what Run does, and, kept in its State, what Resume does
// again. Its zero values are the defaults. It holds no credential: the client carries those.
type Spec struct {
	// Input is the records file: CSV with a header row, or JSON Lines. Required.
	Input string `json:"input"`
	// InputFormat is Input's format; FormatAuto tells it by the file's extension.
	InputFormat Format `json:"inputFormat,omitempty"`
	// Output is the result file, written whole or not at all (see Download). Required.
	Output string `json:"output"`
	// OutputFormat is Output's format; FormatAuto tells it by the file's extension.
	OutputFormat Format `json:"outputFormat,omitempty"`
	// Workflow is the workflow to run, as Data8 named it for the customer. Required.
	Workflow string `json:"workflow"`
	// InputSlot and OutputSlot are the workflow's slots the uploaded dataset goes to and the result
	// is read from; "" means "Input" and "Output".
	InputSlot  string `json:"inputSlot,omitempty"`
	OutputSlot string `json:"outputSlot,omitempty"`
	// Parameters are the workflow's parameters.
	Parameters map[string]string `json:"parameters,omitempty"`
	// ColumnTypes are type codes of the input dataset's columns, by column name after mapping;
	// a column not in it gets 0. (Data8 does not document the codes: its example uses 0 for text.)
	ColumnTypes map[string]int `json:"columnTypes,omitempty"`
	// Name names the input dataset and the job; "" means a new run_<yyyymmdd_hhmmss>_<random>.
	Name string `json:"name,omitempty"`
	// BlockSize is the records per uploaded block, 1 to client.MaxBlockSize; 0 means the most.
	BlockSize int `json:"blockSize,omitempty"`
	// Concurrency is the blocks uploaded at once, 1 to client.MaxConcurrency; 0 means
	// client.DefaultConcurrency. DownloadConcurrency is the pages fetched at once; 0 means
	// client.DefaultDownloadConcurrency.
	Concurrency         int `json:"concurrency,omitempty"`
	DownloadConcurrency int `json:"downloadConcurrency,omitempty"`
	// Statuses are the workflow's status codes, when Data8 gave them. With no Failed code, a
	// finished job is judged by its output: a missing or incomplete output dataset is an
	// *OutputError.
	Statuses client.JobStatuses `json:"statuses,omitzero"`
	// PollInterval is the first and shortest delay between polls of the job; 0 means 1s.
	PollInterval time.Duration `json:"pollInterval,omitempty"`
	// MaxColumns and MaxNewColumns bound the result's columns (see DownloadOptions).
	MaxColumns    int `json:"maxColumns,omitempty"`
	MaxNewColumns int `json:"maxNewColumns,omitempty"`
}

// SpecError is a setting of a Spec that cannot work, found before anything is read or sent.
type SpecError struct {
	// Field is the Spec field, by its Go name ("BlockSize").
	Field string
	// Value is its value, as given.
	Value any
	// Problem says what is wrong.
	Problem string
}

// Error names the field, its value and the problem.
func (e *SpecError) Error() string {
	return fmt.Sprintf("batch: %s %v: %s", e.Field, e.Value, e.Problem)
}

func specErr(field string, value any, format string, args ...any) *SpecError {
	return &SpecError{Field: field, Value: value, Problem: fmt.Sprintf(format, args...)}
}

// resolved returns the spec with its defaults filled in (formats told, a name chosen), or the first
// setting that cannot work. Nothing is read but the file system's view of Input and Output.
func (s Spec) resolved(now time.Time) (Spec, error) {
	var err error
	switch {
	case s.Input == "":
		return s, specErr("Input", `""`, "a records file is required")
	case s.Input == "-":
		return s, &SpecError{Field: "Input", Value: "-", Problem: ErrStandardInput.Error()}
	case s.Output == "":
		return s, specErr("Output", `""`, "a result file is required")
	case s.Output == "-":
		return s, specErr("Output", "-", "the result is written to a file, under a temporary name first")
	case s.Workflow == "":
		return s, specErr("Workflow", `""`, "a workflow is required")
	case sameFile(s.Input, s.Output):
		return s, specErr("Output", s.Output, "it is the input file")
	}
	if s.InputFormat, err = FormatOf(s.Input, s.InputFormat); err != nil {
		return s, specErr("InputFormat", s.InputFormat, "%v", err)
	}
	if s.OutputFormat, err = FormatOf(s.Output, s.OutputFormat); err != nil {
		return s, specErr("OutputFormat", s.OutputFormat, "%v", err)
	}
	s.InputSlot = cmp.Or(strings.TrimSpace(s.InputSlot), "Input")
	s.OutputSlot = cmp.Or(strings.TrimSpace(s.OutputSlot), "Output")
	s.BlockSize = cmp.Or(s.BlockSize, client.MaxBlockSize)
	if s.BlockSize < 1 || s.BlockSize > client.MaxBlockSize {
		return s, specErr("BlockSize", s.BlockSize, "a block holds 1 to %d records", client.MaxBlockSize)
	}
	s.Concurrency = cmp.Or(s.Concurrency, client.DefaultConcurrency)
	if s.Concurrency < 1 || s.Concurrency > client.MaxConcurrency {
		return s, specErr("Concurrency", s.Concurrency, "must be 1 to %d", client.MaxConcurrency)
	}
	s.DownloadConcurrency = cmp.Or(s.DownloadConcurrency, client.DefaultDownloadConcurrency)
	if s.DownloadConcurrency < 1 || s.DownloadConcurrency > client.MaxConcurrency {
		return s, specErr("DownloadConcurrency", s.DownloadConcurrency, "must be 1 to %d", client.MaxConcurrency)
	}
	s.PollInterval = cmp.Or(s.PollInterval, time.Second)
	if s.PollInterval < 0 {
		return s, specErr("PollInterval", s.PollInterval, "must be more than 0")
	}
	s.MaxColumns = cmp.Or(s.MaxColumns, DefaultMaxColumns)
	s.MaxNewColumns = cmp.Or(s.MaxNewColumns, DefaultMaxNewColumns)
	if s.MaxColumns < 1 {
		return s, specErr("MaxColumns", s.MaxColumns, "must be 1 or more")
	}
	if s.MaxNewColumns < 0 {
		return s, specErr("MaxNewColumns", s.MaxNewColumns, "must be 0 or more")
	}
	for _, col := range sortedKeys(s.ColumnTypes) {
		if !names.Valid(col) {
			return s, specErr("ColumnTypes", col, "not a valid column name (a lower-case letter, then a-z, 0-9 or _)")
		}
	}
	if s.Name == "" {
		s.Name = newRunName(now)
	} else if !names.Valid(s.Name) {
		return s, specErr("Name", s.Name, "the dataset and job name must be a lower-case letter, then lower-case letters, digits or _")
	}
	if p := names.JobNameProblem(s.Name); p != "" {
		return s, specErr("Name", s.Name, "job name %s", p)
	}
	return s, nil
}

// newRunName returns a unique name for a run's dataset and job: run_<yyyymmdd_hhmmss>_<6 hex digits>.
func newRunName(now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return "run_" + now.UTC().Format("20060102_150405") + "_" + hex.EncodeToString(b[:])
}
