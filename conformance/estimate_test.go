package conformance_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/conformance"
	"github.com/data8-toolkit/data8/data8test"
)

// spent is what a run left on a stand-in that held nothing before it (but its own OAuth client),
// counted on the server:
// the model tier's datasets and jobs (named <prefix><run>_m…, "<prefix><run> model…", the job names
// with one of the suite's hard name parts after "model") apart from
// the rest, whose count Estimate gives exactly.
type spent struct{ model, rest conformance.Cost }

// countSpent lists every input dataset and job on srv, and adds up the records the datasets hold.
func countSpent(t *testing.T, srv *data8test.Server, rep *conformance.Report) spent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := srv.Client()
	run := regexp.QuoteMeta(rep.Prefix + rep.RunID)
	modelDataset := regexp.MustCompile(`^` + run + `_m(_[0-9]+)?$`)
	modelJob := regexp.MustCompile(`^` + run + ` model( |$)`) // the model tier's names may hold hard parts

	var s spent
	for ref, err := range c.ListDatasets(ctx, client.ListDatasetsOptions{ExcludeOutput: true}) {
		if err != nil {
			t.Fatalf("listing the datasets: %v", err)
		}
		ds, ok := srv.DatasetInfo(ref.Name)
		if !ok {
			t.Fatalf("listed dataset %q does not exist", ref.Name)
		}
		if !ds.Input {
			continue // the list's flag is decided (D-6): the server's own view decides
		}
		to := &s.rest
		if modelDataset.MatchString(ref.Name) {
			to = &s.model
		}
		to.Datasets++
		to.Records += int(ds.RecordCount)
	}
	clients, err := c.ListClientCredentials(ctx)
	if err != nil {
		t.Fatalf("listing the OAuth clients: %v", err)
	}
	for _, cc := range clients {
		if cc.ClientID != srv.ClientID { // the stand-in's own client, there before the run
			s.rest.Clients++
		}
	}
	for ref, err := range c.ListJobs(ctx, client.ListJobsOptions{}) {
		if err != nil {
			t.Fatalf("listing the jobs: %v", err)
		}
		if modelJob.MatchString(ref.Name) {
			s.model.Jobs++
		} else {
			s.rest.Jobs++
		}
	}
	return s
}

// checkEstimate fails the test unless what the run of cfg left on srv is what Estimate said: exactly
// for every case but MODEL-SEQUENCES, at most Estimate's bound for that one.
func checkEstimate(t *testing.T, srv *data8test.Server, cfg conformance.Config, rep *conformance.Report) {
	t.Helper()
	got := countSpent(t, srv, rep)
	rest := cfg
	rest.Skip = append(append([]string(nil), cfg.Skip...), "MODEL-SEQUENCES")
	want, err := conformance.Estimate(rest)
	if err != nil {
		t.Fatal(err)
	}
	if got.rest != want {
		t.Errorf("the run created %s (the model tier aside); Estimate said %s", got.rest, want)
	}
	bound, err := conformance.Estimate(conformance.Config{Cases: "MODEL-SEQUENCES", ModelSequences: cfg.ModelSequences, ModelSteps: cfg.ModelSteps})
	if err != nil {
		t.Fatal(err)
	}
	if m := got.model; m.Datasets > bound.Datasets || m.Jobs > bound.Jobs || m.Records > bound.Records {
		t.Errorf("the model tier created %s; Estimate's bound is %s", m, bound)
	}
	if m := rep.Case("MODEL-SEQUENCES"); m != nil && (m.Status == conformance.Passed || m.Status == conformance.Observed) && got.model.Datasets == 0 {
		t.Errorf("the model tier ran and created no dataset: the names counted as its own are not its names")
	}
}

// TestEstimateSelections runs small selections of cases, each against a new stand-in, and checks
// that what each run created is what Estimate says it creates: the shared job fixture counted once,
// JOB-LIST-PAGE-100's jobs only with ManyJobs, the scale tier only with Scale, nothing for a case
// skipped. (TestConformance checks the whole suite, the scale tier included.)
func TestEstimateSelections(t *testing.T) {
	for _, x := range []struct {
		cases    string
		skip     []string
		manyJobs bool
		scale    bool
		want     conformance.Cost // pinned, so that a wrong declaration and a wrong count cannot agree
	}{
		{cases: "JOB-UNIQUE,JOB-OUTPUT,UPLOAD-ORDER,DATASET-NAME-PATTERN", want: conformance.Cost{Datasets: 9, Jobs: 4, Records: 27}},
		{cases: "JOB-LIST-PAGE-100", want: conformance.Cost{}},
		{cases: "JOB-LIST-PAGE-100", manyJobs: true, want: conformance.Cost{Datasets: 1, Jobs: 102, Records: 3}},
		{cases: "SCALE-*,DATASET-COMPLETE", want: conformance.Cost{Datasets: 2, Records: 3}},
		{cases: "DATASET-STATE-RULES,JOB-NAME-SPACES,DATA-READ", skip: []string{"DATA-READ"}, want: conformance.Cost{Datasets: 2, Jobs: 21, Records: 1003}},
		{cases: "DATASET-COMPLETE-TWICE-400,UPLOAD-MAX-1000,UPLOAD-UNKNOWN-COLUMN", want: conformance.Cost{Datasets: 4, Jobs: 1, Records: 1004}},
	} {
		name := x.cases
		if x.manyJobs {
			name += "+ManyJobs"
		}
		t.Run(name, func(t *testing.T) {
			srv := data8test.NewServer(data8test.WithJobDuration(jobDuration))
			t.Cleanup(srv.Close)
			cfg := fastConfig(srv.URL, srv.TokenURL, srv.ClientID, srv.ClientSecret)
			cfg.Cases, cfg.Skip, cfg.ManyJobs, cfg.Scale = x.cases, x.skip, x.manyJobs, x.scale
			est, err := conformance.Estimate(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if est != x.want {
				t.Errorf("Estimate = %s; want %s", est, x.want)
			}
			rep := runConfig(t, cfg)
			for _, c := range rep.Cases {
				if c.Status == conformance.Failed || c.Status == conformance.NotRun {
					t.Errorf("%s %s: %s", c.ID, c.Status, strings.Join(c.Failures, "; "))
				}
			}
			checkEstimate(t, srv, cfg, rep)
		})
	}
}

// TestEstimateDeclarations checks what the cases declare: a case that says it creates something
// declares its Cost (but the one that names the shared job fixture as what it creates); and what the
// scale tier and the model tier add.
func TestEstimateDeclarations(t *testing.T) {
	for _, c := range conformance.Cases() {
		if strings.Contains(c.Creates, "shared with") {
			continue // what it creates is the shared job fixture's
		}
		creates := strings.Contains(c.Creates, "dataset") || strings.Contains(c.Creates, "job") || strings.Contains(c.Creates, "OAuth client")
		if creates != (c.Cost != conformance.Cost{}) {
			t.Errorf("%s: creates %q, declares Cost %s", c.ID, c.Creates, c.Cost)
		}
	}
	full, err := conformance.Estimate(conformance.Config{Scale: true})
	if err != nil {
		t.Fatal(err)
	}
	without, err := conformance.Estimate(conformance.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// The scale tier: 3 datasets of 4,620, 5,003 and 2,000 records and two jobs, 3 empty datasets
	// and a job of short names, the 101 jobs of JOB-LIST-PAGE-100 (whose fixture other cases use
	// anyway), and the 26 OAuth clients of SCALE-CLIENTCRED-LIST.
	if d := full.Sub(without); d != (conformance.Cost{Datasets: 6, Jobs: 104, Records: 11623, Clients: 26}) {
		t.Errorf("the scale tier adds %s", d)
	}
	model, err := conformance.Estimate(conformance.Config{Cases: "MODEL-SEQUENCES", ModelSequences: 2, ModelSteps: 4})
	if err != nil {
		t.Fatal(err)
	}
	if model != (conformance.Cost{Datasets: 8, Jobs: 4, Records: 6000}) {
		t.Errorf("MODEL-SEQUENCES with 2 sequences of at most 4 operations: at most %s", model)
	}
	if _, err := conformance.Estimate(conformance.Config{Cases: "NO-SUCH-CASE"}); err == nil {
		t.Error("Estimate of a pattern that selects nothing: no error")
	}
	proxy, err := conformance.Estimate(conformance.Config{Cases: "UPLOAD-MAX-1000", BehindValidatingProxy: true})
	if err != nil || proxy != (conformance.Cost{}) {
		t.Errorf("UPLOAD-MAX-1000 behind a validating proxy (skipped): %s, %v", proxy, err)
	}
}
