package cli

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// runFlags are the flags of data8 run.
type runFlags struct {
	workflow, inputSlot, outputSlot string
	out, outFormat, columns         string
	params                          listFlag
	upload                          uploadFlags
	dataset, job                    string
	wait                            waitFlags
}

func (r *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.workflow, "workflow", "", "the `WORKFLOW` to run, as named by Data8; required")
	fs.StringVar(&r.out, "out", "", "the result `FILE` (.csv, .jsonl or .ndjson); required")
	fs.StringVar(&r.outFormat, "out-format", "", "`FORMAT` of the result: csv or jsonl (default: from --out's extension)")
	fs.StringVar(&r.inputSlot, "input-slot", "Input", "the workflow's input `SLOT` the uploaded dataset goes to")
	fs.StringVar(&r.outputSlot, "output-slot", "Output", "the workflow's output `SLOT` whose dataset is downloaded")
	fs.Var(&r.params, "param", "`NAME=VALUE`: a parameter of the workflow (repeatable)")
	fs.StringVar(&r.columns, "columns", "", "type codes of columns after mapping, `name:type,...` (default 0 for every column)")
	r.upload.register(fs)
	fs.StringVar(&r.dataset, "dataset", "", "resume: upload into the existing input dataset `NAME` (printed when a run stopped)")
	fs.StringVar(&r.job, "job", "", "resume: wait for job `NAME` (printed when a run stopped) and download its output")
	r.wait.register(fs)
}

// runConfig is a checked run.
type runConfig struct {
	file       string
	inFormat   fileFormat
	workflow   string
	inputSlot  string
	outputSlot string
	params     map[string]string
	types      []columnSpec
	out        string
	outFormat  fileFormat
	upload     uploadFlags
	dataset    string
	job        string
	wait       waitFlags
	flags      *runFlags // for the resume command lines; nil: print none (demo)
}

const runHelp = `
Runs a whole batch job: FILE in, cleansed file out.

 1. Checks the whole file (CSV with a header row, or JSON Lines); bad input stops here, naming the file and
    line, before anything is sent.
 2. Maps each header (JSON Lines key) to a valid column name and prints the mapping: lower case, every run
    of other characters becomes _, a name not starting with a letter gets c_, duplicates get _2, _3...
    ("First Name" → first_name, "2nd Line" → c_2nd_line).
 3. Creates an input dataset named run_<yyyymmdd_hhmmss>_<random> and uploads the file with a progress bar;
    CSV cells are sent as strings exactly as read (an empty cell as ""), JSON Lines values as given.
 4. Completes the dataset with the true record count and starts a job of the same name on --workflow,
    with the dataset in --input-slot and the --param values.
 5. Waits for the job, showing percent and estimated finish.
 6. Downloads every record of the job's --output-slot dataset into --out (CSV or JSON Lines by extension),
    and prints the job's statistics. CSV columns: the input file's columns in the file's order, under
    their original header text, then the columns the workflow added, alphabetically.

If it stops (Ctrl-C, a failure), it prints what it left on the server and the command that resumes:
  data8 run FILE ... --dataset NAME --start-block N    (the upload, or anything before the job)
  data8 run FILE ... --job NAME                        (waiting and downloading)

  data8 run contacts.csv --workflow CleanContacts --out contacts_clean.csv`

func (a *app) cmdRun(args []string) error {
	fs := a.newFlagSet(a.cmd)
	var rf runFlags
	rf.register(fs)
	pos, err := a.parse(fs, cmdSpec{args: "FILE", min: 1, max: 1, description: runHelp}, args)
	if err != nil {
		return err
	}
	cfg, err := rf.check(pos[0])
	if err != nil {
		return err
	}
	// The files are checked before the configuration, so bad input is reported even without credentials.
	if err := checkReadable(cfg.file); err != nil {
		return err
	}
	if err := checkWritable(cfg.out); err != nil {
		return err
	}
	c, err := a.newClient()
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = a.runPipeline(c, cfg)
	return err
}

// check validates the flags of a run.
func (r *runFlags) check(file string) (*runConfig, error) {
	if r.workflow == "" {
		return nil, usageErrorf("--workflow is required")
	}
	if r.out == "" {
		return nil, usageErrorf("--out is required")
	}
	if err := r.upload.check(); err != nil {
		return nil, err
	}
	cfg := &runConfig{file: file, workflow: r.workflow, inputSlot: r.inputSlot, outputSlot: r.outputSlot, out: r.out,
		upload: r.upload, dataset: r.dataset, job: r.job, wait: r.wait, flags: r}
	var err error
	if cfg.inFormat, err = inputFormat(file, r.upload.format); err != nil {
		return nil, err
	}
	if r.out == "-" {
		return nil, usageErrorf("bad --out -: run writes a file (use data8 dataset download NAME --out - for standard output)")
	}
	if cfg.outFormat, err = formatFor(r.out, r.outFormat); err != nil {
		return nil, err
	}
	if sameFile(file, r.out) {
		return nil, usageErrorf("bad --out %s: it is the input file", r.out)
	}
	if cfg.params, err = parsePairs("param", r.params); err != nil {
		return nil, err
	}
	if r.columns != "" {
		if cfg.types, err = parseColumnSpec(r.columns); err != nil {
			return nil, &usageError{msg: err.Error()}
		}
	}
	if r.inputSlot == "" || r.outputSlot == "" {
		return nil, usageErrorf("--input-slot and --output-slot must not be empty")
	}
	if r.dataset != "" {
		if err := checkDatasetName(r.dataset); err != nil {
			return nil, err
		}
	}
	if r.job != "" {
		if err := checkJobName(r.job); err != nil {
			return nil, err
		}
		if r.dataset != "" || r.upload.startBlock != 0 {
			return nil, usageErrorf("--job resumes after the upload: it does not go with --dataset or --start-block")
		}
	}
	if r.upload.startBlock != 0 && r.dataset == "" {
		return nil, usageErrorf("--start-block resumes an upload: give the dataset with --dataset NAME too")
	}
	if _, err := r.wait.options(nil); err != nil {
		return nil, err
	}
	return cfg, nil
}

// newRunName returns a unique name for a run's dataset and job: run_<yyyymmdd_hhmmss>_<6 hex digits>.
func newRunName(now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return "run_" + now.UTC().Format("20060102_150405") + "_" + hex.EncodeToString(b[:])
}

// runState is how far a run got, for the report of what it left behind.
type runState struct {
	plan       *inputPlan
	dataset    string
	created    bool // the dataset was made by this run
	checkpoint int  // upload: every block before this is stored
	total      int  // upload: blocks in the file
	completed  bool
	job        string
	jobStarted bool
	output     string
	written    int64
	final      *client.Job
}

// runPipeline runs cfg with client c, printing progress and the outcome; on failure it reports what it
// left behind.
func (a *app) runPipeline(c *client.Client, cfg *runConfig) (*runState, error) {
	st := &runState{}
	err := a.runSteps(c, cfg, st)
	if err != nil && !errors.Is(err, errHelp) && cfg.flags != nil {
		var ue *usageError
		if !errors.As(err, &ue) && !isInputError(err) {
			a.reportLeftBehind(cfg, st, err)
			return st, &reportedError{err: err, code: a.exitCode(err)}
		}
	}
	return st, err
}

func (a *app) runSteps(c *client.Client, cfg *runConfig, st *runState) error {
	plan, err := a.checkFile(cfg.file, cfg.inFormat, newColumnMapper(true, "", nil))
	if err != nil {
		return err
	}
	st.plan = plan
	cols := make(map[string]int, len(plan.Columns))
	for _, col := range plan.Columns {
		cols[col] = 0
	}
	for _, s := range cfg.types {
		if _, ok := cols[s.Name]; !ok {
			return usageErrorf("bad --columns: %q is not a column of %s (its columns: %s)", s.Name, cfg.file, strings.Join(plan.Columns, ", "))
		}
		cols[s.Name] = s.Type
	}
	fmt.Fprintf(a.stdout, "%s: %d records, %d columns\n", cfg.file, plan.Records, len(plan.Columns))
	if plan.Renamed() {
		fmt.Fprintln(a.stdout, "columns (file → dataset):")
		t := newTable(a.stdout)
		for i := range plan.Raw {
			t.row("  "+plan.Raw[i], "→ "+plan.Columns[i])
		}
		t.flush()
	}

	if cfg.job == "" {
		if err := a.runUpload(c, cfg, st, cols); err != nil {
			return err
		}
		st.job = st.dataset
		j, err := c.StartJob(a.ctx, client.NewJob{Name: st.job, WorkflowName: cfg.workflow,
			InputDatasets: map[string]string{cfg.inputSlot: st.dataset}, Parameters: cfg.params})
		if err != nil {
			return err
		}
		st.jobStarted = true
		fmt.Fprintf(a.stdout, "job %s started (workflow %s)\n", termsafe.String(j.Name), termsafe.String(j.WorkflowName))
	} else {
		st.job, st.jobStarted = cfg.job, true
	}

	j, err := a.waitJob(c, st.job, cfg.wait)
	if j != nil {
		st.final = j
		for _, ds := range j.InputDatasets {
			if st.dataset == "" {
				st.dataset = ds
			}
		}
		st.output = j.OutputDatasets[cfg.outputSlot]
	}
	if err != nil {
		return err
	}
	if st.output == "" {
		return fmt.Errorf("job %s has no output slot %q (its output slots: %s); pass --output-slot", j.Name, cfg.outputSlot, strings.Join(sortedKeys(j.OutputDatasets), ", "))
	}
	fmt.Fprintf(a.stdout, "job %s finished with status %d; output dataset %s\n", termsafe.String(j.Name), j.Status, termsafe.String(st.output))

	rename := map[string]string{}
	for i, col := range plan.Columns {
		if plan.Raw[i] != col {
			rename[col] = plan.Raw[i]
		}
	}
	n, err := a.download(c, st.output, cfg.out, cfg.outFormat, plan.Columns, rename, client.DefaultDownloadConcurrency)
	if err != nil {
		return err
	}
	st.written = n
	fmt.Fprintf(a.stdout, "wrote %d records to %s\n", n, cfg.out)
	a.printStatistics(j)
	return nil
}

// runUpload creates (or, resuming, checks) the input dataset, uploads the file and completes the dataset.
func (a *app) runUpload(c *client.Client, cfg *runConfig, st *runState, cols map[string]int) error {
	plan := st.plan
	uf := cfg.upload
	if err := checkStartBlock(plan, uf); err != nil {
		return err
	}
	st.total = blocksFor(plan.Records, uf.blockSize)
	if cfg.dataset != "" {
		st.dataset = cfg.dataset
		d, err := c.GetDataset(a.ctx, cfg.dataset)
		if err != nil {
			return err
		}
		if !d.Input {
			return fmt.Errorf("dataset %s is an output dataset made by a job: --dataset takes the input dataset of a run", d.Name)
		}
		for _, col := range plan.Columns {
			if _, ok := d.Columns[col]; !ok {
				return fmt.Errorf("dataset %s has no column %q, which %s maps to: is it the dataset of this file? (its columns: %s)", d.Name, col, cfg.file, fmtColumns(d.Columns))
			}
		}
		if d.Completed {
			if d.RecordCount != plan.Records {
				return fmt.Errorf("dataset %s is complete with %d records but %s has %d", d.Name, d.RecordCount, cfg.file, plan.Records)
			}
			st.checkpoint, st.completed = st.total, true
			fmt.Fprintf(a.stdout, "dataset %s is already complete with %d records; not uploading\n", termsafe.String(d.Name), d.RecordCount)
			return nil
		}
		fmt.Fprintf(a.stdout, "resuming the upload to dataset %s at block %d of %d\n", termsafe.String(d.Name), uf.startBlock, st.total)
	} else {
		st.dataset = newRunName(time.Now())
		if _, err := c.CreateDataset(a.ctx, st.dataset, cols); err != nil {
			return err
		}
		st.created = true
		fmt.Fprintf(a.stdout, "dataset %s created\n", st.dataset)
	}
	st.checkpoint = uf.startBlock
	out, err := a.upload(c, st.dataset, plan, uf)
	st.checkpoint = out.Checkpoint
	if err != nil {
		return err
	}
	if _, err := a.completeDataset(c, st.dataset, plan); err != nil {
		var cm *countMismatchError
		if errors.As(err, &cm) {
			st.checkpoint = 0 // every block must be sent again
		}
		return err
	}
	st.completed = true
	fmt.Fprintf(a.stdout, "uploaded %d records to dataset %s and completed it\n", plan.Records, st.dataset)
	return nil
}

// printStatistics prints a finished job's statistics, one a line, in name order.
func (a *app) printStatistics(j *client.Job) {
	if len(j.Statistics) == 0 {
		fmt.Fprintf(a.stdout, "job %s reported no statistics\n", termsafe.String(j.Name))
		return
	}
	fmt.Fprintf(a.stdout, "statistics of job %s:\n", termsafe.String(j.Name))
	t := newTable(a.stdout)
	keys := sortedKeys(j.Statistics)
	sort.Strings(keys)
	for _, k := range keys {
		t.row("  "+k, cellText(j.Statistics[k]))
	}
	t.flush()
}

// reportLeftBehind prints, after a run stopped, what is on the server and how to carry on.
func (a *app) reportLeftBehind(cfg *runConfig, st *runState, cause error) {
	w := a.stderr
	if a.interrupted(cause) {
		fmt.Fprintf(w, "data8 %s: interrupted\n", a.cmd)
	} else {
		fmt.Fprintf(w, "data8 %s: %s\n", a.cmd, describeError(cause))
	}
	if st.dataset == "" && st.job == "" {
		fmt.Fprintln(w, "nothing was left on the server.")
		return
	}
	fmt.Fprintln(w, "left on the server:")
	if st.dataset != "" && !st.created && cfg.dataset == "" && cfg.job == "" {
		fmt.Fprintf(w, "  input dataset   %s (creating it failed: it may not exist; if it does, it is empty)\n", termsafe.String(st.dataset))
		if cfg.flags != nil {
			fmt.Fprintln(w, "nothing to resume: run the same command again.")
		}
		return
	}
	if st.dataset != "" {
		state := "complete"
		switch {
		case st.jobStarted || st.completed:
		case st.checkpoint > 0:
			state = fmt.Sprintf("incomplete: blocks 0 to %d of %d stored (upload checkpoint: block %d)", st.checkpoint-1, st.total, st.checkpoint)
		default:
			state = "incomplete: no block known to be stored (upload checkpoint: block 0)"
		}
		fmt.Fprintf(w, "  input dataset   %s (%s)\n", termsafe.String(st.dataset), state)
	}
	if st.jobStarted {
		state := "running or queued"
		if st.final != nil && client.JobFinished(st.final) {
			state = fmt.Sprintf("finished, status %d", st.final.Status)
		}
		if isJobFailed(cause) {
			state = "failed"
		}
		fmt.Fprintf(w, "  job             %s (%s)\n", termsafe.String(st.job), state)
	}
	if st.output != "" {
		fmt.Fprintf(w, "  output dataset  %s\n", termsafe.String(st.output))
	}
	if cfg.flags == nil || isJobFailed(cause) {
		return
	}
	base := cfg.baseRunArgs()
	switch {
	case st.jobStarted:
		fmt.Fprintf(w, "resume with:\n  %s\n", shellJoin(append(base, "--job", st.job)))
		fmt.Fprintf(w, "or step by step:\n  %s\n", shellJoin([]string{"data8", "job", "wait", st.job}))
		if st.output != "" {
			fmt.Fprintf(w, "  %s\n", shellJoin([]string{"data8", "dataset", "download", st.output, "--out", cfg.out}))
		} else {
			fmt.Fprintf(w, "  %s\n", shellJoin([]string{"data8", "job", "get", st.job}))
			fmt.Fprintln(w, "  data8 dataset download OUTPUT_DATASET --out "+shellQuote(cfg.out))
		}
	case st.dataset != "":
		args := append(base, "--dataset", st.dataset)
		if st.checkpoint > 0 && !st.completed {
			args = append(args, "--start-block", fmt.Sprint(st.checkpoint))
		}
		fmt.Fprintf(w, "resume with:\n  %s\n", shellJoin(args))
		fmt.Fprintln(w, "or step by step:")
		if !st.completed {
			up := []string{"data8", "dataset", "upload", st.dataset, cfg.file, "--map-columns"}
			if st.checkpoint > 0 {
				up = append(up, "--start-block", fmt.Sprint(st.checkpoint))
			}
			fmt.Fprintf(w, "  %s\n", shellJoin(append(up, uploadResumeFlags(cfg.upload, false, false)...)))
			fmt.Fprintf(w, "  %s\n", shellJoin([]string{"data8", "dataset", "complete", st.dataset, "--records", fmt.Sprint(st.plan.Records)}))
		}
		start := []string{"data8", "job", "start", st.dataset, "--workflow", cfg.workflow, "--input", cfg.inputSlot + "=" + st.dataset}
		for _, k := range sortedKeys(cfg.params) {
			start = append(start, "--param", k+"="+cfg.params[k])
		}
		fmt.Fprintf(w, "  %s\n", shellJoin(start))
		fmt.Fprintf(w, "  %s\n", shellJoin([]string{"data8", "job", "wait", st.dataset}))
		fmt.Fprintln(w, "  data8 dataset download OUTPUT_DATASET --out "+shellQuote(cfg.out)+"   (OUTPUT_DATASET: see data8 job get "+shellQuote(st.dataset)+")")
	}
}

// baseRunArgs is the command line of this run without the resume flags.
func (cfg *runConfig) baseRunArgs() []string {
	r := cfg.flags
	args := []string{"data8", "run", cfg.file, "--workflow", cfg.workflow, "--out", cfg.out}
	if r.outFormat != "" {
		args = append(args, "--out-format", r.outFormat)
	}
	if cfg.inputSlot != "Input" {
		args = append(args, "--input-slot", cfg.inputSlot)
	}
	if cfg.outputSlot != "Output" {
		args = append(args, "--output-slot", cfg.outputSlot)
	}
	for _, k := range sortedKeys(cfg.params) {
		args = append(args, "--param", k+"="+cfg.params[k])
	}
	if r.columns != "" {
		args = append(args, "--columns", r.columns)
	}
	if r.upload.format != "" {
		args = append(args, "--format", r.upload.format)
	}
	if r.upload.blockSize != 1000 {
		args = append(args, "--block-size", fmt.Sprint(r.upload.blockSize))
	}
	if r.wait.failed != "3" {
		args = append(args, "--failed-status", r.wait.failed)
	}
	if r.wait.done != "" {
		args = append(args, "--done-status", r.wait.done)
	}
	return args
}
