package hostile

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"github.com/data8-toolkit/data8/conformance"
	"github.com/data8-toolkit/data8/internal/redact"
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

// runSuite runs the conformance suite against api with short bounds and a deadline, and returns the
// report and its files' text.
func runSuite(t *testing.T, api *Server, secret string, mod func(*conformance.Config)) (*conformance.Report, string) {
	t.Helper()
	cfg := conformance.Config{
		BaseURL: api.URL, TokenURL: api.TokenURL(), ClientID: ClientID, ClientSecret: secret,
		JobTimeout: time.Second, JobPollInterval: 10 * time.Millisecond, CaseTimeout: 10 * time.Second, RequestTimeout: 5 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := conformance.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := rep.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	return rep, all.String()
}

// TestConformanceServerCannotCensorItsEvidence: a server that names ordinary words as secrets, in
// members called secret, password and token of its ordinary answers, and answers some requests 500,
// does not get those words censored: NO-5XX still names every 500.
func TestConformanceServerCannotCensorItsEvidence(t *testing.T) {
	api := New(t, API(func(w http.ResponseWriter, r *http.Request) {
		// The run's token sent in the query string, under any name (requests the suite makes to see
		// them refused), is the suite's own secret, rightly redacted wherever the request is shown:
		// not a 500 here.
		tokenInQuery := slices.ContainsFunc(slices.Collect(maps.Values(r.URL.Query())), func(v []string) bool { return slices.Contains(v, AccessToken) })
		if r.Method == http.MethodGet && r.URL.Path == "/Dataset" && !tokenInQuery {
			WriteJSON(w, http.StatusInternalServerError, map[string]any{
				"secret": "500", "password": "Internal Server Error", "token": "GET /Dataset", "clientSecret": "application/json",
			})
			return
		}
		WriteJSON(w, http.StatusNotFound, map[string]any{"title": "Not Found", "secret": "Not Found"})
	}))
	rep, files := runSuite(t, api, ClientSecret, nil)
	c := rep.Case("NO-5XX")
	if c == nil || c.Status != conformance.Failed {
		t.Fatalf("NO-5XX is %v; want failed", c)
	}
	failures := strings.Join(c.Failures, "\n")
	if !strings.Contains(failures, "GET /Dataset") || !strings.Contains(failures, "→ 500") {
		t.Errorf("NO-5XX's failures do not show the 500s: %q", failures)
	}
	if i := strings.Index(files, redact.Placeholder); i >= 0 {
		t.Errorf("the report redacts something, though the server named only ordinary words secrets: %q", files[max(0, i-200):i+20])
	}
}

// TestConformanceRedactsSecretsInEveryEncoding: a server that echoes the configured secret (8
// characters, the shortest redacted, with + = : and a space) and its token into every answer, in
// each encoding a report could carry them in, gets none of them into the report.
func TestConformanceRedactsSecretsInEveryEncoding(t *testing.T) {
	const secret = "a+b= :c/"
	echoes := func() []string {
		var out []string
		for _, s := range []string{secret, AccessToken} {
			out = append(out, s, url.QueryEscape(s), url.PathEscape(s),
				base64.StdEncoding.EncodeToString([]byte(s)), base64.URLEncoding.EncodeToString([]byte(ClientID+":"+s)),
				base64.StdEncoding.EncodeToString([]byte("xy"+s+"z")))
		}
		return out
	}()
	api := New(t, API(func(w http.ResponseWriter, r *http.Request) {
		detail := strings.Join(echoes, " | ")
		w.Header().Set("Content-Type", "application/problem+json; echo="+url.QueryEscape(secret))
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"title": "Bad " + secret, "detail": detail, "instance": "/x?s=" + url.QueryEscape(secret), "status": 400,
			"errors": map[string]any{secret: []string{detail}}})
	}))
	rep, files := runSuite(t, api, secret, nil)
	for _, e := range echoes {
		if strings.Contains(files, e) {
			t.Errorf("the report holds %q", e)
		}
	}
	if !strings.Contains(files, redact.Placeholder) {
		t.Error("nothing is redacted: the server's text did not reach the report, and the test would not notice a leak")
	}
	if len(rep.Cases) == 0 {
		t.Fatal("no case")
	}
}

// TestConformanceServerThatNeverAnswers: a server that takes every request (token requests too) and
// never sends an answer's headers does not stall the suite: the run ends after a few requests with
// no answer, and the report says why and lists the cases not run.
func TestConformanceServerThatNeverAnswers(t *testing.T) {
	stop := make(chan struct{})
	api := New(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer close(stop)
	rep, files := runSuite(t, api, ClientSecret, func(c *conformance.Config) { c.RequestTimeout = 50 * time.Millisecond })
	if !strings.Contains(rep.Interrupted, "stopped answering") {
		t.Fatalf("Interrupted = %q; want that the server stopped answering", rep.Interrupted)
	}
	if n := len(rep.NotRun()); n < len(rep.Cases)/2 {
		t.Errorf("%d of %d cases not run; want the run to end early", n, len(rep.Cases))
	}
	if !strings.Contains(files, "## Not run") {
		t.Error("the report does not list the cases not run")
	}
	for _, c := range rep.Cases {
		if c.Status == conformance.Passed || c.Status == conformance.Observed {
			t.Errorf("%s %s against a server that never answered", c.ID, c.Status)
		}
	}
}

// TestConformanceReportCannotBeForged: a server whose answers carry Markdown and HTML in every text
// the report shows (problem titles and details, content types, member names, dataset names) adds
// no link, image, HTML, code span or heading to conformance.md, and breaks none of its tables.
func TestConformanceReportCannotBeForged(t *testing.T) {
	const forge = "| x | y |\n# Forged\n[a](https://evil.example/) ![i](https://evil.example/i.png) <img src=https://evil.example/i.png> `code` https://evil.example www.evil.example"
	api := New(t, API(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json; x=\"<img src=https://evil.example/c.png>|`c`\"")
		if r.Method == http.MethodGet && r.URL.Path == "/Dataset" {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode([]map[string]any{{"name": forge, "input": true, "completed": false, "location": forge, forge: forge}})
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"title": forge, "detail": forge, "status": 400, "errors": map[string]any{forge: []string{forge}}})
	}))
	rep, _ := runSuite(t, api, ClientSecret, nil)
	md := rep.Markdown()
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader([]byte(md)))
	headings := map[string]bool{}
	ids := map[string]bool{}
	for _, c := range rep.Cases {
		ids[c.ID] = true
	}
	src := []byte(md)
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindLink, ast.KindAutoLink, ast.KindImage, ast.KindRawHTML, ast.KindHTMLBlock, ast.KindCodeSpan, ast.KindCodeBlock, ast.KindFencedCodeBlock:
			t.Errorf("the report has a %s: %q", n.Kind(), n.Lines().Value(src))
		case ast.KindHeading:
			var b strings.Builder
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				if tx, ok := c.(*ast.Text); ok {
					b.Write(tx.Segment.Value(src))
				}
			}
			headings[b.String()] = true
		}
		if n.Kind() == extast.KindTableRow && n.Parent() != nil && n.Parent().FirstChild() != nil {
			// The first cell of a row of the case table is a case id.
			if cell := n.FirstChild(); cell != nil {
				var b strings.Builder
				for c := cell.FirstChild(); c != nil; c = c.NextSibling() {
					if tx, ok := c.(*ast.Text); ok {
						b.Write(tx.Segment.Value(src))
					}
				}
				first := strings.ReplaceAll(b.String(), `\`, "")
				if strings.HasPrefix(first, "D") || first == "times" || first == "limits" || ids[first] {
					return ast.WalkContinue, nil
				}
				t.Errorf("a table row starts with %q: a table was broken", first)
			}
		}
		return ast.WalkContinue, nil
	})
	for h := range headings {
		if strings.Contains(h, "Forged") {
			t.Errorf("a heading %q was forged", h)
		}
	}
	if !strings.Contains(md, `\[a\]\(https\:`) {
		t.Error("the server's text did not reach the report: the test would not notice a forgery")
	}
}
