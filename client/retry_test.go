package client_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
)

// recorder is an injected sleeper: it records each delay the policy chose and returns at once.
type recorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.delays = append(r.delays, d)
	r.mu.Unlock()
	return context.Cause(ctx)
}

func (r *recorder) get() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.delays...)
}

// isRetryAfterSeconds reports whether v is a Retry-After data8test can send: whole seconds.
func isRetryAfterSeconds(v string) bool {
	_, err := strconv.Atoi(v)
	return err == nil
}

func TestRetryAfterIsHonoured(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	cases := []struct {
		name       string
		retryAfter string
		policy     client.RetryPolicy
		want       time.Duration
	}{
		{name: "seconds", retryAfter: "7", want: 7 * time.Second},
		{name: "zero", retryAfter: "0", want: 0},
		{name: "HTTP date", retryAfter: now.Add(12 * time.Second).Format(http.TimeFormat), want: 12 * time.Second},
		{name: "HTTP date in the past", retryAfter: now.Add(-time.Hour).Format(http.TimeFormat), want: 0},
		{name: "clamped to the default 60s", retryAfter: "3600", want: 60 * time.Second},
		{name: "clamped to MaxRetryAfter", retryAfter: "45", policy: client.RetryPolicy{MaxRetryAfter: 30 * time.Second}, want: 30 * time.Second},
		{name: "HTTP date clamped", retryAfter: now.Add(2 * time.Hour).Format(http.TimeFormat), want: 60 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, status := range []int{429, 503} {
				rec := &recorder{}
				p := tc.policy
				p.Sleep, p.Now = rec.sleep, func() time.Time { return now }
				var c *client.Client
				requests := func() int { return 0 }
				if status == 429 && isRetryAfterSeconds(tc.retryAfter) {
					// data8test sends a 429 with Retry-After in whole seconds itself.
					secs, _ := strconv.Atoi(tc.retryAfter)
					srv := newServer(t, data8test.WithRetryAfter(time.Duration(secs)*time.Second),
						data8test.WithFaultScript(data8test.Fault{Op: data8test.OpDatasetGetByName, Call: 1, Kind: data8test.Fault429}))
					c = newClient(srv, client.WithRetryPolicy(p))
					createDataset(t, c, "ds", "a")
					requests = func() int { return srv.RequestCount(data8test.OpDatasetGetByName) }
				} else {
					// A 503 with Retry-After, or a Retry-After as an HTTP date, comes from a gateway.
					srv := newServer(t)
					var hits counter[string]
					g := newGateway(t, srv, func(g *gateway, w http.ResponseWriter, r *http.Request) bool {
						if r.Method == http.MethodGet && r.URL.Path == "/Dataset/ds" && hits.add(r.URL.Path) == 1 {
							g.fail(w, r, loss{status: status, retryAfter: tc.retryAfter})
							return true
						}
						return false
					})
					c = g.client(client.WithRetryPolicy(p))
					createDataset(t, c, "ds", "a")
					requests = func() int {
						if n := srv.RequestCount(data8test.OpDatasetGetByName); n != 1 {
							t.Errorf("status %d: the server got %d requests, want 1 (the retry)", status, n)
						}
						return hits.get("/Dataset/ds")
					}
				}
				if _, err := c.GetDataset(context.Background(), "ds"); err != nil {
					t.Fatal(err)
				}
				if got := rec.get(); len(got) != 1 || got[0] != tc.want {
					t.Errorf("status %d: delays %v, want [%v]", status, got, tc.want)
				}
				if n := requests(); n != 2 {
					t.Errorf("status %d: %d requests, want 2", status, n)
				}
			}
		})
	}
}

// alwaysFail makes every request of op fail with kind.
func alwaysFail(op string, kind data8test.FaultKind) data8test.Option {
	return data8test.WithFaultScript(data8test.Fault{Op: op, Kind: kind})
}

func TestRetryStopsAfterMaxAttempts(t *testing.T) {
	srv := newServer(t, alwaysFail(data8test.OpDatasetGetByName, data8test.Fault503))
	rec := &recorder{}
	c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep}))
	_, err := c.GetDataset(context.Background(), "ds")
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 {
		t.Fatalf("error %v, want the last 503", err)
	}
	if n := srv.RequestCount(data8test.OpDatasetGetByName); n != 5 {
		t.Errorf("%d attempts, want 5", n)
	}
	delays := rec.get()
	if len(delays) != 4 {
		t.Fatalf("%d delays, want 4", len(delays))
	}
	for i, d := range delays {
		ceil := 100 * time.Millisecond << i // full jitter: [0, 100ms·2^i)
		if d < 0 || d >= ceil {
			t.Errorf("delay %d = %v, want within [0, %v)", i+1, d, ceil)
		}
	}
}

func TestRetryByMethod(t *testing.T) {
	getDataset := func(c *client.Client) error { _, err := c.GetDataset(context.Background(), "ds"); return err }
	createKey := func(c *client.Client) error {
		_, err := c.CreateAPIKey(context.Background(), client.NewAPIKey{Description: "x"})
		return err
	}
	cases := []struct {
		name string
		op   string
		kind data8test.FaultKind // the first request's fault
		call func(c *client.Client) error
		want int // requests of op
	}{
		{"GET retries 500", data8test.OpDatasetGetByName, data8test.Fault500, getDataset, 2},
		{"PUT retries 500", data8test.OpDatasetUpdateByName, data8test.Fault500, func(c *client.Client) error {
			_, err := c.CompleteDataset(context.Background(), "ds", 0)
			return err
		}, 2},
		{"GET does not retry 404", data8test.OpDatasetGetByName, 0, func(c *client.Client) error {
			_, err := c.GetDataset(context.Background(), "missing")
			return err
		}, 1},
		{"POST /ApiKey does not retry 503", data8test.OpApiKeyCreateApiKey, data8test.Fault503, createKey, 1},
		{"POST /ApiKey does not retry a dropped connection", data8test.OpApiKeyCreateApiKey, data8test.FaultDrop, createKey, 1},
		{"POST /ApiKey retries 429", data8test.OpApiKeyCreateApiKey, data8test.Fault429, createKey, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var opts []data8test.Option
			if tc.kind != 0 {
				opts = append(opts, data8test.WithFaultScript(data8test.Fault{Op: tc.op, Call: 1, Kind: tc.kind}))
			}
			srv := newServer(t, opts...)
			c := newClient(srv)
			createDataset(t, c, "ds", "a")
			err := tc.call(c)
			if (tc.want == 1) != (err != nil) {
				t.Errorf("error %v", err)
			}
			if n := srv.RequestCount(tc.op); n != tc.want {
				t.Errorf("%d requests, want %d", n, tc.want)
			}
		})
	}
	// data8test never answers 501; a gateway does.
	t.Run("GET does not retry 501", func(t *testing.T) {
		srv := newServer(t)
		var hits counter[string]
		g := newGateway(t, srv, func(g *gateway, w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path == "/Dataset/ds" && hits.add(r.URL.Path) == 1 {
				g.fail(w, r, loss{status: 501})
				return true
			}
			return false
		})
		c := g.client()
		createDataset(t, c, "ds", "a")
		var ae *client.APIError
		if _, err := c.GetDataset(context.Background(), "ds"); !errors.As(err, &ae) || ae.StatusCode != 501 {
			t.Errorf("error %v, want the 501", err)
		}
		if n := hits.get("/Dataset/ds"); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
}

func TestRetryBudgetStopsHammeringADeadServer(t *testing.T) {
	srv := newServer(t, alwaysFail(data8test.OpDatasetGetByName, data8test.Fault503))
	c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep, Budget: 3}))
	if _, err := c.GetDataset(context.Background(), "ds"); err == nil {
		t.Fatal("no error")
	}
	if n := srv.RequestCount(data8test.OpDatasetGetByName); n != 4 {
		t.Errorf("first call: %d attempts, want 4 (the first and three retries the budget allows)", n)
	}
	if _, err := c.GetDataset(context.Background(), "ds"); err == nil {
		t.Fatal("no error")
	}
	if n := srv.RequestCount(data8test.OpDatasetGetByName); n != 5 {
		t.Errorf("second call: %d attempts, want 1 (budget spent)", n-4)
	}
}

func TestCancelStopsRetrying(t *testing.T) {
	srv := newServer(t, alwaysFail(data8test.OpDatasetGetByName, data8test.Fault503))
	ctx, cancel := context.WithCancel(context.Background())
	c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return context.Cause(ctx)
	}}))
	_, err := c.GetDataset(ctx, "ds")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "503") {
		t.Errorf("error %q does not mention the last failure", err)
	}
	if n := srv.RequestCount(data8test.OpDatasetGetByName); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestAPIErrorShape(t *testing.T) {
	srv := newServer(t)
	// A proxy's HTML error page comes from a gateway; the 404 from the server.
	g := newGateway(t, srv, func(g *gateway, w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/Dataset/html" {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			w.Write([]byte("<html>bad gateway</html>"))
			return true
		}
		return false
	})
	c := g.client(client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep, MaxAttempts: 1}))

	_, err := c.GetDataset(context.Background(), "missing")
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %T", err)
	}
	wantProblem := client.Problem{Type: "https://tools.ietf.org/html/rfc9110#section-15.5.5", Title: "Not Found", Status: 404, Detail: "The requested dataset missing does not exist."}
	if ae.Operation != "Dataset_GetByName" || ae.StatusCode != 404 || ae.Problem != wantProblem || ae.FieldErrors != nil || ae.Body != nil {
		t.Errorf("APIError = %+v", ae)
	}
	if !errors.Is(err, client.ErrNotFound) || errors.Is(err, client.ErrValidation) {
		t.Error("sentinels do not match the status")
	}
	if got, want := err.Error(), "data8: Dataset_GetByName: 404 Not Found: Not Found: The requested dataset missing does not exist."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}

	_, err = c.GetDataset(context.Background(), "html")
	if !errors.As(err, &ae) || string(ae.Body) != "<html>bad gateway</html>" || ae.Problem.Title != "" {
		t.Errorf("APIError for an HTML body = %+v", ae)
	}
	if got, want := err.Error(), "data8: Dataset_GetByName: 502 Bad Gateway"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestCertificateErrorIsNotRetried(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failure is expected
	srv.StartTLS()
	defer srv.Close()
	rec := &recorder{}
	c, err := client.New(client.WithBaseURL(srv.URL), client.WithBearerToken("a-static-token"), client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.GetDataset(context.Background(), "ds")
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("error %v, want a certificate error", err)
	}
	if d := rec.get(); len(d) != 0 {
		t.Errorf("retried %d times", len(d))
	}
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	rec := &recorder{}
	c, err := client.New(client.WithBaseURL(url), client.WithBearerToken("a-static-token"), client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.GetDataset(context.Background(), "ds")
	if err == nil || !strings.Contains(err.Error(), "data8: Dataset_GetByName: Get ") {
		t.Fatalf("error %v", err)
	}
	if d := rec.get(); len(d) != 4 {
		t.Errorf("%d retries, want 4", len(d))
	}
}
