package batch_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/client/batch"
	"github.com/data8-toolkit/data8/data8test"
)

// reshaped serves a data8test server, passing each JSON object answer through change, which may
// alter the object (m) of request r and reports whether it did: a server that differs from the
// stand-in in what it says, and only there. It counts requests by kind and answers changed.
type reshaped struct {
	srv     *data8test.Server
	mu      sync.Mutex
	counts  map[string]int
	changed int
}

func newReshaped(t *testing.T, change func(r *http.Request, m map[string]any) bool) (*reshaped, *client.Client) {
	t.Helper()
	srv := data8test.NewServer(data8test.WithValidation(t), data8test.WithStrictRequests(), data8test.WithJobDuration(50*time.Millisecond))
	rs := &reshaped{srv: srv, counts: map[string]int{}}
	inner := srv.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var m map[string]any
		did := false
		if rec.Code == http.StatusOK && json.Unmarshal(body, &m) == nil && change(r, m) {
			body, _ = json.Marshal(m)
			did = true
		}
		rs.mu.Lock()
		rs.counts[kind(r)]++
		if did {
			rs.changed++
		}
		rs.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	c, err := client.New(client.WithBaseURL(hs.URL), client.WithTokenURL(hs.URL+"/connect/token"), client.WithCredentials(srv.ClientID, srv.ClientSecret))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return rs, c
}

// count returns the requests of kind k so far, and the answers changed.
func (rs *reshaped) count(k string) (n, changed int) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.counts[k], rs.changed
}

// TestCompleteWhenTheServerCountsNothingUntilComplete: a server may report recordCount 0 for an
// input dataset until it is complete (then the count sent is the check). Against one, the run
// completes its dataset after sending each block once, and writes the result.
func TestCompleteWhenTheServerCountsNothingUntilComplete(t *testing.T) {
	rs, c := newReshaped(t, func(r *http.Request, m map[string]any) bool {
		if kind(r) != "GET /Dataset/{name}" || m["input"] != true || m["completed"] != false || m["recordCount"] == float64(0) {
			return false
		}
		m["recordCount"] = 0
		return true
	})
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.csv")
	const input = "email\na@b.com\nc@d.com\ne@f.com\n"
	if err := os.WriteFile(in, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := batch.Run(ctx, c, batch.Spec{Input: in, Output: out, Workflow: "Echo", BlockSize: 1, PollInterval: poll}, batch.Options{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if patches, changed := rs.count("PATCH /Dataset/{name}/data"); patches != 3 || changed == 0 {
		t.Errorf("%d blocks sent, %d answers said 0 records; want 3 blocks, each once, and at least one such answer", patches, changed)
	}
	if res.State.Step != batch.StepDone {
		t.Errorf("state %s, want %s", res.State.Step, batch.StepDone)
	}
	if d, ok := rs.srv.DatasetInfo(res.State.Dataset); !ok || !d.Completed || d.RecordCount != 3 {
		t.Errorf("input dataset %+v, want complete with 3 records", d)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != input {
		t.Errorf("result %q (%v), want %q", b, err, input)
	}
}

// TestPercentIsWithinZeroAndHundred: Percent shows what a server says of a job's progress within
// 0 to 100, 0 for NaN; a run's wait step reports a server's 150 % as 100.
func TestPercentIsWithinZeroAndHundred(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{0, 0}, {42.5, 42.5}, {100, 100}, {150, 100}, {math.Inf(1), 100},
		{-5, 0}, {math.Inf(-1), 0}, {math.NaN(), 0},
	} {
		if got := batch.Percent(&client.Job{PercentComplete: tc.in}); got != tc.want {
			t.Errorf("Percent(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}

	rs, c := newReshaped(t, func(r *http.Request, m map[string]any) bool {
		if kind(r) != "GET /Job/{name}" {
			return false
		}
		m["percentComplete"] = 150
		return true
	})
	in, out := writeInput(t)
	var mu sync.Mutex
	var done []int64
	_, err := batch.Run(context.Background(), c, batch.Spec{Input: in, Output: out, Workflow: "Echo", PollInterval: poll}, batch.Options{Progress: func(e batch.Event) {
		if e.Kind == batch.Progress && e.Step == batch.StepWait {
			mu.Lock()
			done = append(done, e.Done)
			mu.Unlock()
		}
	}})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if polls, changed := rs.count("GET /Job/{name}"); changed != polls || changed == 0 || len(done) == 0 {
		t.Fatalf("%d of %d job answers changed, %d wait events; want every answer changed, and some events", changed, polls, len(done))
	}
	for i, d := range done {
		if d != 100 {
			t.Errorf("wait event %d: done %d, want 100 (the server said 150)", i, d)
		}
	}
}

// TestDownloadWritesARepeatedColumnOnce: a column named twice in DownloadOptions.Columns is
// written once, where it is first named.
func TestDownloadWritesARepeatedColumnOnce(t *testing.T) {
	c := wideServerListing(t, 2, 2, 2, func(int) int { return 0 })
	var b strings.Builder
	if _, err := batch.DownloadTo(context.Background(), c, "wide", &b, batch.DownloadOptions{Columns: []string{"l1", "a", "l1", "a"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "l1,a,l0\n,r0,\n,r1,\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	out := filepath.Join(t.TempDir(), "wide.jsonl")
	if _, err := batch.Download(context.Background(), c, "wide", out, batch.DownloadOptions{Columns: []string{"a", "a"}}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	var keys [][]string
	for _, line := range strings.Split(strings.TrimSuffix(string(got), "\n"), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		var ks []string
		dec.Token()
		for dec.More() {
			k, _ := dec.Token()
			ks = append(ks, k.(string))
			var v any
			dec.Decode(&v)
		}
		keys = append(keys, ks)
	}
	if want := [][]string{{"a"}, {"a"}}; !reflect.DeepEqual(keys, want) { // (cells without a value are left out)
		t.Errorf("JSON Lines keys %q, want %q (file %q)", keys, want, got)
	}
}
