package client

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// CSVSource reads records from CSV: the header row names the columns, and every later row is one
// record whose cells become JSON strings ({"col":"cell",...}). It streams: memory does not grow with
// the input, and no map is built per record. Plain rows (no quotes) are encoded straight from the
// read buffer without allocating; the others are parsed by encoding/csv, with the same result.
//
// Rows with a different number of cells than the header, and cells that are not valid UTF-8, are
// errors naming the line (matching ErrInvalidRecord). Blank lines are skipped.
type CSVSource struct {
	br      *bufio.Reader // csv.Reader reads through it too, so both see one position in the input
	r       *csv.Reader
	columns []string
	keys    [][]byte // per column: `{"name":` for the first, `,"name":` for the others
	// fastLines counts the lines consumed by the fast path, which r does not see: r's line numbers
	// plus fastLines are the input's.
	fastLines int
}

// csvBufferSize is the size of a CSVSource's read buffer: a row must fit in it to take the fast path.
const csvBufferSize = 64 << 10

// NewCSVSource reads the header row from r and returns a source of the rows after it. Each header
// name must be a valid column name (^[a-z][a-z0-9_]*$), and unique; a UTF-8 byte order mark before
// the header is ignored. The source does not close r.
func NewCSVSource(r io.Reader) (*CSVSource, error) {
	return newCSVSource(r, nil)
}

// NewCSVSourceColumns is NewCSVSource for a file whose header row does not hold the column names
// (a spreadsheet's "First Name", say): the header row is read and skipped, it must have exactly
// len(columns) cells, and the records' keys are columns, in order, instead of the header's cells.
// Each of columns must be a valid column name, and unique. The rows are read and checked as by
// NewCSVSource, with the same allocation-free fast path.
func NewCSVSourceColumns(r io.Reader, columns []string) (*CSVSource, error) {
	if len(columns) == 0 {
		return nil, invalidRecord("CSV columns: none given")
	}
	return newCSVSource(r, columns)
}

// newCSVSource reads the header row; the names are columns if not nil, else the header's cells.
func newCSVSource(r io.Reader, columns []string) (*CSVSource, error) {
	br := bufio.NewReaderSize(&stickyReader{r: r}, csvBufferSize)
	cr := csv.NewReader(br) // reads from br itself: bufio.NewReader returns a large enough *bufio.Reader as it is
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, invalidRecord("CSV input is empty: a header row naming the columns is needed")
	}
	if err != nil {
		return nil, csvError(err)
	}
	where := "CSV header"
	if columns != nil {
		if len(header) != len(columns) {
			return nil, invalidRecord("CSV header has %d cells, but %d columns are given", len(header), len(columns))
		}
		header, where = columns, "CSV columns"
	}
	s := &CSVSource{br: br, r: cr, columns: make([]string, len(header)), keys: make([][]byte, len(header))}
	seen := make(map[string]bool, len(header))
	for i, name := range header {
		if i == 0 && columns == nil {
			name = strings.TrimPrefix(name, "\uFEFF")
		}
		if err := ValidateColumnName(name); err != nil {
			return nil, invalidRecord("%s, column %d: %q is not a valid column name (^[a-z][a-z0-9_]*$)", where, i+1, name)
		}
		if seen[name] {
			return nil, invalidRecord("%s: column %q appears twice", where, name)
		}
		seen[name] = true
		s.columns[i] = name
		sep := byte(',')
		if i == 0 {
			sep = '{'
		}
		s.keys[i] = append(appendJSONString([]byte{sep}, name), ':')
	}
	return s, nil
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
	rec, err := s.r.Read()
	if err == io.EOF {
		return dst, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			pe.StartLine += s.fastLines
			pe.Line += s.fastLines
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				return dst, invalidRecord("CSV line %d: %d cells, but the header has %d columns", pe.StartLine, len(rec), len(s.columns))
			}
		}
		return dst, csvError(err)
	}
	if len(rec) == 0 {
		return append(dst, '{', '}'), nil
	}
	start := len(dst)
	for i, cell := range rec {
		dst = append(dst, s.keys[i]...)
		var ok bool
		if dst, ok = appendValidJSONString(dst, cell); !ok {
			line, _ := s.r.FieldPos(i)
			return dst[:start], invalidRecord("CSV line %d, column %q: not valid UTF-8", line+s.fastLines, s.columns[i])
		}
	}
	return append(dst, '}'), nil
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
	col, runStart := 0, 0
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
			if col++; col == len(s.keys) {
				return dst[:start], false // too many cells
			}
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
	if col != len(s.keys)-1 {
		return dst[:start], false // too few cells
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
// meet the same error.
type stickyReader struct {
	r   io.Reader
	err error
}

// Read reads from r, or returns its first error again.
func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
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
		return invalidRecord("CSV line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("data8: reading CSV: %w", err)
}
