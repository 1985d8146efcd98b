package conformance

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// The JUnit XML the report writes, in the shape the common CI readers take (Jenkins' junit and
// xunit plugins, GitLab's unit test reports, GitHub actions that publish test results): a
// <testsuites> root holding one <testsuite>, with one <testcase> per case of the suite.
//
//   - failed: a <failure> whose message is the first failure and whose text lists them all, with
//     the documentation's words;
//   - not run: an <error> (the case met an unexpected end, not a broken rule);
//   - skipped: a <skipped> with the reason;
//   - observed: a passed test case (the server broke no rule, and the run's verdict does not count
//     it) whose <system-out> says where it differed from the contract's decided points. A CI system
//     shows it green, with the differences in the case's output; none of them has a status of its
//     own between passed and failed, and showing a difference as skipped would hide that the case
//     ran.
//
// The attributes are those the Jenkins schema (junit-10.xsd) requires or allows: name, tests,
// failures and errors on the suite, skipped, time in seconds with a decimal point, timestamp
// without a zone (UTC); name, classname and time on a test case. classname is
// "conformance.<kind>", which GitLab shows as the suite.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitProblem `xml:"skipped"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// seconds formats d as JUnit wants it: seconds with a decimal point, no unit.
func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// JUnit returns the report as JUnit XML (see JUnitFile): one test case per case of the suite,
// failed, not run (an error), skipped and observed (passed, with the differences as its output)
// told apart as CI systems show them.
func (r *Report) JUnit() ([]byte, error) {
	n := r.Counts()
	suite := junitSuite{
		Name:      "data8 conformance",
		Tests:     len(r.Cases),
		Failures:  n[Failed],
		Errors:    n[NotRun],
		Skipped:   n[Skipped],
		Time:      seconds(r.Duration),
		Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{"target", r.Target},
			{"tokenUrl", r.TokenURL},
			{"runId", r.RunID},
			{"prefix", r.Prefix},
			{"observed", fmt.Sprint(n[Observed])},
			{"answers", fmt.Sprint(r.Responses)},
		},
	}
	if r.Note != "" {
		suite.Properties = append(suite.Properties, junitProperty{"note", r.Note})
	}
	if r.Interrupted != "" {
		suite.Properties = append(suite.Properties, junitProperty{"interrupted", r.Interrupted})
	}
	var out []string
	out = append(out, r.Summary())
	if r.Interrupted != "" {
		out = append(out, "The run ended early: "+r.Interrupted)
	}
	if r.Drift != nil {
		out = append(out, r.Drift.lines()...)
	}
	suite.SystemOut = strings.Join(out, "\n")
	for _, c := range r.Cases {
		jc := junitCase{Name: c.ID, Classname: "conformance." + string(c.Kind), Time: seconds(c.Duration)}
		switch c.Status {
		case Failed:
			var text []string
			text = append(text, "rule: "+c.Rule)
			if c.Quote != "" {
				text = append(text, "documented: "+c.Quote)
			}
			text = append(text, c.Failures...)
			jc.Failure = &junitProblem{Message: firstOf(c.Failures, "failed"), Type: string(c.Kind), Text: strings.Join(text, "\n")}
		case NotRun:
			jc.Error = &junitProblem{Message: c.SkipReason, Type: "not run", Text: strings.Join(append([]string{c.SkipReason}, c.Failures...), "\n")}
		case Skipped:
			jc.Skipped = &junitProblem{Message: c.SkipReason}
		}
		var lines []string
		for _, d := range c.Deviations {
			line := fmt.Sprintf("differs from %s: %s (decided: %s) — %s", d.Point, d.Observed, d.Decided, d.Evidence)
			if d.Count > 1 {
				line += fmt.Sprintf(" (×%d)", d.Count)
			}
			lines = append(lines, line)
		}
		lines = append(lines, c.Observations...)
		if len(lines) > 0 {
			prefix := "observed"
			if c.Status != Observed {
				prefix = "what the server did"
			}
			jc.SystemOut = prefix + ":\n" + strings.Join(lines, "\n")
		}
		suite.Cases = append(suite.Cases, jc)
	}
	root := junitSuites{
		Name:     "data8 conformance",
		Tests:    suite.Tests,
		Failures: suite.Failures,
		Errors:   suite.Errors,
		Time:     suite.Time,
		Suites:   []junitSuite{suite},
	}
	b, err := xml.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("conformance: the JUnit report: %w", err)
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}
