package client

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// CSVSource reads records from CSV: the header row names the columns, and every later row is one
// record whose cells become JSON strings ({"col":"cell",...}). It streams: memory does not grow with
// the input, and no map is built per record.
//
// Rows with a different number of cells than the header, and cells that are not valid UTF-8, are
// errors naming the line (matching ErrInvalidRecord). Blank lines are skipped.
type CSVSource struct {
	r       *csv.Reader
	columns []string
	keys    [][]byte // per column: `{"name":` for the first, `,"name":` for the others
}

// NewCSVSource reads the header row from r and returns a source of the rows after it. Each header
// name must be a valid column name (^[a-z][a-z0-9_]*$), and unique; a UTF-8 byte order mark before
// the header is ignored. The source does not close r.
func NewCSVSource(r io.Reader) (*CSVSource, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, invalidRecord("CSV input is empty: a header row naming the columns is needed")
	}
	if err != nil {
		return nil, csvError(err)
	}
	s := &CSVSource{r: cr, columns: make([]string, len(header)), keys: make([][]byte, len(header))}
	seen := make(map[string]bool, len(header))
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\uFEFF")
		}
		if err := ValidateColumnName(name); err != nil {
			return nil, invalidRecord("CSV header, column %d: %q is not a valid column name (^[a-z][a-z0-9_]*$)", i+1, name)
		}
		if seen[name] {
			return nil, invalidRecord("CSV header: column %q appears twice", name)
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

// Columns returns the column names from the header row.
func (s *CSVSource) Columns() []string { return append([]string(nil), s.columns...) }

// Next appends the next row, encoded as a JSON object, to dst; io.EOF after the last row.
func (s *CSVSource) Next(dst []byte) ([]byte, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return dst, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
			return dst, invalidRecord("CSV line %d: %d cells, but the header has %d columns", pe.StartLine, len(rec), len(s.columns))
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
			return dst[:start], invalidRecord("CSV line %d, column %q: not valid UTF-8", line, s.columns[i])
		}
	}
	return append(dst, '}'), nil
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
