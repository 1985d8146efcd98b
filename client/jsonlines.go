package client

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// utf8BOM is the byte order mark some editors put at the start of a UTF-8 file.
const utf8BOM = "\ufeff"

// jsonLinesSource reads one JSON object per line.
type jsonLinesSource struct {
	r      *bufio.Reader
	line   int
	buf    []byte // a line longer than the reader's buffer is gathered here
	known  map[string]struct{}
	rename map[string]string // NewJSONLinesSourceRenamed: key as written → column
}

// NewJSONLinesSource returns a source reading JSON Lines from r: each non-blank line must be one
// JSON object whose values are scalars (strings, numbers, booleans or null). Lines are checked and
// copied as they are, without being decoded into maps. An offending line is an error naming it
// (matching ErrInvalidRecord). The source does not close r.
func NewJSONLinesSource(r io.Reader) Source {
	return &jsonLinesSource{r: bufio.NewReaderSize(r, 64<<10)}
}

// NewJSONLinesSourceRenamed is NewJSONLinesSource for a file whose keys are not all column names
// (a spreadsheet's "First Name", say): a key found in rename is replaced by rename[key] (a key not
// in it is kept), and the values are copied as they are. The renamed records are checked as
// NewJSONLinesSource checks them, the known columns against the renamed keys. Lines are re-encoded
// only for the keys; with an empty rename the source is NewJSONLinesSource.
func NewJSONLinesSourceRenamed(r io.Reader, rename map[string]string) Source {
	s := &jsonLinesSource{r: bufio.NewReaderSize(r, 64<<10)}
	if len(rename) > 0 {
		s.rename = rename
	}
	return s
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
		if s.rename == nil {
			if cerr := checkObject(line, s.known); cerr != nil {
				return dst, invalidRecord("JSON Lines line %d: %v", s.line, cerr)
			}
			return append(dst, line...), nil
		}
		if cerr := checkObject(line, nil); cerr != nil {
			return dst, invalidRecord("JSON Lines line %d: %v", s.line, cerr)
		}
		start := len(dst)
		dst = renameKeys(dst, line, s.rename)
		if cerr := checkObject(dst[start:], s.known); cerr != nil {
			return dst[:start], invalidRecord("JSON Lines line %d: %v", s.line, cerr)
		}
		return dst, nil
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

// renameKeys appends the object b, which checkObject has accepted, to dst with each key found in
// rename replaced by its new name; everything else is copied as it is.
func renameKeys(dst, b []byte, rename map[string]string) []byte {
	i := skipSpace(b, 0) + 1 // after '{'
	dst = append(dst, '{')
	for first := true; ; first = false {
		i = skipSpace(b, i)
		if b[i] == '}' {
			return append(dst, '}')
		}
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
		end, escaped, _ := scanString(b, i)
		name := string(b[i+1 : end-1])
		if escaped {
			_ = json.Unmarshal(b[i:end], &name) // checkObject scanned it: a valid string
		}
		if !first {
			dst = append(dst, ',')
		}
		if col, ok := rename[name]; ok {
			dst = appendJSONString(dst, col)
		} else {
			dst = append(dst, b[i:end]...)
		}
		dst = append(dst, ':')
		i = skipSpace(b, skipSpace(b, end)+1) // after ':'
		vend := i
		switch c := b[i]; {
		case c == '"':
			vend, _, _ = scanString(b, i)
		case c == 't':
			vend = i + len("true")
		case c == 'f':
			vend = i + len("false")
		case c == 'n':
			vend = i + len("null")
		default:
			vend, _ = scanNumber(b, i)
		}
		dst = append(dst, b[i:vend]...)
		i = vend
	}
}
