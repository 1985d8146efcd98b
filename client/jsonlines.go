package client

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// utf8BOM is the byte order mark some editors put at the start of a UTF-8 file.
const utf8BOM = "\ufeff"

// jsonLinesSource reads one JSON object per line.
type jsonLinesSource struct {
	r     *bufio.Reader
	line  int
	buf   []byte // a line longer than the reader's buffer is gathered here
	known map[string]struct{}
}

// NewJSONLinesSource returns a source reading JSON Lines from r: each non-blank line must be one
// JSON object whose values are scalars (strings, numbers, booleans or null). Lines are checked and
// copied as they are, without being decoded into maps. An offending line is an error naming it
// (matching ErrInvalidRecord). The source does not close r.
func NewJSONLinesSource(r io.Reader) Source {
	return &jsonLinesSource{r: bufio.NewReaderSize(r, 64<<10)}
}

// Next appends the next line's object to dst; io.EOF after the last one.
func (s *jsonLinesSource) Next(dst []byte) ([]byte, error) {
	for {
		line, err := s.readLine()
		if err != nil && (err != io.EOF || len(line) == 0) {
			if err != io.EOF {
				err = fmt.Errorf("data8: reading JSON Lines: %w", err)
			}
			return dst, err
		}
		s.line++
		if s.line == 1 {
			line = bytes.TrimPrefix(line, []byte(utf8BOM)) // as NewCSVSource does
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			if err == io.EOF {
				return dst, io.EOF
			}
			continue
		}
		if !utf8.Valid(line) {
			return dst, invalidRecord("JSON Lines line %d: not valid UTF-8", s.line)
		}
		if cerr := checkObject(line, s.known); cerr != nil {
			return dst, invalidRecord("JSON Lines line %d: %v", s.line, cerr)
		}
		return append(dst, line...), nil
	}
}

// readLine returns the next line without its newline. It may return a final line with io.EOF.
func (s *jsonLinesSource) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	s.buf = append(s.buf[:0], line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = s.r.ReadSlice('\n')
		s.buf = append(s.buf, line...)
	}
	return s.buf, err
}

func (s *jsonLinesSource) checkColumns(known map[string]struct{}) error {
	s.known = known
	return nil
}
