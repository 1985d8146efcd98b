package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/data8-toolkit/data8/internal/redact"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// authorizer hands out the bearer token for a request. gen identifies the token so that a 401 can
// invalidate exactly the token that was refused and no newer one.
type authorizer interface {
	token(ctx context.Context) (tok string, gen uint64, err error)
	// invalidate drops the token of generation gen, reporting whether a new one can be fetched.
	invalidate(gen uint64) bool
}

// staticToken is a caller's fixed bearer token (WithBearerToken): it cannot be refreshed.
type staticToken string

func (s staticToken) token(context.Context) (string, uint64, error) { return string(s), 0, nil }
func (s staticToken) invalidate(uint64) bool                        { return false }

// oauthTokens is the client-credentials token cache shared by every goroutine of a Client.
//
// x/oauth2's ReuseTokenSource caches a token until it expires but cannot be told that the API
// refused it, so the cache is kept here: one token, one fetch in flight at a time (every goroutine
// that needs a token while a fetch runs waits for that fetch), and invalidation by generation so
// that a storm of 401s for the same old token causes exactly one new fetch.
//
// A fetch after the API refused a token begins no sooner than renewFloor after the previous fetch
// began, whatever the number of goroutines that want a token: a server that refuses every token
// cannot make the client send its secret in a loop. (A failed fetch is retried by the call that
// wanted the token, as a failed attempt: see RetryPolicy.)
//
// Each fetch calls clientcredentials.Config.Token with the client's long-lived context, which
// carries the token endpoint's *http.Client (with its timeout) and is never a request's context.
// The fetch runs in its own goroutine so that a caller whose context ends stops waiting without
// aborting the fetch other goroutines wait for; Client.Close ends the long-lived context.
type oauthTokens struct {
	cfg     *clientcredentials.Config
	ctx     context.Context // long-lived; carries oauth2.HTTPClient
	logger  *slog.Logger
	secrets *redact.Set // the client's: each token fetched is added to it
	sleep   func(ctx context.Context, d time.Duration) error
	now     func() time.Time // the clock of renewFloor

	mu        sync.Mutex
	tok       *oauth2.Token
	fetched   time.Time // when the fetch of tok began (time.Now, as tok's expiry)
	tokAfter  uint64    // refused when the fetch of tok began
	gen       uint64
	refused   uint64    // the newest generation the API has refused
	dropped   bool      // a token was dropped as refused since the last successful fetch
	lastFetch time.Time // when the last fetch began, by now
	inflight  *flight
}

// renewFloor is the least time between the beginnings of two token fetches when the second follows
// a token the API refused.
const renewFloor = time.Second

// flight is one token fetch; done is closed when tok, gen, err and stale are set.
type flight struct {
	done      chan struct{}
	after     uint64    // oauthTokens.refused when the fetch began
	notBefore time.Time // the fetch waits until then (renewFloor); zero: at once
	stale     bool      // the API refused a token newer than after while the fetch ran
	tok       string
	gen       uint64
	err       error
}

func newOAuthTokens(ctx context.Context, hc *http.Client, id, secret, tokenURL string, scopes []string, logger *slog.Logger, secrets *redact.Set, policy RetryPolicy) *oauthTokens {
	return &oauthTokens{
		cfg: &clientcredentials.Config{
			ClientID:     id,
			ClientSecret: secret,
			TokenURL:     tokenURL,
			Scopes:       scopes,
			// Explicit: auto-detection sends a second request on bad credentials and reports
			// only the second error.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		ctx:     context.WithValue(ctx, oauth2.HTTPClient, hc),
		logger:  logger,
		secrets: secrets,
		sleep:   policy.Sleep,
		now:     policy.Now,
	}
}

// token returns a valid token and its generation, joining the fetch in flight if there is one. A
// fetch that began before the API refused a newer token may bring back a token the server has
// revoked too; token waits for it to end and fetches afresh.
func (o *oauthTokens) token(ctx context.Context) (string, uint64, error) {
	for {
		o.mu.Lock()
		if o.fresh() {
			tok, gen := o.tok.AccessToken, o.gen
			o.mu.Unlock()
			return tok, gen, nil
		}
		f := o.inflight
		if f == nil {
			f = &flight{done: make(chan struct{}), after: o.refused}
			if o.dropped && !o.lastFetch.IsZero() {
				f.notBefore = o.lastFetch.Add(renewFloor)
			}
			o.inflight = f
			go o.fetch(f)
		}
		o.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return "", 0, context.Cause(ctx)
		}
		if !f.stale || f.err != nil {
			return f.tok, f.gen, f.err
		}
	}
}

// fresh reports whether the cached token may still be sent: until a quarter of its lifetime, and at
// most 10 s, before it expires. (oauth2.Token.Valid keeps a fixed 10 s, so a token that lives less
// than that would never be reused.) The caller holds o.mu.
func (o *oauthTokens) fresh() bool {
	if o.tok == nil || o.tok.AccessToken == "" {
		return false
	}
	if o.tok.Expiry.IsZero() {
		return true
	}
	margin := min(10*time.Second, o.tok.Expiry.Sub(o.fetched)/4)
	return time.Now().Before(o.tok.Expiry.Add(-margin))
}

func (o *oauthTokens) fetch(f *flight) {
	if !f.notBefore.IsZero() {
		if wait := f.notBefore.Sub(o.now()); wait > 0 {
			if err := o.sleep(o.ctx, wait); err != nil {
				o.mu.Lock()
				f.err = fmt.Errorf("data8: fetching an access token: client closed: %w", err)
				o.inflight = nil
				o.mu.Unlock()
				close(f.done)
				return
			}
		}
	}
	o.mu.Lock()
	o.lastFetch = o.now()
	o.mu.Unlock()
	began := time.Now()
	tok, err := o.cfg.Token(o.ctx)
	if err == nil {
		o.secrets.Add(tok.AccessToken, tok.RefreshToken)
	}
	o.mu.Lock()
	switch {
	case err != nil:
		f.err = o.tokenError(err)
	case f.stale:
		// Not cached: token fetches again.
	default:
		o.gen++
		o.tok, o.fetched, o.tokAfter, o.dropped = tok, began, f.after, false
		f.tok, f.gen = tok.AccessToken, o.gen
	}
	o.inflight = nil
	o.mu.Unlock()
	close(f.done)
	if f.err != nil {
		o.logger.Warn("data8: token fetch failed", "error", f.err.Error())
	} else {
		o.logger.Debug("data8: token fetched", "expiry", tok.Expiry)
	}
}

// invalidate drops the cached token of generation gen, which the API refused. A storm of refusals
// of the same generation causes one fetch. A newer token fetched before any refusal of gen was known
// may have been revoked with it, so it is dropped too, and a fetch in flight that began before is
// marked stale: a renewal always uses a token fetched after the refusal.
func (o *oauthTokens) invalidate(gen uint64) bool {
	o.mu.Lock()
	if o.tok != nil && (o.gen == gen || o.tokAfter < gen) {
		o.tok, o.dropped = nil, true
	}
	if gen > o.refused {
		o.refused = gen
		if o.inflight != nil && o.inflight.after < gen {
			o.inflight.stale = true
		}
	}
	o.mu.Unlock()
	return true
}

// validErrorCode reports whether s looks like an RFC 6749 error code (printable ASCII, short).
func validErrorCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// tokenError is a failed token fetch, rebuilt so that nothing the endpoint sent back (which may
// echo the client secret) reaches the error text: oauth2.RetrieveError.Error prints the whole
// response body when the endpoint sends no error code.
type tokenError struct {
	status      int    // HTTP status of the token endpoint's answer; 0 for a transport error
	code        string // RFC 6749 error code, when it looked like one
	description string // error_description, when it holds no secret
	cause       error  // transport error (no secret: the secret travels in the body, not the URL)
	permanent   bool   // another fetch cannot succeed (a refused redirect)
}

func (e *tokenError) Error() string {
	var b strings.Builder
	b.WriteString("data8: fetching an access token: ")
	switch {
	case e.cause != nil:
		b.WriteString(e.cause.Error())
	default:
		fmt.Fprintf(&b, "token endpoint answered %d %s", e.status, http.StatusText(e.status))
		if e.code != "" {
			fmt.Fprintf(&b, ": %s", e.code)
		}
		if e.description != "" {
			fmt.Fprintf(&b, " (%s)", e.description)
		}
	}
	return b.String()
}

// Is makes a refusal of the credentials match ErrUnauthorized.
func (e *tokenError) Is(target error) bool {
	if target != ErrUnauthorized {
		return false
	}
	return e.status == http.StatusUnauthorized || e.status == http.StatusForbidden ||
		(e.status == http.StatusBadRequest && (e.code == "invalid_client" || e.code == "unauthorized_client" || e.code == "invalid_scope" || e.code == "invalid_grant"))
}

// Unwrap returns the transport error, if any.
func (e *tokenError) Unwrap() error { return e.cause }

// temporary reports whether another fetch may succeed.
func (e *tokenError) temporary() bool {
	switch {
	case e.permanent:
		return false
	case e.cause != nil:
		return true
	case e.status == http.StatusTooManyRequests, e.status >= 500:
		return true
	}
	return false
}

// tokenError turns whatever x/oauth2 returned into a *tokenError holding no secret.
func (o *oauthTokens) tokenError(err error) error {
	if ctxErr := o.ctx.Err(); ctxErr != nil {
		return fmt.Errorf("data8: fetching an access token: client closed: %w", ctxErr)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &tokenError{}
		if re.Response != nil {
			te.status = re.Response.StatusCode
		}
		// A code that holds a secret, or is part of the secret, is left out; a description is
		// redacted.
		if validErrorCode(re.ErrorCode) && o.secrets.String(re.ErrorCode) == re.ErrorCode && !strings.Contains(o.cfg.ClientSecret, re.ErrorCode) {
			te.code = re.ErrorCode
		}
		if d := re.ErrorDescription; d != "" && len(d) <= 200 {
			te.description = termsafe.Trim(o.secrets.String(d), 200)
		}
		return te
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// Rebuilt without the URL's user info, should there be any, and with any secret the
		// transport's text holds (a certificate's names are the server's to choose) redacted.
		cause := &url.Error{Op: ue.Op, URL: redactURL(ue.URL), Err: ue.Err}
		te := &tokenError{cause: cause, permanent: errors.Is(err, ErrRedirect) || permanentTransportError(err)}
		if text := cause.Error(); o.secrets.String(text) != text {
			te.cause = errors.New(o.secrets.String(text))
		}
		return te
	}
	// x/oauth2's other errors ("server response missing access_token", "cannot parse json: ...")
	// hold no part of the body beyond a JSON syntax position.
	return &tokenError{cause: errors.New(termsafe.Trim(o.secrets.String(err.Error()), 200))}
}

// redactURL returns u without user info or query.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparseable URL)"
	}
	p.User = nil
	p.RawQuery = ""
	return p.String()
}
