package conformance

import (
	"fmt"
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
			Quote:   `the key is generated when not given (form ` + "`" + `ABCD-1234-EFGH-5678` + "`" + `). Answers the ` + "`" + `ApiKey` + "`" + `.`,
			Rule:    "POST /ApiKey creates a key, generated in the form ABCD-1234-EFGH-5678 when not given, and answers the ApiKey (documented); GET /ApiKey/{key} gives it (D-5). A key given in the body is the key created (it is generated only when not given); it is deleted again at once.",
			Creates: "2 API keys (one given in the body, deleted at once; the other deleted by APIKEY-DELETE, or at the end of the run)",
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
			Quote: `PUT /ApiKey/{key}/allowedDomains/{domain}: Allows a domain`,
			Rule:  "PUT /ApiKey/{key}/allowedDomains/{domain}, no body, allows a domain (documented): two domains allowed one after the other both read back in allowedDomains.",
			run:   caseAPIKeyDomain,
		},
		{
			ID: "APIKEY-ALLOWED-IP", Kind: Documented,
			Quote: `PUT /ApiKey/{key}/allowedIPs/{network}/{prefix}: Allows a subnet: ` + "`" + `network` + "`" + ` plus ` + "`" + `prefix` + "`" + ` bits`,
			Rule:  "PUT /ApiKey/{key}/allowedIPs/{network}/{prefix} allows a subnet, the network with that many prefix bits (documented): subnets of 24, 16, 15, 25 and 32 bits each read back in allowedIPs with their own prefix (as CIDR, a dotted mask, or an address alone for 32 bits).",
			run:   caseAPIKeyIP,
		},
		{
			ID: "APIKEY-ALLOWED-IP-CIDR", Kind: Documented, SendsInvalid: true,
			Quote: `with ` + "`" + `prefix` + "`" + ` blank, ` + "`" + `network` + "`" + ` is read as CIDR (` + "`" + `123.45.6.0/24` + "`" + `).`,
			Rule:  "With prefix blank, network is read as CIDR, e.g. 123.45.6.0/24 (documented): PUT /ApiKey/{key}/allowedIPs/203.0.113.0%2F24/ allows it. (OpenAPI requires path parameters to be non-empty, so a validating proxy refuses the blank prefix.)",
			run:   caseAPIKeyIPCIDR,
		},
		{
			ID: "APIKEY-DELETE", Kind: Decided, Decision: "D-5",
			Rule: "DELETE /ApiKey/{key} deletes the key (D-5); it is then unknown, and once GET /ApiKey/{key} says so, GET /ApiKey, all the account's keys (documented), does not list it.",
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
			Quote:   `The account's OAuth clients; ` + "`" + `secrets` + "`" + ` is always null in the list.`,
			Rule:    "GET /ClientCredential lists the account's OAuth clients (documented): each client the run created (one here, one in CLIENTCRED-CREATE), once; secrets is always null in the list (documented).",
			Creates: "1 OAuth client credential (the API cannot delete it)",
			run:     caseClientCredList,
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
	// A key given in the body is the key created: it is generated only when not given. The key is
	// deleted again at once.
	given := strings.ToUpper("CONF-" + c.runID[:4] + "-" + randomID(4) + "-GIVN")
	made, err := c.client.CreateAPIKey(c.ctx, client.NewAPIKey{Key: given, Description: want + " (given key)"})
	if err != nil {
		c.Observe("creating key %s given in the body: %s", given, outcome(err))
		return
	}
	if made.Key != given {
		c.Errorf("creating a key given in the body as %q: the answer's key is %q (the key is generated only when not given)", given, made.Key)
		if made.Key != "" {
			_ = c.client.DeleteAPIKey(c.ctx, made.Key)
		}
	}
	if _, err := c.client.GetAPIKey(c.ctx, given); err != nil {
		if apiStatus(err) != http.StatusNotFound {
			c.Fatalf("GET /ApiKey/%s: %v", given, err)
		}
		c.Errorf("GET /ApiKey/%s of the key given in the body: %s", given, outcome(err))
		return
	}
	if err := c.client.DeleteAPIKey(c.ctx, given); err != nil {
		c.Errorf("deleting key %s, given in the body: %s (it stays on the account)", given, outcome(err))
	}
}

func caseAPIKeyList(c *check) {
	k := c.key()
	keys, err := c.client.ListAPIKeys(c.ctx)
	if err != nil {
		c.decidedCall("GET /ApiKey", "ApiKey_GetList", err)
	}
	if !slices.ContainsFunc(keys, func(x client.APIKey) bool { return x.Key == k.key }) {
		c.Differ("D-5", "ApiKey_GetList", fmt.Sprintf("GET /ApiKey (%d keys) does not list the key just created", len(keys)), c.last("ApiKey_GetList").String())
	}
	c.Observe("%s", c.last("ApiKey_GetList"))
}

func caseAPIKeyUpdate(c *check) {
	k := c.key()
	desc, user, limit := c.cfg.Prefix+c.runID+" updated", "conformance", 250
	got, err := c.client.UpdateAPIKey(c.ctx, k.key, client.APIKeyUpdate{Description: &desc, Username: &user, MaxRequestsPerIPPerDay: &limit})
	if err != nil {
		c.decidedCall("PUT /ApiKey/{key}", "ApiKey_UpdateByKey", err)
	}
	c.Observe("%s", c.last("ApiKey_UpdateByKey"))
	read, err := c.client.GetAPIKey(c.ctx, k.key)
	if err != nil {
		c.Fatalf("GET /ApiKey/%s: %v", k.key, err)
	}
	for i, x := range []*client.APIKey{got, read} {
		if x.Description != desc || x.Username != user || x.MaxRequestsPerIPPerDay == nil || *x.MaxRequestsPerIPPerDay != limit {
			what := []string{"the answer to PUT", "GET after the update"}[i]
			c.Differ("D-5", "ApiKey_UpdateByKey", fmt.Sprintf("%s: description %q, username %q, maxRequestsPerIPPerDay %v; sent %q, %q, %d", what, x.Description, x.Username, x.MaxRequestsPerIPPerDay, desc, user, limit), c.last("ApiKey_UpdateByKey").String())
			break
		}
	}
}

func caseAPIKeyDomain(c *check) {
	k := c.key()
	domains := []string{"www.example.com", "api.example.org"}
	for _, d := range domains {
		if err := c.client.AddAPIKeyAllowedDomain(c.ctx, k.key, d); err != nil {
			c.Fatalf("allowing %s: %v", d, err)
		}
	}
	c.Observe("%s", c.last("ApiKey_AddAllowedDomain"))
	got, err := c.client.GetAPIKey(c.ctx, k.key)
	if err != nil {
		c.Fatalf("GET /ApiKey/%s: %v", k.key, err)
	}
	for _, d := range domains {
		if !slices.ContainsFunc(got.AllowedDomains, func(s string) bool { return strings.EqualFold(s, d) }) {
			c.Errorf("after allowing %q one after the other, allowedDomains %q lacks %s", domains, got.AllowedDomains, d)
		}
	}
}

// subnetOf reads one allowedIPs entry as a subnet: CIDR ("10.0.0.0/8"), a network and a dotted
// mask ("10.0.0.0/255.0.0.0" or "10.0.0.0 255.0.0.0"), or an address alone (a single host).
func subnetOf(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	network, mask, found := strings.Cut(s, "/")
	if !found {
		network, mask, found = strings.Cut(s, " ")
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(network))
	if err != nil {
		return netip.Prefix{}, false
	}
	if !found {
		return netip.PrefixFrom(addr, addr.BitLen()), true
	}
	m, err := netip.ParseAddr(strings.TrimSpace(mask))
	if err != nil || m.BitLen() != addr.BitLen() {
		return netip.Prefix{}, false
	}
	bits := 0
	for _, b := range m.AsSlice() {
		for i := 7; i >= 0 && b&(1<<i) != 0; i-- {
			bits++
		}
	}
	return netip.PrefixFrom(addr, bits).Masked(), true
}

// hasSubnet reports whether list holds subnet, in any form subnetOf reads, with the same network
// and the same prefix length.
func hasSubnet(list []string, subnet string) bool {
	want := netip.MustParsePrefix(subnet).Masked()
	return slices.ContainsFunc(list, func(s string) bool {
		p, ok := subnetOf(s)
		return ok && p == want
	})
}

// allowedSubnets are the subnets APIKEY-ALLOWED-IP allows: documentation and benchmark ranges,
// with prefixes of 24, 16, 15, 25 and 32 bits.
var allowedSubnets = []string{"198.51.100.0/24", "198.18.0.0/15", "192.0.2.128/25", "203.0.113.7/32", "100.64.0.0/16"}

func caseAPIKeyIP(c *check) {
	k := c.key()
	for _, s := range allowedSubnets {
		if err := c.client.AddAPIKeyAllowedIP(c.ctx, k.key, netip.MustParsePrefix(s)); err != nil {
			c.Fatalf("allowing %s: %v", s, err)
		}
	}
	c.Observe("%s", c.last("ApiKey_AddAllowedIPPUT"))
	got, err := c.client.GetAPIKey(c.ctx, k.key)
	if err != nil {
		c.Fatalf("GET /ApiKey/%s: %v", k.key, err)
	}
	for _, s := range allowedSubnets {
		if !hasSubnet(got.AllowedIPs, s) {
			c.Errorf("after allowing network %s with %s prefix bits, allowedIPs %q lacks that subnet", strings.Split(s, "/")[0], strings.Split(s, "/")[1], got.AllowedIPs)
		}
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
		c.decidedCall("DELETE /ApiKey/{key}", "ApiKey_DeleteByKey", err)
	}
	c.mu.Lock()
	k.deleted = true
	c.mu.Unlock()
	c.Observe("%s", c.last("ApiKey_DeleteByKey"))
	_, err := c.client.GetAPIKey(c.ctx, k.key)
	c.want404("GET /ApiKey/{key} after deleting it", err, "ApiKey_GetByKey", false)
	// Once the server itself says the key is gone, its list of all the account's keys (documented)
	// does not hold it either.
	if apiStatus(err) != http.StatusNotFound {
		return
	}
	keys, err := c.client.ListAPIKeys(c.ctx)
	if err != nil {
		c.decidedCall("GET /ApiKey", "ApiKey_GetList", err)
	}
	if slices.ContainsFunc(keys, func(x client.APIKey) bool { return x.Key == k.key }) {
		c.Errorf("GET /ApiKey still lists key %s after it was deleted (GET /ApiKey/{key} answers 404): the list is of all the account's keys", k.key)
	}
}

func caseAPIKey404(c *check) {
	key := "CONF-" + strings.ToUpper(c.runID[:4]) + "-NONE-0000"
	_, err := c.client.GetAPIKey(c.ctx, key)
	c.want404("GET /ApiKey/"+key, err, "ApiKey_GetByKey", false)
}

// want404 checks the answer to a request naming something unknown. D-4 decides 404. When the
// documentation says the call is an error (documented), anything but a 4xx fails; otherwise success
// or another 4xx is a difference. A server error or no answer always fails.
func (c *check) want404(what string, err error, op string, documented bool) {
	st := apiStatus(err)
	switch {
	case err == nil && documented:
		c.Errorf("%s: succeeded; the documentation says it does not exist", what)
	case err == nil:
		c.Differ("D-4", op, what+": succeeded, not 404", c.last(op).String())
	case st == 0 || st >= 500 || (documented && st < 400):
		c.Errorf("%s: %s; want a 4xx", what, outcome(err))
	case st != http.StatusNotFound:
		c.Differ("D-4", op, fmt.Sprintf("%s: %d, not 404", what, st), c.last(op).String())
	default:
		c.Observe("%s", c.last(op))
	}
}

func caseClientCredCreate(c *check) {
	for _, desc := range []string{c.cfg.Prefix + c.runID + " conformance client"} {
		cc, err := c.client.CreateClientCredential(c.ctx, desc)
		if err != nil {
			c.decidedCall("POST /ClientCredential", "ClientCredential_Create", err)
		}
		c.Observe("%s", c.last("ClientCredential_Create"))
		if cc.ClientID == "" {
			c.Errorf("the answer to POST /ClientCredential has no clientId; the documentation says it is generated")
			return
		}
		c.mu.Lock()
		c.clients = append(c.clients, cc.ClientID)
		c.mu.Unlock()
		if cc.Description != desc {
			c.Differ("D-5", "ClientCredential_Create", fmt.Sprintf("the answer's description is %q; sent %q", cc.Description, desc), c.last("ClientCredential_Create").String())
		}
		got, err := c.client.GetClientCredential(c.ctx, cc.ClientID)
		if err != nil {
			c.decidedCall("GET /ClientCredential/{id}", "ClientCredential_GetById", err)
		}
		if got.ClientID != cc.ClientID || got.Description != desc {
			c.Differ("D-5", "ClientCredential_GetById", fmt.Sprintf("GET /ClientCredential/{id}: clientId %q, description %q; want %q, %q", got.ClientID, got.Description, cc.ClientID, desc), c.last("ClientCredential_GetById").String())
		}
		c.Observe("secrets in the answer to POST: %v; in GET by id: %v", cc.Secrets != nil, got.Secrets != nil)
	}
}

func caseClientCredList(c *check) {
	// One more client of the run's, so that the list has at least one (two with CLIENTCRED-CREATE)
	// it must hold. Creating one is decided (D-5): a refusal is CLIENTCRED-CREATE's to judge.
	if cc, err := c.client.CreateClientCredential(c.ctx, c.cfg.Prefix+c.runID+" conformance list client"); err == nil && cc.ClientID != "" {
		c.mu.Lock()
		c.clients = append(c.clients, cc.ClientID)
		c.mu.Unlock()
	} else {
		c.Observe("POST /ClientCredential: %s; the list is checked without a client of this case's", c.last("ClientCredential_Create"))
	}
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
	// Every client the run created is the account's: listed, once.
	c.mu.Lock()
	created := slices.Clone(c.clients)
	c.mu.Unlock()
	seen := map[string]int{}
	for _, x := range list {
		seen[x.ClientID]++
	}
	for _, id := range created {
		switch n := seen[id]; {
		case n == 0:
			c.Errorf("GET /ClientCredential (%d clients) leaves out client %s, which this run created", len(list), id)
		case n > 1:
			c.Errorf("GET /ClientCredential lists client %s %d times", id, n)
		}
	}
	// The raw body, since the client keeps secrets only when the answer carries them.
	r := c.raw(http.MethodGet, "/ClientCredential", nil, nil, withToken)
	var raw []map[string]any
	if err := r.decode(&raw); err != nil {
		c.Fatalf("GET /ClientCredential: %s is not an array: %v", r, err)
	}
	for _, x := range raw {
		if s, ok := x["secrets"]; ok && s != nil {
			// Never the secrets themselves: they are redacted everywhere, and a count says enough.
			n := 1
			if list, ok := s.([]any); ok {
				n = len(list)
			}
			c.Errorf("GET /ClientCredential lists client %v with %d secret(s) (not null); secrets is always null in the list", x["clientId"], n)
		}
	}
	c.Observe("GET /ClientCredential: %s", r)
}

func caseClientCred404(c *check) {
	id := c.cfg.Prefix + c.runID + "-no-such-client"
	_, err := c.client.GetClientCredential(c.ctx, id)
	c.want404("GET /ClientCredential/"+id, err, "ClientCredential_GetById", false)
}

// decidedCall ends the case after a call of a decided operation (D-5) failed: a 4xx means the
// server does it differently (a difference), anything else is a failure.
func (c *check) decidedCall(what, op string, err error) {
	if st := apiStatus(err); st >= 400 && st < 500 {
		c.Differ("D-5", op, fmt.Sprintf("%s is refused with %d", what, st), c.last(op).String())
		c.Skipf("%s is refused: %v", what, err)
	}
	c.Fatalf("%s: %v", what, err)
}
