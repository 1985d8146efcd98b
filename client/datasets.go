package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"

	"github.com/data8-toolkit/data8/gen"
)

// Record is one record: values keyed by column name. Values are JSON scalars: strings, numbers,
// booleans or nil. A column left out is null.
type Record map[string]any

// Dataset is a dataset's full details.
type Dataset struct {
	// Name matches ^[a-z][a-z0-9_]*$.
	Name string
	// Columns maps each column name to its type code. The codes are opaque integers: Data8 does not
	// document them (its example uses 0 for text and 1 for a number).
	Columns map[string]int
	// Input is true for an input dataset, false for an output dataset made by a job.
	Input bool
	// RecordCount is the number of records the server holds.
	RecordCount int64
	// Completed is true once the dataset is complete; it can then be used by a job and not changed.
	Completed bool
}

// DatasetRef is a dataset's basic details, as listed.
type DatasetRef struct {
	// Name is the dataset's name.
	Name string
	// Input is true for an input dataset.
	Input bool
	// Completed is true once the dataset is complete.
	Completed bool
	// Location is the URL of the dataset's full details.
	Location string
}

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
func (c *Client) CreateDataset(ctx context.Context, name string, columns map[string]int) (*Dataset, error) {
	if err := ValidateDatasetName(name); err != nil {
		return nil, err
	}
	if len(columns) == 0 {
		return nil, invalid("dataset %q: at least one column is needed", name)
	}
	cols := make(gen.Columns, len(columns))
	for col, code := range columns {
		if err := ValidateColumnName(col); err != nil {
			return nil, err
		}
		cols[col] = int32(code)
	}
	payload, err := json.Marshal(gen.NewDataset{Name: name, Columns: cols})
	if err != nil {
		return nil, fmt.Errorf("data8: encoding dataset: %w", err)
	}
	body, err := c.do(ctx, call{
		op:     "Dataset_Create",
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
				b, _ := json.Marshal(toGenDataset(d))
				return b, true, nil
			}
			return nil, false, invalid("creating dataset %q: a dataset of that name exists and is not the one this call asked for", name)
		},
	})
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// Tolerate a 2xx without a body: read what was created.
		return c.GetDataset(ctx, name)
	}
	return decodeDataset("Dataset_Create", body)
}

// GetDataset returns a dataset's full details.
func (c *Client) GetDataset(ctx context.Context, name string) (*Dataset, error) {
	if err := ValidateDatasetName(name); err != nil {
		return nil, err
	}
	body, err := c.do(ctx, call{
		op:       "Dataset_GetByName",
		retry500: true,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.DatasetGetByName(ctx, name, edit)
		},
	})
	if err != nil {
		return nil, err
	}
	return decodeDataset("Dataset_GetByName", body)
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
	body, err := c.do(ctx, call{
		op:       "Dataset_UpdateByName",
		retry500: true,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.DatasetUpdateByNameWithBody(ctx, name, headerContentType, bytes.NewReader(payload), edit)
		},
		resolve: func(ctx context.Context) ([]byte, bool, error) {
			d, err := c.GetDataset(ctx, name)
			if err != nil || !d.Completed || d.RecordCount != recordCount {
				return nil, false, nil
			}
			b, _ := json.Marshal(toGenDataset(d))
			return b, true, nil
		},
	})
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// The contract lets an operation answer with an empty body; read the result instead.
		return c.GetDataset(ctx, name)
	}
	return decodeDataset("Dataset_UpdateByName", body)
}

// UploadDataset creates an input dataset, uploads src into it and marks it complete with the number
// of records uploaded, returning the dataset as the server then holds it (its RecordCount is the
// server's count) and the upload's result.
//
// When opts.Columns is nil, the dataset's columns are the known columns for the local check. When
// opts.Resume is past opts.StartBlock (an earlier run was interrupted), the dataset is not created
// again: it must exist with the same columns.
func (c *Client) UploadDataset(ctx context.Context, name string, columns map[string]int, src Source, opts UploadOptions) (*Dataset, *UploadResult, error) {
	if rel, ok := src.(releaser); ok {
		defer rel.release()
	}
	if opts.Columns == nil {
		opts.Columns = keys(columns)
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

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func decodeDataset(op string, body []byte) (*Dataset, error) {
	var d gen.Dataset
	if err := decode(op, body, &d); err != nil {
		return nil, err
	}
	cols := make(map[string]int, len(d.Columns))
	for k, v := range d.Columns {
		cols[k] = int(v)
	}
	return &Dataset{Name: d.Name, Columns: cols, Input: d.Input, RecordCount: d.RecordCount, Completed: d.Completed}, nil
}

func toGenDataset(d *Dataset) gen.Dataset {
	cols := make(gen.Columns, len(d.Columns))
	for k, v := range d.Columns {
		cols[k] = int32(v)
	}
	return gen.Dataset{Name: d.Name, Columns: cols, Input: d.Input, RecordCount: d.RecordCount, Completed: d.Completed}
}

// decode unmarshals a 2xx answer's body; unknown members are ignored.
func decode(op string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("data8: %s: decoding answer: %w", op, err)
	}
	return nil
}
