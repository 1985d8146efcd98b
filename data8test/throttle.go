package data8test

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// WithMaxInFlight lets at most n API requests be in flight at once (WithInFlightCounting says what
// counts); a request that arrives while n are in flight is answered at once with 429 Too Many
// Requests and a Retry-After (WithRetryAfter sets the delay, one second by default;
// ProfileRetryAfterDate sends it as a date), and has no effect. n of 0 or less sets no limit;
// SetMaxInFlight changes it while the server runs. The token endpoint is never throttled. Throttled
// counts the refused requests.
func WithMaxInFlight(n int) Option { return set(func(c *config) { c.maxInFlight = n }) }

// InFlightCounting is what WithMaxInFlight counts as a request in flight.
type InFlightCounting int

const (
	// CountExchange counts a request from its arrival until its whole answer has been written and
	// flushed to the connection: a large answer still being written counts. It is the default.
	CountExchange InFlightCounting = iota
	// CountHandling counts a request while it is handled (its latency and its work) until its answer
	// starts, as a server that hands its worker to the next request while the answer goes out.
	CountHandling
)

// WithInFlightCounting sets what WithMaxInFlight counts as a request in flight (CountExchange by
// default), and so what InFlightStats reports.
func WithInFlightCounting(c InFlightCounting) Option {
	return set(func(cfg *config) { cfg.inFlightCounting = c })
}

// WithRateLimit lets at most perSecond API requests a second through, as a token bucket that holds a
// second's worth of requests (at least one): a request over the rate is answered at once with 429 Too
// Many Requests and a Retry-After, as WithMaxInFlight describes, and has no effect. perSecond of 0 or
// less sets no limit; SetRateLimit changes it while the server runs. The token endpoint is never
// throttled.
func WithRateLimit(perSecond float64) Option {
	return set(func(c *config) { c.ratePerSecond = perSecond })
}

// InFlightStats is what the server saw of the API requests it let through (all of them, whether or
// not WithMaxInFlight limits them), counted as WithInFlightCounting says.
type InFlightStats struct {
	// Admitted is the number of API requests let through (not refused by WithMaxInFlight or
	// WithRateLimit).
	Admitted int
	// Sum adds up, over those, the number of requests in flight as each was let through, itself
	// included: Sum/Admitted is the concurrency a request met, on average over requests.
	Sum int
	// Peak is the most requests in flight at once since the server started.
	Peak int
}

// Mean returns the average number of requests in flight as each was let through (itself included),
// or 0 when none was.
func (st InFlightStats) Mean() float64 {
	if st.Admitted == 0 {
		return 0
	}
	return float64(st.Sum) / float64(st.Admitted)
}

// Since returns the figures of the requests let through after before was taken (Peak stays the
// peak since the server started).
func (st InFlightStats) Since(before InFlightStats) InFlightStats {
	return InFlightStats{Admitted: st.Admitted - before.Admitted, Sum: st.Sum - before.Sum, Peak: st.Peak}
}

// throttle is the state of WithMaxInFlight and WithRateLimit.
type throttle struct {
	counting InFlightCounting

	mu       sync.Mutex
	max      int           // 0: no limit
	limiter  *rate.Limiter // nil: no limit
	inflight int
	stats    InFlightStats
}

// newThrottle makes the throttle of a configuration.
func newThrottle(c config) *throttle {
	t := &throttle{counting: c.inFlightCounting, max: max(c.maxInFlight, 0)}
	t.limiter = newLimiter(c.ratePerSecond)
	return t
}

// newLimiter returns the token bucket of WithRateLimit, nil for no limit.
func newLimiter(perSecond float64) *rate.Limiter {
	if perSecond <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(perSecond), max(1, int(math.Ceil(perSecond))))
}

// SetMaxInFlight changes the limit of WithMaxInFlight (0 or less: no limit). Requests in flight
// finish; later ones are let through, or refused, by the new limit.
func (s *Server) SetMaxInFlight(n int) {
	s.throttle.mu.Lock()
	defer s.throttle.mu.Unlock()
	s.throttle.max = max(n, 0)
}

// SetRateLimit changes the rate of WithRateLimit (0 or less: no limit), with a new bucket holding a
// second's worth of requests.
func (s *Server) SetRateLimit(perSecond float64) {
	s.throttle.mu.Lock()
	defer s.throttle.mu.Unlock()
	s.throttle.limiter = newLimiter(perSecond)
}

// InFlightStats returns what the server saw of API requests in flight so far.
func (s *Server) InFlightStats() InFlightStats {
	s.throttle.mu.Lock()
	defer s.throttle.mu.Unlock()
	return s.throttle.stats
}

// admit lets a request through or refuses it: ok is false when it must be answered 429. Otherwise
// the request is to be answered through aw, and release called once it has been: the request
// leaves the count when its answer starts (CountHandling) or when release has flushed it
// (CountExchange).
func (s *Server) admit(w http.ResponseWriter) (aw http.ResponseWriter, release func(), ok bool) {
	t := s.throttle
	t.mu.Lock()
	if t.max > 0 && t.inflight >= t.max || t.limiter != nil && !t.limiter.Allow() {
		t.mu.Unlock()
		return w, nil, false
	}
	t.inflight++
	t.stats.Admitted++
	t.stats.Sum += t.inflight
	t.stats.Peak = max(t.stats.Peak, t.inflight)
	t.mu.Unlock()
	var once sync.Once
	leave := func() {
		once.Do(func() {
			t.mu.Lock()
			t.inflight--
			t.mu.Unlock()
		})
	}
	cw := &counted{ResponseWriter: w}
	if t.counting == CountHandling {
		cw.start = leave
		return cw, leave, true
	}
	return cw, func() {
		if !cw.hijacked { // a hijacked connection (a fault) has nothing to flush
			_ = http.NewResponseController(w).Flush()
		}
		leave()
	}, true
}

// counted is the ResponseWriter of a request counted in flight: it calls start, when set, as the
// answer starts, and notes whether the connection was hijacked.
type counted struct {
	http.ResponseWriter
	start    func()
	hijacked bool
}

func (c *counted) WriteHeader(code int) {
	if c.start != nil {
		c.start()
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *counted) Write(p []byte) (int, error) {
	if c.start != nil {
		c.start()
	}
	return c.ResponseWriter.Write(p)
}

// Hijack hands over the connection (see http.Hijacker).
func (c *counted) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c.hijacked = true
	return http.NewResponseController(c.ResponseWriter).Hijack()
}

// Unwrap gives http.ResponseController the writer underneath.
func (c *counted) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// refuse answers a throttled request 429 with a Retry-After and counts it. The profiles shape the
// answer as they shape a fault's.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, op string) {
	s.refuseAfter(w, r, op, http.StatusTooManyRequests, s.cfg.retryAfter)
}

// refuseAfter answers a request status (429, or 503) with a Retry-After of d, as refuse does.
func (s *Server) refuseAfter(w http.ResponseWriter, r *http.Request, op string, status int, d time.Duration) {
	s.statsMu.Lock()
	s.throttled++
	s.statsMu.Unlock()
	h := http.Header{}
	after := s.setRetryAfterOf(h, d)
	rec := newRecorder(nil)
	for k, v := range h {
		rec.Header()[k] = v
	}
	writeProblem(rec, problem(status, http.StatusText(status), fmt.Sprintf("The server is busy; retry after %s.", after)))
	header := rec.Header().Clone()
	status, body := s.shape(r, op, rec.Code, header, rec.Body.Bytes())
	s.send(w, r, status, header, body)
}

// refusePlain answers 503 Service Unavailable without Retry-After, with a text/plain body, as a
// load balancer does (ProfileBusyPlain503).
func (s *Server) refusePlain(w http.ResponseWriter) {
	s.statsMu.Lock()
	s.throttled++
	s.statsMu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, "Service Unavailable")
}

// Throttled returns how many API requests WithMaxInFlight, WithRateLimit and ProfileThrottleEvery50
// have refused with 429, and ProfileBusyEvery61 with 503.
func (s *Server) Throttled() int {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.throttled
}
