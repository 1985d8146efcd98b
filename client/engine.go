package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/retryafter"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// repeat says how a call may be repeated after a failure.
type repeat int

const (
	// repeatSafe: the call may be sent again whatever happened (GET, PUT, PATCH of a block, DELETE).
	repeatSafe repeat = iota
	// repeatLookup: the call creates a named resource; after a failure that may have created it,
	// resolve looks it up before anything is sent again (POST /Dataset, POST /Job).
	repeatLookup
	// repeatNever: the call creates an unnamed resource; only a refusal for load, a 429 or a 503 with
	// Retry-After (the contract: such a request was not handled), is sent again.
	repeatNever
)

// call describes one API operation for do.
type call struct {
	op       string // operationId, for errors and logs
	repeat   repeat
	retry500 bool // a 500 is retried (GET, PUT, PATCH of a block)
	// resolve, when set, is consulted after a failure that may have taken effect on the server (a
	// connection error or a 5xx) is followed by an answer that makes no sense unless it did (a 4xx),
	// and for repeatLookup calls after every such failure. done reports that the server already
	// holds what the call wanted; body is then the call's result. err is a definite failure.
	resolve func(ctx context.Context) (body []byte, done bool, err error)
	// send makes one attempt through the generated client.
	send func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error)
	// window, when set, is the transfer's adaptive limit on requests in flight: each attempt takes
	// a slot first and gives it back with its outcome (see window).
	window *window
	// into, when set, is a buffer the caller no longer needs: a 2xx answer's body is read into it
	// when it is large enough (an answer that is not 2xx never is, as an error may keep its body).
	into []byte
}

// failure says what kind of failure an attempt met, beside its status code.
type failure int

const (
	answered       failure = iota // the server answered; the status says the rest
	lost                          // failed in transport: it may or may not have reached the server
	lostForGood                   // failed in transport before anything was sent, and would again (a certificate that does not verify)
	oversized                     // the answer is larger than the client reads
	noToken                       // no token could be had, for now: nothing was sent
	noTokenForGood                // no token could be had, and another try will not change that
)

// verdict is what do does after a failed attempt.
type verdict int

const (
	giveUp verdict = iota
	retry
	renew // a refused token: renew it (once per call) and send again, else give up
)

// decision is classify's answer.
type decision struct {
	verdict verdict
	// attempt: the retry uses up one of RetryPolicy.MaxAttempts and a token of the retry budget.
	// A refusal for load that the server did not act on (429, or 503 with Retry-After) does not:
	// its waits count against RetryPolicy.MaxThrottleWait instead.
	attempt bool
	// throttled: the server refused the request for load (429, 503). A transfer's window shrinks.
	throttled bool
	// ambiguous: the server may have acted on the request.
	ambiguous bool
	// resolve: before anything else, ask the call's resolve whether the server holds its result.
	resolve bool
}

// classify decides what follows a failed attempt of k, from the answer's status (or the failure
// when there was none), whether it carried a readable Retry-After, and whether an earlier attempt
// may have taken effect (maybeDone). It is the whole retry decision: do only carries it out.
func classify(status int, f failure, retryAfter bool, k call, maybeDone bool) decision {
	var d decision
	switch f {
	case lost:
		d = decision{verdict: retry, attempt: true, ambiguous: true}
	case noToken:
		d = decision{verdict: retry, attempt: true}
	case lostForGood, oversized, noTokenForGood:
		return decision{verdict: giveUp}
	case answered:
		switch {
		case status == http.StatusUnauthorized:
			d.verdict = renew
		case status == http.StatusTooManyRequests:
			d = decision{verdict: retry, throttled: forLoad(status, f)}
		case status == http.StatusServiceUnavailable:
			// With Retry-After, a refusal for load, which the server did not act on (the contract's
			// "Limits"); without it, the server may have failed after acting on the request.
			d = decision{verdict: retry, attempt: !retryAfter, throttled: forLoad(status, f), ambiguous: !retryAfter}
		case status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
			d = decision{verdict: retry, attempt: true, ambiguous: true}
		case status == http.StatusInternalServerError && k.retry500 && k.repeat == repeatSafe:
			d = decision{verdict: retry, attempt: true, ambiguous: true}
		case status >= 500:
			d.ambiguous = true
		case status == http.StatusBadRequest || status == http.StatusNotFound || status == http.StatusConflict:
			// Makes no sense if an earlier attempt took effect: the server may hold the result.
			d.resolve = maybeDone
		}
	}
	if d.ambiguous && k.repeat == repeatLookup {
		d.resolve = true
	}
	if k.repeat == repeatNever && d.verdict == retry && !forLoad(status, f) && f != noToken {
		d.verdict, d.attempt = giveUp, false // the server may have acted on it: only a refusal for load (429, 503) says it did not
	}
	return d
}

// forLoad reports an answer refusing a request for load: 429 Too Many Requests, or 503 Service
// Unavailable.
func forLoad(status int, f failure) bool {
	return f == answered && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable)
}

// tries is what do knows of a call's attempts so far.
type tries struct {
	attempts  int           // attempts counted against MaxAttempts, the current one included
	throttled time.Time     // when the first refusal for load came (by RetryPolicy.Now); zero: none yet
	waited    time.Duration // time waited after refusals for load that were not attempts
	floored   int           // refusals for load whose wait was the floor's backoff, not the Retry-After
	held      bool          // the last attempt was refused for load and holds the call's window (see outcome.pause)
	renewals  int           // tokens renewed after a 401
	refreshed bool          // the attempt was sent after a 401 renewed the token: another 401 gives up
	maybeDone bool          // an earlier attempt may have taken effect on the server
	lastErr   error
}

// do runs a call under the client's retry policy and returns the body of its 2xx answer. Success and
// failure are decided by the status code alone; what follows a failure, by classify.
func (c *Client) do(ctx context.Context, k call) ([]byte, error) {
	t := tries{attempts: 1}
	for {
		if err := context.Cause(ctx); err != nil {
			if t.held {
				k.window.endPause()
			}
			return nil, ctxError(k.op, err, t.lastErr)
		}
		body, again, err := c.try(ctx, k, &t)
		if !again {
			return body, err
		}
	}
}

// try makes one attempt of k, under its window when it has one, and carries out classify's decision:
// it returns the call's result, or again (after any wait) for another attempt.
func (c *Client) try(ctx context.Context, k call, t *tries) (body []byte, again bool, err error) {
	var a answer
	if k.window != nil {
		var slot ticket
		var err error
		switch {
		case t.held:
			// The attempt before was refused for load and has waited: its hold of the window ends,
			// and it goes first.
			t.held = false
			slot, err = k.window.resume(ctx)
		case t.lastErr != nil:
			slot, err = k.window.retry(ctx) // another attempt goes first too
		default:
			slot, err = k.window.acquire(ctx)
		}
		if err != nil {
			return nil, false, ctxError(k.op, err, t.lastErr)
		}
		kind, released := outcomeFailed, false
		release := func(pause time.Duration) {
			if released {
				return
			}
			released = true
			if from, to := k.window.release(slot, outcome{kind: kind, pause: pause}); to < from {
				c.logger.Info("data8: fewer requests at once: the server refused one for load", "op", k.op,
					"status", a.status, "at_once", to, "was", from, "retry_after", termsafe.Trim(c.secrets.String(a.header.Get("Retry-After")), 100))
			}
		}
		defer release(0)
		a = c.attempt(ctx, k)
		switch {
		case a.err == nil:
			kind = outcomeDone
		case forLoad(a.status, a.fail):
			kind = outcomeRefused
		}
		return c.decide(ctx, k, t, a, func(pause time.Duration) bool {
			release(pause)
			return kind == outcomeRefused && pause > 0
		})
	}
	a = c.attempt(ctx, k)
	return c.decide(ctx, k, t, a, nil)
}

// decide carries out classify's decision on attempt a. hold, when set, gives back the attempt's
// window slot just before a wait of pause, reporting whether the attempt holds the window while it
// waits (a refusal for load: see outcome.pause). The hold ends with the wait when the call ends
// then, and otherwise with the next attempt's resume (t.held).
func (c *Client) decide(ctx context.Context, k call, t *tries, a answer, hold func(pause time.Duration) bool) (body []byte, again bool, err error) {
	if a.err == nil {
		c.budget.earn()
		return a.body, false, nil
	}
	if ctxErr := context.Cause(ctx); ctxErr != nil {
		return nil, false, ctxError(k.op, ctxErr, t.lastErr)
	}
	t.lastErr = a.err
	delay, hasRetryAfter := retryafter.Parse(a.header, c.policy.Now(), c.policy.MaxRetryAfter)
	d := classify(a.status, a.fail, hasRetryAfter, k, t.maybeDone)

	if d.verdict == renew {
		return c.renew(k, t, a)
	}
	if a.fail != noToken {
		// The retry after a renewal met another failure: a later 401 refuses a token anew (it may
		// have expired, or been revoked, while the call waited) and renews it again, using up an
		// attempt (see renew), so renewals stay bounded.
		t.refreshed = false
	}
	if d.resolve && k.resolve != nil {
		rb, done, rerr := k.resolve(ctx)
		if rerr != nil {
			return nil, false, rerr
		}
		if done {
			c.budget.earn()
			return rb, false, nil
		}
	}
	t.maybeDone = t.maybeDone || d.ambiguous
	if d.verdict != retry {
		return nil, false, a.err
	}

	attempt := t.attempts // the failed attempt's number, for the log
	now := c.policy.Now()
	var throttledFor time.Duration // how long the call has been refused for load
	if d.throttled {
		if t.throttled.IsZero() {
			t.throttled = now
		}
		// By the policy's clock, and never less than the waits themselves (a Sleep that does not
		// sleep cannot make the ceiling below endless).
		throttledFor = max(now.Sub(t.throttled), t.waited)
		// The floor: a Retry-After below BaseDelay (0, negative, a date past), or none, is not
		// followed; the call backs off from BaseDelay instead, doubling with each such refusal.
		if !hasRetryAfter || delay < c.policy.BaseDelay {
			t.floored++
			delay = throttleBackoff(c.policy.BaseDelay, c.policy.MaxDelay, t.floored, jitter())
		}
	}
	if d.attempt {
		if t.attempts >= c.policy.MaxAttempts {
			c.logger.Debug("data8: giving up", "op", k.op, "attempts", t.attempts, "error", a.err.Error())
			return nil, false, a.err
		}
		if !c.budget.spend() {
			c.logger.Warn("data8: retry budget exhausted; not retrying", "op", k.op, "error", a.err.Error())
			return nil, false, a.err
		}
		switch {
		case a.fail == noToken:
			// The token endpoint, which receives the client secret, is asked again no sooner than
			// the floor of a refusal for load.
			delay = throttleBackoff(c.policy.BaseDelay, c.policy.MaxDelay, t.attempts, jitter())
		case !hasRetryAfter && !d.throttled:
			delay = fullJitter(c.policy.BaseDelay, c.policy.MaxDelay, t.attempts, jitter())
		}
		t.attempts++
	} else {
		// The ceiling: the time since the call's first refusal for load.
		if limit := c.policy.MaxThrottleWait; limit >= 0 && throttledFor+delay > limit {
			c.logger.Warn("data8: still throttled; giving up", "op", k.op, "waited", throttledFor, "error", a.err.Error())
			return nil, false, fmt.Errorf("%w (throttled: waited %v in all, and the policy's MaxThrottleWait is %v)", a.err, throttledFor.Round(time.Millisecond), limit)
		}
		t.waited += delay
	}
	if d.throttled {
		c.notice.send(now, ThrottleNotice{
			Operation: k.op, StatusCode: a.status, Wait: delay,
			Throttled: throttledFor, GiveUpAfter: c.policy.MaxThrottleWait,
		})
	}
	held := hold != nil && hold(delay)
	c.logger.Debug("data8: retrying", "op", k.op, "attempt", attempt, "throttled", d.throttled && !d.attempt,
		"status", a.status, "delay", delay, "error", a.err.Error())
	if err := c.policy.Sleep(ctx, delay); err != nil {
		if held {
			k.window.endPause()
		}
		return nil, false, ctxError(k.op, err, t.lastErr)
	}
	t.held = held
	return nil, true, nil
}

// renew carries out a renew verdict: the API refused the token of attempt a. The token is renewed
// once per refusal of a token this call sent (a 401 to the token a renewal brought ends the call),
// and renewals after the call's first use up attempts, so that a server that refuses every token, or
// answers 401 between other failures, cannot make the client fetch tokens in a loop.
func (c *Client) renew(k call, t *tries, a answer) (body []byte, again bool, err error) {
	if t.refreshed {
		return nil, false, a.err
	}
	if t.renewals > 0 {
		if t.attempts >= c.policy.MaxAttempts {
			c.logger.Debug("data8: giving up", "op", k.op, "attempts", t.attempts, "renewals", t.renewals, "error", a.err.Error())
			return nil, false, a.err
		}
		t.attempts++
	}
	if !c.auth.invalidate(a.gen) {
		return nil, false, a.err
	}
	t.renewals++
	t.refreshed = true
	c.logger.Debug("data8: token refused; renewing", "op", k.op)
	return nil, true, nil
}

// answer is what one attempt got.
type answer struct {
	status int         // the HTTP status; statusNoAnswer or statusNoToken when there was none
	fail   failure     // what kind of failure it met, if any
	header http.Header // nil when there was no answer
	body   []byte
	gen    uint64 // the generation of the token used
	err    error  // nil for a 2xx answer
}

// Pseudo status codes of an attempt that got no answer.
const (
	statusNoAnswer = 0  // the request failed in transport: it may or may not have reached the server
	statusNoToken  = -1 // no token could be had: nothing was sent
)

// attempt sends the call once.
func (c *Client) attempt(ctx context.Context, k call) answer {
	tok, gen, err := c.auth.token(ctx)
	if err != nil {
		f := noTokenForGood
		if te := (*tokenError)(nil); errors.As(err, &te) && te.temporary() {
			f = noToken
		}
		return answer{status: statusNoToken, fail: f, err: err}
	}
	resp, err := k.send(ctx, func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("User-Agent", c.userAgent)
		req.Header.Set("Accept", "application/json, application/problem+json")
		return nil
	})
	if err != nil {
		f := lost
		if permanentTransportError(err) {
			f = lostForGood
		}
		return answer{status: statusNoAnswer, fail: f, gen: gen, err: fmt.Errorf("data8: %s: %w", k.op, c.scrub(err))}
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header, gen: gen}
	var into []byte
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		into = k.into
	}
	a.body, err = readBody(resp, into)
	switch {
	case errors.Is(err, errTooLarge):
		a.fail, a.body = oversized, nil
		a.err = fmt.Errorf("data8: %s: %d %s: %w", k.op, resp.StatusCode, http.StatusText(resp.StatusCode), err)
	case err != nil:
		a.status, a.fail, a.body = statusNoAnswer, lost, nil
		a.err = fmt.Errorf("data8: %s: reading answer: %w", k.op, err)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		a.err = newAPIError(k.op, resp.StatusCode, resp.Header, a.body, c.secrets)
	}
	return a
}

// errTooLarge is readBody's refusal of an answer over maxResponseBody.
var errTooLarge = fmt.Errorf("the answer is larger than %d MiB, the most the client reads from one answer; not retried", maxResponseBody>>20)

// readBodyPresize bounds the buffer readBody allocates ahead from an answer's Content-Length: a
// server's claim alone cannot make the client allocate more; a larger answer grows the buffer as it
// arrives.
const readBodyPresize = 1 << 20

// readBody reads an answer's body, refusing one larger than maxResponseBody. It reads into buf when
// buf is large enough for the body (as far as Content-Length tells), into a new slice sized from
// Content-Length otherwise (up to readBodyPresize), so that a body is read with one allocation at
// most, not a series of growing copies; a larger answer, or one without Content-Length, grows the
// buffer by doubling.
func readBody(resp *http.Response, buf []byte) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n >= int64(cap(buf)) {
		// An eighth more, so that the buffer, reused, holds the next page too (pages differ a little
		// in size); and 1: the read that meets the end needs room.
		n = min(n, readBodyPresize)
		buf = make([]byte, 0, n+n/8+1)
	}
	buf = buf[:0]
	r := io.LimitReader(resp.Body, maxResponseBody+1)
	for {
		if len(buf) == cap(buf) {
			// Double: append's growth, a quarter at a time for large slices, would allocate about
			// five times a large answer's size on the way; doubling, twice.
			grown := make([]byte, len(buf), max(2*cap(buf), 4096))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(buf) > maxResponseBody {
		return nil, errTooLarge
	}
	return buf, nil
}

// permanentTransportError reports transport failures that another attempt cannot mend: a
// certificate that does not verify, a malformed request, a refused redirect.
func permanentTransportError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) ||
		errors.Is(err, ErrRedirect)
}

// ctxError reports that the context ended, with the last failure if there was one.
func ctxError(op string, ctxErr, last error) error {
	if last != nil {
		return fmt.Errorf("data8: %s: %w (last failure: %v)", op, ctxErr, last)
	}
	return fmt.Errorf("data8: %s: %w", op, ctxErr)
}

// scrub returns err, or, when its text holds a secret the client knows (the client secret, a token
// it was issued: a server may put one in a redirect's host name, say), an error with that text
// redacted that matches what err matches but wraps nothing, so that no rendering of it can show the
// original.
func (c *Client) scrub(err error) error {
	text := err.Error()
	if clean := c.secrets.String(text); clean != text {
		return &redactedError{text: clean, err: err}
	}
	return err
}

// redactedError is an error whose text was redacted (see Client.scrub).
type redactedError struct {
	text string
	err  error
}

func (e *redactedError) Error() string { return e.text }

// Is reports whether the original error matches target.
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }

// notifier calls a WithThrottleNotice function, at most once per every across the client, and
// never from two goroutines at once.
type notifier struct {
	every  time.Duration
	notify func(ThrottleNotice)

	mu   sync.Mutex
	last time.Time // when notify was last called; zero: never
}

// send calls notify with n unless it was called less than every ago (by now).
func (nt *notifier) send(now time.Time, n ThrottleNotice) {
	if nt == nil {
		return
	}
	nt.mu.Lock()
	defer nt.mu.Unlock()
	if !nt.last.IsZero() && now.Sub(nt.last) < nt.every {
		return
	}
	nt.last = now
	nt.notify(n)
}
