package data8test

import (
	"github.com/data8-toolkit/data8/internal/opid"

	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// exchange is one request of the profile scenario and its answer, as a client sees it.
type exchange struct {
	step    string // what the scenario did, e.g. "create dataset"
	status  int
	header  http.Header
	body    []byte // decompressed
	gzipped bool
	chunked bool
}

// scenario is a run through every operation of the API, with the error answers a client meets, against
// s; it returns every exchange by step.
type scenario struct {
	t   *testing.T
	s   *Server
	tok string
	hc  *http.Client
	ex  map[string]exchange
}

// send makes one request (with the token unless noAuth) and records the answer under step. It asks for
// gzip itself, so that it sees whether the answer was compressed.
func (sc *scenario) send(step, method, path string, body any, noAuth bool) exchange {
	t := sc.t
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, sc.s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !noAuth {
		req.Header.Set("Authorization", "Bearer "+sc.tok)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := sc.hc.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	e := exchange{step: step, status: resp.StatusCode, header: resp.Header, body: raw,
		chunked: slices.Contains(resp.TransferEncoding, "chunked")}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		e.gzipped = true
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if e.body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	sc.ex[step] = e
	return e
}

// json decodes the body of an exchange.
func (e exchange) json(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(e.body, &v); err != nil {
		t.Fatalf("%s: body %q: %v", e.step, e.body, err)
	}
	return v
}

// object decodes the body of an exchange as one object.
func (e exchange) object(t *testing.T) map[string]any {
	t.Helper()
	m, ok := e.json(t).(map[string]any)
	if !ok {
		t.Fatalf("%s: body %s is not an object", e.step, e.body)
	}
	return m
}

// runScenario runs the scenario against s, which should have a short job duration.
func runScenario(t *testing.T, s *Server) map[string]exchange {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	sc := &scenario{t: t, s: s, tok: fetchToken(t, s), hc: &http.Client{Transport: tr}, ex: map[string]exchange{}}
	is2xx := func(e exchange) {
		t.Helper()
		if e.status/100 != 2 {
			t.Fatalf("%s: status %d, body %s", e.step, e.status, e.body)
		}
	}

	is2xx(sc.send("create dataset", "POST", "/Dataset", map[string]any{"name": "people", "columns": map[string]int{"first": 0, "n": 1}}, false))
	sc.send("duplicate dataset", "POST", "/Dataset", map[string]any{"name": "people", "columns": map[string]int{"first": 0}}, false)
	var recs []map[string]any
	for i := range 3 {
		recs = append(recs, map[string]any{"first": fmt.Sprint("name", i), "n": i})
	}
	is2xx(sc.send("upload", "PATCH", "/Dataset/people/data", map[string]any{"blockNumber": 0, "records": recs[:2]}, false))
	is2xx(sc.send("upload 2", "PATCH", "/Dataset/people/data", map[string]any{"blockNumber": 1, "records": recs[2:]}, false))
	sc.send("bad upload", "PATCH", "/Dataset/people/data", map[string]any{"blockNumber": 2, "records": []map[string]any{{"foo": 1}}}, false)
	is2xx(sc.send("complete", "PUT", "/Dataset/people", map[string]any{"recordCount": 3, "completed": true}, false))
	is2xx(sc.send("get dataset", "GET", "/Dataset/people", nil, false))
	is2xx(sc.send("read page 1", "GET", "/Dataset/people/data?page=1", nil, false))
	sc.send("read page 2", "GET", "/Dataset/people/data?page=2", nil, false) // past the end: a 404 under ProfilePastEnd404
	sc.send("missing dataset", "GET", "/Dataset/nope", nil, false)
	sc.send("no token", "GET", "/Dataset", nil, true)

	job := sc.send("create job", "POST", "/Job", map[string]any{"name": "Job 1", "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "people"}}, false)
	is2xx(job)
	sc.send("duplicate job", "POST", "/Job", map[string]any{"name": "Job 1", "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "people"}}, false)
	is2xx(sc.send("get job", "GET", "/Job/Job%201", nil, false))
	// Waited for without requests, so that the scenario sends the same number of them every time
	// (fewer than 50: ProfileThrottleEvery50 refuses none of them).
	for deadline := time.Now().Add(20 * time.Second); ; {
		if j, ok := s.JobInfo("Job 1"); ok && j.CompletedAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job did not finish")
		}
		time.Sleep(5 * time.Millisecond)
	}
	done := sc.send("finished job", "GET", "/Job/Job%201", nil, false)
	is2xx(done)
	outs, _ := done.object(t)["outputDatasets"].(map[string]any)
	out, _ := outs[slotOutput].(string)
	is2xx(sc.send("list datasets", "GET", "/Dataset?page=1", nil, false))
	is2xx(sc.send("list jobs", "GET", "/Job?page=1", nil, false))
	is2xx(sc.send("get output", "GET", "/Dataset/"+url.PathEscape(out), nil, false))
	is2xx(sc.send("read output", "GET", "/Dataset/"+url.PathEscape(out)+"/data", nil, false))

	is2xx(sc.send("create key", "POST", "/ApiKey", map[string]any{"key": "ABCD-1234-EFGH-5678", "description": "k"}, false))
	sc.send("duplicate key", "POST", "/ApiKey", map[string]any{"key": "ABCD-1234-EFGH-5678", "description": "k"}, false)
	is2xx(sc.send("list keys", "GET", "/ApiKey", nil, false))
	is2xx(sc.send("get key", "GET", "/ApiKey/ABCD-1234-EFGH-5678", nil, false))
	is2xx(sc.send("update key", "PUT", "/ApiKey/ABCD-1234-EFGH-5678", map[string]any{"description": "k2", "maxRequestsPerIPPerDay": 10}, false))
	is2xx(sc.send("allow domain", "PUT", "/ApiKey/ABCD-1234-EFGH-5678/allowedDomains/example.com", nil, false))
	is2xx(sc.send("allow ip", "PUT", "/ApiKey/ABCD-1234-EFGH-5678/allowedIPs/10.0.0.0/8", nil, false))
	is2xx(sc.send("delete key", "DELETE", "/ApiKey/ABCD-1234-EFGH-5678", nil, false))
	cc := sc.send("create client", "POST", "/ClientCredential", map[string]any{"description": "c"}, false)
	is2xx(cc)
	is2xx(sc.send("list clients", "GET", "/ClientCredential", nil, false))
	is2xx(sc.send("get client", "GET", "/ClientCredential/"+url.PathEscape(s.ClientID), nil, false))
	sc.send("throttled", "GET", "/ClientCredential", nil, false) // the script's 429
	return sc.ex
}

// profileServer starts a server with the profiles and what the scenario needs, validating into tb.
func profileServer(t *testing.T, tb TB, p ...Profile) *Server {
	s := NewServer(WithValidation(tb), WithProfile(p...), WithJobDuration(20*time.Millisecond),
		WithFaultScript(Fault{Op: opid.ClientCredentialGetList, Call: 2, Kind: Fault429}))
	t.Cleanup(s.Close)
	return s
}

// TestProfilesValidate runs the scenario under each profile, and under all at once, and checks every
// answer against api/openapi.yaml.
func TestProfilesValidate(t *testing.T) {
	sets := map[string][]Profile{"all": Profiles()}
	for _, p := range Profiles() {
		sets[string(p)] = []Profile{p}
	}
	for name, ps := range sets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tb := newFakeTB()
			s := profileServer(t, tb, ps...)
			runScenario(t, s)
			if msgs := tb.all(); len(msgs) > 0 {
				t.Errorf("answers that break the spec:\n%s", strings.Join(msgs, "\n"))
			}
		})
	}
}

// TestProfileEffects checks that each profile changes what it says it changes, and that without it the
// server answers as by default.
func TestProfileEffects(t *testing.T) {
	checks := map[Profile]func(t *testing.T, ex map[string]exchange, on bool){
		ProfileCreated201: func(t *testing.T, ex map[string]exchange, on bool) {
			for _, step := range []string{"create dataset", "create job", "create key", "create client"} {
				wantCode(t, ex[step], on, 201, 200)
			}
		},
		ProfileAccepted202: func(t *testing.T, ex map[string]exchange, on bool) {
			wantCode(t, ex["create job"], on, 202, 200)
		},
		ProfileNoContent204: func(t *testing.T, ex map[string]exchange, on bool) {
			for _, step := range []string{"upload", "delete key", "allow domain", "allow ip"} {
				wantCode(t, ex[step], on, 204, 200)
				if on && (len(ex[step].body) != 0 || ex[step].header.Get("Content-Type") != "") {
					t.Errorf("%s: 204 with body %q, Content-Type %q", step, ex[step].body, ex[step].header.Get("Content-Type"))
				}
			}
		},
		ProfileConflict409: func(t *testing.T, ex map[string]exchange, on bool) {
			for _, step := range []string{"duplicate dataset", "duplicate job", "duplicate key"} {
				wantCode(t, ex[step], on, 409, 400)
			}
		},
		ProfileDotNetTimes: func(t *testing.T, ex map[string]exchange, on bool) {
			running := ex["create job"].object(t)
			finished := ex["finished job"].object(t)
			sub, _ := finished["submittedAt"].(string)
			comp, _ := finished["completedAt"].(string)
			unset, hasUnset := running["completedAt"]
			if !on {
				if !strings.HasSuffix(sub, "Z") || hasUnset {
					t.Errorf("default times: submittedAt %q, unfinished completedAt %v", sub, unset)
				}
				return
			}
			for _, v := range []string{sub, comp} {
				if _, err := time.Parse("2006-01-02T15:04:05.0000000", v); err != nil {
					t.Errorf("time %q is not a zone-less .NET time", v)
				}
			}
			if unset != "0001-01-01T00:00:00" {
				t.Errorf("unfinished job's completedAt %v, want 0001-01-01T00:00:00", unset)
			}
		},
		ProfilePage500:              nil, // TestRecordPageSize
		ProfileCaseInsensitiveNames: nil, // TestCaseInsensitiveNames
		ProfileCollationSort:        nil, // TestCollationSort
		ProfileExtraMembers: func(t *testing.T, ex map[string]exchange, on bool) {
			for _, step := range []string{"get dataset", "get job", "get key", "get client"} {
				_, has := ex[step].object(t)["createdBy"]
				if has != on {
					t.Errorf("%s: createdBy present %v, want %v: %s", step, has, on, ex[step].body)
				}
			}
			recs := ex["read page 1"].json(t).([]any)
			if _, has := recs[0].(map[string]any)["createdBy"]; has {
				t.Error("a record got an extra member")
			}
		},
		ProfileOmitOptional: func(t *testing.T, ex map[string]exchange, on bool) {
			entry := ex["list datasets"].json(t).([]any)[0].(map[string]any)
			if _, has := entry["location"]; has == on {
				t.Errorf("list entry %v: location present %v", entry, has)
			}
			// allowedDomains is empty until a domain is added; whether an empty optional member is sent by
			// default is the generated models' business, but under the profile it is not.
			if _, has := ex["get key"].object(t)["allowedDomains"]; on && has {
				t.Error("empty allowedDomains present")
			}
		},
		ProfileExplicitNulls: func(t *testing.T, ex map[string]exchange, on bool) {
			v, has := ex["get key"].object(t)["username"]
			if has != on || v != nil {
				t.Errorf("key without username: username present %v, value %v", has, v)
			}
		},
		ProfilePascalCaseErrors: func(t *testing.T, ex map[string]exchange, on bool) {
			errs, _ := ex["bad upload"].object(t)["errors"].(map[string]any)
			want := map[bool]string{true: "Records[0].Foo", false: "records[0].foo"}[on]
			if _, ok := errs[want]; !ok {
				t.Errorf("errors %v, want member %s", errs, want)
			}
		},
		ProfilePlainJSONProblems: func(t *testing.T, ex map[string]exchange, on bool) {
			for _, step := range []string{"bad upload", "missing dataset", "no token"} {
				ct := ex[step].header.Get("Content-Type")
				if want := map[bool]string{true: "application/json", false: "application/problem+json"}[on]; ct != want {
					t.Errorf("%s: Content-Type %q, want %q", step, ct, want)
				}
			}
		},
		ProfileEmptyErrorBodies: func(t *testing.T, ex map[string]exchange, on bool) {
			for _, step := range []string{"bad upload", "missing dataset", "no token", "duplicate dataset", "throttled"} {
				// A 400 keeps its problem body: the documentation shows one.
				want := on && ex[step].status != http.StatusBadRequest
				if empty := len(ex[step].body) == 0; empty != want {
					t.Errorf("%s (%d): body %q", step, ex[step].status, ex[step].body)
				}
			}
			if ex["no token"].header.Get("WWW-Authenticate") == "" || ex["throttled"].header.Get("Retry-After") == "" {
				t.Error("an error's headers were lost")
			}
		},
		ProfileGzip: func(t *testing.T, ex map[string]exchange, on bool) {
			for _, step := range []string{"get dataset", "read page 1", "missing dataset"} {
				if ex[step].gzipped != on {
					t.Errorf("%s: gzipped %v", step, ex[step].gzipped)
				}
			}
		},
		ProfileChunked: func(t *testing.T, ex map[string]exchange, on bool) {
			for _, step := range []string{"get dataset", "read page 1", "missing dataset"} {
				if ex[step].chunked != on {
					t.Errorf("%s: chunked %v", step, ex[step].chunked)
				}
			}
		},
		ProfileRetryAfterDate: func(t *testing.T, ex map[string]exchange, on bool) {
			ra := ex["throttled"].header.Get("Retry-After")
			_, err := http.ParseTime(ra)
			if (err == nil) != on {
				t.Errorf("Retry-After %q", ra)
			}
		},
		ProfileLocationHeader: func(t *testing.T, ex map[string]exchange, on bool) {
			want := map[string]string{"create dataset": "/Dataset/people", "create job": "/Job/Job%201", "create key": "/ApiKey/ABCD-1234-EFGH-5678"}
			for step, path := range want {
				loc := ex[step].header.Get("Location")
				if on && !strings.HasSuffix(loc, path) || !on && loc != "" {
					t.Errorf("%s: Location %q", step, loc)
				}
			}
		},
		ProfileCharset: func(t *testing.T, ex map[string]exchange, on bool) {
			for _, step := range []string{"get dataset", "missing dataset"} {
				ct := ex[step].header.Get("Content-Type")
				if strings.HasSuffix(ct, "; charset=utf-8") != on {
					t.Errorf("%s: Content-Type %q", step, ct)
				}
			}
		},
		ProfileOutputNames: func(t *testing.T, ex map[string]exchange, on bool) {
			name, _ := ex["get output"].object(t)["name"].(string)
			if (name == "Output_1") != on {
				t.Errorf("output dataset %q", name)
			}
			if recs := ex["read output"].json(t).([]any); len(recs) != 3 {
				t.Errorf("output has %d records", len(recs))
			}
		},
		ProfileTraceID: func(t *testing.T, ex map[string]exchange, on bool) {
			for _, step := range []string{"bad upload", "missing dataset"} {
				id, has := ex[step].object(t)["traceId"].(string)
				if has != on || on && !strings.HasPrefix(id, "00-") {
					t.Errorf("%s: traceId %q", step, id)
				}
			}
		},
		ProfileThrottleEvery50: nil, // TestThrottleEvery50
		ProfileShortToken:      nil, // TestShortToken
		ProfileOutputAtFinish: func(t *testing.T, ex map[string]exchange, on bool) {
			started, _ := ex["create job"].object(t)["outputDatasets"].(map[string]any)
			done, _ := ex["finished job"].object(t)["outputDatasets"].(map[string]any)
			if (len(started) == 0) != on || len(done) != 1 {
				t.Errorf("outputDatasets %v when started, %v when finished", started, done)
			}
		},
		ProfileWholeSecondTimes: func(t *testing.T, ex map[string]exchange, on bool) {
			job := ex["finished job"].object(t)
			whole := true
			for _, m := range []string{"submittedAt", "completedAt"} {
				at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(job[m]))
				if err != nil {
					t.Fatalf("%s %v: %v", m, job[m], err)
				}
				whole = whole && at.Nanosecond() == 0
			}
			if whole != on { // off, both times fall on a whole second once in 10^14 runs
				t.Errorf("submittedAt %v, completedAt %v: whole seconds %v", job["submittedAt"], job["completedAt"], whole)
			}
		},
		ProfileKeyUpdateReplaces: nil, // TestKeyUpdateReplaces
		ProfileBusyEvery61:       nil, // TestBusyEvery61
		ProfileEmptyBlock400:     nil, // TestEmptyBlock400
		ProfilePastEnd404:        nil, // TestPastEnd404
		ProfileBusyPlain503:      nil, // TestBusyPlain503
		ProfileKnownCodes:        nil, // TestKnownCodes
		ProfileLowerCaseTimes: func(t *testing.T, ex map[string]exchange, on bool) {
			job := ex["finished job"].object(t)
			for _, m := range []string{"submittedAt", "completedAt"} {
				at := fmt.Sprint(job[m])
				if lower := strings.Contains(at, "t") && strings.HasSuffix(at, "z"); lower != on || strings.ContainsAny(at, "TZ") == on {
					t.Errorf("%s %q: lower case %v", m, at, lower)
				}
			}
		},
		ProfileCompletedTickBefore: func(t *testing.T, ex map[string]exchange, on bool) {
			started := ex["create job"].object(t) // the job as it starts: unfinished
			sub, err := time.Parse(time.RFC3339Nano, fmt.Sprint(started["submittedAt"]))
			if err != nil {
				t.Fatal(err)
			}
			done, err := time.Parse(time.RFC3339Nano, fmt.Sprint(started["completedAt"]))
			if on && (err != nil || sub.Sub(done) != 100*time.Nanosecond) || !on && started["completedAt"] != nil {
				t.Errorf("submittedAt %v, completedAt %v", started["submittedAt"], started["completedAt"])
			}
		},
		ProfileNameOnlyRefs: func(t *testing.T, ex map[string]exchange, on bool) {
			for step, member := range map[string]string{"list datasets": "completed", "list jobs": "submittedAt"} {
				entry := ex[step].json(t).([]any)[0].(map[string]any)
				if _, has := entry[member]; has == on || entry["name"] == nil {
					t.Errorf("%s: entry %v: %s present %v", step, entry, member, has)
				}
			}
		},
	}
	if len(checks) != len(Profiles()) {
		t.Fatalf("%d checks for %d profiles", len(checks), len(Profiles()))
	}
	tb := newFakeTB() // validation is TestProfilesValidate's business
	def := runScenario(t, profileServer(t, tb))
	for _, p := range Profiles() {
		check := checks[p]
		if check == nil {
			continue
		}
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			check(t, runScenario(t, profileServer(t, tb, p)), true)
			check(t, def, false)
		})
	}
}

// wantCode checks the status of an exchange: on when the profile is on, off otherwise.
func wantCode(t *testing.T, e exchange, on bool, onCode, offCode int) {
	t.Helper()
	want := map[bool]int{true: onCode, false: offCode}[on]
	if e.status != want {
		t.Errorf("%s: status %d, want %d (body %s)", e.step, e.status, want, e.body)
	}
}

// TestRecordPageSize reads a dataset back under ProfilePage500 and WithRecordPageSize: pages of the size
// set, in order, the last one short.
func TestRecordPageSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
		per  int
	}{
		{"default", nil, 1000},
		{"page-500", []Option{WithProfile(ProfilePage500)}, 500},
		{"size-7", []Option{WithRecordPageSize(7), WithProfile(ProfilePage500)}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, tc.opts...)
			tok := fetchToken(t, s)
			createDataset(t, s, tok, "d", "i")
			const n = 1203
			var all []map[string]any
			for b := range 2 {
				var recs []map[string]any
				for i := b * 1000; i < min(n, (b+1)*1000); i++ {
					recs = append(recs, map[string]any{"i": i})
				}
				wantStatus(t, upload(t, s, tok, "d", b, recs...), 200)
				all = append(all, recs...)
			}
			for page, next := 1, 0; ; page++ {
				r := do(t, s, tok, "GET", fmt.Sprintf("/Dataset/d/data?page=%d", page), nil)
				wantStatus(t, r, 200)
				var got []map[string]float64
				if err := json.Unmarshal(r.body, &got); err != nil {
					t.Fatal(err)
				}
				if want := min(tc.per, n-next); len(got) != max(want, 0) {
					t.Fatalf("page %d has %d records, want %d", page, len(got), max(want, 0))
				}
				for _, g := range got {
					if int(g["i"]) != next {
						t.Fatalf("page %d: record %v, want i=%d", page, g, next)
					}
					next++
				}
				if len(got) == 0 {
					break
				}
			}
		})
	}
}

// TestProfilesKeepFaults checks that the answers of the profiles, which are recorded before they are
// sent, still let a fault drop the connection, and shape the problem of a 429.
func TestProfilesKeepFaults(t *testing.T) {
	s := start(t, WithProfile(Profiles()...), WithFaultScript(
		Fault{Op: opid.DatasetGetList, Call: 1, Kind: FaultDrop},
		Fault{Op: opid.DatasetGetList, Call: 2, Kind: Fault429},
	))
	tok := fetchToken(t, s)
	req, _ := http.NewRequest("GET", s.URL+"/Dataset", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := testHTTP(t).Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a dropped connection answered %d", resp.StatusCode)
	}
	r := do(t, s, tok, "GET", "/Dataset", nil)
	wantStatus(t, r, http.StatusTooManyRequests)
	if len(r.body) != 0 { // ProfileEmptyErrorBodies
		t.Errorf("429 body %q", r.body)
	}
	if _, err := http.ParseTime(r.header.Get("Retry-After")); err != nil { // ProfileRetryAfterDate
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if got := s.FaultCounts(); got[FaultDrop] != 1 || got[Fault429] != 1 {
		t.Errorf("faults %v", got)
	}
}

// TestCaseInsensitiveNames: under ProfileCaseInsensitiveNames a dataset, a job and an API key named in
// other letter case are found and answered under their own names, and names differing only in case
// are taken; by default they are other names.
func TestCaseInsensitiveNames(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint(on), func(t *testing.T) {
			var opts []Option
			if on {
				opts = append(opts, WithProfile(ProfileCaseInsensitiveNames))
			}
			s := start(t, opts...)
			tok := fetchToken(t, s)
			completeInput(t, s, tok, "lower", 1)
			r := do(t, s, tok, "GET", "/Dataset/LOWER", nil)
			var ds struct{ Name string }
			if on && (r.status != 200 || json.Unmarshal(r.body, &ds) != nil || ds.Name != "lower") || !on && r.status != 404 {
				t.Errorf("GET /Dataset/LOWER: %d %s", r.status, r.body)
			}
			wantStatus(t, startJob(t, s, tok, "Check", "Echo", "lower"), 200)
			wantStatus(t, startJob(t, s, tok, "check", "Echo", "lower"), map[bool]int{true: 400, false: 200}[on])
			if on {
				r := do(t, s, tok, "GET", "/Job/CHECK", nil)
				var j struct{ Name string }
				if r.status != 200 || json.Unmarshal(r.body, &j) != nil || j.Name != "Check" {
					t.Errorf("GET /Job/CHECK: %d %s", r.status, r.body)
				}
			}
			newKey(t, s, tok, map[string]any{"key": "Twin-1", "description": "mixed"})
			wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "TWIN-1", "description": "upper"}), map[bool]int{true: 400, false: 200}[on])
			r = do(t, s, tok, "GET", "/ApiKey/twin-1", nil)
			var k struct{ Key string }
			if on && (r.status != 200 || json.Unmarshal(r.body, &k) != nil || k.Key != "Twin-1") || !on && r.status != 404 {
				t.Errorf("GET /ApiKey/twin-1: %d %s", r.status, r.body)
			}
			if on {
				wantStatus(t, do(t, s, tok, "DELETE", "/ApiKey/tWIN-1", nil), 200)
				wantStatus(t, do(t, s, tok, "GET", "/ApiKey/Twin-1", nil), 404)
			}
		})
	}
}

// TestCollationSort: under ProfileCollationSort the dataset list is in a culture collation's order,
// case ignored (the underscore before digits, digits before letters; Output_1 among the lower-case
// names); by default in byte order.
func TestCollationSort(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint(on), func(t *testing.T) {
			opts := []Option{WithProfile(ProfileOutputNames), WithJobDuration(time.Millisecond)}
			if on {
				opts = append(opts, WithProfile(ProfileCollationSort))
			}
			s := start(t, opts...)
			tok := fetchToken(t, s)
			for _, n := range []string{"ab", "a0", "a_b", "p"} {
				createDataset(t, s, tok, n, "v")
			}
			completeInput(t, s, tok, "z", 1)
			wantStatus(t, startJob(t, s, tok, "j", "Echo", "z"), 200)
			finishedJob(t, s, "j")
			r := do(t, s, tok, "GET", "/Dataset", nil)
			var refs []struct{ Name string }
			if err := json.Unmarshal(r.body, &refs); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range refs {
				got = append(got, x.Name)
			}
			want := map[bool][]string{false: {"Output_1", "a0", "a_b", "ab", "p", "z"}, true: {"a_b", "a0", "ab", "Output_1", "p", "z"}}[on]
			if !slices.Equal(got, want) {
				t.Errorf("the list: %v, want %v", got, want)
			}
		})
	}
}

// TestThrottleEvery50 sends 100 API requests under ProfileThrottleEvery50: the 50th and the 100th are
// refused with 429, Retry-After: 0 and a problem body before anything is done (the 100th carries no
// token, and a 429 comes before the 401), every other one is answered.
func TestThrottleEvery50(t *testing.T) {
	testRefusedEvery(t, ProfileThrottleEvery50, 50, http.StatusTooManyRequests)
}

// TestBusyEvery61 sends 122 API requests under ProfileBusyEvery61: the 61st and the 122nd are
// answered 503 with Retry-After: 0 and a problem body before anything is done, every other one is
// answered.
func TestBusyEvery61(t *testing.T) {
	testRefusedEvery(t, ProfileBusyEvery61, 61, http.StatusServiceUnavailable)
}

// testRefusedEvery sends 2·every API requests under profile p, the last without a token, and checks
// that the every-th ones are refused with status, Retry-After: 0 and a problem body before anything
// is done (the last carries no token, and the refusal comes before the 401), the others answered.
func testRefusedEvery(t *testing.T, p Profile, every, status int) {
	testRefusedEveryAs(t, p, every, status, "0", isProblem)
}

// TestBusyPlain503 sends 134 API requests under ProfileBusyPlain503: the 67th and the 134th are
// answered 503 without Retry-After and with a text/plain body before anything is done, every other
// one is answered.
func TestBusyPlain503(t *testing.T) {
	testRefusedEveryAs(t, ProfileBusyPlain503, 67, http.StatusServiceUnavailable, "", func(ct string) bool { return strings.HasPrefix(ct, "text/plain") })
}

// testRefusedEveryAs is testRefusedEvery for refusals with the Retry-After retryAfter ("" for none)
// and a Content-Type that bodyType accepts.
func testRefusedEveryAs(t *testing.T, p Profile, every, status int, retryAfter string, bodyType func(string) bool) {
	s := start(t, WithProfile(p))
	tok := fetchToken(t, s)
	for i := 1; i <= 2*every; i++ {
		name := fmt.Sprintf("d%d", i)
		var r rawResp
		if i == 2*every {
			r = do(t, s, "", "GET", "/Dataset", nil)
		} else {
			r = do(t, s, tok, "POST", "/Dataset", map[string]any{"name": name, "columns": map[string]int{"a": 0}})
		}
		switch {
		case i%every == 0:
			wantStatus(t, r, status)
			if ra := r.header.Get("Retry-After"); ra != retryAfter || !bodyType(r.header.Get("Content-Type")) {
				t.Errorf("request %d: Retry-After %q, Content-Type %q", i, ra, r.header.Get("Content-Type"))
			}
			if _, ok := s.DatasetInfo(name); ok {
				t.Errorf("request %d was refused, and its dataset made", i)
			}
		default:
			wantStatus(t, r, http.StatusOK)
		}
	}
	if n := s.Throttled(); n != 2 {
		t.Errorf("Throttled() = %d; want 2", n)
	}
}

// TestShortToken: under ProfileShortToken a token is issued with expires_in 3 and refused 3 s after
// its issue.
func TestShortToken(t *testing.T) {
	t.Parallel()
	s := start(t, WithProfile(ProfileShortToken))
	tok := fetchTokenAnswer(t, s)
	if tok.ExpiresIn != 3 {
		t.Fatalf("token answer expires_in %d; want 3", tok.ExpiresIn)
	}
	issued := time.Now()
	wantStatus(t, do(t, s, tok.AccessToken, "GET", "/Dataset", nil), http.StatusOK)
	time.Sleep(time.Until(issued.Add(3*time.Second + 100*time.Millisecond)))
	r := do(t, s, tok.AccessToken, "GET", "/Dataset", nil)
	wantStatus(t, r, http.StatusUnauthorized)
	if r.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
}

// TestKeyUpdateReplaces: under ProfileKeyUpdateReplaces an update of an API key's description
// alone clears its username, expiry and daily limit; the domains allowed stay. Without it they stay.
func TestKeyUpdateReplaces(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint(on), func(t *testing.T) {
			var opts []Option
			if on {
				opts = append(opts, WithProfile(ProfileKeyUpdateReplaces))
			}
			s := start(t, opts...)
			tok := fetchToken(t, s)
			k := newKey(t, s, tok, map[string]any{"description": "d", "username": "u", "expiresOn": "2036-01-01T00:00:00Z", "maxRequestsPerIPPerDay": 5})
			path := "/ApiKey/" + url.PathEscape(k)
			wantStatus(t, do(t, s, tok, "PUT", path+"/allowedDomains/example.com", nil), 200)
			wantStatus(t, do(t, s, tok, "PUT", path, map[string]any{"description": "d2"}), 200)
			r := do(t, s, tok, "GET", path, nil)
			var got struct {
				Description, Username  string
				ExpiresOn              *string
				MaxRequestsPerIPPerDay *int
				AllowedDomains         []string
			}
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			kept := got.Username == "u" && got.ExpiresOn != nil && got.MaxRequestsPerIPPerDay != nil
			cleared := got.Username == "" && got.ExpiresOn == nil && got.MaxRequestsPerIPPerDay == nil
			if got.Description != "d2" || len(got.AllowedDomains) != 1 || on && !cleared || !on && !kept {
				t.Errorf("after an update of the description alone: %s", r.body)
			}
		})
	}
}

// TestEmptyBlock400: under ProfileEmptyBlock400 a block of no records is refused with a 400 naming
// records and the block keeps what it held; without it, the empty block is taken and clears it.
func TestEmptyBlock400(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint(on), func(t *testing.T) {
			var opts []Option
			if on {
				opts = append(opts, WithProfile(ProfileEmptyBlock400))
			}
			s := start(t, opts...)
			tok := fetchToken(t, s)
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", "a")), 200)
			r := upload(t, s, tok, "ds", 0)
			wantStatus(t, r, map[bool]int{true: 400, false: 200}[on])
			if on && !strings.Contains(string(r.body), `"records"`) {
				t.Errorf("the refusal names no records member: %s", r.body)
			}
			if recs, _ := s.Records("ds"); len(recs) != map[bool]int{true: 1, false: 0}[on] {
				t.Errorf("the dataset holds %v", recs)
			}
		})
	}
}

// TestPastEnd404: under ProfilePastEnd404 a page after the first with nothing on it, of the dataset
// list, the job list and a dataset's records, is a 404 with a problem body; page 1 and a page with
// entries are answered as always. Without it, the page past the end is [].
func TestPastEnd404(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint(on), func(t *testing.T) {
			opts := withProfileIf(on, ProfilePastEnd404)
			s := start(t, append(opts, WithRecordPageSize(2))...)
			tok := fetchToken(t, s)
			createDataset(t, s, tok, "ds", "v")
			createDataset(t, s, tok, "empty", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", "a"), rec("v", "b"), rec("v", "c")), 200)
			past := map[bool]int{true: 404, false: 200}[on]
			for _, c := range []struct {
				path    string
				status  int
				entries int
			}{
				{"/Dataset?page=1", 200, 2},
				{"/Dataset?page=2", past, 0},
				{"/Job?page=1", 200, 0},
				{"/Job?page=2", past, 0},
				{"/Dataset/empty/data?page=1", 200, 0},
				{"/Dataset/empty/data?page=2", past, 0},
				{"/Dataset/ds/data?page=2", 200, 1},
				{"/Dataset/ds/data?page=3", past, 0},
			} {
				r := do(t, s, tok, http.MethodGet, c.path, nil)
				wantStatus(t, r, c.status)
				if r.status == 404 {
					if p := r.problem(t); p.Status != 404 {
						t.Errorf("GET %s: problem %+v", c.path, p)
					}
					continue
				}
				var entries []any
				if err := json.Unmarshal(r.body, &entries); err != nil || len(entries) != c.entries {
					t.Errorf("GET %s: %s; want %d entries", c.path, r.body, c.entries)
				}
			}
		})
	}
}

// TestKnownCodes: under ProfileKnownCodes a dataset whose columns have codes other than 0 and 1 is
// refused with a 400 naming each such column, and makes nothing; codes 0 and 1 are taken.
func TestKnownCodes(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint(on), func(t *testing.T) {
			opts := withProfileIf(on, ProfileKnownCodes)
			s := start(t, opts...)
			tok := fetchToken(t, s)
			r := do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "ds", "columns": map[string]int{"a": 0, "b": 1, "c": 2, "d": 7}})
			if !on {
				wantStatus(t, r, 200)
				return
			}
			wantStatus(t, r, 400)
			if keys := errorKeys(r.problem(t)); len(keys) != 2 || keys["columns.c"] == nil || keys["columns.d"] == nil {
				t.Errorf("errors %v; want columns.c and columns.d", keys)
			}
			if _, ok := s.DatasetInfo("ds"); ok {
				t.Error("the refused create made the dataset")
			}
			wantStatus(t, do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "ds", "columns": map[string]int{"a": 0, "b": 1}}), 200)
		})
	}
}

// withProfileIf returns the option that turns profile p on when on, and none otherwise.
func withProfileIf(on bool, p Profile) []Option {
	if on {
		return []Option{WithProfile(p)}
	}
	return nil
}
