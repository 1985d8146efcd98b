//go:build !linux

package main

import "os"

// childMaxRSS is only implemented on Linux.
func childMaxRSS(*os.ProcessState) (int64, bool) { return 0, false }
