package main

import (
	"os"
	"syscall"
)

// childMaxRSS returns the maxrss of an exited child's rusage, in bytes.
func childMaxRSS(ps *os.ProcessState) (int64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, false
	}
	return ru.Maxrss << 10, true // kB on Linux
}
