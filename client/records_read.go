package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"

	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/opid"
)

// ReadRecords returns a dataset's records in processing order, one page at a time as the loop
// reaches them; it is mainly used on a job's output dataset. Numbers are json.Number, so that their
// text survives exactly. An error ends the sequence after it is yielded. Download reads the same
// records faster, several pages at once.
//
// The read is checked against the dataset's record count, read first (GET /Dataset/{name}): the
// page size is learned from the first page (the contract's 1,000 is only decided), pages are read
// until the count is reached or an empty page comes, and fewer or more records than the count end
// the sequence with a *CountMismatchError naming both numbers. A page that repeats the one before it
// byte for byte (a server ignoring the page number) ends it with an error matching ErrPaging. No
// page past the count's last is ever asked for, so no server can make the read endless. The records
// of a page are yielded only once the page is found consistent, so a failed read never yields a
// record past the count.
func (c *Client) ReadRecords(ctx context.Context, dataset string) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		d, err := c.GetDataset(ctx, dataset)
		if err != nil {
			yield(nil, err)
			return
		}
		var raw []json.RawMessage
		decodePage := func(body []byte) ([]Record, error) {
			if empty(body) {
				return nil, nil // a 2xx without a body (a 204, say) is an empty page
			}
			var err error
			if raw, err = splitRecords(body, raw[:0]); err != nil {
				return nil, fmt.Errorf("data8: %s: decoding answer: %w", opGetData, err)
			}
			recs := make([]Record, len(raw))
			for i, r := range raw {
				dec := json.NewDecoder(bytes.NewReader(r))
				dec.UseNumber()
				if err := dec.Decode(&recs[i]); err != nil {
					return nil, fmt.Errorf("data8: %s: decoding answer: %w", opGetData, err)
				}
				if recs[i] == nil {
					recs[i] = Record{}
				}
			}
			return recs, nil
		}
		for rec, err := range paginate(ctx, c.recordPage(dataset, nil), decodePage, &countRule{dataset: dataset, want: d.RecordCount}) {
			if !yield(rec, err) {
				return
			}
		}
	}
}

// opGetData is the operation that reads a page of records.
const opGetData = opid.DatasetGetData

// recordPage returns the fetcher of the pages of a dataset's records, each request under w when it
// is not nil.
func (c *Client) recordPage(dataset string, w *window) pageFetch {
	return func(ctx context.Context, page int32) ([]byte, error) {
		return c.getRecordPage(ctx, dataset, page, w, nil)
	}
}

// getRecordPage fetches one page of a dataset's records, under w when it is not nil, reading the
// answer into into when it is large enough (see call.into).
func (c *Client) getRecordPage(ctx context.Context, dataset string, page int32, w *window, into []byte) ([]byte, error) {
	params := &gen.DatasetGetDataParams{Page: &page}
	return c.do(ctx, call{
		op:       opGetData,
		retry500: true,
		window:   w,
		into:     into,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.DatasetGetData(ctx, dataset, params, edit)
		},
	})
}
