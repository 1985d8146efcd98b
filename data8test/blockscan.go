package data8test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// blockScan is the hand-written scanner of a RecordBlock body that the upload path uses instead of
// decoding each block into []map[string]any: it checks everything the spec and the contract say about
// a block (blockNumber an integer from 0 to 2^31-1, records an array of objects whose members are
// columns of the dataset with string, number, boolean or null values, well-formed UTF-8 JSON with
// nothing after it) and keeps each record as the byte range of the raw JSON object it was sent as.

// span is the byte range of one record in the body.
type span struct{ start, end int }

// blockScan scans one RecordBlock body.
type blockScan struct {
	b    []byte
	i    int
	cols map[string]int32
	// firstOnly checks the members of records[0] alone against cols (standin.UnknownColumnFirstRecordOnly).
	firstOnly bool

	blockNumber int64
	hasBlock    bool
	hasRecords  bool
	recs        []span
	errs        map[string][]string
	known       [32][]byte // column names known good, by member position
}

// maxScanErrors caps the members a 400 names.
const maxScanErrors = 100

// addErr records a message for a member.
func (p *blockScan) addErr(member, msg string) {
	if p.errs == nil {
		p.errs = map[string][]string{}
	}
	if _, ok := p.errs[member]; !ok && len(p.errs) >= maxScanErrors {
		return
	}
	p.errs[member] = append(p.errs[member], msg)
}

// syntaxError is malformed JSON at an offset.
type syntaxError struct {
	off int
	msg string
}

// Error describes the syntax error and where it is.
func (e *syntaxError) Error() string { return fmt.Sprintf("invalid JSON at byte %d: %s", e.off, e.msg) }

func (p *blockScan) fail(msg string) error { return &syntaxError{off: p.i, msg: msg} }

// ws skips white space.
func (p *blockScan) ws() {
	for p.i < len(p.b) && p.b[p.i] <= ' ' {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end.
func (p *blockScan) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// expect consumes byte c after white space.
func (p *blockScan) expect(c byte) error {
	p.ws()
	if p.peek() != c {
		if p.i >= len(p.b) {
			return p.fail(fmt.Sprintf("unexpected end, expected %q", c))
		}
		return p.fail(fmt.Sprintf("expected %q", c))
	}
	p.i++
	return nil
}

// parse scans the whole body: one object, nothing after it.
func (p *blockScan) parse() error {
	if err := p.expect('{'); err != nil {
		return err
	}
	p.ws()
	if p.peek() == '}' {
		p.i++
	} else {
		for {
			p.ws()
			key, err := p.key()
			if err != nil {
				return err
			}
			if err := p.expect(':'); err != nil {
				return err
			}
			p.ws()
			switch string(key) {
			case "blockNumber":
				p.hasBlock = true
				if err := p.blockNum(); err != nil {
					return err
				}
			case "records":
				p.hasRecords = true
				if err := p.records(); err != nil {
					return err
				}
			default:
				if err := p.skip(0); err != nil {
					return err
				}
			}
			p.ws()
			if p.peek() == ',' {
				p.i++
				continue
			}
			if err := p.expect('}'); err != nil {
				return err
			}
			break
		}
	}
	p.ws()
	if p.i != len(p.b) {
		return p.fail("unexpected data after the JSON object")
	}
	return nil
}

// blockNum scans the value of blockNumber.
func (p *blockScan) blockNum() error {
	c := p.peek()
	if c != '-' && (c < '0' || c > '9') {
		if err := p.skip(0); err != nil {
			return err
		}
		p.addErr("blockNumber", "The blockNumber must be an integer.")
		return nil
	}
	start := p.i
	isInt, err := p.number()
	if err != nil {
		return err
	}
	if !isInt {
		p.addErr("blockNumber", "The blockNumber must be an integer.")
		return nil
	}
	v, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
	switch {
	case err != nil && p.b[start] == '-', err == nil && v < 0:
		p.addErr("blockNumber", "The blockNumber must be 0 or more.")
	case err != nil || v > 1<<31-1:
		p.addErr("blockNumber", "The blockNumber must be at most 2147483647.")
	default:
		p.blockNumber = v
	}
	return nil
}

// records scans the records array.
func (p *blockScan) records() error {
	p.recs = p.recs[:0]
	if p.peek() != '[' {
		if err := p.skip(0); err != nil {
			return err
		}
		p.addErr("records", "The records must be an array of records.")
		return nil
	}
	p.i++
	p.ws()
	if p.peek() == ']' {
		p.i++
		return nil
	}
	if p.recs == nil {
		p.recs = make([]span, 0, 64)
	}
	for idx := 0; ; idx++ {
		p.ws()
		if p.peek() == '{' {
			if err := p.record(idx); err != nil {
				return err
			}
		} else {
			if err := p.skip(0); err != nil {
				return err
			}
			p.addErr(fmt.Sprintf("records[%d]", idx), "A record must be a JSON object.")
			p.recs = append(p.recs, span{})
		}
		p.ws()
		if p.peek() == ',' {
			p.i++
			continue
		}
		return p.expect(']')
	}
}

// record scans one record object, the idx-th of the block.
func (p *blockScan) record(idx int) error {
	start := p.i
	p.i++
	p.ws()
	if p.peek() == '}' {
		p.i++
		p.recs = append(p.recs, span{start, p.i})
		return nil
	}
	for member := 0; ; {
		p.ws()
		key, err := p.key()
		if err != nil {
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		p.ws()
		switch c := p.peek(); {
		case c == '"':
			if _, err := p.str(); err != nil {
				return err
			}
		case c == 't':
			err = p.lit("true")
		case c == 'f':
			err = p.lit("false")
		case c == 'n':
			err = p.lit("null")
		case c == '-' || c >= '0' && c <= '9':
			start := p.i
			var isInt bool
			if isInt, err = p.number(); err == nil && (!isInt || p.i-start > 15) {
				// Readers decode numbers as float64: one out of its range could not be read back.
				if _, perr := strconv.ParseFloat(string(p.b[start:p.i]), 64); perr != nil {
					p.addErr(fmt.Sprintf("records[%d].%s", idx, key), "The number is out of range.")
				}
			}
		case c == '{' || c == '[':
			if err = p.skip(0); err == nil {
				p.addErr(fmt.Sprintf("records[%d].%s", idx, key), "A value must be a string, number, boolean or null.")
			}
		default:
			return p.fail("expected a value")
		}
		if err != nil {
			return err
		}
		if p.cols != nil && (idx == 0 || !p.firstOnly) {
			// Records mostly repeat the member names of the one before: compare with the name seen at
			// this position before the map lookup.
			if member >= len(p.known) || p.known[member] == nil || !bytes.Equal(p.known[member], key) {
				if _, ok := p.cols[string(key)]; ok {
					if member < len(p.known) {
						p.known[member] = key
					}
				} else {
					p.addErr(fmt.Sprintf("records[%d].%s", idx, key), fmt.Sprintf("The dataset has no column %s.", key))
				}
			}
		}
		member++
		p.ws()
		if p.peek() == ',' {
			p.i++
			continue
		}
		if err := p.expect('}'); err != nil {
			return err
		}
		p.recs = append(p.recs, span{start, p.i})
		return nil
	}
}

// key scans a member name and returns it unescaped.
func (p *blockScan) key() ([]byte, error) {
	if p.peek() != '"' {
		return nil, p.fail("expected a member name")
	}
	start := p.i
	esc, err := p.str()
	if err != nil {
		return nil, err
	}
	if !esc {
		return p.b[start+1 : p.i-1], nil
	}
	var k string
	if err := json.Unmarshal(p.b[start:p.i], &k); err != nil {
		return nil, &syntaxError{off: start, msg: "bad member name"}
	}
	return []byte(k), nil
}

// strSafe marks the bytes a string scan can pass over without a closer look.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans a string and reports whether it has escapes.
func (p *blockScan) str() (esc bool, err error) {
	p.i++ // the opening quote
	b := p.b
	for {
		// Eight bytes at a time while none is a quote, a backslash, a control character or non-ASCII.
		for p.i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[p.i:])
			if (x|(x-lo*0x20)|hasZero(x^(lo*'"'))|hasZero(x^(lo*'\\')))&hi != 0 {
				break
			}
			p.i += 8
		}
		for p.i < len(b) && strSafe[b[p.i]] {
			p.i++
		}
		if p.i >= len(b) {
			return esc, p.fail("unterminated string")
		}
		switch c := b[p.i]; {
		case c == '"':
			p.i++
			return esc, nil
		case c == '\\':
			esc = true
			if p.i+1 >= len(b) {
				return esc, p.fail("unterminated escape")
			}
			switch b[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if p.i+6 > len(b) || !isHex(b[p.i+2]) || !isHex(b[p.i+3]) || !isHex(b[p.i+4]) || !isHex(b[p.i+5]) {
					return esc, p.fail("bad \\u escape")
				}
				p.i += 6
			default:
				return esc, p.fail("bad escape")
			}
		case c < 0x20:
			return esc, p.fail("control character in string")
		default:
			r, size := utf8.DecodeRune(b[p.i:])
			if r == utf8.RuneError && size <= 1 {
				return esc, p.fail("invalid UTF-8 in string")
			}
			p.i += size
		}
	}
}

// SWAR constants: lo has 1 in every byte, hi has the top bit of every byte.
const (
	lo = 0x0101010101010101
	hi = 0x8080808080808080
)

// hasZero has the top bit set in the bytes of x that are zero (and possibly above a zero byte: only
// whether any is set matters here).
func hasZero(x uint64) uint64 { return (x - lo) &^ x }

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number scans a number and reports whether it is an integer literal (no fraction, no exponent).
func (p *blockScan) number() (isInt bool, err error) {
	b := p.b
	if p.peek() == '-' {
		p.i++
	}
	switch {
	case p.peek() == '0':
		p.i++
	case p.i < len(b) && b[p.i] >= '1' && b[p.i] <= '9':
		for p.i < len(b) && isDigit(b[p.i]) {
			p.i++
		}
	default:
		return false, p.fail("bad number")
	}
	isInt = true
	if p.peek() == '.' {
		isInt = false
		p.i++
		if !isDigit(p.peek()) {
			return false, p.fail("bad number")
		}
		for p.i < len(b) && isDigit(b[p.i]) {
			p.i++
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		isInt = false
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if !isDigit(p.peek()) {
			return false, p.fail("bad number")
		}
		for p.i < len(b) && isDigit(b[p.i]) {
			p.i++
		}
	}
	return isInt, nil
}

// lit scans the literal word.
func (p *blockScan) lit(word string) error {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return p.fail("bad literal")
	}
	p.i += len(word)
	return nil
}

// maxDepth caps the nesting of skipped values.
const maxDepth = 200

// skip scans any JSON value.
func (p *blockScan) skip(depth int) error {
	if depth > maxDepth {
		return p.fail("nested too deeply")
	}
	p.ws()
	switch c := p.peek(); {
	case c == '"':
		_, err := p.str()
		return err
	case c == 't':
		return p.lit("true")
	case c == 'f':
		return p.lit("false")
	case c == 'n':
		return p.lit("null")
	case c == '-' || isDigit(c):
		_, err := p.number()
		return err
	case c == '[':
		p.i++
		p.ws()
		if p.peek() == ']' {
			p.i++
			return nil
		}
		for {
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			if p.peek() == ',' {
				p.i++
				continue
			}
			return p.expect(']')
		}
	case c == '{':
		p.i++
		p.ws()
		if p.peek() == '}' {
			p.i++
			return nil
		}
		for {
			p.ws()
			if _, err := p.key(); err != nil {
				return err
			}
			if err := p.expect(':'); err != nil {
				return err
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			if p.peek() == ',' {
				p.i++
				continue
			}
			return p.expect('}')
		}
	case c == 0 && p.i >= len(p.b):
		return p.fail("unexpected end")
	}
	return p.fail("expected a value")
}
