package specval

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// verdictSpec is a spec small enough to hold each way a rule can be documented or decided: an operation
// with nothing marked, an operation marked x-data8-inferred, a response whose mark is about its status
// code only, a marked response, and a schema with documented and decided members.
const verdictSpec = `
openapi: 3.0.3
info: {title: verdict, version: "1"}
paths:
  /thing/{name}:
    parameters: [{name: name, in: path, required: true, schema: {type: string}}]
    get:
      operationId: Thing_Get
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}}
  /created:
    get:
      operationId: Created_Get
      responses:
        "201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}}
  /things:
    get:
      operationId: Thing_List
      tags: [Thing]
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: array, items: {$ref: "#/components/schemas/Thing"}}}}}
  /thingmap:
    get:
      operationId: ListThingMaps
      tags: [Thing]
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object, additionalProperties: {$ref: "#/components/schemas/Thing"}}}}}
  /counted:
    get:
      operationId: Counted_Get
      responses:
        "200":
          description: ok
          headers: {X-Count: {required: true, schema: {type: integer}}}
          content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}
  /countedmarked:
    get:
      operationId: CountedMarked_Get
      responses:
        "200":
          description: ok
          x-data8-inferred: true
          x-data8-assumption: "D-5: the count header is inferred."
          headers: {X-Count: {required: true, schema: {type: integer}}}
          content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}
  /decided:
    get:
      operationId: Decided_Get
      x-data8-inferred: true
      x-data8-assumption: "D-9: the whole operation is decided."
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}}
  /statusonly:
    get:
      operationId: StatusOnly_Get
      responses:
        "200":
          description: ok
          x-data8-inferred: true
          x-data8-assumption: "D-4: the 200 status is inferred."
          content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}
  /twoanswers:
    get:
      operationId: TwoAnswers_Get
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}}
        "201":
          description: created
          x-data8-inferred: true
          x-data8-assumption: "D-7: the 201 answer is inferred."
          content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}
  /markedanswer:
    get:
      operationId: MarkedAnswer_Get
      responses:
        "200":
          description: ok
          x-data8-inferred: true
          x-data8-assumption: "D-8: the answer is inferred."
          content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}
components:
  schemas:
    JobName: {type: string, pattern: '^[^/:*?"<>|\\]+$'}
    Part:
      type: object
      x-data8-inferred: true
      x-data8-assumption: "D-3: the part is inferred."
      properties: {n: {type: integer}}
    Thing:
      type: object
      required: [name]
      properties:
        name: {$ref: "#/components/schemas/JobName"}
        count: {type: integer}
        decided: {type: integer, x-data8-inferred: true, x-data8-assumption: "D-2: decided is inferred."}
        when: {type: string, format: date-time}
        part: {allOf: [{$ref: "#/components/schemas/Part"}]}
`

// verdict is the part of a Finding the suite's verdict rests on.
type verdict struct {
	kind     FindingKind
	inferred bool
	point    string
}

func (v verdict) String() string {
	if !v.inferred {
		return fmt.Sprintf("%s: failed (documented)", v.kind)
	}
	return fmt.Sprintf("%s: observed (%s)", v.kind, v.point)
}

// findings checks one answer against the verdict spec and returns the verdicts of its findings.
func findings(t *testing.T, s *Spec, path string, status int, ct, body string) []verdict {
	t.Helper()
	op, params := s.Find("GET", path)
	if op == nil {
		t.Fatalf("no operation GET %s", path)
	}
	h := http.Header{}
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	var vs []verdict
	for _, f := range s.Findings(context.Background(), httptest.NewRequest("GET", "http://h"+path, nil), op, params, status, h, []byte(body)) {
		vs = append(vs, verdict{f.Kind, f.Inferred, f.Point})
	}
	return vs
}

func loadVerdictSpec(t *testing.T) *Spec {
	t.Helper()
	s, err := LoadData([]byte(verdictSpec))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestUndeclaredStatusVerdict: an undeclared success or client-error status is an observation of the
// contract's D-4 (or of the point the operation or its success answer is marked with); any other
// undeclared status (a 5xx above all, a 1xx, a 3xx) is a failure, even on an operation that is decided
// as a whole.
func TestUndeclaredStatusVerdict(t *testing.T) {
	s := loadVerdictSpec(t)
	const ct, body = "application/json", `{"name":"a"}`
	for _, tc := range []struct {
		path   string
		status int
		want   verdict // kind "" for no finding
	}{
		{"/thing/a", 200, verdict{}},
		{"/created", 200, verdict{KindStatus, true, "D-4"}},
		{"/thing/a", 201, verdict{KindStatus, true, "D-4"}},
		{"/thing/a", 204, verdict{KindStatus, true, "D-4"}},
		{"/thing/a", 299, verdict{KindStatus, true, "D-4"}},
		{"/markedanswer", 202, verdict{KindStatus, true, "D-8"}},
		{"/twoanswers", 202, verdict{KindStatus, true, "D-4"}}, // the first success answer (200) decides
		{"/thing/a", 400, verdict{KindStatus, true, "D-4"}},
		{"/thing/a", 404, verdict{KindStatus, true, "D-4"}},
		{"/thing/a", 499, verdict{KindStatus, true, "D-4"}},
		{"/decided", 409, verdict{KindStatus, true, "D-9"}},
		{"/thing/a", 100, verdict{KindStatus, false, ""}},
		{"/thing/a", 199, verdict{KindStatus, false, ""}},
		{"/thing/a", 300, verdict{KindStatus, false, ""}},
		{"/thing/a", 302, verdict{KindStatus, false, ""}},
		{"/thing/a", 399, verdict{KindStatus, false, ""}},
		{"/thing/a", 500, verdict{KindStatus, false, ""}},
		{"/thing/a", 501, verdict{KindStatus, false, ""}},
		{"/thing/a", 502, verdict{KindStatus, false, ""}},
		{"/thing/a", 503, verdict{KindStatus, false, ""}},
		{"/thing/a", 504, verdict{KindStatus, false, ""}},
		{"/thing/a", 599, verdict{KindStatus, false, ""}},
		{"/decided", 500, verdict{KindStatus, false, ""}},
		{"/decided", 503, verdict{KindStatus, false, ""}},
		{"/markedanswer", 500, verdict{KindStatus, false, ""}},
		{"/statusonly", 502, verdict{KindStatus, false, ""}},
	} {
		got := findings(t, s, tc.path, tc.status, ct, body)
		var status []verdict
		for _, v := range got {
			if v.kind == KindStatus {
				status = append(status, v)
			}
		}
		switch {
		case tc.want.kind == "" && len(got) > 0:
			t.Errorf("%d on GET %s: %v, want no finding", tc.status, tc.path, got)
		case tc.want.kind != "" && (len(status) != 1 || status[0] != tc.want):
			t.Errorf("%d on GET %s: %v, want one %v", tc.status, tc.path, got, tc.want)
		}
	}
}

// TestDocumentedAndDecidedRules: a rule broken at a documented node fails the server; one broken under a
// node marked x-data8-inferred is an observation naming the contract's point. A job name breaks the
// documented rule with any of / : * ? " < > | and the backslash (characters invalid in file names).
func TestDocumentedAndDecidedRules(t *testing.T) {
	s := loadVerdictSpec(t)
	const ct = "application/json"
	failed := verdict{KindBody, false, ""}
	observed := func(point string) verdict { return verdict{KindBody, true, point} }
	type rule struct {
		name, path, ct, body string
		want                 verdict
	}
	cases := []rule{
		{"a documented member of the wrong type", "/thing/a", ct, `{"name":"a","count":"x"}`, failed},
		{"a documented required member missing", "/thing/a", ct, `{"count":1}`, failed},
		{"a decided member of the wrong type", "/thing/a", ct, `{"name":"a","decided":"x"}`, observed("D-2")},
		{"a member of a decided schema, through allOf", "/thing/a", ct, `{"name":"a","part":{"n":"x"}}`, observed("D-3")},
		{"a documented member under a status-only mark", "/statusonly", ct, `{"name":"a","count":"x"}`, failed},
		{"a documented member in a marked answer", "/markedanswer", ct, `{"name":"a","count":"x"}`, observed("D-8")},
		{"a decided member in a marked answer: the nearer mark", "/markedanswer", ct, `{"name":"a","decided":"x"}`, observed("D-2")},
		{"a time without a zone", "/thing/a", ct, `{"name":"a","when":"2020-01-02T03:04:05.1234567"}`, observed("times")},
		{"an unset .NET time", "/thing/a", ct, `{"name":"a","when":"0001-01-01T00:00:00"}`, observed("D-14")},
		{"a time that is no time", "/thing/a", ct, `{"name":"a","when":"yesterday"}`, failed},
		{"a zone-less time with eight fraction digits, which .NET never writes", "/thing/a", ct, `{"name":"a","when":"2020-01-02T03:04:05.12345678"}`, failed},
		{"a job name with a backslash", "/thing/a", ct, `{"name":"a\\b"}`, failed},
		{"an empty job name", "/thing/a", ct, `{"name":""}`, failed},
		{"a documented member of a listed item", "/things", ct, `[{"name":"a"},{"name":"b","count":"x"}]`, failed},
		{"a decided member of a listed item", "/things", ct, `[{"name":"a"},{"name":"b","decided":"x"}]`, observed("D-2")},
		{"a job name with a backslash in a listed item", "/things", ct, `[{"name":"a\\b"}]`, failed},
		{"a documented member of a map's value", "/thingmap", ct, `{"k":{"name":"a","count":"x"}}`, failed},
		{"a decided member of a map's value", "/thingmap", ct, `{"k":{"name":"a","decided":"x"}}`, observed("D-2")},
		{"a decided member of a map's value under a numeric key", "/thingmap", ct, `{"1":{"name":"a","decided":"x"}}`, observed("D-2")},
		{"a member of a decided schema in a map's value", "/thingmap", ct, `{"k":{"name":"a","part":{"n":"x"}}}`, observed("D-3")},
		{"a body that is not JSON", "/thing/a", ct, `{"name":`, failed},
		{"a body that is not JSON in a marked answer", "/markedanswer", ct, `{"name":`, observed("D-8")},
		{"a documented header missing", "/counted", ct, `{"name":"a"}`, verdict{KindHeader, false, ""}},
		{"a header of a marked answer missing", "/countedmarked", ct, `{"name":"a"}`, verdict{KindHeader, true, "D-5"}},
		{"an undeclared media type", "/thing/a", "text/html", `<p>`, verdict{KindContentType, false, ""}},
		{"an undeclared media type on a decided operation", "/decided", "text/html", `<p>`, verdict{KindContentType, true, "D-9"}},
		{"an undeclared media type in a marked answer", "/markedanswer", "text/html", `<p>`, verdict{KindContentType, true, "D-8"}},
	}
	for _, c := range []string{"/", ":", "*", "?", `\"`, "<", ">", "|"} {
		cases = append(cases,
			rule{"a job name with " + c, "/thing/a", ct, `{"name":"a` + c + `b"}`, failed},
			rule{"a job name with " + c + " and a backslash", "/thing/a", ct, `{"name":"a` + c + `b\\"}`, failed})
	}
	for _, tc := range cases {
		got := findings(t, s, tc.path, 200, tc.ct, tc.body)
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s (%s): %v, want one %v", tc.name, tc.body, got, tc.want)
		}
	}
}

// TestMarkedAt: an observation names the node that carries the mark, following a $ref.
func TestMarkedAt(t *testing.T) {
	s := loadVerdictSpec(t)
	for _, tc := range []struct{ path, body, want string }{
		{"/thing/a", `{"name":"a","part":{"n":"x"}}`, "#/components/schemas/Part"},
		{"/thing/a", `{"name":"a","decided":"x"}`, "#/components/schemas/Thing/properties/decided"},
		{"/markedanswer", `{"name":"a","count":"x"}`, "#/paths/~1markedanswer/get/responses/200"},
	} {
		op, params := s.Find("GET", tc.path)
		h := http.Header{"Content-Type": {"application/json"}}
		fs := s.Findings(context.Background(), httptest.NewRequest("GET", "http://h"+tc.path, nil), op, params, 200, h, []byte(tc.body))
		if len(fs) != 1 || fs[0].MarkedAt != tc.want {
			t.Errorf("%s %s: findings %+v, want one marked at %s", tc.path, tc.body, fs, tc.want)
		}
	}
}
