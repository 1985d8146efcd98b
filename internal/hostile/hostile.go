// Package hostile is a small hostile server for tests: an httptest server that records every
// request it receives and answers with whatever attack a test gives it. The package's tests (one
// per attack) point the real client at it and assert the outcome: nothing secret leaves for a host
// the caller did not configure, no record goes where it should not, and every attack ends in a
// clear error or is bounded. The CLI's own attacks use Server from the CLI's tests.
package hostile

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is an httptest server that records each request it receives, then answers it with its
// handler. It is closed when the test ends.
type Server struct {
	*httptest.Server
	handler http.Handler

	mu   sync.Mutex
	seen []Request
}

// Request is a request a Server received, body included.
type Request struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
	At     time.Time // when it arrived (in a testing/synctest bubble, the bubble's time)
}

// New starts a plain HTTP server on loopback that answers with h (nil: 404 to everything).
func New(t testing.TB, h http.Handler) *Server {
	t.Helper()
	return start(t, h, httptest.NewServer)
}

// NewTLS starts an HTTPS server on loopback that answers with h. Its Client method returns an
// *http.Client that trusts it (and, like http.Client's zero value, follows redirects).
func NewTLS(t testing.TB, h http.Handler) *Server {
	t.Helper()
	return start(t, h, httptest.NewTLSServer)
}

// start starts a server on loopback with newServer (httptest's NewServer or NewTLSServer) that answers
// with h, closed at the end of the test.
func start(t testing.TB, h http.Handler, newServer func(http.Handler) *httptest.Server) *Server {
	s := &Server{handler: h}
	s.Server = newServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	s.seen = append(s.seen, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body, At: time.Now()})
	s.mu.Unlock()
	if s.handler == nil {
		http.NotFound(w, r)
		return
	}
	s.handler.ServeHTTP(w, r)
}

// Direct is a server without a network, for tests that run the client in a testing/synctest
// bubble, where time is virtual and a ten-minute throttle passes in an instant: its HTTPClient sends
// each request straight to the handler, in the goroutine that sends it. It records requests as a
// Server does (Request.At is the bubble's time).
type Direct struct {
	// URL is the base URL to give the client: a loopback address nothing listens on (requests never
	// leave the process).
	URL     string
	handler http.Handler

	mu   sync.Mutex
	seen []Request
}

// NewDirect returns a Direct answering with h.
func NewDirect(h http.Handler) *Direct {
	return &Direct{URL: "http://127.0.0.1:9", handler: h}
}

// HTTPClient returns a client whose every request d answers (give it to client.WithHTTPClient).
func (d *Direct) HTTPClient() *http.Client { return &http.Client{Transport: d} }

// TokenURL is d's token endpoint, URL + TokenPath.
func (d *Direct) TokenURL() string { return d.URL + TokenPath }

// RoundTrip records req and answers it with d's handler.
func (d *Direct) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(req.Body, 64<<20))
		req.Body.Close()
	}
	d.mu.Lock()
	d.seen = append(d.seen, Request{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery, Header: req.Header.Clone(), Body: body, At: time.Now()})
	d.mu.Unlock()
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	d.handler.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// Requests returns the requests received so far, in order.
func (d *Direct) Requests() []Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Request(nil), d.seen...)
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.seen...)
}

// Count returns how many requests with method and path were received.
func (s *Server) Count(method, path string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// TokenURL is the server's token endpoint, URL + "/connect/token".
func (s *Server) TokenURL() string { return s.URL + TokenPath }

// OtherHost returns the server's URL with its host written "localhost" instead of 127.0.0.1: the
// same listener, reached through another host name.
func (s *Server) OtherHost() string { return strings.Replace(s.URL, "127.0.0.1", "localhost", 1) }

// TokenPath is where API serves tokens.
const TokenPath = "/connect/token"

// ClientID and ClientSecret are the credentials tests give the client; ClientSecret is long
// enough to be searched for in anything that must not hold it.
const (
	ClientID     = "hostile-test-client"
	ClientSecret = "s3cret-that-must-never-leave-the-token-endpoint"
	AccessToken  = "access-token-that-only-the-api-may-see"
)

// API returns a handler that hands out AccessToken at TokenPath (to any client-credentials
// request) and passes every other request to api.
func API(api http.HandlerFunc) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokenPath, func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]any{"access_token": AccessToken, "token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("/", api)
	return mux
}

// Redirect returns a handler that answers every request with code and a Location of to followed
// by the request's path and query.
func Redirect(code int, to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, _ := url.Parse(to)
		u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
		http.Redirect(w, r, u.String(), code)
	}
}

// WriteJSON answers with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Origin returns the scheme, host and port of raw (the server's URL), as errors name it.
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}
