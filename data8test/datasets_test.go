package data8test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/gen"
)

func TestDatasetCreateAndGet(t *testing.T) {
	s := start(t)
	c := apiClient(t, s)
	ctx := context.Background()
	resp, err := c.DatasetCreateWithResponse(ctx, gen.NewDataset{Name: "sample_dataset_1", Columns: gen.Columns{"firstname": 0, "lastname": 0, "priority": 1, "odd": 77}})
	if err != nil {
		t.Fatal(err)
	}
	want := gen.Dataset{Name: "sample_dataset_1", Columns: gen.Columns{"firstname": 0, "lastname": 0, "priority": 1, "odd": 77}, Input: true}
	if resp.StatusCode() != 200 || !reflect.DeepEqual(*resp.JSON200, want) {
		t.Fatalf("create: %d %s", resp.StatusCode(), resp.Body)
	}
	got, err := c.DatasetGetByNameWithResponse(ctx, "sample_dataset_1")
	if err != nil || got.StatusCode() != 200 || !reflect.DeepEqual(*got.JSON200, want) {
		t.Fatalf("get: %v %d %s", err, got.StatusCode(), got.Body)
	}
}

func TestDatasetCreateRules(t *testing.T) {
	s := start(t)
	tok := fetchToken(t, s)
	createDataset(t, s, tok, "taken", "a")
	cases := []struct {
		name    string
		body    any
		wantKey string
	}{
		{"upper case", map[string]any{"name": "Bad", "columns": map[string]int{"a": 0}}, "name"},
		{"starts with digit", map[string]any{"name": "1abc", "columns": map[string]int{"a": 0}}, "name"},
		{"hyphen", map[string]any{"name": "a-b", "columns": map[string]int{"a": 0}}, "name"},
		{"empty", map[string]any{"name": "", "columns": map[string]int{"a": 0}}, "name"},
		{"missing name", map[string]any{"columns": map[string]int{"a": 0}}, "name"},
		{"duplicate", map[string]any{"name": "taken", "columns": map[string]int{"a": 0}}, "name"},
		{"no columns", map[string]any{"name": "x", "columns": map[string]int{}}, "columns"},
		{"missing columns", map[string]any{"name": "x"}, "columns"},
		{"bad column name", map[string]any{"name": "x", "columns": map[string]int{"First Name": 0}}, "columns.First Name"},
		{"column type not integer", map[string]any{"name": "x", "columns": map[string]any{"a": "text"}}, "columns"},
		{"not JSON", "{", "$"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, s, tok, "POST", "/Dataset", c.body)
			wantStatus(t, r, 400)
			p := r.problem(t)
			if _, ok := errorKeys(p)[c.wantKey]; !ok {
				t.Fatalf("errors %v, want a message for %q", errorKeys(p), c.wantKey)
			}
		})
	}
	if _, ok := s.DatasetInfo("x"); ok {
		t.Fatal("a rejected dataset was created")
	}
	// No body at all, and a body that is not JSON at all.
	wantStatus(t, do(t, s, tok, "POST", "/Dataset", nil), 400)
	req, _ := http.NewRequest("POST", s.URL+"/Dataset", strings.NewReader("name=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := httpFor(t, s).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("form body: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestUnknownNames404(t *testing.T) {
	s := start(t)
	tok := fetchToken(t, s)
	for _, c := range []struct{ method, path string }{
		{"GET", "/Dataset/nothere"},
		{"PUT", "/Dataset/nothere"},
		{"GET", "/Dataset/nothere/data"},
		{"PATCH", "/Dataset/nothere/data"},
		{"GET", "/Dataset/Not-Valid"},
		{"GET", "/Job/No%20Such%20Job"},
		{"GET", "/ApiKey/ABCD-1234-EFGH-5678"},
		{"PUT", "/ApiKey/ABCD-1234-EFGH-5678"},
		{"DELETE", "/ApiKey/ABCD-1234-EFGH-5678"},
		{"PUT", "/ApiKey/ABCD-1234-EFGH-5678/allowedDomains/example.com"},
		{"PUT", "/ApiKey/ABCD-1234-EFGH-5678/allowedIPs/10.0.0.0/8"},
		{"GET", "/ClientCredential/nobody"},
	} {
		var body any
		switch c.method {
		case "PUT":
			if strings.HasPrefix(c.path, "/Dataset") {
				body = map[string]any{"recordCount": 0, "completed": true}
			} else if strings.Count(c.path, "/") == 2 {
				body = map[string]any{"description": "x"}
			}
		case "PATCH":
			body = map[string]any{"blockNumber": 0, "records": []any{}}
		}
		r := do(t, s, tok, c.method, c.path, body)
		if r.status != 404 {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.status, r.body)
			continue
		}
		p := r.problem(t)
		if p.Status != 404 || !strings.Contains(p.Detail, "does not exist") {
			t.Errorf("%s %s: problem %s", c.method, c.path, r.body)
		}
	}
	// Paths the API does not have.
	r := do(t, s, tok, "GET", "/Nope", nil)
	wantStatus(t, r, 404)
	r.problem(t)
	r = do(t, s, tok, "DELETE", "/Dataset", nil)
	wantStatus(t, r, 405)
	if allow := r.header.Get("Allow"); allow != "GET, POST" {
		t.Errorf("Allow %q", allow)
	}
}

func TestDatasetListPaging(t *testing.T) {
	s := start(t)
	tok := fetchToken(t, s)
	var names []string
	for i := range 250 {
		names = append(names, fmt.Sprintf("ds_%03d", i))
	}
	shuffled := slices.Clone(names)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, n := range shuffled {
		createDataset(t, s, tok, n, "a")
	}
	c := apiClient(t, s)
	var got []string
	for page, want := range []int{100, 100, 50, 0} {
		p := int32(page + 1)
		resp, err := c.DatasetGetListWithResponse(context.Background(), &gen.DatasetGetListParams{Page: &p})
		if err != nil || resp.StatusCode() != 200 {
			t.Fatalf("page %d: %v %s", p, err, resp.Body)
		}
		if len(*resp.JSON200) != want {
			t.Fatalf("page %d has %d datasets, want %d", p, len(*resp.JSON200), want)
		}
		if want == 0 && strings.TrimSpace(string(resp.Body)) != "[]" {
			t.Fatalf("page past the end is %s, want []", resp.Body)
		}
		for _, d := range *resp.JSON200 {
			if d.Location != s.URL+"/Dataset/"+d.Name || !d.Input || d.Completed {
				t.Fatalf("entry %+v", d)
			}
			got = append(got, d.Name)
		}
	}
	if !slices.Equal(got, names) {
		t.Fatalf("listing is not alphabetical: %v", got)
	}
	// The default page is 1.
	resp, _ := c.DatasetGetListWithResponse(context.Background(), nil)
	if len(*resp.JSON200) != 100 || (*resp.JSON200)[0].Name != "ds_000" {
		t.Fatalf("default page: %d entries", len(*resp.JSON200))
	}
	// Page 0 and a page that is not a number are 400.
	wantStatus(t, do(t, s, tok, "GET", "/Dataset?page=0", nil), 400)
	wantStatus(t, do(t, s, tok, "GET", "/Dataset?page=x", nil), 400)
	wantStatus(t, do(t, s, tok, "GET", "/Dataset?includeInput=maybe", nil), 400)
}

func TestDatasetListFilters(t *testing.T) {
	s := start(t)
	tok := fetchToken(t, s)
	createDataset(t, s, tok, "b_in", "a")
	createDataset(t, s, tok, "a_in", "a")
	wantStatus(t, upload(t, s, tok, "a_in", 0, rec("a", "1")), 200)
	wantStatus(t, complete(t, s, tok, "a_in", 1), 200)
	r := do(t, s, tok, "POST", "/Job", map[string]any{"name": "Copy", "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "a_in"}})
	wantStatus(t, r, 200)
	list := func(q string) []gen.DatasetRef {
		r := do(t, s, tok, "GET", "/Dataset"+q, nil)
		wantStatus(t, r, 200)
		var out []gen.DatasetRef
		if err := json.Unmarshal(r.body, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	names := func(refs []gen.DatasetRef) (out []string) {
		for _, r := range refs {
			out = append(out, r.Name)
		}
		return out
	}
	if got := names(list("")); !slices.Equal(got, []string{"a_in", "b_in", "copy_output"}) {
		t.Fatalf("all: %v", got)
	}
	if got := names(list("?includeOutput=false")); !slices.Equal(got, []string{"a_in", "b_in"}) {
		t.Fatalf("inputs: %v", got)
	}
	out := list("?includeInput=false")
	if got := names(out); !slices.Equal(got, []string{"copy_output"}) || out[0].Input {
		t.Fatalf("outputs: %v", out)
	}
	if got := list("?includeInput=false&includeOutput=false"); len(got) != 0 {
		t.Fatalf("neither: %v", got)
	}
	in := list("?includeOutput=false")
	if !in[0].Completed || in[1].Completed {
		t.Fatalf("completed flags: %+v", in)
	}
}

func TestCompleteRules(t *testing.T) {
	s := start(t)
	tok := fetchToken(t, s)
	createDataset(t, s, tok, "d", "a")
	wantStatus(t, upload(t, s, tok, "d", 0, rec("a", "1"), rec("a", "2")), 200)
	wantStatus(t, upload(t, s, tok, "d", 5, rec("a", "3")), 200)

	r := complete(t, s, tok, "d", 2)
	wantStatus(t, r, 400)
	if _, ok := errorKeys(r.problem(t))["recordCount"]; !ok {
		t.Fatalf("mismatch: %s", r.body)
	}
	r = do(t, s, tok, "PUT", "/Dataset/d", map[string]any{"recordCount": 3, "completed": false})
	wantStatus(t, r, 400)
	r = do(t, s, tok, "PUT", "/Dataset/d", map[string]any{"recordCount": 3})
	wantStatus(t, r, 400)
	r = do(t, s, tok, "PUT", "/Dataset/d", map[string]any{"recordCount": -1, "completed": true})
	wantStatus(t, r, 400)

	r = complete(t, s, tok, "d", 3)
	wantStatus(t, r, 200)
	var d gen.Dataset
	_ = json.Unmarshal(r.body, &d)
	if !d.Completed || d.RecordCount != 3 || !d.Input {
		t.Fatalf("completed dataset %s", r.body)
	}
	// Complete is final: again is 400, and uploads are 400 and change nothing.
	wantStatus(t, complete(t, s, tok, "d", 3), 400)
	r = upload(t, s, tok, "d", 0, rec("a", "x"))
	wantStatus(t, r, 400)
	r.problem(t)
	r = upload(t, s, tok, "d", 9, rec("a", "x"))
	wantStatus(t, r, 400)
	if recs, _ := s.Records("d"); len(recs) != 3 {
		t.Fatalf("records after rejected uploads: %v", recs)
	}
	// An output dataset cannot be completed or uploaded to.
	wantStatus(t, do(t, s, tok, "POST", "/Job", map[string]any{"name": "j", "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "d"}}), 200)
	wantStatus(t, complete(t, s, tok, "j_output", 0), 400)
	r = upload(t, s, tok, "j_output", 0, rec("a", "x"))
	wantStatus(t, r, 400)
	if _, ok := errorKeys(r.problem(t))["name"]; !ok {
		t.Fatalf("upload to output: %s", r.body)
	}
}

func TestGetDataPaging(t *testing.T) {
	s := start(t)
	tok := fetchToken(t, s)
	createDataset(t, s, tok, "big", "n")
	// 2,500 records in three blocks sent out of order.
	blocks := map[int][]map[string]any{}
	for i := range 2500 {
		blocks[i/1000] = append(blocks[i/1000], map[string]any{"n": i})
	}
	for _, b := range []int{2, 0, 1} {
		wantStatus(t, upload(t, s, tok, "big", b, blocks[b]...), 200)
	}
	c := apiClient(t, s)
	next := 0
	for page, want := range []int{1000, 1000, 500, 0} {
		p := int32(page + 1)
		resp, err := c.DatasetGetDataWithResponse(context.Background(), "big", &gen.DatasetGetDataParams{Page: &p})
		if err != nil || resp.StatusCode() != 200 {
			t.Fatalf("page %d: %v %s", p, err, resp.Body)
		}
		if len(*resp.JSON200) != want {
			t.Fatalf("page %d: %d records, want %d", p, len(*resp.JSON200), want)
		}
		for _, r := range *resp.JSON200 {
			if r["n"] != float64(next) {
				t.Fatalf("page %d: record %v, want n=%d", p, r, next)
			}
			next++
		}
	}
	wantStatus(t, do(t, s, tok, "GET", "/Dataset/big/data?page=0", nil), 400)
}

func TestValuesRoundTripExactly(t *testing.T) {
	s := start(t)
	tok := fetchToken(t, s)
	createDataset(t, s, tok, "v", "s", "n", "b", "z", "big", "esc")
	body := `{"blockNumber":0,"records":[{"s":"héllo \"q\" \u00e9","n":-1.5e3,"b":true,"z":null,"big":12345678901234567890,"esc":"a\\b\/c\n"},{}]}`
	wantStatus(t, do(t, s, tok, "PATCH", "/Dataset/v/data", body), 200)
	raw, _ := s.RawRecords("v")
	if string(raw[0]) != `{"s":"héllo \"q\" \u00e9","n":-1.5e3,"b":true,"z":null,"big":12345678901234567890,"esc":"a\\b\/c\n"}` || string(raw[1]) != `{}` {
		t.Fatalf("raw records %s", raw)
	}
	r := do(t, s, tok, "GET", "/Dataset/v/data", nil)
	wantStatus(t, r, 200)
	var got []map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(r.body), "12345678901234567890") {
		t.Errorf("a big integer lost digits: %s", r.body)
	}
	want := map[string]any{"s": `héllo "q" é`, "n": -1500.0, "b": true, "z": nil, "big": 12345678901234567890.0, "esc": "a\\b/c\n"}
	if !reflect.DeepEqual(got[0], want) || len(got[1]) != 0 {
		t.Fatalf("read back %v", got)
	}
}
