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
	"github.com/data8-toolkit/data8/internal/oneline"
	"github.com/data8-toolkit/data8/internal/specval"
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

	final bool         // runs after every other case, over the traffic of the whole run
	run   func(*check) // the check
}

// Cases returns every case of the suite, in run order.
func Cases() []Case {
	var all []Case
	for _, group := range [][]Case{authCases(), datasetCases(), uploadCases(), jobCases(), listCases(), ruleCases(), modelCases(), scaleCases(), accountCases(), genericCases(), finalCases()} {
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

	secrets *secrets // never written anywhere

	mu        sync.Mutex // guards the fields below
	exchanges []specval.Exchange
	token     string
	names     map[string]int // label → uses, for unique names
	echoFix   *echoFixture
	apiKey    *keyFixture
}

// Run runs every case against the server cfg names and returns the report. The error is about the
// run itself (a bad Config); a case that fails is in the report, not an error. Run creates datasets,
// jobs, an API key (deleted again) and an OAuth client on the server, every name starting with
// cfg.Prefix and a random run id.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
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
	s := &suite{cfg: cfg, spec: spec, base: base, runID: randomID(6), names: map[string]int{}, secrets: &secrets{}}
	s.secrets.add(cfg.ClientSecret)

	inner := cfg.Transport
	if inner == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		inner = t
	}
	tokenURL := cfg.TokenURL
	s.hc = &http.Client{
		Timeout: 2 * time.Minute,
		// No redirect is followed: the raw requests carry the secret (token requests) and the
		// bearer token, which must not reach a host the caller did not configure. A case sees the
		// 3xx answer itself. (The client, which uses this client too, refuses redirects on its own.)
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &specval.Transport{
			Base:    &secretTransport{base: inner, secrets: s.secrets, maxBody: 64 << 20},
			Spec:    spec,
			BaseURL: base,
			Skip:    func(r *http.Request) bool { return sameEndpoint(r.URL, tokenURL) },
			Record:  s.record,
		},
	}
	opts := []client.Option{
		client.WithBaseURL(cfg.BaseURL),
		client.WithTokenURL(cfg.TokenURL),
		client.WithCredentials(cfg.ClientID, cfg.ClientSecret),
		client.WithHTTPClient(s.hc),
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
	cases := Cases()
	results := make([]CaseResult, len(cases))
	for pass := range 2 {
		for i, c := range cases {
			if c.final != (pass == 1) {
				continue
			}
			results[i] = s.runCase(ctx, c)
			if cfg.Logf != nil {
				r := results[i]
				var devs []string
				for _, d := range r.Deviations {
					devs = append(devs, "differs from "+d.Point+": "+d.Observed)
				}
				cfg.Logf("%s", s.secrets.redact(fmt.Sprintf("%-28s %-8s %s", r.ID, r.Status, firstOf(r.Failures, firstOf(devs, r.SkipReason)))))
			}
		}
	}
	s.cleanup(ctx)
	rep.Cases = results
	rep.Duration = time.Since(rep.Started)
	s.mu.Lock()
	rep.Responses = len(s.exchanges)
	for _, e := range s.exchanges {
		documented, inferred := split(e.Findings)
		if len(documented) > 0 {
			rep.Violations++
		}
		if len(inferred) > 0 {
			rep.Differing++
		}
	}
	s.mu.Unlock()
	for _, c := range results {
		for _, d := range c.Deviations {
			rep.overlay = append(rep.overlay, d.actions...)
		}
	}
	rep.Discovery = discover(results)
	rep.scrub(s.secrets.redact)
	return rep, nil
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

// sameEndpoint reports whether u addresses the endpoint raw (scheme, host and path).
func sameEndpoint(u *url.URL, raw string) bool {
	t, err := url.Parse(raw)
	return err == nil && strings.EqualFold(u.Scheme, t.Scheme) && strings.EqualFold(u.Host, t.Host) &&
		strings.TrimSuffix(u.Path, "/") == strings.TrimSuffix(t.Path, "/")
}

// record keeps one exchange seen by the checking transport.
func (s *suite) record(e specval.Exchange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exchanges = append(s.exchanges, e)
}

// exchangesOf returns the exchanges recorded under tag ("" for all).
func (s *suite) exchangesOf(tag string) []specval.Exchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tag == "" {
		return slices.Clone(s.exchanges)
	}
	var out []specval.Exchange
	for _, e := range s.exchanges {
		if e.Tag == tag {
			out = append(out, e)
		}
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
	c.res.Failures = append(c.res.Failures, oneline.Trim(c.secrets.redact(fmt.Sprintf(format, args...)), 600))
}

// Fatalf records a failure and ends the case.
func (c *check) Fatalf(format string, args ...any) {
	c.Errorf(format, args...)
	panic(stop{})
}

// Observe records what the server did, for the record.
func (c *check) Observe(format string, args ...any) {
	o := oneline.Trim(c.secrets.redact(fmt.Sprintf(format, args...)), 600)
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
func (c *check) deviate(d Deviation) {
	d.Observed = oneline.Trim(c.secrets.redact(d.Observed), 400)
	d.Evidence = oneline.Trim(c.secrets.redact(d.Evidence), 400)
	for i := range c.res.Deviations {
		if c.res.Deviations[i].key() == d.key() {
			c.res.Deviations[i].Count++
			return
		}
	}
	d.Count = 1
	c.res.Deviations = append(c.res.Deviations, d)
}

// evidence describes a request and its answer for a Deviation.
func evidence(method, path string, r *response) string {
	return fmt.Sprintf("%s %s → %s", method, oneline.Trim(path, 100), r)
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

// runCase runs one case and returns its result.
func (s *suite) runCase(ctx context.Context, c Case) (res CaseResult) {
	res = CaseResult{ID: c.ID, Kind: c.Kind, Decision: c.Decision, Rule: c.Rule, Quote: c.Quote, Creates: c.Creates}
	start := time.Now()
	ch := &check{suite: s, res: &res}
	defer func() {
		res.Duration = time.Since(start)
		for _, e := range s.exchangesOf(c.ID) {
			res.Requests++
			ch.judge(e)
		}
		switch {
		case len(res.Failures) > 0:
			res.Status = Failed
		case len(res.Deviations) > 0:
			res.Status = Observed
		case res.SkipReason != "":
			res.Status = Skipped
		default:
			res.Status = Passed
		}
	}()
	switch {
	case slices.Contains(s.cfg.Skip, c.ID):
		res.SkipReason = "skipped by the configuration"
		return res
	case c.SendsInvalid && s.cfg.BehindValidatingProxy:
		res.SkipReason = "sends requests the spec forbids; the validating proxy answers them itself (422), so the server is never asked"
		return res
	}
	cctx, cancel := context.WithTimeout(specval.WithTag(ctx, c.ID), s.cfg.CaseTimeout)
	defer cancel()
	ch.ctx = cctx
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stop); !ok {
					ch.Errorf("panic: %v\n%s", r, oneline.Trim(string(debug.Stack()), 2000))
				}
			}
		}()
		c.run(ch)
	}()
	return res
}

// judge turns the spec findings of an answer the case received into failures (documented rules,
// citing the spec) and deviations (decided points, with the overlay's actions).
func (c *check) judge(e specval.Exchange) {
	documented, inferred := split(e.Findings)
	if len(documented) > 0 {
		v := Violation{Op: e.Op, Method: e.Method, Path: e.Path, Status: e.Status, ContentType: e.ContentType, Shape: e.Shape}
		for _, f := range documented {
			v.Rules = append(v.Rules, c.secrets.redact(f.Message))
			where := ""
			if f.Pointer != "" {
				where = " (the spec at " + f.Pointer + ", a documented rule)"
			}
			c.Errorf("the answer to %s %s (%d) breaks the spec%s: %s", e.Method, oneline.Trim(e.Path, 80), e.Status, where, f.Message)
		}
		v.Path = c.secrets.redact(v.Path)
		c.res.Violations = append(c.res.Violations, v)
	}
	for _, f := range inferred {
		c.deviate(Deviation{
			Point:       f.Point,
			Op:          e.Op,
			Decided:     cmp.Or(f.Assumption, decidedText(f.Point)),
			Observed:    indexRE.ReplaceAllString(f.Message, "/*"),
			Evidence:    e.String(),
			SpecPointer: f.Pointer,
			actions:     c.actionsFor(e, f),
		})
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

// cleanup removes what can be removed: the API key, if a case left it.
func (s *suite) cleanup(ctx context.Context) {
	s.mu.Lock()
	k := s.apiKey
	s.mu.Unlock()
	if k != nil && k.key != "" && !k.deleted {
		cctx, cancel := context.WithTimeout(specval.WithTag(ctx, "cleanup"), time.Minute)
		defer cancel()
		_ = s.client.DeleteAPIKey(cctx, k.key)
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
