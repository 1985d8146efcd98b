package data8test

import (
	"github.com/data8-toolkit/data8/internal/opid"

	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
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
