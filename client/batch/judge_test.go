package batch_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/client/batch"
	"github.com/data8-toolkit/data8/data8test"
)

// otherCodes are a workflow's status codes unlike the stand-in's own: 3, which the stand-in uses
// for "failed", means "completed" here.
// poll is the first delay between polls of a job in these tests.
const poll = 10 * time.Millisecond

var otherCodes = data8test.JobStatuses{Queued: 7, Running: 8, Completed: 3, Failed: 9}

func writeInput(t *testing.T) (in, out string) {
	t.Helper()
	dir := t.TempDir()
	in = filepath.Join(dir, "in.csv")
	if err := os.WriteFile(in, []byte("email\nA@B.COM\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return in, filepath.Join(dir, "out.csv")
}

// TestJudgedByOutput: with no failure codes given, a job's status code decides nothing: a job that
// finished with 3 (this server's "completed") succeeds, and one whose output is incomplete (the
// workflow failed, with 9) is an *OutputError naming the status, with no result file.
func TestJudgedByOutput(t *testing.T) {
	f := newFront(t, data8test.WithJobStatuses(otherCodes))
	c := f.client(t)
	in, out := writeInput(t)
	res, err := batch.Run(context.Background(), c, batch.Spec{Input: in, Output: out, Workflow: "CleanContacts", PollInterval: poll}, batch.Options{})
	if err != nil || res.Job.Status != 3 {
		t.Fatalf("a job that finished with this server's completed code 3: %v (status %d)", err, res.Job.Status)
	}
	if b, _ := os.ReadFile(out); string(b) != "email,email_valid\na@b.com,true\n" {
		t.Errorf("result %q", b)
	}

	in, out = writeInput(t)
	res, err = batch.Run(context.Background(), c, batch.Spec{Input: in, Output: out, Workflow: "CleanContacts", Parameters: map[string]string{"Bogus": "1"}, PollInterval: poll}, batch.Options{})
	var oe *batch.OutputError
	if !errors.As(err, &oe) || oe.Job.Status != 9 || oe.Slot != "Output" || !strings.Contains(oe.Problem, "incomplete") {
		t.Fatalf("a failed job without failure codes: %v, want an *OutputError for status 9, output incomplete", err)
	}
	if !strings.Contains(err.Error(), "finished with status 9") || res.State.Step != batch.StepFailed || res.State.Resumable() {
		t.Errorf("error %q, state %s", err, res.State.Step)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed job left a result file")
	}

	// Given the workflow's codes, the failure is the job's own.
	in, out = writeInput(t)
	_, err = batch.Run(context.Background(), c, batch.Spec{Input: in, Output: out, Workflow: "CleanContacts", Parameters: map[string]string{"Bogus": "1"}, PollInterval: poll,
		Statuses: client.JobStatuses{Failed: []int{9}}}, batch.Options{})
	var jf *client.JobFailedError
	if !errors.As(err, &jf) || jf.Job.Status != 9 {
		t.Fatalf("with failure code 9: %v, want a *client.JobFailedError", err)
	}
}

// TestFailedCodeIsNotAssumed shows why no failure code is assumed: the stand-in's own "failed" (3),
// applied to a server whose 3 means "completed", turns a job that succeeded into a failure.
func TestFailedCodeIsNotAssumed(t *testing.T) {
	f := newFront(t, data8test.WithJobStatuses(otherCodes))
	in, out := writeInput(t)
	_, err := batch.Run(context.Background(), f.client(t), batch.Spec{Input: in, Output: out, Workflow: "Echo",
		PollInterval: poll, Statuses: client.JobStatuses{Failed: []int{data8test.StatusFailed}}}, batch.Options{})
	var jf *client.JobFailedError
	if !errors.As(err, &jf) {
		t.Fatalf("the stand-in's failed code 3 given for a server whose 3 means completed: %v; the guess turns success into failure", err)
	}
}

// TestBadSpecSendsNothing: settings that cannot work, an output that cannot be written, and bad
// input are refused before anything is sent.
func TestBadSpecSendsNothing(t *testing.T) {
	f := newFront(t)
	c := f.client(t)
	in, out := writeInput(t)
	asDir := filepath.Join(t.TempDir(), "x.csv")
	os.Mkdir(asDir, 0o755)
	bad := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(bad, []byte("a,b\n1\n"), 0o644)
	for _, tc := range []struct {
		spec batch.Spec
		want string
	}{
		{batch.Spec{Input: in, Output: filepath.Join(t.TempDir(), "missing", "o.csv"), Workflow: "Echo"}, "no such file or directory"},
		{batch.Spec{Input: in, Output: asDir, Workflow: "Echo"}, "is a directory"},
		{batch.Spec{Input: in, Output: out, Workflow: "Echo", BlockSize: 1001}, "BlockSize 1001: a block holds 1 to 1000 records"},
		{batch.Spec{Input: in, Output: out, Workflow: "Echo", Concurrency: 65}, "Concurrency 65: must be 1 to 64"},
		{batch.Spec{Input: in, Output: out, Workflow: "Echo", ColumnTypes: map[string]int{"zzz": 1}}, `ColumnTypes zzz: is not a column of`},
		{batch.Spec{Input: in, Output: in, Workflow: "Echo"}, "it is the input file"},
		{batch.Spec{Input: in, Output: out, Workflow: "Echo", Name: "Bad-Name"}, "Name Bad-Name"},
		{batch.Spec{Input: in, Output: out, Workflow: "Echo", MaxColumns: -1}, "MaxColumns -1: must be 1 or more"},
		{batch.Spec{Input: in, Output: out, Workflow: "Echo", MaxNewColumns: -1}, "MaxNewColumns -1: must be 0 or more"},
		{batch.Spec{Input: bad, Output: out, Workflow: "Echo"}, "CSV line 2: 1 cell, but the header has 2 columns"},
		{batch.Spec{Input: "-", Output: out, Workflow: "Echo"}, "standard input"},
	} {
		res, err := batch.Run(context.Background(), c, tc.spec, batch.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || res.State.OnServer() {
			t.Errorf("%+v: error %v, want %q and nothing on the server", tc.spec, err, tc.want)
		}
	}
	for _, k := range []string{"POST /Dataset", "PATCH /Dataset/{name}/data", "POST /Job"} {
		if n := f.count(k); n != 0 {
			t.Errorf("%s sent %d times", k, n)
		}
	}
}

// TestDoneCodesAloneJudgeByOutput: given the workflow's done codes but no failure code, a finished
// job is still judged by its output: a job that ended (with a done code) with an incomplete output
// is an *OutputError, the run ends failed, and no result file is written.
func TestDoneCodesAloneJudgeByOutput(t *testing.T) {
	f := newFront(t, data8test.WithJobStatuses(otherCodes))
	in, out := writeInput(t)
	res, err := batch.Run(context.Background(), f.client(t), batch.Spec{Input: in, Output: out, Workflow: "CleanContacts",
		Parameters: map[string]string{"Bogus": "1"}, PollInterval: poll, Statuses: client.JobStatuses{Done: []int{3, 9}}}, batch.Options{})
	var oe *batch.OutputError
	if !errors.As(err, &oe) || oe.Job.Status != 9 || !strings.Contains(oe.Problem, "incomplete") {
		t.Fatalf("done codes without a failure code, a job whose output is incomplete: %v, want an *OutputError", err)
	}
	if res.State.Step != batch.StepFailed {
		t.Errorf("state %s, want %s", res.State.Step, batch.StepFailed)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed job left a result file")
	}
}

// TestIncompleteOutputWithRecordsFails: an output dataset that holds records but is not complete
// is an incomplete output, whatever it holds: the job is judged failed, naming the records it held.
func TestIncompleteOutputWithRecordsFails(t *testing.T) {
	_, c := newReshaped(t, func(r *http.Request, d map[string]any) bool {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/Dataset/") || strings.HasSuffix(r.URL.Path, "/data") || d["input"] != false {
			return false
		}
		d["completed"] = false // an output the workflow is still writing, or left half written
		return true
	})
	in, out := writeInput(t)
	res, err := batch.Run(context.Background(), c, batch.Spec{Input: in, Output: out, Workflow: "Echo", PollInterval: poll}, batch.Options{})
	var oe *batch.OutputError
	if !errors.As(err, &oe) || oe.Problem != "is incomplete (1 records)" {
		t.Fatalf("an incomplete output of 1 record: %v, want an *OutputError", err)
	}
	if res.State.Step != batch.StepFailed {
		t.Errorf("state %s, want %s", res.State.Step, batch.StepFailed)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed job left a result file")
	}
}

// TestFinishedJobWithoutTheOutputSlot: a job that finished without the output slot asked for is,
// with no failure codes given, a failed run (an *OutputError, the output missing, not resumable);
// given the failure codes, the job did not fail, so the run is not marked failed: it is a plain
// error naming the slots the job has, and the state can still be resumed.
func TestFinishedJobWithoutTheOutputSlot(t *testing.T) {
	f := newFront(t)
	c := f.client(t)

	in, out := writeInput(t)
	res, err := batch.Run(context.Background(), c, batch.Spec{Input: in, Output: out, Workflow: "Echo", OutputSlot: "Elsewhere", PollInterval: poll}, batch.Options{})
	var oe *batch.OutputError
	if !errors.As(err, &oe) || oe.Slot != "Elsewhere" || oe.Dataset != "" || !strings.Contains(oe.Problem, "is missing (its output slots: Output)") {
		t.Fatalf("no failure codes: %v; want an *OutputError, slot Elsewhere missing", err)
	}
	if res.State.Step != batch.StepFailed || res.State.Resumable() {
		t.Errorf("no failure codes: state %s, resumable %v; want failed, not resumable", res.State.Step, res.State.Resumable())
	}

	in, out = writeInput(t)
	res, err = batch.Run(context.Background(), c, batch.Spec{Input: in, Output: out, Workflow: "Echo", OutputSlot: "Elsewhere", PollInterval: poll,
		Statuses: client.JobStatuses{Failed: []int{data8test.StatusFailed}}}, batch.Options{})
	if err == nil || errors.As(err, &oe) || !strings.Contains(err.Error(), `has no output slot "Elsewhere" (its output slots: Output)`) {
		t.Fatalf("with failure codes: %v; want a plain error naming the job's slots", err)
	}
	if res.State.Step == batch.StepFailed || !res.State.Resumable() {
		t.Errorf("with failure codes: state %s, resumable %v; want not failed, resumable", res.State.Step, res.State.Resumable())
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a run without its output left a result file")
	}
}
