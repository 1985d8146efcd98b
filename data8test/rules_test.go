package data8test_test

// The documented rules the stand-in enforces, each checked through real HTTP with the generated
// client, and without WithValidation: a server that checks requests against the spec refuses some
// of them before the handlers run, and a user's data8test server does not validate unless asked, so
// the handlers must enforce every rule themselves.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/gen"
)

// ruleServer is a stand-in and a generated client holding one of its access tokens.
type ruleServer struct {
	t   *testing.T
	srv *data8test.Server
	api *gen.Client
	tok string
}

func newRuleServer(t *testing.T, opts ...data8test.Option) *ruleServer {
	t.Helper()
	srv := data8test.NewServer(opts...)
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	resp, err := hc.PostForm(srv.TokenURL, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {srv.ClientID}, "client_secret": {srv.ClientSecret}, "scope": {"BatchApi"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d, %v", resp.StatusCode, err)
	}
	api, err := gen.NewClient(srv.URL, gen.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	return &ruleServer{t: t, srv: srv, api: api, tok: tok.AccessToken}
}

// auth adds the server's token to a request.
func (s *ruleServer) auth(_ context.Context, r *http.Request) error {
	r.Header.Set("Authorization", "Bearer "+s.tok)
	return nil
}

// answer is a response read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (s *ruleServer) read(resp *http.Response, err error) answer {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// jsonBody is v as a JSON request body; a string is sent as it is.
func jsonBody(v any) io.Reader {
	if s, ok := v.(string); ok {
		return strings.NewReader(s)
	}
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

const ct = "application/json"

func (s *ruleServer) create(name string, columns any) answer {
	s.t.Helper()
	return s.read(s.api.DatasetCreateWithBody(context.Background(), ct, jsonBody(map[string]any{"name": name, "columns": columns}), s.auth))
}

func (s *ruleServer) upload(name string, block int, records ...map[string]any) answer {
	s.t.Helper()
	if records == nil {
		records = []map[string]any{}
	}
	return s.read(s.api.DatasetUploadBlockWithBody(context.Background(), name, ct, jsonBody(map[string]any{"blockNumber": block, "records": records}), s.auth))
}

func (s *ruleServer) complete(name string, count int64) answer {
	s.t.Helper()
	return s.read(s.api.DatasetUpdateByNameWithBody(context.Background(), name, ct, jsonBody(gen.DatasetUpdate{RecordCount: count, Completed: true}), s.auth))
}

func (s *ruleServer) startJob(job map[string]any) answer {
	s.t.Helper()
	return s.read(s.api.JobCreateJobWithBody(context.Background(), ct, jsonBody(job), s.auth))
}

// must fails the test unless a has status want.
func (s *ruleServer) must(what string, a answer, want int) answer {
	s.t.Helper()
	if a.status != want {
		s.t.Fatalf("%s: %d %s, want %d", what, a.status, a.body, want)
	}
	return a
}

// records reads page of a dataset's records.
func (s *ruleServer) records(name string, page int) []map[string]any {
	s.t.Helper()
	p := gen.Page(page)
	a := s.must(fmt.Sprintf("GET /Dataset/%s/data?page=%d", name, page), s.read(s.api.DatasetGetData(context.Background(), name, &gen.DatasetGetDataParams{Page: &p}, s.auth)), 200)
	var out []map[string]any
	if err := json.Unmarshal(a.body, &out); err != nil {
		s.t.Fatal(err)
	}
	return out
}

// recs makes n records {"v": "<prefix><i>"}.
func recs(prefix string, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"v": prefix + strconv.Itoa(i)}
	}
	return out
}

// inputDataset creates a complete input dataset with one column v and one record.
func (s *ruleServer) inputDataset(name string) {
	s.t.Helper()
	s.must("create "+name, s.create(name, map[string]int{"v": 0}), 200)
	s.must("upload "+name, s.upload(name, 0, recs("x", 1)...), 200)
	s.must("complete "+name, s.complete(name, 1), 200)
}

// errorMembers returns the members a validation problem names.
func errorMembers(t *testing.T, a answer) []string {
	t.Helper()
	var p struct {
		Errors map[string][]string `json:"errors"`
	}
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Fatalf("problem %s: %v", a.body, err)
	}
	return slices.Sorted(func(yield func(string) bool) {
		for k := range p.Errors {
			if !yield(k) {
				return
			}
		}
	})
}

func TestRuleDatasetAndColumnNames(t *testing.T) {
	s := newRuleServer(t)
	for _, name := range []string{"Contacts", "1abc", "a-b", "_a", "a b", ""} {
		if a := s.create(name, map[string]int{"v": 0}); a.status != 400 {
			t.Errorf("dataset name %q: %d, want 400", name, a.status)
		}
	}
	for _, cols := range []any{map[string]int{"First Name": 0}, map[string]int{"ok": 0, "Bad": 1}, map[string]int{}} {
		if a := s.create("d", cols); a.status != 400 {
			t.Errorf("columns %v: %d, want 400", cols, a.status)
		}
	}
	s.must("a good name", s.create("sample_dataset_1", map[string]int{"firstname": 0, "priority": 1}), 200)
	s.must("the same name again", s.create("sample_dataset_1", map[string]int{"firstname": 0}), 400)
}

func TestRuleBlockHoldsAtMost1000Records(t *testing.T) {
	s := newRuleServer(t)
	s.must("create", s.create("d", map[string]int{"v": 0}), 200)
	s.must("1,000 records", s.upload("d", 0, recs("a", 1000)...), 200)
	a := s.must("1,001 records", s.upload("d", 1, recs("b", 1001)...), 400)
	if got := errorMembers(t, a); !slices.Equal(got, []string{"records"}) {
		t.Errorf("1,001 records: errors name %v, want [records]", got)
	}
	if info, _ := s.srv.DatasetInfo("d"); info.RecordCount != 1000 {
		t.Errorf("the dataset holds %d records, want 1000", info.RecordCount)
	}
}

func TestRuleUnknownColumnIsRefusedWherever(t *testing.T) {
	s := newRuleServer(t)
	s.must("create", s.create("d", map[string]int{"a": 0, "b": 0}), 200)
	// The unknown column sits where a known one sat in the record before.
	for _, col := range []string{"c", "bc", "ab"} {
		a := s.must("unknown column "+col, s.upload("d", 0, map[string]any{"a": 1, "b": 2}, map[string]any{"a": 1, col: 3}), 400)
		if got, want := errorMembers(t, a), []string{"records[1]." + col}; !slices.Equal(got, want) {
			t.Errorf("errors name %v, want %v", got, want)
		}
	}
}

func TestRuleReusedBlockNumberOverwrites(t *testing.T) {
	s := newRuleServer(t)
	s.must("create", s.create("d", map[string]int{"v": 0}), 200)
	s.must("block 0", s.upload("d", 0, recs("first", 3)...), 200)
	s.must("block 1", s.upload("d", 1, recs("one", 2)...), 200)
	s.must("block 0 again", s.upload("d", 0, recs("second", 1)...), 200)
	got := s.records("d", 1)
	want := []map[string]any{{"v": "second0"}, {"v": "one0"}, {"v": "one1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records %v, want %v", got, want)
	}
	if info, _ := s.srv.DatasetInfo("d"); info.RecordCount != 3 {
		t.Errorf("recordCount %d, want 3", info.RecordCount)
	}
	s.must("complete with the true count", s.complete("d", 3), 200)
}

// Records read back in ascending block number, then in their order in the block, 1,000 to a page,
// whatever order the blocks came in and wherever page and block boundaries fall.
func TestRuleRecordsReadBackInProcessingOrder(t *testing.T) {
	s := newRuleServer(t)
	s.must("create", s.create("d", map[string]int{"v": 0}), 200)
	const per = 700
	for _, b := range []int{2, 0, 1} {
		s.must(fmt.Sprintf("block %d", b), s.upload("d", b, recs(fmt.Sprintf("%d-", b), per)...), 200)
	}
	var got []any
	sizes := []int{}
	for page := 1; ; page++ {
		rs := s.records("d", page)
		sizes = append(sizes, len(rs))
		if len(rs) == 0 {
			break
		}
		for _, r := range rs {
			got = append(got, r["v"])
		}
	}
	if !slices.Equal(sizes, []int{1000, 1000, 100, 0}) {
		t.Errorf("page sizes %v, want [1000 1000 100 0]", sizes)
	}
	var want []any
	for b := range 3 {
		for i := range per {
			want = append(want, fmt.Sprintf("%d-%d", b, i))
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records read back out of order or not once each: %d read, want %d", len(got), len(want))
	}
}

func TestRuleCompleteOnlyOnceWithTheTrueCount(t *testing.T) {
	s := newRuleServer(t)
	s.must("create", s.create("d", map[string]int{"v": 0}), 200)
	s.must("upload", s.upload("d", 0, recs("a", 3)...), 200)
	s.must("a count below what it holds", s.complete("d", 2), 400)
	s.must("a count above what it holds", s.complete("d", 4), 400)
	s.must("not completed: true", s.read(s.api.DatasetUpdateByNameWithBody(context.Background(), "d", ct, jsonBody(`{"recordCount":3,"completed":false}`), s.auth)), 400)
	s.must("the true count", s.complete("d", 3), 200)
	s.must("again, with the same count", s.complete("d", 3), 400)
	s.must("an upload to the complete dataset", s.upload("d", 1, recs("b", 1)...), 400)
	if info, _ := s.srv.DatasetInfo("d"); !info.Completed || info.RecordCount != 3 {
		t.Errorf("dataset %+v, want complete with 3 records", info)
	}
}

// An output dataset is made by a job and is read-only, even while the job runs and the dataset is
// not yet complete.
func TestRuleOutputDatasetsAreReadOnly(t *testing.T) {
	s := newRuleServer(t, data8test.WithJobDuration(time.Hour))
	s.inputDataset("in")
	a := s.must("start", s.startJob(map[string]any{"name": "J", "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "in"}}), 200)
	var job gen.Job
	if err := json.Unmarshal(a.body, &job); err != nil {
		t.Fatal(err)
	}
	out := job.OutputDatasets["Output"]
	if info, ok := s.srv.DatasetInfo(out); !ok || info.Input || info.Completed {
		t.Fatalf("output dataset %q: %+v %v, want an incomplete output dataset", out, info, ok)
	}
	// An empty block: nothing in it but the dataset's kind can be refused.
	a = s.must("upload to the output dataset", s.upload(out, 0), 400)
	if got := errorMembers(t, a); !slices.Equal(got, []string{"name"}) {
		t.Errorf("upload to the output dataset: errors name %v, want [name]", got)
	}
	s.must("complete the output dataset", s.complete(out, 0), 400)
	if info, _ := s.srv.DatasetInfo(out); info.Completed || info.RecordCount != 0 {
		t.Errorf("output dataset changed: %+v", info)
	}
}

func TestRuleJobInputDatasetsMustBeComplete(t *testing.T) {
	s := newRuleServer(t, data8test.WithJobDuration(time.Hour))
	s.must("create", s.create("in", map[string]int{"v": 0}), 200)
	s.must("upload", s.upload("in", 0, recs("x", 1)...), 200)
	a := s.must("a job on an incomplete dataset", s.startJob(map[string]any{"name": "J", "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "in"}}), 400)
	if got := errorMembers(t, a); !slices.Equal(got, []string{"inputDatasets.Input"}) {
		t.Errorf("errors name %v, want [inputDatasets.Input]", got)
	}
	if _, ok := s.srv.JobInfo("J"); ok {
		t.Error("the job was started")
	}
}

func TestRuleJobNames(t *testing.T) {
	s := newRuleServer(t, data8test.WithJobDuration(time.Hour))
	s.inputDataset("in")
	job := func(name string) map[string]any {
		return map[string]any{"name": name, "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "in"}}
	}
	for _, c := range `/:*?"<>|\` {
		name := "Contact check " + string(c) + " 1"
		if a := s.startJob(job(name)); a.status != 400 {
			t.Errorf("job name %q: %d, want 400", name, a.status)
		}
	}
	s.must("a name with spaces", s.startJob(job("Contact Deceased Check 3124")), 200)
	s.must("the same name again", s.startJob(job("Contact Deceased Check 3124")), 400)
	// A job's name need not differ from a dataset's.
	s.must("a job named like a dataset", s.startJob(job("in")), 200)
}

func TestRuleUnknownNamesAre404(t *testing.T) {
	s := newRuleServer(t)
	ctx := context.Background()
	for what, a := range map[string]answer{
		"GET /Dataset/{name}":        s.read(s.api.DatasetGetByName(ctx, "nope", s.auth)),
		"GET /Dataset/{name}/data":   s.read(s.api.DatasetGetData(ctx, "nope", nil, s.auth)),
		"PUT /Dataset/{name}":        s.complete("nope", 0),
		"PATCH /Dataset/{name}/data": s.upload("nope", 0, map[string]any{"v": "x"}),
		"GET /Job/{name}":            s.read(s.api.JobGetByName(ctx, "no such job", s.auth)),
	} {
		if a.status != 404 {
			t.Errorf("%s of an unknown name: %d %s, want 404", what, a.status, a.body)
		}
	}
}

func TestRuleMissingInvalidOrExpiredTokenIs401(t *testing.T) {
	s := newRuleServer(t)
	ctx := context.Background()
	s.must("with a token", s.read(s.api.DatasetGetList(ctx, nil, s.auth)), 200)
	check := func(what string, edit gen.RequestEditorFn) {
		t.Helper()
		var a answer
		if edit == nil {
			a = s.read(s.api.DatasetGetList(ctx, nil))
		} else {
			a = s.read(s.api.DatasetGetList(ctx, nil, edit))
		}
		if a.status != 401 || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d, WWW-Authenticate %q; want 401 with a Bearer challenge", what, a.status, a.header.Get("WWW-Authenticate"))
		}
	}
	check("no token", nil)
	check("an unknown token", func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer not-a-token")
		return nil
	})
	s.srv.ExpireTokens()
	check("an expired token", s.auth)
}

// Datasets are listed 100 to a page in alphabetical order, and the flags choose input and output
// datasets; page numbers start at 1.
func TestRuleDatasetListPaging(t *testing.T) {
	s := newRuleServer(t, data8test.WithJobDuration(time.Hour))
	var names []string
	for i := range 204 {
		names = append(names, fmt.Sprintf("d%03d", i))
	}
	shuffled := slices.Clone(names)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, n := range shuffled {
		s.must("create "+n, s.create(n, map[string]int{"v": 0}), 200)
	}
	s.inputDataset("in") // 205 input datasets
	names = append(names, "in")
	slices.Sort(names)
	a := s.must("start", s.startJob(map[string]any{"name": "J", "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "in"}}), 200)
	var job gen.Job
	if err := json.Unmarshal(a.body, &job); err != nil {
		t.Fatal(err)
	}
	output := job.OutputDatasets["Output"]

	list := func(page int, in, out *bool) []gen.DatasetRef {
		t.Helper()
		p := gen.Page(page)
		a := s.must(fmt.Sprintf("GET /Dataset?page=%d", page), s.read(s.api.DatasetGetList(context.Background(), &gen.DatasetGetListParams{Page: &p, IncludeInput: in, IncludeOutput: out}, s.auth)), 200)
		var refs []gen.DatasetRef
		if err := json.Unmarshal(a.body, &refs); err != nil {
			t.Fatal(err)
		}
		return refs
	}
	no, yes := new(bool), new(bool)
	*yes = true
	var got []string
	var sizes []int
	for page := 1; page <= 4; page++ {
		refs := list(page, nil, no)
		sizes = append(sizes, len(refs))
		for _, r := range refs {
			got = append(got, r.Name)
		}
	}
	if !slices.Equal(sizes, []int{100, 100, 5, 0}) || !slices.Equal(got, names) {
		t.Errorf("input datasets: pages of %v; listed in order: %v", sizes, slices.Equal(got, names))
	}
	if refs := list(1, no, yes); len(refs) != 1 || refs[0].Name != output || refs[0].Input {
		t.Errorf("output datasets only: %+v, want [%s]", refs, output)
	}
	if refs := list(3, nil, nil); len(refs) != 6 || refs[5].Name != output {
		t.Errorf("page 3 of every dataset: %+v, want the last 5 inputs and then %s", refs, output)
	}
	for _, page := range []gen.Page{0, -1} {
		if a := s.read(s.api.DatasetGetList(context.Background(), &gen.DatasetGetListParams{Page: &page}, s.auth)); a.status != 400 {
			t.Errorf("page %d: %d, want 400", page, a.status)
		}
		if a := s.read(s.api.DatasetGetData(context.Background(), "in", &gen.DatasetGetDataParams{Page: &page}, s.auth)); a.status != 400 {
			t.Errorf("records page %d: %d, want 400", page, a.status)
		}
	}
}

// Jobs are listed 100 to a page, most recent first.
func TestRuleJobListPaging(t *testing.T) {
	s := newRuleServer(t, data8test.WithJobDuration(time.Hour))
	s.inputDataset("in")
	const n = 103
	for i := range n {
		s.must("start", s.startJob(map[string]any{"name": fmt.Sprintf("job %03d", i), "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "in"}}), 200)
	}
	var got []string
	var sizes []int
	for page := 1; page <= 3; page++ {
		p := gen.Page(page)
		a := s.must("GET /Job", s.read(s.api.JobGetList(context.Background(), &gen.JobGetListParams{Page: &p}, s.auth)), 200)
		var refs []gen.JobRef
		if err := json.Unmarshal(a.body, &refs); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(refs))
		for _, r := range refs {
			got = append(got, r.Name)
		}
	}
	var want []string
	for i := n - 1; i >= 0; i-- {
		want = append(want, fmt.Sprintf("job %03d", i))
	}
	if !slices.Equal(sizes, []int{100, 3, 0}) || !slices.Equal(got, want) {
		t.Errorf("pages of %v; most recent first: %v (first %v)", sizes, slices.Equal(got, want), got[:min(3, len(got))])
	}
	p := gen.Page(0)
	if a := s.read(s.api.JobGetList(context.Background(), &gen.JobGetListParams{Page: &p}, s.auth)); a.status != 400 {
		t.Errorf("page 0: %d, want 400", a.status)
	}
}
