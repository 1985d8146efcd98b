package cli

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/internal/names"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// globalFlags are accepted before or after the command, by every command.
type globalFlags struct {
	baseURL, tokenURL, clientID, clientSecret string
	verbose, insecureHTTP                     bool
	secretOnCommandLine                       bool // --client-secret was given
}

// The annotations of a flag: the environment variable it falls back to, and that its value is a
// secret (kept as given, and never shown).
const (
	annotationEnv    = "data8_env"
	annotationSecret = "data8_secret"
)

func (g *globalFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&g.baseURL, "base-url", "", "API base `URL` (default https://api.data-8.co.uk)")
	withEnv(fs, "base-url", "DATA8_BASE_URL")
	fs.StringVar(&g.tokenURL, "token-url", "", "OAuth2 token endpoint `URL` (required with another base URL)")
	withEnv(fs, "token-url", "DATA8_TOKEN_URL")
	fs.StringVar(&g.clientID, "client-id", "", "OAuth2 client `ID`")
	withEnv(fs, "client-id", "DATA8_CLIENT_ID")
	fs.StringVar(&g.clientSecret, "client-secret", "", "OAuth2 client `SECRET`: prefer the environment, a flag is visible to other users in the process list")
	withEnv(fs, "client-secret", "DATA8_CLIENT_SECRET")
	fs.SetAnnotation("client-secret", annotationSecret, []string{"true"})
	fs.BoolVar(&g.verbose, "verbose", false, "log each HTTP request (method, path, status, duration; never headers or secrets)")
	fs.BoolVar(&g.insecureHTTP, "insecure-http", false, "allow http:// URLs on hosts other than loopback (secrets would cross in clear text)")
}

// withEnv declares that flag name falls back to the environment variable env: the one place a
// variable is tied to its flag, and named in the flag's help.
func withEnv(fs *pflag.FlagSet, name, env string) {
	fs.SetAnnotation(name, annotationEnv, []string{env})
	f := fs.Lookup(name)
	f.Usage += " (env " + env + ")"
}

// applyEnv sets each flag of cmd that was not given on the command line from its environment
// variable, when that is set: the environment is read here and nowhere else.
func (a *app) applyEnv(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		env := f.Annotations[annotationEnv]
		if len(env) == 0 || f.Changed || err != nil {
			return
		}
		v := a.getenv(env[0])
		if len(f.Annotations[annotationSecret]) == 0 {
			v = strings.TrimSpace(v)
		}
		if v == "" {
			return
		}
		if e := f.Value.Set(v); e != nil {
			err = usageErrorf("bad %s: %v", env[0], e)
		}
	})
	return err
}

// noArgs, exactly and between check a command's positional arguments; args names them in errors.
var noArgs cobra.PositionalArgs = between(0, 0, "")

func exactly(n int, args string) cobra.PositionalArgs { return between(n, n, args) }

func between(lo, hi int, want string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		switch {
		case len(args) < lo:
			return usageErrorf("missing arguments: want %s", want)
		case len(args) > hi && hi == 0:
			return usageErrorf("unexpected argument %q", args[0])
		case len(args) > hi:
			return usageErrorf("too many arguments (%q): want %s", args[hi:], want)
		}
		return nil
	}
}

var (
	unknownFlagRE = regexp.MustCompile(`^unknown (?:shorthand )?flag: '?(-+[^' ]+)'?`)
	needsValueRE  = regexp.MustCompile(`^flag needs an argument: '?-*([^' ]+)'?`)
	badValueRE    = regexp.MustCompile(`^invalid argument "(.*)" for "(?:-\w, )?--([^"]+)" flag: (.*)$`)
)

// flagError rewrites an error of package pflag in the --flag spelling this command documents.
func flagError(err error) error {
	msg := err.Error()
	if m := unknownFlagRE.FindStringSubmatch(msg); m != nil {
		return usageErrorf("unknown flag %s", m[1])
	}
	if m := needsValueRE.FindStringSubmatch(msg); m != nil {
		return usageErrorf("flag --%s needs a value", m[1])
	}
	if m := badValueRE.FindStringSubmatch(msg); m != nil {
		reason := m[3]
		if i := strings.LastIndex(reason, ": "); i >= 0 {
			reason = reason[i+2:]
		}
		return usageErrorf("invalid value %q for flag --%s: %s", m[1], m[2], reason)
	}
	return usageErrorf("%s", msg)
}

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

// parseCodes reads a comma-separated list of status codes.
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

// columnSpec is one entry of a --columns flag: a column name and its type code.
type columnSpec struct {
	Name string
	Type int
}

// parseColumnSpec parses a --columns value such as "a,b,c" or "a:0,b:1" (the type code defaults to
// 0). Names must be valid column names and appear once.
func parseColumnSpec(spec string) ([]columnSpec, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, usageErrorf("bad --columns %q: no columns (want name[:type],...)", spec)
	}
	var out []columnSpec
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		name, code, hasCode := strings.Cut(strings.TrimSpace(part), ":")
		c := columnSpec{Name: name}
		if !names.Valid(name) {
			return nil, usageErrorf("bad --columns %q: %q is not a valid column name (lower-case letter first, then a-z, 0-9 or _)", spec, name)
		}
		if seen[name] {
			return nil, usageErrorf("bad --columns %q: column %q appears twice", spec, name)
		}
		seen[name] = true
		if hasCode {
			t, err := strconv.Atoi(code)
			if err != nil {
				return nil, usageErrorf("bad --columns %q: type code %q of column %q is not an integer", spec, code, name)
			}
			c.Type = t
		}
		out = append(out, c)
	}
	return out, nil
}

// outputFormat registers --output table|json on a read command and returns a function telling
// whether JSON was asked for.
func outputFormat(c *cobra.Command) func() (bool, error) {
	v := c.Flags().String("output", "table", "output `FORMAT`: table or json")
	return func() (bool, error) {
		switch *v {
		case "table":
			return false, nil
		case "json":
			return true, nil
		}
		return false, usageErrorf("bad --output %q: want table or json", *v)
	}
}

// getCommand is a command that reads one object by its name (or key, or id) and prints it, as a
// table or, with --output json, as JSON: data8 dataset get, job get, apikey get.
func getCommand[T any](a *app, use, arg, short, long string, get func(*client.Client, context.Context, string) (*T, error), print func(*T, bool) error) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Args: exactly(1, arg), Long: long}
	outputJSON := outputFormat(c)
	c.RunE = func(_ *cobra.Command, pos []string) error {
		asJSON, err := outputJSON()
		if err != nil {
			return err
		}
		return a.withClient(func(c *client.Client) error {
			v, err := get(c, a.ctx, pos[0])
			if err != nil {
				return err
			}
			return print(v, asJSON)
		})
	}
	return c
}

// checkDatasetName refuses a name the API would refuse, before anything is sent.
func checkDatasetName(name string) error {
	if !names.Valid(name) {
		return usageErrorf("bad dataset name %q: want a lower-case letter, then lower-case letters, digits or _", name)
	}
	return nil
}

// checkJobName refuses a job name the API would refuse, before anything is sent: the module's one
// rule, control characters included.
func checkJobName(name string) error {
	if p := names.JobNameProblem(name); p != "" {
		return usageErrorf("bad job name %q: %s", name, p)
	}
	return nil
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

// plural writes n and the noun that agrees with it.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// throttledLine is the line printed after a transfer the server throttled.
func throttledLine(what string, refused int64, smallest, concurrency int, unit, units string) string {
	return fmt.Sprintf("%s: the server refused %s for load (429/503); each was sent again after its Retry-After, with as few as %s at once (--concurrency %d)",
		what, plural(int(refused), unit+" request", unit+" requests"), plural(smallest, unit, units), concurrency)
}
