package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tooMany answers 429 with a problem body and Retry-After after (none when after is "").
func tooMany(w http.ResponseWriter, status int, after string) {
	if after != "" {
		w.Header().Set("Retry-After", after)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status})
}

// TestThrottledRequestsSentAgain: a request of the suite's own refused for load (429 with
// Retry-After: 0, 503 without one), before anything was done (a rate limiter in front of the API,
// whatever the token), is waited out and sent again, never sooner than the floor after the refusal;
// the answer judged is the one after. The report counts the refusals and the resends.
func TestThrottledRequestsSentAgain(t *testing.T) {
	var (
		mu    sync.Mutex
		times []time.Time
		n     int
	)
	srv := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		i := n
		times = append(times, time.Now())
		mu.Unlock()
		switch {
		case i == 1 || i == 4:
			tooMany(w, http.StatusTooManyRequests, "0")
		case i == 2:
			tooMany(w, http.StatusServiceUnavailable, "")
		case r.Header.Get("Authorization") != "Bearer token-of-the-fake-api":
			w.Header().Set("WWW-Authenticate", "Bearer")
			tooMany(w, http.StatusUnauthorized, "")
		default:
			emptyList(w, r)
		}
	})
	forged := Case{ID: "FORGED", Kind: Generic, Rule: "a forged token is refused", run: func(c *check) {
		if r := c.raw(http.MethodGet, "/Dataset", nil, nil, badToken); r.Status != http.StatusUnauthorized {
			c.Errorf("answered %s; want 401", r)
		}
	}}
	rep := runTest(t, context.Background(), testConfig(srv), listDatasets("LIST"), forged)
	if got, want := statuses(rep), "LIST=passed FORGED=passed"; got != want {
		t.Fatalf("%s; want %s: %v %v", got, want, rep.Case("LIST").Failures, rep.Case("FORGED").Failures)
	}
	if n != 5 {
		t.Errorf("the server received %d requests; want 5 (2 refusals and the answer, 1 refusal and the answer)", n)
	}
	for _, i := range []int{1, 2, 4} {
		if gap := times[i].Sub(times[i-1]); gap < throttleFloor {
			t.Errorf("request %d sent %v after the refusal; want at least %v", i+1, gap, throttleFloor)
		}
	}
	if got, want := rep.Throttling, (Throttling{Refused: 3, Resent: 3}); got != want {
		t.Errorf("Throttling = %+v; want %+v", got, want)
	}
	for _, p := range rep.Discovery {
		if p.Point == "limits" && (p.Result != asDecided || !strings.Contains(p.Observed, "3 answers refused a request for load")) {
			t.Errorf("limits row %q: %q; want the refusals counted, as decided", p.Result, p.Observed)
		}
	}
}

// TestThrottledForeverIsJudged: a server that refuses a request for load every time gets it a
// bounded number of times, then the case judges the refusal (it fails); a Retry-After past the
// bound is not waited for at all.
func TestThrottledForeverIsJudged(t *testing.T) {
	for _, tc := range []struct {
		after    string
		requests int64
		least    time.Duration
	}{
		{"0", 1 + throttleResends, 6300 * time.Millisecond}, // 100 ms doubling: 0.1+0.2+0.4+0.8+1.6+3.2 s
		{"3600", 1, 0},
	} {
		t.Run("Retry-After "+tc.after, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int64
			srv := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				tooMany(w, http.StatusTooManyRequests, tc.after)
			})
			cfg := testConfig(srv)
			cfg.CaseTimeout = 30 * time.Second
			start := time.Now()
			rep := runTest(t, context.Background(), cfg, listDatasets("LIST"))
			took := time.Since(start)
			if c := rep.Case("LIST"); c.Status != Failed || !strings.Contains(strings.Join(c.Failures, " "), "429") {
				t.Errorf("LIST is %s %q; want failed on the 429", c.Status, c.Failures)
			}
			if got := n.Load(); got != tc.requests {
				t.Errorf("the server received %d requests; want %d", got, tc.requests)
			}
			// The upper bound is far below the Retry-After of 3600 s and the case's 30 s timeout.
			if took < tc.least || took > tc.least+20*time.Second {
				t.Errorf("the run took %v; want about %v", took, tc.least)
			}
			if got := rep.Throttling; got.GaveUp != 1 || got.Resent != int(tc.requests-1) {
				t.Errorf("Throttling = %+v; want 1 given up after %d resends", got, tc.requests-1)
			}
		})
	}
}

// TestRunTokenRenewed: the run's token is renewed before the end of the lifetime its expires_in
// announced, and a request refused with 401 on the run's own token (expired among requests sent at
// once) is sent once more with a new token; a forged token refused is not.
func TestRunTokenRenewed(t *testing.T) {
	var issued, forged atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /connect/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "token-" + strconv.FormatInt(issued.Add(1), 10), "token_type": "Bearer", "expires_in": 30})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Authorization") {
		case "Bearer token-2":
			emptyList(w, r)
			return
		case "Bearer token-2x":
			forged.Add(1)
		}
		// The first token has expired (as the server sees it), as has any other.
		w.Header().Set("WWW-Authenticate", "Bearer")
		tooMany(w, http.StatusUnauthorized, "")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var renewAt, seenAt time.Time
	c := Case{ID: "TOKEN", Kind: Generic, Rule: "renews", run: func(c *check) {
		tok := c.accessToken()
		status, _, err := c.fetchOnce(http.MethodGet, "/Dataset", tok, nil)
		if err != nil || status != http.StatusOK {
			c.Errorf("GET /Dataset with the run's token %s: %d, %v; want it renewed and 200", tok, status, err)
		}
		status, _, _ = c.fetchOnce(http.MethodGet, "/Dataset", c.accessToken()+"x", nil)
		if status != http.StatusUnauthorized {
			c.Errorf("GET /Dataset with a forged token: %d; want 401", status)
		}
		c.mu.Lock()
		renewAt, seenAt = c.tokenRenew, time.Now()
		c.mu.Unlock()
	}}
	start := time.Now()
	rep := runTest(t, context.Background(), testConfig(srv), c)
	if got := statuses(rep); got != "TOKEN=passed" {
		t.Fatalf("%s: %v", got, rep.Case("TOKEN").Failures)
	}
	if n := issued.Load(); n != 2 {
		t.Errorf("%d tokens issued; want 2 (the first, and one after the 401)", n)
	}
	if n := forged.Load(); n != 1 {
		t.Errorf("the forged token was sent %d times; want once", n)
	}
	// The second token was asked for between the start and the moment its renewal was read.
	const renewAfter = 20 * time.Second
	if renewAt.Before(start.Add(renewAfter)) || renewAt.After(seenAt.Add(renewAfter)) {
		t.Errorf("a token of expires_in 30 is renewed %v after the run began (read %v after it); want a third of its lifetime before its end (%v after it was asked for)",
			renewAt.Sub(start), seenAt.Sub(start), renewAfter)
	}
}

// TestNoDatasetOfNoName: an empty name (the empty or missing output slot of an unfinished job) is
// no dataset's: reading it sends nothing (no GET /Dataset/, which may well be the list), and says so.
func TestNoDatasetOfNoName(t *testing.T) {
	var (
		mu    sync.Mutex
		paths []string
	)
	srv := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		emptyList(w, r)
	})
	c := Case{ID: "NONAME", Kind: Generic, Rule: "reads nothing", run: func(c *check) {
		if _, err := c.dataset(""); !errors.Is(err, errNoDatasetName) {
			c.Errorf("dataset(\"\"): %v", err)
		}
		if _, err := c.readAll(""); !errors.Is(err, errNoDatasetName) {
			c.Errorf("readAll(\"\"): %v", err)
		}
		c.raw(http.MethodGet, "/Dataset", nil, nil, withToken) // an answer, so that the case checked something
	}}
	rep := runTest(t, context.Background(), testConfig(srv), c)
	if got := statuses(rep); got != "NONAME=passed" || len(rep.Case("NONAME").Observations) > 0 {
		t.Fatalf("%s %v %v", got, rep.Case("NONAME").Failures, rep.Case("NONAME").Observations)
	}
	if len(paths) != 1 || paths[0] != "/Dataset" {
		t.Errorf("the server received %q; want only the list", paths)
	}
}
