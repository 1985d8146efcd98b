package data8test

import (
	"fmt"
	"math"
	"net/http"

	"golang.org/x/time/rate"
)

// WithMaxInFlight lets at most n API requests be handled at once; a request that arrives while n are in
// flight is answered at once with 429 Too Many Requests and a Retry-After (WithRetryAfter sets the
// delay, one second by default; ProfileRetryAfterDate sends it as a date), and has
// no effect. n of 0 or less sets no limit. The token endpoint is never throttled. Throttled counts the
// refused requests.
func WithMaxInFlight(n int) Option { return set(func(c *config) { c.maxInFlight = n }) }

// WithRateLimit lets at most perSecond API requests a second through, as a token bucket that holds a
// second's worth of requests (at least one): a request over the rate is answered at once with 429 Too
// Many Requests and a Retry-After, as WithMaxInFlight describes, and has no effect. perSecond of 0 or
// less sets no limit. The token endpoint is never throttled.
func WithRateLimit(perSecond float64) Option {
	return set(func(c *config) { c.ratePerSecond = perSecond })
}

// throttle is the state of WithMaxInFlight and WithRateLimit.
type throttle struct {
	slots   chan struct{} // one element per request in flight; nil for no limit
	limiter *rate.Limiter // nil for no limit
}

// newThrottle makes the throttle of a configuration.
func newThrottle(c config) throttle {
	var t throttle
	if c.maxInFlight > 0 {
		t.slots = make(chan struct{}, c.maxInFlight)
	}
	if c.ratePerSecond > 0 {
		t.limiter = rate.NewLimiter(rate.Limit(c.ratePerSecond), max(1, int(math.Ceil(c.ratePerSecond))))
	}
	return t
}

// admit lets a request through or refuses it: ok is false when it must be answered 429; otherwise
// release must be called when the request has been answered.
func (s *Server) admit() (release func(), ok bool) {
	t := s.throttle
	if t.limiter != nil && !t.limiter.Allow() {
		return nil, false
	}
	if t.slots == nil {
		return func() {}, true
	}
	select {
	case t.slots <- struct{}{}:
		return func() { <-t.slots }, true
	default:
		return nil, false
	}
}

// refuse answers a throttled request 429 with a Retry-After and counts it. The profiles shape the
// answer as they shape a fault's.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, op string) {
	s.statsMu.Lock()
	s.throttled++
	s.statsMu.Unlock()
	h := http.Header{}
	after := s.setRetryAfter(h)
	rec := newRecorder(nil)
	for k, v := range h {
		rec.Header()[k] = v
	}
	writeProblem(rec, problem(http.StatusTooManyRequests, "Too Many Requests", fmt.Sprintf("The server is busy; retry after %s.", after)))
	header := rec.Header().Clone()
	status, body := s.shape(r, op, rec.Code, header, rec.Body.Bytes())
	s.send(w, r, status, header, body)
}

// Throttled returns how many API requests WithMaxInFlight and WithRateLimit have refused with 429.
func (s *Server) Throttled() int {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.throttled
}
