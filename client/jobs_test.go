package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/data8time"
	"github.com/data8-toolkit/data8/internal/opid"
)

// inputDataset uploads a small complete input dataset a job can read.
func inputDataset(t *testing.T, c *client.Client, name string) {
	t.Helper()
	if _, _, err := c.UploadDataset(testContext(t), name, map[string]int{"id": 0, "name": 0, "n": 1}, client.Records(testRecords(3)), client.UploadOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestStartJobAfterAmbiguousFailure(t *testing.T) {
	for _, tc := range []struct {
		name      string
		kind      data8test.FaultKind // the first POST's fault
		wantPosts int
	}{
		{name: "started, then 503", kind: data8test.FaultStored503, wantPosts: 1},
		{name: "started, then 500", kind: data8test.FaultStored500, wantPosts: 1},
		{name: "started, then the connection drops", kind: data8test.FaultStoredDrop, wantPosts: 1},
		{name: "not started, 503", kind: data8test.Fault503, wantPosts: 2},
		{name: "not started, 502", kind: data8test.Fault502, wantPosts: 2},
		{name: "not started, connection dropped", kind: data8test.FaultDrop, wantPosts: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, data8test.WithJobDuration(time.Hour),
				data8test.WithFaultScript(data8test.Fault{Op: opid.JobCreateJob, Call: 1, Kind: tc.kind}))
			c := newClient(srv)
			posts := func() int { return srv.RequestCounts()[opid.JobCreateJob] }
			inputDataset(t, c, "ds")
			j, err := c.StartJob(testContext(t), client.NewJob{Name: "Contact check 12", WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "ds"}})
			if err != nil {
				t.Fatal(err)
			}
			if j.Name != "Contact check 12" || j.WorkflowName != "Echo" || client.JobFinished(j) || !reflect.DeepEqual(j.InputDatasets, map[string]string{"Input": "ds"}) {
				t.Errorf("job = %+v", j)
			}
			if n := posts(); n != tc.wantPosts {
				t.Errorf("%d POSTs, want %d", n, tc.wantPosts)
			}
			if _, ok := srv.JobInfo("Contact check 12"); !ok {
				t.Error("the server has no such job")
			}
			if n := srv.FaultCounts()[tc.kind]; n != 1 {
				t.Errorf("%d %v faults injected, want 1", n, tc.kind)
			}
		})
	}
	t.Run("a job of that name runs another workflow", func(t *testing.T) {
		srv := newServer(t, data8test.WithJobDuration(time.Hour),
			data8test.WithFaultScript(data8test.Fault{Op: opid.JobCreateJob, Call: 2, Kind: data8test.Fault503}))
		c := newClient(srv)
		inputDataset(t, c, "ds")
		if _, err := c.StartJob(testContext(t), client.NewJob{Name: "J", WorkflowName: "CleanContacts", InputDatasets: map[string]string{"Input": "ds"}}); err != nil {
			t.Fatal(err)
		}
		_, err := c.StartJob(testContext(t), client.NewJob{Name: "J", WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "ds"}})
		if want := `data8: starting job "J": a job of that name exists and runs workflow "CleanContacts", not "Echo"`; err == nil || err.Error() != want || !errors.Is(err, client.ErrValidation) {
			t.Fatalf("error %v, want %q", err, want)
		}
	})
	t.Run("a job of that name reads another dataset", func(t *testing.T) {
		srv := newServer(t, data8test.WithJobDuration(time.Hour),
			data8test.WithFaultScript(data8test.Fault{Op: opid.JobCreateJob, Call: 2, Kind: data8test.Fault503}))
		c := newClient(srv)
		inputDataset(t, c, "ds")
		inputDataset(t, c, "other")
		if _, err := c.StartJob(testContext(t), client.NewJob{Name: "J", WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "other"}}); err != nil {
			t.Fatal(err)
		}
		_, err := c.StartJob(testContext(t), client.NewJob{Name: "J", WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "ds"}})
		if want := `data8: starting job "J": a job of that name exists with other input datasets or parameters`; err == nil || err.Error() != want || !errors.Is(err, client.ErrValidation) {
			t.Fatalf("error %v, want %q", err, want)
		}
	})
	t.Run("a job of that name runs other parameters", func(t *testing.T) {
		srv := newServer(t, data8test.WithJobDuration(time.Hour),
			data8test.WithFaultScript(data8test.Fault{Op: opid.JobCreateJob, Call: 2, Kind: data8test.Fault503}))
		c := newClient(srv)
		inputDataset(t, c, "ds")
		in := map[string]string{"Input": "ds"}
		if _, err := c.StartJob(testContext(t), client.NewJob{Name: "J", WorkflowName: "Echo", InputDatasets: in, Parameters: map[string]string{"Region": "GB"}}); err != nil {
			t.Fatal(err)
		}
		_, err := c.StartJob(testContext(t), client.NewJob{Name: "J", WorkflowName: "Echo", InputDatasets: in, Parameters: map[string]string{"Region": "IE"}})
		if want := `data8: starting job "J": a job of that name exists with other input datasets or parameters`; err == nil || err.Error() != want || !errors.Is(err, client.ErrValidation) {
			t.Fatalf("error %v, want %q", err, want)
		}
	})
}

func TestStartJobChecksLocally(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	for _, j := range []client.NewJob{
		{Name: "", WorkflowName: "Echo"},
		{Name: "a/b", WorkflowName: "Echo"},
		{Name: `a"b`, WorkflowName: "Echo"},
		{Name: "a\\b", WorkflowName: "Echo"},
		{Name: "ok name", WorkflowName: ""},
		{Name: "ok name", WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "Bad Name"}},
	} {
		if _, err := c.StartJob(testContext(t), j); !errors.Is(err, client.ErrValidation) {
			t.Errorf("StartJob(%+v): %v, want ErrValidation", j, err)
		}
	}
	if n := srv.RequestCounts(); len(n) != 0 {
		t.Errorf("something was sent: %v", n)
	}
}

func TestWaitJob(t *testing.T) {
	// Jobs of the workflow "Gated" run until the test lets them finish: the first when the test
	// releases it, the others never (until the server closes). started says a job is running.
	started := make(chan struct{}, 3)
	release := make(chan struct{})
	var runs atomic.Int32
	gated := data8test.NewWorkflow("Gated", []string{"Input"}, []string{"Output"},
		func(ctx context.Context, in map[string][]data8test.Record, _ map[string]string) (map[string][]data8test.Record, map[string]any, error) {
			wait := release
			if runs.Add(1) > 1 {
				wait = nil
			}
			started <- struct{}{}
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
			return map[string][]data8test.Record{"Output": in["Input"]}, map[string]any{"records": len(in["Input"])}, nil
		})
	awaitStart := func() {
		t.Helper()
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("the job did not start")
		}
	}
	// A running job's percentComplete is 1 with no duration; its completedAt is .NET's unset time.
	srv := newServer(t, data8test.WithWorkflow(gated), data8test.WithJobDuration(0), data8test.WithProfile(data8test.ProfileDotNetTimes))
	// Data8, a .NET service, sends that time without a zone (the profile does so), and members the
	// client does not know: the spy counts those answers and adds a member on their way to the client.
	var rewrites atomic.Int32
	sp := newSpy(t)
	sp.after = func(r *http.Request, _ *upload, resp *http.Response) {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/Job/") || resp.StatusCode != http.StatusOK {
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Error(err)
		}
		if bytes.Contains(b, []byte(`"completedAt":"0001-01-01T00:00:00"`)) {
			rewrites.Add(1)
		}
		b = append([]byte(`{"unknownMember":[1,2],`), b[1:]...)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	}
	// The sleeper records the poll delays; at the second it lets the first job finish, and waits
	// until it has.
	rec := &recorder{}
	sleep := func(ctx context.Context, d time.Duration) error {
		rec.sleep(ctx, d)
		if len(rec.get()) == 2 {
			close(release)
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
				if j, _ := srv.JobInfo("Long job"); j.CompletedAt != nil && !j.CompletedAt.IsZero() { // not .NET's unset time
					break
				}
				if time.Now().After(deadline) {
					return errors.New("the job did not finish")
				}
			}
		}
		return context.Cause(ctx)
	}
	c := newClient(srv, client.WithHTTPClient(sp.httpClient()), client.WithRetryPolicy(client.RetryPolicy{Sleep: sleep}))
	ctx := testContext(t)
	inputDataset(t, c, "people")
	if _, err := c.StartJob(ctx, client.NewJob{Name: "Long job", WorkflowName: "Gated", InputDatasets: map[string]string{"Input": "people"}}); err != nil {
		t.Fatal(err)
	}
	awaitStart()
	var seen []float64
	var finished []bool
	j, err := c.WaitJob(ctx, "Long job", client.WaitOptions{Progress: func(j *client.Job) {
		seen = append(seen, j.PercentComplete)
		finished = append(finished, client.JobFinished(j))
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !client.JobFinished(j) || j.Status != int(data8test.StatusCompleted) || !reflect.DeepEqual(seen, []float64{1, 1, 100}) || !reflect.DeepEqual(finished, []bool{false, false, true}) {
		t.Errorf("job %+v, progress %v, finished %v", j, seen, finished)
	}
	if n := rewrites.Load(); n != 2 {
		t.Errorf("%d answers with .NET's unset completedAt, want 2", n)
	}
	if j.OutputDatasets["Output"] != "long_job_output" || j.Statistics["records"] != 3.0 {
		t.Errorf("outputs %v, statistics %v", j.OutputDatasets, j.Statistics)
	}
	d := rec.get()
	if len(d) != 2 || d[0] < 500*time.Millisecond || d[0] >= time.Second || d[1] < time.Second || d[1] >= 2*time.Second {
		t.Errorf("poll delays %v, want one in [0.5s, 1s) then one in [1s, 2s)", d)
	}

	// The caller's Failed test ends the wait with a *JobFailedError.
	if _, err := c.StartJob(ctx, client.NewJob{Name: "Bad job", WorkflowName: "Gated", InputDatasets: map[string]string{"Input": "people"}}); err != nil {
		t.Fatal(err)
	}
	awaitStart()
	j, err = c.WaitJob(ctx, "Bad job", client.WaitOptions{Failed: func(j *client.Job) bool { return j.Status == int(data8test.StatusRunning) }})
	var jf *client.JobFailedError
	if !errors.As(err, &jf) || jf.Job != j || j.PercentComplete != 1 || client.JobFinished(j) {
		t.Errorf("WaitJob: %v, job %+v", err, j)
	}
	if want := `data8: job "Bad job" (workflow "Gated") failed with status 1`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	// A caller's Finished test replaces the D-14 rule.
	if _, err := c.StartJob(ctx, client.NewJob{Name: "Third", WorkflowName: "Gated", InputDatasets: map[string]string{"Input": "people"}}); err != nil {
		t.Fatal(err)
	}
	awaitStart()
	j, err = c.WaitJob(ctx, "Third", client.WaitOptions{Finished: func(j *client.Job) bool { return true }})
	if err != nil || client.JobFinished(j) {
		t.Errorf("WaitJob with Finished: %v, %+v", err, j)
	}

	if _, err := c.WaitJob(ctx, "missing", client.WaitOptions{}); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("WaitJob(missing): %v", err)
	}
	if d := rec.get(); len(d) != 2 {
		t.Errorf("%d sleeps in all, want the 2 of the first wait", len(d))
	}
}

func TestJobFinishedRule(t *testing.T) {
	sub := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(t time.Time) *data8time.Time { return &data8time.Time{Time: t} }
	for _, tc := range []struct {
		completed *data8time.Time
		want      bool
	}{
		{nil, false},
		{at(time.Time{}), false},
		{&data8time.Time{}, false},
		{at(sub.Add(-time.Second)), false},
		{at(sub), true},
		{at(sub.Add(time.Hour)), true},
	} {
		j := client.Job{SubmittedAt: data8time.Time{Time: sub}, CompletedAt: tc.completed}
		if got := client.JobFinished(&j); got != tc.want {
			t.Errorf("Finished with completedAt %v = %v, want %v", tc.completed, got, tc.want)
		}
	}
}

func TestListJobsPagesAndFilters(t *testing.T) {
	srv := newServer(t, data8test.WithJobDuration(time.Millisecond))
	sp := newSpy(t)
	var mu sync.Mutex
	var queries []url.Values
	sp.before = func(r *http.Request, _ *upload) error {
		if r.Method == http.MethodGet && r.URL.Path == "/Job" {
			mu.Lock()
			queries = append(queries, r.URL.Query())
			mu.Unlock()
		}
		return nil
	}
	c := newClient(srv, client.WithHTTPClient(sp.httpClient()))
	ctx := testContext(t)
	inputDataset(t, c, "ds")
	// 230 jobs of Echo, and among them jobs of another workflow that the filter leaves out.
	for i := range 230 {
		if _, err := c.StartJob(ctx, client.NewJob{Name: fmt.Sprintf("job %d", i), WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "ds"}}); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			if _, err := c.StartJob(ctx, client.NewJob{Name: fmt.Sprintf("other %d", i), WorkflowName: "CleanContacts", InputDatasets: map[string]string{"Input": "ds"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range 230 {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if j, _ := srv.JobInfo(fmt.Sprintf("job %d", i)); j.CompletedAt != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %d did not finish", i)
			}
		}
	}

	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)
	var names []string
	for ref, err := range c.ListJobs(ctx, client.ListJobsOptions{Workflow: "Echo", StartDate: start, EndDate: end}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, ref.Name)
		info, _ := srv.JobInfo(ref.Name)
		if ref.Status != int(data8test.StatusCompleted) || ref.WorkflowName != "Echo" || !ref.SubmittedAt.Equal(info.SubmittedAt.Time) || ref.Location != srv.URL+"/Job/"+url.PathEscape(ref.Name) {
			t.Fatalf("ref = %+v, server holds %+v", ref, info)
		}
	}
	mu.Lock()
	pages := len(queries)
	q := queries[0]
	mu.Unlock()
	if len(names) != 230 || pages != 3 {
		t.Fatalf("%d jobs over %d pages, want 230 over 3", len(names), pages)
	}
	for i, name := range names { // most recent first
		if want := fmt.Sprintf("job %d", 229-i); name != want {
			t.Fatalf("job %d is %q, want %q", i, name, want)
		}
	}
	if q.Get("workflow") != "Echo" || q.Get("startDate") != "2000-01-01T00:00:00Z" || q.Get("endDate") != "2999-01-01T00:00:00Z" || q.Get("page") != "1" {
		t.Errorf("query %v", q)
	}
	// The server applies the dates the client sends.
	for ref, err := range c.ListJobs(ctx, client.ListJobsOptions{EndDate: start}) {
		t.Errorf("a job submitted before %v: %+v, %v", start, ref, err)
	}
}

// The whole flow against the shared test server: upload, complete, run a job, read its output.
func TestFlowAgainstData8Test(t *testing.T) {
	srv := newServer(t, data8test.WithJobDuration(20*time.Millisecond))
	c := newClient(srv)
	ctx := testContext(t)
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
