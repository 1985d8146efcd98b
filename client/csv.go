package client

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CSVSource reads records from CSV: the header row names the columns, and every later row is one
// record whose cells become JSON strings ({"col":"cell",...}). It streams: memory does not grow with
// the input, and no map is built per record. Plain rows (no quotes) are encoded straight from the
// read buffer without allocating; the others are parsed by encoding/csv, with the same result.
//
// Rows with a different number of cells than the header, cells that are not valid UTF-8 and cells
// longer than CSVOptions.MaxCellSize are errors naming the line (matching ErrInvalidRecord). Blank
// lines are skipped. Input that looks like UTF-16 is refused as such.
type CSVSource struct {
	br      *bufio.Reader // csv.Reader reads through it too, so both see one position in the input
	in      *stickyReader // under br: bounds what the slow path may read for one row
	r       *csv.Reader
	columns []string
	keys    [][]byte // per column: `{"name":` for the first, `,"name":` for the others
	maxCell int
	// fastLines counts the lines consumed by the fast path, which r does not see: r's line numbers
	// plus fastLines are the input's. csvLines is the last line r has consumed.
	fastLines, csvLines int
}

// csvBufferSize is the size of a CSVSource's read buffer: a row must fit in it to take the fast path.
const csvBufferSize = 64 << 10

// Input limits. No legitimate record comes near them (a spreadsheet cell holds at most 32,767
// characters; a name or an address line a few dozen); they keep a broken or hostile file from
// exhausting memory, and they are checked while reading, before anything is sent.
const (
	// DefaultMaxCellSize is the longest CSV cell, in bytes once read, that a CSV source accepts
	// unless CSVOptions.MaxCellSize says otherwise: 1 MiB.
	DefaultMaxCellSize = 1 << 20
	// DefaultMaxLineSize is the longest JSON Lines line, in bytes without its line ending, that a
	// JSON Lines source accepts unless JSONLinesOptions.MaxLineSize says otherwise: 4 MiB (four
	// cells of DefaultMaxCellSize).
	DefaultMaxLineSize = 4 << 20
)

// CSVOptions tunes a CSV source; pass functions setting its fields to NewCSVSource or
// NewCSVSourceColumns.
type CSVOptions struct {
	// MaxCellSize is the most bytes a cell may hold (after quotes are removed). A longer cell is an
	// error naming its line; it is found while reading, and a row is never buffered much beyond the
	// size its columns may take (2×MaxCellSize per column, allowing for doubled quotes). 0 means
	// DefaultMaxCellSize.
	MaxCellSize int
	// MapHeader, when set, gives the column names for the header row's cells, in order: use it for a
	// header such as "First Name". It is called once, with cells that are valid UTF-8, not blank and
	// unique; it must return one valid, unique column name per cell, and its error is returned by
	// NewCSVSource (matching ErrInvalidRecord). NewCSVSourceColumns ignores it.
	MapHeader func(header []string) ([]string, error)
}

// NewCSVSource reads the header row from r and returns a source of the rows after it. Each header
// name must be a valid column name (^[a-z][a-z0-9_]*$), and unique, unless CSVOptions.MapHeader maps
// them; a UTF-8 byte order mark before the header is ignored. The source does not close r.
func NewCSVSource(r io.Reader, optFns ...func(*CSVOptions)) (*CSVSource, error) {
	return newCSVSource(r, nil, optFns)
}

// NewCSVSourceColumns is NewCSVSource for a file whose header row does not hold the column names
// (a spreadsheet's "First Name", say): the header row is read and skipped, it must have exactly
// len(columns) cells, and the records' keys are columns, in order, instead of the header's cells.
// Each of columns must be a valid column name, and unique. The rows are read and checked as by
// NewCSVSource, with the same allocation-free fast path.
func NewCSVSourceColumns(r io.Reader, columns []string, optFns ...func(*CSVOptions)) (*CSVSource, error) {
	if len(columns) == 0 {
		return nil, invalidRecord("CSV columns: none given")
	}
	return newCSVSource(r, columns, optFns)
}

// newCSVSource reads the header row; the names are columns if not nil, else the header's cells
// (mapped by MapHeader when set).
func newCSVSource(r io.Reader, columns []string, optFns []func(*CSVOptions)) (*CSVSource, error) {
	var opts CSVOptions
	for _, fn := range optFns {
		fn(&opts)
	}
	if opts.MaxCellSize < 0 {
		return nil, invalid("CSV: MaxCellSize %d is negative", opts.MaxCellSize)
	}
	maxCell := cmp.Or(opts.MaxCellSize, DefaultMaxCellSize)
	in := &stickyReader{r: r, limit: -1}
	br := bufio.NewReaderSize(in, csvBufferSize)
	start, _ := br.Peek(64)
	if looksLikeUTF16(start) {
		return nil, invalidRecord("CSV input looks like UTF-16; save it as UTF-8")
	}
	if bytes.HasPrefix(start, []byte(utf8BOM)) {
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br) // reads from br itself: bufio.NewReader returns a large enough *bufio.Reader as it is
	cr.ReuseRecord = true
	s := &CSVSource{br: br, in: in, r: cr, maxCell: maxCell}
	header, err := s.slowRead(max(rowLimit(1, maxCell), 1<<20))
	if err == io.EOF {
		return nil, invalidRecord("CSV input is empty: a header row naming the columns is needed")
	}
	if err != nil {
		return nil, err
	}
	where := "CSV header"
	switch {
	case columns != nil:
		if len(header) != len(columns) {
			verb := "are"
			if len(columns) == 1 {
				verb = "is"
			}
			return nil, invalidRecord("CSV header has %s, but %s %s given", plural(len(header), "cell"), plural(len(columns), "column"), verb)
		}
		header, where = columns, "CSV columns"
	case opts.MapHeader != nil:
		first := make(map[string]int, len(header))
		for i, cell := range header {
			switch j, dup := first[cell]; {
			case !utf8.ValidString(cell):
				return nil, invalidRecord("CSV header, column %d: not valid UTF-8", i+1)
			case strings.TrimSpace(cell) == "":
				return nil, invalidRecord("CSV header, column %d: no name", i+1)
			case dup:
				return nil, invalidRecord("CSV header: column %q appears twice (columns %d and %d)", cell, j+1, i+1)
			}
			first[cell] = i
		}
		mapped, err := opts.MapHeader(slices.Clone(header))
		if err != nil {
			return nil, invalidRecord("CSV header: %v", err)
		}
		if len(mapped) != len(header) {
			return nil, invalidRecord("CSV header has %s, but MapHeader gave %s", plural(len(header), "cell"), plural(len(mapped), "name"))
		}
		header = mapped
	}
	s.columns, s.keys = make([]string, len(header)), make([][]byte, len(header))
	first := make(map[string]int, len(header))
	for i, name := range header {
		if err := ValidateColumnName(name); err != nil {
			return nil, invalidRecord("%s, column %d: %q is not a valid column name (^[a-z][a-z0-9_]*$)", where, i+1, name)
		}
		if j, dup := first[name]; dup {
			return nil, invalidRecord("%s: column %q appears twice (columns %d and %d)", where, name, j+1, i+1)
		}
		first[name] = i
		s.columns[i] = name
		sep := byte(',')
		if i == 0 {
			sep = '{'
		}
		s.keys[i] = append(appendJSONString([]byte{sep}, name), ':')
	}
	return s, nil
}

// rowLimit is the most bytes a row of columns cells within maxCell can take as written: each cell
// quoted with every byte a doubled quote, a comma or the line ending after it.
func rowLimit(columns, maxCell int) int64 {
	return int64(columns) * (2*int64(maxCell) + 3)
}

// plural is "1 cell", "2 cells".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// formatSize is a size limit in the largest unit that divides it: "1 MiB", "64 KiB", "100 bytes".
func formatSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + " KiB"
	}
	return plural(n, "byte")
}

// looksLikeUTF16 reports whether b, the start of an input, looks like UTF-16: a UTF-16 byte order
// mark (which is never valid UTF-8), or mostly-ASCII text written as UTF-16 without one, where every
// other byte is NUL.
func looksLikeUTF16(b []byte) bool {
	if len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		return true
	}
	pairs := len(b) / 2
	if pairs < 2 {
		return false
	}
	var even, odd int
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	return (even == 0) != (odd == 0) && max(even, odd) >= (pairs+1)/2
}

// Columns returns the column names from the header row (or those given to NewCSVSourceColumns).
func (s *CSVSource) Columns() []string { return append([]string(nil), s.columns...) }

// Next appends the next row, encoded as a JSON object, to dst; io.EOF after the last row.
//
// Most rows take a fast path that encodes the row straight from the read buffer: a whole line with
// no quote and no carriage return (but a final CRLF), as many cells as the header, and valid UTF-8,
// is split at its commas exactly as encoding/csv would split it, with no allocation. Every other row
// (quoted cells, errors, a row longer than the buffer, a last line without a newline) is left
// unread by the fast path and read by encoding/csv, so the two agree on every input.
func (s *CSVSource) Next(dst []byte) ([]byte, error) {
	if out, ok := s.fastNext(dst); ok {
		return out, nil
	}
	rec, err := s.slowRead(rowLimit(len(s.columns), s.maxCell))
	if err != nil {
		return dst, err
	}
	if len(rec) == 0 {
		return append(dst, '{', '}'), nil
	}
	start := len(dst)
	for i, cell := range rec {
		if len(cell) > s.maxCell {
			line, _ := s.r.FieldPos(i)
			return dst[:start], invalidRecord("CSV line %d, column %q: cell is longer than the %s limit", line+s.fastLines, s.columns[i], formatSize(s.maxCell))
		}
		dst = append(dst, s.keys[i]...)
		var ok bool
		if dst, ok = appendValidJSONString(dst, cell); !ok {
			line, _ := s.r.FieldPos(i)
			return dst[:start], invalidRecord("CSV line %d, column %q: not valid UTF-8", line+s.fastLines, s.columns[i])
		}
	}
	return append(dst, '}'), nil
}

// slowRead reads the next row with encoding/csv, letting it read at most limit bytes of input
// beyond what is buffered: all of those belong to this row, so a row that needs more holds a cell
// over the limit, and is refused without being buffered any further. Errors name the line.
func (s *CSVSource) slowRead(limit int64) ([]string, error) {
	s.in.limit = limit
	rec, err := s.r.Read()
	s.in.limit = -1
	if errors.Is(s.in.err, errRowTooLong) {
		// The row starts on the line after the last one consumed: the fast path skips blank lines.
		line := s.fastLines + s.csvLines + 1
		if len(s.columns) == 0 {
			return nil, invalidRecord("CSV line %d: the header row is longer than %s", line, formatSize(int(limit)))
		}
		return nil, invalidRecord("CSV line %d: a cell is longer than the %s limit", line, formatSize(s.maxCell))
	}
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			pe.StartLine += s.fastLines
			pe.Line += s.fastLines
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				return nil, invalidRecord("CSV line %d: %s, but the header has %s", pe.StartLine, plural(len(rec), "cell"), plural(len(s.columns), "column"))
			}
		}
		return nil, csvError(err)
	}
	if n := len(rec); n > 0 {
		line, _ := s.r.FieldPos(n - 1)
		s.csvLines = line + strings.Count(rec[n-1], "\n")
	}
	return rec, nil
}

// fastNext encodes the next row from the read buffer when it is a plain row (see Next), skipping the
// blank lines before it, and consumes it; ok is false, and nothing of the row consumed, when the
// row must be read by encoding/csv.
func (s *CSVSource) fastNext(dst []byte) (_ []byte, ok bool) {
	var line []byte
	var size int // of the line with its newline
	for {
		// A whole line in the buffer, filling it as needed.
		buf, _ := s.br.Peek(s.br.Buffered())
		i := bytes.IndexByte(buf, '\n')
		for i < 0 {
			if len(buf) >= s.br.Size() {
				return dst, false // longer than the buffer
			}
			n := len(buf)
			if _, err := s.br.Peek(n + 1); err != nil {
				return dst, false // the end of the input (or an error): encoding/csv handles it
			}
			buf, _ = s.br.Peek(s.br.Buffered())
			if i = bytes.IndexByte(buf[n:], '\n'); i >= 0 {
				i += n
			}
		}
		line, size = buf[:i], i+1
		if i > 0 && line[i-1] == '\r' {
			line = line[:i-1]
		}
		if len(line) > 0 {
			break
		}
		// A blank line (LF or CRLF alone), which encoding/csv skips.
		s.br.Discard(size)
		s.fastLines++
	}
	start := len(dst)
	col, runStart, cellStart := 0, 0, 0
	long := len(line) > s.maxCell // then each cell's length is checked (as written, it is its length)
	dst = append(dst, s.keys[0]...)
	dst = append(dst, '"')
	for j := 0; j < len(line); {
		// Eight bytes at a time while none is a comma, a quote, a backslash, a control character or
		// non-ASCII.
		for j+8 <= len(line) {
			x := binary.LittleEndian.Uint64(line[j:])
			if (x|(x-lo8*0x20)|hasZero8(x^(lo8*','))|hasZero8(x^(lo8*'"'))|hasZero8(x^(lo8*'\\')))&hi8 != 0 {
				break
			}
			j += 8
		}
		if j >= len(line) {
			break
		}
		c := line[j]
		if c == ',' {
			if col++; col == len(s.keys) || long && j-cellStart > s.maxCell {
				return dst[:start], false // too many cells, or too long a cell
			}
			cellStart = j + 1
			dst = append(dst, line[runStart:j]...)
			dst = append(dst, '"')
			dst = append(dst, s.keys[col]...)
			dst = append(dst, '"')
			j++
			runStart = j
			continue
		}
		switch jsonByte[c] {
		case 0:
			j++
			continue
		case 2:
			r, n := utf8.DecodeRune(line[j:])
			if r == utf8.RuneError && n == 1 {
				return dst[:start], false // invalid UTF-8
			}
			j += n
			continue
		}
		// '"' (a quoted cell, or a bare quote), '\r' not in the final CRLF, '\\', control characters.
		if c == '"' || c == '\r' {
			return dst[:start], false
		}
		dst = append(dst, line[runStart:j]...)
		switch c {
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		j++
		runStart = j
	}
	if col != len(s.keys)-1 || long && len(line)-cellStart > s.maxCell {
		return dst[:start], false // too few cells, or too long a cell
	}
	dst = append(dst, line[runStart:]...)
	dst = append(dst, '"', '}')
	s.br.Discard(size)
	s.fastLines++
	return dst, true
}

// SWAR constants: lo8 has 1 in every byte, hi8 the top bit of every byte.
const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// hasZero8 has the top bit set in the bytes of x that are zero (and maybe in bytes above a zero byte:
// only whether any is set matters here).
func hasZero8(x uint64) uint64 { return (x - lo8) &^ x }

// stickyReader returns the first error of r again on every later Read. bufio.Reader hands a read
// error out once; when the fast path's Peek meets it, the row is left to encoding/csv, which must then
// meet the same error. It also bounds the bytes encoding/csv may read for one row.
type stickyReader struct {
	r   io.Reader
	err error
	// limit, when not negative, is how many more bytes may be read; a Read past it fails with
	// errRowTooLong (and so does every later one).
	limit int64
}

// errRowTooLong is the error of a stickyReader read past its limit.
var errRowTooLong = errors.New("row too long")

// Read reads from r, or returns its first error again.
func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.limit >= 0 {
		if s.limit == 0 {
			s.err = errRowTooLong
			return 0, s.err
		}
		if int64(len(p)) > s.limit {
			p = p[:s.limit]
		}
	}
	n, err := s.r.Read(p)
	if s.limit >= 0 {
		s.limit -= int64(n)
	}
	s.err = err
	return n, err
}

// checkColumns makes sure every header column is a known column; the rows then need no check.
func (s *CSVSource) checkColumns(known map[string]struct{}) error {
	for _, c := range s.columns {
		if _, ok := known[c]; !ok {
			return invalidRecord("CSV column %q is not a column of the dataset", c)
		}
	}
	return nil
}

// csvError names the line of a CSV syntax error.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrBareQuote):
			return invalidRecord(`CSV line %d, column %d: bare " in a cell that does not start with a quote (quote the whole cell and double the ")`, pe.Line, pe.Column)
		case errors.Is(pe.Err, csv.ErrQuote):
			return invalidRecord(`CSV line %d: a quoted cell is not closed, or holds a single " (the row starts on this line; reading stopped at line %d, column %d)`, pe.StartLine, pe.Line, pe.Column)
		}
		return invalidRecord("CSV line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("data8: reading CSV: %w", err)
}
