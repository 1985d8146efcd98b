package conformance_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"

	"github.com/data8-toolkit/data8/conformance"
)

// sampleReport is a report with every kind of case and every text field set from text(name), so
// that a test can fill them with anything.
func sampleReport(text func(field string) string) *conformance.Report {
	dev := func(n int) conformance.Deviation {
		return conformance.Deviation{Point: "D-4", Op: "Dataset_Create", Decided: text(fmt.Sprint("decided", n)), Observed: text(fmt.Sprint("observed", n)), Evidence: text(fmt.Sprint("evidence", n)), Count: 2}
	}
	rep := &conformance.Report{
		Target: text("target"), TokenURL: text("tokenUrl"), Note: text("note"), RunID: "abc123", Prefix: "conf_",
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Duration: 1500 * time.Millisecond,
		Interrupted: text("interrupted"),
		Cases: []conformance.CaseResult{
			{ID: "CASE-PASSED", Kind: conformance.Documented, Rule: text("rule1"), Quote: text("quote1"), Status: conformance.Passed, Observations: []string{text("observation1")}, Requests: 3, Duration: time.Second},
			{ID: "CASE-FAILED", Kind: conformance.Documented, Decision: "D-9", Rule: text("rule2"), Quote: text("quote2"), Creates: text("creates2"), Status: conformance.Failed,
				Failures: []string{text("failure2a"), text("failure2b")}, Deviations: []conformance.Deviation{dev(2)}, Requests: 1},
			{ID: "CASE-OBSERVED", Kind: conformance.Decided, Decision: "D-4", Rule: text("rule3"), Status: conformance.Observed, Deviations: []conformance.Deviation{dev(3)}, Observations: []string{text("observation3")}, Requests: 1},
			{ID: "CASE-SKIPPED", Kind: conformance.Generic, Rule: text("rule4"), Status: conformance.Skipped, SkipReason: text("skip4")},
			{ID: "CASE-NOT-RUN", Kind: conformance.Generic, Rule: text("rule5"), Status: conformance.NotRun, SkipReason: text("notrun5"), Failures: []string{text("failure5")}},
		},
		Discovery: []conformance.PointResult{
			{Point: "D-4", Op: text("op"), Decided: text("rowDecided"), Result: "differs", Observed: text("rowObserved"), Evidence: []string{text("rowEvidence1"), text("rowEvidence2")}},
			{Point: "D-9", Where: text("where"), Decided: text("rowDecided2"), Result: "as decided", Observed: "as decided"},
		},
	}
	rep.Drift = &conformance.Drift{
		Baseline: conformance.DriftRun{RunID: "old123", Started: rep.Started.Add(-time.Hour)},
		Cases:    []conformance.CaseDrift{{ID: "CASE-FAILED", Before: conformance.Passed, After: conformance.Failed, Failures: []string{text("driftFailure")}}},
		Points:   []conformance.PointDrift{{Point: "D-10", Where: text("driftWhere"), Before: []string{text("driftBefore")}, After: []string{text("driftAfter")}}},
	}
	return rep
}

// hostileTexts are strings a server could send to forge the Markdown report: break a table, add a
// heading, a list, a link, an image (a remote one too), HTML, a code span, emphasis, an autolink, a
// reference definition, math, or terminal controls.
var hostileTexts = []string{
	"| x | y | z |",
	"a\n# Heading\nb",
	"\n\n## Failures\n- **FORGED** passed",
	"[click](https://evil.example/) ![img](https://evil.example/i.png)",
	`<img src="https://evil.example/i.png"> <script>alert(1)</script> <!-- c -->`,
	"`code` ``more`` ```fence```",
	"https://evil.example/auto www.evil.example user@evil.example",
	"**bold** _em_ *em* ~~strike~~ $x^2$",
	"&lt;b&gt; &#x3C;img&#x3E; &amp;",
	"[ref]: https://evil.example/ref",
	"\r\n> quote\n1. item\n    code block",
	"\u202eevil\u202c \x1b[31mred\x1b[0m \x00\x07",
	`\| \` + "`" + ` \\`,
	"<https://evil.example/angle>",
}

// mdNodes parses md as GitHub does (GFM: tables, strikethrough, autolinks, task lists) and returns
// its document.
func mdNodes(md string) ast.Node {
	p := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()
	return p.Parse(text.NewReader([]byte(md)))
}

// structure lists the kinds of the nodes of md that give it structure, with the level of each
// heading: everything but the text itself.
func structure(md string) []string {
	var out []string
	_ = ast.Walk(mdNodes(md), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindText, ast.KindString:
			return ast.WalkContinue, nil
		}
		k := n.Kind().String()
		if h, ok := n.(*ast.Heading); ok {
			k += strconv.Itoa(h.Level)
		}
		out = append(out, k)
		return ast.WalkContinue, nil
	})
	return out
}

// plain returns the text of md as a reader sees it: rendered as GitHub does, each element's text
// on a line of its own.
func plain(md string) string {
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &out); err != nil {
		return err.Error()
	}
	return html.UnescapeString(tagRE.ReplaceAllString(out.String(), "\n"))
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// TestMarkdownEscapesServerText fills every text of a report with strings that would forge
// Markdown, and checks that the report's structure (its headings, lists, tables, rows, cells and
// emphasis) is exactly that of the same report with plain words, with no link, image, HTML or code
// span, and that each string reads as itself (on one line, its controls escaped).
func TestMarkdownEscapesServerText(t *testing.T) {
	want := structure(sampleReport(func(string) string { return "plain words" }).Markdown())
	for _, forbidden := range []string{"Link", "AutoLink", "Image", "RawHTML", "HTMLBlock", "CodeSpan", "CodeBlock", "FencedCodeBlock", "Strikethrough", "Blockquote"} {
		if slices.Contains(want, forbidden) {
			t.Fatalf("the report itself has a %s: the test cannot tell the server's from its own", forbidden)
		}
	}
	for i, h := range hostileTexts {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			md := sampleReport(func(field string) string { return field + " " + h }).Markdown()
			if got := structure(md); !slices.Equal(got, want) {
				t.Errorf("the Markdown's structure changed with %q in its texts:\n got %v\nwant %v\n%s", h, got, want, md)
			}
			readable := strings.Join(strings.Fields(h), " ")
			readable = strings.NewReplacer("\u202e", `\u202e`, "\u202c", `\u202c`, "\x1b", `\x1b`, "\x00", `\x00`, "\x07", `\a`).Replace(readable)
			if txt := plain(md); !strings.Contains(txt, "failure2a "+readable) {
				t.Errorf("the text %q does not read as itself (%q) in the report's text:\n%s", h, readable, txt)
			}
		})
	}
}

// TestWriteFilesNeverThroughLinks plants, under each name the report writes, a symbolic link to a
// file elsewhere (and under one a hard link): WriteFiles replaces the link with the report, private
// to its owner, and leaves the file the link pointed to as it was.
func TestWriteFilesNeverThroughLinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	rep := sampleReport(func(f string) string { return f })
	for _, name := range []string{conformance.MarkdownFile, conformance.JSONFile, conformance.OverlayFile, conformance.JUnitFile} {
		for _, kind := range []string{"symlink", "hardlink"} {
			t.Run(name+"/"+kind, func(t *testing.T) {
				dir, elsewhere := t.TempDir(), t.TempDir()
				victim := filepath.Join(elsewhere, "victim")
				const original = "not the report\n"
				if err := os.WriteFile(victim, []byte(original), 0o644); err != nil {
					t.Fatal(err)
				}
				planted := filepath.Join(dir, name)
				link := os.Symlink
				if kind == "hardlink" {
					link = os.Link
				}
				if err := link(victim, planted); err != nil {
					t.Fatal(err)
				}
				paths, err := rep.WriteFiles(dir)
				if err != nil {
					t.Fatal(err)
				}
				if b, _ := os.ReadFile(victim); string(b) != original {
					t.Errorf("the file the link pointed to now holds %d bytes of something else", len(b))
				}
				if fi, _ := os.Stat(victim); fi.Mode().Perm() != 0o644 {
					t.Errorf("the file the link pointed to has mode %v; want 0644 as it was", fi.Mode().Perm())
				}
				fi, err := os.Lstat(planted)
				if err != nil {
					t.Fatal(err)
				}
				if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
					t.Errorf("%s is %v; want a regular file of mode 0600", name, fi.Mode())
				}
				if b, _ := os.ReadFile(planted); len(b) == 0 || string(b) == original {
					t.Errorf("%s does not hold the report", name)
				}
				if len(paths) != 4 {
					t.Errorf("WriteFiles wrote %v; want four files", paths)
				}
				left, _ := filepath.Glob(filepath.Join(dir, ".*"))
				if len(left) > 0 {
					t.Errorf("temporary files left behind: %v", left)
				}
			})
		}
	}
	// A report directory that does not exist is made private.
	dir := filepath.Join(t.TempDir(), "new", "report")
	if _, err := rep.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("a new report directory has mode %v; want 0700", fi.Mode().Perm())
	}
}

// junitTime is the Jenkins schema's pattern for a time (SUREFIRE_TIME): seconds, a decimal point.
var junitTime = regexp.MustCompile(`^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$`)

// junitChildren is, for each element of the JUnit file, the elements the Jenkins schema
// (junit-10.xsd of the xunit plugin) allows in it, and required lists its required attributes.
var (
	junitChildren = map[string][]string{
		"testsuites": {"testsuite"},
		"testsuite":  {"testsuite", "properties", "testcase", "system-out", "system-err"},
		"properties": {"property"},
		"property":   {},
		"testcase":   {"skipped", "error", "failure", "system-out", "system-err"},
		"skipped":    {}, "error": {}, "failure": {}, "system-out": {}, "system-err": {},
	}
	junitRequired = map[string][]string{
		"testsuite": {"name", "tests", "failures", "errors"},
		"testcase":  {"name"},
		"property":  {"name", "value"},
	}
)

// junitCase is what TestJUnit reads of a test case.
type junitCase struct {
	Name, Classname, Time string
	Outcome               string // failure, error, skipped or ""
	Message, Text, Out    string
}

// checkJUnit checks data against the shape the Jenkins schema gives JUnit XML and returns its test
// cases and the root's and suite's counts.
func checkJUnit(t *testing.T, data []byte) (cases []junitCase, counts map[string]string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	var cur *junitCase
	counts = map[string]string{}
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("the JUnit file is not well-formed XML: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			name := x.Name.Local
			attrs := map[string]string{}
			for _, a := range x.Attr {
				attrs[a.Name.Local] = a.Value
			}
			if len(stack) == 0 && name != "testsuites" {
				t.Fatalf("the root is <%s>; want <testsuites>", name)
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				if !slices.Contains(junitChildren[parent], name) {
					t.Errorf("<%s> in <%s>: the schema does not allow it", name, parent)
				}
			}
			for _, req := range junitRequired[name] {
				if _, ok := attrs[req]; !ok {
					t.Errorf("<%s> lacks its required attribute %s", name, req)
				}
			}
			if tm, ok := attrs["time"]; ok && !junitTime.MatchString(tm) {
				t.Errorf("<%s time=%q>: not the schema's form of a time", name, tm)
			}
			switch name {
			case "testsuites", "testsuite":
				for _, k := range []string{"tests", "failures", "errors", "skipped"} {
					if v, ok := attrs[k]; ok {
						counts[name+"."+k] = v
					}
				}
				if ts, ok := attrs["timestamp"]; ok {
					if _, err := time.Parse("2006-01-02T15:04:05", ts); err != nil {
						t.Errorf("timestamp %q is not an ISO 8601 time without a zone", ts)
					}
				}
			case "testcase":
				cases = append(cases, junitCase{Name: attrs["name"], Classname: attrs["classname"], Time: attrs["time"]})
				cur = &cases[len(cases)-1]
			case "failure", "error", "skipped":
				if cur.Outcome != "" {
					t.Errorf("test case %s has both <%s> and <%s>", cur.Name, cur.Outcome, name)
				}
				cur.Outcome, cur.Message = name, attrs["message"]
			}
			stack = append(stack, name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if cur != nil && len(stack) > 0 {
				switch stack[len(stack)-1] {
				case "failure", "error", "skipped":
					cur.Text += string(x)
				case "system-out":
					if stack[len(stack)-2] == "testcase" {
						cur.Out += string(x)
					}
				}
			}
		}
	}
	return cases, counts
}

// TestJUnit checks the JUnit file against the shape CI readers take (the Jenkins schema's elements,
// required attributes and time format): one test case per case, failed as a failure, not run as an
// error, skipped as skipped, observed as passed with the differences in its output; the counts
// agree; and text no XML may hold (NUL, ESC) does not make it unreadable.
func TestJUnit(t *testing.T) {
	rep := sampleReport(func(f string) string { return f + " <&>\"' \x00\x1b]]>" })
	data, err := rep.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	cases, counts := checkJUnit(t, data)
	want := map[string]string{"CASE-PASSED": "", "CASE-FAILED": "failure", "CASE-OBSERVED": "", "CASE-SKIPPED": "skipped", "CASE-NOT-RUN": "error"}
	if len(cases) != len(rep.Cases) {
		t.Fatalf("%d test cases; want %d, one per case", len(cases), len(rep.Cases))
	}
	for i, c := range cases {
		if c.Name != rep.Cases[i].ID || c.Outcome != want[c.Name] {
			t.Errorf("test case %d is %s with %q; want %s with %q", i, c.Name, c.Outcome, rep.Cases[i].ID, want[rep.Cases[i].ID])
		}
		if c.Classname != "conformance."+string(rep.Cases[i].Kind) {
			t.Errorf("%s has classname %q", c.Name, c.Classname)
		}
	}
	byName := map[string]junitCase{}
	for _, c := range cases {
		byName[c.Name] = c
	}
	if c := byName["CASE-FAILED"]; !strings.HasPrefix(c.Message, "failure2a") || !strings.Contains(c.Text, "failure2b") || !strings.Contains(c.Text, "quote2") {
		t.Errorf("the failed case's failure: message %q, text %q; want every failure and the documentation's words", c.Message, c.Text)
	}
	if c := byName["CASE-OBSERVED"]; !strings.Contains(c.Out, "differs from D-4: observed3") {
		t.Errorf("the observed case's output %q does not say where it differed", c.Out)
	}
	// An observed case's output is headed as observations; a passed or failed case's differences
	// and observations are what the server did, not a reason it passed or failed.
	for name, head := range map[string]string{"CASE-OBSERVED": "observed:\n", "CASE-PASSED": "what the server did:\n", "CASE-FAILED": "what the server did:\n"} {
		if c := byName[name]; !strings.HasPrefix(c.Out, head) {
			t.Errorf("%s's output starts %q; want %q", name, c.Out[:min(len(c.Out), 30)], head)
		}
	}
	if c := byName["CASE-SKIPPED"]; !strings.HasPrefix(c.Message, "skip4") {
		t.Errorf("the skipped case's message %q does not give the reason", c.Message)
	}
	if c := byName["CASE-NOT-RUN"]; !strings.HasPrefix(c.Message, "notrun5") {
		t.Errorf("the case not run has message %q; want its reason", c.Message)
	}
	for k, v := range map[string]string{"testsuites.tests": "5", "testsuites.failures": "1", "testsuites.errors": "1", "testsuite.tests": "5", "testsuite.failures": "1", "testsuite.errors": "1", "testsuite.skipped": "1"} {
		if counts[k] != v {
			t.Errorf("%s = %q; want %s", k, counts[k], v)
		}
	}
	if _, ok := counts["testsuites.skipped"]; ok {
		t.Errorf("<testsuites skipped>: the Jenkins schema has no such attribute")
	}
}

// TestJUnitCountsEachStatus gives each status its own number of cases, so the suite's failures,
// errors and skipped attributes (and the observed property) can only come out right if each counts
// its own status.
func TestJUnitCountsEachStatus(t *testing.T) {
	rep := &conformance.Report{Target: "t", RunID: "r", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	for status, n := range map[conformance.Status]int{conformance.Passed: 1, conformance.Failed: 2, conformance.NotRun: 3, conformance.Skipped: 4, conformance.Observed: 5} {
		for i := range n {
			c := conformance.CaseResult{ID: fmt.Sprintf("%s-%d", status, i), Kind: conformance.Generic, Status: status}
			switch status {
			case conformance.Failed:
				c.Failures = []string{"failed"}
			case conformance.NotRun, conformance.Skipped:
				c.SkipReason = "reason"
			case conformance.Observed:
				c.Deviations = []conformance.Deviation{{Point: "D-4", Observed: "other"}}
			}
			rep.Cases = append(rep.Cases, c)
		}
	}
	data, err := rep.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	_, counts := checkJUnit(t, data)
	for k, v := range map[string]string{"testsuites.tests": "15", "testsuites.failures": "2", "testsuites.errors": "3", "testsuite.tests": "15", "testsuite.failures": "2", "testsuite.errors": "3", "testsuite.skipped": "4"} {
		if counts[k] != v {
			t.Errorf("%s = %q; want %s", k, counts[k], v)
		}
	}
	if !bytes.Contains(data, []byte(`<property name="observed" value="5">`)) {
		t.Errorf("the observed property is not 5:\n%s", data)
	}
}

// TestMarkdownLeftOnTheServer: the "Left on the server" section lists what the cases that ran
// created, and not what a skipped case would have created.
func TestMarkdownLeftOnTheServer(t *testing.T) {
	rep := &conformance.Report{RunID: "abc123", Prefix: "conf_", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Cases: []conformance.CaseResult{
		{ID: "UPLOAD-ORDER", Kind: conformance.Documented, Status: conformance.Passed, Creates: "1 input dataset"},
		{ID: "JOB-LIST-PAGE-100", Kind: conformance.Decided, Status: conformance.Skipped, SkipReason: "not selected (Config.Cases)", Creates: "101 jobs"},
		{ID: "DATASET-404", Kind: conformance.Documented, Status: conformance.Failed, Failures: []string{"x"}},
	}}
	md := rep.Markdown()
	want := "\n## Left on the server\n\nNames start with conf\\_abc123.\n\n- UPLOAD\\-ORDER: 1 input dataset\n\n## "
	if !strings.Contains(md, want) {
		t.Errorf("the Markdown's Left on the server section is not\n%s\nin\n%s", want, md)
	}
}

// tableRows returns the rows of every table of md as GitHub shows them (GFM, rendered to HTML),
// header rows included, each as the text of its cells.
func tableRows(md string) [][]string {
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &out); err != nil {
		return [][]string{{err.Error()}}
	}
	var rows [][]string
	for _, tr := range trRE.FindAllStringSubmatch(out.String(), -1) {
		var cells []string
		for _, td := range tdRE.FindAllStringSubmatch(tr[1], -1) {
			cells = append(cells, html.UnescapeString(tagRE.ReplaceAllString(td[1], "")))
		}
		rows = append(rows, cells)
	}
	return rows
}

var (
	trRE = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	tdRE = regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`)
)

// TestMarkdownTableCellsKeepTheirBars: a | in a text a server (or the configuration) controls stays
// in its cell: every row of every table keeps its cells, and each cell reads as the whole text.
func TestMarkdownTableCellsKeepTheirBars(t *testing.T) {
	const bar = "a | b | c"
	rep := &conformance.Report{RunID: "abc123", Prefix: "conf_", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Cases: []conformance.CaseResult{{ID: "CASE|1", Kind: conformance.Decided, Decision: "D-4", Rule: "rule " + bar, Status: conformance.Observed,
			Deviations: []conformance.Deviation{{Point: "D-4", Op: "Dataset_Create", Observed: "observed " + bar, Count: 1}}}},
		Discovery: []conformance.PointResult{{Point: "D-4", Op: "Dataset_Create", Decided: "decided " + bar, Result: "differs", Observed: "observed " + bar, Evidence: []string{"evidence " + bar}}},
		Drift: &conformance.Drift{Baseline: conformance.DriftRun{RunID: "old"},
			Cases:  []conformance.CaseDrift{{ID: "CASE|1", Before: conformance.Passed, After: conformance.Failed, Failures: []string{"failure " + bar}}},
			Points: []conformance.PointDrift{{Point: "D-4", Where: "where " + bar, Before: []string{"before " + bar}, After: []string{"after " + bar}}}},
	}
	want := [][]string{
		{"case", "kind", "result", "rule"},
		{"CASE|1", "decided D-4", "observed", "rule " + bar},
		{"point", "our decision", "what this server did", "evidence"},
		{"D-4 Dataset_Create", "decided " + bar, "observed " + bar, "evidence " + bar},
		{"case", "before", "now"},
		{"CASE|1", "passed", "FAILED: failure " + bar},
		{"point", "where", "before", "now"},
		{"D-4", "where " + bar, "before " + bar, "after " + bar},
	}
	if got := tableRows(rep.Markdown()); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("the Markdown's tables read\n%q\nwant\n%q\n%s", got, want, rep.Markdown())
	}
}

// TestJUnitTimestampIsUTC: the JUnit timestamp, which carries no zone, is the run's start in UTC
// whatever the zone of Report.Started.
func TestJUnitTimestampIsUTC(t *testing.T) {
	zone := time.FixedZone("UTC+05:30", 5*3600+1800)
	rep := &conformance.Report{Target: "t", RunID: "r", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, zone),
		Cases: []conformance.CaseResult{{ID: "A", Kind: conformance.Generic, Status: conformance.Passed}}}
	data, err := rep.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	checkJUnit(t, data)
	if !bytes.Contains(data, []byte(` timestamp="2026-01-01T21:34:05"`)) {
		t.Errorf("the timestamp is not 2026-01-01T21:34:05, the start in UTC:\n%s", data)
	}
}
