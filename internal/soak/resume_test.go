package soak

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
)

// The interrupted uploads: 20,000 records in blocks of 100, four at a time, cancelled from the
// Progress callback once this many blocks are acknowledged.
const (
	resumeRecords     = 20_000
	resumeBlockSize   = 100
	resumeConcurrency = 4
	resumeCancelAt    = 37
)

// interrupted is what an upload cancelled part way reported.
type interrupted struct {
	res  *client.UploadResult
	err  error
	last client.UploadProgress // the last progress report
}

// interruptUpload runs Upload with opts and cancels it from the Progress callback once `after`
// blocks are acknowledged by this call.
func interruptUpload(t *testing.T, c *client.Client, name string, in *input, opts client.UploadOptions, after int64) interrupted {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var mu sync.Mutex
	var last client.UploadProgress
	opts.Progress = func(p client.UploadProgress) {
		mu.Lock()
		last = p
		mu.Unlock()
		if p.Blocks >= after {
			cancel()
		}
	}
	res, err := c.Upload(ctx, name, in.source(), opts)
	mu.Lock()
	defer mu.Unlock()
	return interrupted{res: res, err: err, last: last}
}

// checkInterrupted checks what an interrupted upload reports and what the server holds: the error
// says the upload was cancelled, the checkpoint is not behind the last progress report, and every
// block below the checkpoint is on the server.
func checkInterrupted(t *testing.T, srv *data8test.Server, name string, it interrupted, startBlock, totalBlocks int) {
	t.Helper()
	if it.err == nil {
		t.Fatalf("the upload was not interrupted: %+v", it.res)
	}
	if !errors.Is(it.err, context.Canceled) {
		t.Fatalf("error %v does not match context.Canceled", it.err)
	}
	if it.res == nil {
		t.Fatalf("no result with the error %v", it.err)
	}
	cp := it.res.Checkpoint
	if cp < it.last.Checkpoint || cp < startBlock || cp >= startBlock+totalBlocks {
		t.Fatalf("checkpoint %d (last progress %d): want at least the last progress and within blocks %d..%d", cp, it.last.Checkpoint, startBlock, startBlock+totalBlocks-1)
	}
	held, _ := srv.BlockNumbers(name)
	for b := startBlock; b < cp; b++ {
		if !slices.Contains(held, int32(b)) {
			t.Fatalf("block %d is below checkpoint %d but the server does not hold it (it holds %v)", b, cp, held)
		}
	}
	t.Logf("interrupted after %d blocks acknowledged: checkpoint %d (last progress: %d), %d blocks on the server: %v",
		it.res.Blocks, cp, it.last.Checkpoint, len(held), it.err)
}

// TestInterruptAndResume cancels an upload part way (from its Progress callback, as a Ctrl-C
// handler would cancel its context), then resumes it from the checkpoint reported — by the result
// returned with the error, or by the last progress report — with a fresh source of the same input:
// the dataset then holds exactly the input, in order, once each.
func TestInterruptAndResume(t *testing.T) {
	in := makeInput(resumeRecords)
	totalBlocks := resumeRecords / resumeBlockSize
	cases := []struct {
		name       string
		opts       []data8test.Option
		startBlock int
		fromResult bool // resume from the result's checkpoint, else from the last progress report
	}{
		{name: "from the result's checkpoint", fromResult: true},
		{name: "from the last progress checkpoint"},
		{name: "with a start block", startBlock: 10, fromResult: true},
		{name: "under faults", opts: []data8test.Option{data8test.WithFaultRate(0.2, 7), data8test.WithRetryAfter(0)}, fromResult: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := data8test.NewServer(append([]data8test.Option{data8test.WithLatency(2 * time.Millisecond)}, tc.opts...)...)
			defer srv.Close()
			sl := newSleeper(5 * time.Millisecond)
			c := srv.Client(client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 10, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond, Sleep: sl.sleep}))
			name := "resume_" + fmt.Sprint(tc.startBlock)
			createDataset(t, c, name)
			opts := client.UploadOptions{BlockSize: resumeBlockSize, Concurrency: resumeConcurrency, StartBlock: tc.startBlock, Columns: columnNames}

			it := interruptUpload(t, c, name, in, opts, resumeCancelAt)
			checkInterrupted(t, srv, name, it, tc.startBlock, totalBlocks)
			from := it.last.Checkpoint
			if tc.fromResult {
				from = it.res.Checkpoint
			}

			opts.Resume = from
			res, err := c.Upload(t.Context(), name, in.source(), opts)
			if err != nil {
				t.Fatalf("resumed Upload: %v", err)
			}
			skipped := int64(from-tc.startBlock) * resumeBlockSize
			if res.SkippedRecords != skipped || res.FirstBlock != from || res.Records != resumeRecords-skipped || res.Checkpoint != tc.startBlock+totalBlocks {
				t.Errorf("resumed result %+v: want %d records skipped, first block %d, %d records sent, checkpoint %d",
					res, skipped, from, resumeRecords-skipped, tc.startBlock+totalBlocks)
			}
			if _, err := c.CompleteDataset(t.Context(), name, res.SkippedRecords+res.Records); err != nil {
				t.Fatalf("CompleteDataset: %v", err)
			}
			checkDataset(t, srv, name, in, true)
			held, _ := srv.BlockNumbers(name)
			if len(held) != totalBlocks || int(held[0]) != tc.startBlock {
				t.Errorf("the server holds blocks %v, want %d blocks from %d", held, totalBlocks, tc.startBlock)
			}
		})
	}
}

// TestInterruptAndResumeTwice interrupts an upload, interrupts its resumption too, and resumes again
// from the second checkpoint.
func TestInterruptAndResumeTwice(t *testing.T) {
	in := makeInput(resumeRecords)
	totalBlocks := resumeRecords / resumeBlockSize
	srv := data8test.NewServer(data8test.WithLatency(2 * time.Millisecond))
	defer srv.Close()
	c := srv.Client()
	createDataset(t, c, "twice")
	opts := client.UploadOptions{BlockSize: resumeBlockSize, Concurrency: resumeConcurrency, Columns: columnNames}

	first := interruptUpload(t, c, "twice", in, opts, resumeCancelAt)
	checkInterrupted(t, srv, "twice", first, 0, totalBlocks)
	opts.Resume = first.res.Checkpoint
	second := interruptUpload(t, c, "twice", in, opts, resumeCancelAt)
	checkInterrupted(t, srv, "twice", second, 0, totalBlocks)
	if second.res.Checkpoint <= first.res.Checkpoint {
		t.Fatalf("the second run did not get further: checkpoint %d after %d", second.res.Checkpoint, first.res.Checkpoint)
	}
	opts.Resume = second.res.Checkpoint
	res, err := c.Upload(t.Context(), "twice", in.source(), opts)
	if err != nil {
		t.Fatalf("second resumption: %v", err)
	}
	if _, err := c.CompleteDataset(t.Context(), "twice", res.SkippedRecords+res.Records); err != nil {
		t.Fatalf("CompleteDataset: %v", err)
	}
	checkDataset(t, srv, "twice", in, true)
}

// TestInterruptAndResumeUploadDataset interrupts UploadDataset (create, upload, complete) and runs
// it again with the checkpoint as Resume: it finds the dataset it created, uploads the rest, and
// completes the dataset with the true record count, not only the records of the second call.
func TestInterruptAndResumeUploadDataset(t *testing.T) {
	in := makeInput(resumeRecords)
	totalBlocks := resumeRecords / resumeBlockSize
	srv := data8test.NewServer(data8test.WithLatency(2 * time.Millisecond))
	defer srv.Close()
	c := srv.Client()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var last client.UploadProgress
	opts := client.UploadOptions{BlockSize: resumeBlockSize, Concurrency: resumeConcurrency, Progress: func(p client.UploadProgress) {
		last = p // Progress calls are serialised
		if p.Blocks >= resumeCancelAt {
			cancel()
		}
	}}
	_, res, err := c.UploadDataset(ctx, "whole", columns, in.source(), opts)
	checkInterrupted(t, srv, "whole", interrupted{res: res, err: err, last: last}, 0, totalBlocks)
	if d, _ := srv.DatasetInfo("whole"); d.Completed {
		t.Fatal("an interrupted UploadDataset completed the dataset")
	}

	opts.Progress, opts.Resume = nil, res.Checkpoint
	ds, res2, err := c.UploadDataset(t.Context(), "whole", columns, in.source(), opts)
	if err != nil {
		t.Fatalf("resumed UploadDataset: %v", err)
	}
	if ds.RecordCount != resumeRecords || res2.SkippedRecords != int64(res.Checkpoint)*resumeBlockSize {
		t.Errorf("resumed UploadDataset: recordCount %d (want %d), skipped %d (want %d)", ds.RecordCount, resumeRecords, res2.SkippedRecords, res.Checkpoint*resumeBlockSize)
	}
	checkDataset(t, srv, "whole", in, true)
}
