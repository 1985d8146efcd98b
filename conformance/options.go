package conformance

import (
	"fmt"
	"path"
	"strings"
)

// Progress is what Config.Progress receives as each case ends.
type Progress struct {
	// Case is the result of the case that ended (secrets redacted; a secret learnt later in the
	// run may still be in it, the report itself is redacted again at the end).
	Case CaseResult
	// Done is the number of cases ended so far, this one included, and Total the number the run
	// has (skipped ones included).
	Done, Total int
}

// String formats the progress as one line: "[ 3/65] UPLOAD-OVERWRITE passed (1.2s)", with the
// first failure, difference or reason to skip. Server text in it is escaped for a terminal.
func (p Progress) String() string {
	c := p.Case
	var devs []string
	for _, d := range c.Deviations {
		devs = append(devs, "differs from "+d.Point+": "+d.Observed)
	}
	detail := firstOf(c.Failures, firstOf(devs, c.SkipReason))
	width := len(fmt.Sprint(p.Total))
	line := fmt.Sprintf("[%*d/%d] %-28s %-8s %s", width, p.Done, p.Total, c.ID, c.Status, c.Duration.Round(1e6))
	if detail != "" {
		line += " " + detail
	}
	return line
}

// Select returns the cases that patterns selects, in run order: comma-separated patterns matched
// against the case ids as path.Match does, ignoring case, so "UPLOAD-*" selects every upload case
// and "job-unique" one case. An empty patterns selects every case. It is an error for a pattern to
// be malformed or to select no case.
func Select(patterns string) ([]Case, error) {
	return selectCases(Cases(), patterns)
}

// selectCases returns the cases of all that patterns selects (see Select).
func selectCases(all []Case, patterns string) ([]Case, error) {
	if strings.TrimSpace(patterns) == "" {
		return all, nil
	}
	var pats []string
	for _, p := range strings.Split(patterns, ",") {
		if p = strings.ToUpper(strings.TrimSpace(p)); p != "" {
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("conformance: case pattern %q: %w", p, err)
			}
			pats = append(pats, p)
		}
	}
	picked := make([]bool, len(all))
	for _, p := range pats {
		found := false
		for i, c := range all {
			if ok, _ := path.Match(p, strings.ToUpper(c.ID)); ok {
				picked[i], found = true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("conformance: case pattern %q selects no case (Cases lists them)", p)
		}
	}
	var out []Case
	for i, c := range all {
		if picked[i] {
			out = append(out, c)
		}
	}
	return out, nil
}

// Cost is what running cases spends of an account: what they create on it, which the API offers no
// way to delete.
type Cost struct {
	// Datasets and Jobs are the number of datasets and jobs created; Records the number of records
	// uploaded to them (jobs' output datasets not counted).
	Datasets, Jobs, Records int
}

// Add returns the sum of c and d.
func (c Cost) Add(d Cost) Cost {
	return Cost{Datasets: c.Datasets + d.Datasets, Jobs: c.Jobs + d.Jobs, Records: c.Records + d.Records}
}

// String says the cost in words: "3 datasets, 1 job, 1,500 records".
func (c Cost) String() string {
	plural := func(n int, one string) string {
		s := fmt.Sprintf("%s %s", thousands(n), one)
		if n != 1 {
			s += "s"
		}
		return s
	}
	return plural(c.Datasets, "dataset") + ", " + plural(c.Jobs, "job") + ", " + plural(c.Records, "record")
}

// thousands writes n with commas between thousands.
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Estimate returns what a run with cfg would spend of the account: the sum of the Cost of every
// case it would run (those cfg.Cases selects, less cfg.Skip). A command prints it before a run whose
// cost matters (the scale tier) and asks for consent. Only cases that declare their Cost count.
func Estimate(cfg Config) (Cost, error) {
	cases, err := Select(cfg.Cases)
	if err != nil {
		return Cost{}, err
	}
	var total Cost
	for _, c := range cases {
		if !skippedByConfig(cfg, c) {
			total = total.Add(c.Cost)
		}
	}
	return total, nil
}

// skippedByConfig reports whether cfg skips c: Config.Skip names it, or it sends invalid requests
// and the server is behind a validating proxy.
func skippedByConfig(cfg Config, c Case) bool {
	for _, id := range cfg.Skip {
		if strings.EqualFold(id, c.ID) {
			return true
		}
	}
	return c.SendsInvalid && cfg.BehindValidatingProxy
}
