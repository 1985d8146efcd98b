package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/opid"
)

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "clean.csv")
	r := runCLI(t, context.Background(), env{}, hooks{demoServer: []data8test.Option{data8test.WithValidation(t), data8test.WithStrictRequests()}},
		"demo", "--out-dir", dir, "--out", out, "--show", "3")
	if r.code != 0 {
		t.Fatalf("demo: %v", r)
	}
	rows := readCSV(t, out)
	wantHeader := []string{"First Name", "Last Name", "Email", "Phone", "Address Line 1", "Town", "Postcode", "email_valid"}
	if !reflect.DeepEqual(rows[0], wantHeader) {
		t.Fatalf("header = %q, want %q", rows[0], wantHeader)
	}
	// Known rows of the bundled sample, cleaned: white space collapsed, names title-cased, e-mails
	// lower-cased and flagged, postcodes formatted; row 1's e-mail has no @.
	want := map[int][]string{
		1: {"Mary Jane", "White", "maryjane.whiteexample.co.uk", "07764 224785", "66 Queens Road", "Cardiff", "CF10 5GP", "false"},
		2: {"Mary Jane", "Brown", "maryjane.brown@example.com", "07060 350298", "63 orchard close", "NOTTINGHAM", "NG1 6KT", "true"},
		3: {"Anne-Marie", "Williams", "anne-marie.williams@example.co.uk", "07468 892995", "44 Manor Road", "Oxford", "OX1 9JQ", "true"},
		4: {"Mia", "Cooper", "mia.cooper@example.com", "07215 011728", "111 Green Lane", "Norwich", "NR2 9AX", "true"},
	}
	for i, w := range want {
		if !reflect.DeepEqual(rows[i], w) {
			t.Errorf("row %d = %q, want %q", i, rows[i], w)
		}
	}
	if len(rows)-1 >= 3000 || len(rows)-1 < 2500 {
		t.Errorf("%d cleaned rows; want the 3,000 sample rows less the duplicates", len(rows)-1)
	}
	for _, s := range []string{"before (", "after (", "statistics of job", "duplicatesRemoved", "First Name      → first_name", fmt.Sprintf("wrote %d records to %s", len(rows)-1, out)} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "contacts.csv")); err != nil {
		t.Errorf("the sample input was not kept in --out-dir: %v", err)
	}
}

func TestRunEchoCSV(t *testing.T) {
	tg := newTarget(t)
	dir := t.TempDir()
	rows := append([][]string{{"First Name", "City/Town", "2nd Notes"}}, tricky(53)...)
	in := writeFile(t, dir, "in.csv", csvRows(rows))
	out := filepath.Join(dir, "out.csv")
	r := tg.mustRun(t, "run", in, "--workflow", "Echo", "--out", out, "--block-size", "10", "--concurrency", "3")
	if got := readCSV(t, out); !reflect.DeepEqual(got, rows) {
		t.Fatalf("run with Echo changed the records:\n got %q\nwant %q", got, rows)
	}
	for _, s := range []string{"First Name  → first_name", "City/Town   → city_town", "2nd Notes   → c_2nd_notes", "records  53"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
	// The input dataset holds the cells as strings, exactly as read.
	name := regexp.MustCompile(`dataset (run_\d{8}_\d{6}_[0-9a-f]{6}) created`).FindStringSubmatch(r.stdout)
	if name == nil {
		t.Fatalf("no dataset name in stdout:\n%s", r.stdout)
	}
	checkRecords(t, tg.srv, name[1], wantRecords(rows, []string{"first_name", "city_town", "c_2nd_notes"}))
}

func TestRunEchoJSONLines(t *testing.T) {
	tg := newTarget(t)
	dir := t.TempDir()
	lines := []string{
		`{"name":"Ann","age":31,"vip":true,"note":null}`,
		``,
		`{"name":"Bob \"B\"","age":-2.5,"vip":false}`,
		`{"age":1e3,"name":"Zoë\n<tag>&","note":"x"}`,
		`  {"name":"","vip":false,"note":"\u2028"}  `,
		`{"Odd Key":"mapped","name":"Eve"}`,
	}
	in := writeFile(t, dir, "in.jsonl", strings.Join(lines, "\n")+"\n")
	out := filepath.Join(dir, "out.jsonl")
	r := tg.mustRun(t, "run", in, "--workflow", "Echo", "--out", out, "--block-size", "2")
	if !strings.Contains(r.stdout, "Odd Key  → odd_key") {
		t.Errorf("stdout lacks the mapping of \"Odd Key\":\n%s", r.stdout)
	}
	got := readJSONLines(t, out)
	var want []map[string]any
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		want = append(want, m)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("run with Echo changed the records:\n got %v\nwant %v", got, want)
	}
}

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, len(b)+1)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %q: %v", path, sc.Text(), err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

func TestDatasetRoundTrip(t *testing.T) {
	tg := newTarget(t)
	dir := t.TempDir()
	rows := append([][]string{{"name", "city", "notes"}}, tricky(2501)...)
	in := writeFile(t, dir, "in.csv", csvRows(rows))
	tg.mustRun(t, "dataset", "create", "people", "--columns", "name,city,notes:0")
	r := tg.mustRun(t, "dataset", "upload", "people", in, "--block-size", "1000")
	if !strings.Contains(r.stdout, "data8 dataset complete people --records 2501") {
		t.Errorf("upload does not say how to complete:\n%s", r.stdout)
	}
	tg.mustRun(t, "dataset", "complete", "people")
	checkRecords(t, tg.srv, "people", wantRecords(rows, rows[0]))

	out := filepath.Join(dir, "out.csv")
	tg.mustRun(t, "dataset", "download", "people", "--out", out, "--columns", "name,city,notes")
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != csvRows(rows) {
		t.Fatalf("downloaded CSV differs from the uploaded file")
	}
	// Standard output, JSON Lines.
	r = tg.mustRun(t, "dataset", "download", "people", "--out", "-", "--format", "jsonl")
	outJL := writeFile(t, dir, "out.jsonl", r.stdout)
	var want []map[string]any
	for _, rec := range wantRecords(rows, rows[0]) {
		want = append(want, rec)
	}
	if got := readJSONLines(t, outJL); !reflect.DeepEqual(got, want) {
		t.Fatalf("JSON Lines download differs")
	}
	// get / list in both output formats.
	r = tg.mustRun(t, "dataset", "get", "people", "--output", "json")
	var dv datasetView
	if err := json.Unmarshal([]byte(r.stdout), &dv); err != nil || dv.RecordCount != 2501 || !dv.Completed || !dv.Input {
		t.Fatalf("dataset get --output json = %s (%v)", r.stdout, err)
	}
	r = tg.mustRun(t, "dataset", "list", "--input")
	if !regexp.MustCompile(`people\s+input\s+yes`).MatchString(r.stdout) {
		t.Fatalf("dataset list:\n%s", r.stdout)
	}
}

// TestRunJobFailed: a job that fails is exit 3. Without --failed-status (the default: Data8
// documents no status codes) it is judged by its output, and the message names the status and says
// how to give the workflow's codes; with them, the failure is the job's own.
func TestRunJobFailed(t *testing.T) {
	tg := newTarget(t)
	in := writeFile(t, t.TempDir(), "in.csv", "email\nA@B.COM\n")
	for _, tc := range []struct {
		flags []string
		want  []string
	}{
		{nil, []string{"finished with status 3, and its output dataset run_", "is incomplete (0 records): data8 takes the job to have failed",
			"if 3 means failure for workflow CleanContacts, say so with --failed-status 3"}},
		{[]string{"--failed-status", "3", "--done-status", "2"}, []string{"failed with status 3", `CleanContacts has no parameter "Bogus"`}},
	} {
		out := filepath.Join(t.TempDir(), "o.csv")
		r := tg.run(t, append([]string{"run", in, "--workflow", "CleanContacts", "--out", out, "--param", "Bogus=1", "--poll", "10ms"}, tc.flags...)...)
		if r.code != ExitJobFailed {
			t.Fatalf("want exit %d: %v", ExitJobFailed, r)
		}
		for _, s := range append(tc.want, "left on the server:", "input dataset   run_", "job             run_") {
			if !strings.Contains(r.stderr, s) {
				t.Errorf("%q: stderr lacks %q:\n%s", tc.flags, s, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "resume with") {
			t.Errorf("a failed job has nothing to resume:\n%s", r.stderr)
		}
		if names := dirNames(t, filepath.Dir(out)); len(names) != 0 {
			t.Errorf("a failed job left %v", names)
		}
	}
}

// TestRunUnderOtherStatusCodes: against a server whose workflow reports 3 for "completed" (the
// stand-in's own "failed"), data8 run succeeds: no code is guessed.
func TestRunUnderOtherStatusCodes(t *testing.T) {
	tg := newTarget(t, data8test.WithJobStatuses(data8test.JobStatuses{Queued: 10, Running: 11, Completed: 3, Failed: 12}))
	dir := t.TempDir()
	rows := append([][]string{{"Name", "City"}}, [][]string{{"Ann", "York"}, {"Bob", "Bath"}}...)
	in := writeFile(t, dir, "in.csv", csvRows(rows))
	out := filepath.Join(dir, "out.csv")
	r := tg.mustRun(t, "run", in, "--workflow", "Echo", "--out", out, "--poll", "10ms")
	if !strings.Contains(r.stdout, "finished with status 3") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	if got := readCSV(t, out); !reflect.DeepEqual(got, rows) {
		t.Fatalf("result %q", got)
	}
	// job wait judges the same way; its failure is the workflow's code 12, judged by the output.
	r = tg.run(t, "run", in, "--workflow", "CleanContacts", "--param", "Bogus=1", "--out", filepath.Join(dir, "o2.csv"), "--poll", "10ms")
	if r.code != ExitJobFailed || !strings.Contains(r.stderr, "finished with status 12") {
		t.Fatalf("a failed job under other codes: %v", r)
	}
	job := regexp.MustCompile(`job +(run_\S+) \(failed\)`).FindStringSubmatch(r.stderr)
	if job == nil {
		t.Fatalf("no job named:\n%s", r.stderr)
	}
	if r := tg.run(t, "job", "wait", job[1], "--poll", "10ms"); r.code != ExitJobFailed || !strings.Contains(r.stderr, "--failed-status 12") {
		t.Errorf("job wait of the failed job: %v", r)
	}
	if r := tg.run(t, "job", "wait", job[1], "--poll", "10ms", "--failed-status", "12"); r.code != ExitJobFailed || !strings.Contains(r.stderr, "failed with status 12") {
		t.Errorf("job wait --failed-status 12 of the failed job: %v", r)
	}
}

func TestJobCommands(t *testing.T) {
	tg := newTarget(t)
	in := writeFile(t, t.TempDir(), "in.csv", "a,b\n1,2\n3,4\n")
	tg.mustRun(t, "dataset", "create", "src", "--columns", "a,b")
	tg.mustRun(t, "dataset", "upload", "src", in, "--complete")
	r := tg.mustRun(t, "job", "start", "My Job 1", "--workflow", "Echo", "--input", "Input=src", "--output", "json")
	var jv jobView
	if err := json.Unmarshal([]byte(r.stdout), &jv); err != nil || jv.Name != "My Job 1" {
		t.Fatalf("job start: %s (%v)", r.stdout, err)
	}
	r = tg.mustRun(t, "job", "wait", "My Job 1", "--poll", "10ms")
	if !regexp.MustCompile(`output datasets\s+Output=my_job_1_output`).MatchString(r.stdout) || !strings.Contains(r.stdout, "statistics.records") {
		t.Fatalf("job wait:\n%s", r.stdout)
	}
	r = tg.mustRun(t, "job", "list", "--workflow", "Echo", "--since", "1h")
	if !strings.Contains(r.stdout, "My Job 1") {
		t.Fatalf("job list:\n%s", r.stdout)
	}
	r = tg.mustRun(t, "job", "get", "My Job 1", "--output", "json")
	if err := json.Unmarshal([]byte(r.stdout), &jv); err != nil || jv.Status != 2 || jv.Statistics["records"] != float64(2) {
		t.Fatalf("job get: %s (%v)", r.stdout, err)
	}
}

func TestAccountCommands(t *testing.T) {
	tg := newTarget(t)
	r := tg.mustRun(t, "apikey", "create", "--description", "web checks", "--max-per-day", "100", "--output", "json")
	var k apiKeyView
	if err := json.Unmarshal([]byte(r.stdout), &k); err != nil || k.Key == "" {
		t.Fatalf("apikey create: %s (%v)", r.stdout, err)
	}
	tg.mustRun(t, "apikey", "update", k.Key, "--description", "renewed", "--expires", "2031-01-01")
	tg.mustRun(t, "apikey", "allow-domain", k.Key, "www.example.com")
	tg.mustRun(t, "apikey", "allow-ip", k.Key, "123.45.6.0/24")
	r = tg.mustRun(t, "apikey", "get", k.Key, "--output", "json")
	if err := json.Unmarshal([]byte(r.stdout), &k); err != nil || k.Description != "renewed" || len(k.AllowedDomains) != 1 || len(k.AllowedIPs) != 1 {
		t.Fatalf("apikey get: %s (%v)", r.stdout, err)
	}
	r = tg.mustRun(t, "apikey", "list")
	if !strings.Contains(r.stdout, k.Key) {
		t.Fatalf("apikey list:\n%s", r.stdout)
	}
	tg.mustRun(t, "apikey", "delete", k.Key)
	if r := tg.run(t, "apikey", "get", k.Key); r.code != ExitFailure || !strings.Contains(r.stderr, "404") {
		t.Fatalf("apikey get after delete: %v", r)
	}

	r = tg.mustRun(t, "client-credential", "create", "--description", "nightly", "--output", "json")
	var cc clientCredentialView
	if err := json.Unmarshal([]byte(r.stdout), &cc); err != nil || cc.ClientID == "" {
		t.Fatalf("client-credential create: %s (%v)", r.stdout, err)
	}
	r = tg.mustRun(t, "client-credential", "list")
	if !strings.Contains(r.stdout, cc.ClientID) || !strings.Contains(r.stdout, tg.srv.ClientID) {
		t.Fatalf("client-credential list:\n%s", r.stdout)
	}
	tg.mustRun(t, "client-credential", "get", cc.ClientID)
}

// TestUploadInterruptedAndResumed cancels an upload part way (as Ctrl-C does), then resumes it with the
// printed --start-block: the dataset ends with exactly the input, in order.
func TestUploadInterruptedAndResumed(t *testing.T) {
	tg := newTarget(t)
	dir := t.TempDir()
	rows := append([][]string{{"name", "city", "notes"}}, tricky(200)...)
	in := writeFile(t, dir, "in.csv", csvRows(rows))
	tg.mustRun(t, "dataset", "create", "resumable", "--columns", "name,city,notes")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var patches atomic.Int32
	// The bearer tokens of the interrupted run's uploads: a block it sent before the cancellation may
	// reach the server after the resumed run has started, and must not be counted as the resumed run's.
	var mu sync.Mutex
	interrupted := map[string]bool{}
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPatch {
			mu.Lock()
			interrupted[r.Header.Get("Authorization")] = true
			mu.Unlock()
			if patches.Add(1) == 6 {
				cancel()
			}
		}
		return false
	})
	// One block at a time: the 6th upload is sent only once blocks 0 to 4 are acknowledged, so the
	// checkpoint is past 0 whatever the timing. (Checkpoints with blocks acknowledged out of order are
	// pinned by the client's tests.)
	r := runCLI(t, ctx, tg.env, hooks{}, "dataset", "upload", "resumable", in, "--block-size", "10", "--concurrency", "1")
	tg.hook.set(nil)
	if r.code != ExitInterrupted {
		t.Fatalf("want exit %d: %v", ExitInterrupted, r)
	}
	m := regexp.MustCompile(`resume with:\n  (data8 dataset upload resumable \S+ --start-block (\d+) --block-size 10)\n`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no resume command in stderr:\n%s", r.stderr)
	}
	if got, _ := tg.srv.Records("resumable"); len(got) >= 200 {
		t.Fatalf("the upload was not interrupted: %d records stored", len(got))
	}
	start, _ := strconv.Atoi(m[2])
	if start == 0 {
		t.Fatalf("resume from block 0: nothing was acknowledged before the interruption:\n%s", r.stderr)
	}
	var resumed atomic.Int32
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		late := interrupted[r.Header.Get("Authorization")]
		mu.Unlock()
		if r.Method == http.MethodPatch && !late {
			resumed.Add(1)
		}
		return false
	})
	args := append(strings.Fields(m[1])[1:], "--complete")
	tg.mustRun(t, args...)
	tg.hook.set(nil)
	// 200 records in blocks of 10: the resumed upload sends blocks start..19 and nothing before.
	if got, want := int(resumed.Load()), 20-start; got != want {
		t.Errorf("the resumed upload sent %d blocks, want %d (blocks %d to 19)", got, want, start)
	}
	checkRecords(t, tg.srv, "resumable", wantRecords(rows, rows[0]))
}

// TestRunFailsAndResumes makes the server refuse one block for good, then runs the printed resume command.
func TestRunFailsAndResumes(t *testing.T) {
	tg := newTarget(t)
	dir := t.TempDir()
	rows := append([][]string{{"Name", "City", "Notes"}}, tricky(95)...)
	in := writeFile(t, dir, "in.csv", csvRows(rows))
	out := filepath.Join(dir, "out.csv")
	var patches atomic.Int32
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPatch && patches.Add(1) == 4 {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,"detail":"Injected by the test.","errors":{"records[3].city":["The city is not accepted."]}}`)
			return true
		}
		return false
	})
	r := tg.run(t, "run", in, "--workflow", "Echo", "--out", out, "--block-size", "10", "--concurrency", "1")
	tg.hook.set(nil)
	if r.code != ExitFailure {
		t.Fatalf("want exit %d: %v", ExitFailure, r)
	}
	for _, s := range []string{"title:  One or more validation errors occurred.", "detail: Injected by the test.", "records[3].city: The city is not accepted.",
		"left on the server:", "upload checkpoint: block 3", "dataset upload run_", "--map-columns --start-block 3 --block-size 10", "job start run_"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	m := regexp.MustCompile(`resume with:\n  data8 (run .*)\n`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no resume command:\n%s", r.stderr)
	}
	resumed := tg.countUploads()
	tg.mustRun(t, strings.Fields(m[1])...)
	tg.hook.set(nil)
	// 95 records in blocks of 10: the resumed run sends blocks 3..9 and nothing before.
	if got := resumed.Load(); got != 7 {
		t.Errorf("the resumed run sent %d blocks, want 7 (blocks 3 to 9)", got)
	}
	if got := readCSV(t, out); !reflect.DeepEqual(got, rows) {
		t.Fatalf("resumed run's output differs from the input")
	}
}

func TestRunUnderFaults(t *testing.T) {
	var script []data8test.Fault
	for i, k := range []data8test.FaultKind{data8test.Fault500, data8test.FaultDrop, data8test.FaultStored503, data8test.Fault429, data8test.Fault503} {
		script = append(script, data8test.Fault{Op: opid.DatasetUploadBlock, Call: 2 + 3*i, Kind: k})
	}
	script = append(script, data8test.Fault{Op: opid.DatasetGetData, Call: 1, Kind: data8test.Fault503},
		data8test.Fault{Op: opid.JobGetByName, Call: 1, Kind: data8test.FaultDrop})
	tg := newTarget(t, data8test.WithFaultScript(script...), data8test.WithRetryAfter(0))
	dir := t.TempDir()
	rows := append([][]string{{"name", "city", "notes"}}, tricky(400)...)
	in := writeFile(t, dir, "in.csv", csvRows(rows))
	out := filepath.Join(dir, "out.csv")
	tg.mustRun(t, "run", in, "--workflow", "Echo", "--out", out, "--block-size", "7", "--poll", "10ms")
	if got := readCSV(t, out); !reflect.DeepEqual(got, rows) {
		t.Fatalf("output differs from the input under faults")
	}
	counts := tg.srv.FaultCounts()
	if n := len(counts); n != 5 {
		t.Errorf("faults survived: %v; want every kind", counts)
	}
}

// TestSecretNeverPrinted runs commands with --verbose, successful and failing, and checks that neither the
// client secret nor any bearer token the server saw appears in the output.
func TestSecretNeverPrinted(t *testing.T) {
	tg := newTarget(t)
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", csvRows(append([][]string{{"a", "b"}}, [][]string{{"1", "2"}, {"3", "4"}}...)))
	var all []result
	all = append(all,
		tg.mustRun(t, "--verbose", "run", in, "--workflow", "Echo", "--out", filepath.Join(dir, "o.csv")),
		tg.mustRun(t, "dataset", "list", "--verbose"),
		tg.mustRun(t, "--verbose", "--client-secret", tg.srv.ClientSecret, "client-credential", "list"),
		tg.run(t, "--verbose", "dataset", "get", "no_such_dataset"),
	)
	bad := env{}
	for k, v := range tg.env {
		bad[k] = v
	}
	bad["DATA8_CLIENT_SECRET"] = "wrong-" + tg.srv.ClientSecret
	r := runCLI(t, context.Background(), bad, hooks{}, "--verbose", "dataset", "list")
	if r.code != ExitFailure {
		t.Errorf("wrong secret: %v", r)
	}
	all = append(all, r)
	secrets := append([]string{tg.srv.ClientSecret, "Bearer ", "Authorization"}, tg.hook.seenTokens()...)
	if len(secrets) < 4 {
		t.Fatalf("the server saw no bearer token")
	}
	for _, r := range all {
		for _, s := range secrets {
			if strings.Contains(r.stdout+r.stderr, s) {
				t.Errorf("output holds %q:\n%v", s, r)
			}
		}
	}
	if !strings.Contains(all[0].stderr, "level=DEBUG msg=http method=PATCH") {
		t.Errorf("--verbose logged no request:\n%s", all[0].stderr)
	}
	if !strings.Contains(all[2].stderr, "--client-secret is visible to other users") {
		t.Errorf("no warning for --client-secret:\n%s", all[2].stderr)
	}
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int)
	var stderr syncBuffer
	go func() {
		done <- mainWith(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--job-duration", "10ms"}, strings.NewReader(""), pw, &stderr, env{}.get, hooks{})
		pw.Close()
	}()
	e := env{}
	sc := bufio.NewScanner(pr)
	for len(e) < 4 && sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if !ok {
			t.Fatalf("serve printed %q", sc.Text())
		}
		e[k] = strings.Trim(v, "'")
	}
	go io.Copy(io.Discard, pr)
	r := runCLI(t, context.Background(), e, hooks{}, "dataset", "create", "x", "--columns", "a")
	if r.code != 0 {
		t.Fatalf("against the sandbox: %v", r)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, stderr.String())
	}
}

// TestRunInterruptedWhileWaiting interrupts run while it waits for the job, then runs the printed resume
// command (--job), which waits and downloads.
func TestRunInterruptedWhileWaiting(t *testing.T) {
	tg := newTarget(t, data8test.WithJobDuration(300*time.Millisecond))
	dir := t.TempDir()
	rows := append([][]string{{"Name", "City", "Notes"}}, tricky(30)...)
	in := writeFile(t, dir, "in.csv", csvRows(rows))
	out := filepath.Join(dir, "out.csv")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/Job/") {
			cancel()
		}
		return false
	})
	r := runCLI(t, ctx, tg.env, hooks{}, "run", in, "--workflow", "Echo", "--out", out)
	tg.hook.set(nil)
	if r.code != ExitInterrupted {
		t.Fatalf("want exit %d: %v", ExitInterrupted, r)
	}
	m := regexp.MustCompile(`resume with:\n  data8 (run --resume \S+)\n`).FindStringSubmatch(r.stderr)
	if m == nil || !strings.Contains(r.stderr, "data8 run: interrupted") {
		t.Fatalf("no resume command:\n%s", r.stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("the result file exists after an interrupted run")
	}
	resumed := tg.countUploads()
	tg.mustRun(t, strings.Fields(m[1])...)
	tg.hook.set(nil)
	// The upload was complete: resuming the wait sends no block again.
	if got := resumed.Load(); got != 0 {
		t.Errorf("resuming the wait sent %d blocks, want none", got)
	}
	if got := readCSV(t, out); !reflect.DeepEqual(got, rows) {
		t.Fatalf("resumed run's output differs from the input")
	}
}

// TestCompleteRefusesMissingBlocks resumes from a --start-block past what was uploaded: --complete refuses
// to complete a dataset that lacks records.
func TestCompleteRefusesMissingBlocks(t *testing.T) {
	tg := newTarget(t)
	rows := append([][]string{{"a", "b"}}, [][]string{{"1", "2"}, {"3", "4"}, {"5", "6"}}...)
	in := writeFile(t, t.TempDir(), "in.csv", csvRows(rows))
	tg.mustRun(t, "dataset", "create", "gappy", "--columns", "a,b")
	r := tg.run(t, "dataset", "upload", "gappy", in, "--block-size", "1", "--start-block", "1", "--complete")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "dataset gappy holds 2 records but "+in+" has 3: not completing it") {
		t.Fatalf("want a refusal: %v", r)
	}
	if d, _ := tg.srv.DatasetInfo("gappy"); d.Completed {
		t.Fatalf("dataset was completed")
	}
}
