package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// UnknownColumnError is returned by CSVWriter.WritePage for a record holding a member that is not
// one of the writer's columns (a server sending a column its dataset does not list). Nothing of
// that page is written.
type UnknownColumnError struct {
	// Column is the member's name.
	Column string
	// Record is the index of the record in the dataset, from 0.
	Record int64
}

// Error names the column and the record.
func (e *UnknownColumnError) Error() string {
	return fmt.Sprintf("data8: record %d has column %q, which the dataset does not list", e.Record, e.Column)
}

// CSVWriter writes downloaded pages as CSV, from the answers' bytes: a header row, then a row per
// record with a cell per column. It writes exactly what encoding/csv writes for the cells of the
// records as ReadRecords reads them: a string as it is, a number in its JSON text, true or false,
// an empty cell for null or a missing member, and a nested value (which records should not hold)
// as its JSON. A page is written to the underlying writer with one Write when its text is under
// 1 MiB, and in pieces of about 1 MiB otherwise, so that the writer's memory stays bounded whatever
// the number of columns and records.
type CSVWriter struct {
	out  pageOut
	vals []jsonText
}

// pageFlushAt is the size of a page's text from which it is written in pieces: a writer holds about
// this much (and one cell or member more) at most.
const pageFlushAt = 1 << 20

// pageOut is what the page writers share: the columns' positions, the text of the page being
// written, and its writes.
type pageOut struct {
	w       io.Writer
	index   map[string]int // column → position
	buf     []byte
	flushAt int // pageFlushAt; tests make it smaller
	// check reports the error a record would meet when written (a member that is not a column, bad
	// JSON), without writing it.
	check func(s recordMembers, index int64) error

	// The page being written: its records from next on are still to come; checked is set once
	// they are known to be writable, so that the page's text may be written before its end.
	page    *Page
	next    int
	checked bool
}

// newPageOut returns the shared part of a writer of the given columns to w; what names the writer
// in the error for a column given twice.
func newPageOut(w io.Writer, columns []string, what string) (pageOut, error) {
	o := pageOut{w: w, index: make(map[string]int, len(columns)), flushAt: pageFlushAt}
	for i, c := range columns {
		if _, dup := o.index[c]; dup {
			return pageOut{}, invalid("%s: column %q is given twice", what, c)
		}
		o.index[c] = i
	}
	return o, nil
}

// column returns the position of a member's column; name is the member's decoded name when it is
// not one of the columns (known false).
func (o *pageOut) column(key jsonText) (col int, name []byte, known bool) {
	col, known = o.index[string(key.raw[1:len(key.raw)-1])]
	if known && !key.escaped {
		return col, nil, true
	}
	name = key.str()
	col, known = o.index[string(name)]
	return col, name, known
}

// writePage appends the page's records with appendRecord, which writes the text whenever it reaches
// o.flushAt before a cell or member (see spill). A record that cannot be written (an error from
// appendRecord or check) leaves nothing of the page written; only an error from the underlying
// writer can leave part of it.
func (o *pageOut) writePage(p *Page, appendRecord func(b []byte, s recordMembers, index int64) ([]byte, error)) error {
	mark := len(o.buf)
	o.page, o.checked = p, false
	defer func() { o.page = nil }()
	for n, rec := range p.Records {
		o.next = n + 1
		var err error
		if o.buf, err = appendRecord(o.buf, membersOf(p, n, rec), p.First+int64(n)); err != nil {
			if o.checked { // part of the page is written: drop the rest
				o.buf = o.buf[:0]
			} else {
				o.buf = o.buf[:mark]
			}
			return err
		}
	}
	return o.flush()
}

// spill writes b, the text of the page being written so far, and returns it emptied. The first
// time in a page it checks the records still to come, so that a page with a record that cannot be
// written is refused before anything of it is written.
func (o *pageOut) spill(b []byte) ([]byte, error) {
	if !o.checked {
		p := o.page
		for n := o.next; n < len(p.Records); n++ {
			if err := o.check(membersOf(p, n, p.Records[n]), p.First+int64(n)); err != nil {
				return b, err
			}
		}
		o.checked = true
	}
	_, err := o.w.Write(b)
	return b[:0], err
}

// flush writes what is buffered.
func (o *pageOut) flush() error {
	if len(o.buf) == 0 {
		return nil
	}
	_, err := o.w.Write(o.buf)
	o.buf = o.buf[:0]
	return err
}

// NewCSVWriter returns a writer of CSV rows with the given columns, in that order, to w. header
// gives the header row's text of each column; nil means the column names. The header row is
// written with the first page, or by Flush.
func NewCSVWriter(w io.Writer, columns, header []string) (*CSVWriter, error) {
	if header == nil {
		header = columns
	}
	if len(header) != len(columns) {
		return nil, invalid("CSV writer: %d header cells for %d columns", len(header), len(columns))
	}
	out, err := newPageOut(w, columns, "CSV writer")
	if err != nil {
		return nil, err
	}
	cw := &CSVWriter{out: out, vals: make([]jsonText, len(columns))}
	cw.out.check = cw.checkRow
	for i, h := range header {
		if i > 0 {
			cw.out.buf = append(cw.out.buf, ',')
		}
		cw.out.buf = appendCSVField(cw.out.buf, []byte(h))
	}
	cw.out.buf = append(cw.out.buf, '\n')
	return cw, nil
}

// WritePage writes the page's records as CSV rows. A record with a member that is not a column is
// an *UnknownColumnError, and nothing of the page is written.
func (cw *CSVWriter) WritePage(p *Page) error { return cw.out.writePage(p, cw.appendRow) }

func (cw *CSVWriter) appendRow(b []byte, s recordMembers, index int64) ([]byte, error) {
	clear(cw.vals)
	for {
		key, val, ok, err := s.next()
		if err != nil {
			return b, fmt.Errorf("data8: record %d: %w", index, err)
		}
		if !ok {
			break
		}
		col, name, known := cw.out.column(key)
		if !known {
			return b, &UnknownColumnError{Column: string(name), Record: index}
		}
		cw.vals[col] = val
	}
	for i, v := range cw.vals {
		if len(b) >= cw.out.flushAt {
			var err error
			if b, err = cw.out.spill(b); err != nil {
				return b, err
			}
		}
		if i > 0 {
			b = append(b, ',')
		}
		switch v.kind {
		case kindString:
			if inner := v.raw[1 : len(v.raw)-1]; !v.escaped && plainASCIICell(inner) {
				b = append(b, inner...) // what appendCSVField(b, v.str()) appends, found in one pass
			} else {
				b = appendCSVField(b, v.str())
			}
		case kindNumber, kindTrue, kindFalse:
			b = append(b, v.raw...)
		case kindNested:
			x, err := nestedValue(v.raw)
			if err != nil {
				return b, fmt.Errorf("data8: record %d: %w", index, err)
			}
			m, err := json.Marshal(x)
			if err != nil {
				return b, fmt.Errorf("data8: record %d: %w", index, err)
			}
			b = appendCSVField(b, m)
		}
	}
	return append(b, '\n'), nil
}

// checkRow reports the error appendRow would meet with record s: bad JSON, or a member that is not
// a column.
func (cw *CSVWriter) checkRow(s recordMembers, index int64) error {
	for {
		key, _, ok, err := s.next()
		if err != nil {
			return fmt.Errorf("data8: record %d: %w", index, err)
		}
		if !ok {
			return nil
		}
		if _, name, known := cw.out.column(key); !known {
			return &UnknownColumnError{Column: string(name), Record: index}
		}
	}
}

// Flush writes what is buffered: the header row when no page was written yet.
func (cw *CSVWriter) Flush() error { return cw.out.flush() }

// appendCSVField appends a field as encoding/csv's Writer writes it (comma separator, LF line
// ends): quoted when it holds a comma, a quote, CR or LF, begins with a space, or is `\.`; quotes
// doubled inside.
func appendCSVField(b, f []byte) []byte {
	if !csvNeedsQuotes(f) {
		return append(b, f...)
	}
	b = append(b, '"')
	for {
		i := bytes.IndexByte(f, '"')
		if i < 0 {
			b = append(b, f...)
			break
		}
		b = append(b, f[:i+1]...)
		b = append(b, '"')
		f = f[i+1:]
	}
	return append(b, '"')
}

// plainASCIICell reports whether f is ASCII (so valid UTF-8, its own text) and written by
// appendCSVField as it is, unquoted: the common cell, told in one pass over its bytes.
func plainASCIICell(f []byte) bool {
	for _, c := range f {
		if c <= ',' { // ',' '"' '\r' '\n' and space sort before every letter and digit
			if c == ',' || c == '"' || c == '\n' || c == '\r' {
				return false
			}
		} else if c >= utf8.RuneSelf {
			return false
		}
	}
	if len(f) == 0 {
		return true
	}
	switch f[0] { // unicode.IsSpace of an ASCII first byte
	case '\t', '\n', '\v', '\f', '\r', ' ':
		return false
	}
	return !(len(f) == 2 && f[0] == '\\' && f[1] == '.')
}

func csvNeedsQuotes(f []byte) bool {
	if len(f) == 0 {
		return false
	}
	if len(f) == 2 && f[0] == '\\' && f[1] == '.' {
		return true
	}
	for _, c := range f {
		if c == '\n' || c == '\r' || c == '"' || c == ',' {
			return true
		}
	}
	r, _ := utf8.DecodeRune(f)
	return unicode.IsSpace(r)
}

// JSONLinesWriter writes downloaded pages as JSON Lines, from the answers' bytes: one object per
// record, its members in the order of the writer's columns (under the names given), then any other
// members in alphabetical order. It writes exactly what encoding/json (HTML escaping off) writes for
// the records as ReadRecords reads them; a member present with null is kept, a missing one left
// out. A page is written as CSVWriter writes one: with one Write when its text is under 1 MiB, in
// pieces of about 1 MiB otherwise.
type JSONLinesWriter struct {
	out   pageOut
	names [][]byte // each column's member name, encoded
	vals  []jsonText
	extra []extraMember
}

type extraMember struct {
	name []byte // decoded
	key  jsonText
	val  jsonText
}

// NewJSONLinesWriter returns a writer of JSON Lines to w. columns give the order of the members;
// names gives the member name written for each column, nil meaning the column names.
func NewJSONLinesWriter(w io.Writer, columns, names []string) (*JSONLinesWriter, error) {
	if names == nil {
		names = columns
	}
	if len(names) != len(columns) {
		return nil, invalid("JSON Lines writer: %d names for %d columns", len(names), len(columns))
	}
	out, err := newPageOut(w, columns, "JSON Lines writer")
	if err != nil {
		return nil, err
	}
	jw := &JSONLinesWriter{out: out, vals: make([]jsonText, len(columns))}
	jw.out.check = checkLine
	for _, n := range names {
		jw.names = append(jw.names, appendJSONText(nil, n))
	}
	return jw, nil
}

// WritePage writes the page's records, one line each.
func (jw *JSONLinesWriter) WritePage(p *Page) error { return jw.out.writePage(p, jw.appendLine) }

func (jw *JSONLinesWriter) appendLine(b []byte, s recordMembers, index int64) ([]byte, error) {
	clear(jw.vals)
	jw.extra = jw.extra[:0]
	for {
		key, val, ok, err := s.next()
		if err != nil {
			return b, fmt.Errorf("data8: record %d: %w", index, err)
		}
		if !ok {
			break
		}
		col, name, known := jw.out.column(key)
		if !known {
			jw.extra = append(jw.extra, extraMember{name: name, key: key, val: val})
			continue
		}
		jw.vals[col] = val
	}
	b = append(b, '{')
	first := true
	var err error
	for i, v := range jw.vals {
		if v.kind == kindAbsent {
			continue
		}
		if len(b) >= jw.out.flushAt {
			if b, err = jw.out.spill(b); err != nil {
				return b, err
			}
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, jw.names[i]...)
		b = append(b, ':')
		if b, err = appendJSONValue(b, v); err != nil {
			return b, fmt.Errorf("data8: record %d: %w", index, err)
		}
	}
	if len(jw.extra) > 0 {
		// Sorted by name; of members with the same name the last wins, as when decoding.
		slices.SortStableFunc(jw.extra, func(a, b extraMember) int { return bytes.Compare(a.name, b.name) })
		for i, m := range jw.extra {
			if i+1 < len(jw.extra) && bytes.Equal(jw.extra[i+1].name, m.name) {
				continue
			}
			if len(b) >= jw.out.flushAt {
				if b, err = jw.out.spill(b); err != nil {
					return b, err
				}
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			if m.key.canonical() {
				b = append(b, m.key.raw...)
			} else {
				b = appendJSONText(b, string(m.name))
			}
			b = append(b, ':')
			if b, err = appendJSONValue(b, m.val); err != nil {
				return b, fmt.Errorf("data8: record %d: %w", index, err)
			}
		}
	}
	return append(b, '}', '\n'), nil
}

// checkLine reports the error appendLine would meet with record s: bad JSON.
func checkLine(s recordMembers, index int64) error {
	for {
		_, _, ok, err := s.next()
		if err != nil {
			return fmt.Errorf("data8: record %d: %w", index, err)
		}
		if !ok {
			return nil
		}
	}
}

// Flush writes what is buffered.
func (jw *JSONLinesWriter) Flush() error { return jw.out.flush() }

// appendJSONValue appends a member's value as encoding/json writes the value ReadRecords decodes.
func appendJSONValue(b []byte, v jsonText) ([]byte, error) {
	switch v.kind {
	case kindString:
		if v.canonical() {
			return append(b, v.raw...), nil
		}
		return appendJSONText(b, string(v.str())), nil
	case kindNested:
		x, err := nestedValue(v.raw)
		if err != nil {
			return b, err
		}
		m, err := json.Marshal(x)
		if err != nil {
			return b, err
		}
		return append(b, m...), nil
	}
	return append(b, v.raw...), nil
}

// appendJSONText appends s as encoding/json writes a string with HTML escaping off.
func appendJSONText(b []byte, s string) []byte {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return strconv.AppendQuote(b, s) // cannot happen: a string always encodes
	}
	return append(b, bytes.TrimSuffix(out.Bytes(), []byte("\n"))...)
}
