package specval

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestTransportScope: only answers from below the base URL (same scheme, same host, below its path) are
// checked and recorded; an answer larger than MaxBody is reported unchecked, one of exactly MaxBody bytes
// is checked whole; a proxy's report that is not the JSON array Prism writes is quoted as it is.
func TestTransportScope(t *testing.T) {
	const body = `{"name":"a"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if v := r.URL.Query().Get("violations"); v != "" {
			w.Header().Set("sl-violations", v)
		}
		if strings.HasSuffix(r.URL.Path, "/big") {
			_, _ = w.Write([]byte(`{"name":"` + strings.Repeat("x", 100) + `"}`))
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	s := loadVerdictSpec(t)
	base, _ := url.Parse(srv.URL + "/api")
	var mu sync.Mutex
	got := map[string]Exchange{}
	newClient := func(maxBody int64) *http.Client {
		return &http.Client{Transport: &Transport{Spec: s, BaseURL: base, MaxBody: maxBody, Record: func(e Exchange) {
			mu.Lock()
			defer mu.Unlock()
			got[e.Path] = e
		}}}
	}
	get := func(hc *http.Client, rawURL string) {
		t.Helper()
		resp, err := hc.Get(rawURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	hc := newClient(0)
	get(hc, srv.URL+"/api/thing/a?x=1")
	get(hc, srv.URL+"/apix/thing/a")
	get(hc, srv.URL+"/thing/a")
	get(hc, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/api/thing/b")
	get(hc, srv.URL+"/api/thing/c?violations="+url.QueryEscape("not json"))
	get(hc, srv.URL+"/api/thing/d?violations="+url.QueryEscape("[]"))
	get(newClient(int64(len(body))), srv.URL+"/api/thing/e")
	get(newClient(int64(len(body))), srv.URL+"/api/thing/big")

	want := map[string]string{
		"/thing/a?x=1":                 "",
		"/thing/c?violations=not+json": "the proxy reports: not json",
		"/thing/d?violations=%5B%5D":   "the proxy reports: []",
		"/thing/e":                     "",
		"/thing/big":                   "the answer is larger than 12 bytes; not checked",
	}
	for path, violation := range want {
		e, ok := got[path]
		if !ok {
			t.Errorf("%s: not recorded", path)
			continue
		}
		if v := strings.Join(e.Violations, "; "); v != violation {
			t.Errorf("%s: violations %q, want %q", path, v, violation)
		}
		if violation == "" && e.Op != "Thing_Get" {
			t.Errorf("%s: operation %q, want Thing_Get", path, e.Op)
		}
	}
	for path := range got {
		if _, ok := want[path]; !ok {
			t.Errorf("%s: recorded, but it is not below the base URL", path)
		}
	}
}

// TestOperationIDs: ids are kept as the spec spells them, and only oapi-codegen's joined form
// (DatasetGetList for tag Dataset) gets its underscore back.
func TestOperationIDs(t *testing.T) {
	s := loadVerdictSpec(t)
	for _, id := range []string{"Thing_Get", "Thing_List", "ListThingMaps", "Decided_Get"} {
		if s.Operation(id) == nil {
			t.Errorf("no operation %s", id)
		}
	}
	real, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if op := real.Operation("Dataset_GetList"); op == nil || op.Method != "GET" || op.Path != "/Dataset" {
		t.Errorf("the embedded spec's DatasetGetList is %+v, want Dataset_GetList", op)
	}
}

// roundTripFunc answers requests without a network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTransportScheme: an answer from the base URL's host under another scheme is not the API's.
func TestTransportScheme(t *testing.T) {
	base, _ := url.Parse("http://api.example/api")
	var got []string
	hc := &http.Client{Transport: &Transport{
		Spec:    loadVerdictSpec(t),
		BaseURL: base,
		Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(`{"name":"a"}`)), Request: r}, nil
		}),
		Record: func(e Exchange) { got = append(got, e.Path) },
	}}
	for _, u := range []string{"https://api.example/api/thing/a", "HTTP://API.EXAMPLE/api/thing/b"} {
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(got) != 1 || got[0] != "/thing/b" {
		t.Errorf("recorded %q, want only /thing/b", got)
	}
}
