package batch_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/client/batch"
	"github.com/data8-toolkit/data8/data8test"
)

// shape is a workflow of two output slots whose result depends on its parameter: Main holds each
// input record's email with the parameter tag, Other one record "other". A run that loses its
// output slot, its parameters or its input slot on the way through a resume writes another file,
// or fails.
func shape() data8test.Workflow {
	return data8test.NewWorkflow("Shape", []string{"In"}, []string{"Main", "Other"},
		func(_ context.Context, in map[string][]data8test.Record, params map[string]string) (map[string][]data8test.Record, map[string]any, error) {
			var main []data8test.Record
			for _, r := range in["In"] {
				main = append(main, data8test.Record{"email": r["email"], "tag": params["tag"]})
			}
			return map[string][]data8test.Record{"Main": main, "Other": {{"email": "other"}}}, nil, nil
		})
}

// stopAt runs spec until the first request of kind at, which ends the run's context as a killed
// process ends, and returns the state file the run kept, read back from disk.
func stopAt(t *testing.T, f *front, c *client.Client, spec batch.Spec, at string) *batch.State {
	t.Helper()
	statePath := filepath.Join(t.TempDir(), "run.state.json")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var seen atomic.Bool
	f.set(func(r *http.Request) {
		if kind(r) == at && !seen.Swap(true) {
			cancel()
		}
	})
	defer f.set(nil)
	_, err := batch.Run(ctx, c, spec, batch.Options{Progress: func(e batch.Event) {
		// A killed process keeps nothing after the kill. The run may yet read the answer to the
		// stopped request (the transport picks at random between an answer and an ended context
		// both ready) and go on to the next step's state; the process would not have saved it.
		if e.State != nil && ctx.Err() == nil {
			if err := batch.SaveState(statePath, e.State); err != nil {
				t.Error(err)
			}
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v, want it stopped at %s", err, at)
	}
	st, err := batch.LoadState(statePath)
	if err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	return st
}

// TestResumeKeepsEverySetting stops a run that uses every setting that changes its result (the
// workflow's slots and parameters, the column types, the output format) before each step that uses
// them, keeps its state in a file, and resumes it from that file: the resumed run uses each
// setting as the run began with it.
func TestResumeKeepsEverySetting(t *testing.T) {
	for _, at := range []string{"POST /Dataset", "POST /Job", "GET /Job/{name}"} {
		t.Run(at, func(t *testing.T) {
			f := newFront(t, data8test.WithWorkflow(shape()))
			c := f.client(t)
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.jsonl")
			if err := os.WriteFile(in, []byte("email\nA@B.COM\nc@d.org\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			spec := batch.Spec{Input: in, Output: out, Workflow: "Shape", InputSlot: "In", OutputSlot: "Main",
				Parameters: map[string]string{"tag": "t1"}, ColumnTypes: map[string]int{"email": 1}, PollInterval: poll}
			st := stopAt(t, f, c, spec, at)
			res, err := batch.Resume(context.Background(), c, *st, batch.Options{})
			if err != nil {
				t.Fatalf("resume: %v", err)
			}
			if res.State.Step != batch.StepDone {
				t.Errorf("state after resume: %s", res.State.Step)
			}
			b, err := os.ReadFile(out)
			if want := "{\"email\":\"A@B.COM\",\"tag\":\"t1\"}\n{\"email\":\"c@d.org\",\"tag\":\"t1\"}\n"; err != nil || string(b) != want {
				t.Errorf("result %q (%v), want %q: the Main slot's records, with the run's parameter", b, err, want)
			}
			if d, ok := f.srv.DatasetInfo(st.Spec.Name); !ok || !maps.Equal(map[string]int(d.Columns), map[string]int{"email": 1}) {
				t.Errorf("input dataset's columns %v, want email of type 1", d.Columns)
			}
			j, ok := f.srv.JobInfo(st.Spec.Name)
			if !ok || !maps.Equal(j.Parameters, map[string]string{"tag": "t1"}) || !maps.Equal(j.InputDatasets, map[string]string{"In": st.Spec.Name}) {
				t.Errorf("job %+v, want parameters tag=t1 and the dataset in slot In", j)
			}
			if n := f.count("POST /Job"); n != 1 {
				t.Errorf("POST /Job sent %d times, want 1", n)
			}
		})
	}
}

// TestResumeKeepsStatusCodes: a run given the workflow's status codes, stopped before its job
// started or while it was waited for, still judges the job by those codes once resumed: a job that
// ends with a failure code is a *client.JobFailedError, the run ends failed (nothing to resume), and
// no result file is written.
func TestResumeKeepsStatusCodes(t *testing.T) {
	for _, at := range []string{"POST /Job", "GET /Job/{name}"} {
		t.Run(at, func(t *testing.T) {
			f := newFront(t, data8test.WithJobStatuses(otherCodes))
			c := f.client(t)
			in, out := writeInput(t)
			spec := batch.Spec{Input: in, Output: out, Workflow: "CleanContacts", Parameters: map[string]string{"Bogus": "1"},
				PollInterval: poll, Statuses: client.JobStatuses{Done: []int{3}, Failed: []int{9}}}
			st := stopAt(t, f, c, spec, at)
			res, err := batch.Resume(context.Background(), c, *st, batch.Options{})
			var jf *client.JobFailedError
			if !errors.As(err, &jf) || jf.Job.Status != 9 {
				t.Fatalf("resumed run of a job that failed with code 9: %v, want a *client.JobFailedError", err)
			}
			if res.State.Step != batch.StepFailed || res.State.Resumable() || res.State.JobStatus == nil || *res.State.JobStatus != 9 {
				t.Errorf("state after the failure: step %s, resumable %v, job status %v", res.State.Step, res.State.Resumable(), res.State.JobStatus)
			}
			if _, err := batch.Resume(context.Background(), c, res.State, batch.Options{}); err == nil || !strings.Contains(err.Error(), "nothing to resume") {
				t.Errorf("resuming a failed run: %v, want nothing to resume", err)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a failed job left a result file")
			}
		})
	}
}

// TestResumeRefusesAnotherWorkflowsJob: a run resumed at its start, whose job name another job
// (of another workflow) has taken meanwhile, stops rather than wait for that job.
func TestResumeRefusesAnotherWorkflowsJob(t *testing.T) {
	f := newFront(t)
	c := f.client(t)
	in, out := writeInput(t)
	st := stopAt(t, f, c, batch.Spec{Input: in, Output: out, Workflow: "CleanContacts", PollInterval: poll}, "POST /Job")
	// The run's own job runs CleanContacts; a job of Echo takes the name of a copy of the run that
	// is about to start its job.
	if _, err := c.StartJob(context.Background(), client.NewJob{Name: st.Spec.Name + "_x", WorkflowName: "Echo",
		InputDatasets: map[string]string{"Input": st.Dataset}}); err != nil {
		t.Fatal(err)
	}
	other := *st
	other.Spec.Name += "_x"
	other.Step, other.Job = batch.StepStart, ""
	_, err := batch.Resume(context.Background(), c, other, batch.Options{})
	if err == nil || !strings.Contains(err.Error(), "runs workflow Echo, not CleanContacts") {
		t.Fatalf("resume onto a job of another workflow: %v, want it refused", err)
	}
}

// TestResumeAdoptsOnlyTheRunsOwnDataset: resumed before its dataset was known to exist, a run
// refuses a dataset of its name that is not the one it would have made: one with other columns,
// and a completed one holding more records than the file (as it refuses one holding fewer).
func TestResumeAdoptsOnlyTheRunsOwnDataset(t *testing.T) {
	f := newFront(t)
	c := f.client(t)
	in, out := writeInput(t)
	st := stopAt(t, f, c, batch.Spec{Input: in, Output: out, Workflow: "Echo", PollInterval: poll}, "POST /Dataset")
	if st.Step != batch.StepCreate {
		t.Fatalf("stopped at %s, want %s", st.Step, batch.StepCreate)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	own, err := c.GetDataset(ctx, st.Spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	upload := func(name string, cols client.Columns, lines string) {
		t.Helper()
		if _, _, err := c.UploadDataset(ctx, name, cols, client.NewJSONLinesSource(strings.NewReader(lines)), client.UploadOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	resume := func(name string) error {
		other := *st
		other.Spec.Name = name
		_, err := batch.Resume(ctx, c, other, batch.Options{})
		return err
	}

	wider := maps.Clone(own.Columns)
	wider["extra"] = 0
	if _, err := c.CreateDataset(ctx, st.Spec.Name+"_cols", wider); err != nil {
		t.Fatal(err)
	}
	if err := resume(st.Spec.Name + "_cols"); err == nil || !strings.Contains(err.Error(), "exists, and is not this run's") {
		t.Errorf("a dataset of the name with other columns: %v; want it refused", err)
	}

	upload(st.Spec.Name+"_more", own.Columns, "{\"email\":\"a@b.com\"}\n{\"email\":\"c@d.com\"}\n")
	err = resume(st.Spec.Name + "_more")
	var iu *batch.IncompleteUploadError
	var cm *client.CountMismatchError
	if !errors.As(err, &iu) || !errors.As(err, &cm) || cm.Want != 1 || cm.Got != 2 {
		t.Errorf("a completed dataset of the name holding 2 records for a file of 1: %v; want an *IncompleteUploadError, count 2 for 1", err)
	}
	if n := f.count("POST /Job"); n != 0 {
		t.Errorf("%d jobs started on a dataset that is not the run's", n)
	}
}

// TestIncompleteUploadStartsAgainFromBlockZero: when the dataset holds another record count at
// complete (here block 0 was overwritten with two records after the upload), the run fails with an
// *IncompleteUploadError and its state goes back to the upload at block 0, so that the resumed run
// uploads every block again and completes.
func TestIncompleteUploadStartsAgainFromBlockZero(t *testing.T) {
	f := newFront(t)
	c := f.client(t)
	in, out := writeInput(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var tampered atomic.Bool
	res, err := batch.Run(ctx, c, batch.Spec{Input: in, Output: out, Workflow: "Echo", PollInterval: poll}, batch.Options{Progress: func(e batch.Event) {
		if e.Kind == batch.StepEnds && e.Step == batch.StepUpload && e.State != nil && !tampered.Swap(true) {
			src := client.NewJSONLinesSource(strings.NewReader("{\"email\":\"x@y.com\"}\n{\"email\":\"z@y.com\"}\n"))
			if _, err := c.Upload(ctx, e.State.Dataset, src, client.UploadOptions{}); err != nil {
				t.Error(err)
			}
		}
	}})
	var iu *batch.IncompleteUploadError
	if !errors.As(err, &iu) || iu.Err.Got != 2 || iu.Err.Want != 1 {
		t.Fatalf("run: %v; want an *IncompleteUploadError, 2 records for 1", err)
	}
	if res.State.Step != batch.StepUpload || res.State.Checkpoint != 0 || !res.State.Resumable() {
		t.Fatalf("state at %s, checkpoint %d; want the upload, from block 0", res.State.Step, res.State.Checkpoint)
	}
	puts := f.count("PATCH /Dataset/{name}/data")
	if _, err := batch.Resume(ctx, c, res.State, batch.Options{}); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if n := f.count("PATCH /Dataset/{name}/data") - puts; n != 1 {
		t.Errorf("the resumed run uploaded %d blocks; want 1, block 0 again", n)
	}
	if b, _ := os.ReadFile(out); string(b) != "email\nA@B.COM\n" {
		t.Errorf("result %q", b)
	}
}

// TestResumeRefusesAChangedInput: a run stopped before its upload ended is resumed only on the file
// it began with. A file that differs in its content alone (one byte, same size, records and header),
// in its record count, its header or its size is refused, naming what differs, before anything is
// sent; the unchanged file resumes and gives the result.
func TestResumeRefusesAChangedInput(t *testing.T) {
	f := newFront(t)
	c := f.client(t)
	in, out := writeInput(t) // "email\nA@B.COM\n"
	st := stopAt(t, f, c, batch.Spec{Input: in, Output: out, Workflow: "Echo", PollInterval: poll}, "POST /Dataset")
	if st.Step != batch.StepCreate || st.Input == nil {
		t.Fatalf("stopped at %s with input %v, want %s with the file's summary", st.Step, st.Input, batch.StepCreate)
	}
	before := f.count("GET /Dataset/{name}") + f.count("POST /Dataset") + f.count("PATCH /Dataset/{name}/data") + f.count("POST /Job")
	for _, tc := range []struct{ content, differs string }{
		{"email\nA@B.CON\n", "its content differs"},
		{"email\nA@B\nCOM\n", "1 records then, 2 now"},
		{"EMAIL\nA@B.COM\n", "its header differs"},
		{"email\nA@B.COMM\n", "14 bytes then, 15 now"},
	} {
		if err := os.WriteFile(in, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := batch.Resume(context.Background(), c, *st, batch.Options{})
		var ic *batch.InputChangedError
		want := in + " has changed since the run began (" + tc.differs + "): resuming would mix records; start a new run"
		if !errors.As(err, &ic) || ic.Different != tc.differs || err.Error() != want {
			t.Errorf("resume on %q: %v; want %q", tc.content, err, want)
		}
	}
	if after := f.count("GET /Dataset/{name}") + f.count("POST /Dataset") + f.count("PATCH /Dataset/{name}/data") + f.count("POST /Job"); after != before {
		t.Errorf("the refused resumes sent %d dataset or job requests; want none", after-before)
	}
	if err := os.WriteFile(in, []byte("email\nA@B.COM\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := batch.Resume(context.Background(), c, *st, batch.Options{}); err != nil {
		t.Fatalf("resume on the file the run began with: %v", err)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "email\nA@B.COM\n" {
		t.Errorf("result %q (%v)", b, err)
	}
}
