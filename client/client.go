package client

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/gen"
)

// Defaults used by New when no option or environment variable says otherwise.
const (
	// DefaultBaseURL is Data8's API; paths sit directly under it.
	DefaultBaseURL = "https://api.data-8.co.uk"
	// DefaultTokenURL is Data8's OAuth2 token endpoint.
	DefaultTokenURL = "https://auth.data-8.co.uk/connect/token"
	// DefaultScope is the scope requested with the client-credentials grant.
	DefaultScope = "BatchApi"
)

// Transport limits of the HTTP clients New builds.
const (
	apiTimeout        = 2 * time.Minute  // whole request, body included, per attempt
	tokenTimeout      = 30 * time.Second // one token fetch
	maxConcurrency    = 64               // the most blocks an upload sends at once
	maxResponseBody   = 64 << 20         // the most bytes read from one answer
	defaultUserAgent  = "data8-go-client/1"
	envClientID       = "DATA8_CLIENT_ID"
	envClientSecret   = "DATA8_CLIENT_SECRET"
	envBaseURL        = "DATA8_BASE_URL"
	envTokenURL       = "DATA8_TOKEN_URL"
	headerContentType = "application/json"
)

// Client talks to the Data8 Administration & Batch Data Cleansing API. It is safe for concurrent
// use by many goroutines, which share one access token, one connection pool and one retry budget.
// Make one with New and keep it.
type Client struct {
	api       gen.ClientInterface
	auth      authorizer
	policy    RetryPolicy
	budget    *budget
	logger    *slog.Logger
	userAgent string
	baseURL   string

	closeIdle func() // closes idle connections of the transports New made
	cancel    context.CancelFunc
}

// String describes the client by its base URL only: no credential or token is ever printed.
func (c *Client) String() string { return "data8.Client(" + c.baseURL + ")" }

// GoString is String, so that %#v prints no credential or token either.
func (c *Client) GoString() string { return c.String() }

// LogValue is String, so that a Client logged with log/slog shows no credential or token.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Option configures New.
type Option func(*options)

type options struct {
	baseURL, tokenURL string
	clientID, secret  string
	haveCredentials   bool
	bearer            string
	httpClient        *http.Client
	userAgent         string
	logger            *slog.Logger
	insecure          bool
	policy            RetryPolicy
	scopes            []string
	stallEvery        time.Duration
	stallNotify       func(time.Duration)
}

// WithBaseURL sets the API's base URL (default DefaultBaseURL, or DATA8_BASE_URL when set).
func WithBaseURL(u string) Option { return func(o *options) { o.baseURL = u } }

// WithTokenURL sets the OAuth2 token endpoint (default DefaultTokenURL, or DATA8_TOKEN_URL when set).
func WithTokenURL(u string) Option { return func(o *options) { o.tokenURL = u } }

// WithCredentials sets the OAuth2 client id and secret. Without it (and without WithBearerToken) New
// reads DATA8_CLIENT_ID and DATA8_CLIENT_SECRET.
func WithCredentials(clientID, clientSecret string) Option {
	return func(o *options) {
		o.clientID, o.secret, o.haveCredentials = clientID, clientSecret, true
	}
}

// WithBearerToken makes the client send a fixed bearer token instead of fetching tokens. The token
// cannot be renewed: a 401 is returned to the caller.
func WithBearerToken(token string) Option { return func(o *options) { o.bearer = token } }

// WithHTTPClient makes the client send every request, token requests included, through hc's
// transport. The client uses copies of hc: with a timeout of two minutes when hc.Timeout is zero,
// following no redirect whatever hc.CheckRedirect says, and sending API requests only to the base
// URL's origin and token requests only to the token URL's (see ErrRedirect). Give hc's transport at
// least as many idle connections per host as the uploads' Concurrency.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.httpClient = hc } }

// WithUserAgent sets the User-Agent header sent with every API request.
func WithUserAgent(ua string) Option { return func(o *options) { o.userAgent = ua } }

// WithLogger makes the client log retries and token fetches to l (at Debug and Warn levels). No
// log record holds a token or a secret: the client never logs them, and where a server echoes one
// back in an answer it is replaced by [REDACTED] (for secrets and tokens of 8 bytes or more; shorter
// strings cannot be told apart from ordinary words). The default discards everything.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithInsecureHTTP allows http:// base and token URLs on hosts other than loopback. Without it New
// refuses them, since client secrets and tokens would cross the network in clear text.
func WithInsecureHTTP() Option { return func(o *options) { o.insecure = true } }

// WithRetryPolicy replaces the default retry policy; zero fields keep their defaults.
func WithRetryPolicy(p RetryPolicy) Option { return func(o *options) { o.policy = p } }

// WithScopes replaces the scopes requested with the client-credentials grant (default DefaultScope).
func WithScopes(scopes ...string) Option { return func(o *options) { o.scopes = scopes } }

// New returns a Client. Options come first; then the environment (DATA8_CLIENT_ID,
// DATA8_CLIENT_SECRET, DATA8_BASE_URL, DATA8_TOKEN_URL); then the defaults. It fails when there are
// no credentials, or when a URL is not https and neither loopback nor allowed by WithInsecureHTTP.
// New sends nothing: the first token is fetched by the first call that needs it.
//
// Where the secret and tokens go: the client secret only to the token URL, bearer tokens only to
// the base URL's origin (scheme, host and port). No redirect is followed, from the token endpoint
// or the API: a redirect is an error matching ErrRedirect that names both origins, and is not
// retried.
//
// Timeouts of the HTTP clients New makes: connecting 10 s, TLS handshake 10 s, waiting for an
// answer's headers 90 s, a whole API request (body included) 2 minutes per attempt, a token fetch
// 30 s. A call is tried up to 5 times in all, and waits out a throttling server for up to 10
// minutes (see RetryPolicy), so a call to a server that stalls may take several minutes before it
// fails; WithStallNotice tells you meanwhile.
func New(opts ...Option) (*Client, error) {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.baseURL == "" {
		o.baseURL = cmp.Or(os.Getenv(envBaseURL), DefaultBaseURL)
	}
	if o.tokenURL == "" {
		o.tokenURL = cmp.Or(os.Getenv(envTokenURL), DefaultTokenURL)
	}
	if !o.haveCredentials && o.bearer == "" {
		o.clientID, o.secret = os.Getenv(envClientID), os.Getenv(envClientSecret)
	}
	if o.bearer == "" && (o.clientID == "" || o.secret == "") {
		return nil, invalid("no credentials: use WithCredentials or WithBearerToken, or set %s and %s", envClientID, envClientSecret)
	}
	if err := checkURL("base", o.baseURL, o.insecure); err != nil {
		return nil, err
	}
	if o.bearer == "" {
		if err := checkURL("token", o.tokenURL, o.insecure); err != nil {
			return nil, err
		}
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.userAgent == "" {
		o.userAgent = defaultUserAgent
	}
	if o.scopes == nil {
		o.scopes = []string{DefaultScope}
	}

	c := &Client{
		policy:    o.policy.withDefaults(),
		logger:    o.logger,
		userAgent: o.userAgent,
		baseURL:   o.baseURL,
	}
	c.budget = newBudget(c.policy)

	apiHTTP, tokenHTTP, closeIdle := o.httpClients()
	c.closeIdle = closeIdle

	api, err := gen.NewClient(o.baseURL, gen.WithHTTPClient(apiHTTP))
	if err != nil {
		return nil, fmt.Errorf("data8: %w", err)
	}
	c.api = api

	// The token source keeps this context for every later fetch: it lives as long as the Client.
	life, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	if o.bearer != "" {
		c.auth = staticToken(o.bearer)
	} else {
		c.auth = newOAuthTokens(life, tokenHTTP, o.clientID, o.secret, o.tokenURL, o.scopes, o.logger)
	}
	return c, nil
}

// Close releases the idle connections of the transports New made and stops any token fetch still
// running. A closed client must not be used again. Close is optional for a client that lives as
// long as the program.
func (c *Client) Close() error {
	c.cancel()
	c.closeIdle()
	return nil
}

// newTransport returns a transport with timeouts on every phase and enough idle connections per
// host for the largest upload concurrency.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 90 * time.Second
	t.ExpectContinueTimeout = time.Second
	t.IdleConnTimeout = 90 * time.Second
	t.MaxIdleConns = 2 * maxConcurrency
	t.MaxIdleConnsPerHost = maxConcurrency
	return t
}

// checkURL accepts https URLs, and http URLs on loopback hosts or when insecure is set.
func checkURL(what, raw string, insecure bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return invalid("%s URL %q is not an absolute URL", what, redactURL(raw))
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if insecure || isLoopback(u.Hostname()) {
			return nil
		}
		return &InsecureURLError{Which: what, URL: redactURL(raw)}
	}
	return invalid("%s URL %q: scheme must be https", what, redactURL(raw))
}

// InsecureURLError is New's refusal of an http:// base or token URL on a host that is not
// loopback, when WithInsecureHTTP was not given. It matches ErrValidation.
type InsecureURLError struct {
	// Which names the URL: "base" or "token".
	Which string
	// URL is the refused URL, without user info or query.
	URL string
}

func (e *InsecureURLError) Error() string {
	return fmt.Sprintf("data8: %s URL %q uses http:// on a host that is not loopback: secrets would cross the network in clear text (use https, or WithInsecureHTTP to allow it)", e.Which, e.URL)
}

// Is makes an InsecureURLError match ErrValidation.
func (e *InsecureURLError) Is(target error) bool { return target == ErrValidation }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// repeat says how a call may be repeated after a failure.
type repeat int

const (
	// repeatSafe: the call may be sent again whatever happened (GET, PUT, PATCH of a block, DELETE).
	repeatSafe repeat = iota
	// repeatLookup: the call creates a named resource; after a failure that may have created it,
	// resolve looks it up before anything is sent again (POST /Dataset, POST /Job).
	repeatLookup
	// repeatNever: the call creates an unnamed resource; only a 429 is retried.
	repeatNever
)

// call describes one API operation for do.
type call struct {
	op       string // operationId, for errors and logs
	repeat   repeat
	retry500 bool // a 500 is retried (GET, PUT, PATCH of a block)
	// resolve, when set, is consulted after a failure that may have taken effect on the server (a
	// connection error or a 5xx) is followed by an answer that makes no sense unless it did (a 4xx),
	// and for repeatLookup calls after every such failure. done reports that the server already
	// holds what the call wanted; body is then the call's result. err is a definite failure.
	resolve func(ctx context.Context) (body []byte, done bool, err error)
	// send makes one attempt through the generated client.
	send func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error)
	// window, when set, is the transfer's adaptive limit on requests in flight: each attempt takes
	// a slot first and gives it back with its outcome (see window).
	window *window
	// into, when set, is a buffer the caller no longer needs: a 2xx answer's body is read into it
	// when it is large enough (an answer that is not 2xx never is, as an error may keep its body).
	into []byte
}

// failure says what kind of failure an attempt met, beside its status code.
type failure int

const (
	answered       failure = iota // the server answered; the status says the rest
	lost                          // failed in transport: it may or may not have reached the server
	lostForGood                   // failed in transport before anything was sent, and would again (a certificate that does not verify)
	oversized                     // the answer is larger than the client reads
	noToken                       // no token could be had, for now: nothing was sent
	noTokenForGood                // no token could be had, and another try will not change that
)

// verdict is what do does after a failed attempt.
type verdict int

const (
	giveUp verdict = iota
	retry
	renew // a refused token: renew it (once per call) and send again, else give up
)

// decision is classify's answer.
type decision struct {
	verdict verdict
	// attempt: the retry uses up one of RetryPolicy.MaxAttempts and a token of the retry budget.
	// A refusal for load that the server did not act on (429, or 503 with Retry-After) does not:
	// its waits count against RetryPolicy.MaxThrottleWait instead.
	attempt bool
	// throttled: the server refused the request for load (429, 503). A transfer's window shrinks.
	throttled bool
	// ambiguous: the server may have acted on the request.
	ambiguous bool
	// resolve: before anything else, ask the call's resolve whether the server holds its result.
	resolve bool
}

// classify decides what follows a failed attempt of k, from the answer's status (or the failure
// when there was none), whether it carried a readable Retry-After, and whether an earlier attempt
// may have taken effect (maybeDone). It is the whole retry decision: do only carries it out.
func classify(status int, f failure, retryAfter bool, k call, maybeDone bool) decision {
	var d decision
	switch f {
	case lost:
		d = decision{verdict: retry, attempt: true, ambiguous: true}
	case noToken:
		d = decision{verdict: retry, attempt: true}
	case lostForGood, oversized, noTokenForGood:
		return decision{verdict: giveUp}
	case answered:
		switch {
		case status == http.StatusUnauthorized:
			d.verdict = renew
		case status == http.StatusTooManyRequests:
			d = decision{verdict: retry, throttled: forLoad(status, f)}
		case status == http.StatusServiceUnavailable:
			d = decision{verdict: retry, attempt: !retryAfter, throttled: forLoad(status, f), ambiguous: true}
		case status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
			d = decision{verdict: retry, attempt: true, ambiguous: true}
		case status == http.StatusInternalServerError && k.retry500 && k.repeat == repeatSafe:
			d = decision{verdict: retry, attempt: true, ambiguous: true}
		case status >= 500:
			d.ambiguous = true
		case status == http.StatusBadRequest || status == http.StatusNotFound || status == http.StatusConflict:
			// Makes no sense if an earlier attempt took effect: the server may hold the result.
			d.resolve = maybeDone
		}
	}
	if d.ambiguous && k.repeat == repeatLookup {
		d.resolve = true
	}
	if k.repeat == repeatNever && d.verdict == retry && !(f == answered && status == http.StatusTooManyRequests) && f != noToken {
		d.verdict, d.attempt = giveUp, false // the server may have acted on it: only a 429 says it did not
	}
	return d
}

// forLoad reports an answer refusing a request for load: 429 Too Many Requests, or 503 Service
// Unavailable.
func forLoad(status int, f failure) bool {
	return f == answered && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable)
}

// tries is what do knows of a call's attempts so far.
type tries struct {
	attempts  int           // attempts counted against MaxAttempts, the current one included
	throttles int           // refusals for load that did not count as attempts
	waited    time.Duration // time waited after those refusals
	refreshed bool          // the attempt was sent after a 401 renewed the token: another 401 gives up
	maybeDone bool          // an earlier attempt may have taken effect on the server
	lastErr   error
}

// do runs a call under the client's retry policy and returns the body of its 2xx answer. Success and
// failure are decided by the status code alone; what follows a failure, by classify.
func (c *Client) do(ctx context.Context, k call) ([]byte, error) {
	t := tries{attempts: 1}
	for {
		if err := context.Cause(ctx); err != nil {
			return nil, ctxError(k.op, err, t.lastErr)
		}
		body, again, err := c.try(ctx, k, &t)
		if !again {
			return body, err
		}
	}
}

// try makes one attempt of k, under its window when it has one, and carries out classify's decision:
// it returns the call's result, or again (after any wait) for another attempt.
func (c *Client) try(ctx context.Context, k call, t *tries) (body []byte, again bool, err error) {
	var a answer
	if k.window != nil {
		slot, err := k.window.acquire(ctx)
		if err != nil {
			return nil, false, ctxError(k.op, err, t.lastErr)
		}
		kind, released := outcomeFailed, false
		release := func(pause time.Duration) {
			if released {
				return
			}
			released = true
			if from, to := k.window.release(slot, outcome{kind: kind, pause: pause}); to < from {
				c.logger.Info("data8: fewer requests at once: the server refused one for load", "op", k.op,
					"status", a.status, "at_once", to, "was", from, "retry_after", a.header.Get("Retry-After"))
			}
		}
		defer release(0)
		a = c.attempt(ctx, k)
		switch {
		case a.err == nil:
			kind = outcomeDone
		case forLoad(a.status, a.fail):
			kind = outcomeRefused
		}
		return c.decide(ctx, k, t, a, func(pause time.Duration) func() {
			release(pause)
			if kind == outcomeRefused && pause > 0 {
				return k.window.endPause
			}
			return func() {}
		})
	}
	a = c.attempt(ctx, k)
	return c.decide(ctx, k, t, a, nil)
}

// decide carries out classify's decision on attempt a. hold, when set, gives back the attempt's
// window slot just before a wait of pause, returning the function that ends the window's pause.
func (c *Client) decide(ctx context.Context, k call, t *tries, a answer, hold func(pause time.Duration) func()) (body []byte, again bool, err error) {
	if a.err == nil {
		c.budget.earn()
		return a.body, false, nil
	}
	if ctxErr := context.Cause(ctx); ctxErr != nil {
		return nil, false, ctxError(k.op, ctxErr, t.lastErr)
	}
	t.lastErr = a.err
	delay, hasRetryAfter := retryAfter(a.header, c.policy.Now(), c.policy.MaxRetryAfter)
	d := classify(a.status, a.fail, hasRetryAfter, k, t.maybeDone)

	if d.verdict == renew {
		if !t.refreshed && c.auth.invalidate(a.gen) {
			t.refreshed = true
			c.logger.Debug("data8: token refused; renewing", "op", k.op)
			return nil, true, nil
		}
		return nil, false, a.err
	}
	if a.fail != noToken {
		// The retry after a renewal met another failure: a later 401 refuses a token anew (it may
		// have expired, or been revoked, while the call waited) and renews it again. Each such round
		// uses up an attempt or throttling wait, so renewals stay bounded.
		t.refreshed = false
	}
	if d.resolve && k.resolve != nil {
		rb, done, rerr := k.resolve(ctx)
		if rerr != nil {
			return nil, false, rerr
		}
		if done {
			c.budget.earn()
			return rb, false, nil
		}
	}
	t.maybeDone = t.maybeDone || d.ambiguous
	if d.verdict != retry {
		return nil, false, a.err
	}

	attempt := t.attempts // the failed attempt's number, for the log
	if d.attempt {
		if t.attempts >= c.policy.MaxAttempts {
			c.logger.Debug("data8: giving up", "op", k.op, "attempts", t.attempts, "error", a.err.Error())
			return nil, false, a.err
		}
		if !c.budget.spend() {
			c.logger.Warn("data8: retry budget exhausted; not retrying", "op", k.op, "error", a.err.Error())
			return nil, false, a.err
		}
		if !hasRetryAfter {
			delay = fullJitter(c.policy.BaseDelay, c.policy.MaxDelay, t.attempts, jitter())
		}
		t.attempts++
	} else {
		t.throttles++
		if !hasRetryAfter {
			delay = fullJitter(c.policy.BaseDelay, c.policy.MaxDelay, t.throttles, jitter())
		}
		if limit := c.policy.MaxThrottleWait; limit >= 0 && t.waited+delay > limit {
			c.logger.Warn("data8: still throttled; giving up", "op", k.op, "waited", t.waited, "error", a.err.Error())
			return nil, false, fmt.Errorf("%w (throttled: waited %v in all, and the policy's MaxThrottleWait is %v)", a.err, t.waited, limit)
		}
		t.waited += delay
	}
	endPause := func() {}
	if hold != nil {
		endPause = hold(delay)
	}
	defer endPause()
	c.logger.Debug("data8: retrying", "op", k.op, "attempt", attempt, "throttled", d.throttled && !d.attempt,
		"status", a.status, "delay", delay, "error", a.err.Error())
	if err := c.policy.Sleep(ctx, delay); err != nil {
		return nil, false, ctxError(k.op, err, t.lastErr)
	}
	return nil, true, nil
}

// answer is what one attempt got.
type answer struct {
	status int         // the HTTP status; statusNoAnswer or statusNoToken when there was none
	fail   failure     // what kind of failure it met, if any
	header http.Header // nil when there was no answer
	body   []byte
	gen    uint64 // the generation of the token used
	err    error  // nil for a 2xx answer
}

// Pseudo status codes of an attempt that got no answer.
const (
	statusNoAnswer = 0  // the request failed in transport: it may or may not have reached the server
	statusNoToken  = -1 // no token could be had: nothing was sent
)

// attempt sends the call once.
func (c *Client) attempt(ctx context.Context, k call) answer {
	tok, gen, err := c.auth.token(ctx)
	if err != nil {
		f := noTokenForGood
		if te := (*tokenError)(nil); errors.As(err, &te) && te.temporary() {
			f = noToken
		}
		return answer{status: statusNoToken, fail: f, err: err}
	}
	resp, err := k.send(ctx, func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("User-Agent", c.userAgent)
		req.Header.Set("Accept", "application/json, application/problem+json")
		return nil
	})
	if err != nil {
		f := lost
		if permanentTransportError(err) {
			f = lostForGood
		}
		return answer{status: statusNoAnswer, fail: f, gen: gen, err: fmt.Errorf("data8: %s: %w", k.op, scrubErr(err, tok))}
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header, gen: gen}
	var into []byte
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		into = k.into
	}
	a.body, err = readBody(resp, into)
	switch {
	case errors.Is(err, errTooLarge):
		a.fail, a.body = oversized, nil
		a.err = fmt.Errorf("data8: %s: %d %s: %w", k.op, resp.StatusCode, http.StatusText(resp.StatusCode), err)
	case err != nil:
		a.status, a.fail, a.body = statusNoAnswer, lost, nil
		a.err = fmt.Errorf("data8: %s: reading answer: %w", k.op, err)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		a.err = newAPIError(k.op, resp.StatusCode, resp.Header, a.body, append(c.auth.secrets(), tok))
	}
	return a
}

// errTooLarge is readBody's refusal of an answer over maxResponseBody.
var errTooLarge = fmt.Errorf("the answer is larger than %d MiB, the most the client reads from one answer; not retried", maxResponseBody>>20)

// readBodyPresize bounds the buffer readBody allocates ahead from an answer's Content-Length: a
// server's claim alone cannot make the client allocate more; a larger answer grows the buffer as it
// arrives.
const readBodyPresize = 1 << 20

// readBody reads an answer's body, refusing one larger than maxResponseBody. It reads into buf when
// buf is large enough for the body (as far as Content-Length tells), into a new slice sized from
// Content-Length otherwise, so that a body is read with one allocation at most, not a series of
// growing copies.
func readBody(resp *http.Response, buf []byte) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n >= int64(cap(buf)) {
		// An eighth more, so that the buffer, reused, holds the next page too (pages differ a little
		// in size); and 1: the read that meets the end needs room.
		n = min(n, readBodyPresize)
		buf = make([]byte, 0, n+n/8+1)
	}
	buf = buf[:0]
	r := io.LimitReader(resp.Body, maxResponseBody+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow as append does
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(buf) > maxResponseBody {
		return nil, errTooLarge
	}
	return buf, nil
}

// permanentTransportError reports transport failures that another attempt cannot mend: a
// certificate that does not verify, a malformed request, a refused redirect.
func permanentTransportError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) ||
		errors.Is(err, ErrRedirect)
}

// ctxError reports that the context ended, with the last failure if there was one.
func ctxError(op string, ctxErr, last error) error {
	if last != nil {
		return fmt.Errorf("data8: %s: %w (last failure: %v)", op, ctxErr, last)
	}
	return fmt.Errorf("data8: %s: %w", op, ctxErr)
}

// scrubErr makes sure a transport error's text does not hold the token (it never should).
func scrubErr(err error, tok string) error {
	if len(tok) >= minSecret && strings.Contains(err.Error(), tok) {
		return errors.New(strings.ReplaceAll(err.Error(), tok, "[REDACTED]"))
	}
	return err
}
