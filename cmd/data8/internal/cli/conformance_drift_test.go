package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/conformance"
)

// TestConformanceFailOnDriftOfAPointAlone: when every case keeps its result and only what the
// server does at a decided point changed (it answered a create 202 in the baseline, 201 now),
// --fail-on-drift exits 1 and names the point; without the change it exits 0.
func TestConformanceFailOnDriftOfAPointAlone(t *testing.T) {
	vars, _ := startServeCLI(t, "--addr", "127.0.0.1:0", "--job-duration", "20ms", "--profile", "created-201")
	const cases = "DATASET-CREATE,SUCCESS-STATUS"
	dir := t.TempDir()
	if r := conform(t, serveEnv(vars), "--case", cases, "--report", dir); r.code != 0 {
		t.Fatalf("the baseline run: %s", r)
	}
	b, err := os.ReadFile(filepath.Join(dir, conformance.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	const was, now = "Dataset_Create 202×", "Dataset_Create 201×"
	if !strings.Contains(string(b), now) {
		t.Fatalf("the baseline does not hold %q:\n%s", now, b)
	}
	same := filepath.Join(dir, conformance.JSONFile)
	other := writeFile(t, t.TempDir(), "baseline.json", strings.ReplaceAll(string(b), now, was))

	r := conform(t, serveEnv(vars), "--case", cases, "--baseline", same, "--fail-on-drift")
	if r.code != 0 || !strings.Contains(r.stderr, "0 cases changed result, 0 decided points changed") {
		t.Errorf("the same answers as the baseline: %s", r)
	}
	r = conform(t, serveEnv(vars), "--case", cases, "--baseline", other, "--fail-on-drift")
	for _, s := range []string{"0 cases changed result, 1 decided point changed", "  D-4 Dataset_Create: was success answers other than 200: Dataset_Create 202×N; now success answers other than 200: Dataset_Create 201×N", "exit 1: something changed since the baseline (--fail-on-drift)"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q\n%s", s, r)
		}
	}
	if r.code != 1 {
		t.Errorf("a decided point that changed, with --fail-on-drift: exit %d; want 1\n%s", r.code, r)
	}
}
