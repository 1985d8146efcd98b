package client_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/internal/specval"
)

// canned is one answer of a tolerantServer.
type canned struct {
	status int
	ct     string
	body   string
}

// tolerantServer answers each "METHOD /path" with its canned answer, as a server could that follows every
// documented rule but decides the silent points otherwise than data8test. Every answer passes through
// specval's checking transport, so the test also proves the spec accepts it.
type tolerantServer struct {
	t       *testing.T
	srv     *httptest.Server
	answers map[string]canned

	mu         sync.Mutex
	violations []string
	seen       []string
}

func newTolerantServer(t *testing.T, answers map[string]canned) (*tolerantServer, *client.Client) {
	t.Helper()
	ts := &tolerantServer{t: t, answers: answers}
	ts.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.EscapedPath()
		a, ok := ts.answers[key]
		if !ok {
			ts.mu.Lock()
			ts.violations = append(ts.violations, "unexpected request "+key)
			ts.mu.Unlock()
			http.Error(w, "unexpected", http.StatusTeapot)
			return
		}
		if a.ct != "" {
			w.Header().Set("Content-Type", a.ct)
		}
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(ts.srv.Close)
	spec, err := specval.Load()
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(ts.srv.URL)
	hc := &http.Client{Timeout: time.Minute, Transport: &specval.Transport{Spec: spec, BaseURL: base, Record: func(e specval.Exchange) {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.seen = append(ts.seen, e.Method+" "+e.Path)
		for _, v := range e.Violations {
			ts.violations = append(ts.violations, e.Method+" "+e.Path+": "+v)
		}
	}}}
	c, err := client.New(client.WithBaseURL(ts.srv.URL), client.WithBearerToken("tolerance-test-token"), client.WithHTTPClient(hc),
		client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 1, Sleep: noSleep}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		for _, v := range ts.violations {
			t.Errorf("the spec refuses an answer the test means as plausible, or the client sent what was not expected: %s", v)
		}
	})
	return ts, c
}

// TestClientAcceptsPlausibleAnswers: every answer here is valid by api/openapi.yaml (checked on the way), and
// the client reads each one through the generated models: another 2xx, an empty body, .NET's zone-less and
// unset times, nulls, unknown members, an output dataset named Output_1, a list entry without a location.
func TestClientAcceptsPlausibleAnswers(t *testing.T) {
	ctx := testContext(t)
	dataset := `{"name":"contacts","columns":{"firstname":0,"score":7},"input":true,"recordCount":0,"completed":false,"createdAt":"2020-01-02T03:04:05"}`
	complete := `{"name":"contacts","columns":{"firstname":0,"score":7},"input":true,"recordCount":2,"completed":true}`
	job := `{"name":"Clean 1","workflowName":"Clean","submittedAt":"2020-01-02T03:04:05.1234567","completedAt":"0001-01-01T00:00:00",` +
		`"status":1,"percentComplete":null,"estimatedFinishTime":null,"statistics":null,"inputDatasets":{"Input":"contacts"},` +
		`"outputDatasets":{"Output":"Output_1"},"parameters":null,"inputFilename":null,"outputFilenames":null,"correlationId":"x-1"}`
	_, c := newTolerantServer(t, map[string]canned{
		"POST /Dataset":                        {http.StatusCreated, "application/json; charset=utf-8", dataset},
		"PUT /Dataset/contacts":                {http.StatusNoContent, "", ""},
		"GET /Dataset/contacts":                {http.StatusOK, "application/json", complete},
		"GET /Dataset/Output_1":                {http.StatusOK, "application/json", `{"name":"Output_1","columns":{"firstname":0},"input":false,"recordCount":5003,"completed":true}`},
		"GET /Dataset":                         {http.StatusOK, "application/json", `[{"name":"Output_1","input":false,"completed":true,"location":null},{"name":"contacts","input":true,"completed":true,"sizeBytes":12}]`},
		"POST /Job":                            {http.StatusAccepted, "application/json", job},
		"GET /Job/Clean%201":                   {http.StatusOK, "application/json", job},
		"GET /Job":                             {http.StatusOK, "application/json", `[{"name":"Clean 1","workflowName":"Clean","submittedAt":"2020-01-02T03:04:05.0000000","status":1}]`},
		"GET /ApiKey":                          {http.StatusNoContent, "", ""},
		"GET /ApiKey/K1":                       {http.StatusOK, "application/json", `{"key":"K1","description":null,"username":null,"expiresOn":"2030-01-01T00:00:00","maxRequestsPerIPPerDay":null,"allowedDomains":null,"allowedIPs":null,"allowedServices":null,"isClientKey":false}`},
		"POST /ApiKey":                         {http.StatusNoContent, "", ""},
		"PUT /ApiKey/K1":                       {http.StatusCreated, "application/json", `{"key":"K1","description":"renewed","expiresOn":"0001-01-01T00:00:00"}`},
		"DELETE /ApiKey/K1":                    {http.StatusNoContent, "", ""},
		"PUT /ApiKey/K1/allowedDomains/x.io":   {http.StatusAccepted, "application/json", `{"key":"K1","allowedDomains":["x.io"]}`},
		"POST /ClientCredential":               {http.StatusCreated, "", ""},
		"GET /ClientCredential":                {http.StatusOK, "application/json", `[{"clientId":"c1","description":null,"secrets":null,"allowedScopes":["BatchApi"]}]`},
		"GET /ClientCredential/c1":             {http.StatusOK, "application/json", `{"clientId":"c1"}`},
		"PUT /ApiKey/K1/allowedIPs/10.0.0.0/8": {http.StatusNoContent, "", ""},
	})

	d, err := c.CreateDataset(ctx, "contacts", client.Columns{"firstname": 0, "score": 7})
	if err != nil || d.Name != "contacts" || d.Columns["score"] != 7 || !d.Input || d.Completed {
		t.Errorf("CreateDataset after a 201: %+v, %v", d, err)
	}
	d, err = c.CompleteDataset(ctx, "contacts", 2)
	if err != nil || !d.Completed || d.RecordCount != 2 {
		t.Errorf("CompleteDataset after a 204 reads the dataset back: %+v, %v", d, err)
	}
	d, err = c.GetDataset(ctx, "Output_1")
	if err != nil || d.Name != "Output_1" || d.Input || d.RecordCount != 5003 {
		t.Errorf("GetDataset of an output dataset named by its job: %+v, %v", d, err)
	}
	var refs []client.DatasetRef
	for r, err := range c.ListDatasets(ctx, client.ListDatasetsOptions{}) {
		if err != nil {
			t.Fatalf("ListDatasets: %v", err)
		}
		refs = append(refs, r)
	}
	if len(refs) != 2 || refs[0].Name != "Output_1" || refs[0].Location != "" || !refs[1].Completed {
		t.Errorf("ListDatasets: %+v", refs)
	}

	j, err := c.StartJob(ctx, client.NewJob{Name: "Clean 1", WorkflowName: "Clean", InputDatasets: map[string]string{"Input": "contacts"}})
	submitted := time.Date(2020, 1, 2, 3, 4, 5, 123456700, time.UTC)
	if err != nil || j.Name != "Clean 1" || !j.SubmittedAt.Equal(submitted) || j.CompletedAt.IsSet() || client.JobFinished(j) ||
		j.EstimatedFinishTime != nil || j.OutputDatasets["Output"] != "Output_1" || j.PercentComplete != 0 {
		t.Errorf("StartJob after a 202 with .NET times: %+v, %v", j, err)
	}
	j, err = c.GetJob(ctx, "Clean 1")
	if err != nil || client.JobFinished(j) || j.CompletedAt == nil || !j.CompletedAt.IsZero() {
		t.Errorf("GetJob with completedAt 0001-01-01T00:00:00: %+v, %v", j, err)
	}
	for ref, err := range c.ListJobs(ctx, client.ListJobsOptions{}) {
		if err != nil || ref.Name != "Clean 1" || ref.Location != "" || !ref.SubmittedAt.Equal(time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)) {
			t.Errorf("ListJobs: %+v, %v", ref, err)
		}
	}

	if keys, err := c.ListAPIKeys(ctx); err != nil || len(keys) != 0 {
		t.Errorf("ListAPIKeys after a 204: %v, %v", keys, err)
	}
	k, err := c.GetAPIKey(ctx, "K1")
	if err != nil || k.Key != "K1" || k.Description != "" || k.MaxRequestsPerIPPerDay != nil || !k.ExpiresOn.IsSet() || !k.ExpiresOn.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("GetAPIKey with nulls and a zone-less expiry: %+v, %v", k, err)
	}
	// A 204 to a create whose key was given: the key is read back.
	k, err = c.CreateAPIKey(ctx, client.NewAPIKey{Key: "K1", Description: "checks"})
	if err != nil || k.Key != "K1" {
		t.Errorf("CreateAPIKey after a 204: %+v, %v", k, err)
	}
	k, err = c.UpdateAPIKey(ctx, "K1", client.APIKeyUpdate{Description: new("renewed")})
	if err != nil || k.Description != "renewed" || k.ExpiresOn.IsSet() {
		t.Errorf("UpdateAPIKey after a 201 with an unset expiry: %+v, %v", k, err)
	}
	if err := c.AddAPIKeyAllowedDomain(ctx, "K1", "x.io"); err != nil {
		t.Errorf("AddAPIKeyAllowedDomain after a 202 with a body: %v", err)
	}
	if err := c.DeleteAPIKey(ctx, "K1"); err != nil {
		t.Errorf("DeleteAPIKey after a 204: %v", err)
	}
	cc, err := c.CreateClientCredential(ctx, "Nightly ETL")
	if err != nil || cc.ClientID != "" || cc.Description != "Nightly ETL" {
		t.Errorf("CreateClientCredential after an empty 201 returns what is known: %+v, %v", cc, err)
	}
	ccs, err := c.ListClientCredentials(ctx)
	if err != nil || len(ccs) != 1 || ccs[0].ClientID != "c1" || ccs[0].Secrets != nil {
		t.Errorf("ListClientCredentials with unknown members: %+v, %v", ccs, err)
	}
}

// TestClientCreatesWithoutAnswerBody: a create answered without a body where the server generated the key
// returns what was sent, and a read answered without a body is an error, not an invented result.
func TestClientCreatesWithoutAnswerBody(t *testing.T) {
	ctx := testContext(t)
	_, c := newTolerantServer(t, map[string]canned{
		"POST /ApiKey":       {http.StatusNoContent, "", ""},
		"GET /Job/Clean%201": {http.StatusNoContent, "", ""},
	})
	expires := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	k, err := c.CreateAPIKey(ctx, client.NewAPIKey{Description: "checks", Username: "web", ExpiresOn: expires})
	if err != nil || k.Key != "" || k.Description != "checks" || k.Username != "web" || !k.ExpiresOn.IsSet() || !k.ExpiresOn.Equal(expires) {
		t.Errorf("CreateAPIKey after a 204 with a generated key: %+v, %v", k, err)
	}
	if j, err := c.GetJob(ctx, "Clean 1"); err == nil || !strings.Contains(err.Error(), "Job_GetByName") || !strings.Contains(err.Error(), "without a body") {
		t.Errorf("GetJob after a 204: %+v, %v; want an error naming the operation", j, err)
	}
}

// TestConflictIsValidation: a 409 for a duplicate name means what the documented 400 means, whatever its body.
func TestConflictIsValidation(t *testing.T) {
	ctx := testContext(t)
	for _, a := range []canned{
		{http.StatusConflict, "application/problem+json", `{"title":"Conflict","status":409,"detail":"A dataset named contacts already exists."}`},
		{http.StatusConflict, "", ""},
		{http.StatusBadRequest, "application/json", `{"Title":"Bad","Errors":{"Name":["taken"]}}`},
		{http.StatusBadRequest, "text/plain", "taken"},
	} {
		_, c := newTolerantServer(t, map[string]canned{"POST /Dataset": a})
		_, err := c.CreateDataset(ctx, "contacts", client.Columns{"a": 0})
		var ae *client.APIError
		if !errors.Is(err, client.ErrValidation) || !errors.As(err, &ae) || ae.StatusCode != a.status {
			t.Errorf("%d %q: %v; want an *APIError matching ErrValidation", a.status, a.body, err)
		}
	}
}
