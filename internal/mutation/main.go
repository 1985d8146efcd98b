// Command mutation writes the report of a mutation-testing run made by run.sh (make mutation): figures per
// package and per file, and every mutant that survived or that no test reached, with its place and the change
// it made; with -before, the same figures beside an earlier run's.
//
//	go run ./internal/mutation -dir .mutation/latest [-before /path/to/earlier/run]
//
// With -widen-cover it instead adds to a coverage profile the case lists its tests evaluated (see
// widenCover), for run.sh to hand gremlins a coverage that sees them.
//
// It reads DIR/raw/*.log (gremlins' own log, one line per mutant, so that a package cut short by its budget
// still counts the mutants it tested), DIR/raw/*.exit and the mutated sources DIR/src/, and writes
// DIR/summary.md.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	dir := flag.String("dir", ".mutation/latest", "the run's directory (run.sh's OUTDIR)")
	before := flag.String("before", "", "an earlier run's directory, to compare with")
	widen := flag.String("widen-cover", "", "instead of a report: add the case lists the tests evaluated to this coverage `profile` (run.sh's go wrapper does, for gremlins)")
	root := flag.String("module-root", ".", "with -widen-cover: the module's root directory")
	flag.Parse()
	if *widen != "" {
		if err := widenCover(*widen, *root); err != nil {
			fmt.Fprintln(os.Stderr, "mutation:", err)
			os.Exit(1)
		}
		return
	}
	if err := summarize(*dir, *before, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mutation:", err)
		os.Exit(1)
	}
}

// summarize reads the run in dir (and the one in before, if set), writes dir/summary.md, and prints the
// per-package table to w.
func summarize(dir, before string, w io.Writer) error {
	cur, err := loadRun(dir)
	if err != nil {
		return err
	}
	var prev *run
	if before != "" {
		if prev, err = loadRun(before); err != nil {
			return fmt.Errorf("before: %w", err)
		}
	}
	var b strings.Builder
	writeReport(&b, cur, prev)
	path := filepath.Join(dir, "summary.md")
	if err := os.WriteFile(path, []byte(b.String()), 0o666); err != nil {
		return err
	}
	writeTable(w, cur, prev)
	fmt.Fprintln(w, "report:", path)
	return nil
}
