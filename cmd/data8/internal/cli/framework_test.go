package cli

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/client/batch"
	"github.com/data8-toolkit/data8/data8test"
)

// TestCompletion: data8 completion SHELL prints a completion script for bash, zsh and fish, and the
// scripts' callback completes commands, subcommands and flags in process.
func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{"bash": "complete -o default -F __start_data8 data8", "zsh": "#compdef data8", "fish": "complete -c data8"} {
		r := runCLI(t, context.Background(), env{}, hooks{}, "completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("completion %s: want exit 0 and %q in the script: exit %d, stderr %s", shell, want, r.code, r.stderr)
		}
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "dat"}, []string{"dataset"}},
		{[]string{"__complete", "dataset", "up"}, []string{"upload"}},
		{[]string{"__complete", "run", "--fail"}, []string{"--failed-status"}},
	} {
		r := runCLI(t, context.Background(), env{}, hooks{}, tc.args...)
		for _, w := range tc.want {
			if r.code != 0 || !strings.Contains(r.stdout, w) {
				t.Errorf("%q: want %q among the completions: %v", tc.args, w, r)
			}
		}
	}
}

// TestVersion: data8 version and data8 --version print the build's module version and Go version.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := runCLI(t, context.Background(), env{}, hooks{}, args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "data8 ") || !strings.Contains(r.stdout, "go1.") {
			t.Errorf("%q: %v", args, r)
		}
	}
}

// TestSuggestions: a mistyped command or subcommand is a usage error naming the nearest.
func TestSuggestions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"datset"}, `data8: unknown command "datset"; did you mean dataset?`},
		{[]string{"dataset", "uplod"}, `data8 dataset: unknown subcommand "uplod"; did you mean upload?`},
		{[]string{"job", "wiat"}, `data8 job: unknown subcommand "wiat"; did you mean list or wait?`},
		{[]string{"frobnicate"}, `data8: unknown command "frobnicate"`},
	} {
		r := runCLI(t, context.Background(), env{}, hooks{}, tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: want exit 2 and %q: %v", tc.args, tc.want, r)
		}
	}
}

// TestHelpKeepsItsSubstance: the generated help of every command still says what the command's
// users rely on: configuration and its environment variables, timeouts, the security notes, the
// exit codes, and, where they matter, the status codes and the resume.
func TestHelpKeepsItsSubstance(t *testing.T) {
	common := []string{"DATA8_BASE_URL", "DATA8_TOKEN_URL", "DATA8_CLIENT_ID", "DATA8_CLIENT_SECRET", "process list",
		"never printed", "redirects are never followed", "a whole request 2m (a token", "request 30s), with or without --verbose",
		"waited out for up to 10m from its first refusal", "a wait of at least\n  100ms", "still waiting for the server", "Exit codes:", "130  interrupted", "3    the job ran and failed"}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"data8 demo", "dataset", "client-credential", "completion", "version"}},
		{[]string{"run", "--help"}, []string{"--resume STATEFILE", "data8 run --resume OUT.data8-run.json", "--failed-status", "guesses none", "--timeout", "--max-columns"}},
		{[]string{"job", "wait", "--help"}, []string{"judged by its output", "--failed-status 3 --done-status 2", "--timeout"}},
		{[]string{"dataset", "download", "--help"}, []string{"0666 less the umask", "renamed", "--max-new-columns"}},
		{[]string{"serve", "--help"}, []string{"2 completed, 3 failed", "--failed-status 3 --done-status 2", "created-201"}},
		{[]string{"help", "dataset", "upload"}, []string{"--start-block", "--map-columns"}},
	} {
		r := runCLI(t, context.Background(), env{}, hooks{}, tc.args...)
		if r.code != 0 {
			t.Errorf("%q: exit %d", tc.args, r.code)
		}
		for _, w := range append(tc.want, common...) {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%q: help lacks %q", tc.args, w)
			}
		}
	}
}

// TestTimeout: --timeout bounds job wait and run as a whole: a job that never finishes makes them give
// up in time, exit 1 (not 130: nobody interrupted them), and run keeps its state to resume.
func TestTimeout(t *testing.T) {
	tg := newTarget(t, data8test.WithJobDuration(time.Hour))
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "a\n1\n")
	out := filepath.Join(dir, "o.csv")
	r := tg.run(t, "run", in, "--workflow", "Echo", "--out", out, "--poll", "10ms", "--timeout", "300ms")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "gave up after --timeout 300ms") || !strings.Contains(r.stderr, "data8 run --resume "+out+".data8-run.json") {
		t.Fatalf("run --timeout: %v", r)
	}
	job := strings.Fields(r.stderr[strings.Index(r.stderr, "job  "):])[1]
	r = tg.run(t, "job", "wait", job, "--poll", "10ms", "--timeout", "200ms")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "gave up after --timeout 200ms") || !strings.Contains(r.stderr, "goes on running on the server") {
		t.Fatalf("job wait --timeout: %v", r)
	}
}

// FuzzPrinters feeds whatever the job and dataset decoders make of an answer to every printer of
// jobs and datasets, table and JSON, and to the progress display on a terminal and off it: none may
// panic, and a huge or negative percentComplete is shown within 0 to 100.
func FuzzPrinters(f *testing.F) {
	f.Add([]byte(`{"name":"j","workflowName":"w","submittedAt":"2024-01-02T03:04:05Z","status":1,"percentComplete":1e300,"estimatedFinishTime":"9999-12-31T23:59:59Z"}`), []byte(`{"name":"d","columns":{"a":1},"recordCount":-5}`))
	f.Add([]byte(`{"name":"j","status":-2147483648,"percentComplete":-1e308,"completedAt":"0001-01-01T00:00:00","statistics":{"x":[1,{"y":null}]}}`), []byte(`{"name":"\u001b[31m","columns":null}`))
	f.Add([]byte(`{"percentComplete":9.3e18,"outputDatasets":{"Output":"o"}}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, jobJSON, datasetJSON []byte) {
		var j client.Job
		var d client.Dataset
		jerr, derr := json.Unmarshal(jobJSON, &j), json.Unmarshal(datasetJSON, &d)
		for _, terminal := range []bool{false, true} {
			var out, errOut syncBuffer
			a := &app{ctx: context.Background(), stdout: &out, stderr: &errOut, hooks: hooks{terminal: terminal}}
			if jerr == nil {
				a.printJob(&j, false)
				a.printJob(&j, true)
				a.printStatistics(&j)
				p := a.newProgress("job "+j.Name, 100, "%")
				// What a careless caller would pass, then what run and job wait pass.
				for _, n := range []int64{int64(math.Max(-9e18, math.Min(9e18, j.PercentComplete))), int64(batch.Percent(&j))} {
					p.Set(n, waitNote(&j))
					if p.cur < 0 || p.cur > 100 {
						t.Fatalf("progress shows %d%% for percentComplete %v", p.cur, j.PercentComplete)
					}
				}
				p.Finish(true)
			}
			if derr == nil {
				a.printDataset(&d, false)
				a.printDataset(&d, true)
			}
		}
	})
}
