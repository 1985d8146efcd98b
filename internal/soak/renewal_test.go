package soak

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// revokingServer is an API and token endpoint whose tokens t1, t2, ... (each with expires_in 1, as
// data8test's: the client renews a token once three quarters of its life have passed) can all be
// revoked at once. It holds call X's request (GET /Dataset/x) with t1 until xRelease is closed and,
// when t2Release is not nil, the answer carrying t2 until t2Release is closed.
type revokingServer struct {
	*httptest.Server
	mu        sync.Mutex
	issued    []string
	revokedTo int // tokens issued[:revokedTo] are revoked

	xHeld, xRelease     chan struct{}
	t2Issued, t2Release chan struct{}
	xOnce, t2Once       sync.Once
}

func newRevokingServer(t *testing.T, holdT2 bool) *revokingServer {
	s := &revokingServer{xHeld: make(chan struct{}), xRelease: make(chan struct{}), t2Issued: make(chan struct{})}
	if holdT2 {
		s.t2Release = make(chan struct{})
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *revokingServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/connect/token" {
		s.mu.Lock()
		tok := fmt.Sprintf("t%d", len(s.issued)+1)
		s.issued = append(s.issued, tok)
		s.mu.Unlock()
		if tok == "t2" && s.t2Release != nil {
			s.t2Once.Do(func() { close(s.t2Issued) })
			<-s.t2Release
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":1,"scope":"BatchApi"}`, tok)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/Dataset/")
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if name == "x" && tok == "t1" {
		s.xOnce.Do(func() { close(s.xHeld) })
		<-s.xRelease
	}
	s.mu.Lock()
	ok := false
	for i, issued := range s.issued {
		ok = ok || (issued == tok && i >= s.revokedTo)
	}
	s.mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"title":"Unauthorized","status":401,"detail":"The bearer token has expired."}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"name": name, "columns": map[string]int{"a": 0}, "input": true, "recordCount": 0, "completed": false})
}

// revokeAll revokes every token issued so far and returns how many that is.
func (s *revokingServer) revokeAll() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokedTo = len(s.issued)
	return s.revokedTo
}

// tokens returns the tokens issued so far.
func (s *revokingServer) tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// client returns a client of the server.
func (s *revokingServer) client(t *testing.T) *client.Client {
	c, err := client.New(client.WithBaseURL(s.URL), client.WithTokenURL(s.URL+"/connect/token"),
		client.WithCredentials("id", "secret"), client.WithRetryPolicy(client.RetryPolicy{BaseDelay: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// getX starts call X (GET /Dataset/x) and returns the channel of its outcome.
func getX(t *testing.T, c *client.Client) <-chan error {
	xErr := make(chan error, 1)
	go func() {
		_, err := c.GetDataset(t.Context(), "x")
		xErr <- err
	}()
	return xErr
}

// TestRenewalAfterRevocationUsesAFreshToken is the failure the soak met once revocation was added to it, made
// deterministic. The rule: on a 401, "drop the cached token, fetch a new one, retry that request
// once". The retry after a 401 must not join a token fetch that began before the refusal: that
// fetch may return a token the server revoked with the one refused, the retry is then refused too,
// and the call fails with 401 although the credentials are good and a fetch started after the
// refusal would have worked.
//
// The sequence: call X sends token t1 and is held by the server; call Y starts fetching t2, held by
// the token endpoint after t2 is issued; the server revokes every token issued so far (t1, t2);
// X's request is refused (401); X renews — and joins Y's fetch; t2 arrives; X is refused again.
func TestRenewalAfterRevocationUsesAFreshToken(t *testing.T) {
	srv := newRevokingServer(t, true)
	c := srv.client(t)

	xErr := getX(t, c)
	<-srv.xHeld             // X holds t1 at the server
	time.Sleep(time.Second) // t1 is due for renewal: Y fetches t2
	yErr := make(chan error, 1)
	go func() {
		_, err := c.GetDataset(t.Context(), "y")
		yErr <- err
	}()
	<-srv.t2Issued             // Y's fetch has t2, not yet delivered
	revoked := srv.revokeAll() // t1 and t2
	close(srv.xRelease)        // X is refused; it renews while Y's fetch is still running
	time.Sleep(100 * time.Millisecond)
	close(srv.t2Release)

	if err := <-yErr; err != nil {
		t.Errorf("call Y: %v", err)
	}
	if err := <-xErr; err != nil {
		t.Errorf("call X failed after one renewal; tokens issued: %v (the first %d revoked): %v", srv.tokens(), revoked, err)
	}
}

// TestRenewalAfterRevocationDropsANewerCachedToken: the same rule when the token fetched before the
// refusal has already arrived. Call X sends token t1 and is held by the server; t1 comes due for
// renewal and call Y fetches t2, which is cached; the server revokes every token issued so far (t1,
// t2); X's request is refused (401). The refusal of t1 says nothing good of t2, fetched before it:
// X's renewal must fetch t3 rather than send t2, which is refused too and would end the call.
func TestRenewalAfterRevocationDropsANewerCachedToken(t *testing.T) {
	srv := newRevokingServer(t, false)
	c := srv.client(t)

	xErr := getX(t, c)
	<-srv.xHeld             // X holds t1 at the server
	time.Sleep(time.Second) // t1 (expires_in 1) is due for renewal: Y fetches t2
	if _, err := c.GetDataset(t.Context(), "y"); err != nil {
		t.Fatalf("call Y: %v", err)
	}
	if issued := srv.tokens(); len(issued) != 2 {
		t.Fatalf("tokens issued before the revocation: %v, want t1 and t2", issued)
	}
	revoked := srv.revokeAll() // t1 and t2
	close(srv.xRelease)        // X is refused with t1, while t2 is cached

	if err := <-xErr; err != nil {
		t.Errorf("call X failed after one renewal; tokens issued: %v (the first %d revoked): %v", srv.tokens(), revoked, err)
	}
}
