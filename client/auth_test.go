package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/data8-toolkit/data8/client"
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
	cases := []struct {
		name         string
		tokenHook    func(f *fakeAPI) func(w http.ResponseWriter, r *http.Request) bool
		apiHook      func(f *fakeAPI) func(w http.ResponseWriter, r *http.Request) bool
		wantUnauth   bool
		wantContains string
	}{
		{
			name: "token endpoint echoes the secret in a body without an error code",
			tokenHook: func(f *fakeAPI) func(w http.ResponseWriter, r *http.Request) bool {
				return func(w http.ResponseWriter, r *http.Request) bool {
					r.ParseForm()
					w.Header().Set("Content-Type", "text/plain")
					w.WriteHeader(401)
					fmt.Fprintf(w, "client %s with secret %s is not known", r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"))
					return true
				}
			},
			wantUnauth:   true,
			wantContains: "token endpoint answered 401 Unauthorized",
		},
		{
			name: "token endpoint echoes the secret in error_description",
			tokenHook: func(f *fakeAPI) func(w http.ResponseWriter, r *http.Request) bool {
				return func(w http.ResponseWriter, r *http.Request) bool {
					r.ParseForm()
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(400)
					fmt.Fprintf(w, `{"error":"invalid_client","error_description":"secret %s is wrong"}`, r.PostForm.Get("client_secret"))
					return true
				}
			},
			wantUnauth:   true,
			wantContains: "token endpoint answered 400 Bad Request: invalid_client",
		},
		{
			name: "token endpoint fails with 500 and the secret in the body",
			tokenHook: func(f *fakeAPI) func(w http.ResponseWriter, r *http.Request) bool {
				return func(w http.ResponseWriter, r *http.Request) bool {
					r.ParseForm()
					w.WriteHeader(500)
					fmt.Fprintf(w, "crash dump: client_secret=%s", r.PostForm.Get("client_secret"))
					return true
				}
			},
			wantContains: "token endpoint answered 500 Internal Server Error",
		},
		{
			name: "API refuses the token and echoes it",
			apiHook: func(f *fakeAPI) func(w http.ResponseWriter, r *http.Request) bool {
				return func(w http.ResponseWriter, r *http.Request) bool {
					w.Header().Set("Content-Type", "application/problem+json")
					w.WriteHeader(401)
					fmt.Fprintf(w, `{"title":"Unauthorized","status":401,"detail":"token %s was refused","errors":{"auth":["%s"]}}`,
						r.Header.Get("Authorization"), r.Header.Get("Authorization"))
					return true
				}
			},
			wantUnauth:   true,
			wantContains: "data8: Dataset_GetByName: 401 Unauthorized: Unauthorized: token Bearer [REDACTED] was refused",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.addDataset("ds", "a")
			if tc.tokenHook != nil {
				f.tokenHook = tc.tokenHook(f)
			}
			if tc.apiHook != nil {
				f.apiHook = tc.apiHook(f)
			}
			logs := &syncBuffer{}
			logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c := f.client(t, client.WithLogger(logger))
			_, err := c.GetDataset(context.Background(), "ds")
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
			f.mu.Lock()
			for tok := range f.valid {
				secrets := []string{f.secret, tok}
				for _, text := range texts {
					for _, s := range secrets {
						if strings.Contains(text, s) {
							t.Errorf("a secret appears in %q", text)
						}
					}
				}
			}
			f.mu.Unlock()
			for _, text := range texts {
				if strings.Contains(text, f.secret) || strings.Contains(text, "tok-") {
					t.Errorf("a secret or token appears in %q", text)
				}
			}
		})
	}
}

func TestTokenSentInParamsAndSharedByAllGoroutines(t *testing.T) {
	f := newFakeAPI(t)
	f.addDataset("ds", "a")
	var basic sync.Map
	f.tokenHook = func(w http.ResponseWriter, r *http.Request) bool {
		if _, _, ok := r.BasicAuth(); ok {
			basic.Store("basic", true)
		}
		return false
	}
	c := f.client(t)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if _, err := c.GetDataset(context.Background(), "ds"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := f.tokenFetches(); n != 1 {
		t.Errorf("%d token fetches for 32 concurrent calls, want 1", n)
	}
	if _, ok := basic.Load("basic"); ok {
		t.Error("credentials were sent with HTTP Basic; want client_secret_post (AuthStyleInParams)")
	}
}

func TestTokenEndpointOutageIsRetried(t *testing.T) {
	f := newFakeAPI(t)
	f.addDataset("ds", "a")
	var mu sync.Mutex
	calls := 0
	f.tokenHook = func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= 2 {
			w.WriteHeader(503)
			return true
		}
		return false
	}
	c := f.client(t)
	if _, err := c.GetDataset(context.Background(), "ds"); err != nil {
		t.Fatal(err)
	}
	if calls != 3 {
		t.Errorf("%d token requests, want 3 (two 503s, then a token)", calls)
	}
}

func TestStaticBearerTokenIsNotRenewed(t *testing.T) {
	f := newFakeAPI(t)
	f.addDataset("ds", "a")
	c := f.client(t, client.WithBearerToken("fixed-token-123"))
	_, err := c.GetDataset(context.Background(), "ds")
	if !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("error %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "fixed-token-123") {
		t.Errorf("token in error %q", err)
	}
	if f.tokenFetches() != 0 || f.refused.Load() != 1 {
		t.Errorf("%d token fetches and %d refused requests, want 0 and 1", f.tokenFetches(), f.refused.Load())
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
		{"http on [::1]", []client.Option{client.WithBaseURL("http://[::1]:8080")}, true},
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
	f := newFakeAPI(t)
	f.addDataset("ds", "a")
	t.Setenv("DATA8_CLIENT_ID", f.clientID)
	t.Setenv("DATA8_CLIENT_SECRET", f.secret)
	t.Setenv("DATA8_BASE_URL", f.srv.URL)
	t.Setenv("DATA8_TOKEN_URL", f.srv.URL+"/connect/token")
	c, err := client.New()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.GetDataset(context.Background(), "ds"); err != nil {
		t.Fatal(err)
	}

	t.Setenv("DATA8_CLIENT_ID", "")
	if _, err := client.New(); !errors.Is(err, client.ErrValidation) || !strings.Contains(err.Error(), "no credentials") {
		t.Errorf("New without credentials: %v", err)
	}
	// Options win over the environment.
	t.Setenv("DATA8_BASE_URL", "http://remote.example.com")
	if _, err := client.New(client.WithCredentials("a", "b"), client.WithBaseURL(f.srv.URL)); err != nil {
		t.Errorf("WithBaseURL did not override DATA8_BASE_URL: %v", err)
	}
}

func TestUserAgentAndScopes(t *testing.T) {
	f := newFakeAPI(t)
	f.addDataset("ds", "a")
	var scope, agent string
	f.tokenHook = func(w http.ResponseWriter, r *http.Request) bool {
		r.ParseForm()
		scope = r.PostForm.Get("scope")
		r.PostForm.Set("scope", "BatchApi") // let the fake issue the token
		return false
	}
	f.apiHook = func(w http.ResponseWriter, r *http.Request) bool {
		agent = r.UserAgent()
		return false
	}
	c := f.client(t, client.WithUserAgent("etl/2.0"), client.WithScopes("BatchApi", "Extra"))
	if _, err := c.GetDataset(context.Background(), "ds"); err != nil {
		t.Fatal(err)
	}
	if scope != "BatchApi Extra" || agent != "etl/2.0" {
		t.Errorf("scope %q, user agent %q", scope, agent)
	}
}
