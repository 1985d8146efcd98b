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
	// Datasets is the number of input datasets created (each job also makes its output datasets,
	// one per output slot of the workflow); Jobs the number of jobs started; Records the number of
	// records the input datasets hold once the run is over (an overwritten block counts once; jobs'
	// output datasets are not counted).
	Datasets, Jobs, Records int
	// Clients is the number of OAuth clients (client credentials) created: the API cannot delete
	// them either. API keys are not counted: the run deletes every key it creates.
	Clients int
}

// Add returns the sum of c and d.
func (c Cost) Add(d Cost) Cost {
	return Cost{Datasets: c.Datasets + d.Datasets, Jobs: c.Jobs + d.Jobs, Records: c.Records + d.Records, Clients: c.Clients + d.Clients}
}

// Sub returns c less d.
func (c Cost) Sub(d Cost) Cost {
	return Cost{Datasets: c.Datasets - d.Datasets, Jobs: c.Jobs - d.Jobs, Records: c.Records - d.Records, Clients: c.Clients - d.Clients}
}

// String says the cost in words: "3 datasets, 1 job, 1,500 records", and ", 2 OAuth clients" after
// them when it creates any.
func (c Cost) String() string {
	plural := func(n int, one string) string {
		s := fmt.Sprintf("%s %s", thousands(n), one)
		if n != 1 {
			s += "s"
		}
		return s
	}
	s := plural(c.Datasets, "dataset") + ", " + plural(c.Jobs, "job") + ", " + plural(c.Records, "record")
	if c.Clients != 0 {
		s += ", " + plural(c.Clients, "OAuth client")
	}
	return s
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

// Estimate returns what a run with cfg spends of the account against a server that keeps the
// rules: what each case the run runs (those cfg.Cases selects, less cfg.Skip, and less the cases
// that send invalid requests behind a validating proxy) spends under cfg — the scale tier only with
// cfg.Scale, the 101 jobs of JOB-LIST-PAGE-100 only with cfg.ManyJobs (which cfg.Scale sets) — and
// the shared job fixture (a dataset of 3 records and a job) once when a case that runs uses it.
//
// The figure is exact for every case but MODEL-SEQUENCES, whose random sequences count at the most
// they can spend: each of Config.ModelSequences sequences runs at most Config.ModelSteps
// operations, each creating at most one dataset or storing at most one block of 1,000 records, and
// starts at most 2 jobs. A sequence that breaks a rule spends more while it is shrunk (at most
// Config.ModelShrinkRuns runs more). A command prints the estimate before a run whose cost matters
// (the scale tier) and asks for consent.
func Estimate(cfg Config) (Cost, error) {
	cases, err := Select(cfg.Cases)
	if err != nil {
		return Cost{}, err
	}
	// The defaults (and Scale's ManyJobs) decide what runs; a configuration that cannot run still
	// has an estimate.
	cfg, _ = cfg.withDefaults()
	var total Cost
	fixture := false
	for _, c := range cases {
		if skippedByConfig(cfg, c) {
			continue
		}
		own, uses := c.spends(cfg)
		total = total.Add(own)
		fixture = fixture || uses
	}
	if fixture {
		total = total.Add(echoCost)
	}
	return total, nil
}

// echoCost is what the shared job fixture spends: its input dataset of 3 records, and its job.
var echoCost = Cost{Datasets: 1, Jobs: 1, Records: len(echoRecords())}

// spends returns what c spends under cfg (defaults applied), and whether it uses the shared job
// fixture then.
func (c Case) spends(cfg Config) (Cost, bool) {
	if c.spend != nil {
		return c.spend(cfg, c)
	}
	return c.Cost, c.fixture
}

// onlyIf returns the spend of a case that spends its Cost, and uses the shared job fixture, only
// when cond(cfg) holds, and nothing otherwise.
func onlyIf(cond func(Config) bool) func(Config, Case) (Cost, bool) {
	return func(cfg Config, c Case) (Cost, bool) {
		if cond(cfg) {
			return c.Cost, c.fixture
		}
		return Cost{}, false
	}
}

// otherWorkflowJob is the spend of JOB-LIST-FILTERS: its Cost, which counts the job of
// Config.OtherWorkflow, less that job when no second workflow is configured.
func otherWorkflowJob(cfg Config, c Case) (Cost, bool) {
	cost := c.Cost
	if cfg.OtherWorkflow == "" {
		cost.Jobs--
	}
	return cost, c.fixture
}

// scaleTier and manyJobs are the conditions of onlyIf for the scale tier and JOB-LIST-PAGE-100.
func scaleTier(cfg Config) bool { return cfg.Scale }
func manyJobs(cfg Config) bool  { return cfg.ManyJobs }

// modelSpend is what MODEL-SEQUENCES spends at most under cfg (see Estimate): per sequence, a
// dataset for each operation, a block of 1,000 records for each operation but the first (which
// creates the first dataset), and 2 jobs.
func modelSpend(cfg Config, _ Case) (Cost, bool) {
	steps, n := cfg.ModelSteps, cfg.ModelSequences
	return Cost{Datasets: n * steps, Jobs: n * min(2, steps), Records: n * (steps - 1) * 1000}, false
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
