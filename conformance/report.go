package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/internal/specval"
)

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
	// Failed: some assertion failed, or an answer the case received broke the spec.
	Failed Status = "failed"
	// Observed: a decided case that held under the lenient reading; its observations say what the
	// server did.
	Observed Status = "observed"
	// Skipped: the case did not run (Config.Skip, a validating proxy, or nothing to check).
	Skipped Status = "skipped"
)

// CaseResult is the outcome of one case.
type CaseResult struct {
	// ID, Kind, Decision and Rule describe the case (see Case).
	ID       string `json:"id"`
	Kind     Kind   `json:"kind"`
	Decision string `json:"decision,omitempty"`
	Rule     string `json:"rule"`
	// Creates says what the case leaves on the server, if anything.
	Creates string `json:"creates,omitempty"`
	// Status is the outcome.
	Status Status `json:"status"`
	// Failures say what went wrong, one assertion or spec violation each.
	Failures []string `json:"failures,omitempty"`
	// Observations say what the server did, chiefly for decided points.
	Observations []string `json:"observations,omitempty"`
	// SkipReason says why the case did not run.
	SkipReason string `json:"skipReason,omitempty"`
	// Requests is the number of answers the case received and checked against the spec.
	Requests int `json:"requests"`
	// Violations are the answers the case received that broke the spec.
	Violations []Violation `json:"violations,omitempty"`
	// Duration is how long the case took.
	Duration time.Duration `json:"durationNs"`
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
	// Rules are the rules of the spec the answer broke, one short message each.
	Rules []string `json:"rules"`
}

// violationOf converts an exchange seen by the checking transport.
func violationOf(e specval.Exchange) Violation {
	return Violation{Op: e.Op, Method: e.Method, Path: e.Path, Status: e.Status, ContentType: e.ContentType, Shape: e.Shape, Rules: e.Violations}
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
	// Responses is the number of answers checked against the spec; Violations the number that broke it.
	Responses  int `json:"responses"`
	Violations int `json:"violations"`
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
	return fmt.Sprintf("%d cases: %d passed, %d failed, %d observed, %d skipped; %d answers checked against the spec, %d broke it",
		len(r.Cases), n[Passed], n[Failed], n[Observed], n[Skipped], r.Responses, r.Violations)
}

// JSON returns the report as indented JSON.
func (r *Report) JSON() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

// Markdown returns the report as Markdown: a summary, a table of every case, what the server did
// on each decided point, and the failures in full.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Data8 API conformance report\n\n")
	fmt.Fprintf(&b, "- Target: %s", r.Target)
	if r.Note != "" {
		fmt.Fprintf(&b, " (%s)", r.Note)
	}
	fmt.Fprintf(&b, "\n- Token endpoint: %s\n", r.TokenURL)
	if r.BehindValidatingProxy {
		fmt.Fprintf(&b, "- Through a validating proxy: cases that send requests the spec forbids are skipped\n")
	}
	fmt.Fprintf(&b, "- Run: %s (names start with `%s%s`), %s, %s\n", r.RunID, r.Prefix, r.RunID, r.Started.UTC().Format(time.RFC3339), r.Duration.Round(time.Millisecond))
	fmt.Fprintf(&b, "- **%s**\n\n", r.Summary())

	fmt.Fprintf(&b, "| case | kind | result | rule |\n|---|---|---|---|\n")
	for _, c := range r.Cases {
		kind := string(c.Kind)
		if c.Decision != "" {
			kind += " " + c.Decision
		}
		res := string(c.Status)
		if c.Status == Failed {
			res = "**FAILED**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.ID, kind, res, mdCell(c.Rule))
	}

	var decided, notes []CaseResult
	for _, c := range r.Cases {
		switch {
		case len(c.Observations) == 0:
		case c.Decision != "":
			decided = append(decided, c)
		default:
			notes = append(notes, c)
		}
	}
	if len(decided) > 0 {
		fmt.Fprintf(&b, "\n## Decided points: what the server did\n\n")
		for _, c := range decided {
			fmt.Fprintf(&b, "- **%s** (%s %s, %s)\n", c.ID, c.Kind, c.Decision, c.Status)
			for _, o := range c.Observations {
				fmt.Fprintf(&b, "  - %s\n", mdLine(o))
			}
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, "\n## Other observations\n\n")
		for _, c := range notes {
			fmt.Fprintf(&b, "- **%s**\n", c.ID)
			for _, o := range c.Observations {
				fmt.Fprintf(&b, "  - %s\n", mdLine(o))
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
		fmt.Fprintf(&b, "\n## Left on the server\n\nNames start with `%s%s`.\n\n", r.Prefix, r.RunID)
		for _, c := range creates {
			fmt.Fprintf(&b, "- %s: %s\n", c.ID, mdLine(c.Creates))
		}
	}
	var skipped []CaseResult
	for _, c := range r.Cases {
		if c.Status == Skipped {
			skipped = append(skipped, c)
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(&b, "\n## Skipped\n\n")
		for _, c := range skipped {
			fmt.Fprintf(&b, "- **%s**: %s\n", c.ID, mdLine(c.SkipReason))
		}
	}
	if failed := r.Failed(); len(failed) > 0 {
		fmt.Fprintf(&b, "\n## Failures\n\n")
		for _, id := range failed {
			c := r.Case(id)
			fmt.Fprintf(&b, "- **%s** — %s\n", c.ID, mdLine(c.Rule))
			for _, f := range c.Failures {
				fmt.Fprintf(&b, "  - %s\n", mdLine(f))
			}
		}
	}
	return b.String()
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(mdLine(s), "|", `\|`)
}

// mdLine keeps text on one line.
func mdLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// WriteFiles writes the report into dir as conformance.md and conformance.json, creating dir, and
// returns the two paths.
func (r *Report) WriteFiles(dir string) (mdPath, jsonPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	js, err := r.JSON()
	if err != nil {
		return "", "", err
	}
	mdPath, jsonPath = filepath.Join(dir, "conformance.md"), filepath.Join(dir, "conformance.json")
	if err := os.WriteFile(mdPath, []byte(r.Markdown()), 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(jsonPath, append(js, '\n'), 0o644); err != nil {
		return "", "", err
	}
	return mdPath, jsonPath, nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
