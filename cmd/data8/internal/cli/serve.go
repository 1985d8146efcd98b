package cli

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/data8-toolkit/data8/conformance"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

const serveHelp = `
Runs the built-in stand-in for Data8 (data8test) until Ctrl-C or SIGTERM, then exits 0. It holds everything
in memory. It prints the export lines that point data8 (or any client) at it, on standard output:

  export DATA8_BASE_URL=http://127.0.0.1:8080
  export DATA8_TOKEN_URL=http://127.0.0.1:8080/connect/token
  export DATA8_CLIENT_ID=data8test-...
  export DATA8_CLIENT_SECRET=...

This is the one place data8 prints a client secret: it is the sandbox's own, random credential, valid
only against this process, not a Data8 secret. Job status codes follow the sandbox's own convention (0
queued, 1 running, 2 completed, 3 failed), which is not Data8's: give it to data8 run and data8 job wait
with --failed-status 3 --done-status 2 (without them, a finished job is judged by its output). Its
workflows are Echo and CleanContacts (slots Input and Output).

--profile switches the sandbox, where Data8's documentation is silent, to another reading a real
ASP.NET Core service could have made (201 on creates, zone-less .NET times, 500 records a page, gzip ...),
to try a client against it; "all" turns every profile on. --observed takes the conformance.json of a
data8 conformance run and switches on what matches what that run's server did at each decided point (its
profiles, its page size), so that your tests run against what Data8 really does; it prints what it switched
on, and each observation it could not reproduce. --max-in-flight and --rate throttle the API
(never the token endpoint) with 429 and Retry-After: 1, as a busy service does. The profiles are:
`

// profileList names every profile of the sandbox, for the help and for errors.
func profileList() string {
	var names []string
	for _, p := range data8test.Profiles() {
		names = append(names, string(p))
	}
	return strings.Join(names, ", ")
}

// parseProfiles reads the value of --profile: profile names separated by commas, or "all".
func parseProfiles(v string) ([]data8test.Profile, error) {
	var out []data8test.Profile
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
		case name == "all":
			out = append(out, data8test.Profiles()...)
		case slices.Contains(data8test.Profiles(), data8test.Profile(name)):
			out = append(out, data8test.Profile(name))
		default:
			return nil, usageErrorf("unknown profile %q for --profile; the profiles are all, %s", name, profileList())
		}
	}
	return out, nil
}

func (a *app) serveCommand() *cobra.Command {
	c := &cobra.Command{Use: "serve", Short: "run the built-in stand-in server until interrupted", Long: serveHelp + "  " + profileList() + ".", Args: noArgs}
	fs := c.Flags()
	addr := fs.String("addr", "127.0.0.1:8080", "`ADDR` to listen on (host:port; port 0 picks a free one)")
	latency := fs.Duration("latency", 0, "`DELAY` added to every API request, as a network round trip would")
	jobDuration := fs.Duration("job-duration", 2*time.Second, "how long (`DURATION`) a job takes")
	maxInFlight := fs.Int("max-in-flight", 0, "answer 429 with Retry-After when more than `N` API requests are in flight (0: no limit)")
	ratePerSec := fs.Float64("rate", 0, "answer 429 with Retry-After to API requests over `R` a second (0: no limit)")
	profile := fs.String("profile", "", "`NAMES` of profiles to turn on, separated by commas, or all (see below)")
	observed := fs.String("observed", "", "answer as the server of a data8 conformance run did: its conformance.json (`FILE`)")
	c.RunE = func(_ *cobra.Command, _ []string) error {
		if *latency < 0 || *jobDuration < 0 {
			return usageErrorf("--latency and --job-duration must not be negative")
		}
		if *maxInFlight < 0 || *ratePerSec < 0 || math.IsNaN(*ratePerSec) || math.IsInf(*ratePerSec, 0) {
			return usageErrorf("--max-in-flight and --rate must be 0 (no limit) or more")
		}
		profiles, err := parseProfiles(*profile)
		if err != nil {
			return err
		}
		var repro *data8test.Reproduction
		var observedRun *conformance.Report
		if *observed != "" {
			if observedRun, err = conformance.ReadReportFile(*observed); err != nil {
				return usageErrorf("bad --observed: %s", strings.TrimPrefix(err.Error(), "conformance: "))
			}
			r := data8test.Reproduce(observedRun)
			repro = &r
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return fmt.Errorf("cannot start the sandbox: %v", err)
		}
		opts := []data8test.Option{data8test.WithListener(ln), data8test.WithLatency(*latency), data8test.WithJobDuration(*jobDuration),
			data8test.WithProfile(profiles...), data8test.WithMaxInFlight(*maxInFlight), data8test.WithRateLimit(*ratePerSec)}
		if repro != nil {
			opts = append(opts, repro.Option())
		}
		srv := data8test.NewServer(opts...)
		defer srv.Close()
		if repro != nil {
			a.printReproduction(observedRun, *repro)
		}
		if w := offLoopbackWarning(*addr); w != "" {
			fmt.Fprintln(a.stderr, w)
		}
		fmt.Fprintf(a.stderr, "data8 sandbox listening on %s (Ctrl-C to stop); point data8 at it with:\n", srv.URL)
		fmt.Fprintf(a.stdout, "export DATA8_BASE_URL=%s\n", srv.URL)
		fmt.Fprintf(a.stdout, "export DATA8_TOKEN_URL=%s\n", srv.TokenURL)
		fmt.Fprintf(a.stdout, "export DATA8_CLIENT_ID=%s\n", shellQuote(srv.ClientID))
		fmt.Fprintf(a.stdout, "export DATA8_CLIENT_SECRET=%s\n", shellQuote(srv.ClientSecret))
		fmt.Fprintln(a.stderr, "its job status codes are its own: pass --failed-status 3 --done-status 2 to data8 run and data8 job wait against it")
		<-a.ctx.Done()
		fmt.Fprintln(a.stderr, "data8 sandbox stopped")
		return nil
	}
	return c
}

// offLoopbackWarning is the warning serve prints when addr is not a loopback address, or "".
func offLoopbackWarning(addr string) string {
	if loopbackAddr(addr) {
		return ""
	}
	return "data8 serve: warning: " + addr + " is not a loopback address: the sandbox's API, which needs no secret but the one printed below, is reachable from the network"
}

// loopbackAddr reports whether a listening address (host:port) listens on loopback only: its host is
// localhost or a loopback IP. An empty host or an unspecified IP (0.0.0.0, ::) listens on every
// interface; any other name is taken as reachable from the network.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// printReproduction says, on standard error, what the sandbox switched on to answer as the server of
// an observed run did, and each observation it could not reproduce.
func (a *app) printReproduction(rep *conformance.Report, r data8test.Reproduction) {
	fmt.Fprintf(a.stderr, "data8 serve: answering as the server of run %s (%s, %s) did: %s\n",
		termsafe.String(rep.RunID), termsafe.String(rep.Target), rep.Started.UTC().Format(time.RFC3339), termsafe.String(r.String()))
	if len(r.Unreproduced) == 0 {
		fmt.Fprintln(a.stderr, "data8 serve: every observation of that run is reproduced")
		return
	}
	fmt.Fprintf(a.stderr, "data8 serve: %s of that run cannot be reproduced; the sandbox keeps the decided answer there:\n", plural(len(r.Unreproduced), "observation", "observations"))
	for _, u := range r.Unreproduced {
		fmt.Fprintf(a.stderr, "  %s\n", termsafe.String(u))
	}
}
