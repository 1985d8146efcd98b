package data8test

import (
	"github.com/data8-toolkit/data8/internal/opid"

	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestScriptedFaults(t *testing.T) {
	s := start(t, WithRetryAfter(2500*time.Millisecond), WithFaultScript(
		Fault{Op: opid.DatasetGetList, Call: 1, Kind: Fault500},
		Fault{Op: opid.DatasetGetList, Call: 2, Kind: Fault503},
		Fault{Op: opid.DatasetGetList, Call: 3, Kind: Fault429},
		Fault{Op: opid.DatasetUploadBlock, Call: 2, Kind: FaultStored503},
		Fault{Op: opid.DatasetUploadBlock, Call: 3, Kind: FaultDrop},
	))
	tok := fetchToken(t, s)

	for i, want := range []int{500, 503, 429, 200, 200} {
		r := do(t, s, tok, "GET", "/Dataset", nil)
		wantStatus(t, r, want)
		if want != 200 {
			if p := r.problem(t); p.Status != int(want) {
				t.Errorf("call %d: problem %s", i+1, r.body)
			}
		}
		if want == 429 && r.header.Get("Retry-After") != "3" {
			t.Errorf("Retry-After %q, want 3", r.header.Get("Retry-After"))
		}
	}

	createDataset(t, s, tok, "d", "v")
	wantStatus(t, upload(t, s, tok, "d", 0, rec("v", "a")), 200)
	// Stored, then 503: the block is there although the client was told it failed.
	wantStatus(t, upload(t, s, tok, "d", 1, rec("v", "b")), 503)
	if got := values(t, s, "d", "v"); !reflect.DeepEqual(got, []any{"a", "b"}) {
		t.Fatalf("after stored-then-503: %v", got)
	}
	// Dropped: no answer at all, and nothing stored.
	req, _ := http.NewRequest("PATCH", s.URL+"/Dataset/d/data", strings.NewReader(`{"blockNumber":2,"records":[{"v":"c"}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := testHTTP(t).Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped connection answered %d", resp.StatusCode)
	}
	if got := values(t, s, "d", "v"); !reflect.DeepEqual(got, []any{"a", "b"}) {
		t.Fatalf("after drop: %v", got)
	}
	// The retry of the block succeeds.
	wantStatus(t, upload(t, s, tok, "d", 2, rec("v", "c")), 200)

	want := map[FaultKind]int{Fault500: 1, Fault503: 1, Fault429: 1, FaultStored503: 1, FaultDrop: 1}
	if got := s.FaultCounts(); !reflect.DeepEqual(got, want) {
		t.Fatalf("FaultCounts %v, want %v", got, want)
	}
	if n := s.RequestCounts()[opid.DatasetUploadBlock]; n != 4 {
		t.Errorf("upload requests %d, want 4", n)
	}
	if n := s.RequestCounts()[opid.DatasetGetList]; n != 5 {
		t.Errorf("list requests %d, want 5", n)
	}
}

func TestFaultOnEveryCallAndToken(t *testing.T) {
	s := start(t, WithFaultScript(Fault{Op: OpToken, Call: 1, Kind: Fault503}, Fault{Op: opid.JobGetList, Kind: Fault500}))
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {s.ClientID}, "client_secret": {s.ClientSecret}}
	wantStatus(t, postToken(t, s, form, "", ""), 503)
	tok := fetchToken(t, s)
	for range 3 {
		wantStatus(t, do(t, s, tok, "GET", "/Job", nil), 500)
	}
	wantStatus(t, do(t, s, tok, "GET", "/Dataset", nil), 200)
}

// faultPattern returns the statuses of n sequential list requests to a server with a fault rate.
func faultPattern(t *testing.T, seed int64, n int) []int {
	s := start(t, WithFaultRate(0.5, seed, Fault500, Fault503, Fault429), WithRetryAfter(0))
	tok := fetchToken(t, s)
	var out []int
	for range n {
		out = append(out, do(t, s, tok, "GET", "/Dataset", nil).status)
	}
	counts := s.FaultCounts()
	total := counts[Fault500] + counts[Fault503] + counts[Fault429]
	failed := 0
	for _, st := range out {
		if st != 200 {
			failed++
		}
	}
	if total != failed {
		t.Fatalf("FaultCounts %v, but %d requests failed", counts, failed)
	}
	return out
}

func TestFaultRateIsSeeded(t *testing.T) {
	a, b, c := faultPattern(t, 7, 60), faultPattern(t, 7, 60), faultPattern(t, 8, 60)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	if reflect.DeepEqual(a, c) {
		t.Fatalf("different seeds, same faults: %v", a)
	}
	kinds := map[int]bool{}
	for _, st := range a {
		kinds[st] = true
	}
	for _, st := range []int{200, 500, 503, 429} {
		if !kinds[st] {
			t.Errorf("60 requests at rate 0.5 saw no %d: %v", st, a)
		}
	}
}

func TestFaultRateSpareTokenEndpoint(t *testing.T) {
	s := start(t, WithFaultRate(1, 1))
	for range 5 {
		fetchToken(t, s)
	}
	if len(s.FaultCounts()) != 0 {
		t.Fatalf("token requests got faults: %v", s.FaultCounts())
	}
	s2 := start(t, WithFaultRate(1, 1, Fault500), WithTokenFaults())
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {s2.ClientID}, "client_secret": {s2.ClientSecret}}
	wantStatus(t, postToken(t, s2, form, "", ""), 500)
}

func TestStored503OnlyForUploads(t *testing.T) {
	s := start(t, WithFaultRate(1, 3, FaultStored503))
	tok := fetchToken(t, s)
	// Creating a dataset gets a plain 503 (not applied), so a retry does not meet "already exists".
	wantStatus(t, do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "d", "columns": map[string]int{"v": 0}}), 503)
	if _, ok := s.DatasetInfo("d"); ok {
		t.Fatal("a plain 503 created the dataset")
	}
	if c := s.FaultCounts(); c[Fault503] != 1 || c[FaultStored503] != 0 {
		t.Fatalf("FaultCounts %v", c)
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	s := start(t, WithLatency(time.Hour))
	tok := fetchToken(t, s) // the token endpoint has no added latency
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/Dataset", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	_, err := testHTTP(t).Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want deadline exceeded", err)
	}
	// Close does not wait for the hour either (the server's own context ends the wait).
	s.Close()
}
