package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/opid"
	"github.com/data8-toolkit/data8/internal/specval"
)

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("openapi.yaml")
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	return doc
}

func TestSpecIsValid(t *testing.T) {
	doc := loadSpec(t)
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "https://api.data-8.co.uk" {
		t.Errorf("servers = %v, want exactly https://api.data-8.co.uk", doc.Servers)
	}
}

// The contract's 19 operations: operationId, method and path exactly as docs/contract.md gives them.
var contractOperations = []struct{ id, method, path, tag string }{
	{"Dataset_GetList", http.MethodGet, "/Dataset", "Dataset"},
	{"Dataset_Create", http.MethodPost, "/Dataset", "Dataset"},
	{"Dataset_GetByName", http.MethodGet, "/Dataset/{name}", "Dataset"},
	{"Dataset_UpdateByName", http.MethodPut, "/Dataset/{name}", "Dataset"},
	{"Dataset_UploadBlock", http.MethodPatch, "/Dataset/{name}/data", "Dataset"},
	{"Dataset_GetData", http.MethodGet, "/Dataset/{name}/data", "Dataset"},
	{"Job_GetList", http.MethodGet, "/Job", "Job"},
	{"Job_CreateJob", http.MethodPost, "/Job", "Job"},
	{"Job_GetByName", http.MethodGet, "/Job/{name}", "Job"},
	{"ApiKey_GetList", http.MethodGet, "/ApiKey", "ApiKey"},
	{"ApiKey_CreateApiKey", http.MethodPost, "/ApiKey", "ApiKey"},
	{"ApiKey_GetByKey", http.MethodGet, "/ApiKey/{key}", "ApiKey"},
	{"ApiKey_UpdateByKey", http.MethodPut, "/ApiKey/{key}", "ApiKey"},
	{"ApiKey_DeleteByKey", http.MethodDelete, "/ApiKey/{key}", "ApiKey"},
	{"ApiKey_AddAllowedDomain", http.MethodPut, "/ApiKey/{key}/allowedDomains/{domain}", "ApiKey"},
	{"ApiKey_AddAllowedIPPUT", http.MethodPut, "/ApiKey/{key}/allowedIPs/{network}/{prefix}", "ApiKey"},
	{"ClientCredential_GetList", http.MethodGet, "/ClientCredential", "ClientCredential"},
	{"ClientCredential_Create", http.MethodPost, "/ClientCredential", "ClientCredential"},
	{"ClientCredential_GetById", http.MethodGet, "/ClientCredential/{id}", "ClientCredential"},
}

// TestOperationIDsAreDefinedOnce: internal/opid names exactly the contract's operations.
func TestOperationIDsAreDefinedOnce(t *testing.T) {
	var want []string
	for _, op := range contractOperations {
		want = append(want, op.id)
	}
	if got := opid.All(); !slices.Equal(got, want) {
		t.Errorf("opid.All() = %v\nwant the contract's %v", got, want)
	}
}

func TestContractOperations(t *testing.T) {
	doc := loadSpec(t)
	seen := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			seen[method+" "+path+" "+op.OperationID] = true
		}
	}
	if len(seen) != len(contractOperations) {
		t.Errorf("spec has %d operations, contract has %d", len(seen), len(contractOperations))
	}
	for _, want := range contractOperations {
		item := doc.Paths.Find(want.path)
		if item == nil {
			t.Errorf("%s: path %s missing", want.id, want.path)
			continue
		}
		op := item.GetOperation(want.method)
		if op == nil {
			t.Errorf("%s: %s %s missing", want.id, want.method, want.path)
			continue
		}
		if op.OperationID != want.id {
			t.Errorf("%s %s: operationId = %q, want %q", want.method, want.path, op.OperationID, want.id)
		}
		if !slices.Equal(op.Tags, []string{want.tag}) {
			t.Errorf("%s: tags = %v, want [%s]", want.id, op.Tags, want.tag)
		}
		if op.Summary == "" || op.Description == "" {
			t.Errorf("%s: summary and description are required", want.id)
		}
		for _, code := range []int{http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent} {
			if op.Responses.Status(code) == nil {
				t.Errorf("%s: no %d response (D-4)", want.id, code)
			}
		}
		if op.Responses.Status(http.StatusUnauthorized) == nil {
			t.Errorf("%s: no 401 response", want.id)
		}
		if r := op.Responses.Status(http.StatusTooManyRequests); r == nil || r.Value.Headers["Retry-After"] == nil {
			t.Errorf("%s: no 429 response with a Retry-After header", want.id)
		}
		if strings.Contains(want.path, "{") && op.Responses.Status(http.StatusNotFound) == nil {
			t.Errorf("%s: names a resource in its path but has no 404 response", want.id)
		}
		if (op.RequestBody != nil || len(op.Parameters)+len(item.Parameters) > 0 && want.method != http.MethodGet) &&
			op.Responses.Status(http.StatusBadRequest) == nil && want.method != http.MethodDelete {
			t.Errorf("%s: takes input but has no 400 response", want.id)
		}
	}
}

// TestErrorResponsesAreTolerant: every error answer (4xx and default) offers the documented problem details
// as application/problem+json, and also admits plain JSON and any other body or none (D-3): a client decides
// by the status code, so a guess about the media type must not make an answer invalid.
func TestErrorResponsesAreTolerant(t *testing.T) {
	doc := loadSpec(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Responses.Default() == nil {
				t.Errorf("%s %s: no default response", method, path)
			}
			for code, resp := range op.Responses.Map() {
				if !strings.HasPrefix(code, "4") && code != "default" {
					continue
				}
				c := resp.Value.Content
				types := slices.Sorted(maps.Keys(c))
				if !slices.Equal(types, []string{"*/*", "application/json", "application/problem+json"}) {
					t.Errorf("%s %s %s: content types %v, want application/problem+json, application/json and */*", method, path, code, types)
					continue
				}
				if c["application/problem+json"].Schema == nil || c["application/json"].Schema == nil || c["*/*"].Schema != nil {
					t.Errorf("%s %s %s: problem details for the JSON types, no schema for */*", method, path, code)
				}
			}
		}
	}
}

// TestEverySuccessIsDeclared: every operation declares 200, 201, 202 and 204 (D-4: which 2xx a server sends is
// not documented), 204 without a body, and the others with the same content as 200.
func TestEverySuccessIsDeclared(t *testing.T) {
	doc := loadSpec(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ok := op.Responses.Status(http.StatusOK)
			if ok == nil {
				t.Errorf("%s %s: no 200", method, path)
				continue
			}
			for _, code := range []int{http.StatusCreated, http.StatusAccepted} {
				r := op.Responses.Status(code)
				if r == nil || !reflect.DeepEqual(slices.Sorted(maps.Keys(r.Value.Content)), slices.Sorted(maps.Keys(ok.Value.Content))) {
					t.Errorf("%s %s: %d missing or unlike 200", method, path, code)
				}
			}
			if r := op.Responses.Status(http.StatusNoContent); r == nil || len(r.Value.Content) != 0 {
				t.Errorf("%s %s: 204 missing or with a body", method, path)
			}
		}
	}
}

func TestSecurityIsOAuth2ClientCredentials(t *testing.T) {
	doc := loadSpec(t)
	scheme := doc.Components.SecuritySchemes["oauth2"]
	if scheme == nil || scheme.Value.Type != "oauth2" || scheme.Value.Flows == nil || scheme.Value.Flows.ClientCredentials == nil {
		t.Fatalf("components.securitySchemes.oauth2 must be an OAuth2 client-credentials scheme")
	}
	flow := scheme.Value.Flows.ClientCredentials
	if flow.TokenURL != "https://auth.data-8.co.uk/connect/token" {
		t.Errorf("tokenUrl = %q", flow.TokenURL)
	}
	if _, ok := flow.Scopes["BatchApi"]; !ok || len(flow.Scopes) != 1 {
		t.Errorf("scopes = %v, want exactly BatchApi", flow.Scopes)
	}
	want := openapi3.SecurityRequirements{{"oauth2": {"BatchApi"}}}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			effective := doc.Security
			if op.Security != nil {
				effective = *op.Security
			}
			if !reflect.DeepEqual(effective, want) {
				t.Errorf("%s %s: security %v, want oauth2 BatchApi", method, path, effective)
			}
		}
	}
}

// TestInferredPointsSayWhatTheyAssume walks the raw YAML: every node with x-data8-inferred must be true and carry
// a description and an x-data8-assumption sentence, so `grep -A1 x-data8-inferred` lists every assumption, and
// the description must state the assumption as well.
func TestInferredPointsSayWhatTheyAssume(t *testing.T) {
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var root any
	if err := yaml.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	count := 0
	var walk func(path string, n any)
	walk = func(path string, n any) {
		switch v := n.(type) {
		case map[string]any:
			if flag, ok := v["x-data8-inferred"]; ok {
				count++
				if flag != true {
					t.Errorf("%s: x-data8-inferred = %v, want true", path, flag)
				}
				d, _ := v["description"].(string)
				if d == "" {
					t.Errorf("%s: inferred point without a description", path)
				}
				a, _ := v["x-data8-assumption"].(string)
				if len(a) < 20 {
					t.Errorf("%s: inferred point without an x-data8-assumption sentence", path)
				}
				// Other generators and renderers drop x- extensions: the description says it too.
				if !strings.Contains(d, a) {
					t.Errorf("%s: the description does not state the assumption %q", path, a)
				}
			} else if _, ok := v["x-data8-assumption"]; ok {
				t.Errorf("%s: x-data8-assumption without x-data8-inferred", path)
			}
			for k, c := range v {
				walk(path+"/"+k, c)
			}
		case []any:
			for i, c := range v {
				walk(fmt.Sprintf("%s/%d", path, i), c)
			}
		}
	}
	walk("#", root)
	// The contract's decided points: D-1 lives outside this API (token endpoint); D-2..D-14 must all appear.
	for d := 2; d <= 14; d++ {
		if !strings.Contains(string(raw), fmt.Sprintf("D-%d", d)) {
			t.Errorf("no x-data8-assumption cites D-%d", d)
		}
	}
	if count < 30 {
		t.Errorf("only %d inferred points marked; the contract decides far more", count)
	}
	// Dataset_GetData is inferred as a whole (D-10).
	doc := loadSpec(t)
	op := doc.Paths.Find("/Dataset/{name}/data").Get
	if op.Extensions["x-data8-inferred"] != true {
		t.Errorf("Dataset_GetData must be marked x-data8-inferred")
	}
}

// goTypes maps each component schema that carries an example to the generated type it must round-trip through.
var goTypes = map[string]func() any{
	"ApiKey":                   func() any { return new(gen.ApiKey) },
	"ApiKeyUpdate":             func() any { return new(gen.ApiKeyUpdate) },
	"ClientCredential":         func() any { return new(gen.ClientCredential) },
	"Columns":                  func() any { return new(gen.Columns) },
	"Dataset":                  func() any { return new(gen.Dataset) },
	"DatasetName":              func() any { return new(gen.DatasetName) },
	"DatasetRef":               func() any { return new(gen.DatasetRef) },
	"DatasetUpdate":            func() any { return new(gen.DatasetUpdate) },
	"Job":                      func() any { return new(gen.Job) },
	"JobName":                  func() any { return new(gen.JobName) },
	"JobRef":                   func() any { return new(gen.JobRef) },
	"NewApiKey":                func() any { return new(gen.NewApiKey) },
	"NewClientCredential":      func() any { return new(gen.NewClientCredential) },
	"NewDataset":               func() any { return new(gen.NewDataset) },
	"NewJob":                   func() any { return new(gen.NewJob) },
	"ProblemDetails":           func() any { return new(gen.ProblemDetails) },
	"Record":                   func() any { return new(gen.Record) },
	"RecordBlock":              func() any { return new(gen.RecordBlock) },
	"ValidationProblemDetails": func() any { return new(gen.ValidationProblemDetails) },
}

func TestExamplesRoundTripThroughGeneratedTypes(t *testing.T) {
	doc := loadSpec(t)
	tried := 0
	check := func(where, component string, schema *openapi3.SchemaRef, example any) {
		t.Helper()
		if example == nil {
			return
		}
		if err := schema.Value.VisitJSON(example); err != nil {
			t.Errorf("%s: example does not match its schema: %v", where, err)
		}
		name, elem := schemaName(schema)
		if component != "" {
			name, elem = component, false
		}
		mk := goTypes[name]
		if mk == nil {
			t.Errorf("%s: no generated type listed for schema %q", where, name)
			return
		}
		in, _ := json.Marshal(example)
		if elem {
			var items []json.RawMessage
			if err := json.Unmarshal(in, &items); err != nil {
				t.Errorf("%s: %v", where, err)
				return
			}
			for i, item := range items {
				roundTrip(t, fmt.Sprintf("%s[%d]", where, i), mk, item)
			}
		} else {
			roundTrip(t, where, mk, in)
		}
		tried++
	}
	for name, s := range doc.Components.Schemas {
		check("components.schemas."+name, name, s, s.Value.Example)
	}
	for name, r := range doc.Components.Responses {
		for ct, mt := range r.Value.Content {
			check("components.responses."+name+"."+ct, "", mt.Schema, mt.Example)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, r := range op.Responses.Map() {
				for ct, mt := range r.Value.Content {
					check(method+" "+path+" "+code+" "+ct, "", mt.Schema, mt.Example)
				}
			}
		}
	}
	if tried < 20 {
		t.Errorf("only %d examples round-tripped", tried)
	}
}

// schemaName names the component schema behind ref, or behind its items when it is an array.
func schemaName(s *openapi3.SchemaRef) (name string, array bool) {
	if s.Ref == "" && s.Value.Type.Is("array") && s.Value.Items != nil {
		n, _ := schemaName(s.Value.Items)
		return n, true
	}
	return s.Ref[strings.LastIndex(s.Ref, "/")+1:], false
}

func roundTrip(t *testing.T, where string, mk func() any, in []byte) {
	t.Helper()
	v := mk()
	if err := json.Unmarshal(in, v); err != nil {
		t.Errorf("%s: unmarshal into %T: %v", where, v, err)
		return
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Errorf("%s: marshal %T: %v", where, v, err)
		return
	}
	var a, b any
	_ = json.Unmarshal(in, &a)
	_ = json.Unmarshal(out, &b)
	if !sameJSON(a, b) {
		t.Errorf("%s: round trip through %T changed the example\n in: %s\nout: %s", where, v, in, out)
	}
}

// sameJSON compares decoded JSON, treating a null member, an empty object and an empty array as absent (the
// generated types leave out empty members) and equal instants as equal whatever their spelling (.NET writes
// seven fractional digits; Go writes none).
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range x {
			if absent(v) {
				if !absent(y[k]) {
					return false
				}
				continue
			}
			if !sameJSON(v, y[k]) {
				return false
			}
		}
		for k, v := range y {
			if _, ok := x[k]; !ok && !absent(v) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		tx, e1 := time.Parse(time.RFC3339Nano, x)
		ty, e2 := time.Parse(time.RFC3339Nano, y)
		return e1 == nil && e2 == nil && tx.Equal(ty)
	default:
		return reflect.DeepEqual(a, b)
	}
}

// absent reports whether a member's value reads the same as a member left out.
func absent(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// TestPlausibleAnswersValidate: answers that a server following every documented rule may send, deciding the
// silent points otherwise than this project's stand-in does, are valid by the spec (kin-openapi, with the
// spec's own time format). A spec that refused them would make every client generated from it refuse them.
func TestPlausibleAnswersValidate(t *testing.T) {
	spec, err := specval.Load()
	if err != nil {
		t.Fatal(err)
	}
	dataset := `{"name":"contacts","columns":{"a":0},"input":true,"recordCount":0,"completed":false}`
	job := `{"name":"Clean 1","workflowName":"Clean","submittedAt":"2020-01-02T03:04:05.0000000","completedAt":"0001-01-01T00:00:00","status":7,"percentComplete":null,"estimatedFinishTime":null,"statistics":null,"inputDatasets":{"Input":"contacts"},"outputDatasets":{"Output":"Output_1"},"parameters":{},"inputFilename":null,"outputFilenames":null,"correlationId":"x-1"}`
	for _, tc := range []struct {
		name, method, path, op string
		status                 int
		ct, body               string
	}{
		{"201 on create", "POST", "/Dataset", "Dataset_Create", 201, "application/json", dataset},
		{"202 on create", "POST", "/Job", "Job_CreateJob", 202, "application/json", job},
		{"204 on create", "POST", "/Dataset", "Dataset_Create", 204, "", ""},
		{"201 without a body (Created(uri, null))", "POST", "/ClientCredential", "ClientCredential_Create", 201, "", ""},
		{"202 without a body (Accepted())", "POST", "/Job", "Job_CreateJob", 202, "", ""},
		{"204 on upload", "PATCH", "/Dataset/{name}/data", "Dataset_UploadBlock", 204, "", ""},
		{"200 with a body on upload", "PATCH", "/Dataset/{name}/data", "Dataset_UploadBlock", 200, "application/json", `{"accepted":1000}`},
		{"204 on complete", "PUT", "/Dataset/{name}", "Dataset_UpdateByName", 204, "", ""},
		{"201 on update", "PUT", "/ApiKey/{key}", "ApiKey_UpdateByKey", 201, "application/json", `{"key":"K","expiresOn":"2030-01-01T00:00:00"}`},
		{"204 on delete", "DELETE", "/ApiKey/{key}", "ApiKey_DeleteByKey", 204, "", ""},
		{"204 for an empty list", "GET", "/Job", "Job_GetList", 204, "", ""},
		{".NET times, unset completedAt, nulls, unknown members", "GET", "/Job/{name}", "Job_GetByName", 200, "application/json", job},
		{"zone-less times in a list, no location", "GET", "/Job", "Job_GetList", 200, "application/json", `[{"name":"Clean 1","workflowName":"Clean","submittedAt":"2020-01-02T03:04:05.1234567","status":1}]`},
		{"output dataset Output_1, no location, unknown members", "GET", "/Dataset", "Dataset_GetList", 200, "application/json", `[{"name":"Output_1","input":false,"completed":true,"recordCount":12,"location":null},{"name":"contacts"}]`},
		{"output dataset by name", "GET", "/Dataset/{name}", "Dataset_GetByName", 200, "application/json", `{"name":"Output_1","columns":{"firstname":0,"score":4},"input":false,"recordCount":5003,"completed":true,"createdAt":"2020-01-02T03:04:05"}`},
		{"a read-back page of 500 and more", "GET", "/Dataset/{name}/data", "Dataset_GetData", 200, "application/json", "[" + strings.Repeat(`{"a":1},`, 1500) + `{"a":null}]`},
		{"API key with a .NET expiry and nulls", "GET", "/ApiKey/{key}", "ApiKey_GetByKey", 200, "application/json", `{"key":"K","description":null,"username":null,"expiresOn":"2030-01-01T00:00:00","maxRequestsPerIPPerDay":null,"allowedDomains":null,"allowedIPs":null,"allowedServices":null,"isClientKey":false}`},
		{"client credential with unknown members", "GET", "/ClientCredential/{id}", "ClientCredential_GetById", 200, "application/json", `{"clientId":"c1","description":null,"secrets":null,"allowedScopes":["BatchApi"]}`},
		{"409 for a duplicate name, problem details", "POST", "/Dataset", "Dataset_Create", 409, "application/problem+json", `{"title":"Conflict","status":409}`},
		{"400 as plain JSON, PascalCase", "POST", "/Dataset", "Dataset_Create", 400, "application/json", `{"Title":"Bad","Errors":{"Name":["taken"]}}`},
		{"400 with an empty body", "POST", "/Job", "Job_CreateJob", 400, "", ""},
		{"404 as HTML from a proxy", "GET", "/Job/{name}", "Job_GetByName", 404, "text/html", "<html>gone</html>"},
		{"500 with an empty body", "GET", "/Dataset", "Dataset_GetList", 500, "", ""},
		{"503 as text", "PATCH", "/Dataset/{name}/data", "Dataset_UploadBlock", 503, "text/plain", "busy"},
		{"401 with an empty body", "GET", "/ApiKey", "ApiKey_GetList", 401, "", ""},
	} {
		if err := validateAnswer(spec, tc.method, tc.path, tc.status, tc.ct, tc.body); err != nil {
			t.Errorf("%s (%s %d): refused: %v", tc.name, tc.op, tc.status, err)
		}
	}
	// The spec stays strict where the docs speak: a time that is not a time, or a list page of datasets
	// beyond the documented 100, is refused. (A test that cannot fail proves nothing.)
	for _, tc := range []struct {
		name, method, path string
		status             int
		body               string
	}{
		{"a time that is not a time", "GET", "/Job/{name}", 200, `{"name":"j","submittedAt":"yesterday"}`},
		{"a status that is not a number", "GET", "/Job/{name}", 200, `{"name":"j","status":"done"}`},
		{"101 datasets on a page", "GET", "/Dataset", 200, "[" + strings.Repeat(`{"name":"a"},`, 100) + `{"name":"a"}]`},
		{"a dataset without a name", "GET", "/Dataset/{name}", 200, `{"columns":{}}`},
	} {
		if err := validateAnswer(spec, tc.method, tc.path, tc.status, "application/json", tc.body); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// validateAnswer checks one answer against the spec as the conformance suite does, through internal/specval
// (the spec embedded in package gen, which make check-generated keeps equal to openapi.yaml).
func validateAnswer(spec *specval.Spec, method, path string, status int, ct, body string) error {
	concrete := strings.NewReplacer("{", "", "}", "").Replace(path)
	op, params := spec.Find(method, concrete)
	if op == nil || op.Path != path {
		return fmt.Errorf("no operation %s %s", method, path)
	}
	req := httptest.NewRequest(method, "https://api.data-8.co.uk"+concrete, nil)
	header := http.Header{}
	if ct != "" {
		header.Set("Content-Type", ct)
	}
	if msgs := spec.CheckResponse(context.Background(), req, op, params, status, header, []byte(body)); len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}
