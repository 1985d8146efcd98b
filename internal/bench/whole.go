package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// Datasets of the bench servers: the download source (filled once per size) and the upload target.
const (
	srcDataset = "bench_src"
	upDataset  = "bench_up"
)

// wholeRow is a row kind of the whole-job table.
type wholeRow struct {
	key   string // figure prefix, before /n=N
	label string
	conc  int    // the reference's concurrency
	part  string // the -parts name that selects it
}

func (m *meter) wholeRows() []wholeRow {
	c, l := client.DefaultConcurrency, m.cfg.limit
	var rows []wholeRow
	for _, r := range []wholeRow{
		{"upload", "upload", c, partUpload},
		{"download", "download", c, partDownload},
		{"run", "run (up, job, down)", c, partRun},
		{"throttled/upload", fmt.Sprintf("upload, %d in flight", l), l, partThrottled},
		{"throttled/download", fmt.Sprintf("download, %d in flight", l), l, partThrottled},
	} {
		if m.cfg.parts[r.part] {
			rows = append(rows, r)
		}
	}
	return rows
}

// wholeJob reports whether any part of the whole job is measured.
func (m *meter) wholeJob() bool {
	p := m.cfg.parts
	return p[partUpload] || p[partDownload] || p[partRun] || p[partThrottled]
}

// whole measures the CLI's upload, download and run, each beside its reference client, against bench
// servers in child processes: one adding the latency, one also allowing -limit requests in flight.
// Within each run the reference and the CLI alternate, so that the machine's other work falls on both.
func (m *meter) whole(files map[int]string) error {
	ctx, cfg := m.ctx, m.cfg
	c := client.DefaultConcurrency
	if hasFlag(m.data8, "--concurrency", "dataset", "download") {
		m.dlFlags = []string{"--concurrency", strconv.Itoa(c)}
	}
	start := func(limit int) (*benchAPI, func(), error) {
		p, err := startServer(serveConfig{Latency: cfg.latency, Limit: limit, RetryAfter: strconv.Itoa(cfg.retryAfter), Job: cfg.job,
			ClientID: "bench-" + randomHex(4), Secret: randomHex(16)})
		if err != nil {
			return nil, nil, err
		}
		api, err := newBenchAPI(ctx, p)
		if err != nil {
			p.stop()
			return nil, nil, err
		}
		return api, func() { api.close(); p.stop() }, nil
	}
	var api, thr *benchAPI
	if cfg.parts[partUpload] || cfg.parts[partDownload] || cfg.parts[partRun] {
		a, stop, err := start(0)
		if err != nil {
			return err
		}
		defer stop()
		api = a
	}
	if cfg.parts[partThrottled] {
		a, stop, err := start(cfg.limit)
		if err != nil {
			return err
		}
		defer stop()
		thr = a
	}

	for _, n := range cfg.sizes {
		m.logf("encoding the reference's %d records", n)
		bodies, err := preEncode(files[n])
		if err != nil {
			return err
		}
		for _, s := range []struct {
			api  *benchAPI
			conc int
		}{{api, c}, {thr, cfg.limit}} {
			if s.api == nil {
				continue
			}
			if err := s.api.drop(ctx); err != nil {
				return err
			}
			if err := s.api.createDataset(ctx, srcDataset); err != nil {
				return err
			}
			if _, err := s.api.refUpload(ctx, srcDataset, bodies, s.conc); err != nil {
				return err
			}
			if err := s.api.complete(ctx, srcDataset, int64(n)); err != nil {
				return err
			}
		}
		for r := range cfg.runs {
			if api != nil {
				if err := m.pair(api, "upload", n, r, c, bodies, cfg.parts[partUpload], []string{"--concurrency", strconv.Itoa(c)}); err != nil {
					return err
				}
				if err := m.pair(api, "download", n, r, c, nil, cfg.parts[partDownload], m.dlFlags); err != nil {
					return err
				}
				if cfg.parts[partRun] {
					out := filepath.Join(m.dir, "run.csv")
					if err := m.cli(api, fmt.Sprintf("run/n=%d", n), r, n, nil,
						[]string{"run", files[n], "--workflow", "Echo", "--out", out, "--concurrency", strconv.Itoa(c)}, m.linesCheck(out, n)); err != nil {
						return err
					}
				}
			}
			if thr != nil {
				if err := m.pair(thr, "throttled/upload", n, r, cfg.limit, bodies, true, nil); err != nil {
					return err
				}
				if err := m.pair(thr, "throttled/download", n, r, cfg.limit, nil, true, nil); err != nil {
					return err
				}
			}
		}
	}
	for _, row := range m.wholeRows() {
		for _, n := range cfg.sizes {
			key := fmt.Sprintf("%s/n=%d", row.key, n)
			m.f.count(key+"/cli/failed_runs", "runs", float64(len(m.failures[key])), m.attempts[key])
		}
	}
	return nil
}

// pair measures one run of the reference and, when cli is true, of the CLI with the extra flags, for
// an upload (bodies given) or a download (bodies nil) against api with the reference at conc. A run
// of both also records the CLI's time over the reference's in that run (cli_over_ref_run).
//
// For the throttled kinds it also measures the CLI at --concurrency conc (the server's limit), which
// never goes past the limit: the same client, so that the cost of finding the limit is measured
// apart from the CLI's own work (cli_over_cli_at_limit_run).
func (m *meter) pair(api *benchAPI, kind string, n, r, conc int, bodies [][]byte, cli bool, flags []string) error {
	key := fmt.Sprintf("%s/n=%d", kind, n)
	_, before := m.f.last(key + "/cli/seconds")
	if err := m.pairRuns(api, key, n, r, conc, bodies, cli, flags); err != nil {
		return err
	}
	c, runs := m.f.last(key + "/cli/seconds")
	if runs > before {
		ref, _ := m.f.last(key + "/ref/seconds")
		m.f.add(key+"/cli_over_ref_run", "x", c/ref)
	}
	if !strings.HasPrefix(kind, "throttled/") || !cli {
		return nil
	}
	atLimit := []string{"--concurrency", strconv.Itoa(conc)}
	if bodies == nil && len(m.dlFlags) == 0 {
		return nil // this build's download has no --concurrency
	}
	_, beforeAt := m.f.last(key + "/cli_at_limit/seconds")
	if err := m.cliRun(api, key, "cli_at_limit", r, n, bodies, atLimit); err != nil {
		return err
	}
	if at, runsAt := m.f.last(key + "/cli_at_limit/seconds"); runsAt > beforeAt && runs > before {
		m.f.add(key+"/cli_over_cli_at_limit_run", "x", c/at)
	}
	return nil
}

func (m *meter) pairRuns(api *benchAPI, key string, n, r, conc int, bodies [][]byte, cli bool, flags []string) error {
	ctx := m.ctx
	if bodies != nil {
		if err := m.reference(api, key, r, m.fresh(api), func() (refSample, error) { return api.refUpload(ctx, upDataset, bodies, conc) }, m.countCheck(api, n)); err != nil {
			return err
		}
	} else if err := m.reference(api, key, r, nil, func() (refSample, error) { return api.refDownload(ctx, srcDataset, n, conc) }, nil); err != nil {
		return err
	}
	if !cli {
		return nil
	}
	return m.cliRun(api, key, "cli", r, n, bodies, flags)
}

// fresh returns the setup of an upload: the upload dataset made anew.
func (m *meter) fresh(api *benchAPI) func() error {
	return func() error {
		if err := api.drop(m.ctx, srcDataset); err != nil {
			return err
		}
		return api.createDataset(m.ctx, upDataset)
	}
}

// cliRun measures one run of the CLI's upload (bodies given) or download (bodies nil) with the extra
// flags, its figures under key/role.
func (m *meter) cliRun(api *benchAPI, key, role string, r, n int, bodies [][]byte, flags []string) error {
	if bodies != nil {
		return m.cliAs(api, key, role, r, n, m.fresh(api), append([]string{"dataset", "upload", upDataset, m.fileOf(n)}, flags...), m.countCheck(api, n))
	}
	out := filepath.Join(m.dir, "download.csv")
	return m.cliAs(api, key, role, r, n, nil, append([]string{"dataset", "download", srcDataset, "--out", out}, flags...), m.linesCheck(out, n))
}

func (m *meter) fileOf(n int) string { return filepath.Join(m.dir, fmt.Sprintf("records-%d.csv", n)) }

// countCheck checks that the upload dataset holds n records.
func (m *meter) countCheck(api *benchAPI, n int) func() error {
	return func() error {
		got, err := api.recordCount(m.ctx, upDataset)
		if err != nil {
			return err
		}
		if got != int64(n) {
			return fmt.Errorf("the server holds %d records, want %d", got, n)
		}
		return nil
	}
}

// linesCheck checks that the CSV file at path has a header and n records, then removes it.
func (m *meter) linesCheck(path string, n int) func() error {
	return func() error {
		defer os.Remove(path)
		got, err := countLines(path)
		if err != nil {
			return err
		}
		if got != int64(n)+1 {
			return fmt.Errorf("%s has %d lines, want %d (a header and %d records)", filepath.Base(path), got, n+1, n)
		}
		return nil
	}
}

// reference measures one run of a reference client (setup, then fn timed, then verify). A failure of
// the reference is the benchmark's own failure: it stops.
func (m *meter) reference(api *benchAPI, key string, r int, setup func() error, fn func() (refSample, error), verify func() error) error {
	var s refSample
	before, after, err := m.observe(api, setup, func() (err error) {
		if s, err = fn(); err != nil {
			return fmt.Errorf("%s reference: %w", key, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if verify != nil {
		if err := verify(); err != nil {
			return fmt.Errorf("%s reference: %w", key, err)
		}
	}
	p := key + "/ref/"
	m.f.add(p+"seconds", "s", s.elapsed.Seconds())
	m.f.add(p+"cpu_seconds", "s", s.cpu)
	m.addServer(p, before, after, s.elapsed)
	m.logf("%s run %d: reference %v%s", key, r+1, s.elapsed.Round(1e6), inFlightNote(before, after, s.elapsed))
	return nil
}

// cli measures one run of the CLI with args (setup first, verify after). A failure of the CLI (its
// exit status, or a wrong result) is recorded with the last line it wrote, and the benchmark goes on.
func (m *meter) cli(api *benchAPI, key string, r, n int, setup func() error, args []string, verify func() error) error {
	return m.cliAs(api, key, "cli", r, n, setup, args, verify)
}

// cliAs is cli with the figures under key/role; the attempts and failures of a role other than cli
// are kept under key/role.
func (m *meter) cliAs(api *benchAPI, key, role string, r, n int, setup func() error, args []string, verify func() error) error {
	var s cliSample
	before, after, err := m.observe(api, setup, func() error {
		s = runCLI(envCommand(api.env(), m.data8, args...))
		return nil
	})
	if err != nil {
		return err
	}
	if s.err == nil && verify != nil {
		s.err = verify()
	}
	if err := api.drop(m.ctx, srcDataset); err != nil { // the memory of what the CLI made
		return err
	}
	who := "data8"
	if role != "cli" {
		key += "/" + role
		who += " (" + strings.Join(args[len(args)-2:], " ") + ")"
	}
	m.attempts[key]++
	if s.err != nil {
		msg := fmt.Sprintf("run %d after %s: %v", r+1, secs(s.elapsed.Seconds()), s.err)
		if s.said != "" {
			msg += ": " + s.said + " … last line:"
		} else if s.last != "" {
			msg += ":"
		}
		if s.last != "" {
			msg += " " + s.last
		}
		m.failures[key] = append(m.failures[key], msg)
		m.logf("%s run %d: %s FAILED: %s", key, r+1, who, msg)
		return nil
	}
	p := strings.TrimSuffix(key, "/"+role) + "/" + role + "/"
	m.f.add(p+"seconds", "s", s.elapsed.Seconds())
	m.f.add(p+"cpu_seconds", "s", s.cpu)
	m.f.add(p+"cpu_seconds_per_million", "s", s.cpu*1e6/float64(n))
	if s.peak > 0 {
		m.f.add(p+"peak_rss_bytes", "bytes", float64(s.peak))
	}
	m.addServer(p, before, after, s.elapsed)
	m.logf("%s run %d: %s %v, CPU %.2f s, peak RSS %.1f MiB%s", strings.TrimSuffix(key, "/"+role), r+1, who, s.elapsed.Round(1e6), s.cpu,
		float64(s.peak)/(1<<20), inFlightNote(before, after, s.elapsed))
	return nil
}

// observe runs setup, then run between two readings of the server's statistics, which it returns.
func (m *meter) observe(api *benchAPI, setup, run func() error) (before, after serverStats, err error) {
	if setup != nil {
		if err = setup(); err != nil {
			return before, after, err
		}
	}
	if before, err = api.stats(m.ctx); err != nil {
		return before, after, err
	}
	if err = run(); err != nil {
		return before, after, err
	}
	after, err = api.stats(m.ctx)
	return before, after, err
}

// addServer records, under prefix p, the server's CPU time and the requests it throttled between two
// readings of its statistics, elapsed apart; and, for a server with a limit, the average number of
// requests in flight over that time (avg_in_flight) and the number each request let through met, on
// average (in_flight_per_request).
func (m *meter) addServer(p string, before, after serverStats, elapsed time.Duration) {
	m.f.add(p+"server_cpu_seconds", "s", serverCPU(before, after))
	m.f.add(p+"throttled_requests", "requests", float64(after.Throttled-before.Throttled))
	if avg, per, ok := inFlight(before, after, elapsed); ok {
		m.f.add(p+"avg_in_flight", "requests", avg)
		m.f.add(p+"in_flight_per_request", "requests", per)
	}
}

// inFlight returns the average number of requests in flight over elapsed and the number each request
// let through met, between two readings of a limited server's statistics; ok is false for a server
// without a limit.
func inFlight(before, after serverStats, elapsed time.Duration) (avg, per float64, ok bool) {
	n := after.Admitted - before.Admitted
	if n <= 0 || elapsed <= 0 {
		return 0, 0, false
	}
	return (after.BusySeconds - before.BusySeconds) / elapsed.Seconds(), float64(after.InFlightSum-before.InFlightSum) / float64(n), true
}

// inFlightNote is inFlight for a progress line.
func inFlightNote(before, after serverStats, elapsed time.Duration) string {
	avg, per, ok := inFlight(before, after, elapsed)
	if !ok {
		return ""
	}
	return fmt.Sprintf(", %.2f in flight on average (%.2f met by each request), %d refused", avg, per, after.Throttled-before.Throttled)
}

func serverCPU(before, after serverStats) float64 {
	if before.CPUSeconds < 0 || after.CPUSeconds < 0 {
		return math.NaN()
	}
	return after.CPUSeconds - before.CPUSeconds
}

// refSeconds is the median time of the reference of row at size n; for run, the reference upload plus
// the reference download plus the job's own time.
func (m *meter) refSeconds(row wholeRow, n int) float64 {
	if row.key == "run" {
		return m.f.get(fmt.Sprintf("upload/n=%d/ref/seconds", n)) + m.f.get(fmt.Sprintf("download/n=%d/ref/seconds", n)) + m.cfg.job.Seconds()
	}
	return m.f.get(fmt.Sprintf("%s/n=%d/ref/seconds", row.key, n))
}

// wholeBound is the latency bound of row at size n: ceil(requests / concurrency) × latency, the
// requests being the blocks or pages of n records; for run, the upload's and the download's plus the
// job's own time.
func (m *meter) wholeBound(row wholeRow, n int) float64 {
	reqs := (n + client.MaxBlockSize - 1) / client.MaxBlockSize
	one := float64((reqs+row.conc-1)/row.conc) * m.cfg.latency.Seconds()
	if row.key == "run" {
		return 2*one + m.cfg.job.Seconds()
	}
	return one
}

// wholeTargets evaluates the targets of the whole job at the largest size (peak RSS growth from the
// smallest).
func (m *meter) wholeTargets() []target {
	if !m.wholeJob() {
		return nil
	}
	var ts []target
	sizes := m.cfg.sizes
	big, small := slices.Max(sizes), slices.Min(sizes)
	for _, row := range m.wholeRows() {
		k := func(n int) string { return fmt.Sprintf("%s/n=%d/", row.key, n) }
		cli := m.f.get(k(big) + "cli/seconds")
		if row.key == "run" {
			ref := m.refSeconds(wholeRow{key: "upload"}, big) + m.refSeconds(wholeRow{key: "download"}, big)
			ts = append(ts, target{name: fmt.Sprintf("run/cli_minus_job_over_ref_up_plus_down/n=%d", big), value: (cli - m.cfg.job.Seconds()) / ref, op: "<=", limit: 1.3, unit: "x"})
		} else {
			ts = append(ts, target{name: fmt.Sprintf("%s/cli_over_ref/n=%d", row.key, big), value: cli / m.refSeconds(row, big), op: "<=", limit: 1.3, unit: "x"})
		}
		if strings.HasPrefix(row.key, "throttled/") {
			// Every run within 1.15× of the reference sending exactly the limit at once at a limit
			// of 4, 1.2× at others: finding the limit, refusals included, costs little.
			ts = append(ts, target{name: fmt.Sprintf("%s/cli_over_ref_worst_run/n=%d", row.key, big), value: m.f.worst(k(big) + "cli_over_ref_run"), op: "<=", limit: m.atLimitTarget(), unit: "x"})
		}
		if row.key == "upload" || row.key == "download" {
			ts = append(ts, target{name: fmt.Sprintf("%s/cli_cpu_per_million/n=%d", row.key, big), value: m.f.get(k(big) + "cli/cpu_seconds_per_million"), op: "<=", limit: 1.5, unit: "s"})
		}
		if !strings.HasPrefix(row.key, "throttled/") {
			rss := m.f.get(k(big) + "cli/peak_rss_bytes")
			ts = append(ts, target{name: fmt.Sprintf("%s/cli_peak_rss/n=%d", row.key, big), value: rss / (1 << 20), op: "<=", limit: 64, unit: "MiB"})
			if big != small {
				ts = append(ts, target{name: fmt.Sprintf("%s/cli_peak_rss_growth/n=%d_over_n=%d", row.key, big, small), value: rss / m.f.get(k(small)+"cli/peak_rss_bytes"), op: "<=", limit: 1.2, unit: "x"})
			}
		}
		failed := 0
		for _, n := range sizes {
			failed += len(m.failures[fmt.Sprintf("%s/n=%d", row.key, n)])
		}
		ts = append(ts, target{name: row.key + "/cli_failed_runs", value: float64(failed), op: "<=", limit: 0, unit: "runs"})
	}
	return ts
}

// atLimitTarget is the most the throttled CLI at its defaults may take over the reference sending
// exactly -limit at once, in every run: 1.15× at a limit of 4, 1.2× at others.
func (m *meter) atLimitTarget() float64 {
	if m.cfg.limit == 4 {
		return 1.15
	}
	return 1.2
}

// reportWhole writes the whole-job table and its notes.
func (m *meter) reportWhole(w io.Writer) {
	f, cfg := m.f, m.cfg
	fmt.Fprintf(w, "\nThe whole job: the data8 CLI built from this tree (a child process) beside a reference client (pre-encoded\n"+
		"bodies, answers discarded) at the same concurrency, against the bench's own server (a child process) at %v a request\n", cfg.latency)
	t := &table{}
	t.row("part", "records", "conc", "bound", "reference", "data8", "÷ ref", "worst run", "data8 CPU", "CPU/1M rec", "peak RSS", "ref CPU", "server CPU ref/data8", "429s ref/data8", "in flight ref/data8", "data8 ok")
	for _, row := range m.wholeRows() {
		for _, n := range cfg.sizes {
			p := fmt.Sprintf("%s/n=%d/", row.key, n)
			ref, cli, bound := m.refSeconds(row, n), f.get(p+"cli/seconds"), m.wholeBound(row, n)
			from := p + "ref/seconds"
			if row.key == "run" {
				from = fmt.Sprintf("upload/n=%d/ref/seconds", n)
				f.derive(p+"ref/seconds", "s", ref, from)
			}
			f.derive(p+"bound_seconds", "s", bound, from)
			f.derive(p+"cli_over_ref", "x", cli/ref, p+"cli/seconds")
			refCPU, srvRef, thrRef := f.get(p+"ref/cpu_seconds"), f.get(p+"ref/server_cpu_seconds"), f.get(p+"ref/throttled_requests")
			if row.key == "run" {
				u, d := fmt.Sprintf("upload/n=%d/ref/", n), fmt.Sprintf("download/n=%d/ref/", n)
				refCPU, srvRef, thrRef = f.get(u+"cpu_seconds")+f.get(d+"cpu_seconds"), f.get(u+"server_cpu_seconds")+f.get(d+"server_cpu_seconds"), math.NaN()
			}
			throttled, inFlight := "—", "—"
			if strings.HasPrefix(row.key, "throttled/") {
				throttled = grouped(thrRef) + " / " + grouped(f.get(p+"cli/throttled_requests"))
				inFlight = fixed(f.get(p+"ref/avg_in_flight"), 2) + " / " + fixed(f.get(p+"cli/avg_in_flight"), 2)
			}
			worst := "—"
			if v := f.worst(p + "cli_over_ref_run"); !math.IsNaN(v) {
				worst = fixed(v, 2) + "×"
			}
			key := strings.TrimSuffix(p, "/")
			t.row(row.label, grouped(float64(n)), strconv.Itoa(row.conc), secs(bound), secs(ref), secs(cli), fixed(cli/ref, 2)+"×", worst,
				secsFixed(f.get(p+"cli/cpu_seconds")), secsFixed(f.get(p+"cli/cpu_seconds_per_million")), mib(f.get(p+"cli/peak_rss_bytes")),
				secsFixed(refCPU), secsFixed(srvRef)+" / "+secsFixed(f.get(p+"cli/server_cpu_seconds")), throttled, inFlight,
				fmt.Sprintf("%d/%d", m.attempts[key]-len(m.failures[key]), m.attempts[key]))
		}
	}
	t.write(w, "  ")
	dl := "--concurrency " + strconv.Itoa(client.DefaultConcurrency)
	if len(m.dlFlags) == 0 {
		dl = "its default (this build's `data8 dataset download --help` lists no --concurrency)"
	}
	fmt.Fprintf(w, "  data8 flags: upload --concurrency %d; download %s; run --concurrency %d (its upload; its download at its default);\n"+
		"  throttled rows: no flags (the defaults).\n", client.DefaultConcurrency, dl, client.DefaultConcurrency)
	fmt.Fprintf(w, "  run: data8 run FILE --workflow Echo (a job of %v); its reference is reference upload + reference download + %v.\n", cfg.job, cfg.job)
	fmt.Fprintf(w, "  bound: ceil(requests / conc) × latency (requests: blocks or pages of 1,000). data8 CPU: user+sys from the child's rusage;\n"+
		"  peak RSS: its VmHWM sampled from /proc; ref CPU: this process's; server CPU: the bench server process's, during the measurement.\n")
	fmt.Fprintf(w, "  worst run: the largest of the runs' data8 ÷ reference, each run's two measured one after the other.\n")
	fmt.Fprintf(w, "  throttled rows: the server allows %d requests in flight, counting each until its answer has been written out,\n"+
		"  and answers the rest 429 with Retry-After: %d; the reference sends %d at a time. in flight: the average number of\n"+
		"  requests in flight at the server over the measurement (its time in flight added up ÷ the client's wall time).\n", cfg.limit, cfg.retryAfter, cfg.limit)
	for _, row := range m.wholeRows() {
		for _, n := range cfg.sizes {
			for _, key := range []string{fmt.Sprintf("%s/n=%d", row.key, n), fmt.Sprintf("%s/n=%d/cli_at_limit", row.key, n)} {
				for _, msg := range m.failures[key] {
					fmt.Fprintf(w, "  FAILED %s: %s\n", key, msg)
				}
			}
		}
	}
	m.reportThrottled(w)
}

// reportThrottled writes the table of the throttled CLI beside itself at the server's limit.
func (m *meter) reportThrottled(w io.Writer) {
	f, cfg := m.f, m.cfg
	if !cfg.parts[partThrottled] {
		return
	}
	fmt.Fprintf(w, "\nThrottled, data8 beside itself at the limit: data8 --concurrency %d never goes past the server's limit; data8 at its\n"+
		"defaults starts at 8 and must find it. Same server, same runs.\n", cfg.limit)
	t := &table{}
	t.row("part", "records", "at the limit", "defaults", "÷", "worst run ÷", "in flight at the limit/defaults", "429s", "at the limit ok")
	for _, row := range m.wholeRows() {
		if !strings.HasPrefix(row.key, "throttled/") {
			continue
		}
		for _, n := range cfg.sizes {
			p := fmt.Sprintf("%s/n=%d/", row.key, n)
			at, cli := f.get(p+"cli_at_limit/seconds"), f.get(p+"cli/seconds")
			f.derive(p+"cli_over_cli_at_limit", "x", cli/at, p+"cli/seconds")
			worst := "—"
			if v := f.worst(p + "cli_over_cli_at_limit_run"); !math.IsNaN(v) {
				worst = fixed(v, 2) + "×"
			}
			key := p + "cli_at_limit"
			t.row(row.label, grouped(float64(n)), secs(at), secs(cli), fixed(cli/at, 2)+"×", worst,
				fixed(f.get(p+"cli_at_limit/avg_in_flight"), 2)+" / "+fixed(f.get(p+"cli/avg_in_flight"), 2),
				grouped(f.get(p+"cli_at_limit/throttled_requests"))+" / "+grouped(f.get(p+"cli/throttled_requests")),
				fmt.Sprintf("%d/%d", m.attempts[key]-len(m.failures[key]), m.attempts[key]))
		}
	}
	t.write(w, "  ")
}

// secsFixed formats seconds with two decimals.
func secsFixed(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fixed(v, 2) + " s"
}
