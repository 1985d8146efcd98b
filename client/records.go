package client

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"unicode/utf8"
)

// Source yields the records of an upload one at a time, already encoded. Next appends the next
// record, as one JSON object, to dst and returns the extended slice; it returns io.EOF (and dst
// unchanged) after the last record. The uploader appends straight into a block's request body, so
// a source that encodes without allocating keeps the whole upload path allocation-free.
//
// The ready sources are NewCSVSource, NewJSONLinesSource and Records. Records from any other Source
// are checked by the uploader before they are sent: each must be a JSON object of scalar values,
// with known keys when the columns are known.
//
// A Source that only watches another one (counting its records, naming its errors, stopping early)
// may say so with a method Unwrap() Source returning it, in the manner of errors.Unwrap. Its Next
// must then return exactly what the other Source's Next returns, records and errors alike (an
// error of its own aside). The uploader then treats the records as the other Source's: those of a
// ready source are not checked a second time.
type Source interface {
	Next(dst []byte) ([]byte, error)
}

// sourceWrapper is a Source watching another one (see Source).
type sourceWrapper interface {
	Unwrap() Source
}

// innerSource returns the Source src watches through any number of wrappers, or src.
func innerSource(src Source) Source {
	for range 100 { // a chain this long is a loop
		w, ok := src.(sourceWrapper)
		if !ok {
			return src
		}
		inner := w.Unwrap()
		if inner == nil {
			return src
		}
		src = inner
	}
	return src
}

// columnChecker is implemented by the ready sources: Upload hands them the known columns once, and
// they check each record themselves (the CSV source checks only its header).
type columnChecker interface {
	checkColumns(known map[string]struct{}) error
}

// releaser is implemented by sources holding resources that Upload must free when it returns.
type releaser interface {
	release()
}

// recordsSource encodes Records pulled from an iterator.
type recordsSource struct {
	seq   iter.Seq2[Record, error]
	next  func() (Record, error, bool) // set by the first Next, with stop
	stop  func()
	index int64
	keys  []string
	known map[string]struct{}
}

// Records returns a source of the records of seq, encoded with their keys in sorted order. A value
// must be a JSON scalar: nil, a string, a bool, an integer or float type, json.Number, or any type
// that encoding/json encodes as a scalar (time.Time, for instance); a nested map or slice is an
// error naming the record's index and key (matching ErrInvalidRecord). An error yielded by seq ends
// the upload with that error.
//
// The source pulls from seq as it is read (with iter.Pull2, from the first Next on). Upload and
// UploadDataset stop seq when they return; if you call Next yourself, read to io.EOF, or seq stays
// suspended.
func Records(seq iter.Seq2[Record, error]) Source {
	return &recordsSource{seq: seq}
}

// Next appends the next record to dst; io.EOF after the last one.
func (s *recordsSource) Next(dst []byte) ([]byte, error) {
	if s.next == nil {
		s.next, s.stop = iter.Pull2(s.seq)
	}
	rec, err, ok := s.next()
	if !ok {
		return dst, io.EOF
	}
	i := s.index
	s.index++
	if err != nil {
		return dst, fmt.Errorf("data8: record %d: %w", i, err)
	}
	s.keys = s.keys[:0]
	for k := range rec {
		s.keys = append(s.keys, k)
	}
	slices.Sort(s.keys)
	start := len(dst)
	dst = append(dst, '{')
	for n, k := range s.keys {
		if s.known != nil {
			if _, ok := s.known[k]; !ok {
				return dst[:start], invalidRecord("record %d: key %q is not a column of the dataset", i, k)
			}
		}
		if !utf8.ValidString(k) {
			return dst[:start], invalidRecord("record %d: key %q is not valid UTF-8", i, k)
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		v := rec[k]
		var verr error
		dst, verr = appendScalar(dst, v)
		if errors.Is(verr, errNotScalar) {
			return dst[:start], invalidRecord("record %d: value of key %q is a %T; values must be strings, numbers, booleans or null", i, k, v)
		}
		if verr != nil {
			return dst[:start], invalidRecord("record %d: value of key %q: %v", i, k, verr)
		}
	}
	return append(dst, '}'), nil
}

func (s *recordsSource) checkColumns(known map[string]struct{}) error {
	s.known = known
	return nil
}

func (s *recordsSource) release() {
	if s.stop != nil {
		s.stop()
	}
}
