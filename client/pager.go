package client

import (
	"context"
	"errors"
	"hash/maphash"
	"iter"
	"log/slog"
	"math"
)

// Paging limits.
const (
	// listPageSize is the documented number of datasets and jobs per page of a list.
	listPageSize = 100
	// maxListPages bounds a list of datasets or jobs: 10,000 pages, a million entries at the
	// documented 100 a page. No server states how long a list is, so a generous constant stands in
	// for the count a server would state; past it the list ends with an error matching ErrPaging
	// instead of going on for ever.
	maxListPages = 10_000
)

// pageFetch fetches page n (from 1) of a paged GET, under the retry policy, and returns its body.
type pageFetch func(ctx context.Context, page int32) ([]byte, error)

// pageRule decides, page after page, where a paged read ends.
type pageRule interface {
	// after is told a page's number, how many items it held, and whether its body repeats the
	// previous page's byte for byte. keep says whether the page's items are handed on, more
	// whether another page is fetched; err (which ends the read) is handed on after the items
	// kept.
	after(page int32, n int, repeated bool) (keep, more bool, err error)
}

// paginate is the one paging loop of the client: it yields the items of pages 1, 2, ... of a paged
// GET, holding one page at a time. decode turns a page's body into its items; rule decides where
// the sequence ends. An error ends the sequence after it is yielded; breaking out of the loop stops
// the paging.
func paginate[T any](ctx context.Context, fetch pageFetch, decode func(body []byte) ([]T, error), rule pageRule) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		var repeats pageRepeats
		for page := int32(1); ; page++ {
			body, err := fetch(ctx, page)
			if pastEnd(page, err) {
				body, err = nil, nil // the end, said as 404: an empty page to the rule
			}
			var items []T
			if err == nil {
				items, err = decode(body)
			}
			if err != nil {
				yield(zero, err)
				return
			}
			keep, more, err := rule.after(page, len(items), repeats.seen(page, body, len(items)))
			if keep {
				for _, it := range items {
					if !yield(it, nil) {
						return
					}
				}
			}
			if err != nil {
				yield(zero, err)
				return
			}
			if !more {
				return
			}
			if page == math.MaxInt32 {
				yield(zero, pagingError("page %d is the last page number the API takes", page))
				return
			}
		}
	}
}

// pageRepeats tells whether a page's body repeats the previous page's, by a hash of each body.
type pageRepeats struct {
	seed maphash.Seed
	prev uint64
}

// seen reports whether body (page number page, holding n items) repeats the previous page
// verbatim. An empty page never counts as a repeat: it ends every read.
func (r *pageRepeats) seen(page int32, body []byte, n int) bool {
	if page == 1 {
		r.seed = maphash.MakeSeed()
	}
	h := maphash.Bytes(r.seed, body)
	repeated := page > 1 && n > 0 && h == r.prev
	r.prev = h
	return repeated
}

// listRule ends a list of datasets or jobs at an empty page, at a short page (fewer entries than the
// documented 100, or than the first page when a server sends more), or at a page that repeats the
// previous one verbatim (a server that ignores the page number: the repeat is not handed on again).
// A list still going after maxListPages pages ends with an error.
type listRule struct {
	op       string
	maxPages int32 // maxListPages; smaller in tests
	size     int
	logger   *slog.Logger
}

func (r *listRule) after(page int32, n int, repeated bool) (keep, more bool, err error) {
	if repeated {
		r.logger.Warn("data8: a list page repeats the one before it; the server ignores the page number: ending the list", "op", r.op, "page", page)
		return false, false, nil
	}
	if page == 1 {
		r.size = max(listPageSize, n)
	}
	if n < r.size {
		return true, false, nil
	}
	if page >= r.maxPages {
		return true, false, pagingError("%s: the server still answers full pages after %d pages (%d entries); the list is cut there", r.op, page, int64(page)*int64(r.size))
	}
	return true, true, nil
}

// countRule follows a read of a dataset's records page by page against the record count the server
// states for the dataset (recordCount). The page size is learned from page 1. The read ends when the
// count is reached on a short page, or at an empty page; the last page it allows is the one after
// the count is filled at that page size (recordCount/size + 1, which is empty when the count is a
// multiple of the size). More records than the count, fewer by the time the pages end or the last
// allowed page is read, is a *CountMismatchError; a page repeating the previous one verbatim is an
// error matching ErrPaging.
type countRule struct {
	dataset string
	want    int64 // recordCount
	got     int64 // records received so far
	size    int   // records per page, from page 1
	last    int32 // the last page the count allows
}

func (r *countRule) after(page int32, n int, repeated bool) (keep, more bool, err error) {
	if repeated {
		return false, false, pagingError("reading dataset %q: page %d repeats page %d byte for byte: the server does not follow the page number (%d of %d records read)", r.dataset, page, page-1, r.got, r.want)
	}
	if n == 0 {
		if r.got != r.want {
			return false, false, r.mismatch()
		}
		return true, false, nil
	}
	r.got += int64(n)
	if r.got > r.want {
		return false, false, r.mismatch()
	}
	if page == 1 {
		r.size = n
		r.last = int32(min(r.want/int64(n)+1, math.MaxInt32))
	}
	if r.got == r.want && (n < r.size || page >= r.last) {
		return true, false, nil
	}
	if page >= r.last {
		return true, false, r.mismatch()
	}
	return true, true, nil
}

func (r *countRule) mismatch() error {
	return &CountMismatchError{Dataset: r.dataset, Want: r.want, Got: r.got}
}

// pastEnd reports whether err, the error of fetching page number page of a paged GET, is a 404 for a
// page after the first: a page past the end, said as "not found" instead of the decided empty page
// (D-6, D-10, D-12). The route exists (page 1 answered it), so the page is read as empty and the
// rule ends the read there as at any empty page: a list ends, and a dataset's records end in a
// *CountMismatchError unless the record count is already reached.
func pastEnd(page int32, err error) bool {
	return page > 1 && errors.Is(err, ErrNotFound)
}
