package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// fakeAPI is a small httptest server speaking the contract for the operations the uploader and
// the lifecycle helpers use, with hooks for the faults a test wants to inject exactly. (The shared
// test server, data8test, covers the contract as a whole; these tests need to script single
// answers and count single requests.)
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	clientID, secret string

	mu       sync.Mutex
	fetches  int             // token fetches that succeeded
	valid    map[string]bool // tokens the API accepts
	datasets map[string]*fakeDataset
	jobs     map[string]*fakeJob
	posts    map[string]int // POST count by path
	attempts map[int]int    // PATCH attempts by block number
	order    []int          // block numbers in arrival order

	// blockHook, when set, runs before a block is stored. It returns how to answer:
	// faultNone stores and answers 200; any other value is handled as described on faultKind.
	blockHook func(block, attempt int) fault
	// apiHook, when set, may answer any API request itself (returning true).
	apiHook func(w http.ResponseWriter, r *http.Request) bool
	// tokenHook, when set, may answer a token request itself (returning true).
	tokenHook func(w http.ResponseWriter, r *http.Request) bool

	// refused counts requests refused with 401. When holdRefusals is above 0, the first
	// holdRefusals refusals are held until that many have arrived, then answered together.
	held, released atomic.Int32 // requests held by fault.hold, and those the client then abandoned

	refused      atomic.Int32
	holdRefusals int32
	refusalGate  chan struct{}
}

type fakeDataset struct {
	columns   map[string]int
	input     bool
	completed bool
	count     int64
	blocks    map[int][]json.RawMessage
}

type fakeJob struct {
	name, workflow string
	submitted      time.Time
	polls          int
	finishAfter    int // polls before it finishes
	status         int
}

// fault is what a blockHook asks the fake to do with one block request.
type fault struct {
	status     int // answer with this status and a problem body (0: none)
	retryAfter string
	store      bool // store the block before answering
	drop       bool // close the connection without an answer
	hold       bool // keep the request open until the client gives up on it
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{
		t: t, clientID: "test-client", secret: "s3cr3t-Value-!@#",
		valid: map[string]bool{}, datasets: map[string]*fakeDataset{}, jobs: map[string]*fakeJob{},
		posts: map[string]int{}, attempts: map[int]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /connect/token", f.token)
	mux.HandleFunc("/", f.api)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a client of the fake with a retry policy that never sleeps.
func (f *fakeAPI) client(t *testing.T, opts ...client.Option) *client.Client {
	t.Helper()
	all := append([]client.Option{
		client.WithBaseURL(f.srv.URL),
		client.WithTokenURL(f.srv.URL + "/connect/token"),
		client.WithCredentials(f.clientID, f.secret),
		client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep}),
	}, opts...)
	c, err := client.New(all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func noSleep(ctx context.Context, _ time.Duration) error { return context.Cause(ctx) }

func (f *fakeAPI) token(w http.ResponseWriter, r *http.Request) {
	if f.tokenHook != nil && f.tokenHook(w, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", 400)
		return
	}
	if r.PostForm.Get("client_id") != f.clientID || r.PostForm.Get("client_secret") != f.secret ||
		r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != "BatchApi" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":"invalid_client"}`)
		return
	}
	f.mu.Lock()
	f.fetches++
	tok := fmt.Sprintf("tok-%d-%s", f.fetches, strings.Repeat("x", 20))
	f.valid[tok] = true
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600,"scope":"BatchApi"}`, tok)
}

// revokeAll makes every token issued so far invalid.
func (f *fakeAPI) revokeAll() {
	f.mu.Lock()
	clear(f.valid)
	f.mu.Unlock()
}

func (f *fakeAPI) tokenFetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches
}

func problem(w http.ResponseWriter, status int, title string, errs map[string][]string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	p := map[string]any{"type": "about:blank", "title": title, "status": status}
	if errs != nil {
		p["errors"] = errs
	}
	json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (f *fakeAPI) api(w http.ResponseWriter, r *http.Request) {
	auth := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	ok := f.valid[auth]
	f.mu.Unlock()
	if !ok {
		if n := f.refused.Add(1); f.holdRefusals > 0 && n <= f.holdRefusals {
			if n == f.holdRefusals {
				close(f.refusalGate)
			}
			select {
			case <-f.refusalGate:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		problem(w, 401, "Unauthorized", nil)
		return
	}
	if f.apiHook != nil && f.apiHook(w, r) {
		return
	}
	f.route(w, r)
}

// route serves an authenticated API request.
func (f *fakeAPI) route(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(r.URL.Path, "/")
	parts := strings.Split(path, "/")
	switch {
	case r.Method == "POST" && path == "Dataset":
		f.createDataset(w, r)
	case r.Method == "GET" && path == "Dataset":
		f.listDatasets(w, r)
	case r.Method == "GET" && len(parts) == 2 && parts[0] == "Dataset":
		f.getDataset(w, parts[1])
	case r.Method == "PUT" && len(parts) == 2 && parts[0] == "Dataset":
		f.completeDataset(w, r, parts[1])
	case r.Method == "PATCH" && len(parts) == 3 && parts[0] == "Dataset" && parts[2] == "data":
		f.uploadBlock(w, r, parts[1])
	case r.Method == "GET" && len(parts) == 3 && parts[0] == "Dataset" && parts[2] == "data":
		f.getData(w, r, parts[1])
	case r.Method == "POST" && path == "Job":
		f.createJob(w, r)
	case r.Method == "GET" && len(parts) == 2 && parts[0] == "Job":
		f.getJob(w, parts[1])
	default:
		problem(w, 404, "Not Found", nil)
	}
}

func (f *fakeAPI) createDataset(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name    string         `json:"name"`
		Columns map[string]int `json:"columns"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		problem(w, 400, "bad body", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts["Dataset"]++
	if _, dup := f.datasets[body.Name]; dup {
		problem(w, 400, "One or more validation errors occurred.", map[string][]string{"name": {"The name is taken."}})
		return
	}
	f.datasets[body.Name] = &fakeDataset{columns: body.Columns, input: true, blocks: map[int][]json.RawMessage{}}
	writeJSON(w, f.datasetJSON(body.Name))
}

func (f *fakeAPI) datasetJSON(name string) map[string]any {
	d := f.datasets[name]
	return map[string]any{"name": name, "columns": d.columns, "input": d.input, "completed": d.completed, "recordCount": d.recordCount()}
}

func (d *fakeDataset) recordCount() int64 {
	if d.completed {
		return d.count
	}
	var n int64
	for _, b := range d.blocks {
		n += int64(len(b))
	}
	return n
}

func (f *fakeAPI) getDataset(w http.ResponseWriter, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.datasets[name] == nil {
		problem(w, 404, "Not Found", nil)
		return
	}
	writeJSON(w, f.datasetJSON(name))
}

func (f *fakeAPI) listDatasets(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(cmpOr(r.URL.Query().Get("page"), "1"))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts["GET Dataset"]++
	names := make([]string, 0, len(f.datasets))
	for n := range f.datasets {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []map[string]any{}
	for i := (page - 1) * 100; i < min(page*100, len(names)); i++ {
		out = append(out, map[string]any{"name": names[i], "input": true, "completed": false, "location": f.srv.URL + "/Dataset/" + names[i]})
	}
	writeJSON(w, out)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (f *fakeAPI) completeDataset(w http.ResponseWriter, r *http.Request, name string) {
	var body struct {
		RecordCount int64 `json:"recordCount"`
		Completed   bool  `json:"completed"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		problem(w, 400, "bad body", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.datasets[name]
	switch {
	case d == nil:
		problem(w, 404, "Not Found", nil)
	case d.completed:
		problem(w, 400, "The dataset is already complete.", nil)
	case body.RecordCount != d.recordCount():
		problem(w, 400, "Record count mismatch.", map[string][]string{"recordCount": {"does not match"}})
	default:
		d.completed, d.count = true, body.RecordCount
		writeJSON(w, f.datasetJSON(name))
	}
}

func (f *fakeAPI) uploadBlock(w http.ResponseWriter, r *http.Request, name string) {
	var body struct {
		BlockNumber int               `json:"blockNumber"`
		Records     []json.RawMessage `json:"records"`
	}
	raw := new(bytes.Buffer)
	if _, err := raw.ReadFrom(r.Body); err != nil {
		return
	}
	if err := json.Unmarshal(raw.Bytes(), &body); err != nil {
		problem(w, 400, "bad body: "+err.Error(), nil)
		return
	}
	f.mu.Lock()
	f.attempts[body.BlockNumber]++
	attempt := f.attempts[body.BlockNumber]
	f.order = append(f.order, body.BlockNumber)
	f.mu.Unlock()
	var ft fault
	if f.blockHook != nil {
		ft = f.blockHook(body.BlockNumber, attempt)
	}
	if ft.hold {
		f.held.Add(1)
		<-r.Context().Done()
		f.released.Add(1)
		return
	}
	f.mu.Lock()
	d := f.datasets[name]
	if d == nil {
		f.mu.Unlock()
		problem(w, 404, "Not Found", nil)
		return
	}
	if ft.status == 0 || ft.store {
		d.blocks[body.BlockNumber] = body.Records
	}
	f.mu.Unlock()
	switch {
	case ft.drop:
		hj, ok := w.(http.Hijacker)
		if !ok {
			f.t.Error("cannot hijack")
			return
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
	case ft.status != 0:
		if ft.retryAfter != "" {
			w.Header().Set("Retry-After", ft.retryAfter)
		}
		var errs map[string][]string
		if ft.status == 400 {
			errs = map[string][]string{"records[3].foo": {"The dataset has no column foo."}}
		}
		problem(w, ft.status, http.StatusText(ft.status), errs)
	default:
		w.WriteHeader(200)
	}
}

func (f *fakeAPI) getData(w http.ResponseWriter, r *http.Request, name string) {
	page, _ := strconv.Atoi(cmpOr(r.URL.Query().Get("page"), "1"))
	all, ok := f.records(name)
	if !ok {
		problem(w, 404, "Not Found", nil)
		return
	}
	out := []json.RawMessage{}
	for i := (page - 1) * 1000; i < min(page*1000, len(all)); i++ {
		out = append(out, all[i])
	}
	writeJSON(w, out)
}

// records returns the dataset's records in processing order: ascending block, then block order.
func (f *fakeAPI) records(name string) ([]json.RawMessage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.datasets[name]
	if d == nil {
		return nil, false
	}
	nums := make([]int, 0, len(d.blocks))
	for n := range d.blocks {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	var out []json.RawMessage
	for _, n := range nums {
		out = append(out, d.blocks[n]...)
	}
	return out, true
}

// blockSizes returns the number of records of each stored block, by block number.
func (f *fakeAPI) blockSizes(name string) map[int]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int]int{}
	for n, b := range f.datasets[name].blocks {
		out[n] = len(b)
	}
	return out
}

func (f *fakeAPI) createJob(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name          string            `json:"name"`
		WorkflowName  string            `json:"workflowName"`
		InputDatasets map[string]string `json:"inputDatasets"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		problem(w, 400, "bad body", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts["Job"]++
	if _, dup := f.jobs[body.Name]; dup {
		problem(w, 400, "One or more validation errors occurred.", map[string][]string{"name": {"The name is taken."}})
		return
	}
	f.jobs[body.Name] = &fakeJob{name: body.Name, workflow: body.WorkflowName, submitted: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), finishAfter: 3}
	writeJSON(w, f.jobJSON(f.jobs[body.Name]))
}

func (f *fakeAPI) jobJSON(j *fakeJob) map[string]any {
	m := map[string]any{
		"name": j.name, "workflowName": j.workflow, "status": j.status,
		"submittedAt":     j.submitted.Format("2006-01-02T15:04:05.0000000Z"),
		"completedAt":     "0001-01-01T00:00:00", // .NET's unset DateTime, without a zone
		"percentComplete": 100 * min(j.polls, j.finishAfter) / j.finishAfter,
		"outputDatasets":  map[string]string{"Output": "out_" + strings.ToLower(strings.ReplaceAll(j.name, " ", "_"))},
		"unknownMember":   []int{1, 2},
	}
	if j.polls >= j.finishAfter {
		m["completedAt"] = j.submitted.Add(time.Minute).Format(time.RFC3339Nano)
	}
	return m
}

func (f *fakeAPI) getJob(w http.ResponseWriter, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.jobs[name]
	if j == nil {
		problem(w, 404, "Not Found", nil)
		return
	}
	j.polls++
	writeJSON(w, f.jobJSON(j))
}

func (f *fakeAPI) postCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.posts[path]
}

func (f *fakeAPI) blockOrder() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.order)
}

// addDataset creates an incomplete input dataset directly.
func (f *fakeAPI) addDataset(name string, columns ...string) {
	cols := map[string]int{}
	for _, c := range columns {
		cols[c] = 0
	}
	f.mu.Lock()
	f.datasets[name] = &fakeDataset{columns: cols, input: true, blocks: map[int][]json.RawMessage{}}
	f.mu.Unlock()
}
