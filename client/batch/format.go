package batch

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format is the format of a records file.
type Format int

const (
	// FormatAuto means the format is told by the file's extension (see FormatOf).
	FormatAuto Format = iota
	// CSV is comma-separated values with a header row (RFC 4180), UTF-8.
	CSV
	// JSONLines is one JSON object per line, UTF-8 (also called NDJSON).
	JSONLines
)

// String returns "csv", "jsonl", or "" for FormatAuto.
func (f Format) String() string {
	switch f {
	case CSV:
		return "csv"
	case JSONLines:
		return "jsonl"
	}
	return ""
}

// ParseFormat reads a format's name: csv; jsonl, ndjson or jsonlines; "" is FormatAuto.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "":
		return FormatAuto, nil
	case "csv":
		return CSV, nil
	case "jsonl", "ndjson", "jsonlines":
		return JSONLines, nil
	}
	return FormatAuto, fmt.Errorf("unknown format %q: want csv or jsonl", s)
}

// MarshalText writes the format's name (empty for FormatAuto).
func (f Format) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads a format's name, as ParseFormat does.
func (f *Format) UnmarshalText(b []byte) error {
	v, err := ParseFormat(string(b))
	*f = v
	return err
}

// FormatOf returns f, or, for FormatAuto, the format path's extension names: .csv for CSV, .jsonl
// or .ndjson for JSON Lines.
func FormatOf(path string, f Format) (Format, error) {
	if f != FormatAuto {
		return f, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV, nil
	case ".jsonl", ".ndjson":
		return JSONLines, nil
	}
	return FormatAuto, fmt.Errorf("cannot tell the format of %q from its extension (want .csv, .jsonl or .ndjson)", path)
}
