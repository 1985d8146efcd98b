// Package cli is the data8 command: flags, printing and exit codes over the client and its batch
// package, on github.com/spf13/cobra. Main is the whole program with its world passed in, so tests
// drive it in process exactly as a user would.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/client/batch"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/redact"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// Exit codes of data8.
const (
	// ExitOK: the command did what it was asked.
	ExitOK = 0
	// ExitFailure: the command failed (bad input file, an API error, a network failure).
	ExitFailure = 1
	// ExitUsage: bad command line or configuration (unknown command or flag, bad flag value, missing
	// credentials). Nothing was sent.
	ExitUsage = 2
	// ExitJobFailed: the job ran and failed.
	ExitJobFailed = 3
	// ExitInterrupted: interrupted by Ctrl-C (SIGINT) or SIGTERM; what was done so far and how to resume is
	// printed.
	ExitInterrupted = 130
)

// exitCodesHelp documents the exit codes in every help text.
const exitCodesHelp = `Exit codes:
  0    success
  1    failure (bad input file, API or network error, --timeout passed)
  2    usage: unknown command or flag, bad flag value, missing configuration
  3    the job ran and failed (run, job wait)
  130  interrupted by Ctrl-C or SIGTERM (what was left and how to resume is printed)`

const configHelp = `Configuration (flags win over the environment):
  DATA8_BASE_URL       --base-url        API base URL (default https://api.data-8.co.uk)
  DATA8_TOKEN_URL      --token-url       OAuth2 token endpoint (default https://auth.data-8.co.uk/connect/token;
                                         required when the base URL is not the default)
  DATA8_CLIENT_ID      --client-id       OAuth2 client id
  DATA8_CLIENT_SECRET  --client-secret   OAuth2 client secret: prefer the environment, a flag is visible to
                                         other users of the machine in the process list
  The secret and access tokens are never printed, not even with --verbose. The secret is sent only to the
  token URL and access tokens only to the base URL's host and port; redirects are never followed.

Timeouts: connecting 10s, TLS handshake 10s, an answer's headers 90s, a whole request 2m (a token
  request 30s), with or without --verbose. A request that fails is tried up to 5 times in all. A server
  that throttles (429 or 503) is waited out for up to 10m from its first refusal of a request: its
  Retry-After is followed when it is 100ms or more; a shorter, missing or past one gets a wait of at least
  100ms that doubles with each refusal, up to 20s; a refused token is renewed at most once a second. While
  a request waits out throttling, "the server is busy" is printed on standard error (at the first wait,
  then at most every 30s); while it has had nothing from the server for 30s, "still waiting for the server
  (N s)", and again every 30s. job wait and run take --timeout, a bound on the whole command.`

// usageError is a bad command line or configuration: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// reportedError is an error already printed in full, with its exit code.
type reportedError struct {
	err  error
	code int
}

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// app is one invocation of data8.
type app struct {
	ctx     context.Context
	stdin   io.Reader
	stdout  io.Writer // redacting
	stderr  io.Writer // redacting
	getenv  func(string) string
	secrets *redact.Set
	g       globalFlags
	cmd     string // the command run, for messages: "run", "dataset upload"
	// maxColumns, when set, is the client's limit on the columns a dataset may list: the
	// --max-columns of a command that downloads.
	maxColumns int
	hooks      hooks
}

// hooks let tests reach into an invocation; the zero value is the real program.
type hooks struct {
	// demoServer are extra options for the server data8 demo starts (tests pass data8test.Validate).
	demoServer []data8test.Option
	// stallEvery replaces stallNoticeEvery (tests pass a few milliseconds).
	stallEvery time.Duration
	// terminal makes progress displays draw bars as on a terminal.
	terminal bool
	// interactive takes standard input for a terminal, where a command may ask a question.
	interactive bool
}

// Main runs data8 with args (without the program name) and returns the exit code. ctx is cancelled on
// SIGINT/SIGTERM by the caller; getenv reads the environment (os.Getenv in the real program).
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return mainWith(ctx, args, stdin, stdout, stderr, getenv, hooks{})
}

func mainWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, h hooks) int {
	secrets := &redact.Set{}
	a := &app{ctx: ctx, stdin: stdin, stdout: secrets.Writer(stdout), stderr: secrets.Writer(stderr), getenv: getenv, secrets: secrets, hooks: h}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if cmd != nil && cmd != root {
		a.cmd = strings.TrimPrefix(cmd.CommandPath(), root.Name()+" ")
	}
	return a.report(err)
}

// report prints err (if any) and returns the exit code.
func (a *app) report(err error) int {
	if err == nil {
		return ExitOK
	}
	var rep *reportedError
	if errors.As(err, &rep) {
		return rep.code
	}
	prefix := strings.TrimSpace("data8 " + a.cmd)
	code := a.exitCode(err)
	switch code {
	case ExitUsage:
		var ue *usageError
		errors.As(err, &ue)
		fmt.Fprintf(a.stderr, "%s: %s\n", prefix, termsafe.String(ue.msg))
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", prefix)
	case ExitInterrupted:
		fmt.Fprintf(a.stderr, "%s: interrupted\n", prefix)
	default:
		fmt.Fprintf(a.stderr, "%s: %s\n", prefix, describeError(err))
	}
	return code
}

// exitCode is the exit code for err.
func (a *app) exitCode(err error) int {
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		return ExitUsage
	case a.interrupted(err):
		return ExitInterrupted
	case isJobFailed(err):
		return ExitJobFailed
	}
	return ExitFailure
}

// isJobFailed reports whether err says the job ran and failed.
func isJobFailed(err error) bool {
	var jf *client.JobFailedError
	var oe *batch.OutputError
	return errors.As(err, &jf) || errors.As(err, &oe)
}

// interrupted reports whether err is the result of the invocation's context ending (a signal; not a
// --timeout, which is a failure).
func (a *app) interrupted(err error) bool {
	return a.ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, a.ctx.Err()))
}

// describeError renders an error for people: an API error as its problem's title and detail followed by
// every field error, one a line. Error texts quote the server, so every part is made safe for a terminal.
func describeError(err error) string {
	var oe *batch.OutputError
	if errors.As(err, &oe) {
		return termsafe.String(outputErrorText(oe))
	}
	var jf *client.JobFailedError
	if errors.As(err, &jf) {
		msg := fmt.Sprintf("job %s (workflow %s) failed with status %d", jf.Job.Name, jf.Job.WorkflowName, jf.Job.Status)
		if reason, ok := jf.Job.Statistics["error"]; ok {
			msg += ": " + cellText(reason)
		}
		return termsafe.String(msg)
	}
	var tm *client.TooManyColumnsError
	if errors.As(err, &tm) {
		flag := "--max-columns"
		if tm.Unlisted {
			flag = "--max-new-columns"
		}
		return termsafe.String(fmt.Sprintf("%s (%s %d; raise it to allow a wider file)", err, flag, tm.Limit))
	}
	var ae *client.APIError
	if !errors.As(err, &ae) {
		return termsafe.String(err.Error())
	}
	var b strings.Builder
	b.WriteString(termsafe.String(err.Error()))
	if ae.Problem.Title != "" || ae.Problem.Detail != "" {
		fmt.Fprintf(&b, "\n  status: %d", ae.StatusCode)
		if ae.Problem.Title != "" {
			fmt.Fprintf(&b, "\n  title:  %s", termsafe.String(ae.Problem.Title))
		}
		if ae.Problem.Detail != "" {
			fmt.Fprintf(&b, "\n  detail: %s", termsafe.String(ae.Problem.Detail))
		}
	}
	if len(ae.FieldErrors) > 0 {
		b.WriteString("\n  field errors:")
		keys := slices.Sorted(maps.Keys(ae.FieldErrors))
		const show = 50
		for i, k := range keys {
			if i == show {
				fmt.Fprintf(&b, "\n    ... and %d more", len(keys)-show)
				break
			}
			fmt.Fprintf(&b, "\n    %s: %s", termsafe.String(k), termsafe.String(strings.Join(ae.FieldErrors[k], "; ")))
		}
	}
	return b.String()
}

// outputErrorText says that a job was judged failed by its output, and how to tell data8 the
// workflow's codes instead.
func outputErrorText(oe *batch.OutputError) string {
	out := fmt.Sprintf("output dataset %s (slot %s)", oe.Dataset, oe.Slot)
	if oe.Dataset == "" {
		out = "output slot " + oe.Slot
	}
	return fmt.Sprintf("job %s finished with status %d, and its %s %s: data8 takes the job to have failed. "+
		"Data8 does not document status codes; if %d means failure for workflow %s, say so with --failed-status %d "+
		"(and --done-status with the codes of success): ask Data8 for your workflow's codes",
		oe.Job.Name, oe.Job.Status, out, oe.Problem, oe.Job.Status, oe.Job.WorkflowName, oe.Job.Status)
}

const rootLong = `data8 runs batch data-cleansing jobs on Data8's Administration & Batch Data Cleansing API.

Quick start (needs nothing but Go):
  data8 demo                      clean a bundled sample on a built-in server
  data8 serve                     run that server for your own experiments

Against Data8 (or any server that follows the contract):
  export DATA8_CLIENT_ID=... DATA8_CLIENT_SECRET=...
  data8 run contacts.csv --workflow CleanContacts --out contacts_clean.csv
  data8 conformance --report report   check the server against the contract, and see what it
                                      does where Data8's documentation is silent`

// rootCommand builds the command tree of one invocation.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "data8",
		Short:         "run batch data-cleansing jobs on Data8's API",
		Long:          rootLong,
		Version:       version(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE:          a.unknownCommand,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if cmd.HasParent() {
				a.cmd = strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
			}
			a.g.secretOnCommandLine = cmd.Flags().Changed("client-secret")
			return a.applyEnv(cmd)
		},
	}
	a.g.register(root.PersistentFlags())
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		defaultHelp(c, args)
		fmt.Fprintf(c.OutOrStdout(), "\n%s\n\n%s\n", configHelp, exitCodesHelp)
	})
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(
		a.runCommand(), a.demoCommand(), a.serveCommand(), a.conformanceCommand(),
		group(a, "dataset", "create, inspect, upload, complete and download datasets",
			a.datasetCreate(), a.datasetGet(), a.datasetList(), a.datasetUpload(), a.datasetComplete(), a.datasetDownload()),
		group(a, "job", "start, inspect, list and wait for jobs",
			a.jobStart(), a.jobGet(), a.jobList(), a.jobWait()),
		group(a, "apikey", "manage API keys of Data8's validation services",
			a.apiKeyList(), a.apiKeyCreate(), a.apiKeyGet(), a.apiKeyUpdate(), a.apiKeyDelete(), a.apiKeyAllowDomain(), a.apiKeyAllowIP()),
		group(a, "client-credential", "manage the OAuth clients of this API",
			a.clientCredentialList(), a.clientCredentialCreate(), a.clientCredentialGet()),
		&cobra.Command{
			Use:   "version",
			Short: "print data8's version (module version and source revision)",
			Args:  noArgs,
			Run:   func(c *cobra.Command, _ []string) { fmt.Fprintln(c.OutOrStdout(), version()) },
		},
	)
	return root
}

// group is a command holding subcommands; run alone, or with an unknown subcommand, it is a usage
// error that suggests the nearest subcommand.
func group(a *app, name, short string, subs ...*cobra.Command) *cobra.Command {
	g := &cobra.Command{Use: name, Short: short, Args: cobra.ArbitraryArgs, RunE: a.unknownCommand}
	g.AddCommand(subs...)
	return g
}

// unknownCommand is the RunE of the root and the groups: they take no arguments but a subcommand.
func (a *app) unknownCommand(c *cobra.Command, args []string) error {
	what := "subcommand"
	if !c.HasParent() {
		what = "command"
	}
	if len(args) == 0 {
		c.SetOut(a.stderr)
		c.Help()
		return usageErrorf("no %s given", what)
	}
	msg := fmt.Sprintf("unknown %s %q", what, args[0])
	c.SuggestionsMinimumDistance = 2
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(s, " or "))
	}
	return usageErrorf("%s", msg)
}

// version describes this build from its build information: the module version, and the source
// revision (with its time, and "modified" for a tree with changes) when it was built from a checkout.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "data8 (no build information)"
	}
	v := "data8 " + bi.Main.Version
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" {
		v += " (revision " + rev
		if at != "" {
			v += ", " + at
		}
		if modified {
			v += ", modified"
		}
		v += ")"
	}
	return v + ", " + bi.GoVersion
}
