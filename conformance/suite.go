package conformance

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/internal/redact"
	"github.com/data8-toolkit/data8/internal/specval"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// Case is one named check of the contract.
type Case struct {
	// ID is the case's stable id, for example UPLOAD-OVERWRITE.
	ID string
	// Kind says how strictly the case asserts.
	Kind Kind
	// Decision names the contract's decided point(s) the case concerns, for example "D-9".
	Decision string
	// Rule is a one-line citation of the rule the case checks.
	Rule string
	// Quote is the documentation's own words for a documented rule (from docs/contract.md); a
	// failure of the case cites them.
	Quote string
	// Creates says what the case leaves on the server, if anything.
	Creates string
	// SendsInvalid says the case sends requests the spec forbids: negative input on purpose, or
	// (APIKEY-ALLOWED-IP-CIDR) a blank path parameter, which the contract allows but OpenAPI cannot
	// express. A validating proxy answers those itself, so the case is skipped behind one.
	SendsInvalid bool
	// Cost is what the case spends of the account when it runs in full (the scale tier with
	// Config.Scale, JOB-LIST-PAGE-100 with Config.ManyJobs) against a server that keeps the rules,
	// the shared job fixture left out (Estimate counts it once a run); for MODEL-SEQUENCES, the most
	// its random sequences can spend at the default Config.ModelSequences and ModelSteps. Estimate
	// says what a run spends under a given Config.
	Cost Cost

	final   bool                                  // runs after every other case, over the traffic of the whole run
	run     func(*check)                          // the check
	fixture bool                                  // uses the shared job fixture (echoFixture)
	spend   func(cfg Config, c Case) (Cost, bool) // when set, what the case spends under cfg, and whether it uses the fixture then
}

// Cases returns every case of the suite, in run order.
func Cases() []Case {
	var all []Case
	for _, group := range [][]Case{authCases(), datasetCases(), uploadCases(), jobCases(), listCases(), ruleCases(), effectCases(), modelCases(), scaleCases(), accountCases(), genericCases(), finalCases()} {
		all = append(all, group...)
	}
	return all
}

// suite is the state of one run.
type suite struct {
	cfg    Config
	spec   *specval.Spec
	hc     *http.Client // through the checking transport
	client *client.Client
	runID  string
	base   *url.URL

	secrets *redact.Set // never written anywhere
	traffic *traffic    // what the suite keeps of the answers it received
	silence *silence    // requests in a row that got no answer
	grace   time.Duration

	tokenFetch sync.Mutex // held while the run's token is fetched: one fetch at a time

	mu              sync.Mutex // guards the fields below
	token           string
	tokenRenew      time.Time       // when token is renewed (before the end of its expires_in); zero: never
	runTokens       map[string]bool // every token the token endpoint issued to the run (accessToken)
	names           map[string]int  // label → uses, for unique names
	echoFix         *echoFixture
	apiKey          *keyFixture
	apiKey2         *keyRecord               // the second key (secondKey)
	runKeys         []*keyRecord             // every API key the run created, oldest first
	keyTook         map[string]bool          // the members of the create body the server took (its answer showed them)
	clients         []clientRecord           // the OAuth clients this run created, oldest first
	keyUpdateClears bool                     // PUT /ApiKey/{key} changed members it left out (D-5; updateKey)
	jobFacts        map[string]client.JobRef // job name → its submittedAt and workflowName, read for list entries without them (fullRef)
	codes01         bool                     // the server refused column codes other than 0 and 1 and took those (D-11; createDataset)
}

// Why a run ends before its last case.
var (
	errRunBound = errors.New("the run's time bound (Config.RunTimeout) was reached")
	errSilent   = errors.New("the server stopped answering")
)

// Run runs the cases cfg selects (every case by default) against the server cfg names and returns
// the report. The error is about the run itself (a bad Config); a case that fails is in the report,
// not an error. Run creates datasets, jobs, an API key (deleted again) and an OAuth client on the
// server, every name starting with cfg.Prefix and a random run id.
//
// Run returns a report whatever happens to the run: when ctx is cancelled, the run's time bound
// (Config.RunTimeout) is reached or the server stops answering (several requests in a row get no
// answer within Config.RequestTimeout), the case running is stopped and the cases not yet run are
// reported as not run (Report.NotRun), with the reason in Report.Interrupted. A case that panics, or
// that does not end within its bound (Config.CaseTimeout), fails; the run goes on.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	return run(ctx, cfg, Cases(), caseGrace)
}

// run runs the cases of all that cfg selects, giving a case whose time is up grace to end.
func run(ctx context.Context, cfg Config, all []Case, grace time.Duration) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	selected, err := selectCases(all, cfg.Cases)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("conformance: BaseURL %q is not an absolute URL", cfg.BaseURL)
	}
	spec, err := loadSpec(cfg.Spec)
	if err != nil {
		return nil, err
	}
	s := &suite{cfg: cfg, spec: spec, base: base, runID: randomID(6), names: map[string]int{},
		secrets: &redact.Set{}, traffic: newTraffic(), grace: grace, keyTook: map[string]bool{}}
	s.secrets.Add(cfg.ClientSecret)

	runCtx, cancelRun := context.WithCancelCause(ctx)
	defer cancelRun(nil)
	runCtx, cancelBound := context.WithTimeoutCause(runCtx, cfg.RunTimeout, errRunBound)
	defer cancelBound()
	s.silence = &silence{limit: silentLimit, stop: func(err error) { cancelRun(err) }}

	inner := cfg.Transport
	if inner == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		inner = t
	}
	tokenURL := cfg.TokenURL
	isToken := func(r *http.Request) bool { return sameEndpoint(r.URL, tokenURL) }
	isCredential := func(r *http.Request) bool {
		rel, ok := below(base, r.URL)
		if !ok {
			return false
		}
		op, _ := spec.Find(r.Method, rel)
		return op != nil && strings.HasPrefix(op.ID, "ClientCredential_")
	}
	s.hc = &http.Client{
		Timeout: cfg.RequestTimeout,
		// No redirect is followed: the raw requests carry the secret (token requests) and the
		// bearer token, which must not reach a host the caller did not configure. A case sees the
		// 3xx answer itself. (The client, which uses this client too, refuses redirects on its own.)
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &specval.Transport{
			Base: &countingTransport{
				base:    &secretTransport{base: inner, secrets: s.secrets, maxBody: 64 << 20, token: isToken, credential: isCredential},
				traffic: s.traffic,
				silence: s.silence,
				api:     base,
			},
			Spec:    spec,
			BaseURL: base,
			// HEAD is no operation of the spec: the auth sweep sends it to see it refused, and judges
			// the answer itself; so are the requests it sends to paths the API does not have.
			Skip:   func(r *http.Request) bool { return isToken(r) || r.Method == http.MethodHead || offSpec(r) },
			Record: s.traffic.record,
		},
	}
	opts := []client.Option{
		client.WithBaseURL(cfg.BaseURL),
		client.WithTokenURL(cfg.TokenURL),
		client.WithCredentials(cfg.ClientID, cfg.ClientSecret),
		client.WithHTTPClient(&http.Client{Timeout: s.hc.Timeout, CheckRedirect: s.hc.CheckRedirect, Transport: &busyResender{base: s.hc.Transport, traffic: s.traffic}}),
		client.WithUserAgent("data8-conformance/1"),
		client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 3}),
	}
	if cfg.InsecureHTTP {
		opts = append(opts, client.WithInsecureHTTP())
	}
	if s.client, err = client.New(opts...); err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	defer s.client.Close()

	rep := &Report{
		Target:                cfg.BaseURL,
		TokenURL:              cfg.TokenURL,
		RunID:                 s.runID,
		Prefix:                cfg.Prefix,
		BehindValidatingProxy: cfg.BehindValidatingProxy,
		Started:               time.Now(),
	}
	results := s.runAll(runCtx, all, selected)
	// Nothing left may keep the report from being written: what follows is bounded and never
	// waits on the run's context.
	s.cleanup(context.WithoutCancel(ctx))
	if cause := context.Cause(runCtx); cause != nil && slices.ContainsFunc(results, func(r CaseResult) bool { return r.Status == NotRun }) {
		rep.Interrupted = cause.Error()
	}
	rep.Cases = results
	rep.Duration = time.Since(rep.Started)
	received, dropped := s.traffic.totals()
	rep.Responses, rep.Unkept = received, dropped
	for _, e := range s.traffic.of("") {
		documented, inferred := split(e.Findings)
		if len(documented) > 0 {
			rep.Violations += e.n
		}
		if len(inferred) > 0 {
			rep.Differing += e.n
		}
	}
	for _, c := range results {
		for _, d := range c.Deviations {
			rep.overlay = append(rep.overlay, d.actions...)
		}
	}
	rep.Throttling = s.traffic.throttling()
	rep.Discovery = discover(results)
	for i, p := range rep.Discovery {
		if p.Point == "limits" && p.Result == asDecided && rep.Throttling.Refused > 0 {
			rep.Discovery[i].Observed = rep.Throttling.String()
		}
	}
	rep.scrub(s.secrets.String)
	return rep, nil
}

// runAll runs the selected cases of all in run order (the final ones last) and returns a result
// for each case of all: a case not selected is skipped, one the run ended before is not run.
func (s *suite) runAll(ctx context.Context, all, selected []Case) []CaseResult {
	picked := map[string]bool{}
	for _, c := range selected {
		picked[c.ID] = true
	}
	results := make([]CaseResult, len(all))
	done := 0
	for pass := range 2 {
		for i, c := range all {
			if c.final != (pass == 1) {
				continue
			}
			switch {
			case !picked[c.ID]:
				results[i] = c.result()
				results[i].SkipReason = "not selected (Config.Cases)"
				results[i].Status = Skipped
			case ctx.Err() != nil && !c.final:
				// The final cases look at the traffic the run had; they send nothing and run
				// whatever ended the run.
				results[i] = c.result()
				results[i].Status = NotRun
				results[i].SkipReason = "not run: " + context.Cause(ctx).Error()
			case c.final:
				results[i] = s.runCase(context.WithoutCancel(ctx), c, s.ranAny(all, results, picked))
			default:
				results[i] = s.runCase(ctx, c, true)
			}
			done++
			s.progress(results[i], done, len(all))
		}
	}
	return results
}

// ranAny reports whether a case other than the final ones ran (or was meant to) in this run: the
// final cases have traffic to look at only then.
func (s *suite) ranAny(all []Case, results []CaseResult, picked map[string]bool) bool {
	for i, c := range all {
		if !c.final && picked[c.ID] && results[i].Status != Skipped {
			return true
		}
	}
	return false
}

// progress reports a case's end to Config.Progress and Config.Logf.
func (s *suite) progress(r CaseResult, done, total int) {
	if s.cfg.Progress == nil && s.cfg.Logf == nil {
		return
	}
	r.Failures = redactAll(s.secrets, r.Failures)
	r.Observations = redactAll(s.secrets, r.Observations)
	r.SkipReason = s.secrets.String(r.SkipReason)
	r.Deviations = slices.Clone(r.Deviations)
	for i := range r.Deviations {
		r.Deviations[i].Observed = s.secrets.String(r.Deviations[i].Observed)
		r.Deviations[i].Evidence = s.secrets.String(r.Deviations[i].Evidence)
	}
	p := Progress{Case: r, Done: done, Total: total}
	if s.cfg.Progress != nil {
		s.cfg.Progress(p)
	}
	if s.cfg.Logf != nil {
		s.cfg.Logf("%s", s.secrets.String(p.String()))
	}
}

// redactAll returns list with each text redacted, in a new slice.
func redactAll(set *redact.Set, list []string) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, t := range list {
		out[i] = set.String(t)
	}
	return out
}

// result returns the result of c before it runs.
func (c Case) result() CaseResult {
	return CaseResult{ID: c.ID, Kind: c.Kind, Decision: c.Decision, Rule: c.Rule, Quote: c.Quote, Creates: c.Creates}
}

// loadSpec loads the spec answers are checked against: data, or the embedded one.
func loadSpec(data []byte) (*specval.Spec, error) {
	if len(data) > 0 {
		return specval.LoadData(data)
	}
	return specval.Load()
}

// split separates an answer's findings into those at documented rules and those at decided ones.
func split(fs []specval.Finding) (documented, inferred []specval.Finding) {
	for _, f := range fs {
		if f.Inferred {
			inferred = append(inferred, f)
		} else {
			documented = append(documented, f)
		}
	}
	return documented, inferred
}

// firstOf returns the first string of list, or alt when the list is empty.
func firstOf(list []string, alt string) string {
	if len(list) > 0 {
		if len(list) > 1 {
			return fmt.Sprintf("%s (and %d more)", list[0], len(list)-1)
		}
		return list[0]
	}
	return alt
}

// below returns the escaped path of u below base (with its query), and whether u is below it.
func below(base, u *url.URL) (string, bool) {
	if !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) {
		return "", false
	}
	basePath := strings.TrimSuffix(base.EscapedPath(), "/")
	p := u.EscapedPath()
	if !strings.HasPrefix(p, basePath+"/") {
		return "", false
	}
	return strings.TrimPrefix(p, basePath), true
}

// sameEndpoint reports whether u addresses the endpoint raw (scheme, host and path).
func sameEndpoint(u *url.URL, raw string) bool {
	t, err := url.Parse(raw)
	return err == nil && strings.EqualFold(u.Scheme, t.Scheme) && strings.EqualFold(u.Host, t.Host) &&
		strings.TrimSuffix(u.Path, "/") == strings.TrimSuffix(t.Path, "/")
}

// exchangesOf returns the exchanges kept under tag ("" for all), in the order they came. Past
// the first keepExact answers of the run, alike answers are kept once (see traffic).
func (s *suite) exchangesOf(tag string) []specval.Exchange {
	entries := s.traffic.of(tag)
	out := make([]specval.Exchange, len(entries))
	for i, e := range entries {
		out[i] = e.Exchange
	}
	return out
}

// stop ends a case early: a fatal failure or a skip.
type stop struct{}

// check is what a case runs with: the suite, the context (tagged with the case id) and the result.
type check struct {
	*suite
	ctx context.Context
	res *CaseResult
}

// Errorf records a failure and lets the case go on. Only a documented rule (the case's Quote) or a
// generic one may fail a case; a decided point the server does not meet is a Differ.
func (c *check) Errorf(format string, args ...any) {
	c.res.Failures = append(c.res.Failures, termsafe.Trim(c.secrets.String(fmt.Sprintf(format, args...)), 600))
}

// Fatalf records a failure and ends the case.
func (c *check) Fatalf(format string, args ...any) {
	c.Errorf(format, args...)
	panic(stop{})
}

// Observe records what the server did, for the record.
func (c *check) Observe(format string, args ...any) {
	o := termsafe.Trim(c.secrets.String(fmt.Sprintf(format, args...)), 600)
	if !slices.Contains(c.res.Observations, o) {
		c.res.Observations = append(c.res.Observations, o)
	}
}

// Differ records that the server differed from decided point (D-n): what it did, and the evidence
// (the request and the answer's status, content type and body shape). acts are the overlay's
// actions that would make the spec say what the server did.
func (c *check) Differ(point, op, observed, evidence string, acts ...action) {
	c.deviate(Deviation{Point: point, Op: op, Decided: decidedText(point), Observed: observed, Evidence: evidence, actions: acts})
}

// deviate records d, counting repeats of the same difference once.
func (c *check) deviate(d Deviation) { c.deviateN(1, d) }

// deviateN records d seen n times, counting repeats of the same difference once.
func (c *check) deviateN(n int, d Deviation) {
	d.Observed = termsafe.Trim(c.secrets.String(d.Observed), 400)
	d.Evidence = termsafe.Trim(c.secrets.String(d.Evidence), 400)
	for i := range c.res.Deviations {
		if c.res.Deviations[i].key() == d.key() {
			c.res.Deviations[i].Count += n
			return
		}
	}
	d.Count = n
	c.res.Deviations = append(c.res.Deviations, d)
}

// evidence describes a request and its answer for a Deviation.
func evidence(method, path string, r *response) string {
	return fmt.Sprintf("%s %s → %s", method, termsafe.Trim(path, 100), r)
}

// Skipf ends the case as skipped.
func (c *check) Skipf(format string, args ...any) {
	c.res.SkipReason = fmt.Sprintf(format, args...)
	panic(stop{})
}

// last returns the last exchange of this case with operation op, or a zero Exchange.
func (c *check) last(op string) specval.Exchange {
	ex := c.exchangesOf(c.res.ID)
	for i := len(ex) - 1; i >= 0; i-- {
		if ex[i].Op == op {
			return ex[i]
		}
	}
	return specval.Exchange{Method: "?", Path: op, Shape: "no answer seen"}
}

// caseGrace is how long the run waits for a case to end once its time is up (its context is done)
// before it leaves the case running and goes on: a case ends promptly when its context ends, and
// one that does not must not hold the run.
const caseGrace = 10 * time.Second

// runCase runs one case and returns its result. others says whether other cases ran before a final
// case: without them it has no traffic to look at.
func (s *suite) runCase(ctx context.Context, c Case, others bool) CaseResult {
	res := c.result()
	switch {
	case slices.ContainsFunc(s.cfg.Skip, func(id string) bool { return strings.EqualFold(id, c.ID) }):
		res.SkipReason = "skipped by the configuration"
		res.Status = Skipped
		return res
	case c.SendsInvalid && s.cfg.BehindValidatingProxy:
		res.SkipReason = "sends requests the spec forbids; the validating proxy answers them itself (422), so the server is never asked"
		res.Status = Skipped
		return res
	}
	start := time.Now()
	cctx, cancel := context.WithTimeout(specval.WithTag(ctx, c.ID), s.cfg.CaseTimeout)
	defer cancel()
	running := &check{suite: s, ctx: cctx, res: &res}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stop); !ok {
					running.Errorf("panic: %v\n%s", r, termsafe.Trim(string(debug.Stack()), 2000))
				}
			}
		}()
		c.run(running)
	}()
	ch := running
	select {
	case <-done:
	case <-cctx.Done():
		select {
		case <-done:
		case <-time.After(s.grace):
			// The case goes on writing its own result, which no one reads again.
			ch = &check{suite: s, ctx: cctx, res: &CaseResult{}}
			*ch.res = c.result()
			ch.Errorf("the case did not end within %s of its time being up (%v) and was left running", s.grace, context.Cause(cctx))
		}
	}
	return s.conclude(ctx, c, ch, others, time.Since(start))
}

// conclude judges the answers of a case that ended (or was left running) and returns its result.
func (s *suite) conclude(ctx context.Context, c Case, ch *check, others bool, took time.Duration) CaseResult {
	res := ch.res
	res.Duration = took
	for _, e := range s.traffic.of(c.ID) {
		res.Requests += e.n
		ch.judge(e)
	}
	ch.judgeLocations(s.traffic.locationsOf(c.ID))
	if _, dropped := s.traffic.counts(c.ID); dropped > 0 {
		ch.Errorf("%d answers to this case were not kept (the run received more than %d unlike answers), so no one judged them", dropped, keepExact+keepGrouped)
	}
	res.Status = verdict(res)
	if res.Status == Passed || res.Status == Observed {
		// A case that checked nothing did not pass.
		switch received, _ := s.traffic.totals(); {
		case c.final && received == 0 && !others:
			res.Status, res.SkipReason = Skipped, "no other case ran, so there is no traffic to look at"
		case c.final && received == 0:
			res.Status = Failed
			res.Failures = append(res.Failures, "checked nothing: no answer of the run reached the spec check (did the server answer at all?)")
		case !c.final && s.traffic.answered(c.ID) == 0:
			res.Status = Failed
			res.Failures = append(res.Failures, "checked nothing: the case received no answer from the server")
		}
	}
	if ctx.Err() != nil && !c.final {
		// The run ended while the case ran: what it found is kept, but it did not finish.
		res.Status = NotRun
		res.SkipReason = "stopped before its end: " + context.Cause(ctx).Error()
	}
	return *res
}

// verdict is the status of a case from what it found: failed when any rule was broken, whatever
// else it saw; observed when it differed from a decided point; skipped when it did not run to its
// end on purpose; passed otherwise.
func verdict(r *CaseResult) Status {
	switch {
	case len(r.Failures) > 0:
		return Failed
	case len(r.Deviations) > 0:
		return Observed
	case r.SkipReason != "":
		return Skipped
	}
	return Passed
}

// judge turns the spec findings of an answer the case received into failures (documented rules,
// citing the spec) and deviations (decided points, with the overlay's actions).
func (c *check) judge(e entry) {
	documented, inferred := split(e.Findings)
	if len(documented) > 0 {
		v := Violation{Op: e.Op, Method: e.Method, Path: e.Path, Status: e.Status, ContentType: e.ContentType, Shape: e.Shape}
		for _, f := range documented {
			v.Rules = append(v.Rules, c.secrets.String(f.Message))
			where := ""
			if f.Pointer != "" {
				where = " (the spec at " + f.Pointer + ", a documented rule)"
			}
			c.Errorf("the answer to %s %s (%d) breaks the spec%s: %s", e.Method, termsafe.Trim(e.Path, 80), e.Status, where, f.Message)
		}
		v.Path = c.secrets.String(v.Path)
		c.res.Violations = append(c.res.Violations, v)
	}
	for _, f := range inferred {
		c.deviateN(e.n, Deviation{
			Point:       f.Point,
			Op:          e.Op,
			Decided:     cmp.Or(f.Assumption, decidedText(f.Point)),
			Observed:    indexRE.ReplaceAllString(f.Message, "/*"),
			Evidence:    e.String(),
			SpecPointer: f.Pointer,
			actions:     c.actionsFor(e.Exchange, f),
		})
	}
}

// judgeLocations turns the wrong locations of the list pages the case read (every entry of every
// page, whichever case and query read it) into findings: a dataset's fails (documented: each
// DatasetRef carries a location with the URL of GET /Dataset/{name}); a job's differs from D-12,
// which decides JobRef's members.
func (c *check) judgeLocations(b *badLocations) {
	if b == nil {
		return
	}
	if b.nDatasets > 0 {
		c.Errorf("%d entries of the pages of GET /Dataset this case read carry a location that does not address their own dataset (%s): each carries a `location` with the URL of `GET /Dataset/{name}`, documented, on every page", b.nDatasets, strings.Join(b.datasets, "; "))
	}
	if b.nJobs > 0 {
		c.Differ("D-12", "Job_GetList", fmt.Sprintf("%d entries of the pages of GET /Job carry a location that does not address their own job", b.nJobs), strings.Join(b.jobs, "; "))
	}
}

// indexRE matches an array index in a JSON pointer: the same difference in every entry of a list
// is one difference.
var indexRE = regexp.MustCompile(`/[0-9]+\b`)

// randomID returns n random characters from [a-z0-9].
func randomID(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// datasetName returns a new unique dataset name for label: prefix, run id, label, and a counter
// when the label was used before.
func (s *suite) datasetName(label string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names[label]++
	name := s.cfg.Prefix + s.runID + "_" + label
	if n := s.names[label]; n > 1 {
		name += fmt.Sprintf("_%d", n)
	}
	return name
}

// jobName returns a new unique job name for label; it has spaces, as Data8's examples do.
func (s *suite) jobName(label string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names["job "+label]++
	name := s.cfg.Prefix + s.runID + " " + label
	if n := s.names["job "+label]; n > 1 {
		name += fmt.Sprintf(" %d", n)
	}
	return name
}

// cleanup removes what can be removed: the API keys the run created and no case deleted.
func (s *suite) cleanup(ctx context.Context) {
	keys := s.liveKeys()
	if len(keys) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(specval.WithTag(ctx, "cleanup"), time.Minute)
	defer cancel()
	for _, r := range keys {
		if r.key != "" {
			_ = s.client.DeleteAPIKey(cctx, r.key)
		}
	}
}

// apiStatus returns the status code of an *client.APIError in err's chain, or 0.
func apiStatus(err error) int {
	var ae *client.APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// outcome describes the result of a call that should have failed: "succeeded", or the error.
func outcome(err error) string {
	if err == nil {
		return "succeeded"
	}
	return err.Error()
}
