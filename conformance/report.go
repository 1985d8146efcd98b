package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/data8-toolkit/data8/internal/redact"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// redactPlaceholder replaces a secret in the report.
const redactPlaceholder = redact.Placeholder

// Kind says what a case checks, and so how strictly.
type Kind string

// The kinds of case.
const (
	// Documented cases check a rule Data8's pages state. They are asserted strictly.
	Documented Kind = "documented"
	// Decided cases check a point the contract decided (D-n) where the pages are silent. They are
	// asserted leniently (any 2xx is success; 400 or 409 for a duplicate) and report what the
	// server did as observations.
	Decided Kind = "decided"
	// Generic cases are checks in the manner of Schemathesis that hold for every operation: answers
	// match the spec, no 5xx, negative input gets a 4xx, no token gets a 401.
	Generic Kind = "generic"
)

// Status is the outcome of a case.
type Status string

// The outcomes.
const (
	// Passed: a documented or generic case whose assertions all held.
	Passed Status = "passed"
	// Failed: a documented rule, or a generic one, was broken (an assertion of the case, or an
	// answer that broke a documented rule of the spec).
	Failed Status = "failed"
	// Observed: no rule was broken, but the server differed from a decided point (D-n); the case's
	// deviations say what we decided, what the server did, and the evidence.
	Observed Status = "observed"
	// Skipped: the case did not run, on purpose (Config.Skip, Config.Cases, a validating proxy, or
	// nothing to check).
	Skipped Status = "skipped"
	// NotRun: the run ended before the case ended, or before it started: the context was cancelled,
	// the run's time bound was reached, or the server stopped answering (Report.Interrupted says
	// which). The case checked nothing that can be relied on.
	NotRun Status = "not run"
)

// CaseResult is the outcome of one case.
type CaseResult struct {
	// ID, Kind, Decision and Rule describe the case (see Case).
	ID       string `json:"id"`
	Kind     Kind   `json:"kind"`
	Decision string `json:"decision,omitempty"`
	Rule     string `json:"rule"`
	// Quote is the documentation's own words for the rule (as docs/contract.md keeps them), for the
	// cases that check a documented rule; a failure cites them.
	Quote string `json:"quote,omitempty"`
	// Creates says what the case leaves on the server, if anything.
	Creates string `json:"creates,omitempty"`
	// Status is the outcome.
	Status Status `json:"status"`
	// Failures say what went wrong, one assertion or spec violation each.
	Failures []string `json:"failures,omitempty"`
	// Observations say what the server did, for the record.
	Observations []string `json:"observations,omitempty"`
	// Deviations are the decided points where the server differed from the contract.
	Deviations []Deviation `json:"deviations,omitempty"`
	// SkipReason says why the case did not run, or (not run) why it did not end.
	SkipReason string `json:"skipReason,omitempty"`
	// Requests is the number of answers the case received and checked against the spec.
	Requests int `json:"requests"`
	// Violations are the answers the case received that broke the spec.
	Violations []Violation `json:"violations,omitempty"`
	// Duration is how long the case took.
	Duration time.Duration `json:"durationNs"`
}

// Deviation is a point where the server differed from what the contract decided (D-n): a plausible
// answer, not a failure, and a fact to forward to Data8 or to write into the spec.
type Deviation struct {
	// Point is the contract's decided point, "D-1" to "D-14" (or "D-5/D-6" where the spec names
	// several), "times" for the form of times, "limits" for rate limits.
	Point string `json:"point"`
	// Op is the operation concerned, when there is one.
	Op string `json:"op,omitempty"`
	// Decided is what the contract (or the spec's x-data8-assumption) decided.
	Decided string `json:"decided"`
	// Observed is what the server did instead.
	Observed string `json:"observed"`
	// Evidence is the request and the answer: method, path, status, content type, body shape.
	Evidence string `json:"evidence"`
	// SpecPointer is the JSON pointer of the spec node concerned, when the deviation comes from the
	// spec check.
	SpecPointer string `json:"specPointer,omitempty"`
	// Count is how many times the case saw it.
	Count int `json:"count"`

	actions []action // what the overlay changes for it
}

// key identifies a deviation for counting repeats.
func (d Deviation) key() string {
	return d.Point + "\x00" + d.Op + "\x00" + d.SpecPointer + "\x00" + d.Observed
}

// Violation is an answer that broke the spec, and the rules it broke.
type Violation struct {
	// Op is the operation id, or "" when the request matched no operation.
	Op string `json:"op,omitempty"`
	// Method and Path are the request's method and escaped path below the base URL.
	Method string `json:"method"`
	Path   string `json:"path"`
	// Status and ContentType are the answer's.
	Status      int    `json:"status"`
	ContentType string `json:"contentType,omitempty"`
	// Shape says briefly what the body held.
	Shape string `json:"shape"`
	// Rules are the documented rules of the spec the answer broke, one short message each.
	Rules []string `json:"rules"`
}

// Report is the outcome of a run.
type Report struct {
	// Target is the base URL of the server checked; TokenURL its token endpoint.
	Target   string `json:"target"`
	TokenURL string `json:"tokenUrl"`
	// Note describes the target (for example "in-process data8test").
	Note string `json:"note,omitempty"`
	// RunID is the random part of every name the run created.
	RunID string `json:"runId"`
	// Prefix starts every name the run created.
	Prefix string `json:"prefix"`
	// BehindValidatingProxy says requests went through a validating proxy.
	BehindValidatingProxy bool `json:"behindValidatingProxy"`
	// Started is when the run started; Duration how long it took.
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"durationNs"`
	// Cases are the outcomes, in run order.
	Cases []CaseResult `json:"cases"`
	// Responses is the number of answers checked against the spec; Violations the number that broke
	// a documented rule of it; Differing the number that differed from a decided point of it.
	Responses  int `json:"responses"`
	Violations int `json:"violations"`
	Differing  int `json:"differing"`
	// Throttling counts the answers that refused a request for load (429, 503) and what the suite
	// did about them; the discovery table's "limits" row says the same. Not a failure: rate limits
	// are not documented, and a client honours 429 and Retry-After when they come.
	Throttling Throttling `json:"throttling"`
	// Unkept is the number of answers the suite received but did not keep (more unlike answers
	// than it keeps in a run); the cases that received them fail.
	Unkept int `json:"unkept,omitempty"`
	// Interrupted says why the run ended before its last case, when it did: the cases not run
	// have status NotRun.
	Interrupted string `json:"interrupted,omitempty"`
	// Discovery has one row per decided point: what the contract decided and what this server did.
	Discovery []PointResult `json:"discovery"`
	// Drift is what changed since a baseline run, when CompareWith compared the two.
	Drift *Drift `json:"drift,omitempty"`

	overlay []action // the overlay's actions, from every deviation
}

// Throttling counts the refusals for load (429 Too Many Requests, 503 Service Unavailable) a run
// received.
type Throttling struct {
	// Refused is the number of answers that were 429 or 503: to the suite's own requests, the
	// project client's (which waits them out itself) and the token endpoint's.
	Refused int `json:"refused"`
	// Resent is the number of times the suite sent one of its own requests again after such an
	// answer, having waited as its Retry-After said (at least 100 ms) or, without one, a backoff.
	Resent int `json:"resent"`
	// GaveUp is the number of the suite's own requests still refused after 6 resends or a minute of
	// waiting: the case judged that refusal.
	GaveUp int `json:"gaveUp"`
}

// String says the counts in words, for the discovery table.
func (t Throttling) String() string {
	if t.Refused == 0 {
		return "no request was refused for load (429 or 503)"
	}
	s := fmt.Sprintf("%d answers refused a request for load (429 or 503) and were honoured: the suite sent its own requests again %d times, after the Retry-After (at least 100 ms) or a backoff; the project's client waits out its own", t.Refused, t.Resent)
	if t.GaveUp > 0 {
		s += fmt.Sprintf("; %d requests were still refused after 6 resends or a minute of waiting, and judged as refused", t.GaveUp)
	}
	return s
}

// Counts returns the number of cases with each status.
func (r *Report) Counts() map[Status]int {
	m := map[Status]int{}
	for _, c := range r.Cases {
		m[c.Status]++
	}
	return m
}

// Failed returns the ids of the failed cases, in run order.
func (r *Report) Failed() []string {
	var ids []string
	for _, c := range r.Cases {
		if c.Status == Failed {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// NotRun returns the ids of the cases the run ended before, in run order.
func (r *Report) NotRun() []string {
	var ids []string
	for _, c := range r.Cases {
		if c.Status == NotRun {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// OK reports whether the run holds the server to the contract: no case failed and every case ran
// to its end (none not run). Cases skipped on purpose and observed ones do not count against it.
func (r *Report) OK() bool { return len(r.Failed()) == 0 && len(r.NotRun()) == 0 }

// Case returns the result of the case with the given id, or nil.
func (r *Report) Case(id string) *CaseResult {
	for i := range r.Cases {
		if r.Cases[i].ID == id {
			return &r.Cases[i]
		}
	}
	return nil
}

// Summary is the one-line summary of the run.
func (r *Report) Summary() string {
	n := r.Counts()
	s := fmt.Sprintf("%d cases: %d passed, %d failed, %d observed, %d skipped", len(r.Cases), n[Passed], n[Failed], n[Observed], n[Skipped])
	if n[NotRun] > 0 {
		s += fmt.Sprintf(", %d not run", n[NotRun])
	}
	return s + fmt.Sprintf("; %d answers checked against the spec, %d broke a documented rule, %d differed from a decided point",
		r.Responses, r.Violations, r.Differing)
}

// JSON returns the report as indented JSON.
func (r *Report) JSON() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

// Markdown returns the report as Markdown: a summary, a table of every case, the discovery table
// (one row per decided point), the drift since a baseline (when CompareWith compared them), the
// deviations and observations of each case, and the failures in full, each with the
// documentation's words. Every text that is not the report's own (what a server sent, and what the
// configuration says) is escaped: it shows as the characters it is and cannot break a table, start
// a heading or a list, or make a link, an image, HTML, a code span or emphasis.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Data8 API conformance report\n\n")
	fmt.Fprintf(&b, "- Target: %s", mdText(r.Target))
	if r.Note != "" {
		fmt.Fprintf(&b, " (%s)", mdText(r.Note))
	}
	fmt.Fprintf(&b, "\n- Token endpoint: %s\n", mdText(r.TokenURL))
	if r.BehindValidatingProxy {
		fmt.Fprintf(&b, "- Through a validating proxy: cases that send requests the spec forbids are skipped\n")
	}
	fmt.Fprintf(&b, "- Run: %s (names start with %s), %s, %s\n", mdText(r.RunID), mdText(r.Prefix+r.RunID), r.Started.UTC().Format(time.RFC3339), r.Duration.Round(time.Millisecond))
	fmt.Fprintf(&b, "- **%s**\n", mdText(r.Summary()))
	if r.Interrupted != "" {
		fmt.Fprintf(&b, "- **The run ended early**: %s. The cases not run are listed below.\n", mdText(r.Interrupted))
	}
	if r.Unkept > 0 {
		fmt.Fprintf(&b, "- %d answers were received but not kept (more unlike answers than a run keeps); the cases that received them fail.\n", r.Unkept)
	}
	fmt.Fprintf(&b, "- *failed*: a documented rule (quoted from Data8's pages) or a generic one was broken, or the case checked nothing. *observed*: no rule was broken, but the server differed from a point the project decided where the pages are silent (D-n, docs/contract.md); see the discovery table and observed.overlay.yaml. *not run*: the run ended before the case did.\n\n")

	fmt.Fprintf(&b, "| case | kind | result | rule |\n|---|---|---|---|\n")
	for _, c := range r.Cases {
		kind := string(c.Kind)
		if c.Decision != "" {
			kind += " " + c.Decision
		}
		res := mdCell(string(c.Status))
		switch c.Status {
		case Failed:
			res = "**FAILED**"
		case NotRun:
			res = "**not run**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(c.ID), mdCell(kind), res, mdCell(c.Rule))
	}

	fmt.Fprintf(&b, "\n## Discovery: the decided points, and what this server did\n\n")
	fmt.Fprintf(&b, "One row per decided point of docs/contract.md (and one per operation or spec node where the server differed). Forward it to Data8, or apply observed.overlay.yaml to the spec.\n\n")
	fmt.Fprintf(&b, "| point | our decision | what this server did | evidence |\n|---|---|---|---|\n")
	for _, p := range r.Discovery {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(p.label()), mdCell(p.Decided), mdCell(p.Observed), mdCell(strings.Join(p.Evidence, "; ")))
	}
	if r.Drift != nil {
		r.Drift.markdown(&b)
	}

	var noted []CaseResult
	for _, c := range r.Cases {
		if len(c.Deviations) > 0 || len(c.Observations) > 0 {
			noted = append(noted, c)
		}
	}
	if len(noted) > 0 {
		fmt.Fprintf(&b, "\n## What the server did, case by case\n\n")
		for _, c := range noted {
			fmt.Fprintf(&b, "- **%s** (%s)\n", mdText(c.ID), mdText(string(c.Status)))
			for _, d := range c.Deviations {
				fmt.Fprintf(&b, "  - differs from %s: %s (decided: %s) — %s", mdText(d.Point), mdText(d.Observed), mdText(d.Decided), mdText(d.Evidence))
				if d.Count > 1 {
					fmt.Fprintf(&b, " (×%d)", d.Count)
				}
				b.WriteString("\n")
			}
			for _, o := range c.Observations {
				fmt.Fprintf(&b, "  - %s\n", mdText(o))
			}
		}
	}
	var creates []CaseResult
	for _, c := range r.Cases {
		if c.Creates != "" && c.Status != Skipped {
			creates = append(creates, c)
		}
	}
	if len(creates) > 0 {
		fmt.Fprintf(&b, "\n## Left on the server\n\nNames start with %s.\n\n", mdText(r.Prefix+r.RunID))
		for _, c := range creates {
			fmt.Fprintf(&b, "- %s: %s\n", mdText(c.ID), mdText(c.Creates))
		}
	}
	for _, sec := range []struct {
		status Status
		title  string
	}{{NotRun, "Not run"}, {Skipped, "Skipped"}} {
		var list []CaseResult
		for _, c := range r.Cases {
			if c.Status == sec.status {
				list = append(list, c)
			}
		}
		if len(list) > 0 {
			fmt.Fprintf(&b, "\n## %s\n\n", sec.title)
			for _, c := range list {
				fmt.Fprintf(&b, "- **%s**: %s\n", mdText(c.ID), mdText(c.SkipReason))
				for _, f := range c.Failures {
					fmt.Fprintf(&b, "  - %s\n", mdText(f))
				}
			}
		}
	}
	if failed := r.Failed(); len(failed) > 0 {
		fmt.Fprintf(&b, "\n## Failures\n\n")
		for _, id := range failed {
			c := r.Case(id)
			fmt.Fprintf(&b, "- **%s** — %s\n", mdText(c.ID), mdText(c.Rule))
			if c.Quote != "" {
				fmt.Fprintf(&b, "  - documented: %s\n", mdText(c.Quote))
			}
			for _, f := range c.Failures {
				fmt.Fprintf(&b, "  - %s\n", mdText(f))
			}
		}
	}
	return b.String()
}

// mdSpecial are the ASCII characters mdText escapes with a backslash: every one that Markdown
// (CommonMark, GitHub's tables, autolinks, strikethrough and math) gives a meaning somewhere. Each
// may be escaped anywhere and then shows as itself.
const mdSpecial = "\\`*_{}[]()#+-.!|<>~&:@$=\"'^%"

// mdText makes text safe inside a line of Markdown: on one line (runs of white space become one
// space), every control, line separator and bidirectional override escaped visibly (termsafe), and
// every character Markdown gives a meaning escaped with a backslash, so that it shows as what it
// is. A table cell needs nothing more: its | is escaped too.
func mdText(s string) string {
	s = termsafe.String(strings.Join(strings.Fields(s), " "))
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for _, r := range s {
		if r < utf8.RuneSelf && strings.ContainsRune(mdSpecial, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string { return mdText(s) }

// The files WriteFiles writes.
const (
	MarkdownFile = "conformance.md"
	JSONFile     = "conformance.json"
	OverlayFile  = "observed.overlay.yaml"
	JUnitFile    = "junit.xml"
)

// WriteFiles writes the report into dir as conformance.md, conformance.json,
// observed.overlay.yaml and junit.xml, creating dir (readable by its owner only) if need be, and
// returns their paths. Each file is written whole to a new private file in dir (mode 0600: a report
// describes an account), which then replaces the name: a link planted under the name is replaced,
// never written through, and what it pointed to is left as it was.
func (r *Report) WriteFiles(dir string) (paths []string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	js, err := r.JSON()
	if err != nil {
		return nil, err
	}
	ov, err := r.Overlay()
	if err != nil {
		return nil, err
	}
	ju, err := r.JUnit()
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{MarkdownFile, []byte(r.Markdown())}, {JSONFile, append(js, '\n')}, {OverlayFile, ov}, {JUnitFile, ju}} {
		p := filepath.Join(dir, f.name)
		if err := writePrivate(p, f.data); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writePrivate writes data to a new file of mode 0600 beside path (created exclusively, so never
// through a link), then renames it to path, replacing whatever entry path names (a file, or a
// link, whose target is not touched).
func writePrivate(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// scrub passes every text of the report through redact.
func (r *Report) scrub(redact func(string) string) {
	r.Target, r.TokenURL, r.Note, r.Interrupted = redact(r.Target), redact(r.TokenURL), redact(r.Note), redact(r.Interrupted)
	for i := range r.Cases {
		c := &r.Cases[i]
		for j := range c.Failures {
			c.Failures[j] = redact(c.Failures[j])
		}
		for j := range c.Observations {
			c.Observations[j] = redact(c.Observations[j])
		}
		c.SkipReason = redact(c.SkipReason)
		for j := range c.Deviations {
			d := &c.Deviations[j]
			d.Observed, d.Evidence, d.Decided = redact(d.Observed), redact(d.Evidence), redact(d.Decided)
		}
		for j := range c.Violations {
			v := &c.Violations[j]
			v.Path, v.Shape = redact(v.Path), redact(v.Shape)
			for k := range v.Rules {
				v.Rules[k] = redact(v.Rules[k])
			}
		}
	}
	for i := range r.Discovery {
		p := &r.Discovery[i]
		p.Observed, p.Decided, p.Where = redact(p.Observed), redact(p.Decided), redact(p.Where)
		for j := range p.Evidence {
			p.Evidence[j] = redact(p.Evidence[j])
		}
	}
	for i := range r.overlay {
		r.overlay[i].description = redact(r.overlay[i].description)
		if b, err := json.Marshal(r.overlay[i].update); err == nil && redact(string(b)) != string(b) {
			// A secret in an update (an observed note): keep the note, drop the update's text.
			r.overlay[i].update = map[string]any{observedNote: []string{redactPlaceholder}}
		}
	}
}
