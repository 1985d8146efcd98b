package data8test_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/gen"
)

// token fetches an access token from the server's token endpoint, as any OAuth2 client would.
func token(srv *data8test.Server) string {
	resp, err := http.PostForm(srv.TokenURL, url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {srv.ClientID},
		"client_secret": {srv.ClientSecret},
		"scope":         {"BatchApi"},
	})
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		panic(err)
	}
	return tok.AccessToken
}

// A user's test of their own batch code: start a server, point the code at it, then look at what the
// server holds. (In a test, pass data8test.WithValidation(t) to NewServer so that every request and response
// is checked against the spec.)
func Example() {
	srv := data8test.NewServer(data8test.WithJobDuration(10 * time.Millisecond))
	defer srv.Close()

	tok := token(srv)
	api, _ := gen.NewClientWithResponses(srv.URL, gen.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}))
	ctx := context.Background()

	_, _ = api.DatasetCreateWithResponse(ctx, gen.NewDataset{Name: "contacts", Columns: gen.Columns{"name": 0, "postcode": 0}})
	// Blocks may arrive in any order; records are kept in block order.
	_, _ = api.DatasetUploadBlockWithResponse(ctx, "contacts", gen.RecordBlock{BlockNumber: 1, Records: []gen.Record{{"name": "  ada LOVELACE ", "postcode": "sw1a1aa"}}})
	_, _ = api.DatasetUploadBlockWithResponse(ctx, "contacts", gen.RecordBlock{BlockNumber: 0, Records: []gen.Record{{"name": "alan turing", "postcode": "ec1a 1bb"}}})
	_, _ = api.DatasetUpdateByNameWithResponse(ctx, "contacts", gen.DatasetUpdate{RecordCount: 2, Completed: true})

	job, _ := api.JobCreateJobWithResponse(ctx, gen.NewJob{Name: "Clean contacts", WorkflowName: "CleanContacts", InputDatasets: map[string]string{"Input": "contacts"}})
	fmt.Println("status at submission:", job.JSON200.Status)
	for {
		j, _ := api.JobGetByNameWithResponse(ctx, "Clean contacts")
		if j.JSON200.CompletedAt != nil {
			fmt.Println("final status:", j.JSON200.Status)
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	out := job.JSON200.OutputDatasets["Output"]
	recs, _ := srv.Records(out)
	for _, r := range recs {
		fmt.Println(r["name"], "|", r["postcode"])
	}
	// Output:
	// status at submission: 0
	// final status: 2
	// Alan Turing | EC1A 1BB
	// Ada Lovelace | SW1A 1AA
}

// Faults can be scripted to test a client's retries: here the first upload of a block is stored, then
// answered 503, so a retrying client sends it again, and overwriting keeps one copy.
func ExampleWithFaultScript() {
	srv := data8test.NewServer(data8test.WithFaultScript(
		data8test.Fault{Op: "Dataset_UploadBlock", Call: 1, Kind: data8test.FaultStored503},
	))
	defer srv.Close()
	tok := token(srv)
	api, _ := gen.NewClientWithResponses(srv.URL, gen.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}))
	ctx := context.Background()
	_, _ = api.DatasetCreateWithResponse(ctx, gen.NewDataset{Name: "d", Columns: gen.Columns{"v": 0}})
	block := gen.RecordBlock{BlockNumber: 0, Records: []gen.Record{{"v": "a"}, {"v": "b"}}}
	for attempt := 1; ; attempt++ {
		resp, _ := api.DatasetUploadBlockWithResponse(ctx, "d", block)
		fmt.Println("attempt", attempt, "status", resp.StatusCode())
		if resp.StatusCode() == 200 {
			break
		}
	}
	recs, _ := srv.Records("d")
	fmt.Println(len(recs), "records;", srv.FaultCounts()[data8test.FaultStored503], "fault injected")
	// Output:
	// attempt 1 status 503
	// attempt 2 status 200
	// 2 records; 1 fault injected
}

// A ready client of package client for the server.
func ExampleServer_Client() {
	srv := data8test.NewServer()
	defer srv.Close()
	c := srv.Client()
	ds, err := c.CreateDataset(context.Background(), "people", map[string]int{"name": 0})
	if err != nil {
		panic(err)
	}
	fmt.Println(ds.Name, ds.Input, ds.Completed)
	// Output: people true false
}
