package conformance_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/conformance"
	"github.com/data8-toolkit/data8/data8test"
)

// jobDuration is how long a job of the in-process server takes: short, so the suite is fast.
const jobDuration = 20 * time.Millisecond

// inProcess returns a Config for a new in-process data8test server with options opts, closed when
// the test ends.
func inProcess(t testing.TB, opts ...data8test.Option) conformance.Config {
	srv := data8test.NewServer(append([]data8test.Option{data8test.WithJobDuration(jobDuration)}, opts...)...)
	t.Cleanup(srv.Close)
	return fastConfig(srv.URL, srv.TokenURL, srv.ClientID, srv.ClientSecret)
}

// fastConfig is a Config for a local server whose jobs take jobDuration.
func fastConfig(baseURL, tokenURL, id, secret string) conformance.Config {
	return conformance.Config{
		BaseURL:         baseURL,
		TokenURL:        tokenURL,
		ClientID:        id,
		ClientSecret:    secret,
		ManyJobs:        true,
		OtherWorkflow:   "CleanContacts",
		ModelSequences:  3,
		ModelShrinkRuns: 40,
		JobPollInterval: 5 * time.Millisecond,
		JobTimeout:      30 * time.Second,
		CaseTimeout:     time.Minute,
	}
}

// TestConformance runs the suite against the server the environment names (see the package doc),
// or an in-process data8test server with validation on, and fails for every failed case.
func TestConformance(t *testing.T) {
	cfg, live, err := conformance.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	note := "in-process data8test, Validate on"
	var srv *data8test.Server
	if !live {
		// StrictRequests stays off: the negative cases send requests that break the spec on
		// purpose; the server answers those 400 and records them without failing the test.
		srv = data8test.NewServer(data8test.WithJobDuration(jobDuration), data8test.WithValidation(t))
		t.Cleanup(srv.Close)
		cfg = fastConfig(srv.URL, srv.TokenURL, srv.ClientID, srv.ClientSecret)
		cfg.Scale = true
	} else {
		note = "from the environment"
		if cfg.BehindValidatingProxy {
			note += ", behind a validating proxy"
		}
	}
	cfg.Logf = t.Logf
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	rep, err := conformance.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep.Note = note

	dir := os.Getenv(conformance.EnvReport)
	if dir == "" {
		dir = t.ArtifactDir()
	}
	paths, err := rep.WriteFiles(dir)
	if err != nil {
		t.Errorf("writing the report: %v", err)
	}
	t.Logf("report: %v\n%s", paths, rep.Markdown())

	for _, c := range rep.Cases {
		t.Run(c.ID, func(t *testing.T) {
			switch c.Status {
			case conformance.Failed:
				for _, f := range c.Failures {
					t.Errorf("%s", f)
				}
				t.Logf("rule: %s", c.Rule)
			case conformance.NotRun:
				t.Errorf("not run: %s", c.SkipReason)
			case conformance.Skipped:
				t.Skip(c.SkipReason)
			}
		})
	}
	if rep.Violations > 0 {
		t.Errorf("%d answers broke the spec", rep.Violations)
	}
	if srv != nil {
		checkEstimate(t, srv, cfg, rep)
	}
}

// runConfig runs the suite with cfg and returns the report.
func runConfig(t *testing.T, cfg conformance.Config) *conformance.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := conformance.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// checkNoFailures fails the test for every failed case of rep, and for every case that did not run.
func checkNoFailures(t *testing.T, rep *conformance.Report) {
	t.Helper()
	for _, c := range rep.Cases {
		switch c.Status {
		case conformance.Failed:
			t.Errorf("%s failed: %s", c.ID, strings.Join(c.Failures, "; "))
		case conformance.Skipped:
			if !strings.HasPrefix(c.ID, "SCALE-") {
				t.Errorf("%s was skipped: %s", c.ID, c.SkipReason)
			}
		}
	}
}

// discoveryText is the discovery table, one row a line.
func discoveryText(rep *conformance.Report) string {
	var b strings.Builder
	for _, p := range rep.Discovery {
		fmt.Fprintf(&b, "%s %s %s: %s [%s]\n", p.Point, p.Op, p.Result, p.Observed, strings.Join(p.Evidence, "; "))
	}
	return b.String()
}

// rewriting serves h through a recorder, lets rewrite change the answer, and sends it.
func rewriting(h http.Handler, rewrite func(*http.Request, *httptest.ResponseRecorder)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		rewrite(r, rec)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}
