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

	"github.com/data8-toolkit/data8/internal/oneline"
)

// authorizer hands out the bearer token for a request. gen identifies the token so that a 401 can
// invalidate exactly the token that was refused and no newer one.
type authorizer interface {
	token(ctx context.Context) (tok string, gen uint64, err error)
	// invalidate drops the token of generation gen, reporting whether a new one can be fetched.
	invalidate(gen uint64) bool
	// secrets lists strings that must never appear in an error or a log record.
	secrets() []string
}

// staticToken is a caller's fixed bearer token (WithBearerToken): it cannot be refreshed.
type staticToken string

func (s staticToken) token(context.Context) (string, uint64, error) { return string(s), 0, nil }
func (s staticToken) invalidate(uint64) bool                        { return false }
func (s staticToken) secrets() []string                             { return []string{string(s)} }

// oauthTokens is the client-credentials token cache shared by every goroutine of a Client.
//
// x/oauth2's ReuseTokenSource caches a token until it expires but cannot be told that the API
// refused it, so the cache is kept here: one token, one fetch in flight at a time (every goroutine
// that needs a token while a fetch runs waits for that fetch), and invalidation by generation so
// that a storm of 401s for the same old token causes exactly one new fetch.
//
// Each fetch calls clientcredentials.Config.Token with the client's long-lived context, which
// carries the token endpoint's *http.Client (with its timeout) and is never a request's context.
// The fetch runs in its own goroutine so that a caller whose context ends stops waiting without
// aborting the fetch other goroutines wait for; Client.Close ends the long-lived context.
type oauthTokens struct {
	cfg    *clientcredentials.Config
	ctx    context.Context // long-lived; carries oauth2.HTTPClient
	logger *slog.Logger

	mu       sync.Mutex
	tok      *oauth2.Token
	fetched  time.Time // when the fetch of tok began
	tokAfter uint64    // refused when the fetch of tok began
	gen      uint64
	refused  uint64 // the newest generation the API has refused
	inflight *flight
}

// flight is one token fetch; done is closed when tok, gen, err and stale are set.
type flight struct {
	done  chan struct{}
	after uint64 // oauthTokens.refused when the fetch began
	stale bool   // the API refused a token newer than after while the fetch ran
	tok   string
	gen   uint64
	err   error
}

func newOAuthTokens(ctx context.Context, hc *http.Client, id, secret, tokenURL string, scopes []string, logger *slog.Logger) *oauthTokens {
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
		ctx:    context.WithValue(ctx, oauth2.HTTPClient, hc),
		logger: logger,
	}
}

func (o *oauthTokens) secrets() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := []string{o.cfg.ClientSecret}
	if o.tok != nil {
		s = append(s, o.tok.AccessToken)
	}
	return s
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
	began := time.Now()
	tok, err := o.cfg.Token(o.ctx)
	o.mu.Lock()
	switch {
	case err != nil:
		f.err = o.tokenError(err)
	case f.stale:
		// Not cached: token fetches again.
	default:
		o.gen++
		o.tok, o.fetched, o.tokAfter = tok, began, f.after
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
		o.tok = nil
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
		if validErrorCode(re.ErrorCode) && !holdsSecret(re.ErrorCode, o.cfg.ClientSecret) && !strings.Contains(o.cfg.ClientSecret, re.ErrorCode) {
			te.code = re.ErrorCode
		}
		if d := re.ErrorDescription; d != "" && len(d) <= 200 && !holdsSecret(d, o.cfg.ClientSecret) {
			te.description = oneline.Trim(d, 200)
		}
		return te
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// Rebuilt without the URL's user info, should there be any.
		return &tokenError{cause: &url.Error{Op: ue.Op, URL: redactURL(ue.URL), Err: ue.Err}, permanent: errors.Is(err, ErrRedirect)}
	}
	// x/oauth2's other errors ("server response missing access_token", "cannot parse json: ...")
	// hold no part of the body beyond a JSON syntax position.
	msg := err.Error()
	if holdsSecret(msg, o.cfg.ClientSecret) {
		msg = "unreadable token response"
	}
	return &tokenError{cause: errors.New(oneline.Trim(msg, 200))}
}

// holdsSecret reports whether s holds the secret, plainly or URL-escaped.
func holdsSecret(s, secret string) bool {
	if secret == "" {
		return false
	}
	return strings.Contains(s, secret) ||
		strings.Contains(s, url.QueryEscape(secret)) ||
		strings.Contains(s, url.PathEscape(secret))
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
