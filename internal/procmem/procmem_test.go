package procmem

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary, run as a child, touch childMiB MiB, hold it a moment and exit.
const (
	childEnv = "PROCMEM_TEST_CHILD"
	childMiB = 48
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		b := make([]byte, childMiB<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		time.Sleep(200 * time.Millisecond) // a sample taken while the child runs sees the peak
		runtime.KeepAlive(b)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRunPeak runs a child that touches 48 MiB and checks that its peak is seen, and not inflated by
// the parent's memory.
func TestRunPeak(t *testing.T) {
	if !Supported() {
		t.Skip("needs /proc/PID/status with VmHWM")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	peak, err := RunPeak(cmd, 0)
	if err != nil {
		t.Fatal(err)
	}
	// At least what the child touched; the upper bound leaves room for the race detector's shadow
	// memory when the tests run with -race.
	if peak < childMiB<<20 || peak > (3*childMiB+64)<<20 {
		t.Errorf("peak %d MiB, want about %d MiB", peak>>20, childMiB)
	}
}

// TestRusageCountsParent shows why the package reads VmHWM: once the parent has touched 128 MiB, the
// maxrss that wait reports for a child that touched almost nothing is at least 128 MiB, while the
// child's own VmHWM is small.
func TestRusageCountsParent(t *testing.T) {
	if !Supported() {
		t.Skip("needs /proc/PID/status with VmHWM")
	}
	const mib = 128
	b := make([]byte, mib<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$") // runs no test: a small process
	peak, err := RunPeak(cmd, 0)
	runtime.KeepAlive(b)
	if err != nil {
		t.Fatal(err)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("no rusage")
	}
	maxrss := ru.Maxrss << 10 // kB on Linux
	t.Logf("child: VmHWM %d MiB, rusage maxrss %d MiB", peak>>20, maxrss>>20)
	if maxrss < mib<<20 {
		t.Errorf("rusage maxrss %d MiB: expected it to include the parent's %d MiB (has the kernel changed?)", maxrss>>20, mib)
	}
	if peak >= mib<<20 {
		t.Errorf("VmHWM %d MiB: expected the child's own small figure", peak>>20)
	}
}
