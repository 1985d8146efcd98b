package data8test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/internal/opid"
)

// TestMaxInFlight holds two requests inside the server (a hook blocks them after they were handled),
// and checks that a third is refused at once with 429 and Retry-After, without effect, and that
// requests are let through again once a slot is free. The token endpoint is never throttled.
func TestMaxInFlight(t *testing.T) {
	entered := make(chan struct{})
	hold := make(chan struct{})
	s := start(t, WithMaxInFlight(2), WithRetryAfter(3*time.Second), set(func(c *config) {
		c.respHook = func(op string, status int, body []byte) []byte {
			if op == opid.DatasetGetList {
				entered <- struct{}{}
				<-hold
			}
			return body
		}
	}))
	tok := fetchToken(t, s)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := do(t, s, tok, "GET", "/Dataset", nil); r.status != 200 {
				t.Errorf("held request: %d", r.status)
			}
		}()
	}
	<-entered
	<-entered
	r := do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "d", "columns": map[string]int{"a": 0}})
	wantStatus(t, r, http.StatusTooManyRequests)
	if ra := r.header.Get("Retry-After"); ra != "3" {
		t.Errorf("Retry-After %q, want 3", ra)
	}
	if _, ok := s.DatasetInfo("d"); ok {
		t.Error("the refused create made the dataset")
	}
	fetchToken(t, s) // the token endpoint is not throttled
	if n := s.Throttled(); n != 1 {
		t.Errorf("Throttled() = %d, want 1", n)
	}
	close(hold)
	wg.Wait()
	idle(t, s) // a request leaves the count only after its answer has reached the client
	createDataset(t, s, tok, "d", "a")
	if n := s.Throttled(); n != 1 {
		t.Errorf("Throttled() = %d after the slots were freed, want 1", n)
	}
}

// TestRateLimit uses a rate so low that the bucket does not refill during the test: the first request
// passes and every later one is refused, without effect.
func TestRateLimit(t *testing.T) {
	for _, date := range []bool{false, true} {
		t.Run("date="+strconv.FormatBool(date), func(t *testing.T) {
			opts := []Option{WithRateLimit(0.0001), WithRetryAfter(2 * time.Second)}
			if date {
				opts = append(opts, WithProfile(ProfileRetryAfterDate))
			}
			s := start(t, opts...)
			tok := fetchToken(t, s)
			createDataset(t, s, tok, "a", "x")
			for i := range 3 {
				r := upload(t, s, tok, "a", i, rec("x", "1"))
				wantStatus(t, r, http.StatusTooManyRequests)
				ra := r.header.Get("Retry-After")
				if _, err := http.ParseTime(ra); (err == nil) != date || !date && ra != "2" {
					t.Errorf("Retry-After %q", ra)
				}
				var p struct{ Status int }
				if err := json.Unmarshal(r.body, &p); err != nil || p.Status != 429 || r.header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("problem %s (%v)", r.body, err)
				}
			}
			fetchToken(t, s)
			if nums, _ := s.BlockNumbers("a"); len(nums) != 0 {
				t.Errorf("refused uploads stored %d blocks", len(nums))
			}
			if n := s.Throttled(); n != 3 {
				t.Errorf("Throttled() = %d, want 3", n)
			}
			if n := s.RequestCounts()[opid.DatasetUploadBlock]; n != 3 {
				t.Errorf("RequestCounts = %d, want 3", n)
			}
		})
	}
}

// stuckWriter is a ResponseWriter whose Write blocks until unblock is closed: an answer that the
// client is slow to read, still being written.
type stuckWriter struct {
	header  http.Header
	code    int
	writing chan struct{} // closed as the first Write starts
	unblock chan struct{}
	once    sync.Once
	done    chan struct{} // closed by the caller when ServeHTTP has returned
}

func newStuckWriter(t *testing.T) *stuckWriter {
	w := &stuckWriter{header: http.Header{}, writing: make(chan struct{}), unblock: make(chan struct{}), done: make(chan struct{})}
	t.Cleanup(func() {
		select {
		case <-w.unblock:
		default:
			close(w.unblock)
		}
	})
	return w
}

func (w *stuckWriter) Header() http.Header  { return w.header }
func (w *stuckWriter) WriteHeader(code int) { w.code = code }
func (w *stuckWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.writing) })
	<-w.unblock
	return len(p), nil
}

// within waits for c, failing the test after a few seconds.
func within(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: nothing after 5s", what)
	}
}

// idle waits until no request is counted in flight, for at most 5 seconds.
func idle(t *testing.T, s *Server) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		s.throttle.mu.Lock()
		n := s.throttle.inflight
		s.throttle.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests still counted in flight after 5s", n)
		}
	}
}

// serveDirect serves one API request through s's handler into w, as the listener would.
func serveDirect(s *Server, tok, method, path string, w http.ResponseWriter) {
	r := httptest.NewRequest(method, path, nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	s.Handler().ServeHTTP(w, r)
}

// TestInFlightCounting holds a request while its answer is being written, and checks whether a
// second request is let through: not with CountExchange (the answer still going out counts), yes
// with CountHandling (only the handling counts).
func TestInFlightCounting(t *testing.T) {
	for _, c := range []struct {
		name     string
		counting InFlightCounting
		want     int // the second request's status
		admitted int
	}{{"exchange", CountExchange, http.StatusTooManyRequests, 2}, {"handling", CountHandling, http.StatusOK, 3}} {
		t.Run(c.name, func(t *testing.T) {
			opts := []Option{WithMaxInFlight(1)}
			if c.counting != CountExchange {
				opts = append(opts, WithInFlightCounting(c.counting))
			}
			s := start(t, opts...)
			tok := fetchToken(t, s)
			slow := newStuckWriter(t)
			go func() {
				defer close(slow.done)
				serveDirect(s, tok, "GET", "/Dataset", slow)
			}()
			within(t, slow.writing, "the first answer")
			second := httptest.NewRecorder()
			serveDirect(s, tok, "GET", "/Dataset", second)
			if second.Code != c.want {
				t.Errorf("a request while an answer is being written: %d, want %d", second.Code, c.want)
			}
			close(slow.unblock)
			within(t, slow.done, "the first request's end")
			third := httptest.NewRecorder()
			serveDirect(s, tok, "GET", "/Dataset", third)
			if slow.code != http.StatusOK || third.Code != http.StatusOK {
				t.Errorf("statuses %d and %d once the answer was written, want 200 and 200", slow.code, third.Code)
			}
			// One at a time, as each counts.
			if st := s.InFlightStats(); st.Admitted != c.admitted || st.Sum != c.admitted || st.Peak != 1 {
				t.Errorf("stats %+v, want %d admitted, each alone", st, c.admitted)
			}
		})
	}
}

// TestLimitsChange changes the in-flight limit and the rate while the server runs.
func TestLimitsChange(t *testing.T) {
	s := start(t, WithMaxInFlight(1))
	tok := fetchToken(t, s)
	held := newStuckWriter(t)
	go func() {
		defer close(held.done)
		serveDirect(s, tok, "GET", "/Dataset", held)
	}()
	within(t, held.writing, "the held answer")
	status := func() int {
		rec := httptest.NewRecorder()
		serveDirect(s, tok, "GET", "/Dataset", rec)
		return rec.Code
	}
	if got := status(); got != http.StatusTooManyRequests {
		t.Fatalf("at the limit of 1: %d, want 429", got)
	}
	s.SetMaxInFlight(2)
	if got := status(); got != http.StatusOK {
		t.Fatalf("with the limit raised to 2: %d, want 200", got)
	}
	s.SetMaxInFlight(1)
	if got := status(); got != http.StatusTooManyRequests {
		t.Fatalf("with the limit back at 1: %d, want 429", got)
	}
	s.SetMaxInFlight(0)
	if got := status(); got != http.StatusOK {
		t.Fatalf("with no limit: %d, want 200", got)
	}
	close(held.unblock)
	within(t, held.done, "the held request's end")

	// A rate so low that the bucket does not refill during the test: one request, then 429s.
	s.SetRateLimit(0.0001)
	if a, b := status(), status(); a != http.StatusOK || b != http.StatusTooManyRequests {
		t.Fatalf("at a rate of 0.0001/s: %d then %d, want 200 then 429", a, b)
	}
	s.SetRateLimit(0)
	if got := status(); got != http.StatusOK {
		t.Fatalf("with no rate limit: %d, want 200", got)
	}
	s.SetRateLimit(0.0001) // a new bucket: one request again
	if a, b := status(), status(); a != http.StatusOK || b != http.StatusTooManyRequests {
		t.Fatalf("at a new rate of 0.0001/s: %d then %d, want 200 then 429", a, b)
	}
	if n := s.Throttled(); n != 4 {
		t.Errorf("Throttled() = %d, want 4", n)
	}
}

// TestInFlightStats holds two requests and checks the averages.
func TestInFlightStats(t *testing.T) {
	s := start(t)
	tok := fetchToken(t, s)
	before := s.InFlightStats()
	var held []*stuckWriter
	for range 2 {
		w := newStuckWriter(t)
		go func() {
			defer close(w.done)
			serveDirect(s, tok, "GET", "/Dataset", w)
		}()
		within(t, w.writing, "a held answer")
		held = append(held, w)
	}
	rec := httptest.NewRecorder()
	serveDirect(s, tok, "GET", "/Dataset", rec) // meets 2 in flight: 3 with itself
	for _, w := range held {
		close(w.unblock)
		within(t, w.done, "a held request's end")
	}
	serveDirect(s, tok, "GET", "/Dataset", httptest.NewRecorder()) // alone: 1
	st := s.InFlightStats().Since(before)
	if st.Admitted != 4 || st.Sum != 1+2+3+1 || st.Peak != 3 || st.Mean() != 7.0/4 {
		t.Errorf("stats %+v (mean %v), want 4 admitted, sum 7, peak 3, mean 1.75", st, st.Mean())
	}
	if (InFlightStats{}).Mean() != 0 {
		t.Error("the mean of no request is not 0")
	}
}

// TestDroppedConnectionLeavesTheCount drops a throttled request's connection (the server hijacks it)
// in both countings: the request leaves the count, and nothing is flushed to the hijacked connection.
func TestDroppedConnectionLeavesTheCount(t *testing.T) {
	for _, counting := range []InFlightCounting{CountExchange, CountHandling} {
		s := start(t, WithMaxInFlight(1), WithInFlightCounting(counting),
			WithFaultScript(Fault{Op: opid.DatasetGetList, Call: 1, Kind: FaultDrop}))
		tok := fetchToken(t, s)
		req, _ := http.NewRequest("GET", s.URL+"/Dataset", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		fresh := &http.Transport{} // a new connection: nothing for net/http to retry the request on
		if resp, err := fresh.RoundTrip(req); err == nil {
			resp.Body.Close()
			t.Fatalf("counting %d: the dropped request got %s", counting, resp.Status)
		}
		fresh.CloseIdleConnections()
		// The one slot is free again: the next request is let through, once the dropped request's
		// handler has returned (the client may see the connection close a moment before).
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp := do(t, s, tok, "GET", "/Dataset", nil)
			if resp.status != http.StatusTooManyRequests || time.Now().After(deadline) {
				wantStatus(t, resp, http.StatusOK)
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}
