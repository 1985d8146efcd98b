package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveDeadline bounds every wait on data8 serve in these tests (its export lines, its end once
// stopped, its refusal of bad flags): a serve that never gets there fails the test instead of
// holding the package until the test binary's timeout.
const serveDeadline = time.Minute

// startServeCLI runs data8 serve in process with args until the test ends, and returns the export
// lines it printed, by variable, and what it wrote to standard error once it has stopped.
func startServeCLI(t *testing.T, args ...string) (map[string]string, func() result) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- mainWith(ctx, append([]string{"serve"}, args...), strings.NewReader(""), pw, &stderr, env{}.get, hooks{})
		pw.Close()
	}()
	printed := make(chan map[string]string, 1)
	go func() {
		vars := map[string]string{}
		sc := bufio.NewScanner(pr)
		for len(vars) < 4 && sc.Scan() {
			k, v, _ := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
			vars[k] = strings.Trim(v, "'")
		}
		printed <- vars
		_, _ = io.Copy(io.Discard, pr)
	}()
	stop := sync.OnceValue(func() result {
		cancel()
		select {
		case code := <-done:
			return result{code: code, stderr: stderr.String()}
		case <-time.After(serveDeadline):
			t.Errorf("data8 serve %s did not end within %s of being stopped", strings.Join(args, " "), serveDeadline)
			return result{code: -1, stderr: stderr.String()}
		}
	})
	t.Cleanup(func() { stop() })
	var vars map[string]string
	select {
	case vars = <-printed:
	case <-time.After(serveDeadline):
		pr.CloseWithError(errors.New("no export lines in time"))
		t.Fatalf("data8 serve %s printed no export lines within %s\n%s", strings.Join(args, " "), serveDeadline, stop())
	}
	if len(vars) < 4 {
		r := stop()
		t.Fatalf("serve printed %v\n%s", vars, r)
	}
	return vars, stop
}

// runServe runs data8 serve with args, which must end on its own (refusing them), and fails the
// test if it has not ended within serveDeadline.
func runServe(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ended := make(chan result, 1)
	go func() { ended <- runCLI(t, ctx, env{}, hooks{}, append([]string{"serve"}, args...)...) }()
	select {
	case r := <-ended:
		return r
	case <-time.After(serveDeadline):
		t.Fatalf("data8 serve %s did not end within %s: it should have refused its flags", strings.Join(args, " "), serveDeadline)
		return result{}
	}
}

func TestServeProfile(t *testing.T) {
	vars, stop := startServeCLI(t, "--addr", "127.0.0.1:0", "--profile", "created-201, trace-id")
	tok := serveToken(t, vars)
	post := func(body string) *http.Response {
		req, _ := http.NewRequest("POST", vars["DATA8_BASE_URL"]+"/Dataset", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := post(`{"name":"d","columns":{"a":0}}`); r.StatusCode != http.StatusCreated {
		t.Errorf("create under created-201: %d", r.StatusCode)
	}
	if r := stop(); r.code != 0 {
		t.Errorf("serve: %s", r)
	}
}

func TestServeProfileAll(t *testing.T) {
	if _, stop := startServeCLI(t, "--addr", "127.0.0.1:0", "--profile", "all"); stop().code != 0 {
		t.Error("serve --profile all did not exit 0")
	}
}

func TestServeUnknownProfile(t *testing.T) {
	r := runServe(t, "--addr", "127.0.0.1:0", "--profile", "created-201,bogus")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown profile "bogus"`) || !strings.Contains(r.stderr, "all, created-201, ") || !strings.Contains(r.stderr, "trace-id") {
		t.Errorf("got %s", r)
	}
}

func TestServeThrottled(t *testing.T) {
	vars, stop := startServeCLI(t, "--addr", "127.0.0.1:0", "--rate", "0.0001", "--max-in-flight", "4")
	resp, err := http.PostForm(vars["DATA8_TOKEN_URL"], url.Values{"grant_type": {"client_credentials"},
		"client_id": {vars["DATA8_CLIENT_ID"]}, "client_secret": {vars["DATA8_CLIENT_SECRET"]}, "scope": {"BatchApi"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var codes []int
	for range 2 {
		resp, err := http.Get(vars["DATA8_BASE_URL"] + "/Dataset")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}
	// The first request passes the rate (and fails for want of a token), the second is throttled.
	if codes[0] != http.StatusUnauthorized || codes[1] != http.StatusTooManyRequests {
		t.Errorf("statuses %v, want [401 429]", codes)
	}
	if r := stop(); r.code != 0 {
		t.Errorf("serve: %s", r)
	}
	if r := runCLI(t, context.Background(), env{}, hooks{}, "serve", "--rate", "-1"); r.code != 2 {
		t.Errorf("--rate -1: %s", r)
	}
}

func TestServeWarnsOffLoopback(t *testing.T) {
	for addr, warn := range map[string]bool{
		"127.0.0.1:0": false, "localhost:0": false, "[::1]:0": false,
		"0.0.0.0:0": true, ":0": true, "[::]:0": true, "192.0.2.1:8080": true, "example.com:80": true,
	} {
		if got := loopbackAddr(addr); got == warn {
			t.Errorf("loopbackAddr(%q) = %v", addr, got)
		}
	}
	// The tests listen on loopback only, so the warning's text is checked on its own.
	if w := offLoopbackWarning("0.0.0.0:8080"); !strings.Contains(w, "warning: 0.0.0.0:8080 is not a loopback address") || !strings.Contains(w, "reachable from the network") {
		t.Errorf("warning %q", w)
	}
	_, stop := startServeCLI(t, "--addr", "127.0.0.1:0")
	if r := stop(); strings.Contains(r.stderr, "warning") {
		t.Errorf("warned on loopback: %s", r)
	}
}

// serveToken fetches an access token from the data8 serve whose export lines are vars, with the
// client credentials they name.
func serveToken(t *testing.T, vars map[string]string) string {
	t.Helper()
	resp, err := http.PostForm(vars["DATA8_TOKEN_URL"], url.Values{"grant_type": {"client_credentials"},
		"client_id": {vars["DATA8_CLIENT_ID"]}, "client_secret": {vars["DATA8_CLIENT_SECRET"]}, "scope": {"BatchApi"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}
