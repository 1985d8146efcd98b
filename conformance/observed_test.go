package conformance_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/conformance"
	"github.com/data8-toolkit/data8/data8test"
)

// rows lists the discovery rows of rep by point, operation or spec node, and result: what a second
// server must show again.
func rows(rep *conformance.Report) []string {
	var out []string
	for _, p := range rep.Discovery {
		out = append(out, p.Point+" "+p.Op+p.Where+" "+p.Result)
	}
	slices.Sort(out)
	return out
}

// TestObservedStandIn runs the suite against the stand-in under a set of profiles, writes the
// report, reads its conformance.json back, builds a second stand-in from it with
// data8test.WithObserved, runs the suite against that one, and gets the same discovery rows and no
// drift. Then it compares a run against the stand-in's defaults with the first run: the drift is at
// D-4 (201 where 200) and D-10 (pages of 500 where 1,000), and the Markdown and JSON say so.
func TestObservedStandIn(t *testing.T) {
	sets := [][]data8test.Profile{
		{data8test.ProfileCreated201, data8test.ProfilePage500},
		{data8test.ProfileConflict409, data8test.ProfileDotNetTimes, data8test.ProfileOmitOptional, data8test.ProfilePlainJSONProblems},
	}
	first := make([]*conformance.Report, len(sets))
	var plain *conformance.Report
	concurrently(len(sets)+1, 3, func(i int) {
		if i == len(sets) {
			plain, _ = conformance.Run(context.Background(), inProcess(t))
			return
		}
		first[i], _ = conformance.Run(context.Background(), inProcess(t, data8test.WithProfile(sets[i]...)))
	})
	if plain == nil || slices.Contains(first, nil) {
		t.Fatal("a run did not start")
	}
	loaded := make([]*conformance.Report, len(sets))
	second := make([]*conformance.Report, len(sets))
	for i, rep := range first {
		dir := t.TempDir()
		if _, err := rep.WriteFiles(dir); err != nil {
			t.Fatal(err)
		}
		var err error
		if loaded[i], err = conformance.ReadReportFile(filepath.Join(dir, conformance.JSONFile)); err != nil {
			t.Fatal(err)
		}
	}
	concurrently(len(sets), 3, func(i int) {
		second[i], _ = conformance.Run(context.Background(), inProcess(t, data8test.WithObserved(loaded[i])))
	})
	for i, set := range sets {
		t.Run(string(set[0]), func(t *testing.T) {
			if second[i] == nil {
				t.Fatal("the second run did not start")
			}
			repro := data8test.Reproduce(loaded[i])
			var want []data8test.Profile
			for _, p := range set {
				if p != data8test.ProfilePage500 {
					want = append(want, p)
				}
			}
			if !slices.Equal(repro.Profiles, want) || (repro.RecordPageSize == 500) != slices.Contains(set, data8test.ProfilePage500) || len(repro.Unreproduced) > 0 {
				t.Errorf("Reproduce: %s, unreproduced %q; want profiles %v", repro, repro.Unreproduced, set)
			}
			if got, want := rows(second[i]), rows(first[i]); !slices.Equal(got, want) {
				t.Errorf("the second stand-in's discovery rows\n%s\nwant the first's\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if d := second[i].CompareWith(loaded[i]); d.Changed() {
				t.Errorf("drift between the server and its reproduction: %+v", d)
			}
			checkNoFailures(t, second[i])
		})
	}

	t.Run("drift", func(t *testing.T) {
		d := plain.CompareWith(loaded[0])
		if !d.Changed() {
			t.Fatal("no drift between a server answering 201 and pages of 500 and one answering 200 and pages of 1,000")
		}
		at := map[string][]conformance.PointDrift{}
		for _, p := range d.Points {
			at[p.Point] = append(at[p.Point], p)
		}
		if len(at) != 2 || len(at["D-4"]) == 0 || len(at["D-10"]) == 0 {
			t.Errorf("drift at %v; want D-4 and D-10 only", d.Points)
		}
		for _, p := range at["D-4"] {
			if !strings.Contains(strings.Join(p.Before, " "), "201×N") || !slices.Equal(p.After, []string{conformance.AsDecided}) {
				t.Errorf("D-4 %s: before %q, after %q; want 201 before and as decided now", p.Where, p.Before, p.After)
			}
		}
		if p := at["D-10"]; len(p) != 1 || !strings.Contains(strings.Join(p[0].Before, " "), "hold 500 records") || p[0].After[0] != conformance.AsDecided {
			t.Errorf("D-10 drift %+v; want pages of 500 before, as decided now", p)
		}
		if len(d.Cases) != 2 {
			t.Errorf("cases that changed: %+v; want SUCCESS-STATUS and DATA-READ, observed then, passed now", d.Cases)
		}
		js, _ := plain.JSON()
		var back struct {
			Drift *conformance.Drift `json:"drift"`
		}
		if err := json.Unmarshal(js, &back); err != nil || back.Drift == nil || len(back.Drift.Points) != len(d.Points) {
			t.Errorf("the JSON's drift member: %v %+v", err, back.Drift)
		}
		if md := plain.Markdown(); !strings.Contains(md, "## Drift since run "+loaded[0].RunID) || !strings.Contains(md, "| D\\-10 |") {
			t.Errorf("the Markdown has no Drift section naming D-10")
		}
		// A case that passed and now fails is drift too.
		now := *plain
		now.Cases = slices.Clone(plain.Cases)
		now.Cases[0].Status, now.Cases[0].Failures = conformance.Failed, []string{"broken"}
		if d := now.CompareWith(plain); len(d.Cases) != 1 || d.Cases[0].ID != now.Cases[0].ID || d.Cases[0].Before != conformance.Passed || d.Cases[0].After != conformance.Failed {
			t.Errorf("a case that now fails: drift %+v", d.Cases)
		}
	})
}
