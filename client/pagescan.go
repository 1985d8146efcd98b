package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// This file reads a page of records (GET /Dataset/{name}/data) from the answer's bytes, without
// building a value per record: splitRecords cuts the page into its records, checking the JSON on
// the way, and memberScanner walks one record's members. Both accept exactly what encoding/json
// accepts for a []Record: a JSON array (or null) of objects (or nulls); anything else is an error.

// splitRecords appends to dst each record of a page body (a JSON array of objects) as its raw JSON,
// a slice of body; a null record is kept as the four bytes null. A null body is an empty page.
func splitRecords(body []byte, dst []json.RawMessage) ([]json.RawMessage, error) {
	i := skipSpace(body, 0)
	if i < len(body) && body[i] == 'n' {
		end, err := scanLiteral(body, i, "null")
		if err != nil {
			return dst, err
		}
		return dst, checkEnd(body, end)
	}
	if i >= len(body) || body[i] != '[' {
		return dst, syntaxError(body, i, "a JSON array of records")
	}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == ']' {
		return dst, checkEnd(body, i+1)
	}
	for {
		start := i
		var err error
		switch {
		case i < len(body) && body[i] == '{':
			i, err = scanRecord(body, i)
		case i < len(body) && body[i] == 'n':
			i, err = scanLiteral(body, i, "null")
		default:
			err = fmt.Errorf("record %d is not a JSON object: %w", len(dst), syntaxError(body, i, "an object"))
		}
		if err != nil {
			return dst, err
		}
		dst = append(dst, body[start:i:i])
		i = skipSpace(body, i)
		if i < len(body) && body[i] == ',' {
			i = skipSpace(body, i+1)
			continue
		}
		if i < len(body) && body[i] == ']' {
			return dst, checkEnd(body, i+1)
		}
		return dst, syntaxError(body, i, "',' or ']'")
	}
}

// scanRecord checks the JSON object starting at b[i] == '{' and returns the index after it.
func scanRecord(b []byte, i int) (int, error) {
	s := memberScanner{b: b, i: i}
	for {
		_, _, ok, err := s.next()
		if err != nil {
			return 0, err
		}
		if !ok {
			return s.i, nil
		}
	}
}

// valueKind is the kind of a member's value.
type valueKind uint8

const (
	kindAbsent valueKind = iota // no such member
	kindString
	kindNumber
	kindTrue
	kindFalse
	kindNull
	kindNested // an object or an array
)

// jsonText is a key or value as it stands in the answer: raw is its JSON text (with quotes for a
// string); escaped is set for a string holding an escape.
type jsonText struct {
	raw     []byte
	kind    valueKind
	escaped bool
}

// memberScanner walks the members of one JSON object, checking its syntax.
type memberScanner struct {
	b       []byte
	i       int // before the first member: at '{'; then after the last member read
	started bool
	done    bool
}

// newMemberScanner returns a scanner of rec, a record as splitRecords cut it (an object or null).
func newMemberScanner(rec []byte) memberScanner {
	s := memberScanner{b: rec, i: skipSpace(rec, 0)}
	if s.i < len(rec) && rec[s.i] == 'n' {
		s.done = true
	}
	return s
}

// next returns the next member's key and value; ok is false after the last one.
func (s *memberScanner) next() (key, val jsonText, ok bool, err error) {
	b := s.b
	if s.done {
		return key, val, false, nil
	}
	i := s.i
	if !s.started {
		if i >= len(b) || b[i] != '{' {
			return key, val, false, syntaxError(b, i, "an object")
		}
		s.started = true
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == '}' {
			s.i, s.done = i+1, true
			return key, val, false, nil
		}
	} else {
		i = skipSpace(b, i)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			s.i, s.done = i+1, true
			return key, val, false, nil
		default:
			return key, val, false, syntaxError(b, i, "',' or '}'")
		}
	}
	if i >= len(b) || b[i] != '"' {
		return key, val, false, syntaxError(b, i, "a key")
	}
	end, escaped, err := scanString(b, i)
	if err != nil {
		return key, val, false, err
	}
	key = jsonText{raw: b[i:end], kind: kindString, escaped: escaped}
	i = skipSpace(b, end)
	if i >= len(b) || b[i] != ':' {
		return key, val, false, syntaxError(b, i, "':'")
	}
	i = skipSpace(b, i+1)
	start := i
	if i >= len(b) {
		return key, val, false, syntaxError(b, i, "a value")
	}
	switch c := b[i]; {
	case c == '"':
		i, val.escaped, err = scanString(b, i)
		val.kind = kindString
	case c == 't':
		i, err = scanLiteral(b, i, "true")
		val.kind = kindTrue
	case c == 'f':
		i, err = scanLiteral(b, i, "false")
		val.kind = kindFalse
	case c == 'n':
		i, err = scanLiteral(b, i, "null")
		val.kind = kindNull
	case c == '-' || c >= '0' && c <= '9':
		i, err = scanNumber(b, i)
		val.kind = kindNumber
	case c == '{' || c == '[':
		i, err = scanNested(b, i)
		val.kind = kindNested
	default:
		err = syntaxError(b, i, "a value")
	}
	if err != nil {
		return key, val, false, err
	}
	val.raw = b[start:i]
	s.i = i
	return key, val, true, nil
}

// scanNested finds the end of the object or array starting at b[i] by matching brackets outside
// strings (without recursion, so no depth can exhaust the stack), then checks it with encoding/json.
// Records hold scalars; a nested value is the rare case, read the slow way.
func scanNested(b []byte, i int) (int, error) {
	start, depth := i, 0
	for i < len(b) {
		switch b[i] {
		case '"':
			end, _, err := scanString(b, i)
			if err != nil {
				return 0, err
			}
			i = end
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				if !json.Valid(b[start : i+1]) {
					return 0, syntaxError(b, start, "a valid JSON value")
				}
				return i + 1, nil
			}
		}
		i++
	}
	return 0, syntaxError(b, len(b), "the end of a nested value")
}

// str returns a string key or value as text: its bytes as they stand when it holds no escape and is
// valid UTF-8 (the common case, no copy), else as encoding/json decodes it (escapes resolved, bad
// UTF-8 replaced by U+FFFD), in a new slice.
func (t jsonText) str() []byte {
	inner := t.raw[1 : len(t.raw)-1]
	if !t.escaped && utf8.Valid(inner) {
		return inner
	}
	var s string
	if err := json.Unmarshal(t.raw, &s); err != nil {
		return inner // cannot happen: scanString checked it
	}
	return []byte(s)
}

// canonical reports whether a string's JSON text is exactly what encoding/json writes for its value
// with HTML escaping off: no escape, valid UTF-8, and no U+2028 or U+2029 (which encoding/json
// escapes).
func (t jsonText) canonical() bool {
	inner := t.raw[1 : len(t.raw)-1]
	return !t.escaped && utf8.Valid(inner) && (bytes.IndexByte(inner, 0xE2) < 0 ||
		!bytes.Contains(inner, []byte("\u2028")) && !bytes.Contains(inner, []byte("\u2029")))
}

// nestedValue decodes a nested value as ReadRecords does (numbers as json.Number).
func nestedValue(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}
