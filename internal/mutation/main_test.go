package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A log as gremlins v0.6.0 writes it, cut short by the budget.
const sampleLog = `Starting...
Gathering coverage... done in 35.4s
       LIVED CONDITIONALS_BOUNDARY at window.go:28:7
      KILLED CONDITIONALS_NEGATION at window.go:28:7
   TIMED OUT CONDITIONALS_BOUNDARY at window.go:35:7
 NOT COVERED INVERT_LOGICAL at window.go:37:36
  NOT VIABLE INVERT_BITWISE at window.go:40:9
      KILLED ARITHMETIC_BASE at window.go:43:25

Shutting down gracefully...
`

var sampleSource = "package client\n" + strings.Repeat("\n", 25) +
	"func f(i, n int) bool {\n" +
	"\tif i < n {\n" + // line 28
	"\t\treturn true\n\t}\n\treturn false\n}\n"

func TestParseLogAndCount(t *testing.T) {
	ms, finished, problem, coverageRun, err := parseLog(strings.NewReader(sampleLog), "client")
	if err != nil {
		t.Fatal(err)
	}
	if coverageRun != "35.4s" {
		t.Errorf("coverage run %q, want 35.4s", coverageRun)
	}
	if finished || problem != "budget reached" {
		t.Errorf("finished %v, problem %q; want a run cut short by its budget", finished, problem)
	}
	if len(ms) != 6 || ms[0] != (mutant{File: "client/window.go", Line: 28, Col: 7, Type: "CONDITIONALS_BOUNDARY", Status: lived}) {
		t.Fatalf("mutants %+v", ms)
	}
	f := count(ms)
	if f != (figures{Killed: 2, Lived: 1, NotCovered: 1, TimedOut: 1, NotViable: 1}) {
		t.Errorf("figures %+v", f)
	}
	if f.efficacy() != "66.7%" || f.coverage() != "75.0%" {
		t.Errorf("efficacy %s, coverage %s; want 66.7%%, 75.0%%", f.efficacy(), f.coverage())
	}
}

func TestDescribe(t *testing.T) {
	src := []byte("package p\n\nfunc f(i, n int) bool {\n\tif i < n && n != 0 {\n\t\ti += 2\n\t}\n\treturn -i > `x`\n}\n")
	for _, tc := range []struct {
		m    mutant
		want string
	}{
		{mutant{Line: 4, Col: 7, Type: "CONDITIONALS_BOUNDARY"}, "`<` → `<=` in `if i < n && n != 0 {`"},
		{mutant{Line: 4, Col: 7, Type: "CONDITIONALS_NEGATION"}, "`<` → `>=` in `if i < n && n != 0 {`"},
		{mutant{Line: 4, Col: 11, Type: "INVERT_LOGICAL"}, "`&&` → `||` in `if i < n && n != 0 {`"},
		{mutant{Line: 5, Col: 5, Type: "REMOVE_SELF_ASSIGNMENTS"}, "`+=` → `=` in `i += 2`"},
		{mutant{Line: 7, Col: 9, Type: "INVERT_NEGATIVES"}, "`-` → `+` in `` return -i > `x` ``"},
		{mutant{Line: 7, Col: 9, Type: "CONDITIONALS_BOUNDARY"}, "(no token CONDITIONALS_BOUNDARY mutates at 7:9 in the kept source)"},
	} {
		if got := describe(src, tc.m); got != tc.want {
			t.Errorf("describe(%+v) = %s, want %s", tc.m, got, tc.want)
		}
	}
}

// TestSummarize: a run directory as run.sh leaves it becomes a report naming each survivor, with the
// earlier run's figures beside it.
func TestSummarize(t *testing.T) {
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	before, after := t.TempDir(), t.TempDir()
	for _, dir := range []string{before, after} {
		write(filepath.Join(dir, "targets"), "# comment\ninternal/termsafe\nclient  window.go wait.go\n")
		write(filepath.Join(dir, "src/client/window.go"), sampleSource)
		write(filepath.Join(dir, "raw/client-window.go-wait.go.log"), sampleLog)
		write(filepath.Join(dir, "raw/client-window.go-wait.go.exit"), "124 900\n")
	}
	write(filepath.Join(after, "raw/internal_termsafe.log"), "Gathering coverage... done\n      KILLED CONDITIONALS_NEGATION at termsafe.go:3:4\nMutation testing completed in 1 minute\n")
	write(filepath.Join(after, "raw/internal_termsafe.exit"), "0 60\n")
	var out strings.Builder
	if err := summarize(after, before, &out); err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile(filepath.Join(after, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| internal/termsafe | all | 1 | 0 | 0 | 0 | 0 | 100.0% | 100.0% | 1m00s | – | complete |",
		"| client | window.go wait.go | 2 | 1 | 1 | 1 | 1 | 66.7% | 75.0% | 15m00s | 35.4s | incomplete (window.go,wait.go: budget reached) |",
		"## Survivors (lived): 1",
		"- `client/window.go:28:7` CONDITIONALS_BOUNDARY: `<` → `<=` in `if i < n {`",
		"## Compared with",
		"| internal/termsafe | – | – | – | 1 / 0 / 0 | 100.0% | 100.0% |",
		"| client (a run incomplete) | 2 / 1 / 1 | 66.7% | 75.0% | 2 / 1 / 1 | 66.7% | 75.0% |",
	} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
	if !strings.Contains(out.String(), "client") || !strings.Contains(out.String(), "before: efficacy 66.7%") {
		t.Errorf("the table printed lacks the comparison:\n%s", out.String())
	}
}

func TestInCaseList(t *testing.T) {
	src := []byte("package p\n\nfunc f(s int) int {\n\tswitch {\n\tcase s >= 200 && s < 300:\n\t\treturn s - 1\n\t}\n\treturn 0\n}\n")
	for _, tc := range []struct {
		line, col int
		want      bool
	}{
		{5, 9, true},   // >=
		{5, 16, true},  // &&
		{5, 21, true},  // <
		{6, 12, false}, // - in the clause's body
	} {
		if got := inCaseList(src, mutant{File: "p.go", Line: tc.line, Col: tc.col}); got != tc.want {
			t.Errorf("inCaseList(%d:%d) = %v, want %v", tc.line, tc.col, got, tc.want)
		}
	}
}

// TestWidenCover: a case list counts as covered when its body ran, when a later case's body ran, or when
// the default body ran; the lists after the case taken do not.
func TestWidenCover(t *testing.T) {
	src := "package p\n\nfunc f(s int) int {\n\tswitch {\n\tcase s < 100:\n\t\treturn 1\n\tcase s < 200:\n\t\treturn 2\n\tcase s < 300:\n\t\treturn 3\n\t}\n\tswitch {\n\tcase s == 7:\n\t\treturn 7\n\tdefault:\n\t\treturn 0\n\t}\n}\n"
	root := t.TempDir()
	for name, text := range map[string]string{"go.mod": "module example.com/m\n\ngo 1.26\n", "p/p.go": src} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	// Covered: the body of the second case (line 8) and the default body (line 16); not the others.
	profile := "mode: set\n" +
		"example.com/m/p/p.go:3.20,4.9 1 1\n" +
		"example.com/m/p/p.go:5.15,6.11 1 0\n" +
		"example.com/m/p/p.go:7.15,8.11 1 1\n" +
		"example.com/m/p/p.go:9.15,10.11 1 0\n" +
		"example.com/m/p/p.go:13.14,14.11 1 0\n" +
		"example.com/m/p/p.go:15.10,16.11 1 1\n"
	path := filepath.Join(root, "cover.out")
	if err := os.WriteFile(path, []byte(profile), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := widenCover(path, root); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	added := strings.TrimPrefix(string(got), profile)
	for _, want := range []string{"p.go:5.7,5.14 1 1", "p.go:7.7,7.14 1 1", "p.go:13.7,13.13 1 1"} {
		if !strings.Contains(added, want) {
			t.Errorf("the profile lacks %q; added:\n%s", want, added)
		}
	}
	if strings.Contains(added, "p.go:9.") || strings.Count(added, "\n") != 3 {
		t.Errorf("the profile gained more than the evaluated case lists:\n%s", added)
	}
}
