package hostile

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/client"
)

// newClient returns a client for base URL api and token URL token with the package's credentials.
func newClient(t *testing.T, api, token string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(append([]client.Option{
		client.WithBaseURL(api),
		client.WithTokenURL(token),
		client.WithCredentials(ClientID, ClientSecret),
		client.WithRetryPolicy(client.RetryPolicy{BaseDelay: 1, MaxDelay: 1}),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// checkRefused fails unless err is a refused redirect naming both origins and holding no secret.
func checkRefused(t *testing.T, err error, from, to string) {
	t.Helper()
	if !errors.Is(err, client.ErrRedirect) {
		t.Fatalf("error = %v; want one matching client.ErrRedirect", err)
	}
	msg := err.Error()
	for _, want := range []string{from, to} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %s", msg, want)
		}
	}
	for _, secret := range []string{ClientSecret, AccessToken} {
		if strings.Contains(msg, secret) {
			t.Errorf("error %q holds a secret", msg)
		}
	}
}

// TestTokenRedirectSendsNoSecret: a token endpoint answering 307 or 308 to another host, or from
// https to http://, gets no credentials re-sent there; the client fails with the redirect error
// after one token request (a refused redirect is not retried) and uses no token from anywhere.
func TestTokenRedirectSendsNoSecret(t *testing.T) {
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, to := range []string{"another host", "http://"} {
			t.Run(fmt.Sprintf("%d to %s", code, to), func(t *testing.T) {
				thief := New(t, API(func(w http.ResponseWriter, r *http.Request) {
					WriteJSON(w, http.StatusOK, map[string]any{"name": "x", "columns": map[string]int{}, "input": true})
				}))
				var auth *Server
				var opts []client.Option
				target := thief.OtherHost()
				if to == "http://" {
					auth = NewTLS(t, Redirect(code, thief.URL))
					target = thief.URL
					opts = append(opts, client.WithHTTPClient(auth.Client())) // trusts auth; follows redirects
				} else {
					auth = New(t, Redirect(code, target))
				}
				c := newClient(t, auth.URL, auth.TokenURL(), opts...)

				_, err := c.GetDataset(context.Background(), "x")
				checkRefused(t, err, Origin(auth.URL), Origin(target))
				if got := thief.Requests(); len(got) != 0 {
					t.Errorf("the other host received %d requests (first: %s %s, body %q)", len(got), got[0].Method, got[0].Path, got[0].Body)
				}
				if n := auth.Count(http.MethodPost, TokenPath); n != 1 {
					t.Errorf("the token endpoint received %d token requests, want 1 (a refused redirect is not retried)", n)
				}
				if n := len(auth.Requests()); n != 1 {
					t.Errorf("the server received %d requests, want only the token request", n)
				}
			})
		}
	}
}

// TestAPIRedirectSendsNoToken: an API on https answering a redirect to http:// on the same host and
// another port (Go keeps Authorization for the same host name) gets nothing sent there: no bearer
// token crosses in clear text, whatever the redirect's code. The caller's *http.Client follows
// redirects; the client does not, and does not retry.
func TestAPIRedirectSendsNoToken(t *testing.T) {
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			plain := New(t, nil)
			api := NewTLS(t, API(Redirect(code, plain.URL)))
			c := newClient(t, api.URL, api.TokenURL(), client.WithHTTPClient(api.Client()))

			_, err := c.GetDataset(context.Background(), "x")
			checkRefused(t, err, Origin(api.URL), Origin(plain.URL))
			for _, r := range plain.Requests() {
				t.Errorf("the http:// port received %s %s with Authorization %q", r.Method, r.Path, r.Header.Get("Authorization"))
			}
			if n := api.Count(http.MethodGet, "/Dataset/x"); n != 1 {
				t.Errorf("the API received GET /Dataset/x %d times, want 1 (a refused redirect is not retried)", n)
			}
		})
	}
}

// TestUploadRedirectSendsNoRecords: a 307 or 308 on PATCH /Dataset/{name}/data pointing at another
// host gets no record re-sent there, and the upload fails (it is not reported uploaded).
func TestUploadRedirectSendsNoRecords(t *testing.T) {
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			thief := New(t, func() http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, http.StatusOK, map[string]any{}) }
			}())
			api := New(t, API(Redirect(code, thief.OtherHost())))
			c := newClient(t, api.URL, api.TokenURL())

			res, err := c.Upload(context.Background(), "contacts", client.Records(records(5)), client.UploadOptions{})
			checkRefused(t, err, Origin(api.URL), Origin(thief.OtherHost()))
			if res != nil && res.Records != 0 {
				t.Errorf("upload reports %d records uploaded", res.Records)
			}
			for _, r := range thief.Requests() {
				t.Errorf("the other host received %s %s with body %q", r.Method, r.Path, r.Body)
			}
			if n := api.Count(http.MethodPatch, "/Dataset/contacts/data"); n != 1 {
				t.Errorf("the API received %d block uploads, want 1 (a refused redirect is not retried)", n)
			}
		})
	}
}

// records yields n small records.
func records(n int) iter.Seq2[client.Record, error] {
	return func(yield func(client.Record, error) bool) {
		for i := range n {
			if !yield(client.Record{"name": fmt.Sprintf("person %d", i)}, nil) {
				return
			}
		}
	}
}
