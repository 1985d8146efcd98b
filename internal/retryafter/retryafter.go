// Package retryafter reads the Retry-After header of a refusal for load (RFC 9110, section 10.2.3), for
// the client's retry engine and for the conformance suite's own requests.
package retryafter

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Parse reads a Retry-After header, in seconds or as an HTTP date, as a delay from now clamped to
// [0, limit]. ok is false when the header is absent or unreadable.
func Parse(h http.Header, now time.Time, limit time.Duration) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, true
		}
		if secs > int64(limit/time.Second) {
			return limit, true
		}
		return time.Duration(secs) * time.Second, true
	} else if errors.Is(err, strconv.ErrRange) {
		// More seconds than an int64 holds: far beyond any limit.
		if v[0] == '-' {
			return 0, true
		}
		return limit, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), limit), true
}
