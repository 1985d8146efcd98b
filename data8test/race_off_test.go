//go:build !race

package data8test

// raceDetector reports whether the tests run under the race detector.
const raceDetector = false
