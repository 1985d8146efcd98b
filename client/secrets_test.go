package client_test

// Secret hygiene: the client secret and the bearer tokens never appear in error
// strings, log records or panics; plain http:// is refused beyond loopback; no InsecureSkipVerify
// outside tests; data8test refuses expired and unknown tokens with 401 and WWW-Authenticate: Bearer.
// The CLI's side (--verbose output, a wrong secret) is tested by TestSecretNeverPrinted in
// cmd/data8/internal/cli.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/opid"
)

// hygNoSleep is a RetryPolicy.Sleep that does not wait.
func hygNoSleep(ctx context.Context, _ time.Duration) error { return context.Cause(ctx) }

// hygColumns are the columns of hygRecords.
var hygColumns = []string{"id", "name", "n"}

// hygRecords yields n records {"id": "<i>", "name": "name <i>", "n": i}.
func hygRecords(n int) iter.Seq2[client.Record, error] {
	return func(yield func(client.Record, error) bool) {
		for i := range n {
			if !yield(client.Record{"id": strconv.Itoa(i), "name": fmt.Sprintf("name %d", i), "n": i}, nil) {
				return
			}
		}
	}
}

// hygLog is a slog.Handler that renders every record, at every level, with all its attributes
// (those added by With and WithGroup included, values resolved and printed with %+v), into one
// shared buffer.
type hygLog struct {
	mu     *sync.Mutex
	buf    *bytes.Buffer
	attrs  []slog.Attr
	groups []string
}

func newHygLog() *hygLog { return &hygLog{mu: &sync.Mutex{}, buf: &bytes.Buffer{}} }

func (h *hygLog) Enabled(context.Context, slog.Level) bool { return true }

func (h *hygLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	prefix := strings.Join(h.groups, ".")
	for _, a := range h.attrs {
		hygAttr(&b, prefix, a)
	}
	r.Attrs(func(a slog.Attr) bool {
		hygAttr(&b, prefix, a)
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf.WriteString(b.String())
	h.buf.WriteByte('\n')
	return nil
}

func hygAttr(b *strings.Builder, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	key := a.Key
	if prefix != "" {
		key = prefix + "." + key
	}
	if v.Kind() == slog.KindGroup {
		for _, g := range v.Group() {
			hygAttr(b, key, g)
		}
		return
	}
	if v.Kind() == slog.KindAny {
		fmt.Fprintf(b, " %s=%+v", key, v.Any())
		return
	}
	fmt.Fprintf(b, " %s=%s", key, v.String())
}

func (h *hygLog) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(slices.Clip(h.attrs), as...)
	return &c
}

func (h *hygLog) WithGroup(name string) slog.Handler {
	c := *h
	c.groups = append(slices.Clip(h.groups), name)
	return &c
}

func (h *hygLog) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.buf.String()
}

// hygTokens is a transport that remembers every bearer token the client sends.
type hygTokens struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen map[string]bool
}

func (h *hygTokens) RoundTrip(req *http.Request) (*http.Response, error) {
	if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
		h.mu.Lock()
		h.seen[tok] = true
		h.mu.Unlock()
	}
	return h.base.RoundTrip(req)
}

func (h *hygTokens) tokens() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for t := range h.seen {
		out = append(out, t)
	}
	return out
}

// hygErrTexts renders an error every way a program might print it.
func hygErrTexts(err error) []string {
	texts := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	for e := err; e != nil; e = errors.Unwrap(e) {
		texts = append(texts, fmt.Sprintf("%#v", e))
	}
	var ae *client.APIError
	if errors.As(err, &ae) {
		texts = append(texts, fmt.Sprintf("%+v", ae.Problem), fmt.Sprint(ae.FieldErrors))
	}
	return texts
}

// hygCheck fails when any secret appears in any text.
func hygCheck(t *testing.T, where string, texts []string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			t.Fatal("checking for an empty secret")
		}
		for _, text := range texts {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the secret %.6s…: %q", where, s, text)
			}
		}
	}
}

// TestSecretsNeverLeakAgainstData8test drives every kind of call through a client at Debug level
// against data8test, with faults on every operation (so that retries are logged with their errors),
// tokens expired under it (so that 401s and renewals are logged) and calls that fail for good
// (404, 400, an upload refused locally): neither the client secret nor any bearer token the client
// sent appears in an error, in any rendering of it, or in a log record.
func TestSecretsNeverLeakAgainstData8test(t *testing.T) {
	var script []data8test.Fault
	for _, op := range []string{opid.DatasetCreate, opid.DatasetUploadBlock, opid.DatasetUpdateByName,
		opid.DatasetGetByName, opid.JobCreateJob, opid.JobGetByName, opid.DatasetGetData,
		opid.DatasetGetList, opid.ApiKeyGetList, opid.ClientCredentialGetList} {
		for i, k := range data8test.FaultKinds() {
			script = append(script, data8test.Fault{Op: op, Call: 1 + 2*i, Kind: k})
		}
	}
	script = append(script, data8test.Fault{Op: data8test.OpToken, Call: 2, Kind: data8test.Fault503})
	srv := data8test.NewServer(data8test.WithFaultScript(script...), data8test.WithRetryAfter(0), data8test.WithJobDuration(10*time.Millisecond))
	defer srv.Close()

	logs := newHygLog()
	seen := &hygTokens{base: &http.Transport{}, seen: map[string]bool{}}
	defer seen.base.(*http.Transport).CloseIdleConnections()
	c := srv.Client(
		client.WithLogger(slog.New(logs)),
		client.WithHTTPClient(&http.Client{Transport: seen, Timeout: 30 * time.Second}),
		client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 12, Sleep: hygNoSleep}),
	)
	ctx := testContext(t)
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	for tries := 0; tries < 3; tries++ { // a 500 to POST /Dataset is not retried by the client
		_, err := c.CreateDataset(ctx, "hyg", map[string]int{"id": 0, "name": 0, "n": 1})
		keep(err)
		if err == nil {
			break
		}
	}
	srv.ExpireTokens()
	res, err := c.Upload(ctx, "hyg", client.Records(hygRecords(2500)), client.UploadOptions{BlockSize: 100, Concurrency: 4, Columns: hygColumns})
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	srv.ExpireTokens()
	_, err = c.CompleteDataset(ctx, "hyg", res.Records)
	keep(err)
	_, err = c.GetDataset(ctx, "no_such_dataset")
	if !errors.Is(err, client.ErrNotFound) {
		t.Errorf("GetDataset of a missing dataset: %v", err)
	}
	keep(err)
	_, err = c.Upload(ctx, "hyg", client.Records(hygRecords(5)), client.UploadOptions{})
	if !errors.Is(err, client.ErrValidation) {
		t.Errorf("upload to a complete dataset: %v", err)
	}
	keep(err)
	_, err = c.Upload(ctx, "hyg", client.Records(hygRecords(5)), client.UploadOptions{Columns: []string{"id"}})
	keep(err)
	for tries := 0; tries < 3; tries++ {
		_, err = c.StartJob(ctx, client.NewJob{Name: "Hygiene 1", WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "hyg"}})
		keep(err)
		if err == nil {
			break
		}
	}
	_, err = c.WaitJob(ctx, "Hygiene 1", client.WaitOptions{Interval: time.Millisecond, Failed: func(j *client.Job) bool { return j.Status == 3 }})
	keep(err)
	_, err = c.StartJob(ctx, client.NewJob{Name: "Hygiene 2", WorkflowName: "NoSuchWorkflow", InputDatasets: map[string]string{"Input": "hyg"}})
	if !errors.Is(err, client.ErrValidation) {
		t.Errorf("StartJob with an unknown workflow: %v", err)
	}
	keep(err)
	for _, err := range c.ReadRecords(ctx, "hyg") {
		keep(err)
	}
	for _, err := range c.ListDatasets(ctx, client.ListDatasetsOptions{}) {
		keep(err)
	}
	_, err = c.ListAPIKeys(ctx)
	keep(err)
	_, err = c.ListClientCredentials(ctx)
	keep(err)
	_, err = c.GetAPIKey(ctx, "NO-SUCH-KEY")
	keep(err)

	tokens := seen.tokens()
	if len(tokens) < 3 {
		t.Fatalf("the client sent only %d distinct tokens; the expiries did not work", len(tokens))
	}
	secrets := append([]string{srv.ClientSecret}, tokens...)
	if len(errs) < 5 {
		t.Errorf("only %d errors to inspect", len(errs))
	}
	for _, err := range errs {
		hygCheck(t, "an error", hygErrTexts(err), secrets)
	}
	out := logs.String()
	for _, want := range []string{"data8: retrying", "data8: token refused; renewing", "data8: token fetched", "data8: token fetch failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log has no %q record: the test did not provoke it", want)
		}
	}
	hygCheck(t, "the log", strings.Split(out, "\n"), secrets)
	t.Logf("%d errors and %d log records inspected for the secret and %d bearer tokens", len(errs), strings.Count(out, "\n"), len(tokens))
}

// TestWrongSecretNeverLeaks uses a wrong client secret against data8test, then against token
// endpoints that echo the secret back in every part of their answer: the errors match
// ErrUnauthorized (when the endpoint refused the credentials), and neither the secret given nor
// its URL-encoded form appears in any error or log record.
func TestWrongSecretNeverLeaks(t *testing.T) {
	const wrong = "wr0ng+S3cr3t/with=special&chars%"
	enc := url.QueryEscape(wrong)
	check := func(t *testing.T, c *client.Client, logs *hygLog, wantUnauth bool, extra ...string) {
		t.Helper()
		_, err := c.GetDataset(testContext(t), "anything")
		if err == nil {
			t.Fatal("no error")
		}
		if wantUnauth && !errors.Is(err, client.ErrUnauthorized) {
			t.Errorf("error %v does not match ErrUnauthorized", err)
		}
		secrets := append([]string{wrong, enc}, extra...)
		hygCheck(t, "the error", hygErrTexts(err), secrets)
		hygCheck(t, "the log", []string{logs.String()}, secrets)
		t.Logf("error: %v", err)
	}

	t.Run("data8test", func(t *testing.T) {
		srv := data8test.NewServer()
		defer srv.Close()
		logs := newHygLog()
		c := srv.Client(client.WithCredentials(srv.ClientID, wrong), client.WithLogger(slog.New(logs)))
		check(t, c, logs, true, srv.ClientSecret)
	})

	echoes := []struct {
		name       string
		status     int
		ct         string
		body       func(secret, encoded string) string
		wantUnauth bool
	}{
		{"error_description", 400, "application/json", func(s, e string) string {
			return fmt.Sprintf(`{"error":"invalid_client","error_description":"secret %s is wrong"}`, s)
		}, true},
		{"URL-encoded in error_description", 400, "application/json", func(s, e string) string {
			return fmt.Sprintf(`{"error":"invalid_client","error_description":"client_secret=%s"}`, e)
		}, true},
		{"form-encoded answer", 401, "application/x-www-form-urlencoded", func(s, e string) string {
			return "error=invalid_client&client_secret=" + e
		}, true},
		{"plain text", 401, "text/plain", func(s, e string) string { return "bad secret " + s }, true},
		{"HTML 500", 500, "text/html", func(s, e string) string { return "<pre>client_secret=" + s + "</pre>" }, false},
		{"200 without a token", 200, "application/json", func(s, e string) string {
			return fmt.Sprintf(`{"token_type":"Bearer","note":"%s"}`, s)
		}, false},
		{"200 not JSON", 200, "application/json", func(s, e string) string { return s }, false},
		{"echoed as the error code", 400, "application/json", func(s, e string) string {
			return `{"error":"SECRET-AS-CODE.abc123"}`
		}, false},
	}
	for _, tc := range echoes {
		t.Run("echoed: "+tc.name, func(t *testing.T) {
			secret := wrong
			if tc.name == "echoed as the error code" {
				// An error code must look like one (letters, digits, _ - .): so must the echoed secret.
				secret = "SECRET-AS-CODE.abc123"
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				got := r.PostForm.Get("client_secret")
				w.Header().Set("Content-Type", tc.ct)
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body(got, url.QueryEscape(got)))
			}))
			defer srv.Close()
			logs := newHygLog()
			c, err := client.New(client.WithBaseURL(srv.URL), client.WithTokenURL(srv.URL+"/connect/token"),
				client.WithCredentials("id", secret), client.WithLogger(slog.New(logs)),
				client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 2, Sleep: hygNoSleep}))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			check(t, c, logs, tc.wantUnauth, secret)
		})
	}
}

// TestSecretsNotInPanicsOrPrintedClients checks the texts a program shows when it panics with, or
// prints, what it holds: data8test's Server.Client panics with New's error (which must not hold the
// password of a URL's user info), and a *client.Client printed with %v, %+v or %#v, or logged as a
// slog attribute, must not show its secret or its static bearer token.
func TestSecretsNotInPanicsOrPrintedClients(t *testing.T) {
	t.Run("Server.Client panic", func(t *testing.T) {
		srv := data8test.NewServer()
		defer srv.Close()
		const password = "pa55w0rd-in-the-url"
		for _, u := range []string{"http://user:" + password + "@api.example.com", "http://user:" + password + "@[::1"} {
			func() {
				defer func() {
					v := recover()
					if v == nil {
						t.Fatalf("Server.Client(%q) did not panic", u)
					}
					text := fmt.Sprintf("%v %+v %#v", v, v, v)
					hygCheck(t, "the panic", []string{text}, []string{password, srv.ClientSecret})
					t.Logf("panic: %v", v)
				}()
				srv.Client(client.WithBaseURL(u))
			}()
		}
	})

	const secret, token = "cl13nt-s3cr3t-value", "st4t1c-b34r3r-t0k3n"
	for _, tc := range []struct {
		name string
		opt  client.Option
		hide string
	}{
		{"credentials", client.WithCredentials("id", secret), secret},
		{"static bearer token", client.WithBearerToken(token), token},
	} {
		t.Run("printed client with "+tc.name, func(t *testing.T) {
			c, err := client.New(tc.opt, client.WithBaseURL("https://api.example.com"), client.WithTokenURL("https://auth.example.com/connect/token"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var text bytes.Buffer
			slog.New(slog.NewTextHandler(&text, nil)).Info("client", "c", c)
			slog.New(slog.NewJSONHandler(&text, nil)).Info("client", "c", c)
			texts := []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), text.String()}
			// A panic with the client prints it as the runtime does: recover and format it.
			func() {
				defer func() { texts = append(texts, fmt.Sprint(recover())) }()
				panic(c)
			}()
			hygCheck(t, "a printed client", texts, []string{tc.hide})
		})
	}
}

// TestPlainHTTPRefusedBeyondLoopback complements TestRefusesPlainHTTPBeyondLoopback: URLs from the
// environment, upper-case schemes, hosts that only look local, and user info in the URL (which the
// error must not repeat).
func TestPlainHTTPRefusedBeyondLoopback(t *testing.T) {
	creds := client.WithCredentials("id", "secret-value-1")
	cases := []struct {
		name string
		env  map[string]string
		opts []client.Option
		ok   bool
	}{
		{"DATA8_BASE_URL http remote", map[string]string{"DATA8_BASE_URL": "http://api.example.com"}, nil, false},
		{"DATA8_TOKEN_URL http remote", map[string]string{"DATA8_TOKEN_URL": "http://auth.example.com/connect/token"}, nil, false},
		{"DATA8_* http loopback", map[string]string{"DATA8_BASE_URL": "http://127.0.0.1:1", "DATA8_TOKEN_URL": "http://localhost:1/t"}, nil, true},
		{"upper-case scheme", nil, []client.Option{client.WithBaseURL("HTTP://API.EXAMPLE.COM")}, false},
		{"0.0.0.0 is not loopback", nil, []client.Option{client.WithBaseURL("http://0.0.0.0:8080")}, false},
		{"localhost as a subdomain", nil, []client.Option{client.WithBaseURL("http://localhost.example.com")}, false},
		{"127.0.0.1 as a subdomain", nil, []client.Option{client.WithTokenURL("http://127.0.0.1.nip.io/t")}, false},
		{"other loopback address", nil, []client.Option{client.WithBaseURL("http://127.0.0.2:9"), client.WithTokenURL("http://[::1]:9/t")}, true},
		{"user info on a remote host", nil, []client.Option{client.WithBaseURL("http://user:pa55w0rd@api.example.com")}, false},
		{"WithInsecureHTTP from the environment's URLs", map[string]string{"DATA8_BASE_URL": "http://api.example.com", "DATA8_TOKEN_URL": "http://auth.example.com/t"}, []client.Option{client.WithInsecureHTTP()}, true},
		{"option wins over the environment", map[string]string{"DATA8_BASE_URL": "http://api.example.com", "DATA8_TOKEN_URL": "https://auth.example.com/t"}, []client.Option{client.WithBaseURL("https://api.example.com")}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"DATA8_BASE_URL", "DATA8_TOKEN_URL", "DATA8_CLIENT_ID", "DATA8_CLIENT_SECRET"} {
				t.Setenv(k, tc.env[k])
			}
			c, err := client.New(append([]client.Option{creds}, tc.opts...)...)
			if c != nil {
				defer c.Close()
			}
			if tc.ok {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("New accepted it")
			}
			if !errors.Is(err, client.ErrValidation) || !strings.Contains(err.Error(), "http://") {
				t.Errorf("error %q: want ErrValidation naming http://", err)
			}
			hygCheck(t, "the error", hygErrTexts(err), []string{"pa55w0rd", "secret-value-1"})
		})
	}
}

// TestNoInsecureSkipVerifyOutsideTests scans every Go file of the module that is not a test (nor
// test data): none may set InsecureSkipVerify.
func TestNoInsecureSkipVerifyOutsideTests(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	scanned := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata", "vendor":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned++
		if bytes.Contains(b, []byte("InsecureSkipVerify")) {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s mentions InsecureSkipVerify", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 20 {
		t.Fatalf("scanned only %d files under %s", scanned, root)
	}
	t.Logf("%d non-test Go files scanned", scanned)
}

// TestData8testRefusesBadTokens sends API requests with no token, a malformed header, an unknown
// token, a token past its lifetime and a token expired by ExpireTokens: each is answered 401 with a
// WWW-Authenticate challenge of the Bearer scheme and a problem body, and the client given such a
// token (WithBearerToken, which cannot renew) returns ErrUnauthorized without the token in the error.
func TestData8testRefusesBadTokens(t *testing.T) {
	const lifetime = time.Second
	srv := data8test.NewServer(data8test.WithTokenLifetime(lifetime))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	fetch := func() string {
		resp, err := hc.PostForm(srv.TokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {srv.ClientID}, "client_secret": {srv.ClientSecret}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
			t.Fatalf("token: %d %v", resp.StatusCode, err)
		}
		return tok.AccessToken
	}
	get := func(auth string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+"/Dataset", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	if resp, b := get("Bearer " + fetch()); resp.StatusCode != 200 {
		t.Fatalf("a fresh token: %d %s", resp.StatusCode, b)
	}
	revoked := fetch()
	srv.ExpireTokens()
	aged := fetch() // issued after the revocation: refused only for its age
	time.Sleep(lifetime + 100*time.Millisecond)
	cases := []struct{ name, auth, token string }{
		{"no Authorization", "", ""},
		{"not Bearer", "Basic " + srv.ClientSecret, ""},
		{"Bearer without a token", "Bearer ", ""},
		{"unknown token", "Bearer not-a-token-the-server-issued", "not-a-token-the-server-issued"},
		{"token past its lifetime", "Bearer " + aged, aged},
		{"token expired by ExpireTokens", "Bearer " + revoked, revoked},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(tc.auth)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", resp.StatusCode, body)
			}
			if ch := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer") {
				t.Errorf("WWW-Authenticate %q, want the Bearer scheme", ch)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			if tc.token == "" {
				return
			}
			c, err := client.New(client.WithBaseURL(srv.URL), client.WithBearerToken(tc.token), client.WithRetryPolicy(client.RetryPolicy{Sleep: hygNoSleep}))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.GetDataset(testContext(t), "x")
			if !errors.Is(err, client.ErrUnauthorized) {
				t.Fatalf("client with the token: %v, want ErrUnauthorized", err)
			}
			hygCheck(t, "the error", hygErrTexts(err), []string{tc.token})
		})
	}
}

// echoSecrets are secrets of every class a client secret or token can hold: exactly 8 characters
// (the shortest redacted), and with + = : space / % " \ and non-ASCII characters, each of which an
// encoding changes.
var echoSecrets = []string{
	"Ab3$x9Q!",
	"p+q=r:s t/u%v",
	`quo"te\and/more`,
	"sécrét-ünïcødé-☃",
}

// echoEncodings are the ways a server can echo a secret: as it is, form-encoded (upper- and
// lower-case hex), path-encoded, base64 in a Basic header (client id and secret; three lengths of
// id, so that the secret falls at each alignment of base64's 3-byte groups), base64url alone, and
// in JSON escaped as Go, Python (non-ASCII as \uxxxx) and .NET (also + & < > ' " `, upper-case hex)
// write it.
var echoEncodings = map[string]func(secret string) string{
	"literal": func(s string) string { return s },
	"form":    url.QueryEscape,
	"form, lower hex": func(s string) string {
		return regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(url.QueryEscape(s), strings.ToLower)
	},
	"path":           url.PathEscape,
	"basic, id of 2": func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte("id:"+s)) },
	"basic, id of 3": func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte("ids:"+s)) },
	"basic, id of 4": func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte("idss:"+s)) },
	"base64url":      func(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) },
	"JSON, Go":       func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) },
	"JSON, Python":   func(s string) string { return asciiJSON(s, false, "%04x") },
	"JSON, .NET":     func(s string) string { return asciiJSON(s, true, "%04X") },
}

// asciiJSON escapes s as a JSON encoder writing ASCII only does, its hex digits formatted with hex:
// non-ASCII characters as \uXXXX, and with html also + & < > ' " and `.
func asciiJSON(s string, html bool, hex string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r > 0x7f, html && strings.ContainsRune(`+&<>'"`+"`", r):
			fmt.Fprintf(&b, `\u`+hex, r)
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestEchoedSecretsAreRedactedEverywhere: an API that echoes the client secret (a server that knows
// it) or the bearer token it received, in every encoding, in every field of a problem (type, title,
// detail, instance, a key and a message of errors) and in a body that is not problem details, gets
// neither into any text of the client's error: each echo is replaced by [REDACTED]. Dropping the
// scrub of any one field, of the raw body, or any one encoding from the redactor fails a subtest.
func TestEchoedSecretsAreRedactedEverywhere(t *testing.T) {
	fields := []string{"type", "title", "detail", "instance", "errors key", "errors value", "body"}
	for _, secret := range echoSecrets {
		for _, whose := range []string{"client secret", "token"} {
			t.Run(fmt.Sprintf("%s %q", whose, secret), func(t *testing.T) {
				// The other secret is unrelated, so that only the redaction of the one echoed hides it.
				clientSecret, token := secret, "an-unrelated-token-value"
				if whose == "token" {
					clientSecret, token = "an-unrelated-client-secret", "tok-"+secret
				}
				echoed := clientSecret
				if whose == "token" {
					echoed = token
				}
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/connect/token" {
						w.Header().Set("Content-Type", "application/json")
						json.NewEncoder(w).Encode(map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 3600})
						return
					}
					// GET /Dataset/{field}.{encoding}: the echo to send.
					field, enc, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/Dataset/"), ".")
					text := "echo " + echoEncodings[enc](echoed) + " end"
					if field == "body" {
						w.Header().Set("Content-Type", "text/plain")
						w.WriteHeader(http.StatusBadRequest)
						io.WriteString(w, text)
						return
					}
					p := map[string]any{"status": 400, "title": "Bad Request"}
					switch field {
					case "errors key":
						p["errors"] = map[string][]string{text: {"bad"}}
					case "errors value":
						p["errors"] = map[string][]string{"name": {text}}
					default:
						p[field] = text
					}
					b, _ := json.Marshal(p)
					w.Header().Set("Content-Type", "application/problem+json")
					w.WriteHeader(http.StatusBadRequest)
					w.Write(b)
				}))
				defer srv.Close()
				c, err := client.New(client.WithBaseURL(srv.URL), client.WithTokenURL(srv.URL+"/connect/token"),
					client.WithCredentials("id", clientSecret), client.WithRetryPolicy(client.RetryPolicy{Sleep: hygNoSleep}))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				for _, field := range fields {
					for enc, encode := range echoEncodings {
						_, err := c.GetDataset(testContext(t), field+"."+enc)
						var ae *client.APIError
						if !errors.As(err, &ae) || ae.StatusCode != 400 {
							t.Fatalf("%s, %s: error %v, want the 400", field, enc, err)
						}
						texts := append(hygErrTexts(err), string(ae.Body))
						all := strings.Join(texts, "\n")
						form := encode(echoed)
						if strings.Contains(all, form) || strings.Contains(all, echoed) {
							t.Errorf("%s, %s: the error holds the %s as %s", field, enc, whose, form)
						}
						if !strings.Contains(all, "[REDACTED]") {
							t.Errorf("%s, %s: no [REDACTED]: the echo was lost, not redacted", field, enc)
						}
					}
				}
			})
		}
	}
}

// TestTokenInARedirectHostIsRedacted: an API that redirects to a host named after the bearer token
// it received gets the token into the text of a transport error (the refusal names the origin); the
// client redacts it there too, and the error still matches ErrRedirect.
func TestTokenInARedirectHostIsRedacted(t *testing.T) {
	const token = "leaky-token-0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/connect/token" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"`+token+`","token_type":"Bearer","expires_in":3600}`)
			return
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		http.Redirect(w, r, "https://"+tok+".example.com/Dataset", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	logs := newHygLog()
	c, err := client.New(client.WithBaseURL(srv.URL), client.WithTokenURL(srv.URL+"/connect/token"),
		client.WithCredentials("id", "a-client-secret"), client.WithLogger(slog.New(logs)),
		client.WithRetryPolicy(client.RetryPolicy{Sleep: hygNoSleep}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.GetDataset(testContext(t), "ds")
	if !errors.Is(err, client.ErrRedirect) {
		t.Fatalf("error %v, want ErrRedirect", err)
	}
	if !strings.Contains(err.Error(), "[REDACTED].example.com") {
		t.Errorf("error %q does not name the redirect's host, redacted", err)
	}
	hygCheck(t, "the error", hygErrTexts(err), []string{token})
	hygCheck(t, "the log", []string{logs.String()}, []string{token})
}

// TestTokenInARetryAfterIsNotLogged: the one header the client logs, a refusal's Retry-After (when an
// upload's window shrinks), is the server's text: a server putting the bearer token there gets it
// logged redacted.
func TestTokenInARetryAfterIsNotLogged(t *testing.T) {
	const token = "retry-after-token-0123456789"
	var mu sync.Mutex
	refused := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/connect/token" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"`+token+`","token_type":"Bearer","expires_in":3600}`)
			return
		}
		mu.Lock()
		first := !refused
		refused = true
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "come back with "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	logs := newHygLog()
	c, err := client.New(client.WithBaseURL(srv.URL), client.WithTokenURL(srv.URL+"/connect/token"),
		client.WithCredentials("id", "a-client-secret"), client.WithLogger(slog.New(logs)),
		client.WithRetryPolicy(client.RetryPolicy{Sleep: hygNoSleep}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Upload(testContext(t), "ds", client.Records(hygRecords(10)), client.UploadOptions{BlockSize: 5, Concurrency: 2, Columns: hygColumns}); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "fewer requests at once") || !strings.Contains(out, "come back with [REDACTED]") {
		t.Fatalf("the log has no shrink with the Retry-After redacted: %s", out)
	}
	hygCheck(t, "the log", []string{out}, []string{token})
}
