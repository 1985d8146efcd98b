package hostile

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/conformance"
)

// TestConformanceFollowsNoRedirect: the conformance suite, which sends raw requests of its own
// besides the client's, sends neither the secret nor a token to where a hostile server redirects
// it: the token endpoint answers 307 to another host and the API answers 307 to http:// on
// another port, and the other servers receive nothing during the whole run.
func TestConformanceFollowsNoRedirect(t *testing.T) {
	thief := New(t, API(func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, http.StatusOK, []any{}) }))
	mux := http.NewServeMux()
	mux.Handle("POST "+TokenPath, Redirect(http.StatusTemporaryRedirect, thief.OtherHost()))
	mux.Handle("/", Redirect(http.StatusTemporaryRedirect, thief.URL))
	api := New(t, mux)

	rep, err := conformance.Run(context.Background(), conformance.Config{
		BaseURL: api.URL, TokenURL: api.TokenURL(), ClientID: ClientID, ClientSecret: ClientSecret,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range thief.Requests() {
		t.Errorf("the other host received %s %s (Authorization %q, body %q)", r.Method, r.Path, r.Header.Get("Authorization"), r.Body)
	}
	if len(api.Requests()) == 0 {
		t.Fatal("the suite sent nothing")
	}
	js, _ := json.Marshal(rep)
	if strings.Contains(string(js), ClientSecret) {
		t.Error("the report holds the client secret")
	}
}

// TestConformanceReportHoldsNoEchoedSecret: a server that lists client credentials with their secrets
// (and a clientSecret member) and answers everything else with 404 gets none of those secrets, the
// configured secret or its token into the report files, which only their owner can read.
func TestConformanceReportHoldsNoEchoedSecret(t *testing.T) {
	const listed, member = "LISTED-SECRET-0c4d9e21", "MEMBER-SECRET-9a7b3f50"
	api := New(t, API(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/ClientCredential" {
			WriteJSON(w, http.StatusOK, []map[string]any{{
				"clientId": "c1", "description": listed, "clientSecret": member,
				"secrets": []any{map[string]any{"value": listed, "description": "primary"}},
			}})
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]any{"title": "Not found " + listed, "status": 404})
	}))
	rep, err := conformance.Run(context.Background(), conformance.Config{
		BaseURL: api.URL, TokenURL: api.TokenURL(), ClientID: ClientID, ClientSecret: ClientSecret,
		JobTimeout: time.Second, JobPollInterval: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := rep.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	redactions := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		redactions += strings.Count(strings.ToLower(string(b)), "[redacted]")
		for _, s := range []string{listed, member, ClientSecret, AccessToken} {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds %q", filepath.Base(p), s)
			}
		}
		if fi, err := os.Stat(p); err != nil {
			t.Error(err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v; want 0600", filepath.Base(p), fi.Mode())
		}
	}
	if redactions == 0 {
		t.Error("no [redacted] in the report: the server's text did not reach it, so the test would not notice a leak")
	}
}
