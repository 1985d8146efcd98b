package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/opid"
)

// throttler stands in front of a data8test server as a rate-limited Data8 would: it lets at most
// limit block uploads be in flight at once and refuses the others with 429 Too Many Requests and a
// Retry-After, without passing them on. Until its first refusal it holds the block uploads it lets
// through, so that the client must reach the limit and go past it whatever the timing, and it
// records the most in flight at once: what data8test.WithMaxInFlight, which answers by timing,
// cannot promise a test. With reads set it throttles page reads instead, and never holds page 1.
type throttler struct {
	next       http.Handler
	limit      int
	retryAfter string
	reads      bool // throttle GET /Dataset/{name}/data rather than block uploads

	mu       sync.Mutex
	inflight int
	peak     int // the most block uploads in flight at once
	refused  int
	gate     chan struct{} // closed at the first refusal
}

func (th *throttler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	throttled := r.Method == http.MethodPatch
	if th.reads {
		throttled = r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/data")
	}
	if !throttled {
		th.next.ServeHTTP(w, r)
		return
	}
	th.mu.Lock()
	if th.inflight >= th.limit {
		th.refused++
		if th.refused == 1 {
			close(th.gate)
		}
		th.mu.Unlock()
		w.Header().Set("Retry-After", th.retryAfter)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"type":"about:blank","title":"Too Many Requests","status":429}`)
		return
	}
	th.inflight++
	th.peak = max(th.peak, th.inflight)
	th.mu.Unlock()
	defer func() {
		th.mu.Lock()
		th.inflight--
		th.mu.Unlock()
	}()
	if !th.reads || r.URL.Query().Get("page") != "1" {
		<-th.gate
	}
	th.next.ServeHTTP(w, r)
}

// throttled starts srv behind a throttler allowing limit block uploads at once, and returns the
// throttler and a client of it with opts.
func throttled(t *testing.T, srv *data8test.Server, limit int, opts ...client.Option) (*throttler, *client.Client) {
	th := &throttler{next: srv.Handler(), limit: limit, retryAfter: "1", gate: make(chan struct{})}
	hs := httptest.NewServer(th)
	t.Cleanup(hs.Close)
	c, err := client.New(append([]client.Option{
		client.WithBaseURL(hs.URL), client.WithTokenURL(hs.URL + "/connect/token"),
		client.WithCredentials(srv.ClientID, srv.ClientSecret),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return th, c
}

func TestUploadAdaptsToAThrottlingServer(t *testing.T) {
	for _, limit := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("%d in flight", limit), func(t *testing.T) {
			srv := newServer(t)
			rec := &recorder{}
			// One attempt and a retry budget of one: a refusal that counted as a failed attempt, or
			// spent the budget, would fail the upload.
			th, c := throttled(t, srv, limit, client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep, MaxAttempts: 1, Budget: 1}))
			createDataset(t, c, "ds", testColumns...)
			var mu sync.Mutex
			windows := map[int]bool{}
			res, err := c.Upload(context.Background(), "ds", client.Records(testRecords(1005)), client.UploadOptions{
				BlockSize: 10, Concurrency: 8,
				Progress: func(p client.UploadProgress) {
					mu.Lock()
					windows[p.Window] = true
					mu.Unlock()
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			wantRecords(t, srv, "ds", 1005)
			if n := srv.RequestCounts()[opid.DatasetUploadBlock]; n != 101 {
				t.Errorf("the server stored %d block uploads, want 101 (each block once)", n)
			}
			th.mu.Lock()
			peak, refused := th.peak, th.refused
			th.mu.Unlock()
			if peak != limit {
				t.Errorf("at most %d blocks in flight, want the server's limit %d", peak, limit)
			}
			if res.Blocks != 101 || res.Records != 1005 || res.Throttled != int64(refused) || refused == 0 {
				t.Errorf("result %+v; the server refused %d requests", *res, refused)
			}
			if res.SmallestWindow < 1 || res.SmallestWindow > 4 {
				t.Errorf("smallest window %d, want 1 to 4 (halved at least once from 8)", res.SmallestWindow)
			}
			delays := rec.get()
			if len(delays) != refused {
				t.Errorf("%d waits for %d refusals", len(delays), refused)
			}
			for _, d := range delays {
				if d != time.Second {
					t.Errorf("waited %v, want the Retry-After's 1s", d)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if windows[8] && len(windows) == 1 {
				t.Errorf("progress reported only a window of 8: %v", windows)
			}
		})
	}
}

func TestUploadUnderTheStandInsInFlightLimit(t *testing.T) {
	// data8test's own limit, with a little latency so that blocks overlap: whether and how often it
	// refuses depends on timing, but every block is stored once, each refusal is sent again without
	// using up an attempt, and the client counts what the server refused.
	for _, limit := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("%d in flight", limit), func(t *testing.T) {
			srv := newServer(t, data8test.WithMaxInFlight(limit), data8test.WithLatency(5*time.Millisecond))
			rec := &recorder{}
			c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep, MaxAttempts: 1, Budget: 1}))
			createDataset(t, c, "ds", testColumns...)
			before := srv.Throttled()
			res, err := c.Upload(context.Background(), "ds", client.Records(testRecords(1005)), client.UploadOptions{BlockSize: 10, Concurrency: 8})
			if err != nil {
				t.Fatal(err)
			}
			wantRecords(t, srv, "ds", 1005)
			refused := srv.Throttled() - before
			t.Logf("%d refusals, smallest window %d", refused, res.SmallestWindow)
			if res.Blocks != 101 || res.Throttled != int64(refused) {
				t.Errorf("result %+v; the server refused %d requests", *res, refused)
			}
			if n := srv.RequestCounts()[opid.DatasetUploadBlock]; n != 101+refused {
				t.Errorf("%d block uploads for 101 blocks and %d refusals", n, refused)
			}
			if refused > 0 && (res.SmallestWindow < 1 || res.SmallestWindow > 4) {
				t.Errorf("smallest window %d after %d refusals, want 1 to 4", res.SmallestWindow, refused)
			}
			if n := len(rec.get()); n != refused {
				t.Errorf("%d waits for %d refusals", n, refused)
			}
		})
	}
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
		if _, err := c.GetDataset(context.Background(), "ds"); err != nil {
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
		res, err := c.Upload(context.Background(), "ds", client.Records(testRecords(2000)), client.UploadOptions{BlockSize: 100, Concurrency: 4})
		if err != nil {
			t.Fatal(err)
		}
		wantRecords(t, srv, "ds", 2000)
		if res.Throttled != 12 || res.SmallestWindow != 1 {
			t.Errorf("throttled %d, smallest window %d; want 12 and 1 (halved 4, 2, 1)", res.Throttled, res.SmallestWindow)
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
	_, err := c.GetDataset(context.Background(), "ds")
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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-waiting.c
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
	case <-time.After(time.Minute): // a hang guard, far from the hour a slow cancellation would take
		t.Fatal("the upload did not end when its context was cancelled during a Retry-After wait")
	}
}
