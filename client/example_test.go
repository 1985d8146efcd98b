package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
)

// Upload a CSV file into a new dataset: create it, stream the rows up in blocks, and mark it
// complete with the number of records sent.
func ExampleClient_UploadDataset() {
	srv := data8test.NewServer() // an in-process stand-in for api.data-8.co.uk
	defer srv.Close()
	c := srv.Client() // in production: client.New() with DATA8_CLIENT_ID and DATA8_CLIENT_SECRET set
	ctx := context.Background()

	csv := strings.NewReader("firstname,lastname,email\n" +
		"Jane,Smith,jane@example.com\n" +
		"John,\"Doe, Jr\",john@example.com\n")
	src, err := client.NewCSVSource(csv)
	if err != nil {
		log.Fatal(err)
	}
	ds, res, err := c.UploadDataset(ctx, "contacts", map[string]int{"firstname": 0, "lastname": 0, "email": 0}, src, client.UploadOptions{
		Progress: func(p client.UploadProgress) {
			fmt.Printf("acknowledged %d blocks, %d records; checkpoint %d\n", p.Blocks, p.Records, p.Checkpoint)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("uploaded %d records in %d block(s); the server holds %d, completed=%v\n", res.Records, res.Blocks, ds.RecordCount, ds.Completed)
	// Output:
	// acknowledged 1 blocks, 2 records; checkpoint 1
	// uploaded 2 records in 1 block(s); the server holds 2, completed=true
}

// Run a job on an uploaded dataset, wait for it, and read its output.
func ExampleClient_WaitJob() {
	srv := data8test.NewServer(data8test.WithJobDuration(50 * time.Millisecond))
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	records := func(yield func(client.Record, error) bool) {
		for _, name := range []string{"  jane   SMITH ", "john doe"} {
			if !yield(client.Record{"name": name}, nil) {
				return
			}
		}
	}
	if _, _, err := c.UploadDataset(ctx, "people", map[string]int{"name": 0}, client.Records(records), client.UploadOptions{}); err != nil {
		log.Fatal(err)
	}
	job, err := c.StartJob(ctx, client.NewJob{
		Name:          "Echo people",
		WorkflowName:  "Echo",
		InputDatasets: map[string]string{"Input": "people"},
	})
	if err != nil {
		log.Fatal(err)
	}
	job, err = c.WaitJob(ctx, job.Name, client.WaitOptions{
		// Status codes come from Data8 with the workflow; the test server uses 3 for failed.
		Failed:   func(j *client.Job) bool { return j.Status == 3 },
		Interval: 20 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("finished:", client.JobFinished(job))
	for rec, err := range c.ReadRecords(ctx, job.OutputDatasets["Output"]) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%q\n", rec["name"])
	}
	// Output:
	// finished: true
	// "  jane   SMITH "
	// "john doe"
}

// Errors carry the operation and status; errors.Is matches the sentinels, and errors.As reaches
// the details. An upload that fails on a block says which block and which records.
func ExampleBlockError() {
	srv := data8test.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	_, err := c.GetDataset(ctx, "no_such_dataset")
	fmt.Println("not found:", errors.Is(err, client.ErrNotFound))

	if _, err := c.CreateDataset(ctx, "orders", map[string]int{"id": 1, "item": 0}); err != nil {
		log.Fatal(err)
	}
	// Without UploadOptions.Columns the client cannot check the keys, so the server refuses the
	// block holding the record with an unknown column.
	src, err := client.NewCSVSource(strings.NewReader("id,colour\n1,red\n2,blue\n"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Upload(ctx, "orders", src, client.UploadOptions{})
	var be *client.BlockError
	if errors.As(err, &be) {
		fmt.Printf("dataset %s, block %d, records %d-%d\n", be.Dataset, be.Block, be.FirstRecord, be.LastRecord)
	}
	var ae *client.APIError
	if errors.As(err, &ae) {
		fmt.Println("status:", ae.StatusCode, "validation:", errors.Is(err, client.ErrValidation))
	}

	// With the columns known, the same mistake is caught before anything is sent.
	src, _ = client.NewCSVSource(strings.NewReader("id,colour\n1,red\n"))
	_, err = c.Upload(ctx, "orders", src, client.UploadOptions{Columns: []string{"id", "item"}})
	fmt.Println(err)
	fmt.Println("invalid record:", errors.Is(err, client.ErrInvalidRecord))
	// Output:
	// not found: true
	// dataset orders, block 0, records 0-1
	// status: 400 validation: true
	// data8: CSV column "colour" is not a column of the dataset
	// invalid record: true
}

// Download a dataset to CSV, several pages at once, written in order straight from the answers'
// bytes; the download fails unless it reaches the dataset's record count exactly.
func ExampleClient_Download() {
	srv := data8test.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()
	src, err := client.NewCSVSource(strings.NewReader("name,city\nJane,\"York, UK\"\nJohn,Bath\n"))
	if err != nil {
		log.Fatal(err)
	}
	if _, _, err := c.UploadDataset(ctx, "people", map[string]int{"name": 0, "city": 0}, src, client.UploadOptions{}); err != nil {
		log.Fatal(err)
	}

	var out strings.Builder // in production: a file, through a bufio.Writer
	w, err := client.NewCSVWriter(&out, []string{"name", "city"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.Download(ctx, "people", w.WritePage, client.DownloadOptions{Concurrency: 8})
	var cm *client.CountMismatchError
	if errors.As(err, &cm) {
		log.Fatalf("incomplete: %d of %d records", cm.Got, cm.Want)
	}
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d of %d records:\n%s", res.Records, res.RecordCount, out.String())
	// Output:
	// 2 of 2 records:
	// name,city
	// Jane,"York, UK"
	// John,Bath
}

// Tell a person why a program is waiting while the server refuses calls for load. The stand-in
// refuses the first read of the dataset with 429 and Retry-After: 0, which the client does not take
// at its word: it waits at least RetryPolicy.BaseDelay (100 ms) before trying again.
func ExampleWithThrottleNotice() {
	srv := data8test.NewServer(data8test.WithRetryAfter(0),
		data8test.WithFaultScript(data8test.Fault{Op: "Dataset_GetByName", Call: 1, Kind: data8test.Fault429}))
	defer srv.Close()
	c := srv.Client(client.WithThrottleNotice(30*time.Second, func(n client.ThrottleNotice) {
		fmt.Printf("server busy (%d): waiting at least 100ms: %v; giving up after %v\n", n.StatusCode, n.Wait >= 100*time.Millisecond, n.GiveUpAfter)
	}))
	ctx := context.Background()
	if _, err := c.CreateDataset(ctx, "contacts", map[string]int{"email": 0}); err != nil {
		log.Fatal(err)
	}
	d, err := c.GetDataset(ctx, "contacts")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("read dataset", d.Name)
	// Output:
	// server busy (429): waiting at least 100ms: true; giving up after 10m0s
	// read dataset contacts
}
