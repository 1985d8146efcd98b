package cli

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// peopleDataset uploads n tricky rows to a complete dataset "people" and returns the rows, header first.
func peopleDataset(t *testing.T, tg *target, n int) [][]string {
	t.Helper()
	rows := append([][]string{{"name", "city", "notes"}}, tricky(n)...)
	in := writeFile(t, t.TempDir(), "in.csv", csvRows(rows))
	tg.mustRun(t, "dataset", "create", "people", "--columns", "name,city,notes")
	tg.mustRun(t, "dataset", "upload", "people", in, "--complete")
	return rows
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestDownloadWindowsGiveTheSameFile(t *testing.T) {
	tg := newTarget(t)
	rows := peopleDataset(t, tg, 10_001)
	dir := t.TempDir()
	for _, conc := range []string{"1", "8"} {
		out := filepath.Join(dir, "out"+conc+".csv")
		tg.mustRun(t, "dataset", "download", "people", "--out", out, "--columns", "name,city,notes", "--concurrency", conc)
		if got, err := os.ReadFile(out); err != nil || string(got) != csvRows(rows) {
			t.Fatalf("window %s: the downloaded CSV differs from the uploaded file (%v)", conc, err)
		}
	}
}

func TestDownloadShortReadFailsAndLeavesNoFile(t *testing.T) {
	tg := newTarget(t)
	peopleDataset(t, tg, 2501)
	// The server's pages end after the first: 1,000 of the 2,501 records it states.
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/Dataset/people/data" && r.URL.Query().Get("page") != "1" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("[]"))
			return true
		}
		return false
	})
	dir := t.TempDir()
	for _, name := range []string{"out.csv", "out.jsonl"} {
		r := tg.run(t, "dataset", "download", "people", "--out", filepath.Join(dir, name))
		if r.code != ExitFailure || !strings.Contains(r.stderr, "2501") || !strings.Contains(r.stderr, "1000") {
			t.Errorf("download %s of a short read: want exit %d naming 2501 and 1000; got %v", name, ExitFailure, r)
		}
	}
	// Standard output too: the output stops short, and the exit status says so.
	if r := tg.run(t, "dataset", "download", "people", "--out", "-"); r.code != ExitFailure || !strings.Contains(r.stderr, "2501") {
		t.Errorf("download to standard output of a short read: %v", r)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("a failed download left %v", names)
	}
}

func TestRunShortReadFailsAndLeavesNoFile(t *testing.T) {
	tg := newTarget(t)
	rows := append([][]string{{"name", "city", "notes"}}, tricky(1500)...)
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", csvRows(rows))
	out := filepath.Join(dir, "result.csv")
	// Every output dataset's second page comes back empty.
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "_output/data") && r.URL.Query().Get("page") == "2" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("[]"))
			return true
		}
		return false
	})
	r := tg.run(t, "run", in, "--workflow", "Echo", "--out", out)
	if r.code != ExitFailure || !strings.Contains(r.stderr, "1500") || !strings.Contains(r.stderr, "1000") {
		t.Errorf("run with a short read: want exit %d naming 1500 and 1000; got %v", ExitFailure, r)
	}
	// No result file: only the run's state, to resume from.
	if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"in.csv", "result.csv.data8-run.json"}) {
		t.Errorf("a failed run left %v", names)
	}
	if !strings.Contains(r.stderr, "data8 run --resume "+out+".data8-run.json") {
		t.Errorf("no resume command:\n%s", r.stderr)
	}
}

func TestDownloadRestartsWhenRecordsGainAColumn(t *testing.T) {
	// The dataset lists column a; from record 4,000 on (past the writer's 256 KiB buffer: each record
	// is over 100 bytes) its records also carry column extra. The file must hold each record once,
	// with the new column.
	const n, from = 6000, 4000
	tg := newTarget(t)
	var pages atomic.Int32
	value := func(i int) string { return fmt.Sprintf("record %d %s", i, strings.Repeat("x", 100)) }
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/Dataset/wide":
			fmt.Fprintf(w, `{"name":"wide","columns":{"a":0},"input":false,"recordCount":%d,"completed":true}`, n)
			return true
		case "/Dataset/wide/data":
			pages.Add(1)
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			var b bytes.Buffer
			b.WriteByte('[')
			for i := (page - 1) * 1000; i < min(page*1000, n); i++ {
				if b.Len() > 1 {
					b.WriteByte(',')
				}
				if i >= from {
					fmt.Fprintf(&b, `{"a":%q,"extra":"e%d"}`, value(i), i)
				} else {
					fmt.Fprintf(&b, `{"a":%q}`, value(i))
				}
			}
			b.WriteByte(']')
			w.Write(b.Bytes())
			return true
		}
		return false
	})
	dir := t.TempDir()
	out := filepath.Join(dir, "wide.csv")
	r := tg.mustRun(t, "dataset", "download", "wide", "--out", out, "--concurrency", "2")
	if !strings.Contains(r.stderr, `record 4000 of dataset wide has column "extra"`) {
		t.Errorf("no word of the new column:\n%s", r.stderr)
	}
	got := readCSV(t, out)
	if len(got) != n+1 || !reflect.DeepEqual(got[0], []string{"a", "extra"}) {
		t.Fatalf("%d rows, header %q; want %d rows, header a,extra", len(got), got[0], n+1)
	}
	for i, row := range got[1:] {
		want := []string{value(i), ""}
		if i >= from {
			want[1] = fmt.Sprintf("e%d", i)
		}
		if !reflect.DeepEqual(row, want) {
			t.Fatalf("row %d = %q, want %q", i+1, row, want)
		}
	}
	if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"wide.csv"}) {
		t.Errorf("directory holds %v", names)
	}
}

func TestDownloadFileModes(t *testing.T) {
	tg := newTarget(t)
	peopleDataset(t, tg, 10)
	dir := t.TempDir()
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)

	// A new file: 0666 less the umask.
	out := filepath.Join(dir, "new.csv")
	tg.mustRun(t, "dataset", "download", "people", "--out", out)
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("new file: %v, %v; want mode 0640 under umask 027", fi.Mode(), err)
	}
	// An existing 0600 file keeps its mode, looser as the umask may be.
	syscall.Umask(0o022)
	kept := filepath.Join(dir, "kept.jsonl")
	if err := os.WriteFile(kept, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tg.mustRun(t, "dataset", "download", "people", "--out", kept)
	if fi, err := os.Stat(kept); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("existing 0600 file: %v, %v; want 0600 kept", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(kept); bytes.HasPrefix(b, []byte("old")) || len(b) == 0 {
		t.Errorf("existing file not replaced: %q", b)
	}
}

func TestDownloadChecksOutFirst(t *testing.T) {
	tg := newTarget(t)
	requests := tg.countRequests()
	dir := t.TempDir()
	asDir := filepath.Join(dir, "res.csv")
	if err := os.Mkdir(asDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ out, want string }{
		{asDir, "is a directory"},
		{filepath.Join(dir, "missing", "out.csv"), "no such file or directory"},
	} {
		r := tg.run(t, "dataset", "download", "people", "--out", tc.out)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("--out %s: want a failure saying %q, got %v", tc.out, tc.want, r)
		}
		r = tg.run(t, "run", writeFile(t, t.TempDir(), "in.csv", "a\n1\n"), "--workflow", "Echo", "--out", tc.out)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("run --out %s: want a failure saying %q, got %v", tc.out, tc.want, r)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent before --out was refused", n)
	}
}
