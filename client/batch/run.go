package batch

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// EventKind says what an Event reports.
type EventKind int

const (
	// StepBegins: Step is about to run. Event.State is the checkpoint to keep: saved now, a
	// process killed during the step resumes from it.
	StepBegins EventKind = iota
	// Progress: Done of Total units of Step: bytes (plan), records (upload, download), percent
	// (wait, with Job). Window and Concurrency say how many requests go at once.
	Progress
	// Checkpoint: the upload's checkpoint advanced. Event.State is the new checkpoint to keep.
	Checkpoint
	// Notice: Text is something a person should know (a download restarting with new columns).
	Notice
	// StepEnds: Step is done. Event.State is the checkpoint after it; Job, Upload and Download
	// carry what the step learned.
	StepEnds
)

// Event reports a run's progress to Options.Progress.
type Event struct {
	Kind EventKind
	Step Step
	// State is a copy of the checkpoint, for StepBegins, Checkpoint and StepEnds events.
	State *State
	// Done and Total measure Progress (Total -1 when unknown); Window is the requests in flight
	// allowed now, of Concurrency.
	Done, Total         int64
	Window, Concurrency int
	// Job is the job as last read (wait's Progress, and StepEnds of start and wait).
	Job *client.Job
	// Upload and Download are the transfer's result (StepEnds of upload and download).
	Upload   *client.UploadResult
	Download *client.DownloadResult
	// Plan is what the plan found (StepEnds of plan).
	Plan *Plan
	// Text is a Notice's message.
	Text string
}

// Options tunes Run and Resume.
type Options struct {
	// Progress, when set, is called with every Event, one call at a time. It must return quickly;
	// a State it is handed is its own to keep.
	Progress func(Event)
	// Caller is kept in the State of a new run (State.Caller): settings of the caller's own that a
	// resume needs again. Never a secret. Resume keeps the State's.
	Caller map[string]string
}

// Result is what a run did. Run and Resume return it with their error too: its State is where the
// run stopped, to keep and Resume from.
type Result struct {
	// State is the checkpoint: StepDone after a whole run.
	State State
	// Plan is what the plan found in the input (nil when the plan did not run in this call).
	Plan *Plan
	// Upload is the upload's result (nil when no upload ran in this call).
	Upload *client.UploadResult
	// Job is the job as last read: its Statistics once it finished.
	Job *client.Job
	// Download is the download's result; its Records were written to Spec.Output.
	Download *client.DownloadResult
}

// OutputError is a finished job judged failed by its output, because the workflow's failure codes
// are not known (Spec.Statuses.Failed is empty): its output dataset is missing or incomplete.
type OutputError struct {
	// Job is the job as last read; Job.Status is the code it finished with.
	Job *client.Job
	// Slot and Dataset are the output slot and its dataset ("" when the job has none in Slot).
	Slot, Dataset string
	// Problem says what is wrong with the output ("is missing", "is incomplete").
	Problem string
}

// Error names the job, its status, the output and the problem.
func (e *OutputError) Error() string {
	out := fmt.Sprintf("output dataset %s (slot %s)", e.Dataset, e.Slot)
	if e.Dataset == "" {
		out = fmt.Sprintf("output slot %s", e.Slot)
	}
	return fmt.Sprintf("job %s finished with status %d, and its %s %s: the job is taken to have failed (Data8 does not document status codes: give the workflow's in Spec.Statuses)", e.Job.Name, e.Job.Status, out, e.Problem)
}

// InputChangedError is a resume refused because the input file is no longer the one the run began
// with: its records would not match what is on the server.
type InputChangedError struct {
	Path      string
	Was, Now  InputSummary
	Different string // what differs
}

// Error names the file and what differs.
func (e *InputChangedError) Error() string {
	return fmt.Sprintf("%s has changed since the run began (%s): resuming would mix records; start a new run", e.Path, e.Different)
}

// Run runs a whole job: it checks that Spec.Output can be written, plans the input (checks the whole file and maps its headers to column
// names, before anything exists on the server), creates the input dataset and uploads the records
// (a block at most client.MaxBlockSize records), completes it with the true count, starts the job,
// waits for it and judges it (see Spec.Statuses), and writes every record of its output dataset to
// Spec.Output (see Download). The result's columns are the input's, in the file's order and under
// their header text, then the columns the workflow added, in alphabetical order.
//
// Whatever happens, the Result's State says where the run stopped: keep it (SaveState) and Resume
// from it. Options.Progress reports each step, and each checkpoint to keep as it is made.
func Run(ctx context.Context, c *client.Client, spec Spec, opts Options) (*Result, error) {
	s, err := spec.resolved(time.Now())
	if err == nil {
		err = CheckWritable(s.Output) // before anything is read or sent
	}
	if err != nil {
		return &Result{State: State{Version: StateVersion, Spec: spec, Step: StepPlan}}, err
	}
	r := &runner{c: c, opts: opts, res: &Result{State: State{Version: StateVersion, Spec: s, Step: StepPlan, Caller: opts.Caller}}}
	return r.res, r.run(ctx)
}

// Resume carries on a run from its State, at the step it stopped at, with the settings it began
// with: an upload resumes at its checkpoint, a job already started is waited for, not started
// again, and a download is written anew. The input file must be unchanged when the run stopped
// before its job started (*InputChangedError otherwise).
func Resume(ctx context.Context, c *client.Client, st State, opts Options) (*Result, error) {
	if st.Version != StateVersion {
		return &Result{State: st}, fmt.Errorf("batch: state of version %d; this package resumes version %d", st.Version, StateVersion)
	}
	if !st.Resumable() {
		return &Result{State: st}, fmt.Errorf("batch: the run is %s: nothing to resume", st.Step)
	}
	s, err := st.Spec.resolved(time.Now())
	if err == nil {
		err = CheckWritable(s.Output)
	}
	if err != nil {
		return &Result{State: st}, err
	}
	st.Spec = s
	r := &runner{c: c, opts: opts, resumed: true, res: &Result{State: st}}
	return r.res, r.run(ctx)
}

// runner is one Run or Resume call.
type runner struct {
	c       *client.Client
	opts    Options
	resumed bool
	res     *Result
	mu      sync.Mutex // serialises Progress calls and guards res.State during the upload
}

func (r *runner) st() *State { return &r.res.State }

func (r *runner) emit(e Event) {
	if r.opts.Progress == nil {
		return
	}
	if e.Kind == StepBegins || e.Kind == StepEnds || e.Kind == Checkpoint {
		snap := r.res.State
		e.State = &snap
	}
	r.opts.Progress(e)
}

func (r *runner) run(ctx context.Context) error {
	for r.st().Resumable() {
		step := r.st().Step
		r.mu.Lock()
		r.emit(Event{Kind: StepBegins, Step: step})
		r.mu.Unlock()
		var err error
		switch step {
		case StepPlan, StepCreate, StepUpload, StepComplete:
			if r.res.Plan == nil {
				if err = r.plan(ctx); err != nil {
					return err
				}
				if step == StepPlan {
					continue
				}
			}
			switch step {
			case StepCreate:
				err = r.create(ctx)
			case StepUpload:
				err = r.upload(ctx)
			case StepComplete:
				err = r.complete(ctx)
			}
		case StepStart:
			err = r.start(ctx)
		case StepWait:
			err = r.wait(ctx)
		case StepDownload:
			err = r.download(ctx)
		default:
			return fmt.Errorf("batch: unknown step %q", step)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// advance ends the current step and sets the next.
func (r *runner) advance(next Step, e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.Kind, e.Step = StepEnds, r.st().Step
	r.st().Step = next
	r.emit(e)
}

// plan checks the input. Resumed before the job started, it must find the file the run began with.
func (r *runner) plan(ctx context.Context) error {
	s := &r.st().Spec
	p, err := PlanFile(ctx, s.Input, PlanOptions{Format: s.InputFormat, MapColumns: true, Progress: func(read, size int64) {
		r.emit(Event{Kind: Progress, Step: StepPlan, Done: read, Total: size})
	}})
	if err != nil {
		return err
	}
	sum := InputSummary{Records: p.Records, Headers: p.Headers, Columns: p.Columns, Size: p.Size, CRC32C: p.CRC32C}
	if was := r.st().Input; was != nil {
		if diff := differs(*was, sum); diff != "" {
			return &InputChangedError{Path: s.Input, Was: *was, Now: sum, Different: diff}
		}
	}
	for _, col := range sortedKeys(s.ColumnTypes) {
		if !slices.Contains(p.Columns, col) {
			return specErr("ColumnTypes", col, "is not a column of %s (its columns: %s)", s.Input, strings.Join(p.Columns, ", "))
		}
	}
	r.res.Plan = p
	r.st().Input = &sum
	if r.st().Step == StepPlan {
		r.advance(StepCreate, Event{Plan: p})
	}
	return nil
}

func differs(was, now InputSummary) string {
	switch {
	case was.Records != now.Records:
		return fmt.Sprintf("%d records then, %d now", was.Records, now.Records)
	case !slices.Equal(was.Headers, now.Headers):
		return "its header differs"
	case was.Size != now.Size:
		return fmt.Sprintf("%d bytes then, %d now", was.Size, now.Size)
	case was.CRC32C != now.CRC32C:
		return "its content differs"
	}
	return ""
}

// columns are the input dataset's columns with their type codes.
func (r *runner) columns() client.Columns {
	cols := make(client.Columns, len(r.st().Input.Columns))
	for _, col := range r.st().Input.Columns {
		cols[col] = r.st().Spec.ColumnTypes[col]
	}
	return cols
}

// create creates the input dataset. Resumed, it adopts the dataset of that name when it is the one
// this run created: an input dataset with the same columns.
func (r *runner) create(ctx context.Context) error {
	st := r.st()
	st.Dataset = st.Spec.Name
	if r.resumed {
		d, err := r.c.GetDataset(ctx, st.Dataset)
		switch {
		case err == nil:
			return r.adopt(d)
		case !errors.Is(err, client.ErrNotFound):
			return err
		}
	}
	if _, err := r.c.CreateDataset(ctx, st.Dataset, r.columns()); err != nil {
		return err
	}
	r.advance(StepUpload, Event{})
	return nil
}

// adopt takes an existing dataset as the run's: an input dataset with the run's columns; complete,
// it must hold the file's records.
func (r *runner) adopt(d *client.Dataset) error {
	st := r.st()
	if !d.Input || !maps.Equal(d.Columns, r.columns()) {
		return fmt.Errorf("dataset %s exists, and is not this run's (an input dataset with columns %s)", d.Name, strings.Join(st.Input.Columns, ", "))
	}
	if d.Completed {
		if d.RecordCount != st.Input.Records {
			return &IncompleteUploadError{Dataset: d.Name, Path: st.Spec.Input, Err: &client.CountMismatchError{Dataset: d.Name, Want: st.Input.Records, Got: d.RecordCount}}
		}
		r.advance(StepStart, Event{})
		return nil
	}
	r.advance(StepUpload, Event{})
	return nil
}

// upload uploads the records from the checkpoint on.
func (r *runner) upload(ctx context.Context) error {
	st := r.st()
	if r.resumed {
		// The dataset may be complete already (the run stopped before it could say so: its
		// completion may have reached the server after the last state was kept).
		if d, err := r.c.GetDataset(ctx, st.Dataset); err != nil {
			return err
		} else if d.Completed {
			return r.adopt(d)
		}
	}
	p := r.res.Plan
	total := p.Blocks(st.Spec.BlockSize)
	if st.Checkpoint > total {
		st.Checkpoint = 0
	}
	if st.Checkpoint < total {
		src, err := p.Open()
		if err != nil {
			return err
		}
		defer src.Close()
		skipped := min(int64(st.Checkpoint)*int64(st.Spec.BlockSize), p.Records)
		res, err := r.c.Upload(ctx, st.Dataset, src, client.UploadOptions{
			BlockSize:   st.Spec.BlockSize,
			Concurrency: st.Spec.Concurrency,
			Resume:      st.Checkpoint,
			Columns:     p.Columns,
			Progress: func(u client.UploadProgress) {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.emit(Event{Kind: Progress, Step: StepUpload, Done: skipped + u.Records, Total: p.Records, Window: u.Window, Concurrency: st.Spec.Concurrency})
				if u.Checkpoint > st.Checkpoint {
					st.Checkpoint = u.Checkpoint
					r.emit(Event{Kind: Checkpoint, Step: StepUpload})
				}
			},
		})
		r.mu.Lock()
		r.res.Upload = res
		if res != nil && res.Checkpoint > st.Checkpoint {
			st.Checkpoint = res.Checkpoint
		}
		r.mu.Unlock()
		if err != nil {
			return err
		}
		if got := res.SkippedRecords + res.Records; got != p.Records {
			return fmt.Errorf("uploaded %d records but %s has %d", got, p.Path, p.Records)
		}
	}
	r.mu.Lock()
	st.Checkpoint = total
	r.mu.Unlock()
	r.advance(StepComplete, Event{Upload: r.res.Upload})
	return nil
}

// complete completes the input dataset with the file's record count; a dataset holding another
// count is uploaded again, from block 0.
func (r *runner) complete(ctx context.Context) error {
	st := r.st()
	if _, err := r.res.Plan.Complete(ctx, r.c, st.Dataset); err != nil {
		var iu *IncompleteUploadError
		if errors.As(err, &iu) {
			st.Step, st.Checkpoint = StepUpload, 0
		}
		return err
	}
	r.advance(StepStart, Event{})
	return nil
}

// start starts the job. Resumed, it takes the job of that name when it exists and runs the same
// workflow.
func (r *runner) start(ctx context.Context) error {
	st := r.st()
	st.Job = st.Spec.Name
	if r.resumed {
		j, err := r.c.GetJob(ctx, st.Job)
		switch {
		case err == nil && j.WorkflowName == st.Spec.Workflow:
			r.res.Job = j
			r.advance(StepWait, Event{Job: j})
			return nil
		case err == nil:
			return fmt.Errorf("job %s exists and runs workflow %s, not %s: it is not this run's", j.Name, j.WorkflowName, st.Spec.Workflow)
		case !errors.Is(err, client.ErrNotFound):
			return err
		}
	}
	j, err := r.c.StartJob(ctx, client.NewJob{Name: st.Job, WorkflowName: st.Spec.Workflow,
		InputDatasets: map[string]string{st.Spec.InputSlot: st.Dataset}, Parameters: st.Spec.Parameters})
	if err != nil {
		return err
	}
	r.res.Job = j
	r.advance(StepWait, Event{Job: j})
	return nil
}

// Percent is a job's percentComplete made safe to show: within 0 to 100 (0 for NaN), whatever the
// server sent.
func Percent(j *client.Job) float64 {
	p := j.PercentComplete
	if math.IsNaN(p) {
		return 0
	}
	return min(max(p, 0), 100)
}

// wait waits for the job and judges it: by the workflow's codes when given, else by its output.
func (r *runner) wait(ctx context.Context) error {
	st := r.st()
	codes := st.Spec.Statuses
	j, err := r.c.WaitJob(ctx, st.Job, client.WaitOptions{
		Interval: st.Spec.PollInterval,
		Finished: codes.IsFinished,
		Failed:   codes.IsFailed,
		Progress: func(j *client.Job) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.emit(Event{Kind: Progress, Step: StepWait, Done: int64(Percent(j)), Total: 100, Job: j})
		},
	})
	if j != nil {
		r.res.Job = j
	}
	var jf *client.JobFailedError
	if errors.As(err, &jf) {
		status := jf.Job.Status
		st.JobStatus, st.Step = &status, StepFailed
		return err
	}
	if err != nil {
		return err
	}
	status := j.Status
	st.JobStatus = &status
	st.OutputDataset = j.OutputDatasets[st.Spec.OutputSlot]
	if err := r.judge(ctx, j); err != nil {
		return err
	}
	r.advance(StepDownload, Event{Job: j})
	return nil
}

// judge checks the finished job's output dataset: without failure codes, a missing or incomplete
// output means the job failed.
func (r *runner) judge(ctx context.Context, j *client.Job) error {
	st := r.st()
	slot := st.Spec.OutputSlot
	fail := func(problem string) error {
		st.Step = StepFailed
		return &OutputError{Job: j, Slot: slot, Dataset: st.OutputDataset, Problem: problem}
	}
	if st.OutputDataset == "" {
		if len(st.Spec.Statuses.Failed) == 0 {
			return fail(fmt.Sprintf("is missing (its output slots: %s)", strings.Join(sortedKeys(j.OutputDatasets), ", ")))
		}
		return fmt.Errorf("job %s has no output slot %q (its output slots: %s)", j.Name, slot, strings.Join(sortedKeys(j.OutputDatasets), ", "))
	}
	if len(st.Spec.Statuses.Failed) > 0 {
		return nil
	}
	if err := checkOutput(ctx, r.c, j, slot); err != nil {
		var oe *OutputError
		if errors.As(err, &oe) {
			st.Step = StepFailed
		}
		return err
	}
	return nil
}

// CheckOutputs judges a finished job by its output datasets, as Run does when the workflow's
// failure codes are not known: each must exist and be complete. It returns an *OutputError for the
// first, in slot order, that is not.
func CheckOutputs(ctx context.Context, c *client.Client, j *client.Job) error {
	for _, slot := range sortedKeys(j.OutputDatasets) {
		if err := checkOutput(ctx, c, j, slot); err != nil {
			return err
		}
	}
	return nil
}

func checkOutput(ctx context.Context, c *client.Client, j *client.Job, slot string) error {
	name := j.OutputDatasets[slot]
	d, err := c.GetDataset(ctx, name)
	switch {
	case errors.Is(err, client.ErrNotFound):
		return &OutputError{Job: j, Slot: slot, Dataset: name, Problem: "does not exist"}
	case err != nil:
		return err
	case !d.Completed:
		return &OutputError{Job: j, Slot: slot, Dataset: name, Problem: fmt.Sprintf("is incomplete (%d records)", d.RecordCount)}
	}
	return nil
}

// download writes the output dataset to the result file.
func (r *runner) download(ctx context.Context) error {
	st := r.st()
	if st.OutputDataset == "" {
		return fmt.Errorf("batch: no output dataset to download")
	}
	in := st.Input
	headers := map[string]string{}
	if in != nil {
		for i, col := range in.Columns {
			if in.Headers[i] != col {
				headers[col] = in.Headers[i]
			}
		}
	}
	var preferred []string
	if in != nil {
		preferred = in.Columns
	}
	res, err := Download(ctx, r.c, st.OutputDataset, st.Spec.Output, DownloadOptions{
		Format: st.Spec.OutputFormat, Columns: preferred, Headers: headers, Concurrency: st.Spec.DownloadConcurrency,
		MaxColumns: st.Spec.MaxColumns, MaxNewColumns: st.Spec.MaxNewColumns,
		Progress: func(e Event) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.emit(e)
		},
	})
	r.res.Download = res
	if err != nil {
		return err
	}
	r.advance(StepDone, Event{Download: res, Job: r.res.Job})
	return nil
}

// notify calls fn with e when fn is set.
func notify(fn func(Event), e Event) {
	if fn != nil {
		fn(e)
	}
}
