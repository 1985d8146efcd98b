package batch_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
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

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/client/batch"
	"github.com/data8-toolkit/data8/data8test"
)

// front serves a data8test server, calling before for each request first: the test's hand on the
// wire.
type front struct {
	srv    *data8test.Server
	url    string
	mu     sync.Mutex
	before func(r *http.Request)
	counts map[string]int // "METHOD path-kind" → requests
	active atomic.Int32   // requests being handled
}

func newFront(t *testing.T, opts ...data8test.Option) *front {
	t.Helper()
	srv := data8test.NewServer(append([]data8test.Option{data8test.WithValidation(t), data8test.WithStrictRequests(), data8test.WithJobDuration(50 * time.Millisecond)}, opts...)...)
	f := &front{srv: srv, counts: map[string]int{}}
	next := srv.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.active.Add(1)
		defer f.active.Add(-1)
		f.mu.Lock()
		f.counts[kind(r)]++
		before := f.before
		f.mu.Unlock()
		if before != nil {
			before(r)
		}
		next.ServeHTTP(w, r)
	}))
	f.url = hs.URL
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return f
}

// kind names a request by method and the shape of its path.
func kind(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/Dataset/") && strings.HasSuffix(p, "/data"):
		p = "/Dataset/{name}/data"
	case strings.HasPrefix(p, "/Dataset/"):
		p = "/Dataset/{name}"
	case strings.HasPrefix(p, "/Job/"):
		p = "/Job/{name}"
	}
	return r.Method + " " + p
}

func (f *front) set(before func(r *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.before = before
}

// settle waits until the server has handled every request that reached it: a killed process is
// resumed after the requests it was stopped in were handled (or dropped), never while the server is
// still acting on one.
func (f *front) settle(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); f.active.Load() > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a request of the stopped run was still being handled after 10 s")
		}
	}
}

func (f *front) count(k string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[k]
}

func (f *front) client(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(client.WithBaseURL(f.url), client.WithTokenURL(f.url+"/connect/token"),
		client.WithCredentials(f.srv.ClientID, f.srv.ClientSecret))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// tricky returns a CSV file, header first, of n rows whose cells need quoting, with headers that
// must be mapped to column names.
func tricky(n int) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"First Name", "City/Town", "2nd Notes"})
	for i := range n {
		w.Write([]string{fmt.Sprintf("Name %d", i), []string{"York", "York, UK", "", "  Bath  ", "Zoë's \"town\""}[i%5],
			[]string{"", "line one\nline two", `back\slash {"json":true}`, "\u2028 sep"}[i%4]})
	}
	w.Flush()
	return b.Bytes()
}

// TestResumeAfterKillAtEachStep stops a run at each step, as a killed process stops (the context
// ends in the middle of a request; the only state kept is the last one the run handed to its
// Progress callback), then resumes it from the state file: the result file is byte for byte the
// input (the Echo workflow), the input dataset holds each record once, and nothing was created or
// started twice.
func TestResumeAfterKillAtEachStep(t *testing.T) {
	const rows, blockSize = 1500, 50
	input := tricky(rows)
	for _, tc := range []struct {
		step batch.Step
		// kill says whether to stop the run at this request: n counts the requests of this kind
		// so far, this one included; saved is the checkpoint in the state file.
		kill func(r *http.Request, n, saved int) bool
		at   string // the request kind kill looks at
	}{
		// In the middle of the upload: the first block sent once the state file holds a checkpoint
		// past block 0 (whichever blocks were acknowledged first).
		{batch.StepUpload, func(r *http.Request, n, saved int) bool { return saved > 0 }, "PATCH /Dataset/{name}/data"},
		{batch.StepComplete, func(r *http.Request, n, saved int) bool { return n == 1 }, "PUT /Dataset/{name}"},
		{batch.StepStart, func(r *http.Request, n, saved int) bool { return n == 1 }, "POST /Job"},
		{batch.StepWait, func(r *http.Request, n, saved int) bool { return n == 1 }, "GET /Job/{name}"},
		{batch.StepDownload, func(r *http.Request, n, saved int) bool { return r.URL.Query().Get("page") == "2" }, "GET /Dataset/{name}/data"},
	} {
		t.Run(string(tc.step), func(t *testing.T) {
			f := newFront(t, data8test.WithJobDuration(200*time.Millisecond))
			c := f.client(t)
			dir := t.TempDir()
			in := filepath.Join(dir, "in.csv")
			if err := os.WriteFile(in, input, 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out.csv")
			statePath := filepath.Join(dir, "run.state.json")
			var saved atomic.Int32
			save := func(e batch.Event) {
				if e.State != nil {
					if err := batch.SaveState(statePath, e.State); err != nil {
						t.Error(err)
					}
					saved.Store(int32(e.State.Checkpoint))
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var seen atomic.Int32
			var killedAuth atomic.Value // the stopped run's Authorization header
			f.set(func(r *http.Request) {
				if auth := r.Header.Get("Authorization"); auth != "" {
					killedAuth.CompareAndSwap(nil, auth)
				}
				if kind(r) == tc.at && tc.kill(r, int(seen.Add(1)), int(saved.Load())) {
					cancel()
				}
			})
			spec := batch.Spec{Input: in, Output: out, Workflow: "Echo", BlockSize: blockSize, Concurrency: 2, PollInterval: 10 * time.Millisecond}
			res, err := batch.Run(ctx, c, spec, batch.Options{Progress: save})
			f.set(nil)
			f.settle(t)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("run: %v, want it stopped by the cancellation", err)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatalf("a stopped run left a result file")
			}
			st, err := batch.LoadState(statePath)
			if err != nil {
				t.Fatal(err)
			}
			// The server may act on the request the run is stopped at and answer before the run
			// sees the cancellation: a completion or a job start may then be recorded as done.
			next := map[batch.Step]batch.Step{batch.StepComplete: batch.StepStart, batch.StepStart: batch.StepWait}
			if st.Step != tc.step && st.Step != next[tc.step] {
				t.Fatalf("state at step %s, want %s (run stopped at %s)", st.Step, tc.step, res.State.Step)
			}
			checkpoint := st.Checkpoint

			// The resume runs as another process would, with a token of its own, so that its
			// blocks are told apart from the stopped run's requests still on their way.
			var resumedPatches atomic.Int32
			f.set(func(r *http.Request) {
				if kind(r) == "PATCH /Dataset/{name}/data" && r.Header.Get("Authorization") != killedAuth.Load() {
					resumedPatches.Add(1)
				}
			})
			res, err = batch.Resume(context.Background(), f.client(t), *st, batch.Options{Progress: save})
			f.set(nil)
			if err != nil {
				t.Fatalf("resume: %v", err)
			}
			got, err := os.ReadFile(out)
			if err != nil || !bytes.Equal(got, input) {
				t.Fatalf("result differs from the input (%d bytes, want %d; %v)", len(got), len(input), err)
			}
			if res.State.Step != batch.StepDone {
				t.Errorf("state after resume: %s", res.State.Step)
			}
			recs, _ := f.srv.Records(res.State.Dataset)
			if len(recs) != rows {
				t.Errorf("input dataset holds %d records, want %d", len(recs), rows)
			}
			for k, want := range map[string]int{"POST /Dataset": 1, "POST /Job": 1} {
				if n := f.count(k); n != want {
					t.Errorf("%s sent %d times, want %d", k, n, want)
				}
			}
			if tc.step == batch.StepUpload {
				blocks := (rows + blockSize - 1) / blockSize
				if checkpoint == 0 {
					t.Errorf("the saved checkpoint is block 0: the state file was not kept as the upload went")
				}
				if sent := int(resumedPatches.Load()); sent != blocks-checkpoint {
					t.Errorf("the resumed upload sent %d blocks, want %d (blocks %d to %d)", sent, blocks-checkpoint, checkpoint, blocks-1)
				}
			}
			var names []string
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				names = append(names, e.Name())
			}
			if want := []string{"in.csv", "out.csv", "run.state.json"}; !reflect.DeepEqual(names, want) {
				t.Errorf("directory holds %q, want %q", names, want)
			}
		})
	}
}

// TestResumeWithEveryBlockSent: a run stopped once its state held every block as sent, but before
// it moved on to completing the dataset, resumes without sending a block again.
func TestResumeWithEveryBlockSent(t *testing.T) {
	const rows, blockSize = 120, 50
	f := newFront(t)
	c := f.client(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	input := tricky(rows)
	if err := os.WriteFile(in, input, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.csv")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var last atomic.Pointer[batch.State]
	f.set(func(r *http.Request) {
		if kind(r) == "PUT /Dataset/{name}" {
			cancel()
		}
	})
	spec := batch.Spec{Input: in, Output: out, Workflow: "Echo", BlockSize: blockSize, PollInterval: 10 * time.Millisecond}
	_, err := batch.Run(ctx, c, spec, batch.Options{Progress: func(e batch.Event) {
		if e.State != nil && e.State.Step == batch.StepUpload {
			st := *e.State
			last.Store(&st)
		}
	}})
	f.set(nil)
	f.settle(t)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v, want it stopped by the cancellation", err)
	}
	st := last.Load()
	if st == nil || st.Checkpoint != 3 {
		t.Fatalf("the last state of the upload step: %+v, want checkpoint 3", st)
	}
	patches := f.count("PATCH /Dataset/{name}/data")
	res, err := batch.Resume(context.Background(), c, *st, batch.Options{})
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if sent := f.count("PATCH /Dataset/{name}/data") - patches; sent != 0 {
		t.Errorf("the resumed run sent %d blocks, want none", sent)
	}
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, input) || res.State.Step != batch.StepDone {
		t.Errorf("result differs from the input or the run is not done (%d bytes, want %d; %v; step %s)", len(got), len(input), err, res.State.Step)
	}
}
