package specval

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFindings checks the classification of findings: each names the spec node its rule sits in,
// and is inferred, with the contract's point, exactly when a node on the way is marked
// x-data8-inferred (or only the inferred part of a rule was broken).
func TestFindings(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	job := `{"name":"j","workflowName":"Echo","submittedAt":"2020-01-02T03:04:05.0000000Z","status":1}`
	for _, tc := range []struct {
		name, method, path string
		status             int
		ct, body           string
		kind               FindingKind // "" for an answer the spec accepts
		inferred           bool
		point, pointer     string
	}{
		// What the spec accepts whatever the server decided: no finding at all.
		{"201 on a create", "POST", "/Dataset", 201, "application/json", `{"name":"a","columns":{},"input":true,"recordCount":0,"completed":false}`, "", false, "", ""},
		{"409 with a plain JSON problem", "POST", "/Job", 409, "application/json", `{"title":"x"}`, "", false, "", ""},
		{"an empty 404", "GET", "/Job/x", 404, "", ``, "", false, "", ""},
		{"an empty 200 where a body is declared (D-4: a 2xx may carry none)", "GET", "/Dataset/a", 200, "", ``, "", false, "", ""},
		{"an empty 201 on a create", "POST", "/Dataset", 201, "", ``, "", false, "", ""},
		{"a zone-less time", "GET", "/Job/j", 200, "application/json", strings.Replace(job, "Z\"", "\"", 1), "", false, "", ""},
		{"an unset .NET time", "GET", "/Job/j", 200, "application/json", strings.Replace(job, `"status"`, `"completedAt":"0001-01-01T00:00:00","status"`, 1), "", false, "", ""},
		{"a backslash in a listed job name", "GET", "/Job", 200, "application/json", `[{"name":"a\\b","workflowName":"Echo","submittedAt":"2020-01-02T03:04:05Z","status":1}]`, "", false, "", ""},
		{"a listed dataset without location", "GET", "/Dataset", 200, "application/json", `[{"name":"Output_1","input":false,"completed":true}]`, "", false, "", ""},
		// Findings: the nearest marked node decides, and names the point.
		{"a time that is no time sits in Job, marked D-13/D-14", "GET", "/Job/j", 200, "application/json", strings.Replace(job, "2020-01-02T03:04:05.0000000Z", "yesterday", 1), KindBody, true, "D-14", "#/components/schemas/Job/properties/submittedAt"},
		{"a Dataset answer's member is D-6/D-8", "GET", "/Dataset/a", 200, "application/json", `{"name":"a","columns":{},"input":"yes","recordCount":0,"completed":false}`, KindBody, true, "D-6/D-8", "#/components/schemas/Dataset/properties/input"},
		{"101 datasets on a page: the list answer is marked D-4/D-6", "GET", "/Dataset", 200, "application/json", "[" + strings.TrimSuffix(strings.Repeat(`{"name":"a","input":true,"completed":false,"location":"http://h/Dataset/a"},`, 101), ",") + "]", KindBody, true, "D-4/D-6", "#/paths/~1Dataset/get/responses/200/content/application~1json/schema"},
		{"a 404 problem whose status member says 400 breaks the documented ProblemDetails (RFC 9457: the same code)", "GET", "/Dataset/a", 404, "application/problem+json", `{"title":"Not Found","status":400}`, KindBody, false, "", "#/components/schemas/ProblemDetails/properties/status"},
		{"a 404 problem whose status member is 404, or null, or absent: no finding", "GET", "/Job/x", 404, "application/problem+json; charset=utf-8", `{"title":"Not Found","status":404}`, "", false, "", ""},
		{"a 400 problem with a null status member", "POST", "/Job", 400, "application/problem+json", `{"title":"x","status":null}`, "", false, "", ""},
		{"an API key without its key breaks the documented ApiKey (ApiKeyOK's mark is about its status only)", "GET", "/ApiKey/K", 200, "application/json", `{"description":"x"}`, KindBody, false, "", "#/components/schemas/ApiKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op, params := s.Find(tc.method, tc.path)
			if op == nil {
				t.Fatalf("no operation %s %s", tc.method, tc.path)
			}
			req := httptest.NewRequest(tc.method, "http://h"+tc.path, nil)
			h := http.Header{}
			if tc.ct != "" {
				h.Set("Content-Type", tc.ct)
			}
			fs := s.Findings(context.Background(), req, op, params, tc.status, h, []byte(tc.body))
			if tc.kind == "" {
				if len(fs) > 0 {
					t.Fatalf("findings %+v; want none", fs)
				}
				return
			}
			var got *Finding
			for i := range fs {
				if fs[i].Kind == tc.kind {
					got = &fs[i]
					break
				}
			}
			if got == nil {
				t.Fatalf("no %s finding in %+v", tc.kind, fs)
			}
			if got.Inferred != tc.inferred || got.Point != tc.point || got.Pointer != tc.pointer {
				t.Errorf("finding %+v; want inferred %v, point %q, pointer %q", *got, tc.inferred, tc.point, tc.pointer)
			}
			if strings.Contains(got.Message, "a\\b") {
				t.Errorf("the finding quotes the value: %s", got.Message)
			}
		})
	}
}
