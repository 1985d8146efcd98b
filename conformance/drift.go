package conformance

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Drift is what changed between a baseline run and this one: each case whose result changed, and
// each decided point (per operation or spec node) where what the server did changed. Cases and
// points that either run did not check (skipped, not run, not selected) are not compared; they are
// counted in NotCompared.
type Drift struct {
	// Baseline names the run compared with.
	Baseline DriftRun `json:"baseline"`
	// Cases are the cases whose status changed, in this run's order.
	Cases []CaseDrift `json:"cases,omitempty"`
	// Points are the decided points where the server now does something else, in point order.
	Points []PointDrift `json:"points,omitempty"`
	// NotCompared lists the cases one of the runs did not check.
	NotCompared []string `json:"notCompared,omitempty"`
}

// DriftRun identifies a run.
type DriftRun struct {
	RunID   string    `json:"runId"`
	Target  string    `json:"target"`
	Started time.Time `json:"started"`
}

// CaseDrift is a case whose result changed: a case that passed now fails, say.
type CaseDrift struct {
	ID     string `json:"id"`
	Before Status `json:"before"`
	After  Status `json:"after"`
	// Failures are the case's failures in this run, when it fails now.
	Failures []string `json:"failures,omitempty"`
}

// PointDrift is a decided point (for one operation or spec node) where the server did one thing
// in the baseline and does another now: 201 where it answered 200, pages of another size.
type PointDrift struct {
	// Point is the decided point, "D-4"; Where the operation or spec node ("" for the point as a
	// whole).
	Point string `json:"point"`
	Where string `json:"where,omitempty"`
	// Before and After say what the server did in each run: its differences from the decision, or
	// "as decided" when it had none.
	Before []string `json:"before"`
	After  []string `json:"after"`
}

// AsDecided is what a PointDrift says of a run in which the server did as the contract decided.
const AsDecided = "as decided"

// Changed reports whether anything drifted: a command's --fail-on-drift exits 1 then.
func (d *Drift) Changed() bool { return d != nil && (len(d.Cases) > 0 || len(d.Points) > 0) }

// ReadReport reads a report from its JSON (conformance.json): the baseline of CompareWith, or what
// a stand-in reproduces (data8test.WithObserved).
func ReadReport(r io.Reader) (*Report, error) {
	var rep Report
	d := json.NewDecoder(io.LimitReader(r, 256<<20))
	if err := d.Decode(&rep); err != nil {
		return nil, fmt.Errorf("conformance: reading a report: %w", err)
	}
	if rep.RunID == "" || len(rep.Cases) == 0 {
		return nil, fmt.Errorf("conformance: reading a report: no run id or no cases: not a conformance.json")
	}
	return &rep, nil
}

// ReadReportFile reads a report from a conformance.json file.
func ReadReportFile(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rep, err := ReadReport(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

// CompareWith compares this run with baseline, case by case and decided point by decided point,
// sets r.Drift (shown in the Markdown's Drift section and in the JSON's drift member) and returns
// it. What differs only by the runs' own names (the run id in dataset and job names), times or
// counts of answers is not drift.
func (r *Report) CompareWith(baseline *Report) *Drift {
	d := &Drift{Baseline: DriftRun{RunID: baseline.RunID, Target: baseline.Target, Started: baseline.Started}}
	before := map[string]CaseResult{}
	for _, c := range baseline.Cases {
		before[c.ID] = c
	}
	compared := func(s Status) bool { return s == Passed || s == Failed || s == Observed }
	seen := map[string]bool{}
	both := map[string]bool{} // the cases both runs checked
	for _, c := range r.Cases {
		seen[c.ID] = true
		b, ok := before[c.ID]
		switch {
		case !ok || !compared(b.Status) || !compared(c.Status):
			d.NotCompared = append(d.NotCompared, c.ID)
			continue
		}
		both[c.ID] = true
		if b.Status != c.Status {
			cd := CaseDrift{ID: c.ID, Before: b.Status, After: c.Status}
			if c.Status == Failed {
				cd.Failures = c.Failures
			}
			d.Cases = append(d.Cases, cd)
		}
	}
	for _, c := range baseline.Cases {
		if !seen[c.ID] {
			d.NotCompared = append(d.NotCompared, c.ID)
		}
	}

	// The points: what each run did at each decided point, per operation or spec node, from the
	// deviations of the cases both runs checked.
	bPoints, bChecked := pointFacts(baseline, both)
	aPoints, aChecked := pointFacts(r, both)
	keys := map[pointKey]bool{}
	for k := range bPoints {
		keys[k] = true
	}
	for k := range aPoints {
		keys[k] = true
	}
	for _, k := range slices.SortedFunc(maps.Keys(keys), func(a, b pointKey) int {
		return cmp.Or(cmp.Compare(pointOrder(firstPoint(a.point)), pointOrder(firstPoint(b.point))), strings.Compare(a.point, b.point), strings.Compare(a.where, b.where))
	}) {
		if !bChecked[k.point] || !aChecked[k.point] {
			continue
		}
		was, now := bPoints[k], aPoints[k]
		if slices.Equal(was, now) {
			continue
		}
		if len(was) == 0 {
			was = []string{AsDecided}
		}
		if len(now) == 0 {
			now = []string{AsDecided}
		}
		d.Points = append(d.Points, PointDrift{Point: k.point, Where: k.where, Before: was, After: now})
	}
	r.Drift = d
	return d
}

// pointKey is a decided point at an operation or spec node.
type pointKey struct{ point, where string }

// pointFacts returns, for each decided point and operation (or spec node), the differences the
// run saw there (normalised, sorted), and the points some case checked. Only the cases in only
// count.
func pointFacts(r *Report, only map[string]bool) (map[pointKey][]string, map[string]bool) {
	facts := map[pointKey][]string{}
	checked := map[string]bool{}
	norm := normaliser(r)
	for _, c := range r.Cases {
		if !only[c.ID] {
			continue
		}
		for _, p := range strings.Split(c.Decision, "/") {
			if p = strings.TrimSpace(p); p != "" {
				checked[p] = true
			}
		}
		for _, dv := range c.Deviations {
			k := pointKey{point: dv.Point, where: cmp.Or(dv.SpecPointer, dv.Op)}
			for _, p := range strings.Split(dv.Point, "/") {
				checked[p] = true
			}
			o := norm(dv.Observed)
			if !slices.Contains(facts[k], o) {
				facts[k] = append(facts[k], o)
			}
		}
	}
	for k := range facts {
		slices.Sort(facts[k])
	}
	// The spec check looks at every answer: the points it marks are checked whenever anything ran.
	if len(only) > 0 {
		for _, p := range []string{"times", "limits"} {
			checked[p] = true
		}
	}
	return facts, checked
}

// The parts of a difference that change from run to run without the server changing.
var (
	timeRE  = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?`)
	countRE = regexp.MustCompile(`×\d+`)
)

// normaliser returns a function that takes out of a difference what changes from run to run: the
// run's prefix and id in names, times, and counts of answers (201×124).
func normaliser(r *Report) func(string) string {
	return func(s string) string {
		if r.RunID != "" {
			s = strings.ReplaceAll(s, r.Prefix+r.RunID, "{run}")
			s = strings.ReplaceAll(s, r.RunID, "{run}")
		}
		s = timeRE.ReplaceAllString(s, "{time}")
		return countRE.ReplaceAllString(s, "×N")
	}
}

// lines says the drift in plain lines (for the JUnit file's output).
func (d *Drift) lines() []string {
	out := []string{fmt.Sprintf("Drift since run %s (%s): %d cases changed result, %d decided points changed", d.Baseline.RunID, d.Baseline.Started.UTC().Format(time.RFC3339), len(d.Cases), len(d.Points))}
	for _, c := range d.Cases {
		out = append(out, fmt.Sprintf("%s: %s, now %s", c.ID, c.Before, c.After))
	}
	for _, p := range d.Points {
		out = append(out, fmt.Sprintf("%s %s: was %s; now %s", p.Point, p.Where, strings.Join(p.Before, "; "), strings.Join(p.After, "; ")))
	}
	return out
}

// markdown writes the Drift section of the Markdown report.
func (d *Drift) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "\n## Drift since run %s (%s)\n\n", mdText(d.Baseline.RunID), d.Baseline.Started.UTC().Format(time.RFC3339))
	if !d.Changed() {
		fmt.Fprintf(b, "Nothing changed: every case compared has the result it had, and the server does what it did at every decided point.\n")
	}
	if len(d.Cases) > 0 {
		fmt.Fprintf(b, "| case | before | now |\n|---|---|---|\n")
		for _, c := range d.Cases {
			now := mdCell(string(c.After))
			if c.After == Failed {
				now = "**FAILED**: " + mdCell(firstOf(c.Failures, ""))
			}
			fmt.Fprintf(b, "| %s | %s | %s |\n", mdCell(c.ID), mdCell(string(c.Before)), now)
		}
		b.WriteString("\n")
	}
	if len(d.Points) > 0 {
		fmt.Fprintf(b, "| point | where | before | now |\n|---|---|---|---|\n")
		for _, p := range d.Points {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdCell(p.Point), mdCell(p.Where), mdCell(strings.Join(p.Before, "; ")), mdCell(strings.Join(p.After, "; ")))
		}
		b.WriteString("\n")
	}
	if len(d.NotCompared) > 0 {
		fmt.Fprintf(b, "Not compared (one of the runs did not check them): %s\n", mdText(strings.Join(d.NotCompared, ", ")))
	}
}
