package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/data8-toolkit/data8/client"
)

// testRecords yields n records {"id": "<i>", "name": "name <i>", "n": i}.
func testRecords(n int) iter.Seq2[client.Record, error] {
	return func(yield func(client.Record, error) bool) {
		for i := range n {
			if !yield(client.Record{"id": strconv.Itoa(i), "name": fmt.Sprintf("name %d", i), "n": i}, nil) {
				return
			}
		}
	}
}

// wantRecords checks that the dataset holds exactly the n test records, in order, once each.
func wantRecords(t *testing.T, f *fakeAPI, dataset string, n int) {
	t.Helper()
	got, ok := f.records(dataset)
	if !ok {
		t.Fatalf("dataset %s does not exist", dataset)
	}
	if len(got) != n {
		t.Fatalf("dataset %s holds %d records, want %d", dataset, len(got), n)
	}
	for i, raw := range got {
		var rec map[string]any
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		want := map[string]any{"id": strconv.Itoa(i), "name": fmt.Sprintf("name %d", i), "n": float64(i)}
		if !reflect.DeepEqual(rec, want) {
			t.Fatalf("record %d = %v, want %v", i, rec, want)
		}
	}
}

var testColumns = []string{"id", "name", "n"}

func TestUploadConcurrentKeepsOrder(t *testing.T) {
	f := newFakeAPI(t)
	f.addDataset("big", testColumns...)
	c := f.client(t)

	var progress []client.UploadProgress
	res, err := c.Upload(context.Background(), "big", client.Records(testRecords(10001)), client.UploadOptions{
		Concurrency: 8,
		Columns:     testColumns,
		Progress:    func(p client.UploadProgress) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	wantRecords(t, f, "big", 10001)

	sizes := f.blockSizes("big")
	if len(sizes) != 11 {
		t.Fatalf("server holds %d blocks, want 11: %v", len(sizes), sizes)
	}
	for n := range 10 {
		if sizes[n] != 1000 {
			t.Errorf("block %d holds %d records, want 1000", n, sizes[n])
		}
	}
	if sizes[10] != 1 {
		t.Errorf("block 10 holds %d records, want 1", sizes[10])
	}
	if res.Blocks != 11 || res.Records != 10001 || res.FirstBlock != 0 || res.LastBlock != 10 || res.Checkpoint != 11 || res.Bytes == 0 {
		t.Errorf("result = %+v", *res)
	}
	if len(progress) != 11 {
		t.Fatalf("%d progress calls, want 11", len(progress))
	}
	last := progress[10]
	if last.Blocks != 11 || last.Records != 10001 || last.Checkpoint != 11 || last.Bytes != res.Bytes {
		t.Errorf("last progress = %+v", last)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Checkpoint < progress[i-1].Checkpoint {
			t.Errorf("checkpoint went back: %+v after %+v", progress[i], progress[i-1])
		}
	}
}

func TestUploadTransientFaultsLeaveOneCopy(t *testing.T) {
	cases := []struct {
		name      string
		fault     fault
		wantDelay time.Duration // delay the policy must choose (0: any full-jitter delay)
	}{
		{name: "500", fault: fault{status: 500}},
		{name: "502", fault: fault{status: 502}},
		{name: "503 with Retry-After", fault: fault{status: 503, retryAfter: "3"}, wantDelay: 3 * time.Second},
		{name: "429 with Retry-After", fault: fault{status: 429, retryAfter: "2"}, wantDelay: 2 * time.Second},
		{name: "504", fault: fault{status: 504}},
		{name: "dropped connection", fault: fault{drop: true}},
		{name: "stored then dropped connection", fault: fault{drop: true, store: true}},
		{name: "stored then 503", fault: fault{status: 503, store: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.addDataset("ds", testColumns...)
			// Every block's first attempt fails; blocks 3 and 7 fail twice.
			f.blockHook = func(block, attempt int) fault {
				if attempt == 1 || (attempt == 2 && (block == 3 || block == 7)) {
					return tc.fault
				}
				return fault{}
			}
			var mu sync.Mutex
			var delays []time.Duration
			c := f.client(t, client.WithRetryPolicy(client.RetryPolicy{
				Sleep: func(ctx context.Context, d time.Duration) error {
					mu.Lock()
					delays = append(delays, d)
					mu.Unlock()
					return context.Cause(ctx)
				},
			}))
			res, err := c.Upload(context.Background(), "ds", client.Records(testRecords(2500)), client.UploadOptions{BlockSize: 250, Concurrency: 4})
			if err != nil {
				t.Fatal(err)
			}
			wantRecords(t, f, "ds", 2500)
			if res.Blocks != 10 || res.Records != 2500 {
				t.Errorf("result = %+v", *res)
			}
			if len(delays) != 12 {
				t.Errorf("%d retries, want 12 (one per block, two more for blocks 3 and 7)", len(delays))
			}
			for _, d := range delays {
				if tc.wantDelay != 0 && d != tc.wantDelay {
					t.Errorf("delay %v, want Retry-After's %v", d, tc.wantDelay)
				}
				if tc.wantDelay == 0 && (d < 0 || d >= 200*time.Millisecond) {
					t.Errorf("delay %v outside full jitter [0, 200ms) for the first two retries", d)
				}
			}
		})
	}
}

func TestUpload400StopsAtBlock(t *testing.T) {
	for _, concurrency := range []int{1, 4} {
		t.Run(fmt.Sprintf("concurrency %d", concurrency), func(t *testing.T) {
			f := newFakeAPI(t)
			f.addDataset("ds", testColumns...)
			f.blockHook = func(block, attempt int) fault {
				switch {
				case block == 7:
					return fault{status: 400}
				case block > 7:
					// Later blocks stay in flight until the client cancels them.
					return fault{hold: true}
				}
				return fault{}
			}
			// The client's transport logs each block request as it starts, and the 400 as it
			// arrives: no block request may start after the 400 is seen.
			tr := http.DefaultTransport.(*http.Transport).Clone()
			defer tr.CloseIdleConnections()
			spy := &blockSpy{next: tr}
			hc := &http.Client{Transport: spy, Timeout: time.Minute}
			c := f.client(t, client.WithHTTPClient(hc))
			res, err := c.Upload(context.Background(), "ds", client.Records(testRecords(2000)), client.UploadOptions{BlockSize: 100, Concurrency: concurrency})
			var be *client.BlockError
			if !errors.As(err, &be) {
				t.Fatalf("error %v (%T), want *client.BlockError", err, err)
			}
			if be.Dataset != "ds" || be.Block != 7 || be.FirstRecord != 700 || be.LastRecord != 799 {
				t.Errorf("BlockError = %+v, want dataset ds, block 7, records 700-799", be)
			}
			var ae *client.APIError
			if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Operation != "Dataset_UploadBlock" || ae.FieldErrors["records[3].foo"] == nil {
				t.Errorf("wrapped APIError = %+v", ae)
			}
			if !errors.Is(err, client.ErrValidation) {
				t.Error("errors.Is(err, ErrValidation) = false")
			}
			wantMsg := `data8: upload to dataset "ds": block 7 (records 700-799): data8: Dataset_UploadBlock: 400 Bad Request: Bad Request [records[3].foo: The dataset has no column foo.]`
			if err.Error() != wantMsg {
				t.Errorf("error text\n%s\nwant\n%s", err, wantMsg)
			}
			f.srv.Close() // waits for the handlers of requests the client abandoned
			if ev := spy.get(); slices.Index(ev, "400") < 0 || slices.ContainsFunc(ev[slices.Index(ev, "400"):], func(e string) bool { return strings.HasPrefix(e, "send") }) {
				t.Errorf("events %v: a block was sent after the 400 was seen", ev)
			}
			order := f.blockOrder()
			if attempts := slices.Index(order, 7); attempts < 0 || slices.Contains(order[attempts+1:], 7) {
				t.Errorf("block 7 sent %v times (order %v); a 400 is never retried", order, order)
			}
			maxSeen := slices.Max(order)
			if concurrency == 1 && !slices.Equal(order, []int{0, 1, 2, 3, 4, 5, 6, 7}) {
				t.Errorf("blocks sent %v, want 0..7 and nothing after the failure", order)
			}
			if maxSeen > 7+concurrency-1 {
				t.Errorf("block %d was sent; with %d in flight nothing past %d may be", maxSeen, concurrency, 7+concurrency-1)
			}
			// Blocks before 7 still in flight when the 400 came are cancelled too; the checkpoint
			// says where a resume must start.
			if res == nil || res.Checkpoint > 7 || res.Blocks > 7 || (concurrency == 1 && (res.Checkpoint != 7 || res.Blocks != 7)) {
				t.Errorf("result = %+v, want at most blocks 0..6 acknowledged (all of them with one in flight)", res)
			}
			// Every block held in flight was abandoned by the client.
			if f.held.Load() != f.released.Load() {
				t.Errorf("%d blocks held, %d abandoned by the client", f.held.Load(), f.released.Load())
			}
		})
	}
}

// blockSpy sits in the client's transport. It logs "send N" when it forwards a block upload and
// "400" when a 400 answer arrives. A block upload that starts after a 400 has arrived is not
// forwarded: it is held until the client cancels it (logged as "cancelled N"), so a client that
// failed to stop would hang the test rather than pass it.
type blockSpy struct {
	next   http.RoundTripper
	mu     sync.Mutex
	failed bool
	events []string
}

func (s *blockSpy) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPatch || req.GetBody == nil {
		return s.next.RoundTrip(req)
	}
	body, _ := req.GetBody()
	var b struct {
		BlockNumber int `json:"blockNumber"`
	}
	json.NewDecoder(body).Decode(&b)
	s.mu.Lock()
	if s.failed {
		s.mu.Unlock()
		<-req.Context().Done()
		s.log(fmt.Sprintf("cancelled %d", b.BlockNumber))
		return nil, req.Context().Err()
	}
	s.events = append(s.events, fmt.Sprintf("send %d", b.BlockNumber))
	s.mu.Unlock()
	resp, err := s.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusBadRequest {
		s.mu.Lock()
		s.failed = true
		s.events = append(s.events, "400")
		s.mu.Unlock()
	}
	return resp, err
}

func (s *blockSpy) log(e string) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
}

func (s *blockSpy) get() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

func TestUpload401RenewsTokenOnceForAllWorkers(t *testing.T) {
	f := newFakeAPI(t)
	f.addDataset("ds", testColumns...)
	// When block 10 arrives every token so far is revoked, and the 401s are held until all eight
	// workers have one, so that they all see their 401 at the same moment.
	f.holdRefusals, f.refusalGate = 8, make(chan struct{})
	var revoked sync.Once
	f.blockHook = func(block, attempt int) fault {
		if block == 10 {
			revoked.Do(f.revokeAll)
		}
		return fault{}
	}
	c := f.client(t)
	res, err := c.Upload(context.Background(), "ds", client.Records(testRecords(6000)), client.UploadOptions{BlockSize: 100, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	wantRecords(t, f, "ds", 6000)
	if res.Blocks != 60 {
		t.Errorf("result = %+v", *res)
	}
	if got := f.tokenFetches(); got != 2 {
		t.Errorf("%d token fetches, want 2 (the first, and one renewal for all eight workers)", got)
	}
	if got := f.refused.Load(); got != 8 {
		t.Errorf("%d requests refused with 401, want 8", got)
	}
}

func TestUploadCancelStopsEverythingAndLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	f := newFakeAPI(t)
	f.addDataset("ds", testColumns...)
	ctx, cancel := context.WithCancel(context.Background())
	var inFlight atomic.Int32
	f.blockHook = func(block, attempt int) fault {
		if block >= 4 {
			if inFlight.Add(1) == 4 {
				cancel() // all four workers are now blocked in the server
			}
			return fault{hold: true}
		}
		return fault{}
	}
	c, err := client.New(client.WithBaseURL(f.srv.URL), client.WithTokenURL(f.srv.URL+"/connect/token"),
		client.WithCredentials(f.clientID, f.secret), client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Upload(ctx, "ds", client.Records(testRecords(100000)), client.UploadOptions{BlockSize: 10, Concurrency: 4})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if res.Checkpoint != 4 || res.Blocks != 4 {
		t.Errorf("result = %+v, want blocks 0..3 acknowledged", *res)
	}
	c.Close()
	f.srv.Close()
}

func TestBadRecordLetsBlocksInFlightFinish(t *testing.T) {
	f := newFakeAPI(t)
	f.addDataset("ds", testColumns...)
	c := f.client(t)
	recs := func(yield func(client.Record, error) bool) {
		for i := range 5000 {
			r := client.Record{"id": strconv.Itoa(i), "name": fmt.Sprintf("name %d", i), "n": i}
			if i == 2345 {
				r["n"] = []int{1}
			}
			if !yield(r, nil) {
				return
			}
		}
	}
	var last client.UploadProgress
	res, err := c.Upload(context.Background(), "ds", client.Records(recs), client.UploadOptions{
		BlockSize: 100, Concurrency: 4, Columns: testColumns,
		Progress: func(p client.UploadProgress) { last = p },
	})
	want := `data8: upload to dataset "ds": data8: record 2345: value of key "n" is a []int; values must be strings, numbers, booleans or null`
	if err == nil || err.Error() != want || !errors.Is(err, client.ErrInvalidRecord) {
		t.Fatalf("error %v, want %q", err, want)
	}
	if res.Checkpoint != 23 || res.Blocks != 23 || last.Checkpoint != 23 || last.TotalRecords != -1 {
		t.Errorf("result %+v, last progress %+v; want blocks 0..22 acknowledged", *res, last)
	}
	wantRecords(t, f, "ds", 2300)
}
