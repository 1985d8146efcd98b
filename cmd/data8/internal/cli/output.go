package cli

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// orderColumns is the documented column order of downloaded CSV files: the columns of preferred that the
// dataset has, in that order (for run: the input file's columns, in the file's order), then every other
// column of the dataset in alphabetical order.
func orderColumns(preferred []string, columns map[string]int) []string {
	out := make([]string, 0, len(columns))
	used := make(map[string]bool, len(columns))
	for _, c := range preferred {
		if _, ok := columns[c]; ok && !used[c] {
			out = append(out, c)
			used[c] = true
		}
	}
	rest := make([]string, 0, len(columns))
	for c := range columns {
		if !used[c] {
			rest = append(rest, c)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// cellText is a record value as a CSV cell: strings as they are, numbers in their JSON text, booleans as
// true/false, null as an empty cell, anything else as its JSON.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// errExtraColumn is returned by recordWriter.Write when a CSV record has a column the header lacks.
type errExtraColumn struct{ column string }

func (e *errExtraColumn) Error() string {
	return fmt.Sprintf("a record has column %q, which the dataset does not list", e.column)
}

// recordWriter writes records as CSV (one column per entry of cols, headed by names) or JSON Lines (members
// in the order of cols, then any others in alphabetical order).
type recordWriter struct {
	format fileFormat
	cols   []string
	known  map[string]bool
	names  []string // header / key text of each column
	bw     *bufio.Writer
	cw     *csv.Writer
	row    []string
	buf    []byte
	extra  []string
}

func newRecordWriter(w io.Writer, format fileFormat, cols []string, rename map[string]string) (*recordWriter, error) {
	rw := &recordWriter{format: format, cols: cols, known: make(map[string]bool, len(cols)), bw: bufio.NewWriterSize(w, 256<<10)}
	for _, c := range cols {
		rw.known[c] = true
		name := c
		if r, ok := rename[c]; ok {
			name = r
		}
		rw.names = append(rw.names, name)
	}
	if format == formatCSV {
		rw.cw = csv.NewWriter(rw.bw)
		rw.row = make([]string, len(cols))
		if err := rw.cw.Write(rw.names); err != nil {
			return nil, err
		}
	}
	return rw, nil
}

// Write writes one record.
func (rw *recordWriter) Write(rec client.Record) error {
	if rw.format == formatCSV {
		for k := range rec {
			if !rw.known[k] {
				return &errExtraColumn{column: k}
			}
		}
		for i, c := range rw.cols {
			rw.row[i] = cellText(rec[c])
		}
		return rw.cw.Write(rw.row)
	}
	b := append(rw.buf[:0], '{')
	n := 0
	add := func(name string, v any) error {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		nb, err := marshalValue(name)
		if err != nil {
			return err
		}
		b = append(b, nb...)
		b = append(b, ':')
		vb, err := marshalValue(v)
		if err != nil {
			return err
		}
		b = append(b, vb...)
		return nil
	}
	for i, c := range rw.cols {
		if v, ok := rec[c]; ok {
			if err := add(rw.names[i], v); err != nil {
				return err
			}
		}
	}
	rw.extra = rw.extra[:0]
	for k := range rec {
		if !rw.known[k] {
			rw.extra = append(rw.extra, k)
		}
	}
	sort.Strings(rw.extra)
	for _, k := range rw.extra {
		if err := add(k, rec[k]); err != nil {
			return err
		}
	}
	b = append(b, '}', '\n')
	rw.buf = b
	_, err := rw.bw.Write(b)
	return err
}

// marshalValue encodes one value without escaping HTML characters.
func marshalValue(v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		if strings.ContainsAny(x, "<>&") || !isSimpleASCII(x) {
			var sb strings.Builder
			enc := json.NewEncoder(&sb)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(x); err != nil {
				return nil, err
			}
			return []byte(strings.TrimSuffix(sb.String(), "\n")), nil
		}
		return json.Marshal(x) // no HTML characters to escape
	case json.Number:
		return []byte(x.String()), nil
	}
	return json.Marshal(v)
}

func isSimpleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Flush writes out what is buffered.
func (rw *recordWriter) Flush() error {
	if rw.cw != nil {
		rw.cw.Flush()
		if err := rw.cw.Error(); err != nil {
			return err
		}
	}
	return rw.bw.Flush()
}

// atomicFile is an output file written under a temporary name in the same directory and renamed into place
// on Commit, so a failed or interrupted download never leaves a partial file under the final name.
type atomicFile struct {
	*os.File
	final string
}

func createAtomic(path string) (*atomicFile, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.part")
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %v", path, unwrapPathError(err))
	}
	return &atomicFile{File: f, final: path}, nil
}

// Commit closes the file and renames it to its final name.
func (f *atomicFile) Commit() error {
	if err := f.File.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %v", f.final, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), f.final); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %v", f.final, unwrapPathError(err))
	}
	return nil
}

// Abort closes and removes the temporary file.
func (f *atomicFile) Abort() {
	f.File.Close()
	os.Remove(f.Name())
}

// Reset empties the file for a fresh start.
func (f *atomicFile) Reset() error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// table writes aligned columns.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	if len(headers) > 0 {
		t.row(headers...)
	}
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// fmtTime renders an optional time for a table.
func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// fmtColumns renders a dataset's columns as "a:0, b:1" in alphabetical order.
func fmtColumns(cols map[string]int) string {
	keys := sortedKeys(cols)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, cols[k])
	}
	return strings.Join(parts, ", ")
}

// checkWritable makes sure the result file can be written, before any work that would be wasted.
func checkWritable(path string) error {
	f, err := createAtomic(path)
	if err != nil {
		return err
	}
	f.Abort()
	return nil
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}
