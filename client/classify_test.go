package client

import (
	"fmt"
	"strings"
	"testing"
)

// String spells a decision the way TestClassify's table does.
func (d decision) String() string {
	var parts []string
	switch d.verdict {
	case giveUp:
		parts = append(parts, "give up")
	case retry:
		parts = append(parts, "retry")
	case renew:
		parts = append(parts, "renew")
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{d.attempt, "attempt"}, {d.throttled, "throttled"}, {d.ambiguous, "ambiguous"}, {d.resolve, "resolve"}} {
		if f.on {
			parts = append(parts, f.name)
		}
	}
	return strings.Join(parts, ", ")
}

// TestClassify is the retry decision for every status and failure, for every kind of call: a GET,
// PUT or PATCH of a block (safe, 500 retried), a DELETE (safe, 500 not retried), a POST that creates
// a named resource (looked up after an ambiguous failure), and a POST that creates an unnamed one.
func TestClassify(t *testing.T) {
	kinds := []struct {
		name string
		k    call
	}{
		{"GET", call{retry500: true}},
		{"DELETE", call{}},
		{"POST named", call{repeat: repeatLookup}},
		{"POST unnamed", call{repeat: repeatNever}},
	}
	const (
		never       = "give up"
		retried     = "retry, attempt, ambiguous"
		lookedUp    = "retry, attempt, ambiguous, resolve"
		lostUnnamed = "give up, ambiguous"
		throttled   = "retry, throttled"
	)
	cases := []struct {
		status     int
		f          failure
		retryAfter bool
		maybeDone  bool
		want       [4]string // GET, DELETE, POST named, POST unnamed
	}{
		{status: 400, want: [4]string{never, never, never, never}},
		{status: 400, maybeDone: true, want: [4]string{"give up, resolve", "give up, resolve", "give up, resolve", "give up, resolve"}},
		{status: 401, want: [4]string{"renew", "renew", "renew", "renew"}},
		{status: 401, maybeDone: true, want: [4]string{"renew", "renew", "renew", "renew"}},
		{status: 403, want: [4]string{never, never, never, never}},
		{status: 403, maybeDone: true, want: [4]string{never, never, never, never}},
		{status: 404, want: [4]string{never, never, never, never}},
		{status: 404, maybeDone: true, want: [4]string{"give up, resolve", "give up, resolve", "give up, resolve", "give up, resolve"}},
		{status: 409, want: [4]string{never, never, never, never}},
		{status: 409, maybeDone: true, want: [4]string{"give up, resolve", "give up, resolve", "give up, resolve", "give up, resolve"}},
		{status: 422, maybeDone: true, want: [4]string{never, never, never, never}},
		{status: 429, want: [4]string{throttled, throttled, throttled, throttled}},
		{status: 429, retryAfter: true, want: [4]string{throttled, throttled, throttled, throttled}},
		{status: 429, maybeDone: true, want: [4]string{throttled, throttled, throttled, throttled}},
		{status: 500, want: [4]string{retried, lostUnnamed, "give up, ambiguous, resolve", lostUnnamed}},
		{status: 501, want: [4]string{lostUnnamed, lostUnnamed, "give up, ambiguous, resolve", lostUnnamed}},
		{status: 502, want: [4]string{retried, retried, lookedUp, lostUnnamed}},
		{status: 503, want: [4]string{"retry, attempt, throttled, ambiguous", "retry, attempt, throttled, ambiguous", "retry, attempt, throttled, ambiguous, resolve", "retry, attempt, throttled, ambiguous"}},
		{status: 503, retryAfter: true, want: [4]string{throttled, throttled, throttled, throttled}},
		{status: 504, want: [4]string{retried, retried, lookedUp, lostUnnamed}},
		{status: 505, want: [4]string{lostUnnamed, lostUnnamed, "give up, ambiguous, resolve", lostUnnamed}},
		{status: statusNoAnswer, f: lost, want: [4]string{retried, retried, lookedUp, lostUnnamed}},
		{status: statusNoAnswer, f: lostForGood, want: [4]string{never, never, never, never}},
		{status: 200, f: oversized, want: [4]string{never, never, never, never}},
		{status: 503, f: oversized, want: [4]string{never, never, never, never}},
		{status: statusNoToken, f: noToken, want: [4]string{"retry, attempt", "retry, attempt", "retry, attempt", "retry, attempt"}},
		{status: statusNoToken, f: noTokenForGood, want: [4]string{never, never, never, never}},
	}
	for _, tc := range cases {
		for i, kind := range kinds {
			name := fmt.Sprintf("%s/%d/failure %d/retry-after %v/maybe done %v", kind.name, tc.status, tc.f, tc.retryAfter, tc.maybeDone)
			if got := classify(tc.status, tc.f, tc.retryAfter, kind.k, tc.maybeDone).String(); got != tc.want[i] {
				t.Errorf("%s: %q, want %q", name, got, tc.want[i])
			}
		}
	}
}
