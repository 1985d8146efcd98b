package cli

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/client/batch"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// datasetView is a dataset as --output json prints it (the API's member names).
type datasetView struct {
	Name        string         `json:"name"`
	Columns     map[string]int `json:"columns"`
	Input       bool           `json:"input"`
	RecordCount int64          `json:"recordCount"`
	Completed   bool           `json:"completed"`
}

// datasetRefView is a listed dataset as --output json prints it.
type datasetRefView struct {
	Name      string `json:"name"`
	Input     bool   `json:"input"`
	Completed bool   `json:"completed"`
	Location  string `json:"location,omitempty"`
}

func (a *app) printDataset(d *client.Dataset, asJSON bool) error {
	return a.printDetails(asJSON, datasetView{Name: d.Name, Columns: d.Columns, Input: d.Input, RecordCount: d.RecordCount, Completed: d.Completed}, func(t *table) {
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

func (a *app) datasetCreate() *cobra.Command {
	c := &cobra.Command{Use: "create NAME", Short: "create an input dataset", Args: exactly(1, "NAME"), Long: `Creates an empty, incomplete input dataset. Dataset and column names are a lower-case letter followed by
lower-case letters, digits and underscores. Type codes are opaque integers (Data8's example uses 0 for text
and 1 for a number); the default is 0.`, Example: "  data8 dataset create contacts_2024 --columns first_name,last_name,priority:1"}
	columns := c.Flags().String("columns", "", "the columns, `name[:type],...` (type codes are integers, default 0); required")
	asJSON := outputFormat(c)
	c.RunE = func(_ *cobra.Command, args []string) error {
		if err := checkDatasetName(args[0]); err != nil {
			return err
		}
		if *columns == "" {
			return usageErrorf("--columns is required (for example --columns first_name,last_name,priority:1)")
		}
		specs, err := parseColumnSpec(*columns)
		if err != nil {
			return err
		}
		j, err := asJSON()
		if err != nil {
			return err
		}
		cols := make(client.Columns, len(specs))
		for _, s := range specs {
			cols[s.Name] = s.Type
		}
		return a.withClient(func(c *client.Client) error {
			d, err := c.CreateDataset(a.ctx, args[0], cols)
			if err != nil {
				return err
			}
			return a.printDataset(d, j)
		})
	}
	return c
}

func (a *app) datasetGet() *cobra.Command {
	return getCommand(a, "get NAME", "NAME", "show a dataset",
		"Shows a dataset: whether it is an input dataset, whether it is complete, its record count and columns.",
		(*client.Client).GetDataset, a.printDataset)
}

func (a *app) datasetList() *cobra.Command {
	c := &cobra.Command{Use: "list", Short: "list datasets", Args: noArgs, Long: `Lists datasets in alphabetical order. --input keeps input datasets, --outputs keeps output datasets made by
jobs; with neither or both, all are listed. (--output is the output format, as on every read command.)`}
	inputs := c.Flags().Bool("input", false, "list input datasets (with --outputs: both; neither: both)")
	c.Flags().BoolVar(inputs, "inputs", false, "same as --input")
	outputs := c.Flags().Bool("outputs", false, "list output datasets made by jobs")
	asJSON := outputFormat(c)
	c.RunE = func(_ *cobra.Command, _ []string) error {
		j, err := asJSON()
		if err != nil {
			return err
		}
		opts := client.ListDatasetsOptions{}
		if *inputs != *outputs {
			opts.ExcludeInput, opts.ExcludeOutput = !*inputs, !*outputs
		}
		return a.withClient(func(c *client.Client) error {
			views := []datasetRefView{}
			for ref, err := range c.ListDatasets(a.ctx, opts) {
				if err != nil {
					return err
				}
				views = append(views, datasetRefView{Name: ref.Name, Input: ref.Input, Completed: ref.Completed, Location: ref.Location})
			}
			if j {
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
		})
	}
	return c
}

// uploadFlags are the flags of the commands that upload.
type uploadFlags struct {
	blockSize, concurrency int
	format                 string
}

func (u *uploadFlags) register(c *cobra.Command) {
	u.registerBlocks(c)
	c.Flags().StringVar(&u.format, "format", "", "input `FORMAT`: csv or jsonl (default: from the file's extension)")
}

// registerBlocks registers --block-size and --concurrency alone.
func (u *uploadFlags) registerBlocks(c *cobra.Command) {
	c.Flags().IntVar(&u.blockSize, "block-size", client.MaxBlockSize, "`N` records per block, 1 to 1000 (resume with the same size)")
	c.Flags().IntVar(&u.concurrency, "concurrency", client.DefaultConcurrency, "`N` blocks uploaded at once, 1 to 64")
}

func (u *uploadFlags) check() error {
	if u.blockSize < 1 || u.blockSize > client.MaxBlockSize {
		return usageErrorf("bad --block-size %d: a block holds 1 to %d records", u.blockSize, client.MaxBlockSize)
	}
	if u.concurrency < 1 || u.concurrency > client.MaxConcurrency {
		return usageErrorf("bad --concurrency %d: must be 1 to %d", u.concurrency, client.MaxConcurrency)
	}
	return nil
}

// inputFormat reads --format for a records file; the file's extension tells it otherwise.
func inputFormat(path, flag string) (batch.Format, error) {
	if path == "-" {
		return 0, &usageError{msg: batch.ErrStandardInput.Error()}
	}
	f, err := batch.ParseFormat(flag)
	if err != nil {
		return 0, usageErrorf("bad --format %q: want csv or jsonl", flag)
	}
	if f, err = batch.FormatOf(path, f); err != nil {
		return 0, usageErrorf("%v: pass --format csv|jsonl", err)
	}
	return f, nil
}

// planFile checks a whole records file with a progress display, the first step of every upload.
func (a *app) planFile(path string, opts batch.PlanOptions) (*batch.Plan, error) {
	var size int64 = -1
	if st, err := os.Stat(path); err == nil {
		size = st.Size()
	}
	prog := a.newProgress("check "+filepath.Base(path), size, "bytes")
	prog.quietEnd = true
	opts.Progress = func(read, _ int64) { prog.Set(read, "") }
	p, err := batch.PlanFile(a.ctx, path, opts)
	prog.Finish(err == nil)
	var ie *batch.InputError
	if errors.As(err, &ie) && ie.InvalidName {
		ie.Msg += "; pass --map-columns to map names as data8 run does"
	}
	return p, err
}

func (a *app) datasetUpload() *cobra.Command {
	c := &cobra.Command{Use: "upload NAME FILE", Short: "upload a CSV or JSON Lines file to an input dataset", Args: exactly(2, "NAME FILE"), Long: `Uploads a CSV or JSON Lines file to an incomplete input dataset, in numbered blocks, streaming the file.

CSV: the header row names the columns, each one a column of the dataset; every cell is sent as a JSON string
exactly as read (an empty cell as ""). JSON Lines: one object per line, values (strings, numbers, booleans,
null) as given; blank lines are skipped. The whole file is checked first: bad input is reported with its
file and line before anything is sent.

Blocks are numbered from 0 in file order, --block-size records each. If the upload stops (Ctrl-C, a network
failure) it prints the block to resume from; run the same command with --start-block N and the same
--block-size. Blocks already sent are overwritten, never duplicated. Then complete the dataset (--complete
here, or data8 dataset complete NAME --records N).`}
	var uf uploadFlags
	uf.register(c)
	startBlock := c.Flags().Int("start-block", 0, "resume an interrupted upload from block `N` (printed when it stopped)")
	mapColumns := c.Flags().Bool("map-columns", false, "map header cells (JSON Lines keys) to column names as data8 run does (First Name → first_name)")
	complete := c.Flags().Bool("complete", false, "mark the dataset complete after the upload, with the file's record count")
	c.RunE = func(_ *cobra.Command, args []string) error {
		if err := uf.check(); err != nil {
			return err
		}
		if *startBlock < 0 {
			return usageErrorf("bad --start-block %d: must be 0 or more", *startBlock)
		}
		name, path := args[0], args[1]
		if err := checkDatasetName(name); err != nil {
			return err
		}
		format, err := inputFormat(path, uf.format)
		if err != nil {
			return err
		}
		if err := batch.CheckReadable(path); err != nil {
			return err
		}
		return a.withClient(func(c *client.Client) error {
			return a.upload(c, name, path, format, uf, *startBlock, *mapColumns, *complete)
		})
	}
	return c
}

// upload is dataset upload once the flags are checked.
func (a *app) upload(c *client.Client, name, path string, format batch.Format, uf uploadFlags, startBlock int, mapColumns, complete bool) error {
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
	plan, err := a.planFile(path, batch.PlanOptions{Format: format, MapColumns: mapColumns, Dataset: name, Known: d.Columns})
	if err != nil {
		return err
	}
	total := plan.Blocks(uf.blockSize)
	if startBlock > total {
		return usageErrorf("bad --start-block %d: %s has %d records, %d blocks of %d (last block %d)", startBlock, path, plan.Records, total, uf.blockSize, total-1)
	}
	res, err := a.sendBlocks(c, name, plan, uf, startBlock)
	if err != nil {
		var ie *batch.InputError
		if errors.As(err, &ie) {
			return err
		}
		checkpoint := startBlock
		if res != nil {
			checkpoint = max(checkpoint, res.Checkpoint)
		}
		if a.interrupted(err) {
			fmt.Fprintf(a.stderr, "data8 %s: interrupted: upload to dataset %s stopped at block %d of %d\n", a.cmd, name, checkpoint, total)
		} else {
			fmt.Fprintf(a.stderr, "data8 %s: %s\n", a.cmd, describeError(err))
		}
		resume := shellJoin(append([]string{"data8", "dataset", "upload", name, path, "--start-block", fmt.Sprint(checkpoint)}, uploadResumeFlags(uf, mapColumns, complete)...))
		if checkpoint > 0 {
			fmt.Fprintf(a.stderr, "blocks 0 to %d of dataset %s are stored (upload checkpoint: block %d); resume with:\n  %s\n", checkpoint-1, name, checkpoint, resume)
		} else {
			fmt.Fprintf(a.stderr, "no block of dataset %s is known to be stored (upload checkpoint: block 0); resume with:\n  %s\n", name, resume)
		}
		return &reportedError{err: err, code: a.exitCode(err)}
	}
	fmt.Fprintf(a.stdout, "uploaded %d records of %s to dataset %s (blocks %d to %d of %d records each)\n",
		res.Records, path, name, startBlock, total-1, uf.blockSize)
	completeCmd := shellJoin([]string{"data8", "dataset", "complete", name, "--records", fmt.Sprint(plan.Records)})
	if !complete {
		fmt.Fprintf(a.stdout, "the file has %d records; when every block is uploaded, complete the dataset with:\n  %s\n", plan.Records, completeCmd)
		return nil
	}
	d, err = plan.Complete(a.ctx, c, name)
	var iu *batch.IncompleteUploadError
	if err != nil && !errors.As(err, &iu) {
		fmt.Fprintf(a.stderr, "every block is uploaded but completing dataset %s failed; retry with:\n  %s\n", name, completeCmd)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "dataset %s is complete with %d records\n", name, d.RecordCount)
	return nil
}

// sendBlocks uploads a planned file from block start on, with a progress display.
func (a *app) sendBlocks(c *client.Client, dataset string, plan *batch.Plan, uf uploadFlags, start int) (*client.UploadResult, error) {
	skipped := min(int64(start)*int64(uf.blockSize), plan.Records)
	if start >= plan.Blocks(uf.blockSize) {
		return &client.UploadResult{SkippedRecords: skipped, Checkpoint: start}, nil
	}
	src, err := plan.Open()
	if err != nil {
		return nil, err
	}
	defer src.Close()
	prog := a.newProgress("upload", plan.Records-skipped, "records")
	res, err := c.Upload(a.ctx, dataset, src, client.UploadOptions{
		BlockSize: uf.blockSize, Concurrency: uf.concurrency, Resume: start, Columns: plan.Columns,
		Progress: func(p client.UploadProgress) { prog.Set(p.Records, windowNote(p.Window, uf.concurrency, "blocks")) },
	})
	prog.Finish(err == nil)
	if res != nil && res.Throttled > 0 {
		fmt.Fprintln(a.stderr, throttledLine("upload", res.Throttled, res.SmallestWindow, uf.concurrency, "block", "blocks"))
	}
	return res, err
}

// uploadResumeFlags are the flags a resumed upload needs to send the same blocks.
func uploadResumeFlags(uf uploadFlags, mapColumns, complete bool) []string {
	var f []string
	if uf.blockSize != client.MaxBlockSize {
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

// windowNote is the progress display's note while a transfer sends fewer requests at once than
// --concurrency because the server refuses requests for load; empty otherwise.
func windowNote(window, concurrency int, units string) string {
	if window <= 0 || window >= concurrency {
		return ""
	}
	return fmt.Sprintf("[server busy: %d of %d %s at once]", window, concurrency, units)
}

func (a *app) datasetComplete() *cobra.Command {
	c := &cobra.Command{Use: "complete NAME", Short: "mark an input dataset complete", Args: exactly(1, "NAME"), Long: `Marks an incomplete input dataset complete, so a job can use it; it cannot be changed afterwards. The record
count sent is --records (what data8 dataset upload printed), else the count the server reports for the
dataset; a server may refuse a count that does not match what it holds.`}
	records := c.Flags().Int64("records", -1, "`N`, the number of records uploaded (default: the count the server reports)")
	asJSON := outputFormat(c)
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if cmd.Flags().Changed("records") && *records < 0 {
			return usageErrorf("bad --records %d: must be 0 or more", *records)
		}
		j, err := asJSON()
		if err != nil {
			return err
		}
		return a.withClient(func(c *client.Client) error {
			n := *records
			if n < 0 {
				d, err := c.GetDataset(a.ctx, args[0])
				if err != nil {
					return err
				}
				if d.Completed {
					return fmt.Errorf("dataset %q is already complete (%d records)", args[0], d.RecordCount)
				}
				if d.RecordCount == 0 {
					return fmt.Errorf("the server reports no records for dataset %q: pass --records N with the number of records uploaded", args[0])
				}
				n = d.RecordCount
				fmt.Fprintf(a.stderr, "completing dataset %s with the %d records the server reports\n", args[0], n)
			}
			d, err := c.CompleteDataset(a.ctx, args[0], n)
			if err != nil {
				return err
			}
			return a.printDataset(d, j)
		})
	}
	return c
}

// columnLimits are the --max-columns and --max-new-columns flags of the commands that download.
type columnLimits struct{ all, added int }

func (l *columnLimits) register(c *cobra.Command) {
	c.Flags().IntVar(&l.all, "max-columns", batch.DefaultMaxColumns, "refuse a result of more than `N` columns, listed or found in the records")
	c.Flags().IntVar(&l.added, "max-new-columns", batch.DefaultMaxNewColumns, "refuse a result whose records bring more than `N` columns the dataset does not list")
}

func (l *columnLimits) check() error {
	if l.all < 1 || l.added < 0 {
		return usageErrorf("bad --max-columns %d or --max-new-columns %d: must be 1 or more, and 0 or more", l.all, l.added)
	}
	return nil
}

func (a *app) datasetDownload() *cobra.Command {
	c := &cobra.Command{Use: "download NAME", Short: "write a dataset's records to a CSV or JSON Lines file", Args: exactly(1, "NAME"), Long: `Writes every record of a dataset, in processing order, to a CSV or JSON Lines file. CSV columns are the
dataset's columns in alphabetical order, or those named by --columns first; null is an empty cell. JSON Lines
members follow the same order. Pages are fetched --concurrency at a time and written in order.

The records read are checked against the dataset's record count: fewer or more is an error naming both
numbers, with exit status 1. The file is written under a temporary name in the same directory and renamed
when complete, so a failed download never leaves a file under the name given; a new file gets the mode your
umask allows (0666 less the umask), and an existing file keeps its mode, never a looser one. Records that
bring a column the dataset does not list make data8 write the file again with it, within --max-new-columns.`}
	out := c.Flags().String("out", "", "the `FILE` to write (.csv, .jsonl or .ndjson), or - for standard output; required")
	format := c.Flags().String("format", "", "`FORMAT`: csv or jsonl (default: from --out's extension; csv for -)")
	order := c.Flags().String("columns", "", "CSV column order: `a,b,...` first, in this order, then the rest alphabetically")
	concurrency := c.Flags().Int("concurrency", client.DefaultDownloadConcurrency, "pages fetched at once, `N` from 1 to 64")
	var limits columnLimits
	limits.register(c)
	c.RunE = func(_ *cobra.Command, args []string) error {
		if *out == "" {
			return usageErrorf("--out is required (a file, or - for standard output)")
		}
		if *concurrency < 1 || *concurrency > client.MaxConcurrency {
			return usageErrorf("bad --concurrency %d: must be from 1 to %d", *concurrency, client.MaxConcurrency)
		}
		if err := limits.check(); err != nil {
			return err
		}
		f, err := batch.ParseFormat(*format)
		if err != nil {
			return usageErrorf("bad --format %q: want csv or jsonl", *format)
		}
		if *out != "-" {
			if f, err = batch.FormatOf(*out, f); err != nil {
				return usageErrorf("%v: pass --format csv|jsonl", err)
			}
		}
		var preferred []string
		if *order != "" {
			specs, err := parseColumnSpec(*order)
			if err != nil {
				return err
			}
			for _, s := range specs {
				preferred = append(preferred, s.Name)
			}
		}
		if err := checkDatasetName(args[0]); err != nil {
			return err
		}
		if *out != "-" {
			// Before any network work: a directory or an unwritable place fails now.
			if err := batch.CheckWritable(*out); err != nil {
				return err
			}
		}
		opts := batch.DownloadOptions{Format: f, Columns: preferred, Concurrency: *concurrency, MaxColumns: limits.all, MaxNewColumns: limits.added}
		a.maxColumns = limits.all
		return a.withClient(func(c *client.Client) error {
			res, err := a.download(c, args[0], *out, opts)
			if err != nil {
				return err
			}
			if *out != "-" {
				fmt.Fprintf(a.stdout, "wrote %d records of dataset %s to %s\n", res.Records, termsafe.String(args[0]), *out)
			}
			return nil
		})
	}
	return c
}

// download writes a dataset to out ("-": standard output) with a progress display and the notices
// of the transfer.
func (a *app) download(c *client.Client, dataset, out string, opts batch.DownloadOptions) (*client.DownloadResult, error) {
	prog := a.newProgress("download", -1, "records")
	opts.Progress = a.downloadEvents(prog, opts.Concurrency)
	var res *client.DownloadResult
	var err error
	if out == "-" {
		res, err = batch.DownloadTo(a.ctx, c, dataset, a.stdout, opts)
	} else {
		res, err = batch.Download(a.ctx, c, dataset, out, opts)
	}
	prog.Finish(err == nil)
	a.downloadThrottled(res, opts.Concurrency)
	return res, err
}

// downloadEvents shows a download's events on prog and standard error.
func (a *app) downloadEvents(prog *progress, concurrency int) func(batch.Event) {
	return func(e batch.Event) {
		switch e.Kind {
		case batch.Progress:
			prog.SetTotal(e.Total)
			prog.Set(e.Done, windowNote(e.Window, concurrency, "pages"))
		case batch.Notice:
			fmt.Fprintln(a.stderr, termsafe.String(e.Text))
		}
	}
}

func (a *app) downloadThrottled(res *client.DownloadResult, concurrency int) {
	if res != nil && res.Throttled > 0 {
		fmt.Fprintln(a.stderr, throttledLine("download", res.Throttled, res.SmallestWindow, concurrency, "page", "pages"))
	}
}

// fmtColumns renders a dataset's columns as "a:0, b:1" in alphabetical order.
func fmtColumns(cols map[string]int) string {
	s := ""
	for i, k := range slices.Sorted(maps.Keys(cols)) {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s:%d", k, cols[k])
	}
	return s
}
