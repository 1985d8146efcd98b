package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/data8-toolkit/data8/internal/termsafe"
)

// globalFlags are accepted before the command and by every command.
type globalFlags struct {
	baseURL, tokenURL, clientID, clientSecret string
	secretOnCommandLine                       bool
	verbose, insecureHTTP                     bool
}

const globalFlagsHelp = `Global flags (accepted before or after the command):
  --base-url URL        API base URL (env DATA8_BASE_URL)
  --token-url URL       OAuth2 token endpoint (env DATA8_TOKEN_URL)
  --client-id ID        OAuth2 client id (env DATA8_CLIENT_ID)
  --client-secret S     OAuth2 client secret (env DATA8_CLIENT_SECRET; prefer it: a flag is visible to
                        other users in the process list)
  --verbose             log each HTTP request (method, path, status, duration; never headers or secrets)
  --insecure-http       allow http:// URLs on hosts other than loopback (secrets would cross in clear text)`

// isGlobalFlag reports whether name is a global flag, left out of each command's own flag list.
func isGlobalFlag(name string) bool {
	switch name {
	case "base-url", "token-url", "client-id", "client-secret", "verbose", "insecure-http":
		return true
	}
	return false
}

// secretValue is the --client-secret flag: it remembers that the secret came from the command line and never
// prints its value (flag's help shows defaults).
type secretValue struct{ g *globalFlags }

func (s secretValue) String() string { return "" }
func (s secretValue) Set(v string) error {
	s.g.clientSecret, s.g.secretOnCommandLine = v, true
	return nil
}

func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.baseURL, "base-url", g.baseURL, "API base URL (env DATA8_BASE_URL)")
	fs.StringVar(&g.tokenURL, "token-url", g.tokenURL, "OAuth2 token endpoint (env DATA8_TOKEN_URL)")
	fs.StringVar(&g.clientID, "client-id", g.clientID, "OAuth2 client id (env DATA8_CLIENT_ID)")
	fs.Var(secretValue{g}, "client-secret", "OAuth2 client secret (env DATA8_CLIENT_SECRET; prefer it)")
	fs.BoolVar(&g.verbose, "verbose", g.verbose, "log each HTTP request")
	fs.BoolVar(&g.insecureHTTP, "insecure-http", g.insecureHTTP, "allow http:// URLs on hosts other than loopback")
}

// newFlagSet returns a flag set for a command with the global flags registered; it prints nothing itself.
func (a *app) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	a.g.register(fs)
	return fs
}

// cmdSpec describes a leaf command for its help text.
type cmdSpec struct {
	args        string // e.g. "NAME FILE"
	min, max    int    // positional arguments; max < 0 for any number
	description string
}

// parse parses args, flags and positional arguments in any order ("--" ends flags), checks the number of
// positional arguments, and prints the help on -h.
func (a *app) parse(fs *flag.FlagSet, spec cmdSpec, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			a.printCommandHelp(fs, spec)
			return nil, errHelp
		}
		if err != nil {
			return nil, flagError(err)
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	switch {
	case len(pos) < spec.min:
		return nil, usageErrorf("missing arguments: want %s", spec.args)
	case spec.max >= 0 && len(pos) > spec.max:
		if spec.max == 0 {
			return nil, usageErrorf("unexpected argument %q", pos[0])
		}
		return nil, usageErrorf("too many arguments (%q): want %s", pos[spec.max:], spec.args)
	}
	return pos, nil
}

// printCommandHelp prints a leaf command's usage, description and flags to standard output.
func (a *app) printCommandHelp(fs *flag.FlagSet, spec cmdSpec) {
	w := a.stdout
	fmt.Fprintf(w, "Usage:\n  data8 %s", a.cmd)
	if spec.args != "" {
		fmt.Fprintf(w, " %s", spec.args)
	}
	fmt.Fprint(w, " [flags]\n\n")
	fmt.Fprintln(w, strings.TrimSpace(spec.description))
	var own []string
	fs.VisitAll(func(f *flag.Flag) {
		if isGlobalFlag(f.Name) {
			return
		}
		kind, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if kind != "" {
			name += " " + kind
		}
		line := fmt.Sprintf("  %-24s %s", name, usage)
		if len(name) > 24 {
			line = fmt.Sprintf("  %s\n  %-24s %s", name, "", usage)
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" && f.DefValue != "-1" {
			line += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		own = append(own, line)
	})
	if len(own) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		for _, l := range own {
			fmt.Fprintln(w, l)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, globalFlagsHelp)
	fmt.Fprintln(w)
	fmt.Fprintln(w, exitCodesHelp)
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// parsePairs parses repeated NAME=VALUE flags into a map; flagName names the flag in errors.
func parsePairs(flagName string, values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(values))
	for _, v := range values {
		k, val, ok := strings.Cut(v, "=")
		if !ok {
			return nil, usageErrorf("bad --%s %q: want NAME=VALUE", flagName, v)
		}
		if strings.TrimSpace(k) == "" {
			return nil, usageErrorf("bad --%s %q: the name before = is empty", flagName, v)
		}
		if _, dup := out[k]; dup {
			return nil, usageErrorf("bad --%s %q: %q is given twice", flagName, v, k)
		}
		out[k] = val
	}
	return out, nil
}

// outputFlag is --output table|json of the read commands.
type outputFlag struct{ v string }

func (o *outputFlag) register(fs *flag.FlagSet) {
	o.v = "table"
	fs.StringVar(&o.v, "output", "table", "output `FORMAT`: table or json")
}

func (o *outputFlag) json() (bool, error) {
	switch o.v {
	case "table":
		return false, nil
	case "json":
		return true, nil
	}
	return false, usageErrorf("bad --output %q: want table or json", o.v)
}

// maxConcurrency is the client's limit on blocks sent at once.
const maxConcurrency = 64

// flagError rewrites an error of package flag in the --flag spelling this command documents.
func flagError(err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return usageErrorf("unknown flag --%s", strings.TrimPrefix(name, "-"))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return usageErrorf("flag --%s needs a value", strings.TrimPrefix(name, "-"))
	}
	msg = strings.Replace(msg, " for flag -", " for flag --", 1)
	return usageErrorf("%s", msg)
}

// uploadFlags are the flags of every command that uploads.
type uploadFlags struct {
	blockSize, concurrency, startBlock int
	format                             string
}

func (u *uploadFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&u.blockSize, "block-size", 1000, "`N` records per block, 1 to 1000 (resume with the same size)")
	fs.IntVar(&u.concurrency, "concurrency", 8, "`N` blocks uploaded at once, 1 to 64")
	fs.IntVar(&u.startBlock, "start-block", 0, "resume an interrupted upload from block `N` (printed when it stopped)")
	fs.StringVar(&u.format, "format", "", "input `FORMAT`: csv or jsonl (default: from the file's extension)")
}

func (u *uploadFlags) check() error {
	if u.blockSize < 1 || u.blockSize > 1000 {
		return usageErrorf("bad --block-size %d: a block holds 1 to 1000 records", u.blockSize)
	}
	if u.concurrency < 1 || u.concurrency > maxConcurrency {
		return usageErrorf("bad --concurrency %d: must be 1 to %d", u.concurrency, maxConcurrency)
	}
	if u.startBlock < 0 {
		return usageErrorf("bad --start-block %d: must be 0 or more", u.startBlock)
	}
	return nil
}

// isSet reports whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// shellJoin renders a command line that a POSIX shell reads back as args.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = shellQuote(a)
	}
	return strings.Join(out, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@+%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	if !termsafe.Safe(s) {
		// Control characters (from a server-supplied name) go in ANSI-C quotes, escaped: the line stays
		// safe to print and still pastes into bash or zsh as the same string.
		return "$'" + termsafe.String(strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s)) + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// parseOutput is parse for a command that prints a result: it registers --output on fs, parses args and
// returns the positional arguments and whether --output json was asked for.
func (a *app) parseOutput(fs *flag.FlagSet, spec cmdSpec, args []string) (pos []string, asJSON bool, err error) {
	var of outputFlag
	of.register(fs)
	if pos, err = a.parse(fs, spec, args); err != nil {
		return nil, false, err
	}
	asJSON, err = of.json()
	return pos, asJSON, err
}
