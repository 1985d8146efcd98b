package client

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"
)

// DefaultDownloadConcurrency is the number of pages a download fetches at once unless told
// otherwise.
const DefaultDownloadConcurrency = 8

// DefaultMaxColumns is the most columns a dataset's answer may list, and a downloaded record may hold,
// unless told otherwise (WithMaxColumns, DownloadOptions.MaxColumns): far more than a dataset of
// Data8's holds, and few enough that a CSV row of empty cells stays small.
const DefaultMaxColumns = 10_000

// DefaultReadAhead is the most bytes of pages a throttled download holds fetched ahead of the page it
// hands on next, unless told otherwise (DownloadOptions.ReadAhead): the pages fetched during a
// one-second Retry-After from a server taking 8 requests of 20 ms at once (400 pages of 1,000
// records of about 160 bytes).
const DefaultReadAhead = 64 << 20

// maxReadAheadPages bounds the pages a download holds ahead of the one it hands on next, whatever
// their size.
const maxReadAheadPages = 4096

// DownloadOptions tunes Download. The zero value fetches 8 pages at a time.
type DownloadOptions struct {
	// Concurrency is the number of pages fetched at once, 1 to 64. 0 means 8. Memory holds at most
	// about twice this many pages, whatever the dataset's size, but for ReadAhead.
	Concurrency int
	// ReadAhead is the most bytes of pages the download holds fetched ahead of the page it hands
	// on next, beyond Concurrency pages, once the server has refused a page for load: while
	// a refused page waits out its Retry-After, the later pages go on being fetched, up to this, so
	// that the download does not stall behind it. A page is held as its answer, and split into
	// records (which takes about as much again) only as its turn nears. 0 means DefaultReadAhead
	// (64 MiB); negative, none beyond Concurrency pages. A download that is never refused holds
	// no more than Concurrency pages ahead.
	ReadAhead int64
	// MaxColumns is the most columns the dataset may list, and the most members a record may hold:
	// a server's answer with more is refused with a *TooManyColumnsError, before any page is asked
	// for when the dataset's listing has more. Each column costs a CSV row a cell, so this bounds what
	// a small answer can make a writer write. 0 means the client's limit (WithMaxColumns, by default
	// DefaultMaxColumns); negative, no limit.
	MaxColumns int
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
// on strictly in order; memory is bounded by the window whatever the dataset's size (and
// opts.ReadAhead). Like an upload's blocks, the pages in flight adapt to the server: a page refused
// for load (429, or 503) waits out the answer's Retry-After and brings the window down to what the
// server let through, the rest pausing only until a page is answered after the refusal; the pages
// after it go on being fetched, up to opts.ReadAhead bytes ahead, so that the download does not
// stall behind it; runs of answered pages bring the window back, up to opts.Concurrency. Records are
// not decoded: CSVWriter and JSONLinesWriter write files straight from the answers' bytes, and
// json.Unmarshal reads a record as ReadRecords would.
//
// The download is checked as ReadRecords is: the dataset is read first for its record count, the
// page size is learned from page 1, no page past the count's last is asked for, and fewer or more
// records than the count is a *CountMismatchError; a page repeating the previous one byte for byte
// is an error matching ErrPaging. A dataset listing more columns than opts.MaxColumns (10,000 unless
// told otherwise), or a record holding more members, is a *TooManyColumnsError: the former before
// any page is asked for. A page that cannot be fetched (a server that still refuses it for load after
// RetryPolicy.MaxThrottleWait, say) stops the download at once, pages in flight included, with its
// error. An error from write stops the download and is returned as it is.
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
	maxColumns := opts.MaxColumns
	if maxColumns == 0 {
		maxColumns = c.maxColumns
	}
	d, err := c.getDataset(ctx, dataset, maxColumns)
	if err != nil {
		return nil, err
	}
	w := newWindow(conc)
	dl := &downloader{
		c: c, dataset: dataset, window: w, write: write, progress: opts.Progress, free: make(chan *fetchedPage, 2*conc+2),
		rule: countRule{dataset: dataset, want: d.RecordCount}, res: DownloadResult{RecordCount: d.RecordCount},
		ahead: newReadAhead(conc+1, cmp.Or(opts.ReadAhead, DefaultReadAhead)),
	}
	dl.crew = newCrew(conc)
	w.onHold = func(holds int) {
		dl.crew.held(holds)
		if holds > 0 {
			dl.ahead.throttled()
		}
	}
	dl.maxColumns = maxColumns
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
	// maxColumns is the most columns the dataset may list and members a record may hold;
	// negative: no limit.
	maxColumns int
	// stop cancels the fetches; failed is the error of the first page that could not be fetched.
	stop     context.CancelFunc
	failOnce sync.Once
	mu       sync.Mutex
	failed   error
	// free holds pages already handed on, whose buffers the next pages reuse: a page's answer and
	// records are read into the buffers of one the writer is done with, so that a download
	// allocates about as many buffers as pages it holds at once, not one per page.
	free chan *fetchedPage
	// ahead bounds the pages queued and fetched but not handed on; crew, the goroutines fetching.
	ahead *readAhead
	crew  *crew
}

// readAhead bounds the pages a download has queued but not handed on: one more than its concurrency
// (those in flight and the one the writer waits for), and,
// once the server has refused a page for load, as many more as fit in its read-ahead bytes (counting
// a page not yet fetched as the largest so far), up to maxReadAheadPages.
type readAhead struct {
	base  int   // the pages always allowed
	limit int64 // the bytes of read-ahead allowed once throttled; negative: none

	mu      sync.Mutex
	pages   int           // queued, not handed on
	fetched int           // of those, fetched
	bytes   int64         // the size of those fetched
	largest int64         // the largest page so far
	next    int32         // the number of the next page to hand on
	refused bool          // the server has refused a page for load
	changed chan struct{} // closed, and replaced, when a page is handed on or the first refusal comes
}

func newReadAhead(base int, limit int64) *readAhead {
	return &readAhead{base: base, limit: limit, next: 1, changed: make(chan struct{})}
}

// admit takes a place for one more page and reports true, or reports false and returns a channel
// closed when it is worth asking again.
func (ra *readAhead) admit() (bool, <-chan struct{}) {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	ok := ra.pages < ra.base
	if !ok && ra.refused && ra.limit >= 0 && ra.pages < ra.base+maxReadAheadPages {
		ok = ra.bytes+int64(ra.pages-ra.fetched+1)*ra.largest <= ra.limit
	}
	if ok {
		ra.pages++
	}
	return ok, ra.changed
}

// got notes a page fetched, of size bytes.
func (ra *readAhead) got(size int64) {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	ra.fetched++
	ra.bytes += size
	ra.largest = max(ra.largest, size)
}

// near reports whether page n is among the base pages after the next to hand on.
func (ra *readAhead) near(n int32) bool {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	return int(n-ra.next) < ra.base
}

// handed notes page n, fetched, handed on (or dropped), of size bytes.
func (ra *readAhead) handed(n int32, size int64) {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	ra.next = n + 1
	ra.pages--
	ra.fetched--
	ra.bytes -= size
	ra.wake()
}

// throttled notes that the server has refused a page for load, and it waits out its delay. It is
// called from the window's onHold: it takes no lock of the window's.
func (ra *readAhead) throttled() {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	if !ra.refused {
		ra.refused = true
		ra.wake()
	}
}

// wake tells admit's callers that it is worth asking again. ra.mu is held.
func (ra *readAhead) wake() {
	close(ra.changed)
	ra.changed = make(chan struct{})
}

// size is what p holds in memory, for readAhead: its answer and its records' places.
func (p *fetchedPage) size() int64 {
	return int64(cap(p.body)) + int64(cap(p.records))*int64(unsafe.Sizeof(json.RawMessage(nil))) +
		int64(cap(p.members.records))*int64(unsafe.Sizeof(recordSpan{})) + int64(cap(p.members.members))*int64(unsafe.Sizeof(memberSpan{}))
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
	held    int64 // its size once fetched, as readAhead counted it
	split   bool  // records holds the answer's records
}

// get fetches and splits a page. A page that cannot be fetched stops the download at once: the
// fetches in flight, which would otherwise go on until their own pages failed (a throttled page
// giving up after MaxThrottleWait while others wait the same), are cancelled.
func (dl *downloader) get(ctx context.Context, p *fetchedPage) {
	defer close(p.done)
	defer func() { p.held = p.size(); dl.ahead.got(p.held) }()
	p.body, p.err = dl.c.getRecordPage(ctx, dl.dataset, p.number, dl.window, p.body)
	if pastEnd(p.number, p.err) {
		p.body, p.err = p.body[:0], nil // the end, said as 404: an empty page to the count
	}
	if p.err != nil && ctx.Err() == nil && p.number > 1 {
		dl.failOnce.Do(func() {
			dl.mu.Lock()
			dl.failed = p.err
			dl.mu.Unlock()
			dl.stop()
		})
	}
	// A page far ahead of the writer (read ahead while a page before it waits out a refusal) is
	// split when its turn comes: its records' places take more memory than its answer.
	if p.err == nil && dl.ahead.near(p.number) {
		dl.split(p)
	}
}

// split splits the answer of p, fetched, into records, once.
func (dl *downloader) split(p *fetchedPage) {
	if p.split {
		return
	}
	p.split = true
	if empty(p.body) {
		// A 2xx without a body (a 204, say) is an empty page.
		p.members.reset(p.body)
		p.records = p.records[:0]
		return
	}
	p.members.maxMembers = max(dl.maxColumns, 0)
	if p.records, p.err = splitPage(p.body, p.records[:0], &p.members); p.err != nil {
		if _, ok := p.err.(*tooManyMembers); !ok {
			p.err = fmt.Errorf("data8: %s: page %d: decoding answer: %w", opGetData, p.number, p.err)
		}
	}
}

func (dl *downloader) run(parent context.Context, conc int) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	dl.stop = cancel

	// Page 1 alone: it gives the page size, and so the last page the count allows.
	first := dl.newPage(1)
	dl.ahead.admit() // always, as the first
	dl.get(ctx, first)
	more, err := dl.hand(first)
	if err != nil || !more {
		return err
	}
	dl.ahead.handed(first.number, first.held)
	dl.reuse(first)

	// Then the rest, conc at a time: a producer queues pages in order on order, as readAhead admits
	// them (it bounds the pages queued but not handed on), and fetches each from a goroutine of the
	// crew (conc of them, and one more for each refused page waiting out its delay), through the
	// window: while a page refused for load waits, the pages after it go on being fetched.
	order := make(chan *fetchedPage, 2*conc+maxReadAheadPages)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(order)
		var fetchers sync.WaitGroup
		defer fetchers.Wait()
		for n := int32(2); n <= dl.rule.last; n++ {
			for {
				ok, changed := dl.ahead.admit()
				if ok {
					break
				}
				select {
				case <-changed:
				case <-ctx.Done():
					return
				}
			}
			p := dl.newPage(n)
			select {
			case order <- p:
			case <-ctx.Done():
				return
			}
			if err := dl.crew.join(ctx); err != nil {
				p.err = err
				close(p.done)
				return
			}
			fetchers.Go(func() {
				defer dl.crew.leave()
				dl.get(ctx, p)
			})
		}
	})
	defer wg.Wait()
	defer cancel() // before the wait: in-flight fetches stop at once when the download ends early

	for p := range order {
		select {
		case <-p.done:
		case <-parent.Done():
			return ctxError("download of dataset "+fmt.Sprintf("%q", dl.dataset), context.Cause(parent), nil)
		}
		if err := dl.failure(); p.err != nil && err != nil {
			return err // the first page that failed, though it comes later: p was stopped for it
		}
		if p.err == nil {
			dl.split(p)
		}
		more, err := dl.hand(p)
		if err != nil || !more {
			return err
		}
		dl.ahead.handed(p.number, p.held)
		dl.reuse(p)
	}
	// The producer stopped at the last page the count allows, and that page said "more": only a
	// cancelled context gets here.
	if err := context.Cause(parent); err != nil {
		return ctxError("download of dataset "+fmt.Sprintf("%q", dl.dataset), err, nil)
	}
	return dl.rule.mismatch()
}

// failure returns the error of the first page that could not be fetched, if one could not.
func (dl *downloader) failure() error {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	return dl.failed
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
	if tm, ok := p.err.(*tooManyMembers); ok {
		return false, &TooManyColumnsError{Dataset: dl.dataset, Columns: tm.members, Limit: dl.maxColumns, Record: dl.res.Records + int64(tm.record)}
	}
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

// ErrTooManyColumns matches a dataset's answer refused because it lists more columns than the client
// allows (see WithMaxColumns), and a download refused because one of its records holds more (see
// DownloadOptions.MaxColumns).
var ErrTooManyColumns = errors.New("data8: too many columns")

// TooManyColumnsError is the error of a dataset's answer (GetDataset, Download, ...) that lists more
// columns than the limit (WithMaxColumns, DownloadOptions.MaxColumns), or of a download one of whose
// records holds more; a program that adds columns to a download as records bring them (see
// CSVWriter) can return it too. It matches ErrTooManyColumns.
type TooManyColumnsError struct {
	// Dataset is the dataset downloaded.
	Dataset string
	// Columns is the number of columns found: listed by the dataset, held by the record, or (for a
	// program adding columns) in all.
	Columns int
	// Limit is the most allowed.
	Limit int
	// Record is the index in the dataset, from 0, of the record that holds (or brings the count to)
	// Columns; -1 when the dataset's listing has them.
	Record int64
	// Unlisted is set when the limit passed is a program's limit on the columns that a dataset's
	// records hold and its listing does not (client/batch's MaxNewColumns): Columns counts those
	// alone.
	Unlisted bool
}

// Error names the dataset, the count and the limit.
func (e *TooManyColumnsError) Error() string {
	if e.Unlisted {
		return fmt.Sprintf("data8: record %d of dataset %q brings the columns its records hold and the dataset does not list to %d, more than the limit of %d", e.Record, e.Dataset, e.Columns, e.Limit)
	}
	if e.Record < 0 {
		return fmt.Sprintf("data8: dataset %q lists %d columns, more than the limit of %d", e.Dataset, e.Columns, e.Limit)
	}
	return fmt.Sprintf("data8: record %d of dataset %q brings %d columns, more than the limit of %d", e.Record, e.Dataset, e.Columns, e.Limit)
}

// Is makes a TooManyColumnsError match ErrTooManyColumns.
func (e *TooManyColumnsError) Is(target error) bool { return target == ErrTooManyColumns }

// checkColumns refuses the answer body, dataset name's details, when it lists more than limit
// columns (limit >= 0), from the answer's bytes.
func checkColumns(name string, body []byte, limit int) error {
	if limit >= 0 {
		if n := countColumns(body); n > limit {
			return &TooManyColumnsError{Dataset: name, Columns: n, Limit: limit, Record: -1}
		}
	}
	return nil
}

// countColumns returns the most members of a "columns" object in a dataset's answer (as
// encoding/json matches the name: in any case), without decoding them; 0 when there is none or the
// answer is not a JSON object, which decoding then reports.
func countColumns(body []byte) int {
	s := newMemberScanner(body[skipSpace(body, 0):])
	most := 0
	for {
		key, val, ok, err := s.next()
		if err != nil || !ok {
			return most
		}
		if val.kind != kindNested || !strings.EqualFold(string(key.str()), "columns") {
			continue
		}
		cols := newMemberScanner(val.raw)
		n := 0
		for {
			_, _, ok, err := cols.next()
			if err != nil || !ok {
				break
			}
			n++
		}
		most = max(most, n)
	}
}
