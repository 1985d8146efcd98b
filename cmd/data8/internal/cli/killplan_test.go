//go:build unix

package cli

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKilledWhileCheckingTheFile kills data8 run (SIGKILL: nothing of its own runs after) while it
// checks its input file, before it has sent anything: it leaves no state file, since nothing is on
// the server to carry on with, and the next run of the same command starts and succeeds. The input
// is a named pipe, so the test knows the check is under way: a write of more than the pipe holds
// returns only once the run has read from it (the readable-file check before it opens the file
// and reads nothing).
func TestKilledWhileCheckingTheFile(t *testing.T) {
	tg := newTarget(t)
	requests := tg.countRequests()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.csv")
	if err := syscall.Mkfifo(in, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, stdout, stderr := binCommand(t, tg.env, "run", in, "--workflow", "Echo", "--out", out, "--poll", "10ms")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// One column, so that whatever part of a chunk an earlier reader left in the pipe, the file
	// read is CSV of one column.
	chunk := []byte("email\n" + strings.Repeat("a@b.com\n", 256<<10/8))
	deadline := time.Now().Add(time.Minute)
	var w *os.File
	for w == nil {
		f, err := os.OpenFile(in, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if errors.Is(err, syscall.ENXIO) { // no reader yet
			if time.Now().After(deadline) {
				t.Fatalf("data8 never opened its input\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
			time.Sleep(2 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		f.SetWriteDeadline(deadline)
		if _, err = f.Write(chunk); err == nil {
			w = f // the check is reading, and waits for more
			break
		}
		f.Close()
		if !errors.Is(err, syscall.EPIPE) { // EPIPE: a reader that read nothing closed the pipe
			t.Fatalf("writing the input: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	w.Close()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("data8 ended with %v before it was killed\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("%d requests sent before the check ended", n)
	}
	if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"in.csv"}) {
		t.Errorf("killed while checking its file, data8 left %q; want only in.csv", names)
	}

	if err := os.Remove(in); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "in.csv", "email\nA@B.COM\n")
	r := tg.run(t, "run", in, "--workflow", "Echo", "--out", out, "--poll", "10ms")
	if got, err := os.ReadFile(out); r.code != 0 || err != nil || string(got) != "email\nA@B.COM\n" {
		t.Fatalf("the next run: %v\nresult %q (%v)", r, got, err)
	}
}
