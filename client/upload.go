package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/data8-toolkit/data8/gen"
)

// Upload limits.
const (
	// MaxBlockSize is the most records one block may hold (documented by Data8).
	MaxBlockSize = 1000
	// DefaultConcurrency is the number of blocks an upload sends at once unless told otherwise.
	DefaultConcurrency = 8
	// MaxConcurrency is the most blocks an upload, or pages a download, sends at once.
	MaxConcurrency = maxConcurrency
)

// UploadOptions tunes Upload. The zero value uploads blocks of 1,000 records, 8 at a time, numbered
// from 0.
type UploadOptions struct {
	// BlockSize is the number of records per block, 1 to 1,000. 0 means 1,000.
	BlockSize int
	// Concurrency is the most blocks sent at once, 1 to 64; fewer while the server refuses requests
	// for load (see Upload). 0 means 8.
	Concurrency int
	// StartBlock is the number of the block holding the source's first record; blocks are numbered
	// upwards from it in input order. Use it to append a second source after the blocks of a first,
	// or to resume by hand with a source already positioned at the checkpoint.
	StartBlock int
	// Resume is a checkpoint reported by an interrupted Upload of the same source with the same
	// StartBlock and BlockSize. When it is past StartBlock, the records of blocks StartBlock to
	// Resume-1 are read from the source and skipped, and uploading starts at block Resume. Record
	// indices (in BlockError) still count from the source's first record.
	Resume int
	// Columns are the dataset's columns, when known: every record's keys are checked against them
	// before anything is sent (a CSV source's header is checked once instead). nil skips the check.
	Columns []string
	// Progress, when set, is called after every acknowledged block, one call at a time, from the
	// uploader's goroutines. It must return quickly. The last call of an upload that sent every
	// block reports the totals.
	Progress func(UploadProgress)
}

// UploadProgress reports an upload's progress so far (counting this call's blocks only).
type UploadProgress struct {
	// Blocks, Records and Bytes count the blocks acknowledged by the server, their records, and the
	// bytes of their request bodies.
	Blocks, Records, Bytes int64
	// Checkpoint is the block number below which every block is acknowledged: pass it as
	// UploadOptions.Resume to restart an interrupted upload without sending those blocks again.
	Checkpoint int
	// TotalBlocks and TotalRecords are the blocks and records this call will send, once the source
	// has been read to its end; -1 until then.
	TotalBlocks, TotalRecords int64
	// Window is the number of blocks the uploader sends at once now: the configured Concurrency,
	// or fewer while the server refuses requests for load (see UploadResult.Throttled).
	Window int
}

// UploadResult reports what an upload sent. Upload returns it with its error too, describing the
// blocks acknowledged before the failure.
type UploadResult struct {
	// Blocks and Records count the blocks acknowledged and their records.
	Blocks, Records int64
	// FirstBlock is the number of the first block this call uploads; LastBlock is the highest block
	// number acknowledged (FirstBlock-1 when none was).
	FirstBlock, LastBlock int
	// Bytes is the size of the acknowledged blocks' request bodies.
	Bytes int64
	// Checkpoint is the block number below which every block is acknowledged (see UploadProgress).
	Checkpoint int
	// SkippedRecords is the number of records skipped for UploadOptions.Resume.
	SkippedRecords int64
	// Throttled is the number of block requests the server refused for load (429, or 503). Each is
	// sent again after its wait (unless the upload stops first); only a 503 without Retry-After
	// counts as a failed attempt.
	Throttled int64
	// SmallestWindow is the fewest blocks the uploader allowed in flight at once: the configured
	// Concurrency unless the server refused requests for load, which shrinks the window.
	SmallestWindow int
}

// Upload streams the records of src into an incomplete input dataset in numbered blocks, sending up
// to opts.Concurrency blocks at once, and returns what was sent. It does not create or complete the
// dataset (UploadDataset does all three).
//
// Blocks are numbered in input order from opts.StartBlock, so the server processes the records in
// input order. Each block's body is encoded once, into a buffer from a small pool (memory does not
// grow with the input), and a retry sends the same bytes; since re-sending a block number
// overwrites that block, retries never duplicate records. Each block is retried under the client's
// retry policy.
//
// The number of blocks in flight adapts to the server, in the shape of TCP CUBIC's congestion
// window: a block refused for load (429, or 503) waits out the answer's Retry-After (or the policy's
// floor, when the Retry-After is below it: see RetryPolicy) and brings the window down to what the
// server let through (never below the last level that ran without a refusal, nor below 0.7 of the
// level refused, nor below one). The rest of the upload pauses until a block is acknowledged after
// the refusal, or until the refused blocks have waited: a server refusing everything, with
// Retry-After: 0 say, gets no more requests from 8 blocks in flight than from one. Runs of
// acknowledged blocks bring the window back to just below the level refused, which is tried again
// soon when the server took it before and rarely otherwise, and up to opts.Concurrency once it runs.
// A refused block is sent again after its wait, ahead of the blocks waiting, without using up an
// attempt (see RetryPolicy), so a server that throttles slows an upload down to its limit but does
// not make it fail. UploadResult reports the refusals and the smallest window.
//
// A block that fails for good (a 400, say, which is never retried) stops the upload at once: work in
// flight is cancelled, no later block is sent, and the error is a *BlockError naming the dataset,
// the block and its record range, wrapping the *APIError. A record refused by the local checks, or
// an error from the source, stops the reading: the blocks already in flight are allowed to finish,
// so that the checkpoint reaches the block holding the bad record, and the error names the record
// (or the CSV or JSON Lines line). On every error the result describes the blocks acknowledged so far; its
// Checkpoint is where to resume.
func (c *Client) Upload(ctx context.Context, dataset string, src Source, opts UploadOptions) (*UploadResult, error) {
	if rel, ok := src.(releaser); ok {
		defer rel.release()
	}
	u, err := c.newUploader(dataset, src, opts)
	if err != nil {
		return nil, err
	}
	return u.run(ctx)
}

// uploader is one Upload call.
type uploader struct {
	c           *Client
	dataset     string
	src         Source
	blockSize   int
	concurrency int
	start       int // StartBlock
	first       int // first block sent (Resume, or StartBlock)
	window      *window
	known       map[string]struct{}
	checkEach   bool // the source is not one of ours: check every record

	mu          sync.Mutex // guards the fields below and serialises Progress calls
	progress    func(UploadProgress)
	acked       map[int]bool // acknowledged blocks at or above checkpoint
	checkpoint  int
	blocks      int64
	records     int64
	bytes       int64
	last        int
	totalBlocks int64
	totalRecs   int64
	stale       bool // the last Progress call was made before the totals were known
}

// block is one block's encoded request body.
type block struct {
	number int
	first  int64 // source index of its first record
	n      int   // records in it
	body   []byte
}

func (c *Client) newUploader(dataset string, src Source, opts UploadOptions) (*uploader, error) {
	if err := ValidateDatasetName(dataset); err != nil {
		return nil, err
	}
	if src == nil {
		return nil, invalid("upload to dataset %q: no source", dataset)
	}
	u := &uploader{
		c: c, dataset: dataset, src: src,
		blockSize: opts.BlockSize, concurrency: opts.Concurrency,
		start: opts.StartBlock, first: opts.StartBlock,
		progress: opts.Progress, acked: map[int]bool{},
		totalBlocks: -1, totalRecs: -1,
	}
	if u.blockSize == 0 {
		u.blockSize = MaxBlockSize
	}
	if u.blockSize < 1 || u.blockSize > MaxBlockSize {
		return nil, invalid("upload to dataset %q: block size %d is out of range 1..%d", dataset, opts.BlockSize, MaxBlockSize)
	}
	if u.concurrency == 0 {
		u.concurrency = DefaultConcurrency
	}
	if u.concurrency < 1 || u.concurrency > maxConcurrency {
		return nil, invalid("upload to dataset %q: concurrency %d is out of range 1..%d", dataset, opts.Concurrency, maxConcurrency)
	}
	if opts.StartBlock < 0 || opts.StartBlock > math.MaxInt32 {
		return nil, invalid("upload to dataset %q: start block %d is out of range 0..%d", dataset, opts.StartBlock, math.MaxInt32)
	}
	if opts.Resume != 0 {
		if opts.Resume < opts.StartBlock || opts.Resume > math.MaxInt32 {
			return nil, invalid("upload to dataset %q: resume block %d is before start block %d or too large", dataset, opts.Resume, opts.StartBlock)
		}
		u.first = opts.Resume
	}
	u.checkpoint, u.last = u.first, u.first-1
	u.window = newWindow(u.concurrency)
	if opts.Columns != nil {
		u.known = make(map[string]struct{}, len(opts.Columns))
		for _, col := range opts.Columns {
			u.known[col] = struct{}{}
		}
	}
	if cc, ok := innerSource(src).(columnChecker); ok {
		if u.known != nil {
			if err := cc.checkColumns(u.known); err != nil {
				return nil, err
			}
		}
	} else {
		u.checkEach = true
	}
	return u, nil
}

func (u *uploader) run(parent context.Context) (*UploadResult, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)

	index, err := u.skip(ctx)
	if err != nil {
		return u.result(index), err
	}
	skipped := index

	// The reader fills blocks and hands them to the dispatcher, which sends each from a goroutine of
	// the crew: Concurrency of them, and one more for each refused block waiting out its delay. A
	// block is allocated only when none is free: Concurrency+2 of them but while blocks are refused.
	crew := newCrew(u.concurrency)
	u.window.onHold = crew.held
	free := make(chan *block, 2*u.concurrency+2)
	allocated := 0
	work := make(chan *block)
	var wg sync.WaitGroup
	wg.Go(func() {
		var senders sync.WaitGroup
		defer senders.Wait()
		for b := range work {
			if crew.join(ctx) != nil {
				free <- b
				continue
			}
			senders.Go(func() {
				defer crew.leave()
				if !u.send(ctx, cancel, b) {
					// The transport may still be writing a failed request's body (an early
					// answer): never refill that buffer.
					b = &block{}
				}
				free <- b
			})
		}
	})

	var (
		blocks  int64
		num     = u.first
		readErr error // the source failed or a record was refused: in-flight blocks may finish
	)
read:
	for {
		var b *block
		select {
		case b = <-free:
		default:
			if allocated < cap(free) {
				allocated++
				b = &block{}
				break
			}
			select {
			case b = <-free:
			case <-ctx.Done():
				break read
			}
		}
		if num > math.MaxInt32 {
			readErr = invalid("upload to dataset %q: block number %d is too large", u.dataset, num)
			break
		}
		eof, err := u.fill(b, num, index)
		if err != nil {
			readErr = fmt.Errorf("data8: upload to dataset %q: %w", u.dataset, err)
			break
		}
		if eof {
			// Known before the last block is handed over, so its Progress call reports them.
			u.setTotals(blocks+int64(min(b.n, 1)), index+int64(b.n)-skipped)
		}
		if b.n > 0 {
			select {
			case work <- b:
			case <-ctx.Done():
				break read
			}
			num++
			blocks++
			index += int64(b.n)
		}
		if eof {
			break
		}
	}
	close(work)
	wg.Wait()
	u.reportTotals()

	if readErr != nil {
		var be *BlockError
		if errors.As(context.Cause(ctx), &be) {
			// A block was refused while the source failed: report both.
			return u.result(skipped), errors.Join(be, readErr)
		}
		return u.result(skipped), readErr
	}
	if err := context.Cause(ctx); err != nil {
		if _, ok := err.(*BlockError); !ok && parent.Err() != nil {
			err = fmt.Errorf("data8: upload to dataset %q: %w", u.dataset, err)
		}
		return u.result(skipped), err
	}
	return u.result(skipped), nil
}

// skip reads and drops the records of the blocks before Resume, returning how many it read.
func (u *uploader) skip(ctx context.Context) (int64, error) {
	n := int64(u.first-u.start) * int64(u.blockSize)
	var scratch []byte
	for i := int64(0); i < n; i++ {
		if i%int64(u.blockSize) == 0 && ctx.Err() != nil {
			return i, context.Cause(ctx)
		}
		var err error
		scratch, err = u.src.Next(scratch[:0])
		if err == io.EOF {
			return i, invalid("upload to dataset %q: resuming at block %d needs %d records to skip, but the source has only %d", u.dataset, u.first, n, i)
		}
		if err != nil {
			return i, fmt.Errorf("data8: upload to dataset %q: skipping to block %d: %w", u.dataset, u.first, err)
		}
	}
	return n, nil
}

// fill encodes the next block: up to blockSize records from the source, as the body
// {"blockNumber":N,"records":[...]}. eof reports that the source is exhausted.
func (u *uploader) fill(b *block, num int, index int64) (eof bool, err error) {
	b.number, b.first, b.n = num, index, 0
	b.body = append(b.body[:0], `{"blockNumber":`...)
	b.body = strconv.AppendInt(b.body, int64(num), 10)
	b.body = append(b.body, `,"records":[`...)
	for b.n < u.blockSize {
		mark := len(b.body)
		if b.n > 0 {
			b.body = append(b.body, ',')
		}
		recStart := len(b.body)
		b.body, err = u.src.Next(b.body)
		if err == io.EOF {
			b.body = b.body[:mark]
			eof = true
			break
		}
		if err != nil {
			b.body = b.body[:mark]
			return false, err
		}
		if u.checkEach {
			rec := b.body[recStart:]
			i := index + int64(b.n)
			if !utf8.Valid(rec) {
				return false, invalidRecord("record %d: not valid UTF-8", i)
			}
			if cerr := checkObject(rec, u.known); cerr != nil {
				return false, invalidRecord("record %d: %v", i, cerr)
			}
		}
		b.n++
	}
	b.body = append(b.body, ']', '}')
	return eof, nil
}

// send uploads one block under the retry policy, acknowledging it (true) or cancelling the upload.
func (u *uploader) send(ctx context.Context, cancel context.CancelCauseFunc, b *block) (ok bool) {
	if ctx.Err() != nil {
		return false
	}
	body := b.body
	_, err := u.c.do(ctx, call{
		op:       "Dataset_UploadBlock",
		retry500: true,
		window:   u.window,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return u.c.api.DatasetUploadBlockWithBody(ctx, u.dataset, headerContentType, bytes.NewReader(body), edit)
		},
	})
	if err != nil {
		cancel(&BlockError{Dataset: u.dataset, Block: b.number, FirstRecord: b.first, LastRecord: b.first + int64(b.n) - 1, Err: err})
		return false
	}
	u.ack(b)
	return true
}

// ack records an acknowledged block, advances the checkpoint and reports progress.
func (u *uploader) ack(b *block) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.blocks++
	u.records += int64(b.n)
	u.bytes += int64(len(b.body))
	u.last = max(u.last, b.number)
	u.acked[b.number] = true
	for u.acked[u.checkpoint] {
		delete(u.acked, u.checkpoint)
		u.checkpoint++
	}
	if u.progress != nil {
		u.report()
	}
}

// report calls Progress with the state so far; u.mu is held.
func (u *uploader) report() {
	window, _, _ := u.window.state()
	u.progress(UploadProgress{
		Blocks: u.blocks, Records: u.records, Bytes: u.bytes, Checkpoint: u.checkpoint,
		TotalBlocks: u.totalBlocks, TotalRecords: u.totalRecs, Window: window,
	})
	u.stale = u.totalBlocks < 0
}

// setTotals records the blocks and records this call sends, once the source has ended.
func (u *uploader) setTotals(blocks, records int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.totalBlocks, u.totalRecs = blocks, records
}

// reportTotals calls Progress once more when its last call came before the totals were known (a
// source that ends at a block boundary is seen to end only after its last block is sent), so that
// the last call of a complete upload always reports them.
func (u *uploader) reportTotals() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.progress == nil || !u.stale || u.totalBlocks < 0 || u.blocks != u.totalBlocks {
		return
	}
	u.report()
}

func (u *uploader) result(skipped int64) *UploadResult {
	_, smallest, throttled := u.window.state()
	u.mu.Lock()
	defer u.mu.Unlock()
	return &UploadResult{
		Blocks: u.blocks, Records: u.records, FirstBlock: u.first, LastBlock: u.last,
		Bytes: u.bytes, Checkpoint: u.checkpoint, SkippedRecords: skipped,
		Throttled: throttled, SmallestWindow: smallest,
	}
}
