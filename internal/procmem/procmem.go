// Package procmem measures the peak memory of a child process on Linux, for the tests and the
// benchmark that hold the CLI to its memory target.
//
// The figure is the child's VmHWM (peak resident set size) from /proc/PID/status, read while the
// child runs. VmHWM is a high-water mark, so a sample taken any time after the peak sees it; only a
// peak reached after the last sample, in the child's last moments, can be missed.
//
// The rusage of the child (exec.Cmd.ProcessState.SysUsage, ru_maxrss from wait4 or waitid) is not
// used, because on Linux it is wrong for a child started by Go: os/exec starts children with
// clone(CLONE_VM|CLONE_VFORK), so until exec the child shares the parent's address space, and exec
// folds that address space's high-water mark — the parent's peak RSS — into the child's maxrss. A
// child started by a parent that once held 300 MiB reports a maxrss of at least 300 MiB however
// little it used itself.
package procmem

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// VmHWM returns the peak resident set size of process pid, in bytes, from /proc/PID/status; ok is
// false when it cannot be read (no /proc, or the process has exited).
func VmHWM(pid int) (n int64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	for line := range bytes.Lines(b) {
		if rest, found := bytes.CutPrefix(line, []byte("VmHWM:")); found {
			kb, unit, _ := bytes.Cut(bytes.TrimSpace(rest), []byte(" "))
			v, err := strconv.ParseInt(string(kb), 10, 64)
			if err != nil || string(unit) != "kB" {
				return 0, false
			}
			return v << 10, true
		}
	}
	return 0, false
}

// Supported reports whether this system has /proc/PID/status with VmHWM (Linux).
func Supported() bool {
	_, ok := VmHWM(os.Getpid())
	return ok
}

// RunPeak starts cmd, samples the child's VmHWM every interval until it exits, and returns the
// highest value seen, in bytes (0 when none could be read), with the error of cmd.Wait, or of
// cmd.Start when it does not start. interval <= 0 means 10 ms.
func RunPeak(cmd *exec.Cmd, interval time.Duration) (peak int64, err error) {
	if interval <= 0 {
		interval = 10 * time.Millisecond
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	pid := cmd.Process.Pid
	for {
		if n, ok := VmHWM(pid); ok && n > peak {
			peak = n
		}
		select {
		case err := <-done:
			return peak, err
		case <-tick.C:
		}
	}
}
