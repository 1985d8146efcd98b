package cli

import (
	"encoding/csv"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/client/batch"
	"github.com/data8-toolkit/data8/cmd/data8/sample"
	"github.com/data8-toolkit/data8/data8test"
)

const demoHelp = `
Runs the main job end to end on a built-in stand-in for Data8, with nothing but Go:

 1. starts the built-in server (data8test) in this process, on a loopback port;
 2. writes a bundled sample of 3,000 invented UK contacts (stray white space, names in the wrong case,
    lower-case postcodes, mixed-case and invalid e-mails, duplicates) to contacts.csv in --out-dir, or in a
    temporary directory removed afterwards;
 3. runs "data8 run contacts.csv --workflow CleanContacts --out FILE" against it;
 4. prints a few rows before and after, and the job's statistics.

  go run ./cmd/data8 demo
  data8 demo --out-dir ./demo --show 10`

func (a *app) demoCommand() *cobra.Command {
	c := &cobra.Command{Use: "demo", Short: "clean a bundled sample of UK contacts on a built-in server (needs only Go)", Long: demoHelp, Args: noArgs,
		Example: "  go run ./cmd/data8 demo\n  data8 demo --out-dir ./demo --show 10"}
	fs := c.Flags()
	out := fs.String("out", "", "the cleaned `FILE` (default contacts_clean.csv, in --out-dir when given)")
	outDir := fs.String("out-dir", "", "`DIR` for the sample input (contacts.csv) and, by default, the cleaned file")
	show := fs.Int("show", 5, "`N` rows to show before and after")
	workflow := fs.String("workflow", "CleanContacts", "the built-in `WORKFLOW` to run (CleanContacts or Echo)")
	var uf uploadFlags
	uf.registerBlocks(c)
	c.RunE = func(_ *cobra.Command, _ []string) error {
		if err := uf.check(); err != nil {
			return err
		}
		if *show < 0 {
			return usageErrorf("bad --show %d: must be 0 or more", *show)
		}
		return a.demo(*out, *outDir, *workflow, *show, uf)
	}
	return c
}

func (a *app) demo(out, outDir, workflow string, show int, uf uploadFlags) error {
	dir := outDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "data8-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create --out-dir: %v", err)
	}
	result := out
	if result == "" {
		result = "contacts_clean.csv"
		if outDir != "" {
			result = filepath.Join(outDir, result)
		}
	}
	outFormat, err := batch.FormatOf(result, batch.FormatAuto)
	if err != nil {
		return usageErrorf("%v: name --out .csv, .jsonl or .ndjson", err)
	}
	input := filepath.Join(dir, "contacts.csv")
	if err := os.WriteFile(input, sample.Contacts(), 0o644); err != nil {
		return fmt.Errorf("writing the sample: %v", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting the built-in server: %v", err)
	}
	srv := data8test.NewServer(append([]data8test.Option{data8test.WithListener(l), data8test.WithJobDuration(300 * time.Millisecond)}, a.hooks.demoServer...)...)
	defer srv.Close()
	a.secrets.Add(srv.ClientSecret)
	c, err := client.New(append(a.clientOptions(), client.WithBaseURL(srv.URL), client.WithTokenURL(srv.TokenURL),
		client.WithCredentials(srv.ClientID, srv.ClientSecret))...)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintf(a.stdout, "built-in Data8 server on %s\n", srv.URL)

	if show > 0 {
		fmt.Fprintf(a.stdout, "\nbefore (%s, first %d rows):\n", input, show)
		a.showCSV(input, show)
		fmt.Fprintln(a.stdout)
	}
	// The built-in server's own status codes: they apply to it alone.
	builtIn := data8test.DefaultJobStatuses
	spec := batch.Spec{Input: input, InputFormat: batch.CSV, Output: result, OutputFormat: outFormat, Workflow: workflow,
		BlockSize: uf.blockSize, Concurrency: uf.concurrency, PollInterval: 100 * time.Millisecond,
		Statuses: client.JobStatuses{Done: []int{builtIn.Completed}, Failed: []int{builtIn.Failed}}}
	if err := a.runJob(c, nil, spec, nil, "", 0); err != nil {
		return err
	}
	if show > 0 && outFormat == batch.CSV {
		fmt.Fprintf(a.stdout, "\nafter (%s, first %d rows):\n", result, show)
		a.showCSV(result, show)
	}
	return nil
}

// showCSV prints the first n rows of a CSV file as a table; a value with leading, trailing or doubled
// spaces is shown quoted so the white space can be seen.
func (a *app) showCSV(path string, n int) {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(a.stdout, "  (cannot read %s: %v)\n", path, err)
		return
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	t := newTable(a.stdout)
	for i := 0; i <= n; i++ {
		rec, err := r.Read()
		if err != nil {
			break
		}
		if i == 0 && len(rec) > 0 {
			rec[0] = strings.TrimPrefix(rec[0], "\uFEFF") // a byte order mark
		}
		cells := make([]string, len(rec)+1)
		cells[0] = " "
		for j, v := range rec {
			if v != strings.TrimSpace(v) || strings.Contains(v, "  ") {
				v = fmt.Sprintf("%q", v)
			}
			cells[j+1] = v
		}
		t.row(cells...)
	}
	t.flush()
}
