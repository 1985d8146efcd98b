package hostile

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// The tests of this file run the client in a testing/synctest bubble against a Direct server: time
// is virtual, so that the client's own timers (retry waits, the token floor, the window's pauses)
// run as they do in production while ten minutes of throttling pass in a moment; requests are
// counted by the bubble's clock, never by wall time.

// refusals are the ways a server can say "come back at once": Retry-After 0, negative, or a date
// already past (by the bubble's clock).
var refusals = []struct {
	name       string
	retryAfter func() string
}{
	{"Retry-After 0", func() string { return "0" }},
	{"Retry-After -1", func() string { return "-1" }},
	{"Retry-After a date past", func() string { return time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat) }},
}

// throttleAll answers every request of method to a path ending in suffix with 429 and retryAfter
// (but page 1 of a dataset's records, which it answers with 100 records so that a download goes on
// to fetch pages 8 at a time), GET /Dataset/ds with a dataset of column name and records records (an
// incomplete input dataset when records is 0), and anything else with 404.
func throttleAll(method, suffix string, retryAfter func() string, records int) http.Handler {
	page := make([]map[string]string, 100)
	for i := range page {
		page[i] = map[string]string{"name": fmt.Sprint("person ", i)}
	}
	return API(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/Dataset/ds/data" && r.URL.Query().Get("page") == "1":
			WriteJSON(w, http.StatusOK, page)
		case r.Method == method && strings.HasSuffix(r.URL.Path, suffix):
			refuse(w, retryAfter())
		case r.Method == http.MethodGet && r.URL.Path == "/Dataset/ds":
			WriteJSON(w, http.StatusOK, map[string]any{"name": "ds", "columns": map[string]int{"name": 0}, "input": true, "completed": records > 0, "recordCount": records})
		default:
			http.NotFound(w, r)
		}
	})
}

// bounded passes requests to h until n have come (a client in a hot loop, which in a bubble would
// never let time pass), then cancels the test's context: a wrong client fails in a moment.
func bounded(n int, cancel context.CancelFunc, h http.Handler) http.Handler {
	var mu sync.Mutex
	seen := 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen++
		over := seen > n
		mu.Unlock()
		if over {
			cancel()
		}
		h.ServeHTTP(w, r)
	})
}

// refuse answers 429 with a Retry-After.
func refuse(w http.ResponseWriter, retryAfter string) {
	w.Header().Set("Retry-After", retryAfter)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusTooManyRequests)
	fmt.Fprint(w, `{"title":"Too Many Requests","status":429}`)
}

// directClient returns a client of d with the default retry policy (real timers: the bubble's).
func directClient(t *testing.T, d *Direct, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(append([]client.Option{
		client.WithBaseURL(d.URL), client.WithTokenURL(d.TokenURL()),
		client.WithCredentials(ClientID, ClientSecret), client.WithHTTPClient(d.HTTPClient()),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// transfers are the three ways of meeting a throttled server: one call, an upload and a download,
// the transfers 8 requests at a time. Each returns the call's error.
var transfers = []struct {
	name           string
	method, suffix string // the requests throttled
	records        int    // the dataset's record count
	run            func(ctx context.Context, c *client.Client) error
}{
	{"one call", http.MethodGet, "/Dataset/one", 0, func(ctx context.Context, c *client.Client) error {
		_, err := c.GetDataset(ctx, "one")
		return err
	}},
	{"upload, 8 at once", http.MethodPatch, "/data", 0, func(ctx context.Context, c *client.Client) error {
		_, err := c.Upload(ctx, "ds", client.Records(records(100_000)), client.UploadOptions{Concurrency: 8, BlockSize: 100, Columns: []string{"name"}})
		return err
	}},
	{"download, 8 at once", http.MethodGet, "/Dataset/ds/data", 100_000, func(ctx context.Context, c *client.Client) error {
		_, err := c.Download(ctx, "ds", func(*client.Page) error { return nil }, client.DownloadOptions{Concurrency: 8})
		return err
	}},
}

// TestRetryAfterZeroForeverIsBounded: a server that refuses every request for load with a
// Retry-After of 0, a negative one or a date past, forever, gets at most a few requests a second
// from one call, and from an upload or a download 8 requests at a time (the first rounds, then one
// at a time, backing off), and the client gives up at MaxThrottleWait (10 minutes) after the first
// refusal, with the 429: under a hundred requests in all, where the client used to send about 9,000
// a second until killed. A transfer stops as soon as one of its calls gives up: the others, which
// began to be refused at about the same time, do not each send one more request at the end.
func TestRetryAfterZeroForeverIsBounded(t *testing.T) {
	for _, ra := range refusals {
		for _, tr := range transfers {
			t.Run(ra.name+", "+tr.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					ctx, cancel := context.WithCancel(t.Context())
					defer cancel()
					d := NewDirect(bounded(2000, cancel, throttleAll(tr.method, tr.suffix, ra.retryAfter, tr.records)))
					c := directClient(t, d)
					start := time.Now()
					err := tr.run(ctx, c)
					took := time.Since(start)
					var refused []Request
					for _, r := range d.Requests() {
						if r.Method == tr.method && strings.HasSuffix(r.Path, tr.suffix) && r.Query != "page=1" {
							refused = append(refused, r)
						}
					}
					if !errors.Is(err, client.ErrRateLimited) || !strings.Contains(err.Error(), "MaxThrottleWait is 10m0s") {
						t.Fatalf("error %v after %d requests in %v, want the 429 after MaxThrottleWait", err, len(refused), took)
					}
					var later []Request // after the first 10 s
					for _, r := range refused {
						if r.At.Sub(start) >= 10*time.Second {
							later = append(later, r)
						}
					}
					peak, peakLater := rates(refused), rates(later)
					t.Logf("%d requests in %v (%.2f a second), at most %d in one second, %d after the first 10 s",
						len(refused), took, float64(len(refused))/took.Seconds(), peak, peakLater)
					// One call: at most 4 in its first second (waits of 100, 200, 400 ms at least),
					// then one at most. A transfer: its first rounds (8, then 4, 2 and 1 at once as the
					// window halves), then one request at a time, each pausing the whole transfer.
					most, first, then := 60, 4, 1
					if tr.name != "one call" {
						most, first, then = 120, 16, 3
					}
					if len(refused) > most || peak > first || peakLater > then {
						t.Errorf("%d requests, at most %d in one second and %d after 10 s; want at most %d, %d and %d",
							len(refused), peak, peakLater, most, first, then)
					}
					if took < 9*time.Minute+30*time.Second || took > 10*time.Minute+time.Second {
						t.Errorf("gave up after %v, want at the limit, 10m after the first refusal", took)
					}
				})
			})
		}
	}
}

// rates returns the most requests of rs in any one second.
func rates(rs []Request) (peak int) {
	for i := range rs {
		n := 0
		for j := i; j < len(rs) && rs[j].At.Sub(rs[i].At) < time.Second; j++ {
			n++
		}
		peak = max(peak, n)
	}
	return peak
}

// TestRefusedTokensBetweenThrottlesAreFewAndSpaced: a server that answers 429 (Retry-After: 0) and
// 401 in turn, to one call and to an upload 8 blocks at a time, makes the client ask its token
// endpoint, which receives the client secret, a handful of times, never twice within a second; where
// the client used to renew its token at every 401, about 2,500 times a second.
func TestRefusedTokensBetweenThrottlesAreFewAndSpaced(t *testing.T) {
	for _, tr := range transfers[:2] {
		t.Run(tr.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				var mu sync.Mutex
				n := 0
				throttled := throttleAll(tr.method, tr.suffix, func() string { return "0" }, tr.records)
				d := NewDirect(bounded(2000, cancel, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == tr.method && strings.HasSuffix(r.URL.Path, tr.suffix) {
						mu.Lock()
						n++
						odd := n%2 == 1
						mu.Unlock()
						if !odd {
							w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
							w.WriteHeader(http.StatusUnauthorized)
							return
						}
					}
					throttled.ServeHTTP(w, r)
				})))
				c := directClient(t, d)
				err := tr.run(ctx, c)
				if !errors.Is(err, client.ErrUnauthorized) {
					t.Fatalf("error %v, want the 401", err)
				}
				var tokens []Request
				for _, r := range d.Requests() {
					if r.Path == TokenPath {
						tokens = append(tokens, r)
					}
				}
				t.Logf("%d token requests for %d requests", len(tokens), n)
				if len(tokens) > 6 {
					t.Errorf("%d token requests, want at most 6", len(tokens))
				}
				for i := 1; i < len(tokens); i++ {
					if gap := tokens[i].At.Sub(tokens[i-1].At); gap < time.Second {
						t.Errorf("token request %d came %v after the one before, want at least 1s", i+1, gap)
					}
				}
			})
		})
	}
}
