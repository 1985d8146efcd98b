package conformance_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// recorder is a data8test.TB that keeps what the server reports instead of failing the test: a
// mutated server may well answer things the spec forbids, and that is the point.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// runAgainst runs the suite against a new in-process server with opts and returns the report.
func runAgainst(t *testing.T, opts ...data8test.Option) *conformance.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := conformance.Run(ctx, inProcess(t, opts...))
	if err != nil {
		t.Fatal(err)
	}
	return rep
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
		rep := runAgainst(t, data8test.Validate(t))
		if n := rep.Counts(); n[conformance.Skipped] != 0 || n[conformance.Passed] < 30 || n[conformance.Passed]+n[conformance.Observed] != len(rep.Cases) {
			t.Errorf("against the unmutated server every case must run: %s", rep.Summary())
		}
		if failed := rep.Failed(); len(failed) > 0 {
			for _, id := range failed {
				t.Errorf("%s failed against the unmutated server: %s", id, strings.Join(rep.Case(id).Failures, "; "))
			}
		}
	})
	for _, m := range standin.Mutations() {
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()
			var rec recorder
			rep := runAgainst(t, data8test.Validate(&rec), standin.WithMutation(m))
			failed := rep.Failed()
			exp := slices.Sorted(slices.Values(want[m]))
			got := slices.Sorted(slices.Values(failed))
			if !slices.Equal(got, exp) {
				for _, id := range failed {
					t.Logf("%s failed: %s", id, strings.Join(rep.Case(id).Failures, "; "))
				}
				t.Fatalf("against a server with %s the suite failed %v; want exactly %v", m, got, exp)
			}
			for _, id := range exp {
				t.Logf("%s caught by %s: %s", m, id, rep.Case(id).Failures[0])
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, msg := range rec.msgs {
				t.Logf("server reported: %s", msg)
			}
		})
	}
}

// TestViolationsAttributed puts a wrapper in front of data8test that breaks the spec in one answer
// only (a 404 of GET /Job/{name} whose problem details give the status as a string), and checks that the
// checking transport
// catches it and fails exactly the case that made the request.
func TestViolationsAttributed(t *testing.T) {
	srv := data8test.NewServer(data8test.WithJobDuration(jobDuration))
	defer srv.Close()
	h := srv.Handler()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/Job/") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusNotFound {
			body = bytes.Replace(body, []byte(`"status":404`), []byte(`"status":"404"`), 1)
			rec.Header().Del("Content-Length")
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	}))
	defer front.Close()

	cfg := fastConfig(front.URL, front.URL+"/connect/token", srv.ClientID, srv.ClientSecret)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := conformance.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Failed(); !slices.Equal(got, []string{"JOB-404"}) {
		t.Fatalf("failed cases %v; want [JOB-404]", got)
	}
	c := rep.Case("JOB-404")
	if len(c.Violations) != 1 || !strings.Contains(strings.Join(c.Violations[0].Rules, " "), "/status") {
		t.Errorf("JOB-404 violations %+v; want the 404 with a string status", c.Violations)
	}
	t.Logf("JOB-404: %s", strings.Join(c.Failures, "; "))
}
