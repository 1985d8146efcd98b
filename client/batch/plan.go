package batch

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/internal/names"
)

// InputError is bad input found in a records file, before anything was sent: it names the file
// and, in Msg, the line (as the client's sources word it).
type InputError struct {
	// Path is the file.
	Path string
	// Msg says what is wrong, and where.
	Msg string
	// InvalidName is set when a header cell or key is not a valid column name and the plan was
	// asked not to map names (PlanOptions.MapColumns): mapping them would help.
	InvalidName bool
}

// Error returns "PATH: MSG".
func (e *InputError) Error() string { return e.Path + ": " + e.Msg }

func inputErrorf(path, format string, args ...any) *InputError {
	return &InputError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// PlanOptions tunes PlanFile.
type PlanOptions struct {
	// Format is the file's format; FormatAuto tells it by the file's extension.
	Format Format
	// MapColumns maps a header cell or key that is not a valid column name to one, with
	// names.Column ("First Name" → first_name, "2nd Line" → c_2nd_line), and de-duplicates the
	// results in the order met (email, email_2, ...). Without it such a name is bad input.
	MapColumns bool
	// Dataset and Known, when Known is not nil, are an existing dataset and its columns: every
	// column the file maps to must be one of them.
	Dataset string
	Known   map[string]int
	// Progress, when set, is called now and then with the bytes read so far and the file's size.
	Progress func(read, size int64)
}

// Plan is what checking a whole records file found: it is the input of an upload.
type Plan struct {
	// Path and Format are the file and its format.
	Path   string
	Format Format
	// Headers are the header cells (CSV) or the keys in the order first met (JSON Lines), and
	// Columns the column each goes to, parallel to Headers.
	Headers, Columns []string
	// Records is the number of records in the file.
	Records int64
	// Size and CRC32C are the file's size and CRC-32C checksum, to tell whether it has changed.
	Size   int64
	CRC32C uint32
}

// Renamed reports whether any header was mapped to another name.
func (p *Plan) Renamed() bool { return !slices.Equal(p.Headers, p.Columns) }

// ErrStandardInput is PlanFile's refusal of "-".
var ErrStandardInput = errors.New("records cannot be read from standard input: the file is checked in full before anything is sent, then read again to upload it; save the records to a file and pass its name")

// PlanFile checks the whole records file at path, with the client's own sources (the reader the
// upload uses), and returns its plan, or the first bad input as an *InputError naming the file and
// line. Nothing is sent anywhere. Memory stays flat however large the file.
func PlanFile(ctx context.Context, path string, opts PlanOptions) (*Plan, error) {
	if path == "-" {
		return nil, ErrStandardInput
	}
	format, err := FormatOf(path, opts.Format)
	if err != nil {
		return nil, err
	}
	f, size, err := openInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := &mapper{mapping: opts.MapColumns, dataset: opts.Dataset, known: opts.Known, byRaw: map[string]string{}, taken: map[string]bool{}}
	sum := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	r := &checkedReader{r: f, sum: sum, size: size, report: opts.Progress}
	var src client.Source
	if format == JSONLines {
		src = client.NewJSONLinesSource(r, func(o *client.JSONLinesOptions) {
			o.MapKey = func(key string) (string, error) {
				col, err := m.column(key, len(m.raw)+1)
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
					col, err := m.column(h, i+1)
					if err != nil {
						return nil, fmt.Errorf("column %d %q %v", i+1, h, err)
					}
					cols[i] = col
				}
				return cols, nil
			}
		})
		if err != nil {
			return nil, m.sourceError(path, err)
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
			return nil, m.sourceError(path, err)
		}
		n++
		if n%65536 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if n == 0 {
		if format == JSONLines {
			return nil, inputErrorf(path, "no records (only blank lines)")
		}
		return nil, inputErrorf(path, "no records after the header")
	}
	// The sources stop at the end of the records: what is left (nothing, in a well-formed file)
	// counts towards the checksum too.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, inputErrorf(path, "cannot read: %v", unwrapPathError(err))
	}
	if r.report != nil {
		r.report(r.n, size)
	}
	return &Plan{Path: path, Format: format, Headers: m.raw, Columns: m.cols, Records: n, Size: r.n, CRC32C: sum.Sum32()}, nil
}

// openInput opens path, refusing a missing file, a directory or an empty file with a clear error.
func openInput(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, inputErrorf(path, "file does not exist")
		}
		return nil, 0, inputErrorf(path, "cannot open: %v", unwrapPathError(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, inputErrorf(path, "cannot read: %v", unwrapPathError(err))
	}
	if st.IsDir() {
		f.Close()
		return nil, 0, inputErrorf(path, "is a directory, not a file")
	}
	if st.Mode().IsRegular() && st.Size() == 0 {
		f.Close()
		return nil, 0, inputErrorf(path, "file is empty")
	}
	return f, st.Size(), nil
}

// CheckReadable refuses a missing, unreadable or empty file, with an *InputError.
func CheckReadable(path string) error {
	f, _, err := openInput(path)
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

// checkedReader sums and counts the bytes read through it, and reports them every megabyte or so.
type checkedReader struct {
	r      io.Reader
	sum    hash.Hash32
	n      int64
	size   int64
	next   int64
	report func(read, size int64)
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.sum.Write(p[:n])
	c.n += int64(n)
	if c.report != nil && c.n >= c.next {
		c.next = c.n + 1<<20
		c.report(c.n, c.size)
	}
	return n, err
}

// mapper decides the column each header cell (CSV) or key (JSON Lines) goes to (see PlanOptions).
type mapper struct {
	mapping bool
	known   map[string]int // nil: any column
	dataset string

	byRaw       map[string]string
	taken       map[string]bool
	raw, cols   []string // in the order met
	invalidName bool     // a name was refused for not being a column name
}

// column returns the column raw goes to; position (1-based) is used for names with no letters or
// digits. The error is a fragment to follow the name of the header cell or key.
func (m *mapper) column(raw string, position int) (string, error) {
	if c, ok := m.byRaw[raw]; ok {
		return c, nil
	}
	col := raw
	if !names.Valid(raw) {
		if !m.mapping {
			m.invalidName = true
			return "", errors.New("is not a valid column name (a lower-case letter, then a-z, 0-9 or _)")
		}
		col = names.Column(raw, position)
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

// sourceError names the file in an error of the client's source, whose message (without its
// "data8: " prefix) names the line: the library and the command word bad input the same way.
func (m *mapper) sourceError(path string, err error) error {
	e := inputErrorf(path, "%s", strings.TrimPrefix(err.Error(), "data8: "))
	e.InvalidName = m.invalidName
	return e
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Source streams the records of a planned file as JSON objects for an upload, through the client's
// own sources (client.NewCSVSourceColumns, or client.NewJSONLinesSourceRenamed with the plan's
// mapping). They check each record again, and Source checks the count: a file changed since it was
// planned fails, naming the file, instead of sending records nobody checked.
type Source struct {
	plan *Plan
	f    *os.File
	src  client.Source
	n    int64
}

// Open opens the planned file for the upload pass. Close it when done.
func (p *Plan) Open() (*Source, error) {
	f, _, err := openInput(p.Path)
	if err != nil {
		return nil, err
	}
	s := &Source{plan: p, f: f}
	if p.Format == JSONLines {
		rename := make(map[string]string, len(p.Headers))
		for i, raw := range p.Headers {
			if raw != p.Columns[i] {
				rename[raw] = p.Columns[i]
			}
		}
		s.src = client.NewJSONLinesSourceRenamed(f, rename)
		return s, nil
	}
	s.src, err = client.NewCSVSourceColumns(f, p.Columns)
	if err != nil {
		f.Close()
		return nil, s.sourceError(err)
	}
	return s, nil
}

// Close closes the file.
func (s *Source) Close() error { return s.f.Close() }

// Unwrap returns the client's source, whose records Next hands on unchanged: the uploader then
// trusts them as that source's own, checked as it reads them, rather than scanning each again.
func (s *Source) Unwrap() client.Source { return s.src }

func (s *Source) changed() error {
	return inputErrorf(s.plan.Path, "file changed while it was being uploaded (the validation pass counted %d records)", s.plan.Records)
}

func (s *Source) sourceError(err error) error {
	return inputErrorf(s.plan.Path, "%s", strings.TrimPrefix(err.Error(), "data8: "))
}

// Next appends the next record, encoded as a JSON object, to dst; io.EOF after the last.
func (s *Source) Next(dst []byte) ([]byte, error) {
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

// Blocks is the number of blocks the planned records make at blockSize records a block.
func (p *Plan) Blocks(blockSize int) int {
	return int((p.Records + int64(blockSize) - 1) / int64(blockSize))
}

// Complete marks dataset complete with the plan's record count. It reads the dataset first and
// refuses, with an error matching *client.CountMismatchError, when the server already holds a
// different, non-zero count: a block is missing or was cut at another block size. (A server may
// report 0 for an incomplete dataset; the count sent is then the check.)
func (p *Plan) Complete(ctx context.Context, c *client.Client, dataset string) (*client.Dataset, error) {
	d, err := c.GetDataset(ctx, dataset)
	if err != nil {
		return nil, err
	}
	if d.Completed && d.RecordCount == p.Records {
		return d, nil
	}
	if d.RecordCount != 0 && d.RecordCount != p.Records {
		return nil, &IncompleteUploadError{Dataset: dataset, Path: p.Path, Err: &client.CountMismatchError{Dataset: dataset, Want: p.Records, Got: d.RecordCount}}
	}
	return c.CompleteDataset(ctx, dataset, p.Records)
}

// IncompleteUploadError is the refusal to complete a dataset whose record count differs from the
// file's. It wraps the *client.CountMismatchError holding both numbers (Want: the file's, Got: the
// server's). Every block must be uploaded again, from block 0.
type IncompleteUploadError struct {
	Dataset, Path string
	Err           *client.CountMismatchError
}

// Error names the dataset, the file and both counts.
func (e *IncompleteUploadError) Error() string {
	return fmt.Sprintf("dataset %s holds %d records but %s has %d: not completing it (were the blocks cut at another block size, or one skipped? upload again from block 0 to overwrite every block)", e.Dataset, e.Err.Got, e.Path, e.Err.Want)
}

// Unwrap returns the *client.CountMismatchError.
func (e *IncompleteUploadError) Unwrap() error { return e.Err }
