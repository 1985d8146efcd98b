package client

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/redact"
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
	api        gen.ClientInterface
	auth       authorizer
	policy     RetryPolicy
	budget     *budget
	notice     *notifier   // nil: no throttle notices
	maxColumns int         // the most columns a dataset's answer may list; negative: no limit
	secrets    *redact.Set // the client secret or bearer token, and every token issued: redacted from errors
	logger     *slog.Logger
	userAgent  string
	baseURL    string

	closeIdle func() // closes idle connections of the transports New made
	cancel    context.CancelFunc
}

// String describes the client by its base URL only: no credential or token is ever printed.
func (c *Client) String() string { return "data8.Client(" + c.baseURL + ")" }

// GoString is String, so that %#v prints no credential or token either.
func (c *Client) GoString() string { return c.String() }

// LogValue is String, so that a Client logged with log/slog shows no credential or token.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

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
