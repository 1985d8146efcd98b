package conformance_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/data8-toolkit/data8/conformance"
	"github.com/data8-toolkit/data8/data8test"
)

// concurrently runs f(0) … f(n-1), at most limit at a time, and waits for them. The suite mostly
// waits on its server, so runs overlap well beyond the test's -parallel (GOMAXPROCS).
func concurrently(n, limit int, f func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, limit)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(i)
		}()
	}
	wg.Wait()
}

// profileRun is the outcome of the suite against one set of profiles, and of its second run
// checked against the spec with the first run's observed overlay applied.
type profileRun struct {
	name       string
	profiles   []data8test.Profile
	rep        *conformance.Report
	overlay    string // path of the first run's observed.overlay.yaml
	overlaid   *conformance.Report
	overlayErr error
}

// TestProfiles runs the suite against data8test under each profile, one at a time, and under all of
// them at once. A profile keeps every documented rule and reads a silent point differently, so no
// case may fail and every case must run; where the profile differs from a decided point, the report
// says so (observed). Then the observed overlay of each run is applied to api/openapi.yaml, and the
// suite runs again against a server with the same profiles, its answers checked against the
// overlaid spec: none may break it, at a documented rule or a decided one. Under all the profiles,
// unless -short, the code of gen is generated from the overlaid spec with oapi-codegen's
// output-options.overlay (what `make generate OVERLAY=...` runs), built and vetted.
//
// Under the race detector it runs only under all the profiles at once (`make test` runs it both ways).
//
// The figures of the closing note: go test ./conformance/ -run TestProfiles -v | grep PROFILE
func TestProfiles(t *testing.T) {
	var runs []*profileRun
	// Under the race detector only the run under every profile at once, which reaches each
	// profile's code: `make test` runs the whole test again without it.
	if !raceDetector {
		for _, p := range data8test.Profiles() {
			runs = append(runs, &profileRun{name: string(p), profiles: []data8test.Profile{p}})
		}
	}
	runs = append(runs, &profileRun{name: "all", profiles: data8test.Profiles()})
	dir := t.TempDir()
	concurrently(len(runs), 6, func(i int) {
		r := runs[i]
		var err error
		cfg := inProcess(t, data8test.WithProfile(r.profiles...))
		cfg.Scale = r.name == "all" // the scale tier once, under every profile at once
		if r.rep, err = conformance.Run(context.Background(), cfg); err != nil {
			r.overlayErr = err
			return
		}
		out := filepath.Join(dir, r.name)
		if _, err := r.rep.WriteFiles(out); err != nil {
			r.overlayErr = err
			return
		}
		r.overlay = filepath.Join(out, conformance.OverlayFile)
		if r.rep.Differing == 0 && r.rep.Violations == 0 {
			// Every answer met the spec: the overlay only records the run, and the second run
			// would be the first one again.
			r.overlaid = r.rep
			return
		}
		spec, err := overlaid(r.overlay)
		if err != nil {
			r.overlayErr = err
			return
		}
		cfg = inProcess(t, data8test.WithProfile(r.profiles...))
		cfg.Spec = spec
		r.overlaid, r.overlayErr = conformance.Run(context.Background(), cfg)
	})
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			if r.rep == nil {
				t.Fatal(r.overlayErr)
			}
			checkNoFailures(t, r.rep)
			n := r.rep.Counts()
			var differs []string
			for _, p := range r.rep.Discovery {
				if p.Result == "differs" && !slices.Contains(differs, p.Point) {
					differs = append(differs, p.Point)
				}
			}
			t.Logf("PROFILE %-20s passed %2d observed %2d failed %d skipped %d; differs at %s",
				r.name, n[conformance.Passed], n[conformance.Observed], n[conformance.Failed], n[conformance.Skipped], cmpOrNone(strings.Join(differs, " ")))
			if t.Failed() {
				t.Logf("discovery:\n%s", discoveryText(r.rep))
			}
			if r.overlayErr != nil {
				t.Fatalf("the observed overlay: %v", r.overlayErr)
			}
			if r.overlaid.Violations != 0 || r.overlaid.Differing != 0 {
				for _, c := range r.overlaid.Cases {
					for _, d := range c.Deviations {
						if d.SpecPointer != "" {
							t.Errorf("%s: against the overlaid spec: %s at %s (%s)", c.ID, d.Observed, d.SpecPointer, d.Evidence)
						}
					}
					for _, v := range c.Violations {
						t.Errorf("%s: against the overlaid spec: %s %s: %v", c.ID, v.Method, v.Path, v.Rules)
					}
				}
				ov, _ := os.ReadFile(r.overlay)
				t.Fatalf("%d answers break the overlaid spec, %d differ from it; the overlay:\n%s", r.overlaid.Violations, r.overlaid.Differing, ov)
			}
			checkNoFailures(t, r.overlaid)
			if r.name == "all" {
				generateWith(t, r.overlay)
			}
		})
	}
}

func cmpOrNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}
