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
	var (
		mu        sync.Mutex
		issued    []string
		revokedTo int // tokens issued[:revokedTo] are revoked
	)
	xHeld, xRelease := make(chan struct{}), make(chan struct{})
	t2Issued, t2Release := make(chan struct{}), make(chan struct{})
	var xOnce, t2Once sync.Once

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/connect/token" {
			mu.Lock()
			tok := fmt.Sprintf("t%d", len(issued)+1)
			issued = append(issued, tok)
			mu.Unlock()
			if tok == "t2" {
				t2Once.Do(func() { close(t2Issued) })
				<-t2Release
			}
			w.Header().Set("Content-Type", "application/json")
			// expires_in 1, as with data8test's 1 s tokens: the client renews a token once three
			// quarters of its life have passed.
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":1,"scope":"BatchApi"}`, tok)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/Dataset/")
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if name == "x" && tok == "t1" {
			xOnce.Do(func() { close(xHeld) })
			<-xRelease
		}
		mu.Lock()
		ok := false
		for i, s := range issued {
			ok = ok || (s == tok && i >= revokedTo)
		}
		mu.Unlock()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"title":"Unauthorized","status":401,"detail":"The bearer token has expired."}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"name": name, "columns": map[string]int{"a": 0}, "input": true, "recordCount": 0, "completed": false})
	}))
	defer srv.Close()

	c, err := client.New(client.WithBaseURL(srv.URL), client.WithTokenURL(srv.URL+"/connect/token"),
		client.WithCredentials("id", "secret"), client.WithRetryPolicy(client.RetryPolicy{BaseDelay: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	xErr := make(chan error, 1)
	go func() {
		_, err := c.GetDataset(t.Context(), "x")
		xErr <- err
	}()
	<-xHeld                 // X holds t1 at the server
	time.Sleep(time.Second) // t1 is due for renewal: Y fetches t2
	yErr := make(chan error, 1)
	go func() {
		_, err := c.GetDataset(t.Context(), "y")
		yErr <- err
	}()
	<-t2Issued // Y's fetch has t2, not yet delivered
	mu.Lock()
	revokedTo = len(issued) // revoke t1 and t2
	mu.Unlock()
	close(xRelease) // X is refused; it renews while Y's fetch is still running
	time.Sleep(100 * time.Millisecond)
	close(t2Release)

	if err := <-yErr; err != nil {
		t.Errorf("call Y: %v", err)
	}
	if err := <-xErr; err != nil {
		mu.Lock()
		t.Errorf("call X failed after one renewal; tokens issued: %v (the first %d revoked): %v", issued, revokedTo, err)
		mu.Unlock()
	}
}

// TestRenewalAfterRevocationDropsANewerCachedToken: the same rule when the token fetched before the
// refusal has already arrived. Call X sends token t1 and is held by the server; t1 comes due for
// renewal and call Y fetches t2, which is cached; the server revokes every token issued so far (t1,
// t2); X's request is refused (401). The refusal of t1 says nothing good of t2, fetched before it:
// X's renewal must fetch t3 rather than send t2, which is refused too and would end the call.
func TestRenewalAfterRevocationDropsANewerCachedToken(t *testing.T) {
	var (
		mu        sync.Mutex
		issued    []string
		revokedTo int // tokens issued[:revokedTo] are revoked
	)
	xHeld, xRelease := make(chan struct{}), make(chan struct{})
	var xOnce sync.Once

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/connect/token" {
			mu.Lock()
			tok := fmt.Sprintf("t%d", len(issued)+1)
			issued = append(issued, tok)
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":1,"scope":"BatchApi"}`, tok)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/Dataset/")
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if name == "x" && tok == "t1" {
			xOnce.Do(func() { close(xHeld) })
			<-xRelease
		}
		mu.Lock()
		ok := false
		for i, s := range issued {
			ok = ok || (s == tok && i >= revokedTo)
		}
		mu.Unlock()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"title":"Unauthorized","status":401,"detail":"The bearer token has expired."}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"name": name, "columns": map[string]int{"a": 0}, "input": true, "recordCount": 0, "completed": false})
	}))
	defer srv.Close()

	c, err := client.New(client.WithBaseURL(srv.URL), client.WithTokenURL(srv.URL+"/connect/token"),
		client.WithCredentials("id", "secret"), client.WithRetryPolicy(client.RetryPolicy{BaseDelay: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	xErr := make(chan error, 1)
	go func() {
		_, err := c.GetDataset(t.Context(), "x")
		xErr <- err
	}()
	<-xHeld                 // X holds t1 at the server
	time.Sleep(time.Second) // t1 (expires_in 1) is due for renewal: Y fetches t2
	if _, err := c.GetDataset(t.Context(), "y"); err != nil {
		t.Fatalf("call Y: %v", err)
	}
	mu.Lock()
	if len(issued) != 2 {
		t.Fatalf("tokens issued before the revocation: %v, want t1 and t2", issued)
	}
	revokedTo = len(issued) // revoke t1 and t2
	mu.Unlock()
	close(xRelease) // X is refused with t1, while t2 is cached

	if err := <-xErr; err != nil {
		mu.Lock()
		t.Errorf("call X failed after one renewal; tokens issued: %v (the first %d revoked): %v", issued, revokedTo, err)
		mu.Unlock()
	}
}
