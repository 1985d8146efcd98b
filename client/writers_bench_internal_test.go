package client

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"testing"
)

// benchPageBody returns the answer of a page of n records of six text columns, as a server sends
// it, and the columns.
func benchPageBody(n int) ([]byte, []string) {
	b := []byte{'['}
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		v := int64(i)
		b = strconv.AppendInt(append(b, `{"firstname":"Firstname`...), v, 10)
		b = strconv.AppendInt(append(b, `","lastname":"Lastname`...), v, 10)
		b = strconv.AppendInt(append(b, `","email":"person`...), v, 10)
		b = strconv.AppendInt(append(b, `@example.com","address":"`...), v%500+1, 10)
		b = strconv.AppendInt(append(b, ` High Street","town":"Town `...), v%997, 10)
		b = strconv.AppendInt(append(b, `","postcode":"AB`...), v%90+10, 10)
		b = append(b, ` 1CD"}`...)
	}
	return append(b, ']'), []string{"address", "email", "firstname", "lastname", "postcode", "town"}
}

// benchWritePage runs write on a page of 1,000 records as Download hands it on (split, with its
// members noted) and reports time and allocations per record.
func benchWritePage(b *testing.B, write func(*Page) error) {
	const n = 1000
	body, _ := benchPageBody(n)
	var pm pageMembers
	recs, err := splitPage(body, nil, &pm)
	if err != nil {
		b.Fatal(err)
	}
	p := &Page{Number: 1, Records: recs, members: &pm}
	b.ReportAllocs()
	pr := newPerRecord(b, n)
	for b.Loop() {
		if err := write(p); err != nil {
			b.Fatal(err)
		}
	}
	pr.report()
}

// perRecord measures allocations from its creation to report, and reports the benchmark's time and
// allocations per record, n records an op.
type perRecord struct {
	b       *testing.B
	n       int
	mallocs uint64
}

func newPerRecord(b *testing.B, n int) *perRecord {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return &perRecord{b: b, n: n, mallocs: m.Mallocs}
}

func (p *perRecord) report() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	records := float64(p.b.N * p.n)
	p.b.ReportMetric(float64(p.b.Elapsed().Nanoseconds())/records, "ns/record")
	p.b.ReportMetric(float64(m.Mallocs-p.mallocs)/records, "allocs/record")
}

// BenchmarkCSVWriterPage writes a page of 1,000 records of six text columns as CSV from the
// members Download noted (the download's fast path without the network):
//
//	go test -run '^$' -bench 'WriterPage|SplitPage|ReadBody' -benchmem ./client/
func BenchmarkCSVWriterPage(b *testing.B) {
	_, cols := benchPageBody(0)
	cw, err := NewCSVWriter(io.Discard, cols, nil)
	if err != nil {
		b.Fatal(err)
	}
	benchWritePage(b, cw.WritePage)
}

// BenchmarkJSONLinesWriterPage writes the same page as JSON Lines.
func BenchmarkJSONLinesWriterPage(b *testing.B) {
	_, cols := benchPageBody(0)
	jw, err := NewJSONLinesWriter(io.Discard, cols, nil)
	if err != nil {
		b.Fatal(err)
	}
	benchWritePage(b, jw.WritePage)
}

// BenchmarkSplitPage checks and splits a page of 1,000 records, noting their members, as each of
// Download's fetchers does, into reused buffers.
func BenchmarkSplitPage(b *testing.B) {
	const n = 1000
	body, _ := benchPageBody(n)
	var pm pageMembers
	var recs []json.RawMessage
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	pr := newPerRecord(b, n)
	for b.Loop() {
		var err error
		if recs, err = splitPage(body, recs[:0], &pm); err != nil || len(recs) != n {
			b.Fatal(len(recs), err)
		}
	}
	pr.report()
}

// BenchmarkReadBody reads a page's answer of 1,000 records (with its Content-Length) into a buffer
// reused page after page, as Download does.
func BenchmarkReadBody(b *testing.B) {
	const n = 1000
	body, _ := benchPageBody(n)
	r := bytes.NewReader(body)
	resp := &http.Response{Body: io.NopCloser(r), ContentLength: int64(len(body))}
	var buf []byte
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	pr := newPerRecord(b, n)
	for b.Loop() {
		r.Reset(body)
		var err error
		if buf, err = readBody(resp, buf); err != nil || len(buf) != len(body) {
			b.Fatal(len(buf), err)
		}
	}
	pr.report()
}

// BenchmarkCheckObject checks 1,000 records against the dataset's columns, as the uploader checks
// each record of a Source that is not one of the ready ones.
func BenchmarkCheckObject(b *testing.B) {
	const n = 1000
	body, cols := benchPageBody(n)
	recs, err := splitRecords(body, nil)
	if err != nil {
		b.Fatal(err)
	}
	known := make(map[string]struct{}, len(cols))
	for _, c := range cols {
		known[c] = struct{}{}
	}
	b.ReportAllocs()
	pr := newPerRecord(b, n)
	for b.Loop() {
		for _, r := range recs {
			if err := checkObject(r, known); err != nil {
				b.Fatal(err)
			}
		}
	}
	pr.report()
}
