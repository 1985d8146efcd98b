package cli

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"

	"github.com/data8-toolkit/data8/internal/names"

	"github.com/data8-toolkit/data8/client"
)

// datasetView is a dataset as --output json prints it (the API's member names).
type datasetView struct {
	Name        string         `json:"name"`
	Columns     map[string]int `json:"columns"`
	Input       bool           `json:"input"`
	RecordCount int64          `json:"recordCount"`
	Completed   bool           `json:"completed"`
}

func viewDataset(d *client.Dataset) datasetView {
	return datasetView{Name: d.Name, Columns: d.Columns, Input: d.Input, RecordCount: d.RecordCount, Completed: d.Completed}
}

// datasetRefView is a listed dataset as --output json prints it.
type datasetRefView struct {
	Name      string `json:"name"`
	Input     bool   `json:"input"`
	Completed bool   `json:"completed"`
	Location  string `json:"location,omitempty"`
}

func (a *app) printDataset(d *client.Dataset, asJSON bool) error {
	return a.printDetails(asJSON, viewDataset(d), func(t *table) {
		t.row("name", d.Name)
		t.row("input", yesNo(d.Input))
		t.row("completed", yesNo(d.Completed))
		t.row("records", fmt.Sprint(d.RecordCount))
		t.row("columns", fmtColumns(d.Columns))
	})
}

// printDetails prints one resource: with asJSON its view as JSON, otherwise a FIELD/VALUE table
// whose rows fill writes.
func (a *app) printDetails(asJSON bool, view any, fill func(t *table)) error {
	if asJSON {
		return writeJSON(a.stdout, view)
	}
	t := newTable(a.stdout, "FIELD", "VALUE")
	fill(t)
	return t.flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// checkDatasetName refuses a name the API would refuse, before anything is sent.
func checkDatasetName(name string) error {
	if !names.Valid(name) {
		return usageErrorf("bad dataset name %q: want a lower-case letter, then lower-case letters, digits or _", name)
	}
	return nil
}

func (a *app) cmdDatasetCreate(args []string) error {
	fs := a.newFlagSet(a.cmd)
	columns := fs.String("columns", "", "the columns, `name[:type],...` (type codes are integers, default 0); required")
	pos, asJSON, err := a.parseOutput(fs, cmdSpec{args: "NAME", min: 1, max: 1, description: `
Creates an empty, incomplete input dataset. Dataset and column names are a lower-case letter followed by
lower-case letters, digits and underscores. Type codes are opaque integers (Data8's example uses 0 for text
and 1 for a number); the default is 0.

  data8 dataset create contacts_2024 --columns first_name,last_name,priority:1`}, args)
	if err != nil {
		return err
	}
	name := pos[0]
	if err := checkDatasetName(name); err != nil {
		return err
	}
	if *columns == "" {
		return usageErrorf("--columns is required (for example --columns first_name,last_name,priority:1)")
	}
	specs, err := parseColumnSpec(*columns)
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	cols := make(map[string]int, len(specs))
	for _, s := range specs {
		cols[s.Name] = s.Type
	}
	return fetchAndPrint(a, asJSON, func(c *client.Client) (*client.Dataset, error) {
		return c.CreateDataset(a.ctx, name, cols)
	}, a.printDataset)
}

func (a *app) cmdDatasetGet(args []string) error {
	fs := a.newFlagSet(a.cmd)
	pos, asJSON, err := a.parseOutput(fs, cmdSpec{args: "NAME", min: 1, max: 1, description: "Shows a dataset: whether it is an input dataset, whether it is complete, its record count and columns."}, args)
	if err != nil {
		return err
	}
	return fetchAndPrint(a, asJSON, func(c *client.Client) (*client.Dataset, error) {
		return c.GetDataset(a.ctx, pos[0])
	}, a.printDataset)
}

func (a *app) cmdDatasetList(args []string) error {
	fs := a.newFlagSet(a.cmd)
	inputs := fs.Bool("input", false, "list input datasets (with --outputs: both; neither: both)")
	fs.BoolVar(inputs, "inputs", false, "same as --input")
	outputs := fs.Bool("outputs", false, "list output datasets made by jobs")
	_, asJSON, err := a.parseOutput(fs, cmdSpec{max: 0, description: `
Lists datasets in alphabetical order. --input keeps input datasets, --outputs keeps output datasets made by
jobs; with neither or both, all are listed. (--output is the output format, as on every read command.)`}, args)
	if err != nil {
		return err
	}
	opts := client.ListDatasetsOptions{}
	if *inputs != *outputs {
		opts.ExcludeInput, opts.ExcludeOutput = !*inputs, !*outputs
	}
	c, err := a.newClient()
	if err != nil {
		return err
	}
	defer c.Close()
	views := []datasetRefView{}
	for ref, err := range c.ListDatasets(a.ctx, opts) {
		if err != nil {
			return err
		}
		views = append(views, datasetRefView{Name: ref.Name, Input: ref.Input, Completed: ref.Completed, Location: ref.Location})
	}
	if asJSON {
		return writeJSON(a.stdout, views)
	}
	t := newTable(a.stdout, "NAME", "KIND", "COMPLETED")
	for _, v := range views {
		kind := "output"
		if v.Input {
			kind = "input"
		}
		t.row(v.Name, kind, yesNo(v.Completed))
	}
	return t.flush()
}

func (a *app) cmdDatasetUpload(args []string) error {
	fs := a.newFlagSet(a.cmd)
	var uf uploadFlags
	uf.register(fs)
	mapColumns := fs.Bool("map-columns", false, "map header cells (JSON Lines keys) to column names as data8 run does (First Name → first_name)")
	complete := fs.Bool("complete", false, "mark the dataset complete after the upload, with the file's record count")
	pos, err := a.parse(fs, cmdSpec{args: "NAME FILE", min: 2, max: 2, description: `
Uploads a CSV or JSON Lines file to an incomplete input dataset, in numbered blocks, streaming the file.

CSV: the header row names the columns, each one a column of the dataset; every cell is sent as a JSON string
exactly as read (an empty cell as ""). JSON Lines: one object per line, values (strings, numbers, booleans,
null) as given; blank lines are skipped. The whole file is checked first: bad input is reported with its
file and line before anything is sent.

Blocks are numbered from 0 in file order, --block-size records each. If the upload stops (Ctrl-C, a network
failure) it prints the block to resume from; run the same command with --start-block N and the same
--block-size. Blocks already sent are overwritten, never duplicated. Then complete the dataset (--complete
here, or data8 dataset complete NAME --records N).`}, args)
	if err != nil {
		return err
	}
	if err := uf.check(); err != nil {
		return err
	}
	name, path := pos[0], pos[1]
	if err := checkDatasetName(name); err != nil {
		return err
	}
	format, err := inputFormat(path, uf.format)
	if err != nil {
		return err
	}
	// Check what can be checked without the server first: the file must exist and not be empty.
	if err := checkReadable(path); err != nil {
		return err
	}
	c, err := a.newClient()
	if err != nil {
		return err
	}
	defer c.Close()
	d, err := c.GetDataset(a.ctx, name)
	if err != nil {
		return err
	}
	if !d.Input {
		return fmt.Errorf("dataset %q is an output dataset made by a job: only input datasets take uploads", name)
	}
	if d.Completed {
		return fmt.Errorf("dataset %q is complete: a complete dataset cannot be changed", name)
	}
	plan, err := a.checkFile(path, format, newColumnMapper(*mapColumns, name, d.Columns))
	if err != nil {
		return err
	}
	if err := checkStartBlock(plan, uf); err != nil {
		return err
	}
	out, err := a.upload(c, name, plan, uf)
	if err != nil {
		if isInputError(err) {
			return err
		}
		fmt.Fprintf(a.stderr, "%s\n", a.uploadStopped(err, name, out))
		resume := shellJoin(append([]string{"data8", "dataset", "upload", name, path, "--start-block", fmt.Sprint(out.Checkpoint)},
			uploadResumeFlags(uf, *mapColumns, *complete)...))
		if out.Checkpoint > 0 {
			fmt.Fprintf(a.stderr, "blocks 0 to %d of dataset %s are stored (upload checkpoint: block %d); resume with:\n  %s\n", out.Checkpoint-1, name, out.Checkpoint, resume)
		} else {
			fmt.Fprintf(a.stderr, "no block of dataset %s is known to be stored (upload checkpoint: block 0); resume with:\n  %s\n", name, resume)
		}
		return &reportedError{err: err, code: a.exitCode(err)}
	}
	fmt.Fprintf(a.stdout, "uploaded %d records of %s to dataset %s (blocks %d to %d of %d records each)\n",
		out.Result.Records, path, name, uf.startBlock, out.TotalBlocks-1, uf.blockSize)
	if !*complete {
		fmt.Fprintf(a.stdout, "the file has %d records; when every block is uploaded, complete the dataset with:\n  %s\n",
			plan.Records, shellJoin([]string{"data8", "dataset", "complete", name, "--records", fmt.Sprint(plan.Records)}))
		return nil
	}
	d, err = a.completeDataset(c, name, plan)
	var cm *countMismatchError
	if err != nil && !errors.As(err, &cm) {
		fmt.Fprintf(a.stderr, "every block is uploaded but completing dataset %s failed; retry with:\n  %s\n", name,
			shellJoin([]string{"data8", "dataset", "complete", name, "--records", fmt.Sprint(plan.Records)}))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "dataset %s is complete with %d records\n", name, d.RecordCount)
	return nil
}

// uploadStopped is the first line printed when an upload stops.
func (a *app) uploadStopped(err error, dataset string, out *uploadOutcome) string {
	if a.interrupted(err) {
		return fmt.Sprintf("data8 %s: interrupted: upload to dataset %s stopped at block %d of %d", a.cmd, dataset, out.Checkpoint, out.TotalBlocks)
	}
	return fmt.Sprintf("data8 %s: %s", a.cmd, describeError(err))
}

// uploadResumeFlags are the flags a resumed upload needs to send the same blocks.
func uploadResumeFlags(uf uploadFlags, mapColumns, complete bool) []string {
	var f []string
	if uf.blockSize != 1000 {
		f = append(f, "--block-size", fmt.Sprint(uf.blockSize))
	}
	if uf.format != "" {
		f = append(f, "--format", uf.format)
	}
	if mapColumns {
		f = append(f, "--map-columns")
	}
	if complete {
		f = append(f, "--complete")
	}
	return f
}

func (a *app) cmdDatasetComplete(args []string) error {
	fs := a.newFlagSet(a.cmd)
	records := fs.Int64("records", -1, "`N`, the number of records uploaded (default: the count the server reports)")
	pos, asJSON, err := a.parseOutput(fs, cmdSpec{args: "NAME", min: 1, max: 1, description: `
Marks an incomplete input dataset complete, so a job can use it; it cannot be changed afterwards. The record
count sent is --records (what data8 dataset upload printed), else the count the server reports for the
dataset; a server may refuse a count that does not match what it holds.`}, args)
	if err != nil {
		return err
	}
	if isSet(fs, "records") && *records < 0 {
		return usageErrorf("bad --records %d: must be 0 or more", *records)
	}
	c, err := a.newClient()
	if err != nil {
		return err
	}
	defer c.Close()
	n := *records
	if n < 0 {
		d, err := c.GetDataset(a.ctx, pos[0])
		if err != nil {
			return err
		}
		if d.Completed {
			return fmt.Errorf("dataset %q is already complete (%d records)", pos[0], d.RecordCount)
		}
		if d.RecordCount == 0 {
			return fmt.Errorf("the server reports no records for dataset %q: pass --records N with the number of records uploaded", pos[0])
		}
		n = d.RecordCount
		fmt.Fprintf(a.stderr, "completing dataset %s with the %d records the server reports\n", pos[0], n)
	}
	d, err := c.CompleteDataset(a.ctx, pos[0], n)
	if err != nil {
		return err
	}
	return a.printDataset(d, asJSON)
}

func (a *app) cmdDatasetDownload(args []string) error {
	fs := a.newFlagSet(a.cmd)
	out := fs.String("out", "", "the `FILE` to write (.csv, .jsonl or .ndjson), or - for standard output; required")
	format := fs.String("format", "", "`FORMAT`: csv or jsonl (default: from --out's extension; csv for -)")
	order := fs.String("columns", "", "CSV column order: `a,b,...` first, in this order, then the rest alphabetically")
	concurrency := fs.Int("concurrency", client.DefaultDownloadConcurrency, "pages fetched at once, `N` from 1 to 64")
	pos, err := a.parse(fs, cmdSpec{args: "NAME", min: 1, max: 1, description: `
Writes every record of a dataset, in processing order, to a CSV or JSON Lines file. CSV columns are the
dataset's columns in alphabetical order, or those named by --columns first; null is an empty cell. JSON Lines
members follow the same order. Pages are fetched --concurrency at a time and written in order.

The records read are checked against the dataset's record count: fewer or more is an error naming both
numbers, with exit status 1. The file is written under a temporary name in the same directory and renamed
when complete, so a failed download never leaves a file under the name given; a new file gets the mode your
umask allows (0666 less the umask), and an existing file keeps its mode, never a looser one.`}, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("--out is required (a file, or - for standard output)")
	}
	if *concurrency < 1 || *concurrency > 64 {
		return usageErrorf("bad --concurrency %d: must be from 1 to 64", *concurrency)
	}
	var f fileFormat
	if *out == "-" && *format == "" {
		f = formatCSV
	} else if f, err = formatFor(*out, *format); err != nil {
		return err
	}
	var preferred []string
	if *order != "" {
		specs, err := parseColumnSpec(*order)
		if err != nil {
			return &usageError{msg: err.Error()}
		}
		for _, s := range specs {
			preferred = append(preferred, s.Name)
		}
	}
	if err := checkDatasetName(pos[0]); err != nil {
		return err
	}
	if *out != "-" {
		// Before any network work: a directory or an unwritable place fails now.
		if err := checkWritable(*out); err != nil {
			return err
		}
	}
	c, err := a.newClient()
	if err != nil {
		return err
	}
	defer c.Close()
	n, err := a.download(c, pos[0], *out, f, preferred, nil, *concurrency)
	if err != nil {
		return err
	}
	if *out != "-" {
		fmt.Fprintf(a.stdout, "wrote %d records of dataset %s to %s\n", n, pos[0], *out)
	}
	return nil
}

// download writes every record of dataset to out ("-": standard output) and returns how many it wrote.
// preferred and rename shape the columns (see orderColumns); rename maps a column to the name written.
// The count is checked against the dataset's record count (a *client.CountMismatchError otherwise), and a
// file is written under a temporary name and renamed into place only when complete.
//
// A CSV record may carry a column the dataset does not list (a server's choice): writing then stops, one
// pass reads every record's members to find all such columns, and the file is emptied and written again
// with them, so it holds each record once. On standard output, which cannot be rewound, that is an error.
func (a *app) download(c *client.Client, dataset, out string, format fileFormat, preferred []string, rename map[string]string, concurrency int) (int64, error) {
	d, err := c.GetDataset(a.ctx, dataset)
	if err != nil {
		return 0, err
	}
	cols := orderColumns(preferred, d.Columns)
	if out == "-" {
		n, err := a.writeRecords(c, dataset, a.stdout, format, cols, rename, d.RecordCount, concurrency)
		var uc *client.UnknownColumnError
		if errors.As(err, &uc) {
			return n, fmt.Errorf("dataset %s: record %d has column %q, which the dataset does not list; write to a file instead of standard output (data8 then adds such columns)", dataset, uc.Record, uc.Column)
		}
		return n, err
	}
	f, err := createAtomic(out)
	if err != nil {
		return 0, err
	}
	n, err := a.writeRecords(c, dataset, f, format, cols, rename, d.RecordCount, concurrency)
	var uc *client.UnknownColumnError
	if errors.As(err, &uc) {
		fmt.Fprintf(a.stderr, "record %d of dataset %s has column %q, which the dataset does not list: reading every record for such columns, then writing %s again\n", uc.Record, dataset, uc.Column, out)
		var all map[string]int
		if all, err = a.collectColumns(c, dataset, d.Columns, concurrency); err == nil {
			if err = f.Reset(); err == nil {
				cols = orderColumns(preferred, all)
				n, err = a.writeRecords(c, dataset, f, format, cols, rename, d.RecordCount, concurrency)
			}
		}
	}
	if err != nil {
		f.Abort()
		return n, err
	}
	return n, f.Commit()
}

// writeRecords downloads the records of dataset into w, through a 256 KiB buffer, as CSV or JSON Lines with
// the columns cols, showing progress towards total records.
func (a *app) writeRecords(c *client.Client, dataset string, w io.Writer, format fileFormat, cols []string, rename map[string]string, total int64, concurrency int) (int64, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = cmp.Or(rename[col], col)
	}
	var write func(*client.Page) error
	if format == formatCSV {
		cw, err := client.NewCSVWriter(bw, cols, names)
		if err != nil {
			return 0, err
		}
		if err := cw.Flush(); err != nil { // the header, even when there is no record
			return 0, err
		}
		write = cw.WritePage
	} else {
		jw, err := client.NewJSONLinesWriter(bw, cols, names)
		if err != nil {
			return 0, err
		}
		write = jw.WritePage
	}
	prog := a.newProgress("download", total, "records")
	res, err := c.Download(a.ctx, dataset, write, client.DownloadOptions{
		Concurrency: concurrency,
		Progress: func(p client.DownloadProgress) {
			note := ""
			if p.Window > 0 && p.Window < concurrency {
				note = fmt.Sprintf("[server busy: %d of %d pages at once]", p.Window, concurrency)
			}
			prog.Set(p.Records, note)
		},
	})
	var n int64
	if res != nil {
		n = res.Records
		if res.Throttled > 0 {
			fmt.Fprintf(a.stderr, "download: the server refused %s for load (429/503); each was sent again after its Retry-After, with as few as %s at once (--concurrency %d)\n",
				plural(int(res.Throttled), "page request", "page requests"), plural(res.SmallestWindow, "page", "pages"), concurrency)
		}
	}
	if err != nil {
		prog.Finish(false)
		return n, err
	}
	prog.Finish(true)
	return n, bw.Flush()
}

// collectColumns reads the whole dataset once to find every column its records use.
func (a *app) collectColumns(c *client.Client, dataset string, listed map[string]int, concurrency int) (map[string]int, error) {
	all := maps.Clone(listed)
	_, err := c.Download(a.ctx, dataset, func(p *client.Page) error {
		for _, raw := range p.Records {
			var members map[string]json.RawMessage
			if err := json.Unmarshal(raw, &members); err != nil {
				return err
			}
			for k := range members {
				if _, ok := all[k]; !ok {
					all[k] = 0
				}
			}
		}
		return nil
	}, client.DownloadOptions{Concurrency: concurrency})
	return all, err
}
