package client_test

// Throttling servers of several kinds, and what a transfer must do against each: finish with every
// record, never count a refusal as a failure, and keep the server's limit busy, not half of it.
//
// How busy is measured by the server, as the concurrency each request it let through met (itself
// included), averaged over those requests. Two kinds of server make that figure robust to a slow,
// loaded test machine. The throttler below, in batch mode, holds what it lets through until the
// limit is reached (or a while has passed), so that a transfer holding the limit meets it exactly
// however slowly the client runs, and one holding less is seen holding less. data8test, like a
// real server, answers after a fixed latency; there a client's own time between requests lowers
// the figure, so each transfer is measured beside a reference client sending exactly the limit at
// once, at the same time, against a twin server, and compared with it.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/opid"
)

// throttleLatency is the latency of the throttling servers that answer after a fixed time.
const throttleLatency = 20 * time.Millisecond

// together runs subtests three at a time: they wait on servers far more than they compute, and the
// package's -parallel (the number of CPUs) would run them two at a time; more at once would starve
// a loaded 2-core machine. wait returns when all have run.
type together struct {
	t     *testing.T
	wg    sync.WaitGroup
	slots chan struct{}
}

func (g *together) run(name string, f func(t *testing.T)) {
	if g.slots == nil {
		g.slots = make(chan struct{}, 3)
	}
	g.wg.Go(func() {
		g.slots <- struct{}{}
		defer func() { <-g.slots }()
		g.t.Run(name, f)
	})
}

func (g *together) wait() { g.wg.Wait() }

// throttledPolicy is the retry policy of these tests: one attempt and a retry budget of one, so
// that a refusal counted as a failed attempt, or spending the budget, fails the transfer; the
// smallest base delay, so that a refused request's wait costs little real time.
func throttledPolicy() client.Option {
	return client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 1, Budget: 1, BaseDelay: time.Millisecond})
}

// transfer is an upload of n test records into dataset ds (created empty), or a download of them
// (ds holds them, complete), with the client's concurrency (8 unless set) and blocks of 10; it checks
// that every record arrived once, in order. onProgress, when set, is called with the blocks
// acknowledged or the pages handed on so far.
type transfer struct {
	download    bool
	n           int
	concurrency int // 8 when 0
	onProgress  func(done int64)
}

func (tr transfer) String() string {
	if tr.download {
		return "download"
	}
	return "upload"
}

// prepare makes dataset ds on srv (through c, before any limit is set) for the transfer.
func (tr transfer) prepare(t *testing.T, c *client.Client) {
	t.Helper()
	createDataset(t, c, "ds", testColumns...)
	if !tr.download {
		return
	}
	ctx := testContext(t)
	if _, err := c.Upload(ctx, "ds", client.Records(testRecords(tr.n)), client.UploadOptions{BlockSize: 100}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteDataset(ctx, "ds", int64(tr.n)); err != nil {
		t.Fatal(err)
	}
}

// run makes the transfer and returns the refusals and the smallest window the client reported.
func (tr transfer) run(t *testing.T, c *client.Client, srv *data8test.Server) (throttled int64, smallest int) {
	t.Helper()
	ctx := testContext(t)
	if !tr.download {
		opts := client.UploadOptions{BlockSize: 10, Concurrency: cmp.Or(tr.concurrency, 8)}
		if tr.onProgress != nil {
			opts.Progress = func(p client.UploadProgress) { tr.onProgress(p.Blocks) }
		}
		res, err := c.Upload(ctx, "ds", client.Records(testRecords(tr.n)), opts)
		if err != nil {
			t.Fatal(err)
		}
		wantRecords(t, srv, "ds", tr.n)
		return res.Throttled, res.SmallestWindow
	}
	next := 0
	opts := client.DownloadOptions{Concurrency: cmp.Or(tr.concurrency, 8)}
	if tr.onProgress != nil {
		opts.Progress = func(p client.DownloadProgress) { tr.onProgress(p.Pages) }
	}
	res, err := c.Download(ctx, "ds", func(p *client.Page) error {
		for _, raw := range p.Records {
			if got, want := decodeRecord(t, raw), wantRecord(next); !equalRecords(got, want) {
				return fmt.Errorf("record %d = %v, want %v", next, got, want)
			}
			next++
		}
		return nil
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if next != tr.n {
		t.Fatalf("%d records, want %d", next, tr.n)
	}
	return res.Throttled, res.SmallestWindow
}

func equalRecords(a, b client.Record) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// standIn starts a data8test server whose API takes throttleLatency a request, with pages of 10
// records and "Retry-After: 0", and a client of it with throttledPolicy.
func standIn(t *testing.T, opts ...data8test.Option) (*data8test.Server, *client.Client) {
	srv := newServer(t, append([]data8test.Option{
		data8test.WithLatency(throttleLatency), data8test.WithRetryAfter(0), data8test.WithRecordPageSize(10),
	}, opts...)...)
	return srv, srv.Client(throttledPolicy())
}

func TestTransfersHoldTheStandInsLimit(t *testing.T) {
	// data8test allowing 2, 4 or 6 requests in flight, counted over the whole exchange (an answer
	// still being written counts) or over the handling only; the client starts at 8. At the same
	// time, a reference client sends exactly the limit at once to a twin server. The transfer must
	// keep at least 75% of the reference's concurrency (the first eight requests meet fewer, and it
	// is 90 to 100% after them); a window at half the limit keeps 50 to 67%.
	t.Parallel()
	g := &together{t: t}
	defer g.wait()
	for _, counting := range []struct {
		name string
		c    data8test.InFlightCounting
	}{{"exchange", data8test.CountExchange}, {"handling", data8test.CountHandling}} {
		for _, tr := range []transfer{{n: 500}, {n: 500, download: true}} {
			for _, limit := range []int{2, 4, 6} {
				g.run(fmt.Sprintf("%s/%v/%d in flight", counting.name, tr, limit), func(t *testing.T) {
					srv, c := standIn(t, data8test.WithInFlightCounting(counting.c))
					refSrv, refClient := standIn(t, data8test.WithInFlightCounting(counting.c))
					tr.prepare(t, c)
					tr.prepare(t, refClient)
					srv.SetMaxInFlight(limit)
					refSrv.SetMaxInFlight(limit)
					before, refBefore := srv.InFlightStats(), refSrv.InFlightStats()
					ref := tr
					ref.concurrency = limit
					var wg sync.WaitGroup
					var throttled, refThrottled int64
					var smallest int
					wg.Go(func() { throttled, smallest = tr.run(t, c, srv) })
					wg.Go(func() { refThrottled, _ = ref.run(t, refClient, refSrv) })
					waitWithin(t, &wg, testDeadline+5*time.Second)
					st, refSt := srv.InFlightStats().Since(before), refSrv.InFlightStats().Since(refBefore)
					refused := srv.Throttled()
					// The reference is refused only when the machine is so slow that the server still
					// counts a request whose whole answer the client has read.
					t.Logf("%.2f in flight on average (the reference %.2f, refused %d times) over %d requests; %d refused; smallest window %d",
						st.Mean(), refSt.Mean(), refThrottled, st.Admitted, refused, smallest)
					if throttled != int64(refused) {
						t.Errorf("the client counted %d refusals, the server %d", throttled, refused)
					}
					if st.Mean() < 0.75*refSt.Mean() {
						t.Errorf("%.2f requests in flight on average, want at least 75%% of the reference's %.2f", st.Mean(), refSt.Mean())
					}
				})
			}
		}
	}
}

// changingLimit returns a transfer's onProgress that calls set(limit) as the transfer passes each
// step's blocks or pages, and marks, which takes a mark before each change and can be called to
// take the last one.
func changingLimit(set func(limit int), steps []step, mark func()) func(done int64) {
	var mu sync.Mutex
	next := 0
	return func(done int64) {
		mu.Lock()
		defer mu.Unlock()
		if next < len(steps) && done >= steps[next].at {
			mark()
			set(steps[next].limit)
			next++
		}
	}
}

// step is a change of a server's limit once a transfer has done at blocks or pages.
type step struct {
	at    int64
	limit int
}

func TestTransfersFollowTheStandInsLimitAsItChanges(t *testing.T) {
	// data8test allows 2 in flight, then 6 from the 20th block or page, then 3 from the 140th. A
	// window held at 2 would average 2 at most while 6 are allowed; one that did not come down to 3
	// would be refused again and again (at most 16 refusals while 3 are allowed: with Retry-After: 0
	// a refused request is sent again at once, and may be refused again, before the window is down).
	t.Parallel()
	g := &together{t: t}
	defer g.wait()
	for _, tr := range []transfer{{n: 2000}, {n: 1000, download: true}} { // 200 blocks of 10, or pages of 5
		g.run(tr.String(), func(t *testing.T) {
			srv, c := standIn(t, data8test.WithRecordPageSize(5))
			tr.prepare(t, c)
			var mu sync.Mutex
			var marks []data8test.InFlightStats
			var refusals []int
			mark := func() {
				mu.Lock()
				defer mu.Unlock()
				marks = append(marks, srv.InFlightStats())
				refusals = append(refusals, srv.Throttled())
			}
			tr.onProgress = changingLimit(srv.SetMaxInFlight, []step{{20, 6}, {140, 3}}, mark)
			srv.SetMaxInFlight(2)
			mark()
			tr.run(t, c, srv)
			mark()
			mu.Lock()
			defer mu.Unlock()
			if len(marks) != 4 {
				t.Fatalf("the limit changed %d times, want 2", len(marks)-2)
			}
			for i, ph := range []struct {
				limit       int
				least       float64
				mostRefused int
			}{{2, 1.2, 100}, {6, 2.3, 100}, {3, 1.5, 16}} {
				st, refused := marks[i+1].Since(marks[i]), refusals[i+1]-refusals[i]
				t.Logf("limit %d: %.2f in flight on average over %d requests, %d refused", ph.limit, st.Mean(), st.Admitted, refused)
				if st.Mean() < ph.least {
					t.Errorf("limit %d: %.2f in flight on average, want at least %.2f", ph.limit, st.Mean(), ph.least)
				}
				if refused > ph.mostRefused {
					t.Errorf("limit %d: %d refusals, want at most %d", ph.limit, refused, ph.mostRefused)
				}
			}
		})
	}
}

// throttler is a throttling server written apart from data8test: an http.Handler in front of a
// data8test server's handler that throttles block uploads (or, with reads, page reads but the
// first) and passes everything else on. It lets at most limit of them be in flight at once (or,
// with a bucket, as many a second as the bucket's rate) and refuses the others with 429 and
// retryAfter ("0" when empty) without passing them on. A request counts until the data8test
// handler has returned (its answer written), or, with handling, until its answer starts.
//
// What it lets through it holds for latency, after holding it, with batch, until limit are in
// flight (or batch has passed), so that a client holding the limit meets it at once, or, with gate,
// until its first refusal, so that the client must go past the limit whatever the timing.
type throttler struct {
	next       http.Handler
	reads      bool
	handling   bool
	limit      int
	bucket     *bucket
	retryAfter string
	latency    time.Duration
	batch      time.Duration
	gate       chan struct{} // nil: no gate

	mu       sync.Mutex
	inflight int
	peak     int
	admitted int
	sum      int // over the requests let through, the number in flight each met, itself included
	refused  int
	full     chan struct{} // batch: closed when limit are in flight
}

// bucket is a token bucket: rate tokens a second, at most burst held.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *bucket) take(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (f *throttler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	throttled := r.Method == http.MethodPatch
	if f.reads {
		throttled = r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/data") && r.URL.Query().Get("page") != "1"
	}
	if !throttled {
		f.next.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	if f.bucket != nil && !f.bucket.take(time.Now()) || f.bucket == nil && f.inflight >= f.limit {
		f.refused++
		if f.refused == 1 && f.gate != nil {
			close(f.gate)
		}
		f.mu.Unlock()
		w.Header().Set("Retry-After", cmp.Or(f.retryAfter, "0"))
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"type":"about:blank","title":"Too Many Requests","status":429}`)
		return
	}
	f.inflight++
	f.admitted++
	f.peak = max(f.peak, f.inflight)
	var full chan struct{}
	if f.batch > 0 {
		if f.full == nil {
			f.full = make(chan struct{})
		}
		full = f.full
		if f.inflight >= f.limit {
			close(f.full)
			f.full = nil
		}
	} else {
		f.sum += f.inflight
	}
	f.mu.Unlock()
	var once sync.Once
	leave := func() {
		once.Do(func() {
			f.mu.Lock()
			f.inflight--
			f.mu.Unlock()
		})
	}
	defer leave()
	switch {
	case full != nil:
		select {
		case <-full:
		case <-time.After(f.batch):
		}
		f.mu.Lock()
		f.sum += f.inflight
		f.mu.Unlock()
	case f.gate != nil:
		select {
		case <-f.gate:
		case <-time.After(5 * time.Second): // a client that never goes past the limit: the test fails on the peak
		}
	}
	time.Sleep(f.latency)
	if f.handling {
		w = &startHook{ResponseWriter: w, start: leave}
	}
	f.next.ServeHTTP(w, r)
}

// setLimit changes the limit.
func (f *throttler) setLimit(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limit = n
	if f.full != nil && f.inflight >= f.limit {
		close(f.full)
		f.full = nil
	}
}

// startHook is a ResponseWriter that calls start as the answer starts.
type startHook struct {
	http.ResponseWriter
	start func()
}

func (h *startHook) WriteHeader(code int)        { h.start(); h.ResponseWriter.WriteHeader(code) }
func (h *startHook) Write(p []byte) (int, error) { h.start(); return h.ResponseWriter.Write(p) }
func (h *startHook) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// throttlerStats is what a throttler counted.
type throttlerStats struct{ admitted, sum, peak, refused int }

func (st throttlerStats) mean() float64 { return float64(st.sum) / float64(max(st.admitted, 1)) }

func (st throttlerStats) since(before throttlerStats) throttlerStats {
	return throttlerStats{admitted: st.admitted - before.admitted, sum: st.sum - before.sum, peak: st.peak, refused: st.refused - before.refused}
}

func (f *throttler) stats() throttlerStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return throttlerStats{f.admitted, f.sum, f.peak, f.refused}
}

// serve starts f in front of a new data8test server and returns the server and a client of f.
func (f *throttler) serve(t *testing.T, opts ...data8test.Option) (*data8test.Server, *client.Client) {
	srv := newServer(t, opts...)
	f.next = srv.Handler()
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	c, err := client.New(client.WithBaseURL(hs.URL), client.WithTokenURL(hs.URL+"/connect/token"),
		client.WithCredentials(srv.ClientID, srv.ClientSecret), throttledPolicy())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

// batchWait is how long a batching throttler holds a request at most: the time a transfer holding
// less than the limit pays for each batch.
const batchWait = 200 * time.Millisecond

func TestTransfersKeepABatchingServerFull(t *testing.T) {
	// The throttler allows 1, 2, 3, 4 or 6 at once and holds what it lets through until that many
	// are in flight: a transfer that keeps the limit busy meets it at every batch, and one that
	// keeps half of it is seen at half of it exactly, however slowly the client runs. The client
	// starts at 8. The most in flight must be the limit exactly, and the average at least 60% of
	// it: on a quiet machine it is 90 to 100% (the first eight and each probe are refused in part,
	// the last batch may be short); on a starved one, a client slow to see its answers meets a
	// server that still counts them and keeps a little less.
	t.Parallel()
	g := &together{t: t}
	defer g.wait()
	for _, handling := range []bool{false, true} {
		for _, tr := range []transfer{{n: 300}, {n: 300, download: true}} {
			for _, limit := range []int{1, 2, 3, 4, 6} {
				name := fmt.Sprintf("%v/%d in flight", tr, limit)
				if handling {
					name = "handling/" + name
				}
				g.run(name, func(t *testing.T) {
					f := &throttler{reads: tr.download, handling: handling, limit: limit, batch: batchWait, latency: throttleLatency}
					srv, c := f.serve(t, data8test.WithRecordPageSize(10))
					tr.prepare(t, c)
					throttled, smallest := tr.run(t, c, srv)
					st := f.stats()
					t.Logf("%.2f in flight on average over %d requests, peak %d, %d refused, smallest window %d", st.mean(), st.admitted, st.peak, st.refused, smallest)
					if st.peak != limit {
						t.Errorf("at most %d in flight, want the server's limit %d", st.peak, limit)
					}
					if throttled != int64(st.refused) || st.refused == 0 {
						t.Errorf("the client counted %d refusals, the server %d", throttled, st.refused)
					}
					if st.mean() < 0.6*float64(limit) {
						t.Errorf("%.2f in flight on average, want at least %.2f", st.mean(), 0.6*float64(limit))
					}
					if smallest < 1 || smallest > limit {
						t.Errorf("smallest window %d, want 1 to %d", smallest, limit)
					}
				})
			}
		}
	}
}

func TestTransfersFollowABatchingServersLimitAsItChanges(t *testing.T) {
	// The batching throttler allows 2, then 6 from the 20th block or page, then 3 from the 140th,
	// then 5 from the 200th. A lower limit is found at once: the transfer keeps 70% of it busy or
	// more. A higher one is found at the next probe, after 8 or 16 full runs, and the window grows to
	// it by one at each run: more than half of it is busy (a window left at the old limit keeps less).
	t.Parallel()
	g := &together{t: t}
	defer g.wait()
	for _, tr := range []transfer{{n: 3000}, {n: 1500, download: true}} { // 300 blocks of 10, or pages of 5
		g.run(tr.String(), func(t *testing.T) {
			f := &throttler{reads: tr.download, limit: 8, batch: batchWait, latency: throttleLatency}
			srv, c := f.serve(t, data8test.WithRecordPageSize(5))
			tr.prepare(t, c)
			steps := []struct {
				step
				least float64
			}{{step{0, 2}, 1.5}, {step{20, 6}, 3.5}, {step{140, 3}, 2.2}, {step{200, 5}, 3.0}}
			var mu sync.Mutex
			var marks []throttlerStats
			var changes []step
			for _, s := range steps[1:] {
				changes = append(changes, s.step)
			}
			tr.onProgress = changingLimit(f.setLimit, changes, func() {
				mu.Lock()
				defer mu.Unlock()
				marks = append(marks, f.stats())
			})
			f.setLimit(2)
			marks = append(marks, f.stats())
			tr.run(t, c, srv)
			mu.Lock()
			defer mu.Unlock()
			marks = append(marks, f.stats())
			if len(marks) != len(steps)+1 {
				t.Fatalf("the limit changed %d times, want %d", len(marks)-2, len(steps)-1)
			}
			for i, s := range steps {
				st := marks[i+1].since(marks[i])
				t.Logf("limit %d: %.2f in flight on average over %d requests, %d refused", s.limit, st.mean(), st.admitted, st.refused)
				if st.mean() < s.least {
					t.Errorf("limit %d: %.2f in flight on average, want at least %.2f", s.limit, st.mean(), s.least)
				}
			}
		})
	}
}

func TestTransfersFindTheLimitOfAGatedServer(t *testing.T) {
	// The throttler holds what it lets through until it first refuses, then answers after 20 ms:
	// the client meets the limit at once. The most in flight must be the limit exactly, never more.
	t.Parallel()
	g := &together{t: t}
	defer g.wait()
	for _, tr := range []transfer{{n: 300}, {n: 300, download: true}} {
		for _, limit := range []int{1, 2, 4} {
			g.run(fmt.Sprintf("%v/%d in flight", tr, limit), func(t *testing.T) {
				f := &throttler{reads: tr.download, limit: limit, latency: throttleLatency, gate: make(chan struct{})}
				srv, c := f.serve(t, data8test.WithRecordPageSize(10))
				tr.prepare(t, c)
				throttled, smallest := tr.run(t, c, srv)
				st := f.stats()
				if st.peak != limit || throttled != int64(st.refused) || st.refused == 0 || smallest < 1 || smallest > limit {
					t.Errorf("peak %d, %d refused (the client counted %d), smallest window %d; want the limit %d, refusals, and 1 to %d",
						st.peak, st.refused, throttled, smallest, limit, limit)
				}
			})
		}
	}
}

func TestTransfersUnderATokenBucket(t *testing.T) {
	// A rate limit rather than a limit in flight: 200 requests a second, a burst of 4, each taking
	// 20 ms. At 20 ms a request, 4 in flight make that rate; a slower client needs more for it, and
	// is refused less. The window must not fall to half of that and stay there.
	t.Parallel()
	g := &together{t: t}
	defer g.wait()
	for _, tr := range []transfer{{n: 800}, {n: 800, download: true}} {
		g.run(tr.String(), func(t *testing.T) {
			f := &throttler{reads: tr.download, latency: throttleLatency, bucket: &bucket{rate: 200, burst: 4, tokens: 4}}
			srv, c := f.serve(t, data8test.WithRecordPageSize(10))
			tr.prepare(t, c)
			throttled, smallest := tr.run(t, c, srv)
			st := f.stats()
			t.Logf("%.2f in flight on average, peak %d, %d refused, smallest window %d", st.mean(), st.peak, st.refused, smallest)
			if throttled != int64(st.refused) {
				t.Errorf("the client counted %d refusals, the server %d", throttled, st.refused)
			}
			if st.mean() < 2 {
				t.Errorf("%.2f in flight on average, want at least 2 (half of what the rate allows)", st.mean())
			}
		})
	}
}

// goroutines returns the stack of each goroutine of this process, as a goroutine dump shows it:
// a header line ("goroutine 7 [select]:"), then its frames.
func goroutines() [][]byte {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return bytes.Split(buf[:n], []byte("\n\n"))
		}
		buf = make([]byte, 2*len(buf))
	}
}

// parkedIn reports whether a goroutine of this process is blocked in function fn (as a goroutine
// dump names it), waiting on a select.
func parkedIn(fn string) bool {
	for _, g := range goroutines() {
		header, _, _ := bytes.Cut(g, []byte("\n"))
		if bytes.Contains(header, []byte("[select")) && bytes.Contains(g, []byte(fn)) {
			return true
		}
	}
	return false
}

// heldSleep is a RetryPolicy.Sleep whose first wait lasts until wake is closed (or 20 s, longer than
// any test waits for anything), and whose later waits return at once; sleeping is closed when the
// first begins.
func heldSleep() (sleep func(context.Context, time.Duration) error, sleeping, wake chan struct{}) {
	sleeping, wake = make(chan struct{}), make(chan struct{})
	var first sync.Once
	return func(ctx context.Context, d time.Duration) error {
		held := false
		first.Do(func() { held = true; close(sleeping) })
		if !held {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(20 * time.Second):
		}
		return nil
	}, sleeping, wake
}

// within fails the test unless ch is closed within 5 s.
func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal(what)
	}
}

// wantFinished fails the test unless the transfer reporting to done, named what, ends within 10 s
// with no error.
func wantFinished(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not finish", what)
	}
}

func TestNoRequestLeavesDuringAPause(t *testing.T) {
	// Two blocks at once, both refused and nothing answered since: block 0 first (the test holds
	// its wait), then block 1, whose wait ends at once. Nothing may be sent until block 0 has
	// waited: not block 1 again, not blocks 2 and 3 (the uploader has a goroutine for each refused
	// block, so they wait for a slot). Block 1's next attempt either reaches the server (the pause
	// was not kept) or waits in the window's resume: whichever happens, it happens for sure, so the
	// test decides without a race. After the pause the refused blocks go first, block 1 (which
	// waited first) before block 0, one at a time.
	sleep, sleeping, wake := heldSleep()
	arrived1 := make(chan struct{})
	var arrival sync.Once
	f := &blockFront{}
	f.onBlock = func(number, attempt int) (bool, <-chan struct{}) {
		switch {
		case number == 0 && attempt == 1:
			return true, arrived1 // refused once block 1 is in flight too
		case number == 1 && attempt == 1:
			arrival.Do(func() { close(arrived1) })
			return true, sleeping // refused once block 0 waits
		}
		return false, nil
	}
	srv, c := f.serve(t, client.WithRetryPolicy(client.RetryPolicy{Sleep: sleep, MaxAttempts: 1, Budget: 1}))
	createDataset(t, c, "ds", testColumns...)
	done := make(chan error, 1)
	go func() {
		_, err := c.Upload(testContext(t), "ds", client.Records(testRecords(50)), client.UploadOptions{BlockSize: 10, Concurrency: 2})
		done <- err
	}()
	within(t, sleeping, "block 0 was not refused")
	deadline := time.Now().Add(5 * time.Second)
	for !parkedIn(".(*window).resume(") {
		if f.sent(1) > 1 || f.sawBlock(2) || f.sawBlock(3) {
			t.Fatalf("blocks %v were sent while block 0 waited out its Retry-After, and nothing had succeeded", f.order())
		}
		if time.Now().After(deadline) {
			t.Fatalf("block 1 was neither sent again nor waiting for a slot (blocks sent: %v)", f.order())
		}
		time.Sleep(time.Millisecond)
	}
	close(wake)
	wantFinished(t, done, "the upload")
	wantRecords(t, srv, "ds", 50)
	// Once the refused blocks are through, the window may grow: blocks 2, 3 and 4 may be in flight
	// together and arrive in any order.
	got := f.order()
	first := got[:min(4, len(got))]
	if !slices.Equal(first, []int{0, 1, 1, 0}) && !slices.Equal(first, []int{1, 0, 1, 0}) || len(got) != 7 || !slices.Equal(slices.Sorted(slices.Values(got[4:])), []int{2, 3, 4}) {
		t.Errorf("blocks arrived in the order %v, want 0 and 1, then 1 and 0 again, then 2, 3 and 4", got)
	}
}

func TestAPauseEndsWhenARequestSucceeds(t *testing.T) {
	// Two blocks at once: block 0 is refused (the test holds its wait), then block 1, held at the
	// server until then, is answered. The server takes requests: block 2 must be sent while block
	// 0 still waits (a transfer paused for the whole Retry-After would send nothing; the test fails
	// in 5 s then). Block 0 goes once it has waited.
	sleep, sleeping, wake := heldSleep()
	arrived1 := make(chan struct{})
	var arrival sync.Once
	f := &blockFront{}
	f.onBlock = func(number, attempt int) (bool, <-chan struct{}) {
		switch {
		case number == 0 && attempt == 1:
			return true, arrived1 // refused once block 1 is at the server too
		case number == 1:
			arrival.Do(func() { close(arrived1) })
			return false, sleeping
		}
		return false, nil
	}
	srv, c := f.serve(t, client.WithRetryPolicy(client.RetryPolicy{Sleep: sleep, MaxAttempts: 1, Budget: 1}))
	createDataset(t, c, "ds", testColumns...)
	done := make(chan error, 1)
	go func() {
		_, err := c.Upload(testContext(t), "ds", client.Records(testRecords(50)), client.UploadOptions{BlockSize: 10, Concurrency: 2})
		done <- err
	}()
	within(t, sleeping, "block 0 was not refused")
	deadline := time.Now().Add(5 * time.Second)
	for !f.sawBlock(2) {
		if time.Now().After(deadline) {
			t.Fatalf("block 2 was not sent after block 1 succeeded (blocks sent: %v)", f.order())
		}
		time.Sleep(time.Millisecond)
	}
	if n := f.sent(0); n != 1 {
		t.Fatalf("block 0 sent %d times before its wait ended", n)
	}
	close(wake)
	wantFinished(t, done, "the upload")
	wantRecords(t, srv, "ds", 50)
	if n := f.sent(0); n != 2 {
		t.Errorf("block 0 sent %d times, want 2", n)
	}
}

// blockFront is an http.Handler in front of a data8test server's handler that reads each block
// upload's number and asks onBlock what to do: hold it until a channel closes (if one is given), then
// refuse it (429, Retry-After: 1) or pass it on.
type blockFront struct {
	next    http.Handler
	onBlock func(number, attempt int) (refuse bool, hold <-chan struct{})

	mu     sync.Mutex
	blocks []int // block numbers uploaded, in the order they arrived
}

func (f *blockFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPatch {
		f.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var blk struct{ BlockNumber int }
	json.Unmarshal(body, &blk)
	f.mu.Lock()
	f.blocks = append(f.blocks, blk.BlockNumber)
	attempt := 0
	for _, n := range f.blocks {
		if n == blk.BlockNumber {
			attempt++
		}
	}
	f.mu.Unlock()
	refuse, hold := f.onBlock(blk.BlockNumber, attempt)
	if hold != nil {
		select {
		case <-hold:
		case <-time.After(10 * time.Second):
		}
	}
	if refuse {
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"type":"about:blank","title":"Too Many Requests","status":429}`)
		return
	}
	f.next.ServeHTTP(w, r)
}

func (f *blockFront) serve(t *testing.T, opts ...client.Option) (*data8test.Server, *client.Client) {
	srv := newServer(t)
	f.next = srv.Handler()
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	c, err := client.New(append([]client.Option{
		client.WithBaseURL(hs.URL), client.WithTokenURL(hs.URL + "/connect/token"),
		client.WithCredentials(srv.ClientID, srv.ClientSecret),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

// sent returns how many times block n has reached the front.
func (f *blockFront) sent(n int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := 0
	for _, b := range f.blocks {
		if b == n {
			k++
		}
	}
	return k
}

// order returns the block numbers that reached the front, in order.
func (f *blockFront) order() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.blocks)
}

// sawBlock reports whether block n has reached the front.
func (f *blockFront) sawBlock(n int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.blocks, n)
}

func TestSustainedThrottlingIsNotFailure(t *testing.T) {
	// Twelve refusals in a row, more than twice the default five attempts, with a retry budget of
	// one: the call waits them out.
	t.Run("GET", func(t *testing.T) {
		var script []data8test.Fault
		for call := 1; call <= 12; call++ {
			kind := data8test.Fault429
			if call%2 == 0 {
				kind = data8test.Fault503RetryAfter
			}
			script = append(script, data8test.Fault{Op: opid.DatasetGetByName, Call: call, Kind: kind})
		}
		srv := newServer(t, data8test.WithRetryAfter(3*time.Second), data8test.WithFaultScript(script...))
		rec := &recorder{}
		c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep, Budget: 1}))
		createDataset(t, c, "ds", "a")
		if _, err := c.GetDataset(testContext(t), "ds"); err != nil {
			t.Fatal(err)
		}
		if n := srv.RequestCounts()[opid.DatasetGetByName]; n != 13 {
			t.Errorf("%d requests, want 13", n)
		}
		if got, want := rec.get(), slices.Repeat([]time.Duration{3 * time.Second}, 12); !slices.Equal(got, want) {
			t.Errorf("waits %v, want %v", got, want)
		}
	})
	t.Run("upload", func(t *testing.T) {
		var script []data8test.Fault
		for attempt := 1; attempt <= 12; attempt++ {
			script = append(script, data8test.Fault{Op: opid.DatasetUploadBlock, Blocks: []int{5}, Attempt: attempt, Kind: data8test.Fault429})
		}
		srv := newServer(t, data8test.WithRetryAfter(time.Second), data8test.WithFaultScript(script...))
		rec := &recorder{}
		c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep, Budget: 1}))
		createDataset(t, c, "ds", testColumns...)
		res, err := c.Upload(testContext(t), "ds", client.Records(testRecords(2000)), client.UploadOptions{BlockSize: 100, Concurrency: 4})
		if err != nil {
			t.Fatal(err)
		}
		wantRecords(t, srv, "ds", 2000)
		// The first refusal comes with at most 4 in flight: the window falls below 4.
		if res.Throttled != 12 || res.SmallestWindow < 1 || res.SmallestWindow > 3 {
			t.Errorf("throttled %d, smallest window %d; want 12 and 1 to 3", res.Throttled, res.SmallestWindow)
		}
		if n := len(rec.get()); n != 12 {
			t.Errorf("%d waits, want 12", n)
		}
	})
}

func TestThrottleWaitIsBounded(t *testing.T) {
	srv := newServer(t, data8test.WithRetryAfter(2*time.Second), alwaysFail(opid.DatasetGetByName, data8test.Fault429))
	rec := &recorder{}
	c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep, MaxThrottleWait: 5 * time.Second}))
	_, err := c.GetDataset(testContext(t), "ds")
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 429 || !errors.Is(err, client.ErrRateLimited) {
		t.Fatalf("error %v, want the 429", err)
	}
	if !strings.Contains(err.Error(), "waited 4s in all, and the policy's MaxThrottleWait is 5s") {
		t.Errorf("error %q does not say how long it waited", err)
	}
	if got := rec.get(); !slices.Equal(got, []time.Duration{2 * time.Second, 2 * time.Second}) {
		t.Errorf("waits %v, want two of 2s (a third would pass 5s)", got)
	}
	if n := srv.RequestCounts()[opid.DatasetGetByName]; n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

// signal is a slog.Handler that closes a channel at the first record with a given message.
type signal struct {
	msg  string
	once sync.Once
	c    chan struct{}
}

func (s *signal) Enabled(context.Context, slog.Level) bool { return true }
func (s *signal) Handle(_ context.Context, r slog.Record) error {
	if r.Message == s.msg {
		s.once.Do(func() { close(s.c) })
	}
	return nil
}
func (s *signal) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *signal) WithGroup(string) slog.Handler      { return s }

func TestCancelDuringRetryAfterIsPrompt(t *testing.T) {
	// Block 2 is refused with a Retry-After of an hour, which the policy allows in full; the upload
	// is cancelled as the client starts to wait (the real timer, not an injected sleeper). The
	// refused block's wait and the other blocks' wait for a slot both end at once.
	srv := newServer(t, data8test.WithRetryAfter(time.Hour),
		data8test.WithFaultScript(data8test.Fault{Op: opid.DatasetUploadBlock, Blocks: []int{2}, Attempt: 1, Kind: data8test.Fault429}))
	waiting := &signal{msg: "data8: retrying", c: make(chan struct{})}
	c := srv.Client(client.WithRetryPolicy(client.RetryPolicy{MaxRetryAfter: 2 * time.Hour, MaxThrottleWait: 3 * time.Hour}), client.WithLogger(slog.New(waiting)))
	createDataset(t, c, "ds", testColumns...)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	go func() {
		select {
		case <-waiting.c:
		case <-time.After(20 * time.Second):
		}
		cancel()
	}()
	type result struct {
		res *client.UploadResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := c.Upload(ctx, "ds", client.Records(testRecords(1000)), client.UploadOptions{BlockSize: 100, Concurrency: 4})
		done <- result{res, err}
	}()
	select {
	case r := <-done:
		if !errors.Is(r.err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", r.err)
		}
		if r.res.Checkpoint > 2 || r.res.Throttled != 1 {
			t.Errorf("result %+v, want a checkpoint at most 2 and one refusal", *r.res)
		}
	case <-time.After(30 * time.Second): // a hang guard, far from the hour a slow cancellation would take
		t.Fatal("the upload did not end when its context was cancelled during a Retry-After wait")
	}
}

// pageFront is an http.Handler in front of a data8test server's handler that notes the page of each
// record read and refuses page 2 the first time (429, Retry-After: 1) once page 3 has arrived, and
// holds page 3 until hold3 is closed (so that it is answered after page 2 is refused); it passes
// everything on.
type pageFront struct {
	next  http.Handler
	hold3 <-chan struct{}

	mu       sync.Mutex
	pages    []int // page numbers read, in the order they arrived
	arrived3 chan struct{}
	once3    sync.Once
}

func (f *pageFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/data") {
		f.next.ServeHTTP(w, r)
		return
	}
	var n int
	fmt.Sscan(r.URL.Query().Get("page"), &n)
	f.mu.Lock()
	f.pages = append(f.pages, n)
	first := n == 2 && !slices.Contains(f.pages[:len(f.pages)-1], 2)
	f.mu.Unlock()
	if n == 3 {
		f.once3.Do(func() { close(f.arrived3) })
		select {
		case <-f.hold3:
		case <-time.After(10 * time.Second):
		}
	}
	if first {
		select {
		case <-f.arrived3:
		case <-time.After(10 * time.Second):
		}
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"type":"about:blank","title":"Too Many Requests","status":429}`)
		return
	}
	f.next.ServeHTTP(w, r)
}

// highest returns the highest page number read so far.
func (f *pageFront) highest() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Max(append([]int{0}, f.pages...))
}

// readAheadDownload downloads 500 records in pages of 10 through a pageFront, two at a time with
// readAhead, page 2 refused once (page 3, at the server with it, answered after) and its wait held
// until the test closes wake; during it calls during, then checks that every record came once, in
// order.
func readAheadDownload(t *testing.T, readAhead int64, during func(f *pageFront)) {
	t.Helper()
	sleep, sleeping, wake := heldSleep()
	srv := newServer(t, data8test.WithRecordPageSize(10))
	f := &pageFront{next: srv.Handler(), hold3: sleeping, arrived3: make(chan struct{})}
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	c, err := client.New(client.WithBaseURL(hs.URL), client.WithTokenURL(hs.URL+"/connect/token"),
		client.WithCredentials(srv.ClientID, srv.ClientSecret), client.WithRetryPolicy(client.RetryPolicy{Sleep: sleep, MaxAttempts: 1, Budget: 1}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	transfer{n: 500, download: true}.prepare(t, c)
	next := 0
	done := make(chan error, 1)
	go func() {
		res, err := c.Download(testContext(t), "ds", func(p *client.Page) error {
			for _, raw := range p.Records {
				if got, want := decodeRecord(t, raw), wantRecord(next); !equalRecords(got, want) {
					return fmt.Errorf("record %d = %v, want %v", next, got, want)
				}
				next++
			}
			return nil
		}, client.DownloadOptions{Concurrency: 2, ReadAhead: readAhead})
		if err == nil && (res.Throttled != 1 || next != 500) {
			err = fmt.Errorf("%d records, %d refusals; want 500 and 1", next, res.Throttled)
		}
		done <- err
	}()
	within(t, sleeping, "page 2 was not refused")
	during(f)
	close(wake)
	wantFinished(t, done, "the download")
}

func TestDownloadReadsAheadOfARefusedPage(t *testing.T) {
	// Two pages at once, so three held at most while nothing is refused. Page 2 is refused, and
	// waits (the test holds its wait): the download goes on fetching the pages after it, well past
	// three, while it cannot hand any on. One that waited for page 2 would fetch no further than
	// page 4, and the test would fail in 5 s.
	readAheadDownload(t, 0, func(f *pageFront) {
		deadline := time.Now().Add(5 * time.Second)
		for f.highest() < 40 {
			if time.Now().After(deadline) {
				t.Fatalf("page %d was the furthest read while page 2 waited, want 40 or more", f.highest())
			}
			time.Sleep(time.Millisecond)
		}
	})
}

func TestDownloadReadAheadIsBounded(t *testing.T) {
	// The same with no read-ahead: the download holds three pages, page 2 among them, and goes no
	// further while page 2 waits. Its producer waits for room: whichever it does, waiting for room
	// or reading on, it does for sure, so the test decides without a race.
	readAheadDownload(t, -1, func(f *pageFront) {
		deadline := time.Now().Add(5 * time.Second)
		for !producerWaits() {
			if time.Now().After(deadline) {
				t.Fatalf("the download neither read on nor waited for room (page %d the furthest)", f.highest())
			}
			time.Sleep(time.Millisecond)
		}
		if h := f.highest(); h > 4 {
			t.Fatalf("page %d was read while page 2 waited, with no read-ahead: want 4 at most", h)
		}
	})
}

// producerWaits reports whether a download's producer waits for room to queue a page.
func producerWaits() bool {
	for _, g := range goroutines() {
		header, _, _ := bytes.Cut(g, []byte("\n"))
		if bytes.Contains(header, []byte("[select")) && bytes.Contains(g, []byte(".(*downloader).run.func1(")) &&
			!bytes.Contains(g, []byte(".(*crew).join(")) {
			return true
		}
	}
	return false
}
