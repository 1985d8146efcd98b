package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
)

func TestStartJobAfterAmbiguousFailure(t *testing.T) {
	for _, tc := range []struct {
		name      string
		apply     bool
		status    int
		wantPosts int
	}{
		{"started, then 502", true, 502, 1},
		{"started, then the connection drops", true, 0, 1},
		{"not started, 503", false, 503, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			n := failOnce(f, "POST", "/Job", tc.apply, tc.status)
			c := f.client(t)
			j, err := c.StartJob(context.Background(), client.NewJob{Name: "Contact check 12", WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "ds"}})
			if err != nil {
				t.Fatal(err)
			}
			if j.Name != "Contact check 12" || j.WorkflowName != "Echo" || j.Finished() {
				t.Errorf("job = %+v", j)
			}
			if *n != tc.wantPosts {
				t.Errorf("%d POSTs, want %d", *n, tc.wantPosts)
			}
		})
	}
	t.Run("a job of that name runs another workflow", func(t *testing.T) {
		f := newFakeAPI(t)
		c := f.client(t)
		if _, err := c.StartJob(context.Background(), client.NewJob{Name: "J", WorkflowName: "Other"}); err != nil {
			t.Fatal(err)
		}
		failOnce(f, "POST", "/Job", false, 503)
		if _, err := c.StartJob(context.Background(), client.NewJob{Name: "J", WorkflowName: "Echo"}); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestStartJobChecksLocally(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t)
	for _, j := range []client.NewJob{
		{Name: "", WorkflowName: "Echo"},
		{Name: "a/b", WorkflowName: "Echo"},
		{Name: `a"b`, WorkflowName: "Echo"},
		{Name: "a\\b", WorkflowName: "Echo"},
		{Name: "ok name", WorkflowName: ""},
		{Name: "ok name", WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "Bad Name"}},
	} {
		if _, err := c.StartJob(context.Background(), j); !errors.Is(err, client.ErrValidation) {
			t.Errorf("StartJob(%+v): %v, want ErrValidation", j, err)
		}
	}
	if f.postCount("Job") != 0 {
		t.Error("a job was sent")
	}
}

func TestWaitJob(t *testing.T) {
	f := newFakeAPI(t)
	rec := &recorder{}
	c := f.client(t, client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep}))
	ctx := context.Background()
	if _, err := c.StartJob(ctx, client.NewJob{Name: "Long job", WorkflowName: "Echo"}); err != nil {
		t.Fatal(err)
	}
	var seen []float64
	j, err := c.WaitJob(ctx, "Long job", client.WaitOptions{Progress: func(j *client.Job) { seen = append(seen, j.PercentComplete) }})
	if err != nil {
		t.Fatal(err)
	}
	// The fake sends completedAt "0001-01-01T00:00:00" (.NET's unset time) until the third poll.
	if !j.Finished() || !reflect.DeepEqual(seen, []float64{33, 66, 100}) {
		t.Errorf("job %+v, progress %v", j, seen)
	}
	if j.OutputDatasets["Output"] != "out_long_job" {
		t.Errorf("outputs %v", j.OutputDatasets)
	}
	d := rec.get()
	if len(d) != 2 || d[0] < 500*time.Millisecond || d[0] >= time.Second || d[1] < time.Second || d[1] >= 2*time.Second {
		t.Errorf("poll delays %v, want one in [0.5s, 1s) then one in [1s, 2s)", d)
	}

	// The caller's Failed test ends the wait with a *JobFailedError.
	if _, err := c.StartJob(ctx, client.NewJob{Name: "Bad job", WorkflowName: "Echo"}); err != nil {
		t.Fatal(err)
	}
	j, err = c.WaitJob(ctx, "Bad job", client.WaitOptions{Failed: func(j *client.Job) bool { return j.PercentComplete > 50 }})
	var jf *client.JobFailedError
	if !errors.As(err, &jf) || jf.Job != j || j.PercentComplete != 66 {
		t.Errorf("WaitJob: %v, job %+v", err, j)
	}
	if want := `data8: job "Bad job" (workflow "Echo") failed with status 0`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	// A caller's Finished test replaces the D-14 rule.
	if _, err := c.StartJob(ctx, client.NewJob{Name: "Third", WorkflowName: "Echo"}); err != nil {
		t.Fatal(err)
	}
	j, err = c.WaitJob(ctx, "Third", client.WaitOptions{Finished: func(j *client.Job) bool { return true }})
	if err != nil || j.Finished() {
		t.Errorf("WaitJob with Finished: %v, %+v", err, j)
	}

	if _, err := c.WaitJob(ctx, "missing", client.WaitOptions{}); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("WaitJob(missing): %v", err)
	}
}

func TestJobFinishedRule(t *testing.T) {
	sub := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(t time.Time) *time.Time { return &t }
	for _, tc := range []struct {
		completed *time.Time
		want      bool
	}{
		{nil, false},
		{at(time.Time{}), false},
		{at(sub.Add(-time.Second)), false},
		{at(sub), true},
		{at(sub.Add(time.Hour)), true},
	} {
		j := client.Job{SubmittedAt: sub, CompletedAt: tc.completed}
		if got := j.Finished(); got != tc.want {
			t.Errorf("Finished with completedAt %v = %v, want %v", tc.completed, got, tc.want)
		}
	}
}

func TestListJobsPagesAndFilters(t *testing.T) {
	f := newFakeAPI(t)
	var queries []url.Values
	f.apiHook = func(w http.ResponseWriter, r *http.Request) bool {
		q := r.URL.Query()
		queries = append(queries, q)
		page, _ := strconv.Atoi(q.Get("page"))
		out := []map[string]any{}
		for i := (page - 1) * 100; i < min(page*100, 230); i++ {
			out = append(out, map[string]any{"name": fmt.Sprintf("job %d", i), "workflowName": "Echo", "status": 2,
				"submittedAt": "2024-01-02T03:04:05.1234567Z", "location": "x"})
		}
		writeJSON(w, out)
		return true
	}
	c := f.client(t)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(24 * time.Hour)
	var names []string
	for ref, err := range c.ListJobs(context.Background(), client.ListJobsOptions{Workflow: "Echo", StartDate: start, EndDate: end}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, ref.Name)
		if ref.Status != 2 || ref.SubmittedAt != time.Date(2024, 1, 2, 3, 4, 5, 123456700, time.UTC) {
			t.Fatalf("ref = %+v", ref)
		}
	}
	if len(names) != 230 || names[229] != "job 229" || len(queries) != 3 {
		t.Errorf("%d jobs over %d pages", len(names), len(queries))
	}
	q := queries[0]
	if q.Get("workflow") != "Echo" || q.Get("startDate") != "2024-01-01T00:00:00Z" || q.Get("endDate") != "2024-01-02T00:00:00Z" {
		t.Errorf("query %v", q)
	}
}

// The whole flow against the shared test server: upload, complete, run a job, read its output.
func TestFlowAgainstData8Test(t *testing.T) {
	srv := data8test.NewServer(data8test.Validate(t), data8test.WithJobDuration(20*time.Millisecond))
	defer srv.Close()
	c := srv.Client(client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep}))
	ctx := context.Background()
	ds, res, err := c.UploadDataset(ctx, "flow_in", map[string]int{"id": 0, "name": 0, "n": 1}, client.Records(testRecords(2345)), client.UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Blocks != 3 || ds.RecordCount != 2345 || !ds.Completed {
		t.Errorf("result %+v, dataset %+v", *res, ds)
	}
	job, err := c.StartJob(ctx, client.NewJob{Name: "Flow 1", WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "flow_in"}})
	if err != nil {
		t.Fatal(err)
	}
	job, err = c.WaitJob(ctx, job.Name, client.WaitOptions{Failed: func(j *client.Job) bool { return j.Status == 3 }, Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for rec, err := range c.ReadRecords(ctx, job.OutputDatasets["Output"]) {
		if err != nil {
			t.Fatal(err)
		}
		if rec["id"] != strconv.Itoa(i) || rec["n"] != json.Number(strconv.Itoa(i)) {
			t.Fatalf("record %d = %v", i, rec)
		}
		i++
	}
	if i != 2345 {
		t.Errorf("read %d records", i)
	}
	found := false
	for ref, err := range c.ListJobs(ctx, client.ListJobsOptions{Workflow: "Echo"}) {
		if err != nil {
			t.Fatal(err)
		}
		found = found || ref.Name == "Flow 1"
	}
	if !found {
		t.Error("ListJobs did not list the job")
	}
}
