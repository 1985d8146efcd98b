package client

import (
	"net/http"
	"testing"
)

// TestCallersHTTPClientKeepsTheTimeouts: a caller's HTTP client without a timeout (the data8
// command's --verbose logging one, say) leaves each request kind its own timeout: the token
// endpoint's is not raised to the API's.
func TestCallersHTTPClientKeepsTheTimeouts(t *testing.T) {
	for _, hc := range []*http.Client{nil, {Transport: NewTransport()}} {
		o := options{httpClient: hc, baseURL: "https://api.example.com", tokenURL: "https://auth.example.com/t"}
		api, token, closeIdle := o.httpClients()
		closeIdle()
		if api.Timeout != apiTimeout || token.Timeout != tokenTimeout {
			t.Errorf("caller's client %v: timeouts %v (API) and %v (token), want %v and %v", hc != nil, api.Timeout, token.Timeout, apiTimeout, tokenTimeout)
		}
	}
}
