package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// The statuses gremlins gives a mutant.
const (
	killed     = "KILLED"      // a test failed
	lived      = "LIVED"       // every test passed: the survivor
	notCovered = "NOT COVERED" // no test runs that line, so it was not tested
	timedOut   = "TIMED OUT"   // the tests ran past the timeout (counted apart, as gremlins does)
	notViable  = "NOT VIABLE"  // the mutant does not compile
	skipped    = "SKIPPED"     // outside a diff (unused here)
)

// A mutant is one change gremlins made (or would have made) and what the tests said of it.
type mutant struct {
	File      string // path from the module root, e.g. client/window.go
	Line, Col int
	Type      string // gremlins' mutator, e.g. CONDITIONALS_BOUNDARY
	Status    string
}

// A target is one line of the targets file: a package directory and the files of it that were mutated.
type target struct {
	Dir     string
	Files   []string // none: every non-test file of Dir
	Name    string   // the base name of its raw files
	Ran     bool     // it has a log
	Mutants []mutant
	// Complete is true when gremlins finished the package; false when the budget cut it short or it failed.
	Complete bool
	Exit     int // run.sh's exit status of gremlins: 124 when the budget ran out
	Seconds  int
	Problem  string // why it is not complete, from its log
	// CoverageRun is how long gremlins' coverage run took, as it logs it: each mutant may take a few
	// times that before it counts as timed out.
	CoverageRun string
}

// A run is one directory written by run.sh.
type run struct {
	Dir      string
	Commit   string
	Started  string
	Finished string
	Settings string // run.sh's settings line: "gremlins=v0.6.0 budget=60m coefficient=3 cases=1"
	Targets  []target
}

// casesWidened reports whether the run counted the case lists its tests evaluated as covered.
func (r *run) casesWidened() bool { return strings.Contains(" "+r.Settings+" ", " cases=1 ") }

// source returns the mutated file as the run saw it.
func (r *run) source(file string) ([]byte, error) {
	return os.ReadFile(filepath.Join(r.Dir, "src", filepath.FromSlash(file)))
}

// rawName is the base name run.sh gives a target's raw files.
func rawName(dir string, files []string) string {
	name := strings.ReplaceAll(dir, "/", "_")
	if len(files) > 0 {
		name += "-" + strings.Join(files, "-")
	}
	return name
}

// parseTargets reads a targets file: one package a line, its directory then its files; # starts a comment.
func parseTargets(r io.Reader) ([]target, error) {
	var ts []target
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		ts = append(ts, target{Dir: f[0], Files: f[1:], Name: rawName(f[0], f[1:])})
	}
	return ts, sc.Err()
}

// mutantLine matches gremlins' log line for one mutant: "      KILLED CONDITIONALS_BOUNDARY at window.go:42:7".
var mutantLine = regexp.MustCompile(`^\s*(KILLED|LIVED|NOT COVERED|TIMED OUT|NOT VIABLE|SKIPPED|RUNNABLE) ([A-Z_]+) at (.+):(\d+):(\d+)$`)

// parseLog reads the mutants of one target from gremlins' log; positions there are relative to the package
// directory dir. finished reports whether gremlins reached its closing figures.
func parseLog(r io.Reader, dir string) (ms []mutant, finished bool, problem, coverageRun string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := mutantLine.FindStringSubmatch(line); m != nil {
			ln, _ := strconv.Atoi(m[4])
			col, _ := strconv.Atoi(m[5])
			ms = append(ms, mutant{File: dir + "/" + m[3], Line: ln, Col: col, Type: m[2], Status: m[1]})
			continue
		}
		switch {
		case strings.HasPrefix(line, "Gathering coverage... done in "):
			coverageRun = strings.TrimPrefix(line, "Gathering coverage... done in ")
		case strings.HasPrefix(line, "Mutation testing completed"):
			finished = true
		case strings.Contains(line, "Shutting down gracefully"):
			problem = "budget reached"
		case strings.Contains(line, "failed to gather coverage"), strings.HasPrefix(line, "Error"):
			if problem == "" {
				problem = strings.TrimSpace(line)
			}
		}
	}
	return ms, finished, problem, coverageRun, sc.Err()
}

// loadRun reads a run directory.
func loadRun(dir string) (*run, error) {
	r := &run{Dir: dir}
	r.Commit = firstLine(filepath.Join(dir, "commit"))
	r.Started = firstLine(filepath.Join(dir, "started"))
	r.Finished = firstLine(filepath.Join(dir, "finished"))
	r.Settings = firstLine(filepath.Join(dir, "settings"))
	tf, err := os.Open(filepath.Join(dir, "targets"))
	if err != nil {
		return nil, fmt.Errorf("%s is not a mutation run (make mutation writes one): %w", dir, err)
	}
	defer tf.Close()
	if r.Targets, err = parseTargets(tf); err != nil {
		return nil, err
	}
	for i := range r.Targets {
		t := &r.Targets[i]
		f, err := os.Open(filepath.Join(dir, "raw", t.Name+".log"))
		if errors.Is(err, os.ErrNotExist) {
			t.Problem = "not run"
			continue
		}
		if err != nil {
			return nil, err
		}
		var finished bool
		t.Mutants, finished, t.Problem, t.CoverageRun, err = parseLog(f, t.Dir)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		t.Ran = true
		t.Exit = -1
		if ex := firstLine(filepath.Join(dir, "raw", t.Name+".exit")); ex != "" {
			fmt.Sscan(ex, &t.Exit, &t.Seconds)
		}
		t.Complete = finished && t.Exit == 0
		if !t.Complete && t.Problem == "" {
			switch t.Exit {
			case -1:
				t.Problem = "still running, or stopped before it ended"
			case 124, 137:
				t.Problem = "budget reached"
			default:
				t.Problem = fmt.Sprintf("gremlins exited with status %d", t.Exit)
			}
		}
	}
	return r, nil
}

func firstLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return strings.TrimSpace(string(line))
}
