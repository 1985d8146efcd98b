package conformance

import (
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/data8-toolkit/data8/client"
)

// accountCases are the cases of API keys and client credentials.
func accountCases() []Case {
	return []Case{
		{
			ID: "APIKEY-CREATE", Kind: Documented, Decision: "D-5",
			Rule:    "POST /ApiKey creates a key, generated in the form ABCD-1234-EFGH-5678 when not given, and answers the ApiKey (documented); GET /ApiKey/{key} gives it (D-5).",
			Creates: "1 API key (deleted by APIKEY-DELETE, or at the end of the run)",
			run:     caseAPIKeyCreate,
		},
		{
			ID: "APIKEY-LIST", Kind: Decided, Decision: "D-5",
			Rule: "GET /ApiKey lists every API key of the account, an array of ApiKey (D-5).",
			run:  caseAPIKeyList,
		},
		{
			ID: "APIKEY-UPDATE", Kind: Decided, Decision: "D-5",
			Rule: "PUT /ApiKey/{key} updates description, username, expiry and daily limit (documented operation, D-5 body); the changes read back.",
			run:  caseAPIKeyUpdate,
		},
		{
			ID: "APIKEY-ALLOWED-DOMAIN", Kind: Documented, Decision: "D-5",
			Rule: "PUT /ApiKey/{key}/allowedDomains/{domain}, no body, allows a domain (documented); it reads back in allowedDomains.",
			run:  caseAPIKeyDomain,
		},
		{
			ID: "APIKEY-ALLOWED-IP", Kind: Documented,
			Rule: "PUT /ApiKey/{key}/allowedIPs/{network}/{prefix} allows a subnet (documented); it reads back in allowedIPs.",
			run:  caseAPIKeyIP,
		},
		{
			ID: "APIKEY-ALLOWED-IP-CIDR", Kind: Documented, SendsInvalid: true,
			Rule: "With prefix blank, network is read as CIDR, e.g. 123.45.6.0/24 (documented): PUT /ApiKey/{key}/allowedIPs/203.0.113.0%2F24/ allows it. (OpenAPI requires path parameters to be non-empty, so a validating proxy refuses the blank prefix.)",
			run:  caseAPIKeyIPCIDR,
		},
		{
			ID: "APIKEY-DELETE", Kind: Decided, Decision: "D-5",
			Rule: "DELETE /ApiKey/{key} deletes the key (D-5); it is then unknown.",
			run:  caseAPIKeyDelete,
		},
		{
			ID: "APIKEY-404", Kind: Decided, Decision: "D-4",
			Rule: "GET /ApiKey/{key} of an unknown key gets 404 with a problem body (D-4).",
			run:  caseAPIKey404,
		},
		{
			ID: "CLIENTCRED-CREATE", Kind: Decided, Decision: "D-5",
			Rule:    "POST /ClientCredential with a description creates an OAuth client; clientId is generated (documented); answers {clientId, description, secrets} (D-5).",
			Creates: "1 OAuth client credential (the API cannot delete it)",
			run:     caseClientCredCreate,
		},
		{
			ID: "CLIENTCRED-LIST-NO-SECRETS", Kind: Documented, Decision: "D-5",
			Rule: "GET /ClientCredential lists the account's OAuth clients; secrets is always null in the list (documented).",
			run:  caseClientCredList,
		},
		{
			ID: "CLIENTCRED-404", Kind: Decided, Decision: "D-4",
			Rule: "GET /ClientCredential/{id} of an unknown id gets 404 (D-4).",
			run:  caseClientCred404,
		},
	}
}

// keyForm is the documented form of a generated key, ABCD-1234-EFGH-5678.
func keyForm(key string) bool {
	return regexp.MustCompile(`^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$`).MatchString(key)
}

func caseAPIKeyCreate(c *check) {
	k := c.key()
	c.Observe("%s", c.last("ApiKey_CreateApiKey"))
	if !keyForm(k.key) {
		c.Errorf("generated key %q is not of the form ABCD-1234-EFGH-5678", k.key)
	}
	want := c.cfg.Prefix + c.runID + " conformance key"
	if k.created.Description != want {
		c.Errorf("the answer's description is %q; want %q", k.created.Description, want)
	}
	got, err := c.client.GetAPIKey(c.ctx, k.key)
	if err != nil {
		c.Fatalf("GET /ApiKey/%s: %v", k.key, err)
	}
	if got.Key != k.key || got.Description != want {
		c.Errorf("GET /ApiKey/{key}: key %q, description %q; want %q, %q", got.Key, got.Description, k.key, want)
	}
}

func caseAPIKeyList(c *check) {
	k := c.key()
	keys, err := c.client.ListAPIKeys(c.ctx)
	if err != nil {
		c.Fatalf("GET /ApiKey: %v", err)
	}
	if !slices.ContainsFunc(keys, func(x client.APIKey) bool { return x.Key == k.key }) {
		c.Errorf("GET /ApiKey (%d keys) does not list %s", len(keys), k.key)
	}
	c.Observe("%s", c.last("ApiKey_GetList"))
}

func caseAPIKeyUpdate(c *check) {
	k := c.key()
	desc, user, limit := c.cfg.Prefix+c.runID+" updated", "conformance", 250
	got, err := c.client.UpdateAPIKey(c.ctx, k.key, client.APIKeyUpdate{Description: &desc, Username: &user, MaxRequestsPerIPPerDay: &limit})
	if err != nil {
		c.Fatalf("PUT /ApiKey/%s: %v", k.key, err)
	}
	c.Observe("%s", c.last("ApiKey_UpdateByKey"))
	read, err := c.client.GetAPIKey(c.ctx, k.key)
	if err != nil {
		c.Fatalf("GET /ApiKey/%s: %v", k.key, err)
	}
	for _, x := range []*client.APIKey{got, read} {
		if x.Description != desc || x.Username != user || x.MaxRequestsPerIPPerDay == nil || *x.MaxRequestsPerIPPerDay != limit {
			c.Errorf("after the update: description %q, username %q, maxRequestsPerIPPerDay %v; want %q, %q, %d", x.Description, x.Username, x.MaxRequestsPerIPPerDay, desc, user, limit)
			break
		}
	}
}

func caseAPIKeyDomain(c *check) {
	k := c.key()
	if err := c.client.AddAPIKeyAllowedDomain(c.ctx, k.key, "www.example.com"); err != nil {
		c.Fatalf("allowing www.example.com: %v", err)
	}
	c.Observe("%s", c.last("ApiKey_AddAllowedDomain"))
	got, err := c.client.GetAPIKey(c.ctx, k.key)
	if err != nil {
		c.Fatalf("GET /ApiKey/%s: %v", k.key, err)
	}
	if !slices.Contains(got.AllowedDomains, "www.example.com") {
		c.Errorf("allowedDomains %q lacks www.example.com", got.AllowedDomains)
	}
}

// hasSubnet reports whether list holds a representation of subnet (CIDR, or the network alone).
func hasSubnet(list []string, subnet string) bool {
	network, _, _ := strings.Cut(subnet, "/")
	return slices.ContainsFunc(list, func(s string) bool {
		return s == subnet || strings.HasPrefix(s, network)
	})
}

func caseAPIKeyIP(c *check) {
	k := c.key()
	if err := c.client.AddAPIKeyAllowedIP(c.ctx, k.key, netip.MustParsePrefix("198.51.100.0/24")); err != nil {
		c.Fatalf("allowing 198.51.100.0/24: %v", err)
	}
	c.Observe("%s", c.last("ApiKey_AddAllowedIPPUT"))
	got, err := c.client.GetAPIKey(c.ctx, k.key)
	if err != nil {
		c.Fatalf("GET /ApiKey/%s: %v", k.key, err)
	}
	if !hasSubnet(got.AllowedIPs, "198.51.100.0/24") {
		c.Errorf("allowedIPs %q lacks 198.51.100.0/24", got.AllowedIPs)
	}
	c.Observe("allowedIPs read back as %q", got.AllowedIPs)
}

func caseAPIKeyIPCIDR(c *check) {
	k := c.key()
	r := c.raw(http.MethodPut, "/ApiKey/"+url.PathEscape(k.key)+"/allowedIPs/"+url.PathEscape("203.0.113.0/24")+"/", nil, nil, withToken)
	if !r.is2xx() {
		c.Fatalf("PUT allowedIPs with network 203.0.113.0/24 and a blank prefix: answered %s; want 2xx", r)
	}
	c.Observe("CIDR form: %s", r)
	got, err := c.client.GetAPIKey(c.ctx, k.key)
	if err != nil {
		c.Fatalf("GET /ApiKey/%s: %v", k.key, err)
	}
	if !hasSubnet(got.AllowedIPs, "203.0.113.0/24") {
		c.Errorf("allowedIPs %q lacks 203.0.113.0/24", got.AllowedIPs)
	}
}

func caseAPIKeyDelete(c *check) {
	k := c.key()
	if err := c.client.DeleteAPIKey(c.ctx, k.key); err != nil {
		c.Fatalf("DELETE /ApiKey/%s: %v", k.key, err)
	}
	c.mu.Lock()
	k.deleted = true
	c.mu.Unlock()
	c.Observe("%s", c.last("ApiKey_DeleteByKey"))
	_, err := c.client.GetAPIKey(c.ctx, k.key)
	if st := apiStatus(err); st < 400 || st >= 500 {
		c.Errorf("GET /ApiKey/%s after deleting it: %s; want a 4xx", k.key, outcome(err))
	}
}

func caseAPIKey404(c *check) {
	key := "CONF-" + strings.ToUpper(c.runID[:4]) + "-NONE-0000"
	_, err := c.client.GetAPIKey(c.ctx, key)
	c.want404("GET /ApiKey/"+key, err, "ApiKey_GetByKey")
}

// want404 records a failure unless err is a 4xx, and observes the answer (D-4 decides 404).
func (c *check) want404(what string, err error, op string) {
	st := apiStatus(err)
	if st < 400 || st >= 500 {
		c.Errorf("%s: %s; want a 4xx", what, outcome(err))
		return
	}
	c.Observe("%s", c.last(op))
	if !errors.Is(err, client.ErrNotFound) {
		c.Observe("not 404 as D-4 decides")
	}
}

func caseClientCredCreate(c *check) {
	desc := c.cfg.Prefix + c.runID + " conformance client"
	cc, err := c.client.CreateClientCredential(c.ctx, desc)
	if err != nil {
		c.Fatalf("POST /ClientCredential: %v", err)
	}
	c.Observe("%s", c.last("ClientCredential_Create"))
	if cc.ClientID == "" {
		c.Fatalf("the answer has no clientId")
	}
	if cc.Description != desc {
		c.Errorf("the answer's description is %q; want %q", cc.Description, desc)
	}
	got, err := c.client.GetClientCredential(c.ctx, cc.ClientID)
	if err != nil {
		c.Fatalf("GET /ClientCredential/%s: %v", cc.ClientID, err)
	}
	if got.ClientID != cc.ClientID || got.Description != desc {
		c.Errorf("GET /ClientCredential/{id}: clientId %q, description %q; want %q, %q", got.ClientID, got.Description, cc.ClientID, desc)
	}
	c.Observe("secrets in the answer to POST: %v; in GET by id: %v", cc.Secrets != nil, got.Secrets != nil)
}

func caseClientCredList(c *check) {
	list, err := c.client.ListClientCredentials(c.ctx)
	if err != nil {
		c.Fatalf("GET /ClientCredential: %v", err)
	}
	if len(list) == 0 {
		c.Errorf("GET /ClientCredential lists no client, not even the one this run authenticates as")
	}
	if !slices.ContainsFunc(list, func(x client.ClientCredential) bool { return x.ClientID == c.cfg.ClientID }) {
		c.Observe("the list does not name this run's own client %s", c.cfg.ClientID)
	}
	// The raw body, since the client keeps secrets only when the answer carries them.
	r := c.raw(http.MethodGet, "/ClientCredential", nil, nil, withToken)
	var raw []map[string]any
	if err := r.decode(&raw); err != nil {
		c.Fatalf("GET /ClientCredential: %s is not an array: %v", r, err)
	}
	for _, x := range raw {
		if s, ok := x["secrets"]; ok && s != nil {
			c.Errorf("GET /ClientCredential lists client %v with secrets %s; secrets is always null in the list", x["clientId"], jsonText(s))
		}
	}
	c.Observe("GET /ClientCredential: %s", r)
}

func caseClientCred404(c *check) {
	id := c.cfg.Prefix + c.runID + "-no-such-client"
	_, err := c.client.GetClientCredential(c.ctx, id)
	c.want404("GET /ClientCredential/"+id, err, "ClientCredential_GetById")
}
