package client

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestOrigin(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"https://api.data-8.co.uk", "https://API.Data-8.co.uk:443/Dataset?page=2"},
		{"http://127.0.0.1", "HTTP://127.0.0.1:80/x"},
		{"https://[::1]:8443/a", "https://[::1]:8443/b"},
	} {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if origin(a) != origin(b) {
			t.Errorf("origin(%s) = %s, origin(%s) = %s; want equal", tc.a, origin(a), tc.b, origin(b))
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"https://127.0.0.1", "http://127.0.0.1"},
		{"https://127.0.0.1:8443", "https://127.0.0.1:8080"},
		{"https://api.data-8.co.uk", "https://api.data-8.co.uk.evil.example"},
		{"https://127.0.0.1", "https://localhost"},
	} {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if origin(a) == origin(b) {
			t.Errorf("origin(%s) = origin(%s) = %s; want different", tc.a, tc.b, origin(a))
		}
	}
}

// TestGuardSendsOnlyToItsOrigin checks the guard on its own (redirects are refused before it sees
// them): a request for another origin never reaches the transport underneath, and its error names
// the origins, matches ErrRedirect, and holds no token.
func TestGuardSendsOnlyToItsOrigin(t *testing.T) {
	var reached []string
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		reached = append(reached, r.URL.String())
		return httptest.NewRecorder().Result(), nil
	})
	hc := guarded(&http.Client{Transport: base}, whatAPI, "https://api.example.com", apiTimeout, nil)

	req, _ := http.NewRequest(http.MethodGet, "https://api.example.com:443/Dataset", nil)
	if _, err := hc.Do(req); err != nil {
		t.Fatalf("request to the configured origin: %v", err)
	}
	req, _ = http.NewRequest(http.MethodPatch, "http://api.example.com/Dataset/d/data?x=1", strings.NewReader(`{"records":[]}`))
	req.Header.Set("Authorization", "Bearer the-token-value")
	_, err := hc.Do(req)
	if !errors.Is(err, ErrRedirect) {
		t.Fatalf("request to http://: error %v, want ErrRedirect", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "https://api.example.com:443") || !strings.Contains(msg, "http://api.example.com:80") || strings.Contains(msg, "the-token-value") {
		t.Errorf("error %q: want both origins and no token", msg)
	}
	if len(reached) != 1 {
		t.Errorf("the transport underneath got %v; want only the first request", reached)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
