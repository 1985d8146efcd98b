package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/internal/procmem"
)

// TestRunSmall runs the whole benchmark at toy sizes, checking that it prints every figure and every
// target; the values themselves are not checked (targets hold at the real sizes only, and timing
// belongs to `make bench`, not to tests).
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds data8 and starts two sandboxes")
	}
	if !procmem.Supported() {
		t.Skip("needs /proc/PID/status with VmHWM")
	}
	var out, status bytes.Buffer
	cfg := config{
		latency: time.Millisecond, sizes: []int{2000, 3500}, settings: []int{2, 8}, runs: 2, slowRuns: 1, naiveRuns: 1,
		ingestN: ingestBlocks * 1000, out: &out, status: &status,
	}
	if _, err := run(context.Background(), cfg); err != nil {
		t.Fatalf("%v\n%s", err, status.String())
	}
	got := out.String()
	for _, want := range []string{
		"encode/n=3500/ours/records_per_s", "encode/n=3500/baseline/allocs_per_record", "encode/n=2000/speedup",
		"ingest/n=64000/raw/c=8/records_per_s", "ingest/n=64000/ours/c=8/records_per_s",
		"upload/n=2000/naive/c=1/seconds", "upload/n=3500/ours/c=2/records_per_s", "upload/n=3500/ours/c=8/over_bound",
		"upload/n=3500/ours/c=8/naive_over_ours", "upload/n=3500/ours/c=8/body_bytes_per_record", "upload/n=3500/ours/c=8/wire_bytes_per_record",
		"upload/n=2000/naive/c=1/wire_bytes_per_record", "encode/n=2000/ours/body_bytes_per_record",
		"upload/n=3500/ours/c=8/allocs_per_record", "upload/n=3500/ours/c=8/peak_heap_bytes",
		"cli/n=2000/peak_rss_bytes", "cli/n=3500/peak_rss_bytes", "wall_seconds",
	} {
		if !strings.Contains(got, "BENCH name="+want+" ") {
			t.Errorf("no BENCH line for %s", want)
		}
	}
	line := regexp.MustCompile(`^(BENCH name=\S+ value=-?[0-9.]+ unit=\S+ runs=\d+|TARGET name=\S+ value=\S+ op=\S+ limit=\S+ unit=\S+ pass=(true|false))$`)
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
	if targets != 8 {
		t.Errorf("%d TARGET lines, want 8", targets)
	}
	if t.Failed() {
		t.Logf("output:\n%s", got)
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
