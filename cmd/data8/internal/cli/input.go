package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/internal/names"
)

// fileFormat is the format of a record file.
type fileFormat int

const (
	formatCSV fileFormat = iota
	formatJSONL
)

func (f fileFormat) String() string {
	if f == formatJSONL {
		return "jsonl"
	}
	return "csv"
}

// parseFormat parses a --format value.
func parseFormat(s string) (fileFormat, error) {
	switch strings.ToLower(s) {
	case "csv":
		return formatCSV, nil
	case "jsonl", "ndjson", "jsonlines":
		return formatJSONL, nil
	}
	return 0, usageErrorf("bad --format %q: want csv or jsonl", s)
}

// formatFor picks the format from an explicit --format value, else from the file's extension (.csv; .jsonl or
// .ndjson).
func formatFor(path, explicit string) (fileFormat, error) {
	if explicit != "" {
		return parseFormat(explicit)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return formatCSV, nil
	case ".jsonl", ".ndjson":
		return formatJSONL, nil
	}
	return 0, usageErrorf("cannot tell the format of %q from its extension (want .csv, .jsonl or .ndjson): pass --format csv|jsonl", path)
}

// inputFormat is formatFor for the records file of dataset upload and run, which must be a file: standard
// input ("-") is refused, since the file is read twice, once to check all of it before anything is created
// on the server and once to upload it (spooling standard input to a temporary file would put a copy of the
// records on disk where the user did not ask for one).
func inputFormat(path, explicit string) (fileFormat, error) {
	if path == "-" {
		return 0, usageErrorf("records cannot be read from standard input: the file is checked in full before anything is sent, then read again to upload it; save the records to a file and pass its name")
	}
	return formatFor(path, explicit)
}

// inputError is bad input found in a file: it names the file and, where there is one, the line.
type inputError struct {
	Path string
	Line int // 0 when the problem is not on one line
	Msg  string
}

func (e *inputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

func inputErrorf(path string, line int, format string, args ...any) error {
	return &inputError{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// columnMapper decides the column each header cell (CSV) or key (JSON Lines) goes to.
//
// With mapping on (data8 run, or dataset upload --map-columns), a name that is not a valid column name is
// mapped with mapColumnName and names are de-duplicated in the order they are met. With known set (dataset
// upload), the resulting column must be one of the dataset's columns.
type columnMapper struct {
	mapping bool
	known   map[string]int // nil: any column
	dataset string

	byRaw map[string]string
	taken map[string]bool
	raw   []string // in the order met
	cols  []string // parallel to raw
}

func newColumnMapper(mapping bool, dataset string, known map[string]int) *columnMapper {
	return &columnMapper{mapping: mapping, dataset: dataset, known: known, byRaw: map[string]string{}, taken: map[string]bool{}}
}

// column returns the column raw goes to; position (1-based) is used for names with no letters or digits.
// The error is a fragment to follow the name of the header cell or key.
func (m *columnMapper) column(raw string, position int) (string, error) {
	if c, ok := m.byRaw[raw]; ok {
		return c, nil
	}
	col := raw
	if !names.Valid(raw) {
		if !m.mapping {
			return "", errors.New("is not a valid column name (a lower-case letter, then a-z, 0-9 or _); pass --map-columns to map names as data8 run does")
		}
		col = mapColumnName(raw, position)
	}
	if m.taken[col] {
		base := col
		for n := 2; ; n++ {
			col = base + "_" + strconv.Itoa(n)
			if !m.taken[col] {
				break
			}
		}
	}
	if m.known != nil {
		if _, ok := m.known[col]; !ok {
			msg := fmt.Sprintf("is not a column of dataset %q (its columns: %s)", m.dataset, strings.Join(sortedKeys(m.known), ", "))
			if col != raw {
				msg = fmt.Sprintf("(mapped to %q) %s", col, msg)
			}
			return "", errors.New(msg)
		}
	}
	m.taken[col] = true
	m.byRaw[raw] = col
	m.raw = append(m.raw, raw)
	m.cols = append(m.cols, col)
	return col, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// inputPlan is what the validation pass learned about a file.
type inputPlan struct {
	Path    string
	Format  fileFormat
	Raw     []string // header cells (CSV) or keys in the order first met (JSON Lines)
	Columns []string // the column each of Raw goes to
	Records int64
	mapper  *columnMapper
}

// Renamed reports whether any name was changed by the mapping.
func (p *inputPlan) Renamed() bool {
	for i := range p.Raw {
		if p.Raw[i] != p.Columns[i] {
			return true
		}
	}
	return false
}

// openInput opens path, refusing a missing file, a directory or an empty file with a clear error.
func openInput(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, inputErrorf(path, 0, "file does not exist")
		}
		return nil, inputErrorf(path, 0, "cannot open: %v", unwrapPathError(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, inputErrorf(path, 0, "cannot read: %v", unwrapPathError(err))
	}
	if st.IsDir() {
		f.Close()
		return nil, inputErrorf(path, 0, "is a directory, not a file")
	}
	if st.Mode().IsRegular() && st.Size() == 0 {
		f.Close()
		return nil, inputErrorf(path, 0, "file is empty")
	}
	return f, nil
}

// checkReadable refuses a missing, unreadable or empty file before anything else is done.
func checkReadable(path string) error {
	f, err := openInput(path)
	if err != nil {
		return err
	}
	return f.Close()
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// scanInput is the validation pass: it drains the client's own source over the whole file (the reader the
// upload uses, on the same allocation-free path), with flat memory, and returns the file's plan or the first
// bad input (file and line). Nothing is created or uploaded before it succeeds.
//
// report, when not nil, is called with the number of bytes read so far, now and then.
func scanInput(ctx context.Context, path string, format fileFormat, mapper *columnMapper, report func(int64)) (*inputPlan, error) {
	f, err := openInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	plan := &inputPlan{Path: path, Format: format, mapper: mapper}
	var r io.Reader = f
	if report != nil {
		r = &countingReader{r: f, report: report}
	}
	var src client.Source
	if format == formatJSONL {
		src = client.NewJSONLinesSource(r, func(o *client.JSONLinesOptions) {
			o.MapKey = func(key string) (string, error) {
				col, err := mapper.column(key, len(mapper.raw)+1)
				if err != nil {
					return "", fmt.Errorf("key %q %v", key, err)
				}
				return col, nil
			}
		})
	} else {
		src, err = client.NewCSVSource(r, func(o *client.CSVOptions) {
			o.MapHeader = func(header []string) ([]string, error) {
				cols := make([]string, len(header))
				for i, h := range header {
					col, err := mapper.column(h, i+1)
					if err != nil {
						return nil, fmt.Errorf("column %d %q %v", i+1, h, err)
					}
					cols[i] = col
				}
				return cols, nil
			}
		})
		if err != nil {
			return nil, sourceError(path, err)
		}
	}
	var scratch []byte
	var n int64
	for {
		scratch, err = src.Next(scratch[:0])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, sourceError(path, err)
		}
		n++
		if n%65536 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if n == 0 {
		if format == formatJSONL {
			return nil, inputErrorf(path, 0, "no records (only blank lines)")
		}
		return nil, inputErrorf(path, 0, "no records after the header")
	}
	plan.Records = n
	plan.Raw, plan.Columns = mapper.raw, mapper.cols
	return plan, nil
}

// sourceError names the file in an error of the client's source, whose message (without its "data8: "
// prefix) names the line: the CLI and the client word bad input the same way.
func sourceError(path string, err error) error {
	return inputErrorf(path, 0, "%s", strings.TrimPrefix(err.Error(), "data8: "))
}

// countingReader reports the bytes read through it, every megabyte or so.
type countingReader struct {
	r      io.Reader
	n      int64
	next   int64
	report func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.next {
		c.next = c.n + 1<<20
		c.report(c.n)
	}
	return n, err
}

// recordSource streams a validated file as JSON-encoded records for the upload pass, with the client's
// sources: client.NewCSVSourceColumns (the header row replaced by the plan's columns) or
// client.NewJSONLinesSourceRenamed (keys mapped as the plan says). They check each record again, so a file
// changed after the validation pass fails instead of sending bad records; recordSource also checks the count.
type recordSource struct {
	plan *inputPlan
	f    *os.File
	src  client.Source
	n    int64
}

// openSource opens the file of a validated plan for the upload pass.
func openSource(plan *inputPlan) (*recordSource, error) {
	f, err := openInput(plan.Path)
	if err != nil {
		return nil, err
	}
	s := &recordSource{plan: plan, f: f}
	if plan.Format == formatJSONL {
		rename := make(map[string]string, len(plan.Raw))
		for i, raw := range plan.Raw {
			if raw != plan.Columns[i] {
				rename[raw] = plan.Columns[i]
			}
		}
		s.src = client.NewJSONLinesSourceRenamed(f, rename)
		return s, nil
	}
	s.src, err = client.NewCSVSourceColumns(f, plan.Columns)
	if err != nil {
		f.Close()
		return nil, s.sourceError(err)
	}
	return s, nil
}

// Close closes the file.
func (s *recordSource) Close() error { return s.f.Close() }

// Unwrap returns the client's source, whose records Next hands on unchanged: the uploader then
// trusts them as that source's own, checked as it reads them, rather than scanning each again.
func (s *recordSource) Unwrap() client.Source { return s.src }

// Count is the number of records produced so far.
func (s *recordSource) Count() int64 { return s.n }

func (s *recordSource) changed() error {
	return inputErrorf(s.plan.Path, 0, "file changed while it was being uploaded (the validation pass counted %d records)", s.plan.Records)
}

// sourceError names the file in an error of the client's source (bad input there means the file changed
// after the validation pass, which reports bad input itself).
func (s *recordSource) sourceError(err error) error {
	return sourceError(s.plan.Path, err)
}

// Next appends the next record, encoded as a JSON object, to dst; io.EOF after the last.
func (s *recordSource) Next(dst []byte) ([]byte, error) {
	dst, err := s.src.Next(dst)
	if err == io.EOF {
		if s.n != s.plan.Records {
			return dst, s.changed()
		}
		return dst, io.EOF
	}
	if err != nil {
		return dst, s.sourceError(err)
	}
	s.n++
	if s.n > s.plan.Records {
		return dst, s.changed()
	}
	return dst, nil
}
