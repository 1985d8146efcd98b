//go:build !linux

package main

import (
	"os"
	"time"
)

// childMaxRSS is only implemented on Linux.
func childMaxRSS(*os.ProcessState) (int64, bool) { return 0, false }

// selfCPU is only implemented on Linux.
func selfCPU() (time.Duration, bool) { return 0, false }
