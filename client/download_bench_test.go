package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
)

// benchPage returns a page of n records of six text columns, as the server sends them, and the
// columns.
func benchPage(n int) (*client.Page, []string) {
	cols := []string{"address", "email", "firstname", "lastname", "postcode", "town"}
	recs := make([]json.RawMessage, n)
	for i := range n {
		b, _ := json.Marshal(map[string]string{
			"firstname": "Firstname" + itoa(i), "lastname": "Lastname" + itoa(i),
			"email": "person" + itoa(i) + "@example.com", "address": itoa(i%500+1) + " High Street",
			"town": "Town " + itoa(i%997), "postcode": "AB" + itoa(i%90+10) + " 1CD",
		})
		recs[i] = b
	}
	return &client.Page{Number: 1, Records: recs}, cols
}

// perRecord measures allocations from its creation to report, and reports the benchmark's time and
// allocations per record, n records per op.
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

// BenchmarkDownloadCSV downloads 50,000 records of six text columns per op over loopback (no added
// latency) through Download and CSVWriter into io.Discard: the client's whole download path. The
// pages are data8test's answers, recorded once and then served as bytes, so that the figures are
// the client's; allocs/record counts the serving's few allocations too.
//
//	go test -run '^$' -bench DownloadCSV -benchmem -count 6 ./client/
func BenchmarkDownloadCSV(b *testing.B) {
	const n = 50_000
	s := data8test.NewServer()
	defer s.Close()
	ctx := context.Background()
	_, cols := benchPage(0)
	m := map[string]int{}
	for _, col := range cols {
		m[col] = 0
	}
	if _, err := s.Client().CreateDataset(ctx, "bench", m); err != nil {
		b.Fatal(err)
	}
	src, err := client.NewCSVSource(bytes.NewReader(benchUploadCSV(n)))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Client().Upload(ctx, "bench", src, client.UploadOptions{}); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	pages := map[string][]byte{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/Dataset/bench/data") {
			s.Handler().ServeHTTP(w, r)
			return
		}
		mu.Lock()
		body, ok := pages[r.URL.RawQuery]
		mu.Unlock()
		if !ok {
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Errorf("page %s: %d", r.URL.RawQuery, rec.Code)
			}
			body = rec.Body.Bytes()
			mu.Lock()
			pages[r.URL.RawQuery] = body
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	defer ts.Close()
	su, _ := url.Parse(s.URL)
	tu, _ := url.Parse(ts.URL)
	c, err := client.New(
		client.WithBaseURL(strings.Replace(s.URL, su.Host, tu.Host, 1)),
		client.WithTokenURL(strings.Replace(s.TokenURL, su.Host, tu.Host, 1)),
		client.WithCredentials(s.ClientID, s.ClientSecret),
	)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	download := func() {
		cw, err := client.NewCSVWriter(io.Discard, cols, nil)
		if err != nil {
			b.Fatal(err)
		}
		res, err := c.Download(ctx, "bench", cw.WritePage, client.DownloadOptions{})
		if err != nil || res.Records != n {
			b.Fatal(res, err)
		}
	}
	download() // records the pages
	b.ReportAllocs()
	pr := newPerRecord(b, n)
	for b.Loop() {
		download()
	}
	pr.report()
}
