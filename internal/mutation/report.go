package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// figures counts a set of mutants by status.
type figures struct {
	Killed, Lived, NotCovered, TimedOut, NotViable int
}

func count(ms []mutant) figures {
	var f figures
	for _, m := range ms {
		switch m.Status {
		case killed:
			f.Killed++
		case lived:
			f.Lived++
		case notCovered:
			f.NotCovered++
		case timedOut:
			f.TimedOut++
		case notViable:
			f.NotViable++
		}
	}
	return f
}

// efficacy is gremlins' test efficacy: killed over killed plus lived, in percent.
func (f figures) efficacy() string { return percent(f.Killed, f.Killed+f.Lived) }

// coverage is gremlins' mutant coverage: tested (killed plus lived) over tested plus not covered, in percent.
func (f figures) coverage() string {
	return percent(f.Killed+f.Lived, f.Killed+f.Lived+f.NotCovered)
}

func percent(n, d int) string {
	if d == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(d))
}

// A group is the mutants of one package (or one file) across the targets that name it.
type group struct {
	Name     string
	Files    string // for a package: the files mutated, or "all"
	Mutants  []mutant
	Seconds  int
	Coverage []string // the coverage run's time of each target that ran
	Complete bool
	Ran      bool // at least one of its targets ran
	Problems []string
}

// packages groups a run's mutants by package directory, in the targets file's order.
func (r *run) packages() []group {
	var gs []group
	at := map[string]int{}
	for _, t := range r.Targets {
		i, ok := at[t.Dir]
		if !ok {
			i = len(gs)
			at[t.Dir] = i
			gs = append(gs, group{Name: t.Dir, Complete: true})
		}
		g := &gs[i]
		files := "all"
		if len(t.Files) > 0 {
			files = strings.Join(t.Files, " ")
		}
		g.Files = strings.TrimSpace(strings.TrimPrefix(g.Files+" "+files, " "))
		g.Mutants = append(g.Mutants, t.Mutants...)
		g.Seconds += t.Seconds
		g.Ran = g.Ran || t.Ran
		if t.CoverageRun != "" {
			g.Coverage = append(g.Coverage, t.CoverageRun)
		}
		if !t.Complete {
			g.Complete = false
			g.Problems = append(g.Problems, fmt.Sprintf("%s: %s", strings.ReplaceAll(files, " ", ","), t.Problem))
		}
	}
	return gs
}

// files groups a run's mutants by file, sorted by name.
func (r *run) files() []group {
	by := map[string]*group{}
	var names []string
	for _, t := range r.Targets {
		for _, m := range t.Mutants {
			g, ok := by[m.File]
			if !ok {
				g = &group{Name: m.File, Complete: t.Complete, Ran: true}
				by[m.File] = g
				names = append(names, m.File)
			}
			g.Mutants = append(g.Mutants, m)
		}
	}
	slices.Sort(names)
	gs := make([]group, 0, len(names))
	for _, n := range names {
		gs = append(gs, *by[n])
	}
	return gs
}

func state(g group) string {
	if g.Complete {
		return "complete"
	}
	return "incomplete (" + strings.Join(g.Problems, "; ") + ")"
}

func minutes(s int) string { return fmt.Sprintf("%dm%02ds", s/60, s%60) }

// writeTable prints the per-package figures (and, with prev, the earlier run's beside them).
func writeTable(w io.Writer, cur, prev *run) {
	var before map[string]figures
	if prev != nil {
		before = map[string]figures{}
		for _, g := range prev.packages() {
			before[g.Name] = count(g.Mutants)
		}
	}
	for _, g := range cur.packages() {
		if !g.Ran {
			fmt.Fprintf(w, "%-28s not run\n", g.Name)
			continue
		}
		f := count(g.Mutants)
		fmt.Fprintf(w, "%-28s killed %4d  lived %4d  not covered %4d  timed out %3d  not viable %3d  efficacy %6s  coverage %6s",
			g.Name, f.Killed, f.Lived, f.NotCovered, f.TimedOut, f.NotViable, f.efficacy(), f.coverage())
		if b, ok := before[g.Name]; ok {
			fmt.Fprintf(w, "  (before: efficacy %s, lived %d)", b.efficacy(), b.Lived)
		}
		if !g.Complete {
			fmt.Fprintf(w, "  %s", state(g))
		}
		fmt.Fprintln(w)
	}
}

const figureHeader = "| killed | lived | not covered | timed out | not viable | test efficacy | mutant coverage |"

func figureCells(f figures) string {
	return fmt.Sprintf("| %d | %d | %d | %d | %d | %s | %s |",
		f.Killed, f.Lived, f.NotCovered, f.TimedOut, f.NotViable, f.efficacy(), f.coverage())
}

// writeReport writes the Markdown report of cur, compared with prev when prev is not nil.
func writeReport(b *strings.Builder, cur, prev *run) {
	fmt.Fprintf(b, "# Mutation testing\n\n")
	fmt.Fprintf(b, "Run in `%s`: commit %s, from %s to %s.\n", cur.Dir, orUnknown(cur.Commit), orUnknown(cur.Started), orUnknown(cur.Finished))
	fmt.Fprintf(b, "Settings: %s.\n", orUnknown(cur.Settings))
	b.WriteString("gremlins with every mutator it offers, one package at a time, one worker, `go test -short`. " +
		"Test efficacy is killed / (killed + lived); mutant coverage is (killed + lived) / (killed + lived + not covered); " +
		"timed-out and not-viable mutants count in neither (gremlins' definitions).\n\n")

	b.WriteString("## Packages\n\n| package | files |" + figureHeader[1:] + " time | coverage run | state |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, g := range cur.packages() {
		fmt.Fprintf(b, "| %s | %s %s %s | %s | %s |\n", g.Name, g.Files, figureCells(count(g.Mutants)), minutes(g.Seconds),
			cmp.Or(strings.Join(g.Coverage, ", "), "–"), state(g))
	}

	b.WriteString("\n## Files\n\n| file " + figureHeader + "\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, g := range cur.files() {
		fmt.Fprintf(b, "| %s %s\n", g.Name, figureCells(count(g.Mutants)))
	}

	if prev != nil {
		writeComparison(b, cur, prev)
	}

	for _, s := range []struct{ status, title string }{
		{lived, "Survivors (lived)"},
		{timedOut, "Timed out"},
		{notCovered, "Not covered by any test of the package"},
	} {
		var list []mutant
		for _, t := range cur.Targets {
			for _, m := range t.Mutants {
				if m.Status == s.status {
					list = append(list, m)
				}
			}
		}
		slices.SortStableFunc(list, func(x, y mutant) int {
			return cmp.Or(cmp.Compare(x.File, y.File), cmp.Compare(x.Line, y.Line), cmp.Compare(x.Col, y.Col))
		})
		src := map[string][]byte{}
		sourceOf := func(file string) []byte {
			text, ok := src[file]
			if !ok {
				text, _ = cur.source(file)
				src[file] = text
			}
			return text
		}
		var lines []string
		inCase := 0
		for _, m := range list {
			line := fmt.Sprintf("- `%s:%d:%d` %s: %s", m.File, m.Line, m.Col, m.Type, describe(sourceOf(m.File), m))
			if s.status == notCovered && inCaseList(sourceOf(m.File), m) {
				line += " (in a case list)"
				inCase++
			}
			lines = append(lines, line)
		}
		fmt.Fprintf(b, "\n## %s: %d\n\n", s.title, len(list))
		switch {
		case inCase > 0 && cur.casesWidened():
			fmt.Fprintf(b, "%d of them sit in a case list that no test evaluated.\n\n", inCase)
		case inCase > 0:
			fmt.Fprintf(b, "%d of them sit in the expression list of a `case`, where Go's coverage counts no block: "+
				"this run left gremlins' coverage as it was, so it reported those not covered whether or not a test "+
				"evaluated them, and tested none of them.\n\n", inCase)
		}
		for _, line := range lines {
			b.WriteString(line + "\n")
		}
	}
}

// writeComparison sets cur's per-package and per-file figures beside prev's. Lines move between runs, so
// mutants are compared by count, not one by one.
func writeComparison(b *strings.Builder, cur, prev *run) {
	fmt.Fprintf(b, "\n## Compared with `%s` (commit %s)\n\n", prev.Dir, orUnknown(prev.Commit))
	b.WriteString("| package or file | before: killed / lived / not covered | efficacy | coverage | now: killed / lived / not covered | efficacy | coverage |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	row := func(name string, bf, nf *figures, note string) {
		cell := func(f *figures) string {
			if f == nil {
				return "– | – | –"
			}
			return fmt.Sprintf("%d / %d / %d | %s | %s", f.Killed, f.Lived, f.NotCovered, f.efficacy(), f.coverage())
		}
		fmt.Fprintf(b, "| %s%s | %s | %s |\n", name, note, cell(bf), cell(nf))
	}
	compare := func(before, now []group) {
		bf := map[string]group{}
		for _, g := range before {
			bf[g.Name] = g
		}
		seen := map[string]bool{}
		for _, g := range now {
			seen[g.Name] = true
			n := count(g.Mutants)
			note := ""
			if old, ok := bf[g.Name]; ok && old.Ran && g.Ran {
				if !old.Complete || !g.Complete {
					note = " (a run incomplete)"
				}
				o := count(old.Mutants)
				row(g.Name, &o, &n, note)
				continue
			}
			if !g.Ran {
				row(g.Name, nil, nil, " (not run in either)")
				continue
			}
			row(g.Name, nil, &n, "")
		}
		for _, g := range before {
			if !seen[g.Name] && g.Ran {
				o := count(g.Mutants)
				row(g.Name, &o, nil, "")
			}
		}
	}
	compare(prev.packages(), cur.packages())
	compare(prev.files(), cur.files())
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
