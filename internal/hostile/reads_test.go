package hostile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/data8-toolkit/data8/client"
)

// datasetRefs returns n dataset references named after page.
func datasetRefs(page string, n int) []map[string]any {
	refs := make([]map[string]any, n)
	for i := range refs {
		refs[i] = map[string]any{"name": fmt.Sprintf("ds_%s_%03d", page, i), "input": true, "completed": true, "location": "https://x/Dataset/x"}
	}
	return refs
}

// pageRecords returns n records, different on every page.
func pageRecords(page string, n int) []map[string]any {
	recs := make([]map[string]any, n)
	for i := range recs {
		recs[i] = map[string]any{"name": fmt.Sprintf("page %s record %d", page, i)}
	}
	return recs
}

// TestListIgnoringPageEnds: a server that answers every page of GET /Dataset with the same full
// page (it ignores page) gets the list ended at the repeat: the entries are listed once, and the
// client asks for two pages.
func TestListIgnoringPageEnds(t *testing.T) {
	api := New(t, API(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, datasetRefs("same", 100))
	}))
	c := newClient(t, api.URL, api.TokenURL())
	n := 0
	for _, err := range c.ListDatasets(context.Background(), client.ListDatasetsOptions{}) {
		if err != nil {
			t.Fatalf("after %d entries: %v", n, err)
		}
		n++
	}
	if n != 100 {
		t.Errorf("listed %d datasets, want the 100 of the repeated page once", n)
	}
	if got := api.Count(http.MethodGet, "/Dataset"); got != 2 {
		t.Errorf("the server was asked for %d pages, want 2", got)
	}
}

// TestListAlwaysFullIsBounded: a server that answers every page of GET /Dataset with a new full page
// cannot make the list endless: it ends with an error matching client.ErrPaging after the client's
// bound of 10,000 pages.
func TestListAlwaysFullIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 pages")
	}
	// Minimal entries (only a name): the client must still take them for a full page.
	var refs []map[string]string
	for i := range 100 {
		refs = append(refs, map[string]string{"name": fmt.Sprintf("PAGE_%d", i)})
	}
	page, _ := json.Marshal(refs)
	api := New(t, API(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(bytes.ReplaceAll(page, []byte("PAGE"), []byte(r.URL.Query().Get("page"))))
	}))
	c := newClient(t, api.URL, api.TokenURL())
	var n int
	var last error
	for _, err := range c.ListDatasets(context.Background(), client.ListDatasetsOptions{}) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	if !errors.Is(last, client.ErrPaging) {
		t.Fatalf("after %d entries: error %v, want one matching ErrPaging", n, last)
	}
	if got := api.Count(http.MethodGet, "/Dataset"); got != 10_000 {
		t.Errorf("the server was asked for %d pages, want 10,000", got)
	}
}

// recordServer is an API whose dataset "x" states count records and whose pages of records
// are made by page.
func recordServer(t *testing.T, count int, page func(p string) []map[string]any) *Server {
	return New(t, API(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/Dataset/x":
			WriteJSON(w, http.StatusOK, map[string]any{"name": "x", "columns": map[string]int{"name": 0}, "input": false, "recordCount": count, "completed": true})
		case "/Dataset/x/data":
			WriteJSON(w, http.StatusOK, page(r.URL.Query().Get("page")))
		default:
			http.NotFound(w, r)
		}
	}))
}

// TestRecordsAlwaysFullStop: a dataset stating 5 records whose every page is full (the
// "5826000/5 records") is read one page, ends with a *CountMismatchError, and yields no record.
func TestRecordsAlwaysFullStop(t *testing.T) {
	api := recordServer(t, 5, func(p string) []map[string]any { return pageRecords(p, 1000) })
	c := newClient(t, api.URL, api.TokenURL())
	n := 0
	var last error
	for _, err := range c.ReadRecords(context.Background(), "x") {
		if err != nil {
			last = err
			break
		}
		n++
	}
	var cm *client.CountMismatchError
	if !errors.As(last, &cm) || cm.Want != 5 || cm.Got != 1000 {
		t.Fatalf("error %v, want a CountMismatchError of 1000 records for 5", last)
	}
	if n != 0 {
		t.Errorf("%d records yielded from a page past the count", n)
	}
	if got := api.Count(http.MethodGet, "/Dataset/x/data"); got != 1 {
		t.Errorf("the server was asked for %d pages, want 1", got)
	}

	_, err := c.Download(context.Background(), "x", func(*client.Page) error {
		t.Error("Download handed on a page past the count")
		return nil
	}, client.DownloadOptions{})
	if !errors.As(err, &cm) {
		t.Errorf("Download: error %v, want a CountMismatchError", err)
	}
}

// TestRecordsIgnoringPageEnd: a dataset stating 2,500 records whose server answers every page with
// the same 1,000 records ends with an error matching ErrPaging at the repeat, after 1,000 records.
func TestRecordsIgnoringPageEnd(t *testing.T) {
	api := recordServer(t, 2500, func(string) []map[string]any { return pageRecords("same", 1000) })
	c := newClient(t, api.URL, api.TokenURL())
	n := 0
	var last error
	for _, err := range c.ReadRecords(context.Background(), "x") {
		if err != nil {
			last = err
			break
		}
		n++
	}
	if !errors.Is(last, client.ErrPaging) || n != 1000 {
		t.Fatalf("after %d records: error %v, want 1000 records then one matching ErrPaging", n, last)
	}
	if got := api.Count(http.MethodGet, "/Dataset/x/data"); got != 2 {
		t.Errorf("the server was asked for %d pages, want 2", got)
	}
}
