package client

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// RetryPolicy is the one retry policy every call of a Client follows. The zero value means the
// defaults; set only the fields you want to change and pass it to WithRetryPolicy.
//
// What is retried: connection errors and 429, 502, 503 and 504 answers, for every call; 500 only
// for calls that are safe to repeat (GET, PUT, and PATCH of a block, which overwrites the block).
// POST /Dataset and POST /Job are never blindly retried: after a failure that may have created the
// resource, the client looks it up by name and decides from what the server holds. POST of API keys
// and client credentials is retried only after a 429 or a 503, with a Retry-After or without
// (refusals for load: the server did not act on it, as the contract's "Limits" says). Answers too
// large to read (over 64 MiB), certificates that do not verify (from the API or the token endpoint)
// and refused credentials are never retried.
//
// Delays use full jitter: a random duration in [0, min(MaxDelay, BaseDelay·2ⁿ)) before retry n+1,
// unless the answer carries Retry-After (seconds or an HTTP date), which is followed, clamped to
// [0, MaxRetryAfter] (for a refusal for load, see below: it has a floor). A per-client retry budget stops retries when most calls fail (a dead server
// is not hammered), and a call stops at once when its context ends.
//
// Throttling is not failure, and has a floor and a ceiling. A request refused for load (429, or
// 503) is sent again after the answer's Retry-After when that is at least BaseDelay: a server that
// names a sensible delay is followed exactly, never made to wait longer. Below that (a Retry-After of
// 0, negative, a date already past, unreadable or absent) the client waits at least BaseDelay,
// jittered, and doubles the wait with each such refusal of the same call, up to MaxDelay: a random
// duration in [max(BaseDelay, c/2), c) with c = min(MaxDelay, BaseDelay·2ⁿ) at the call's n-th such
// refusal. With the defaults, a server that answers 429 with Retry-After: 0 forever gets at most
// about 4 requests of one call in its first second, then fewer and fewer, down to one every 10 to
// 20 s, about 45 requests before it gives up; a transfer sends nothing else while a refused request
// waits and nothing has succeeded since (see Upload), so that 8 requests at a time refused
// throughout are held to about the same pace (at most 16 in the first second, under 100 in all). A 429, or a 503 with a Retry-After, does not use up MaxAttempts or the retry budget: the call
// waits such refusals out until MaxThrottleWait has passed since its first refusal for load (by Now,
// and never less than the waits themselves add up to), then fails with the last refusal.
//
// Refused tokens are renewed once per token, never in a loop. A 401 drops the token the API refused
// (one fetch for all goroutines refused the same token) and the call is sent again with a new one; a
// 401 to that new token ends the call. A call's first renewal is free; each later one (a 401 after
// some other failure) uses up one of MaxAttempts, so a call renews its token at most MaxAttempts
// times. After the API refused a token, the next fetch begins no sooner than 1 s after the previous
// one began, whatever the number of goroutines: a server refusing every token cannot make the client
// ask the token endpoint, which receives the client secret, more than once a second. A failed token fetch
// (a 5xx or 429 from the token endpoint, a lost connection) is a failed attempt of the call that
// wanted the token, retried after the throttling backoff (at least BaseDelay).
type RetryPolicy struct {
	// MaxAttempts is the most attempts per call, the first included. 0 means 5; 1 disables retries
	// (but for refusals for load the server did not act on, which MaxThrottleWait bounds instead).
	MaxAttempts int
	// BaseDelay is the delay ceiling before the first retry, and the least a call waits after a
	// refusal for load (see above). 0 means 100ms.
	BaseDelay time.Duration
	// MaxDelay caps the delay ceiling. 0 means 20s.
	MaxDelay time.Duration
	// MaxRetryAfter caps a server's Retry-After. 0 means 60s.
	MaxRetryAfter time.Duration
	// MaxThrottleWait is how long one call may go on being refused for load (429, or 503 with
	// Retry-After), counted from its first such refusal; such retries do not count against
	// MaxAttempts. The call gives up, with the last refusal, rather than begin a wait that would end
	// past it. 0 means 10 minutes; a negative value leaves only the call's context to bound it.
	MaxThrottleWait time.Duration
	// Budget is the number of retries the client may make beyond what successes earn back: each
	// retry spends one token (but for a refusal for load the server did not act on, which spends
	// none), each successful call earns BudgetRefill, and the balance never exceeds Budget. 0 means
	// 100; a negative value disables the budget.
	Budget float64
	// BudgetRefill is the tokens each successful call earns. 0 means 0.5 (retries may be sustained
	// at up to half the rate of successful calls).
	BudgetRefill float64
	// Sleep waits for d or until ctx ends, returning the context's error in that case. The client
	// uses it for every wait it makes: retry delays, the spacing of token fetches, and WaitJob's
	// polling. nil means a timer. Tests
	// inject a recorder here to check the chosen delays without spending wall time.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now returns the current time, used to turn a Retry-After HTTP date into a delay, to measure how
	// long a call has been throttled (MaxThrottleWait), to space token fetches and throttle notices,
	// and by WaitJob. nil means time.Now.
	Now func() time.Time
}

// withDefaults fills the zero fields.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 100 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 20 * time.Second
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 60 * time.Second
	}
	if p.MaxThrottleWait == 0 {
		p.MaxThrottleWait = 10 * time.Minute
	}
	if p.Budget == 0 {
		p.Budget = 100
	}
	if p.BudgetRefill <= 0 {
		p.BudgetRefill = 0.5
	}
	if p.Sleep == nil {
		p.Sleep = sleepTimer
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return p
}

// sleepTimer waits for d or until ctx ends.
func sleepTimer(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// fullJitter returns the delay before retry number retry (1 for the first retry): uniform in
// [0, min(max, base·2^(retry-1))). r is a uniform random number in [0, 1).
//
// This is written out rather than taken from github.com/cenkalti/backoff/v5: that package's
// ExponentialBackOff randomises around the interval (interval·(1±factor)), which is not full jitter,
// its timer cannot be injected, and its Retry-After support takes whole seconds only.
func fullJitter(base, max time.Duration, retry int, r float64) time.Duration {
	ceil := base
	for i := 1; i < retry && ceil < max; i++ {
		ceil *= 2
	}
	ceil = min(ceil, max)
	return time.Duration(r * float64(ceil))
}

// throttleBackoff returns the wait after a call's n-th refusal for load (from 1) whose Retry-After
// was below the floor, base: uniform in [max(base, c/2), c) with c = min(max, base·2ⁿ), and never
// less than base (when max is below 2·base, base itself). r is a uniform random number in [0, 1).
func throttleBackoff(base, max time.Duration, n int, r float64) time.Duration {
	hi := base
	for i := 0; i < n && hi < max; i++ {
		hi *= 2
	}
	hi = min(hi, max)
	lo := base
	if hi/2 > lo {
		lo = hi / 2
	}
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r*float64(hi-lo))
}

// budget is a client's retry budget: a token bucket spent by retries and refilled by successes.
type budget struct {
	mu     sync.Mutex
	tokens float64
	max    float64
	refill float64
}

func newBudget(p RetryPolicy) *budget {
	if p.Budget < 0 {
		return nil
	}
	return &budget{tokens: p.Budget, max: p.Budget, refill: p.BudgetRefill}
}

// spend takes one token for a retry, reporting false (and taking nothing) when none is left.
func (b *budget) spend() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// earn credits a successful call.
func (b *budget) earn() {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.tokens = min(b.max, b.tokens+b.refill)
	b.mu.Unlock()
}

// jitter returns a uniform random number in [0, 1).
func jitter() float64 { return rand.Float64() }
