package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/data8-toolkit/data8/gen"
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
		if op.Responses.Status(http.StatusOK) == nil {
			t.Errorf("%s: no 200 response (D-4)", want.id)
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

func TestErrorResponsesAreProblemJSON(t *testing.T) {
	doc := loadSpec(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				if !strings.HasPrefix(code, "4") {
					continue
				}
				var types []string
				for ct := range resp.Value.Content {
					types = append(types, ct)
				}
				if !slices.Equal(types, []string{"application/problem+json"}) {
					t.Errorf("%s %s %s: content types %v, want only application/problem+json", method, path, code, types)
				}
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
// a description and an x-data8-assumption sentence, so `grep -A1 x-data8-inferred` lists every assumption.
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
				if d, _ := v["description"].(string); d == "" {
					t.Errorf("%s: inferred point without a description", path)
				}
				if a, _ := v["x-data8-assumption"].(string); len(a) < 20 {
					t.Errorf("%s: inferred point without an x-data8-assumption sentence", path)
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

// sameJSON compares decoded JSON, treating a null member as absent and equal instants as equal whatever their
// spelling (.NET writes seven fractional digits; Go writes none).
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range x {
			if v == nil {
				if y[k] != nil {
					return false
				}
				continue
			}
			if !sameJSON(v, y[k]) {
				return false
			}
		}
		for k, v := range y {
			if _, ok := x[k]; !ok && v != nil {
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
