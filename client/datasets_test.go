package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"testing"

	"github.com/data8-toolkit/data8/client"
)

// failOnce answers the first request matching method and path with the given fault, after letting
// the fake apply it when apply is true. It returns a pointer to the number of matching requests.
func failOnce(f *fakeAPI, method, path string, apply bool, status int) *int {
	var mu sync.Mutex
	n := 0
	f.apiHook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != method || r.URL.Path != path {
			return false
		}
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if !first {
			return false
		}
		if apply {
			// Let the fake act on the request, but throw its answer away.
			f.route(discard{}, r)
		}
		if status == 0 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		} else {
			problem(w, status, http.StatusText(status), nil)
		}
		return true
	}
	return &n
}

// discard is a ResponseWriter that throws the answer away.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

func TestCreateDatasetAfterAmbiguousFailure(t *testing.T) {
	cols := map[string]int{"firstname": 0, "priority": 1}
	cases := []struct {
		name      string
		apply     bool // the server created the dataset before failing
		status    int  // 0: the connection drops
		wantPosts int
	}{
		{"created, then 503", true, 503, 1},
		{"created, then 500", true, 500, 1},
		{"created, then the connection drops", true, 0, 1},
		{"not created, connection dropped", false, 0, 2},
		{"not created, 502", false, 502, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			n := failOnce(f, "POST", "/Dataset", tc.apply, tc.status)
			c := f.client(t)
			d, err := c.CreateDataset(context.Background(), "contacts", cols)
			if err != nil {
				t.Fatal(err)
			}
			want := &client.Dataset{Name: "contacts", Columns: cols, Input: true}
			if !reflect.DeepEqual(d, want) {
				t.Errorf("dataset = %+v, want %+v", d, want)
			}
			if *n != tc.wantPosts {
				t.Errorf("%d POSTs, want %d", *n, tc.wantPosts)
			}
		})
	}

	t.Run("a different dataset of that name exists", func(t *testing.T) {
		f := newFakeAPI(t)
		f.addDataset("contacts", "other")
		failOnce(f, "POST", "/Dataset", false, 503)
		c := f.client(t)
		_, err := c.CreateDataset(context.Background(), "contacts", cols)
		if err == nil || !errors.Is(err, client.ErrValidation) {
			t.Fatalf("error %v, want a validation error about the existing dataset", err)
		}
	})

	t.Run("500 without a dataset is not retried", func(t *testing.T) {
		f := newFakeAPI(t)
		n := failOnce(f, "POST", "/Dataset", false, 500)
		c := f.client(t)
		_, err := c.CreateDataset(context.Background(), "contacts", cols)
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 500 {
			t.Fatalf("error %v, want the 500", err)
		}
		if *n != 1 {
			t.Errorf("%d POSTs, want 1", *n)
		}
	})
}

func TestCreateDatasetChecksNamesLocally(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t)
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
		if _, err := c.CreateDataset(context.Background(), tc.name, tc.cols); !errors.Is(err, client.ErrValidation) {
			t.Errorf("CreateDataset(%q, %v): %v, want ErrValidation", tc.name, tc.cols, err)
		}
	}
	if f.postCount("Dataset") != 0 || f.tokenFetches() != 0 {
		t.Error("something was sent")
	}
}

func TestCompleteDatasetAfterLostAnswer(t *testing.T) {
	f := newFakeAPI(t)
	f.addDataset("ds", testColumns...)
	c := f.client(t)
	if _, err := c.Upload(context.Background(), "ds", client.Records(testRecords(10)), client.UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	// The first PUT completes the dataset but its answer is a 503; the retry is refused (already
	// complete), and the client finds the dataset complete with the right count.
	n := failOnce(f, "PUT", "/Dataset/ds", true, 503)
	d, err := c.CompleteDataset(context.Background(), "ds", 10)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Completed || d.RecordCount != 10 || *n != 2 {
		t.Errorf("dataset %+v after %d PUTs", d, *n)
	}
	// A wrong count is refused, and not taken for success.
	f.addDataset("ds2", testColumns...)
	if _, err := c.CompleteDataset(context.Background(), "ds2", 5); !errors.Is(err, client.ErrValidation) {
		t.Errorf("wrong count: %v, want ErrValidation", err)
	}
}

func TestUploadDatasetAndResume(t *testing.T) {
	f := newFakeAPI(t)
	cols := map[string]int{"id": 0, "name": 0, "n": 1}
	// Block 5 is refused once, which stops the first run.
	f.blockHook = func(block, attempt int) fault {
		if block == 5 && attempt == 1 {
			return fault{status: 400}
		}
		return fault{}
	}
	c := f.client(t)
	var checkpoint int
	_, res, err := c.UploadDataset(context.Background(), "people", cols, client.Records(testRecords(2000)), client.UploadOptions{
		BlockSize: 100, Concurrency: 1,
		Progress: func(p client.UploadProgress) { checkpoint = p.Checkpoint },
	})
	var be *client.BlockError
	if !errors.As(err, &be) || be.Block != 5 || be.FirstRecord != 500 || be.LastRecord != 599 {
		t.Fatalf("error %v, want block 5", err)
	}
	if checkpoint != 5 || res.Checkpoint != 5 {
		t.Fatalf("checkpoint %d, result %+v; want 5", checkpoint, res)
	}

	d, res, err := c.UploadDataset(context.Background(), "people", cols, client.Records(testRecords(2000)), client.UploadOptions{
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
	wantRecords(t, f, "people", 2000)
	f.mu.Lock()
	for b := range 5 {
		if f.attempts[b] != 1 {
			t.Errorf("block %d sent %d times, want once", b, f.attempts[b])
		}
	}
	f.mu.Unlock()
	if f.postCount("Dataset") != 1 {
		t.Errorf("dataset created %d times", f.postCount("Dataset"))
	}
}

func TestListDatasetsPages(t *testing.T) {
	f := newFakeAPI(t)
	for i := range 250 {
		f.addDataset(fmt.Sprintf("ds_%03d", i), "a")
	}
	c := f.client(t)
	var names []string
	for ref, err := range c.ListDatasets(context.Background(), client.ListDatasetsOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, ref.Name)
		if !ref.Input || ref.Location != f.srv.URL+"/Dataset/"+ref.Name {
			t.Errorf("ref = %+v", ref)
		}
	}
	if len(names) != 250 || names[0] != "ds_000" || names[249] != "ds_249" {
		t.Errorf("%d names: %v ... ", len(names), names[:3])
	}
	if got := f.postCount("GET Dataset"); got != 3 {
		t.Errorf("%d pages fetched, want 3", got)
	}

	// Breaking out of the loop stops the paging.
	seen := 0
	for _, err := range c.ListDatasets(context.Background(), client.ListDatasetsOptions{ExcludeOutput: true}) {
		if err != nil {
			t.Fatal(err)
		}
		seen++
		if seen == 150 {
			break
		}
	}
	if got := f.postCount("GET Dataset"); got != 5 {
		t.Errorf("%d pages fetched after breaking at 150, want 2 more", got-3)
	}
}

func TestListDatasetsSendsFlags(t *testing.T) {
	f := newFakeAPI(t)
	var got []string
	f.apiHook = func(w http.ResponseWriter, r *http.Request) bool {
		got = append(got, r.URL.RawQuery)
		writeJSON(w, []any{})
		return true
	}
	c := f.client(t)
	for _, opts := range []client.ListDatasetsOptions{{}, {ExcludeInput: true}, {ExcludeOutput: true}} {
		for _, err := range c.ListDatasets(context.Background(), opts) {
			t.Fatal(err)
		}
	}
	want := []string{"page=1", "page=1&includeInput=false", "page=1&includeOutput=false"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("queries %q, want %q", got, want)
	}
}

func TestReadRecordsPages(t *testing.T) {
	f := newFakeAPI(t)
	f.addDataset("ds", testColumns...)
	c := f.client(t)
	if _, err := c.Upload(context.Background(), "ds", client.Records(testRecords(2500)), client.UploadOptions{BlockSize: 700}); err != nil {
		t.Fatal(err)
	}
	i := 0
	for rec, err := range c.ReadRecords(context.Background(), "ds") {
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
	for _, err := range c.ReadRecords(context.Background(), "missing") {
		if !errors.Is(err, client.ErrNotFound) {
			t.Errorf("error %v, want ErrNotFound", err)
		}
	}
}
