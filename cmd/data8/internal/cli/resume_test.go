package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/data8-toolkit/data8/data8test"
)

// tagWorkflow copies its "Contacts" input to its "Cleaned" output, adding the column tag with the
// value of its parameter Tag: a workflow whose slots and parameter show in its result.
func tagWorkflow() data8test.Workflow {
	return data8test.NewWorkflow("Tag", []string{"Contacts"}, []string{"Cleaned"}, func(_ context.Context, in map[string][]data8test.Record, params map[string]string) (map[string][]data8test.Record, map[string]any, error) {
		tag, ok := params["Tag"]
		if !ok {
			return nil, nil, fmt.Errorf("Tag is required")
		}
		var out []data8test.Record
		for _, r := range in["Contacts"] {
			c := data8test.Record{"tag": tag}
			for k, v := range r {
				c[k] = v
			}
			out = append(out, c)
		}
		return map[string][]data8test.Record{"Cleaned": out}, map[string]any{"records": len(out)}, nil
	})
}

// interruptAt runs data8 with args and the environment e, cancelling it (as Ctrl-C does) when the
// server receives the n-th request of method and path prefix; it returns what the run printed.
func (tg *target) interruptAt(t *testing.T, e env, method, prefix string, n int32, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen atomic.Int32
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == method && strings.HasPrefix(r.URL.Path, prefix) && seen.Add(1) == n {
			cancel()
		}
		return false
	})
	r := runCLI(t, ctx, e, hooks{}, args...)
	tg.hook.set(nil)
	tg.hook.settle(t)
	if r.code != ExitInterrupted {
		t.Fatalf("want exit %d: %v", ExitInterrupted, r)
	}
	return r
}

// resumeCommand is the resume command a stopped run printed, as arguments.
func resumeCommand(t *testing.T, r result) []string {
	t.Helper()
	m := regexp.MustCompile(`resume with:\n  data8 (run --resume \S+)\n`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no resume command:\n%s", r.stderr)
	}
	return strings.Fields(m[1])
}

// TestResumeKeepsEverySetting runs with every setting that changes the result off its default, and
// the server named by flags rather than the environment; it interrupts the run, then resumes it with
// the printed command alone and an environment holding nothing but the secret. The resumed run
// talks to the same server and gives the result those settings make: the block size (the blocks
// sent), the input format (a .data file read as CSV), the column types, the slots and the
// parameter (the workflow's output), and the output format (JSON Lines in a .txt file).
func TestResumeKeepsEverySetting(t *testing.T) {
	for _, at := range []struct {
		name, method, prefix string
		n                    int32
	}{
		{"before the dataset exists", http.MethodPost, "/Dataset", 1},
		{"during the upload", http.MethodPatch, "/Dataset/", 4},
		{"while waiting", http.MethodGet, "/Job/", 1},
	} {
		t.Run(at.name, func(t *testing.T) {
			tg := newTarget(t, data8test.WithWorkflow(tagWorkflow()))
			dir := t.TempDir()
			rows := append([][]string{{"Full Name", "Age"}}, tricky(95)...)
			for i := range rows[1:] {
				rows[i+1] = rows[i+1][:2]
			}
			in := writeFile(t, dir, "in.data", csvRows(rows))
			out := filepath.Join(dir, "result.txt")
			onlySecret := env{"DATA8_CLIENT_SECRET": tg.env["DATA8_CLIENT_SECRET"]}
			args := []string{"--base-url", tg.url, "--token-url", tg.url + "/connect/token", "--client-id", tg.srv.ClientID,
				"run", in, "--format", "csv", "--workflow", "Tag", "--out", out, "--out-format", "jsonl",
				"--input-slot", "Contacts", "--output-slot", "Cleaned", "--param", "Tag=resumed", "--columns", "age:1",
				"--block-size", "10", "--concurrency", "1", "--poll", "10ms"}
			r := tg.interruptAt(t, onlySecret, at.method, at.prefix, at.n, args...)
			resume := resumeCommand(t, r)
			patches := tg.countUploads()
			r = runCLI(t, context.Background(), onlySecret, hooks{}, resume...)
			tg.hook.set(nil)
			if r.code != 0 {
				t.Fatalf("resume: %v", r)
			}
			if sent := patches.Load(); sent == 0 && at.name != "while waiting" || sent > 10 {
				t.Errorf("the resumed run sent %d blocks of 10 (of 10 in all)", sent)
			}
			got := readJSONLines(t, out)
			if len(got) != 95 {
				t.Fatalf("%d records in the result, want 95", len(got))
			}
			for i, rec := range got {
				want := map[string]any{"Full Name": rows[i+1][0], "Age": rows[i+1][1], "tag": "resumed"}
				if !reflect.DeepEqual(rec, want) {
					t.Fatalf("record %d = %v, want %v", i, rec, want)
				}
			}
			name := regexp.MustCompile(`input dataset +(run_\S+)`).FindStringSubmatch(r.stdout + r.stderr)
			if name == nil {
				name = regexp.MustCompile(`resuming run (run_\S+)`).FindStringSubmatch(r.stdout)
			}
			if d, ok := tg.srv.DatasetInfo(name[1]); !ok || d.Columns["age"] != 1 || d.Columns["full_name"] != 0 {
				t.Errorf("input dataset %s: %+v, want column age of type 1", name[1], d.Columns)
			}
			if _, err := os.Stat(out + ".data8-run.json"); err == nil {
				t.Errorf("the state file is left after the run succeeded")
			}
		})
	}
}

// TestResumeKeepsStatusCodes: a run given the workflow's status codes keeps them when resumed: the
// failed job is judged by its code (the job's own failure, with its reason), not by its output.
func TestResumeKeepsStatusCodes(t *testing.T) {
	tg := newTarget(t, data8test.WithJobStatuses(data8test.JobStatuses{Queued: 10, Running: 11, Completed: 3, Failed: 12}))
	in := writeFile(t, t.TempDir(), "in.csv", "email\nA@B.COM\n")
	out := filepath.Join(t.TempDir(), "o.csv")
	r := tg.interruptAt(t, tg.env, http.MethodGet, "/Job/", 1, "run", in, "--workflow", "CleanContacts", "--out", out, "--param", "Bogus=1",
		"--failed-status", "12", "--done-status", "3", "--poll", "10ms")
	r = tg.run(t, resumeCommand(t, r)...)
	if r.code != ExitJobFailed || !strings.Contains(r.stderr, "(workflow CleanContacts) failed with status 12: CleanContacts has no parameter") {
		t.Fatalf("resumed run of a failing job: %v", r)
	}
}

// TestResumeRefusesAnotherServer: a resume carries on where the run began: another base URL, or a
// setting of the run, is refused before anything is sent.
func TestResumeRefusesAnotherServer(t *testing.T) {
	tg := newTarget(t)
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", csvRows(append([][]string{{"a"}}, tricky(30)...)[:31:31]))
	_ = in
	rows := [][]string{{"a"}, {"1"}, {"2"}}
	in = writeFile(t, dir, "in2.csv", csvRows(rows))
	out := filepath.Join(dir, "o.csv")
	r := tg.interruptAt(t, tg.env, http.MethodGet, "/Job/", 1, "run", in, "--workflow", "Echo", "--out", out, "--poll", "10ms")
	resume := resumeCommand(t, r)
	// The same run started again would lose the stopped one's state.
	if r := tg.run(t, "run", in, "--workflow", "Echo", "--out", out); r.code != ExitUsage || !strings.Contains(r.stderr, "a stopped run's state is in "+out+".data8-run.json: carry it on with data8 run --resume") {
		t.Errorf("a new run over a stopped one's state: %v", r)
	}
	other := env{}
	for k, v := range tg.env {
		other[k] = v
	}
	other["DATA8_BASE_URL"] = "https://api.example.com"
	for _, tc := range []struct {
		e    env
		args []string
		want string
	}{
		{other, resume, "used --base-url " + tg.url + ", but https://api.example.com is given now"},
		{tg.env, append(resume, "--workflow", "CleanContacts"), "--resume carries on with the run's own settings: --workflow cannot be changed"},
		{tg.env, append(resume, in), "--resume takes the run's file from its state: give no FILE"},
	} {
		r := runCLI(t, context.Background(), tc.e, hooks{}, tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: want exit 2 saying %q: %v", tc.args, tc.want, r)
		}
	}
	// Every setting the run keeps is refused on a resume, each with a value it accepts on a new run.
	values := map[string]string{"workflow": "CleanContacts", "out": "x.csv", "out-format": "jsonl", "input-slot": "In",
		"output-slot": "Out", "param": "a=b", "columns": "a:1", "block-size": "5", "concurrency": "2", "format": "csv",
		"failed-status": "9", "done-status": "3", "poll": "2s", "max-columns": "10", "max-new-columns": "5"}
	for _, name := range runSettings {
		v, ok := values[name]
		if !ok {
			t.Errorf("no value to try for --%s", name)
			continue
		}
		r := runCLI(t, context.Background(), tg.env, hooks{}, append(resume, "--"+name, v)...)
		if want := "--" + name + " cannot be changed"; r.code != ExitUsage || !strings.Contains(r.stderr, want) {
			t.Errorf("resume with --%s %s: want exit 2 saying %q: %v", name, v, want, r)
		}
	}
	for name := range values {
		if !slices.Contains(runSettings, name) {
			t.Errorf("--%s changes a run's result but is not kept in its state", name)
		}
	}
	var st struct {
		Caller map[string]string `json:"caller"`
	}
	b, _ := os.ReadFile(resume[2])
	if err := json.Unmarshal(b, &st); err != nil || strings.Contains(string(b), tg.srv.ClientSecret) {
		t.Fatalf("state file: %v, or it holds the secret:\n%s", err, b)
	}
	tg.mustRun(t, resume...)
	if got := readCSV(t, out); !reflect.DeepEqual(got, rows) {
		t.Errorf("result %q", got)
	}
}

// TestResumeKeepsTheColumnLimit: a run allowed more columns than the default keeps that allowance
// when resumed, for the client's reading of the result's listing as well as for the download: a
// result of 10,003 columns is written whole by the resumed run.
func TestResumeKeepsTheColumnLimit(t *testing.T) {
	const columns = 10_003
	wide := data8test.NewWorkflow("Wide", []string{"Input"}, []string{"Output"}, func(_ context.Context, in map[string][]data8test.Record, _ map[string]string) (map[string][]data8test.Record, map[string]any, error) {
		var out []data8test.Record
		for i := range in["Input"] {
			r := data8test.Record{}
			for c := range columns {
				r[fmt.Sprintf("c%05d", c)] = fmt.Sprint(i)
			}
			out = append(out, r)
		}
		return map[string][]data8test.Record{"Output": out}, nil, nil
	})
	tg := newTarget(t, data8test.WithWorkflow(wide))
	in := writeFile(t, t.TempDir(), "in.csv", "email\na@b.com\nc@d.com\n")
	out := filepath.Join(t.TempDir(), "o.jsonl")
	r := tg.interruptAt(t, tg.env, http.MethodGet, "/Job/", 1, "run", in, "--workflow", "Wide", "--out", out,
		"--max-columns", "10010", "--poll", "10ms")
	r = tg.run(t, resumeCommand(t, r)...)
	if r.code != 0 {
		t.Fatalf("resume: %v", r)
	}
	got := readJSONLines(t, out)
	if len(got) != 2 {
		t.Fatalf("result: %d records, want 2: %v", len(got), r)
	}
	if len(got[0]) != columns || len(got[1]) != columns || got[1]["c10002"] != "1" {
		t.Fatalf("result: records of %d and %d columns, want %d", len(got[0]), len(got[1]), columns)
	}
}
