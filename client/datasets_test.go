package client_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/opid"
)

func TestCreateDatasetAfterAmbiguousFailure(t *testing.T) {
	cols := map[string]int{"firstname": 0, "priority": 1}
	cases := []struct {
		name      string
		kind      data8test.FaultKind // the first POST's fault
		wantPosts int
	}{
		{name: "created, then 503", kind: data8test.FaultStored503, wantPosts: 1},
		{name: "created, then 500", kind: data8test.FaultStored500, wantPosts: 1},
		{name: "created, then the connection drops", kind: data8test.FaultStoredDrop, wantPosts: 1},
		{name: "not created, connection dropped", kind: data8test.FaultDrop, wantPosts: 2},
		{name: "not created, 503", kind: data8test.Fault503, wantPosts: 2},
		{name: "not created, 502", kind: data8test.Fault502, wantPosts: 2},
		{name: "not created, 504", kind: data8test.Fault504, wantPosts: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, data8test.WithFaultScript(data8test.Fault{Op: opid.DatasetCreate, Call: 1, Kind: tc.kind}))
			c := newClient(srv)
			d, err := c.CreateDataset(testContext(t), "contacts", cols)
			if err != nil {
				t.Fatal(err)
			}
			want := &client.Dataset{Name: "contacts", Columns: cols, Input: true}
			if !reflect.DeepEqual(d, want) {
				t.Errorf("dataset = %+v, want %+v", d, want)
			}
			if n := srv.RequestCounts()[opid.DatasetCreate]; n != tc.wantPosts {
				t.Errorf("%d POSTs, want %d", n, tc.wantPosts)
			}
			if n := srv.FaultCounts()[tc.kind]; n != 1 {
				t.Errorf("%d %v faults injected, want 1", n, tc.kind)
			}
			if info, ok := srv.DatasetInfo("contacts"); !ok || len(info.Columns) != 2 || info.Completed || !info.Input {
				t.Errorf("server holds %+v (%v)", info, ok)
			}
		})
	}

	t.Run("a different dataset of that name exists", func(t *testing.T) {
		srv := newServer(t, data8test.WithFaultScript(data8test.Fault{Op: opid.DatasetCreate, Call: 2, Kind: data8test.Fault503}))
		c := newClient(srv)
		createDataset(t, c, "contacts", "other")
		_, err := c.CreateDataset(testContext(t), "contacts", cols)
		if err == nil || !errors.Is(err, client.ErrValidation) {
			t.Fatalf("error %v, want a validation error about the existing dataset", err)
		}
	})

	t.Run("500 without a dataset is not retried", func(t *testing.T) {
		srv := newServer(t, data8test.WithFaultScript(data8test.Fault{Op: opid.DatasetCreate, Call: 1, Kind: data8test.Fault500}))
		c := newClient(srv)
		_, err := c.CreateDataset(testContext(t), "contacts", cols)
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 500 {
			t.Fatalf("error %v, want the 500", err)
		}
		if n := srv.RequestCounts()[opid.DatasetCreate]; n != 1 {
			t.Errorf("%d POSTs, want 1", n)
		}
		if _, ok := srv.DatasetInfo("contacts"); ok {
			t.Error("the dataset exists")
		}
	})
}

func TestCreateDatasetChecksNamesLocally(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	cases := []struct {
		name string
		cols map[string]int
	}{
		{"Contacts", map[string]int{"a": 0}},
		{"1abc", map[string]int{"a": 0}},
		{"a-b", map[string]int{"a": 0}},
		{"", map[string]int{"a": 0}},
		{"ok", map[string]int{"First Name": 0}},
		{"ok", map[string]int{}},
	}
	for _, tc := range cases {
		if _, err := c.CreateDataset(testContext(t), tc.name, tc.cols); !errors.Is(err, client.ErrValidation) {
			t.Errorf("CreateDataset(%q, %v): %v, want ErrValidation", tc.name, tc.cols, err)
		}
	}
	if n := srv.RequestCounts(); len(n) != 0 {
		t.Errorf("something was sent: %v", n)
	}
}

func TestCompleteDatasetAfterLostAnswer(t *testing.T) {
	// The first PUT completes the dataset but its answer is a 503; the retry is refused (already
	// complete), and the client finds the dataset complete with the right count.
	srv := newServer(t, data8test.WithFaultScript(data8test.Fault{Op: opid.DatasetUpdateByName, Call: 1, Kind: data8test.FaultStored503}))
	c := newClient(srv)
	createDataset(t, c, "ds", testColumns...)
	if _, err := c.Upload(testContext(t), "ds", client.Records(testRecords(10)), client.UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	d, err := c.CompleteDataset(testContext(t), "ds", 10)
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.RequestCounts()[opid.DatasetUpdateByName]; !d.Completed || d.RecordCount != 10 || n != 2 {
		t.Errorf("dataset %+v after %d PUTs", d, n)
	}
	// A wrong count is refused, and not taken for success.
	createDataset(t, c, "ds2", testColumns...)
	if _, err := c.CompleteDataset(testContext(t), "ds2", 5); !errors.Is(err, client.ErrValidation) {
		t.Errorf("wrong count: %v, want ErrValidation", err)
	}
	if info, _ := srv.DatasetInfo("ds2"); info.Completed {
		t.Error("ds2 was completed")
	}
}

func TestUploadDatasetAndResume(t *testing.T) {
	srv := newServer(t)
	cols := map[string]int{"id": 0, "name": 0, "n": 1}
	// The first upload of block 5 gains a column on the way (the client checks its records against
	// the columns, so only the wire can make one the server refuses); the server answers 400, which
	// stops the first run.
	sp := newSpy(t)
	sp.before = func(r *http.Request, up *upload) error {
		if up == nil || up.block != 5 || up.attempt != 1 {
			return nil
		}
		var body struct {
			BlockNumber int              `json:"blockNumber"`
			Records     []map[string]any `json:"records"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return err
		}
		body.Records[0]["foo"] = "x"
		setBody(r, body)
		return nil
	}
	c := newClient(srv, client.WithHTTPClient(sp.httpClient()))
	var checkpoint int
	_, res, err := c.UploadDataset(testContext(t), "people", cols, client.Records(testRecords(2000)), client.UploadOptions{
		BlockSize: 100, Concurrency: 1,
		Progress: func(p client.UploadProgress) { checkpoint = p.Checkpoint },
	})
	var be *client.BlockError
	if !errors.As(err, &be) || be.Block != 5 || be.FirstRecord != 500 || be.LastRecord != 599 || !errors.Is(err, client.ErrValidation) {
		t.Fatalf("error %v, want a 400 for block 5", err)
	}
	if checkpoint != 5 || res.Checkpoint != 5 {
		t.Fatalf("checkpoint %d, result %+v; want 5", checkpoint, res)
	}

	d, res, err := c.UploadDataset(testContext(t), "people", cols, client.Records(testRecords(2000)), client.UploadOptions{
		BlockSize: 100, Concurrency: 4, Resume: checkpoint,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.SkippedRecords != 500 || res.Records != 1500 || res.FirstBlock != 5 || res.LastBlock != 19 || res.Checkpoint != 20 {
		t.Errorf("result = %+v", *res)
	}
	if !d.Completed || d.RecordCount != 2000 {
		t.Errorf("dataset = %+v", d)
	}
	wantRecords(t, srv, "people", 2000)
	attempts := sp.blockAttempts()
	for b := range 20 {
		want := 1
		if b == 5 {
			want = 2
		}
		if n := attempts[b]; n != want {
			t.Errorf("block %d sent %d times, want %d", b, n, want)
		}
	}
	if n := srv.RequestCounts()[opid.DatasetCreate]; n != 1 {
		t.Errorf("dataset created %d times", n)
	}
}

func TestListDatasetsPages(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	for i := range 250 {
		createDataset(t, c, fmt.Sprintf("ds_%03d", i), "a")
	}
	var names []string
	for ref, err := range c.ListDatasets(testContext(t), client.ListDatasetsOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, ref.Name)
		if !ref.Input || ref.Completed || ref.Location != srv.URL+"/Dataset/"+ref.Name {
			t.Errorf("ref = %+v", ref)
		}
	}
	if len(names) != 250 || !slices.IsSorted(names) || names[0] != "ds_000" || names[249] != "ds_249" {
		t.Errorf("%d names: %v ... ", len(names), names[:3])
	}
	if got := srv.RequestCounts()[opid.DatasetGetList]; got != 3 {
		t.Errorf("%d pages fetched, want 3", got)
	}

	// Breaking out of the loop stops the paging.
	seen := 0
	for _, err := range c.ListDatasets(testContext(t), client.ListDatasetsOptions{ExcludeOutput: true}) {
		if err != nil {
			t.Fatal(err)
		}
		seen++
		if seen == 150 {
			break
		}
	}
	if got := srv.RequestCounts()[opid.DatasetGetList]; got != 5 {
		t.Errorf("%d pages fetched after breaking at 150, want 2 more", got-3)
	}
}

func TestListDatasetsSendsFlags(t *testing.T) {
	srv := newServer(t)
	sp := newSpy(t)
	var mu sync.Mutex
	var got []string
	sp.before = func(r *http.Request, _ *upload) error {
		if r.URL.Path == "/Dataset" {
			mu.Lock()
			got = append(got, r.URL.RawQuery)
			mu.Unlock()
		}
		return nil
	}
	c := newClient(srv, client.WithHTTPClient(sp.httpClient()))
	for _, opts := range []client.ListDatasetsOptions{{}, {ExcludeInput: true}, {ExcludeOutput: true}} {
		for _, err := range c.ListDatasets(testContext(t), opts) {
			t.Fatal(err)
		}
	}
	want := []string{"page=1", "page=1&includeInput=false", "page=1&includeOutput=false"}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("queries %q, want %q", got, want)
	}
}

func TestReadRecordsPages(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	createDataset(t, c, "ds", testColumns...)
	if _, err := c.Upload(testContext(t), "ds", client.Records(testRecords(2500)), client.UploadOptions{BlockSize: 700}); err != nil {
		t.Fatal(err)
	}
	i := 0
	for rec, err := range c.ReadRecords(testContext(t), "ds") {
		if err != nil {
			t.Fatal(err)
		}
		want := client.Record{"id": strconv.Itoa(i), "name": fmt.Sprintf("name %d", i), "n": json.Number(strconv.Itoa(i))}
		if !reflect.DeepEqual(rec, want) {
			t.Fatalf("record %d = %v, want %v", i, rec, want)
		}
		i++
	}
	if i != 2500 {
		t.Errorf("read %d records, want 2500", i)
	}
	if n := srv.RequestCounts()[opid.DatasetGetData]; n != 3 {
		t.Errorf("%d pages read, want 3", n)
	}
	n := 0
	for _, err := range c.ReadRecords(testContext(t), "missing") {
		n++
		if !errors.Is(err, client.ErrNotFound) {
			t.Errorf("error %v, want ErrNotFound", err)
		}
	}
	if n != 1 {
		t.Errorf("%d results for a missing dataset, want one error", n)
	}
}
