package cli

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/data8-toolkit/data8/client"
)

// uploadOutcome is what an upload did, also when it failed part way.
type uploadOutcome struct {
	Result *client.UploadResult
	// Checkpoint is the block to resume from: every block before it is stored.
	Checkpoint int
	// TotalBlocks is the number of blocks the whole file makes at this block size.
	TotalBlocks int
}

func blocksFor(records int64, blockSize int) int {
	return int((records + int64(blockSize) - 1) / int64(blockSize))
}

// checkStartBlock refuses a --start-block past the end of the file; the block just past the last one is
// allowed (nothing left to send).
func checkStartBlock(plan *inputPlan, uf uploadFlags) error {
	total := blocksFor(plan.Records, uf.blockSize)
	if uf.startBlock > total {
		return usageErrorf("bad --start-block %d: %s has %d records, %d blocks of %d (last block %d)", uf.startBlock, plan.Path, plan.Records, total, uf.blockSize, total-1)
	}
	return nil
}

// upload sends the records of a validated file to dataset, from block uf.startBlock on, with a progress
// display. The outcome's Checkpoint is right whether or not it fails.
func (a *app) upload(c *client.Client, dataset string, plan *inputPlan, uf uploadFlags) (*uploadOutcome, error) {
	out := &uploadOutcome{Checkpoint: uf.startBlock, TotalBlocks: blocksFor(plan.Records, uf.blockSize)}
	skipped := min(int64(uf.startBlock)*int64(uf.blockSize), plan.Records)
	if uf.startBlock >= out.TotalBlocks {
		out.Checkpoint = out.TotalBlocks
		out.Result = &client.UploadResult{SkippedRecords: skipped}
		return out, nil
	}
	src, err := openSource(plan)
	if err != nil {
		return out, err
	}
	defer src.Close()

	prog := a.newProgress("upload", plan.Records-skipped, "records")
	concurrency := cmp.Or(uf.concurrency, client.DefaultConcurrency)
	var mu sync.Mutex
	opts := client.UploadOptions{
		BlockSize:   uf.blockSize,
		Concurrency: uf.concurrency,
		Resume:      uf.startBlock,
		Columns:     plan.Columns,
		Progress: func(p client.UploadProgress) {
			mu.Lock()
			if p.Checkpoint > out.Checkpoint {
				out.Checkpoint = p.Checkpoint
			}
			mu.Unlock()
			prog.Set(p.Records, windowNote(p.Window, concurrency))
		},
	}
	res, err := c.Upload(a.ctx, dataset, src, opts)
	prog.Finish(err == nil)
	if res != nil && res.Throttled > 0 {
		fmt.Fprintf(a.stderr, "upload: the server refused %s for load (429/503); each was sent again after its Retry-After, with as few as %s at once (--concurrency %d)\n",
			plural(int(res.Throttled), "block request", "block requests"), plural(res.SmallestWindow, "block", "blocks"), concurrency)
	}
	mu.Lock()
	defer mu.Unlock()
	out.Result = res
	if res != nil && res.Checkpoint > out.Checkpoint {
		out.Checkpoint = res.Checkpoint
	}
	if err != nil {
		return out, err
	}
	out.Checkpoint = out.TotalBlocks
	if got := res.SkippedRecords + res.Records; got != plan.Records {
		return out, fmt.Errorf("uploaded %d records but %s has %d", got, plan.Path, plan.Records)
	}
	return out, nil
}

// windowNote is the progress display's note while the uploader sends fewer blocks at once than
// --concurrency because the server refuses requests for load; empty otherwise.
func windowNote(window, concurrency int) string {
	if window <= 0 || window >= concurrency {
		return ""
	}
	return fmt.Sprintf("[server busy: %d of %d blocks at once]", window, concurrency)
}

// plural writes n and the noun that agrees with it.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// isInputError reports whether err is bad input found in the file.
func isInputError(err error) bool {
	var ie *inputError
	return errors.As(err, &ie)
}

// checkFile runs the validation pass over a file, with a progress display when it takes a while.
func (a *app) checkFile(path string, format fileFormat, mapper *columnMapper) (*inputPlan, error) {
	var size int64 = -1
	if st, err := os.Stat(path); err == nil {
		size = st.Size()
	}
	prog := a.newProgress("check "+filepath.Base(path), size, "bytes")
	prog.quietEnd = true
	plan, err := scanInput(a.ctx, path, format, mapper, func(n int64) { prog.Set(n, "") })
	if err == nil {
		prog.Set(size, "")
	}
	prog.Finish(err == nil)
	return plan, err
}

// completeDataset marks dataset complete with the file's record count. It first reads the dataset, and
// refuses when the server already reports a different, non-zero count: a block is missing (a wrong
// --start-block) or the blocks were cut with another --block-size. (A server may report 0 for an
// incomplete dataset; the count it is then sent is the integrity check.)
func (a *app) completeDataset(c *client.Client, dataset string, plan *inputPlan) (*client.Dataset, error) {
	d, err := c.GetDataset(a.ctx, dataset)
	if err != nil {
		return nil, err
	}
	if d.RecordCount != 0 && d.RecordCount != plan.Records {
		return nil, &countMismatchError{fmt.Sprintf("dataset %s holds %d records but %s has %d: not completing it (was --start-block or --block-size different from the first upload? upload again with --start-block 0 to overwrite every block)", dataset, d.RecordCount, plan.Path, plan.Records)}
	}
	return c.CompleteDataset(a.ctx, dataset, plan.Records)
}

// countMismatchError is completeDataset's refusal.
type countMismatchError struct{ msg string }

func (e *countMismatchError) Error() string { return e.msg }
