package cli

import (
	"encoding/csv"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
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

func (a *app) cmdDemo(args []string) error {
	fs := a.newFlagSet(a.cmd)
	out := fs.String("out", "", "the cleaned `FILE` (default contacts_clean.csv, in --out-dir when given)")
	outDir := fs.String("out-dir", "", "`DIR` for the sample input (contacts.csv) and, by default, the cleaned file")
	show := fs.Int("show", 5, "`N` rows to show before and after")
	workflow := fs.String("workflow", "CleanContacts", "the built-in `WORKFLOW` to run (CleanContacts or Echo)")
	var uf uploadFlags
	fs.IntVar(&uf.blockSize, "block-size", 1000, "`N` records per block, 1 to 1000")
	fs.IntVar(&uf.concurrency, "concurrency", 8, "`N` blocks uploaded at once, 1 to 64")
	if _, err := a.parse(fs, cmdSpec{max: 0, description: demoHelp}, args); err != nil {
		return err
	}
	if err := uf.check(); err != nil {
		return err
	}
	if *show < 0 {
		return usageErrorf("bad --show %d: must be 0 or more", *show)
	}
	dir := *outDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "data8-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create --out-dir: %v", unwrapPathError(err))
	}
	result := *out
	if result == "" {
		result = "contacts_clean.csv"
		if *outDir != "" {
			result = filepath.Join(*outDir, result)
		}
	}
	outFormat, err := formatFor(result, "")
	if err != nil {
		return err
	}
	input := filepath.Join(dir, "contacts.csv")
	if err := os.WriteFile(input, sample.Contacts(), 0o644); err != nil {
		return fmt.Errorf("writing the sample: %v", unwrapPathError(err))
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting the built-in server: %v", err)
	}
	srv := data8test.NewServer(append([]data8test.Option{data8test.WithListener(l), data8test.WithJobDuration(300 * time.Millisecond)}, a.hooks.demoServer...)...)
	defer srv.Close()
	a.red.add(srv.ClientSecret)
	c, err := client.New(append(a.clientOptions(), client.WithBaseURL(srv.URL), client.WithTokenURL(srv.TokenURL),
		client.WithCredentials(srv.ClientID, srv.ClientSecret))...)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintf(a.stdout, "built-in Data8 server on %s\n", srv.URL)

	if *show > 0 {
		fmt.Fprintf(a.stdout, "\nbefore (%s, first %d rows):\n", input, *show)
		a.showCSV(input, *show)
		fmt.Fprintln(a.stdout)
	}
	cfg := &runConfig{file: input, inFormat: formatCSV, workflow: *workflow, inputSlot: "Input",
		outputSlot: "Output", out: result, outFormat: outFormat, upload: uf,
		wait: waitFlags{failed: "3", interval: 100 * time.Millisecond}}
	if _, err := a.runPipeline(c, cfg); err != nil {
		return err
	}
	if *show > 0 && outFormat == formatCSV {
		fmt.Fprintf(a.stdout, "\nafter (%s, first %d rows):\n", result, *show)
		a.showCSV(result, *show)
	}
	return nil
}

// showCSV prints the first n rows of a CSV file as a table; a value with leading, trailing or doubled
// spaces is shown quoted so the white space can be seen.
func (a *app) showCSV(path string, n int) {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(a.stdout, "  (cannot read %s: %v)\n", path, unwrapPathError(err))
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
