package client_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/standin"
)

func TestReadsTakePastEnd404ForTheEnd(t *testing.T) {
	// A server that answers the page past the end 404 (data8test's past-end-404) instead of []:
	// whole pages are read to the end, where the reader asks for the page after the count, and
	// every record comes back, with no error.
	for _, n := range []int{1, 1000, 2000, 2003} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			srv := newServer(t, data8test.WithProfile(data8test.ProfilePastEnd404))
			c := newClient(srv)
			if _, _, err := c.UploadDataset(testContext(t), "ds", map[string]int{"id": 0, "name": 0, "n": 0}, client.Records(testRecords(n)), client.UploadOptions{}); err != nil {
				t.Fatal(err)
			}
			recs, err := readAll(c, "ds")
			checkRead(t, "ReadRecords", recs, err, n)
			for _, conc := range []int{1, 8} {
				recs, _, _, err := collect(t, c, "ds", conc)
				checkRead(t, fmt.Sprintf("Download, window %d", conc), recs, err, n)
			}
		})
	}
}

func TestListsTakePastEnd404ForTheEnd(t *testing.T) {
	// 100 datasets and 100 jobs fill page 1: page 2, past the end, is a 404 under past-end-404,
	// and each list ends there with all of its entries.
	srv := newServer(t, data8test.WithProfile(data8test.ProfilePastEnd404))
	c := newClient(srv)
	ctx := testContext(t)
	if _, _, err := c.UploadDataset(ctx, "in", map[string]int{"id": 0, "name": 0, "n": 0}, client.Records(testRecords(1)), client.UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := range 99 {
		if _, err := c.CreateDataset(ctx, fmt.Sprintf("ds%02d", i), map[string]int{"v": 0}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100 {
		if _, err := c.StartJob(ctx, client.NewJob{Name: fmt.Sprintf("job %02d", i), WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "in"}}); err != nil {
			t.Fatal(err)
		}
	}
	datasets, jobs := 0, 0
	for _, err := range c.ListDatasets(ctx, client.ListDatasetsOptions{ExcludeOutput: true}) {
		if err != nil {
			t.Fatal(err)
		}
		datasets++
	}
	for _, err := range c.ListJobs(ctx, client.ListJobsOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		jobs++
	}
	if datasets != 100 || jobs != 100 {
		t.Errorf("listed %d input datasets and %d jobs; want 100 of each", datasets, jobs)
	}
}

func TestReadsRefuseA404BeforeTheCount(t *testing.T) {
	// A page that holds records answered 404 (pages after the first, on a server with the
	// mutation LaterDataPagesNotFound) is no end: the read fails with the count it could not reach.
	srv := newServer(t, standin.WithMutation(standin.LaterDataPagesNotFound))
	c := newClient(srv)
	if _, _, err := c.UploadDataset(testContext(t), "ds", map[string]int{"id": 0, "name": 0, "n": 0}, client.Records(testRecords(2003)), client.UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	check := func(how string, err error) {
		t.Helper()
		var cm *client.CountMismatchError
		if !errors.As(err, &cm) || cm.Want != 2003 || cm.Got != 1000 {
			t.Errorf("%s: error %v; want a *CountMismatchError of 1000 records read of 2003", how, err)
		}
	}
	_, err := readAll(c, "ds")
	check("ReadRecords", err)
	for _, conc := range []int{1, 8} {
		_, _, _, err := collect(t, c, "ds", conc)
		check(fmt.Sprintf("Download, window %d", conc), err)
	}
}
