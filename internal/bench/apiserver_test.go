package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestScanBlock(t *testing.T) {
	body := ` { "records" : [ {"a":"x\"}]{","b":{"c":[1,2]}} ,{"a":"\\"},{}],"extra":[{"d":"]"}], "blockNumber": 7 } `
	blk, err := scanBlock([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`{"a":"x\"}]{","b":{"c":[1,2]}}`, `{"a":"\\"}`, `{}`}
	if blk.number != 7 || blk.records() != len(want) {
		t.Fatalf("block %d with %d records, want 7 with %d", blk.number, blk.records(), len(want))
	}
	for i, w := range want {
		if got := string(blk.record(i)); got != w {
			t.Errorf("record %d = %s, want %s", i, got, w)
		}
	}
	many := `{"blockNumber":0,"records":[` + strings.Repeat(`{},`, 1000) + `{}]}`
	for _, bad := range []string{
		`{"blockNumber":0}`, `{"records":[]}`, `{"blockNumber":-1,"records":[]}`, `{"blockNumber":0,"records":[1]}`,
		`{"blockNumber":0,"records":[{}`, `{"blockNumber":0,"records":[{"a":"x}]}`, `[]`, `{"blockNumber":0,"records":[]} x`, many,
	} {
		if _, err := scanBlock([]byte(bad)); err == nil {
			t.Errorf("scanBlock(%.60s): no error", bad)
		}
	}
}

// testServer serves an apiServer over httptest and returns a benchAPI for it.
func testServer(t *testing.T, cfg serveConfig) (*apiServer, *benchAPI) {
	t.Helper()
	cfg.ClientID, cfg.Secret = "id", "secret"
	s := newAPIServer(cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	api, err := newBenchAPI(context.Background(), &serverProc{cfg: cfg, base: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.close)
	return s, api
}

// block returns a block body of records from..to-1, each {"firstname":"F<i>"}.
func block(num, from, to int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"blockNumber":%d,"records":[`, num)
	for i := from; i < to; i++ {
		if i > from {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"firstname":"F%d"}`, i)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// TestServerPages uploads blocks of uneven sizes, out of order, one of them twice, and reads back
// exactly the records in block order, 1,000 a page, then an empty page; a wrong count does not
// complete the dataset.
func TestServerPages(t *testing.T) {
	_, api := testServer(t, serveConfig{})
	ctx := context.Background()
	if err := api.createDataset(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	// Blocks 0: records 0-999, 1: 1000-1699, 5: 1700-2199 (sent first with other records, then again).
	bodies := [][]byte{block(5, 0, 3), block(1, 1000, 1700), block(0, 0, 1000), block(5, 1700, 2200)}
	if _, err := api.refUpload(ctx, "d", bodies[:1], 1); err != nil {
		t.Fatal(err)
	}
	if _, err := api.refUpload(ctx, "d", bodies[1:], 2); err != nil {
		t.Fatal(err)
	}
	if n, err := api.recordCount(ctx, "d"); err != nil || n != 2200 {
		t.Fatalf("recordCount %d, %v; want 2200", n, err)
	}
	if err := api.complete(ctx, "d", 2199); err == nil {
		t.Fatal("completed with a wrong count")
	}
	if err := api.complete(ctx, "d", 2200); err != nil {
		t.Fatal(err)
	}
	next := 0
	for page, size := range []int{1000, 1000, 200, 0} {
		var recs []map[string]string
		if err := api.call(ctx, http.MethodGet, fmt.Sprintf("/Dataset/d/data?page=%d", page+1), nil, &recs); err != nil {
			t.Fatal(err)
		}
		if len(recs) != size {
			t.Fatalf("page %d: %d records, want %d", page+1, len(recs), size)
		}
		for _, r := range recs {
			if want := fmt.Sprintf("F%d", next); r["firstname"] != want {
				t.Fatalf("page %d: record %s, want %s", page+1, r["firstname"], want)
			}
			next++
		}
	}
}

// TestServerThrottles holds one request in its slot and checks that a second one is refused with 429
// and Retry-After: 1 while the first is then answered.
func TestServerThrottles(t *testing.T) {
	s, api := testServer(t, serveConfig{Limit: 1})
	ctx := context.Background()
	if err := api.createDataset(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	s.hold = func() {
		entered <- struct{}{}
		<-release
	}
	get := func() (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodGet, api.base+"/Dataset/d", nil)
		req.Header.Set("Authorization", "Bearer "+api.token)
		return api.hc.Do(req)
	}
	first := make(chan error, 1)
	go func() {
		resp, err := get()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = errors.New(resp.Status)
			}
		}
		first <- err
	}()
	<-entered
	resp, err := get()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("second request: %s, Retry-After %q; want 429 and 1", resp.Status, resp.Header.Get("Retry-After"))
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("first request: %v", err)
	}
	if got := s.throttled.Load(); got != 1 {
		t.Errorf("%d throttled, want 1", got)
	}
	// The create and the first GET were let through, each alone.
	if a, sum := s.admitted.Load(), s.inflightSum.Load(); a != 2 || sum != 2 || s.busy.Load() <= 0 {
		t.Errorf("%d let through, meeting %d in flight in all, busy %v; want 2, 2, and some time", a, sum, s.busy.Load())
	}
}

// stuckWriter is a ResponseWriter whose Write blocks until unblock is closed: an answer the client is
// slow to read, still being written.
type stuckWriter struct {
	header           http.Header
	status           int
	writing, unblock chan struct{}
}

func (w *stuckWriter) Header() http.Header    { return w.header }
func (w *stuckWriter) WriteHeader(status int) { w.status = status }
func (w *stuckWriter) Write(p []byte) (int, error) {
	close(w.writing)
	<-w.unblock
	return len(p), nil
}

// TestServerCountsTheAnswer checks that a request whose answer is still being written holds its slot:
// a second request meanwhile is refused, and let through once the answer is out.
func TestServerCountsTheAnswer(t *testing.T) {
	s, api := testServer(t, serveConfig{Limit: 1, RetryAfter: "2"})
	if err := api.createDataset(context.Background(), "d"); err != nil {
		t.Fatal(err)
	}
	// The create's handler frees its slot only after its answer has reached the client.
	for deadline := time.Now().Add(5 * time.Second); len(s.slots) > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the create's slot still held after 5s")
		}
	}
	get := func(w http.ResponseWriter) {
		req := httptest.NewRequest(http.MethodGet, "/Dataset/d", nil)
		req.Header.Set("Authorization", "Bearer "+api.token)
		s.ServeHTTP(w, req)
	}
	slow := &stuckWriter{header: http.Header{}, writing: make(chan struct{}), unblock: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		get(slow)
	}()
	within := func(c <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-c:
		case <-time.After(5 * time.Second):
			close(slow.unblock)
			t.Fatalf("%s: nothing after 5s", what)
		}
	}
	within(slow.writing, "the first answer")
	if slow.status != http.StatusOK {
		close(slow.unblock)
		t.Fatalf("the first request: %d, want 200", slow.status)
	}
	second := httptest.NewRecorder()
	get(second)
	if second.Code != http.StatusTooManyRequests || second.Header().Get("Retry-After") != "2" {
		t.Errorf("a request while an answer is being written: %d, Retry-After %q; want 429 and 2", second.Code, second.Header().Get("Retry-After"))
	}
	close(slow.unblock)
	within(done, "the first request's end")
	third := httptest.NewRecorder()
	get(third)
	if third.Code != http.StatusOK {
		t.Errorf("a request once the answer was written: %d, want 200", third.Code)
	}
}

// TestRunCLIReportsFailure runs a child that fails and checks that its exit status and the last line of
// its standard error are reported.
func TestRunCLIReportsFailure(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), failEnv+"=1")
	s := runCLI(cmd)
	var ee *exec.ExitError
	if !errors.As(s.err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("err = %v, want exit status 3", s.err)
	}
	if s.last != "last words" || s.said != "data8 upload: 429 Too Many Requests" {
		t.Errorf("last line %q, error line %q; want %q and %q", s.last, s.said, "last words", "data8 upload: 429 Too Many Requests")
	}
	tl := &tail{}
	tl.Write([]byte("data8 dataset upload: 429 Too Many Requests\nupload 10%\rupload 40%\r\n\n"))
	if got := tl.lastLine(""); got != "upload 40%" {
		t.Errorf("lastLine = %q, want the line as last drawn", got)
	}
	if got := tl.lastLine("data8 "); got != "data8 dataset upload: 429 Too Many Requests" {
		t.Errorf(`lastLine("data8 ") = %q, want the error line`, got)
	}
}

func TestHasFlag(t *testing.T) {
	if !hasFlag("sh", "--concurrency", "-c", `printf 'Flags:\n  --concurrency N   blocks at once\n'`) {
		t.Error("flag listed in the help: not found")
	}
	if hasFlag("sh", "--concurrency", "-c", `printf 'Flags:\n  --columns a,b  CSV --concurrency-like\n'`) {
		t.Error("flag not listed: found")
	}
}

// TestCLIFailureCarriesOn measures a CLI that fails: the run is counted, its exit status and last
// line are kept and reported, it adds no time figure, and the benchmark goes on.
func TestCLIFailureCarriesOn(t *testing.T) {
	_, api := testServer(t, serveConfig{})
	t.Setenv(failEnv, "1")
	var out bytes.Buffer
	m := &meter{ctx: context.Background(), cfg: config{sizes: []int{10}, parts: map[string]bool{partThrottled: true}, limit: 4, runs: 1, out: &out},
		f: newFigures(), logf: t.Logf, data8: os.Args[0], failures: map[string][]string{}, attempts: map[string]int{}}
	key := "throttled/upload/n=10"
	if err := m.cli(api, key, 0, 10, nil, []string{"-test.run=^$"}, nil); err != nil {
		t.Fatalf("a failing CLI stopped the benchmark: %v", err)
	}
	if m.attempts[key] != 1 || len(m.failures[key]) != 1 || !strings.HasSuffix(m.failures[key][0], "exit status 3: data8 upload: 429 Too Many Requests … last line: last words") {
		t.Fatalf("attempts %d, failures %q", m.attempts[key], m.failures[key])
	}
	if v := m.f.get(key + "/cli/seconds"); !math.IsNaN(v) {
		t.Errorf("a failed run gave a time: %v", v)
	}
	m.reportWhole(&out)
	if !strings.Contains(out.String(), "FAILED "+key+": run 1 after ") {
		t.Errorf("report does not name the failure:\n%s", out.String())
	}
	for _, tg := range m.wholeTargets() {
		if tg.name == "throttled/upload/cli_failed_runs" && (tg.value != 1 || tg.pass()) {
			t.Errorf("target %s = %v, pass %v; want 1, false", tg.name, tg.value, tg.pass())
		}
	}
}
