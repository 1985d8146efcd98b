package client

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/redact"
)

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
	throttleEvery     time.Duration
	throttleNotify    func(ThrottleNotice)
	maxColumns        int
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
// transport. The client uses copies of hc: when hc.Timeout is zero, with the timeouts New documents
// (two minutes per API request, 30 s per token fetch), following no redirect whatever
// hc.CheckRedirect says, and sending API requests only to the base URL's origin and token requests
// only to the token URL's (see ErrRedirect). Give hc's transport at least as many idle connections
// per host as the uploads' Concurrency.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.httpClient = hc } }

// WithUserAgent sets the User-Agent header sent with every API request.
func WithUserAgent(ua string) Option { return func(o *options) { o.userAgent = ua } }

// WithLogger makes the client log retries and token fetches to l (at Debug and Warn levels). No
// log record holds a token or a secret: the client never logs them, and where a server echoes one
// back (in an error's problem details or body, or a transport error's text) it is replaced by
// [REDACTED], in whatever encoding it came: as it is, form- or URL-encoded, JSON-escaped, or inside
// base64 (a Basic header, say). The client secret and every token the client was issued are
// redacted so, when they are 8 bytes or more (shorter strings cannot be told apart from ordinary
// words); errors are redacted the same way. The default discards everything.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithInsecureHTTP allows http:// base and token URLs on hosts other than loopback. Without it New
// refuses them, since client secrets and tokens would cross the network in clear text.
func WithInsecureHTTP() Option { return func(o *options) { o.insecure = true } }

// WithRetryPolicy replaces the default retry policy; zero fields keep their defaults.
func WithRetryPolicy(p RetryPolicy) Option { return func(o *options) { o.policy = p } }

// WithScopes replaces the scopes requested with the client-credentials grant (default DefaultScope).
func WithScopes(scopes ...string) Option { return func(o *options) { o.scopes = scopes } }

// WithStallNotice makes the client call notify when it has been waiting for the server for every
// (and again after each further every) with no byte of an answer arriving: a request sent and no
// answer yet, or an answer whose body has stopped coming. waited is how long it has waited since
// the server last sent anything. Notices are per client, not per request: many requests stalled
// at once give one notice each time. notify runs on its own goroutine and must not block. Stalls
// end by themselves only at the timeouts New documents; a notice is for telling a person that the
// program is waiting, not working.
func WithStallNotice(every time.Duration, notify func(waited time.Duration)) Option {
	return func(o *options) { o.stallEvery, o.stallNotify = every, notify }
}

// WithMaxColumns sets the most columns a dataset's answer may list (GetDataset, CreateDataset,
// CompleteDataset, Download) and a downloaded record may hold: an answer with more is refused with a
// *TooManyColumnsError before it is decoded, so that a small answer cannot make the client build a
// huge map or a writer a huge row. 0 means DefaultMaxColumns (10,000); negative, no limit.
func WithMaxColumns(n int) Option { return func(o *options) { o.maxColumns = n } }

// WithThrottleNotice makes the client call notify as a call begins to wait out a refusal for load
// (429, or 503), so that a program can tell a person why it is waiting: at the first such wait, then
// at most once per every across the client (every <= 0: at each wait). Calls of notify are never
// concurrent; it must return quickly. Without it a throttled call waits silently, for up to
// RetryPolicy.MaxThrottleWait.
func WithThrottleNotice(every time.Duration, notify func(ThrottleNotice)) Option {
	return func(o *options) { o.throttleEvery, o.throttleNotify = every, notify }
}

// ThrottleNotice describes a call the server refused for load, which the client sends again after
// Wait (see WithThrottleNotice and RetryPolicy).
type ThrottleNotice struct {
	// Operation is the call's operationId, for example "Dataset_GetData".
	Operation string
	// StatusCode is the refusal's status: 429, or 503.
	StatusCode int
	// Wait is how long the client waits before sending the call again: the answer's Retry-After, or
	// the policy's floor when the Retry-After was below it or absent.
	Wait time.Duration
	// Throttled is how long the call has been refused for load, since its first such refusal.
	Throttled time.Duration
	// GiveUpAfter is the policy's MaxThrottleWait: the call fails rather than go on being refused
	// past it. Negative: only the call's context bounds it.
	GiveUpAfter time.Duration
}

// New returns a Client. Options come first; then the environment (DATA8_CLIENT_ID,
// DATA8_CLIENT_SECRET, DATA8_BASE_URL, DATA8_TOKEN_URL); then the defaults. It fails, with an error
// matching ErrValidation, when there are no credentials, when a URL is not https and neither
// loopback nor allowed by WithInsecureHTTP, or when the base URL is not Data8's and no token URL is
// set (by WithTokenURL or DATA8_TOKEN_URL): the default token URL would give the client secret to
// Data8 for a token sent to another server. (Setting DefaultTokenURL explicitly, for a gateway in
// front of Data8's API, is allowed; WithBearerToken needs no token URL.) New sends nothing: the first
// token is fetched by the first call that needs it.
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
// fails; WithStallNotice and WithThrottleNotice tell you meanwhile.
func New(opts ...Option) (*Client, error) {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.baseURL == "" {
		o.baseURL = cmp.Or(os.Getenv(envBaseURL), DefaultBaseURL)
	}
	if o.tokenURL == "" {
		o.tokenURL = os.Getenv(envTokenURL)
	}
	tokenURLSet := o.tokenURL != ""
	o.tokenURL = cmp.Or(o.tokenURL, DefaultTokenURL)
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
		if !tokenURLSet && !dataEightAPI(o.baseURL) {
			return nil, invalid("the base URL is %s, not Data8's, but no token URL is set: set one with WithTokenURL or %s, so that the client secret is not sent to Data8's token endpoint for a token another server would receive", redactURL(o.baseURL), envTokenURL)
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

	if o.maxColumns == 0 {
		o.maxColumns = DefaultMaxColumns
	}
	c := &Client{
		maxColumns: o.maxColumns,
		secrets:    &redact.Set{},
		policy:     o.policy.withDefaults(),
		logger:     o.logger,
		userAgent:  o.userAgent,
		baseURL:    o.baseURL,
	}
	c.budget = newBudget(c.policy)
	c.secrets.Add(o.secret, o.bearer)
	if o.throttleNotify != nil {
		c.notice = &notifier{every: o.throttleEvery, notify: o.throttleNotify}
	}

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
		c.auth = newOAuthTokens(life, tokenHTTP, o.clientID, o.secret, o.tokenURL, o.scopes, o.logger, c.secrets, c.policy)
	}
	return c, nil
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

// dataEightAPI reports whether raw (checked by checkURL) is on the origin of DefaultBaseURL.
func dataEightAPI(raw string) bool {
	u, _ := url.Parse(raw)
	d, _ := url.Parse(DefaultBaseURL)
	return origin(u) == origin(d)
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
