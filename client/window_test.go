package client

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// look returns the window's limit and slots held.
func (w *window) look() (limit, inflight, waiting int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.limit, w.inflight, len(w.queue)
}

// fill takes every free slot; it fails the test if acquire would block for another reason.
func fill(t *testing.T, w *window) {
	t.Helper()
	for {
		limit, inflight, _ := w.look()
		if inflight >= limit {
			return
		}
		if err := w.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// steady releases n successful requests one at a time, taking a slot back after each, as an
// uploader with work to spare does.
func steady(t *testing.T, w *window, n int) {
	t.Helper()
	for range n {
		w.release(outcome{kind: outcomeDone})
		fill(t, w)
	}
}

// acquireAsync starts acquire in a goroutine, waits until it is queued, and returns its result.
func acquireAsync(t *testing.T, w *window, ctx context.Context) <-chan error {
	t.Helper()
	_, _, before := w.look()
	done := make(chan error, 1)
	go func() { done <- w.acquire(ctx) }()
	for {
		if _, _, waiting := w.look(); waiting > before {
			return done
		}
		runtime.Gosched()
	}
}

func TestWindowHalvesOncePerRound(t *testing.T) {
	w := newWindow(8)
	fill(t, w)
	// Four of the eight in flight are refused: one event, one halving.
	for range 4 {
		w.release(outcome{kind: outcomeRefused})
	}
	if limit, inflight, _ := w.look(); limit != 4 || inflight != 4 {
		t.Fatalf("limit %d with %d in flight, want 4 and 4", limit, inflight)
	}
	// The others of the round succeed: they were sent before the decrease and grow nothing.
	for range 4 {
		w.release(outcome{kind: outcomeDone})
	}
	if limit, _, _ := w.look(); limit != 4 {
		t.Fatalf("limit %d after the round, want 4", limit)
	}
	// A refusal of the next round halves again.
	fill(t, w)
	w.release(outcome{kind: outcomeRefused})
	if limit, smallest, throttled := w.state(); limit != 2 || smallest != 2 || throttled != 5 {
		t.Errorf("state %d, %d, %d; want limit 2, smallest 2, 5 refusals", limit, smallest, throttled)
	}
}

func TestWindowFloorIsOne(t *testing.T) {
	w := newWindow(2)
	for range 5 {
		fill(t, w)
		_, inflight, _ := w.look()
		for range inflight {
			w.release(outcome{kind: outcomeRefused})
		}
	}
	if limit, smallest, _ := w.state(); limit != 1 || smallest != 1 {
		t.Errorf("limit %d, smallest %d; want 1 and 1", limit, smallest)
	}
	if err := w.acquire(context.Background()); err != nil {
		t.Fatalf("no slot at limit 1: %v", err)
	}
}

func TestWindowGrowsByOneAfterARunUpToTheCap(t *testing.T) {
	w := newWindow(4)
	fill(t, w)
	w.release(outcome{kind: outcomeRefused}) // 4 → 2; the round is the three still in flight
	steady(t, w, 3)
	if limit, _, _ := w.look(); limit != 2 {
		t.Fatalf("limit %d after the round, want 2", limit)
	}
	// Two successes at limit 2 make a run: 3.
	steady(t, w, 1)
	if limit, _, _ := w.look(); limit != 2 {
		t.Fatalf("limit %d after one success, want 2", limit)
	}
	steady(t, w, 1)
	if limit, _, _ := w.look(); limit != 3 {
		t.Fatalf("limit %d after a run of 2, want 3", limit)
	}
	// Three more at 3: 4, the configured concurrency; never more.
	steady(t, w, 3)
	if limit, _, _ := w.look(); limit != 4 {
		t.Fatalf("limit %d after a run of 3, want 4", limit)
	}
	steady(t, w, 40)
	if limit, smallest, throttled := w.state(); limit != 4 || smallest != 2 || throttled != 1 {
		t.Errorf("state %d, %d, %d; want limit 4, smallest 2, 1 refusal", limit, smallest, throttled)
	}
}

func TestWindowProbesTheRefusedLevelOnlyAfterTenPauses(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := newWindow(8)
	w.now = func() time.Time { return now }
	fill(t, w)
	// Eight in flight, three refused with a 1s Retry-After: the server seems to take five, but
	// that is only an estimate, so the ceiling is one more than the halved limit: 5.
	for range 3 {
		w.release(outcome{kind: outcomeRefused, pause: time.Second})
		w.endPause()
	}
	steady(t, w, 5)
	if limit, _, _ := w.look(); limit != 4 {
		t.Fatalf("limit %d, want 4", limit)
	}
	steady(t, w, 50)
	if limit, _, _ := w.look(); limit != 4 {
		t.Fatalf("limit %d, want 4 until ten pauses have passed", limit)
	}
	now = now.Add(10 * time.Second)
	steady(t, w, 4)
	if limit, _, _ := w.look(); limit != 5 {
		t.Fatalf("limit %d, want 5 once ten pauses have passed", limit)
	}
	// A full run at the refused level clears it: growth goes on to the cap.
	steady(t, w, 5+6+7)
	if limit, _, _ := w.look(); limit != 8 {
		t.Errorf("limit %d, want 8", limit)
	}
}

func TestWindowPausesEveryoneWhileARefusedRequestWaits(t *testing.T) {
	w := newWindow(4)
	fill(t, w)                                                   // a, b, c and d in flight
	w.release(outcome{kind: outcomeRefused, pause: time.Second}) // a refused: limit 2, paused
	w.release(outcome{kind: outcomeDone})                        // b
	first := acquireAsync(t, w, context.Background())
	second := acquireAsync(t, w, context.Background())
	select {
	case err := <-first:
		t.Fatalf("a slot was granted during the pause (%v)", err)
	default:
	}
	// c is refused too: the pause lasts until both have waited.
	w.release(outcome{kind: outcomeRefused, pause: time.Second})
	w.endPause() // a has waited
	select {
	case err := <-first:
		t.Fatalf("a slot was granted while c still waits (%v)", err)
	default:
	}
	w.endPause() // c has waited: d is in flight, one slot of 2 is free
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-second:
		t.Fatalf("a third request in flight at limit 2 (%v)", err)
	default:
	}
	w.release(outcome{kind: outcomeDone}) // d
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if limit, smallest, throttled := w.state(); limit != 2 || smallest != 2 || throttled != 2 {
		t.Errorf("state %d, %d, %d; want limit 2, smallest 2, 2 refusals", limit, smallest, throttled)
	}
}

func TestWindowAcquireEndsWithItsContext(t *testing.T) {
	w := newWindow(1)
	fill(t, w)
	w.release(outcome{kind: outcomeRefused, pause: time.Hour}) // paused for an hour
	ctx, cancel := context.WithCancel(context.Background())
	done := acquireAsync(t, w, ctx)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire = %v, want context.Canceled", err)
	}
	if limit, inflight, waiting := w.look(); limit != 1 || inflight != 0 || waiting != 0 {
		t.Errorf("limit %d, %d in flight, %d waiting after the cancellation; want 1, 0, 0", limit, inflight, waiting)
	}
	// An ended context gets no slot even when one is free.
	w.endPause()
	if err := w.acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("acquire with an ended context = %v", err)
	}
}

func TestWindowGrantsInOrder(t *testing.T) {
	w := newWindow(1)
	fill(t, w)
	var queued []<-chan error
	for range 3 {
		queued = append(queued, acquireAsync(t, w, context.Background()))
	}
	for i, done := range queued {
		w.release(outcome{kind: outcomeDone})
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		for _, later := range queued[i+1:] {
			select {
			case <-later:
				t.Fatalf("waiter %d served before waiter %d", i+2, i+1)
			default:
			}
		}
	}
}
