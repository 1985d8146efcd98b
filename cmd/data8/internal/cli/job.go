package cli

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// jobView is a job as --output json prints it (the API's member names).
type jobView struct {
	Name                string            `json:"name"`
	WorkflowName        string            `json:"workflowName"`
	SubmittedAt         time.Time         `json:"submittedAt"`
	CompletedAt         *time.Time        `json:"completedAt,omitempty"`
	Status              int               `json:"status"`
	PercentComplete     float64           `json:"percentComplete"`
	EstimatedFinishTime *time.Time        `json:"estimatedFinishTime,omitempty"`
	Statistics          map[string]any    `json:"statistics,omitempty"`
	InputDatasets       map[string]string `json:"inputDatasets,omitempty"`
	OutputDatasets      map[string]string `json:"outputDatasets,omitempty"`
	Parameters          map[string]string `json:"parameters,omitempty"`
	InputFilename       string            `json:"inputFilename,omitempty"`
	OutputFilenames     map[string]string `json:"outputFilenames,omitempty"`
}

func viewJob(j *client.Job) jobView {
	return jobView{Name: j.Name, WorkflowName: j.WorkflowName, SubmittedAt: j.SubmittedAt.Time, CompletedAt: setTime(j.CompletedAt),
		Status: j.Status, PercentComplete: j.PercentComplete, EstimatedFinishTime: setTime(j.EstimatedFinishTime),
		Statistics: j.Statistics, InputDatasets: j.InputDatasets, OutputDatasets: j.OutputDatasets,
		Parameters: j.Parameters, InputFilename: j.InputFilename, OutputFilenames: j.OutputFilenames}
}

// jobRefView is a listed job as --output json prints it.
type jobRefView struct {
	Name         string    `json:"name"`
	WorkflowName string    `json:"workflowName"`
	SubmittedAt  time.Time `json:"submittedAt"`
	Status       int       `json:"status"`
	Location     string    `json:"location,omitempty"`
}

// fmtMap renders a string map as "k=v, k=v" in key order.
func fmtMap(m map[string]string) string {
	if len(m) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

func (a *app) printJob(j *client.Job, asJSON bool) error {
	return a.printDetails(asJSON, viewJob(j), func(t *table) {
		t.row("name", j.Name)
		t.row("workflow", j.WorkflowName)
		t.row("status", strconv.Itoa(j.Status))
		t.row("finished", yesNo(client.JobFinished(j)))
		t.row("percent complete", strconv.FormatFloat(j.PercentComplete, 'f', -1, 64))
		t.row("submitted", fmtTime(&j.SubmittedAt.Time))
		t.row("completed", fmtTime(setTime(j.CompletedAt)))
		t.row("estimated finish", fmtTime(setTime(j.EstimatedFinishTime)))
		t.row("input datasets", fmtMap(j.InputDatasets))
		t.row("output datasets", fmtMap(j.OutputDatasets))
		t.row("parameters", fmtMap(j.Parameters))
		if j.InputFilename != "" {
			t.row("input file", j.InputFilename)
		}
		if len(j.OutputFilenames) > 0 {
			t.row("output files", fmtMap(j.OutputFilenames))
		}
		for _, k := range sortedKeys(j.Statistics) {
			t.row("statistics."+k, cellText(j.Statistics[k]))
		}
	})
}

// checkJobName refuses a job name the API would refuse.
func checkJobName(name string) error {
	if strings.TrimSpace(name) == "" {
		return usageErrorf("bad job name %q: it is empty", name)
	}
	if i := strings.IndexAny(name, `/:*?"<>|\`); i >= 0 {
		return usageErrorf("bad job name %q: %q is not allowed in a job name (none of / : * ? \" < > | \\)", name, name[i:i+1])
	}
	return nil
}

func (a *app) cmdJobStart(args []string) error {
	fs := a.newFlagSet(a.cmd)
	workflow := fs.String("workflow", "", "the `WORKFLOW` to run, as named by Data8; required")
	var inputs, params listFlag
	fs.Var(&inputs, "input", "`SLOT=DATASET`: a complete input dataset for a slot of the workflow (repeatable)")
	fs.Var(&params, "param", "`NAME=VALUE`: a parameter of the workflow (repeatable)")
	inputFile := fs.String("input-file", "", "a `PATH` in the account's Data8 file area to use as input")
	pos, asJSON, err := a.parseOutput(fs, cmdSpec{args: "NAME", min: 1, max: 1, description: `
Starts a job. Job names are unique; they may contain spaces but none of / : * ? " < > | \.
Follow it with data8 job wait NAME.

  data8 job start "Contacts March" --workflow CleanContacts --input Input=contacts_march`}, args)
	if err != nil {
		return err
	}
	name := pos[0]
	if err := checkJobName(name); err != nil {
		return err
	}
	if *workflow == "" {
		return usageErrorf("--workflow is required")
	}
	in, err := parsePairs("input", inputs)
	if err != nil {
		return err
	}
	for slot, ds := range in {
		if err := checkDatasetName(ds); err != nil {
			return usageErrorf("bad --input %s=%s: %v", slot, ds, err)
		}
	}
	p, err := parsePairs("param", params)
	if err != nil {
		return err
	}
	return fetchAndPrint(a, asJSON, func(c *client.Client) (*client.Job, error) {
		return c.StartJob(a.ctx, client.NewJob{Name: name, WorkflowName: *workflow, InputFilename: *inputFile, InputDatasets: in, Parameters: p})
	}, a.printJob)
}

func (a *app) cmdJobGet(args []string) error {
	fs := a.newFlagSet(a.cmd)
	pos, asJSON, err := a.parseOutput(fs, cmdSpec{args: "NAME", min: 1, max: 1, description: "Shows a job: status, progress, datasets, parameters and statistics."}, args)
	if err != nil {
		return err
	}
	return fetchAndPrint(a, asJSON, func(c *client.Client) (*client.Job, error) {
		return c.GetJob(a.ctx, pos[0])
	}, a.printJob)
}

// parseWhen reads a --since/--until value: RFC 3339, a date (midnight UTC), or a duration meaning that
// long before now.
func parseWhen(flagName, s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, usageErrorf("bad --%s %q: want an RFC 3339 time (2024-03-01T09:00:00Z), a date (2024-03-01) or a duration ago (36h)", flagName, s)
}

func (a *app) cmdJobList(args []string) error {
	fs := a.newFlagSet(a.cmd)
	workflow := fs.String("workflow", "", "only jobs of `WORKFLOW`")
	since := fs.String("since", "", "only jobs submitted at or after `T` (RFC 3339, YYYY-MM-DD, or a duration ago such as 24h)")
	until := fs.String("until", "", "only jobs submitted at or before `T` (same forms as --since)")
	limit := fs.Int("limit", 0, "list at most `N` jobs (0: all)")
	_, asJSON, err := a.parseOutput(fs, cmdSpec{max: 0, description: "Lists submitted jobs, most recent first."}, args)
	if err != nil {
		return err
	}
	opts := client.ListJobsOptions{Workflow: *workflow}
	now := time.Now()
	if *since != "" {
		if opts.StartDate, err = parseWhen("since", *since, now); err != nil {
			return err
		}
	}
	if *until != "" {
		if opts.EndDate, err = parseWhen("until", *until, now); err != nil {
			return err
		}
	}
	if *limit < 0 {
		return usageErrorf("bad --limit %d: must be 0 or more", *limit)
	}
	c, err := a.newClient()
	if err != nil {
		return err
	}
	defer c.Close()
	views := []jobRefView{}
	for ref, err := range c.ListJobs(a.ctx, opts) {
		if err != nil {
			return err
		}
		views = append(views, jobRefView{Name: ref.Name, WorkflowName: ref.WorkflowName, SubmittedAt: ref.SubmittedAt.Time, Status: ref.Status, Location: ref.Location})
		if *limit > 0 && len(views) == *limit {
			break
		}
	}
	if asJSON {
		return writeJSON(a.stdout, views)
	}
	t := newTable(a.stdout, "NAME", "WORKFLOW", "SUBMITTED", "STATUS")
	for _, v := range views {
		t.row(v.Name, v.WorkflowName, fmtTime(&v.SubmittedAt), strconv.Itoa(v.Status))
	}
	return t.flush()
}

// waitFlags choose how a job's status codes are read and how often it is polled.
type waitFlags struct {
	failed, done string
	interval     time.Duration
}

func (w *waitFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&w.failed, "failed-status", "3", "status `CODES` (comma-separated) that mean the job failed; 3 is the built-in server's convention, ask Data8 for yours")
	fs.StringVar(&w.done, "done-status", "", "status `CODES` that mean the job finished (default: the job has a completion time)")
	fs.DurationVar(&w.interval, "poll", time.Second, "first `DELAY` between polls of the job (it doubles up to 30s)")
}

func parseCodes(flagName, s string) ([]int, error) {
	var out []int
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return nil, usageErrorf("bad --%s %q: want integers separated by commas", flagName, s)
		}
		out = append(out, n)
	}
	return out, nil
}

// options turns the flags into the client's WaitOptions, with progress shown on p.
func (w *waitFlags) options(p *progress) (client.WaitOptions, error) {
	failed, err := parseCodes("failed-status", w.failed)
	if err != nil {
		return client.WaitOptions{}, err
	}
	done, err := parseCodes("done-status", w.done)
	if err != nil {
		return client.WaitOptions{}, err
	}
	if w.interval <= 0 {
		return client.WaitOptions{}, usageErrorf("bad --poll %v: must be more than 0", w.interval)
	}
	opts := client.WaitOptions{Interval: w.interval}
	if len(failed) > 0 {
		opts.Failed = func(j *client.Job) bool {
			return slices.Contains(failed, j.Status) && (len(done) > 0 || client.JobFinished(j))
		}
	}
	if len(done) > 0 {
		opts.Finished = func(j *client.Job) bool { return slices.Contains(done, j.Status) }
	}
	if p != nil {
		opts.Progress = func(j *client.Job) {
			note := fmt.Sprintf("status %d", j.Status)
			if j.EstimatedFinishTime != nil && !j.EstimatedFinishTime.IsZero() && !client.JobFinished(j) {
				note += ", est. finish " + j.EstimatedFinishTime.Local().Format("15:04:05")
			}
			p.Set(int64(j.PercentComplete), note)
		}
	}
	return opts, nil
}

// waitJob waits for job name with a progress display; a failed job is a *jobFailedError.
func (a *app) waitJob(c *client.Client, name string, wf waitFlags) (*client.Job, error) {
	prog := a.newProgress("job "+name, 100, "%")
	opts, err := wf.options(prog)
	if err != nil {
		return nil, err
	}
	j, err := c.WaitJob(a.ctx, name, opts)
	prog.Finish(err == nil)
	var jf *client.JobFailedError
	if errors.As(err, &jf) {
		msg := fmt.Sprintf("job %s (workflow %s) failed with status %d", jf.Job.Name, jf.Job.WorkflowName, jf.Job.Status)
		if reason, ok := jf.Job.Statistics["error"]; ok {
			msg += ": " + cellText(reason)
		}
		return jf.Job, &jobFailedError{msg: msg}
	}
	return j, err
}

func (a *app) cmdJobWait(args []string) error {
	fs := a.newFlagSet(a.cmd)
	var wf waitFlags
	wf.register(fs)
	pos, asJSON, err := a.parseOutput(fs, cmdSpec{args: "NAME", min: 1, max: 1, description: `
Waits for a job to finish, showing its progress (percent and estimated finish), then shows it. Exits 3 when
the job failed. Data8 does not document its status codes: --failed-status and --done-status say which codes
mean what (the defaults follow the built-in server: 3 failed; finished when the job has a completion time).`}, args)
	if err != nil {
		return err
	}
	if _, err := wf.options(nil); err != nil {
		return err
	}
	c, err := a.newClient()
	if err != nil {
		return err
	}
	defer c.Close()
	j, err := a.waitJob(c, pos[0], wf)
	if j != nil && (err == nil || isJobFailed(err)) {
		if perr := a.printJob(j, asJSON); perr != nil {
			return perr
		}
	}
	if err != nil && a.interrupted(err) {
		fmt.Fprintf(a.stderr, "stopped waiting; job %s goes on running on the server (data8 job wait %s)\n", pos[0], shellQuote(pos[0]))
	}
	return err
}

func isJobFailed(err error) bool {
	var jf *jobFailedError
	return errors.As(err, &jf)
}
