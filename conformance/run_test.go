package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/internal/specval"
)

// TestVerdict: the status of a case from what it found. A failure decides, whatever else the case
// saw; a difference from a decided point makes it observed; a skip without either skipped.
func TestVerdict(t *testing.T) {
	dev := []Deviation{{Point: "D-4"}}
	for _, tc := range []struct {
		name string
		res  CaseResult
		want Status
	}{
		{"nothing", CaseResult{}, Passed},
		{"observations only", CaseResult{Observations: []string{"x"}}, Passed},
		{"a failure", CaseResult{Failures: []string{"x"}}, Failed},
		{"a deviation", CaseResult{Deviations: dev}, Observed},
		{"a failure and a deviation", CaseResult{Failures: []string{"x"}, Deviations: dev}, Failed},
		{"a failure, a deviation and a skip", CaseResult{Failures: []string{"x"}, Deviations: dev, SkipReason: "y"}, Failed},
		{"a deviation and a skip", CaseResult{Deviations: dev, SkipReason: "y"}, Observed},
		{"a skip", CaseResult{SkipReason: "y"}, Skipped},
		{"a failure and a skip", CaseResult{Failures: []string{"x"}, SkipReason: "y"}, Failed},
	} {
		if got := verdict(&tc.res); got != tc.want {
			t.Errorf("%s: %s; want %s", tc.name, got, tc.want)
		}
	}
	rep := &Report{Cases: []CaseResult{{ID: "A", Status: Failed}, {ID: "B", Status: Observed}, {ID: "C", Status: NotRun}, {ID: "D", Status: Passed}}}
	if f := rep.Failed(); len(f) != 1 || f[0] != "A" {
		t.Errorf("Failed() = %v; want [A]", f)
	}
	if n := rep.NotRun(); len(n) != 1 || n[0] != "C" {
		t.Errorf("NotRun() = %v; want [C]", n)
	}
	if rep.OK() {
		t.Error("OK() with a failed case")
	}
	rep.Responses, rep.Violations, rep.Differing = 7, 1, 2
	if got, want := rep.Summary(), "4 cases: 1 passed, 1 failed, 1 observed, 0 skipped, 1 not run; 7 answers checked against the spec, 1 broke a documented rule, 2 differed from a decided point"; got != want {
		t.Errorf("Summary() = %q\nwant %q", got, want)
	}
	if (&Report{Cases: []CaseResult{{Status: Passed}, {Status: Observed}, {Status: Skipped}}}).OK() != true {
		t.Error("OK() is false with only passed, observed and skipped cases")
	}
	if (&Report{Cases: []CaseResult{{Status: Passed}, {Status: NotRun}}}).OK() {
		t.Error("OK() with a case not run")
	}
}

// fakeAPI is a small API server, written independently of data8test: a token endpoint, and h for
// the rest.
func fakeAPI(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /connect/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "token-of-the-fake-api", "token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// emptyList answers every request with an empty JSON array.
func emptyList(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte("[]"))
}

// testConfig is a Config for srv with short bounds.
func testConfig(srv *httptest.Server) Config {
	return Config{BaseURL: srv.URL, TokenURL: srv.URL + "/connect/token", ClientID: "id", ClientSecret: "secret-of-the-test", CaseTimeout: 5 * time.Second, RequestTimeout: 5 * time.Second}
}

// listDatasets is a case that lists datasets once.
func listDatasets(id string) Case {
	return Case{ID: id, Kind: Generic, Rule: "lists", run: func(c *check) {
		if r := c.raw(http.MethodGet, "/Dataset", nil, nil, withToken); r.Status != http.StatusOK {
			c.Errorf("answered %s", r)
		}
	}}
}

// finalCase is a final case that looks at the traffic of the run as NO-5XX does.
func finalCase() Case {
	return Case{ID: "FINAL", Kind: Generic, final: true, Rule: "looks at the traffic", run: func(c *check) {
		for _, e := range c.exchangesOf("") {
			if e.Status >= 500 {
				c.Errorf("%s", e)
			}
		}
	}}
}

// runTest runs cases against cfg with a deadline, so that a run that does not end fails the test,
// giving a case whose time is up 10 ms to end.
func runTest(t *testing.T, ctx context.Context, cfg Config, cases ...Case) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rep, err := run(ctx, cfg, cases, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// statuses lists the status of each case of rep.
func statuses(rep *Report) string {
	var s []string
	for _, c := range rep.Cases {
		s = append(s, c.ID+"="+string(c.Status))
	}
	return strings.Join(s, " ")
}

// TestCaseThatPanics: a case that panics fails with the panic, and the run goes on.
func TestCaseThatPanics(t *testing.T) {
	srv := fakeAPI(t, emptyList)
	boom := Case{ID: "BOOM", Kind: Generic, run: func(c *check) {
		c.raw(http.MethodGet, "/Dataset", nil, nil, withToken)
		panic("a bug in the case")
	}}
	rep := runTest(t, context.Background(), testConfig(srv), boom, listDatasets("AFTER"))
	if got, want := statuses(rep), "BOOM=failed AFTER=passed"; got != want {
		t.Fatalf("%s; want %s", got, want)
	}
	if f := rep.Case("BOOM").Failures; len(f) != 1 || !strings.HasPrefix(f[0], "panic: a bug in the case") {
		t.Errorf("failures %q; want the panic", f)
	}
}

// TestCaseThatIgnoresItsContext: a case that does not end when its time is up is left running and
// fails; the run goes on and the report is made.
func TestCaseThatIgnoresItsContext(t *testing.T) {
	srv := fakeAPI(t, emptyList)
	release := make(chan struct{})
	defer close(release)
	stuck := Case{ID: "STUCK", Kind: Generic, run: func(c *check) {
		c.raw(http.MethodGet, "/Dataset", nil, nil, withToken)
		c.Observe("before blocking")
		<-release // ignores c.ctx
	}}
	cfg := testConfig(srv)
	// Long enough for the case's first request (and the token it needs) on a loaded machine; the
	// case then blocks until its bound.
	cfg.CaseTimeout = 2 * time.Second
	all := []Case{stuck, listDatasets("AFTER")}
	rep := runTest(t, context.Background(), cfg, all...)
	if got, want := statuses(rep), "STUCK=failed AFTER=passed"; got != want {
		t.Fatalf("%s; want %s", got, want)
	}
	if f := rep.Case("STUCK").Failures; len(f) == 0 || !strings.Contains(f[0], "did not end") {
		t.Errorf("failures %q; want that it did not end", f)
	}
}

// TestRunEndsEarly: when the run's context is cancelled or its bound is reached, the case running
// stops, the cases after it are not run, the final cases still look at the traffic there was, and
// the report lists the cases not run and says why.
func TestRunEndsEarly(t *testing.T) {
	for _, how := range []string{"cancelled", "bound"} {
		t.Run(how, func(t *testing.T) {
			var failed atomic.Bool
			srv := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("boom") != "" {
					failed.Store(true)
					w.WriteHeader(http.StatusInternalServerError)
					return
				}
				emptyList(w, r)
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := testConfig(srv)
			waiting := Case{ID: "WAITING", Kind: Generic, run: func(c *check) {
				c.raw(http.MethodGet, "/Dataset", map[string][]string{"boom": {"1"}}, nil, withToken)
				if how == "cancelled" {
					cancel()
				}
				<-c.ctx.Done() // honours its context
				c.Fatalf("waiting: %v", c.ctx.Err())
			}}
			if how == "bound" {
				cfg.RunTimeout = 100 * time.Millisecond
			}
			rep := runTest(t, ctx, cfg, listDatasets("FIRST"), waiting, listDatasets("LATER"), finalCase())
			if got, want := statuses(rep), "FIRST=passed WAITING=not run LATER=not run FINAL=failed"; got != want {
				t.Fatalf("%s; want %s", got, want)
			}
			want := map[string]string{"cancelled": "context canceled", "bound": "time bound"}[how]
			if !strings.Contains(rep.Interrupted, want) || !strings.Contains(rep.Case("LATER").SkipReason, want) {
				t.Errorf("Interrupted %q, LATER's reason %q; want them to say %q", rep.Interrupted, rep.Case("LATER").SkipReason, want)
			}
			if rep.OK() {
				t.Error("OK() after a run that ended early")
			}
			md := rep.Markdown()
			if !strings.Contains(md, "## Not run") || !strings.Contains(md, "**LATER**") {
				t.Errorf("the Markdown does not list the cases not run:\n%s", md)
			}
			if !failed.Load() || !strings.Contains(strings.Join(rep.Case("FINAL").Failures, " "), "500") {
				t.Errorf("the final case did not judge the traffic there was: %v", rep.Case("FINAL").Failures)
			}
		})
	}
}

// TestServerThatNeverAnswers: a server that accepts connections and never sends an answer's
// headers ends the run after a few requests in a row got no answer (each bounded by
// RequestTimeout), instead of stalling every case; the report says why and lists the cases not run.
func TestServerThatNeverAnswers(t *testing.T) {
	var requests atomic.Int64
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer srv.Close()
	defer close(stop)
	cfg := testConfig(srv)
	cfg.RequestTimeout = 20 * time.Millisecond
	var cases []Case
	for i := range 20 {
		cases = append(cases, listDatasets(fmt.Sprintf("C%02d", i)))
	}
	rep := runTest(t, context.Background(), cfg, append(cases, finalCase())...)
	if !strings.Contains(rep.Interrupted, "stopped answering") {
		t.Fatalf("Interrupted = %q; want that the server stopped answering (%s)", rep.Interrupted, statuses(rep))
	}
	if n := len(rep.NotRun()); n < 15 {
		t.Errorf("%d cases not run; want the run to end after a few requests (%s)", n, statuses(rep))
	}
	if n := requests.Load(); n > 2*silentLimit {
		t.Errorf("the server received %d requests; want the run to stop after %d without an answer", n, silentLimit)
	}
	if c := rep.Case("FINAL"); c.Status != Failed || !strings.Contains(strings.Join(c.Failures, " "), "checked nothing") {
		t.Errorf("FINAL is %s %q; want failed, having checked nothing", c.Status, c.Failures)
	}
}

// TestCheckedNothing: when no connection succeeds, no case passes: the cases that make requests
// fail on the error, and the final cases, which look at the traffic of the run and found none,
// fail for having checked nothing; a final case run alone is skipped, having nothing to look at. A
// case whose check holds without an answer from the server fails too.
func TestCheckedNothing(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	cfg := testConfig(srv)
	srv.Close() // every connection is refused
	lenient := Case{ID: "LENIENT", Kind: Generic, run: func(c *check) {
		if _, err := c.client.GetDataset(c.ctx, "some_dataset"); err != nil {
			c.Observe("no list: %v", err) // a check that holds whatever happens
		}
	}}
	rep := runTest(t, context.Background(), cfg, listDatasets("LIST"), lenient, finalCase())
	for _, c := range rep.Cases {
		if c.Status == Passed || c.Status == Observed {
			t.Errorf("%s %s having received no answer", c.ID, c.Status)
		}
	}
	if c := rep.Case("LENIENT"); c.Status != Failed || !strings.Contains(strings.Join(c.Failures, " "), "checked nothing") {
		t.Errorf("LENIENT is %s %q; want failed, having checked nothing", c.Status, c.Failures)
	}
	if c := rep.Case("FINAL"); c.Status != Failed || !strings.Contains(strings.Join(c.Failures, " "), "checked nothing") {
		t.Errorf("FINAL is %s %q; want failed, having checked nothing", c.Status, c.Failures)
	}
	// A case whose only finding is a difference at a decided point, with no answer behind it
	// (what a broken case could report), checked nothing either.
	deviant := Case{ID: "DEVIANT", Kind: Generic, run: func(c *check) {
		if _, err := c.client.GetDataset(c.ctx, "some_dataset"); err != nil {
			c.Differ("D-4", "Dataset_GetByName", "no answer", err.Error())
		}
	}}
	rep = runTest(t, context.Background(), cfg, deviant)
	if c := rep.Case("DEVIANT"); c.Status != Failed || !strings.Contains(strings.Join(c.Failures, " "), "checked nothing") {
		t.Errorf("DEVIANT is %s %q; want failed, having checked nothing", c.Status, c.Failures)
	}
	cfg.Cases = "FINAL"
	rep = runTest(t, context.Background(), cfg, listDatasets("LIST"), finalCase())
	if got, want := statuses(rep), "LIST=skipped FINAL=skipped"; got != want {
		t.Errorf("the final case alone: %s; want %s", got, want)
	}
}

// TestFinalCaseJudgesTheTrafficOfSkippedCases: a case that sent requests and then skipped itself
// leaves traffic: the final case judges it (it passes here, or fails on a 5xx), rather than skip
// itself as though no case had run.
func TestFinalCaseJudgesTheTrafficOfSkippedCases(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		want   string
	}{
		{"a 200", http.StatusOK, "SKIPPER=skipped FINAL=passed"},
		{"a 500", http.StatusInternalServerError, "SKIPPER=skipped FINAL=failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.status != http.StatusOK {
					w.Header().Set("Content-Type", "application/problem+json")
					w.WriteHeader(tc.status)
					fmt.Fprintf(w, `{"title":"x","status":%d}`, tc.status)
					return
				}
				emptyList(w, r)
			})
			skipper := Case{ID: "SKIPPER", Kind: Generic, Rule: "lists, then has nothing to check", run: func(c *check) {
				c.raw(http.MethodGet, "/Dataset", nil, nil, withToken)
				c.Skipf("nothing to check")
			}}
			rep := runTest(t, context.Background(), testConfig(srv), skipper, finalCase())
			if got := statuses(rep); got != tc.want {
				t.Errorf("%s; want %s", got, tc.want)
			}
		})
	}
}

// TestTrafficBounded: what the suite keeps of the answers is bounded whatever their number: past
// keepExact, alike answers are kept once with a count, and past keepGrouped unlike ones only
// counted; the counts stay exact, and a case whose answers were not kept fails.
func TestTrafficBounded(t *testing.T) {
	tr := newTraffic()
	alike := specval.Exchange{Tag: "HOT", Op: "Dataset_GetList", Method: "GET", Path: "/Dataset", Status: 429, Shape: "empty"}
	for range keepExact + 10_000 {
		tr.record(alike)
	}
	for i := range keepGrouped + 5 {
		e := alike
		e.Tag, e.Status = "VARIED", 100+i%900
		e.Findings = []specval.Finding{{Kind: specval.KindStatus, Pointer: fmt.Sprint("#/x/", i)}}
		tr.record(e)
	}
	kept := tr.of("")
	if len(kept) > keepExact+keepGrouped {
		t.Errorf("%d entries kept; want at most %d", len(kept), keepExact+keepGrouped)
	}
	n := 0
	for _, e := range tr.of("HOT") {
		n += e.n
	}
	if n != keepExact+10_000 {
		t.Errorf("the alike answers count %d; want %d", n, keepExact+10_000)
	}
	received, dropped := tr.totals()
	// The alike answers past keepExact took one group; the unlike ones the others, and 6 found none.
	if received != keepExact+10_000+keepGrouped+5 || dropped != 6 {
		t.Errorf("totals %d received, %d dropped; want %d, 6", received, dropped, keepExact+10_000+keepGrouped+5)
	}
	if _, d := tr.counts("VARIED"); d != 6 {
		t.Errorf("VARIED has %d answers dropped; want 6", d)
	}
	// A content type a server made huge is cut.
	huge := alike
	huge.ContentType = strings.Repeat("x", 1<<20)
	huge.Findings = make([]specval.Finding, 10_000)
	huge.Findings[9_999] = specval.Finding{Message: "documented", Inferred: false}
	for i := range 9_999 {
		huge.Findings[i] = specval.Finding{Inferred: true, Point: "D-4"}
	}
	b := bounded(huge)
	if len(b.ContentType) > 4*maxHeaderText || len(b.Findings) != maxFindings || b.Findings[0].Message != "documented" {
		t.Errorf("bounded kept a %d-byte content type and %d findings (first %+v)", len(b.ContentType), len(b.Findings), b.Findings[0])
	}
}

// TestDroppedAnswersFailTheCase: a case whose answers the suite could not keep fails.
func TestDroppedAnswersFailTheCase(t *testing.T) {
	srv := fakeAPI(t, emptyList)
	var s *suite
	grab := Case{ID: "FLOOD", Kind: Generic, run: func(c *check) {
		s = c.suite
		c.raw(http.MethodGet, "/Dataset", nil, nil, withToken)
		c.traffic.mu.Lock()
		c.traffic.dropped["FLOOD"] = 7
		c.traffic.mu.Unlock()
	}}
	rep := runTest(t, context.Background(), testConfig(srv), grab)
	if s == nil {
		t.Fatal("the case did not run")
	}
	if c := rep.Case("FLOOD"); c.Status != Failed || !strings.Contains(strings.Join(c.Failures, " "), "7 answers") {
		t.Errorf("FLOOD is %s %q; want failed for its 7 answers not kept", c.Status, c.Failures)
	}
}

// TestFinalCaseSkippedWhenEveryOtherCaseIsSkippedByTheConfiguration: a run whose other cases were
// all picked but skipped by Config.Skip sent nothing, so its final case has no traffic to look at
// and is skipped, not failed as having checked nothing.
func TestFinalCaseSkippedWhenEveryOtherCaseIsSkippedByTheConfiguration(t *testing.T) {
	srv := fakeAPI(t, emptyList)
	cfg := testConfig(srv)
	cfg.Skip = []string{"LIST", "list2"}
	rep := runTest(t, context.Background(), cfg, listDatasets("LIST"), listDatasets("LIST2"), finalCase())
	if got, want := statuses(rep), "LIST=skipped LIST2=skipped FINAL=skipped"; got != want {
		t.Errorf("%s; want %s", got, want)
	}
	if c := rep.Case("FINAL"); len(c.Failures) != 0 {
		t.Errorf("FINAL has failures %q", c.Failures)
	}
}

// TestViolationsCountAnswers: Report.Violations and Report.Differing count the answers that broke
// a documented rule or differed from a decided point, each answer once, also when alike answers are
// kept as one (past keepExact, as in a long run).
func TestViolationsCountAnswers(t *testing.T) {
	srv := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasPrefix(r.URL.Path, "/ApiKey/"):
			w.Write([]byte(`{"description":"no key"}`)) // the documented ApiKey has its key
		case r.URL.Query().Get("object") != "":
			w.Write([]byte(`{"not":"a list"}`)) // the decided answer is a bare array (D-4)
		default:
			w.Write([]byte("[]"))
		}
	})
	const violating, differing = 3, 2
	for _, long := range []bool{false, true} {
		t.Run(fmt.Sprintf("long run %v", long), func(t *testing.T) {
			broken := Case{ID: "BROKEN", Kind: Generic, run: func(c *check) {
				if long {
					// What a long run leaves: keepExact answers kept one by one, none breaking a rule.
					for range keepExact {
						c.traffic.record(specval.Exchange{Tag: "EARLIER", Op: "Dataset_GetList", Method: "GET", Path: "/Dataset", Status: 200})
					}
				}
				for range violating {
					c.raw(http.MethodGet, "/ApiKey/K", nil, nil, withToken)
				}
				for range differing {
					c.raw(http.MethodGet, "/Dataset", map[string][]string{"object": {"1"}}, nil, withToken)
				}
				c.raw(http.MethodGet, "/Dataset", nil, nil, withToken)
			}}
			rep := runTest(t, context.Background(), testConfig(srv), broken)
			if rep.Violations != violating || rep.Differing != differing {
				t.Errorf("Violations = %d, Differing = %d; want %d and %d, one per answer (%s)", rep.Violations, rep.Differing, violating, differing, statuses(rep))
			}
			if c := rep.Case("BROKEN"); c.Status != Failed || c.Requests != violating+differing+1 {
				t.Errorf("BROKEN is %s after %d requests; want failed after %d", c.Status, c.Requests, violating+differing+1)
			}
			want := fmt.Sprintf("1 cases: 0 passed, 1 failed, 0 observed, 0 skipped; %d answers checked against the spec, %d broke a documented rule, %d differed from a decided point", rep.Responses, violating, differing)
			if got := rep.Summary(); got != want {
				t.Errorf("Summary() = %q\nwant %q", got, want)
			}
		})
	}
}

// TestSecretCutAtTheEndOfAText: a secret that a text (a difference's evidence or what the server
// did, a failure, an observation) carries where the text is cut to its length leaves no part of
// itself in the report: texts are redacted before they are cut.
func TestSecretCutAtTheEndOfAText(t *testing.T) {
	srv := fakeAPI(t, emptyList)
	cfg := testConfig(srv)
	secret := cfg.ClientSecret
	head := secret[:len(secret)/2]
	// pad puts the secret across the cut at max characters.
	pad := func(max int) string { return strings.Repeat("e", max-len(head)) + secret + " and more" }
	leaky := Case{ID: "LEAKY", Kind: Generic, run: func(c *check) {
		c.raw(http.MethodGet, "/Dataset", nil, nil, withToken)
		c.Differ("D-4", "Dataset_GetList", pad(400), pad(400))
		c.Observe("%s", pad(600))
		c.Errorf("%s", pad(600))
	}}
	var progressed []string
	cfg.Progress = func(p Progress) { progressed = append(progressed, p.String()) }
	rep := runTest(t, context.Background(), cfg, leaky)
	c := rep.Case("LEAKY")
	if len(c.Deviations) != 1 || len(c.Observations) != 1 || len(c.Failures) != 1 {
		t.Fatalf("LEAKY recorded %+v", c)
	}
	js, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range map[string]string{"JSON": string(js), "Markdown": rep.Markdown(), "progress": strings.Join(progressed, "\n")} {
		if strings.Contains(text, head) {
			t.Errorf("the %s holds the first half of the secret, %q", where, head)
		}
	}
	for _, text := range []string{c.Deviations[0].Observed, c.Deviations[0].Evidence} {
		if want := strings.Repeat("e", 400-len(head)) + redactPlaceholder[:len(head)] + "…"; text != want {
			t.Errorf("a difference reads %q; want %q", text, want)
		}
	}
}
