package data8test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAPI sends arbitrary methods, paths and bodies, with a valid token, to a server with a dataset, a
// complete dataset and an API key: the server must never answer 5xx or panic, and every answer to an
// operation of the spec must match the spec (WithValidation reports to the fuzzer).
func FuzzAPI(f *testing.F) {
	seeds := []struct{ method, path, body string }{
		{"PATCH", "/Dataset/open/data", `{"blockNumber":0,"records":[{"a":"x"}]}`},
		{"PATCH", "/Dataset/open/data", `{"blockNumber":-1,"records":[1,{"zz":[]}]}`},
		{"PATCH", "/Dataset/done/data", `{"blockNumber":0,"records":[]}`},
		{"POST", "/Dataset", `{"name":"new_one","columns":{"a":0}}`},
		{"POST", "/Dataset", `{"name":"Bad","columns":{"a":"x"}}`},
		{"PUT", "/Dataset/open", `{"recordCount":1,"completed":true}`},
		{"GET", "/Dataset?page=2&includeInput=false", ``},
		{"GET", "/Dataset/open/data?page=-5", ``},
		{"POST", "/Job", `{"name":"j 1","workflowName":"Echo","inputDatasets":{"Input":"done"},"parameters":{"a":"b"}}`},
		{"POST", "/Job", `{"name":"a/b","workflowName":"CleanContacts","inputDatasets":{"Input":"open"}}`},
		{"GET", "/Job?startDate=2020-01-01T00:00:00Z&workflow=Echo", ``},
		{"GET", "/Job/j%201", ``},
		{"POST", "/ApiKey", `{"description":"d","key":"K-1"}`},
		{"PUT", "/ApiKey/KEY-0001/allowedIPs/10.0.0.0%2F8/", ``},
		{"PUT", "/ApiKey/KEY-0001/allowedDomains/example.com", ``},
		{"PUT", "/ApiKey/KEY-0001", `{"expiresOn":null}`},
		{"DELETE", "/ApiKey/KEY-0001", ``},
		{"POST", "/ClientCredential", `{"description":"x"}`},
		{"GET", "/ClientCredential/nobody", ``},
		{"GET", "/%zz", ``},
		{"OPTIONS", "/Dataset", ``},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#") || method == "" || strings.ContainsAny(method, " \r\n\t()<>@,;:\\\"/[]?={}") {
			return
		}
		s := NewServer(WithValidation(t), WithJobDuration(0))
		defer s.Close()
		tok := fetchToken(t, s)
		createDataset(t, s, tok, "open", "a", "b")
		createDataset(t, s, tok, "done", "a")
		wantStatus(t, complete(t, s, tok, "done", 0), 200)
		wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "KEY-0001", "description": "k"}), 200)

		req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body)
		}
	})
}
