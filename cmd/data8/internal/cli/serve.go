package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/data8test"
)

const serveHelp = `
Runs the built-in stand-in for Data8 (data8test) until Ctrl-C or SIGTERM, then exits 0. It holds everything
in memory. It prints the export lines that point data8 (or any client) at it, on standard output:

  export DATA8_BASE_URL=http://127.0.0.1:8080
  export DATA8_TOKEN_URL=http://127.0.0.1:8080/connect/token
  export DATA8_CLIENT_ID=data8test-...
  export DATA8_CLIENT_SECRET=...

This is the one place data8 prints a client secret: it is the sandbox's own, random credential, valid
only against this process, not a Data8 secret. Job status codes follow the sandbox's convention (0 queued,
1 running, 2 completed, 3 failed); its workflows are Echo and CleanContacts (slots Input and Output).

--profile switches the sandbox, where Data8's documentation is silent, to another reading a real
ASP.NET Core service could have made (201 on creates, zone-less .NET times, 500 records a page, gzip ...),
to try a client against it; "all" turns every profile on. The profiles are:
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

func (a *app) cmdServe(args []string) error {
	fs := a.newFlagSet(a.cmd)
	addr := fs.String("addr", "127.0.0.1:8080", "`ADDR` to listen on (host:port; port 0 picks a free one)")
	latency := fs.Duration("latency", 0, "`DELAY` added to every API request, as a network round trip would")
	jobDuration := fs.Duration("job-duration", 2*time.Second, "how long (`DURATION`) a job takes")
	profile := fs.String("profile", "", "`NAMES` of profiles to turn on, separated by commas, or all (see below)")
	if _, err := a.parse(fs, cmdSpec{max: 0, description: serveHelp + "  " + profileList() + "."}, args); err != nil {
		return err
	}
	if *latency < 0 || *jobDuration < 0 {
		return usageErrorf("--latency and --job-duration must not be negative")
	}
	profiles, err := parseProfiles(*profile)
	if err != nil {
		return err
	}
	srv, err := data8test.Start(data8test.WithAddr(*addr), data8test.WithLatency(*latency), data8test.WithJobDuration(*jobDuration),
		data8test.WithProfile(profiles...))
	if err != nil {
		return fmt.Errorf("cannot start the sandbox: %v", err)
	}
	defer srv.Close()
	fmt.Fprintf(a.stderr, "data8 sandbox listening on %s (Ctrl-C to stop); point data8 at it with:\n", srv.URL)
	fmt.Fprintf(a.stdout, "export DATA8_BASE_URL=%s\n", srv.URL)
	fmt.Fprintf(a.stdout, "export DATA8_TOKEN_URL=%s\n", srv.TokenURL)
	fmt.Fprintf(a.stdout, "export DATA8_CLIENT_ID=%s\n", shellQuote(srv.ClientID))
	fmt.Fprintf(a.stdout, "export DATA8_CLIENT_SECRET=%s\n", shellQuote(srv.ClientSecret))
	<-a.ctx.Done()
	fmt.Fprintln(a.stderr, "data8 sandbox stopped")
	return nil
}
