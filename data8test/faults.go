package data8test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/data8-toolkit/data8/internal/opid"
)

//go:generate go tool stringer -type FaultKind -linecomment

// FaultKind is a kind of failure the server can inject into a request. Its String method gives a short
// name: "500", "drop", "stored-then-503" ...
type FaultKind int

// The fault kinds. A kind that does not handle the request leaves the server as it was; a stored
// kind handles it first (a block upload is stored, a dataset or job created) and then loses the
// answer, so a client retries something that has already happened.
const (
	// Fault500 answers 500 Internal Server Error with a problem body, without handling the request.
	Fault500 FaultKind = iota + 1 // 500
	// Fault503 answers 503 Service Unavailable with a problem body and no Retry-After, without
	// handling the request.
	Fault503 // 503
	// Fault429 answers 429 Too Many Requests with a problem body and a Retry-After (WithRetryAfter,
	// ProfileRetryAfterDate), without handling the request.
	Fault429 // 429
	// FaultDrop reads the request, then closes the connection without answering.
	FaultDrop // drop
	// FaultStored503 handles the request, then answers 503 with a problem body instead of the real
	// answer.
	FaultStored503 // stored-then-503
	// Fault502 answers 502 Bad Gateway as a proxy in front of the service does when the service
	// fails, without handling the request. The body is nginx's HTML error page, Content-Type
	// text/html, not a problem:
	//
	//	<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>
	Fault502 // 502
	// Fault504 answers 504 Gateway Timeout as a proxy does when the service is too slow, without
	// handling the request. The body is nginx's HTML error page, Content-Type text/html:
	//
	//	<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>
	Fault504 // 504
	// Fault503RetryAfter answers 503 Service Unavailable with a problem body and a Retry-After, as
	// Fault429 does (WithRetryAfter, ProfileRetryAfterDate), without handling the request.
	Fault503RetryAfter // 503-retry-after
	// FaultStored500 handles the request, then answers 500 with a problem body instead of the real
	// answer.
	FaultStored500 // stored-then-500
	// FaultStoredDrop handles the request, then closes the connection without answering. Like
	// FaultDrop it needs a connection it can close (see Server.Handler).
	FaultStoredDrop // stored-then-drop
)

// FaultKinds lists every fault kind, in the order of their declaration.
func FaultKinds() []FaultKind {
	return []FaultKind{Fault500, Fault503, Fault429, FaultDrop, FaultStored503,
		Fault502, Fault504, Fault503RetryAfter, FaultStored500, FaultStoredDrop}
}

// basicFaultKinds are the kinds WithFaultRate draws from when given none. The set is fixed, so that
// a seed keeps giving the same faults when kinds are added.
var basicFaultKinds = []FaultKind{Fault500, Fault503, Fault429, FaultDrop, FaultStored503}

// Fault is one entry of a fault script (WithFaultScript). An entry matches a request when every
// field it sets matches it; the first entry that matches wins, and its Kind is injected.
//
//   - Op names the operation by its operationId in api/openapi.yaml ("Dataset_UploadBlock"), or
//     OpToken for the token endpoint. "" matches every API operation, but not the token endpoint.
//   - Call picks the Call-th request of Op, 1-based, counting every request of that operation
//     whatever its outcome, as RequestCounts does. 0 matches every call.
//   - Blocks and Attempt pick block uploads by what they carry rather than by when they arrive,
//     which is what a script needs when several blocks are in flight at once. Blocks lists the block
//     numbers that match (empty: every block). Attempt picks the Attempt-th upload of a block number
//     to a dataset, 1-based, counting every upload of that block number to that dataset whatever its
//     outcome, faults included; 0 matches every attempt. An entry that sets either matches block
//     uploads only, and only those whose body carries a valid blockNumber.
//
// For example, to fail every block's first upload, and the second upload of blocks 3 and 7 too:
//
//	WithFaultScript(
//		Fault{Op: "Dataset_UploadBlock", Attempt: 1, Kind: Fault502},
//		Fault{Op: "Dataset_UploadBlock", Blocks: []int{3, 7}, Attempt: 2, Kind: FaultStored500},
//	)
type Fault struct {
	Op      string
	Call    int
	Blocks  []int
	Attempt int
	Kind    FaultKind
}

// byBlock reports whether f picks block uploads by block number or attempt.
func (f Fault) byBlock() bool { return len(f.Blocks) > 0 || f.Attempt != 0 }

// WithFaultScript injects exactly the faults given (see Fault), in addition to any WithFaultRate. A
// script entry may name OpToken to fail the token endpoint. Give it more than once to add entries.
func WithFaultScript(faults ...Fault) Option {
	return set(func(c *config) { c.script = append(c.script, faults...) })
}

// WithFaultRate fails a fraction rate (0 to 1) of API requests, each with a kind drawn from kinds,
// using a random generator seeded with seed so a run can be repeated (with concurrent clients the
// draws still follow request arrival order). When no kind is given the draw is from Fault500,
// Fault503, Fault429, FaultDrop and FaultStored503, a fixed set, so that a seed gives the same faults
// whatever kinds are added later; pass FaultKinds() to draw from every kind. A stored kind is drawn as
// such only for block uploads; other operations get its plain kind in its place (Fault503 for
// FaultStored503, Fault500 for FaultStored500, FaultDrop for FaultStoredDrop), so that a retry does
// not meet a resource it never knew it made. The token endpoint gets faults only with
// WithTokenFaults.
func WithFaultRate(rate float64, seed int64, kinds ...FaultKind) Option {
	return set(func(c *config) {
		c.faultRate, c.faultSeed = rate, seed
		c.faultKinds = append([]FaultKind(nil), kinds...)
		if len(c.faultKinds) == 0 {
			c.faultKinds = slices.Clone(basicFaultKinds)
		}
	})
}

// faultRand is the seeded generator of rate-based faults.
type faultRand struct{ r *rand.Rand }

func newFaultRand(seed int64) *faultRand {
	return &faultRand{r: rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))}
}

// blockAttempts counts the uploads of each block number of each dataset, for Fault.Attempt. Each
// server has its own (defaultConfig makes it).
type blockAttempts struct {
	mu sync.Mutex
	n  map[blockKey]int
}

type blockKey struct {
	dataset string
	block   int64
}

// add counts one more upload of block to dataset and returns the count.
func (b *blockAttempts) add(dataset string, block int64) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n == nil {
		b.n = map[blockKey]int{}
	}
	k := blockKey{dataset, block}
	b.n[k]++
	return b.n[k]
}

// uploadBlock reads the block number of a block upload, leaving the body to be read again whole.
// ok is false when the body has no valid blockNumber (the handler then refuses it) or is too large to
// read here.
func uploadBlock(r *http.Request) (block int64, ok bool) {
	if r.Body == nil || r.ContentLength > maxUploadBody {
		return 0, false
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxUploadBody+1))
	rest := r.Body
	var tail io.Reader = rest
	if err != nil {
		// A body cut off (the client gave the request up) reads as cut off again, not as a short
		// body that ended: net/http's body answers io.EOF after its first error.
		tail = failedReader{err}
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(raw), tail), rest}
	if err != nil || len(raw) > maxUploadBody {
		return 0, false
	}
	var body map[string]json.RawMessage // member names match exactly, as the handler's do
	if json.Unmarshal(raw, &body) != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(string(body["blockNumber"]), 10, 32)
	if err != nil || v < 0 {
		return 0, false
	}
	return v, true
}

// failedReader is a reader that fails with err.
type failedReader struct{ err error }

func (f failedReader) Read([]byte) (int, error) { return 0, f.err }

// pickFault decides the fault, if any, of r, the n-th request of op.
func (s *Server) pickFault(r *http.Request, op string, n int) FaultKind {
	block, attempt := int64(-1), 0
	if op == opid.DatasetUploadBlock && slices.ContainsFunc(s.cfg.script, Fault.byBlock) {
		if b, ok := uploadBlock(r); ok {
			block, attempt = b, s.cfg.blockAttempts.add(r.PathValue("name"), b)
		}
	}
	for _, f := range s.cfg.script {
		if (f.Op != op && (f.Op != "" || op == OpToken)) || (f.Call != 0 && f.Call != n) {
			continue
		}
		if f.byBlock() && (attempt == 0 ||
			(len(f.Blocks) > 0 && !slices.Contains(f.Blocks, int(block))) ||
			(f.Attempt != 0 && f.Attempt != attempt)) {
			continue
		}
		return f.Kind
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
	if op != opid.DatasetUploadBlock {
		switch k {
		case FaultStored503:
			k = Fault503
		case FaultStored500:
			k = Fault500
		case FaultStoredDrop:
			k = FaultDrop
		}
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

// The HTML error pages of Fault502 and Fault504, as nginx words them.
const (
	badGatewayPage     = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
	gatewayTimeoutPage = "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>\n"
)

// injectFault injects the fault, if any, of the n-th request of op, and reports whether it did (the
// request is then answered). apply handles the request for the stored kinds.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, op string, n int, apply func(http.ResponseWriter)) bool {
	k := s.pickFault(r, op, n)
	if k == 0 {
		return false
	}
	s.statsMu.Lock()
	s.faults[k]++
	s.statsMu.Unlock()
	switch k {
	case FaultStored503, FaultStored500, FaultStoredDrop:
		apply(newRecorder(nil))
	}
	switch k {
	case Fault500, FaultStored500:
		detail := "Injected fault: 500."
		if k == FaultStored500 {
			detail = "Injected fault: the request was handled, then 500."
		}
		writeProblem(w, problem(http.StatusInternalServerError, "An error occurred while processing your request.", detail))
	case Fault429:
		after := s.setRetryAfter(w.Header())
		writeProblem(w, problem(http.StatusTooManyRequests, "Too Many Requests", "Injected fault: 429; retry after "+after+"."))
	case Fault503RetryAfter:
		after := s.setRetryAfter(w.Header())
		writeProblem(w, problem(http.StatusServiceUnavailable, "Service Unavailable", "Injected fault: 503; retry after "+after+"."))
	case FaultDrop, FaultStoredDrop:
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxDrainBody))
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		_ = conn.Close()
	case FaultStored503:
		writeProblem(w, problem(http.StatusServiceUnavailable, "Service Unavailable", "Injected fault: the request was handled, then 503."))
	case Fault502:
		writeHTML(w, http.StatusBadGateway, badGatewayPage)
	case Fault504:
		writeHTML(w, http.StatusGatewayTimeout, gatewayTimeoutPage)
	default: // Fault503 and unknown kinds
		writeProblem(w, problem(http.StatusServiceUnavailable, "Service Unavailable", "Injected fault: 503."))
	}
	return true
}

// setRetryAfter sets the Retry-After of an injected fault in h (with ProfileRetryAfterDate, the Date
// header too) and returns it as the problem's detail words it.
func (s *Server) setRetryAfter(h http.Header) string { return s.setRetryAfterOf(h, s.cfg.retryAfter) }

// setRetryAfterOf is setRetryAfter with the delay d.
func (s *Server) setRetryAfterOf(h http.Header, d time.Duration) string {
	secs := int64(math.Ceil(d.Seconds()))
	if !s.retryAfterDate() {
		secs = max(0, secs)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
		return fmt.Sprintf("%d s", secs)
	}
	date := time.Now().UTC().Truncate(time.Second)
	at := date.Add(time.Duration(secs) * time.Second).Format(http.TimeFormat)
	h.Set("Date", date.Format(http.TimeFormat))
	h.Set("Retry-After", at)
	return at
}

// writeHTML answers status with an HTML page.
func writeHTML(w http.ResponseWriter, status int, page string) {
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, page)
}
