package conformance_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/data8-toolkit/data8/conformance"
	"github.com/data8-toolkit/data8/data8test"
)

// TestSecretsNeverWritten runs the suite against a server that echoes secrets wherever it can: it
// lists client credentials with their secrets and a clientSecret member, and puts the listed
// secret, the client secret and the bearer token in every dataset's location URL (which the suite
// prints). The listing fails CLIENTCRED-LIST-NO-SECRETS (documented: secrets is always null in the
// list), but none of those strings may reach conformance.md, conformance.json,
// observed.overlay.yaml or the log, and the three files are readable by their owner only.
func TestSecretsNeverWritten(t *testing.T) {
	const listed = "LISTED-SECRET-7f3a9c2e"
	const member = "MEMBER-SECRET-51d0b8aa"
	srv := data8test.NewServer(data8test.WithJobDuration(jobDuration))
	defer srv.Close()
	var mu sync.Mutex
	var tokens []string
	front := httptest.NewServer(rewriting(srv.Handler(), func(r *http.Request, rec *httptest.ResponseRecorder) {
		switch {
		case r.URL.Path == "/connect/token" && rec.Code == http.StatusOK:
			var tb struct {
				AccessToken string `json:"access_token"`
			}
			if json.Unmarshal(rec.Body.Bytes(), &tb) == nil && tb.AccessToken != "" {
				mu.Lock()
				tokens = append(tokens, tb.AccessToken)
				mu.Unlock()
			}
		case r.Method == http.MethodGet && r.URL.Path == "/ClientCredential" && rec.Code == http.StatusOK:
			var list []map[string]any
			if json.Unmarshal(rec.Body.Bytes(), &list) == nil {
				for _, c := range list {
					c["secrets"] = []any{map[string]any{"value": listed, "description": "primary"}}
					c["clientSecret"] = member
				}
				b, _ := json.Marshal(list)
				rec.Body = bytes.NewBuffer(b)
			}
		case r.Method == http.MethodGet && r.URL.Path == "/Dataset" && rec.Code == http.StatusOK:
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			var list []map[string]any
			if json.Unmarshal(rec.Body.Bytes(), &list) == nil {
				for _, d := range list {
					d["location"] = fmt.Sprintf("%v?sig=%s&cs=%s&tok=%s&m=%s", d["location"], listed, srv.ClientSecret, tok, member)
				}
				b, _ := json.Marshal(list)
				rec.Body = bytes.NewBuffer(b)
			}
		}
	}))
	defer front.Close()

	var log bytes.Buffer
	var logMu sync.Mutex
	cfg := fastConfig(front.URL, front.URL+"/connect/token", srv.ClientID, srv.ClientSecret)
	cfg.Logf = func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintf(&log, format+"\n", args...)
	}
	// CLIENTCRED-LIST runs after DATASET-LIST-LOCATION, so the listed secret is learnt only after
	// the location that holds it was observed: the report is scrubbed again at the end.
	rep := runConfig(t, cfg)
	if c := rep.Case("CLIENTCRED-LIST-NO-SECRETS"); c.Status != conformance.Failed {
		t.Errorf("CLIENTCRED-LIST-NO-SECRETS is %s against a server listing secrets; want failed", c.Status)
	}
	if c := rep.Case("DATASET-LIST-LOCATION"); !strings.Contains(strings.Join(c.Observations, " "), "[REDACTED]") {
		t.Errorf("DATASET-LIST-LOCATION observations %q do not show the location, redacted: the test would not notice a leak", c.Observations)
	}

	dir := filepath.Join(t.TempDir(), "report")
	paths, err := rep.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	secrets := append([]string{listed, member, srv.ClientSecret}, tokens...)
	mu.Unlock()
	if len(tokens) == 0 {
		t.Fatal("no token was issued")
	}
	texts := map[string]string{"the log": log.String(), "Markdown()": rep.Markdown()}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		texts[filepath.Base(p)] = string(b)
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %v; want 0600", filepath.Base(p), mode)
		}
	}
	for where, text := range texts {
		for i, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds secret #%d (0 listed, 1 clientSecret member, 2 client secret, 3… tokens)", where, i)
			}
		}
	}

	// An existing report file that others could read is tightened when it is rewritten.
	md := filepath.Join(dir, conformance.MarkdownFile)
	if err := os.Chmod(md, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := rep.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(md); fi.Mode().Perm() != 0o600 {
		t.Errorf("a rewritten %s has mode %v; want 0600", conformance.MarkdownFile, fi.Mode().Perm())
	}
}
