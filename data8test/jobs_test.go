package data8test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/gen"
)

// getJob reads a job through the API.
func getJob(t *testing.T, c *gen.ClientWithResponses, name string) gen.Job {
	t.Helper()
	resp, err := c.JobGetByNameWithResponse(context.Background(), name)
	if err != nil || resp.StatusCode() != 200 {
		t.Fatalf("get job %q: %v %s", name, err, resp.Body)
	}
	return *resp.JSON200
}

// waitJob polls a job until it is finished, checking that status and percentComplete never go back.
func waitJob(t *testing.T, c *gen.ClientWithResponses, name string) gen.Job {
	t.Helper()
	var last gen.Job
	for i := 0; ; i++ {
		j := getJob(t, c, name)
		if i > 0 && (j.Status < last.Status || j.PercentComplete < last.PercentComplete) {
			t.Fatalf("job went back: %+v after %+v", j, last)
		}
		if j.CompletedAt != nil {
			if j.CompletedAt.Before(j.SubmittedAt.Time) || j.PercentComplete != 100 {
				t.Fatalf("finished job %+v", j)
			}
			return j
		}
		if j.Status != StatusQueued && j.Status != StatusRunning {
			t.Fatalf("unfinished job has status %d", j.Status)
		}
		last = j
		time.Sleep(5 * time.Millisecond)
	}
}

// readAll reads every record of a dataset through the API.
func readAll(t *testing.T, c *gen.ClientWithResponses, name string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for p := int32(1); ; p++ {
		resp, err := c.DatasetGetDataWithResponse(context.Background(), name, &gen.DatasetGetDataParams{Page: &p})
		if err != nil || resp.StatusCode() != 200 {
			t.Fatalf("read %s: %v %s", name, err, resp.Body)
		}
		out = append(out, *resp.JSON200...)
		if len(*resp.JSON200) < recordsPerPage {
			return out
		}
	}
}

func TestJobEchoLifecycle(t *testing.T) {
	s := start(t)
	tok := fetchToken(t, s)
	c := apiClient(t, s)
	createDataset(t, s, tok, "contacts", "name", "n")
	var want []map[string]any
	for b := range 3 {
		var recs []map[string]any
		for i := range 700 {
			recs = append(recs, map[string]any{"name": fmt.Sprintf("r%d", b*700+i), "n": float64(b*700 + i)})
		}
		want = append(want, recs...)
		wantStatus(t, upload(t, s, tok, "contacts", b, recs...), 200)
	}
	wantStatus(t, complete(t, s, tok, "contacts", 2100), 200)

	name := "Contact Copy 3124"
	fn := "/ToData8/contact.csv"
	resp, err := c.JobCreateJobWithResponse(context.Background(), gen.NewJob{Name: name, WorkflowName: "Echo", InputDatasets: map[string]string{"Input": "contacts"}, InputFilename: fn, Parameters: map[string]string{"Note": "x"}})
	if err != nil || resp.StatusCode() != 200 {
		t.Fatalf("create job: %v %s", err, resp.Body)
	}
	j := *resp.JSON200
	if j.Status != StatusQueued || j.CompletedAt != nil || j.PercentComplete != 0 || j.EstimatedFinishTime == nil || !j.EstimatedFinishTime.After(j.SubmittedAt.Time) {
		t.Fatalf("new job %s", resp.Body)
	}
	out := j.OutputDatasets["Output"]
	if out != "contact_copy_3124_output" {
		t.Fatalf("output dataset %q", out)
	}
	if j.Parameters["Note"] != "x" || j.InputFilename != fn || j.InputDatasets["Input"] != "contacts" {
		t.Fatalf("job details %s", resp.Body)
	}
	// The output dataset exists from the start, incomplete.
	if d, ok := s.DatasetInfo(out); !ok || d.Input || d.Completed {
		t.Fatalf("output dataset at submission: %+v %v", d, ok)
	}

	done := waitJob(t, c, name)
	if done.Status != StatusCompleted || !reflect.DeepEqual(done.Statistics, map[string]any{"records": 2100.0}) {
		t.Fatalf("finished job %+v, statistics %v", done, done.Statistics)
	}
	d, _ := s.DatasetInfo(out)
	if d.Input || !d.Completed || d.RecordCount != 2100 || !reflect.DeepEqual(d.Columns, gen.Columns{"name": 0, "n": 0}) {
		t.Fatalf("output dataset %+v", d)
	}
	if got := readAll(t, c, out); !reflect.DeepEqual(got, want) {
		t.Fatalf("output records differ: %d records", len(got))
	}
	// A job's location escapes its spaces.
	lr, err := c.JobGetListWithResponse(context.Background(), nil)
	if err != nil || len(*lr.JSON200) != 1 {
		t.Fatalf("job list: %v %s", err, lr.Body)
	}
	if loc := (*lr.JSON200)[0].Location; loc != s.URL+"/Job/Contact%20Copy%203124" {
		t.Fatalf("location %q", loc)
	}
	if j, ok := s.JobInfo(name); !ok || j.Status != StatusCompleted {
		t.Fatalf("JobInfo %+v", j)
	}
}

func TestJobRunningState(t *testing.T) {
	release := make(chan struct{})
	running := make(chan struct{})
	wf := NewWorkflow("Gate", []string{"In"}, []string{"Out", "Rejects"}, func(ctx context.Context, in map[string][]Record, _ map[string]string) (map[string][]Record, map[string]any, error) {
		close(running)
		<-release
		return map[string][]Record{"Out": in["In"]}, map[string]any{"n": len(in["In"])}, nil
	})
	s := start(t, WithWorkflow(wf), WithJobDuration(0))
	tok := fetchToken(t, s)
	c := apiClient(t, s)
	createDataset(t, s, tok, "in", "a")
	wantStatus(t, upload(t, s, tok, "in", 0, rec("a", "1")), 200)
	wantStatus(t, complete(t, s, tok, "in", 1), 200)
	wantStatus(t, do(t, s, tok, "POST", "/Job", map[string]any{"name": "g", "workflowName": "Gate", "inputDatasets": map[string]string{"In": "in"}}), 200)
	<-running
	j := getJob(t, c, "g")
	if j.Status != StatusRunning || j.CompletedAt != nil || j.PercentComplete <= 0 || j.PercentComplete >= 100 {
		t.Fatalf("running job %+v", j)
	}
	close(release)
	j = waitJob(t, c, "g")
	if j.Status != StatusCompleted || !reflect.DeepEqual(j.OutputDatasets, map[string]string{"Out": "g_out", "Rejects": "g_rejects"}) {
		t.Fatalf("job %+v", j)
	}
	// An output slot the workflow left empty is an empty, complete dataset with the inputs' columns.
	if d, _ := s.DatasetInfo("g_rejects"); !d.Completed || d.RecordCount != 0 || !reflect.DeepEqual(d.Columns, gen.Columns{"a": 0}) {
		t.Fatalf("empty output %+v", d)
	}
}

func TestCleanContacts(t *testing.T) {
	s := start(t)
	tok := fetchToken(t, s)
	c := apiClient(t, s)
	createDataset(t, s, tok, "raw", "firstname", "lastname", "email", "postcode", "age")
	in := []map[string]any{
		{"firstname": "  jOHN ", "lastname": "o'neill", "email": " John.Smith@Example.COM ", "postcode": "sw1a1aa", "age": 42},
		{"firstname": "mary-jane", "lastname": "SMITH   JONES", "email": "not-an-email", "postcode": " ec1a   1bb ", "age": nil},
		{"firstname": "John", "lastname": "O'Neill", "email": "john.smith@example.com", "postcode": "SW1A 1AA", "age": 42},
		{"firstname": "Ann", "lastname": "Lee", "email": "", "postcode": "12345"},
		{"firstname": "Ann", "lastname": "Lee", "email": "", "postcode": "12345"},
	}
	wantStatus(t, upload(t, s, tok, "raw", 0, in...), 200)
	wantStatus(t, complete(t, s, tok, "raw", 5), 200)
	wantStatus(t, do(t, s, tok, "POST", "/Job", map[string]any{"name": "Clean 1", "workflowName": "CleanContacts", "inputDatasets": map[string]string{"Input": "raw"}}), 200)
	j := waitJob(t, c, "Clean 1")
	if j.Status != StatusCompleted {
		t.Fatalf("job %+v", j)
	}
	want := []map[string]any{
		{"firstname": "John", "lastname": "O'Neill", "email": "john.smith@example.com", "postcode": "SW1A 1AA", "age": 42.0, "email_valid": true},
		{"firstname": "Mary-Jane", "lastname": "Smith Jones", "email": "not-an-email", "postcode": "EC1A 1BB", "age": nil, "email_valid": false},
		{"firstname": "Ann", "lastname": "Lee", "email": "", "postcode": "12345", "email_valid": nil},
	}
	if got := readAll(t, c, "clean_1_output"); !reflect.DeepEqual(got, want) {
		gj, _ := json.Marshal(got)
		t.Fatalf("cleaned records\n got %s", gj)
	}
	wantStats := map[string]any{
		"records": 5.0, "recordsOut": 3.0, "whitespaceFixed": 4.0, "namesTitleCased": 4.0, "postcodesFormatted": 2.0,
		"postcodesInvalid": 2.0, "emailsLowercased": 1.0, "emailsInvalid": 1.0, "duplicatesRemoved": 2.0,
	}
	if !reflect.DeepEqual(j.Statistics, wantStats) {
		t.Fatalf("statistics %v", j.Statistics)
	}
	d, _ := s.DatasetInfo("clean_1_output")
	if !reflect.DeepEqual(d.Columns, gen.Columns{"firstname": 0, "lastname": 0, "email": 0, "postcode": 0, "age": 0, "email_valid": 0}) {
		t.Fatalf("columns %v", d.Columns)
	}
}

func TestDotNetUnsetTimes(t *testing.T) {
	s := start(t, WithProfile(ProfileDotNetTimes), WithJobDuration(time.Hour))
	tok := fetchToken(t, s)
	createDataset(t, s, tok, "in", "a")
	wantStatus(t, complete(t, s, tok, "in", 0), 200)
	r := do(t, s, tok, "POST", "/Job", map[string]any{"name": "slow", "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "in"}})
	wantStatus(t, r, 200)
	var raw map[string]any
	_ = json.Unmarshal(r.body, &raw)
	if raw["completedAt"] != "0001-01-01T00:00:00" {
		t.Fatalf("completedAt %v", raw["completedAt"])
	}
}

func TestJobFails(t *testing.T) {
	s := start(t, WithWorkflow(NewWorkflow("Boom", []string{"Input"}, []string{"Output"}, func(context.Context, map[string][]Record, map[string]string) (map[string][]Record, map[string]any, error) {
		panic("kaboom")
	})), WithWorkflow(NewWorkflow("Nested", []string{"Input"}, []string{"Output"}, func(context.Context, map[string][]Record, map[string]string) (map[string][]Record, map[string]any, error) {
		return map[string][]Record{"Output": {{"a": map[string]any{"b": 1}}}}, nil, nil
	})))
	tok := fetchToken(t, s)
	c := apiClient(t, s)
	createDataset(t, s, tok, "in", "a")
	wantStatus(t, complete(t, s, tok, "in", 0), 200)
	wantStatus(t, do(t, s, tok, "POST", "/Job", map[string]any{"name": "bad param", "workflowName": "CleanContacts", "inputDatasets": map[string]string{"Input": "in"}, "parameters": map[string]string{"DropDuplicates": "maybe"}}), 200)
	wantStatus(t, do(t, s, tok, "POST", "/Job", map[string]any{"name": "panics", "workflowName": "Boom", "inputDatasets": map[string]string{"Input": "in"}}), 200)
	wantStatus(t, do(t, s, tok, "POST", "/Job", map[string]any{"name": "nested", "workflowName": "Nested", "inputDatasets": map[string]string{"Input": "in"}}), 200)
	for _, name := range []string{"bad param", "panics", "nested"} {
		j := waitJob(t, c, name)
		if j.Status != StatusFailed || j.Statistics["error"] == nil {
			t.Fatalf("%s: %+v", name, j)
		}
	}
}

func TestJobCreateRules(t *testing.T) {
	s := start(t)
	tok := fetchToken(t, s)
	createDataset(t, s, tok, "open", "a")
	createDataset(t, s, tok, "done", "a")
	wantStatus(t, complete(t, s, tok, "done", 0), 200)
	wantStatus(t, do(t, s, tok, "POST", "/Job", map[string]any{"name": "first", "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "done"}}), 200)
	in := func(m map[string]string) map[string]string { return m }
	cases := []struct {
		name string
		body map[string]any
		key  string
	}{
		{"incomplete input", map[string]any{"name": "j1", "workflowName": "Echo", "inputDatasets": in(map[string]string{"Input": "open"})}, "inputDatasets.Input"},
		{"unknown input", map[string]any{"name": "j2", "workflowName": "Echo", "inputDatasets": in(map[string]string{"Input": "nothere"})}, "inputDatasets.Input"},
		{"missing input", map[string]any{"name": "j3", "workflowName": "Echo"}, "inputDatasets.Input"},
		{"unknown slot", map[string]any{"name": "j4", "workflowName": "Echo", "inputDatasets": in(map[string]string{"Input": "done", "Other": "done"})}, "inputDatasets.Other"},
		{"unknown workflow", map[string]any{"name": "j5", "workflowName": "ContactDeceasedCheck", "inputDatasets": in(map[string]string{"Input": "done"})}, "workflowName"},
		{"duplicate name", map[string]any{"name": "first", "workflowName": "Echo", "inputDatasets": in(map[string]string{"Input": "done"})}, "name"},
		{"missing workflow", map[string]any{"name": "j6"}, "workflowName"},
		{"missing name", map[string]any{"workflowName": "Echo"}, "name"},
		{"blank name", map[string]any{"name": " ", "workflowName": "Echo", "inputDatasets": in(map[string]string{"Input": "done"})}, "name"},
	}
	for _, ch := range `/:*?"<>|\` {
		cases = append(cases, struct {
			name string
			body map[string]any
			key  string
		}{"name with " + string(ch), map[string]any{"name": "a" + string(ch) + "b", "workflowName": "Echo", "inputDatasets": in(map[string]string{"Input": "done"})}, "name"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, s, tok, "POST", "/Job", c.body)
			wantStatus(t, r, 400)
			if _, ok := errorKeys(r.problem(t))[c.key]; !ok {
				t.Fatalf("errors %s, want a message for %q", r.body, c.key)
			}
		})
	}
	// Names with spaces and other punctuation are fine.
	wantStatus(t, do(t, s, tok, "POST", "/Job", map[string]any{"name": "Contact Deceased Check 3124 (v2) & more", "workflowName": "Echo", "inputDatasets": in(map[string]string{"Input": "done"})}), 200)
	r := do(t, s, tok, "GET", "/Job/"+url.PathEscape("Contact Deceased Check 3124 (v2) & more"), nil)
	wantStatus(t, r, 200)
	// Only the accepted jobs exist, and their output names are unique and valid.
	lr := do(t, s, tok, "GET", "/Dataset?includeInput=false", nil)
	var outs []gen.DatasetRef
	_ = json.Unmarshal(lr.body, &outs)
	if len(outs) != 2 || outs[0].Name != "contact_deceased_check_3124_v2_more_output" || outs[1].Name != "first_output" {
		t.Fatalf("outputs %s", lr.body)
	}
}

func TestOutputNamesUnique(t *testing.T) {
	s := start(t)
	tok := fetchToken(t, s)
	createDataset(t, s, tok, "in", "a")
	wantStatus(t, complete(t, s, tok, "in", 0), 200)
	createDataset(t, s, tok, "x_output", "a")
	var names []string
	for _, jn := range []string{"x", "X", "x!", "123"} {
		r := do(t, s, tok, "POST", "/Job", map[string]any{"name": jn, "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "in"}})
		wantStatus(t, r, 200)
		var j gen.Job
		_ = json.Unmarshal(r.body, &j)
		names = append(names, j.OutputDatasets["Output"])
	}
	if want := []string{"x_output_2", "x_output_3", "x_output_4", "job_123_output"}; !slices.Equal(names, want) {
		t.Fatalf("output names %v, want %v", names, want)
	}
}

func TestJobListOrderFiltersPaging(t *testing.T) {
	s := start(t, WithWorkflow(NewWorkflow("Other", []string{"Input"}, []string{"Output"}, func(ctx context.Context, in map[string][]Record, _ map[string]string) (map[string][]Record, map[string]any, error) {
		return nil, nil, nil
	})), WithJobDuration(time.Millisecond))
	tok := fetchToken(t, s)
	c := apiClient(t, s)
	createDataset(t, s, tok, "in", "a")
	wantStatus(t, complete(t, s, tok, "in", 0), 200)
	var submitted []time.Time
	for i := range 250 {
		wf := "Echo"
		if i%5 == 0 {
			wf = "Other"
		}
		r := do(t, s, tok, "POST", "/Job", map[string]any{"name": fmt.Sprintf("job %03d", i), "workflowName": wf, "inputDatasets": map[string]string{"Input": "in"}})
		wantStatus(t, r, 200)
		var j gen.Job
		_ = json.Unmarshal(r.body, &j)
		submitted = append(submitted, j.SubmittedAt.Time)
	}
	list := func(p *gen.JobGetListParams) []gen.JobRef {
		resp, err := c.JobGetListWithResponse(context.Background(), p)
		if err != nil || resp.StatusCode() != 200 {
			t.Fatalf("list: %v %s", err, resp.Body)
		}
		return *resp.JSON200
	}
	var got []string
	for page, want := range []int{100, 100, 50, 0} {
		p := int32(page + 1)
		refs := list(&gen.JobGetListParams{Page: &p})
		if len(refs) != want {
			t.Fatalf("page %d: %d jobs, want %d", p, len(refs), want)
		}
		for _, r := range refs {
			got = append(got, r.Name)
		}
	}
	for i, n := range got {
		if want := fmt.Sprintf("job %03d", 249-i); n != want {
			t.Fatalf("position %d: %s, want %s (most recent first)", i, n, want)
		}
	}
	wf := "Other"
	if refs := list(&gen.JobGetListParams{Workflow: &wf}); len(refs) != 50 || refs[0].Name != "job 245" || refs[0].WorkflowName != "Other" {
		t.Fatalf("workflow filter: %d jobs, first %+v", len(refs), refs[0])
	}
	from, to := submitted[100], submitted[109]
	refs := list(&gen.JobGetListParams{StartDate: &from, EndDate: &to})
	for _, r := range refs {
		if r.SubmittedAt.Before(from) || r.SubmittedAt.After(to) {
			t.Fatalf("date filter let through %+v", r)
		}
	}
	if len(refs) < 10 || !slices.ContainsFunc(refs, func(r gen.JobRef) bool { return r.Name == "job 100" }) || !slices.ContainsFunc(refs, func(r gen.JobRef) bool { return r.Name == "job 109" }) {
		t.Fatalf("date filter: %d jobs", len(refs))
	}
	wantStatus(t, do(t, s, tok, "GET", "/Job?startDate=yesterday", nil), 400)
	wantStatus(t, do(t, s, tok, "GET", "/Job?page=0", nil), 400)
}
