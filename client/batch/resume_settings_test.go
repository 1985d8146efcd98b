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
		if e.State != nil {
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
	// The stopped request went on to the server, which may still be handling it: a killed process
	// is resumed after its last request was handled.
	exists := map[string]func() bool{
		"POST /Dataset": func() bool { _, ok := f.srv.DatasetInfo(st.Spec.Name); return ok },
		"POST /Job":     func() bool { _, ok := f.srv.JobInfo(st.Spec.Name); return ok },
	}[at]
	for deadline := time.Now().Add(10 * time.Second); exists != nil && !exists(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the stopped %s never reached the server", at)
		}
	}
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
