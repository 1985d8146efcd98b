package conformance_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/conformance"
)

// runOf is a report of run id with cases, as ReadReport would give it.
func runOf(id string, cases ...conformance.CaseResult) *conformance.Report {
	return &conformance.Report{RunID: id, Prefix: "conf_", Target: "https://api.example.test", Started: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), Cases: cases}
}

// successStatus is the SUCCESS-STATUS case as a run reports it: observed, with one difference at
// D-4 for Dataset_Create.
func successStatus(observed string) conformance.CaseResult {
	return conformance.CaseResult{ID: "SUCCESS-STATUS", Kind: conformance.Decided, Decision: "D-4", Status: conformance.Observed,
		Deviations: []conformance.Deviation{{Point: "D-4", Op: "Dataset_Create", Observed: observed, Count: 1}}}
}

// TestDriftOfADecidedPointAlone: when only what the server does at a decided point changed (201 to
// a create, now 202), every case keeping its result, the drift is that one point and nothing else,
// and it counts as a change (--fail-on-drift exits 1 on it).
func TestDriftOfADecidedPointAlone(t *testing.T) {
	baseline := runOf("aaa111", successStatus("success answers other than 200: Dataset_Create 201×3"))
	now := runOf("bbb222", successStatus("success answers other than 200: Dataset_Create 202×7"))
	d := now.CompareWith(baseline)
	want := &conformance.Drift{
		Baseline: conformance.DriftRun{RunID: "aaa111", Target: "https://api.example.test", Started: baseline.Started},
		Points: []conformance.PointDrift{{Point: "D-4", Where: "Dataset_Create",
			Before: []string{"success answers other than 200: Dataset_Create 201×N"},
			After:  []string{"success answers other than 200: Dataset_Create 202×N"}}},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("drift %+v\nwant %+v", d, want)
	}
	if !d.Changed() {
		t.Error("Changed() is false with a decided point that changed")
	}
	if md := now.Markdown(); !strings.Contains(md, "| point | where | before | now |\n|---|---|---|---|\n| D\\-4 | Dataset\\_Create | success answers other than 200\\: Dataset\\_Create 201×N | success answers other than 200\\: Dataset\\_Create 202×N |\n") {
		t.Errorf("the Markdown's drift section does not show the point:\n%s", md)
	}
	// The same answers again: nothing changed.
	if d := runOf("ccc333", successStatus("success answers other than 200: Dataset_Create 202×1")).CompareWith(now); d.Changed() || len(d.Points) != 0 {
		t.Errorf("the same answers drifted: %+v", d)
	}
}

// TestDriftOfACaseThatNowFails: a case that passed and now fails is in the drift with its failures
// (the Markdown shows the first); one that failed and now passes carries none.
func TestDriftOfACaseThatNowFails(t *testing.T) {
	passed := conformance.CaseResult{ID: "DATASET-404", Kind: conformance.Documented, Status: conformance.Passed}
	failed := passed
	failed.Status, failed.Failures = conformance.Failed, []string{"GET /Dataset/x answered 200, want 404", "and a second"}
	d := runOf("bbb222", failed).CompareWith(runOf("aaa111", passed))
	if want := []conformance.CaseDrift{{ID: "DATASET-404", Before: conformance.Passed, After: conformance.Failed, Failures: failed.Failures}}; !reflect.DeepEqual(d.Cases, want) {
		t.Errorf("drift cases %+v\nwant %+v", d.Cases, want)
	}
	now := runOf("bbb222", failed)
	now.CompareWith(runOf("aaa111", passed))
	if md := now.Markdown(); !strings.Contains(md, "| case | before | now |\n|---|---|---|\n| DATASET\\-404 | passed | **FAILED**: GET /Dataset/x answered 200, want 404 \\(and 1 more\\) |\n") {
		t.Errorf("the Markdown's drift section does not show the failure:\n%s", md)
	}
	d = runOf("ccc333", passed).CompareWith(runOf("bbb222", failed))
	if want := []conformance.CaseDrift{{ID: "DATASET-404", Before: conformance.Failed, After: conformance.Passed}}; !reflect.DeepEqual(d.Cases, want) {
		t.Errorf("drift cases of a fixed case %+v\nwant %+v", d.Cases, want)
	}
}

// TestDriftNotCompared: the cases not compared are exactly those one of the runs did not check: one
// skipped now, one new in this run, one only in the baseline; the others are compared.
func TestDriftNotCompared(t *testing.T) {
	c := func(id string, s conformance.Status) conformance.CaseResult {
		return conformance.CaseResult{ID: id, Kind: conformance.Generic, Status: s}
	}
	baseline := runOf("aaa111", c("KEPT", conformance.Passed), c("SKIPPED-NOW", conformance.Passed), c("GONE", conformance.Passed), c("NOT-RUN-THEN", conformance.NotRun))
	now := runOf("bbb222", c("KEPT", conformance.Passed), c("SKIPPED-NOW", conformance.Skipped), c("NEW", conformance.Passed), c("NOT-RUN-THEN", conformance.Failed))
	d := now.CompareWith(baseline)
	if want := []string{"SKIPPED-NOW", "NEW", "NOT-RUN-THEN", "GONE"}; !reflect.DeepEqual(d.NotCompared, want) {
		t.Errorf("NotCompared %q; want %q", d.NotCompared, want)
	}
	if d.Changed() {
		t.Errorf("drift %+v; want none", d)
	}
	if md := now.Markdown(); !strings.Contains(md, "Not compared (one of the runs did not check them): SKIPPED\\-NOW, NEW, NOT\\-RUN\\-THEN, GONE\n") {
		t.Errorf("the Markdown does not list the cases not compared:\n%s", md)
	}
}

// TestDriftOfAPointOnlyOneRunChecked: a decided point only this run checked (the baseline's suite
// did not look at it) is not compared: the server's difference there is no drift from "as decided".
func TestDriftOfAPointOnlyOneRunChecked(t *testing.T) {
	before := successStatus("success answers other than 200: Dataset_Create 201×3")
	after := successStatus("success answers other than 200: Dataset_Create 201×3")
	after.Decision = "D-4/D-12"
	after.Deviations = append(after.Deviations, conformance.Deviation{Point: "D-12", Op: "Job_CreateJob", Observed: "the job's name comes back in capitals", Count: 1})
	for _, tc := range []struct {
		name          string
		baseline, now conformance.CaseResult
	}{
		{"checked now only", before, after},
		{"checked in the baseline only", after, before},
	} {
		d := runOf("bbb222", tc.now).CompareWith(runOf("aaa111", tc.baseline))
		if d.Changed() || len(d.Points) != 0 || len(d.NotCompared) != 0 {
			t.Errorf("%s: drift %+v; want none", tc.name, d)
		}
	}
	// Checked by both, the same difference is no drift and a new one is.
	d := runOf("bbb222", after).CompareWith(runOf("aaa111", after))
	if d.Changed() {
		t.Errorf("D-12 checked by both, alike: drift %+v", d)
	}
	asDecided := after
	asDecided.Deviations = asDecided.Deviations[:1]
	d = runOf("bbb222", after).CompareWith(runOf("aaa111", asDecided))
	want := []conformance.PointDrift{{Point: "D-12", Where: "Job_CreateJob", Before: []string{conformance.AsDecided}, After: []string{"the job's name comes back in capitals"}}}
	if !reflect.DeepEqual(d.Points, want) {
		t.Errorf("D-12 checked by both, new difference: points %+v\nwant %+v", d.Points, want)
	}
}

// TestDriftIgnoresTheRunsNames: differences that name each run's own datasets and jobs (by the
// run id, with the prefix or bare), times and counts of answers are the same difference.
func TestDriftIgnoresTheRunsNames(t *testing.T) {
	for _, tc := range []struct{ name, before, after string }{
		{"bare run id", "the job aaa111-echo came back as AAA", "the job bbb222-echo came back as AAA"},
		{"prefixed run id", "dataset conf_aaa111_in renamed", "dataset conf_bbb222_in renamed"},
		{"time", "finished at 2026-03-04T05:06:07Z", "finished at 2026-05-06 07:08:09.123+02:00"},
		{"count", "Dataset_Create 201×3", "Dataset_Create 201×70"},
	} {
		d := runOf("bbb222", successStatus(tc.after)).CompareWith(runOf("aaa111", successStatus(tc.before)))
		if d.Changed() {
			t.Errorf("%s: %q then %q drifted: %+v", tc.name, tc.before, tc.after, d.Points)
		}
	}
	// What differs beyond the names is drift.
	d := runOf("bbb222", successStatus("the job bbb222-echo came back as BBB")).CompareWith(runOf("aaa111", successStatus("the job aaa111-echo came back as AAA")))
	want := []conformance.PointDrift{{Point: "D-4", Where: "Dataset_Create", Before: []string{"the job {run}-echo came back as AAA"}, After: []string{"the job {run}-echo came back as BBB"}}}
	if !reflect.DeepEqual(d.Points, want) {
		t.Errorf("points %+v\nwant %+v", d.Points, want)
	}
}
