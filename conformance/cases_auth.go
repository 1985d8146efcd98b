package conformance

import (
	"fmt"
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
			Rule:  "Auth: OAuth2 client credentials, scope BatchApi, at the token endpoint give a bearer token (documented, C# sample); client_id and client_secret in the form body (D-1).",
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
			Rule: "Every request carries Authorization: Bearer (documented); a request without one gets 401 with WWW-Authenticate: Bearer (D-2). Checked on every operation of the spec, and with HEAD on every GET route: a HEAD answered without a token must be refused too (any 4xx), never served.",
			run:  func(c *check) { c.authSweep(noToken) },
		},
		{
			ID: "AUTH-BAD-TOKEN-401", Kind: Generic, Decision: "D-2",
			Rule: "A request with an invalid bearer token gets 401 with WWW-Authenticate: Bearer (D-2). Checked on every operation of the spec, and with HEAD on every GET route (refused: any 4xx); the bearer token is the one the token server issued (documented), so tokens made from the run's own token (its last, first or middle character changed, a character added or dropped at the end) are refused on every GET route.",
			run:  func(c *check) { c.authSweep(badToken) },
		},
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
	// The token works: the same token opens an API call.
	if got := c.raw(http.MethodGet, "/ApiKey", nil, nil, withToken); !got.is2xx() {
		c.Errorf("GET /ApiKey with a fresh token: answered %s; want 2xx", got)
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
	if a == badToken {
		c.forgedTokens(samples)
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
	}
	if n > 33 {
		out = append(out, struct{ token, what string }{at(32), fmt.Sprintf("its character 33 of %d changed", n)})
	}
	return out
}

// forgedTokens sends every GET operation's sample with each token forgeries makes of the run's own
// token, and wants each refused with 401: the bearer token is the one the token server issued
// (documented), not one like it.
func (c *check) forgedTokens(samples map[string]sample) {
	tok := c.accessToken()
	if len(tok) < 2 {
		c.Observe("the run's token has %d characters: no token is made from it", len(tok))
		return
	}
	for _, f := range forgeries(tok) {
		for _, op := range c.spec.Operations() {
			smp, ok := samples[op.ID]
			if !ok || smp.method != http.MethodGet {
				continue
			}
			status, _, err := c.fetchOnce(smp.method, smp.path, f.token, nil)
			if err != nil {
				c.Fatalf("GET %s with the run's token with %s: %v", smp.path, f.what, err)
			}
			if status != http.StatusUnauthorized {
				c.Errorf("%s (GET %s) with the run's token with %s (%d characters; the run's has %d): answered %d; want 401: the bearer token is the one the token server issued", op.ID, smp.path, f.what, len(f.token), len(tok), status)
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
