package client_test

// Throttling has a floor and a ceiling: whatever a server's Retry-After says, a refused call waits
// at least BaseDelay, backing off, and gives up once MaxThrottleWait has passed since its first
// refusal; refused tokens are renewed a bounded number of times, never in a loop. The server here is
// a small hand-written handler (no faithful server answers Retry-After: 0 forever), and time is a
// fake clock that moves only when the client sleeps or the handler says a request took time.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// fakeClock is a RetryPolicy's Now and Sleep: it moves only when the client sleeps (by the delay)
// or when advance is called.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	return context.Cause(ctx)
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// floorServer is an API and token endpoint: each token request gets a new token, and each API
// request is answered by api (given the request's number, from 1). It records when (by the fake
// clock) each API request and each token request arrived.
type floorServer struct {
	clock *fakeClock
	api   func(w http.ResponseWriter, r *http.Request, n int)

	mu     sync.Mutex
	calls  []time.Time // API requests
	tokens []time.Time // token requests
}

func (s *floorServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if r.URL.Path == "/connect/token" {
		s.tokens = append(s.tokens, s.clock.Now())
		n := len(s.tokens)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"floor-token-number-%03d","token_type":"Bearer","expires_in":3600}`, n)
		return
	}
	s.calls = append(s.calls, s.clock.Now())
	n := len(s.calls)
	s.mu.Unlock()
	if n > floorGuard {
		// A client in a loop that never sleeps would never reach its limit by the fake clock: a
		// refusal it does not retry ends the call, and the test fails on its count, at once.
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.api(w, r, n)
}

// floorGuard is the most API requests a floorServer answers as the test says: far more than a
// correct client sends, far fewer than a client in a hot loop sends in a moment.
const floorGuard = 5000

func (s *floorServer) counts() (calls, tokens []time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.calls...), append([]time.Time(nil), s.tokens...)
}

// start serves s and returns a client of it with the fake clock and opts.
func (s *floorServer) start(t *testing.T, policy client.RetryPolicy, opts ...client.Option) *client.Client {
	t.Helper()
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	policy.Sleep, policy.Now = s.clock.Sleep, s.clock.Now
	c, err := client.New(append([]client.Option{
		client.WithBaseURL(hs.URL), client.WithTokenURL(hs.URL + "/connect/token"),
		client.WithCredentials("floor-client", "floor-secret-value"), client.WithRetryPolicy(policy),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// refuse429 answers 429 with the Retry-After retryAfter returns ("" for none).
func refuse429(w http.ResponseWriter, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusTooManyRequests)
	fmt.Fprint(w, `{"title":"Too Many Requests","status":429}`)
}

// TestThrottleFloorWhateverRetryAfter: a server answering 429 forever with a Retry-After below the
// floor (0, negative, a date past), an unreadable one, or none, gets a call's requests spaced by at
// least BaseDelay and backing off to MaxDelay: at most 4 in the first second and a few dozen in all,
// and the call gives up at MaxThrottleWait (10 minutes) after its first refusal, not before. Without
// the floor the call would never wait; without the backoff it would send about 4,000 requests; with
// the old rule (summed waits) it would never give up.
func TestThrottleFloorWhateverRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter func(now time.Time) string
	}{
		{"zero", func(time.Time) string { return "0" }},
		{"negative", func(time.Time) string { return "-5" }},
		{"a date past", func(now time.Time) string { return now.Add(-time.Hour).Format(http.TimeFormat) }},
		{"now as a date", func(now time.Time) string { return now.Format(http.TimeFormat) }},
		{"unreadable", func(time.Time) string { return "soon" }},
		{"a fraction", func(time.Time) string { return "0.5" }},
		{"absent", func(time.Time) string { return "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			srv := &floorServer{clock: clock}
			srv.api = func(w http.ResponseWriter, _ *http.Request, _ int) { refuse429(w, tc.retryAfter(clock.Now())) }
			start := clock.Now()
			c := srv.start(t, client.RetryPolicy{})
			_, err := c.GetDataset(testContext(t), "ds")
			if !errors.Is(err, client.ErrRateLimited) || !strings.Contains(err.Error(), "MaxThrottleWait is 10m0s") {
				t.Fatalf("error %v, want the 429 and the limit", err)
			}
			calls, _ := srv.counts()
			first := 0
			for _, at := range calls {
				if at.Sub(start) < time.Second {
					first++
				}
			}
			if first > 4 {
				t.Errorf("%d requests in the first second, want at most 4", first)
			}
			if n := len(calls); n < 30 || n > 70 {
				t.Errorf("%d requests in all, want 30 to 70 (a floor backing off to 20s)", n)
			}
			last := calls[len(calls)-1].Sub(start)
			if last > 10*time.Minute || last < 9*time.Minute+30*time.Second {
				t.Errorf("the last request came %v after the first, want the call to give up near 10m", last)
			}
			for i, d := range clock.waits() {
				if d < 100*time.Millisecond || d > 20*time.Second {
					t.Errorf("wait %d is %v, want 100ms to 20s", i+1, d)
				}
			}
			t.Logf("%d requests, the last after %v", len(calls), last)
		})
	}
}

// TestSensibleRetryAfterIsFollowedExactly: a Retry-After at or above the floor is waited exactly,
// never lengthened by the floor's backoff, until the limit: 1 s each, 600 waits, 601 requests.
func TestSensibleRetryAfterIsFollowedExactly(t *testing.T) {
	clock := newFakeClock()
	srv := &floorServer{clock: clock, api: func(w http.ResponseWriter, _ *http.Request, _ int) { refuse429(w, "1") }}
	c := srv.start(t, client.RetryPolicy{})
	if _, err := c.GetDataset(testContext(t), "ds"); !errors.Is(err, client.ErrRateLimited) {
		t.Fatalf("error %v, want the 429", err)
	}
	waits := clock.waits()
	for i, d := range waits {
		if d != time.Second {
			t.Fatalf("wait %d is %v, want the Retry-After's 1s", i+1, d)
		}
	}
	calls, _ := srv.counts()
	if len(waits) != 600 || len(calls) != 601 {
		t.Errorf("%d waits and %d requests, want 600 and 601", len(waits), len(calls))
	}
}

// TestThrottleLimitCountsElapsedTime: MaxThrottleWait counts the time since the call's first
// refusal, not the waits alone: a server that takes 30 s to refuse each request with Retry-After: 1
// is given up on after about 20 requests (10 minutes), not 600 (600 waits of 1 s).
func TestThrottleLimitCountsElapsedTime(t *testing.T) {
	clock := newFakeClock()
	srv := &floorServer{clock: clock}
	srv.api = func(w http.ResponseWriter, _ *http.Request, _ int) {
		clock.advance(30 * time.Second)
		refuse429(w, "1")
	}
	c := srv.start(t, client.RetryPolicy{})
	_, err := c.GetDataset(testContext(t), "ds")
	if !errors.Is(err, client.ErrRateLimited) {
		t.Fatalf("error %v, want the 429", err)
	}
	calls, _ := srv.counts()
	if n := len(calls); n < 18 || n > 21 {
		t.Errorf("%d requests, want about 20 (31 s each, 10 minutes)", n)
	}
	if !strings.Contains(err.Error(), "waited 9m") && !strings.Contains(err.Error(), "waited 10m") {
		t.Errorf("error %q does not say it was throttled for about 10 minutes", err)
	}
	t.Logf("%d requests: %v", len(calls), err)
}

// TestThrottleNotice: WithThrottleNotice is called at the first wait, then at most once per its
// interval, with the call, the status, the wait, how long the call has been throttled and the limit.
func TestThrottleNotice(t *testing.T) {
	for _, every := range []time.Duration{0, time.Minute} {
		t.Run(fmt.Sprint("every ", every), func(t *testing.T) {
			clock := newFakeClock()
			srv := &floorServer{clock: clock, api: func(w http.ResponseWriter, _ *http.Request, _ int) { refuse429(w, "0") }}
			var notices []client.ThrottleNotice
			c := srv.start(t, client.RetryPolicy{}, client.WithThrottleNotice(every, func(n client.ThrottleNotice) {
				notices = append(notices, n)
			}))
			if _, err := c.GetDataset(testContext(t), "ds"); !errors.Is(err, client.ErrRateLimited) {
				t.Fatalf("error %v, want the 429", err)
			}
			calls, _ := srv.counts()
			waits := clock.waits()
			if len(notices) == 0 {
				t.Fatal("no notice")
			}
			if every == 0 && len(notices) != len(waits) {
				t.Errorf("%d notices for %d waits, want one each", len(notices), len(waits))
			}
			if every == time.Minute && (len(notices) < 8 || len(notices) > 11) { // 60 to 80 s apart: a refusal every 10 to 20 s
				t.Errorf("%d notices in 10 minutes, want one a minute", len(notices))
			}
			if n := notices[0]; n.Throttled != 0 || n.Wait != waits[0] {
				t.Errorf("first notice %+v, want at once, with the first wait %v", n, waits[0])
			}
			prev := time.Duration(-1)
			for _, n := range notices {
				if n.Operation != "Dataset_GetByName" || n.StatusCode != 429 || n.GiveUpAfter != 10*time.Minute || n.Wait < 100*time.Millisecond {
					t.Errorf("notice %+v", n)
				}
				if n.Throttled <= prev || n.Throttled > 10*time.Minute {
					t.Errorf("notice %+v after one %v into the throttling", n, prev)
				}
				prev = n.Throttled
			}
			t.Logf("%d notices for %d requests", len(notices), len(calls))
		})
	}
}

// TestRenewalsBetweenThrottlesAreBounded: a server answering 429 (Retry-After: 0) and 401 in turn
// makes the client renew its token at most MaxAttempts times for the call (6 token requests in all
// with the first), each after the floor of 1 s since the previous; the call ends with the 401.
func TestRenewalsBetweenThrottlesAreBounded(t *testing.T) {
	clock := newFakeClock()
	srv := &floorServer{clock: clock}
	srv.api = func(w http.ResponseWriter, _ *http.Request, n int) {
		if n%2 == 1 {
			refuse429(w, "0")
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
	}
	c := srv.start(t, client.RetryPolicy{})
	_, err := c.GetDataset(testContext(t), "ds")
	if !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("error %v, want the 401", err)
	}
	calls, tokens := srv.counts()
	if len(tokens) > 6 {
		t.Errorf("%d token requests for %d API requests, want at most 6", len(tokens), len(calls))
	}
	for i := 1; i < len(tokens); i++ {
		if gap := tokens[i].Sub(tokens[i-1]); gap < time.Second {
			t.Errorf("token request %d came %v after the one before, want at least 1s", i+1, gap)
		}
	}
	t.Logf("%d API requests, %d token requests", len(calls), len(tokens))
}

// TestRefusedTokensAcrossGoroutines: 16 calls at once against a server that refuses every token
// renew it once for all (2 token requests: the first, and one for the token refused), not once per
// call, the second at least 1 s after the first. The server answers each round of 16 requests only
// once all 16 have come, so that every call meets the same token.
func TestRefusedTokensAcrossGoroutines(t *testing.T) {
	const calls = 16
	clock := newFakeClock()
	var mu sync.Mutex
	rounds := map[int]chan struct{}{}
	round := func(n int) chan struct{} { // the barrier of request n's round; mu is held
		r := (n - 1) / calls
		if rounds[r] == nil {
			rounds[r] = make(chan struct{})
		}
		return rounds[r]
	}
	srv := &floorServer{clock: clock, api: func(w http.ResponseWriter, _ *http.Request, n int) {
		mu.Lock()
		barrier := round(n)
		if n%calls == 0 {
			close(barrier)
		}
		mu.Unlock()
		select {
		case <-barrier:
		case <-time.After(10 * time.Second): // a hang guard: a round that never fills is a failure
			t.Errorf("request %d: its round of %d never filled", n, calls)
		}
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
	}}
	c := srv.start(t, client.RetryPolicy{})
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			if _, err := c.GetDataset(testContext(t), "ds"); !errors.Is(err, client.ErrUnauthorized) {
				t.Errorf("error %v, want the 401", err)
			}
		})
	}
	waitWithin(t, &wg, testDeadline+5*time.Second)
	requests, tokens := srv.counts()
	if len(tokens) != 2 || len(requests) != 2*calls {
		t.Errorf("%d token requests and %d API requests, want 2 and %d", len(tokens), len(requests), 2*calls)
	}
	if len(tokens) == 2 {
		if gap := tokens[1].Sub(tokens[0]); gap < time.Second {
			t.Errorf("the second token request came %v after the first, want at least 1s", gap)
		}
	}
}
