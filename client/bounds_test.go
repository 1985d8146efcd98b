package client_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/client"
)

// TestDocumentedBoundsAreInclusive: the largest concurrency the options document (64) is taken by
// uploads and downloads, and a resume at the upload's own start block starts there, skipping
// nothing.
func TestDocumentedBoundsAreInclusive(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	createDataset(t, c, "wide_open", testColumns...)
	if _, err := c.Upload(testContext(t), "wide_open", client.Records(testRecords(100)), client.UploadOptions{BlockSize: 1, Concurrency: client.MaxConcurrency}); err != nil {
		t.Fatalf("upload at concurrency %d: %v", client.MaxConcurrency, err)
	}
	wantRecords(t, srv, "wide_open", 100)
	if _, err := c.CompleteDataset(testContext(t), "wide_open", 100); err != nil {
		t.Fatal(err)
	}
	var got int
	count := func(p *client.Page) error { got += len(p.Records); return nil }
	if _, err := c.Download(testContext(t), "wide_open", count, client.DownloadOptions{Concurrency: client.MaxConcurrency}); err != nil || got != 100 {
		t.Fatalf("download at concurrency %d: %d records, %v", client.MaxConcurrency, got, err)
	}
	_, err := c.Download(testContext(t), "wide_open", count, client.DownloadOptions{Concurrency: client.MaxConcurrency + 1})
	if !errors.Is(err, client.ErrValidation) || !strings.Contains(err.Error(), "concurrency 65 is out of range 1..64") {
		t.Errorf("download at concurrency 65: %v", err)
	}

	createDataset(t, c, "resumed", testColumns...)
	res, err := c.Upload(testContext(t), "resumed", client.Records(testRecords(30)), client.UploadOptions{BlockSize: 10, StartBlock: 3, Resume: 3})
	if err != nil {
		t.Fatalf("resume at the start block: %v", err)
	}
	if res.SkippedRecords != 0 || res.Checkpoint != 6 {
		t.Errorf("resume at the start block: %d records skipped, checkpoint %d; want 0 and 6", res.SkippedRecords, res.Checkpoint)
	}
	wantRecords(t, srv, "resumed", 30)
}
