package data8test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/opid"
	"github.com/data8-toolkit/data8/internal/standin"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// OpToken names the OAuth2 token endpoint (POST /connect/token) where an operation is named: in a
// Fault's Op and in RequestCounts. The endpoint is not part of the spec, so it has no operationId of its
// own; the API's operations are named by their operationId, as api/openapi.yaml spells it.
const OpToken = "Token"

// Job status codes of this server. Data8 does not document the values of Job.status; these are this
// server's own convention (D-14 of the contract), and clients must not rely on them against Data8.
const (
	StatusQueued    int = 0 // submitted, not started
	StatusRunning   int = 1 // running; percentComplete grows
	StatusCompleted int = 2 // finished, output datasets complete
	StatusFailed    int = 3 // finished with an error; statistics["error"] says why
)

// Page sizes and limits of the contract.
const (
	datasetsPerPage = 100  // datasets per page of Dataset_GetList
	jobsPerPage     = 100  // jobs per page of Job_GetList
	recordsPerPage  = 1000 // records per page of Dataset_GetData
	maxBlockRecords = 1000 // records per uploaded block at most
)

// Server is a running in-memory Data8. Its exported fields are set by NewServer and must not be changed.
type Server struct {
	// URL is the base URL of the API, http://127.0.0.1:port, with no trailing slash.
	URL string
	// TokenURL is the OAuth2 token endpoint, URL + "/connect/token".
	TokenURL string
	// ClientID and ClientSecret are credentials the token endpoint accepts (scope BatchApi).
	ClientID     string
	ClientSecret string

	cfg     config
	spec    *specInfo
	handler http.Handler
	srv     *http.Server
	ln      net.Listener

	ctx    context.Context // cancelled by Close; the base of every request and job
	cancel context.CancelFunc

	lifeMu   sync.Mutex // guards closing, inflight.Add and clients
	closing  bool
	clients  []interface{ Close() error } // made by Client, closed by Close
	inflight sync.WaitGroup               // requests being served and jobs running
	serveErr chan error

	mu       sync.RWMutex // guards the state below
	datasets map[string]*dataset
	jobs     map[string]*job
	jobSeq   int64
	blockSeq int64
	apiKeys  map[string]*apiKey
	keyOrder []string
	// reservedKeys are the values of keys deleted under the standin.DeletedKeyReserved mutation.
	reservedKeys []string
	// deletedKeys are keys deleted under the standin.DeletedKeyListed mutation, still listed.
	deletedKeys []*apiKey
	// tombstones are keys deleted under the standin.DeletedKeyWritable, standin.RecreatedKeyKeepsOld
	// and standin.DeletedKeyReadable mutations, by key.
	tombstones map[string]*apiKey
	// keySeq and credSeq number generated keys and clientIds under the
	// standin.ConcurrentGeneratedKeyDup and standin.ConcurrentClientIDDup mutations.
	keySeq, credSeq int64
	creds           map[string]*credential
	credOrder       []string
	// keysGenerated counts the keys generated (created without a key in the body), for the
	// standin.ThirdGeneratedKeyLowerCase mutation.
	keysGenerated int

	// reserved are the names that refused creates keep, for the standin.FailedJobReservesName and
	// standin.FailedCreateReservesName mutations ("job <name>", "dataset <name>").
	reserved map[string]bool
	// lastJob is the job started last, for the standin.JobsShareOutput mutation.
	lastJob *job
	// starting counts the job starts being served, for the standin.JobListLosesConcurrent mutation.
	starting atomic.Int32

	// cacheMu guards lists, the answers of GET /Dataset (by query) and GET /ClientCredential
	// (under "clients") kept by the standin.DatasetListCached and standin.ClientListCached
	// mutations.
	cacheMu sync.Mutex
	lists   map[string]any
	// freedAllowed are the allowed domains and subnets of the key deleted last, for the
	// standin.NewKeyTakesDeletedSlot mutation; guarded by mu.
	freedAllowed *apiKey
	// ghosts are the job starts refused under the standin.RefusedJobListed mutation, listed by
	// GET /Job; guarded by mu.
	ghosts []*job
	// ghostDatasets are the names of dataset creates refused under the standin.RefusedCreateListed
	// mutation, listed by GET /Dataset; guarded by mu.
	ghostDatasets []string

	raceMu sync.Mutex               // guards racing and writeRaces
	racing map[string]chan struct{} // dataset creates waiting, for the standin.DatasetCreateRace mutation
	// writeRaces are the lost-update mutations' meetings of a write and the writes sent with it.
	writeRaces map[string]*writeRace
	// uploading is the dataset an upload is being stored into, for the standin.UploadsShareTarget
	// mutation; guarded by raceMu.
	uploading *dataset
	tokens    map[string]time.Time // access token → expiry

	statsMu      sync.Mutex // guards the counters below
	requests     map[string]int
	faults       map[FaultKind]int
	tokenCount   int
	extraSeq     int64 // ids of ProfileExtraMembers
	throttled    int
	apiSeq       atomic.Int64 // API requests so far, for ProfileThrottleEvery50
	busySeq      atomic.Int64 // API requests so far, for ProfileBusyEvery61
	plainBusySeq atomic.Int64 // API requests so far, for ProfileBusyPlain503

	throttle   *throttle // WithMaxInFlight and WithRateLimit
	violations []Violation

	faultMu sync.Mutex // guards the fault generator
	faultRN *faultRand

	bufPool sync.Pool // *[]byte buffers for upload bodies
}

// strictAPI implements the generated strict server interface over a Server's state. Its methods are
// spread over datasets.go, jobs.go and accounts.go.
type strictAPI struct{ s *Server }

var _ gen.StrictServerInterface = (*strictAPI)(nil)

// NewServer starts a Data8 stand-in on a loopback port (or on the listener of WithListener) and returns
// it. Like httptest.NewServer it panics if it cannot listen. Call Close when done.
//
// It is the one constructor: a program that listens on an address a user gives (as `data8 serve` does)
// listens itself, handles the error, and passes the listener with WithListener.
func NewServer(opts ...Option) *Server {
	s, err := newServer(opts...)
	if err != nil {
		panic("data8test: " + err.Error())
	}
	return s
}

// newServer is NewServer returning an error instead of panicking.
func newServer(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	spec, err := loadSpec()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:        cfg,
		spec:       spec,
		datasets:   map[string]*dataset{},
		jobs:       map[string]*job{},
		apiKeys:    map[string]*apiKey{},
		tombstones: map[string]*apiKey{},
		creds:      map[string]*credential{},
		reserved:   map[string]bool{},
		tokens:     map[string]time.Time{},
		requests:   map[string]int{},
		faults:     map[FaultKind]int{},
		serveErr:   make(chan error, 1),
	}
	s.ClientID = cfg.clientID
	if s.ClientID == "" {
		s.ClientID = "data8test-" + randomHex(8)
	}
	s.ClientSecret = cfg.clientSecret
	if s.ClientSecret == "" {
		s.ClientSecret = randomHex(24)
	}
	s.creds[s.ClientID] = &credential{id: s.ClientID, description: "data8test default client", secret: s.ClientSecret}
	s.credOrder = append(s.credOrder, s.ClientID)
	s.throttle = newThrottle(cfg)
	if cfg.faultRate > 0 {
		s.faultRN = newFaultRand(cfg.faultSeed)
	}

	ln := cfg.listener
	if ln == nil {
		addr := cfg.addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("listen on %s: %w", addr, err)
		}
	}
	s.ln = ln
	s.URL = "http://" + urlHost(ln.Addr())
	s.TokenURL = s.URL + "/connect/token"

	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.handler = s.buildHandler()
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	go func() { s.serveErr <- s.srv.Serve(ln) }()
	if c, ok := cfg.tb.(interface{ Cleanup(func()) }); ok {
		// Nothing may be reported to a test that has ended.
		c.Cleanup(s.Close)
	}
	return s, nil
}

// urlHost gives the host:port to put in URLs for a listening address: an unspecified address (0.0.0.0,
// ::) is replaced by the loopback address of its family.
func urlHost(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := ta.IP
	if ip == nil || ip.IsUnspecified() {
		if ip.To4() == nil && ip != nil {
			ip = net.IPv6loopback
		} else {
			ip = net.IPv4(127, 0, 0, 1)
		}
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(ta.Port))
}

// Close shuts the server down: it stops accepting, closes every connection, cancels running jobs and waits
// for the handlers and jobs to return. After Close returns nothing more is reported to a WithValidation
// TB. Close may be called more than once.
func (s *Server) Close() {
	s.lifeMu.Lock()
	if s.closing {
		s.lifeMu.Unlock()
		return
	}
	s.closing = true
	clients := s.clients
	s.lifeMu.Unlock()
	s.cancel()
	_ = s.srv.Close()
	<-s.serveErr
	s.inflight.Wait()
	for _, c := range clients {
		_ = c.Close()
	}
}

// Handler returns the server's http.Handler (the API and the token endpoint), for mounting in another
// server or calling with httptest.NewRecorder. Requests served through it share the state of s. A
// FaultDrop needs a ResponseWriter that can be hijacked; with one that cannot, the handler panics with
// http.ErrAbortHandler, which net/http servers take as an aborted response.
func (s *Server) Handler() http.Handler { return s.handler }

// enter registers one more piece of work (a request or a job); it is false once Close has begun.
func (s *Server) enter() bool {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.closing {
		return false
	}
	s.inflight.Add(1)
	return true
}

// buildHandler wires the generated router, the strict handler and this server's middleware.
func (s *Server) buildHandler() http.Handler {
	mux := http.NewServeMux()
	strict := gen.NewStrictHandlerWithOptions(&strictAPI{s: s}, nil, gen.StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeProblem(w, badRequest(map[string][]string{"$": {termsafe.Trim(err.Error(), maxMessage)}}, "The request body could not be read."))
		},
		ResponseErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeProblem(w, problem(http.StatusInternalServerError, "An error occurred while processing your request.", termsafe.Trim(err.Error(), maxMessage)))
		},
	})
	rm := &routingMux{ServeMux: mux, s: s}
	gen.HandlerWithOptions(strict, gen.StdHTTPServerOptions{
		BaseRouter: rm,
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeProblem(w, badRequest(map[string][]string{paramOf(err): {termsafe.Trim(err.Error(), maxMessage)}}, ""))
		},
	})
	// A blank prefix leaves an empty last segment, which a ServeMux wildcard does not match (network is
	// then a CIDR with its slash escaped).
	cidr := s.api(opid.ApiKeyAddAllowedIPPUT, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		strict.ApiKeyAddAllowedIPPUT(w, r, r.PathValue("key"), r.PathValue("network"), "")
	}))
	mux.Handle("PUT /ApiKey/{key}/allowedIPs/{network}/{$}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.mutated(standin.CIDRRouteSkipsAuth) {
			r = r.WithContext(context.WithValue(r.Context(), ctxSkipAuth, true))
		}
		cidr.ServeHTTP(w, r)
	}))
	mux.HandleFunc("/connect/token", s.serveToken)
	mux.HandleFunc("GET /.well-known/openid-configuration", s.serveDiscovery)
	mux.HandleFunc("/", s.serveUnknown)
	return s.protocolMutations(mux)
}

// protocolMutations wraps the server's handler with the mutations that act before routing:
// standin.DotSegmentSkipsAuth (a path with a dot or empty segment served as its clean form,
// unchecked), standin.OriginalURLRouted (a request routed by its X-Original-URL header, unchecked),
// standin.CachedReadSkipsAuth (a GET answer cached and served to a request without a
// token) and standin.ProblemStatusFixed (every problem body of GET /ClientCredential/{id}
// says status 400).
func (s *Server) protocolMutations(next http.Handler) http.Handler {
	dots, fixed, cache, orig := s.mutated(standin.DotSegmentSkipsAuth), s.mutated(standin.ProblemStatusFixed), s.mutated(standin.CachedReadSkipsAuth), s.mutated(standin.OriginalURLRouted)
	if !dots && !fixed && !cache && !orig {
		return next
	}
	var (
		mu     sync.Mutex
		cached = map[string][]byte{} // the last 200 answer of each GET URL, for CachedReadSkipsAuth
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, err := url.Parse(r.Header.Get("X-Original-URL")); orig && err == nil && u.Path != "" && len(s.spec.methodsFor(r.URL.EscapedPath())) == 0 {
			r2 := r.Clone(context.WithValue(r.Context(), ctxSkipAuth, true))
			r2.URL.Path, r2.URL.RawPath, r2.URL.RawQuery = u.Path, u.RawPath, u.RawQuery
			next.ServeHTTP(w, r2)
			return
		}
		if cache && r.Method == http.MethodGet && r.URL.Path != "/connect/token" {
			mu.Lock()
			body, ok := cached[r.URL.RequestURI()]
			mu.Unlock()
			if ok && r.Header.Get("Authorization") == "" {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(body)
				return
			}
			rec := &bodyRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			if rec.status == http.StatusOK {
				mu.Lock()
				cached[r.URL.RequestURI()] = rec.body.Bytes()
				mu.Unlock()
			}
			return
		}
		if fixed && strings.HasPrefix(r.URL.Path, "/ClientCredential/") {
			w = &problemStatusWriter{ResponseWriter: w}
		}
		if p := r.URL.Path; dots && strings.HasPrefix(p, "/") && p != "/" {
			if clean := path.Clean(p); clean != p && !strings.HasSuffix(p, "/") {
				r2 := r.Clone(context.WithValue(r.Context(), ctxSkipAuth, true))
				r2.URL.Path, r2.URL.RawPath = clean, ""
				next.ServeHTTP(w, r2)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// discardWriter is a ResponseWriter that keeps nothing, for the standin.RefusedCreateApplied
// mutation.
type discardWriter struct{ header http.Header }

// Header returns the writer's headers, which go nowhere.
func (d discardWriter) Header() http.Header { return d.header }

// Write discards b.
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// WriteHeader discards the status.
func (d discardWriter) WriteHeader(int) {}

// bodyRecorder keeps a copy of the status and body written through it, for the
// standin.CachedReadSkipsAuth mutation.
type bodyRecorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

// WriteHeader keeps the status.
func (b *bodyRecorder) WriteHeader(code int) {
	b.status = code
	b.ResponseWriter.WriteHeader(code)
}

// Write keeps a copy of the body.
func (b *bodyRecorder) Write(p []byte) (int, error) {
	b.body.Write(p)
	return b.ResponseWriter.Write(p)
}

// problemStatusWriter writes 400 as the status member of every problem body it writes, for the
// standin.ProblemStatusFixed mutation.
type problemStatusWriter struct {
	http.ResponseWriter
}

// problemStatusRE matches the status member of a problem body as this server writes it.
var problemStatusRE = regexp.MustCompile(`"status":\s*[0-9]{3}`)

// Write rewrites the status member of a problem body.
func (p *problemStatusWriter) Write(b []byte) (int, error) {
	if strings.HasPrefix(p.Header().Get("Content-Type"), "application/problem+json") {
		if _, err := p.ResponseWriter.Write(problemStatusRE.ReplaceAll(b, []byte(`"status":400`))); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return p.ResponseWriter.Write(b)
}

// paramOf names the parameter of a parameter binding error from the generated router.
func paramOf(err error) string {
	var (
		f *gen.InvalidParamFormatError
		q *gen.RequiredParamError
		t *gen.TooManyValuesForParamError
	)
	switch {
	case errors.As(err, &f):
		return f.ParamName
	case errors.As(err, &q):
		return q.ParamName
	case errors.As(err, &t):
		return t.ParamName
	}
	return "$"
}

// routingMux is the ServeMux given to the generated router: it wraps each operation's handler with this
// server's middleware (latency, faults, auth, validation) and puts the fast upload path in place.
type routingMux struct {
	*http.ServeMux
	s *Server
}

// HandleFunc registers the generated handler for pattern behind the server's middleware.
func (m *routingMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	op := m.s.spec.opByPattern[pattern]
	if op == "" {
		panic("data8test: generated route " + pattern + " is not in the spec")
	}
	var next http.Handler = http.HandlerFunc(h)
	if op == opid.DatasetUploadBlock && !m.s.cfg.strictUpload {
		next = http.HandlerFunc(m.s.serveUploadBlock)
	}
	if op == opid.JobGetByName {
		next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if m.s.mutated(standin.JobPathPlusAsSpace) {
				// The name decoded with query rules: a raw '+' reads as a space.
				if u, err := url.QueryUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/Job/")); err == nil {
					r.SetPathValue("name", u)
				}
			}
			h(w, r)
		})
	}
	m.ServeMux.Handle(pattern, m.s.api(op, next))
}

// serveUnknown answers paths the API does not have: 405 for a known path with another method, else 404.
func (s *Server) serveUnknown(w http.ResponseWriter, r *http.Request) {
	if path, ok := s.reroute(r); ok {
		// A mutation's route left out of the token check.
		r2 := r.Clone(context.WithValue(r.Context(), ctxSkipAuth, true))
		r2.URL.Path, r2.URL.RawPath = path, ""
		if r.Method == http.MethodOptions || s.mutated(standin.OtherVerbServesGet) {
			r2.Method = http.MethodGet
			r2.Body, r2.ContentLength = http.NoBody, 0
		}
		s.handler.ServeHTTP(w, r2)
		return
	}
	if allow := s.spec.methodsFor(r.URL.EscapedPath()); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, problem(http.StatusMethodNotAllowed, "Method Not Allowed", fmt.Sprintf("%s is not allowed on %s.", r.Method, r.URL.Path)))
		return
	}
	writeProblem(w, problem(http.StatusNotFound, "Not Found", "No operation has the path "+r.URL.Path+"."))
}

// reroute returns the API path a request to an unknown path is served as under the mutations of
// routes left out of the token check: standin.TrailingSlashSkipsAuth (the path without its trailing
// slash), standin.PathCaseSkipsAuth (the API's fixed segments in their case) and
// standin.OptionsServesGet (OPTIONS on a path with a GET operation).
func (s *Server) reroute(r *http.Request) (string, bool) {
	p := r.URL.EscapedPath()
	if !strings.HasPrefix(p, "/") || strings.Contains(r.URL.Path, "..") {
		return "", false
	}
	switch {
	case r.Method == http.MethodOptions && s.mutated(standin.OptionsServesGet):
		if slices.Contains(s.spec.methodsFor(p), http.MethodGet) {
			return r.URL.Path, true
		}
	case r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions && s.mutated(standin.OtherVerbServesGet):
		if m := s.spec.methodsFor(p); slices.Contains(m, http.MethodGet) && !slices.Contains(m, r.Method) {
			return r.URL.Path, true
		}
	case strings.HasSuffix(p, "/") && len(p) > 1 && s.mutated(standin.TrailingSlashSkipsAuth):
		if q := strings.TrimSuffix(p, "/"); slices.Contains(s.spec.methodsFor(q), r.Method) {
			return strings.TrimSuffix(r.URL.Path, "/"), true
		}
	case s.mutated(standin.PathCaseSkipsAuth):
		fixed := []string{"Dataset", "Job", "ApiKey", "ClientCredential", "data", "allowedDomains", "allowedIPs"}
		segs := strings.Split(r.URL.Path, "/")
		for i, seg := range segs {
			for _, f := range fixed {
				if strings.EqualFold(seg, f) && (i == 1) == (f[0] >= 'A' && f[0] <= 'Z') {
					segs[i] = f
				}
			}
		}
		if q := strings.Join(segs, "/"); q != r.URL.Path && slices.Contains(s.spec.methodsFor(q), r.Method) {
			return q, true
		}
	}
	return "", false
}

// serveDiscovery answers the OpenID discovery document of the token server.
func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.URL,
		"token_endpoint":                        s.TokenURL,
		"grant_types_supported":                 []string{"client_credentials"},
		"scopes_supported":                      []string{"BatchApi"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
	})
}

// ctxKey keys the values the middleware hands to the strict handlers.
type ctxKey int

const (
	ctxBaseURL  ctxKey = iota // string: scheme://host of the request, for location URLs
	ctxRawBody                // []byte: the raw request body, for handlers that must tell absent from null
	ctxSkipAuth               // bool: serve without checking the token (the mutations of routes left out of it)
)

// baseURL is the scheme and host the request came to, for location URLs.
func baseURL(ctx context.Context) string {
	if u, ok := ctx.Value(ctxBaseURL).(string); ok {
		return u
	}
	return ""
}

// requestBase gives scheme://host for r.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// countRequest counts one request of op and returns its call number (1-based).
func (s *Server) countRequest(op string) int {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.requests[op]++
	return s.requests[op]
}

// RequestCounts returns how many requests each operation has received so far, whatever their outcome,
// by operationId as api/openapi.yaml spells it ("Dataset_UploadBlock", "Job_GetByName" ...), with
// OpToken for the token endpoint. An operation that received none is absent (its count reads as 0).
func (s *Server) RequestCounts() map[string]int {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return maps.Clone(s.requests)
}

// sleep waits d or until ctx ends; it is false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// now is the server's clock: UTC, to the 100 ns tick of .NET times.
func now() time.Time { return time.Now().UTC().Truncate(100 * time.Nanosecond) }

// stamp is the time the server stores for a job's submission or completion: now, kept to the whole
// second under ProfileWholeSecondTimes.
func (s *Server) stamp() time.Time {
	if s.has(ProfileWholeSecondTimes) {
		return now().Truncate(time.Second)
	}
	return now()
}

// api wraps the handler of operation op with the server's middleware, in this order: counting, added
// throttling, latency, fault injection, authentication, request validation, the handler, then (with
// profiles on or WithValidation) the profiles' shaping of the answer and its validation.
func (s *Server) api(op string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.enter() {
			return
		}
		defer s.inflight.Done()
		n := s.countRequest(op)
		if s.has(ProfileThrottleEvery50) && s.apiSeq.Add(1)%throttleEvery == 0 {
			s.refuseAfter(w, r, op, http.StatusTooManyRequests, 0)
			return
		}
		if s.has(ProfileBusyEvery61) && s.busySeq.Add(1)%busyEvery == 0 {
			s.refuseAfter(w, r, op, http.StatusServiceUnavailable, 0)
			return
		}
		if s.has(ProfileBusyPlain503) && s.plainBusySeq.Add(1)%plainBusyEvery == 0 {
			s.refusePlain(w)
			return
		}
		w, release, ok := s.admit(w)
		if !ok {
			s.refuse(w, r, op)
			return
		}
		defer release()
		if !sleep(r.Context(), s.cfg.latency) {
			return
		}
		apply := func(w http.ResponseWriter) { s.handleOp(w, r, op, next) }
		if s.cfg.tb == nil && len(s.cfg.profiles) == 0 {
			// The fast path: nothing to shape or check, the answer goes straight out.
			if !s.injectFault(w, r, op, n, apply) {
				s.handleOp(w, r, op, next)
			}
			return
		}
		rec := newRecorder(w)
		var reqErr error
		faulted := s.injectFault(rec, r, op, n, apply)
		if !faulted {
			reqErr = s.handleOp(rec, r, op, next)
		}
		if rec.hijacked {
			return
		}
		s.finish(w, r, op, rec, reqErr, faulted)
	})
}

// handleOp authenticates and validates an API request and hands it to its handler. It returns the
// request's violation of the spec when the request was nonetheless handed to the handler.
//
// Requests of every operation but the block upload are always checked against the spec (they are small)
// and answered 400 (or 404, see requestProblem) when they break it. Block uploads are checked by the
// upload handler itself, which must be fast; with WithValidation on they are also checked against the
// spec, and a handler that accepts one the spec forbids is reported.
func (s *Server) handleOp(w http.ResponseWriter, r *http.Request, op string, next http.Handler) error {
	if s.mutated(standin.AuthAfterValidation) {
		if err := s.checkRequest(r, op); err != nil {
			writeProblem(w, s.requestProblem(op, err))
			return nil
		}
	}
	if !s.authenticate(w, r) {
		if op == opid.DatasetCreate && s.mutated(standin.RefusedCreateApplied) {
			// The handler runs all the same; its answer goes nowhere, the 401 is written.
			next.ServeHTTP(discardWriter{header: http.Header{}}, r.WithContext(context.WithValue(r.Context(), ctxBaseURL, requestBase(r))))
		}
		return nil
	}
	if ct := r.Header.Get("Content-Type"); op == opid.DatasetUploadBlock && ct != "application/json" && s.mutated(standin.JSONCharsetRefused) {
		writeProblem(w, problem(http.StatusUnsupportedMediaType, "Unsupported Media Type", "The body must be application/json."))
		return nil
	}
	var body *bodyReader
	if r.Body != nil {
		body = &bodyReader{ReadCloser: http.MaxBytesReader(w, r.Body, maxUploadBody)}
		r.Body = body
	}
	ctx := context.WithValue(r.Context(), ctxBaseURL, requestBase(r))
	validating := s.cfg.tb != nil
	fastUpload := op == opid.DatasetUploadBlock && !s.cfg.strictUpload
	var reqErr error
	if validating || !fastUpload {
		if reqErr = s.checkRequest(r, op); reqErr != nil {
			if body.cut() {
				// The body never arrived whole (the client gave the request up while sending it):
				// that breaks no rule of the spec, and there is nothing to handle.
				writeProblem(w, badRequest(map[string][]string{"$": {"The request body could not be read."}}, ""))
				return nil
			}
			if validating {
				s.violation(Violation{Op: op, Request: true, Message: describe(reqErr)}, s.cfg.strictRequests)
			}
			if !fastUpload && !s.mutationTakes(op) {
				writeProblem(w, s.requestProblem(op, reqErr))
				return nil
			}
		}
	}
	if (op == opid.ApiKeyUpdateByKey || op == opid.DatasetUploadBlock && !fastUpload || op == opid.DatasetCreate && (s.mutated(standin.CreateTakesCompleted) || s.mutated(standin.ColumnCodesSortedMismatch)) ||
		op == opid.ApiKeyCreateApiKey && s.mutated(standin.EmptyGivenKeyStored) || op == opid.ClientCredentialCreate && s.mutated(standin.GivenClientIDTaken)) && r.Body != nil {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			writeProblem(w, badRequest(map[string][]string{"$": {"The request body could not be read."}}, ""))
			return nil
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		ctx = context.WithValue(ctx, ctxRawBody, raw)
	}
	next.ServeHTTP(w, r.WithContext(ctx))
	return reqErr
}

// bodyReader is a request body that remembers why reading it failed.
type bodyReader struct {
	io.ReadCloser
	err error // the first error other than io.EOF
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// cut reports whether the body broke off before its end (the connection failed or was closed), as
// opposed to being read whole or being longer than the server takes.
func (b *bodyReader) cut() bool {
	var tooLarge *http.MaxBytesError
	return b != nil && b.err != nil && !errors.As(b.err, &tooLarge)
}

// finish shapes a recorded answer by the profiles, validates it (with WithValidation on, unless it is an
// injected fault) and sends it. reqErr is the request's own violation, if any: a server that answers
// such a request with success is at fault (unless a mutation asked for it).
func (s *Server) finish(w http.ResponseWriter, r *http.Request, op string, rec *recorder, reqErr error, faulted bool) {
	status := cmp.Or(rec.Code, http.StatusOK)
	header := rec.Header().Clone()
	body := rec.Body.Bytes()
	if s.cfg.respHook != nil {
		body = s.cfg.respHook(op, status, body)
	}
	status, body = s.shape(r, op, status, header, body)
	if s.cfg.tb != nil && !faulted {
		if reqErr != nil && status < 300 && len(s.cfg.knobs.Mutations) == 0 {
			s.violation(Violation{Op: op, Status: status, Message: "the server accepted a request that breaks the spec: " + describe(reqErr)}, true)
		}
		if msg := s.checkResponse(r, op, status, header, body); msg != "" {
			s.violation(Violation{Op: op, Status: status, Message: msg}, true)
		}
	}
	s.send(w, r, status, header, body)
}
