package client_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/opid"
)

// recorder is an injected sleeper: it records each delay the policy chose and returns at once.
type recorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.delays = append(r.delays, d)
	r.mu.Unlock()
	return context.Cause(ctx)
}

func (r *recorder) get() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.delays...)
}

func TestRetryAfterIsHonoured(t *testing.T) {
	cases := []struct {
		name       string
		retryAfter time.Duration // the server's Retry-After
		date       bool          // sent as an HTTP date rather than in seconds
		policy     client.RetryPolicy
		want       time.Duration
		floored    bool // below the floor: the wait is in [want, 2·want), the backoff's first step
	}{
		{name: "seconds", retryAfter: 7 * time.Second, want: 7 * time.Second},
		{name: "zero: the floor", retryAfter: 0, want: 100 * time.Millisecond, floored: true},
		{name: "HTTP date", retryAfter: 12 * time.Second, date: true, want: 12 * time.Second},
		{name: "HTTP date in the past: the floor", retryAfter: -time.Hour, date: true, want: 100 * time.Millisecond, floored: true},
		{name: "at the floor: as given", retryAfter: 7 * time.Second, policy: client.RetryPolicy{BaseDelay: 7 * time.Second}, want: 7 * time.Second},
		{name: "below a higher floor", retryAfter: 7 * time.Second, policy: client.RetryPolicy{BaseDelay: 8 * time.Second}, want: 8 * time.Second, floored: true},
		{name: "clamped to the default 60s", retryAfter: time.Hour, want: 60 * time.Second},
		{name: "clamped to MaxRetryAfter", retryAfter: 45 * time.Second, policy: client.RetryPolicy{MaxRetryAfter: 30 * time.Second}, want: 30 * time.Second},
		{name: "HTTP date clamped", retryAfter: 2 * time.Hour, date: true, want: 60 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, kind := range []data8test.FaultKind{data8test.Fault429, data8test.Fault503RetryAfter} {
				opts := []data8test.Option{data8test.WithRetryAfter(tc.retryAfter),
					data8test.WithFaultScript(data8test.Fault{Op: opid.DatasetGetByName, Call: 1, Kind: kind})}
				if tc.date {
					opts = append(opts, data8test.WithProfile(data8test.ProfileRetryAfterDate))
				}
				srv := newServer(t, opts...)
				// The spy keeps the fault's Retry-After and Date; the policy's clock reads that Date,
				// as if the client's clock agreed with the server's.
				var (
					mu         sync.Mutex
					retryAfter string
					date       = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
				)
				sp := newSpy(t)
				sp.after = func(_ *http.Request, _ *upload, resp *http.Response) {
					if v := resp.Header.Get("Retry-After"); v != "" {
						d, err := http.ParseTime(resp.Header.Get("Date"))
						if err != nil {
							t.Errorf("Date %q: %v", resp.Header.Get("Date"), err)
						}
						mu.Lock()
						retryAfter, date = v, d
						mu.Unlock()
					}
				}
				rec := &recorder{}
				p := tc.policy
				p.Sleep = rec.sleep
				p.Now = func() time.Time {
					mu.Lock()
					defer mu.Unlock()
					return date
				}
				c := newClient(srv, client.WithHTTPClient(sp.httpClient()), client.WithRetryPolicy(p))
				createDataset(t, c, "ds", "a")
				if _, err := c.GetDataset(testContext(t), "ds"); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				if tc.date {
					if at, err := http.ParseTime(retryAfter); err != nil || at.Sub(date) != tc.retryAfter {
						t.Errorf("%v: Retry-After %q with Date %v, want an HTTP date %v later", kind, retryAfter, date, tc.retryAfter)
					}
				} else if want := strconv.Itoa(int(max(0, tc.retryAfter/time.Second))); retryAfter != want {
					t.Errorf("%v: Retry-After %q, want %q", kind, retryAfter, want)
				}
				mu.Unlock()
				if got := rec.get(); len(got) != 1 || !tc.floored && got[0] != tc.want || tc.floored && (got[0] < tc.want || got[0] >= 2*tc.want) {
					t.Errorf("%v: delays %v, want [%v] (floored: %v)", kind, got, tc.want, tc.floored)
				}
				if n := srv.RequestCounts()[opid.DatasetGetByName]; n != 2 {
					t.Errorf("%v: %d requests, want 2", kind, n)
				}
				if n := srv.FaultCounts()[kind]; n != 1 {
					t.Errorf("%v: %d faults injected, want 1", kind, n)
				}
			}
		})
	}
}

// alwaysFail makes every request of op fail with kind.
func alwaysFail(op string, kind data8test.FaultKind) data8test.Option {
	return data8test.WithFaultScript(data8test.Fault{Op: op, Kind: kind})
}

func TestRetryStopsAfterMaxAttempts(t *testing.T) {
	srv := newServer(t, alwaysFail(opid.DatasetGetByName, data8test.Fault502))
	rec := &recorder{}
	c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep}))
	_, err := c.GetDataset(testContext(t), "ds")
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 502 {
		t.Fatalf("error %v, want the last 502", err)
	}
	if n := srv.RequestCounts()[opid.DatasetGetByName]; n != 5 {
		t.Errorf("%d attempts, want 5", n)
	}
	delays := rec.get()
	if len(delays) != 4 {
		t.Fatalf("%d delays, want 4", len(delays))
	}
	for i, d := range delays {
		ceil := 100 * time.Millisecond << i // full jitter: [0, 100ms·2^i)
		if d < 0 || d >= ceil {
			t.Errorf("delay %d = %v, want within [0, %v)", i+1, d, ceil)
		}
	}
}

func TestThrottledAttemptsHaveAFloor(t *testing.T) {
	// A 503 without Retry-After refuses the request for load and counts as an attempt: the five
	// attempts are spaced by the throttling backoff, never less than BaseDelay, doubling.
	srv := newServer(t, alwaysFail(opid.DatasetGetByName, data8test.Fault503))
	rec := &recorder{}
	c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep}))
	_, err := c.GetDataset(testContext(t), "ds")
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 {
		t.Fatalf("error %v, want the last 503", err)
	}
	if n := srv.RequestCounts()[opid.DatasetGetByName]; n != 5 {
		t.Errorf("%d attempts, want 5", n)
	}
	delays := rec.get()
	if len(delays) != 4 {
		t.Fatalf("%d delays, want 4", len(delays))
	}
	for i, d := range delays {
		hi := 200 * time.Millisecond << i // [max(100ms, c/2), c) with c = 100ms·2^(i+1)
		if d < hi/2 || d >= hi {
			t.Errorf("delay %d = %v, want within [%v, %v)", i+1, d, hi/2, hi)
		}
	}
}

func TestRetryByMethod(t *testing.T) {
	getDataset := func(c *client.Client) error { _, err := c.GetDataset(testContext(t), "ds"); return err }
	createKey := func(c *client.Client) error {
		_, err := c.CreateAPIKey(testContext(t), client.NewAPIKey{Description: "x"})
		return err
	}
	cases := []struct {
		name string
		op   string
		kind data8test.FaultKind // the first request's fault
		call func(c *client.Client) error
		want int // requests of op
	}{
		{"GET retries 500", opid.DatasetGetByName, data8test.Fault500, getDataset, 2},
		{"PUT retries 500", opid.DatasetUpdateByName, data8test.Fault500, func(c *client.Client) error {
			_, err := c.CompleteDataset(testContext(t), "ds", 0)
			return err
		}, 2},
		{"GET does not retry 404", opid.DatasetGetByName, 0, func(c *client.Client) error {
			_, err := c.GetDataset(testContext(t), "missing")
			return err
		}, 1},
		// A 503 says the request was not handled, with a Retry-After or without (the contract's "Limits").
		{"POST /ApiKey retries 503", opid.ApiKeyCreateApiKey, data8test.Fault503, createKey, 2},
		{"POST /ApiKey does not retry a dropped connection", opid.ApiKeyCreateApiKey, data8test.FaultDrop, createKey, 1},
		{"POST /ApiKey retries 429", opid.ApiKeyCreateApiKey, data8test.Fault429, createKey, 2},
		{"POST /ApiKey retries 503 with Retry-After", opid.ApiKeyCreateApiKey, data8test.Fault503RetryAfter, createKey, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var opts []data8test.Option
			if tc.kind != 0 {
				opts = append(opts, data8test.WithFaultScript(data8test.Fault{Op: tc.op, Call: 1, Kind: tc.kind}))
			}
			srv := newServer(t, opts...)
			c := newClient(srv)
			createDataset(t, c, "ds", "a")
			err := tc.call(c)
			if (tc.want == 1) != (err != nil) {
				t.Errorf("error %v", err)
			}
			if n := srv.RequestCounts()[tc.op]; n != tc.want {
				t.Errorf("%d requests, want %d", n, tc.want)
			}
		})
	}
	// data8test never answers 501 (no faithful server does); a tiny handler does.
	t.Run("GET does not retry 501", func(t *testing.T) {
		var mu sync.Mutex
		var hits []string
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits = append(hits, r.Method+" "+r.URL.Path)
			mu.Unlock()
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(501)
			io.WriteString(w, `{"type":"about:blank","title":"Not Implemented","status":501}`)
		}))
		defer hs.Close()
		c, err := client.New(client.WithBaseURL(hs.URL), client.WithBearerToken("a-static-token"), client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var ae *client.APIError
		if _, err := c.GetDataset(testContext(t), "ds"); !errors.As(err, &ae) || ae.StatusCode != 501 || ae.Problem.Title != "Not Implemented" {
			t.Errorf("error %v, want the 501", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(hits, []string{"GET /Dataset/ds"}) {
			t.Errorf("requests %q, want one GET /Dataset/ds", hits)
		}
	})
}

func TestRetryBudgetStopsHammeringADeadServer(t *testing.T) {
	srv := newServer(t, alwaysFail(opid.DatasetGetByName, data8test.Fault503))
	c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep, Budget: 3}))
	if _, err := c.GetDataset(testContext(t), "ds"); err == nil {
		t.Fatal("no error")
	}
	if n := srv.RequestCounts()[opid.DatasetGetByName]; n != 4 {
		t.Errorf("first call: %d attempts, want 4 (the first and three retries the budget allows)", n)
	}
	if _, err := c.GetDataset(testContext(t), "ds"); err == nil {
		t.Fatal("no error")
	}
	if n := srv.RequestCounts()[opid.DatasetGetByName]; n != 5 {
		t.Errorf("second call: %d attempts, want 1 (budget spent)", n-4)
	}
}

func TestCancelStopsRetrying(t *testing.T) {
	srv := newServer(t, alwaysFail(opid.DatasetGetByName, data8test.Fault503))
	ctx, cancel := context.WithCancel(testContext(t))
	c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return context.Cause(ctx)
	}}))
	_, err := c.GetDataset(ctx, "ds")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "503") {
		t.Errorf("error %q does not mention the last failure", err)
	}
	if n := srv.RequestCounts()[opid.DatasetGetByName]; n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestAPIErrorShape(t *testing.T) {
	// The 404 is the server's; the second call meets a proxy's HTML error page.
	srv := newServer(t, data8test.WithFaultScript(data8test.Fault{Op: opid.DatasetGetByName, Call: 2, Kind: data8test.Fault502}))
	c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep, MaxAttempts: 1}))

	_, err := c.GetDataset(testContext(t), "missing")
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %T", err)
	}
	wantProblem := client.Problem{Type: "https://tools.ietf.org/html/rfc9110#section-15.5.5", Title: "Not Found", Status: 404, Detail: "The requested dataset missing does not exist."}
	if ae.Operation != "Dataset_GetByName" || ae.StatusCode != 404 || ae.Problem != wantProblem || ae.FieldErrors != nil || ae.Body != nil {
		t.Errorf("APIError = %+v", ae)
	}
	if !errors.Is(err, client.ErrNotFound) || errors.Is(err, client.ErrValidation) {
		t.Error("sentinels do not match the status")
	}
	if got, want := err.Error(), "data8: Dataset_GetByName: 404 Not Found: Not Found: The requested dataset missing does not exist."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}

	_, err = c.GetDataset(testContext(t), "html")
	const page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
	if !errors.As(err, &ae) || string(ae.Body) != page || ae.Problem != (client.Problem{}) || ae.FieldErrors != nil || ae.StatusCode != 502 {
		t.Errorf("APIError for an HTML body = %+v", ae)
	}
	if got, want := err.Error(), "data8: Dataset_GetByName: 502 Bad Gateway"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if n := srv.RequestCounts()[opid.DatasetGetByName]; n != 2 {
		t.Errorf("%d requests, want 2 (no retry with MaxAttempts 1)", n)
	}
}

func TestCertificateErrorIsNotRetried(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failure is expected
	srv.StartTLS()
	defer srv.Close()
	rec := &recorder{}
	c, err := client.New(client.WithBaseURL(srv.URL), client.WithBearerToken("a-static-token"), client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.GetDataset(testContext(t), "ds")
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("error %v, want a certificate error", err)
	}
	if d := rec.get(); len(d) != 0 {
		t.Errorf("retried %d times", len(d))
	}
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	rec := &recorder{}
	c, err := client.New(client.WithBaseURL(url), client.WithBearerToken("a-static-token"), client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.GetDataset(testContext(t), "ds")
	if err == nil || !strings.Contains(err.Error(), "data8: Dataset_GetByName: Get ") {
		t.Fatalf("error %v", err)
	}
	if d := rec.get(); len(d) != 4 {
		t.Errorf("%d retries, want 4", len(d))
	}
}

func TestOversizedAnswerIsNotRetried(t *testing.T) {
	// No faithful server sends a 64 MiB answer to GET /Dataset/{name}; a tiny handler does.
	var mu sync.Mutex
	hits := 0
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"name":"ds","columns":{},"input":true,"recordCount":0,"completed":false,"x":"`)
		io.Copy(w, io.LimitReader(zeros{}, 64<<20))
		io.WriteString(w, `"}`)
	}))
	defer hs.Close()
	rec := &recorder{}
	c, err := client.New(client.WithBaseURL(hs.URL), client.WithBearerToken("a-static-token"), client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.GetDataset(testContext(t), "ds")
	const want = "data8: Dataset_GetByName: 200 OK: the answer is larger than 64 MiB, the most the client reads from one answer; not retried"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 1 || len(rec.get()) != 0 {
		t.Errorf("%d requests and %d waits, want 1 and none", hits, len(rec.get()))
	}
}

// zeros is an endless reader of '0' bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

// TestDeleteAfterBusy503: DELETE /ApiKey/{key} of a key that does not exist, refused first with a
// 503 and a Retry-After (a refusal for load, not acted on), is sent again and its 404 is the answer:
// ErrNotFound, not a delete taken for done as after a lost answer.
func TestDeleteAfterBusy503(t *testing.T) {
	srv := newServer(t, data8test.WithFaultScript(data8test.Fault{Op: opid.ApiKeyDeleteByKey, Call: 1, Kind: data8test.Fault503RetryAfter}))
	c := newClient(srv)
	err := c.DeleteAPIKey(testContext(t), "NONE-0000-NONE-0000")
	if !errors.Is(err, client.ErrNotFound) {
		t.Errorf("DeleteAPIKey of no key after a 503 with Retry-After: %v; want ErrNotFound", err)
	}
	if n := srv.RequestCounts()[opid.ApiKeyDeleteByKey]; n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}
