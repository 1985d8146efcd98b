package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// dataset is the input dataset every library upload of a run writes to (see sandbox.createDataset).
const dataset = "bench"

// The parts of the benchmark, as -parts names them.
const (
	partUpload    = "upload"    // data8 dataset upload beside the reference upload
	partDownload  = "download"  // data8 dataset download beside the reference download
	partRun       = "run"       // data8 run beside reference upload + reference download + the job
	partThrottled = "throttled" // upload and download against a server allowing -limit requests in flight
	partLibrary   = "library"   // the client library's encoding, ingest and upload figures
)

// allParts returns every part, in the order they are measured and reported.
func allParts() []string {
	return []string{partUpload, partDownload, partRun, partThrottled, partLibrary}
}

// config is what the flags set.
type config struct {
	latency     time.Duration
	sizes       []int
	parts       map[string]bool
	job         time.Duration // how long the server's jobs take
	limit       int           // requests in flight the throttled server allows
	retryAfter  int           // the throttled server's Retry-After, in seconds
	settings    []int         // library: concurrency settings of client.Upload, the default among them
	runs        int           // of every measurement but those below
	slowRuns    int           // library: of the baseline encoding
	naiveRuns   int           // library: of the naive uploads
	ingestN     int
	data8       string
	check       bool
	out, status io.Writer // results, progress
}

func main() {
	if c := os.Getenv(serveEnv); c != "" {
		serveMain(c)
		return
	}
	cfg := config{out: os.Stdout, status: os.Stderr}
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	fs.DurationVar(&cfg.latency, "latency", 20*time.Millisecond, "`DELAY` the servers add to every API request")
	sizes := fs.String("sizes", "100000,1000000", "record counts, comma-separated: every figure at each; targets at the largest, peak RSS growth from the smallest")
	parts := fs.String("parts", strings.Join(allParts(), ","), "parts to measure, comma-separated: "+strings.Join(allParts(), ", "))
	fs.DurationVar(&cfg.job, "job", time.Second, "`DURATION` of a job on the bench server (data8 run)")
	fs.IntVar(&cfg.limit, "limit", 4, "requests in flight the throttled server allows")
	fs.IntVar(&cfg.retryAfter, "retry-after", 1, "`SECONDS` of the throttled server's Retry-After")
	conc := fs.String("concurrency", "4,8,16,32", "library: concurrency settings of client.Upload to measure besides the default (8)")
	fs.IntVar(&cfg.runs, "runs", 3, "runs of each measurement; figures are medians")
	fs.IntVar(&cfg.slowRuns, "slow-runs", 3, "library: runs of the baseline encoding (at most -runs)")
	fs.IntVar(&cfg.naiveRuns, "naive-runs", 1, "library: runs of each naive upload (slow: a round trip per block)")
	fs.IntVar(&cfg.ingestN, "ingest-records", 1_000_000, "library: records sent by the ingest measurement")
	fs.StringVar(&cfg.data8, "data8", "", "`PATH` of a built data8 binary (default: build one from this tree)")
	fs.BoolVar(&cfg.check, "check", true, "exit 1 when a target is missed")
	quick := fs.Bool("quick", false, "smoke check: -sizes 10000,100000 -runs 1 -slow-runs 1 -concurrency 8 -ingest-records 100000, unless given")
	fs.Parse(os.Args[1:])
	if *quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]string{"sizes": "10000,100000", "runs": "1", "slow-runs": "1", "concurrency": "8", "ingest-records": "100000"} {
			if !set[name] {
				fs.Set(name, v)
			}
		}
	}
	var err error
	if cfg.sizes, err = parseInts(*sizes); err != nil {
		fmt.Fprintln(os.Stderr, "bench: -sizes:", err)
		os.Exit(2)
	}
	if cfg.settings, err = parseInts(*conc); err != nil {
		fmt.Fprintln(os.Stderr, "bench: -concurrency:", err)
		os.Exit(2)
	}
	if cfg.parts, err = parseParts(*parts); err != nil {
		fmt.Fprintln(os.Stderr, "bench: -parts:", err)
		os.Exit(2)
	}
	cfg.settings = append(cfg.settings, client.DefaultConcurrency)
	slices.Sort(cfg.settings)
	cfg.settings = slices.Compact(cfg.settings)
	slices.Sort(cfg.sizes)
	cfg.sizes = slices.Compact(cfg.sizes)
	cfg.slowRuns = min(cfg.slowRuns, cfg.runs)
	if cfg.runs < 1 || cfg.slowRuns < 1 || cfg.naiveRuns < 0 || cfg.latency < 0 || cfg.job < 0 || cfg.limit < 1 || cfg.retryAfter < 0 ||
		(cfg.parts[partLibrary] && cfg.ingestN < ingestBlocks*client.MaxBlockSize) {
		fmt.Fprintf(os.Stderr, "bench: need -runs >= 1, -slow-runs >= 1, -naive-runs >= 0, -latency >= 0, -job >= 0, -limit >= 1, -retry-after >= 0, -ingest-records >= %d\n", ingestBlocks*client.MaxBlockSize)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ok, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if !ok && cfg.check {
		os.Exit(1)
	}
}

// parseParts parses a comma-separated list of part names.
func parseParts(s string) (map[string]bool, error) {
	parts := map[string]bool{}
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !slices.Contains(allParts(), p) {
			return nil, fmt.Errorf("unknown part %q (parts: %s)", p, strings.Join(allParts(), ", "))
		}
		parts[p] = true
	}
	if len(parts) == 0 {
		return nil, errors.New("no part")
	}
	return parts, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("no value")
	}
	return out, nil
}

// run measures everything, writes the report and reports whether every target was met.
func run(ctx context.Context, cfg config) (bool, error) {
	began := time.Now()
	loadStart := loadAverage()
	logf := func(format string, args ...any) { fmt.Fprintf(cfg.status, "bench: "+format+"\n", args...) }
	dir, err := os.MkdirTemp("", "data8-bench-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)

	data8 := cfg.data8
	if data8 == "" {
		logf("building data8")
		if data8, err = buildData8(dir); err != nil {
			return false, err
		}
	}
	sizes := slices.Clone(cfg.sizes)
	if cfg.parts[partLibrary] {
		sizes = append(sizes, cfg.ingestN)
	}
	files := map[int]string{}
	for _, n := range sizes {
		if files[n] != "" {
			continue
		}
		files[n] = filepath.Join(dir, fmt.Sprintf("records-%d.csv", n))
		logf("writing %s", files[n])
		if err := writeCSV(files[n], n); err != nil {
			return false, err
		}
	}

	f := newFigures()
	m := &meter{ctx: ctx, cfg: cfg, f: f, logf: logf, data8: data8, dir: dir, failures: map[string][]string{}, attempts: map[string]int{}}
	if m.wholeJob() {
		if err := m.whole(files); err != nil {
			return false, err
		}
	}
	if cfg.parts[partLibrary] {
		if err := m.library(files); err != nil {
			return false, err
		}
	}
	f.add("wall_seconds", "s", time.Since(began).Seconds())
	f.add("loadavg_1m/start", "load", loadStart)
	f.add("loadavg_1m/end", "load", loadAverage())

	targets := append(m.wholeTargets(), m.libraryTargets()...)
	m.report(targets)
	ok := true
	for _, t := range targets {
		ok = ok && t.pass()
	}
	return ok, nil
}

// library measures the client library's figures against two `data8 serve` sandboxes (one adding
// the latency, one adding none).
func (m *meter) library(files map[int]string) error {
	ctx, cfg := m.ctx, m.cfg
	slow, err := startSandbox(m.data8, cfg.latency)
	if err != nil {
		return err
	}
	defer slow.stop()
	fast, err := startSandbox(m.data8, 0)
	if err != nil {
		return err
	}
	defer fast.stop()
	for _, sb := range []*sandbox{slow, fast} {
		if err := sb.createDataset(ctx, dataset); err != nil {
			return err
		}
	}
	// Encoding on one core, and the encode time of the bound (all procs, one goroutine).
	for r := range cfg.runs {
		for _, n := range cfg.sizes {
			if err := m.encoding(n, files[n], r); err != nil {
				return err
			}
		}
	}
	// The sandbox's ingest rate with no added latency.
	for r := range cfg.runs {
		if err := m.ingest(fast, files[cfg.ingestN], r); err != nil {
			return err
		}
	}
	// Uploads at the added latency: naive, ours, against the bound.
	for _, n := range cfg.sizes {
		for r := range max(cfg.runs, cfg.naiveRuns) {
			if r < cfg.naiveRuns {
				if err := m.naive(slow, n, files[n], r); err != nil {
					return err
				}
			}
			if r < cfg.runs {
				for _, c := range cfg.settings {
					if err := m.ours(slow, n, files[n], c, r); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// meter takes the measurements and keeps their figures.
type meter struct {
	ctx   context.Context
	cfg   config
	f     *figures
	logf  func(string, ...any)
	data8 string // the CLI under test
	dir   string // for the CLI's output files

	failures map[string][]string // the CLI's failed runs by figure prefix: what it said
	attempts map[string]int      // the CLI's runs by figure prefix
	dlFlags  []string            // download flags setting the concurrency, when the CLI has one
}

func (m *meter) encoding(n int, path string, r int) error {
	for _, e := range []struct {
		name string
		fn   func(string) (int64, int64, error)
	}{{"ours", encodeBodies}, {"baseline", baselineEncode}} {
		if e.name == "baseline" && r >= m.cfg.slowRuns {
			continue
		}
		s, err := measure(oneCore(func() (int64, int64, error) { return e.fn(path) }))
		if err != nil {
			return fmt.Errorf("encoding %s: %w", e.name, err)
		}
		if s.records != int64(n) {
			return fmt.Errorf("encoding %s: %d records, want %d", e.name, s.records, n)
		}
		p := fmt.Sprintf("encode/n=%d/%s/", n, e.name)
		m.f.add(p+"records_per_s", "records/s", float64(n)/s.elapsed.Seconds())
		m.f.add(p+"allocs_per_record", "allocs/record", float64(s.mallocs)/float64(n))
		m.f.add(p+"body_bytes_per_record", "B/record", float64(s.bytes)/float64(n))
		m.logf("encode n=%d %s run %d: %.0f records/s on one core", n, e.name, r+1, float64(n)/s.elapsed.Seconds())
	}
	// The encode time of the bound: the same work at the process's GOMAXPROCS, as the uploader's reader
	// goroutine does it.
	s, err := measure(func() (int64, int64, error) { return encodeBodies(path) })
	if err != nil {
		return err
	}
	m.f.add(fmt.Sprintf("bound/n=%d/encode_seconds", n), "s", s.elapsed.Seconds())
	return nil
}

func (m *meter) ingest(sb *sandbox, path string, r int) error {
	n := m.cfg.ingestN
	blocks := n / client.MaxBlockSize
	s, err := rawIngest(m.ctx, sb, dataset, path, blocks, client.DefaultConcurrency)
	if err != nil {
		return err
	}
	m.f.add(fmt.Sprintf("ingest/n=%d/raw/c=%d/records_per_s", blocks*client.MaxBlockSize, client.DefaultConcurrency), "records/s", float64(s.records)/s.elapsed.Seconds())
	m.logf("ingest raw run %d: %.0f records/s", r+1, float64(s.records)/s.elapsed.Seconds())
	s, err = oursUpload(m.ctx, sb, dataset, path, 0)
	if err != nil {
		return err
	}
	m.f.add(fmt.Sprintf("ingest/n=%d/ours/c=%d/records_per_s", n, client.DefaultConcurrency), "records/s", float64(s.records)/s.elapsed.Seconds())
	m.logf("ingest ours run %d: %.0f records/s", r+1, float64(s.records)/s.elapsed.Seconds())
	return nil
}

func (m *meter) naive(sb *sandbox, n int, path string, r int) error {
	s, err := naiveUpload(m.ctx, sb, dataset, path)
	if err != nil {
		return err
	}
	m.upload(fmt.Sprintf("upload/n=%d/naive/c=1/", n), n, 1, s)
	m.logf("upload n=%d naive run %d: %v", n, r+1, s.elapsed.Round(time.Millisecond))
	return nil
}

func (m *meter) ours(sb *sandbox, n int, path string, c, r int) error {
	conc := c
	if c == client.DefaultConcurrency {
		conc = 0 // the client's defaults, untouched
	}
	s, err := oursUpload(m.ctx, sb, dataset, path, conc)
	if err != nil {
		return err
	}
	m.upload(fmt.Sprintf("upload/n=%d/ours/c=%d/", n, c), n, c, s)
	m.logf("upload n=%d ours c=%d run %d: %v", n, c, r+1, s.elapsed.Round(time.Millisecond))
	return nil
}

// upload records the figures of one upload run.
func (m *meter) upload(prefix string, n, c int, s sample) {
	if s.records != int64(n) {
		m.logf("WARNING: %s sent %d records, want %d", prefix, s.records, n)
	}
	el := s.elapsed.Seconds()
	m.f.add(prefix+"seconds", "s", el)
	m.f.add(prefix+"records_per_s", "records/s", float64(n)/el)
	m.f.add(prefix+"body_bytes_per_record", "B/record", float64(s.bytes)/float64(n))
	if s.written >= 0 {
		m.f.add(prefix+"wire_bytes_per_record", "B/record", float64(s.written)/float64(n))
	}
	m.f.add(prefix+"allocs_per_record", "allocs/record", float64(s.mallocs)/float64(n))
	m.f.add(prefix+"peak_heap_bytes", "bytes", float64(s.peakHeap))
}

// bound is ceil(blocks/c) × latency + the time to encode the bodies alone, in seconds.
func (m *meter) bound(n, c int) float64 {
	blocks := (n + client.MaxBlockSize - 1) / client.MaxBlockSize
	rounds := (blocks + c - 1) / c
	return float64(rounds)*m.cfg.latency.Seconds() + m.f.get(fmt.Sprintf("bound/n=%d/encode_seconds", n))
}

// libraryTargets evaluates the client library's targets on the medians (none without the library
// part).
func (m *meter) libraryTargets() []target {
	if !m.cfg.parts[partLibrary] {
		return nil
	}
	var ts []target
	c := client.DefaultConcurrency
	for _, n := range m.cfg.sizes {
		ours := m.f.get(fmt.Sprintf("upload/n=%d/ours/c=%d/seconds", n, c))
		ts = append(ts, target{name: fmt.Sprintf("ours_over_bound/n=%d/c=%d", n, c), value: ours / m.bound(n, c), op: "<=", limit: 1.25, unit: "ratio"})
		if m.cfg.naiveRuns > 0 {
			naive := m.f.get(fmt.Sprintf("upload/n=%d/naive/c=1/seconds", n))
			ts = append(ts, target{name: fmt.Sprintf("naive_over_ours/n=%d/c=%d", n, c), value: naive / ours, op: ">=", limit: 6, unit: "x"})
		}
	}
	big := slices.Max(m.cfg.sizes)
	ts = append(ts, target{name: fmt.Sprintf("encode_one_core/n=%d", big), value: m.f.get(fmt.Sprintf("encode/n=%d/ours/records_per_s", big)), op: ">=", limit: 1_000_000, unit: "records/s"})
	// The sandbox must not be the bottleneck: it ingests at least twice the rate ours reaches at the
	// default concurrency.
	ts = append(ts, target{name: "sandbox_ingest_over_ours_rate", value: m.f.get(fmt.Sprintf("ingest/n=%d/raw/c=%d/records_per_s", m.cfg.ingestN/client.MaxBlockSize*client.MaxBlockSize, c)) /
		m.f.get(fmt.Sprintf("upload/n=%d/ours/c=%d/records_per_s", big, c)), op: ">=", limit: 2, unit: "x"})
	return ts
}

// report writes the tables, the targets, the BENCH lines and the TARGET lines.
func (m *meter) report(targets []target) {
	w, f, cfg := m.cfg.out, m.f, m.cfg
	fmt.Fprintf(w, "\ndata8 benchmark: %v added per API request; %s %s/%s, GOMAXPROCS %d, %d CPUs; 6 text columns, blocks and pages of %d\n",
		cfg.latency, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU(), client.MaxBlockSize)
	fmt.Fprintf(w, "figures are medians of %d runs; 1-minute load average %s at the start, %s at the end (the machine's other work shares the cores)\n",
		cfg.runs, fixed(f.get("loadavg_1m/start"), 2), fixed(f.get("loadavg_1m/end"), 2))
	if m.wholeJob() {
		m.reportWhole(w)
	}
	if cfg.parts[partLibrary] {
		m.reportLibrary(w)
	}

	fmt.Fprintf(w, "\nTargets\n")
	t := &table{}
	t.row("target", "", "value", "limit", "")
	for _, tg := range targets {
		res := "PASS"
		if !tg.pass() {
			res = "FAIL"
		}
		t.row(tg.name, "", fixed(tg.value, 2)+" "+tg.unit, tg.op+" "+num(tg.limit), res)
	}
	t.write(w, "  ")
	fmt.Fprintf(w, "\n1-minute load average %s at the start, %s at the end; wall time %s\n\n",
		fixed(f.get("loadavg_1m/start"), 2), fixed(f.get("loadavg_1m/end"), 2), secs(f.get("wall_seconds")))

	f.writeLines(w)
	for _, tg := range targets {
		fmt.Fprintf(w, "TARGET name=%s value=%s op=%s limit=%s unit=%s pass=%t\n", tg.name, num(math.Round(tg.value*1e4)/1e4), tg.op, num(tg.limit), tg.unit, tg.pass())
	}
}

// reportLibrary writes the client library's tables.
func (m *meter) reportLibrary(w io.Writer) {
	f, cfg := m.f, m.cfg
	fmt.Fprintf(w, "\nClient library (against data8 serve sandboxes; baseline encoding: %d runs, naive uploads: %d)\n", cfg.slowRuns, cfg.naiveRuns)
	fmt.Fprintf(w, "\nEncoding CSV → block bodies, one core (GOMAXPROCS=1)\n")
	t := &table{}
	t.row("records", "encoder", "records/s", "allocs/rec", "body B/rec", "× baseline")
	for _, n := range cfg.sizes {
		p := fmt.Sprintf("encode/n=%d/", n)
		f.derive(p+"speedup", "x", f.get(p+"ours/records_per_s")/f.get(p+"baseline/records_per_s"), p+"baseline/records_per_s")
		t.row(grouped(float64(n)), "client CSVSource + block framing", grouped(f.get(p+"ours/records_per_s")), fixed(f.get(p+"ours/allocs_per_record"), 2), fixed(f.get(p+"ours/body_bytes_per_record"), 1), fixed(f.get(p+"speedup"), 1))
		t.row(grouped(float64(n)), "baseline: map[string]any + encoding/json", grouped(f.get(p+"baseline/records_per_s")), fixed(f.get(p+"baseline/allocs_per_record"), 2), fixed(f.get(p+"baseline/body_bytes_per_record"), 1), "1.0")
	}
	t.write(w, "  ")

	ni := cfg.ingestN / client.MaxBlockSize * client.MaxBlockSize
	fmt.Fprintf(w, "\nSandbox ingest, no added latency, %s records, %d at once\n", grouped(float64(ni)), client.DefaultConcurrency)
	t = &table{}
	t.row("sender", "", "records/s")
	t.row("raw PATCH of pre-encoded blocks", "", grouped(f.get(fmt.Sprintf("ingest/n=%d/raw/c=%d/records_per_s", ni, client.DefaultConcurrency))))
	t.row("client.Upload (CSV file, defaults)", "", grouped(f.get(fmt.Sprintf("ingest/n=%d/ours/c=%d/records_per_s", cfg.ingestN, client.DefaultConcurrency))))
	t.write(w, "  ")

	fmt.Fprintf(w, "\nUploads at %v per request (bound = ceil(blocks/concurrency) × latency + encode time)\n", cfg.latency)
	t = &table{}
	t.row("records", "uploader", "conc", "time", "bound", "records/s", "÷ bound", "naive ÷", "body B/rec", "wire B/rec", "allocs/rec", "peak heap")
	for _, n := range cfg.sizes {
		naive := f.get(fmt.Sprintf("upload/n=%d/naive/c=1/seconds", n))
		addRow := func(label, prefix string, c int) {
			el := f.get(prefix + "seconds")
			bound := m.bound(n, c)
			ratio := "—"
			if !strings.Contains(prefix, "naive") {
				ratio = fixed(naive/el, 1) + "×"
			}
			t.row(grouped(float64(n)), label, strconv.Itoa(c), secs(el), secs(bound), grouped(f.get(prefix+"records_per_s")),
				fixed(el/bound, 2), ratio, fixed(f.get(prefix+"body_bytes_per_record"), 1), fixed(f.get(prefix+"wire_bytes_per_record"), 1), fixed(f.get(prefix+"allocs_per_record"), 2), mib(f.get(prefix+"peak_heap_bytes")))
			f.derive(prefix+"bound_seconds", "s", bound, fmt.Sprintf("bound/n=%d/encode_seconds", n))
			f.derive(prefix+"over_bound", "ratio", el/bound, prefix+"seconds")
			if !strings.Contains(prefix, "naive") {
				f.derive(prefix+"naive_over_ours", "x", naive/el, fmt.Sprintf("upload/n=%d/naive/c=1/seconds", n))
			}
		}
		if cfg.naiveRuns > 0 {
			addRow("naive (gen client, maps)", fmt.Sprintf("upload/n=%d/naive/c=1/", n), 1)
		}
		for _, c := range cfg.settings {
			label := "ours (client.Upload)"
			if c == client.DefaultConcurrency {
				label = "ours (client.Upload, default)"
			}
			addRow(label, fmt.Sprintf("upload/n=%d/ours/c=%d/", n, c), c)
		}
	}
	t.write(w, "  ")
}

// loadAverage returns the 1-minute load average from /proc/loadavg (NaN when it cannot be read): the
// machine's other work, which the figures share the cores with.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return math.NaN()
	}
	first, _, _ := strings.Cut(string(b), " ")
	v, err := strconv.ParseFloat(first, 64)
	if err != nil {
		return math.NaN()
	}
	return v
}
