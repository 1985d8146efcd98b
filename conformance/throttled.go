package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/data8-toolkit/data8/internal/retryafter"
)

// The bounds of the suite's waits for a request refused for load (429, or 503): rate limits are not
// documented, and a client honours 429 and Retry-After when they come (docs/contract.md, "Limits and
// behaviours a client relies on"). Such an answer says the request was not handled: the suite waits
// and sends it again, and judges the answer that is not a refusal for load. It follows Retry-After,
// never sooner than throttleFloor after the refusal (a Retry-After of 0 or none is no licence to
// hammer), and doubles the wait after each refusal of the same request with no Retry-After above the
// floor, up to throttleMaxBackoff. A request refused throttleResends times more, or whose next wait
// would take its waiting past throttleMaxWait, is judged with its last refusal.
const (
	throttleFloor      = 100 * time.Millisecond
	throttleMaxBackoff = 5 * time.Second
	throttleResends    = 6
	throttleMaxWait    = time.Minute
)

// refusedForLoad reports whether an answer refuses a request for load: 429 Too Many Requests, or 503
// Service Unavailable.
func refusedForLoad(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// do sends one request of the suite's own (a raw request, a token request) through the checking
// client, and sends it again, after a wait, while it is refused for load (see throttleFloor). It
// returns the last answer; the answers of the refusals are checked and recorded as any other.
func (c *check) do(req *http.Request) (*http.Response, error) {
	return resendRefused(req, c.hc.Do, func(resp *http.Response) bool { return refusedForLoad(resp.StatusCode) }, c.traffic)
}

// resendRefused sends req with send, and sends it again, after a wait, while refused says its answer
// refuses it for load: as Retry-After says, never sooner than throttleFloor, doubling up to
// throttleMaxBackoff when there is no longer one, at most throttleResends times and throttleMaxWait in
// all. It returns the last answer, counting the resends and a request given up in traffic.
func resendRefused(req *http.Request, send func(*http.Request) (*http.Response, error), refused func(*http.Response) bool, traffic *traffic) (*http.Response, error) {
	var waited time.Duration
	backoff := throttleFloor
	for resends := 0; ; resends++ {
		resp, err := send(req)
		if err != nil || !refused(resp) {
			return resp, err
		}
		wait, ok := retryafter.Parse(resp.Header, time.Now(), throttleMaxWait+time.Second)
		if !ok || wait < throttleFloor {
			wait, backoff = backoff, min(2*backoff, throttleMaxBackoff)
		}
		if resends == throttleResends || waited+wait > throttleMaxWait {
			traffic.gaveUp(resp.StatusCode)
			return resp, nil
		}
		again, rerr := rewound(req)
		if rerr != nil {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		traffic.resent()
		if err := sleepCtx(req.Context(), wait); err != nil {
			return nil, fmt.Errorf("waiting %v to send it again after %d %s: %w", wait, resp.StatusCode, http.StatusText(resp.StatusCode), err)
		}
		waited += wait
		req = again
	}
}

// rewound returns a copy of req to send again, with its body from the start.
func rewound(req *http.Request) (*http.Request, error) {
	again := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return again, nil
	}
	if req.GetBody == nil {
		return nil, errors.New("the request's body cannot be sent again")
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	again.Body = body
	return again, nil
}

// sleepCtx waits d or until ctx ends, and returns the context's error then.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// busyResender sends a request of the project's client again, after a wait, while it is answered
// 503 without a Retry-After, as the suite's own requests are (see check.do): a 503 says the request
// was not handled, whatever it carried (docs/contract.md, "Limits"), with a Retry-After or without.
// The client waits out a 429 and a 503 with Retry-After itself; a 503 without one it may take for a
// failure after the request was acted on, and a create it cannot look up by name (an API key, an
// OAuth client) would end there.
type busyResender struct {
	base    http.RoundTripper
	traffic *traffic
}

func (t *busyResender) RoundTrip(req *http.Request) (*http.Response, error) {
	return resendRefused(req, t.base.RoundTrip, func(resp *http.Response) bool {
		return resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == ""
	}, t.traffic)
}
