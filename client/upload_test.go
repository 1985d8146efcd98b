package client_test

import (
	"context"
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
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/opid"
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

var testColumns = []string{"id", "name", "n"}

func TestUploadConcurrentKeepsOrder(t *testing.T) {
	srv := newServer(t)
	sp := newSpy(t)
	c := newClient(srv, client.WithHTTPClient(sp.httpClient()))
	createDataset(t, c, "big", testColumns...)

	var progress []client.UploadProgress
	res, err := c.Upload(testContext(t), "big", client.Records(testRecords(10001)), client.UploadOptions{
		Concurrency: 8,
		Columns:     testColumns,
		Progress:    func(p client.UploadProgress) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	wantRecords(t, srv, "big", 10001)

	if nums, _ := srv.BlockNumbers("big"); !slices.Equal(nums, []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) {
		t.Errorf("server holds blocks %v, want 0..10", nums)
	}
	if n := srv.RequestCounts()[opid.DatasetUploadBlock]; n != 11 {
		t.Errorf("%d block uploads, want 11", n)
	}
	sizes := sp.acknowledged()
	if len(sizes) != 11 {
		t.Fatalf("server acknowledged %d blocks, want 11: %v", len(sizes), sizes)
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

// faultsOf is how many attempts of a block the transient fault tests fail: every block's first, and
// the second of blocks 3 and 7 too; 12 faults over the 10 blocks.
func faultsOf(block int) int {
	if block == 3 || block == 7 {
		return 2
	}
	return 1
}

// uploadThroughFaults uploads 2,500 records in 10 blocks of 250 with c and checks that the server
// holds each exactly once, in order, and that the policy chose 12 delays: wantDelay each when set
// (Retry-After), else the throttling backoff when floored (a refusal for load), else full jitter, for
// the retries that attempts (by block) implies.
func uploadThroughFaults(t *testing.T, srv *data8test.Server, c *client.Client, rec *recorder, concurrency int, wantDelay time.Duration, floored bool, attempts func() map[int]int) {
	t.Helper()
	createDataset(t, c, "ds", testColumns...)
	res, err := c.Upload(testContext(t), "ds", client.Records(testRecords(2500)), client.UploadOptions{BlockSize: 250, Concurrency: concurrency})
	if err != nil {
		t.Fatal(err)
	}
	wantRecords(t, srv, "ds", 2500)
	if nums, _ := srv.BlockNumbers("ds"); !slices.Equal(nums, []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("server holds blocks %v, want 0..9", nums)
	}
	if res.Blocks != 10 || res.Records != 2500 {
		t.Errorf("result = %+v", *res)
	}
	delays := rec.get()
	if len(delays) != 12 {
		t.Errorf("%d retries, want 12 (one per fault)", len(delays))
	}
	if wantDelay != 0 {
		for _, d := range delays {
			if d != wantDelay {
				t.Errorf("delay %v, want Retry-After's %v", d, wantDelay)
			}
		}
	} else if floored {
		checkFloored(t, delays, attempts())
	} else {
		checkJitter(t, delays, attempts())
	}
}

func TestUploadTransientFaultsLeaveOneCopy(t *testing.T) {
	// Every fault kind data8test injects, scripted by call number and by block.
	for _, kind := range data8test.FaultKinds() {
		var opts []data8test.Option
		var wantDelay time.Duration
		floored := kind == data8test.Fault503 || kind == data8test.FaultStored503 // refused for load, no Retry-After
		if kind == data8test.Fault429 || kind == data8test.Fault503RetryAfter {
			opts, wantDelay = []data8test.Option{data8test.WithRetryAfter(2 * time.Second)}, 2*time.Second
		}
		t.Run(kind.String()+", one block at a time", func(t *testing.T) {
			// With one block in flight call numbers follow the blocks, so the script can fail each
			// block's first attempt and the second of blocks 3 and 7.
			var script []data8test.Fault
			call := 0
			for b := range 10 {
				for range faultsOf(b) {
					call++
					script = append(script, data8test.Fault{Op: opid.DatasetUploadBlock, Call: call, Kind: kind})
				}
				call++
			}
			srv := newServer(t, append(opts, data8test.WithFaultScript(script...))...)
			sp := newSpy(t)
			rec := &recorder{}
			c := newClient(srv, client.WithHTTPClient(sp.httpClient()), client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep}))
			uploadThroughFaults(t, srv, c, rec, 1, wantDelay, floored, sp.blockAttempts)
			attempts := sp.blockAttempts()
			for b := range 10 {
				if attempts[b] != faultsOf(b)+1 {
					t.Errorf("block %d sent %d times, want %d", b, attempts[b], faultsOf(b)+1)
				}
			}
			if n := srv.FaultCounts()[kind]; n != 12 {
				t.Errorf("%d %v faults injected, want 12", n, kind)
			}
		})
		t.Run(kind.String()+", four blocks in flight", func(t *testing.T) {
			// With four in flight call numbers do not follow blocks: the first 12 calls fail,
			// whichever blocks they carry, and no block may run out of attempts however they fall.
			var script []data8test.Fault
			for call := 1; call <= 12; call++ {
				script = append(script, data8test.Fault{Op: opid.DatasetUploadBlock, Call: call, Kind: kind})
			}
			srv := newServer(t, append(opts, data8test.WithFaultScript(script...))...)
			sp := newSpy(t)
			rec := &recorder{}
			c := newClient(srv, client.WithHTTPClient(sp.httpClient()), client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep, MaxAttempts: 13}))
			uploadThroughFaults(t, srv, c, rec, 4, wantDelay, floored, sp.blockAttempts)
			if n := sp.uploadCount(); n != 22 {
				t.Errorf("%d block uploads, want 22", n)
			}
			if n := srv.FaultCounts()[kind]; n != 12 {
				t.Errorf("%d %v faults injected, want 12", n, kind)
			}
		})
		t.Run(kind.String()+", four blocks in flight, by block", func(t *testing.T) {
			// Scripted by block, the faults fall on the same attempts however the blocks arrive:
			// every block's first, and the second of blocks 3 and 7.
			srv := newServer(t, append(opts, data8test.WithFaultScript(
				data8test.Fault{Op: opid.DatasetUploadBlock, Attempt: 1, Kind: kind},
				data8test.Fault{Op: opid.DatasetUploadBlock, Blocks: []int{3, 7}, Attempt: 2, Kind: kind},
			))...)
			sp := newSpy(t)
			rec := &recorder{}
			c := newClient(srv, client.WithHTTPClient(sp.httpClient()), client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep}))
			uploadThroughFaults(t, srv, c, rec, 4, wantDelay, floored, sp.blockAttempts)
			attempts := sp.blockAttempts()
			for b := range 10 {
				if attempts[b] != faultsOf(b)+1 {
					t.Errorf("block %d sent %d times, want %d", b, attempts[b], faultsOf(b)+1)
				}
			}
			if n := srv.RequestCounts()[opid.DatasetUploadBlock]; n != 22 {
				t.Errorf("server got %d block uploads, want 22", n)
			}
			if n := srv.FaultCounts()[kind]; n != 12 {
				t.Errorf("%d %v faults injected, want 12", n, kind)
			}
		})
	}
}

func TestUpload400StopsAtBlock(t *testing.T) {
	for _, concurrency := range []int{1, 4} {
		t.Run(fmt.Sprintf("concurrency %d", concurrency), func(t *testing.T) {
			srv := newServer(t)
			// The spy logs each block upload as it is forwarded ("send N") and each 400 as it
			// arrives. Blocks after 7 are held, not forwarded, until the client gives up on them, as
			// a slow server would hold them. A block upload that starts after a 400 has arrived is
			// not forwarded either: it is held until the client cancels it (logged "cancelled N"),
			// so a client that failed to stop would hang the test rather than pass it.
			var (
				mu                      sync.Mutex
				failed                  bool
				events                  []string
				held, released, pending int
			)
			// hold keeps r until the client gives it up, then logs the event given, if any, or
			// counts a held block released.
			hold := func(r *http.Request, event string) error {
				<-r.Context().Done()
				mu.Lock()
				defer mu.Unlock()
				if event != "" {
					events = append(events, event)
				} else {
					released++
				}
				pending--
				return r.Context().Err()
			}
			sp := newSpy(t)
			sp.before = func(r *http.Request, up *upload) error {
				if up == nil {
					return nil
				}
				mu.Lock()
				if failed {
					pending++
					mu.Unlock()
					return hold(r, fmt.Sprintf("cancelled %d", up.block))
				}
				events = append(events, fmt.Sprintf("send %d", up.block))
				if up.block <= 7 {
					mu.Unlock()
					return nil
				}
				held++
				pending++
				mu.Unlock()
				return hold(r, "")
			}
			sp.after = func(r *http.Request, up *upload, resp *http.Response) {
				if up != nil && resp.StatusCode == http.StatusBadRequest {
					mu.Lock()
					failed = true
					events = append(events, "400")
					mu.Unlock()
				}
			}
			c := newClient(srv, client.WithHTTPClient(sp.httpClient()))
			createDataset(t, c, "ds", testColumns...)

			// Record 703, the fourth of block 7, has a column the dataset does not. With
			// UploadOptions.Columns unset only the server can tell, and it refuses the block.
			recs := func(yield func(client.Record, error) bool) {
				for i := range 2000 {
					r := client.Record{"id": strconv.Itoa(i), "name": fmt.Sprintf("name %d", i), "n": i}
					if i == 703 {
						r["foo"] = "x"
					}
					if !yield(r, nil) {
						return
					}
				}
			}
			res, err := c.Upload(testContext(t), "ds", client.Records(recs), client.UploadOptions{BlockSize: 100, Concurrency: concurrency})
			var be *client.BlockError
			if !errors.As(err, &be) {
				t.Fatalf("error %v (%T), want *client.BlockError", err, err)
			}
			if be.Dataset != "ds" || be.Block != 7 || be.FirstRecord != 700 || be.LastRecord != 799 {
				t.Errorf("BlockError = %+v, want dataset ds, block 7, records 700-799", be)
			}
			var ae *client.APIError
			wantProblem := client.Problem{Type: "https://tools.ietf.org/html/rfc9110#section-15.5.1", Title: "One or more validation errors occurred.", Status: 400, Detail: "The block was not stored."}
			if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Operation != "Dataset_UploadBlock" || ae.Problem != wantProblem ||
				!reflect.DeepEqual(ae.FieldErrors, map[string][]string{"records[3].foo": {"The dataset has no column foo."}}) {
				t.Errorf("wrapped APIError = %+v", ae)
			}
			if !errors.Is(err, client.ErrValidation) {
				t.Error("errors.Is(err, ErrValidation) = false")
			}
			wantMsg := `data8: upload to dataset "ds": block 7 (records 700-799): data8: Dataset_UploadBlock: 400 Bad Request: One or more validation errors occurred.: The block was not stored. [records[3].foo: The dataset has no column foo.]`
			if err.Error() != wantMsg {
				t.Errorf("error text\n%s\nwant\n%s", err, wantMsg)
			}

			// Every held block upload is given up by the client.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
				mu.Lock()
				p := pending
				mu.Unlock()
				if p == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d held block uploads were never cancelled by the client", p)
				}
			}
			mu.Lock()
			ev := slices.Clone(events)
			h, rel := held, released
			mu.Unlock()
			if i := slices.Index(ev, "400"); i < 0 || slices.ContainsFunc(ev[i:], func(e string) bool { return strings.HasPrefix(e, "send") }) {
				t.Errorf("events %v: a block was sent after the 400 was seen", ev)
			}
			var sent []int
			for _, e := range ev {
				var n int
				if _, err := fmt.Sscanf(e, "send %d", &n); err == nil {
					sent = append(sent, n)
				}
			}
			if slices.Index(sent, 7) < 0 || slices.Contains(sent[slices.Index(sent, 7)+1:], 7) {
				t.Errorf("blocks sent %v: block 7 must be sent once; a 400 is never retried", sent)
			}
			if concurrency == 1 && !slices.Equal(sent, []int{0, 1, 2, 3, 4, 5, 6, 7}) {
				t.Errorf("blocks sent %v, want 0..7 and nothing after the failure", sent)
			}
			if maxSeen := slices.Max(sent); maxSeen > 7+concurrency-1 {
				t.Errorf("block %d was sent; with %d in flight nothing past %d may be", maxSeen, concurrency, 7+concurrency-1)
			}
			// Blocks before 7 still in flight when the 400 came are cancelled too; the checkpoint
			// says where a resume must start.
			if res == nil || res.Checkpoint > 7 || res.Blocks > 7 || (concurrency == 1 && (res.Checkpoint != 7 || res.Blocks != 7)) {
				t.Errorf("result = %+v, want at most blocks 0..6 acknowledged (all of them with one in flight)", res)
			}
			if h != rel {
				t.Errorf("%d blocks held, %d abandoned by the client", h, rel)
			}
			// The server holds every block it acknowledged, and nothing from block 7 on.
			nums, _ := srv.BlockNumbers("ds")
			for b := range sp.acknowledged() {
				if !slices.Contains(nums, int32(b)) {
					t.Errorf("block %d was acknowledged but the server does not hold it (it holds %v)", b, nums)
				}
			}
			if len(nums) > 0 && slices.Max(nums) >= 7 {
				t.Errorf("server holds blocks %v, want none from 7 on", nums)
			}
			if concurrency == 1 {
				wantRecords(t, srv, "ds", 700)
			}
		})
	}
}

func TestUpload401RenewsTokenOnceForAllWorkers(t *testing.T) {
	srv := newServer(t)
	// When block 10 leaves, every token issued so far expires; the 401s are then held in the
	// transport until all eight workers have one, so that they all see their 401 at once.
	sp := newSpy(t)
	var refused atomic.Int32
	gate := make(chan struct{})
	sp.before = func(r *http.Request, up *upload) error {
		if up != nil && up.block == 10 && up.attempt == 1 {
			srv.ExpireTokens()
		}
		return nil
	}
	sp.after = func(r *http.Request, up *upload, resp *http.Response) {
		if resp.StatusCode != http.StatusUnauthorized {
			return
		}
		if n := refused.Add(1); n <= 8 {
			if n == 8 {
				close(gate)
			}
			select {
			case <-gate:
			case <-r.Context().Done():
			}
		}
	}
	c := newClient(srv, client.WithHTTPClient(sp.httpClient()))
	createDataset(t, c, "ds", testColumns...)
	res, err := c.Upload(testContext(t), "ds", client.Records(testRecords(6000)), client.UploadOptions{BlockSize: 100, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	wantRecords(t, srv, "ds", 6000)
	if res.Blocks != 60 {
		t.Errorf("result = %+v", *res)
	}
	if got := srv.TokenCount(); got != 2 {
		t.Errorf("%d tokens issued, want 2 (the first, and one renewal for all eight workers)", got)
	}
	if got := srv.RequestCounts()[data8test.OpToken]; got != 2 {
		t.Errorf("%d token requests, want 2", got)
	}
	if got := refused.Load(); got != 8 {
		t.Errorf("%d requests refused with 401, want 8", got)
	}
}

func TestUploadCancelStopsEverythingAndLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	srv := newServer(t)
	ctx, cancel := context.WithCancel(testContext(t))
	// Blocks from 4 on are held in the transport; once all four workers are held, the upload's
	// context is cancelled.
	sp := newSpy(t)
	var inFlight atomic.Int32
	sp.before = func(r *http.Request, up *upload) error {
		if up == nil || up.block < 4 {
			return nil
		}
		if inFlight.Add(1) == 4 {
			cancel()
		}
		<-r.Context().Done()
		return r.Context().Err()
	}
	c, err := client.New(client.WithBaseURL(srv.URL), client.WithTokenURL(srv.TokenURL),
		client.WithCredentials(srv.ClientID, srv.ClientSecret), client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep}),
		client.WithHTTPClient(sp.httpClient()))
	if err != nil {
		t.Fatal(err)
	}
	createDataset(t, c, "ds", testColumns...)
	res, err := c.Upload(ctx, "ds", client.Records(testRecords(100000)), client.UploadOptions{BlockSize: 10, Concurrency: 4})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if res.Checkpoint != 4 || res.Blocks != 4 {
		t.Errorf("result = %+v, want blocks 0..3 acknowledged", *res)
	}
	wantRecords(t, srv, "ds", 40)
	c.Close()
	srv.Close()
	sp.next.CloseIdleConnections()
}

func TestBadRecordLetsBlocksInFlightFinish(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	createDataset(t, c, "ds", testColumns...)
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
	res, err := c.Upload(testContext(t), "ds", client.Records(recs), client.UploadOptions{
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
	wantRecords(t, srv, "ds", 2300)
}
