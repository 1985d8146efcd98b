// Package cli is the data8 command: every subcommand, its flags, its output and its exit codes. Main is the
// whole program with its world passed in, so tests drive it in process exactly as a user would.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
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
	// ExitJobFailed: the job ran and the service reported that it failed.
	ExitJobFailed = 3
	// ExitInterrupted: interrupted by Ctrl-C (SIGINT) or SIGTERM; what was done so far and how to resume is
	// printed.
	ExitInterrupted = 130
)

// exitCodesHelp documents the exit codes in every help text that needs them.
const exitCodesHelp = `Exit codes:
  0    success
  1    failure (bad input file, API or network error)
  2    usage: unknown command or flag, bad flag value, missing configuration
  3    the job ran and failed (run, job wait)
  130  interrupted by Ctrl-C or SIGTERM (the block to resume from is printed)`

// usageError is a bad command line or configuration: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// jobFailedError is a job that finished and failed: exit code 3.
type jobFailedError struct{ msg string }

func (e *jobFailedError) Error() string { return e.msg }

// errHelp is returned after help was printed on request: exit code 0.
var errHelp = errors.New("help printed")

// reportedError is an error already printed in full, with its exit code.
type reportedError struct {
	err  error
	code int
}

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// app is one invocation of data8.
type app struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer // redacting
	stderr io.Writer // redacting
	getenv func(string) string
	red    *redactor
	g      globalFlags
	cmd    string
	hooks  hooks
}

// hooks let tests reach into an invocation; the zero value is the real program.
type hooks struct {
	// demoServer are extra options for the server data8 demo starts (tests pass data8test.Validate).
	demoServer []data8test.Option
	// stallEvery replaces stallNoticeEvery (tests pass a few milliseconds).
	stallEvery time.Duration
}

// Main runs data8 with args (without the program name) and returns the exit code. ctx is cancelled on
// SIGINT/SIGTERM by the caller; getenv reads the environment (os.Getenv in the real program).
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return mainWith(ctx, args, stdin, stdout, stderr, getenv, hooks{})
}

func mainWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, h hooks) int {
	red := newRedactor()
	a := &app{
		ctx:    ctx,
		stdin:  stdin,
		stdout: &redactWriter{w: stdout, r: red},
		stderr: &redactWriter{w: stderr, r: red},
		getenv: getenv,
		red:    red,
		hooks:  h,
	}
	err := a.dispatch(args)
	return a.report(err)
}

// report prints err (if any) and returns the exit code.
func (a *app) report(err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return ExitOK
	}
	var rep *reportedError
	if errors.As(err, &rep) {
		return rep.code
	}
	prefix := "data8"
	if a.cmd != "" {
		prefix += " " + a.cmd
	}
	code := a.exitCode(err)
	switch code {
	case ExitUsage:
		var ue *usageError
		errors.As(err, &ue)
		fmt.Fprintf(a.stderr, "%s: %s\n", prefix, termsafe.String(ue.msg))
		fmt.Fprintf(a.stderr, "Run '%s -h' for usage.\n", prefix)
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
	var jf *jobFailedError
	var cjf *client.JobFailedError
	switch {
	case errors.As(err, &ue):
		return ExitUsage
	case a.interrupted(err):
		return ExitInterrupted
	case errors.As(err, &jf), errors.As(err, &cjf):
		return ExitJobFailed
	}
	return ExitFailure
}

// interrupted reports whether err is the result of the invocation's context ending.
func (a *app) interrupted(err error) bool {
	return a.ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, a.ctx.Err()))
}

// describeError renders an error for people: an API error as its problem's title and detail followed by
// every field error, one a line. Error texts quote the server, so every part is made safe for a terminal.
func describeError(err error) string {
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

// command is a subcommand or a group of them.
type command struct {
	name    string
	summary string
	run     func(a *app, args []string) error
	sub     []*command
}

func (a *app) commands() []*command {
	return []*command{
		{name: "run", summary: "upload a file, run a workflow on it and download the result", run: (*app).cmdRun},
		{name: "demo", summary: "clean a bundled sample of UK contacts on a built-in server (needs only Go)", run: (*app).cmdDemo},
		{name: "serve", summary: "run the built-in stand-in server until interrupted", run: (*app).cmdServe},
		{name: "dataset", summary: "create, inspect, upload, complete and download datasets", sub: []*command{
			{name: "create", summary: "create an input dataset", run: (*app).cmdDatasetCreate},
			{name: "get", summary: "show a dataset", run: (*app).cmdDatasetGet},
			{name: "list", summary: "list datasets", run: (*app).cmdDatasetList},
			{name: "upload", summary: "upload a CSV or JSON Lines file to an input dataset", run: (*app).cmdDatasetUpload},
			{name: "complete", summary: "mark an input dataset complete", run: (*app).cmdDatasetComplete},
			{name: "download", summary: "write a dataset's records to a CSV or JSON Lines file", run: (*app).cmdDatasetDownload},
		}},
		{name: "job", summary: "start, inspect, list and wait for jobs", sub: []*command{
			{name: "start", summary: "start a job", run: (*app).cmdJobStart},
			{name: "get", summary: "show a job", run: (*app).cmdJobGet},
			{name: "list", summary: "list jobs, most recent first", run: (*app).cmdJobList},
			{name: "wait", summary: "wait for a job to finish", run: (*app).cmdJobWait},
		}},
		{name: "apikey", summary: "manage API keys of Data8's validation services", sub: []*command{
			{name: "list", summary: "list API keys", run: (*app).cmdAPIKeyList},
			{name: "create", summary: "create an API key", run: (*app).cmdAPIKeyCreate},
			{name: "get", summary: "show an API key", run: (*app).cmdAPIKeyGet},
			{name: "update", summary: "update an API key", run: (*app).cmdAPIKeyUpdate},
			{name: "delete", summary: "delete an API key", run: (*app).cmdAPIKeyDelete},
			{name: "allow-domain", summary: "allow a domain to use an API key", run: (*app).cmdAPIKeyAllowDomain},
			{name: "allow-ip", summary: "allow a subnet to use an API key", run: (*app).cmdAPIKeyAllowIP},
		}},
		{name: "client-credential", summary: "manage the OAuth clients of this API", sub: []*command{
			{name: "list", summary: "list client credentials", run: (*app).cmdClientCredentialList},
			{name: "create", summary: "create a client credential", run: (*app).cmdClientCredentialCreate},
			{name: "get", summary: "show a client credential", run: (*app).cmdClientCredentialGet},
		}},
	}
}

const topHelp = `data8 runs batch data-cleansing jobs on Data8's Administration & Batch Data Cleansing API.

Usage:
  data8 [global flags] COMMAND [SUBCOMMAND] [flags] [args]

Quick start (needs nothing but Go):
  data8 demo                      clean a bundled sample on a built-in server
  data8 serve                     run that server for your own experiments

Against Data8 (or any server that follows the contract):
  export DATA8_CLIENT_ID=... DATA8_CLIENT_SECRET=...
  data8 run contacts.csv --workflow CleanContacts --out contacts_clean.csv
`

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
  request 30s). A request that fails is tried up to 5 times in all; a server that throttles (429, or 503
  with Retry-After) is waited out for up to 10m per request. While a request has had nothing from the
  server for 30s, "still waiting for the server (N s)" is printed on standard error, and again every 30s.`

// dispatch parses the global flags and runs the command args name.
func (a *app) dispatch(args []string) error {
	fs := a.newFlagSet("")
	rest, err := a.parseTop(fs, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		a.printGroupHelp(a.stderr, nil, "")
		return usageErrorf("no command given")
	}
	cmds := a.commands()
	path := ""
	for {
		name := rest[0]
		if name == "help" {
			if len(rest) > 1 {
				// "data8 help dataset upload" is "data8 dataset upload -h".
				return a.dispatch(append(append([]string{}, rest[1:]...), "-h"))
			}
			a.printGroupHelp(a.stdout, cmds, path)
			return errHelp
		}
		var c *command
		for _, have := range cmds {
			if have.name == name {
				c = have
			}
		}
		if c == nil {
			if path == "" {
				return usageErrorf("unknown command %q", name)
			}
			a.cmd = path
			return usageErrorf("unknown subcommand %q", name)
		}
		path = strings.TrimSpace(path + " " + name)
		rest = rest[1:]
		if c.run != nil {
			a.cmd = path
			return c.run(a, rest)
		}
		if len(rest) == 0 || rest[0] == "-h" || rest[0] == "--help" || rest[0] == "-help" {
			a.cmd = path
			w := a.stdout
			if len(rest) == 0 {
				w = a.stderr
			}
			a.printGroupHelp(w, c.sub, path)
			if len(rest) == 0 {
				return usageErrorf("no subcommand given")
			}
			return errHelp
		}
		cmds = c.sub
	}
}

// parseTop parses global flags that come before the command name.
func (a *app) parseTop(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.printGroupHelp(a.stdout, a.commands(), "")
			return nil, errHelp
		}
		return nil, flagError(err)
	}
	return fs.Args(), nil
}

func (a *app) printGroupHelp(w io.Writer, cmds []*command, path string) {
	if path == "" {
		fmt.Fprint(w, topHelp)
		cmds = a.commands()
		fmt.Fprintln(w, "\nCommands:")
	} else {
		fmt.Fprintf(w, "Usage:\n  data8 %s SUBCOMMAND [flags] [args]\n\nSubcommands:\n", path)
	}
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-20s %s\n", c.name, c.summary)
		if path == "" {
			for _, s := range c.sub {
				fmt.Fprintf(w, "    %-18s %s\n", s.name, s.summary)
			}
		}
	}
	fmt.Fprintf(w, "\nRun '%s -h' for a command's flags.\n\n", strings.Join(append(strings.Fields("data8 "+path), "COMMAND"), " "))
	fmt.Fprintln(w, globalFlagsHelp)
	fmt.Fprintln(w)
	fmt.Fprintln(w, configHelp)
	fmt.Fprintln(w)
	fmt.Fprintln(w, exitCodesHelp)
}
