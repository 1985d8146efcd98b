package client

import (
	"context"
	"slices"
	"sync"
	"time"
)

// The window's constants (see window).
const (
	// fallback is the fraction of the refused level the window falls back to at least: CUBIC's β.
	fallback = 0.7
	// probeCost bounds what probing above the highest level the server has taken may cost: after a
	// refusal whose request waits d, the window tries the level refused again only once probeCost·d
	// has passed, so that the refused probes' waits (which may hold up the end of a transfer) come
	// to about a tenth of its time at most.
	probeCost = 10
	// probeRuns is the fewest full runs at the level below the refused one before such a probe,
	// whatever the delay (a refusal's wait may take no time at all).
	probeRuns = 8
	// backRuns is the fewest full runs below a level the server took before, and refused since,
	// before the window tries it again: a refusal there is most likely chance (a server still
	// counting a request whose answer is out), and costs the transfer little.
	backRuns = 2
	// maxProbeBackoff caps the doubling of the probe wait after probes refused in a row (2² = 4×):
	// a server that raises its limit is found within 40 delays.
	maxProbeBackoff = 2
)

// window is the adaptive limit on how many requests of one transfer (an upload's blocks, a
// download's pages) are in flight at once. It finds the server's limit and stays at it.
//
// A throttling server refuses requests for load (429, or 503) when it has too many in flight, or
// when they come too fast, and names a delay (Retry-After). The refused request waits out its own
// delay, as the server asked, floored and capped by RetryPolicy. The rest of the transfer pauses
// only while the server is seen taking nothing: from the refusal until a request of the transfer
// succeeds (answered after the refusal came), or until every refused request has waited. A server
// that refuses everything, or a window of one, sees nothing but the refused requests until their
// delays end; a server that refused one request past its limit goes on taking the others, and the
// window, fallen back already, says how many. Pausing the whole transfer for each refusal's delay
// would cost a second (fifty 20 ms round trips) for every refusal at a Retry-After of 1 s, and a
// server that counts a request in flight until its whole answer is out refuses now and then a
// request sent as the client reads the last byte of another, at a level it takes: at 4 in flight,
// a one-second pause takes 17% of a 5.5 s transfer. The transfer keeps goroutines for the refused
// requests apart (see crew), and a request sent again goes first (see retry), so that a download,
// which hands its pages on in order, reads ahead of a refused page (DownloadOptions.ReadAhead).
//
// The shape is that of TCP CUBIC's window (RFC 9438), on whole numbers of requests:
//
//   - Refused: the requests granted before the first refusal came back are one event, as a round
//     trip's losses are one congestion event in TCP; its later refusals refine it. The level is the
//     number of requests that may have been at the server with the first refusal: those in flight,
//     and those answered since it was sent. The level the server refuses (the ceiling) is taken to
//     be one more than those it did not refuse (it let them through at once), but never at or below
//     the highest limit that has run in full without a refusal (good). The window falls back to the
//     highest of good, one below the highest level that ever ran in full (taken), and fallback (0.7,
//     CUBIC's β) times the level, always below the ceiling. An event of one refusal at a level the
//     server is taken to take (good, or one below the ceiling) is taken for chance: the window
//     stands. A second refusal in the event, or another such event before probeRuns runs in full,
//     means the server takes fewer now: good is forgotten, and the event sets the ceiling.
//   - Concave: a full run (as many successes as the limit, each with the window full) takes the
//     window halfway to one below the level refused, so it is back in a few round trips.
//   - Plateau: it stays one below the level refused, then tries that level (a probe). Below a
//     level that ran in full before (taken), the probe comes after backRuns full runs: CUBIC's
//     quick return to the level of the last loss, since a refusal there is most likely chance and
//     costs one request its delay. A probe there that runs in full restores the ceiling above
//     taken; two refused in a row mean the server takes fewer now, and taken falls. Above taken
//     the probe waits at least probeRuns full runs and probeCost times the refused request's
//     delay, from the refusal: a refused probe there is sure to cost a request its delay, which
//     may hold up the end of the transfer. Both waits double for each probe refused in a row (at
//     most maxProbeBackoff times).
//   - Convex: a probe above taken that runs in full clears the level refused, and each full run
//     grows the window by one, up to the configured concurrency, until the next refusal.
//
// TCP CUBIC measures the plateau in seconds (K = ∛(W_max·(1−β)/C)), as does the AWS SDKs' adaptive
// retry mode, which drives a client-side token bucket's rate with the same cubic (β 0.7, C 0.4)
// after each throttling error; it never pauses the other requests (they go on at the lowered rate
// while the throttled one waits its own backoff). Here a refusal likewise costs the refused request its delay and the rest of the
// transfer at most the time until the server is seen taking requests again, so the window returns
// to a level the server has taken within a few round trips, as CUBIC returns to W_max; but a probe
// above it is measured in what a refused probe costs (its delay: a probe every K seconds, about
// 1.4 s at a limit of 4, would leave a one-second wait near the end of most transfers) and in the
// server's answers (full runs), and a server's own count of what it let through refines the level
// refused where TCP only sees that something was lost. The AWS limiter also limits a rate, not the
// requests in flight, which is what these servers count.
//
// It is written out rather than taken from a library: the AWS SDK's limiter is internal to its
// retry package and limits a rate; the Go port of Netflix's concurrency-limits
// (github.com/platinummonkey/go-concurrency-limits) has no maximum for its AIMD limit, no notion of a
// refusal that carries a delay to honour, decreases on every drop rather than once per round, and
// brings metrics and gRPC modules into the build; golang.org/x/sync/semaphore has a fixed size.
type window struct {
	mu       sync.Mutex
	max      int       // the configured concurrency: the limit never grows past it
	limit    int       // requests allowed in flight now, 1..max
	inflight int       // slots held
	holds    int       // refused requests still waiting out their delay
	paused   bool      // no slot is granted: a refused request waits, and nothing has succeeded since
	queue    []*waiter // callers of acquire waiting for a slot, first come first served

	seq      ticket   // the last ticket granted
	dones    []ticket // ring: for the last successes, the last ticket granted when each was released
	doneN    int      // successes released so far
	eventSeq ticket   // the last ticket granted when the event's first refusal came back

	run     int  // successes with the window full since the limit last changed
	level   int  // requests that may have been at the server with the event's first refusal
	refused int  // refusals in the event
	good    int  // the highest limit that has run in full, until the server takes fewer; 0: none
	taken   int  // the highest limit that has run in full, until two probes at or below it are refused in a row
	ceiling int  // the level the server is taken to refuse; 0: none known
	plateau int  // full runs one below the ceiling since the event
	probes  int  // probes refused in a row: the probe wait doubles with each, up to maxProbeBackoff
	clean   int  // runs in full since the last refusal at a level the server was taken to take
	chance  bool // the event's one refusal is taken for chance
	struck  bool // a refusal has been taken for chance

	now      func() time.Time
	pausedAt time.Time // when the pause under way began
	probeAt  time.Time // probing waits until then

	throttle int64 // refusals so far
	smallest int   // the smallest limit so far

	// onHold, when set, is called with the number of refused requests waiting out their delay
	// (holds) whenever it changes, with w.mu held: it must not call the window.
	onHold func(holds int)
}

// crew bounds the goroutines of a transfer that hold a request each (an upload's blocks, a download's
// pages): as many as the window's configured concurrency, and one more for each refused request
// waiting out its delay (the window's onHold), so that a refused request's wait does not leave the
// window short of requests to send, and otherwise no request waits for a slot holding its data.
type crew struct {
	base int

	mu      sync.Mutex
	holds   int
	busy    int
	changed chan struct{} // closed, and replaced, when busy falls or holds rises
}

func newCrew(base int) *crew { return &crew{base: base, changed: make(chan struct{})} }

// join waits until the crew has room for one more goroutine and counts it, or returns ctx's cause.
func (c *crew) join(ctx context.Context) error {
	for {
		c.mu.Lock()
		if c.busy < c.base+c.holds {
			c.busy++
			c.mu.Unlock()
			return nil
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// leave counts a goroutine out.
func (c *crew) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy--
	c.wake()
}

// held is the window's onHold.
func (c *crew) held(holds int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if holds > c.holds {
		c.wake()
	}
	c.holds = holds
}

func (c *crew) wake() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// outcome is what became of a request sent through a window.
type outcome struct {
	kind outcomeKind
	// pause, for a refusal, is how long the refused request waits before it is sent again. When it
	// is positive the request holds the window until it has waited (the caller then calls resume
	// to send it again, or endPause), and the window is paused, granting no slot, until either a
	// request of the transfer succeeds or every refused request has waited.
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
	return &window{max: n, limit: n, smallest: n, now: time.Now, dones: make([]ticket, n)}
}

// ticket identifies a slot acquire granted, for release: slots are numbered from 1 in the order
// they are granted.
type ticket uint64

// waiter is a caller of acquire waiting for a slot.
type waiter struct {
	ready chan struct{} // closed when the slot is granted
	t     ticket        // the slot's, set before ready is closed
	again bool          // a request's next attempt (see retry)
}

// acquire blocks until a slot is free under the current limit and the window is not paused (see
// outcome.pause), and takes it; slots are granted in the order acquire was called, but for requests
// sent again (see retry). It returns the context's cause, without a slot, as soon as ctx
// ends.
func (w *window) acquire(ctx context.Context) (ticket, error) {
	if err := context.Cause(ctx); err != nil {
		return 0, err
	}
	w.mu.Lock()
	if !w.paused && w.inflight < w.limit && len(w.queue) == 0 {
		w.inflight++
		w.seq++
		t := w.seq
		w.mu.Unlock()
		return t, nil
	}
	me := &waiter{ready: make(chan struct{})}
	w.queue = append(w.queue, me)
	w.mu.Unlock()
	return w.wait(ctx, me)
}

// resume ends the hold of a refused request that has waited out its delay (as endPause does) and
// takes a slot for its next attempt as retry does. Its hold ends whether or not it gets a slot.
func (w *window) resume(ctx context.Context) (ticket, error) {
	w.mu.Lock()
	w.unhold()
	return w.first(ctx)
}

// retry takes a slot for a request's next attempt, as acquire does but ahead of every caller
// waiting for its first (after the requests sent again that came before it): a request sent again
// is the oldest of the transfer's, which the transfer may need first (a download hands its pages
// on in order), and a call renewing its token is sent with it before others take the token.
func (w *window) retry(ctx context.Context) (ticket, error) {
	w.mu.Lock()
	return w.first(ctx)
}

// first queues a caller ahead of those waiting for their first attempt and waits for its slot. w.mu
// is held; first unlocks it.
func (w *window) first(ctx context.Context) (ticket, error) {
	if err := context.Cause(ctx); err != nil {
		w.grant()
		w.mu.Unlock()
		return 0, err
	}
	me := &waiter{ready: make(chan struct{}), again: true}
	at := 0
	for at < len(w.queue) && w.queue[at].again {
		at++
	}
	w.queue = slices.Insert(w.queue, at, me)
	w.grant()
	w.mu.Unlock()
	return w.wait(ctx, me)
}

// wait waits until me, queued, is granted a slot, or ctx ends.
func (w *window) wait(ctx context.Context, me *waiter) (ticket, error) {
	select {
	case <-me.ready:
		return me.t, nil
	case <-ctx.Done():
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-me.ready: // granted as ctx ended: hand the slot on
		w.inflight--
		w.grant()
	default:
		w.queue = slices.DeleteFunc(w.queue, func(q *waiter) bool { return q == me })
	}
	return 0, context.Cause(ctx)
}

// grant hands free slots to waiting callers. w.mu is held.
func (w *window) grant() {
	for !w.paused && w.inflight < w.limit && len(w.queue) > 0 {
		w.seq++
		w.queue[0].t = w.seq
		close(w.queue[0].ready)
		w.queue = w.queue[1:]
		w.inflight++
	}
}

// release frees the slot of ticket t and learns from o, returning the limit before and after.
func (w *window) release(t ticket, o outcome) (from, to int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	from = w.limit
	full := w.inflight >= w.limit // the window was in use: a success says the server takes this many
	inflight := w.inflight
	w.inflight--
	// A request granted before the event's first refusal came back was sent before the window
	// learnt from it: it says nothing of the new limit.
	inEvent := t <= w.eventSeq
	switch o.kind {
	case outcomeDone:
		w.dones[w.doneN%len(w.dones)] = w.seq
		w.doneN++
		// The server took a request after refusing one: it takes requests again, and the window
		// (fallen back already) says how many. The refused requests still wait out their delays.
		w.paused = false
		if full && !inEvent {
			w.run++
		}
		if w.run >= w.limit {
			w.run = 0
			w.ranInFull()
		}
	case outcomeRefused:
		w.throttle++
		w.run = 0
		w.plateau = 0
		// The level: the requests that may have been at the server with this one. Those still in
		// flight, this one included, and those answered since this one was sent (the server may have
		// counted them still when it refused this one), never more than the window allowed.
		level := min(from, inflight+w.donesSince(t))
		if inEvent {
			w.refused++
			if w.chance { // a second refusal: not chance
				w.good, w.probes, w.chance, w.struck = 0, 0, false, false
			}
		} else {
			w.chance = false
			known := w.good // the level the window takes the server to take
			if w.ceiling != 0 {
				known = max(known, w.ceiling-1)
			}
			switch {
			case w.ceiling != 0 && level >= w.ceiling:
				w.probes = min(w.probes+1, maxProbeBackoff) // a probe, refused
				if w.ceiling <= w.taken && w.probes >= 2 {
					// Twice in a row at a level that ran in full before: the server takes fewer now.
					// Probing above it starts afresh.
					w.taken, w.probes = w.ceiling-1, 0
				}
			case level <= known:
				// One refusal at a level the server is known to take is taken for chance (a server
				// still counting a request whose whole answer has come): the window stands. Another
				// in the event, or another such event before probeRuns runs in full, means the
				// server takes fewer than it did.
				if w.struck && w.clean < probeRuns {
					w.good, w.probes, w.struck = 0, 0, false
				} else {
					w.chance, w.struck = true, true
				}
				w.clean = 0
			}
			w.level, w.refused, w.eventSeq = level, 1, w.seq
		}
		if !w.chance {
			w.ceiling = max(w.level-w.refused+1, w.good+1, 2)
			w.limit = max(1, min(w.ceiling-1, max(w.good, w.taken-1, int(fallback*float64(w.level)))))
			w.smallest = min(w.smallest, w.limit)
		}
		if o.pause > 0 {
			// A probe waits probeCost times the refused request's delay at least, from now: the
			// transfer goes on while it waits, and must not probe again before then.
			now := w.now()
			w.probeAt = later(w.probeAt, now.Add(probeCost*o.pause<<w.probes))
			if w.holds == 0 {
				w.pausedAt = now
			}
			w.holds++
			w.paused = true
			if w.onHold != nil {
				w.onHold(w.holds)
			}
		}
	}
	w.grant()
	return from, w.limit
}

// donesSince returns how many successes were released after ticket t was granted (as many as the
// window remembers: its configured concurrency). w.mu is held.
func (w *window) donesSince(t ticket) int {
	n := 0
	for i := range min(w.doneN, len(w.dones)) {
		if w.dones[i] >= t {
			n++
		}
	}
	return n
}

// ranInFull learns from a full run at the current limit: the server took that many at once. w.mu
// is held.
func (w *window) ranInFull() {
	w.good = max(w.good, w.limit)
	taken := w.taken
	w.taken = max(w.taken, w.limit)
	w.clean++
	switch {
	case w.ceiling != 0 && w.ceiling <= taken && w.limit >= w.ceiling:
		// A probe back to a level that ran in full before: the server takes it again (the
		// refusals that brought the window down were chance). The level above it is what the
		// server refused before.
		w.ceiling, w.probes = taken+1, 0
		if w.ceiling > w.max {
			w.ceiling = 0
		}
		return
	case w.ceiling != 0 && w.limit >= w.ceiling:
		// A probe that ran in full: the server takes more now.
		w.ceiling, w.probes = 0, 0
	case w.ceiling != 0 && w.limit+1 == w.ceiling:
		// The plateau: probe once it has lasted long enough. A probe back to a level that ran in
		// full before waits for the runs only: a refusal costs the transfer little (see window).
		w.plateau++
		if w.ceiling <= w.taken {
			if w.plateau < backRuns<<w.probes {
				return
			}
		} else if w.plateau < probeRuns<<w.probes || w.now().Before(w.probeAt) {
			return
		}
		w.plateau = 0
		w.limit = w.ceiling
		return
	case w.ceiling != 0:
		// Concave: halfway to the plateau.
		w.limit += max(1, (w.ceiling-1-w.limit+1)/2)
		return
	}
	w.limit = min(w.limit+1, w.max) // convex
}

// endPause ends the hold a refusal's release began (see outcome.pause), once the refused request has
// waited, for a request that is not sent again (resume ends it for one that is).
func (w *window) endPause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unhold()
	w.grant()
}

// unhold ends the hold of one refused request. When the last refused request has waited, the pause
// ends if a success has not ended it already, and probing waits probeCost times as long as the
// refused requests waited. w.mu is held.
func (w *window) unhold() {
	w.holds--
	if w.onHold != nil {
		w.onHold(w.holds)
	}
	if w.holds == 0 {
		w.paused = false
		now := w.now()
		w.probeAt = later(w.probeAt, now.Add(probeCost*now.Sub(w.pausedAt)<<w.probes))
	}
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
