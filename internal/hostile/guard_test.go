package hostile

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// TestCertificateErrorAtTheTokenEndpointIsNotRetried: a token endpoint whose certificate does not
// verify is connected to once: the failure is returned at once, not retried (it was tried 5 times),
// and the API receives nothing.
func TestCertificateErrorAtTheTokenEndpointIsNotRetried(t *testing.T) {
	var conns atomic.Int32
	token := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the token endpoint received %s %s", r.Method, r.URL.Path)
	}))
	token.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	// The server's certificate is one the client does not trust; the failed handshake it logs is
	// expected.
	token.Config.ErrorLog = log.New(io.Discard, "", 0)
	token.StartTLS()
	t.Cleanup(token.Close)
	api := New(t, nil)
	var mu sync.Mutex
	var waits []time.Duration
	c, err := client.New(client.WithBaseURL(api.URL), client.WithTokenURL(token.URL+TokenPath),
		client.WithCredentials(ClientID, ClientSecret),
		client.WithRetryPolicy(client.RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return context.Cause(ctx)
		}}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_, err = c.GetDataset(t.Context(), "ds")
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("error %v, want the certificate failure", err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections to the token endpoint, want 1", n)
	}
	if len(waits) != 0 {
		t.Errorf("waited %v before trying again, want no retry", waits)
	}
	if n := len(api.Requests()); n != 0 {
		t.Errorf("the API received %d requests, want none", n)
	}
	t.Logf("error: %v", err)
}

// TestNewRefusesAForeignBaseURLWithDataEightsTokenURL: a client for a base URL other than Data8's,
// with credentials and no token URL, would fetch a token from Data8 (sending it the secret) and give
// it to that server; New refuses it with an error matching ErrValidation, before anything is sent.
// With a token URL, from an option or DATA8_TOKEN_URL, or with a fixed bearer token, it is accepted.
func TestNewRefusesAForeignBaseURLWithDataEightsTokenURL(t *testing.T) {
	api := New(t, nil)
	t.Setenv("DATA8_TOKEN_URL", "")
	t.Setenv("DATA8_BASE_URL", "")
	_, err := client.New(client.WithBaseURL(api.URL), client.WithCredentials(ClientID, ClientSecret))
	if !errors.Is(err, client.ErrValidation) || !strings.Contains(err.Error(), "no token URL is set") {
		t.Fatalf("error %v, want ErrValidation saying no token URL is set", err)
	}
	if strings.Contains(err.Error(), ClientSecret) {
		t.Errorf("the error holds the secret: %v", err)
	}
	t.Setenv("DATA8_BASE_URL", api.URL)
	if _, err := client.New(client.WithCredentials(ClientID, ClientSecret)); !errors.Is(err, client.ErrValidation) {
		t.Errorf("with DATA8_BASE_URL: error %v, want ErrValidation", err)
	}
	for name, opts := range map[string][]client.Option{
		"a token URL":              {client.WithBaseURL(api.URL), client.WithTokenURL(api.TokenURL()), client.WithCredentials(ClientID, ClientSecret)},
		"a fixed token":            {client.WithBaseURL(api.URL), client.WithBearerToken(AccessToken)},
		"Data8's API":              {client.WithBaseURL(client.DefaultBaseURL + "/"), client.WithCredentials(ClientID, ClientSecret)},
		"Data8's token URL, given": {client.WithBaseURL(api.URL), client.WithTokenURL(client.DefaultTokenURL), client.WithCredentials(ClientID, ClientSecret)},
	} {
		c, err := client.New(opts...)
		if err != nil {
			t.Errorf("with %s: %v", name, err)
			continue
		}
		c.Close()
	}
	t.Setenv("DATA8_TOKEN_URL", api.TokenURL())
	c, err := client.New(client.WithBaseURL(api.URL), client.WithCredentials(ClientID, ClientSecret))
	if err != nil {
		t.Fatalf("with DATA8_TOKEN_URL: %v", err)
	}
	c.Close()
	if n := len(api.Requests()); n != 0 {
		t.Errorf("the server received %d requests, want none", n)
	}
}

// TestTokenTimeoutWithACallersClient: a token endpoint that never answers is given up on after the
// token fetch's 30 s, also when the caller gives its own http.Client without a timeout (as data8
// --verbose does), not after the API's 2 minutes. Time is the synctest bubble's.
func TestTokenTimeoutWithACallersClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := NewDirect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // never answers
		}))
		c := directClient(t, d, client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 2}))
		if _, err := c.GetDataset(t.Context(), "ds"); err == nil {
			t.Fatal("no error from a token endpoint that never answers")
		}
		var at []time.Time
		for _, r := range d.Requests() {
			if r.Path == TokenPath {
				at = append(at, r.At)
			}
		}
		if len(at) != 2 {
			t.Fatalf("%d token requests, want 2 (MaxAttempts)", len(at))
		}
		if gap := at[1].Sub(at[0]); gap < 30*time.Second || gap > 31*time.Second {
			t.Errorf("the second token request came %v after the first, want the 30 s timeout and a short wait", gap)
		}
	})
}
