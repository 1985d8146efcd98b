package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/opid"
)

// ListDatasets returns every dataset, page by page (100 a page, alphabetical), fetching each page
// when the loop reaches it and holding one page at a time. The list ends at an empty or short page,
// or at a page that repeats the one before it (a server that ignores the page number); a list still
// going after 10,000 full pages ends with an error matching ErrPaging. An error ends the sequence
// after it is yielded. Breaking out of the loop stops the paging.
func (c *Client) ListDatasets(ctx context.Context, opts ListDatasetsOptions) iter.Seq2[DatasetRef, error] {
	return c.listDatasets(ctx, opts, maxListPages)
}

// listDatasets is ListDatasets with a bound of maxPages pages.
func (c *Client) listDatasets(ctx context.Context, opts ListDatasetsOptions, maxPages int32) iter.Seq2[DatasetRef, error] {
	const op = opid.DatasetGetList
	fetch := func(ctx context.Context, page int32) ([]byte, error) {
		params := &gen.DatasetGetListParams{Page: &page}
		if opts.ExcludeInput {
			params.IncludeInput = new(false)
		}
		if opts.ExcludeOutput {
			params.IncludeOutput = new(false)
		}
		return c.idempotent(ctx, op, func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.DatasetGetList(ctx, params, edit)
		})
	}
	decodeRefs := func(body []byte) ([]DatasetRef, error) {
		var refs []gen.DatasetRef
		if err := decode(op, body, &refs); err != nil {
			return nil, err
		}
		out := make([]DatasetRef, len(refs))
		for i, r := range refs {
			out[i] = DatasetRef{Name: r.Name, Input: r.Input, Completed: r.Completed, Location: r.Location}
		}
		return out, nil
	}
	return paginate(ctx, fetch, decodeRefs, &listRule{op: op, maxPages: maxPages, logger: c.logger})
}

// ListJobs returns the submitted jobs, most recent first, page by page (100 a page), fetching each
// page when the loop reaches it and holding one page at a time. It ends like ListDatasets. An error
// ends the sequence after it is yielded. Breaking out of the loop stops the paging.
func (c *Client) ListJobs(ctx context.Context, opts ListJobsOptions) iter.Seq2[JobRef, error] {
	const op = opid.JobGetList
	fetch := func(ctx context.Context, page int32) ([]byte, error) {
		params := &gen.JobGetListParams{Page: &page}
		if opts.Workflow != "" {
			params.Workflow = &opts.Workflow
		}
		if !opts.StartDate.IsZero() {
			params.StartDate = &opts.StartDate
		}
		if !opts.EndDate.IsZero() {
			params.EndDate = &opts.EndDate
		}
		return c.idempotent(ctx, op, func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.JobGetList(ctx, params, edit)
		})
	}
	decodeRefs := func(body []byte) ([]JobRef, error) {
		var refs []JobRef
		if err := decode(op, body, &refs); err != nil {
			return nil, err
		}
		return refs, nil
	}
	return paginate(ctx, fetch, decodeRefs, &listRule{op: op, maxPages: maxListPages, logger: c.logger})
}
