package client_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
)

// profileRuns returns the stand-in's profiles one at a time, and all of them at once (named "all").
func profileRuns() map[string][]data8test.Profile {
	runs := map[string][]data8test.Profile{"all": data8test.Profiles()}
	for _, p := range data8test.Profiles() {
		runs[string(p)] = []data8test.Profile{p}
	}
	return runs
}

func TestLifecycleAgainstEveryProfile(t *testing.T) {
	// The whole life of a dataset and a job through the client, against each of the stand-in's
	// different but valid readings of the silent points, and all of them at once, every request and
	// answer checked against the spec: the upload is acknowledged exactly, the job is waited for
	// until it has finished (under dotnet-times a running job shows completedAt
	// 0001-01-01T00:00:00), its output reads back as exactly the input in order, the lists find
	// what was made, and a duplicate name is a validation error whether it is answered 400 or 409.
	const n = 2345
	for name, ps := range profileRuns() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, data8test.WithProfile(ps...), data8test.WithJobDuration(100*time.Millisecond))
			c := newClient(srv)
			ctx := testContext(t)
			cols := map[string]int{"id": 0, "name": 0, "n": 0}

			ds, res, err := c.UploadDataset(ctx, "people", cols, client.Records(testRecords(n)),
				client.UploadOptions{BlockSize: 1000, Concurrency: 4, Columns: testColumns})
			if err != nil {
				t.Fatal(err)
			}
			if res.Blocks != 3 || res.Records != n || res.FirstBlock != 0 || res.LastBlock != 2 || res.Checkpoint != 3 ||
				res.Bytes == 0 || res.SkippedRecords != 0 || res.Throttled != 0 {
				t.Errorf("upload result %+v, want 3 blocks, %d records, blocks 0 to 2", *res, n)
			}
			if ds.Name != "people" || !ds.Completed || ds.RecordCount != n {
				t.Errorf("uploaded dataset %+v", *ds)
			}
			wantRecords(t, srv, "people", n)

			got, err := c.GetDataset(ctx, "people")
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "people" || !got.Completed || !got.Input || got.RecordCount != n {
				t.Errorf("GetDataset = %+v", *got)
			}

			if _, err := c.CreateDataset(ctx, "people", cols); !errors.Is(err, client.ErrValidation) {
				t.Errorf("creating a dataset of a taken name: %v, want ErrValidation", err)
			}

			const jobName = "Echo people 1"
			j, err := c.StartJob(ctx, client.NewJob{Name: jobName, WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "people"}})
			if err != nil {
				t.Fatal(err)
			}
			if j.Name != jobName || j.WorkflowName != "Echo" || client.JobFinished(j) || !reflect.DeepEqual(j.InputDatasets, map[string]string{"Input": "people"}) {
				t.Errorf("started job %+v", *j)
			}
			j, err = c.WaitJob(ctx, jobName, client.WaitOptions{
				Failed:   func(j *client.Job) bool { return j.Status == int(data8test.StatusFailed) },
				Interval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			if !client.JobFinished(j) || j.Status != int(data8test.StatusCompleted) {
				t.Fatalf("WaitJob returned job %+v, not finished and completed", *j)
			}
			if info, ok := srv.JobInfo(jobName); !ok || info.Status != data8test.StatusCompleted {
				t.Fatalf("the server's job: %+v, %v; want completed", info, ok)
			}
			out := j.OutputDatasets["Output"]
			if out == "" {
				t.Fatalf("job %+v names no output dataset for slot Output", *j)
			}
			recs, err := readAll(c, out)
			if err != nil {
				t.Fatalf("reading output %s: %v", out, err)
			}
			if len(recs) != n {
				t.Fatalf("output %s: %d records, want %d", out, len(recs), n)
			}
			for i, r := range recs {
				if !reflect.DeepEqual(r, wantRecord(i)) {
					t.Fatalf("output %s: record %d = %v, want %v", out, i, r, wantRecord(i))
				}
			}

			found := map[string]bool{}
			for d, err := range c.ListDatasets(ctx, client.ListDatasetsOptions{}) {
				if err != nil {
					t.Fatal(err)
				}
				found[d.Name] = true
			}
			if !found["people"] || !found[out] {
				t.Errorf("ListDatasets found %v, want people and %s", found, out)
			}
			var jobs []string
			for r, err := range c.ListJobs(ctx, client.ListJobsOptions{Workflow: "Echo"}) {
				if err != nil {
					t.Fatal(err)
				}
				jobs = append(jobs, r.Name)
			}
			if !reflect.DeepEqual(jobs, []string{jobName}) {
				t.Errorf("ListJobs found %q, want %q", jobs, jobName)
			}
		})
	}
}
