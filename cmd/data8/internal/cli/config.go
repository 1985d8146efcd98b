package cli

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// redactor removes the client secret and every bearer token seen from text. It is the last line of defence:
// nothing in data8 prints them on purpose.
type redactor struct {
	mu      sync.RWMutex
	secrets []string
	rep     *strings.Replacer
}

func newRedactor() *redactor { return &redactor{} }

// minSecret is the shortest string redacted; shorter ones would mangle ordinary output.
const minSecret = 6

// add registers a secret.
func (r *redactor) add(s string) {
	if len(s) < minSecret {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, have := range r.secrets {
		if have == s {
			return
		}
	}
	r.secrets = append(r.secrets, s)
	pairs := make([]string, 0, 2*len(r.secrets))
	for _, x := range r.secrets {
		pairs = append(pairs, x, "[REDACTED]")
	}
	r.rep = strings.NewReplacer(pairs...)
}

// redact returns s without any registered secret.
func (r *redactor) redact(s string) string {
	r.mu.RLock()
	rep := r.rep
	r.mu.RUnlock()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}

// redactWriter writes through a redactor.
type redactWriter struct {
	w io.Writer
	r *redactor
}

func (rw *redactWriter) Write(p []byte) (int, error) {
	rw.r.mu.RLock()
	rep := rw.r.rep
	rw.r.mu.RUnlock()
	if rep == nil {
		return rw.w.Write(p)
	}
	if _, err := io.WriteString(rw.w, rep.Replace(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Unwrap returns the underlying writer (to tell whether it is a terminal).
func (rw *redactWriter) Unwrap() io.Writer { return rw.w }

// logTransport logs each request's method, path, status and duration with --verbose: never a header or a
// body. It also registers each bearer token it carries with the redactor.
type logTransport struct {
	base http.RoundTripper
	log  *slog.Logger
	red  *redactor
}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
		t.red.add(tok)
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	d := time.Since(start).Round(time.Millisecond)
	if err != nil {
		t.log.Debug("http", "method", req.Method, "host", req.URL.Host, "path", req.URL.EscapedPath(), "error", t.red.redact(err.Error()), "duration", d)
		return nil, err
	}
	attrs := []any{"method", req.Method, "host", req.URL.Host, "path", req.URL.EscapedPath()}
	if req.URL.RawQuery != "" {
		attrs = append(attrs, "query", req.URL.RawQuery)
	}
	t.log.Debug("http", append(attrs, "status", resp.StatusCode, "duration", d)...)
	return resp, nil
}

// logger returns the --verbose logger (text, on standard error, through the redactor), or nil.
func (a *app) logger() *slog.Logger {
	if !a.g.verbose {
		return nil
	}
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// verboseHTTPClient returns the HTTP client used with --verbose: the logging transport over one tuned like
// the client's own.
func verboseHTTPClient(log *slog.Logger, red *redactor) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	base.MaxIdleConns = 128
	base.MaxIdleConnsPerHost = 64
	base.ResponseHeaderTimeout = 90 * time.Second
	return &http.Client{Transport: &logTransport{base: base, log: log, red: red}, Timeout: 2 * time.Minute}
}

// clientOptions returns the options every client of this invocation gets, whatever its URLs and credentials.
func (a *app) clientOptions() []client.Option {
	opts := []client.Option{client.WithUserAgent("data8-cli/1"), a.stallNotice()}
	if log := a.logger(); log != nil {
		opts = append(opts, client.WithLogger(log), client.WithHTTPClient(verboseHTTPClient(log, a.red)))
	}
	if a.g.insecureHTTP {
		opts = append(opts, client.WithInsecureHTTP())
	}
	return opts
}

// newClient builds the API client from the flags, else the environment. A configuration problem is a usage
// error; no value of the secret is ever part of a message.
func (a *app) newClient() (*client.Client, error) {
	g := a.g
	pick := func(flagValue, env string) string {
		if flagValue != "" {
			return flagValue
		}
		return strings.TrimSpace(a.getenv(env))
	}
	baseURL := pick(g.baseURL, "DATA8_BASE_URL")
	tokenURL := pick(g.tokenURL, "DATA8_TOKEN_URL")
	id := pick(g.clientID, "DATA8_CLIENT_ID")
	secret := g.clientSecret
	if secret == "" {
		secret = a.getenv("DATA8_CLIENT_SECRET")
	}
	a.red.add(secret)
	if g.secretOnCommandLine {
		fmt.Fprintln(a.stderr, "data8: warning: --client-secret is visible to other users of this machine in the process list; set DATA8_CLIENT_SECRET instead")
	}
	if id == "" || secret == "" {
		var missing []string
		if id == "" {
			missing = append(missing, "DATA8_CLIENT_ID (or --client-id)")
		}
		if secret == "" {
			missing = append(missing, "DATA8_CLIENT_SECRET")
		}
		return nil, usageErrorf("no credentials: set %s (data8 serve prints a sandbox's)", strings.Join(missing, " and "))
	}
	if baseURL == "" {
		baseURL = client.DefaultBaseURL
	}
	if tokenURL == "" {
		if strings.TrimRight(baseURL, "/") != client.DefaultBaseURL {
			return nil, usageErrorf("the base URL is %s but no token URL is set: set DATA8_TOKEN_URL (or --token-url) too, so the secret is not sent to Data8's token endpoint for another server", baseURL)
		}
		tokenURL = client.DefaultTokenURL
	}
	opts := append(a.clientOptions(), client.WithBaseURL(baseURL), client.WithTokenURL(tokenURL), client.WithCredentials(id, secret))
	c, err := client.New(opts...)
	if err != nil {
		var insecure *client.InsecureURLError
		if errors.As(err, &insecure) {
			return nil, usageErrorf("the %s URL %q uses http:// on a host that is not loopback: the secret and tokens would cross the network in clear text (use https, or --insecure-http to allow it)", insecure.Which, a.red.redact(insecure.URL))
		}
		return nil, &usageError{msg: a.red.redact(err.Error())}
	}
	return c, nil
}

// stallNoticeEvery is how long a request waits with no answer before data8 says so on standard error, and
// how often it says so again.
const stallNoticeEvery = 30 * time.Second

// stallNotice is the client option that prints "still waiting for the server (N s)" on standard error while
// the server sends nothing (every hooks.stallEvery in tests).
func (a *app) stallNotice() client.Option {
	every := cmp.Or(a.hooks.stallEvery, stallNoticeEvery)
	return client.WithStallNotice(every, func(waited time.Duration) {
		fmt.Fprintf(a.stderr, "data8: still waiting for the server (%d s)\n", int(waited.Round(time.Second)/time.Second))
	})
}
