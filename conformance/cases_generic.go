package conformance

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/data8-toolkit/data8/client"
)

// genericCases are checks in the manner of Schemathesis: negative input of every kind gets a 4xx,
// never a 5xx, and errors are problem details.
func genericCases() []Case {
	return []Case{
		{
			ID: "ERROR-PROBLEM-JSON", Kind: Decided, Decision: "D-3",
			Rule:    "Errors are RFC 9457 problem details (type, title, status, detail, instance) as application/problem+json (D-3); validation errors add errors: {member: [messages]} (documented shape). The refused duplicate changes nothing (documented): the dataset then takes a block and its completion and reads back its record.",
			Creates: "1 complete dataset (1 record)",
			Cost:    Cost{Datasets: 1, Records: 1},
			run:     caseProblemJSON,
		},
		{
			ID: "BODY-JSON-CHARSET", Kind: Documented,
			Quote:   "Bodies: JSON, camelCase members",
			Rule:    "Request bodies are JSON (documented); application/json with a charset parameter (application/json; charset=utf-8, the form many HTTP stacks send) is JSON still (a parameter of the media type, which RFC 8259 says has no effect): a dataset created, a block uploaded, the dataset completed, and a key created and updated (then deleted) with it are each accepted and take effect. POST /Job and POST /ClientCredential are not sent this way: each leaves a job or an OAuth client in the account that nothing deletes.",
			Creates: "1 dataset (1 record), 1 API key (deleted)",
			Cost:    Cost{Datasets: 1, Records: 1},
			run:     caseBodyJSONCharset,
		},
		{
			ID: "NEGATIVE-PARAMS", Kind: Generic, SendsInvalid: true,
			Rule:    "Query parameters of the wrong type or out of range (page 0, page=abc, includeInput=maybe, startDate=yesterday) get a 4xx, never a 5xx.",
			Creates: "1 dataset",
			Cost:    Cost{Datasets: 1},
			run:     caseNegativeParams,
		},
		{
			ID: "NEGATIVE-BODIES", Kind: Generic, SendsInvalid: true,
			Rule:    "Request bodies that are not JSON, not objects, lack required members or have members of the wrong type get a 4xx, never a 5xx, on every operation that takes a body; refused, they change nothing (documented): the dataset whose completion, blocks and job start they named then takes a block and its completion and reads back its record. An OAuth client created without a description (a refusal is decided, D-5) is listed by GET /ClientCredential with every other client of the run (the account's OAuth clients, documented).",
			Creates: "1 complete dataset (1 record)",
			Cost:    Cost{Datasets: 1, Records: 1},
			run:     caseNegativeBodies,
		},
	}
}

func caseProblemJSON(c *check) {
	name := c.newDataset("problem", map[string]int{"a": 0})
	dup := c.raw(http.MethodPost, "/Dataset", nil, map[string]any{"name": name, "columns": map[string]int{"a": 0}}, withToken)
	missing := c.raw(http.MethodGet, datasetPath(c.datasetName("nosuch")), nil, nil, withToken)
	for _, x := range []struct {
		what         string
		r            *response
		method, path string
	}{{"a duplicate dataset", dup, http.MethodPost, "/Dataset"}, {"an unknown dataset", missing, http.MethodGet, "/Dataset/{name}"}} {
		if !x.r.is4xx() {
			c.Errorf("%s: answered %s; want a 4xx", x.what, x.r)
			continue
		}
		c.Observe("%s: %s", x.what, x.r)
		ev := evidence(x.method, x.path, x.r)
		if x.r.MediaType() != "application/problem+json" {
			c.Differ("D-3", "", fmt.Sprintf("%s: media type %q, not application/problem+json", x.what, x.r.MediaType()), ev)
		}
		var p map[string]any
		if err := x.r.decode(&p); err != nil {
			c.Differ("D-3", "", fmt.Sprintf("%s: the body is not a problem details object", x.what), ev)
			continue
		}
		if st, ok := p["status"].(float64); ok && int(st) != x.r.Status {
			c.Observe("%s: the body's status %v differs from the HTTP status %d", x.what, st, x.r.Status)
		}
		if _, ok := p["title"]; !ok {
			c.Observe("%s: the problem has no title", x.what)
		}
	}
	if members := dup.errorMembers(); len(members) > 0 {
		c.Observe("the refusal of a duplicate names members %q in errors", members)
	} else {
		c.Observe("the refusal of a duplicate has no errors member")
	}
	if dup.is4xx() {
		c.stillOpenWith(name, nil, 0, []client.Record{{"a": "after"}}, "a create of its name was refused")
	}
}

func caseBodyJSONCharset(c *check) {
	const ct = "application/json; charset=utf-8"
	accepted := func(op, method, path string, body any) *response {
		r := c.rawAs(ct, method, path, body, withToken)
		if !r.is2xx() {
			c.Errorf("%s %s (%s) with Content-Type %q: answered %s; want 2xx: the body is JSON, and a charset parameter does not change that", method, path, op, ct, r)
		}
		return r
	}
	name := c.datasetName("charset")
	if r := accepted("Dataset_Create", http.MethodPost, "/Dataset", map[string]any{"name": name, "columns": map[string]int{"a": 0}}); !r.is2xx() {
		return
	}
	accepted("Dataset_UploadBlock", http.MethodPatch, uploadPath(name), map[string]any{"blockNumber": 0, "records": []map[string]any{{"a": "x"}}})
	accepted("Dataset_UpdateByName", http.MethodPut, datasetPath(name), map[string]any{"recordCount": 1, "completed": true})
	if ds, err := c.dataset(name); err != nil {
		c.Errorf("GET /Dataset/%s after its create, upload and complete with Content-Type %q: %s", name, ct, outcome(err))
	} else if !ds.Completed || ds.RecordCount != 1 {
		c.Errorf("dataset %s after its create, upload of 1 record and complete with Content-Type %q: completed %v, recordCount %d; want complete with 1 record", name, ct, ds.Completed, ds.RecordCount)
	}
	desc := c.cfg.Prefix + c.runID + " charset key"
	r := accepted("ApiKey_CreateApiKey", http.MethodPost, "/ApiKey", map[string]any{"description": desc})
	var k client.APIKey
	if !r.is2xx() || r.decode(&k) != nil || k.Key == "" {
		return
	}
	mine := c.generatedKey(fmt.Sprintf("POST /ApiKey without a key, with Content-Type %q", ct), k)
	accepted("ApiKey_UpdateByKey", http.MethodPut, "/ApiKey/"+url.PathEscape(k.Key), map[string]any{"description": desc})
	if got, err := c.client.GetAPIKey(c.ctx, k.Key); err != nil {
		c.Errorf("GET /ApiKey/%s after its create with Content-Type %q: %s", k.Key, ct, outcome(err))
	} else if got.Description != desc {
		c.Errorf("key %s created and updated with Content-Type %q and description %q: reads back description %q", k.Key, ct, desc, got.Description)
	}
	c.deleteTracked(mine, "created with a charset parameter")
}

func caseNegativeParams(c *check) {
	ds := c.newDataset("params", map[string]int{"a": 0})
	for _, p := range []struct{ path, query string }{
		{"/Dataset", "page=0"},
		{"/Dataset", "page=-1"},
		{"/Dataset", "page=abc"},
		{"/Dataset", "page=1.5"},
		{"/Dataset", "includeInput=maybe"},
		{"/Dataset", "includeOutput=2"},
		{"/Job", "page=0"},
		{"/Job", "page=x"},
		{"/Job", "startDate=yesterday"},
		{"/Job", "endDate=2020-13-45T99:00:00Z"},
		{uploadPath(ds), "page=0"},
		{uploadPath(ds), "page=x"},
	} {
		q, _ := url.ParseQuery(p.query)
		r := c.raw(http.MethodGet, p.path, q, nil, withToken)
		// The query names, their types and page numbers from 1 are decided (D-6, D-10, D-12): a
		// server that reads a bad value leniently differs; only a server error fails.
		op, point := "Dataset_GetList", "D-6"
		switch {
		case strings.HasPrefix(p.path, "/Job"):
			op, point = "Job_GetList", "D-12"
		case strings.HasSuffix(p.path, "/data"):
			op, point = "Dataset_GetData", "D-10"
		}
		c.decidedRefusalRaw("GET "+p.path+"?"+p.query, point, op, http.MethodGet, p.path+"?"+p.query, r)
	}
}

func caseNegativeBodies(c *check) {
	ds := c.newDataset("bodies", map[string]int{"a": 0})
	fresh := func() string { return c.datasetName("bodies_new") }
	job := func() string { return c.jobName("negative body") }
	desc := c.cfg.Prefix + c.runID + " negative"
	in := c.cfg.WorkflowInput
	taken := false // a body taken (a decided point read otherwise) that may have changed ds
	for _, b := range []struct {
		method, path string
		body         string
		point        string // the decided point that makes the body bad, "" when the body breaks a documented rule or JSON itself
	}{
		{http.MethodPost, "/Dataset", `{`, ""},
		{http.MethodPost, "/Dataset", ``, ""},
		{http.MethodPost, "/Dataset", `[]`, ""},
		{http.MethodPost, "/Dataset", `{"name":5,"columns":{"a":0}}`, ""},
		{http.MethodPost, "/Dataset", fmt.Sprintf(`{"name":%q,"columns":[1]}`, fresh()), ""},
		{http.MethodPost, "/Dataset", fmt.Sprintf(`{"name":%q,"columns":{"a":"text"}}`, fresh()), ""},
		{http.MethodPost, "/Dataset", fmt.Sprintf(`{"name":%q,"columns":{"a":1.5}}`, fresh()), ""},
		// Not "0": ASP.NET Core's web defaults read a number written as a string (AllowReadingFromString).
		{http.MethodPut, datasetPath(ds), `{"recordCount":"none","completed":true}`, ""},
		{http.MethodPut, datasetPath(ds), `{"recordCount":-1,"completed":true}`, ""},
		{http.MethodPut, datasetPath(ds), `{"recordCount":0}`, "D-8"},
		{http.MethodPut, datasetPath(ds), `{"recordCount":0,"completed":"yes"}`, ""},
		{http.MethodPut, datasetPath(ds), `nonsense`, ""},
		{http.MethodPatch, uploadPath(ds), `{"blockNumber":0,"records":"x"}`, ""},
		{http.MethodPatch, uploadPath(ds), `{"blockNumber":0}`, ""},
		{http.MethodPatch, uploadPath(ds), `{"blockNumber":0,"records":[{"a":"x"}]`, ""},
		{http.MethodPatch, uploadPath(ds), `[]`, ""},
		{http.MethodPost, "/Job", `{`, ""},
		{http.MethodPost, "/Job", fmt.Sprintf(`{"name":%q,"workflowName":5}`, job()), ""},
		{http.MethodPost, "/Job", fmt.Sprintf(`{"name":%q,"workflowName":%q,"inputDatasets":{%q:5}}`, job(), c.cfg.Workflow, in), ""},
		{http.MethodPost, "/Job", fmt.Sprintf(`{"name":%q,"workflowName":%q,"inputDatasets":{%q:%q},"parameters":{"p":5}}`, job(), c.cfg.Workflow, in, ds), ""},
		{http.MethodPost, "/Job", fmt.Sprintf(`{"name":%q,"workflowName":%q,"inputDatasets":[%q]}`, job(), c.cfg.Workflow, ds), ""},
		{http.MethodPost, "/ApiKey", `{}`, ""},
		{http.MethodPost, "/ApiKey", `{"description":5}`, ""},
		{http.MethodPost, "/ApiKey", fmt.Sprintf(`{"description":%q,"maxRequestsPerIPPerDay":-1}`, desc), "D-5"},
		{http.MethodPost, "/ApiKey", fmt.Sprintf(`{"description":%q,"expiresOn":"tomorrow"}`, desc), ""},
		{http.MethodPost, "/ClientCredential", `{}`, "D-5"},
		{http.MethodPost, "/ClientCredential", `{"description":5}`, ""},
	} {
		r := c.raw(b.method, b.path, nil, []byte(b.body), withToken)
		what := fmt.Sprintf("%s %s %s", b.method, b.path, b.body)
		taken = taken || r.is2xx() && b.path != "/ApiKey" && b.path != "/ClientCredential"
		if b.point != "" {
			// The documentation does not require the member: accepting the body differs from a
			// decided point.
			op, _ := c.spec.Find(b.method, b.path)
			id := ""
			if op != nil {
				id = op.ID
			}
			c.decidedRefusalRaw(what, b.point, id, b.method, b.path, r)
			c.clientTaken(b.path, r)
			continue
		}
		if c.want4xx(what, r) {
			c.Observe("%s: %s", what, r)
		}
	}
	// Refused bodies change nothing: the dataset they named (its completion, its blocks, a job
	// start) is an incomplete input dataset still.
	if !taken {
		c.stillOpenWith(ds, nil, 0, []client.Record{{"a": "after"}}, "refused bodies for its completion, its blocks and a job start naming it")
	}
}

// clientTaken checks an OAuth client that a create of a body refused by a decided point made all the
// same (POST /ClientCredential {}: a client without a description): GET /ClientCredential lists the
// account's OAuth clients (documented), so it lists this one, as it lists every client of the run.
func (c *check) clientTaken(path string, r *response) {
	var cc client.ClientCredential
	if path != "/ClientCredential" || !r.is2xx() || r.decode(&cc) != nil || cc.ClientID == "" {
		return
	}
	c.recordClient(cc, cc.Description, fmt.Sprintf("POST /ClientCredential → %d", r.Status))
	c.checkClientList("after a client was created without a description")
}

// finalCases look at the traffic of the whole run.
func finalCases() []Case {
	return []Case{
		{
			ID: "OPERATIONS-EXIST", Kind: Decided, Decision: "D-5", final: true,
			Rule: "Every operation of the spec exists at its path, including those whose operation ids and routes are decided (D-5): each answered a 2xx during the run, none a 405 or 501.",
			run:  caseOperationsExist,
		},
		{
			ID: "SUCCESS-STATUS", Kind: Decided, Decision: "D-4", final: true,
			Rule: "Success is 200 for every operation, with the JSON body shown where there is one; operations without one may answer an empty body (D-4; any 2xx is accepted).",
			run:  caseSuccessStatus,
		},
		{
			ID: "SPEC-RESPONSES", Kind: Generic, final: true,
			Rule: "Every answer of the run has a status code and content type the spec declares for its operation and a body that matches its schema (each violation also fails the case that made the request).",
			run:  caseSpecResponses,
		},
		{
			ID: "ERROR-400-PROBLEM", Kind: Documented, Decision: "D-3", final: true,
			Quote: `Errors: RFC 9457 problem details [...]: ` + "`" + `type, title, status, detail, instance` + "`" + `; validation errors add ` + "`" + `errors: {"<member>": ["message", ...]}` + "`" + `. [...] Bad or duplicate name, bad column name, no columns: ` + "`" + `400` + "`" + ` validation problem.`,
			Rule:  "Every 400 of the run carries a problem details body (documented): a JSON object with type, title, status, detail or errors. Its media type (application/problem+json) is decided (D-3) and not checked here.",
			run:   caseError400Problem,
		},
		{
			ID: "NO-5XX", Kind: Generic, final: true,
			Rule: "No request of the run, positive or negative, got a 5xx (a 503 refuses a request for load, with a Retry-After or without: waited out, observed, not counted, unless the request is still refused at the end of its waits).",
			run:  caseNo5xx,
		},
	}
}

// statusSummary formats counts of status codes: "200×12 404×1".
func statusSummary(counts map[int]int) string {
	codes := make([]int, 0, len(counts))
	for code := range counts {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, code := range codes {
		parts[i] = fmt.Sprintf("%d×%d", code, counts[code])
	}
	return strings.Join(parts, " ")
}

func caseOperationsExist(c *check) {
	byOp := map[string]map[int]int{}
	for _, e := range c.exchangesOf("") {
		if e.Op == "" {
			continue
		}
		if byOp[e.Op] == nil {
			byOp[e.Op] = map[int]int{}
		}
		byOp[e.Op][e.Status]++
	}
	var unexercised []string
	for _, op := range c.spec.Operations() {
		counts := byOp[op.ID]
		if len(counts) == 0 {
			unexercised = append(unexercised, op.ID)
			continue
		}
		ok := false
		for code := range counts {
			ok = ok || (code >= 200 && code < 300)
		}
		if counts[http.StatusMethodNotAllowed] > 0 || counts[http.StatusNotImplemented] > 0 {
			if a := op.Assumption(); strings.Contains(a, "path") {
				// The route itself is decided (D-10: no page documents a read endpoint).
				c.Differ(pointOfAssumption(a), op.ID, fmt.Sprintf("%s %s answered %s: the route is not there", op.Method, op.Path, statusSummary(counts)), statusSummary(counts))
			} else {
				c.Errorf("%s (%s %s) answered %s: the route is missing", op.ID, op.Method, op.Path, statusSummary(counts))
			}
		}
		if !ok {
			c.Observe("%s (%s %s) never answered a 2xx: %s", op.ID, op.Method, op.Path, statusSummary(counts))
		}
	}
	c.Observe("%d of %d operations exercised", len(c.spec.Operations())-len(unexercised), len(c.spec.Operations()))
	if len(unexercised) > 0 {
		c.Observe("not exercised (their cases were skipped?): %s", strings.Join(unexercised, ", "))
	}
}

func caseSuccessStatus(c *check) {
	type seen struct {
		codes    map[int]int
		empty    int
		nonEmpty int
	}
	byOp := map[string]*seen{}
	for _, e := range c.exchangesOf("") {
		if e.Op == "" || e.Status < 200 || e.Status >= 300 {
			continue
		}
		s := byOp[e.Op]
		if s == nil {
			s = &seen{codes: map[int]int{}}
			byOp[e.Op] = s
		}
		s.codes[e.Status]++
		if e.BodyLen == 0 {
			s.empty++
		} else {
			s.nonEmpty++
		}
	}
	var not200 []string
	for _, op := range c.spec.Operations() {
		s := byOp[op.ID]
		if s == nil {
			continue
		}
		if len(s.codes) != 1 || s.codes[http.StatusOK] == 0 {
			not200 = append(not200, fmt.Sprintf("%s %s", op.ID, statusSummary(s.codes)))
		}
		if !op.HasContent(http.StatusOK) {
			c.Observe("%s (no body declared): %d empty and %d non-empty success answers", op.ID, s.empty, s.nonEmpty)
		}
	}
	if len(not200) == 0 {
		c.Observe("every success answer was 200")
	}
	for _, x := range not200 {
		c.Differ("D-4", strings.Fields(x)[0], "success answers other than 200: "+x, "the run's success answers of "+x)
	}
}

func caseSpecResponses(c *check) {
	known := map[string]bool{}
	for _, cs := range Cases() {
		known[cs.ID] = true
	}
	all := c.exchangesOf("")
	bad := 0
	byCase := map[string]int{}
	differing := 0
	for _, e := range all {
		documented, inferred := split(e.Findings)
		if len(inferred) > 0 {
			differing++
		}
		if len(documented) == 0 {
			continue
		}
		bad++
		byCase[e.Tag]++
		if !known[e.Tag] || e.Tag == c.res.ID {
			var msgs []string
			for _, f := range documented {
				msgs = append(msgs, f.Message)
			}
			c.Errorf("an answer outside every case (%q) breaks a documented rule of the spec: %s: %s", e.Tag, e, strings.Join(msgs, "; "))
		}
	}
	c.Observe("%d answers checked against the spec; %d broke a documented rule, %d differed from a decided point (see the cases that received them)", len(all), bad, differing)
	for _, id := range slices.Sorted(maps.Keys(byCase)) {
		c.Observe("%s: %d answers broke a documented rule", id, byCase[id])
	}
}

func caseNo5xx(c *check) {
	n, busy := 0, 0
	for _, e := range c.exchangesOf("") {
		// A 503 refuses a request for load, as ASP.NET Core's rate limiter does by default, with a
		// Retry-After or without: waited out and sent again like a 429 (docs/contract.md, "Limits and
		// behaviours"). A request still refused at the end of its waits fails its own case.
		if e.Status == http.StatusServiceUnavailable {
			busy++
			continue
		}
		if e.Status >= 500 {
			n++
			if n <= 20 {
				c.Errorf("%s (case %s)", e, e.Tag)
			}
		}
	}
	if n > 20 {
		c.Errorf("… and %d more 5xx answers", n-20)
	}
	if left := c.traffic.stillBusy(); left > 0 {
		c.Errorf("%d requests still answered 503 after %d resends or a minute of waiting: no refusal for load, a server failing them", left, throttleResends)
	}
	if busy > 0 {
		c.Observe("%d answers 503: refusals for load, waited out (not counted as server errors)", busy)
	}
}

// pointOfAssumption returns the contract's point(s) at the start of an x-data8-assumption.
func pointOfAssumption(a string) string {
	p, _, _ := strings.Cut(a, ":")
	return strings.TrimSpace(p)
}

// problemMembers are the members of a problem details body; an answer holding none of them is not
// one.
var problemMembers = []string{"type", "title", "status", "detail", "instance", "errors"}

// isProblemShape reports whether an answer's shape (specval.Shape) is a JSON object with a member
// of a problem details body.
func isProblemShape(shape string) bool {
	keys, ok := strings.CutPrefix(shape, "object {")
	if !ok {
		return false
	}
	keys, _, _ = strings.Cut(keys, "}")
	for _, k := range strings.Split(keys, ",") {
		if slices.Contains(problemMembers, strings.ToLower(k)) {
			return true
		}
	}
	return false
}

func caseError400Problem(c *check) {
	n, bad := 0, 0
	for _, e := range c.exchangesOf("") {
		if e.Op == "" || e.Status != http.StatusBadRequest {
			continue
		}
		n++
		if isProblemShape(e.Shape) {
			continue
		}
		bad++
		if bad <= 20 {
			c.Errorf("a 400 without a problem details body: %s (case %s)", e, e.Tag)
		}
	}
	if bad > 20 {
		c.Errorf("… and %d more 400s without a problem details body", bad-20)
	}
	c.Observe("%d answers of 400, %d without a problem details body", n, bad)
}
