package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// stat is a figure measured over several runs.
type stat struct {
	vals    []float64
	derived int // for a figure computed from medians: the runs of the figure it comes from
}

func (s *stat) add(v float64) { s.vals = append(s.vals, v) }

// median is the median of the runs (the mean of the middle two for an even count); NaN with none.
func (s *stat) median() float64 {
	if s == nil || len(s.vals) == 0 {
		return math.NaN()
	}
	v := slices.Clone(s.vals)
	slices.Sort(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}

func (s *stat) runs() int {
	switch {
	case s == nil:
		return 0
	case s.derived > 0:
		return s.derived
	}
	return len(s.vals)
}

// figures holds every figure of a run under its machine-readable name, in the order first added.
type figures struct {
	order []string
	stats map[string]*stat
	units map[string]string
}

func newFigures() *figures {
	return &figures{stats: map[string]*stat{}, units: map[string]string{}}
}

// add records one run's value of figure name.
func (f *figures) add(name, unit string, v float64) {
	s, ok := f.stats[name]
	if !ok {
		s = &stat{}
		f.stats[name] = s
		f.units[name] = unit
		f.order = append(f.order, name)
	}
	s.add(v)
}

// derive records a figure computed from medians, once: the runs it reports are those of figure from.
func (f *figures) derive(name, unit string, v float64, from string) {
	if _, ok := f.stats[name]; ok {
		return
	}
	f.add(name, unit, v)
	f.stats[name].derived = f.stats[from].runs()
}

// count records a figure that sums runs rather than being a median of them (failures, say).
func (f *figures) count(name, unit string, v float64, runs int) {
	f.add(name, unit, v)
	f.stats[name].derived = runs
}

// get returns the median of figure name (NaN when it was not measured).
func (f *figures) get(name string) float64 { return f.stats[name].median() }

// worst returns the largest run of figure name (NaN when it was not measured).
func (f *figures) worst(name string) float64 {
	s := f.stats[name]
	if s == nil || len(s.vals) == 0 {
		return math.NaN()
	}
	return slices.Max(s.vals)
}

// last returns the last run of figure name and the number of runs so far.
func (f *figures) last(name string) (v float64, runs int) {
	s := f.stats[name]
	if s == nil || len(s.vals) == 0 {
		return math.NaN(), 0
	}
	return s.vals[len(s.vals)-1], len(s.vals)
}

// writeLines writes one BENCH line per figure.
func (f *figures) writeLines(w io.Writer) {
	for _, name := range f.order {
		s := f.stats[name]
		fmt.Fprintf(w, "BENCH name=%s value=%s unit=%s runs=%d\n", name, num(s.median()), f.units[name], s.runs())
	}
}

// num formats a value for a BENCH line: up to 4 decimals, no exponent.
func num(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// target is one of the project's speed and memory targets, checked against a median.
type target struct {
	name  string
	value float64
	op    string // "<=" or ">="
	limit float64
	unit  string
	note  string
}

func (t target) pass() bool {
	if math.IsNaN(t.value) {
		return false
	}
	if t.op == "<=" {
		return t.value <= t.limit
	}
	return t.value >= t.limit
}

// table writes rows of cells with columns aligned; cells of the first column are left-aligned, the
// others right-aligned.
type table struct {
	rows [][]string
}

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer, indent string) {
	var width []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for _, r := range t.rows {
		var b strings.Builder
		b.WriteString(indent)
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if i > 0 {
				b.WriteString("  ")
			}
			if i <= 1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// grouped formats an integer with thousands separators.
func grouped(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fixed formats v with d decimals, or a dash for NaN.
func fixed(v float64, d int) string {
	if math.IsNaN(v) {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', d, 64)
}

// mib formats bytes as MiB.
func mib(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fixed(v/(1<<20), 1) + " MiB"
}

// secs formats seconds.
func secs(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	if v < 1 {
		return fixed(v*1000, 0) + " ms"
	}
	return fixed(v, 2) + " s"
}
