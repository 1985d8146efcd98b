package data8test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// fzServe sends one request to s's handler in process and returns the recorded answer.
func fzServe(s *Server, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

// fzSetup gives s a state worth fuzzing against, through its handler: an access token, an open
// dataset "open" (columns a, b) holding one block, a complete dataset "done", a finished job "j 1"
// and an API key KEY-0001. It returns the token.
func fzSetup(t *testing.T, s *Server) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {s.ClientID}, "client_secret": {s.ClientSecret}, "scope": {"BatchApi"}}
	req := httptest.NewRequest("POST", "/connect/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := fzServe(s, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	for _, step := range []struct{ method, path, body string }{
		{"POST", "/Dataset", `{"name":"open","columns":{"a":0,"b":1}}`},
		{"PATCH", "/Dataset/open/data", `{"blockNumber":3,"records":[{"a":"x","b":1},{"a":null}]}`},
		{"POST", "/Dataset", `{"name":"done","columns":{"a":0}}`},
		{"PATCH", "/Dataset/done/data", `{"blockNumber":0,"records":[{"a":"y"}]}`},
		{"PUT", "/Dataset/done", `{"recordCount":1,"completed":true}`},
		{"POST", "/Job", `{"name":"j 1","workflowName":"Echo","inputDatasets":{"Input":"done"}}`},
		{"POST", "/ApiKey", `{"key":"KEY-0001","description":"k"}`},
	} {
		req := httptest.NewRequest(step.method, step.path, strings.NewReader(step.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		if rec := fzServe(s, req); rec.Code != 200 {
			t.Fatalf("setup %s %s: %d %s", step.method, step.path, rec.Code, rec.Body)
		}
	}
	return tok.AccessToken
}

// fzToken reports whether s is a non-empty HTTP token (RFC 9110), as a method or header name must be.
func fzToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// fzHeaderValue reports whether v can travel as a header value (net/http refuses CR, LF and NUL).
func fzHeaderValue(v string) bool { return !strings.ContainsAny(v, "\r\n\x00") }

// fzHost reports whether h is a Host header a net/http server lets through (as
// golang.org/x/net/http/httpguts.ValidHostHeader does).
func fzHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!$&'()*+,-.:;=[]_~%", c) >= 0) {
			return false
		}
	}
	return true
}

// FuzzHandlers sends arbitrary methods, paths, bodies and headers ("Name: value" lines; Host,
// Content-Type, Authorization and any other header included) with a valid bearer token — unless
// the headers replace it — to the handler of a server holding datasets, a job and an API key.
// Whatever comes in, the server must not panic nor answer 5xx; every error of the API is a problem
// body (application/problem+json); every 401 carries a Bearer challenge; and with WithValidation on, every
// answer to an operation of the spec must match the spec (violations fail the fuzz run). It
// complements FuzzAPI, which varies methods, paths and bodies only.
func FuzzHandlers(f *testing.F) {
	seeds := []struct{ method, path, body, headers string }{
		{"PATCH", "/Dataset/open/data", `{"blockNumber":0,"records":[{"a":"x"}]}`, "Content-Type: application/json"},
		{"PATCH", "/Dataset/open/data", `{"blockNumber":0,"records":[{"a":"x"}]}`, "Content-Type: text/plain"},
		{"PATCH", "/Dataset/open/data", `{"blockNumber":0,"records":[{"a":"x"}]}`, "Content-Type: application/json; charset=utf-16"},
		{"PATCH", "/Dataset/open/data", "\x1f\x8b\x08\x00", "Content-Type: application/json\nContent-Encoding: gzip"},
		{"PATCH", "/Dataset/open/data", `{"blockNumber":1e3,"records":[]}`, "Content-Type: application/json\nContent-Length: 3"},
		{"PATCH", "/Dataset/open/data", `{"blockNumber":2147483648,"records":[]}`, "Content-Type: application/json"},
		{"PATCH", "/Dataset/done/data", `{"blockNumber":0,"records":[]}`, "Content-Type: application/json\nTransfer-Encoding: chunked"},
		{"POST", "/Dataset", `{"name":"x","columns":{"a":0}}`, "Content-Type: multipart/form-data; boundary=x"},
		{"POST", "/Dataset", `{"name":"x","columns":{"a":0}}`, "Host: example.com:443\nX-Forwarded-Proto: https"},
		{"POST", "/Dataset", `{"name":"x","columns":{"a":0}}`, "Host: [::1]:80"},
		{"POST", "/Dataset", `name=x`, "Content-Type: application/x-www-form-urlencoded"},
		{"GET", "/Dataset?page=1", "", "Accept: text/html"},
		{"GET", "/Dataset", "", "Authorization: Bearer nope"},
		{"GET", "/Dataset", "", "Authorization: Basic Zm9vOmJhcg=="},
		{"GET", "/Dataset", "", "Authorization: bearer"},
		{"GET", "/Dataset", "", "Authorization:"},
		{"PUT", "/Dataset/open", `{"recordCount":2,"completed":true}`, "Content-Type: application/json\nIf-Match: *"},
		{"PUT", "/Dataset/open", `{"recordCount":2,"completed":"yes"}`, "Content-Type: application/json"},
		{"GET", "/Dataset/open/data?page=1&page=2", "", ""},
		{"GET", "/Job?startDate=yesterday", "", ""},
		{"GET", "/Job/j%201", "", "Accept-Encoding: gzip"},
		{"POST", "/Job", `{"name":"j 2","workflowName":"Echo","inputDatasets":{"Input":"done"}}`, "Content-Type: application/json; charset=utf-8\nExpect: 100-continue"},
		{"PUT", "/ApiKey/KEY-0001/allowedIPs/10.0.0.0%2F8/", "", ""},
		{"PUT", "/ApiKey/KEY-0001/allowedIPs/10.0.0.0/33", "", ""},
		{"DELETE", "/ApiKey/KEY-0001", "", "X-HTTP-Method-Override: GET"},
		{"POST", "/connect/token", "grant_type=client_credentials", "Content-Type: application/x-www-form-urlencoded\nAuthorization: Basic Og=="},
		{"GET", "/.well-known/openid-configuration", "", ""},
		{"HEAD", "/Dataset", "", ""},
		{"OPTIONS", "/Dataset/open", "", "Origin: https://evil.example\nAccess-Control-Request-Method: DELETE"},
		{"TRACE", "/", "", ""},
		{"GET", "/Dataset/%2e%2e/connect/token", "", ""},
		{"GET", "//Dataset", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, []byte(s.body), s.headers)
	}
	f.Fuzz(func(t *testing.T, method, path string, body []byte, headers string) {
		if !fzToken(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n#\x00\x7f") {
			return
		}
		req, err := http.NewRequest(method, "http://127.0.0.1"+path, bytes.NewReader(body))
		if err != nil || req.URL.Host != "127.0.0.1" {
			return
		}
		req.RequestURI = path
		hdr := http.Header{}
		for line := range strings.Lines(headers) {
			name, value, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ":")
			value = strings.TrimSpace(value)
			if !ok || !fzToken(name) || !fzHeaderValue(value) {
				continue
			}
			if http.CanonicalHeaderKey(name) == "Host" {
				if !fzHost(value) {
					return
				}
				req.Host = value
				continue
			}
			hdr.Add(name, value)
		}

		s := NewServer(WithValidation(t), WithJobDuration(0))
		defer s.Close()
		tok := fzSetup(t, s)
		req.Header.Set("Authorization", "Bearer "+tok)
		for k, v := range hdr {
			req.Header[k] = v
		}
		rec := fzServe(s, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q with headers %q: %d %s", method, path, body, headers, rec.Code, rec.Body)
		}
		if strings.HasPrefix(req.URL.Path, "/connect/token") || req.URL.Path == "/.well-known/openid-configuration" {
			return
		}
		if rec.Code >= 400 {
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Fatalf("%s %s: %d with Content-Type %q, want a problem body: %s", method, path, rec.Code, ct, rec.Body)
			}
		}
		if rec.Code == http.StatusUnauthorized {
			if ch := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer") {
				t.Fatalf("%s %s: 401 with WWW-Authenticate %q", method, path, ch)
			}
		}
	})
}
