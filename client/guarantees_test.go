package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/opid"
)

// frontServer puts srv behind a handler that calls hold first for every block upload, with the
// block's number; hold may block (until the request's context ends, say). It returns a client of
// the front server.
func frontServer(t *testing.T, srv *data8test.Server, hold func(r *http.Request, block int)) *client.Client {
	t.Helper()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return
			}
			var b struct {
				BlockNumber int `json:"blockNumber"`
			}
			if err := json.Unmarshal(body, &b); err != nil {
				t.Errorf("block upload body: %v", err)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			hold(r, b.BlockNumber)
		}
		srv.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	return newClient(srv, client.WithBaseURL(front.URL), client.WithTokenURL(front.URL+"/connect/token"))
}

// TestUploadCheckpointIsTheAcknowledgedPrefix holds block 1 at the server until every later block is
// acknowledged, then cancels: the checkpoint (in the result and in every Progress call) is the end
// of the contiguous acknowledged prefix, 1, never "highest acknowledged block + 1", which would make
// a resume skip block 1 and lose its records. LastBlock is the highest block acknowledged.
func TestUploadCheckpointIsTheAcknowledgedPrefix(t *testing.T) {
	srv := newServer(t)
	release := make(chan struct{})
	// Block 1 is held while the first upload runs: its request may reach the server only after
	// the cancellation (a goroutine scheduled late), and the resumed upload's must never be held.
	releaseOnce := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseOnce)
	var once sync.Once
	c := frontServer(t, srv, func(r *http.Request, block int) {
		held := false
		if block == 1 {
			once.Do(func() { held = true })
		}
		if held { // the first upload of block 1 only: the resumed upload's goes through
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	})
	createDataset(t, c, "held", "id", "name", "n")

	// 6 blocks of 1 record, 6 at once: block 1 is held until blocks 0 and 2 to 5 are acknowledged,
	// and then the upload is cancelled.
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	var mu sync.Mutex
	var calls []client.UploadProgress
	res, err := c.Upload(ctx, "held", client.Records(testRecords(6)), client.UploadOptions{
		BlockSize: 1, Concurrency: 6,
		Progress: func(p client.UploadProgress) {
			mu.Lock()
			calls = append(calls, p)
			mu.Unlock()
			// Every block but the held one is acknowledged (also if a bug cut the blocks
			// otherwise: the test must fail, not hang).
			if p.Blocks == 5 || p.TotalBlocks > 0 && p.Blocks == p.TotalBlocks-1 {
				cancel()
			}
		},
	})
	releaseOnce()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want the cancellation", err)
	}
	if res.Checkpoint != 1 || res.LastBlock != 5 || res.Blocks != 5 || res.Records != 5 || res.FirstBlock != 0 {
		t.Errorf("result %+v, want checkpoint 1, last block 5, 5 blocks and records, first block 0", *res)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 5 {
		t.Fatalf("%d Progress calls, want 5: %+v", len(calls), calls)
	}
	for i, p := range calls {
		if p.Blocks != int64(i+1) {
			t.Errorf("Progress call %d reports %d blocks", i, p.Blocks)
		}
		// 0 before block 0's acknowledgement, 1 after it; never more while block 1 is held.
		if p.Checkpoint != 0 && p.Checkpoint != 1 || i > 0 && p.Checkpoint < calls[i-1].Checkpoint {
			t.Errorf("Progress call %d: checkpoint %d (the one before: %d); block 1 is not acknowledged", i, p.Checkpoint, calls[max(i-1, 0)].Checkpoint)
		}
	}
	if last := calls[len(calls)-1]; last.Checkpoint != 1 {
		t.Errorf("last Progress checkpoint %d, want 1", last.Checkpoint)
	}

	// Resuming from the checkpoint stores every record, in order.
	if _, err := c.Upload(testContext(t), "held", client.Records(testRecords(6)), client.UploadOptions{BlockSize: 1, Resume: res.Checkpoint}); err != nil {
		t.Fatal(err)
	}
	wantRecords(t, srv, "held", 6)
}

// TestStartJobAfterA500WithNoJob answers the first POST /Job with a 500 and creates no job: the
// client must not send the POST again (a 500 may come after the job started, and a blind retry
// could start the workflow twice), so there is exactly one POST and the caller gets the 500.
func TestStartJobAfterA500WithNoJob(t *testing.T) {
	srv := newServer(t, data8test.WithJobDuration(time.Hour),
		data8test.WithFaultScript(data8test.Fault{Op: opid.JobCreateJob, Call: 1, Kind: data8test.Fault500}))
	c := newClient(srv)
	inputDataset(t, c, "ds")
	_, err := c.StartJob(testContext(t), client.NewJob{Name: "Contact check 13", WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "ds"}})
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusInternalServerError || ae.Operation != "Job_CreateJob" {
		t.Fatalf("error %v, want Job_CreateJob's 500", err)
	}
	if n := srv.RequestCounts()[opid.JobCreateJob]; n != 1 {
		t.Errorf("%d POST /Job, want 1", n)
	}
	if _, ok := srv.JobInfo("Contact check 13"); ok {
		t.Error("a job was started")
	}
}
