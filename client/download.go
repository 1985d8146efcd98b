package client

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// DefaultDownloadConcurrency is the number of pages a download fetches at once unless told
// otherwise.
const DefaultDownloadConcurrency = 8

// DownloadOptions tunes Download. The zero value fetches 8 pages at a time.
type DownloadOptions struct {
	// Concurrency is the number of pages fetched at once, 1 to 64. 0 means 8. Memory holds at most
	// about twice this many pages, whatever the dataset's size.
	Concurrency int
	// Progress, when set, is called after each page is handed on, from the goroutine that called
	// Download. It must return quickly.
	Progress func(DownloadProgress)
}

// DownloadProgress reports a download's progress so far.
type DownloadProgress struct {
	// Pages, Records and Bytes count the pages handed on, their records and the bytes of their
	// answers.
	Pages, Records, Bytes int64
	// TotalRecords is the dataset's record count, which the download must reach.
	TotalRecords int64
	// Window is the number of pages the download fetches at once now: the configured Concurrency,
	// or fewer while the server refuses requests for load (see DownloadResult.Throttled).
	Window int
}

// DownloadResult reports what a download handed on. Download returns it with its error too.
type DownloadResult struct {
	// Pages, Records and Bytes count the pages handed on, their records and the bytes of their
	// answers.
	Pages, Records, Bytes int64
	// RecordCount is the dataset's record count as the server stated it before the download.
	RecordCount int64
	// Throttled is the number of page requests the server refused for load (429, or 503). Each
	// was sent again after the answer's Retry-After: throttling slows a download, it does not fail it.
	Throttled int64
	// SmallestWindow is the fewest pages the download allowed in flight at once: the configured
	// Concurrency unless the server refused requests for load, which shrinks the window.
	SmallestWindow int
}

// Page is one page of a dataset's records, as the server sent them, handed on by Download.
type Page struct {
	// Number is the page number, from 1.
	Number int
	// First is the index in the dataset of the page's first record, from 0.
	First int64
	// Records are the page's records, each the JSON object the server sent (or null, which
	// ReadRecords reads as an empty record), checked to be valid JSON. They share the answer's
	// buffer: a callee that keeps one past its return must copy it.
	Records []json.RawMessage
	// members, when set, are where the members of Records stand, found when the page was
	// checked: CSVWriter and JSONLinesWriter use them rather than scan a record again.
	members *pageMembers
}

// Download reads every record of a dataset in processing order and hands them on page by page, in
// order, to write, from the goroutine that called it. It is the read-back counterpart of Upload:
// pages are fetched up to opts.Concurrency at once, each under the client's retry policy, and handed
// on strictly in order; memory is bounded by the window whatever the dataset's size. Like an
// upload's blocks, the pages in flight adapt to the server: a page refused for load (429, or 503)
// pauses the download for the answer's Retry-After and brings the window down to what the server
// let through; runs of answered pages bring it back, up to opts.Concurrency. Records are
// not decoded: CSVWriter and JSONLinesWriter write files straight from the answers' bytes, and
// json.Unmarshal reads a record as ReadRecords would.
//
// The download is checked as ReadRecords is: the dataset is read first for its record count, the
// page size is learned from page 1, no page past the count's last is asked for, and fewer or more
// records than the count is a *CountMismatchError; a page repeating the previous one byte for byte
// is an error matching ErrPaging. An error from write stops the download and is returned as it is.
// Only a nil error means every record was handed on, once, in order.
func (c *Client) Download(ctx context.Context, dataset string, write func(*Page) error, opts DownloadOptions) (*DownloadResult, error) {
	conc := opts.Concurrency
	if conc == 0 {
		conc = DefaultDownloadConcurrency
	}
	if conc < 1 || conc > maxConcurrency {
		return nil, invalid("download of dataset %q: concurrency %d is out of range 1..%d", dataset, opts.Concurrency, maxConcurrency)
	}
	if write == nil {
		return nil, invalid("download of dataset %q: no writer", dataset)
	}
	d, err := c.GetDataset(ctx, dataset)
	if err != nil {
		return nil, err
	}
	w := newWindow(conc)
	dl := &downloader{
		c: c, dataset: dataset, window: w, write: write, progress: opts.Progress, free: make(chan *fetchedPage, 2*conc+2),
		rule: countRule{dataset: dataset, want: d.RecordCount}, res: DownloadResult{RecordCount: d.RecordCount},
	}
	err = dl.run(ctx, conc)
	_, dl.res.SmallestWindow, dl.res.Throttled = w.state()
	return &dl.res, err
}

// downloader is one Download call.
type downloader struct {
	c        *Client
	dataset  string
	window   *window
	write    func(*Page) error
	progress func(DownloadProgress)
	rule     countRule
	repeats  pageRepeats
	res      DownloadResult
	// free holds pages already handed on, whose buffers the next pages reuse: a page's answer and
	// records are read into the buffers of one the writer is done with, so that a download
	// allocates about as many buffers as pages it holds at once, not one per page.
	free chan *fetchedPage
}

// fetchedPage is one page's answer, filled by a fetcher; done is closed when it is. body and
// records keep their buffers when the page is reused (see downloader.free).
type fetchedPage struct {
	number  int32
	body    []byte
	records []json.RawMessage
	members pageMembers
	err     error
	done    chan struct{}
}

// get fetches and splits a page.
func (dl *downloader) get(ctx context.Context, p *fetchedPage) {
	defer close(p.done)
	p.body, p.err = dl.c.getRecordPage(ctx, dl.dataset, p.number, dl.window, p.body)
	if p.err == nil {
		if p.records, p.err = splitPage(p.body, p.records[:0], &p.members); p.err != nil {
			p.err = fmt.Errorf("data8: %s: page %d: decoding answer: %w", opGetData, p.number, p.err)
		}
	}
}

func (dl *downloader) run(parent context.Context, conc int) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	// Page 1 alone: it gives the page size, and so the last page the count allows.
	first := dl.newPage(1)
	dl.get(ctx, first)
	more, err := dl.hand(first)
	if err != nil || !more {
		return err
	}
	dl.reuse(first)

	// Then the rest, conc at a time: a producer queues pages in order on order (whose capacity bounds
	// the pages fetched but not yet handed on) and on work, which conc fetchers drain.
	order := make(chan *fetchedPage, conc)
	work := make(chan *fetchedPage)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(work)
		defer close(order)
		for n := int32(2); n <= dl.rule.last; n++ {
			p := dl.newPage(n)
			select {
			case order <- p:
			case <-ctx.Done():
				return
			}
			select {
			case work <- p:
			case <-ctx.Done():
				p.err = context.Cause(ctx)
				close(p.done)
				return
			}
		}
	})
	for range conc {
		wg.Go(func() {
			for p := range work {
				dl.get(ctx, p)
			}
		})
	}
	defer wg.Wait()
	defer cancel() // before the wait: in-flight fetches stop at once when the download ends early

	for p := range order {
		select {
		case <-p.done:
		case <-parent.Done():
			return ctxError("download of dataset "+fmt.Sprintf("%q", dl.dataset), context.Cause(parent), nil)
		}
		more, err := dl.hand(p)
		if err != nil || !more {
			return err
		}
		dl.reuse(p)
	}
	// The producer stopped at the last page the count allows, and that page said "more": only a
	// cancelled context gets here.
	if err := context.Cause(parent); err != nil {
		return ctxError("download of dataset "+fmt.Sprintf("%q", dl.dataset), err, nil)
	}
	return dl.rule.mismatch()
}

// newPage returns page number n to fetch, with the buffers of a page already handed on when there
// is one.
func (dl *downloader) newPage(n int32) *fetchedPage {
	select {
	case p := <-dl.free:
		*p = fetchedPage{number: n, body: p.body[:0], records: p.records[:0], members: p.members, done: make(chan struct{})}
		return p
	default:
		return &fetchedPage{number: n, done: make(chan struct{})}
	}
}

// reuse gives the buffers of p, handed on, to a later page: the writer is done with them.
func (dl *downloader) reuse(p *fetchedPage) {
	select {
	case dl.free <- p:
	default:
	}
}

// hand checks a fetched page against the count and hands its records on; more reports that the
// next page is wanted.
func (dl *downloader) hand(p *fetchedPage) (more bool, err error) {
	if p.err != nil {
		return false, p.err
	}
	keep, more, err := dl.rule.after(p.number, len(p.records), dl.repeats.seen(p.number, p.body, len(p.records)))
	if keep && len(p.records) > 0 {
		page := &Page{Number: int(p.number), First: dl.res.Records, Records: p.records, members: &p.members}
		if werr := dl.write(page); werr != nil {
			return false, werr
		}
		dl.res.Pages++
		dl.res.Records += int64(len(p.records))
		dl.res.Bytes += int64(len(p.body))
		if dl.progress != nil {
			limit, _, _ := dl.window.state()
			dl.progress(DownloadProgress{Pages: dl.res.Pages, Records: dl.res.Records, Bytes: dl.res.Bytes, TotalRecords: dl.rule.want, Window: limit})
		}
	}
	return more, err
}
