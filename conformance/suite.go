package conformance

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	for _, group := range [][]Case{authCases(), datasetCases(), uploadCases(), jobCases(), listCases(), accountCases(), genericCases(), finalCases()} {
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
	spec, err := specval.Load()
	if err != nil {
		return nil, err
	}
	s := &suite{cfg: cfg, spec: spec, base: base, runID: randomID(6), names: map[string]int{}}

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
			Base:    inner,
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
				cfg.Logf("%-28s %-8s %s", r.ID, r.Status, firstOf(r.Failures, r.SkipReason))
			}
		}
	}
	s.cleanup(ctx)
	rep.Cases = results
	rep.Duration = time.Since(rep.Started)
	s.mu.Lock()
	rep.Responses = len(s.exchanges)
	for _, e := range s.exchanges {
		if len(e.Violations) > 0 {
			rep.Violations++
		}
	}
	s.mu.Unlock()
	return rep, nil
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

// Errorf records a failure and lets the case go on.
func (c *check) Errorf(format string, args ...any) {
	c.res.Failures = append(c.res.Failures, oneline.Trim(fmt.Sprintf(format, args...), 600))
}

// Fatalf records a failure and ends the case.
func (c *check) Fatalf(format string, args ...any) {
	c.Errorf(format, args...)
	panic(stop{})
}

// Observe records what the server did.
func (c *check) Observe(format string, args ...any) {
	c.res.Observations = append(c.res.Observations, oneline.Trim(fmt.Sprintf(format, args...), 600))
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
	res = CaseResult{ID: c.ID, Kind: c.Kind, Decision: c.Decision, Rule: c.Rule, Creates: c.Creates}
	start := time.Now()
	defer func() {
		res.Duration = time.Since(start)
		for _, e := range s.exchangesOf(c.ID) {
			res.Requests++
			if len(e.Violations) > 0 {
				res.Violations = append(res.Violations, violationOf(e))
				res.Failures = append(res.Failures, fmt.Sprintf("the answer to %s %s (%d) breaks the spec: %s", e.Method, oneline.Trim(e.Path, 80), e.Status, strings.Join(e.Violations, "; ")))
			}
		}
		switch {
		case len(res.Failures) > 0:
			res.Status = Failed
		case res.SkipReason != "":
			res.Status = Skipped
		case c.Kind == Decided:
			res.Status = Observed
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
	ch := &check{suite: s, ctx: cctx, res: &res}
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
