package conformance_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/data8-toolkit/data8/conformance"
	"github.com/data8-toolkit/data8/data8test"
)

// front serves data8test through a handler that may answer a request itself (intercept returns
// true) and rewrites job names on the way in and out: each character of accept is accepted in a
// job name (the stand-in stores a placeholder, and every answer shows the character again).
func front(t *testing.T, accept []string, intercept func(w http.ResponseWriter, r *http.Request, body []byte) bool) conformance.Config {
	t.Helper()
	srv := data8test.NewServer(data8test.WithJobDuration(jobDuration))
	t.Cleanup(srv.Close)
	inner := srv.Handler()
	// The names JOB-NAME-CHARS gives its jobs: "… bad : char".
	type swap struct{ wire, raw, stored string }
	var swaps []swap
	for i, ch := range accept {
		stored := fmt.Sprintf("bad PLACEHOLDER%d char", i)
		wire := ch
		if ch == `\` {
			wire = `\\` // as JSON writes it
		}
		swaps = append(swaps, swap{wire: "bad " + wire + " char", raw: "bad " + ch + " char", stored: stored})
	}
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
		}
		if intercept != nil && intercept(w, r, body) {
			return
		}
		if r.Method == http.MethodPost && r.URL.Path == "/Job" || strings.HasPrefix(r.URL.Path, "/Job/") {
			for _, s := range swaps {
				body = bytes.ReplaceAll(body, []byte(s.wire), []byte(s.stored))
				r.URL.Path = strings.ReplaceAll(r.URL.Path, s.raw, s.stored)
				r.URL.RawPath = ""
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		out := rec.Body.Bytes()
		for _, s := range swaps {
			out = bytes.ReplaceAll(out, []byte(s.stored), []byte(s.wire))
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(out)
	}))
	t.Cleanup(h.Close)
	return fastConfig(h.URL, h.URL+"/connect/token", srv.ClientID, srv.ClientSecret)
}

// serverError answers with status and a problem body.
func serverError(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"title":"server error","status":%d}`, status)
}

// TestForbiddenJobNameCharacterFails: a server that accepts a job name with a character the
// documentation forbids (the backslash among them: "characters invalid in file names") fails
// JOB-NAME-CHARS, a documented rule, and the case is failed — in Report.Failed — naming each
// character taken, with no difference from a decided point.
func TestForbiddenJobNameCharacterFails(t *testing.T) {
	for _, tc := range []struct {
		name   string
		accept []string
	}{
		{"colon", []string{":"}},
		{"star and backslash", []string{"*", `\`}},
		{"backslash", []string{`\`}},
		{"pipe", []string{"|"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := front(t, tc.accept, nil)
			cfg.Cases = "JOB-NAME-CHARS"
			rep := runConfig(t, cfg)
			c := rep.Case("JOB-NAME-CHARS")
			if c.Status != conformance.Failed || !slices.Contains(rep.Failed(), c.ID) {
				t.Fatalf("JOB-NAME-CHARS is %s (failed: %v), failures %q, deviations %+v; want failed", c.Status, rep.Failed(), c.Failures, c.Deviations)
			}
			for _, ch := range tc.accept {
				if quoted := fmt.Sprintf("%q", " bad "+ch+" char"); !strings.Contains(strings.Join(c.Failures, " "), quoted[1:len(quoted)-1]) {
					t.Errorf("failures %q do not name %q", c.Failures, ch)
				}
			}
			if len(c.Deviations) > 0 {
				t.Errorf("deviations %+v; want none: every character taken is a documented one", c.Deviations)
			}
		})
	}
}

// TestServerErrorsFail: a 5xx answer is a failure wherever it comes — where the documentation
// says a request is refused, where only the contract decided the refusal, and to a negative
// request — never a difference from a decided point: the case that got it fails, naming it, and
// so does NO-5XX.
func TestServerErrorsFail(t *testing.T) {
	for _, tc := range []struct {
		caseID string
		status int
		match  func(r *http.Request, body string) bool
	}{
		{"DATASET-UNIQUE", 500, nil}, // the second create of the same name
		{"JOB-NAME-CHARS", 502, func(r *http.Request, body string) bool {
			return r.Method == http.MethodPost && r.URL.Path == "/Job" && strings.Contains(body, "bad : char")
		}},
		{"JOB-UNKNOWN-WORKFLOW", 500, func(r *http.Request, body string) bool {
			return r.Method == http.MethodPost && r.URL.Path == "/Job" && strings.Contains(body, "_no_such_workflow")
		}},
		{"NEGATIVE-PARAMS", 507, func(r *http.Request, body string) bool {
			return r.Method == http.MethodGet && r.URL.Path == "/Dataset" && r.URL.RawQuery == "page=0"
		}},
	} {
		t.Run(tc.caseID, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			seen := map[string]bool{}
			match := tc.match
			if match == nil {
				match = func(r *http.Request, body string) bool {
					if r.Method != http.MethodPost || r.URL.Path != "/Dataset" || !strings.Contains(body, "_unique") {
						return false
					}
					mu.Lock()
					defer mu.Unlock()
					dup := seen[body]
					seen[body] = true
					return dup
				}
			}
			cfg := front(t, nil, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
				if match(r, string(body)) {
					serverError(w, tc.status)
					return true
				}
				return false
			})
			cfg.Cases = tc.caseID + ",NO-5XX"
			rep := runConfig(t, cfg)
			code := fmt.Sprint(tc.status)
			for _, id := range []string{tc.caseID, "NO-5XX"} {
				c := rep.Case(id)
				if c.Status != conformance.Failed || !slices.Contains(rep.Failed(), id) {
					t.Errorf("%s is %s (failures %q, deviations %+v) after a %d; want failed", id, c.Status, c.Failures, c.Deviations, tc.status)
					continue
				}
				// (The client reads a create that got a 5xx back, and may find it done: the case then
				// fails for the duplicate accepted.)
				if id == "NO-5XX" && !strings.Contains(strings.Join(c.Failures, " "), code) {
					t.Errorf("%s's failures %q do not name the %d", id, c.Failures, tc.status)
				}
				for _, d := range c.Deviations {
					if strings.Contains(d.Observed+d.Evidence, code) {
						t.Errorf("%s counts the %d as a difference from %s: %s", id, tc.status, d.Point, d.Observed)
					}
				}
			}
		})
	}
}

// TestBusy503IsNoServerError: a 503 refuses a request for load, with a Retry-After (ASP.NET Core's
// rate limiter answers so by default) or without (a load balancer's): the request is waited out and
// sent again, and NO-5XX does not count the refusal; a dataset read answered 503 every time it is
// sent fails the case and NO-5XX, once the suite's waits are over.
func TestBusy503IsNoServerError(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter bool
		always     bool // the first dataset read is refused every time it is sent, not once
	}{
		{"retry-after", true, false},
		{"no retry-after", false, false},
		{"no retry-after, every time", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			refused := map[string]bool{}
			first := ""
			cfg := front(t, nil, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
				if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/Dataset/") {
					return false
				}
				mu.Lock()
				defer mu.Unlock()
				if first == "" {
					first = r.URL.String()
				}
				if refused[r.URL.String()] && !(tc.always && r.URL.String() == first) {
					return false // refused once, for load: answered when sent again
				}
				refused[r.URL.String()] = true
				if tc.retryAfter {
					w.Header().Set("Retry-After", "0")
				}
				serverError(w, http.StatusServiceUnavailable)
				return true
			})
			cfg.Cases = "DATASET-COMPLETE,NO-5XX"
			rep := runConfig(t, cfg)
			for _, id := range []string{"DATASET-COMPLETE", "NO-5XX"} {
				c := rep.Case(id)
				if !tc.always && c.Status == conformance.Failed {
					t.Errorf("%s failed after 503s, each taken when sent again: %q", id, c.Failures)
				}
				if tc.always && c.Status != conformance.Failed {
					t.Errorf("%s is %s after a 503 to every sending of a dataset read; want failed", id, c.Status)
				}
			}
			if c := rep.Case("NO-5XX"); !tc.always && !strings.Contains(strings.Join(c.Observations, " "), "answers 503: refusals for load") {
				t.Errorf("NO-5XX observations %q do not count the 503s", c.Observations)
			}
		})
	}
}

// TestListShiftedByNewDatasets: a dataset made between two page reads of the list (a job's output,
// another user's dataset) shifts every later name by one place, so that a listing holds the last name
// of a page twice. When that happens at every listing, DATASET-LIST-ALPHA-100 neither fails the names
// listed twice nor the order; the same server with a quiet account passes without a re-read.
func TestListShiftedByNewDatasets(t *testing.T) {
	for _, busy := range []bool{true, false} {
		t.Run(fmt.Sprint("busy=", busy), func(t *testing.T) {
			t.Parallel()
			srv := data8test.NewServer(data8test.WithJobDuration(jobDuration))
			t.Cleanup(srv.Close)
			inner := srv.Handler()
			var mu sync.Mutex
			made := 0
			h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if busy && r.Method == http.MethodGet && r.URL.Path == "/Dataset" && r.URL.Query().Get("page") == "2" {
					mu.Lock()
					made++
					name := fmt.Sprintf("a_shift_%d", made)
					mu.Unlock()
					req := httptest.NewRequest(http.MethodPost, "/Dataset", strings.NewReader(`{"name":"`+name+`","columns":{"a":0}}`))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", r.Header.Get("Authorization"))
					rec := httptest.NewRecorder()
					inner.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						t.Errorf("creating %s: %d %s", name, rec.Code, rec.Body)
					}
				}
				inner.ServeHTTP(w, r)
			}))
			t.Cleanup(h.Close)
			cfg := fastConfig(h.URL, h.URL+"/connect/token", srv.ClientID, srv.ClientSecret)
			cfg.Cases = "DATASET-LIST-ALPHA-100"
			rep := runConfig(t, cfg)
			c := rep.Case("DATASET-LIST-ALPHA-100")
			if c.Status == conformance.Failed {
				t.Fatalf("failed: %q", c.Failures)
			}
			notJudged := slices.ContainsFunc(c.Observations, func(o string) bool { return strings.Contains(o, "are not judged") })
			if notJudged != busy {
				t.Errorf("observations %q: names listed twice left unjudged: %v, want %v", c.Observations, notJudged, busy)
			}
		})
	}
}

// TestPastPageShiftedByNewDataset: DATASET-LIST-PAGING reads the last page of the dataset list and
// the page after it; datasets made between the two (jobs finishing make their outputs, other cases
// make theirs) shift the last page's last names onto the page after it. That must not fail the
// server: the pages are read again. (A server whose page past the end repeats the last page while
// nothing changes fails: the mutation standin.DatasetListClampLastPage in TestMutations.)
func TestPastPageShiftedByNewDataset(t *testing.T) {
	srv := data8test.NewServer(data8test.WithJobDuration(jobDuration))
	t.Cleanup(srv.Close)
	ctx := t.Context()
	api := srv.Client()
	for i := range 149 { // with the case's own dataset, pages of 100 and 50
		if _, err := api.CreateDataset(ctx, fmt.Sprintf("b_full_%03d", i), map[string]int{"a": 0}); err != nil {
			t.Fatal(err)
		}
	}
	inner := srv.Handler()
	var mu sync.Mutex
	made, shifted := false, false // the case's dataset made; the datasets made before page 3 is read
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/Dataset" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			mu.Lock()
			made = made || bytes.Contains(body, []byte("paging"))
			mu.Unlock()
		}
		if r.Method == http.MethodGet && r.URL.Path == "/Dataset" && r.URL.Query().Get("page") == "3" {
			mu.Lock()
			shift := made && !shifted
			shifted = shifted || shift
			mu.Unlock()
			for i := 0; shift && i < 51; i++ { // the last name of page 2 shifted onto page 3
				if _, err := api.CreateDataset(r.Context(), fmt.Sprintf("a_shift_%02d", i), map[string]int{"a": 0}); err != nil {
					t.Error(err)
				}
			}
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(h.Close)
	cfg := fastConfig(h.URL, h.URL+"/connect/token", srv.ClientID, srv.ClientSecret)
	cfg.Cases = "DATASET-LIST-PAGING"
	c := runConfig(t, cfg).Case("DATASET-LIST-PAGING")
	if c.Status == conformance.Failed {
		t.Fatalf("failed: %q", c.Failures)
	}
	if mu.Lock(); !shifted {
		t.Errorf("page 3 never read after the case's dataset was made; want datasets made before it")
	}
	mu.Unlock()
}

// TestEmptyBlockRefusedInSequences runs MODEL-SEQUENCES, 200 random sequences, against the stand-in
// refusing empty blocks with a 400 (ProfileEmptyBlock400, a D-9 difference): no sequence may fail
// for it, and the refusal is reported as the difference it is (with 200 sequences, an empty block
// is sent to an incomplete dataset all but surely: 40 sequences missed it 4 times in 100).
func TestEmptyBlockRefusedInSequences(t *testing.T) {
	cfg := inProcess(t, data8test.WithProfile(data8test.ProfileEmptyBlock400))
	cfg.Cases, cfg.ModelSequences = "MODEL-SEQUENCES", 200
	c := runConfig(t, cfg).Case("MODEL-SEQUENCES")
	if c.Status == conformance.Failed {
		t.Fatalf("failed: %q", c.Failures)
	}
	if !slices.ContainsFunc(c.Deviations, func(d conformance.Deviation) bool {
		return d.Point == "D-9" && strings.Contains(d.Observed, "an empty block is refused")
	}) {
		for _, d := range c.Deviations {
			t.Logf("%s: %s", d.Point, d.Observed)
		}
		t.Errorf("want the empty block's refusal among the differences, D-9")
	}
}
