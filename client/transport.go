package client

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ErrRedirect matches a request the client refused to send because it would have left the origin
// (scheme, host and port) the caller configured for it: a redirect answer, which the client never
// follows, or any request a transport tried to send elsewhere. Such a failure is not retried.
var ErrRedirect = errors.New("data8: redirect refused")

// redirectError is a refused redirect, or a request refused because it was bound for an origin
// other than the configured one. It names origins only: never a path, a query, a token or a secret.
type redirectError struct {
	what     string // "API" or "token endpoint"
	status   int    // the redirect's status code; 0 for a request refused before it was sent
	from, to string // origins
}

func (e *redirectError) Error() string {
	if e.status == 0 {
		return fmt.Sprintf("data8: refused to send a request meant for the %s at %s to %s", e.what, e.from, e.to)
	}
	return fmt.Sprintf("data8: the %s at %s answered %d %s to %s: refused, the client follows no redirect (point the %s URL at the server that answers)",
		e.what, e.from, e.status, http.StatusText(e.status), e.to, urlName(e.what))
}

// Is makes a redirectError match ErrRedirect.
func (e *redirectError) Is(target error) bool { return target == ErrRedirect }

func urlName(what string) string {
	if what == whatToken {
		return "token"
	}
	return "base"
}

const (
	whatAPI   = "API"
	whatToken = "token endpoint"
)

// origin returns u's scheme, host and port, with the scheme's default port filled in and the
// scheme and host in lower case: two URLs may share credentials only when their origins are equal.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// refuseRedirects is the CheckRedirect of every HTTP client New makes or wraps. No redirect is
// followed, not even to the same origin:
//
//   - the token request carries the client secret in its body, and a 307 or 308 would re-send it;
//   - a 307 or 308 on PATCH, PUT or POST re-sends the records to wherever the server points, and a
//     301, 302 or 303 turns the call into a GET whose 2xx would be taken for the call's success;
//   - ASP.NET Core APIs answer their routes directly: the one redirect the framework makes by
//     itself (UseHttpsRedirection, http to https) cannot happen since the client only uses https
//     off loopback.
//
// The refusal names where the server pointed, so a caller whose server moved can configure it.
func refuseRedirects(what string) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		e := &redirectError{what: what, to: origin(req.URL)}
		if len(via) > 0 {
			e.from = origin(via[len(via)-1].URL)
		}
		if req.Response != nil {
			e.status = req.Response.StatusCode
		}
		return e
	}
}

// guard is the outermost transport of every HTTP client New makes or wraps. It sends a request
// only to the one origin it was made for (the base URL's for API calls, the token URL's for token
// requests), so that neither a bearer token nor the client secret can reach a host the caller did
// not configure, whatever the transport underneath or a redirect would do. It also reports
// requests that wait long for an answer to a stallWatch.
type guard struct {
	base   http.RoundTripper
	what   string // whatAPI or whatToken
	origin string
	watch  *stallWatch // nil: no stall notices
}

// RoundTrip sends req when it is bound for the guard's origin and refuses it otherwise.
func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if o := origin(req.URL); o != g.origin {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &redirectError{what: g.what, from: g.origin, to: o}
	}
	if g.watch == nil {
		return g.base.RoundTrip(req)
	}
	g.watch.begin()
	resp, err := g.base.RoundTrip(req)
	if err != nil {
		g.watch.end()
		return nil, err
	}
	g.watch.progress()
	resp.Body = &watchedBody{ReadCloser: resp.Body, watch: g.watch}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the transport underneath, when it can.
func (g *guard) CloseIdleConnections() {
	if c, ok := g.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// guarded returns a copy of hc that follows no redirect and sends requests only to origin of
// target, through hc's transport (http.DefaultTransport when it has none). hc's own CheckRedirect
// is not consulted: no redirect is followed whatever it says.
func guarded(hc *http.Client, what, target string, timeout time.Duration, watch *stallWatch) *http.Client {
	u, _ := url.Parse(target) // checked by checkURL
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c := *hc
	c.Transport = &guard{base: base, what: what, origin: origin(u), watch: watch}
	c.CheckRedirect = refuseRedirects(what)
	if c.Timeout == 0 {
		c.Timeout = timeout
	}
	return &c
}

// httpClients returns the HTTP clients for API calls and for token requests, each behind a guard
// for its own origin; closeIdle releases the idle connections of transports made here (none of a
// caller's).
func (o *options) httpClients() (api, token *http.Client, closeIdle func()) {
	var watch *stallWatch
	if o.stallEvery > 0 && o.stallNotify != nil {
		watch = &stallWatch{every: o.stallEvery, notify: o.stallNotify}
	}
	if o.httpClient != nil {
		// A caller's client keeps its timeout; without one, each gets its own: the API's or the
		// token endpoint's.
		return guarded(o.httpClient, whatAPI, o.baseURL, apiTimeout, watch),
			guarded(o.httpClient, whatToken, o.tokenURL, tokenTimeout, watch),
			func() {}
	}
	apiTransport, tokenTransport := newTransport(), newTransport()
	api = guarded(&http.Client{Transport: apiTransport}, whatAPI, o.baseURL, apiTimeout, watch)
	token = guarded(&http.Client{Transport: tokenTransport}, whatToken, o.tokenURL, tokenTimeout, watch)
	return api, token, func() {
		apiTransport.CloseIdleConnections()
		tokenTransport.CloseIdleConnections()
	}
}

// NewTransport returns a transport tuned as the ones New makes: connecting 10 s, TLS handshake
// 10 s, an answer's headers 90 s, and idle connections enough for the largest concurrency. Wrap it
// to watch requests (a log, say) and pass it with WithHTTPClient in an http.Client without a
// Timeout: the client then keeps its own timeouts, 2 minutes a request and 30 s a token fetch.
func NewTransport() *http.Transport { return newTransport() }

// stallWatch tells when no request in flight has had any answer for a while.
type stallWatch struct {
	every  time.Duration
	notify func(waited time.Duration)

	mu     sync.Mutex
	active int       // requests in flight (answer not read to its end nor closed)
	last   time.Time // when the server last sent something, or the first request began
	timer  *time.Timer
}

// begin marks a request sent.
func (w *stallWatch) begin() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active++
	if w.active > 1 {
		return
	}
	w.last = time.Now()
	if w.timer == nil {
		w.timer = time.AfterFunc(w.every, w.fire)
	} else {
		w.timer.Reset(w.every)
	}
}

// progress marks bytes of an answer arriving.
func (w *stallWatch) progress() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.active > 0 {
		w.last = time.Now()
		w.timer.Reset(w.every)
	}
}

// end marks a request finished.
func (w *stallWatch) end() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active--
	if w.active == 0 {
		w.timer.Stop()
	}
}

func (w *stallWatch) fire() {
	w.mu.Lock()
	if w.active == 0 {
		w.mu.Unlock()
		return
	}
	waited := time.Since(w.last)
	if waited < w.every {
		// A request began or an answer moved since this timer was set; the timer is set again.
		w.mu.Unlock()
		return
	}
	w.timer.Reset(w.every)
	w.mu.Unlock()
	w.notify(waited)
}

// watchedBody reports an answer's bytes to a stallWatch and ends its request at EOF, on an error
// or when closed, whichever comes first.
type watchedBody struct {
	io.ReadCloser
	watch *stallWatch
	once  sync.Once
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.done()
	} else if n > 0 {
		b.watch.progress()
	}
	return n, err
}

func (b *watchedBody) Close() error {
	b.done()
	return b.ReadCloser.Close()
}

func (b *watchedBody) done() { b.once.Do(b.watch.end) }
