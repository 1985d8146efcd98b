package cli

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/data8-toolkit/data8/data8time"
	"github.com/data8-toolkit/data8/internal/termsafe"
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

// atomicFile is an output file written under a temporary name in the same directory and renamed into place
// on Commit, so a failed or interrupted download never leaves a partial file under the final name. The
// temporary file is created with mode 0666, which the kernel reduces by the user's umask; when the final
// name already exists, Commit gives the new file no permission the existing one lacks.
type atomicFile struct {
	*os.File
	final string
}

func createAtomic(path string) (*atomicFile, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("cannot write %s: it is a directory", path)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	for range 100 {
		var rnd [6]byte
		rand.Read(rnd[:])
		name := filepath.Join(dir, "."+base+"."+hex.EncodeToString(rnd[:])+".part")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot write %s: %v", path, unwrapPathError(err))
		}
		return &atomicFile{File: f, final: path}, nil
	}
	return nil, fmt.Errorf("cannot write %s: no free temporary name in %s", path, dir)
}

// Commit closes the file and renames it to its final name.
func (f *atomicFile) Commit() error {
	if err := f.File.Sync(); err != nil {
		f.Abort()
		return fmt.Errorf("writing %s: %v", f.final, unwrapPathError(err))
	}
	if old, err := os.Stat(f.final); err == nil && old.Mode().IsRegular() {
		if cur, err := f.File.Stat(); err == nil && cur.Mode().Perm()&^old.Mode().Perm() != 0 {
			if err := f.File.Chmod(cur.Mode().Perm() & old.Mode().Perm()); err != nil {
				f.Abort()
				return fmt.Errorf("writing %s: %v", f.final, unwrapPathError(err))
			}
		}
	}
	if err := f.File.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %v", f.final, unwrapPathError(err))
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

// row writes one row; every cell is made safe for a terminal (tabs, newlines and escape sequences escaped).
func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = termsafe.String(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// writeJSON writes v as indented JSON, with the characters that could control a terminal escaped as \uXXXX
// (the same JSON value).
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(termsafe.JSON(b.Bytes()))
	return err
}

// fmtTime renders an optional time for a table.
// setTime is t's time, or nil when t is nil or not set (.NET's 0001-01-01T00:00:00).
func setTime(t *data8time.Time) *time.Time {
	if !t.IsSet() {
		return nil
	}
	return &t.Time
}

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
