package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/procmem"
)

// The data8 binary, built at most once per test process, on first use, into a directory TestMain removes.
// (Building lazily keeps unit-test runs and fuzz workers from paying for a build they do not use.)
var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binError error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// builtBinary returns the path of the built data8 binary, building it the first time.
func builtBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binError = os.MkdirTemp("", "data8-cli-test-"); binError != nil {
			return
		}
		binPath = filepath.Join(binDir, "data8")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/data8-toolkit/data8/cmd/data8").CombinedOutput()
		if err != nil {
			binError = fmt.Errorf("building data8: %v\n%s", err, out)
		}
	})
	if binError != nil {
		t.Fatal(binError)
	}
	return binPath
}

// binCommand returns the built data8 with the environment e (and none of the caller's DATA8_ variables).
func binCommand(t *testing.T, e env, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(builtBinary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATA8_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range e {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return ee.ExitCode()
}

// TestSIGINTResume interrupts a running data8 dataset upload with SIGINT part way (when the server receives
// the fifth block), checks that it prints the block to resume from and exits 130, then resumes with the
// printed command: the dataset ends with exactly the input.
func TestSIGINTResume(t *testing.T) {
	tg := newTarget(t, data8test.WithLatency(5*time.Millisecond))
	dir := t.TempDir()
	rows := append([][]string{{"name", "city", "notes"}}, tricky(300)...)
	in := writeFile(t, dir, "in.csv", csvRows(rows))
	tg.mustRun(t, "dataset", "create", "sig", "--columns", "name,city,notes")

	cmd, stdout, stderr := binCommand(t, tg.env, "dataset", "upload", "sig", in, "--block-size", "10", "--concurrency", "2")
	var proc atomic.Pointer[os.Process]
	var patches atomic.Int32
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPatch && patches.Add(1) == 5 {
			for proc.Load() == nil {
				runtime.Gosched()
			}
			proc.Load().Signal(os.Interrupt)
		}
		return false
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	proc.Store(cmd.Process)
	code := exitCode(t, cmd.Wait())
	tg.hook.set(nil)
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitInterrupted, stdout, stderr)
	}
	m := regexp.MustCompile(`interrupted: upload to dataset sig stopped at block (\d+) of 30\n(?s:.*)resume with:\n  (data8 dataset upload sig \S+ --start-block (\d+) --block-size 10)\n`).FindStringSubmatch(stderr.String())
	if m == nil || m[1] != m[3] {
		t.Fatalf("no resume block in stderr:\n%s", stderr)
	}
	if got, _ := tg.srv.Records("sig"); len(got) >= 300 {
		t.Fatalf("the upload finished before the signal")
	}
	cmd, stdout, stderr = binCommand(t, tg.env, append(strings.Fields(m[2])[1:], "--complete")...)
	if err := cmd.Run(); err != nil {
		t.Fatalf("resumed upload: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	checkRecords(t, tg.srv, "sig", wantRecords(rows, rows[0]))
	if d, _ := tg.srv.DatasetInfo("sig"); !d.Completed || d.RecordCount != 300 {
		t.Fatalf("dataset after resume: %+v", d)
	}
}

// TestUploadMemory uploads a generated CSV of 1,000,000 records with the built binary and checks that its
// peak RSS stays under 64 MiB: the file is streamed, never loaded. The server is the built binary's
// data8 serve, in its own process, so the test process's memory neither slows the server nor counts. The
// peak is the child's VmHWM, read from /proc while it runs by procmem.RunPeak (rusage's maxrss would count
// the parent's peak: see package procmem). Linux only; skipped with -short.
func TestUploadMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 1,000,000 records")
	}
	if !procmem.Supported() {
		t.Skip("needs /proc/PID/status with VmHWM")
	}
	const n = 1_000_000
	path := filepath.Join(t.TempDir(), "big.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	b = append(b, "first_name,last_name,email,phone,town,postcode\n"...)
	for i := range n {
		n := int64(i)
		b = strconv.AppendInt(append(b, "First"...), n, 10)
		b = strconv.AppendInt(append(b, ",Last"...), n, 10)
		b = strconv.AppendInt(append(b, ",person"...), n, 10)
		b = strconv.AppendInt(append(b, "@example.com,07"...), 100_000_000+n, 10)
		b = strconv.AppendInt(append(b, ",Town "...), n%500, 10)
		b = strconv.AppendInt(append(b, ",AB"...), n%90+10, 10)
		b = append(b, " 1CD\n"...)
		if len(b) > 1<<20 {
			f.Write(b)
			b = b[:0]
		}
	}
	f.Write(b)
	f.Close()

	e := startServe(t)
	cmd, stdout, stderr := binCommand(t, e, "dataset", "create", "big", "--columns", "first_name,last_name,email,phone,town,postcode")
	if err := cmd.Run(); err != nil {
		t.Fatalf("dataset create: %v\n%s%s", err, stdout, stderr)
	}
	cmd, stdout, stderr = binCommand(t, e, "dataset", "upload", "big", path, "--complete")
	peak, werr := procmem.RunPeak(cmd, 20*time.Millisecond) // bytes
	if werr != nil {
		t.Fatalf("upload: %v\nstdout:\n%s\nstderr:\n%s", werr, stdout, stderr)
	}
	if !strings.Contains(stdout.String(), "dataset big is complete with 1000000 records") {
		t.Fatalf("upload did not complete the dataset:\n%s", stdout)
	}
	if peak == 0 {
		t.Skip("could not read the child's VmHWM")
	}
	t.Logf("peak RSS (VmHWM) of data8 dataset upload of %d records: %.1f MiB", n, float64(peak)/(1<<20))
	if peak > 64<<20 {
		t.Errorf("peak RSS %.1f MiB, want at most 64 MiB", float64(peak)/(1<<20))
	}
}

// startServe runs the built binary's data8 serve on a free port until the test ends and returns the
// environment it printed.
func startServe(t *testing.T) env {
	t.Helper()
	cmd := exec.Command(builtBinary(t), "serve", "--addr", "127.0.0.1:0", "--job-duration", "10ms")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	e := env{}
	sc := bufio.NewScanner(out)
	for len(e) < 4 && sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if !ok {
			t.Fatalf("serve printed %q", sc.Text())
		}
		e[k] = strings.Trim(v, "'")
	}
	if len(e) < 4 {
		t.Fatalf("serve printed only %v", e)
	}
	go io.Copy(io.Discard, out)
	return e
}

// TestKilledRunResumes kills data8 run with SIGKILL (no chance to save anything more) during the
// upload and while it waits for the job, then resumes it with data8 run --resume and the state file
// it kept beside the result: the result is byte for byte the input (the Echo workflow), and the
// input dataset holds each record once.
func TestKilledRunResumes(t *testing.T) {
	for _, at := range []struct {
		name, method, prefix string
		n                    int32
	}{
		{"upload", http.MethodPatch, "/Dataset/", 12},
		{"wait", http.MethodGet, "/Job/", 2},
	} {
		t.Run(at.name, func(t *testing.T) {
			tg := newTarget(t, data8test.WithLatency(2*time.Millisecond), data8test.WithJobDuration(500*time.Millisecond))
			dir := t.TempDir()
			input := csvRows(append([][]string{{"First Name", "City/Town", "2nd Notes"}}, tricky(3000)...))
			in := writeFile(t, dir, "in.csv", input)
			out := filepath.Join(dir, "out.csv")
			cmd, stdout, stderr := binCommand(t, tg.env, "run", in, "--workflow", "Echo", "--out", out, "--block-size", "100", "--concurrency", "2", "--poll", "20ms")
			var proc atomic.Pointer[os.Process]
			var seen atomic.Int32
			tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method == at.method && strings.HasPrefix(r.URL.Path, at.prefix) && seen.Add(1) == at.n {
					for proc.Load() == nil {
						runtime.Gosched()
					}
					proc.Load().Kill()
				}
				return false
			})
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			proc.Store(cmd.Process)
			err := cmd.Wait()
			tg.hook.set(nil)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != -1 {
				t.Fatalf("data8 run was not killed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
			}
			state := out + ".data8-run.json"
			if _, err := os.Stat(state); err != nil {
				t.Fatalf("no state file beside the result after the kill: %v\nstderr:\n%s", err, stderr)
			}
			cmd, stdout, stderr = binCommand(t, tg.env, "run", "--resume", state)
			if err := cmd.Run(); err != nil {
				t.Fatalf("resume: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
			}
			got, err := os.ReadFile(out)
			if err != nil || string(got) != input {
				t.Fatalf("the resumed run's result differs from the input (%v)", err)
			}
			name := regexp.MustCompile(`resuming run (run_\S+)`).FindStringSubmatch(stdout.String())
			if name == nil {
				t.Fatalf("stdout:\n%s", stdout)
			}
			if recs, _ := tg.srv.Records(name[1]); len(recs) != 3000 {
				t.Errorf("input dataset holds %d records, want 3000", len(recs))
			}
			if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"in.csv", "out.csv"}) {
				t.Errorf("directory holds %v after the resumed run", names)
			}
		})
	}
}
