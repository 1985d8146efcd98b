package conformance

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// authCases are the cases of the token endpoint and of bearer authentication.
func authCases() []Case {
	return []Case{
		{
			ID: "AUTH-TOKEN", Kind: Documented, Decision: "D-1",
			Quote: `Auth: every request carries ` + "`" + `Authorization: Bearer <token>` + "`" + `. Grant: OAuth2 client credentials, scope ` + "`" + `BatchApi` + "`" + `.`,
			Rule:  "Auth: OAuth2 client credentials, scope BatchApi, at the token endpoint give a bearer token (documented, C# sample); client_id and client_secret in the form body (D-1), with or without a charset in its Content-Type (application/x-www-form-urlencoded; charset=utf-8: a token all the same). Whether the API takes the token under the scheme in lower or upper case (bearer, BEARER) is observed, not judged.",
			run:   caseAuthToken,
		},
		{
			ID: "AUTH-TOKEN-RESPONSE", Kind: Decided, Decision: "D-1",
			Rule: `Token response {"access_token","token_type":"Bearer","expires_in","scope"} (D-1).`,
			run:  caseAuthTokenResponse,
		},
		{
			ID: "AUTH-TOKEN-BASIC", Kind: Decided, Decision: "D-1",
			Rule: "Token endpoint: servers may also accept the client authenticated with HTTP Basic (D-1); observed only.",
			run:  caseAuthTokenBasic,
		},
		{
			ID: "AUTH-NO-TOKEN-401", Kind: Generic, Decision: "D-2", SendsInvalid: true,
			Rule: "Every request carries Authorization: Bearer (documented); a request without one gets 401 with WWW-Authenticate: Bearer (D-2). Checked on every operation of the spec, also with a body or query the operation would refuse (the token is checked first: 401, not 400), after which the dataset, job and key those refused requests named do not exist and no key or OAuth client has their description (a refused request changes nothing), and with HEAD on every GET route: a HEAD answered without a token must be refused too (any 4xx), never served. Every route is also sent without a token with a trailing slash, with its first segment in lower and in upper case (a router may match them), each refused (any 4xx); the CIDR form of PUT allowedIPs (prefix blank) gets 401 like every operation; OPTIONS on every GET route is not served (a 4xx, or a 2xx without a body, as for a preflight); every GET route with the run's own token in the query string (access_token; and token, bearer, api_key, apikey, jwt), in cookies (access_token, token, Authorization, .AspNetCore.Token) or in other headers (X-Access-Token, X-Auth-Token, X-Api-Key, X-Authorization, Token) and no Authorization header is refused (any 4xx); GET /Dataset, /Job, /ApiKey, /ClientCredential and /ClientCredential/{the run's client id} are sent without a token right after they were answered with it, and refused (a cache does not serve them); a path the API does not have with each GET route in X-Original-URL and X-Rewrite-URL is refused; pages 2 and 3 of GET /Dataset, /Job and /Dataset/{name}/data get 401 without a token; every route that takes query parameters (GET /Dataset: page, includeInput, includeOutput; GET /Job: page, workflow, startDate, endDate; GET /Dataset/{name}/data: page) is sent without a token with each parameter alone and with all together, each 401 with a body that shows nothing of the account (no list, no name of the run's datasets, jobs or keys); every route is sent without a token with the first letter of its first segment percent-escaped (refused: any 4xx), with a dot segment or an empty segment before it (refused, or redirected to the clean path), and with every method of GET, POST, PUT, PATCH and DELETE it does not have (refused: any 4xx).",
			run:  func(c *check) { c.authSweep(noToken) },
		},
		{
			ID: "AUTH-BAD-TOKEN-401", Kind: Generic, Decision: "D-2",
			Rule: "A request with an invalid bearer token gets 401 with WWW-Authenticate: Bearer (D-2). Checked on every operation of the spec, and with HEAD on every GET route (refused: any 4xx); every route that takes query parameters is sent with an invalid token with each parameter alone and with all together (as AUTH-NO-TOKEN-401 does without one), each 401 with a body that shows nothing of the account; the bearer token is the one the token server issued (documented), so tokens made from the run's own token (its last, first or middle character changed, a character added or dropped at the end, its letters in the other case, every letter and digit changed within its class so that it keeps an issued token's form, a second word after it) are refused on every operation, with its body, and so is the run's own token sent under another scheme than Bearer (Token, Basic) or with no scheme at all, and so are the run's own credentials in every form a server might take in place of the token: HTTP Basic with the client id and secret (as sent to the token endpoint, raw and form-encoded), the client secret as a bearer token, HTTP Basic with the token as password or as user name, and base64(id:secret) as a bearer token, each on every operation (these other schemes are not sent behind a validating proxy, which answers them itself).",
			run:  func(c *check) { c.authSweep(badToken) },
		},
		{
			ID: "AUTH-TOKEN-WRONG-CLIENT", Kind: Documented, Decision: "D-1",
			Quote: `Grant: OAuth2 client credentials, scope ` + "`" + `BatchApi` + "`" + `.`,
			Rule:  "The client credentials grant authenticates the client (documented): a token request with the run's client secret altered (its last character changed, a character added, its last character dropped, its letters in the other case, empty) or with the run's client id altered (its last character changed), or with the client id and no client_secret member, or the client secret and no client_id member, gets no token (a 4xx, RFC 6749's invalid_client); so does HTTP Basic with a wrong secret, when the server takes Basic at all (D-1).",
			run:   caseAuthWrongClient,
		},
		{
			ID: "AUTH-TOKEN-GRANT-TYPE", Kind: Documented, Decision: "D-1",
			Quote: `Grant: OAuth2 client credentials, scope ` + "`" + `BatchApi` + "`" + `.`,
			Rule:  "The grant is OAuth2 client credentials (documented): a token request with the run's own client id and secret that asks for another grant (password, authorization_code, refresh_token) or names none gets no token (a 4xx, RFC 6749's unsupported_grant_type or invalid_request).",
			run:   caseAuthGrantType,
		},
		{
			ID: "AUTH-TOKEN-SCOPE", Kind: Documented, Decision: "D-1",
			Quote: `Grant: OAuth2 client credentials, scope ` + "`" + `BatchApi` + "`" + `.`,
			Rule:  "The API's scope is BatchApi (documented): a token request for another scope (Other; and, scopes being case-sensitive, batchapi and BATCHAPI; and BatchApi2 and Batch, which begin like it or it like them) is refused, or the token it gives, when its answer names a scope without BatchApi, does not open the API (GET /ApiKey refused with a 4xx).",
			run:   caseAuthScope,
		},
	}
}

// alterations are texts made from a credential s (a token or a client secret), each with what it
// is for messages (never the text itself, a secret): its last character changed, a character
// added, its last character dropped and, when it has letters, its letters in the other case.
func alterations(s string) []struct{ text, what string } {
	flip := func(b byte) byte {
		if b == 'A' {
			return 'B'
		}
		return 'A'
	}
	n := len(s)
	last := []byte(s)
	last[n-1] = flip(last[n-1])
	out := []struct{ text, what string }{
		{string(last), "its last character changed"},
		{s + "A", "a character added at the end"},
		{s[:n-1], "its last character dropped"},
	}
	if sw := swapCase(s); sw != s {
		out = append(out, struct{ text, what string }{sw, "its letters in the other case"})
	}
	return out
}

// swapCase returns s with its ASCII letters in the other case.
func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}

func caseAuthWrongClient(c *check) {
	secret, id := c.cfg.ClientSecret, c.cfg.ClientID
	if len(secret) < 2 || len(id) < 2 {
		c.Skipf("the client id or secret has fewer than 2 characters: nothing is made from them")
	}
	type attempt struct {
		id, secret, what string
		basic            bool
		form             url.Values // when set, the form sent as it is (a member left out)
	}
	var attempts []attempt
	for _, a := range alterations(secret) {
		attempts = append(attempts, attempt{id, a.text, "the client secret with " + a.what, false, nil})
	}
	attempts = append(attempts, attempt{id, "", "an empty client secret", false, nil},
		attempt{alterations(id)[0].text, secret, "the client id with its last character changed", false, nil},
		attempt{id, "", "the client id and no client_secret member", false, url.Values{"grant_type": {"client_credentials"}, "scope": {"BatchApi"}, "client_id": {id}}},
		attempt{"", secret, "the client secret and no client_id member", false, url.Values{"grant_type": {"client_credentials"}, "scope": {"BatchApi"}, "client_secret": {secret}}})
	// HTTP Basic is optional (D-1): a wrong secret is sent that way only to a server that takes it.
	if r, err := c.tokenRequest(true); err == nil && r.is2xx() {
		attempts = append(attempts, attempt{id, alterations(secret)[0].text, "HTTP Basic with the client secret with its last character changed", true, nil})
	}
	for _, a := range attempts {
		c.secrets.Add(a.secret) // a near-secret is a secret too
		r, err := c.tokenRequestAs(a.id, a.secret, a.basic, "BatchApi")
		if a.form != nil {
			r, err = c.tokenPost(a.form, nil)
		}
		if err != nil {
			c.Fatalf("token request with %s: %v", a.what, err)
		}
		var tb tokenBody
		switch {
		case r.is2xx() && r.decode(&tb) == nil && tb.AccessToken != "":
			c.Errorf("token request with %s: answered %d with an access_token; want a refusal (4xx, invalid_client): the grant authenticates the client", a.what, r.Status)
		case !r.is4xx():
			c.Errorf("token request with %s: answered %s; want a refusal (4xx, invalid_client)", a.what, r)
		default:
			c.Observe("token request with %s: %s", a.what, r)
		}
	}
}

func caseAuthScope(c *check) {
	// Another scope, and scopes like BatchApi (scopes are case-sensitive, RFC 6749 3.3).
	for _, other := range []string{"Other", "batchapi", "BATCHAPI", "BatchApi2", "Batch"} {
		c.otherScope(other)
	}
}

// otherScope asks for a token of scope other (not BatchApi) and wants it refused, or the token
// it gives, when its answer names a scope without BatchApi, refused by the API.
func (c *check) otherScope(other string) {
	r, err := c.tokenRequestAs(c.cfg.ClientID, c.cfg.ClientSecret, false, other)
	if err != nil {
		c.Fatalf("token request for scope %s: %v", other, err)
	}
	var tb tokenBody
	if !r.is2xx() || r.decode(&tb) != nil || tb.AccessToken == "" {
		c.Observe("token request for scope %s: %s (refused)", other, r)
		return
	}
	c.secrets.Add(tb.AccessToken)
	if slices.Contains(strings.Fields(tb.Scope), "BatchApi") || tb.Scope == "" {
		c.Observe("token request for scope %s: granted scope %q", other, tb.Scope)
		return
	}
	status, _, err := c.fetchAuth(http.MethodGet, "/ApiKey", "Bearer "+tb.AccessToken, nil)
	if err != nil {
		c.Fatalf("GET /ApiKey with a token of scope %q: %v", tb.Scope, err)
	}
	if status < 400 || status >= 500 {
		c.Errorf("token request for scope %s: granted a token of scope %q (not BatchApi), and GET /ApiKey with it answered %d; want a refusal (4xx): the API's scope is BatchApi", other, tb.Scope, status)
	}
}

func caseAuthGrantType(c *check) {
	for _, gt := range []string{"password", "authorization_code", "refresh_token", ""} {
		form := url.Values{"scope": {"BatchApi"}, "client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret}}
		what := "grant_type " + gt
		if gt == "" {
			what = "no grant_type"
		} else {
			form.Set("grant_type", gt)
		}
		r, err := c.tokenPost(form, nil)
		if err != nil {
			c.Fatalf("token request with %s: %v", what, err)
		}
		var tb tokenBody
		switch {
		case r.is2xx() && r.decode(&tb) == nil && tb.AccessToken != "":
			c.secrets.Add(tb.AccessToken)
			c.Errorf("token request with the run's client id and secret and %s: answered %d with an access_token; want a refusal (4xx): the grant is client credentials", what, r.Status)
		case !r.is4xx():
			c.Errorf("token request with the run's client id and secret and %s: answered %s; want a refusal (4xx)", what, r)
		default:
			c.Observe("token request with %s: %s", what, r)
		}
	}
}

// tokenBody is the token endpoint's answer.
type tokenBody struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   any    `json:"expires_in"`
	Scope       string `json:"scope"`
}

func caseAuthToken(c *check) {
	r, err := c.tokenRequest(false)
	if err != nil {
		c.Fatalf("token request: %v", err)
	}
	var tb tokenBody
	if !r.is2xx() || r.decode(&tb) != nil || tb.AccessToken == "" {
		// The form body is decided (D-1): a server taking only HTTP Basic differs.
		if b, err := c.tokenRequest(true); err == nil && b.is2xx() && b.decode(&tb) == nil && tb.AccessToken != "" {
			c.Differ("D-1", "", "the token endpoint refuses client_secret_post and accepts HTTP Basic", "POST "+c.cfg.TokenURL+" → "+r.String())
			return
		}
		c.Fatalf("client credentials grant, scope BatchApi: answered %s; want 2xx with an access_token", r)
	}
	c.Observe("client_secret_post: %s", r)
	// The same form with its charset named, as many HTTP clients send it: a media type's parameters
	// do not change it (RFC 9110, section 8.3.1), and the form is UTF-8 (RFC 6749, appendix B).
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"BatchApi"}, "client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret}}
	cs, err := c.tokenPost(form, func(req *http.Request) {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	})
	if err != nil {
		c.Fatalf("token request with a charset: %v", err)
	}
	if tc := (tokenBody{}); !cs.is2xx() || cs.decode(&tc) != nil || tc.AccessToken == "" {
		c.Errorf("client credentials grant, scope BatchApi, the form sent as application/x-www-form-urlencoded; charset=utf-8: answered %s; want a token, as without the charset", cs)
	}
	// The token works: the same token opens an API call.
	if got := c.raw(http.MethodGet, "/ApiKey", nil, nil, withToken); !got.is2xx() {
		c.Errorf("GET /ApiKey with a fresh token: answered %s; want 2xx", got)
	}
	// The scheme's case: RFC 9110 makes it case-insensitive, the contract names Bearer only. Seen,
	// not judged (not sent behind a validating proxy, which answers it itself).
	if !c.cfg.BehindValidatingProxy {
		for _, scheme := range []string{"bearer", "BEARER"} {
			status, _, err := c.fetchAuth(http.MethodGet, "/ApiKey", scheme+" "+c.accessToken(), nil)
			if err != nil {
				c.Fatalf("GET /ApiKey with the scheme %s: %v", scheme, err)
			}
			c.Observe("GET /ApiKey with the run's token under the scheme %q: %d", scheme, status)
		}
	}
}

func caseAuthTokenResponse(c *check) {
	r, err := c.tokenRequest(false)
	if err != nil {
		c.Fatalf("token request: %v", err)
	}
	var tb tokenBody
	if err := r.decode(&tb); err != nil {
		c.Fatalf("token answer %s is not JSON: %v", r, err)
	}
	c.Observe("token answer: %s", r)
	c.Observe("token_type %q, expires_in %v, scope %q", tb.TokenType, tb.ExpiresIn, tb.Scope)
	ev := "POST " + c.cfg.TokenURL + " → " + r.String()
	if !strings.EqualFold(tb.TokenType, "Bearer") {
		c.Differ("D-1", "", fmt.Sprintf("token_type is %q, not Bearer", tb.TokenType), ev)
	}
	if _, ok := tb.ExpiresIn.(float64); !ok {
		c.Differ("D-1", "", fmt.Sprintf("expires_in is not a number (%v): the client cannot schedule renewal", tb.ExpiresIn), ev)
	}
}

func caseAuthTokenBasic(c *check) {
	r, err := c.tokenRequest(true)
	if err != nil {
		c.Fatalf("token request: %v", err)
	}
	var tb tokenBody
	switch {
	case r.is2xx() && r.decode(&tb) == nil && tb.AccessToken != "":
		c.Observe("HTTP Basic client authentication accepted: %s", r)
	case r.Status >= 500:
		c.Errorf("HTTP Basic client authentication: answered %s; a server error", r)
	default:
		c.Observe("HTTP Basic client authentication refused: %s (allowed: D-1 makes it optional)", r)
	}
}

// sample is a request to an operation that the spec allows, for the sweeps.
type sample struct {
	method, path string
	body         any
}

// samples returns one request the spec allows for every operation, by operation id. The names in
// them are unique to the run and name nothing that exists, so a server that wrongly serves them
// changes little.
func (c *check) samples() map[string]sample {
	ds := c.datasetName("sweep")
	job := c.jobName("sweep")
	key := "CONF-" + strings.ToUpper(c.runID[:4]) + "-SWEP-0000"
	cred := c.cfg.Prefix + c.runID + "-sweep"
	return map[string]sample{
		"Dataset_GetList":          {http.MethodGet, "/Dataset", nil},
		"Dataset_Create":           {http.MethodPost, "/Dataset", map[string]any{"name": ds, "columns": map[string]int{"a": 0}}},
		"Dataset_GetByName":        {http.MethodGet, datasetPath(ds), nil},
		"Dataset_UpdateByName":     {http.MethodPut, datasetPath(ds), map[string]any{"recordCount": 0, "completed": true}},
		"Dataset_UploadBlock":      {http.MethodPatch, datasetPath(ds) + "/data", map[string]any{"blockNumber": 0, "records": []map[string]any{{"a": "x"}}}},
		"Dataset_GetData":          {http.MethodGet, datasetPath(ds) + "/data", nil},
		"Job_GetList":              {http.MethodGet, "/Job", nil},
		"Job_CreateJob":            {http.MethodPost, "/Job", map[string]any{"name": job, "workflowName": c.cfg.Workflow, "inputDatasets": map[string]string{c.cfg.WorkflowInput: ds}}},
		"Job_GetByName":            {http.MethodGet, jobPath(job), nil},
		"ApiKey_GetList":           {http.MethodGet, "/ApiKey", nil},
		"ApiKey_CreateApiKey":      {http.MethodPost, "/ApiKey", map[string]any{"description": c.cfg.Prefix + c.runID + " sweep"}},
		"ApiKey_GetByKey":          {http.MethodGet, "/ApiKey/" + key, nil},
		"ApiKey_UpdateByKey":       {http.MethodPut, "/ApiKey/" + key, map[string]any{"description": "sweep"}},
		"ApiKey_DeleteByKey":       {http.MethodDelete, "/ApiKey/" + key, nil},
		"ApiKey_AddAllowedDomain":  {http.MethodPut, "/ApiKey/" + key + "/allowedDomains/www.example.com", nil},
		"ApiKey_AddAllowedIPPUT":   {http.MethodPut, "/ApiKey/" + key + "/allowedIPs/192.0.2.0/24", nil},
		"ClientCredential_GetList": {http.MethodGet, "/ClientCredential", nil},
		"ClientCredential_Create":  {http.MethodPost, "/ClientCredential", map[string]any{"description": c.cfg.Prefix + c.runID + " sweep"}},
		"ClientCredential_GetById": {http.MethodGet, "/ClientCredential/" + url.PathEscape(cred), nil},
	}
}

// authSweep sends every operation's sample without a token, or with an invalid one, and wants 401
// with a Bearer challenge.
func (c *check) authSweep(a auth) {
	samples := c.samples()
	var challenges []string
	for _, op := range c.spec.Operations() {
		smp, ok := samples[op.ID]
		if !ok {
			c.Errorf("no sample request for operation %s (%s %s): the sweep does not cover it", op.ID, op.Method, op.Path)
			continue
		}
		r := c.raw(smp.method, smp.path, nil, smp.body, a)
		what := op.ID + " (" + smp.method + " " + smp.path + ")"
		if r.Status != http.StatusUnauthorized {
			c.Errorf("%s: answered %s; want 401", what, r)
			continue
		}
		if smp.method == http.MethodGet {
			c.headRefused(op.ID, smp.path, a)
		}
		ch := r.Header.Values("WWW-Authenticate")
		if !hasBearerChallenge(ch) {
			c.Differ("D-2", op.ID, fmt.Sprintf("401 without a Bearer challenge (WWW-Authenticate %q)", ch), evidence(smp.method, smp.path, r))
		}
		if len(ch) > 0 && !slices.Contains(challenges, ch[0]) {
			challenges = append(challenges, ch[0])
		}
	}
	c.Observe("WWW-Authenticate seen: %q", challenges)
	c.queriesRefused(samples, a)
	c.refusedLeftNothing(samples, a)
	if a == badToken {
		c.forgedTokens(samples)
	} else {
		c.openRoutes(samples)
	}
}

// queryParams are, for each operation that takes query parameters, each of them with a value the
// operation takes (pages past the first, the flags off, a filter that matches, dates around now).
func (c *check) queryParams() map[string]url.Values {
	return map[string]url.Values{
		"Dataset_GetList": {"page": {"2"}, "includeInput": {"false"}, "includeOutput": {"false"}},
		"Job_GetList":     {"page": {"2"}, "workflow": {c.cfg.Workflow}, "startDate": {"2000-01-01T00:00:00Z"}, "endDate": {"2100-01-01T00:00:00Z"}},
		"Dataset_GetData": {"page": {"2"}},
	}
}

// queriesRefused sends every operation that takes query parameters (the dataset list, the job
// list, the record reads) with the Authorization a says, with each of its parameters alone and with
// all of them together: every request carries a bearer token (documented), whatever its query, so
// each gets 401, and its body holds nothing of the account (no list, no name of the run's
// datasets, jobs or keys).
func (c *check) queriesRefused(samples map[string]sample, a auth) {
	var account []string // what of the account an answer served would show
	for _, r := range c.liveKeys() {
		account = append(account, r.key)
	}
	account = append(account, c.cfg.Prefix+c.runID+"_", c.cfg.Prefix+c.runID+" ")
	params := c.queryParams()
	for _, op := range []string{"Dataset_GetList", "Job_GetList", "Dataset_GetData"} {
		smp, all := samples[op], params[op]
		queries := []url.Values{all}
		if len(all) > 1 {
			queries = nil
			for _, n := range slices.Sorted(maps.Keys(all)) {
				queries = append(queries, url.Values{n: all[n]})
			}
			queries = append(queries, all)
		}
		for _, q := range queries {
			r := c.raw(http.MethodGet, smp.path, q, nil, a)
			what := fmt.Sprintf("GET %s?%s (%s) %s", smp.path, q.Encode(), op, authText(a))
			if r.Status != http.StatusUnauthorized {
				c.Errorf("%s: answered %s; want 401: every request carries Authorization: Bearer <token>, whatever its query parameters", what, r)
				continue
			}
			// The path's own name may be echoed (a problem's instance): it names nothing that exists.
			body := string(r.Body)
			if own, ok := strings.CutPrefix(smp.path, "/Dataset/"); ok {
				own, _ = url.PathUnescape(strings.TrimSuffix(own, "/data"))
				body = strings.ReplaceAll(body, own, "")
			}
			if t := strings.TrimSpace(body); strings.HasPrefix(t, "[") || slices.ContainsFunc(account, func(s string) bool { return strings.Contains(body, s) }) {
				c.Errorf("%s: answered 401 with a body that shows the account (%s): a refused request shows nothing", what, r)
			}
		}
	}
}

// refusedLeftNothing reads back, with the run's token, what the sweep's refused requests (sent
// with the Authorization a says) asked to make: the dataset, the job and the key of the samples do
// not exist, and no key or OAuth client has the samples' description. A request without a valid
// token is refused (documented), so it changes nothing.
func (c *check) refusedLeftNothing(samples map[string]sample, a auth) {
	for _, op := range []string{"Dataset_GetByName", "Job_GetByName", "ApiKey_GetByKey"} {
		smp := samples[op]
		if r := c.raw(http.MethodGet, smp.path, nil, nil, withToken); r.is2xx() {
			c.Errorf("GET %s with the run's token after every operation was sent %s and refused: answered %s; want it not found: a refused request changes nothing (the create or update it asked for was made)", smp.path, authText(a), r)
		}
	}
	desc := samples["ApiKey_CreateApiKey"].body.(map[string]any)["description"]
	for _, list := range []string{"/ApiKey", "/ClientCredential"} {
		r := c.raw(http.MethodGet, list, nil, nil, withToken)
		var items []map[string]any
		if !r.is2xx() || r.decode(&items) != nil {
			continue // the list cases judge the list itself
		}
		for _, it := range items {
			if it["description"] == desc {
				c.Errorf("GET %s with the run's token after POST %s was sent %s and refused: lists %v with the description %q the refused create sent; a refused request changes nothing", list, list, authText(a), cmp.Or(it["key"], it["clientId"]), desc)
			}
		}
	}
}

// headRefused sends HEAD to the path of a GET operation with the Authorization a says: every
// request carries a bearer token (documented), HEAD included, so the server may refuse it in any
// way (401, or 404/405 for a method it does not answer) but never serve it. HEAD is no operation of
// the spec: behind a validating proxy, which answers such a request itself, it is not sent.
func (c *check) headRefused(op, path string, a auth) {
	if c.cfg.BehindValidatingProxy {
		return
	}
	r := c.raw(http.MethodHead, path, nil, nil, a)
	if !r.is4xx() {
		c.Errorf("HEAD %s (the route of %s) %s: answered %s; want it refused (401): every request carries a bearer token", path, op, authText(a), r)
	}
}

// authText says what Authorization header a sends, for a message.
func authText(a auth) string {
	switch a {
	case noToken:
		return "without a token"
	case badToken:
		return "with an invalid token"
	}
	return "with the run's token"
}

// forgeries are tokens made from the run's own token, each with what it is for messages (never the
// token itself, which is a secret).
func forgeries(tok string) []struct{ token, what string } {
	flip := func(b byte) byte {
		if b == 'A' {
			return 'B'
		}
		return 'A'
	}
	at := func(i int) string {
		b := []byte(tok)
		b[i] = flip(b[i])
		return string(b)
	}
	n := len(tok)
	out := []struct{ token, what string }{
		{at(n - 1), "its last character changed"},
		{at(0), "its first character changed"},
		{tok + "A", "a character added at the end"},
		{tok[:n-1], "its last character dropped"},
		{at(n / 2), fmt.Sprintf("its character %d of %d changed", n/2+1, n)},
		{tok + " x", "a second word after it (Bearer <token> x)"},
	}
	if n > 33 {
		out = append(out, struct{ token, what string }{at(32), fmt.Sprintf("its character 33 of %d changed", n)})
	}
	if sw := swapCase(tok); sw != tok {
		out = append(out, struct{ token, what string }{sw, "its letters in the other case"})
	}
	if f := sameForm(tok); f != tok {
		out = append(out, struct{ token, what string }{f, "every letter and digit changed within its class (a hex digit stays one, a letter keeps its case): an issued token's form, not an issued token"})
	}
	return out
}

// sameForm returns tok with every digit and letter replaced by another of its class, the rest kept:
// digits by digits, a-f by a-f and g-z by g-z (so a hex token stays hex), and the same in upper case.
// A server that checks only a token's form (its length, its alphabet) takes it.
func sameForm(tok string) string {
	b := []byte(tok)
	rot := func(c, lo, hi byte) byte { return lo + (c-lo+1)%(hi-lo+1) }
	for i, c := range b {
		switch {
		case '0' <= c && c <= '9':
			b[i] = rot(c, '0', '9')
		case 'a' <= c && c <= 'f':
			b[i] = rot(c, 'a', 'f')
		case 'g' <= c && c <= 'z':
			b[i] = rot(c, 'g', 'z')
		case 'A' <= c && c <= 'F':
			b[i] = rot(c, 'A', 'F')
		case 'G' <= c && c <= 'Z':
			b[i] = rot(c, 'G', 'Z')
		}
	}
	return string(b)
}

// otherSchemes are Authorization headers that carry the run's own token tok under another scheme
// than Bearer, or none, each with what it is for messages.
func otherSchemes(tok string) []struct{ header, what string } {
	return []struct{ header, what string }{
		{"Token " + tok, "the run's token under the scheme Token"},
		{"Basic " + tok, "the run's token under the scheme Basic"},
		{tok, "the run's token with no scheme"},
	}
}

// credentialForms are Authorization headers that carry the run's own credentials in a form a
// server might wrongly take in place of the bearer token: HTTP Basic with the client id and secret
// (the token endpoint's form), the client secret as a bearer token, the token under Basic with the
// client id as user name or as password, and the id and secret as a bearer token. Each comes with
// what it is for messages (never a secret itself).
func credentialForms(id, secret, tok string) []struct{ header, what string } {
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	return []struct{ header, what string }{
		{basic(id, secret), "HTTP Basic with the run's client id and secret"},
		{basic(url.QueryEscape(id), url.QueryEscape(secret)), "HTTP Basic with the run's client id and secret form-encoded (RFC 6749)"},
		{"Bearer " + secret, "the run's client secret as a bearer token"},
		{basic(id, tok), "HTTP Basic with the run's client id and its token as password"},
		{basic(tok, ""), "HTTP Basic with the run's token as user name"},
		{"Bearer " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret)), "the run's client id and secret (base64) as a bearer token"},
	}
}

// forgedTokens sends every operation's sample (with its body) with each token forgeries makes of
// the run's own token, and wants each refused with 401: the bearer token is the one the token
// server issued (documented), not one like it. So does every header of otherSchemes and
// credentialForms, but behind a validating proxy, which answers another scheme itself.
func (c *check) forgedTokens(samples map[string]sample) {
	tok := c.accessToken()
	if len(tok) < 2 {
		c.Observe("the run's token has %d characters: no token is made from it", len(tok))
		return
	}
	var headers []struct{ header, what string }
	for _, f := range forgeries(tok) {
		headers = append(headers, struct{ header, what string }{"Bearer " + f.token, fmt.Sprintf("the run's token with %s (%d characters; the run's has %d)", f.what, len(f.token), len(tok))})
	}
	// Another scheme breaks the spec's security requirement: a validating proxy answers it itself.
	if !c.cfg.BehindValidatingProxy {
		headers = append(headers, otherSchemes(tok)...)
		headers = append(headers, credentialForms(c.cfg.ClientID, c.cfg.ClientSecret, tok)...)
	}
	for _, h := range headers {
		for _, op := range c.spec.Operations() {
			smp, ok := samples[op.ID]
			if !ok {
				continue
			}
			var body []byte
			if smp.body != nil {
				body = []byte(jsonText(smp.body))
			}
			status, _, err := c.fetchAuth(smp.method, smp.path, h.header, body)
			if err != nil {
				c.Fatalf("%s %s with %s: %v", smp.method, smp.path, h.what, err)
			}
			if status != http.StatusUnauthorized {
				c.Errorf("%s (%s %s) with %s (not the bearer token the token server issued): answered %d; want 401: every request carries Authorization: Bearer <token>, the token from the token server", op.ID, smp.method, smp.path, h.what, status)
			}
		}
	}
}

// openRoutes sends, without a token, every route as a router may also match it: with a trailing
// slash and with its first segment in lower and upper case (ASP.NET routes match both), the CIDR
// form of PUT allowedIPs (prefix blank, a route of its own), OPTIONS on every GET route, every GET
// route with the run's token in the query string (access_token) instead of the header, and every
// operation that takes a body or a page with one it would refuse. Every request carries a bearer
// token (documented): none may be served. None of these is a request of the spec: behind a
// validating proxy, which answers them itself, they are not sent (the case is skipped there).
func (c *check) openRoutes(samples map[string]sample) {
	first := func(path string, f func(string) string) string {
		seg, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if rest != "" {
			rest = "/" + rest
		}
		return "/" + f(seg) + rest
	}
	refused := func(op, method, path, what string, body any) {
		r := c.offSpecRaw(method, path, nil, body, noToken)
		if !r.is4xx() {
			c.Errorf("%s %s (%s, %s) without a token: answered %s; want it refused (401, or 404/405 for a path the API does not have): every request carries a bearer token", method, path, op, what, r)
		}
	}
	tok := c.accessToken()
	for _, op := range c.spec.Operations() {
		smp, ok := samples[op.ID]
		if !ok {
			continue
		}
		refused(op.ID, smp.method, smp.path+"/", "with a trailing slash", smp.body)
		refused(op.ID, smp.method, first(smp.path, strings.ToLower), "its first segment in lower case", smp.body)
		refused(op.ID, smp.method, first(smp.path, strings.ToUpper), "its first segment in upper case", smp.body)
		refused(op.ID, smp.method, first(smp.path, func(seg string) string { return fmt.Sprintf("%%%02X", seg[0]) + seg[1:] }), "its first letter percent-escaped", smp.body)
		for _, p := range []struct{ path, what string }{{"/." + smp.path, "a dot segment before it"}, {"/" + smp.path, "an empty segment before it"}} {
			// A server may redirect to the clean path (Go's ServeMux does): a redirect serves nothing.
			if r := c.offSpecRaw(smp.method, p.path, nil, smp.body, noToken); !r.is4xx() && r.Status/100 != 3 {
				c.Errorf("%s %s (%s, %s) without a token: answered %s; want it refused (401, a 404, or a redirect to the clean path): every request carries a bearer token", smp.method, p.path, op.ID, p.what, r)
			}
		}
		switch {
		case smp.method == http.MethodGet:
			r := c.offSpecRaw(http.MethodOptions, smp.path, nil, nil, noToken)
			if r.is2xx() && len(bytes.TrimSpace(r.Body)) > 0 {
				c.Errorf("OPTIONS %s (the route of %s) without a token: answered %s; want it refused, or a preflight's answer without a body: every request carries a bearer token", smp.path, op.ID, r)
			}
			path, query, _ := strings.Cut(smp.path, "?")
			for _, names := range [][]string{{"access_token"}, tokenQueryNames} {
				q, _ := url.ParseQuery(query)
				for _, n := range names {
					q.Set(n, tok)
				}
				if r := c.raw(http.MethodGet, path, q, nil, noToken); !r.is4xx() {
					c.Errorf("GET %s with the run's token in the query (%s) (%s) without an Authorization header: answered %s; want it refused (401): every request carries Authorization: Bearer <token>", path, strings.Join(names, ", "), op.ID, r)
				}
			}
			c.tokenElsewhere(op.ID, smp.path, tok)
			// A path the API does not have, with the route in the headers IIS's URL rewriting and
			// some proxies route by: served, it would be served without a token.
			other := "/conformance-" + c.runID + "-no-such-path"
			if r := c.offSpecWith(http.Header{"X-Original-URL": {smp.path}, "X-Rewrite-URL": {smp.path}}, http.MethodGet, other, noToken); !r.is4xx() {
				c.Errorf("GET %s with X-Original-URL and X-Rewrite-URL %s (the route of %s) without a token: answered %s; want it refused (404 for a path the API does not have, or 401): every request carries a bearer token", other, smp.path, op.ID, r)
			}
		case smp.body != nil:
			// A body that is no object: a server that reads it before the token answers 400.
			if r := c.raw(smp.method, smp.path, nil, `"not an object"`, noToken); r.Status != http.StatusUnauthorized {
				c.Errorf("%s %s (%s) without a token and with the body \"not an object\": answered %s; want 401: the token is checked before the request is (every request carries a bearer token)", smp.method, smp.path, op.ID, r)
			}
		}
		if op.ID == "Dataset_GetList" || op.ID == "Job_GetList" {
			if r := c.raw(http.MethodGet, smp.path, url.Values{"page": {"x"}}, nil, noToken); r.Status != http.StatusUnauthorized {
				c.Errorf("GET %s?page=x (%s) without a token: answered %s; want 401: the token is checked before the request is", smp.path, op.ID, r)
			}
		}
		if op.ID == "Dataset_GetList" || op.ID == "Job_GetList" || op.ID == "Dataset_GetData" {
			// Every page, not the first alone.
			for _, page := range []string{"2", "3"} {
				if r := c.raw(http.MethodGet, smp.path, url.Values{"page": {page}}, nil, noToken); r.Status != http.StatusUnauthorized {
					c.Errorf("GET %s?page=%s (%s) without a token: answered %s; want 401: every request carries a bearer token, on every page", smp.path, page, op.ID, r)
				}
			}
		}
	}
	c.otherVerbs(samples)
	c.cachedReads()
	// The CIDR form, prefix blank: PUT /ApiKey/{key}/allowedIPs/{network}/, an operation of the
	// spec (OpenAPI cannot say its blank prefix), so 401 like the others (D-2).
	smp := samples["ApiKey_AddAllowedIPPUT"]
	cidr := strings.TrimSuffix(smp.path, "/192.0.2.0/24") + "/" + url.PathEscape("192.0.2.0/24") + "/"
	if r := c.offSpecRaw(http.MethodPut, cidr, nil, nil, noToken); r.Status != http.StatusUnauthorized {
		c.Errorf("PUT %s (ApiKey_AddAllowedIPPUT in the CIDR form, prefix blank) without a token: answered %s; want 401: every request carries a bearer token", cidr, r)
	}
}

// cachedReads reads, with the run's token, routes whose GET answers 2xx (the lists, and the run's
// own OAuth client), and at once the same URL without a token: every request carries a bearer
// token (documented), so the second is refused (401) even right after the first was served, as a
// response cache in front of the API that does not key on the caller would not.
func (c *check) cachedReads() {
	for _, path := range []string{"/Dataset", "/Job", "/ApiKey", "/ClientCredential", "/ClientCredential/" + url.PathEscape(c.cfg.ClientID)} {
		if r := c.raw(http.MethodGet, path, nil, nil, withToken); !r.is2xx() {
			c.Observe("GET %s with the run's token: %s (not a served read: the read without a token after it is not sent)", path, r)
			continue
		}
		if r := c.raw(http.MethodGet, path, nil, nil, noToken); !r.is4xx() {
			c.Errorf("GET %s without a token, right after the same GET with the run's token was answered: answered %s; want it refused (401): every request carries a bearer token (a cached answer is served to anyone)", path, r)
		}
	}
}

// tokenQueryNames are query parameters other than access_token under which a server might take a
// token (sent together in one request).
var tokenQueryNames = []string{"token", "bearer", "api_key", "apikey", "jwt"}

// tokenElsewhere sends GET path (the route of op) without an Authorization header and with the
// run's token tok in the other places a server might take it from: cookies (access_token, token,
// Authorization, .AspNetCore.Token, all at once) and headers (X-Access-Token, X-Auth-Token,
// X-Api-Key, X-Authorization, Token, all at once). Every request carries Authorization: Bearer
// <token> (documented): each is refused.
func (c *check) tokenElsewhere(op, path, tok string) {
	for _, h := range []struct {
		header http.Header
		what   string
	}{
		{http.Header{"Cookie": {"access_token=" + tok + "; token=" + tok + "; Authorization=Bearer%20" + tok + "; .AspNetCore.Token=" + tok}}, "cookies (access_token, token, Authorization, .AspNetCore.Token)"},
		{http.Header{"X-Access-Token": {tok}, "X-Auth-Token": {tok}, "X-Api-Key": {tok}, "X-Authorization": {"Bearer " + tok}, "Token": {tok}}, "headers (X-Access-Token, X-Auth-Token, X-Api-Key, X-Authorization, Token)"},
	} {
		status, _, err := c.fetchHeaders(http.MethodGet, path, h.header, nil)
		if err != nil {
			c.Fatalf("GET %s with the run's token in %s: %v", path, h.what, err)
		}
		if status < 400 || status >= 500 {
			c.Errorf("GET %s (%s) without an Authorization header and with the run's token in %s: answered %d; want it refused (401): every request carries Authorization: Bearer <token>", path, op, h.what, status)
		}
	}
}

// otherVerbs sends, without a token, every method of GET, POST, PUT, PATCH and DELETE that a route
// of the spec does not have to that route (the routes of samples): every request carries a bearer
// token (documented), so none may be served (401, or 404/405 for a method the route does not have).
func (c *check) otherVerbs(samples map[string]sample) {
	has := map[string][]string{}
	var paths []string
	for _, op := range c.spec.Operations() {
		smp, ok := samples[op.ID]
		if !ok {
			continue
		}
		if _, seen := has[smp.path]; !seen {
			paths = append(paths, smp.path)
		}
		has[smp.path] = append(has[smp.path], smp.method)
	}
	for _, path := range paths {
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if slices.Contains(has[path], m) {
				continue
			}
			if r := c.offSpecRaw(m, path, nil, nil, noToken); !r.is4xx() {
				c.Errorf("%s %s (a method the route does not have; it has %s) without a token: answered %s; want it refused (401, or 404/405): every request carries a bearer token", m, path, strings.Join(has[path], ", "), r)
			}
		}
	}
}

// hasBearerChallenge reports whether some WWW-Authenticate value holds a Bearer challenge.
func hasBearerChallenge(values []string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			f := strings.Fields(part)
			if len(f) > 0 && strings.EqualFold(f[0], "Bearer") {
				return true
			}
		}
	}
	return false
}
