package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
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
	"unicode/utf8"

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

// maxLine bounds one JSON Lines line, so a file without newlines cannot exhaust memory.
const maxLine = 16 << 20

// utf8BOM is skipped at the start of a file (spreadsheet programs write it).
const utf8BOM = "\xEF\xBB\xBF"

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

// skipBOM returns a reader positioned after a leading UTF-8 byte order mark, if any.
func skipBOM(r io.Reader) *bufio.Reader {
	br := bufio.NewReaderSize(r, 256<<10)
	if b, err := br.Peek(3); err == nil && string(b) == utf8BOM {
		br.Discard(3)
	}
	return br
}

// scanInput is the validation pass: it reads the whole file once, with flat memory, and returns its plan or
// the first bad input (file and line). Nothing is uploaded before it succeeds.
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
	if format == formatJSONL {
		err = scanJSONL(ctx, r, plan)
	} else {
		err = scanCSV(ctx, r, plan)
	}
	if err != nil {
		return nil, err
	}
	plan.Raw, plan.Columns = mapper.raw, mapper.cols
	return plan, nil
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

// newCSVReader returns the reader both passes use: strict quoting, fields kept exactly as written.
func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = 0 // the header's count
	return cr
}

// csvError turns an encoding/csv error into an inputError naming the line.
func csvError(path string, err error, header int, got int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return inputErrorf(path, pe.StartLine, "row has %d fields, the header has %d", got, header)
		}
		switch {
		case errors.Is(pe.Err, csv.ErrBareQuote):
			return inputErrorf(path, pe.Line, `bare " in a field that does not start with a quote, at column %d (quote the whole field and double the ")`, pe.Column)
		case errors.Is(pe.Err, csv.ErrQuote):
			return inputErrorf(path, pe.StartLine, `a quoted field is not closed, or holds a single " (the record starts on this line; parsing stopped at line %d, column %d)`, pe.Line, pe.Column)
		}
		return inputErrorf(path, pe.Line, "malformed CSV at column %d: %v", pe.Column, pe.Err)
	}
	return inputErrorf(path, 0, "read error: %v", err)
}

// readCSVHeader reads and checks the header row, mapping each cell to its column.
func readCSVHeader(path string, cr *csv.Reader, mapper *columnMapper) ([]string, error) {
	header, err := cr.Read()
	if err == io.EOF {
		return nil, inputErrorf(path, 0, "file is empty")
	}
	if err != nil {
		return nil, csvError(path, err, 0, 0)
	}
	cols := make([]string, len(header))
	first := map[string]int{}
	for i, h := range header {
		line, _ := cr.FieldPos(i)
		if !utf8.ValidString(h) {
			return nil, inputErrorf(path, line, "invalid UTF-8 in header column %d", i+1)
		}
		if strings.TrimSpace(h) == "" {
			return nil, inputErrorf(path, line, "header column %d is empty", i+1)
		}
		if j, dup := first[h]; dup {
			return nil, inputErrorf(path, line, "header names column %q twice (columns %d and %d)", h, j+1, i+1)
		}
		first[h] = i
		c, err := mapper.column(h, i+1)
		if err != nil {
			return nil, inputErrorf(path, line, "header column %d %q %v", i+1, h, err)
		}
		cols[i] = c
	}
	return cols, nil
}

func scanCSV(ctx context.Context, r io.Reader, plan *inputPlan) error {
	cr := newCSVReader(skipBOM(r))
	cols, err := readCSVHeader(plan.Path, cr, plan.mapper)
	if err != nil {
		return err
	}
	var n int64
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return csvError(plan.Path, err, len(cols), len(rec))
		}
		for i, cell := range rec {
			if !utf8.ValidString(cell) {
				line, _ := cr.FieldPos(i)
				return inputErrorf(plan.Path, line, "invalid UTF-8 in field %d (%q)", i+1, plan.mapper.raw[i])
			}
		}
		n++
		if n%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if n == 0 {
		return inputErrorf(plan.Path, 0, "no records after the header")
	}
	plan.Records = n
	return nil
}

// lineReader reads lines of any length up to maxLine, counting them.
type lineReader struct {
	br   *bufio.Reader
	line int
	buf  []byte
}

// next returns the next line without its line ending, or io.EOF.
func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.br.ReadSlice('\n')
		lr.buf = append(lr.buf, chunk...)
		if len(lr.buf) > maxLine {
			lr.line++
			return nil, fmt.Errorf("line is longer than %d MiB", maxLine>>20)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(lr.buf) == 0 {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		lr.line++
		b := bytes.TrimSuffix(lr.buf, []byte("\n"))
		return bytes.TrimSuffix(b, []byte("\r")), nil
	}
}

// parseJSONLine checks one line that must be a JSON object whose values are strings, numbers, booleans or
// null, and appends its keys to keys (reused) in the order written; the message of an error is the whole
// explanation. It only validates: the upload pass sends the line with the client's JSON Lines source.
func parseJSONLine(line []byte, keys []string) ([]string, error) {
	keys = keys[:0]
	if !utf8.Valid(line) {
		return nil, errors.New("invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", jsonErr(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("line is not a JSON object (it starts with %s)", jsonKind(tok))
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %v", jsonErr(err))
		}
		key := tok.(string) // the decoder guarantees a string key inside an object
		if seen[key] {
			return nil, fmt.Errorf("key %q appears twice", key)
		}
		seen[key] = true
		tok, err = dec.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %v", jsonErr(err))
		}
		if v, ok := tok.(json.Delim); ok {
			return nil, fmt.Errorf("value of %q is %s; values must be strings, numbers, booleans or null", key, jsonKind(v))
		}
		keys = append(keys, key)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("invalid JSON: %v", jsonErr(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value on the line")
	}
	return keys, nil
}

func jsonErr(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of line")
	}
	return err
}

func jsonKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "something else"
}

func isBlank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

func scanJSONL(ctx context.Context, r io.Reader, plan *inputPlan) error {
	lr := &lineReader{br: skipBOM(r)}
	var keys []string
	var n int64
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return inputErrorf(plan.Path, lr.line, "%v", err)
		}
		if isBlank(line) {
			continue
		}
		keys, err = parseJSONLine(line, keys)
		if err != nil {
			return inputErrorf(plan.Path, lr.line, "%v", err)
		}
		for _, k := range keys {
			if _, err := plan.mapper.column(k, len(plan.mapper.raw)+1); err != nil {
				return inputErrorf(plan.Path, lr.line, "key %q %v", k, err)
			}
		}
		n++
		if n%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if n == 0 {
		return inputErrorf(plan.Path, 0, "no records (only blank lines)")
	}
	plan.Records = n
	return nil
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
		s.src = client.NewJSONLinesSourceRenamed(skipBOM(f), rename)
		return s, nil
	}
	s.src, err = client.NewCSVSourceColumns(skipBOM(f), plan.Columns)
	if err != nil {
		f.Close()
		return nil, s.sourceError(err)
	}
	return s, nil
}

// Close closes the file.
func (s *recordSource) Close() error { return s.f.Close() }

// Count is the number of records produced so far.
func (s *recordSource) Count() int64 { return s.n }

func (s *recordSource) changed() error {
	return inputErrorf(s.plan.Path, 0, "file changed while it was being uploaded (the validation pass counted %d records)", s.plan.Records)
}

// sourceError names the file in an error of the client's source (bad input there means the file changed
// after the validation pass, which reports bad input itself).
func (s *recordSource) sourceError(err error) error {
	return inputErrorf(s.plan.Path, 0, "%v", err)
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
