package cli

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/conformance"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/standin"
)

// These tests run data8 conformance in process against data8 serve (or a data8test server) over real
// HTTP, each on a few cases (--case): the suite itself is tested in package conformance.

// cheapCases are the cases the end-to-end tests run: a token, a create, a job (the shared fixture),
// a read-back of 1,500 records (D-10) and the final cases that look at every answer (D-4 among
// them).
const cheapCases = "AUTH-TOKEN,DATASET-CREATE,JOB-CREATE,DATA-READ,SUCCESS-STATUS,NO-5XX"

// cheapCount is the number of cases cheapCases selects.
const cheapCount = 6

// standIn starts a data8test server with fast jobs (answers validated against the spec) and returns
// it with the environment that points data8 at it.
func standIn(t *testing.T, opts ...data8test.Option) (*data8test.Server, env) {
	t.Helper()
	srv := data8test.NewServer(append([]data8test.Option{data8test.WithJobDuration(20 * time.Millisecond), data8test.WithValidation(t)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv, env{"DATA8_BASE_URL": srv.URL, "DATA8_TOKEN_URL": srv.TokenURL, "DATA8_CLIENT_ID": srv.ClientID, "DATA8_CLIENT_SECRET": srv.ClientSecret}
}

// serveEnv turns the export lines of data8 serve into an environment.
func serveEnv(vars map[string]string) env {
	e := env{}
	for k, v := range vars {
		e[k] = v
	}
	return e
}

// conform runs data8 conformance with e and args; the jobs of the servers here take milliseconds, so
// it polls them every 5 ms.
func conform(t *testing.T, e env, args ...string) result {
	t.Helper()
	return runCLI(t, context.Background(), e, hooks{}, append([]string{"conformance", "--poll", "5ms"}, args...)...)
}

// progressLines returns the progress lines of a run's standard error: "[ 3/6] ID status ...".
func progressLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if progressRE.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

var progressRE = regexp.MustCompile(`^\[ *[0-9]+/[0-9]+\] `)

// junitFile is what the tests read of junit.xml.
type junitFile struct {
	XMLName xml.Name `xml:"testsuites"`
	Tests   int      `xml:"tests,attr"`
	Suites  []struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Cases    []struct {
			Name      string    `xml:"name,attr"`
			Failure   *struct{} `xml:"failure"`
			Error     *struct{} `xml:"error"`
			Skipped   *struct{} `xml:"skipped"`
			SystemOut string    `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// readJUnit parses dir/junit.xml.
func readJUnit(t *testing.T, dir string) junitFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, conformance.JUnitFile))
	if err != nil {
		t.Fatal(err)
	}
	var j junitFile
	if err := xml.Unmarshal(b, &j); err != nil {
		t.Fatalf("junit.xml: %v", err)
	}
	if len(j.Suites) != 1 {
		t.Fatalf("junit.xml holds %d test suites, want 1", len(j.Suites))
	}
	return j
}

// driftPoints returns the decided points of a drift, "D-4", "D-10", without repeats.
func driftPoints(d *conformance.Drift) []string {
	var out []string
	for _, p := range d.Points {
		if !slices.Contains(out, p.Point) {
			out = append(out, p.Point)
		}
	}
	slices.Sort(out)
	return out
}

// TestConformanceDriftAndObserved is the whole story: a run against data8 serve --profile
// created-201,page-500 writes the four files, the JUnit file holding one test case per suite case; a
// second run against a default data8 serve, with the first as its baseline, reports the drift at D-4
// and D-10, and exits 1 with --fail-on-drift (0 without); data8 serve --observed with the first run's
// conformance.json answers as the first server did (201 to a create, pages of 500), and a run
// against it finds no drift.
func TestConformanceDriftAndObserved(t *testing.T) {
	first, _ := startServeCLI(t, "--addr", "127.0.0.1:0", "--job-duration", "20ms", "--profile", "created-201,page-500")
	dir := filepath.Join(t.TempDir(), "report")
	r := conform(t, serveEnv(first), "--case", cheapCases, "--report", dir, "--verbose")
	if r.code != 0 {
		t.Fatalf("against created-201,page-500: %s", r)
	}
	secret := first["DATA8_CLIENT_SECRET"]
	if strings.Contains(r.stdout+r.stderr, secret) || !strings.Contains(r.stderr, "path=/Dataset") {
		t.Errorf("--verbose: the secret printed, or no request logged:\n%s", r.stderr)
	}
	for _, name := range []string{conformance.MarkdownFile, conformance.JSONFile, conformance.OverlayFile, conformance.JUnitFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(b) == 0 || strings.Contains(string(b), secret) {
			t.Errorf("%s: %v, %d bytes, holds the secret: %v", name, err, len(b), strings.Contains(string(b), secret))
		}
	}
	if lines := progressLines(r.stderr); len(lines) != cheapCount || !strings.HasPrefix(lines[0], fmt.Sprintf("[1/%d] AUTH-TOKEN ", cheapCount)) {
		t.Errorf("progress lines %q; want one per selected case, numbered of %d", lines, cheapCount)
	}
	// The JUnit file: one test case per case of the suite, in order; the observed ones passed with
	// their differences as output, the ones not selected skipped.
	j := readJUnit(t, dir)
	all := conformance.Cases()
	cases := j.Suites[0].Cases
	if j.Tests != len(all) || len(cases) != len(all) {
		t.Fatalf("junit.xml: %d tests, %d test cases; the suite has %d cases", j.Tests, len(cases), len(all))
	}
	selected, _ := conformance.Select(cheapCases)
	for i, c := range cases {
		if c.Name != all[i].ID {
			t.Errorf("test case %d is %q, want %q", i, c.Name, all[i].ID)
			continue
		}
		picked := slices.ContainsFunc(selected, func(s conformance.Case) bool { return s.ID == c.Name })
		switch {
		case c.Failure != nil || c.Error != nil:
			t.Errorf("%s failed or did not run", c.Name)
		case picked == (c.Skipped != nil):
			t.Errorf("%s: selected %v, skipped %v", c.Name, picked, c.Skipped != nil)
		case (c.Name == "DATA-READ" || c.Name == "SUCCESS-STATUS") && !strings.Contains(c.SystemOut, "differs from D-"):
			t.Errorf("%s, observed, has output %q; want its differences", c.Name, c.SystemOut)
		}
	}
	if s := j.Suites[0]; s.Tests != len(all) || s.Failures != 0 || s.Skipped != len(all)-cheapCount {
		t.Errorf("junit.xml's suite: %d tests, %d failures, %d skipped", s.Tests, s.Failures, s.Skipped)
	}
	if !strings.Contains(r.stdout, "observed (the server differs from a decided point; not a failure): DATA-READ, SUCCESS-STATUS") {
		t.Errorf("stdout does not name the observed cases:\n%s", r.stdout)
	}
	baseline := filepath.Join(dir, conformance.JSONFile)

	// A default server: the drift is at D-4 (200 where 201) and D-10 (pages of 1,000 where 500).
	second, _ := startServeCLI(t, "--addr", "127.0.0.1:0", "--job-duration", "20ms")
	dir2 := filepath.Join(t.TempDir(), "report")
	r = conform(t, serveEnv(second), "--case", cheapCases, "--baseline", baseline, "--report", dir2)
	if r.code != 0 {
		t.Fatalf("with --baseline, without --fail-on-drift: %s", r)
	}
	for _, s := range []string{"drift since run ", "2 cases changed result", "  DATA-READ: observed, now passed", "  D-4 Dataset_Create: was success answers other than 200: Dataset_Create 201×N; now as decided", "  D-10 Dataset_GetData: was pages of records hold 500 records"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	rep, err := conformance.ReadReportFile(filepath.Join(dir2, conformance.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Drift == nil || !slices.Equal(driftPoints(rep.Drift), []string{"D-10", "D-4"}) {
		t.Errorf("conformance.json's drift: %+v; want points D-4 and D-10", rep.Drift)
	}
	if md, _ := os.ReadFile(filepath.Join(dir2, conformance.MarkdownFile)); !strings.Contains(string(md), "## Drift since run ") {
		t.Error("conformance.md has no Drift section")
	}
	r = conform(t, serveEnv(second), "--case", cheapCases, "--baseline", baseline, "--fail-on-drift")
	if r.code != 1 || !strings.Contains(r.stderr, "--fail-on-drift") {
		t.Errorf("with --fail-on-drift: %s", r)
	}

	// data8 serve --observed: answers as the first server did.
	third, stop := startServeCLI(t, "--addr", "127.0.0.1:0", "--job-duration", "20ms", "--observed", baseline)
	checkAnswersLikeFirst(t, third)
	r = conform(t, serveEnv(third), "--case", cheapCases, "--baseline", baseline, "--fail-on-drift")
	if r.code != 0 || !strings.Contains(r.stderr, "0 cases changed result, 0 decided points changed") {
		t.Errorf("against data8 serve --observed, with the observed run as the baseline: %s", r)
	}
	if s := stop(); s.code != 0 || !strings.Contains(s.stderr, "did: profiles created-201; 500 records a page") || !strings.Contains(s.stderr, "every observation of that run is reproduced") {
		t.Errorf("data8 serve --observed: %s", s)
	}
}

// checkAnswersLikeFirst checks, with raw requests, that the server vars names answers 201 to a
// create and reads records back 500 to a page.
func checkAnswersLikeFirst(t *testing.T, vars map[string]string) {
	t.Helper()
	tok := serveToken(t, vars)
	do := func(method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, vars["DATA8_BASE_URL"]+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	if st, _ := do(http.MethodPost, "/Dataset", `{"name":"observed","columns":{"n":1}}`); st != http.StatusCreated {
		t.Errorf("create: %d, want 201 as the first server answered", st)
	}
	var recs []string
	for i := range 1000 {
		recs = append(recs, fmt.Sprintf(`{"n":%d}`, i))
	}
	if st, b := do(http.MethodPatch, "/Dataset/observed/data", `{"blockNumber":0,"records":[`+strings.Join(recs, ",")+`]}`); st/100 != 2 {
		t.Fatalf("upload: %d %s", st, b)
	}
	st, b := do(http.MethodGet, "/Dataset/observed/data?page=1", "")
	var page []map[string]any
	if err := json.Unmarshal(b, &page); st != http.StatusOK || err != nil || len(page) != 500 {
		t.Errorf("page 1 of 1,000 records: %d, %d records (%v); want 500 as the first server read them back", st, len(page), err)
	}
}

// TestServeObservedUnreproduced: data8 serve --observed names each observation it cannot reproduce,
// and refuses a file that is not a conformance report.
func TestServeObservedUnreproduced(t *testing.T) {
	rep := conformance.Report{RunID: "abc123", Target: "https://api.example.test", Cases: []conformance.CaseResult{{
		ID: "SUCCESS-STATUS", Status: conformance.Observed, Deviations: []conformance.Deviation{
			{Point: "D-4", Op: "Dataset_Create", Observed: "success answers other than 200: Dataset_Create 201×3", Count: 1},
			{Point: "D-4", Op: "Job_CreateJob", Observed: "success answers other than 200: Job_CreateJob 207×5", Count: 1},
		},
	}}}
	b, _ := json.Marshal(rep)
	path := writeFile(t, t.TempDir(), "conformance.json", string(b))
	_, stop := startServeCLI(t, "--addr", "127.0.0.1:0", "--observed", path)
	r := stop()
	for _, s := range []string{"answering as the server of run abc123 (https://api.example.test, ", "did: profiles created-201", "1 observation of that run cannot be reproduced", "  D-4 Job_CreateJob: success answers other than 200: Job_CreateJob 207×5"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r)
		}
	}
	for _, content := range []string{"{}", "not json", `{"runId":"x","cases":[]}`} {
		bad := writeFile(t, t.TempDir(), "conformance.json", content)
		if r := runServe(t, "--addr", "127.0.0.1:0", "--observed", bad); r.code != 2 || !strings.Contains(r.stderr, "bad --observed") {
			t.Errorf("--observed %q: %s", content, r)
		}
	}
	if r := runServe(t, "--addr", "127.0.0.1:0", "--observed", filepath.Join(t.TempDir(), "none.json")); r.code != 2 {
		t.Errorf("--observed of a missing file: %s", r)
	}
}

// TestConformanceList: --list needs no server; it lists the cases a --case selects, one a line, and
// what a run of them creates, as Estimate says.
func TestConformanceList(t *testing.T) {
	r := runCLI(t, context.Background(), env{}, hooks{}, "conformance", "--list")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	all := conformance.Cases()
	if len(lines) != len(all)+2 || !strings.HasPrefix(lines[0], "CASE ") {
		t.Fatalf("%d lines for %d cases:\n%s", len(lines), len(all), r.stdout)
	}
	for i, c := range all {
		if f := strings.Fields(lines[i+1]); f[0] != c.ID || f[1] != string(c.Kind) {
			t.Errorf("line %d: %q; want case %s (%s)", i+1, lines[i+1], c.ID, c.Kind)
		}
	}
	rest, _ := conformance.Estimate(conformance.Config{Skip: []string{"MODEL-SEQUENCES"}})
	if want := fmt.Sprintf("%d cases; creates %s", len(all), costWords(rest)); !strings.HasPrefix(lines[len(lines)-1], want) {
		t.Errorf("last line %q; want it to start %q", lines[len(lines)-1], want)
	}

	r = runCLI(t, context.Background(), env{}, hooks{}, "conformance", "--list", "--case", "scale-*,job-list-page-100", "--scale")
	want := []string{"JOB-LIST-PAGE-100", "SCALE-UPLOAD-ORDER", "SCALE-CLIENT-JOB", "SCALE-JOB-FULL-PAGES", "SCALE-APIKEY-LIST", "SCALE-CLIENTCRED-LIST", "SCALE-SHORT-NAMES"}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		got = append(got, strings.Fields(l)[0])
	}
	if r.code != 0 || !slices.Equal(got[:len(got)-1], want) {
		t.Errorf("--list --case: %v; want %v\n%s", got, want, r)
	}
	// The scale tier's three datasets and two jobs, 3 datasets and a job of short names and 26
	// OAuth clients, JOB-LIST-PAGE-100's 101 jobs, and the shared job fixture they use
	// (SCALE-APIKEY-LIST's keys are deleted again).
	if !strings.Contains(r.stdout, "7 cases; creates 7 input datasets, 105 jobs, 11,626 records, 26 OAuth clients\n") {
		t.Errorf("--list --scale's cost:\n%s", r.stdout)
	}
}

// TestConformanceBrokenRule: a server that breaks a documented rule makes data8 conformance exit 1,
// with the failure on standard output and in the JUnit file; the same cases against a server that
// keeps the rule exit 0.
func TestConformanceBrokenRule(t *testing.T) {
	for _, broken := range []bool{false, true} {
		var opts []data8test.Option
		if broken {
			opts = append(opts, standin.WithMutation(standin.Accept1001Records))
		}
		_, e := standIn(t, opts...)
		dir := t.TempDir()
		r := conform(t, e, "--case", "UPLOAD-MAX-1000,DATASET-404", "--report", dir)
		if !broken {
			if r.code != 0 {
				t.Errorf("against a server that keeps the rule: %s", r)
			}
			continue
		}
		if r.code != 1 || !strings.Contains(r.stdout, "FAILED UPLOAD-MAX-1000: At most 1,000 records per block") || !strings.Contains(r.stdout, "a block of 1,001 records") {
			t.Errorf("against a server that takes 1,001 records a block: %s", r)
		}
		for _, c := range readJUnit(t, dir).Suites[0].Cases {
			if (c.Failure != nil) != (c.Name == "UPLOAD-MAX-1000") {
				t.Errorf("junit.xml: %s has failure %v", c.Name, c.Failure != nil)
			}
		}
	}
}

// TestConformanceNotRun: when --timeout ends the run (here against a server that never answers),
// the cases left are not run, the report says so, and data8 conformance exits 1; when a signal ends
// it, the report is written all the same and it exits 130.
func TestConformanceNotRun(t *testing.T) {
	stop := make(chan struct{})
	asked := make(chan struct{}, 100)
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // else the server does not see the client go
		asked <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() {
		close(stop)
		silent.Close()
	})
	dir := t.TempDir()
	e := env{"DATA8_BASE_URL": silent.URL, "DATA8_TOKEN_URL": silent.URL + "/connect/token", "DATA8_CLIENT_ID": "id", "DATA8_CLIENT_SECRET": "secret"}
	r := conform(t, e, "--case", "DATASET-404,JOB-404", "--timeout", "200ms", "--report", dir)
	if r.code != 1 || !strings.Contains(r.stdout, "NOT RUN JOB-404") || !strings.Contains(r.stdout, "the run ended early: ") || !strings.Contains(r.stdout, "(--timeout 200ms)") {
		t.Errorf("%s", r)
	}
	errs := 0
	for _, c := range readJUnit(t, dir).Suites[0].Cases {
		if c.Error != nil {
			errs++
		}
	}
	if errs != 2 {
		t.Errorf("junit.xml: %d errors (not run); want 2", errs)
	}

	// Ctrl-C: the context ends once the server has the first request.
	for len(asked) > 0 {
		<-asked // the first run's
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-asked:
			cancel()
		case <-stop:
		}
	}()
	dir = t.TempDir()
	r = runCLI(t, ctx, e, hooks{}, "conformance", "--case", "DATASET-404,JOB-404", "--report", dir)
	if r.code != ExitInterrupted || !strings.Contains(r.stderr, "interrupted") || !strings.Contains(r.stdout, "NOT RUN JOB-404") {
		t.Errorf("interrupted: %s", r)
	}
	if rep, err := conformance.ReadReportFile(filepath.Join(dir, conformance.JSONFile)); err != nil || len(rep.NotRun()) != 2 {
		t.Errorf("the report of an interrupted run: %v", err)
	}
}

// TestConformanceWorkflowSettings: the workflow the suite needs comes from DATA8_WORKFLOW,
// DATA8_WORKFLOW_INPUT and DATA8_WORKFLOW_OUTPUT, and the flags win over them.
func TestConformanceWorkflowSettings(t *testing.T) {
	copyFlow := data8test.NewWorkflow("Copy", []string{"Src"}, []string{"Dst"}, func(_ context.Context, in map[string][]data8test.Record, _ map[string]string) (map[string][]data8test.Record, map[string]any, error) {
		return map[string][]data8test.Record{"Dst": in["Src"]}, nil, nil
	})
	_, e := standIn(t, data8test.WithWorkflow(copyFlow))
	e["DATA8_WORKFLOW"], e["DATA8_WORKFLOW_INPUT"], e["DATA8_WORKFLOW_OUTPUT"] = "Copy", "Src", "Dst"
	if r := conform(t, e, "--case", "JOB-OUTPUT"); r.code != 0 || !strings.Contains(r.stderr, "JOB-OUTPUT                   passed") {
		t.Errorf("workflow Copy (Src → Dst) from the environment: %s", r)
	}
	if r := conform(t, e, "--case", "JOB-OUTPUT", "--output-slot", "Output"); r.code != 1 || !strings.Contains(r.stdout, `no output dataset for slot "Output"`) {
		t.Errorf("--output-slot Output over DATA8_WORKFLOW_OUTPUT=Dst: %s", r)
	}
}

// TestConformanceScaleConsent: --scale prints what it costs and runs only with consent: --yes, or
// "y" on a terminal. Without it nothing is sent.
func TestConformanceScaleConsent(t *testing.T) {
	srv, e := standIn(t)
	scaleCost := "of that, the scale tier (--scale) creates 1 input dataset, 0 jobs, 4,620 records"

	r := conform(t, e, "--scale", "--case", "SCALE-UPLOAD-ORDER")
	if r.code != 2 || !strings.Contains(r.stderr, scaleCost) || !strings.Contains(r.stderr, "pass --yes to run it") {
		t.Errorf("--scale without --yes, standard input not a terminal: %s", r)
	}
	for _, answer := range []string{"", "n\n", "no\n", "yes please\n"} {
		var stdout, stderr syncBuffer
		code := mainWith(context.Background(), []string{"conformance", "--scale", "--case", "SCALE-UPLOAD-ORDER"}, strings.NewReader(answer), &stdout, &stderr, e.get, hooks{interactive: true})
		if code != 1 || !strings.Contains(stderr.String(), "[y/N]") || !strings.Contains(stderr.String(), "declined; nothing was sent") {
			t.Errorf("answer %q on a terminal: exit %d\n%s", answer, code, stderr.String())
		}
	}
	if n := srv.TokenCount(); n != 0 || len(srv.RequestCounts()) != 0 {
		t.Fatalf("without consent the server got %d token requests and %v", n, srv.RequestCounts())
	}

	var stdout, stderr syncBuffer
	code := mainWith(context.Background(), []string{"conformance", "--poll", "5ms", "--scale", "--case", "JOB-LIST-PAGE-100"}, strings.NewReader("y\n"), &stdout, &stderr, e.get, hooks{interactive: true})
	if code != 0 || !strings.Contains(stderr.String(), "the scale tier (--scale) creates 1 input dataset, 102 jobs, 3 records") || !strings.Contains(stderr.String(), "JOB-LIST-PAGE-100            passed") {
		t.Errorf(`answer "y" on a terminal: exit %d\n%s`, code, stderr.String())
	}
	// --scale with cases it adds nothing to asks nothing.
	if r := conform(t, e, "--scale", "--case", "AUTH-TOKEN"); r.code != 0 || !strings.Contains(r.stderr, "the scale tier (--scale) adds nothing to the cases selected") {
		t.Errorf("--scale --case AUTH-TOKEN: %s", r)
	}
	r = conform(t, e, "--scale", "--yes", "--case", "SCALE-UPLOAD-ORDER")
	if r.code != 0 || !strings.Contains(r.stderr, scaleCost) || !strings.Contains(r.stderr, "SCALE-UPLOAD-ORDER           passed") {
		t.Errorf("--scale --yes: %s", r)
	}
}

// TestConformanceUsage: a bad command line or configuration exits 2 before anything is sent.
func TestConformanceUsage(t *testing.T) {
	srv, e := standIn(t)
	notReport := writeFile(t, t.TempDir(), "other.json", `{"name":"x"}`)
	file := writeFile(t, t.TempDir(), "file", "x")
	for _, x := range []struct {
		args []string
		env  env
		want string
	}{
		{[]string{"--bogus"}, e, "unknown flag --bogus"},
		{[]string{"extra"}, e, `unexpected argument "extra"`},
		{[]string{"--case", "NO-SUCH-*"}, e, `bad --case: case pattern "NO-SUCH-*" selects no case`},
		{[]string{"--case", "[x"}, e, "bad --case"},
		{[]string{"--skip", "NO-SUCH-CASE"}, e, `bad --skip: there is no case "NO-SUCH-CASE"`},
		{[]string{"--fail-on-drift"}, e, "--fail-on-drift needs --baseline"},
		{[]string{"--baseline", filepath.Join(t.TempDir(), "none.json")}, e, "bad --baseline"},
		{[]string{"--baseline", notReport}, e, "bad --baseline"},
		{[]string{"--report", file}, e, "bad --report"},
		{[]string{"--timeout", "0"}, e, "bad --timeout 0s"},
		{[]string{"--poll", "-1s"}, e, "bad --poll"},
		{[]string{"--workflow", " "}, e, "bad --workflow"},
		{[]string{"--prefix", "Bad-Prefix"}, e, `bad --prefix "Bad-Prefix"`},
		{nil, env{"DATA8_BASE_URL": srv.URL, "DATA8_TOKEN_URL": srv.TokenURL}, "no credentials"},
		{nil, env{"DATA8_BASE_URL": srv.URL, "DATA8_CLIENT_ID": "x", "DATA8_CLIENT_SECRET": "y"}, "no token URL is set"},
		{nil, env{"DATA8_BASE_URL": "http://192.0.2.1:1", "DATA8_TOKEN_URL": "http://192.0.2.1:1/t", "DATA8_CLIENT_ID": "x", "DATA8_CLIENT_SECRET": "y"}, "uses http:// on a host that is not loopback"},
		{[]string{"--case", "AUTH-TOKEN"}, env{"DATA8_BASE_URL": srv.URL, "DATA8_TOKEN_URL": srv.TokenURL, "DATA8_CLIENT_ID": "x", "DATA8_CLIENT_SECRET": "y", "DATA8_CONFORMANCE_SCALE": "maybe"}, "bad DATA8_CONFORMANCE_SCALE"},
	} {
		r := conform(t, x.env, x.args...)
		if r.code != 2 || !strings.Contains(r.stderr, x.want) {
			t.Errorf("data8 conformance %q: %s\nwant exit 2 and %q", x.args, r, x.want)
		}
	}
	if n := srv.TokenCount(); n != 0 || len(srv.RequestCounts()) != 0 {
		t.Errorf("bad usage sent %d token requests and %v", n, srv.RequestCounts())
	}
}
