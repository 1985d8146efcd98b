package conformance

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/internal/redact"
)

// TestScrubReachesEveryServerText: Report.scrub redacts every text of a report that can carry what
// a server sent or a secret the run learnt late: the report's target, note and interruption; each
// case's failures, observations and skip reason; each deviation's observation, evidence and decision;
// each violation's path, shape and rules; each discovery row's observation, decision, place and
// evidence. The secret is planted literally in some and in its URL-escaped form in others.
func TestScrubReachesEveryServerText(t *testing.T) {
	const secret = "s3cr3t+va/ue=ok"
	lit := "before " + secret + " after"
	esc := "/Dataset/x?sig=" + url.QueryEscape(secret)
	r := &Report{
		Target: esc, TokenURL: esc, Note: lit, Interrupted: lit,
		Cases: []CaseResult{{
			ID: "CASE", Failures: []string{lit}, Observations: []string{lit}, SkipReason: lit,
			Deviations: []Deviation{{Point: "D-1", Observed: lit, Evidence: lit, Decided: lit}},
			Violations: []Violation{{Method: "GET", Path: esc, Shape: lit, Rules: []string{lit}}},
		}},
		Discovery: []PointResult{{Point: "D-1", Observed: lit, Decided: lit, Where: lit, Evidence: []string{lit, esc}}},
	}
	var set redact.Set
	set.Add(secret)
	r.scrub(set.String)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Contains(s, "s3cr3t") {
		t.Errorf("the scrubbed report still holds the secret:\n%s", s)
	}
	if n := strings.Count(string(b), redact.Placeholder); n != 18 {
		t.Errorf("%d texts redacted, want 18:\n%s", n, b)
	}
}

// TestSecretMembers: what the suite learns as secrets from the answers that hand them out: every
// member of a token answer that holds a token (access, refresh, id), at any depth,
// and every string held by a member of a client credential's answer that holds a secret or a
// password (inside arrays and objects too); never the other members.
func TestSecretMembers(t *testing.T) {
	var tokens redact.Set
	addMembers(&tokens, []byte(`{"access_token":"ACCESS-0123456789","refresh_token":"REFRESH-0123456789","id_token":"ID-TOKEN-0123456789",
		"token_type":"Bearer-type-x","scope":"scope-all-things","nested":{"list":[{"access_token":"NESTED-0123456789"}]}}`), tokenMember)
	for _, s := range []string{"ACCESS-0123456789", "REFRESH-0123456789", "ID-TOKEN-0123456789", "NESTED-0123456789"} {
		if !tokens.Has(s) {
			t.Errorf("token answer: %s not learnt as a secret", s)
		}
	}
	for _, s := range []string{"Bearer-type-x", "scope-all-things"} {
		if tokens.Has(s) {
			t.Errorf("token answer: %s learnt as a secret", s)
		}
	}
	var creds redact.Set
	addMembers(&creds, []byte(`{"clientId":"client-id-12345","secrets":[{"value":"LISTED-0123456789","description":"primary key"}],
		"client_secret":"SNAKE-0123456789","Password":"PASSWORD-0123456789","description":"a description"}`), secretMember)
	for _, s := range []string{"LISTED-0123456789", "primary key", "SNAKE-0123456789", "PASSWORD-0123456789"} {
		if !creds.Has(s) {
			t.Errorf("credential answer: %s not learnt as a secret", s)
		}
	}
	for _, s := range []string{"client-id-12345", "a description"} {
		if creds.Has(s) {
			t.Errorf("credential answer: %s learnt as a secret", s)
		}
	}
}
