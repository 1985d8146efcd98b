package client

import (
	"context"
	"slices"
	"sync"
	"time"
)

// probeCost bounds what probing a server's limit may cost: after a refusal that paused a transfer for
// d, the window grows back to the level the server refused only once probeCost·d has passed, so a
// probe that is refused again costs at most about a tenth of the transfer's time.
const probeCost = 10

// window is the adaptive limit on how many requests of one transfer (an upload's blocks, a
// download's pages) are in flight at once, in the manner of TCP's congestion window (AIMD).
//
// It starts at the configured concurrency. A request the server refuses for load (429, or 503)
// halves it, never below 1, once per round of requests in flight (the other refusals of that round
// are the same event), and pauses the whole transfer: while a refused request waits out its delay
// (the answer's Retry-After), no request of the transfer is sent. A run of successes with the window
// in use (as many as the window holds, each with at least half of it in flight) grows it by one, up
// to the configured concurrency. The round's refusals estimate the lowest number in flight the server
// refuses (the ceiling), never above one more than the halved limit; growing to it again waits
// probeCost times as long as the refusal paused the transfer.
//
// It is written out (about 100 lines) rather than taken from a library: the Go port of Netflix's
// concurrency-limits (github.com/platinummonkey/go-concurrency-limits) has no maximum for its AIMD
// limit, no notion of a refusal that carries a delay to honour, decreases on every drop rather than
// once per round, and brings metrics and gRPC modules into the build; golang.org/x/sync/semaphore has
// a fixed size.
type window struct {
	mu       sync.Mutex
	max      int              // the configured concurrency: the limit never grows past it
	limit    int              // requests allowed in flight now, 1..max
	inflight int              // slots held
	holds    int              // refused requests still waiting out their delay: no slot is granted
	queue    []chan struct{}  // callers of acquire waiting for a slot, first come first served
	run      int              // successes with the window full since the limit last changed
	round    int              // releases still to come from requests sent before the last decrease
	level    int              // requests in flight when the round's first refusal came
	refused  int              // refusals in the round
	ceiling  int              // the fewest requests in flight the server is known to refuse; 0: none
	probeAt  time.Time        // growing to the ceiling waits until then
	now      func() time.Time // the clock of probeAt
	throttle int64            // refusals so far
	smallest int              // the smallest limit so far
}

// outcome is what became of a request sent through a window.
type outcome struct {
	kind outcomeKind
	// pause, for a refusal, is how long the refused request waits before it is sent again. When it
	// is positive the whole window stays paused until the caller calls endPause (after its wait).
	pause time.Duration
}

type outcomeKind int

const (
	outcomeFailed  outcomeKind = iota // failed in a way that says nothing about load
	outcomeDone                       // answered 2xx
	outcomeRefused                    // refused for load: 429, or 503
)

// newWindow returns a window of at most n requests in flight (at least 1), starting at n.
func newWindow(n int) *window {
	n = max(n, 1)
	return &window{max: n, limit: n, smallest: n, now: time.Now}
}

// acquire blocks until a slot is free under the current limit and no refused request is waiting out
// its delay, and takes it; slots are granted in the order acquire was called. It returns the
// context's cause, without a slot, as soon as ctx ends.
func (w *window) acquire(ctx context.Context) error {
	if err := context.Cause(ctx); err != nil {
		return err
	}
	w.mu.Lock()
	if w.holds == 0 && w.inflight < w.limit && len(w.queue) == 0 {
		w.inflight++
		w.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	w.queue = append(w.queue, ready)
	w.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-ready: // granted as ctx ended: hand the slot on
		w.inflight--
		w.grant()
	default:
		w.queue = slices.DeleteFunc(w.queue, func(c chan struct{}) bool { return c == ready })
	}
	return context.Cause(ctx)
}

// grant hands free slots to waiting callers. w.mu is held.
func (w *window) grant() {
	for w.holds == 0 && w.inflight < w.limit && len(w.queue) > 0 {
		close(w.queue[0])
		w.queue = w.queue[1:]
		w.inflight++
	}
}

// release frees a slot taken by acquire and learns from o, returning the limit before and after.
func (w *window) release(o outcome) (from, to int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	from = w.limit
	busy := 2*w.inflight >= w.limit // at least half the window was in use
	w.inflight--
	sameRound := w.round > 0
	if sameRound {
		w.round--
	}
	switch o.kind {
	case outcomeDone:
		if busy && !sameRound { // a request sent before the last decrease says nothing of the new limit
			w.run++
		}
		if w.run < w.limit {
			break
		}
		w.run = 0
		if w.ceiling != 0 && w.limit >= w.ceiling {
			w.ceiling = 0 // a full run at the old ceiling: the server takes more now
		}
		if w.limit < w.max && (w.ceiling == 0 || w.limit+1 < w.ceiling || !w.now().Before(w.probeAt)) {
			w.limit++
		}
	case outcomeRefused:
		w.throttle++
		w.run = 0
		if sameRound {
			w.refused++
		} else {
			w.level, w.refused = w.inflight+1, 1
			w.limit = max(1, w.limit/2)
			w.round = w.inflight
			w.smallest = min(w.smallest, w.limit)
		}
		// The round's count is only an estimate of what the server takes (requests of a round do not
		// all reach it at once), so the ceiling is never above the halved limit's next step: growing
		// past the limit a refusal left waits probeCost pauses, like growing to the estimate.
		w.ceiling = max(1, min(w.level-w.refused+1, w.limit+1))
		if o.pause > 0 {
			w.holds++
			w.probeAt = later(w.probeAt, w.now().Add(probeCost*o.pause))
		}
	}
	w.grant()
	return from, w.limit
}

// endPause ends the pause a refusal's release began, once the refused request has waited.
func (w *window) endPause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.holds--
	w.grant()
}

// state returns the current limit, the smallest so far, and the number of refusals.
func (w *window) state() (limit, smallest int, throttled int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.limit, w.smallest, w.throttle
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
