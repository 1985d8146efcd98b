package cli

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/client/batch"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

const runLong = `Runs a whole batch job: FILE in, cleansed file out.

 1. Checks the whole file (CSV with a header row, or JSON Lines); bad input stops here, naming the file and
    line, before anything is sent.
 2. Maps each header (JSON Lines key) to a valid column name and prints the mapping: lower case, every run
    of other characters becomes _, a name not starting with a letter gets c_, duplicates get _2, _3...
    ("First Name" → first_name, "2nd Line" → c_2nd_line).
 3. Creates an input dataset named run_<yyyymmdd_hhmmss>_<random> and uploads the file with a progress bar;
    CSV cells are sent as strings exactly as read (an empty cell as ""), JSON Lines values as given.
 4. Completes the dataset with the true record count and starts a job of the same name on --workflow,
    with the dataset in --input-slot and the --param values.
 5. Waits for the job, showing percent and estimated finish, and judges it (see below).
 6. Downloads every record of the job's --output-slot dataset into --out (CSV or JSON Lines by extension),
    and prints the job's statistics. CSV columns: the input file's columns in the file's order, under
    their original header text, then the columns the workflow added, alphabetically.

While it runs, the run's state (its settings, the names of what it created, the upload's checkpoint; never
a secret) is kept in OUT.data8-run.json beside the result, and removed when the run succeeds. If the run
stops (Ctrl-C, a failure, a kill), it prints what it left on the server and the command that carries on
where it stopped, with the same settings (base URL, workflow, parameters, columns ...):
  data8 run --resume OUT.data8-run.json

` + statusFlagsHelp

// runFlags are the flags of data8 run.
type runFlags struct {
	workflow, out, outFormat, inputSlot, outputSlot, columns string
	params                                                   []string
	upload                                                   uploadFlags
	wait                                                     waitFlags
	limits                                                   columnLimits
	resume                                                   string
}

// runSettings are the flags whose values a run keeps in its state: --resume takes them from there.
var runSettings = []string{"workflow", "out", "out-format", "input-slot", "output-slot", "param", "columns", "block-size",
	"concurrency", "format", "failed-status", "done-status", "poll", "max-columns", "max-new-columns"}

// callerSettings are the global flags a run keeps in its state, for a resume to talk to the same
// server as the same client.
var callerSettings = []string{"base-url", "token-url", "client-id", "insecure-http"}

func (a *app) runCommand() *cobra.Command {
	c := &cobra.Command{Use: "run FILE", Short: "upload a file, run a workflow on it and download the result", Long: runLong,
		Args: between(0, 1, "FILE"), Example: "  data8 run contacts.csv --workflow CleanContacts --out contacts_clean.csv"}
	var rf runFlags
	fs := c.Flags()
	fs.StringVar(&rf.workflow, "workflow", "", "the `WORKFLOW` to run, as named by Data8; required")
	fs.StringVar(&rf.out, "out", "", "the result `FILE` (.csv, .jsonl or .ndjson); required")
	fs.StringVar(&rf.outFormat, "out-format", "", "`FORMAT` of the result: csv or jsonl (default: from --out's extension)")
	fs.StringVar(&rf.inputSlot, "input-slot", "Input", "the workflow's input `SLOT` the uploaded dataset goes to")
	fs.StringVar(&rf.outputSlot, "output-slot", "Output", "the workflow's output `SLOT` whose dataset is downloaded")
	fs.StringArrayVar(&rf.params, "param", nil, "`NAME=VALUE`: a parameter of the workflow (repeatable)")
	fs.StringVar(&rf.columns, "columns", "", "type codes of columns after mapping, `name:type,...` (default 0 for every column)")
	rf.upload.register(c)
	rf.wait.register(c)
	rf.limits.register(c)
	fs.StringVar(&rf.resume, "resume", "", "carry on the run whose state is in `STATEFILE` (printed when it stopped), with its settings")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if rf.resume != "" {
			return a.resumeRun(cmd, rf, args)
		}
		if len(args) == 0 {
			return usageErrorf("missing arguments: want FILE (or --resume STATEFILE)")
		}
		spec, err := rf.spec(args[0])
		if err != nil {
			return err
		}
		// The files are checked before the configuration, so bad input is reported even without credentials.
		if err := batch.CheckReadable(spec.Input); err != nil {
			return err
		}
		if err := batch.CheckWritable(spec.Output); err != nil {
			return err
		}
		statePath := spec.Output + ".data8-run.json"
		if st, err := batch.LoadState(statePath); err == nil && st.Resumable() {
			return usageErrorf("a stopped run's state is in %s: carry it on with data8 run --resume %s, or remove the file to start anew", statePath, shellQuote(statePath))
		}
		caller := map[string]string{}
		for _, name := range callerSettings {
			if f := cmd.Flags().Lookup(name); f.Value.String() != f.DefValue {
				caller[name] = f.Value.String()
			}
		}
		a.maxColumns = spec.MaxColumns
		return a.withClient(func(c *client.Client) error {
			return a.runJob(c, nil, spec, caller, statePath, rf.wait.timeout)
		})
	}
	return c
}

// spec checks the flags of a new run and turns them into its Spec.
func (r *runFlags) spec(file string) (batch.Spec, error) {
	s := batch.Spec{Input: file, Output: r.out, Workflow: r.workflow, InputSlot: r.inputSlot, OutputSlot: r.outputSlot,
		BlockSize: r.upload.blockSize, Concurrency: r.upload.concurrency, PollInterval: r.wait.interval,
		MaxColumns: r.limits.all, MaxNewColumns: r.limits.added}
	var err error
	switch {
	case r.workflow == "":
		return s, usageErrorf("--workflow is required")
	case r.out == "":
		return s, usageErrorf("--out is required")
	case r.out == "-":
		return s, usageErrorf("bad --out -: run writes a file (use data8 dataset download NAME --out - for standard output)")
	case r.inputSlot == "" || r.outputSlot == "":
		return s, usageErrorf("--input-slot and --output-slot must not be empty")
	}
	if err := r.upload.check(); err != nil {
		return s, err
	}
	if err := r.limits.check(); err != nil {
		return s, err
	}
	if s.InputFormat, err = inputFormat(file, r.upload.format); err != nil {
		return s, err
	}
	if s.OutputFormat, err = batch.ParseFormat(r.outFormat); err != nil {
		return s, usageErrorf("bad --out-format %q: want csv or jsonl", r.outFormat)
	}
	if s.OutputFormat, err = batch.FormatOf(r.out, s.OutputFormat); err != nil {
		return s, usageErrorf("%v: pass --out-format csv|jsonl", err)
	}
	if s.Parameters, err = parsePairs("param", r.params); err != nil {
		return s, err
	}
	if r.columns != "" {
		specs, err := parseColumnSpec(r.columns)
		if err != nil {
			return s, err
		}
		s.ColumnTypes = map[string]int{}
		for _, c := range specs {
			s.ColumnTypes[c.Name] = c.Type
		}
	}
	if s.Statuses, err = r.wait.statuses(); err != nil {
		return s, err
	}
	return s, nil
}

// resumeRun is data8 run --resume: the settings come from the state file.
func (a *app) resumeRun(cmd *cobra.Command, rf runFlags, args []string) error {
	if len(args) > 0 {
		return usageErrorf("--resume takes the run's file from its state: give no FILE (%q)", args[0])
	}
	for _, name := range runSettings {
		if cmd.Flags().Changed(name) {
			return usageErrorf("--resume carries on with the run's own settings: --%s cannot be changed", name)
		}
	}
	if rf.wait.timeout < 0 {
		return usageErrorf("bad --timeout %v: must be 0 (no limit) or more", rf.wait.timeout)
	}
	st, err := batch.LoadState(rf.resume)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if !st.Resumable() {
		return usageErrorf("the run in %s is %s: nothing to resume", rf.resume, st.Step)
	}
	for _, name := range callerSettings {
		f := cmd.Flags().Lookup(name)
		want, kept := st.Caller[name]
		switch {
		case kept && f.Value.String() != f.DefValue && f.Value.String() != want:
			return usageErrorf("the run in %s used --%s %s, but %s is given now: a run carries on where it began", rf.resume, name, want, f.Value.String())
		case kept:
			f.Value.Set(want)
		case f.Value.String() != f.DefValue:
			return usageErrorf("the run in %s used the default %s, but %s is given now: a run carries on where it began", rf.resume, name, f.Value.String())
		}
	}
	a.maxColumns = st.Spec.MaxColumns
	return a.withClient(func(c *client.Client) error {
		return a.runJob(c, st, st.Spec, nil, rf.resume, rf.wait.timeout)
	})
}

// runView follows a run: it shows each step's progress and outcome, and keeps the state file.
type runView struct {
	a         *app
	statePath string // "": none (demo)
	mu        sync.Mutex
	prog      *progress
	saved     time.Time
	saveErr   error
}

func (v *runView) save(st *batch.State, force bool) {
	if v.statePath == "" || st.Step == batch.StepPlan {
		return
	}
	if !force && time.Since(v.saved) < 250*time.Millisecond {
		return
	}
	v.saved = time.Now()
	if err := batch.SaveState(v.statePath, st); err != nil && v.saveErr == nil {
		v.saveErr = err
		fmt.Fprintf(v.a.stderr, "data8: warning: %v\n", err)
	}
}

func (v *runView) event(e batch.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	a := v.a
	switch e.Kind {
	case batch.StepBegins:
		v.save(e.State, true)
		st := e.State
		switch e.Step {
		case batch.StepPlan, batch.StepCreate, batch.StepUpload, batch.StepComplete:
			if st.Input == nil {
				v.prog = a.newProgress("check "+filepath.Base(st.Spec.Input), -1, "bytes")
				v.prog.quietEnd = true
			} else if e.Step == batch.StepUpload {
				v.prog = a.newProgress("upload", st.Input.Records, "records")
			}
		case batch.StepWait:
			v.prog = a.newProgress("job "+st.Job, 100, "%")
		case batch.StepDownload:
			v.prog = a.newProgress("download", -1, "records")
		}
	case batch.Progress:
		if v.prog == nil {
			return
		}
		switch e.Step {
		case batch.StepWait:
			v.prog.Set(e.Done, waitNote(e.Job))
		case batch.StepUpload:
			v.prog.Set(e.Done, windowNote(e.Window, e.Concurrency, "blocks"))
		case batch.StepDownload:
			v.prog.SetTotal(e.Total)
			v.prog.Set(e.Done, windowNote(e.Window, e.Concurrency, "pages"))
		default:
			v.prog.SetTotal(e.Total)
			v.prog.Set(e.Done, "")
		}
	case batch.Checkpoint:
		v.save(e.State, false)
	case batch.Notice:
		fmt.Fprintln(a.stderr, termsafe.String(e.Text))
	case batch.StepEnds:
		v.finish(true)
		v.save(e.State, true)
		v.ended(e)
	}
}

// finish ends the current step's progress display.
func (v *runView) finish(ok bool) {
	if v.prog != nil {
		v.prog.Finish(ok)
		v.prog = nil
	}
}

// ended prints what a step did.
func (v *runView) ended(e batch.Event) {
	a, st := v.a, e.State
	switch e.Step {
	case batch.StepPlan:
		p := e.Plan
		fmt.Fprintf(a.stdout, "%s: %d records, %d columns\n", p.Path, p.Records, len(p.Columns))
		if p.Renamed() {
			fmt.Fprintln(a.stdout, "columns (file → dataset):")
			t := newTable(a.stdout)
			for i := range p.Headers {
				t.row("  "+p.Headers[i], "→ "+p.Columns[i])
			}
			t.flush()
		}
	case batch.StepCreate:
		if st.Step == batch.StepStart {
			fmt.Fprintf(a.stdout, "dataset %s is already complete with %d records; not uploading\n", st.Dataset, st.Input.Records)
		} else {
			fmt.Fprintf(a.stdout, "dataset %s created\n", st.Dataset)
		}
	case batch.StepUpload:
		if e.Upload != nil && e.Upload.Throttled > 0 {
			fmt.Fprintln(a.stderr, throttledLine("upload", e.Upload.Throttled, e.Upload.SmallestWindow, st.Spec.Concurrency, "block", "blocks"))
		}
	case batch.StepComplete:
		fmt.Fprintf(a.stdout, "uploaded %d records to dataset %s and completed it\n", st.Input.Records, st.Dataset)
	case batch.StepStart:
		fmt.Fprintf(a.stdout, "job %s started (workflow %s)\n", termsafe.String(e.Job.Name), termsafe.String(e.Job.WorkflowName))
	case batch.StepWait:
		fmt.Fprintf(a.stdout, "job %s finished with status %d; output dataset %s\n", termsafe.String(e.Job.Name), e.Job.Status, termsafe.String(st.OutputDataset))
	case batch.StepDownload:
		a.downloadThrottled(e.Download, st.Spec.DownloadConcurrency)
		fmt.Fprintf(a.stdout, "wrote %d records to %s\n", e.Download.Records, st.Spec.Output)
	}
}

// runJob runs (or, with from, resumes) a whole job with client c, printing progress and the outcome,
// keeping its state in statePath (none when ""); on failure it reports what it left behind.
func (a *app) runJob(c *client.Client, from *batch.State, spec batch.Spec, caller map[string]string, statePath string, timeout time.Duration) error {
	ctx, cancel := a.bounded(timeout)
	defer cancel()
	v := &runView{a: a, statePath: statePath}
	opts := batch.Options{Progress: v.event, Caller: caller}
	var res *batch.Result
	var err error
	if from != nil {
		fmt.Fprintf(a.stdout, "resuming run %s at its %s step\n", from.Spec.Name, from.Step)
		res, err = batch.Resume(ctx, c, *from, opts)
	} else {
		res, err = batch.Run(ctx, c, spec, opts)
	}
	v.mu.Lock()
	v.finish(err == nil)
	v.mu.Unlock()
	err = a.timedOut(ctx, timeout, err)
	st := &res.State
	if err == nil {
		if statePath != "" {
			os.Remove(statePath)
		}
		a.printStatistics(res.Job)
		return nil
	}
	var se *batch.SpecError
	if errors.As(err, &se) {
		os.Remove(statePath)
		return specUsageError(se)
	}
	if !st.OnServer() {
		if statePath != "" {
			os.Remove(statePath)
		}
		var ie *batch.InputError
		if errors.As(err, &ie) || errors.Is(err, batch.ErrStandardInput) {
			return err
		}
		a.reportStopped(err)
		fmt.Fprintln(a.stderr, "nothing was left on the server.")
		return &reportedError{err: err, code: a.exitCode(err)}
	}
	if statePath != "" {
		if st.Resumable() {
			v.save(st, true)
		} else {
			os.Remove(statePath)
		}
	}
	a.reportStopped(err)
	a.reportLeftBehind(st, err, statePath)
	return &reportedError{err: err, code: a.exitCode(err)}
}

// specUsageError words a Spec's refusal in the flags' terms.
func specUsageError(se *batch.SpecError) error {
	flag := map[string]string{"Input": "FILE", "InputFormat": "--format", "Output": "--out", "OutputFormat": "--out-format", "Workflow": "--workflow",
		"BlockSize": "--block-size", "Concurrency": "--concurrency", "PollInterval": "--poll", "ColumnTypes": "--columns",
		"MaxColumns": "--max-columns", "Name": "the run's name"}[se.Field]
	if se.Field == "ColumnTypes" {
		return usageErrorf("bad --columns: %q %s", se.Value, se.Problem)
	}
	return usageErrorf("bad %s %v: %s", cmp.Or(flag, se.Field), se.Value, se.Problem)
}

func (a *app) reportStopped(cause error) {
	if a.interrupted(cause) {
		fmt.Fprintf(a.stderr, "data8 %s: interrupted\n", a.cmd)
	} else {
		fmt.Fprintf(a.stderr, "data8 %s: %s\n", a.cmd, describeError(cause))
	}
}

// printStatistics prints a finished job's statistics, one a line, in name order.
func (a *app) printStatistics(j *client.Job) {
	if j == nil {
		return
	}
	if len(j.Statistics) == 0 {
		fmt.Fprintf(a.stdout, "job %s reported no statistics\n", termsafe.String(j.Name))
		return
	}
	fmt.Fprintf(a.stdout, "statistics of job %s:\n", termsafe.String(j.Name))
	t := newTable(a.stdout)
	for _, k := range slices.Sorted(maps.Keys(j.Statistics)) {
		t.row("  "+k, cellText(j.Statistics[k]))
	}
	t.flush()
}

// reportLeftBehind prints, after a run stopped, what is on the server and how to carry on.
func (a *app) reportLeftBehind(st *batch.State, cause error, statePath string) {
	w := a.stderr
	fmt.Fprintln(w, "left on the server:")
	jobStarted := st.Job != "" && st.Step != batch.StepStart
	total := 0
	if st.Input != nil {
		total = int((st.Input.Records + int64(st.Spec.BlockSize) - 1) / int64(st.Spec.BlockSize))
	}
	state := "complete"
	switch {
	case st.Step == batch.StepCreate:
		state = "its creation was asked for: it may not exist"
	case jobStarted || st.Step == batch.StepStart:
	case st.Checkpoint > 0 && st.Checkpoint < total:
		state = fmt.Sprintf("incomplete: blocks 0 to %d of %d stored (upload checkpoint: block %d)", st.Checkpoint-1, total, st.Checkpoint)
	case st.Checkpoint >= total && st.Step == batch.StepComplete:
		state = "incomplete: every block stored"
	default:
		state = "incomplete: no block known to be stored (upload checkpoint: block 0)"
	}
	fmt.Fprintf(w, "  input dataset   %s (%s)\n", termsafe.String(st.Dataset), state)
	if st.Job != "" {
		state := "running or queued"
		switch {
		case st.Step == batch.StepStart:
			state = "its start was asked for: it may not exist"
		case st.Step == batch.StepFailed:
			state = "failed"
		case st.JobStatus != nil:
			state = "finished, status " + strconv.Itoa(*st.JobStatus)
		}
		fmt.Fprintf(w, "  job             %s (%s)\n", termsafe.String(st.Job), state)
	}
	if st.OutputDataset != "" {
		fmt.Fprintf(w, "  output dataset  %s\n", termsafe.String(st.OutputDataset))
	}
	if !st.Resumable() || statePath == "" {
		return
	}
	fmt.Fprintf(w, "resume with:\n  %s\n", shellJoin([]string{"data8", "run", "--resume", statePath}))
	fmt.Fprintln(w, "or step by step:")
	out := shellQuote(st.Spec.Output)
	if !jobStarted {
		if st.Step != batch.StepStart {
			up := []string{"data8", "dataset", "upload", st.Dataset, st.Spec.Input, "--map-columns"}
			if st.Checkpoint > 0 && st.Checkpoint < total {
				up = append(up, "--start-block", fmt.Sprint(st.Checkpoint))
			}
			uf := uploadFlags{blockSize: st.Spec.BlockSize}
			fmt.Fprintf(w, "  %s\n", shellJoin(append(up, uploadResumeFlags(uf, false, false)...)))
			fmt.Fprintf(w, "  %s\n", shellJoin([]string{"data8", "dataset", "complete", st.Dataset, "--records", fmt.Sprint(st.Input.Records)}))
		}
		start := []string{"data8", "job", "start", st.Spec.Name, "--workflow", st.Spec.Workflow, "--input", st.Spec.InputSlot + "=" + st.Dataset}
		for _, k := range slices.Sorted(maps.Keys(st.Spec.Parameters)) {
			start = append(start, "--param", k+"="+st.Spec.Parameters[k])
		}
		fmt.Fprintf(w, "  %s\n", shellJoin(start))
	}
	fmt.Fprintf(w, "  %s\n", shellJoin(append([]string{"data8", "job", "wait", st.Spec.Name}, statusArgs(st.Spec.Statuses)...)))
	if st.OutputDataset != "" {
		fmt.Fprintf(w, "  %s\n", shellJoin([]string{"data8", "dataset", "download", st.OutputDataset, "--out", st.Spec.Output}))
	} else {
		fmt.Fprintln(w, "  data8 dataset download OUTPUT_DATASET --out "+out+"   (OUTPUT_DATASET: see data8 job get "+shellQuote(st.Spec.Name)+")")
	}
}

// statusArgs are the --failed-status and --done-status flags for codes.
func statusArgs(codes client.JobStatuses) []string {
	var args []string
	join := func(cs []int) string {
		s := make([]string, len(cs))
		for i, c := range cs {
			s[i] = strconv.Itoa(c)
		}
		return strings.Join(s, ",")
	}
	if len(codes.Failed) > 0 {
		args = append(args, "--failed-status", join(codes.Failed))
	}
	if len(codes.Done) > 0 {
		args = append(args, "--done-status", join(codes.Done))
	}
	return args
}
