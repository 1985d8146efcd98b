package data8test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/data8-toolkit/data8/gen"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// start starts a server with WithValidation(t) and the given options, closed when the test ends.
func start(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := NewServer(append([]Option{WithValidation(t)}, opts...)...)
	t.Cleanup(s.Close)
	return s
}

// fetchToken gets an access token from s with the form-body client authentication. Its connection is
// never one kept from an earlier server: a closed server's port may be given to the next one.
func fetchToken(t *testing.T, s *Server) string {
	t.Helper()
	return fetchTokenAnswer(t, s).AccessToken
}

// tokenAnswer is the token endpoint's answer, the members the tests read.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// fetchTokenAnswer is fetchToken returning the whole answer.
func fetchTokenAnswer(t *testing.T, s *Server) tokenAnswer {
	t.Helper()
	resp, err := httpFor(t, s).PostForm(s.TokenURL, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {s.ClientID}, "client_secret": {s.ClientSecret}, "scope": {"BatchApi"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("token: %d %s", resp.StatusCode, b)
	}
	var tok tokenAnswer
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

// bearer is a request editor that adds the token.
func bearer(tok string) gen.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}
}

// apiClient returns a generated client for s with a fresh token; its HTTP client does not keep
// connections so that goleak sees no idle ones.
func apiClient(t *testing.T, s *Server) *gen.ClientWithResponses {
	t.Helper()
	c, err := gen.NewClientWithResponses(s.URL, gen.WithRequestEditorFn(bearer(fetchToken(t, s))), gen.WithHTTPClient(httpFor(t, s)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testHTTP is an http.Client whose idle connections are closed when the test ends.
func testHTTP(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// rawResp is a response read whole.
type rawResp struct {
	status int
	header http.Header
	body   []byte
}

// problem decodes the body as a validation problem.
func (r rawResp) problem(t *testing.T) gen.ValidationProblemDetails {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json (body %s)", ct, r.body)
	}
	var p gen.ValidationProblemDetails
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body %s: %v", r.body, err)
	}
	return p
}

// errorKeys returns the members the problem's errors name.
func errorKeys(p gen.ValidationProblemDetails) map[string][]string {
	if p.Errors == nil {
		return nil
	}
	return p.Errors
}

// do sends a request to s with the token tok ("" for none) and reads the response.
func do(t *testing.T, s *Server, tok, method, path string, body any) rawResp {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ct = bytes.NewReader(enc), "application/json"
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := httpFor(t, s).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResp{status: resp.StatusCode, header: resp.Header, body: b}
}

// wantStatus fails the test unless r has status want.
func wantStatus(t *testing.T, r rawResp, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body %s", r.status, want, r.body)
	}
}

// createDataset creates an input dataset through the API.
func createDataset(t *testing.T, s *Server, tok, name string, cols ...string) {
	t.Helper()
	m := map[string]int{}
	for _, c := range cols {
		m[c] = 0
	}
	wantStatus(t, do(t, s, tok, "POST", "/Dataset", map[string]any{"name": name, "columns": m}), 200)
}

// upload sends one block.
func upload(t *testing.T, s *Server, tok, name string, blockNumber int, records ...map[string]any) rawResp {
	t.Helper()
	if records == nil {
		records = []map[string]any{}
	}
	return do(t, s, tok, "PATCH", "/Dataset/"+name+"/data", map[string]any{"blockNumber": blockNumber, "records": records})
}

// complete marks a dataset complete with n records.
func complete(t *testing.T, s *Server, tok, name string, n int) rawResp {
	t.Helper()
	return do(t, s, tok, "PUT", "/Dataset/"+name, map[string]any{"recordCount": n, "completed": true})
}

// rec builds a record of string values from alternating names and values.
func rec(kv ...string) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// fakeTB records what WithValidation reports.
type fakeTB struct {
	msgs chan string
}

func newFakeTB() *fakeTB { return &fakeTB{msgs: make(chan string, 100)} }

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	select {
	case f.msgs <- sprintf(format, args...):
	default:
	}
}

// all drains the reported messages.
func (f *fakeTB) all() []string {
	var out []string
	for {
		select {
		case m := <-f.msgs:
			out = append(out, m)
		default:
			return out
		}
	}
}

func sprintf(f string, a ...any) string { return fmt.Sprintf(f, a...) }
