package cli

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// throttle makes the target allow at most limit block uploads in flight at once, refusing the
// others with 429 and Retry-After: 0, as a rate-limited Data8 would. Until its first refusal it holds
// the block uploads it lets through, so that the CLI must go past the limit. It returns the number
// of refusals so far.
func (tg *target) throttle(limit int) func() int {
	var (
		mu       sync.Mutex
		inflight int
		refused  int
		gate     = make(chan struct{})
	)
	next := tg.srv.Handler()
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPatch {
			return false
		}
		mu.Lock()
		if inflight >= limit {
			refused++
			if refused == 1 {
				close(gate)
			}
			mu.Unlock()
			w.Header().Set("Retry-After", "0")
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"type":"about:blank","title":"Too Many Requests","status":429}`)
			return true
		}
		inflight++
		mu.Unlock()
		<-gate
		next.ServeHTTP(w, r)
		mu.Lock()
		inflight--
		mu.Unlock()
		return true
	})
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return refused
	}
}

func TestUploadThrottledSaysSo(t *testing.T) {
	tg := newTarget(t)
	refused := tg.throttle(2)
	rows := append([][]string{{"name", "city", "notes"}}, tricky(305)...)
	in := writeFile(t, t.TempDir(), "in.csv", csvRows(rows))
	tg.mustRun(t, "dataset", "create", "people", "--columns", "name,city,notes:0")
	r := tg.mustRun(t, "--verbose", "dataset", "upload", "people", in, "--block-size", "10", "--complete")
	checkRecords(t, tg.srv, "people", wantRecords(rows, rows[0]))
	if refused() == 0 {
		t.Fatal("the server refused nothing")
	}
	if !strings.Contains(r.stderr, "data8: the server is busy (429): waiting ") || !strings.Contains(r.stderr, " before sending Dataset_UploadBlock again; refused for ") {
		t.Errorf("stderr does not say that the upload waits out the server's throttling:\n%s", r.stderr)
	}
	if !regexp.MustCompile(`msg="data8: fewer requests at once: the server refused one for load" op=Dataset_UploadBlock status=429 at_once=[1-7] was=8 retry_after=0`).MatchString(r.stderr) {
		t.Errorf("--verbose does not say when and why the window shrank:\n%s", r.stderr)
	}
	if want := "upload: the server refused " + plural(refused(), "block request", "block requests") + " for load (429/503); each was sent again after its Retry-After, with as few as "; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
	}
}

func TestWindowNote(t *testing.T) {
	for _, tc := range []struct {
		window, concurrency int
		want                string
	}{
		{0, 8, ""}, // no block acknowledged yet
		{8, 8, ""},
		{4, 8, "[server busy: 4 of 8 blocks at once]"},
		{1, 64, "[server busy: 1 of 64 blocks at once]"},
	} {
		if got := windowNote(tc.window, tc.concurrency, "blocks"); got != tc.want {
			t.Errorf("windowNote(%d, %d) = %q, want %q", tc.window, tc.concurrency, got, tc.want)
		}
	}
}

// TestThrottleNotice: the line printed while a transfer waits out a throttling server (wired to the
// client's throttle hook in clientOptions) says why it waits, for how long, and how long so far.
func TestThrottleNotice(t *testing.T) {
	var b syncBuffer
	a := &app{stderr: &b}
	a.throttleNotice(client.ThrottleNotice{Operation: "Dataset_GetData", StatusCode: 429, Wait: 60 * time.Second,
		Throttled: 125*time.Second + 300*time.Millisecond, GiveUpAfter: 10 * time.Minute})
	a.throttleNotice(client.ThrottleNotice{Operation: "Dataset_UploadBlock", StatusCode: 503, Wait: 120 * time.Millisecond, GiveUpAfter: -1})
	if got, want := b.String(), "data8: the server is busy (429): waiting 1m0s before sending Dataset_GetData again; refused for 2m5s so far, giving up after 10m0s\n"+
		"data8: the server is busy (503): waiting 100ms before sending Dataset_UploadBlock again; refused for 0s so far, only an interrupt ends it\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
