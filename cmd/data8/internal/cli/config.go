package cli

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// logTransport logs each request's method, path, status and duration with --verbose: never a header or
// a body. It registers each bearer token it carries with the redactor.
type logTransport struct {
	base http.RoundTripper
	log  *slog.Logger
	a    *app
}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
		t.a.secrets.Add(tok)
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	d := time.Since(start).Round(time.Millisecond)
	if err != nil {
		t.log.Debug("http", "method", req.Method, "host", req.URL.Host, "path", req.URL.EscapedPath(), "error", t.a.secrets.String(err.Error()), "duration", d)
		return nil, err
	}
	attrs := []any{"method", req.Method, "host", req.URL.Host, "path", req.URL.EscapedPath()}
	if req.URL.RawQuery != "" {
		attrs = append(attrs, "query", req.URL.RawQuery)
	}
	t.log.Debug("http", append(attrs, "status", resp.StatusCode, "duration", d)...)
	return resp, nil
}

// clientOptions returns the options every client of this invocation gets, whatever its URLs and
// credentials. --verbose adds a request log over the client's own transport, with no timeout of its
// own: the client keeps its timeouts (2 minutes a request, 30 s a token fetch).
func (a *app) clientOptions() []client.Option {
	opts := []client.Option{client.WithUserAgent("data8-cli/1"), a.stallNotice()}
	if a.g.verbose {
		log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		opts = append(opts, client.WithLogger(log), client.WithHTTPClient(&http.Client{Transport: &logTransport{base: client.NewTransport(), log: log, a: a}}))
	}
	if a.g.insecureHTTP {
		opts = append(opts, client.WithInsecureHTTP())
	}
	if a.maxColumns > 0 {
		opts = append(opts, client.WithMaxColumns(a.maxColumns))
	}
	// A call waiting out a throttling server says so on standard error: at its first wait, then at
	// most every stallNoticeEvery.
	opts = append(opts, client.WithThrottleNotice(cmp.Or(a.hooks.stallEvery, stallNoticeEvery), a.throttleNotice))
	return opts
}

// throttleNotice prints, on standard error, that a call waits out the server's throttling: why, for
// how long, how long it has been refused so far, and when it gives up.
func (a *app) throttleNotice(n client.ThrottleNotice) {
	limit := "only an interrupt ends it"
	if n.GiveUpAfter >= 0 {
		limit = "giving up after " + n.GiveUpAfter.String()
	}
	fmt.Fprintf(a.stderr, "data8: the server is busy (%d): waiting %s before sending %s again; refused for %s so far, %s\n",
		n.StatusCode, n.Wait.Round(100*time.Millisecond), n.Operation, n.Throttled.Round(time.Second), limit)
}

// newClient builds the API client from the flags (which fell back to the environment). A
// configuration problem is a usage error; no value of the secret is ever part of a message.
func (a *app) newClient() (*client.Client, error) {
	g := a.g
	if err := a.credentials(); err != nil {
		return nil, err
	}
	baseURL, tokenURL, err := a.endpoints()
	if err != nil {
		return nil, err
	}
	opts := append(a.clientOptions(), client.WithBaseURL(baseURL), client.WithTokenURL(tokenURL), client.WithCredentials(g.clientID, g.clientSecret))
	c, err := client.New(opts...)
	if err != nil {
		return nil, a.configError(err)
	}
	return c, nil
}

// credentials registers the client secret with the redactor, warns when it was given on the command
// line, and checks that both credentials are set.
func (a *app) credentials() error {
	g := a.g
	a.secrets.Add(g.clientSecret)
	if g.secretOnCommandLine {
		fmt.Fprintln(a.stderr, "data8: warning: --client-secret is visible to other users of this machine in the process list; set DATA8_CLIENT_SECRET instead")
	}
	if g.clientID == "" || g.clientSecret == "" {
		var missing []string
		if g.clientID == "" {
			missing = append(missing, "DATA8_CLIENT_ID (or --client-id)")
		}
		if g.clientSecret == "" {
			missing = append(missing, "DATA8_CLIENT_SECRET")
		}
		return usageErrorf("no credentials: set %s (data8 serve prints a sandbox's)", strings.Join(missing, " and "))
	}
	return nil
}

// endpoints returns the base URL and token URL the flags (or the environment) name: Data8's own
// by default, and a token URL required with any other base URL.
func (a *app) endpoints() (baseURL, tokenURL string, err error) {
	baseURL = cmp.Or(a.g.baseURL, client.DefaultBaseURL)
	tokenURL = a.g.tokenURL
	if tokenURL == "" {
		if strings.TrimRight(baseURL, "/") != client.DefaultBaseURL {
			return "", "", usageErrorf("the base URL is %s but no token URL is set: set DATA8_TOKEN_URL (or --token-url) too, so the secret is not sent to Data8's token endpoint for another server", baseURL)
		}
		tokenURL = client.DefaultTokenURL
	}
	return baseURL, tokenURL, nil
}

// configError turns client.New's refusal of the configuration into a usage error.
func (a *app) configError(err error) error {
	var insecure *client.InsecureURLError
	if errors.As(err, &insecure) {
		return usageErrorf("the %s URL %q uses http:// on a host that is not loopback: the secret and tokens would cross the network in clear text (use https, or --insecure-http to allow it)", insecure.Which, a.secrets.String(insecure.URL))
	}
	return &usageError{msg: a.secrets.String(err.Error())}
}

// withClient builds the client, calls fn with it and closes it.
func (a *app) withClient(fn func(c *client.Client) error) error {
	c, err := a.newClient()
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

// stallNoticeEvery is how long a request waits with no answer before data8 says so on standard
// error, and how often it says so again.
const stallNoticeEvery = 30 * time.Second

// stallNotice is the client option that prints "still waiting for the server (N s)" on standard
// error while the server sends nothing (every hooks.stallEvery in tests).
func (a *app) stallNotice() client.Option {
	every := cmp.Or(a.hooks.stallEvery, stallNoticeEvery)
	return client.WithStallNotice(every, func(waited time.Duration) {
		fmt.Fprintf(a.stderr, "data8: still waiting for the server (%d s)\n", int(waited.Round(time.Second)/time.Second))
	})
}
