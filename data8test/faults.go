package data8test

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// FaultKind is a kind of failure the server can inject into a request.
type FaultKind int

// The fault kinds.
const (
	// Fault500 answers 500 Internal Server Error with a problem body, without handling the request.
	Fault500 FaultKind = iota + 1
	// Fault503 answers 503 Service Unavailable with a problem body, without handling the request.
	Fault503
	// Fault429 answers 429 Too Many Requests with Retry-After (WithRetryAfter), without handling the request.
	Fault429
	// FaultDrop reads the request, then closes the connection without answering.
	FaultDrop
	// FaultStored503 handles the request (a block upload is stored), then answers 503 instead of the
	// real answer, so a client retries something that has already happened.
	FaultStored503
)

// String returns the fault kind's name.
func (k FaultKind) String() string {
	switch k {
	case Fault500:
		return "500"
	case Fault503:
		return "503"
	case Fault429:
		return "429"
	case FaultDrop:
		return "drop"
	case FaultStored503:
		return "stored-then-503"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// FaultKinds lists every fault kind.
func FaultKinds() []FaultKind {
	return []FaultKind{Fault500, Fault503, Fault429, FaultDrop, FaultStored503}
}

// Fault is one entry of a fault script: the Call-th request (1-based, counting every request of that
// operation, see RequestCount) of operation Op gets a fault of kind Kind. Op "" matches every API
// operation (not the token endpoint); Call 0 matches every call. The first matching entry wins.
type Fault struct {
	Op   string
	Call int
	Kind FaultKind
}

// WithFaultScript injects exactly the faults given, in addition to any WithFaultRate. A script entry may
// name OpToken to fail the token endpoint.
func WithFaultScript(faults ...Fault) Option {
	return func(c *config) { c.script = append(c.script, faults...) }
}

// WithFaultRate fails a fraction rate (0 to 1) of API requests, each with a kind drawn from kinds (every
// kind when none is given), using a random generator seeded with seed so a run can be repeated (with
// concurrent clients the draws still follow request arrival order). FaultStored503 is drawn only for
// block uploads; other operations get a plain 503 in its place. The token endpoint gets faults only with
// WithTokenFaults.
func WithFaultRate(rate float64, seed int64, kinds ...FaultKind) Option {
	return func(c *config) {
		c.faultRate, c.faultSeed = rate, seed
		c.faultKinds = append([]FaultKind(nil), kinds...)
		if len(c.faultKinds) == 0 {
			c.faultKinds = FaultKinds()
		}
	}
}

// faultRand is the seeded generator of rate-based faults.
type faultRand struct{ r *rand.Rand }

func newFaultRand(seed int64) *faultRand {
	return &faultRand{r: rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))}
}

// pickFault decides the fault, if any, of the n-th request of op.
func (s *Server) pickFault(op string, n int) FaultKind {
	for _, f := range s.cfg.script {
		if (f.Op == op || (f.Op == "" && op != OpToken)) && (f.Call == 0 || f.Call == n) {
			return f.Kind
		}
	}
	if s.faultRN == nil || (op == OpToken && !s.cfg.tokenFaults) {
		return 0
	}
	s.faultMu.Lock()
	hit := s.faultRN.r.Float64() < s.cfg.faultRate
	var k FaultKind
	if hit {
		k = s.cfg.faultKinds[s.faultRN.r.IntN(len(s.cfg.faultKinds))]
	}
	s.faultMu.Unlock()
	if k == FaultStored503 && op != OpDatasetUploadBlock {
		k = Fault503
	}
	return k
}

// FaultCounts returns how many faults of each kind have been injected.
func (s *Server) FaultCounts() map[FaultKind]int {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := make(map[FaultKind]int, len(s.faults))
	for k, v := range s.faults {
		out[k] = v
	}
	return out
}

// maxDrainBody caps what a dropped request reads of its body before closing.
const maxDrainBody = 64 << 20

// injectFault injects the fault, if any, of the n-th request of op, and reports whether it did (the
// request is then answered). apply handles the request for FaultStored503.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, op string, n int, apply func(http.ResponseWriter)) bool {
	k := s.pickFault(op, n)
	if k == 0 {
		return false
	}
	s.statsMu.Lock()
	s.faults[k]++
	s.statsMu.Unlock()
	switch k {
	case Fault500:
		writeProblem(w, problem(http.StatusInternalServerError, "An error occurred while processing your request.", "Injected fault: 500."))
	case Fault429:
		secs := int64(math.Ceil(s.cfg.retryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.FormatInt(max(0, secs), 10))
		writeProblem(w, problem(http.StatusTooManyRequests, "Too Many Requests", fmt.Sprintf("Injected fault: 429; retry after %d s.", max(0, secs))))
	case FaultDrop:
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxDrainBody))
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		_ = conn.Close()
	case FaultStored503:
		apply(newRecorder())
		writeProblem(w, problem(http.StatusServiceUnavailable, "Service Unavailable", "Injected fault: the request was handled, then 503."))
	default: // Fault503 and unknown kinds
		writeProblem(w, problem(http.StatusServiceUnavailable, "Service Unavailable", "Injected fault: 503."))
	}
	return true
}
