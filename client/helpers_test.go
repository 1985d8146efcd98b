package client_test

// The client's tests run against data8test, the shared stand-in for Data8, with Validate and
// StrictRequests on: every request the client sends and every answer the server gives is checked
// against the spec. Its fault injection gives every failure the retry tests need (500, a proxy's
// 502 and 504 pages, 503 and 429 with Retry-After in seconds or as an HTTP date, dropped
// connections, and requests handled and then their answers lost), scripted by call or by block.
// One small tool completes it:
//
//   - spy sits in the client's transport and watches requests on their way to the server, never
//     answering one: it logs block uploads, and a test can hold a request there or act when one
//     leaves or its answer comes (expire the tokens, say). What only the wire can make, it makes
//     there: a block altered on the way so that the server refuses it, an answer put in .NET's
//     wire form.
//
// Only what no faithful server does is answered by hand, by a tiny httptest handler in the test
// that needs it: a token endpoint or API that echoes a secret, a 501.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
)

// testDeadline bounds every call a test makes: a call stuck by a broken window, a pause that never
// ends or a wait that never returns fails the test in well under a minute, never by the package's
// timeout. It is far above what any call of these tests takes, even under -race on a loaded machine.
const testDeadline = 45 * time.Second

// testContext returns a context that ends after testDeadline (or with the test): every call of the
// tests is made with one, so that a wrong implementation fails the test rather than hanging it.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testDeadline)
	t.Cleanup(cancel)
	return ctx
}

// waitWithin waits for wg, failing the test (and returning) if it has not finished within d: a
// goroutine stuck by a wrong implementation fails the test in seconds.
func waitWithin(t testing.TB, wg *sync.WaitGroup, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("goroutines still running after %v", d)
	}
}

// The credentials of every test server: the secret has characters that form encoding changes.
const (
	testClientID = "test-client"
	testSecret   = "s3cr3t-Value-!@#"
)

// newServer starts a data8test server that checks every request and answer against the spec and
// reports a request that breaks it as a test failure. It is closed when the test ends.
func newServer(t *testing.T, opts ...data8test.Option) *data8test.Server {
	t.Helper()
	return data8test.NewServer(append([]data8test.Option{
		data8test.WithValidation(t), data8test.WithStrictRequests(), data8test.WithCredentials(testClientID, testSecret),
	}, opts...)...)
}

// newClient returns a client of srv whose retry policy never sleeps; opts come after, so a test's
// own retry policy wins.
func newClient(srv *data8test.Server, opts ...client.Option) *client.Client {
	return srv.Client(append([]client.Option{client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep})}, opts...)...)
}

func noSleep(ctx context.Context, _ time.Duration) error { return context.Cause(ctx) }

// createDataset creates an empty input dataset through the API.
func createDataset(t *testing.T, c *client.Client, name string, columns ...string) {
	t.Helper()
	cols := map[string]int{}
	for _, col := range columns {
		cols[col] = 0
	}
	if _, err := c.CreateDataset(testContext(t), name, cols); err != nil {
		t.Fatal(err)
	}
}

// wantRecords checks that the server holds exactly the first n test records in dataset, in order,
// once each.
func wantRecords(t *testing.T, srv *data8test.Server, dataset string, n int) {
	t.Helper()
	got, ok := srv.Records(dataset)
	if !ok {
		t.Fatalf("dataset %s does not exist", dataset)
	}
	if len(got) != n {
		t.Fatalf("dataset %s holds %d records, want %d", dataset, len(got), n)
	}
	for i, rec := range got {
		want := map[string]any{"id": strconv.Itoa(i), "name": fmt.Sprintf("name %d", i), "n": float64(i)}
		if !reflect.DeepEqual(rec, want) {
			t.Fatalf("record %d = %v, want %v", i, rec, want)
		}
	}
}

// spy is a transport in front of a data8test server that watches what the client sends. It logs
// every block upload; before, when set, runs as a request leaves (a non-nil error is returned as
// the request's transport error, and nothing is sent; it may replace the body of r, a copy of the
// client's request, with setBody) and after, when set, when its answer has come (it may replace
// the answer's body). up is nil for a request that is not a block upload, and logs the block as
// the client sent it. The spy never answers for the server.
type spy struct {
	next   *http.Transport
	before func(r *http.Request, up *upload) error
	after  func(r *http.Request, up *upload, resp *http.Response)

	mu       sync.Mutex
	uploads  []*upload
	attempts map[int]int
}

// upload is one block upload as the spy saw it.
type upload struct {
	block, records int
	attempt        int // 1 for the first upload of this block number
	status         int // the answer's status; 0 while there is none
}

func newSpy(t *testing.T) *spy {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	t.Cleanup(tr.CloseIdleConnections)
	return &spy{next: tr, attempts: map[int]int{}}
}

// httpClient returns an *http.Client sending through the spy, for client.WithHTTPClient.
func (s *spy) httpClient() *http.Client { return &http.Client{Transport: s, Timeout: time.Minute} }

func (s *spy) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context()) // a RoundTripper must not change the client's request
	var up *upload
	if r.Method == http.MethodPatch && r.GetBody != nil {
		body, err := r.GetBody()
		if err != nil {
			return nil, err
		}
		var b struct {
			BlockNumber int               `json:"blockNumber"`
			Records     []json.RawMessage `json:"records"`
		}
		if err := json.NewDecoder(body).Decode(&b); err != nil {
			return nil, fmt.Errorf("spy: block upload body: %v", err)
		}
		s.mu.Lock()
		s.attempts[b.BlockNumber]++
		up = &upload{block: b.BlockNumber, records: len(b.Records), attempt: s.attempts[b.BlockNumber]}
		s.uploads = append(s.uploads, up)
		s.mu.Unlock()
	}
	if s.before != nil {
		if err := s.before(r, up); err != nil {
			return nil, err
		}
	}
	resp, err := s.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if up != nil {
		s.mu.Lock()
		up.status = resp.StatusCode
		s.mu.Unlock()
	}
	if s.after != nil {
		s.after(r, up, resp)
	}
	return resp, nil
}

// blockAttempts returns how many times each block number was sent.
func (s *spy) blockAttempts() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int]int, len(s.attempts))
	for b, n := range s.attempts {
		out[b] = n
	}
	return out
}

// acknowledged returns the number of records of each block the server acknowledged (answered 200),
// by block number.
func (s *spy) acknowledged() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]int{}
	for _, up := range s.uploads {
		if up.status == http.StatusOK {
			out[up.block] = up.records
		}
	}
	return out
}

// uploadCount returns how many block uploads the client sent.
func (s *spy) uploadCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.uploads)
}

// checkJitter checks retry delays chosen by full jitter when the i-th retry of a call has the ceiling
// 100ms·2^(i-1): attempts gives each call's attempts (a call with n attempts made n-1 retries). The
// delays may come in any order; they fit when, both sorted, each is below its ceiling.
func checkJitter(t *testing.T, delays []time.Duration, attempts map[int]int) {
	t.Helper()
	var ceilings []time.Duration
	for _, n := range attempts {
		for i := 1; i < n; i++ {
			ceilings = append(ceilings, 100*time.Millisecond<<(i-1))
		}
	}
	if len(delays) != len(ceilings) {
		t.Errorf("%d delays for %d retries", len(delays), len(ceilings))
		return
	}
	ds := slices.Clone(delays)
	slices.Sort(ds)
	slices.Sort(ceilings)
	for i := range ds {
		if ds[i] < 0 || ds[i] >= ceilings[i] {
			t.Errorf("delays %v do not fit full jitter under the ceilings %v", ds, ceilings)
			return
		}
	}
}

// checkFloored checks delays against the throttling backoff of the default policy, for the retries
// that attempts (block → attempts) implies: retry n of a block waits within [c/2, c) where c =
// min(20s, 100ms·2^n), never less than BaseDelay.
func checkFloored(t *testing.T, delays []time.Duration, attempts map[int]int) {
	t.Helper()
	var lows []time.Duration
	for _, n := range attempts {
		for i := 1; i < n; i++ {
			lows = append(lows, min(20*time.Second, 100*time.Millisecond<<i)/2)
		}
	}
	if len(delays) != len(lows) {
		t.Errorf("%d delays for %d retries", len(delays), len(lows))
		return
	}
	ds := slices.Clone(delays)
	slices.Sort(ds)
	slices.Sort(lows)
	for i := range ds {
		if ds[i] < lows[i] || ds[i] >= 2*lows[i] {
			t.Errorf("delays %v do not fit the throttling backoff from the lows %v", ds, lows)
			return
		}
	}
}

// setBody replaces r's body with v as JSON.
func setBody(r *http.Request, v any) {
	b, _ := json.Marshal(v)
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r.ContentLength = int64(len(b))
}
