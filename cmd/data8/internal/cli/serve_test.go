package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

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
	vars := map[string]string{}
	sc := bufio.NewScanner(pr)
	for len(vars) < 4 && sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		vars[k] = strings.Trim(v, "'")
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	stop := sync.OnceValue(func() result {
		cancel()
		return result{code: <-done, stderr: stderr.String()}
	})
	if len(vars) < 4 {
		r := stop()
		t.Fatalf("serve printed %v\n%s", vars, r)
	}
	t.Cleanup(func() { stop() })
	return vars, stop
}

func TestServeProfile(t *testing.T) {
	vars, stop := startServeCLI(t, "--addr", "127.0.0.1:0", "--profile", "created-201, trace-id")
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
	post := func(body string) *http.Response {
		req, _ := http.NewRequest("POST", vars["DATA8_BASE_URL"]+"/Dataset", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
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
	r := runCLI(t, context.Background(), env{}, hooks{}, "serve", "--addr", "127.0.0.1:0", "--profile", "created-201,bogus")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown profile "bogus"`) || !strings.Contains(r.stderr, "all, created-201, ") || !strings.Contains(r.stderr, "trace-id") {
		t.Errorf("got %s", r)
	}
}
