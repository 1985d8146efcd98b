package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/opid"
)

// wantRecord is the i-th test record as a read gives it back.
func wantRecord(i int) client.Record {
	return client.Record{"id": strconv.Itoa(i), "name": fmt.Sprintf("name %d", i), "n": json.Number(strconv.Itoa(i))}
}

// checkRead fails the test unless a read, named how, gave exactly the n records testRecords(n)
// uploads, in order, and no error.
func checkRead(t *testing.T, how string, recs []client.Record, err error, n int) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", how, err)
	}
	if len(recs) != n {
		t.Fatalf("%s: %d records, want %d", how, len(recs), n)
	}
	for i, r := range recs {
		if !reflect.DeepEqual(r, wantRecord(i)) {
			t.Fatalf("%s: record %d = %v", how, i, r)
		}
	}
}

// decodeRecord reads a raw record as ReadRecords does.
func decodeRecord(t *testing.T, raw []byte) client.Record {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var r client.Record
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("record %s: %v", raw, err)
	}
	return r
}

// collect downloads dataset and returns its records, decoded, with the progress reports.
func collect(t *testing.T, c *client.Client, dataset string, conc int) ([]client.Record, []client.DownloadProgress, *client.DownloadResult, error) {
	t.Helper()
	var recs []client.Record
	var prog []client.DownloadProgress
	next := int64(0)
	res, err := c.Download(testContext(t), dataset, func(p *client.Page) error {
		if p.First != next {
			t.Errorf("page %d starts at record %d, want %d", p.Number, p.First, next)
		}
		next += int64(len(p.Records))
		for _, r := range p.Records {
			recs = append(recs, decodeRecord(t, r))
		}
		return nil
	}, client.DownloadOptions{Concurrency: conc, Progress: func(p client.DownloadProgress) { prog = append(prog, p) }})
	return recs, prog, res, err
}

func TestDownloadExactRecordsInOrder(t *testing.T) {
	const n = 10_001
	srv := newServer(t)
	c := newClient(srv)
	createDataset(t, c, "big", testColumns...)
	if _, err := c.Upload(testContext(t), "big", client.Records(testRecords(n)), client.UploadOptions{BlockSize: 333}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteDataset(testContext(t), "big", n); err != nil {
		t.Fatal(err)
	}
	for _, conc := range []int{1, 8} {
		t.Run(fmt.Sprintf("window %d", conc), func(t *testing.T) {
			before := srv.RequestCounts()[opid.DatasetGetData]
			recs, prog, res, err := collect(t, c, "big", conc)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != n {
				t.Fatalf("%d records, want %d", len(recs), n)
			}
			for i, r := range recs {
				if !reflect.DeepEqual(r, wantRecord(i)) {
					t.Fatalf("record %d = %v, want %v", i, r, wantRecord(i))
				}
			}
			// 11 pages of 1,000, the last short: no page past it is asked for.
			if got := srv.RequestCounts()[opid.DatasetGetData] - before; got != 11 {
				t.Errorf("%d pages fetched, want 11", got)
			}
			if res.Pages != 11 || res.Records != n || res.RecordCount != n || res.Bytes == 0 {
				t.Errorf("result %+v", res)
			}
			if len(prog) != 11 || prog[10].Records != n || prog[0].Records != 1000 || prog[0].TotalRecords != n {
				t.Errorf("progress %+v", prog)
			}
		})
	}
	// ReadRecords reads the same records.
	i := 0
	for rec, err := range c.ReadRecords(testContext(t), "big") {
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rec, wantRecord(i)) {
			t.Fatalf("ReadRecords record %d = %v", i, rec)
		}
		i++
	}
	if i != n {
		t.Errorf("ReadRecords gave %d records", i)
	}
}

func TestDownloadRetriesAPage(t *testing.T) {
	srv := newServer(t, data8test.WithFaultScript(
		data8test.Fault{Op: opid.DatasetGetData, Call: 3, Kind: data8test.Fault503},
		data8test.Fault{Op: opid.DatasetGetData, Call: 5, Kind: data8test.Fault500},
	))
	c := newClient(srv)
	createDataset(t, c, "ds", testColumns...)
	if _, err := c.Upload(testContext(t), "ds", client.Records(testRecords(4500)), client.UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, _, _, err := collect(t, c, "ds", 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4500 {
		t.Fatalf("%d records", len(recs))
	}
	for i, r := range recs {
		if !reflect.DeepEqual(r, wantRecord(i)) {
			t.Fatalf("record %d = %v", i, r)
		}
	}
	if got := srv.RequestCounts()[opid.DatasetGetData]; got != 7 {
		t.Errorf("%d page requests, want 5 pages and 2 retries", got)
	}
}

// readServer imitates the read path of the API (GET /Dataset/{name} and GET /Dataset/{name}/data)
// for one dataset of n records served pageSize a page, and can misbehave the ways a server might.
// The client reaches it with a fixed bearer token.
type readServer struct {
	name     string
	n        int   // records served
	stated   int64 // the dataset's recordCount
	pageSize int
	// ignorePage answers page 1 whatever page is asked for; forever answers full pages of new
	// records past the end; hold, when set, is called before a page is answered.
	ignorePage, forever bool
	hold                func(r *http.Request, page int)
	// noContent answers an empty page with 204 and no body.
	noContent bool

	pages *atomic.Int32 // page requests, counted from start
}

func (rs *readServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/Dataset/" + rs.name:
		fmt.Fprintf(w, `{"name":%q,"columns":{"id":0,"name":0,"n":0},"input":false,"recordCount":%d,"completed":true}`, rs.name, rs.stated)
		return
	case "/Dataset/" + rs.name + "/data":
	default:
		http.NotFound(w, r)
		return
	}
	rs.pages.Add(1)
	page, err := strconv.Atoi(cmpOr(r.URL.Query().Get("page"), "1"))
	if err != nil || page < 1 {
		http.Error(w, "bad page", http.StatusBadRequest)
		return
	}
	if rs.hold != nil {
		rs.hold(r, page)
	}
	if rs.ignorePage {
		page = 1
	}
	from := (page - 1) * rs.pageSize
	to := min(from+rs.pageSize, rs.n)
	if rs.forever {
		to = from + rs.pageSize
	}
	if rs.noContent && to <= from {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i := from; i < to; i++ {
		if i > from {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"%d","name":"name %d","n":%d}`, i, i, i)
	}
	b.WriteByte(']')
	w.Write(b.Bytes())
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// start serves rs and returns a client of it.
func (rs *readServer) start(t *testing.T) *client.Client {
	t.Helper()
	rs.pages = new(atomic.Int32)
	hs := httptest.NewServer(rs)
	t.Cleanup(hs.Close)
	c, err := client.New(client.WithBaseURL(hs.URL), client.WithBearerToken("test-token-0123456789"),
		client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readAll reads dataset with ReadRecords, returning its records and the error that ended it.
func readAll(c *client.Client, dataset string) ([]client.Record, error) {
	var recs []client.Record
	for rec, err := range c.ReadRecords(context.Background(), dataset) {
		if err != nil {
			return recs, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

func TestReadsLearnThePageSize(t *testing.T) {
	// 500 records a page, not the contract's guessed 1,000: every record comes back.
	for _, tc := range []struct {
		n, pages int
	}{
		{5003, 11}, // the last page short
		{5000, 11}, // the last page full: one more, empty, confirms the end
		{300, 2},   // all on page 1
		{0, 1},
	} {
		t.Run(strconv.Itoa(tc.n), func(t *testing.T) {
			check := func(how string, recs []client.Record, err error, rs *readServer) {
				t.Helper()
				checkRead(t, how, recs, err, tc.n)
				if got := int(rs.pages.Swap(0)); got != tc.pages {
					t.Errorf("%s: %d page requests, want %d", how, got, tc.pages)
				}
			}
			rs := &readServer{name: "out", n: tc.n, stated: int64(tc.n), pageSize: 500}
			c := rs.start(t)
			recs, err := readAll(c, "out")
			check("ReadRecords", recs, err, rs)
			for _, conc := range []int{1, 8} {
				recs, _, res, err := collect(t, c, "out", conc)
				check(fmt.Sprintf("Download, window %d", conc), recs, err, rs)
				if res.Records != int64(tc.n) {
					t.Errorf("result %+v", res)
				}
			}
		})
	}
}

// TestReadsTakeA204AsAnEmptyPage: a server that answers an empty page with 204 and no body (the spec:
// "a 204 without a body is an empty page") is read to the end, whole, by ReadRecords and Download.
func TestReadsTakeA204AsAnEmptyPage(t *testing.T) {
	for _, n := range []int{1500, 2000, 0} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			check := func(how string, recs []client.Record, err error) {
				t.Helper()
				checkRead(t, how, recs, err, n)
			}
			rs := &readServer{name: "out", n: n, stated: int64(n), pageSize: 1000, noContent: true}
			c := rs.start(t)
			recs, err := readAll(c, "out")
			check("ReadRecords", recs, err)
			for _, conc := range []int{1, 8} {
				recs, _, _, err := collect(t, c, "out", conc)
				check(fmt.Sprintf("Download, window %d", conc), recs, err)
			}
		})
	}
}

func TestReadsFailOnBrokenPaging(t *testing.T) {
	for _, tc := range []struct {
		name string
		rs   readServer
		// the error: a *CountMismatchError with these numbers, or (want < 0) ErrPaging
		want, got int64
		maxPages  int32 // page requests allowed
	}{
		// The server ignores page: page 2 repeats page 1.
		{name: "page ignored", rs: readServer{n: 5003, stated: 5003, pageSize: 1000, ignorePage: true}, want: -1, maxPages: 11},
		// The server answers full pages for ever: the count is passed on page 6.
		{name: "pages for ever", rs: readServer{n: 5003, stated: 5003, pageSize: 1000, forever: true}, want: 5003, got: 6000, maxPages: 11},
		// The count is lower than what is served.
		{name: "count lower", rs: readServer{n: 10001, stated: 5, pageSize: 1000}, want: 5, got: 1000, maxPages: 11},
		{name: "count lower, page boundary", rs: readServer{n: 2500, stated: 2000, pageSize: 1000}, want: 2000, got: 2500, maxPages: 3},
		// The count is higher than what is served: the pages end early.
		{name: "count higher", rs: readServer{n: 5003, stated: 7000, pageSize: 500}, want: 7000, got: 5003, maxPages: 15},
		// The first page is empty.
		{name: "nothing served", rs: readServer{n: 0, stated: 10, pageSize: 500}, want: 10, got: 0, maxPages: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A fresh server for each read, so that a request cancelled late is counted with its own read.
			serve := func() (*client.Client, *readServer) {
				rs := tc.rs
				rs.name = "out"
				return rs.start(t), &rs
			}
			checkErr := func(how string, err error, rs *readServer) {
				t.Helper()
				var cm *client.CountMismatchError
				switch {
				case tc.want < 0:
					if !errors.Is(err, client.ErrPaging) || !strings.Contains(err.Error(), "page 2 repeats page 1") {
						t.Errorf("%s: error %v, want ErrPaging (page 2 repeats page 1)", how, err)
					}
				case !errors.As(err, &cm) || cm.Dataset != "out" || cm.Want != tc.want || cm.Got != tc.got:
					t.Errorf("%s: error %v, want a *CountMismatchError %d/%d", how, err, tc.want, tc.got)
				case !strings.Contains(err.Error(), strconv.FormatInt(tc.want, 10)) || !strings.Contains(err.Error(), strconv.FormatInt(tc.got, 10)):
					t.Errorf("%s: error %q does not name both numbers", how, err)
				}
				if n := rs.pages.Load(); n > tc.maxPages {
					t.Errorf("%s: %d page requests, want at most %d", how, n, tc.maxPages)
				}
			}
			c, rs := serve()
			recs, err := readAll(c, "out")
			checkErr("ReadRecords", err, rs)
			if int64(len(recs)) > tc.rs.stated {
				t.Errorf("ReadRecords yielded %d records past the count %d", len(recs), tc.rs.stated)
			}
			for _, conc := range []int{1, 8} {
				c, rs := serve()
				recs, _, _, err := collect(t, c, "out", conc)
				checkErr(fmt.Sprintf("Download, window %d", conc), err, rs)
				if int64(len(recs)) > tc.rs.stated {
					t.Errorf("Download handed on %d records past the count %d", len(recs), tc.rs.stated)
				}
			}
		})
	}
}

func TestDownloadWriterErrorStops(t *testing.T) {
	rs := &readServer{name: "out", n: 20_000, stated: 20_000, pageSize: 100}
	c := rs.start(t)
	stop := errors.New("disk full")
	calls := 0
	res, err := c.Download(testContext(t), "out", func(p *client.Page) error {
		calls++
		if p.Number == 3 {
			return stop
		}
		return nil
	}, client.DownloadOptions{Concurrency: 4})
	if err != stop || calls != 3 || res.Records != 200 || res.Pages != 2 {
		t.Errorf("error %v after %d calls, result %+v", err, calls, res)
	}
	// Page 3 failed: at most the window (and the page the producer held) was fetched past it.
	if n := rs.pages.Load(); n > 3+4+1 {
		t.Errorf("%d pages fetched", n)
	}
}

func TestDownloadCancelledPromptlyNoLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// Page 4 and later never come until the test has its answer: the server holds them until the
	// client gives up on them (or the test ends).
	release := make(chan struct{})
	var once sync.Once
	held := make(chan struct{})
	rs := &readServer{name: "out", n: 50_000, stated: 50_000, pageSize: 1000, hold: func(r *http.Request, page int) {
		if page >= 4 {
			once.Do(func() { close(held) })
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	}}
	rs.pages = new(atomic.Int32)
	hs := httptest.NewServer(rs)
	c, err := client.New(client.WithBaseURL(hs.URL), client.WithBearerToken("test-token-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testContext(t))
	var pages []int
	returned := make(chan struct{})
	go func() {
		select {
		case <-held:
			cancel()
		case <-returned:
		}
	}()
	_, err = c.Download(ctx, "out", func(p *client.Page) error {
		pages = append(pages, p.Number)
		return nil
	}, client.DownloadOptions{Concurrency: 8})
	close(returned)
	// Download returned while the server still held pages: it did not wait for them.
	close(release)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if !reflect.DeepEqual(pages, []int{1, 2, 3}) && !reflect.DeepEqual(pages, []int{1, 2}) && !reflect.DeepEqual(pages, []int{1}) {
		t.Errorf("pages handed on %v, want a prefix of 1, 2, 3", pages)
	}
	c.Close()
	hs.Close()
}

func TestDownloadAdaptsToAThrottlingServer(t *testing.T) {
	const n = 5003
	srv := newServer(t, data8test.WithRecordPageSize(100))
	th := &throttler{next: srv.Handler(), limit: 2, retryAfter: "1", reads: true, gate: make(chan struct{})}
	hs := httptest.NewServer(th)
	t.Cleanup(hs.Close)
	rec := &recorder{}
	// One attempt and a retry budget of one: a refusal that counted as a failed attempt, or spent
	// the budget, would fail the download.
	c, err := client.New(client.WithBaseURL(hs.URL), client.WithTokenURL(hs.URL+"/connect/token"),
		client.WithCredentials(srv.ClientID, srv.ClientSecret),
		client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep, MaxAttempts: 1, Budget: 1}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	createDataset(t, c, "ds", testColumns...)
	if _, err := c.Upload(testContext(t), "ds", client.Records(testRecords(n)), client.UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, _, res, err := collect(t, c, "ds", 8)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("%d records, want %d", len(recs), n)
	}
	for i, r := range recs {
		if !reflect.DeepEqual(r, wantRecord(i)) {
			t.Fatalf("record %d = %v", i, r)
		}
	}
	th.mu.Lock()
	peak, refused := th.peak, th.refused
	th.mu.Unlock()
	if peak != 2 || refused == 0 {
		t.Errorf("at most %d pages in flight, %d refused; want the server's limit 2, and refusals", peak, refused)
	}
	// The first round of refusals brings the window of 8 down to at most 0.7 of it; how far below
	// depends on how many of the round's refusals arrive before the first success, a race this
	// server (instant once its gate opens) leaves open.
	if res.Pages != 51 || res.Throttled != int64(refused) || res.SmallestWindow < 1 || res.SmallestWindow > 5 {
		t.Errorf("result %+v; the server refused %d requests", *res, refused)
	}
}

func TestReadsAgainstEveryProfile(t *testing.T) {
	// The stand-in's different but valid readings of the silent points, one at a time and all at
	// once (among them 500 records a page, gzip and chunked answers, members the contract does not
	// name, explicit nulls): every read gives back exactly the records uploaded.
	const n = 2003
	profiles := [][]data8test.Profile{data8test.Profiles()}
	for _, p := range data8test.Profiles() {
		profiles = append(profiles, []data8test.Profile{p})
	}
	for _, ps := range profiles {
		name := "all"
		if len(ps) == 1 {
			name = string(ps[0])
		}
		t.Run(name, func(t *testing.T) {
			// Not validated against the spec here: what it accepts is the spec's own tests' concern.
			srv := data8test.NewServer(data8test.WithCredentials(testClientID, testSecret), data8test.WithProfile(ps...))
			t.Cleanup(srv.Close)
			c := newClient(srv)
			if _, _, err := c.UploadDataset(testContext(t), "ds2", map[string]int{"id": 0, "name": 0, "n": 0}, client.Records(testRecords(n)), client.UploadOptions{}); err != nil {
				t.Fatal(err)
			}
			check := func(how string, recs []client.Record, err error) {
				t.Helper()
				checkRead(t, how, recs, err, n)
			}
			recs, err := readAll(c, "ds2")
			check("ReadRecords", recs, err)
			recs, _, _, err = collect(t, c, "ds2", 8)
			check("Download", recs, err)
		})
	}
}
