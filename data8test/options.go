package data8test

import (
	"net"
	"time"

	"github.com/data8-toolkit/data8/internal/standin"
)

// Option configures a Server; pass options to NewServer. (It is defined in an internal package, which
// also holds the project's own suite-only options.)
type Option = standin.Option

// set makes an Option that changes the server's configuration. The *config is the only
// standin.Target there is.
func set(f func(*config)) Option {
	return func(t standin.Target) { f(t.(*config)) }
}

// Knobs returns the suite-only settings (package standin's options set them).
func (c *config) Knobs() *standin.Knobs { return &c.knobs }

// config is what the options set.
type config struct {
	addr          string
	listener      net.Listener
	clientID      string
	clientSecret  string
	tokenLifetime time.Duration
	latency       time.Duration
	jobDuration   time.Duration
	workflows     []Workflow

	faultRate   float64
	faultSeed   int64
	faultKinds  []FaultKind
	tokenFaults bool
	script      []Fault
	retryAfter  time.Duration

	blockAttempts *blockAttempts // the state of Fault.Attempt; each server gets its own

	tb             TB
	strictRequests bool

	knobs standin.Knobs // the suite-only settings: mutations

	maxInFlight      int
	inFlightCounting InFlightCounting
	ratePerSecond    float64

	profiles       map[Profile]bool
	recordPageSize int
	jobStatuses    *JobStatuses // WithJobStatuses

	// For this package's tests.
	strictUpload bool                                            // serve uploads through the strict handler, not the fast path
	respHook     func(op string, status int, body []byte) []byte // rewrites a response before it is validated
}

func defaultConfig() config {
	return config{
		tokenLifetime: time.Hour,
		jobDuration:   200 * time.Millisecond,
		workflows:     []Workflow{Echo(), CleanContacts()},
		retryAfter:    time.Second,
		blockAttempts: &blockAttempts{},
		profiles:      map[Profile]bool{},
	}
}

// WithListener makes the server serve on l, which it closes on Close.
func WithListener(l net.Listener) Option { return set(func(c *config) { c.listener = l }) }

// WithCredentials sets the client id and secret the token endpoint accepts, instead of random ones.
func WithCredentials(clientID, clientSecret string) Option {
	return set(func(c *config) { c.clientID, c.clientSecret = clientID, clientSecret })
}

// WithTokenLifetime sets how long an access token is valid (default one hour). The token response's
// expires_in gives it in whole seconds, at least 1; the server itself enforces d exactly, so a lifetime
// below a second expires tokens sooner than a client expects, which tests the client's handling of 401.
func WithTokenLifetime(d time.Duration) Option { return set(func(c *config) { c.tokenLifetime = d }) }

// WithLatency adds d to every API request before it is handled (not to the token endpoint), as a network
// round trip would. The wait ends early when the request's context ends.
func WithLatency(d time.Duration) Option { return set(func(c *config) { c.latency = d }) }

// WithJobDuration sets how long a job takes from submission to completion (default 200 ms): queued for
// the first tenth, then running with a growing percentComplete. A workflow slower than d takes longer.
func WithJobDuration(d time.Duration) Option { return set(func(c *config) { c.jobDuration = d }) }

// WithWorkflow adds a workflow jobs can run, replacing a built-in one of the same name (the built-ins are
// Echo and CleanContacts).
func WithWorkflow(w Workflow) Option {
	return set(func(c *config) {
		for i, have := range c.workflows {
			if have.Name() == w.Name() {
				c.workflows[i] = w
				return
			}
		}
		c.workflows = append(c.workflows, w)
	})
}

// WithRetryAfter sets the Retry-After of injected Fault429 and Fault503RetryAfter faults and of
// throttled requests (WithMaxInFlight, WithRateLimit), sent in whole seconds rounded up (default one
// second; 0 or less sends "Retry-After: 0"), or as an HTTP date with ProfileRetryAfterDate.
func WithRetryAfter(d time.Duration) Option { return set(func(c *config) { c.retryAfter = d }) }

// WithTokenFaults makes WithFaultRate inject faults into the token endpoint too (by default only API
// requests get them; a Fault script can always name OpToken).
func WithTokenFaults() Option { return set(func(c *config) { c.tokenFaults = true }) }

// WithValidation makes the server check every API request and response against the embedded OpenAPI
// document with kin-openapi's openapi3filter. A response that breaks the spec is reported with tb.Errorf,
// naming the operation and the rule. A request that breaks it is answered 400 (or 404 for a path parameter
// of an operation without a 400) with a problem body as Data8 would, and recorded in Violations; with
// WithStrictRequests it is reported with tb.Errorf too. tb is usually a *testing.T; anything with Helper
// and Errorf will do; when tb also has a Cleanup method (as *testing.T has), the server is closed at
// cleanup, so nothing is reported after the test ends.
func WithValidation(tb TB) Option { return set(func(c *config) { c.tb = tb }) }

// WithStrictRequests makes WithValidation report requests that break the spec with tb.Errorf as well as
// answering them 400: for testing a client that must never send one.
func WithStrictRequests() Option { return set(func(c *config) { c.strictRequests = true }) }

// mutated reports whether mutation m is on.
func (s *Server) mutated(m standin.Mutation) bool { return s.cfg.knobs.Mutations[m] }
