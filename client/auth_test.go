package client_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/opid"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNoSecretInErrorsOrLogs(t *testing.T) {
	// data8test never echoes a secret: a tiny handler plays a token endpoint or an API that does,
	// with data8test as the other.
	cases := []struct {
		name         string
		token        func(w http.ResponseWriter, r *http.Request) // answers token requests when set
		api          func(w http.ResponseWriter, r *http.Request) // answers API requests when set
		wantUnauth   bool
		wantContains string
	}{
		{
			name: "token endpoint echoes the secret in a body without an error code",
			token: func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(401)
				fmt.Fprintf(w, "client %s with secret %s is not known", r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"))
			},
			wantUnauth:   true,
			wantContains: "token endpoint answered 401 Unauthorized",
		},
		{
			name: "token endpoint echoes the secret in error_description",
			token: func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(400)
				fmt.Fprintf(w, `{"error":"invalid_client","error_description":"secret %s is wrong"}`, r.PostForm.Get("client_secret"))
			},
			wantUnauth:   true,
			wantContains: "token endpoint answered 400 Bad Request: invalid_client",
		},
		{
			name: "token endpoint fails with 500 and the secret in the body",
			token: func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				w.WriteHeader(500)
				fmt.Fprintf(w, "crash dump: client_secret=%s", r.PostForm.Get("client_secret"))
			},
			wantContains: "token endpoint answered 500 Internal Server Error",
		},
		{
			name: "API refuses the token and echoes it",
			api: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(401)
				fmt.Fprintf(w, `{"title":"Unauthorized","status":401,"detail":"token %s was refused","errors":{"auth":["%s"]}}`,
					r.Header.Get("Authorization"), r.Header.Get("Authorization"))
			},
			wantUnauth:   true,
			wantContains: "data8: Dataset_GetByName: 401 Unauthorized: Unauthorized: token Bearer [REDACTED] was refused",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			var mu sync.Mutex
			var tokens []string // every token the client sent
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
					mu.Lock()
					tokens = append(tokens, tok)
					mu.Unlock()
				}
				if tc.token != nil {
					tc.token(w, r)
				} else {
					tc.api(w, r)
				}
			}))
			t.Cleanup(hs.Close)
			apiURL, tokenURL := srv.URL, srv.TokenURL
			if tc.token != nil {
				tokenURL = hs.URL + "/connect/token"
			} else {
				apiURL = hs.URL
			}
			logs := &syncBuffer{}
			logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c := newClient(srv, client.WithBaseURL(apiURL), client.WithTokenURL(tokenURL), client.WithLogger(logger))
			_, err := c.GetDataset(testContext(t), "ds")
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantUnauth != errors.Is(err, client.ErrUnauthorized) {
				t.Errorf("errors.Is(err, ErrUnauthorized) = %v, want %v (err %v)", !tc.wantUnauth, tc.wantUnauth, err)
			}
			if !strings.Contains(err.Error(), tc.wantContains) {
				t.Errorf("error %q does not contain %q", err, tc.wantContains)
			}
			texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), logs.String()}
			var ae *client.APIError
			if errors.As(err, &ae) {
				texts = append(texts, fmt.Sprint(ae.Problem), fmt.Sprint(ae.FieldErrors))
			}
			mu.Lock()
			secrets := append([]string{testSecret}, tokens...)
			mu.Unlock()
			if tc.api != nil && len(secrets) != 3 {
				t.Errorf("the client sent %d tokens, want 2 (the first, and one renewal)", len(secrets)-1)
			}
			for _, text := range texts {
				for _, s := range secrets {
					if strings.Contains(text, s) {
						t.Errorf("a secret or token appears in %q", text)
					}
				}
			}
		})
	}
}

func TestTokenSentInParamsAndSharedByAllGoroutines(t *testing.T) {
	srv := newServer(t)
	sp := newSpy(t)
	var mu sync.Mutex
	var forms []url.Values
	basic := false
	sp.before = func(r *http.Request, _ *upload) error {
		if r.URL.Path != "/connect/token" {
			return nil
		}
		body, err := r.GetBody()
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(body)
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		forms = append(forms, form)
		if _, _, ok := r.BasicAuth(); ok {
			basic = true
		}
		return nil
	}
	createDataset(t, newClient(srv), "ds", "a") // with a client of its own, which fetches a token first
	c := newClient(srv, client.WithHTTPClient(sp.httpClient()))
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if _, err := c.GetDataset(testContext(t), "ds"); err != nil {
				t.Error(err)
			}
		})
	}
	waitWithin(t, &wg, testDeadline+5*time.Second)
	if n := srv.TokenCount(); n != 2 {
		t.Errorf("%d tokens issued, want 2: one for the dataset's creator, one for 32 concurrent calls", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if basic {
		t.Error("credentials were sent with HTTP Basic; want client_secret_post (AuthStyleInParams)")
	}
	want := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testSecret}, "scope": {"BatchApi"}}
	if len(forms) != 1 || !reflect.DeepEqual(forms[0], want) {
		t.Errorf("token requests for 32 concurrent calls %v, want one with %v", forms, want)
	}
}

func TestTokenEndpointOutageIsRetried(t *testing.T) {
	srv := newServer(t, data8test.WithFaultScript(
		data8test.Fault{Op: data8test.OpToken, Call: 1, Kind: data8test.Fault503},
		data8test.Fault{Op: data8test.OpToken, Call: 2, Kind: data8test.Fault503},
	))
	c := newClient(srv)
	createDataset(t, c, "ds", "a")
	if _, err := c.GetDataset(testContext(t), "ds"); err != nil {
		t.Fatal(err)
	}
	if n := srv.RequestCounts()[data8test.OpToken]; n != 3 {
		t.Errorf("%d token requests, want 3 (two 503s, then a token)", n)
	}
	if n := srv.TokenCount(); n != 1 {
		t.Errorf("%d tokens issued, want 1", n)
	}
}

func TestStaticBearerTokenIsNotRenewed(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv, client.WithBearerToken("fixed-token-123"))
	_, err := c.GetDataset(testContext(t), "ds")
	if !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("error %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "fixed-token-123") {
		t.Errorf("token in error %q", err)
	}
	if srv.RequestCounts()[data8test.OpToken] != 0 || srv.RequestCounts()[opid.DatasetGetByName] != 1 {
		t.Errorf("%d token requests and %d refused requests, want 0 and 1", srv.RequestCounts()[data8test.OpToken], srv.RequestCounts()[opid.DatasetGetByName])
	}
}

func TestRefusesPlainHTTPBeyondLoopback(t *testing.T) {
	for _, v := range []string{"DATA8_BASE_URL", "DATA8_TOKEN_URL", "DATA8_CLIENT_ID", "DATA8_CLIENT_SECRET"} {
		t.Setenv(v, "")
	}
	creds := client.WithCredentials("id", "secret")
	cases := []struct {
		name string
		opts []client.Option
		ok   bool
	}{
		{"https", []client.Option{client.WithBaseURL("https://api.example.com"), client.WithTokenURL("https://auth.example.com/connect/token")}, true},
		{"http base on a remote host", []client.Option{client.WithBaseURL("http://api.example.com")}, false},
		{"http token URL on a remote host", []client.Option{client.WithTokenURL("http://auth.example.com/connect/token")}, false},
		{"http on 127.0.0.1", []client.Option{client.WithBaseURL("http://127.0.0.1:8080"), client.WithTokenURL("http://127.0.0.1:8080/t")}, true},
		{"http on localhost", []client.Option{client.WithBaseURL("http://localhost:8080"), client.WithTokenURL("http://localhost:8080/t")}, true},
		{"http on [::1]", []client.Option{client.WithBaseURL("http://[::1]:8080"), client.WithTokenURL("http://[::1]:8080/t")}, true},
		{"http remote with WithInsecureHTTP", []client.Option{client.WithBaseURL("http://api.example.com"), client.WithTokenURL("http://auth.example.com/t"), client.WithInsecureHTTP()}, true},
		{"ftp", []client.Option{client.WithBaseURL("ftp://api.example.com")}, false},
		{"relative", []client.Option{client.WithBaseURL("/api")}, false},
		{"http token URL is fine with a static token", []client.Option{client.WithTokenURL("http://auth.example.com/t"), client.WithBearerToken("x")}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := client.New(append([]client.Option{creds}, tc.opts...)...)
			if tc.ok && err != nil {
				t.Fatalf("New: %v", err)
			}
			if !tc.ok {
				if err == nil {
					c.Close()
					t.Fatal("New accepted it")
				}
				if !errors.Is(err, client.ErrValidation) {
					t.Errorf("error %v does not match ErrValidation", err)
				}
			}
			if c != nil {
				c.Close()
			}
		})
	}
}

func TestEnvironmentFallback(t *testing.T) {
	srv := newServer(t)
	t.Setenv("DATA8_CLIENT_ID", testClientID)
	t.Setenv("DATA8_CLIENT_SECRET", testSecret)
	t.Setenv("DATA8_BASE_URL", srv.URL)
	t.Setenv("DATA8_TOKEN_URL", srv.TokenURL)
	c, err := client.New()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	createDataset(t, c, "ds", "a")
	if _, err := c.GetDataset(testContext(t), "ds"); err != nil {
		t.Fatal(err)
	}

	t.Setenv("DATA8_CLIENT_ID", "")
	if _, err := client.New(); !errors.Is(err, client.ErrValidation) || !strings.Contains(err.Error(), "no credentials") {
		t.Errorf("New without credentials: %v", err)
	}
	// Options win over the environment.
	t.Setenv("DATA8_BASE_URL", "http://remote.example.com")
	if _, err := client.New(client.WithCredentials("a", "b"), client.WithBaseURL(srv.URL)); err != nil {
		t.Errorf("WithBaseURL did not override DATA8_BASE_URL: %v", err)
	}
}

func TestUserAgentAndScopes(t *testing.T) {
	// The spy reads the scope of each token request and the User-Agent of each API request.
	var mu sync.Mutex
	var scopes, agents []string
	watch := func(t *testing.T) *spy {
		sp := newSpy(t)
		sp.before = func(r *http.Request, _ *upload) error {
			mu.Lock()
			defer mu.Unlock()
			if r.URL.Path != "/connect/token" {
				agents = append(agents, r.UserAgent())
				return nil
			}
			body, err := r.GetBody()
			if err != nil {
				return err
			}
			b, _ := io.ReadAll(body)
			form, _ := url.ParseQuery(string(b))
			scopes = append(scopes, form.Get("scope"))
			return nil
		}
		return sp
	}

	srv := newServer(t)
	c := newClient(srv, client.WithHTTPClient(watch(t).httpClient()), client.WithUserAgent("etl/2.0"), client.WithScopes("BatchApi"))
	createDataset(t, c, "ds", "a")
	if _, err := c.GetDataset(testContext(t), "ds"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if !slices.Equal(scopes, []string{"BatchApi"}) || !slices.Equal(agents, []string{"etl/2.0", "etl/2.0"}) {
		t.Errorf("scopes %q, user agents %q", scopes, agents)
	}
	scopes, agents = nil, nil
	mu.Unlock()

	// Several scopes are sent space-separated; data8test grants BatchApi alone, so it refuses them.
	c = newClient(srv, client.WithHTTPClient(watch(t).httpClient()), client.WithScopes("BatchApi", "Extra"))
	_, err := c.GetDataset(testContext(t), "ds")
	if want := "data8: fetching an access token: token endpoint answered 400 Bad Request: invalid_scope (The only scope is BatchApi.)"; err == nil || err.Error() != want || !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("error %v, want %q", err, want)
	}
	mu.Lock()
	if !slices.Equal(scopes, []string{"BatchApi Extra"}) || len(agents) != 0 {
		t.Errorf("scopes %q, user agents %q", scopes, agents)
	}
	mu.Unlock()
}

// TestRenewsAgainAfterAnotherFailure: a call renews its token once per refusal, not once in its
// life. The call's first token is revoked (401), the renewed token meets a 500, and is itself
// revoked before the retry (401 again): the call renews a second time and succeeds. Only two 401s in
// a row (a renewed token refused at once) end a call; TestNoSecretInErrorsOrLogs checks that.
func TestRenewsAgainAfterAnotherFailure(t *testing.T) {
	srv := newServer(t, data8test.WithFaultScript(
		data8test.Fault{Op: opid.DatasetGetByName, Call: 2, Kind: data8test.Fault500},
	))
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	var mu sync.Mutex
	gets := 0
	// Every token issued so far is revoked as the first and third GET leave the client.
	revoking := transportFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/Dataset/") {
			mu.Lock()
			gets++
			if gets == 1 || gets == 3 {
				srv.ExpireTokens()
			}
			mu.Unlock()
		}
		return base.RoundTrip(r)
	})
	c := newClient(srv, client.WithHTTPClient(&http.Client{Transport: revoking}))
	createDataset(t, c, "ds", "a")
	if _, err := c.GetDataset(testContext(t), "ds"); err != nil {
		t.Fatalf("GetDataset: %v", err)
	}
	if n := srv.RequestCounts()[opid.DatasetGetByName]; n != 4 {
		t.Errorf("%d GET requests, want 4 (401, 500, 401, 200)", n)
	}
	if n := srv.TokenCount(); n != 3 {
		t.Errorf("%d tokens issued, want 3 (the first, and a renewal after each 401)", n)
	}
}

// transportFunc is an http.RoundTripper made of a function.
type transportFunc func(*http.Request) (*http.Response, error)

func (f transportFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
