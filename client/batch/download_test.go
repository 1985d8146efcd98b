package batch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/client/batch"
)

// wideServer serves dataset "wide", listing column a, of n records; from record from on, record i
// also carries extra columns x0 ... x(extra(i)-1). It is written apart from data8test, by hand.
func wideServer(t *testing.T, n, from int, extra func(i int) int) *client.Client {
	return wideServerListing(t, 0, n, from, extra)
}

// wideServerListing is wideServer with a dataset that also lists columns l0 ... l(listed-1).
func wideServerListing(t *testing.T, listed, n, from int, extra func(i int) int) *client.Client {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/Dataset/wide":
			cols := `"a":0`
			for k := range listed {
				cols += fmt.Sprintf(`,"l%d":0`, k)
			}
			fmt.Fprintf(w, `{"name":"wide","columns":{%s},"input":false,"recordCount":%d,"completed":true}`, cols, n)
		case "/Dataset/wide/data":
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			var b bytes.Buffer
			b.WriteByte('[')
			for i := (page - 1) * 1000; i < min(page*1000, n); i++ {
				if b.Len() > 1 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"a":"r%d"`, i)
				if i >= from {
					for k := range extra(i) {
						fmt.Fprintf(&b, `,"x%d":"v%d"`, k, i)
					}
				}
				b.WriteByte('}')
			}
			b.WriteByte(']')
			w.Write(b.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(hs.Close)
	c, err := client.New(client.WithBaseURL(hs.URL), client.WithBearerToken("test-token-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDownloadRestartsWithNewColumns(t *testing.T) {
	c := wideServer(t, 3000, 2500, func(int) int { return 2 })
	dir := t.TempDir()
	out := filepath.Join(dir, "wide.csv")
	var notices []string
	_, err := batch.Download(context.Background(), c, "wide", out, batch.DownloadOptions{Progress: func(e batch.Event) {
		if e.Kind == batch.Notice {
			notices = append(notices, e.Text)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 3001 || lines[0] != "a,x0,x1" || lines[1] != "r0,," || lines[3000] != "r2999,v2999,v2999" {
		t.Fatalf("%d lines, first %q, last %q", len(lines), lines[0], lines[len(lines)-1])
	}
	if len(notices) != 1 || !strings.Contains(notices[0], `record 2500 of dataset wide has column "x0"`) {
		t.Errorf("notices %q", notices)
	}
}

// TestDownloadColumnLimits: a dataset whose records bring more new columns than allowed, or more
// columns in all, is refused with a *TooManyColumnsError, and no file is left.
func TestDownloadColumnLimits(t *testing.T) {
	for _, tc := range []struct {
		name       string
		extra      int
		opts       batch.DownloadOptions
		limit, new int
	}{
		{"new columns past the default", batch.DefaultMaxNewColumns + 1, batch.DownloadOptions{}, batch.DefaultMaxNewColumns, 1},
		{"new columns past a given limit", 11, batch.DownloadOptions{MaxNewColumns: 10}, 10, 1},
		{"all columns past a given limit", 11, batch.DownloadOptions{MaxColumns: 5}, 5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One wide record, on the second page.
			c := wideServer(t, 1201, 1200, func(int) int { return tc.extra })
			dir := t.TempDir()
			_, err := batch.Download(context.Background(), c, "wide", filepath.Join(dir, "wide.csv"), tc.opts)
			var tm *client.TooManyColumnsError
			if !errors.As(err, &tm) || tm.Limit != tc.limit || tm.Unlisted != (tc.new == 1) || tm.Dataset != "wide" || tm.Record < 1000 {
				t.Fatalf("error %v, want a *TooManyColumnsError with limit %d", err, tc.limit)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("a refused download left %v", ents)
			}
		})
	}
	// A dataset listing too many columns is refused before any file is made, in either format.
	c := wideServerListing(t, 20, 10, 10, func(int) int { return 0 })
	dir := t.TempDir()
	for _, name := range []string{"w.csv", "w.jsonl"} {
		_, err := batch.Download(context.Background(), c, "wide", filepath.Join(dir, name), batch.DownloadOptions{MaxColumns: 20})
		var tm *client.TooManyColumnsError
		if !errors.As(err, &tm) || tm.Columns != 21 || tm.Limit != 20 || tm.Unlisted || tm.Record != -1 {
			t.Errorf("%s: 21 listed columns, limit 20: %v", name, err)
		}
		if _, err := batch.Download(context.Background(), c, "wide", filepath.Join(dir, name), batch.DownloadOptions{MaxColumns: 21}); err != nil {
			t.Errorf("%s: 21 listed columns, limit 21: %v", name, err)
		}
		os.Remove(filepath.Join(dir, name))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("refused downloads left %v", ents)
	}
}

// TestResultFileModes: a new result file gets 0666 less the umask, under umasks 002 and 077 (a
// fixed 0644 would fail both), and an existing file keeps its mode, never a looser one.
func TestResultFileModes(t *testing.T) {
	c := wideServer(t, 10, 10, func(int) int { return 0 })
	dir := t.TempDir()
	for _, tc := range []struct {
		umask    int
		existing os.FileMode // 0: a new file
		want     os.FileMode
	}{
		{0o002, 0, 0o664},
		{0o077, 0, 0o600},
		{0o022, 0o600, 0o600},
		{0o077, 0o644, 0o600}, // replaced under a tighter umask: no looser than either
		{0o002, 0o640, 0o640},
		// Each has a permission the other lacks: the new file gets only what both allow.
		{0o027, 0o604, 0o600},
		{0o002, 0o606, 0o604},
	} {
		name := fmt.Sprintf("umask%03o_existing%03o.csv", tc.umask, tc.existing)
		out := filepath.Join(dir, name)
		if tc.existing != 0 {
			if err := os.WriteFile(out, []byte("old\n"), tc.existing); err != nil {
				t.Fatal(err)
			}
			os.Chmod(out, tc.existing)
		}
		old := syscall.Umask(tc.umask)
		_, err := batch.Download(context.Background(), c, "wide", out, batch.DownloadOptions{})
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(out)
		if err != nil || fi.Mode().Perm() != tc.want {
			t.Errorf("%s: mode %v (%v), want %v", name, fi.Mode().Perm(), err, tc.want)
		}
		if b, _ := os.ReadFile(out); !bytes.HasPrefix(b, []byte("a\nr0\n")) {
			t.Errorf("%s holds %q", name, b)
		}
	}
}

// TestStateRoundTrip: every setting of a run survives its state file, and the file holds no
// secret.
func TestStateRoundTrip(t *testing.T) {
	status := 3
	st := batch.State{Version: batch.StateVersion, Step: batch.StepWait, Dataset: "run_x", Job: "run_x", JobStatus: &status, OutputDataset: "run_x_output",
		Spec: batch.Spec{Input: "in.jsonl", InputFormat: batch.JSONLines, Output: "out.txt", OutputFormat: batch.CSV, Workflow: "W",
			InputSlot: "In", OutputSlot: "Out", Parameters: map[string]string{"K": "v"}, ColumnTypes: map[string]int{"a": 1},
			Name: "run_x", BlockSize: 7, Concurrency: 3, DownloadConcurrency: 5, Statuses: client.JobStatuses{Done: []int{2}, Failed: []int{9}},
			PollInterval: 1500000000, MaxColumns: 50, MaxNewColumns: 5},
		Input:  &batch.InputSummary{Records: 2, Headers: []string{"A b"}, Columns: []string{"a_b"}, Size: 10, CRC32C: 42},
		Caller: map[string]string{"base-url": "https://example.com"}}
	path := filepath.Join(t.TempDir(), "s.json")
	if err := batch.SaveState(path, &st); err != nil {
		t.Fatal(err)
	}
	got, err := batch.LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, st) {
		t.Fatalf("state after a round trip:\n got %+v\nwant %+v", *got, st)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("state file mode %v: readable by others", fi.Mode())
	}
	if _, err := batch.ParseState([]byte(`{"version":1,"step":"wait","secret":"x"}`)); err == nil {
		t.Errorf("a state with an unknown member was read")
	}
	for _, v := range []string{`"version":0,`, ``, `"version":2,`} {
		_, err := batch.ParseState([]byte(`{` + v + `"step":"wait"}`))
		if err == nil || !strings.HasSuffix(err.Error(), "; this program reads version 1") {
			t.Errorf("a state with %q: err = %v, want one naming version 1", v, err)
		}
	}
}

// TestResumedDownloadKeepsColumnLimits: a run resumed at its download bounds the result's columns
// by the limits its Spec gave, not the defaults.
func TestResumedDownloadKeepsColumnLimits(t *testing.T) {
	for _, tc := range []struct {
		name            string
		maxCols, maxNew int
		limit           int
		unlisted        bool
	}{
		{"new columns", 0, 2, 2, true},
		{"all columns", 3, 0, 3, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One record, on the second page, brings 3 columns the dataset does not list.
			c := wideServer(t, 1201, 1200, func(int) int { return 3 })
			dir := t.TempDir()
			st := batch.State{Version: batch.StateVersion, Step: batch.StepDownload, Dataset: "run_x", Job: "run_x", OutputDataset: "wide",
				Spec: batch.Spec{Input: filepath.Join(dir, "in.csv"), Output: filepath.Join(dir, "out.csv"), Workflow: "W", Name: "run_x",
					MaxColumns: tc.maxCols, MaxNewColumns: tc.maxNew}}
			_, err := batch.Resume(context.Background(), c, st, batch.Options{})
			var tm *client.TooManyColumnsError
			if !errors.As(err, &tm) || tm.Limit != tc.limit || tm.Unlisted != tc.unlisted {
				t.Fatalf("error %v, want a *TooManyColumnsError with limit %d", err, tc.limit)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("a refused download left %v", ents)
			}
		})
	}
}

// TestDownloadColumnLimitsAreInclusive: a dataset whose records bring exactly MaxNewColumns new
// columns, or exactly MaxColumns in all, is downloaded whole.
func TestDownloadColumnLimitsAreInclusive(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra int
		opts  batch.DownloadOptions
	}{
		{"new columns at a given limit", 10, batch.DownloadOptions{MaxNewColumns: 10}},
		{"all columns at a given limit", 4, batch.DownloadOptions{MaxColumns: 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := wideServer(t, 1201, 1200, func(int) int { return tc.extra })
			out := filepath.Join(t.TempDir(), "wide.csv")
			if _, err := batch.Download(context.Background(), c, "wide", out, tc.opts); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(out)
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			if len(lines) != 1202 || strings.Count(lines[0], ",") != tc.extra {
				t.Errorf("%d lines, header %q; want 1202 lines and %d columns", len(lines), lines[0], tc.extra+1)
			}
		})
	}
}

// TestDownloadToColumnLimitIsInclusive: DownloadTo writes a dataset that lists exactly MaxColumns
// columns, and refuses one listing one more than the limit before reading any record.
func TestDownloadToColumnLimitIsInclusive(t *testing.T) {
	c := wideServerListing(t, 4, 3, 3, func(int) int { return 0 })
	var b bytes.Buffer
	if _, err := batch.DownloadTo(context.Background(), c, "wide", &b, batch.DownloadOptions{MaxColumns: 5}); err != nil {
		t.Fatalf("5 columns listed, limit 5: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 4 || strings.Count(lines[0], ",") != 4 || lines[1] != "r0,,,," {
		t.Errorf("wrote %q; want a header of 5 columns and 3 records", b.String())
	}
	b.Reset()
	_, err := batch.DownloadTo(context.Background(), c, "wide", &b, batch.DownloadOptions{MaxColumns: 4})
	var tm *client.TooManyColumnsError
	if !errors.As(err, &tm) || tm.Columns != 5 || tm.Limit != 4 || tm.Record != -1 || b.Len() != 0 {
		t.Errorf("5 columns listed, limit 4: %v, wrote %q; want a *client.TooManyColumnsError and nothing written", err, b.String())
	}
}

// TestFailedCommitLeavesNoTemporaryFile: when the finished file cannot take its final name (a
// directory appeared there during the download), Download fails naming the file and leaves nothing
// of its own in the directory.
func TestFailedCommitLeavesNoTemporaryFile(t *testing.T) {
	c := wideServer(t, 1500, 1500, func(int) int { return 0 })
	dir := t.TempDir()
	out := filepath.Join(dir, "wide.csv")
	var made bool
	_, err := batch.Download(context.Background(), c, "wide", out, batch.DownloadOptions{Progress: func(batch.Event) {
		if !made {
			made = true
			if err := os.MkdirAll(filepath.Join(out, "kept"), 0o755); err != nil {
				t.Error(err)
			}
		}
	}})
	if err == nil || !strings.HasPrefix(err.Error(), "writing "+out+": ") {
		t.Fatalf("err = %v, want writing %s: ...", err, out)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "wide.csv" || !entries[0].IsDir() {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the directory holds %q, want only the directory wide.csv", names)
	}
}
