package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/opid"
)

// The client's data types are the models generated from api/openapi.yaml (package gen), under the
// names Go users expect. They decode every answer the spec accepts: members a type does not name are
// ignored, optional members that are absent or null leave their zero value, and times are
// data8time.Time, which reads RFC 3339 and the zone-less forms a .NET service writes.
type (
	// Record is one record: values keyed by column name. Values are JSON scalars: strings, numbers,
	// booleans or nil. A column left out is null. (It is gen.Record, the spec's Record, as a named
	// type, so that record sources can tell it apart from other maps.)
	Record map[string]any

	// Columns maps each column name to its type code. The codes are opaque integers: Data8 does not
	// document them (its example uses 0 for text and 1 for a number).
	Columns = gen.Columns

	// Dataset is a dataset's full details: Name, Columns, Input (false for an output dataset made by a
	// job), RecordCount (the number of records the server holds) and Completed (true once it can be
	// used by a job, and no longer changed).
	Dataset = gen.Dataset

	// DatasetRef is a dataset's basic details, as listed: Name, Input, Completed and Location (the URL
	// of its full details; empty when the server leaves it out).
	DatasetRef = gen.DatasetRef
)

// ListDatasetsOptions filters ListDatasets. The zero value lists every dataset.
type ListDatasetsOptions struct {
	// ExcludeInput leaves out input datasets (includeInput=false).
	ExcludeInput bool
	// ExcludeOutput leaves out output datasets made by jobs (includeOutput=false).
	ExcludeOutput bool
}

// CreateDataset creates an empty, incomplete input dataset. The name and the column names are
// checked against ^[a-z][a-z0-9_]*$ before anything is sent, and there must be at least one column.
//
// POST /Dataset is never sent twice blindly: when an attempt fails in a way that may have created
// the dataset (a lost connection, a 5xx), the client reads the dataset by name and takes it as the
// result when it has the same columns and is an empty, incomplete input dataset.
func (c *Client) CreateDataset(ctx context.Context, name string, columns Columns) (*Dataset, error) {
	if err := ValidateDatasetName(name); err != nil {
		return nil, err
	}
	if len(columns) == 0 {
		return nil, invalid("dataset %q: at least one column is needed", name)
	}
	for col := range columns {
		if err := ValidateColumnName(col); err != nil {
			return nil, err
		}
	}
	payload, err := json.Marshal(gen.NewDataset{Name: name, Columns: columns})
	if err != nil {
		return nil, fmt.Errorf("data8: encoding dataset: %w", err)
	}
	return c.oneDataset(ctx, name, call{
		op:     opid.DatasetCreate,
		repeat: repeatLookup,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.DatasetCreateWithBody(ctx, headerContentType, bytes.NewReader(payload), edit)
		},
		resolve: func(ctx context.Context) ([]byte, bool, error) {
			d, err := c.GetDataset(ctx, name)
			if errors.Is(err, ErrNotFound) {
				return nil, false, nil
			}
			if err != nil {
				return nil, false, fmt.Errorf("data8: creating dataset %q: the outcome is unknown: %w", name, err)
			}
			if d.Input && !d.Completed && d.RecordCount == 0 && maps.Equal(d.Columns, columns) {
				b, _ := json.Marshal(d)
				return b, true, nil
			}
			return nil, false, invalid("creating dataset %q: a dataset of that name exists and is not the one this call asked for", name)
		},
	}, func(ctx context.Context) (*Dataset, error) { return c.GetDataset(ctx, name) })
}

// GetDataset returns a dataset's full details. Any name is accepted: output datasets are named by
// their jobs and need not follow the rule for creating input datasets. A dataset listing more
// columns than the client allows (WithMaxColumns: 10,000 unless told otherwise) is refused with a
// *TooManyColumnsError, before its answer is decoded into a map of that size.
func (c *Client) GetDataset(ctx context.Context, name string) (*Dataset, error) {
	return c.getDataset(ctx, name, c.maxColumns)
}

// getDataset is GetDataset refusing a dataset that lists more than limit columns (negative: no
// limit).
func (c *Client) getDataset(ctx context.Context, name string, limit int) (*Dataset, error) {
	if name == "" {
		return nil, invalid("a dataset name must not be empty")
	}
	body, err := c.idempotent(ctx, opid.DatasetGetByName, func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
		return c.api.DatasetGetByName(ctx, name, edit)
	})
	if err != nil {
		return nil, err
	}
	if err := checkColumns(name, body, limit); err != nil {
		return nil, err
	}
	return decodeOne[Dataset](opid.DatasetGetByName, body)
}

// oneDataset is callOne for a call whose answer is a dataset named name: one listing more columns
// than the client allows is refused before it is decoded.
func (c *Client) oneDataset(ctx context.Context, name string, cl call, ifEmpty func(context.Context) (*Dataset, error)) (*Dataset, error) {
	body, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	if ifEmpty != nil && empty(body) {
		return ifEmpty(ctx)
	}
	if err := checkColumns(name, body, c.maxColumns); err != nil {
		return nil, err
	}
	return decodeOne[Dataset](cl.op, body)
}

// CompleteDataset marks an incomplete input dataset complete, sending recordCount: the number of
// records uploaded (the server may reject a count that does not match what it holds). It returns
// the dataset as the server then holds it.
//
// When a retry after a lost answer is refused because the dataset is already complete, the client
// reads the dataset, and succeeds when it is complete with the same count.
func (c *Client) CompleteDataset(ctx context.Context, name string, recordCount int64) (*Dataset, error) {
	if err := ValidateDatasetName(name); err != nil {
		return nil, err
	}
	if recordCount < 0 {
		return nil, invalid("completing dataset %q: record count %d is negative", name, recordCount)
	}
	payload, err := json.Marshal(gen.DatasetUpdate{RecordCount: recordCount, Completed: true})
	if err != nil {
		return nil, fmt.Errorf("data8: encoding dataset update: %w", err)
	}
	return c.oneDataset(ctx, name, call{
		op:       opid.DatasetUpdateByName,
		retry500: true,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.DatasetUpdateByNameWithBody(ctx, name, headerContentType, bytes.NewReader(payload), edit)
		},
		resolve: func(ctx context.Context) ([]byte, bool, error) {
			d, err := c.GetDataset(ctx, name)
			if err != nil || !d.Completed || d.RecordCount != recordCount {
				return nil, false, nil
			}
			b, _ := json.Marshal(d)
			return b, true, nil
		},
	}, func(ctx context.Context) (*Dataset, error) { return c.GetDataset(ctx, name) })
}

// UploadDataset creates an input dataset, uploads src into it and marks it complete with the number
// of records uploaded, returning the dataset as the server then holds it (its RecordCount is the
// server's count) and the upload's result.
//
// When opts.Columns is nil, the dataset's columns are the known columns for the local check. When
// opts.Resume is past opts.StartBlock (an earlier run was interrupted), the dataset is not created
// again: it must exist with the same columns.
func (c *Client) UploadDataset(ctx context.Context, name string, columns Columns, src Source, opts UploadOptions) (*Dataset, *UploadResult, error) {
	if rel, ok := src.(releaser); ok {
		defer rel.release()
	}
	if opts.Columns == nil {
		opts.Columns = slices.Sorted(maps.Keys(columns))
	}
	if opts.Resume > opts.StartBlock {
		d, err := c.GetDataset(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		if !maps.Equal(d.Columns, columns) {
			return nil, nil, invalid("resuming upload to dataset %q: its columns differ from the ones given", name)
		}
	} else if _, err := c.CreateDataset(ctx, name, columns); err != nil {
		return nil, nil, err
	}
	res, err := c.Upload(ctx, name, src, opts)
	if err != nil {
		return nil, res, err
	}
	d, err := c.CompleteDataset(ctx, name, res.SkippedRecords+res.Records)
	if err != nil {
		return nil, res, err
	}
	return d, res, nil
}

// decode unmarshals a 2xx answer's body into v; members v does not name are ignored. An empty body
// (a 204, or a 2xx without content) reads as JSON null: v is left as it is, so a list is empty.
func decode(op string, body []byte, v any) error {
	if empty(body) {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("data8: %s: decoding answer: %w", op, err)
	}
	return nil
}

// decodeOne unmarshals a 2xx answer that must carry a result. An empty body is an error: the caller
// reads the result another way where it can (see CreateDataset).
func decodeOne[T any](op string, body []byte) (*T, error) {
	if empty(body) {
		return nil, fmt.Errorf("data8: %s: the server answered success without a body, and the result is needed", op)
	}
	v := new(T)
	if err := decode(op, body, v); err != nil {
		return nil, err
	}
	return v, nil
}

// empty reports whether an answer's body holds nothing but white space.
func empty(body []byte) bool { return len(bytes.TrimSpace(body)) == 0 }
