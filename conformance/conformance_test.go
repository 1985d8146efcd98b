package conformance_test

import (
	"context"
	"os"
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
	if !live {
		// StrictRequests stays off: the negative cases send requests that break the spec on
		// purpose; the server answers those 400 and records them without failing the test.
		cfg = inProcess(t, data8test.Validate(t))
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
	md, js, err := rep.WriteFiles(dir)
	if err != nil {
		t.Errorf("writing the report: %v", err)
	}
	t.Logf("report: %s, %s\n%s", md, js, rep.Markdown())

	for _, c := range rep.Cases {
		t.Run(c.ID, func(t *testing.T) {
			switch c.Status {
			case conformance.Failed:
				for _, f := range c.Failures {
					t.Errorf("%s", f)
				}
				t.Logf("rule: %s", c.Rule)
			case conformance.Skipped:
				t.Skip(c.SkipReason)
			}
		})
	}
	if rep.Violations > 0 {
		t.Errorf("%d answers broke the spec", rep.Violations)
	}
}
