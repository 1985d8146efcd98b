package data8test

import (
	"net"
	"time"
)

// Option configures a Server; pass options to NewServer or Start.
type Option func(*config)

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

	retryAfterDate bool
	blockAttempts  *blockAttempts // the state of Fault.Attempt; each server gets its own

	tb             TB
	strictRequests bool

	mutations   map[Mutation]bool
	dotNetUnset bool

	profiles       map[Profile]bool
	recordPageSize int

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
		mutations:     map[Mutation]bool{},
		profiles:      map[Profile]bool{},
	}
}

// WithAddr makes the server listen on addr (host:port) instead of a random loopback port, for
// `data8 serve`. An address such as ":8080" listens on every interface; URL then names the loopback
// address.
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithListener makes the server serve on l, which it closes on Close.
func WithListener(l net.Listener) Option { return func(c *config) { c.listener = l } }

// WithCredentials sets the client id and secret the token endpoint accepts, instead of random ones.
func WithCredentials(clientID, clientSecret string) Option {
	return func(c *config) { c.clientID, c.clientSecret = clientID, clientSecret }
}

// WithTokenLifetime sets how long an access token is valid (default one hour). The token response's
// expires_in gives it in whole seconds, at least 1; the server itself enforces d exactly, so a lifetime
// below a second expires tokens sooner than a client expects, which tests the client's handling of 401.
func WithTokenLifetime(d time.Duration) Option { return func(c *config) { c.tokenLifetime = d } }

// WithLatency adds d to every API request before it is handled (not to the token endpoint), as a network
// round trip would. The wait ends early when the request's context ends.
func WithLatency(d time.Duration) Option { return func(c *config) { c.latency = d } }

// WithJobDuration sets how long a job takes from submission to completion (default 200 ms): queued for
// the first tenth, then running with a growing percentComplete. A workflow slower than d takes longer.
func WithJobDuration(d time.Duration) Option { return func(c *config) { c.jobDuration = d } }

// WithWorkflow adds a workflow jobs can run, replacing a built-in one of the same name (the built-ins are
// Echo and CleanContacts).
func WithWorkflow(w Workflow) Option {
	return func(c *config) {
		for i, have := range c.workflows {
			if have.Name() == w.Name() {
				c.workflows[i] = w
				return
			}
		}
		c.workflows = append(c.workflows, w)
	}
}

// WithDotNetUnsetTimes makes an unfinished job show completedAt as 0001-01-01T00:00:00Z, as a .NET
// service sends an unset non-nullable time, instead of leaving it out: for testing that a client takes a
// job as finished only when completedAt is present and not before submittedAt (D-14).
func WithDotNetUnsetTimes() Option { return func(c *config) { c.dotNetUnset = true } }

// WithRetryAfter sets the Retry-After of injected Fault429 and Fault503RetryAfter faults, sent in
// whole seconds rounded up (default one second; 0 or less sends "Retry-After: 0"), or as an HTTP
// date with WithRetryAfterDate.
func WithRetryAfter(d time.Duration) Option { return func(c *config) { c.retryAfter = d } }

// WithRetryAfterDate makes injected faults send Retry-After as an HTTP date instead of seconds: the
// answer's Date header plus the WithRetryAfter delay rounded up to whole seconds, so that a client
// that measures from the Date header finds the delay exactly. A negative delay gives a date in the
// past.
func WithRetryAfterDate() Option { return func(c *config) { c.retryAfterDate = true } }

// WithTokenFaults makes WithFaultRate inject faults into the token endpoint too (by default only API
// requests get them; a Fault script can always name OpToken).
func WithTokenFaults() Option { return func(c *config) { c.tokenFaults = true } }

// Validate makes the server check every API request and response against the embedded OpenAPI document
// with kin-openapi's openapi3filter. A response that breaks the spec is reported with tb.Errorf, naming
// the operation and the rule. A request that breaks it is answered 400 (or 404 for a path parameter of
// an operation without a 400) with a problem body as Data8 would, and recorded in Violations; with
// StrictRequests it is reported with tb.Errorf too. tb is usually a *testing.T; anything with Helper and
// Errorf will do; when tb also has a Cleanup method (as *testing.T has), the server is closed at
// cleanup, so nothing is reported after the test ends.
func Validate(tb TB) Option { return func(c *config) { c.tb = tb } }

// StrictRequests makes Validate report requests that break the spec with tb.Errorf as well as answering
// them 400: for testing a client that must never send one.
func StrictRequests() Option { return func(c *config) { c.strictRequests = true } }

// WithMutation breaks one documented rule on purpose, to check that a test suite notices. Give it more
// than once to break several.
func WithMutation(m Mutation) Option { return func(c *config) { c.mutations[m] = true } }

// Mutation is a documented rule the server can be told to break (WithMutation).
type Mutation int

// The mutations. Each breaks exactly the rule it names and nothing else.
const (
	// Accept1001Records lifts the cap of 1,000 records per block.
	Accept1001Records Mutation = iota + 1
	// AppendInsteadOfOverwrite appends the records of a re-used block number to the block instead of
	// replacing them.
	AppendInsteadOfOverwrite
	// IgnoreBlockOrder keeps records in the order their blocks first arrived instead of ascending block
	// number.
	IgnoreBlockOrder
	// AcceptUploadToCompleted stores blocks uploaded to a completed input dataset instead of answering 400.
	AcceptUploadToCompleted
	// SkipAuth serves API requests without checking the bearer token.
	SkipAuth
	// UnsortedDatasetList lists datasets in reverse alphabetical order.
	UnsortedDatasetList
)

// String returns the mutation's name.
func (m Mutation) String() string {
	switch m {
	case Accept1001Records:
		return "Accept1001Records"
	case AppendInsteadOfOverwrite:
		return "AppendInsteadOfOverwrite"
	case IgnoreBlockOrder:
		return "IgnoreBlockOrder"
	case AcceptUploadToCompleted:
		return "AcceptUploadToCompleted"
	case SkipAuth:
		return "SkipAuth"
	case UnsortedDatasetList:
		return "UnsortedDatasetList"
	}
	return "Mutation(?)"
}

// Mutations lists every mutation, for a test that runs a suite against each.
func Mutations() []Mutation {
	return []Mutation{Accept1001Records, AppendInsteadOfOverwrite, IgnoreBlockOrder, AcceptUploadToCompleted, SkipAuth, UnsortedDatasetList}
}

// mutated reports whether mutation m is on.
func (s *Server) mutated(m Mutation) bool { return s.cfg.mutations[m] }
