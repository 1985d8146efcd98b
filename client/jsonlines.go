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
	r       *bufio.Reader
	line    int
	buf     []byte // a line longer than the reader's buffer is gathered here
	maxLine int
	known   map[string]struct{}
	rename  map[string]string            // NewJSONLinesSourceRenamed: key as written → column
	mapKey  func(string) (string, error) // JSONLinesOptions.MapKey
	mapped  map[string]string            // mapKey's answers so far
}

// JSONLinesOptions tunes a JSON Lines source; pass functions setting its fields to
// NewJSONLinesSource or NewJSONLinesSourceRenamed.
type JSONLinesOptions struct {
	// MaxLineSize is the most bytes a line may hold, without its line ending. A longer line is an
	// error naming it, found while reading: no more than MaxLineSize (and the read buffer) is held.
	// 0 (or less) means DefaultMaxLineSize.
	MaxLineSize int
	// MapKey, when set, gives the column for a key as written (a spreadsheet's "First Name", say).
	// It is called once per distinct key, the first time a line holds it, in input order; the
	// records are sent with the keys it returns, and its error ends the reading with an error
	// naming the line (matching ErrInvalidRecord). NewJSONLinesSourceRenamed's rename is consulted
	// first: MapKey sees only keys it does not list.
	MapKey func(key string) (string, error)
}

// NewJSONLinesSource returns a source reading JSON Lines from r: each non-blank line must be one
// JSON object whose values are scalars (strings, numbers, booleans or null), with no key twice.
// Lines are checked and copied as they are, without being decoded into maps. An offending line,
// and a line longer than JSONLinesOptions.MaxLineSize, is an error naming it (matching
// ErrInvalidRecord); input that looks like UTF-16 is refused as such. A UTF-8 byte order mark at the
// start is ignored. The source does not close r.
func NewJSONLinesSource(r io.Reader, optFns ...func(*JSONLinesOptions)) Source {
	return newJSONLinesSource(r, nil, optFns)
}

// NewJSONLinesSourceRenamed is NewJSONLinesSource for a file whose keys are not all column names
// (a spreadsheet's "First Name", say): a key found in rename is replaced by rename[key] (a key not
// in it is kept), and the values are copied as they are. The renamed records are checked as
// NewJSONLinesSource checks them, the known columns against the renamed keys. Lines are re-encoded
// only for the keys; with an empty rename (and no MapKey) the source is NewJSONLinesSource.
func NewJSONLinesSourceRenamed(r io.Reader, rename map[string]string, optFns ...func(*JSONLinesOptions)) Source {
	return newJSONLinesSource(r, rename, optFns)
}

func newJSONLinesSource(r io.Reader, rename map[string]string, optFns []func(*JSONLinesOptions)) Source {
	var opts JSONLinesOptions
	for _, fn := range optFns {
		fn(&opts)
	}
	s := &jsonLinesSource{r: bufio.NewReaderSize(r, 64<<10), maxLine: opts.MaxLineSize}
	if s.maxLine <= 0 {
		s.maxLine = DefaultMaxLineSize
	}
	if len(rename) > 0 {
		s.rename = rename
	}
	if opts.MapKey != nil {
		s.mapKey, s.mapped = opts.MapKey, map[string]string{}
	}
	return s
}

// Next appends the next line's object to dst; io.EOF after the last one.
func (s *jsonLinesSource) Next(dst []byte) ([]byte, error) {
	for {
		if s.line == 0 {
			if start, _ := s.r.Peek(64); looksLikeUTF16(start) {
				return dst, invalidRecord("JSON Lines input looks like UTF-16; save it as UTF-8")
			}
		}
		line, err := s.readLine()
		if errors.Is(err, errLineTooLong) {
			return dst, invalidRecord("JSON Lines line %d: longer than the %s limit", s.line+1, formatSize(s.maxLine))
		}
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
		if s.rename == nil && s.mapKey == nil {
			if cerr := checkObject(line, s.known); cerr != nil {
				return dst, invalidRecord("JSON Lines line %d: %v", s.line, cerr)
			}
			return append(dst, line...), nil
		}
		if cerr := checkObject(line, nil); cerr != nil {
			return dst, invalidRecord("JSON Lines line %d: %v", s.line, cerr)
		}
		start := len(dst)
		dst, cerr := renameKeys(dst, line, s.column)
		if cerr == nil {
			cerr = checkObject(dst[start:], s.known)
		}
		if cerr != nil {
			return dst[:start], invalidRecord("JSON Lines line %d: %v", s.line, cerr)
		}
		return dst, nil
	}
}

// errLineTooLong is readLine's error for a line over the limit.
var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its newline. It may return a final line with io.EOF. A
// line longer than maxLine is errLineTooLong, as soon as that much of it has been read.
func (s *jsonLinesSource) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		if lineSize(line) > s.maxLine {
			return nil, errLineTooLong
		}
		return line, err
	}
	s.buf = append(s.buf[:0], line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		if len(s.buf) > s.maxLine+1 { // +1: it may end with the CR of a CRLF
			return nil, errLineTooLong
		}
		line, err = s.r.ReadSlice('\n')
		s.buf = append(s.buf, line...)
	}
	if lineSize(s.buf) > s.maxLine {
		return nil, errLineTooLong
	}
	return s.buf, err
}

// lineSize is the length of line without its line ending (LF or CRLF).
func lineSize(line []byte) int {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	return n
}

// column returns the column for a key as written (raw, the bytes between its quotes; escaped when
// they hold an escape): from rename, else from mapKey (asked once per key), else the key itself
// (same is true, col empty).
func (s *jsonLinesSource) column(raw []byte, escaped bool) (col string, same bool, err error) {
	if !escaped {
		// Map look-ups with string(raw) do not allocate.
		if c, ok := s.rename[string(raw)]; ok {
			return c, false, nil
		}
		if s.mapKey == nil {
			return "", true, nil
		}
		if c, ok := s.mapped[string(raw)]; ok {
			return c, c == string(raw), nil
		}
	}
	name := string(raw)
	if escaped {
		if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &name); err != nil {
			return "", false, err // checkObject scanned it: cannot happen
		}
		if c, ok := s.rename[name]; ok {
			return c, false, nil
		}
		if s.mapKey == nil {
			return name, false, nil
		}
		if c, ok := s.mapped[name]; ok {
			return c, false, nil
		}
	}
	c, err := s.mapKey(name)
	if err != nil {
		return "", false, err
	}
	s.mapped[name] = c
	return c, !escaped && c == name, nil
}

func (s *jsonLinesSource) checkColumns(known map[string]struct{}) error {
	s.known = known
	return nil
}

// renameKeys appends the object b, which checkObject has accepted, to dst with each key replaced by
// the column that column gives it (same: the key is kept as written); everything else is copied as
// it is.
func renameKeys(dst, b []byte, column func(raw []byte, escaped bool) (string, bool, error)) ([]byte, error) {
	i := skipSpace(b, 0) + 1 // after '{'
	dst = append(dst, '{')
	for first := true; ; first = false {
		i = skipSpace(b, i)
		if b[i] == '}' {
			return append(dst, '}'), nil
		}
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
		end, escaped, _ := scanString(b, i)
		col, same, err := column(b[i+1:end-1], escaped)
		if err != nil {
			return dst, err
		}
		if !first {
			dst = append(dst, ',')
		}
		if same {
			dst = append(dst, b[i:end]...)
		} else {
			dst = appendJSONString(dst, col)
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
