package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/internal/procmem"
)

// failEnv makes the test binary, run as a child, write two lines to standard error and exit 3.
const failEnv = "BENCH_TEST_FAIL_CHILD"

func TestMain(m *testing.M) {
	if c := os.Getenv(serveEnv); c != "" {
		serveMain(c) // the bench server child of TestRunSmall
		return
	}
	if os.Getenv(failEnv) == "1" {
		fmt.Fprint(os.Stderr, "progress 10%\rprogress 20%\ndata8 upload: 429 Too Many Requests\nlast words\n")
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// TestRunSmall runs the whole benchmark at toy sizes against the CLI built from this tree, checking that
// the CLI's upload, download and run all succeed against the bench server, that every figure and every
// target is printed, and that the lines are well formed; the values themselves are not checked (targets
// hold at the real sizes only, and timing belongs to `make bench`, not to tests).
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds data8 and starts servers")
	}
	if !procmem.Supported() {
		t.Skip("needs /proc/PID/status with VmHWM")
	}
	var out, status bytes.Buffer
	parts, _ := parseParts(strings.Join(allParts(), ","))
	cfg := config{
		latency: time.Millisecond, sizes: []int{2000, 3500}, parts: parts, job: 50 * time.Millisecond, limit: 4,
		settings: []int{2, 8}, runs: 1, slowRuns: 1, naiveRuns: 1, ingestN: ingestBlocks * 1000, out: &out, status: &status,
	}
	if _, err := run(context.Background(), cfg); err != nil {
		t.Fatalf("%v\n%s", err, status.String())
	}
	got := out.String()
	for _, want := range []string{
		"upload/n=2000/ref/seconds", "upload/n=3500/cli/seconds", "upload/n=3500/cli/cpu_seconds_per_million", "upload/n=3500/cli/peak_rss_bytes",
		"upload/n=3500/ref/server_cpu_seconds", "upload/n=3500/cli/server_cpu_seconds", "upload/n=3500/bound_seconds", "upload/n=3500/cli_over_ref",
		"download/n=3500/ref/seconds", "download/n=3500/cli/cpu_seconds", "run/n=3500/cli/seconds", "run/n=3500/ref/seconds",
		"throttled/upload/n=3500/ref/seconds", "throttled/upload/n=3500/cli/failed_runs", "throttled/download/n=3500/ref/throttled_requests",
		"throttled/upload/n=3500/cli/avg_in_flight", "throttled/download/n=3500/ref/in_flight_per_request", "throttled/download/n=3500/cli_over_ref_run",
		"throttled/upload/n=3500/cli_at_limit/seconds", "throttled/download/n=3500/cli_at_limit/avg_in_flight", "throttled/upload/n=3500/cli_over_cli_at_limit",
		"throttled/download/n=3500/cli_over_cli_at_limit_run",
		"encode/n=3500/ours/records_per_s", "ingest/n=64000/raw/c=8/records_per_s", "upload/n=2000/naive/c=1/seconds",
		"upload/n=3500/ours/c=2/records_per_s", "upload/n=3500/ours/c=8/over_bound", "wall_seconds", "loadavg_1m/end",
	} {
		if !strings.Contains(got, "BENCH name="+want+" ") {
			t.Errorf("no BENCH line for %s", want)
		}
	}
	for _, want := range []string{"upload", "download", "run"} {
		for _, n := range cfg.sizes {
			if line := fmt.Sprintf("BENCH name=%s/n=%d/cli/failed_runs value=0 unit=runs runs=1\n", want, n); !strings.Contains(got, line) {
				t.Errorf("want %q: the CLI failed against the bench server", line)
			}
		}
	}
	line := regexp.MustCompile(`^(BENCH name=\S+ value=(-?[0-9.]+|NaN) unit=\S+ runs=\d+|TARGET name=\S+ value=\S+ op=\S+ limit=\S+ unit=\S+ pass=(true|false))$`)
	targets := 0
	for l := range strings.Lines(got) {
		l = strings.TrimSuffix(l, "\n")
		if strings.HasPrefix(l, "BENCH ") || strings.HasPrefix(l, "TARGET ") {
			if !line.MatchString(l) {
				t.Errorf("malformed line %q", l)
			}
			if strings.HasPrefix(l, "TARGET ") {
				targets++
			}
		}
	}
	// upload and download 5 each, run 4, throttled upload and download 3 each; library 6.
	if targets != 26 {
		t.Errorf("%d TARGET lines, want 26", targets)
	}
	if t.Failed() {
		t.Logf("output:\n%s\nprogress:\n%s", got, status.String())
	}
}

func TestParseInts(t *testing.T) {
	got, err := parseInts("100_000, 1000000,")
	if err != nil || len(got) != 2 || got[0] != 100000 || got[1] != 1000000 {
		t.Errorf("parseInts: %v %v", got, err)
	}
	for _, bad := range []string{"", "x", "0", "-5"} {
		if _, err := parseInts(bad); err == nil {
			t.Errorf("parseInts(%q): no error", bad)
		}
	}
}

func TestParseParts(t *testing.T) {
	got, err := parseParts(" upload,run,")
	if err != nil || len(got) != 2 || !got[partUpload] || !got[partRun] {
		t.Errorf("parseParts: %v %v", got, err)
	}
	for _, bad := range []string{"", ",", "upload,bogus"} {
		if _, err := parseParts(bad); err == nil {
			t.Errorf("parseParts(%q): no error", bad)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		vals []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		s := &stat{vals: c.vals}
		if got := s.median(); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.vals, got, c.want)
		}
	}
}
