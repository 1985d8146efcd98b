package batch

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/data8-toolkit/data8/client"
)

// Column limits of a download, unless DownloadOptions (or Spec) say otherwise.
const (
	// DefaultMaxColumns is the most columns a downloaded dataset may have, listed and found in
	// its records together: the client's own default limit on a dataset's listing.
	DefaultMaxColumns = client.DefaultMaxColumns
	// DefaultMaxNewColumns is the most columns a download may add to those the dataset lists,
	// found in its records.
	DefaultMaxNewColumns = 1_000
)

// DownloadOptions tunes Download and DownloadTo. The zero value writes the format the file's
// extension names, every column in alphabetical order under its own name, 8 pages at a time.
type DownloadOptions struct {
	// Format is the file's format; FormatAuto tells it by the file's extension (DownloadTo: CSV).
	Format Format
	// Columns are written first, in this order (those the dataset has); the dataset's other
	// columns follow in alphabetical order.
	Columns []string
	// Headers maps a column to the name written for it (a CSV header cell, a JSON Lines key):
	// Plan.Headers for the columns Plan.Columns mapped, say. A column not in it keeps its name.
	Headers map[string]string
	// Concurrency is the number of pages fetched at once, 1 to client.MaxConcurrency; 0 means
	// client.DefaultDownloadConcurrency.
	Concurrency int
	// MaxColumns is the most columns the dataset may have, listed and found in its records
	// together; 0 means DefaultMaxColumns. MaxNewColumns is the most a download may add to those
	// the dataset lists; 0 means DefaultMaxNewColumns. Past either, the download stops with a
	// *client.TooManyColumnsError (matching client.ErrTooManyColumns) and leaves no file. The
	// client's own limit on a dataset's listing (client.WithMaxColumns) applies too: give the
	// client at least MaxColumns.
	MaxColumns, MaxNewColumns int
	// Progress, when set, is called with the download's Progress and Notice events (Step is
	// StepDownload).
	Progress func(Event)
}

func (o *DownloadOptions) withDefaults() DownloadOptions {
	v := *o
	v.Concurrency = cmp.Or(v.Concurrency, client.DefaultDownloadConcurrency)
	v.MaxColumns = cmp.Or(v.MaxColumns, DefaultMaxColumns)
	v.MaxNewColumns = cmp.Or(v.MaxNewColumns, DefaultMaxNewColumns)
	return v
}

// Download writes every record of dataset, in processing order, to the file at path, as CSV or JSON
// Lines, and returns the final pass's result. The records are checked against the dataset's record
// count (a *client.CountMismatchError otherwise). The file is written under a temporary name in the
// same directory and renamed into place only when complete, so a failed download never leaves a
// file under path: a new file gets mode 0666 less the umask, and an existing file's mode is kept
// (the new file gets no permission the old one lacks).
//
// A record may carry a column the dataset does not list (a server's choice): writing then stops,
// one pass reads every record to find all such columns (within MaxNewColumns and MaxColumns), and
// the file is emptied and written again with them, so it holds each record once.
func Download(ctx context.Context, c *client.Client, dataset, path string, opts DownloadOptions) (*client.DownloadResult, error) {
	o := opts.withDefaults()
	format, err := FormatOf(path, o.Format)
	if err != nil {
		return nil, err
	}
	d, err := c.GetDataset(ctx, dataset)
	if err != nil {
		return nil, err
	}
	if len(d.Columns) > o.MaxColumns {
		return nil, &client.TooManyColumnsError{Dataset: dataset, Columns: len(d.Columns), Limit: o.MaxColumns, Record: -1}
	}
	f, err := createAtomic(path)
	if err != nil {
		return nil, err
	}
	cols := orderColumns(o.Columns, d.Columns)
	res, err := writeRecords(ctx, c, dataset, f, format, cols, &o, d.RecordCount)
	var uc *client.UnknownColumnError
	if errors.As(err, &uc) {
		notify(o.Progress, Event{Kind: Notice, Step: StepDownload, Text: fmt.Sprintf("record %d of dataset %s has column %q, which the dataset does not list: reading every record for such columns, then writing %s again", uc.Record, dataset, uc.Column, path)})
		var all map[string]int
		if all, err = collectColumns(ctx, c, dataset, d.Columns, &o); err == nil {
			if err = f.reset(); err == nil {
				cols = orderColumns(o.Columns, all)
				res, err = writeRecords(ctx, c, dataset, f, format, cols, &o, d.RecordCount)
			}
		}
	}
	if err != nil {
		f.abort()
		return res, err
	}
	return res, f.commit()
}

// DownloadTo writes every record of dataset to w, as Download does but without a file: a record
// carrying a column the dataset does not list is an error (a stream cannot be written again).
func DownloadTo(ctx context.Context, c *client.Client, dataset string, w io.Writer, opts DownloadOptions) (*client.DownloadResult, error) {
	o := opts.withDefaults()
	format := cmp.Or(o.Format, CSV)
	d, err := c.GetDataset(ctx, dataset)
	if err != nil {
		return nil, err
	}
	if len(d.Columns) > o.MaxColumns {
		return nil, &client.TooManyColumnsError{Dataset: dataset, Columns: len(d.Columns), Limit: o.MaxColumns, Record: -1}
	}
	res, err := writeRecords(ctx, c, dataset, w, format, orderColumns(o.Columns, d.Columns), &o, d.RecordCount)
	var uc *client.UnknownColumnError
	if errors.As(err, &uc) {
		return res, fmt.Errorf("dataset %s: record %d has column %q, which the dataset does not list; write to a file instead (a file is then written again with such columns)", dataset, uc.Record, uc.Column)
	}
	return res, err
}

// writeRecords downloads the records of dataset into w, through a 256 KiB buffer, as CSV or JSON
// Lines with the columns cols.
func writeRecords(ctx context.Context, c *client.Client, dataset string, w io.Writer, format Format, cols []string, o *DownloadOptions, total int64) (*client.DownloadResult, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	headers := make([]string, len(cols))
	for i, col := range cols {
		headers[i] = cmp.Or(o.Headers[col], col)
	}
	var write func(*client.Page) error
	if format == CSV {
		cw, err := client.NewCSVWriter(bw, cols, headers)
		if err != nil {
			return nil, err
		}
		if err := cw.Flush(); err != nil { // the header, even when there is no record
			return nil, err
		}
		write = cw.WritePage
	} else {
		jw, err := client.NewJSONLinesWriter(bw, cols, headers)
		if err != nil {
			return nil, err
		}
		write = jw.WritePage
	}
	res, err := c.Download(ctx, dataset, write, client.DownloadOptions{
		Concurrency: o.Concurrency,
		MaxColumns:  o.MaxColumns,
		Progress: func(p client.DownloadProgress) {
			notify(o.Progress, Event{Kind: Progress, Step: StepDownload, Done: p.Records, Total: total, Window: p.Window, Concurrency: o.Concurrency})
		},
	})
	if err != nil {
		return res, err
	}
	return res, bw.Flush()
}

// collectColumns reads the whole dataset once to find every column its records use, within the
// limits.
func collectColumns(ctx context.Context, c *client.Client, dataset string, listed map[string]int, o *DownloadOptions) (map[string]int, error) {
	all := maps.Clone(listed)
	added := 0
	_, err := c.Download(ctx, dataset, func(p *client.Page) error {
		for i, raw := range p.Records {
			var members map[string]json.RawMessage
			if err := json.Unmarshal(raw, &members); err != nil {
				return err
			}
			for k := range members {
				if _, ok := all[k]; ok {
					continue
				}
				all[k] = 0
				added++
				if added > o.MaxNewColumns {
					return &client.TooManyColumnsError{Dataset: dataset, Columns: added, Limit: o.MaxNewColumns, Record: p.First + int64(i), Unlisted: true}
				}
				if len(all) > o.MaxColumns {
					return &client.TooManyColumnsError{Dataset: dataset, Columns: len(all), Limit: o.MaxColumns, Record: p.First + int64(i)}
				}
			}
		}
		return nil
	}, client.DownloadOptions{Concurrency: o.Concurrency, MaxColumns: o.MaxColumns})
	return all, err
}

// orderColumns is the documented column order of downloaded files: the columns of preferred that
// the dataset has, in that order, then every other column of the dataset in alphabetical order.
func orderColumns(preferred []string, columns map[string]int) []string {
	out := make([]string, 0, len(columns))
	used := make(map[string]bool, len(columns))
	for _, c := range preferred {
		if _, ok := columns[c]; ok && !used[c] {
			out = append(out, c)
			used[c] = true
		}
	}
	rest := make([]string, 0, len(columns))
	for c := range columns {
		if !used[c] {
			rest = append(rest, c)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}
