package main

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// maxBlockRecords is the most records a block may hold.
const maxBlockRecords = 1000

// scannedBlock is an uploaded block as the bench server keeps it: the records array's bytes as sent
// and where each record lies in them, so that pages can be cut without decoding a record.
type scannedBlock struct {
	number int64
	array  []byte  // the records array, brackets included
	spans  []int32 // start and end offsets of each record in array, in pairs
}

func (b *scannedBlock) records() int { return len(b.spans) / 2 }

// record returns the bytes of record i.
func (b *scannedBlock) record(i int) []byte { return b.array[b.spans[2*i]:b.spans[2*i+1]] }

// scanBlock reads a RecordBlock body ({"blockNumber":N,"records":[{...},...]}, members in any order,
// unknown members skipped) without decoding the records: it finds where each one starts and ends.
// It checks the structure a server must (an object with both members, a number from 0, at most
// 1,000 records, each an object), not the JSON grammar of every value.
func scanBlock(body []byte) (scannedBlock, error) {
	s := scanner{b: body}
	var blk scannedBlock
	haveNum, haveRecs := false, false
	s.ws()
	if !s.eat('{') {
		return blk, errors.New("body is not a JSON object")
	}
	for first := true; ; first = false {
		s.ws()
		if s.eat('}') {
			break
		}
		if !first {
			if !s.eat(',') {
				return blk, s.errorf("expected , or }")
			}
			s.ws()
		}
		key, err := s.str()
		if err != nil {
			return blk, err
		}
		s.ws()
		if !s.eat(':') {
			return blk, s.errorf("expected :")
		}
		s.ws()
		switch string(key) {
		case "blockNumber":
			start := s.i
			if err := s.skip(); err != nil {
				return blk, err
			}
			n, err := strconv.ParseInt(string(body[start:s.i]), 10, 32)
			if err != nil || n < 0 {
				return blk, fmt.Errorf("blockNumber %s is not an integer from 0", body[start:s.i])
			}
			blk.number, haveNum = n, true
		case "records":
			if err := s.records(&blk); err != nil {
				return blk, err
			}
			haveRecs = true
		default:
			if err := s.skip(); err != nil {
				return blk, err
			}
		}
	}
	s.ws()
	switch {
	case s.i != len(body):
		return blk, s.errorf("data after the object")
	case !haveNum:
		return blk, errors.New("no blockNumber")
	case !haveRecs:
		return blk, errors.New("no records")
	}
	return blk, nil
}

// scanner walks JSON text.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", s.i, fmt.Sprintf(format, args...))
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// records reads the records array into blk.
func (s *scanner) records(blk *scannedBlock) error {
	start := s.i
	if !s.eat('[') {
		return s.errorf("records is not an array")
	}
	for first := true; ; first = false {
		s.ws()
		if s.eat(']') {
			break
		}
		if !first {
			if !s.eat(',') {
				return s.errorf("expected , or ] in records")
			}
			s.ws()
		}
		if s.i >= len(s.b) || s.b[s.i] != '{' {
			return fmt.Errorf("records[%d] is not an object", len(blk.spans)/2)
		}
		if len(blk.spans)/2 == maxBlockRecords {
			return fmt.Errorf("more than %d records", maxBlockRecords)
		}
		r := s.i
		if err := s.skip(); err != nil {
			return err
		}
		blk.spans = append(blk.spans, int32(r-start), int32(s.i-start))
	}
	blk.array = s.b[start:s.i]
	return nil
}

// str reads a string and returns its raw contents (escapes left as they are).
func (s *scanner) str() ([]byte, error) {
	if !s.eat('"') {
		return nil, s.errorf("expected a string")
	}
	from := s.i
	for {
		k := bytes.IndexByte(s.b[s.i:], '"')
		if k < 0 {
			return nil, errors.New("unterminated string")
		}
		end := s.i + k
		// The quote ends the string unless an odd run of backslashes precedes it.
		bs := 0
		for j := end - 1; j >= from && s.b[j] == '\\'; j-- {
			bs++
		}
		s.i = end + 1
		if bs%2 == 0 {
			return s.b[from:end], nil
		}
	}
}

// skip passes over one value.
func (s *scanner) skip() error {
	if s.i >= len(s.b) {
		return s.errorf("expected a value")
	}
	switch s.b[s.i] {
	case '"':
		_, err := s.str()
		return err
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, err := s.str(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return s.errorf("unterminated object or array")
	}
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if s.i == start {
				return s.errorf("expected a value")
			}
			return nil
		}
		s.i++
	}
	return nil
}
