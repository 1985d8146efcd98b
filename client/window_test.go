package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// waitLimit bounds every wait of these tests: a broken window fails them in seconds.
const waitLimit = 5 * time.Second

// stuckAfter is how long a goroutine may stay parked in window.acquire before the test binary
// gives up (see init).
const stuckAfter = 30 * time.Second

// init watches every test of the package, not only these: a goroutine parked in window.acquire for
// stuckAfter (the same goroutine at each of that many samples a second apart) means a broken window
// has stuck a transfer for good, since no test of the package waits that long. The binary then
// exits with every goroutine's stack, rather than hanging until the package's timeout.
func init() {
	go func() {
		seen := map[string]int{}
		tick := time.NewTicker(time.Second)
		for range tick.C {
			dump := allStacks()
			now := map[string]int{}
			for _, g := range bytes.Split(dump, []byte("\n\n")) {
				header, _, _ := bytes.Cut(g, []byte("\n"))
				if !bytes.Contains(header, []byte("[select")) || !bytes.Contains(g, []byte(".(*window).acquire(")) {
					continue
				}
				id := string(bytes.Fields(header)[1])
				now[id] = seen[id] + 1
				if now[id] >= int(stuckAfter/time.Second) {
					fmt.Fprintf(os.Stderr, "goroutine %s has waited in window.acquire for %v: the window is stuck\n\n%s", id, stuckAfter, dump)
					os.Exit(2)
				}
			}
			seen = now
		}
	}()
}

func allStacks() []byte {
	for n := 1 << 16; ; n *= 2 {
		buf := make([]byte, n)
		if m := runtime.Stack(buf, true); m < n {
			return buf[:m]
		}
	}
}

// look returns the window's limit, slots held, callers waiting and whether it is paused.
func (w *window) look() (limit, inflight, waiting int, paused bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.limit, w.inflight, len(w.queue), w.paused
}

// tw is a window under test, with the tickets of the slots the test holds, oldest first.
type tw struct {
	*window
	mu   sync.Mutex
	held []ticket
}

func newTW(n int) *tw { return &tw{window: newWindow(n)} }

func (w *tw) hold(t ticket) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.held = append(w.held, t)
}

// give releases the oldest slot the test holds with o.
func (w *tw) give(o outcome) (from, to int) {
	w.mu.Lock()
	t := w.held[0]
	w.held = w.held[1:]
	w.mu.Unlock()
	return w.release(t, o)
}

// giveTicket releases the slot of ticket tk, which the test holds, with o.
func (w *tw) giveTicket(tk ticket, o outcome) {
	w.mu.Lock()
	w.held = slices.DeleteFunc(w.held, func(h ticket) bool { return h == tk })
	w.mu.Unlock()
	w.release(tk, o)
}

// want checks the window's limit, slots held and callers waiting.
func want(t *testing.T, w *tw, limit, inflight, waiting int) {
	t.Helper()
	if l, i, q, _ := w.look(); l != limit || i != inflight || q != waiting {
		t.Fatalf("limit %d, %d in flight, %d waiting; want %d, %d, %d", l, i, q, limit, inflight, waiting)
	}
}

// fill takes every free slot, as a transfer with work to spare does; it fails the test if acquire
// would block for another reason.
func fill(t *testing.T, w *tw) {
	t.Helper()
	for {
		limit, inflight, waiting, paused := w.look()
		if inflight >= limit || paused {
			return
		}
		if waiting > 0 {
			t.Fatalf("%d callers wait with a slot free", waiting)
		}
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		tk, err := w.acquire(ctx)
		cancel()
		if err != nil {
			t.Fatalf("no slot with %d of %d in flight: %v", inflight, limit, err)
		}
		w.hold(tk)
	}
}

// runs releases n full runs of successes at the current limit, taking a slot back after each
// success, and returns the limit after each run.
func runs(t *testing.T, w *tw, n int) []int {
	t.Helper()
	var after []int
	for range n {
		fill(t, w)
		limit, _, _, _ := w.look()
		for range limit {
			w.give(outcome{kind: outcomeDone})
			fill(t, w)
		}
		l, _, _, _ := w.look()
		after = append(after, l)
	}
	return after
}

// refuse releases n of the requests in flight, the oldest, as refusals, each pausing the window for
// pause and waiting it out at once.
func refuse(w *tw, n int, pause time.Duration) {
	for range n {
		w.give(outcome{kind: outcomeRefused, pause: pause})
		if pause > 0 {
			w.endPause()
		}
	}
}

// finish releases every request in flight as a success.
func finish(w *tw) {
	_, inflight, _, _ := w.look()
	for range inflight {
		w.give(outcome{kind: outcomeDone})
	}
}

// got is what a call of acquire returned.
type got struct {
	t   ticket
	err error
}

// acquireAsync calls acquire in a goroutine and waits until the call has either queued (it is
// waiting for a slot: the result channel gets its result later) or returned (queued is false and the
// result is in the channel). Both happen without fail, whatever the window does; the wait has a
// deadline all the same.
func acquireAsync(t *testing.T, w *tw, ctx context.Context) (done <-chan got, queued bool) {
	t.Helper()
	_, _, before, _ := w.look()
	c := make(chan got, 1)
	go func() {
		tk, err := w.acquire(ctx)
		c <- got{tk, err}
	}()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		if len(c) > 0 {
			return c, false
		}
		if _, _, waiting, _ := w.look(); waiting > before {
			return c, true
		}
		runtime.Gosched()
	}
	t.Fatal("acquire neither queued nor returned")
	return nil, false
}

// queue calls acquire in a goroutine and fails the test unless the call waits for a slot.
func queue(t *testing.T, w *tw, ctx context.Context) <-chan got {
	t.Helper()
	done, queued := acquireAsync(t, w, ctx)
	if !queued {
		t.Fatalf("acquire returned at once (%v), want it to wait", (<-done).err)
	}
	return done
}

// granted fails the test unless the acquire behind done has returned a slot, which the test then
// holds: a slot is handed over within the release or endPause that frees it, so no wait is needed
// but the goroutine's (the channel is buffered).
func granted(t *testing.T, w *tw, done <-chan got, what string) {
	t.Helper()
	select {
	case g := <-done:
		if g.err != nil {
			t.Fatalf("%s: %v", what, g.err)
		}
		w.hold(g.t)
	case <-time.After(waitLimit):
		t.Fatalf("%s: no slot", what)
	}
}

// notGranted fails the test if the acquire behind done has returned.
func notGranted(t *testing.T, done <-chan got, what string) {
	t.Helper()
	select {
	case g := <-done:
		t.Fatalf("%s (acquire returned %v)", what, g.err)
	default:
	}
}

func TestWindowFallsBackToWhatTheServerTook(t *testing.T) {
	// Eight at once against a server that takes four: four refused, one event. The window falls
	// to four (one below the five the server is taken to refuse), not to half of eight.
	w := newTW(8)
	fill(t, w)
	refuse(w, 4, 0)
	want(t, w, 4, 4, 0)
	// The others of the event succeed: sent before the decrease, they grow nothing.
	finish(w)
	want(t, w, 4, 0, 0)
	if got := runs(t, w, probeRuns-1); got[len(got)-1] != 4 {
		t.Fatalf("limits %v after the event, want 4 until the probe", got)
	}
	if limit, smallest, throttled := w.state(); limit != 4 || smallest != 4 || throttled != 4 {
		t.Errorf("state %d, %d, %d; want limit 4, smallest 4, 4 refusals", limit, smallest, throttled)
	}
}

func TestWindowCountsWhatTheServerHeldWithARefusal(t *testing.T) {
	// Eight at once against a server that takes six: the first answer (a success) comes back before
	// the refusals of the seventh and eighth. It was at the server when they were refused, so the
	// level is still eight and the server is taken to refuse seven: the window goes back to six,
	// not to five (which counting only what was still in flight would give).
	w := newTW(8)
	fill(t, w)
	w.giveTicket(1, outcome{kind: outcomeDone})
	w.giveTicket(7, outcome{kind: outcomeRefused})
	w.giveTicket(8, outcome{kind: outcomeRefused})
	want(t, w, 5, 5, 0) // 0.7×8
	finish(w)
	if got := runs(t, w, 3); fmt.Sprint(got) != "[6 6 6]" {
		t.Errorf("limits %v after the event, want [6 6 6]: back to six, one below the seven refused", got)
	}
}

func TestWindowFallsBackToTheLastGoodLevel(t *testing.T) {
	w := newTW(8)
	fill(t, w)
	refuse(w, 4, 0) // 8 → 4, ceiling 5
	finish(w)
	runs(t, w, probeRuns-1) // 4 runs in full: good is 4
	if got := runs(t, w, 1); got[0] != 5 {
		t.Fatalf("limit %d after %d runs at the plateau, want the probe at 5", got[0], probeRuns)
	}
	// The probe is refused: back to 4 (the last good level), not 0.7×5 = 3 nor 5/2 = 2.
	fill(t, w)
	refuse(w, 1, 0)
	want(t, w, 4, 4, 0)
	if _, smallest, _ := w.state(); smallest != 4 {
		t.Errorf("smallest %d, want 4", smallest)
	}
}

func TestWindowFallsBackToAFractionOfTheLevelRefused(t *testing.T) {
	// One refusal of eight in flight, with no level yet known to be good: the server is taken to
	// refuse 8, and the window falls to 0.7×8 = 5, then goes halfway to 7 at each run in full.
	w := newTW(8)
	fill(t, w)
	refuse(w, 1, 0)
	want(t, w, 5, 7, 0)
	finish(w)
	if got := runs(t, w, 3); fmt.Sprint(got) != "[6 7 7]" {
		t.Errorf("limits %v after runs in full, want [6 7 7] (halfway to 7, then the plateau)", got)
	}
	// From 64 the way back is halfway each time too: 44, 54, 59, 61, 62, 63.
	w = newTW(64)
	fill(t, w)
	refuse(w, 1, 0)
	want(t, w, 44, 63, 0)
	finish(w)
	if got := runs(t, w, 6); fmt.Sprint(got) != "[54 59 61 62 63 63]" {
		t.Errorf("limits %v, want [54 59 61 62 63 63]", got)
	}
}

func TestWindowForgetsAGoodLevelTheServerRefusesSoon(t *testing.T) {
	// Six ran in full; then the server takes two. Four refusals at the good level in one event are
	// not chance: the window falls to what the event let through, not back to six. It tries three
	// again soon (the server took more before), but two refusals there in a row mean the server
	// takes fewer now: the next probe waits as a first probe above a level never taken does.
	w := newTW(6)
	runs(t, w, probeRuns-1)
	want(t, w, 6, 6, 0)
	refuse(w, 4, 0)
	want(t, w, 2, 2, 0)
	finish(w)
	if got := runs(t, w, backRuns); fmt.Sprint(got) != "[2 3]" {
		t.Fatalf("limits %v, want [2 3]: back to 3 after %d runs", got, backRuns)
	}
	fill(t, w)
	refuse(w, 1, 0) // the probe at 3
	want(t, w, 2, 2, 0)
	finish(w)
	if got := runs(t, w, 2*backRuns); fmt.Sprint(got) != "[2 2 2 3]" {
		t.Fatalf("limits %v, want [2 2 2 3]: the probe waits twice as long after a refused one", got)
	}
	fill(t, w)
	refuse(w, 1, 0) // the probe at 3, refused again
	want(t, w, 2, 2, 0)
	finish(w)
	if got := runs(t, w, probeRuns); fmt.Sprint(got) != "[2 2 2 2 2 2 2 3]" {
		t.Errorf("limits %v, want 2 until probeRuns runs have passed (the probe wait starting afresh)", got)
	}
}

func TestWindowToleratesARefusalByChance(t *testing.T) {
	// At the server's limit of 4, a refusal now and then (the server still counted a request whose
	// answer the client had read): the window stays at 4, the first time however soon, then as long
	// as probeRuns runs in full come between two. Refused again sooner, it falls, to one below the
	// level the server took. (The clock stands still after the first pause: no probe.)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := newTW(8)
	w.now = func() time.Time { return now }
	fill(t, w)
	for range 4 {
		w.give(outcome{kind: outcomeRefused, pause: time.Second})
	}
	now = now.Add(time.Second)
	for range 4 {
		w.endPause()
	}
	finish(w)
	for _, between := range []int{2, probeRuns, probeRuns, probeRuns} {
		runs(t, w, between)
		fill(t, w)
		refuse(w, 1, 0) // at 4, the good level
		want(t, w, 4, 3, 0)
		finish(w)
	}
	runs(t, w, probeRuns-1)
	fill(t, w)
	refuse(w, 1, 0)
	want(t, w, 3, 3, 0) // no longer chance: one below the 4 that ran in full (above 0.7×4)
	if _, smallest, throttled := w.state(); smallest != 3 || throttled != 9 {
		t.Errorf("smallest %d, %d refusals; want 3 and 9", smallest, throttled)
	}
}

func TestWindowTakesTwoRefusalsAtTheGoodLevelForAChange(t *testing.T) {
	// Six ran in full for long; then the server takes three: three of six are refused in one event.
	// The first alone might be chance; with the second the window falls to what the event let
	// through, at once rather than at the next event.
	w := newTW(6)
	runs(t, w, 2*probeRuns)
	w.give(outcome{kind: outcomeRefused})
	want(t, w, 6, 5, 0)
	w.give(outcome{kind: outcomeRefused})
	w.give(outcome{kind: outcomeRefused})
	want(t, w, 3, 3, 0)
}

func TestWindowProbesRarelyAndGrowsWhenAProbeRuns(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := newTW(8)
	w.now = func() time.Time { return now }
	fill(t, w)
	// Three of eight refused, each waiting a second: the transfer is paused for one second.
	for range 3 {
		w.give(outcome{kind: outcomeRefused, pause: time.Second})
	}
	now = now.Add(time.Second)
	for range 3 {
		w.endPause()
	}
	want(t, w, 5, 5, 0)
	finish(w)
	// The plateau at 5 (the ceiling is 6) lasts ten pauses, however many runs that is.
	if got := runs(t, w, 3*probeRuns); got[len(got)-1] != 5 {
		t.Fatalf("limits %v, want 5 until ten pauses have passed", got)
	}
	now = now.Add(probeCost * time.Second)
	if got := runs(t, w, 1); got[0] != 6 {
		t.Fatalf("limit %d once ten pauses have passed, want the probe at 6", got[0])
	}
	// The probe is refused, with a pause of one second again: back to 5, and the next probe waits
	// twice as long (twenty pauses, 2×probeRuns runs).
	fill(t, w)
	w.give(outcome{kind: outcomeRefused, pause: time.Second})
	now = now.Add(time.Second)
	w.endPause()
	want(t, w, 5, 5, 0)
	finish(w)
	if got := runs(t, w, 2*probeRuns); got[len(got)-1] != 5 {
		t.Fatalf("limits %v, want 5 until twenty pauses have passed", got)
	}
	now = now.Add(probeCost * time.Second)
	if got := runs(t, w, 1); got[0] != 5 {
		t.Fatalf("limit %d after ten pauses, want 5: a second probe waits twenty", got[0])
	}
	now = now.Add(probeCost * time.Second)
	if got := runs(t, w, 1); got[0] != 6 {
		t.Fatalf("limit %d after twenty pauses, want the probe at 6", got[0])
	}
	// This probe runs in full: the server takes more now, and each run in full grows the window by
	// one up to the configured 8.
	if got := runs(t, w, 3); fmt.Sprint(got) != "[7 8 8]" {
		t.Errorf("limits %v after the probe ran, want [7 8 8]", got)
	}
	if limit, smallest, throttled := w.state(); limit != 8 || smallest != 5 || throttled != 4 {
		t.Errorf("state %d, %d, %d; want limit 8, smallest 5, 4 refusals", limit, smallest, throttled)
	}
}

func TestWindowProbeWaitsForRunsWhenThePauseCostsNothing(t *testing.T) {
	// A refused request that waits no time (Retry-After: 0) does not pause: the plateau is then
	// probeRuns runs in full, doubled for each probe refused in a row.
	w := newTW(4)
	fill(t, w)
	refuse(w, 2, 0) // ceiling 3, limit 2
	finish(w)
	for i, wantRuns := range []int{probeRuns, 2 * probeRuns, 4 * probeRuns} {
		got := runs(t, w, wantRuns)
		if got[wantRuns-2] != 2 || got[wantRuns-1] != 3 {
			t.Fatalf("probe %d: limits %v, want 2 for %d runs, then 3", i+1, got, wantRuns-1)
		}
		fill(t, w)
		refuse(w, 1, 0)
		want(t, w, 2, 2, 0)
		finish(w)
	}
}

func TestWindowCountsAnEventOnce(t *testing.T) {
	// Refusals of requests already in flight at the first one are one event: the window falls
	// once, to what the event let through, not once per refusal.
	w := newTW(8)
	fill(t, w)
	w.give(outcome{kind: outcomeRefused})
	w.give(outcome{kind: outcomeDone}) // sent before the event
	w.give(outcome{kind: outcomeRefused})
	w.give(outcome{kind: outcomeRefused})
	want(t, w, 5, 4, 0) // the server let through at least 5 of 8 (ceiling 6): 0.7×8
	finish(w)
	fill(t, w)
	// Refusals in the next round are a new event: one alone at 5 might be chance, two are not (the
	// server let 3 through: 0.7×5).
	w.give(outcome{kind: outcomeRefused})
	want(t, w, 5, 4, 0)
	w.give(outcome{kind: outcomeRefused})
	if limit, smallest, throttled := w.state(); limit != 3 || smallest != 3 || throttled != 5 {
		t.Errorf("state %d, %d, %d; want limit 3, smallest 3, 5 refusals", limit, smallest, throttled)
	}
}

func TestWindowFloorIsOne(t *testing.T) {
	w := newTW(2)
	for range 5 {
		fill(t, w)
		_, inflight, _, _ := w.look()
		refuse(w, inflight, 0)
	}
	if limit, smallest, _ := w.state(); limit != 1 || smallest != 1 {
		t.Errorf("limit %d, smallest %d; want 1 and 1", limit, smallest)
	}
	fill(t, w)
	want(t, w, 1, 1, 0)
	// At one, a run of one success is a run in full: after probeRuns of them the window tries 2.
	if got := runs(t, w, probeRuns); got[probeRuns-2] != 1 || got[probeRuns-1] != 2 {
		t.Errorf("limits %v, want 1, then the probe at 2", got)
	}
}

func TestWindowGrowsOnlyWhenFull(t *testing.T) {
	// A transfer that keeps fewer requests in flight than its window (its source is slow) learns
	// nothing of the server's limit from its successes.
	w := newTW(8)
	fill(t, w)
	refuse(w, 1, 0) // 5, ceiling 8
	finish(w)
	for range 10 * 5 {
		tk, err := w.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		w.hold(tk)
		w.give(outcome{kind: outcomeDone})
	}
	want(t, w, 5, 0, 0)
}

func TestWindowPausesEveryoneWhileNothingSucceeds(t *testing.T) {
	// Every check is of the window's state right after the call that changes it: a slot granted
	// during the pause shows at once, whatever the goroutines do.
	w := newTW(3)
	fill(t, w)                                                // a, b and c in flight
	w.give(outcome{kind: outcomeRefused, pause: time.Second}) // a refused: 2 at once, paused
	want(t, w, 2, 2, 0)
	w.give(outcome{kind: outcomeFailed}) // b fails, for some other reason than load: a slot is free
	want(t, w, 2, 1, 0)
	// A slot is free, but a waits and nothing has succeeded since: callers queue.
	first := queue(t, w, context.Background())
	second := queue(t, w, context.Background())
	want(t, w, 2, 1, 2)
	// c is refused too: two slots free, and the pause lasts until both have waited.
	w.give(outcome{kind: outcomeRefused, pause: time.Second})
	want(t, w, 1, 0, 2)
	w.endPause() // a has waited, and is not sent again
	want(t, w, 1, 0, 2)
	notGranted(t, first, "a slot was granted while c still waits")
	// c has waited: it is sent again first, ahead of the callers waiting.
	resumed, _ := resumeAsync(t, w, context.Background())
	granted(t, w, resumed, "c sent again")
	want(t, w, 1, 1, 2)
	notGranted(t, first, "a slot was granted past the limit")
	// c succeeds: the callers get the slots in turn.
	w.give(outcome{kind: outcomeDone})
	want(t, w, 1, 1, 1)
	granted(t, w, first, "the first caller after the pause")
	notGranted(t, second, "the second caller was served past the limit")
	w.give(outcome{kind: outcomeDone})
	granted(t, w, second, "the second caller after the pause")
	if limit, smallest, throttled := w.state(); limit != 1 || smallest != 1 || throttled != 2 {
		t.Errorf("state %d, %d, %d; want limit 1, smallest 1, 2 refusals", limit, smallest, throttled)
	}
}

func TestWindowPauseEndsWhenARequestSucceeds(t *testing.T) {
	// A refusal pauses the window only until the server is seen taking requests: a success after
	// it ends the pause for the others, while the refused request still waits out its own delay.
	w := newTW(4)
	fill(t, w)                                                // a, b, c and d in flight
	w.give(outcome{kind: outcomeRefused, pause: time.Second}) // a refused: 2 at once, paused
	want(t, w, 2, 3, 0)
	first := queue(t, w, context.Background())
	second := queue(t, w, context.Background())
	w.give(outcome{kind: outcomeDone}) // b, answered after a's refusal: the pause ends
	want(t, w, 2, 2, 2)
	notGranted(t, first, "a slot was granted past the limit")
	w.give(outcome{kind: outcomeDone}) // c: a slot under the limit
	want(t, w, 2, 2, 1)
	granted(t, w, first, "the first caller after the success")
	notGranted(t, second, "the second caller was served past the limit")
	// a has waited: it goes before the second caller, who came first.
	resumed, queued := resumeAsync(t, w, context.Background())
	if !queued {
		t.Fatalf("a was sent again at once (%v), past the limit", (<-resumed).err)
	}
	want(t, w, 2, 2, 2)
	w.give(outcome{kind: outcomeDone}) // d
	granted(t, w, resumed, "a sent again")
	notGranted(t, second, "the second caller was served before a")
	w.give(outcome{kind: outcomeDone})
	granted(t, w, second, "the second caller")
	want(t, w, 2, 2, 0)
	// a is refused again (at a level taken for chance: the window stands), pausing the window
	// again until the next success.
	w.give(outcome{kind: outcomeRefused, pause: time.Second})
	want(t, w, 2, 1, 0)
	third := queue(t, w, context.Background())
	w.give(outcome{kind: outcomeDone}) // the second caller's
	granted(t, w, third, "the third caller after the next success")
	want(t, w, 2, 1, 0)
}

// resumeAsync is acquireAsync for resume.
func resumeAsync(t *testing.T, w *tw, ctx context.Context) (done <-chan got, queued bool) {
	t.Helper()
	_, _, before, _ := w.look()
	c := make(chan got, 1)
	go func() {
		tk, err := w.resume(ctx)
		c <- got{tk, err}
	}()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		if len(c) > 0 {
			return c, false
		}
		if _, _, waiting, _ := w.look(); waiting > before {
			return c, true
		}
		runtime.Gosched()
	}
	t.Fatal("resume neither queued nor returned")
	return nil, false
}

func TestWindowAcquireEndsWithItsContext(t *testing.T) {
	w := newTW(1)
	fill(t, w)
	w.give(outcome{kind: outcomeRefused, pause: time.Hour}) // paused for an hour
	ctx, cancel := context.WithCancel(context.Background())
	done := queue(t, w, ctx)
	cancel()
	select {
	case g := <-done:
		if !errors.Is(g.err, context.Canceled) {
			t.Fatalf("acquire = %v, want context.Canceled", g.err)
		}
	case <-time.After(waitLimit):
		t.Fatal("acquire did not end with its context")
	}
	want(t, w, 1, 0, 0)
	// An ended context gets no slot even when one is free.
	w.endPause()
	if _, err := w.acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("acquire with an ended context = %v", err)
	}
	want(t, w, 1, 0, 0)
}

func TestWindowGrantsInOrder(t *testing.T) {
	w := newTW(1)
	fill(t, w)
	var queued []<-chan got
	for range 3 {
		queued = append(queued, queue(t, w, context.Background()))
	}
	for i, done := range queued {
		w.give(outcome{kind: outcomeDone})
		granted(t, w, done, fmt.Sprintf("waiter %d", i+1))
		for j, later := range queued[i+1:] {
			notGranted(t, later, fmt.Sprintf("waiter %d served before waiter %d", i+j+2, i+1))
		}
	}
}

// simulate runs a transfer of ticks round trips through a fresh window of conc against a server
// that takes limit(tick) requests at once, and returns how many it let through at each. At each
// tick the transfer fills its window and the server lets the first requests through and refuses
// the rest; every request ends within its tick, the refusals first. A refused request waits the next
// tick out: the window is paused until the tick's successes.
func simulate(t *testing.T, conc, ticks int, limit func(tick int) int) (through []int) {
	through, _ = simulateWait(t, conc, ticks, 1, limit)
	return through
}

// simulateWait is simulate with refused requests that wait wait ticks (at least one), and also
// returns the refusals at each tick.
func simulateWait(t *testing.T, conc, ticks, wait int, limit func(tick int) int) (through, refused []int) {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := newTW(conc)
	w.now = func() time.Time { return now }
	waiting := make([]int, ticks+wait+1) // refused requests whose wait ends at each tick
	for tick := range ticks {
		now = now.Add(20 * time.Millisecond)
		for range waiting[tick] {
			w.endPause()
		}
		fill(t, w)
		_, inflight, _, _ := w.look()
		took := min(inflight, limit(tick))
		for range inflight - took {
			w.give(outcome{kind: outcomeRefused, pause: time.Duration(wait) * 20 * time.Millisecond})
			waiting[tick+wait]++
		}
		for range took {
			w.give(outcome{kind: outcomeDone})
		}
		through = append(through, took)
		refused = append(refused, inflight-took)
	}
	return through, refused
}

func mean(xs []int) float64 {
	sum := 0
	for _, x := range xs {
		sum += x
	}
	return float64(sum) / float64(len(xs))
}

func TestWindowHoldsTheServersLimit(t *testing.T) {
	// Over 1,000 round trips the window keeps the server's limit busy but for the first refusal's
	// pause and a few probes: at least 95% of the limit on average, for every limit below the
	// configured concurrency. Halving at each refusal, or waiting long at half the limit, would
	// not.
	for _, c := range []struct{ conc, limit int }{{8, 1}, {8, 2}, {8, 3}, {8, 4}, {8, 6}, {8, 7}, {64, 4}, {64, 50}, {2, 1}} {
		through := simulate(t, c.conc, 1000, func(int) int { return c.limit })
		t.Logf("concurrency %d, limit %d: %.3f at once", c.conc, c.limit, mean(through))
		if m := mean(through); m < 0.95*float64(c.limit) {
			t.Errorf("concurrency %d against a limit of %d: %.2f requests at once on average, want at least %.2f",
				c.conc, c.limit, m, 0.95*float64(c.limit))
		}
	}
	// A server that takes all the transfer sends costs nothing.
	if m := mean(simulate(t, 8, 100, func(int) int { return 8 })); m != 8 {
		t.Errorf("%.2f at once against a server that takes 8, want 8", m)
	}
}

func TestWindowFollowsALimitThatChanges(t *testing.T) {
	// The server's limit goes 2 → 6 → 3 → 8 → 1 every 500 round trips. A lower limit is found at
	// once; a higher one at the next probe, which waits at most 4×10 pauses. After 200 round trips
	// of each, the window holds at least 90% of the new limit.
	limits := []int{2, 6, 3, 8, 1}
	through := simulate(t, 8, 500*len(limits), func(tick int) int { return limits[tick/500] })
	for i, l := range limits {
		t.Logf("limit %d: %.3f at once from round trip %d", l, mean(through[i*500+200:(i+1)*500]), i*500+200)
		if m := mean(through[i*500+200 : (i+1)*500]); m < 0.9*float64(l) {
			t.Errorf("limit %d (round trips %d to %d): %.2f at once on average, want at least %.2f", l, i*500+200, (i+1)*500, m, 0.9*float64(l))
		}
	}
}

func TestWindowHoldsALimitRefusedByChance(t *testing.T) {
	// Every 40th round trip the server takes one fewer than its limit, as a server still counting
	// a request whose answer is out does now and then. Each such refusal costs its pause, but the
	// window goes back to the limit at once: at least 90% of it on average over 2,000 round trips.
	for _, l := range []int{2, 4, 6} {
		through := simulate(t, 8, 2000, func(tick int) int {
			if tick%40 == 20 {
				return l - 1
			}
			return l
		})
		t.Logf("limit %d: %.3f at once", l, mean(through))
		if m := mean(through); m < 0.9*float64(l) {
			t.Errorf("limit %d, refused by chance every 40 round trips: %.2f at once on average, want at least %.2f", l, m, 0.9*float64(l))
		}
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func TestWindowComesBackAfterChanceRefusalsAtTheLimit(t *testing.T) {
	// A server counting each request until its whole answer is out refuses now and then a request
	// the client sends as it reads the last answer: here, two round trips in a row every 40 take one
	// fewer than the limit, and a refused request waits 50 round trips (a Retry-After of 1 s at
	// 20 ms a request) without pausing the transfer once the others succeed. The window must go
	// back to the limit within a few round trips, not wait at 0.7 of it for seconds: at least 93%
	// of the limit on average over 2,000 round trips.
	for _, l := range []int{2, 3, 4, 6} {
		through, refused := simulateWait(t, 8, 2000, 50, func(tick int) int {
			if tick%40 == 20 || tick%40 == 21 {
				return l - 1
			}
			return l
		})
		t.Logf("limit %d: %.3f at once, %d refused", l, mean(through), sum(refused))
		if m := mean(through); m < 0.93*float64(l) {
			t.Errorf("limit %d, refused by chance twice every 40 round trips: %.2f at once on average, want at least %.2f", l, m, 0.93*float64(l))
		}
	}
}

func TestWindowLearnsALowerLimitForGood(t *testing.T) {
	// The limit falls from 4 to 3 and stays there; a refused request waits 50 round trips. The
	// window comes down at once and, after two probes back at 4 are refused, probes only as rarely
	// as a probe above a level never taken: few refusals over the next 1,500 round trips.
	through, refused := simulateWait(t, 8, 2000, 50, func(tick int) int {
		if tick < 500 {
			return 4
		}
		return 3
	})
	after := sum(refused[500:])
	t.Logf("%.3f at once after the change, %d refused", mean(through[500:]), after)
	if m := mean(through[600:]); m < 0.95*3 {
		t.Errorf("%.2f at once on average, want at least %.2f", m, 0.95*3)
	}
	if after > 12 {
		t.Errorf("%d refusals after the limit fell to 3, want at most 12", after)
	}
}

func TestWindowDoesNotProbeWhileARefusedRequestWaits(t *testing.T) {
	// The transfer goes on while refused requests wait out their delay: runs in full meanwhile do
	// not bring a probe of the level refused before probeCost times that delay has passed.
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := newTW(8)
	w.now = func() time.Time { return now }
	fill(t, w)
	for range 4 {
		w.give(outcome{kind: outcomeRefused, pause: time.Second}) // still waiting: no endPause
	}
	finish(w) // the others succeed: the pause ends
	now = now.Add(100 * time.Millisecond)
	if got := runs(t, w, 4*probeRuns); got[len(got)-1] != 4 {
		t.Fatalf("limits %v, want 4 until ten delays have passed", got)
	}
	now = now.Add(probeCost * time.Second)
	if got := runs(t, w, 1); got[0] != 5 {
		t.Fatalf("limit %d once ten delays have passed, want the probe at 5", got[0])
	}
}

// TestCrewGrowsByTheRequestsHeld: a transfer's crew takes as many goroutines as its base, and one
// more for each refused request waiting out its delay, so that a held request does not leave the
// window one request short; it takes no more once the holds end.
func TestCrewGrowsByTheRequestsHeld(t *testing.T) {
	c := newCrew(2)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := range 2 {
		if err := c.join(ctx); err != nil {
			t.Fatalf("join %d of a crew of 2: %v", i+1, err)
		}
	}
	joined := make(chan error, 1)
	go func() { joined <- c.join(ctx) }()
	select {
	case err := <-joined:
		t.Fatalf("a third goroutine joined a crew of 2 with nothing held (%v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	c.held(1)
	if err := <-joined; err != nil {
		t.Fatalf("with one request held, a third goroutine could not join: %v", err)
	}
	c.held(0)
	c.leave()
	short, stop := context.WithTimeout(ctx, 50*time.Millisecond)
	defer stop()
	if err := c.join(short); err == nil {
		t.Fatal("once the hold ended, a crew of 2 with 2 busy took a third goroutine")
	}
}
