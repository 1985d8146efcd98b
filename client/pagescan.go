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
	return splitPage(body, dst, nil)
}

// pageMembers are the members of a page's records as splitPage found them, so that a writer need
// not scan the records again. The buffers are reused page after page.
type pageMembers struct {
	body    []byte
	records []recordSpan
	members []memberSpan
	// maxMembers, when positive, is the most members a record may hold: splitPage refuses a record
	// with more (a *tooManyMembers), noting no more than that many of its members.
	maxMembers int
}

// tooManyMembers is splitPage's refusal of a record holding more than pageMembers.maxMembers
// members. Download turns it into a *TooManyColumnsError.
type tooManyMembers struct {
	record  int // the record's index in its page
	members int
}

func (e *tooManyMembers) Error() string {
	return fmt.Sprintf("record %d holds %d members, more than the limit of columns", e.record, e.members)
}

// recordSpan is where a record stands in its page's body, and where its members stand in
// pageMembers.members.
type recordSpan struct {
	start, end int32 // in body
	from, to   int32 // in members
}

// memberSpan is where a member's key and value stand in their record, as offsets from its start.
type memberSpan struct {
	keyStart, keyEnd, valStart, valEnd int32
	kind                               valueKind
	keyEscaped, valEscaped             bool
}

// reset empties pm for the page body, keeping its buffers.
func (pm *pageMembers) reset(body []byte) {
	pm.body, pm.records, pm.members = body, pm.records[:0], pm.members[:0]
}

// of returns the members of record n of a page, rec, when pm holds them: when rec is still the
// very slice of the body splitPage found (a callee may have changed a page's records before
// writing it).
func (pm *pageMembers) of(n int, rec []byte) ([]memberSpan, bool) {
	if pm == nil || n >= len(pm.records) {
		return nil, false
	}
	r := pm.records[n]
	if len(rec) == 0 || int(r.end-r.start) != len(rec) || &rec[0] != &pm.body[r.start] {
		return nil, false
	}
	return pm.members[r.from:r.to], true
}

// recordMembers walks one record's members: from the spans splitPage found, or by scanning it.
type recordMembers struct {
	rec     []byte
	spans   []memberSpan
	spanned bool
	scan    memberScanner
}

// membersOf returns the walk of record n of p, rec.
func membersOf(p *Page, n int, rec []byte) recordMembers {
	if spans, ok := p.members.of(n, rec); ok {
		return recordMembers{rec: rec, spans: spans, spanned: true}
	}
	return recordMembers{rec: rec, scan: newMemberScanner(rec)}
}

// next returns the next member's key and value, as memberScanner.next does.
func (m *recordMembers) next() (key, val jsonText, ok bool, err error) {
	if !m.spanned {
		return m.scan.next()
	}
	if len(m.spans) == 0 {
		return key, val, false, nil
	}
	s := &m.spans[0]
	m.spans = m.spans[1:]
	key = jsonText{raw: m.rec[s.keyStart:s.keyEnd], kind: kindString, escaped: s.keyEscaped}
	val = jsonText{raw: m.rec[s.valStart:s.valEnd], kind: s.kind, escaped: s.valEscaped}
	return key, val, true, nil
}

// splitPage is splitRecords, also noting in pm, when it is not nil, where each record and each of
// its members stand.
func splitPage(body []byte, dst []json.RawMessage, pm *pageMembers) ([]json.RawMessage, error) {
	if pm != nil {
		pm.reset(body)
	}
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
			i, err = scanRecord(body, i, pm)
			if tm, ok := err.(*tooManyMembers); ok {
				tm.record = len(dst)
			}
		case i < len(body) && body[i] == 'n':
			i, err = scanLiteral(body, i, "null")
		default:
			err = fmt.Errorf("record %d is not a JSON object: %w", len(dst), syntaxError(body, i, "an object"))
		}
		if err != nil {
			return dst, err
		}
		dst = append(dst, body[start:i:i])
		if pm != nil {
			if body[start] == 'n' { // a null record: no member
				n := int32(len(pm.members))
				pm.records = append(pm.records, recordSpan{start: int32(start), end: int32(i), from: n, to: n})
			}
			pm.records[len(pm.records)-1].end = int32(i)
		}
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

// scanRecord checks the JSON object starting at b[i] == '{' and returns the index after it. When pm
// is not nil, it appends the record and its members to pm (the record's end is left to the caller).
func scanRecord(b []byte, i int, pm *pageMembers) (int, error) {
	start := i
	if pm != nil {
		n := int32(len(pm.members))
		pm.records = append(pm.records, recordSpan{start: int32(start), from: n, to: n})
	}
	s := memberScanner{b: b, i: i}
	members := 0
	for {
		key, val, ok, err := s.next()
		if err != nil {
			return 0, err
		}
		if !ok {
			if pm != nil && pm.maxMembers > 0 && members > pm.maxMembers {
				return 0, &tooManyMembers{members: members}
			}
			return s.i, nil
		}
		members++
		if pm != nil && pm.maxMembers > 0 && members > pm.maxMembers {
			continue // counted, not noted: the record is refused at its end
		}
		if pm != nil {
			pm.members = append(pm.members, memberSpan{
				keyStart: int32(s.keyAt - start), keyEnd: int32(s.keyAt - start + len(key.raw)),
				valStart: int32(s.valAt - start), valEnd: int32(s.valAt - start + len(val.raw)),
				kind: val.kind, keyEscaped: key.escaped, valEscaped: val.escaped,
			})
			pm.records[len(pm.records)-1].to++
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
	// keyAt and valAt are where the last member's key and value start in b.
	keyAt, valAt int
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
	s.keyAt = i
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
	s.i, s.valAt = i, start
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
