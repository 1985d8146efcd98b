package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/conformance"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/standin"
)

// caughtBy names, for each mutation of data8test, exactly the cases that must fail against a
// server with it: the cases whose rule the mutation breaks.
func caughtBy() map[standin.Mutation][]string {
	return map[standin.Mutation][]string{
		standin.Accept1001Records:        {"UPLOAD-MAX-1000"},
		standin.AppendInsteadOfOverwrite: {"UPLOAD-OVERWRITE"},
		standin.IgnoreBlockOrder:         {"UPLOAD-ORDER"},
		standin.AcceptUploadToCompleted:  {"UPLOAD-COMPLETED-400"},
		standin.SkipAuth:                 {"AUTH-NO-TOKEN-401", "AUTH-BAD-TOKEN-401"},
		standin.UnsortedDatasetList:      {"DATASET-LIST-ALPHA-100"},
	}
}

// runAgainst runs the suite against a new in-process server with opts and returns the report.
func runAgainst(t *testing.T, opts ...data8test.Option) *conformance.Report {
	t.Helper()
	return runConfig(t, inProcess(t, opts...))
}

// TestMutations runs the suite against a data8test server that breaks one documented rule on
// purpose, for every mutation data8test has, and checks that the suite fails with exactly the case
// that states the rule. It also runs the suite against the unmutated server, which must pass.
func TestMutations(t *testing.T) {
	want := caughtBy()
	for _, m := range standin.Mutations() {
		if _, ok := want[m]; !ok {
			t.Errorf("mutation %s has no expected case: add it to caughtBy", m)
		}
	}

	t.Run("none", func(t *testing.T) {
		t.Parallel()
		rep := runAgainst(t, data8test.WithValidation(t))
		if n := rep.Counts(); n[conformance.Skipped] != 0 || n[conformance.Passed] < 30 || n[conformance.Passed]+n[conformance.Observed] != len(rep.Cases) {
			t.Errorf("against the unmutated server every case must run: %s", rep.Summary())
		}
		if failed := rep.Failed(); len(failed) > 0 {
			for _, id := range failed {
				t.Errorf("%s failed against the unmutated server: %s", id, strings.Join(rep.Case(id).Failures, "; "))
			}
		}
	})
	// Each mutation alone, and each under every profile at once: a profile's differences are
	// observed, never a reason to miss a broken documented rule.
	type run struct {
		m     standin.Mutation
		label string
		opts  []data8test.Option
		rep   *conformance.Report
		err   error
	}
	var runs []*run
	for _, m := range standin.Mutations() {
		// No Validate: a mutated server may well answer what the spec forbids, and judging that
		// is the suite's job, through its own checking transport.
		runs = append(runs, &run{m: m, label: m.String(), opts: []data8test.Option{standin.WithMutation(m)}},
			&run{m: m, label: m.String() + "+all-profiles", opts: []data8test.Option{standin.WithMutation(m), data8test.WithProfile(data8test.Profiles()...)}})
	}
	concurrently(len(runs), 6, func(i int) {
		r := runs[i]
		r.rep, r.err = conformance.Run(context.Background(), inProcess(t, r.opts...))
	})
	for _, r := range runs {
		t.Run(r.label, func(t *testing.T) {
			if r.err != nil {
				t.Fatal(r.err)
			}
			rep := r.rep
			failed := rep.Failed()
			exp := slices.Sorted(slices.Values(want[r.m]))
			got := slices.Sorted(slices.Values(failed))
			if !slices.Equal(got, exp) {
				for _, id := range failed {
					t.Logf("%s failed: %s", id, strings.Join(rep.Case(id).Failures, "; "))
				}
				t.Fatalf("against a server with %s the suite failed %v; want exactly %v", r.label, got, exp)
			}
			for _, id := range exp {
				t.Logf("%s caught by %s: %s", r.label, id, rep.Case(id).Failures[0])
			}
			// The mutation table of the closing note: go test ./conformance/ -run TestMutations -v | grep MUTATION
			n := rep.Counts()
			t.Logf("MUTATION %-40s failed %v (expected %v); passed %d observed %d skipped %d", r.label, got, exp, n[conformance.Passed], n[conformance.Observed], n[conformance.Skipped])
		})
	}
}

// TestFindingsAttributed puts a wrapper in front of data8test that changes answers of two
// operations, and checks that the checking transport attributes each finding to the case that made
// the request, and classifies it by the spec: an API key answered by GET /ApiKey/{key} without its
// key breaks a documented rule (ApiKey requires key, and ApiKeyOK's mark says only its status is
// inferred), so exactly the cases that read a key fail, each with that violation; a 404 of
// GET /Job/{name} sent as text/plain is an error body the spec accepts (D-3), so JOB-404 passes.
func TestFindingsAttributed(t *testing.T) {
	srv := data8test.NewServer(data8test.WithJobDuration(jobDuration))
	defer srv.Close()
	front := httptest.NewServer(rewriting(srv.Handler(), func(r *http.Request, rec *httptest.ResponseRecorder) {
		switch {
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/Job/") && rec.Code == http.StatusNotFound:
			rec.Header().Set("Content-Type", "text/plain")
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/ApiKey/") && rec.Code == http.StatusOK:
			var k map[string]any
			if json.Unmarshal(rec.Body.Bytes(), &k) == nil {
				delete(k, "key")
				b, _ := json.Marshal(k)
				rec.Body = bytes.NewBuffer(b)
			}
		}
	}))
	defer front.Close()

	rep := runConfig(t, fastConfig(front.URL, front.URL+"/connect/token", srv.ClientID, srv.ClientSecret))
	want := []string{"APIKEY-CREATE", "APIKEY-UPDATE", "APIKEY-ALLOWED-DOMAIN", "APIKEY-ALLOWED-IP", "APIKEY-ALLOWED-IP-CIDR"} // in run order
	if got := rep.Failed(); !slices.Equal(got, want) {
		for _, id := range got {
			t.Logf("%s: %s", id, strings.Join(rep.Case(id).Failures, "; "))
		}
		t.Fatalf("failed cases %v; want %v (the cases that read a key)", got, want)
	}
	for _, id := range want {
		c := rep.Case(id)
		if len(c.Violations) == 0 {
			t.Errorf("%s failed without a spec violation: %v", id, c.Failures)
		}
		for _, v := range c.Violations {
			if v.Op != "ApiKey_GetByKey" || !strings.Contains(strings.Join(v.Rules, " "), `"required"`) {
				t.Errorf("%s violation %+v; want the ApiKey without its key", id, v)
			}
		}
	}
	if c := rep.Case("JOB-404"); c.Status != conformance.Passed {
		t.Errorf("JOB-404 is %s (%v %v); a text/plain 404 is an error body the spec accepts", c.Status, c.Failures, c.Deviations)
	}
}

// TestBackslashJobNames puts a wrapper in front of data8test that accepts job names with a
// backslash (the documentation lists / : * ? " < > | only; the backslash is the spec's inference):
// the server stores the backslash as a placeholder, and every answer shows it again. No case may
// fail (the cases that list the job among them): JOB-NAME-CHARS observes the difference from D-13.
func TestBackslashJobNames(t *testing.T) {
	const placeholder = "BACKSLASH"
	srv := data8test.NewServer(data8test.WithJobDuration(jobDuration))
	defer srv.Close()
	inner := srv.Handler()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			b, _ := io.ReadAll(r.Body)
			b = bytes.ReplaceAll(b, []byte(`\\`), []byte(placeholder))
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.ContentLength = int64(len(b))
		}
		r.URL.Path = strings.ReplaceAll(r.URL.Path, `\`, placeholder)
		r.URL.RawPath = strings.ReplaceAll(strings.ReplaceAll(r.URL.RawPath, "%5C", placeholder), "%5c", placeholder)
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(bytes.ReplaceAll(rec.Body.Bytes(), []byte(placeholder), []byte(`\\`)))
	}))
	defer front.Close()

	rep := runConfig(t, fastConfig(front.URL, front.URL+"/connect/token", srv.ClientID, srv.ClientSecret))
	checkNoFailures(t, rep)
	c := rep.Case("JOB-NAME-CHARS")
	found := false
	for _, d := range c.Deviations {
		found = found || (d.Point == "D-13" && strings.Contains(d.Observed, `"\\"`))
	}
	if c.Status != conformance.Observed || !found {
		t.Errorf("JOB-NAME-CHARS is %s with deviations %+v; want observed, differing from D-13 on the backslash", c.Status, c.Deviations)
	}
}
