package data8test

import (
	"github.com/data8-toolkit/data8/internal/opid"

	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// The pages Fault502 and Fault504 are documented to send, word for word.
const (
	wantBadGatewayPage     = `<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>` + "\n"
	wantGatewayTimeoutPage = `<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>` + "\n"
)

// try sends a request and reads its answer; status is 0 when the connection was dropped.
func try(t *testing.T, s *Server, tok, method, path, body string) rawResp {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := testHTTP(t).Do(req)
	if err != nil {
		return rawResp{}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResp{status: resp.StatusCode, header: resp.Header, body: b}
}

// wantProblem checks that r is an injected fault's problem of status with the detail given.
func wantProblem(t *testing.T, r rawResp, status int, detail string) {
	t.Helper()
	wantStatus(t, r, status)
	title := map[int]string{500: "An error occurred while processing your request.", 503: "Service Unavailable", 429: "Too Many Requests"}[status]
	p := r.problem(t)
	if p.Status != int(status) || p.Title != title || p.Detail != detail {
		t.Errorf("problem %s, want status %d, title %q, detail %q", r.body, status, title, detail)
	}
}

func TestProxyFaults(t *testing.T) {
	s := start(t, WithFaultScript(
		Fault{Op: opid.DatasetGetList, Call: 1, Kind: Fault502},
		Fault{Op: opid.DatasetGetList, Call: 2, Kind: Fault504},
		Fault{Op: opid.DatasetCreate, Call: 1, Kind: Fault502},
	))
	tok := fetchToken(t, s)
	for _, want := range []struct {
		status int
		page   string
	}{{502, wantBadGatewayPage}, {504, wantGatewayTimeoutPage}} {
		r := do(t, s, tok, "GET", "/Dataset", nil)
		wantStatus(t, r, want.status)
		if ct := r.header.Get("Content-Type"); ct != "text/html" {
			t.Errorf("%d: Content-Type %q, want text/html", want.status, ct)
		}
		if string(r.body) != want.page {
			t.Errorf("%d: body %q, want %q", want.status, r.body, want.page)
		}
		if ra := r.header.Get("Retry-After"); ra != "" {
			t.Errorf("%d: Retry-After %q", want.status, ra)
		}
	}
	wantStatus(t, do(t, s, tok, "GET", "/Dataset", nil), 200)
	// Not handled: the dataset was not created.
	wantStatus(t, do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "d", "columns": map[string]int{"v": 0}}), 502)
	if _, ok := s.DatasetInfo("d"); ok {
		t.Error("a 502 created the dataset")
	}
	want := map[FaultKind]int{Fault502: 2, Fault504: 1}
	if got := s.FaultCounts(); !reflect.DeepEqual(got, want) {
		t.Errorf("FaultCounts %v, want %v", got, want)
	}
}

func TestRetryAfterFaults(t *testing.T) {
	t.Run("seconds", func(t *testing.T) {
		for _, tc := range []struct {
			d    time.Duration
			want string
		}{{2500 * time.Millisecond, "3"}, {7 * time.Second, "7"}, {0, "0"}, {-time.Hour, "0"}} {
			s := start(t, WithRetryAfter(tc.d), WithFaultScript(
				Fault{Op: opid.DatasetGetList, Call: 1, Kind: Fault503RetryAfter},
				Fault{Op: opid.DatasetGetList, Call: 2, Kind: Fault429},
				Fault{Op: opid.DatasetGetList, Call: 3, Kind: Fault503},
			))
			tok := fetchToken(t, s)
			r := do(t, s, tok, "GET", "/Dataset", nil)
			wantProblem(t, r, 503, "Injected fault: 503; retry after "+tc.want+" s.")
			if got := r.header.Get("Retry-After"); got != tc.want {
				t.Errorf("%v: 503 Retry-After %q, want %q", tc.d, got, tc.want)
			}
			r = do(t, s, tok, "GET", "/Dataset", nil)
			wantProblem(t, r, 429, "Injected fault: 429; retry after "+tc.want+" s.")
			if got := r.header.Get("Retry-After"); got != tc.want {
				t.Errorf("%v: 429 Retry-After %q, want %q", tc.d, got, tc.want)
			}
			// A plain 503 has none.
			r = do(t, s, tok, "GET", "/Dataset", nil)
			wantProblem(t, r, 503, "Injected fault: 503.")
			if got, ok := r.header["Retry-After"]; ok {
				t.Errorf("plain 503 has Retry-After %q", got)
			}
			if got, want := s.FaultCounts(), (map[FaultKind]int{Fault503RetryAfter: 1, Fault429: 1, Fault503: 1}); !reflect.DeepEqual(got, want) {
				t.Errorf("FaultCounts %v, want %v", got, want)
			}
		}
	})
	t.Run("HTTP date", func(t *testing.T) {
		for _, tc := range []struct {
			d, want time.Duration
		}{{12 * time.Second, 12 * time.Second}, {2500 * time.Millisecond, 3 * time.Second}, {0, 0}, {-time.Hour, -time.Hour}} {
			s := start(t, WithRetryAfter(tc.d), WithProfile(ProfileRetryAfterDate), WithFaultScript(
				Fault{Op: opid.DatasetGetByName, Call: 1, Kind: Fault503RetryAfter},
				Fault{Op: opid.DatasetGetByName, Call: 2, Kind: Fault429},
			))
			tok := fetchToken(t, s)
			for _, status := range []int{503, 429} {
				before := time.Now().Truncate(time.Second)
				r := do(t, s, tok, "GET", "/Dataset/x", nil)
				after := time.Now()
				date, err := http.ParseTime(r.header.Get("Date"))
				if err != nil {
					t.Fatalf("Date %q: %v", r.header.Get("Date"), err)
				}
				ra := r.header.Get("Retry-After")
				at, err := http.ParseTime(ra)
				if err != nil {
					t.Fatalf("Retry-After %q is not an HTTP date: %v", ra, err)
				}
				if got := at.Sub(date); got != tc.want {
					t.Errorf("%d, %v: Retry-After %s is %v after Date %s, want %v", status, tc.d, ra, got, r.header.Get("Date"), tc.want)
				}
				if date.Before(before) || date.After(after) {
					t.Errorf("Date %v is not the time of the answer (between %v and %v)", date, before, after)
				}
				wantProblem(t, r, status, fmt.Sprintf("Injected fault: %d; retry after %s.", status, ra))
			}
		}
	})
}

func TestStoredFaults(t *testing.T) {
	for _, kind := range []FaultKind{FaultStored500, FaultStoredDrop, FaultStored503} {
		t.Run(kind.String(), func(t *testing.T) {
			s := start(t, WithFaultScript(
				Fault{Op: opid.DatasetCreate, Call: 1, Kind: kind},
				Fault{Op: opid.DatasetUploadBlock, Call: 2, Kind: kind},
			))
			tok := fetchToken(t, s)
			check := func(r rawResp, what string) {
				t.Helper()
				switch kind {
				case FaultStored500:
					wantProblem(t, r, 500, "Injected fault: the request was handled, then 500.")
				case FaultStored503:
					wantProblem(t, r, 503, "Injected fault: the request was handled, then 503.")
				case FaultStoredDrop:
					if r.status != 0 {
						t.Fatalf("%s: answered %d, want a dropped connection", what, r.status)
					}
				}
			}
			check(try(t, s, tok, "POST", "/Dataset", `{"name":"d","columns":{"v":0}}`), "create")
			// The dataset was created although the client was told otherwise: the retry meets it.
			if info, ok := s.DatasetInfo("d"); !ok || !info.Input {
				t.Fatalf("after a stored fault the dataset is %+v (%v)", info, ok)
			}
			wantStatus(t, do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "d", "columns": map[string]int{"v": 0}}), 400)

			wantStatus(t, upload(t, s, tok, "d", 0, rec("v", "a")), 200)
			check(try(t, s, tok, "PATCH", "/Dataset/d/data", `{"blockNumber":1,"records":[{"v":"b"}]}`), "upload")
			if got := values(t, s, "d", "v"); !reflect.DeepEqual(got, []any{"a", "b"}) {
				t.Fatalf("after a stored fault the dataset holds %v", got)
			}
			// The retry overwrites: still one copy.
			wantStatus(t, upload(t, s, tok, "d", 1, rec("v", "b")), 200)
			if got := values(t, s, "d", "v"); !reflect.DeepEqual(got, []any{"a", "b"}) {
				t.Fatalf("after the retry the dataset holds %v", got)
			}
			if got, want := s.FaultCounts(), (map[FaultKind]int{kind: 2}); !reflect.DeepEqual(got, want) {
				t.Errorf("FaultCounts %v, want %v", got, want)
			}
		})
	}
}

func TestFaultScriptByBlock(t *testing.T) {
	s := start(t, WithFaultScript(
		Fault{Op: opid.DatasetUploadBlock, Attempt: 1, Kind: Fault503},
		Fault{Op: opid.DatasetUploadBlock, Blocks: []int{3, 7}, Attempt: 2, Kind: Fault502},
		Fault{Blocks: []int{5}, Kind: Fault500},                          // every attempt of block 5 (Op "" matches uploads)
		Fault{Op: opid.DatasetGetList, Blocks: []int{0}, Kind: Fault500}, // never matches: not an upload
		Fault{Op: opid.DatasetGetList, Attempt: 1, Kind: Fault500},       // nor this
	))
	tok := fetchToken(t, s)
	createDataset(t, s, tok, "d", "v")
	createDataset(t, s, tok, "e", "v")
	body := func(b int) string { return fmt.Sprintf(`{"records":[{"v":"%d"}],"blockNumber":%d}`, b, b) }
	// Blocks out of order: attempts are counted per block, whatever the order of arrival.
	for _, b := range []int{7, 0, 3, 9, 5} {
		wantStatus(t, try(t, s, tok, "PATCH", "/Dataset/d/data", body(b)), 503)
	}
	for _, b := range []int{9, 0} {
		wantStatus(t, try(t, s, tok, "PATCH", "/Dataset/d/data", body(b)), 200)
	}
	for _, b := range []int{3, 7} {
		r := try(t, s, tok, "PATCH", "/Dataset/d/data", body(b))
		wantStatus(t, r, 502)
		if string(r.body) != wantBadGatewayPage {
			t.Errorf("block %d: body %q", b, r.body)
		}
		wantStatus(t, try(t, s, tok, "PATCH", "/Dataset/d/data", body(b)), 200)
	}
	for range 3 {
		wantStatus(t, try(t, s, tok, "PATCH", "/Dataset/d/data", body(5)), 500)
	}
	// Attempts are counted per dataset: block 0 of e is on its first attempt.
	wantStatus(t, try(t, s, tok, "PATCH", "/Dataset/e/data", body(0)), 503)
	wantStatus(t, try(t, s, tok, "PATCH", "/Dataset/e/data", body(0)), 200)
	// A body without a valid blockNumber matches no block entry; the handler refuses it.
	for _, bad := range []string{`{"records":[]}`, `{"blockNumber":"1","records":[]}`, `{"BlockNumber":1,"records":[]}`, `{"blockNumber":-1,"records":[]}`, `not json`} {
		wantStatus(t, try(t, s, tok, "PATCH", "/Dataset/d/data", bad), 400)
	}
	// Entries that set Blocks or Attempt never match another operation.
	wantStatus(t, do(t, s, tok, "GET", "/Dataset", nil), 200)

	if got := values(t, s, "d", "v"); !reflect.DeepEqual(got, []any{"0", "3", "7", "9"}) {
		t.Errorf("d holds %v", got)
	}
	want := map[FaultKind]int{Fault503: 6, Fault502: 2, Fault500: 3}
	if got := s.FaultCounts(); !reflect.DeepEqual(got, want) {
		t.Errorf("FaultCounts %v, want %v", got, want)
	}
}

func TestFaultScriptByBlockConcurrent(t *testing.T) {
	// Twenty blocks in flight at once, each retried until stored: whatever the order of arrival,
	// block b fails exactly as the script says.
	s := start(t, WithFaultScript(
		Fault{Op: opid.DatasetUploadBlock, Attempt: 1, Kind: FaultStoredDrop},
		Fault{Op: opid.DatasetUploadBlock, Blocks: []int{3, 7, 11}, Attempt: 2, Kind: FaultStored500},
		Fault{Op: opid.DatasetUploadBlock, Blocks: []int{7}, Attempt: 3, Kind: Fault504},
	))
	tok := fetchToken(t, s)
	createDataset(t, s, tok, "d", "v")
	var mu sync.Mutex
	got := map[int][]int{}
	var wg sync.WaitGroup
	for b := range 20 {
		wg.Go(func() {
			for range 10 {
				r := try(t, s, tok, "PATCH", "/Dataset/d/data", fmt.Sprintf(`{"blockNumber":%d,"records":[{"v":"%d"}]}`, b, b))
				mu.Lock()
				got[b] = append(got[b], r.status)
				mu.Unlock()
				if r.status == 200 {
					return
				}
			}
		})
	}
	wg.Wait()
	for b := range 20 {
		want := []int{0, 200}
		switch b {
		case 3, 11:
			want = []int{0, 500, 200}
		case 7:
			want = []int{0, 500, 504, 200}
		}
		if !reflect.DeepEqual(got[b], want) {
			t.Errorf("block %d answered %v, want %v", b, got[b], want)
		}
	}
	if nums, _ := s.BlockNumbers("d"); len(nums) != 20 {
		t.Errorf("%d blocks stored", len(nums))
	}
	want := map[FaultKind]int{FaultStoredDrop: 20, FaultStored500: 3, Fault504: 1}
	if got := s.FaultCounts(); !reflect.DeepEqual(got, want) {
		t.Errorf("FaultCounts %v, want %v", got, want)
	}
}

// TestFaultRateDefaultKindsKeepTheirSeed pins the faults a seed gives with no kinds named: the same
// as before kinds were added (FaultKinds grew, the default did not).
func TestFaultRateDefaultKindsKeepTheirSeed(t *testing.T) {
	want := []string{"503", "drop", "ok", "429", "drop", "drop", "429", "drop", "429", "503", "ok", "ok", "503", "drop", "ok", "drop", "ok", "429", "ok", "429",
		"ok", "ok", "ok", "ok", "500", "503", "ok", "ok", "429", "503", "429", "503", "ok", "ok", "ok", "ok", "ok", "drop", "503", "429"}
	for _, opts := range [][]Option{
		{WithFaultRate(0.5, 7)},
		{WithFaultRate(0.5, 7, Fault500, Fault503, Fault429, FaultDrop, FaultStored503)},
	} {
		s := start(t, append(opts, WithRetryAfter(0))...)
		tok := fetchToken(t, s)
		var got []string
		prev := map[FaultKind]int{}
		for range len(want) {
			try(t, s, tok, "GET", "/Dataset", "")
			k := "ok"
			c := s.FaultCounts()
			for kind, n := range c {
				if n != prev[kind] {
					k = kind.String()
				}
			}
			prev = c
			got = append(got, k)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("faults\n%q\nwant\n%q", got, want)
		}
	}
}

func TestFaultRateNewKinds(t *testing.T) {
	// Every request fails with one of the new kinds; the stored ones are plain for anything but a
	// block upload.
	s := start(t, WithFaultRate(1, 5, Fault502, Fault504, Fault503RetryAfter, FaultStored500, FaultStoredDrop))
	tok := fetchToken(t, s)
	for range 40 {
		switch r := try(t, s, tok, "POST", "/Dataset", `{"name":"d","columns":{"v":0}}`); r.status {
		case 0, 500, 502, 504:
		case 503:
			if r.header.Get("Retry-After") != "1" {
				t.Errorf("503 with Retry-After %q, want 1 (the default)", r.header.Get("Retry-After"))
			}
		default:
			t.Fatalf("status %d", r.status)
		}
	}
	if _, ok := s.DatasetInfo("d"); ok {
		t.Error("a plain fault created the dataset")
	}
	c := s.FaultCounts()
	if c[FaultStored500] != 0 || c[FaultStoredDrop] != 0 || c[Fault500] == 0 || c[FaultDrop] == 0 || c[Fault502] == 0 || c[Fault504] == 0 || c[Fault503RetryAfter] == 0 {
		t.Errorf("FaultCounts %v", c)
	}
}

func TestFaultKindNames(t *testing.T) {
	var names []string
	for _, k := range FaultKinds() {
		names = append(names, k.String())
	}
	want := []string{"500", "503", "429", "drop", "stored-then-503", "502", "504", "503-retry-after", "stored-then-500", "stored-then-drop"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("FaultKinds %q, want %q", names, want)
	}
	if s := FaultKind(99).String(); s != "FaultKind(99)" {
		t.Errorf("unknown kind %q", s)
	}
}
