package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/data8test"
)

// result is what one invocation of data8 did.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of progress callbacks.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a fake environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// target is a server the CLI is pointed at: a data8test server, maybe behind a wrapper.
type target struct {
	srv  *data8test.Server
	url  string // base URL the CLI uses (the wrapper's when there is one)
	env  env
	hook *hookHandler
}

// hookHandler serves srv's handler and calls before for each request first; before returns true when it
// answered the request itself.
type hookHandler struct {
	next   http.Handler
	mu     sync.Mutex
	before func(w http.ResponseWriter, r *http.Request) bool
	tokens map[string]bool // bearer tokens seen
	active atomic.Int32    // requests being handled
}

func (h *hookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.active.Add(1)
	defer h.active.Add(-1)
	h.mu.Lock()
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		h.tokens[tok] = true
	}
	before := h.before
	h.mu.Unlock()
	if before != nil && before(w, r) {
		return
	}
	h.next.ServeHTTP(w, r)
}

func (h *hookHandler) set(before func(w http.ResponseWriter, r *http.Request) bool) {
	h.mu.Lock()
	h.before = before
	h.mu.Unlock()
}

// settle waits until every request that reached the server has been handled: a stopped run is
// resumed after the requests it was stopped in were handled, never while the server still acts on
// one.
func (h *hookHandler) settle(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); h.active.Load() > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a request of the stopped run was still being handled after 10 s")
		}
	}
}

func (h *hookHandler) seenTokens() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for t := range h.tokens {
		out = append(out, t)
	}
	return out
}

// newTarget starts a validating data8test server behind a hook handler.
func newTarget(t *testing.T, opts ...data8test.Option) *target {
	t.Helper()
	srv := data8test.NewServer(append([]data8test.Option{data8test.WithValidation(t), data8test.WithStrictRequests(), data8test.WithJobDuration(50 * time.Millisecond)}, opts...)...)
	hook := &hookHandler{next: srv.Handler(), tokens: map[string]bool{}}
	front := httptest.NewServer(hook)
	t.Cleanup(func() {
		front.Close()
		srv.Close()
	})
	return &target{srv: srv, url: front.URL, hook: hook, env: env{
		"DATA8_BASE_URL":      front.URL,
		"DATA8_TOKEN_URL":     front.URL + "/connect/token",
		"DATA8_CLIENT_ID":     srv.ClientID,
		"DATA8_CLIENT_SECRET": srv.ClientSecret,
	}}
}

// run runs data8 in process with the target's environment.
func (tg *target) run(t *testing.T, args ...string) result {
	t.Helper()
	return runCLI(t, context.Background(), tg.env, hooks{}, args...)
}

func runCLI(t *testing.T, ctx context.Context, e env, h hooks, args ...string) result {
	t.Helper()
	var stdout, stderr syncBuffer
	code := mainWith(ctx, args, strings.NewReader(""), &stdout, &stderr, e.get, h)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// mustRun runs data8 and fails the test unless it exits 0.
func (tg *target) mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := tg.run(t, args...)
	if r.code != 0 {
		t.Fatalf("data8 %s: %v", strings.Join(args, " "), r)
	}
	return r
}

// writeFile writes content to name in a fresh temporary directory and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// csvRows renders rows as CSV the way encoding/csv writes them.
func csvRows(rows [][]string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.WriteAll(rows)
	return b.String()
}

// readCSV parses a CSV file.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// tricky returns n rows of CSV cells that exercise quoting: commas, quotes, newlines, empty cells, leading
// and trailing spaces, non-ASCII text and JSON-significant characters.
func tricky(n int) [][]string {
	rows := make([][]string, n)
	for i := range rows {
		name := fmt.Sprintf("Name %d", i)
		city := []string{"York", "York, UK", "", "  Bath  ", "Zoë's \"town\"", "Ağrı", "tab\there"}[i%7]
		notes := []string{"", "line one\nline two", `back\slash {"json":true}`, "<b>&amp;</b>", "\u2028 sep"}[i%5]
		rows[i] = []string{name, city, notes}
	}
	return rows
}

// wantRecords turns CSV rows (header first) into the records the server should hold.
func wantRecords(rows [][]string, cols []string) []map[string]any {
	out := make([]map[string]any, 0, len(rows)-1)
	for _, row := range rows[1:] {
		rec := map[string]any{}
		for i, c := range cols {
			rec[c] = row[i]
		}
		out = append(out, rec)
	}
	return out
}

// checkRecords fails unless the server holds exactly want in dataset, in order.
func checkRecords(t *testing.T, srv *data8test.Server, dataset string, want []map[string]any) {
	t.Helper()
	got, ok := srv.Records(dataset)
	if !ok {
		t.Fatalf("dataset %s does not exist", dataset)
	}
	if len(got) != len(want) {
		t.Fatalf("dataset %s holds %d records, want %d", dataset, len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("dataset %s record %d = %v, want %v", dataset, i, got[i], want[i])
		}
	}
}

// countUploads counts the block uploads (PATCH requests) the server receives from now on, until the
// hook is set again.
func (tg *target) countUploads() *atomic.Int32 {
	return tg.countWhere(func(r *http.Request) bool { return r.Method == http.MethodPatch })
}

// countWhere counts, from now on, the requests tg receives that match says match.
func (tg *target) countWhere(match func(r *http.Request) bool) *atomic.Int32 {
	n := new(atomic.Int32)
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if match(r) {
			n.Add(1)
		}
		return false
	})
	return n
}

// countRequests counts, from now on, every request tg receives.
func (tg *target) countRequests() *atomic.Int32 {
	return tg.countWhere(func(*http.Request) bool { return true })
}
