package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/data8-toolkit/data8/conformance"
	"github.com/data8-toolkit/data8/internal/names"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

const conformanceLong = `Runs the conformance suite against the configured server (Data8, a data8 serve sandbox, any server that
claims to follow the contract): every rule Data8's pages state, checked at every place it applies, and what
the server does where the pages are silent (the decided points D-1 ... D-14 of docs/contract.md).

Each case ends failed (a documented rule was broken; the documentation's words are quoted), observed (no
rule broken, but the server differs from a decided point: 201 for a create, pages of 500 ...), not run
(the run ended first), passed or skipped. One line per case goes to standard error as it ends; the summary
and the failures go to standard output.

--report DIR writes conformance.md (the report, with a discovery table: one row per decided point, what
this server did), conformance.json (the same, for machines: --baseline and data8 serve --observed read it),
observed.overlay.yaml (the spec changes the observations call for) and junit.xml (one test case per suite
case, for CI). --baseline compares with an earlier run's conformance.json, case by case and decided point
by decided point, and reports the drift (in the report, and in short on standard error).

The suite needs a workflow of the account that copies its input dataset to its output dataset unchanged
(--workflow, --input-slot, --output-slot); ask Data8 for one. It leaves on the account what the API
cannot delete: datasets, jobs and an OAuth client, every name starting with --prefix and a random run id;
the cost is printed before the run starts. The scale tier (--scale) adds 2 datasets of 9,623 records in
all, a job over 5,003 of them, 3 empty datasets and a job of the shortest names the account does not
hold (a, a_, a0, +: without the prefix, they use up the account's one-character names), and 101 jobs that fill
a page of the job list: when it adds anything to the cases selected, it asks first, and needs --yes when
standard input is not a terminal.

Exit codes of this command:
  0    no documented rule failed and every case ran (observed differences do not count)
  1    a rule failed, a case did not run (--timeout, the server stopped answering), the run was declined,
       the report could not be written, or (--fail-on-drift) anything changed since --baseline
  2    usage: bad flag, --case selecting nothing, unreadable --baseline, missing configuration; nothing sent
  130  interrupted by Ctrl-C or SIGTERM (the report of what ran is still written)`

// conformanceFlags are the flags of data8 conformance.
type conformanceFlags struct {
	report, cases, baseline                 string
	list, scale, manyJobs, yes, failOnDrift bool
	proxy                                   bool
	workflow, inputSlot, outputSlot, prefix string
	otherWorkflow, otherInputSlot           string
	skip                                    []string
	timeout, jobTimeout, poll               time.Duration
}

// modelCase is the case whose cost Estimate gives as a bound: the run's cost is printed without it,
// and its bound beside.
const modelCase = "MODEL-SEQUENCES"

func (a *app) conformanceCommand() *cobra.Command {
	c := &cobra.Command{Use: "conformance", Short: "check the server against the contract, and report what it does where the docs are silent",
		Long: conformanceLong, Args: noArgs,
		Example: "  data8 conformance --workflow Echo --report conformance-report\n" +
			"  data8 conformance --case 'UPLOAD-*,JOB-UNIQUE' --report report\n" +
			"  data8 conformance --report report --baseline last-week/conformance.json --fail-on-drift\n" +
			"  data8 conformance --list --scale"}
	var f conformanceFlags
	fs := c.Flags()
	fs.StringVar(&f.report, "report", "", "write conformance.md, conformance.json, observed.overlay.yaml and junit.xml into `DIR`")
	withEnv(fs, "report", conformance.EnvReport)
	fs.StringVar(&f.cases, "case", "", "run only the cases `PATTERNS` select: case ids or globs, comma-separated (UPLOAD-*,JOB-404); the others are reported skipped")
	fs.BoolVar(&f.list, "list", false, "list the cases (those --case selects) and what a run of them creates, and exit")
	fs.StringVar(&f.workflow, "workflow", "Echo", "a `WORKFLOW` of the account that copies its input dataset to its output dataset unchanged")
	withEnv(fs, "workflow", conformance.EnvWorkflow)
	fs.StringVar(&f.inputSlot, "input-slot", "Input", "the workflow's input `SLOT`")
	withEnv(fs, "input-slot", conformance.EnvWorkflowIn)
	fs.StringVar(&f.outputSlot, "output-slot", "Output", "the workflow's output `SLOT`")
	withEnv(fs, "output-slot", conformance.EnvWorkflowOut)
	fs.StringVar(&f.otherWorkflow, "other-workflow", "", "optional: a second `WORKFLOW` of the account; JOB-LIST-FILTERS then starts one job of it and checks that a workflow filter keeps only the workflow named (skipped without)")
	withEnv(fs, "other-workflow", conformance.EnvOtherWF)
	fs.StringVar(&f.otherInputSlot, "other-input-slot", "", "the input `SLOT` of --other-workflow (default: --input-slot)")
	withEnv(fs, "other-input-slot", conformance.EnvOtherWFIn)
	fs.BoolVar(&f.scale, "scale", false, "run the scale tier too (records and jobs at real size and concurrency; see above): asks first")
	withEnv(fs, "scale", conformance.EnvScale)
	fs.BoolVar(&f.yes, "yes", false, "run the scale tier without asking (needed when standard input is not a terminal)")
	fs.BoolVar(&f.manyJobs, "many-jobs", false, "let JOB-LIST-PAGE-100 start 101 jobs to fill a page of the job list (--scale does)")
	withEnv(fs, "many-jobs", conformance.EnvManyJobs)
	fs.StringSliceVar(&f.skip, "skip", nil, "case `IDS` not to run, comma-separated")
	withEnv(fs, "skip", conformance.EnvSkip)
	fs.StringVar(&f.prefix, "prefix", "conf_", "`PREFIX` of every name the run creates (a random run id follows)")
	withEnv(fs, "prefix", conformance.EnvPrefix)
	fs.BoolVar(&f.proxy, "validating-proxy", false, "the server is behind a proxy that refuses requests breaking the spec (Prism --errors): skip the cases that send them on purpose")
	withEnv(fs, "validating-proxy", conformance.EnvProxy)
	fs.DurationVar(&f.timeout, "timeout", 2*time.Hour, "bound on the whole run: after `DURATION`, the case running is stopped and the cases left are reported not run")
	fs.DurationVar(&f.jobTimeout, "job-timeout", 10*time.Minute, "give up waiting for one job after `DURATION`")
	withEnv(fs, "job-timeout", conformance.EnvJobTimeout)
	fs.DurationVar(&f.poll, "poll", time.Second, "first `DELAY` between polls of a job")
	fs.StringVar(&f.baseline, "baseline", "", "compare with the conformance.json `FILE` of an earlier run and report the drift")
	fs.BoolVar(&f.failOnDrift, "fail-on-drift", false, "exit 1 when anything changed since --baseline (a case's result, what the server does at a decided point)")
	c.RunE = func(_ *cobra.Command, _ []string) error { return a.conformance(f) }
	return c
}

// config turns the flags into the suite's Config (without the server, which the global flags name).
func (f *conformanceFlags) config() (conformance.Config, []conformance.Case, error) {
	switch {
	case f.timeout <= 0:
		return conformance.Config{}, nil, usageErrorf("bad --timeout %v: must be more than 0 (the run is always bounded)", f.timeout)
	case f.jobTimeout <= 0:
		return conformance.Config{}, nil, usageErrorf("bad --job-timeout %v: must be more than 0", f.jobTimeout)
	case f.poll <= 0:
		return conformance.Config{}, nil, usageErrorf("bad --poll %v: must be more than 0", f.poll)
	case f.failOnDrift && f.baseline == "":
		return conformance.Config{}, nil, usageErrorf("--fail-on-drift needs --baseline: there is nothing to compare with")
	}
	for _, s := range []struct{ flag, value string }{{"workflow", f.workflow}, {"input-slot", f.inputSlot}, {"output-slot", f.outputSlot}} {
		if strings.TrimSpace(s.value) == "" {
			return conformance.Config{}, nil, usageErrorf("bad --%s: empty", s.flag)
		}
	}
	if !names.Valid(f.prefix) {
		return conformance.Config{}, nil, usageErrorf("bad --prefix %q: every name the run creates starts with it, so it must be a dataset name (a lower-case letter, then lower-case letters, digits or _)", f.prefix)
	}
	selected, err := conformance.Select(f.cases)
	if err != nil {
		msg := strings.TrimSuffix(strings.TrimPrefix(err.Error(), "conformance: "), " (Cases lists them)")
		return conformance.Config{}, nil, usageErrorf("bad --case: %s (--list lists the cases)", msg)
	}
	all := conformance.Cases()
	var skip []string
	for _, id := range f.skip {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if !slices.ContainsFunc(all, func(c conformance.Case) bool { return strings.EqualFold(c.ID, id) }) {
			return conformance.Config{}, nil, usageErrorf("bad --skip: there is no case %q (--list lists the cases)", id)
		}
		skip = append(skip, id)
	}
	cfg := conformance.Config{
		Workflow: f.workflow, WorkflowInput: f.inputSlot, WorkflowOutput: f.outputSlot,
		OtherWorkflow: f.otherWorkflow, OtherWorkflowInput: f.otherInputSlot,
		Prefix: f.prefix, BehindValidatingProxy: f.proxy, ManyJobs: f.manyJobs, Scale: f.scale,
		Skip: skip, Cases: f.cases,
		JobPollInterval: f.poll, JobTimeout: f.jobTimeout, RunTimeout: f.timeout,
	}
	return cfg, selected, nil
}

// conformance is data8 conformance.
func (a *app) conformance(f conformanceFlags) error {
	cfg, selected, err := f.config()
	if err != nil {
		return err
	}
	if f.list {
		return a.listCases(cfg, selected)
	}
	var baseline *conformance.Report
	if f.baseline != "" {
		if baseline, err = conformance.ReadReportFile(f.baseline); err != nil {
			return usageErrorf("bad --baseline: %s", strings.TrimPrefix(err.Error(), "conformance: "))
		}
	}
	if f.report != "" {
		if err := checkReportDir(f.report); err != nil {
			return usageErrorf("bad --report %s: %v", f.report, err)
		}
	}
	// The configuration is checked as every command checks it (credentials, URLs, http:// off
	// loopback) before anything is printed, asked or sent.
	c, err := a.newClient()
	if err != nil {
		return err
	}
	c.Close()
	if cfg.BaseURL, cfg.TokenURL, err = a.endpoints(); err != nil {
		return err
	}
	cfg.ClientID, cfg.ClientSecret, cfg.InsecureHTTP = a.g.clientID, a.g.clientSecret, a.g.insecureHTTP
	if a.g.verbose {
		log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg.Transport = &logTransport{base: http.DefaultTransport.(*http.Transport).Clone(), log: log, a: a}
	}

	scale, err := a.printCost(cfg, len(selected))
	if err != nil {
		return err
	}
	if scale != (conformance.Cost{}) && !f.yes {
		if err := a.consent(); err != nil {
			return err
		}
	}

	picked := map[string]bool{}
	for _, c := range selected {
		picked[c.ID] = true
	}
	done := 0
	cfg.Progress = func(p conformance.Progress) {
		if !picked[p.Case.ID] {
			return // not selected: one line for each case that runs
		}
		done++
		fmt.Fprintln(a.stderr, termsafe.String(conformance.Progress{Case: p.Case, Done: done, Total: len(selected)}.String()))
	}
	start := time.Now()
	rep, err := conformance.Run(a.ctx, cfg)
	if err != nil {
		// A Config the suite refuses (checked above as far as the command can): nothing was sent.
		return a.configError(err)
	}
	var drift *conformance.Drift
	if baseline != nil {
		drift = rep.CompareWith(baseline)
	}
	var paths []string
	var writeErr error
	if f.report != "" {
		paths, writeErr = rep.WriteFiles(f.report)
	}
	a.printOutcome(rep, f, paths, time.Since(start))
	if drift != nil {
		a.printDrift(drift)
	}

	switch {
	case a.ctx.Err() != nil:
		fmt.Fprintln(a.stderr, "data8 conformance: interrupted; the cases left are reported not run")
		return &reportedError{err: a.ctx.Err(), code: ExitInterrupted}
	case writeErr != nil:
		return fmt.Errorf("writing the report into %s: %w", f.report, writeErr)
	case !rep.OK():
		return &reportedError{err: errors.New("the server broke the contract, or cases did not run"), code: ExitFailure}
	case f.failOnDrift && drift.Changed():
		fmt.Fprintln(a.stderr, "data8 conformance: exit 1: something changed since the baseline (--fail-on-drift)")
		return &reportedError{err: errors.New("drift"), code: ExitFailure}
	}
	return nil
}

// listCases prints the cases selected, one a line, and what a run of them under cfg creates.
func (a *app) listCases(cfg conformance.Config, selected []conformance.Case) error {
	t := newTable(a.stdout, "CASE", "KIND", "POINT", "CREATES")
	for _, c := range selected {
		t.row(c.ID, string(c.Kind), or(c.Decision, "-"), or(c.Creates, "-"))
	}
	if err := t.flush(); err != nil {
		return err
	}
	rest, model, err := splitEstimate(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s; %s\n", plural(len(selected), "case", "cases"), costText(rest, model))
	return nil
}

// or returns s, or alt when s is empty.
func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// splitEstimate returns what a run of cfg creates without MODEL-SEQUENCES (exactly), and what
// MODEL-SEQUENCES creates at most (zero when it does not run).
func splitEstimate(cfg conformance.Config) (rest, model conformance.Cost, err error) {
	without := cfg
	without.Skip = append(slices.Clone(cfg.Skip), modelCase)
	if rest, err = conformance.Estimate(without); err != nil {
		return rest, model, err
	}
	all, err := conformance.Estimate(cfg)
	if err != nil {
		return rest, model, err
	}
	model = all.Sub(rest)
	return rest, model, nil
}

// costText says what a run creates on the account.
func costText(rest, model conformance.Cost) string {
	s := "creates " + costWords(rest)
	if model != (conformance.Cost{}) {
		s += fmt.Sprintf("; the random operation sequences of %s at most %s more (usually far fewer)", modelCase, costWords(model))
	}
	return s
}

// costWords says a Cost in words: "138 input datasets holding 6,669 records, 15 jobs (each with its
// output datasets)".
func costWords(c conformance.Cost) string {
	if c == (conformance.Cost{}) {
		return "nothing"
	}
	s := strings.Replace(c.String(), "datasets,", "input datasets,", 1)
	s = strings.Replace(s, "dataset,", "input dataset,", 1)
	return s
}

// printCost prints on standard error what the run creates on the account, and returns what the
// scale tier adds of it (nothing without --scale).
func (a *app) printCost(cfg conformance.Config, cases int) (scale conformance.Cost, err error) {
	rest, model, err := splitEstimate(cfg)
	if err != nil {
		return scale, usageErrorf("%s", strings.TrimPrefix(err.Error(), "conformance: "))
	}
	fmt.Fprintf(a.stderr, "data8 conformance: %s against %s. What the run creates stays on the account (the API cannot delete it; names start with %s): it %s\n",
		plural(cases, "case", "cases"), termsafe.String(cfg.BaseURL), termsafe.String(cfg.Prefix), costText(rest, model))
	if !cfg.Scale {
		return scale, nil
	}
	small := cfg
	small.Scale = false
	without, err := conformance.Estimate(small)
	if err != nil {
		return scale, usageErrorf("%s", strings.TrimPrefix(err.Error(), "conformance: "))
	}
	all, err := conformance.Estimate(cfg)
	if err != nil {
		return scale, usageErrorf("%s", strings.TrimPrefix(err.Error(), "conformance: "))
	}
	scale = all.Sub(without)
	if scale == (conformance.Cost{}) {
		fmt.Fprintln(a.stderr, "data8 conformance: the scale tier (--scale) adds nothing to the cases selected")
	} else {
		fmt.Fprintf(a.stderr, "data8 conformance: of that, the scale tier (--scale) creates %s\n", costWords(scale))
	}
	return scale, nil
}

// consent asks whether to run the scale tier, which spends the account's records, jobs and OAuth clients, when
// standard input is a terminal, and is a usage error when it is not (--yes says yes).
func (a *app) consent() error {
	if !a.hooks.interactive && !isTerminalReader(a.stdin) {
		return usageErrorf("--scale spends the account's records, jobs and OAuth clients (above): pass --yes to run it (standard input is not a terminal, so data8 cannot ask)")
	}
	fmt.Fprint(a.stderr, "Run the scale tier, creating this on the account? [y/N] ")
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(io.LimitReader(a.stdin, 1024)).ReadString('\n')
		answer <- line
	}()
	select {
	case <-a.ctx.Done():
		return a.ctx.Err()
	case line := <-answer:
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return nil
		}
	}
	fmt.Fprintln(a.stderr, "data8 conformance: declined; nothing was sent")
	return &reportedError{err: errors.New("declined"), code: ExitFailure}
}

// isTerminalReader reports whether r is a terminal.
func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// checkReportDir makes sure the report can be written into dir before the run spends anything: it
// creates dir (readable by its owner only) if need be and writes a file there.
func checkReportDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".data8-conformance-*.tmp")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// printOutcome prints the summary, the failures and the cases not run on standard output.
func (a *app) printOutcome(rep *conformance.Report, f conformanceFlags, paths []string, took time.Duration) {
	w := a.stdout
	fmt.Fprintln(w, termsafe.String(rep.Summary()))
	if rep.Interrupted != "" {
		line := "the run ended early: " + rep.Interrupted
		if a.ctx.Err() == nil && took >= f.timeout {
			line += fmt.Sprintf(" (--timeout %v)", f.timeout)
		}
		fmt.Fprintln(w, termsafe.String(line))
	}
	const show = 8
	for _, c := range rep.Cases {
		switch c.Status {
		case conformance.Failed:
			fmt.Fprintf(w, "FAILED %s: %s\n", termsafe.String(c.ID), termsafe.String(c.Rule))
			for i, msg := range c.Failures {
				if i == show {
					fmt.Fprintf(w, "    ... and %d more (see the report)\n", len(c.Failures)-show)
					break
				}
				fmt.Fprintf(w, "    %s\n", termsafe.String(msg))
			}
		case conformance.NotRun:
			fmt.Fprintf(w, "NOT RUN %s: %s\n", termsafe.String(c.ID), termsafe.String(c.SkipReason))
		}
	}
	var observed []string
	for _, c := range rep.Cases {
		if c.Status == conformance.Observed {
			observed = append(observed, c.ID)
		}
	}
	if len(observed) > 0 {
		fmt.Fprintf(w, "observed (the server differs from a decided point; not a failure): %s\n", termsafe.String(strings.Join(observed, ", ")))
	}
	if len(paths) > 0 {
		names := make([]string, len(paths))
		for i, p := range paths {
			names[i] = filepath.Base(p)
		}
		fmt.Fprintf(w, "report written into %s: %s\n", termsafe.String(f.report), strings.Join(names, ", "))
	}
}

// printDrift prints the drift since the baseline on standard error, in short.
func (a *app) printDrift(d *conformance.Drift) {
	w := a.stderr
	fmt.Fprintf(w, "data8 conformance: drift since run %s (%s): %s changed result, %s changed\n",
		termsafe.String(d.Baseline.RunID), d.Baseline.Started.UTC().Format(time.RFC3339),
		plural(len(d.Cases), "case", "cases"), plural(len(d.Points), "decided point", "decided points"))
	for _, c := range d.Cases {
		fmt.Fprintf(w, "  %s: %s, now %s\n", termsafe.String(c.ID), c.Before, c.After)
	}
	for _, p := range d.Points {
		where := p.Point
		if p.Where != "" {
			where += " " + p.Where
		}
		fmt.Fprintf(w, "  %s: was %s; now %s\n", termsafe.String(where), termsafe.String(strings.Join(p.Before, "; ")), termsafe.String(strings.Join(p.After, "; ")))
	}
}
