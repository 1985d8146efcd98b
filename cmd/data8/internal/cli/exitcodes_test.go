package cli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// TestExitCodesAreTheDocumentedNumbers: each outcome exits with the number the README and every
// --help text give it (the numbers themselves, not the constants naming them): 0 success, 1
// failure, 2 usage, 3 the job failed, 130 interrupted.
func TestExitCodesAreTheDocumentedNumbers(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := "Exit codes: `0` success; `1` failure (bad input file, API or network error, `--timeout` passed); `2` usage " +
		"(unknown command or flag, bad flag value, missing configuration); `3` the job ran and failed; `130` interrupted."
	if !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), documented) {
		t.Errorf("README.md no longer says %q", documented)
	}

	tg := newTarget(t)
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "email\nA@B.COM\n")
	if r := tg.run(t, "run", "--help"); r.code != 0 || !strings.Contains(r.stdout, `Exit codes:
  0    success
  1    failure (bad input file, API or network error, --timeout passed)
  2    usage: unknown command or flag, bad flag value, missing configuration
  3    the job ran and failed (run, job wait)
  130  interrupted by Ctrl-C or SIGTERM (what was left and how to resume is printed)`) {
		t.Errorf("run --help: %v", r)
	}
	if r := tg.run(t, "run", in, "--workflow", "Echo", "--out", filepath.Join(dir, "ok.csv"), "--poll", "10ms"); r.code != 0 {
		t.Errorf("a run that succeeds: %v; want exit 0", r)
	}
	if r := tg.run(t, "run", filepath.Join(dir, "missing.csv"), "--workflow", "Echo", "--out", filepath.Join(dir, "m.csv")); r.code != 1 ||
		!strings.Contains(r.stderr, filepath.Join(dir, "missing.csv")+": file does not exist") {
		t.Errorf("a missing input file: %v; want exit 1", r)
	}
	if r := tg.run(t, "run", in, "--workflow", "Echo", "--out", filepath.Join(dir, "u.csv"), "--bogus"); r.code != 2 ||
		r.stderr != "data8 run: unknown flag --bogus\nRun 'data8 run --help' for usage.\n" {
		t.Errorf("an unknown flag: %v; want exit 2", r)
	}
	if r := tg.run(t, "run", in, "--workflow", "CleanContacts", "--param", "Bogus=1", "--out", filepath.Join(dir, "f.csv"), "--poll", "10ms"); r.code != 3 ||
		!strings.Contains(r.stderr, "is incomplete (0 records): data8 takes the job to have failed") {
		t.Errorf("a job that failed: %v; want exit 3", r)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var creates atomic.Int32
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && r.URL.Path == "/Dataset" && creates.Add(1) == 1 {
			cancel()
		}
		return false
	})
	r := runCLI(t, ctx, tg.env, hooks{}, "run", in, "--workflow", "Echo", "--out", filepath.Join(dir, "i.csv"), "--poll", "10ms")
	tg.hook.set(nil)
	if r.code != 130 || !regexp.MustCompile(`(?m)^data8 run: interrupted$`).MatchString(r.stderr) {
		t.Errorf("an interrupted run: %v; want exit 130", r)
	}
}
