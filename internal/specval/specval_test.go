package specval

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestLoadAndFind(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Operations()); n != 19 {
		t.Errorf("%d operations, want 19", n)
	}
	for _, tc := range []struct {
		method, path, op string
		params           map[string]string
	}{
		{"GET", "/Dataset", "Dataset_GetList", nil},
		{"PATCH", "/Dataset/abc/data", "Dataset_UploadBlock", map[string]string{"name": "abc"}},
		{"GET", "/Job/my%20job%20%231", "Job_GetByName", map[string]string{"name": "my job #1"}},
		{"PUT", "/ApiKey/K/allowedIPs/1.2.3.0%2F24/", "ApiKey_AddAllowedIPPUT", map[string]string{"key": "K", "network": "1.2.3.0/24", "prefix": ""}},
		{"GET", "/ClientCredential/x", "ClientCredential_GetById", map[string]string{"id": "x"}},
		{"GET", "/Nope", "", nil},
		{"DELETE", "/Dataset/abc", "", nil},
	} {
		op, params := s.Find(tc.method, tc.path)
		switch {
		case tc.op == "" && op != nil:
			t.Errorf("Find(%s %s) = %s, want none", tc.method, tc.path, op.ID)
		case tc.op != "" && (op == nil || op.ID != tc.op):
			t.Errorf("Find(%s %s) = %v, want %s", tc.method, tc.path, op, tc.op)
		case tc.op != "":
			for k, v := range tc.params {
				if params[k] != v {
					t.Errorf("Find(%s %s): param %s = %q, want %q", tc.method, tc.path, k, params[k], v)
				}
			}
		}
	}
	if s.Operation("Dataset_GetList") == nil || s.Operation("DatasetGetList") != nil {
		t.Errorf("Operation looks up ids as api/openapi.yaml spells them")
	}
}

// answer is a canned answer of the test server.
type answer struct {
	status int
	ct     string
	body   string
	header map[string]string
}

func TestTransport(t *testing.T) {
	long := strings.Repeat("X", 5000)
	answers := map[string]answer{
		"/Dataset":                      {200, "application/json", `[{"name":"ok_1","input":true,"completed":false,"location":"http://h/Dataset/ok_1"}]`, nil},
		"/Dataset/bad":                  {200, "application/json", `{"name":"` + long + `","columns":{},"input":"yes","recordCount":0,"completed":false}`, nil},
		"/Dataset/teapot":               {418, "application/problem+json", `{"title":"teapot"}`, nil},
		"/Dataset/html":                 {200, "text/html", `<html>` + long + `</html>`, nil},
		"/Dataset/Output_1":             {201, "application/json", `{"name":"Output_1","input":false,"extra":{"x":1}}`, nil},
		"/Dataset/gone":                 {404, "text/html", `<html>not found</html>`, nil},
		"/Job/late":                     {200, "application/json", `{"name":"late","submittedAt":"2020-01-02T03:04:05.0000000","completedAt":"0001-01-01T00:00:00"}`, nil},
		"/Job/never":                    {200, "application/json", `{"name":"never","submittedAt":"the day before"}`, nil},
		"/Dataset/ok_2/data":            {200, "application/json", `[{"a":1,"b":"x","c":null,"d":true}]`, nil},
		"/Dataset/nested/data":          {200, "application/json", `[{"a":{"x":1}}]`, nil},
		"/Job":                          {500, "application/problem+json", `{"title":"boom"}`, map[string]string{"sl-violations": `[{"message":"Response body property 0 must be boolean"}]`}},
		"/connect/token":                {200, "application/json", `{"access_token":"t"}`, nil},
		"/ApiKey/K/allowedDomains/x.io": {200, "", ``, nil},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := answers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		if a.ct != "" {
			w.Header().Set("Content-Type", a.ct)
		}
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	defer srv.Close()

	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(srv.URL)
	var mu sync.Mutex
	got := map[string]Exchange{}
	hc := &http.Client{Transport: &Transport{
		Spec:    s,
		BaseURL: base,
		Skip:    func(r *http.Request) bool { return r.URL.Path == "/connect/token" },
		Record: func(e Exchange) {
			mu.Lock()
			defer mu.Unlock()
			got[e.Method+" "+e.Path] = e
		},
	}}
	call := func(method, path string) {
		req, _ := http.NewRequestWithContext(WithTag(context.Background(), "CASE-1"), method, srv.URL+path, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for _, p := range []string{"/Dataset", "/Dataset/bad", "/Dataset/teapot", "/Dataset/html", "/Dataset/Output_1", "/Dataset/gone", "/Job/late", "/Job/never", "/Dataset/ok_2/data", "/Dataset/nested/data", "/Job", "/connect/token"} {
		call(http.MethodGet, p)
	}
	call(http.MethodPut, "/ApiKey/K/allowedDomains/x.io")

	want := map[string][]string{
		"GET /Dataset":                      nil,
		"GET /Dataset/bad":                  {`at /input breaks "type"`},
		"GET /Dataset/teapot":               nil, // any status is declared: the default answer takes the rest
		"GET /Dataset/html":                 {`text/html`},
		"GET /Dataset/Output_1":             nil, // 201, a name only jobs make, an unknown member
		"GET /Dataset/gone":                 nil, // an error body may be anything
		"GET /Job/late":                     nil, // .NET's zone-less times
		"GET /Job/never":                    {`at /submittedAt breaks "format"`},
		"GET /Dataset/ok_2/data":            nil,
		"GET /Dataset/nested/data":          {"/0/a"},
		"GET /Job":                          {"the proxy reports: Response body property 0 must be boolean"},
		"PUT /ApiKey/K/allowedDomains/x.io": nil,
	}
	if _, ok := got["GET /connect/token"]; ok {
		t.Errorf("the skipped token endpoint was recorded")
	}
	for key, needles := range want {
		e, ok := got[key]
		if !ok {
			t.Errorf("%s: not recorded", key)
			continue
		}
		if e.Tag != "CASE-1" {
			t.Errorf("%s: tag %q, want CASE-1", key, e.Tag)
		}
		all := strings.Join(e.Violations, "\n")
		if needles == nil && all != "" {
			t.Errorf("%s: unexpected violations:\n%s", key, all)
		}
		for _, n := range needles {
			if !strings.Contains(all, n) {
				t.Errorf("%s: violations do not mention %q:\n%s", key, n, all)
			}
		}
		for _, v := range e.Violations {
			if strings.Contains(v, long[:400]) || len(v) > 400 {
				t.Errorf("%s: violation not trimmed (%d bytes)", key, len(v))
			}
		}
	}
	if e := got["GET /Dataset"]; e.Op != "Dataset_GetList" || e.Shape != "array of 1" || e.Status != 200 {
		t.Errorf("GET /Dataset recorded as %+v", e)
	}
}

func TestShape(t *testing.T) {
	for _, tc := range []struct{ ct, body, want string }{
		{"application/json", "", "empty"},
		{"application/json", `[1,2]`, "array of 2"},
		{"application/problem+json", `{"title":"x","errors":{"b":[],"a":[]}}`, "object {errors,title} errors[a,b]"},
		{"text/html", "<p>", "3 bytes"},
		{"application/json", "{", "1 bytes, not JSON"},
	} {
		if got := Shape(tc.ct, []byte(tc.body)); got != tc.want {
			t.Errorf("Shape(%q, %q) = %q, want %q", tc.ct, tc.body, got, tc.want)
		}
	}
}
