package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/client/batch"
	"github.com/data8-toolkit/data8/internal/termsafe"
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
	for _, k := range slices.Sorted(maps.Keys(m)) {
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
		t.row("percent complete", strconv.FormatFloat(batch.Percent(j), 'f', -1, 64))
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
		for _, k := range slices.Sorted(maps.Keys(j.Statistics)) {
			t.row("statistics."+k, cellText(j.Statistics[k]))
		}
	})
}

func (a *app) jobStart() *cobra.Command {
	c := &cobra.Command{Use: "start NAME", Short: "start a job", Args: exactly(1, "NAME"), Long: `Starts a job. Job names are unique; they may contain spaces but none of / : * ? " < > | \ and no control
character. Follow it with data8 job wait NAME.`, Example: `  data8 job start "Contacts March" --workflow CleanContacts --input Input=contacts_march`}
	workflow := c.Flags().String("workflow", "", "the `WORKFLOW` to run, as named by Data8; required")
	inputs := c.Flags().StringArray("input", nil, "`SLOT=DATASET`: a complete input dataset for a slot of the workflow (repeatable)")
	params := c.Flags().StringArray("param", nil, "`NAME=VALUE`: a parameter of the workflow (repeatable)")
	inputFile := c.Flags().String("input-file", "", "a `PATH` in the account's Data8 file area to use as input")
	asJSON := outputFormat(c)
	c.RunE = func(_ *cobra.Command, args []string) error {
		name := args[0]
		if err := checkJobName(name); err != nil {
			return err
		}
		if *workflow == "" {
			return usageErrorf("--workflow is required")
		}
		in, err := parsePairs("input", *inputs)
		if err != nil {
			return err
		}
		for slot, ds := range in {
			if err := checkDatasetName(ds); err != nil {
				return usageErrorf("bad --input %s=%s: %v", slot, ds, err)
			}
		}
		p, err := parsePairs("param", *params)
		if err != nil {
			return err
		}
		j, err := asJSON()
		if err != nil {
			return err
		}
		return a.withClient(func(c *client.Client) error {
			job, err := c.StartJob(a.ctx, client.NewJob{Name: name, WorkflowName: *workflow, InputFilename: *inputFile, InputDatasets: in, Parameters: p})
			if err != nil {
				return err
			}
			return a.printJob(job, j)
		})
	}
	return c
}

func (a *app) jobGet() *cobra.Command {
	return getCommand(a, "get NAME", "NAME", "show a job", "Shows a job: status, progress, datasets, parameters and statistics.",
		(*client.Client).GetJob, a.printJob)
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

func (a *app) jobList() *cobra.Command {
	c := &cobra.Command{Use: "list", Short: "list jobs, most recent first", Args: noArgs, Long: "Lists submitted jobs, most recent first."}
	workflow := c.Flags().String("workflow", "", "only jobs of `WORKFLOW`")
	since := c.Flags().String("since", "", "only jobs submitted at or after `T` (RFC 3339, YYYY-MM-DD, or a duration ago such as 24h)")
	until := c.Flags().String("until", "", "only jobs submitted at or before `T` (same forms as --since)")
	limit := c.Flags().Int("limit", 0, "list at most `N` jobs (0: all)")
	asJSON := outputFormat(c)
	c.RunE = func(_ *cobra.Command, _ []string) error {
		j, err := asJSON()
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
		return a.withClient(func(c *client.Client) error {
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
			if j {
				return writeJSON(a.stdout, views)
			}
			t := newTable(a.stdout, "NAME", "WORKFLOW", "SUBMITTED", "STATUS")
			for _, v := range views {
				t.row(v.Name, v.WorkflowName, fmtTime(&v.SubmittedAt), strconv.Itoa(v.Status))
			}
			return t.flush()
		})
	}
	return c
}

// waitFlags choose how a job's status codes are read, how often it is polled, and for how long.
type waitFlags struct {
	failed, done string
	interval     time.Duration
	timeout      time.Duration
}

const statusFlagsHelp = `Data8 does not document its job status codes, and data8 guesses none: without --failed-status, a job that
has finished (it has a completion time) is judged by its output dataset, and one whose output is missing or
incomplete is taken to have failed (exit 3). Ask Data8 for your workflow's codes and give them with
--failed-status and --done-status. (The built-in server's codes, 0 queued, 1 running, 2 completed and
3 failed, are its own: data8 demo uses them; against data8 serve, pass --failed-status 3 --done-status 2.)`

func (w *waitFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&w.failed, "failed-status", "", "status `CODES` (comma-separated) that mean the job failed, judged once it has finished (default: none; the output is judged)")
	c.Flags().StringVar(&w.done, "done-status", "", "status `CODES` that mean the job finished (default: the job has a completion time)")
	c.Flags().DurationVar(&w.interval, "poll", time.Second, "first `DELAY` between polls of the job (it grows up to 30s, by the job's own estimate)")
	c.Flags().DurationVar(&w.timeout, "timeout", 0, "give up after `DURATION` in all (0: no limit); the job goes on running on the server")
}

// statuses turns the flags into the workflow's status codes.
func (w *waitFlags) statuses() (client.JobStatuses, error) {
	failed, err := parseCodes("failed-status", w.failed)
	if err != nil {
		return client.JobStatuses{}, err
	}
	done, err := parseCodes("done-status", w.done)
	if err != nil {
		return client.JobStatuses{}, err
	}
	if w.interval <= 0 {
		return client.JobStatuses{}, usageErrorf("bad --poll %v: must be more than 0", w.interval)
	}
	if w.timeout < 0 {
		return client.JobStatuses{}, usageErrorf("bad --timeout %v: must be 0 (no limit) or more", w.timeout)
	}
	return client.JobStatuses{Done: done, Failed: failed}, nil
}

// bounded returns the invocation's context, ended after --timeout when one is given.
func (a *app) bounded(timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		return context.WithCancel(a.ctx)
	}
	return context.WithTimeout(a.ctx, timeout)
}

// timedOut rewrites an error from a command's --timeout passing.
func (a *app) timedOut(ctx context.Context, timeout time.Duration, err error) error {
	if err != nil && a.ctx.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("gave up after --timeout %v: %w", timeout, err)
	}
	return err
}

// waitNote is the progress display's note for a job as last read.
func waitNote(j *client.Job) string {
	note := fmt.Sprintf("status %d", j.Status)
	if j.EstimatedFinishTime.IsSet() && !client.JobFinished(j) {
		note += ", est. finish " + j.EstimatedFinishTime.Local().Format("15:04:05")
	}
	return note
}

func (a *app) jobWait() *cobra.Command {
	c := &cobra.Command{Use: "wait NAME", Short: "wait for a job to finish", Args: exactly(1, "NAME"), Long: `Waits for a job to finish, showing its progress (percent and estimated finish), then shows it. Exits 3
when the job failed.

` + statusFlagsHelp}
	var wf waitFlags
	wf.register(c)
	asJSON := outputFormat(c)
	c.RunE = func(_ *cobra.Command, args []string) error {
		codes, err := wf.statuses()
		if err != nil {
			return err
		}
		j, err := asJSON()
		if err != nil {
			return err
		}
		return a.withClient(func(c *client.Client) error {
			ctx, cancel := a.bounded(wf.timeout)
			defer cancel()
			prog := a.newProgress("job "+args[0], 100, "%")
			job, err := c.WaitJob(ctx, args[0], client.WaitOptions{Interval: wf.interval, Finished: codes.IsFinished, Failed: codes.IsFailed,
				Progress: func(j *client.Job) { prog.Set(int64(batch.Percent(j)), waitNote(j)) }})
			prog.Finish(err == nil)
			if err == nil && len(codes.Failed) == 0 {
				err = batch.CheckOutputs(ctx, c, job)
			}
			if job != nil && (err == nil || isJobFailed(err)) {
				if perr := a.printJob(job, j); perr != nil {
					return perr
				}
			}
			if err != nil && !isJobFailed(err) {
				fmt.Fprintf(a.stderr, "stopped waiting; job %s goes on running on the server (data8 job wait %s)\n", termsafe.String(args[0]), shellQuote(args[0]))
			}
			return a.timedOut(ctx, wf.timeout, err)
		})
	}
	return c
}
