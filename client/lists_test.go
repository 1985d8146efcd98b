package client_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/data8-toolkit/data8/client"
)

// listServer answers GET /Dataset and GET /Job with full pages of 100 entries: the same page
// whatever page is asked for (ignorePage), or new entries on every page for ever.
type listServer struct {
	ignorePage bool
	requests   atomic.Int32
}

func (ls *listServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ls.requests.Add(1)
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if ls.ignorePage {
		page = 1
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range 100 {
		if i > 0 {
			b.WriteByte(',')
		}
		n := (page-1)*100 + i
		if r.URL.Path == "/Job" {
			fmt.Fprintf(&b, `{"name":"job %d","workflowName":"W","submittedAt":"2024-01-02T03:04:05Z","status":2,"location":"x"}`, n)
		} else {
			fmt.Fprintf(&b, `{"name":"ds_%d","input":true,"completed":true,"location":"x"}`, n)
		}
	}
	b.WriteByte(']')
	w.Header().Set("Content-Type", "application/json")
	w.Write(b.Bytes())
}

func (ls *listServer) client(t *testing.T) *client.Client {
	t.Helper()
	hs := httptest.NewServer(ls)
	t.Cleanup(hs.Close)
	c, err := client.New(client.WithBaseURL(hs.URL), client.WithBearerToken("test-token-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestListsEndWhenThePageIsIgnored(t *testing.T) {
	ls := &listServer{ignorePage: true}
	c := ls.client(t)
	names := map[string]bool{}
	for ref, err := range c.ListDatasets(testContext(t), client.ListDatasetsOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if names[ref.Name] {
			t.Fatalf("%s listed twice", ref.Name)
		}
		names[ref.Name] = true
	}
	n := 0
	for ref, err := range c.ListJobs(testContext(t), client.ListJobsOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if ref.Name != fmt.Sprintf("job %d", n) {
			t.Fatalf("job %d is %q", n, ref.Name)
		}
		n++
	}
	if len(names) != 100 || n != 100 {
		t.Errorf("%d datasets, %d jobs listed; want the page's 100 once", len(names), n)
	}
	// Page 1, then page 2 repeating it, for each list.
	if got := ls.requests.Load(); got != 4 {
		t.Errorf("%d requests, want 4", got)
	}
}
