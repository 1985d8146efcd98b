package conformance

import (
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8time"
)

// accountCases are the cases of API keys and client credentials. Every key the run creates is held
// to what the server last said of it (keyRecord): each operation on a key is followed by a read of
// every key of the run, the one it names and the others.
func accountCases() []Case {
	return []Case{
		{
			ID: "APIKEY-CREATE", Kind: Documented, Decision: "D-5",
			Quote:   `Body ` + "`" + `{key?, description, username?, expiresOn?, maxRequestsPerIPPerDay?, isClientKey?}` + "`" + `; the key is generated when not given (form ` + "`" + `ABCD-1234-EFGH-5678` + "`" + `). Answers the ` + "`" + `ApiKey` + "`" + `.`,
			Rule:    "POST /ApiKey with description, username, expiresOn and maxRequestsPerIPPerDay creates a key, generated in the form ABCD-1234-EFGH-5678 when not given, and answers the ApiKey with the description sent (documented; the answer showing the other members sent is observed); GET /ApiKey/{key} (D-5) reads back every member as the answer gave it. A key given in the body is the key created (it is generated only when not given); it is deleted again at once.",
			Creates: "2 API keys (one given in the body, deleted at once; the other deleted by APIKEY-DELETE, or at the end of the run)",
			run:     caseAPIKeyCreate,
		},
		{
			ID: "APIKEY-LIST", Kind: Documented, Decision: "D-5",
			Quote: `GET /ApiKey: All API keys of the account: array of ` + "`" + `ApiKey` + "`" + `.`,
			Rule:  "GET /ApiKey lists all the API keys of the account (documented): every key the run created and has not deleted, exactly once, each as the server last gave it.",
			run:   caseAPIKeyList,
		},
		{
			ID: "APIKEY-ALLOWED-DOMAIN", Kind: Documented, Decision: "D-5",
			Quote:   `PUT /ApiKey/{key}/allowedDomains/{domain}: Allows a domain; a key with at least one domain becomes a **client-side** key`,
			Rule:    "PUT /ApiKey/{key}/allowedDomains/{domain}, no body, allows a domain on the key it names (documented): domains allowed one after the other on two keys of the run, in turn; after each, the key named reads back with its earlier domains and the new one and every other member as before, and the other key exactly as before.",
			Creates: "1 API key (the second key, deleted by APIKEY-DELETE, or at the end of the run)",
			run:     caseAPIKeyDomain,
		},
		{
			ID: "APIKEY-ALLOWED-IP", Kind: Documented,
			Quote: `PUT /ApiKey/{key}/allowedIPs/{network}/{prefix}: Allows a subnet: ` + "`" + `network` + "`" + ` plus ` + "`" + `prefix` + "`" + ` bits`,
			Rule:  "PUT /ApiKey/{key}/allowedIPs/{network}/{prefix} allows a subnet, the network with that many prefix bits (documented; nothing limits it to IPv4): IPv4 subnets of 24, 16, 15, 25 and 32 bits and IPv6 subnets of 48, 128, 34 and 64 bits allowed on two keys of the run, in turn; after each, the key named reads back with its earlier subnets and the new one with its own prefix (as CIDR, a dotted mask, or an address alone for a single host; compared as addresses, 2001:0db8::/32 is 2001:db8::/32), every other member as before, and the other key exactly as before.",
			run:   caseAPIKeyIP,
		},
		{
			ID: "APIKEY-ALLOWED-IP-CIDR", Kind: Documented, SendsInvalid: true,
			Quote: `with ` + "`" + `prefix` + "`" + ` blank, ` + "`" + `network` + "`" + ` is read as CIDR (` + "`" + `123.45.6.0/24` + "`" + `).`,
			Rule:  "With prefix blank, network is read as CIDR, e.g. 123.45.6.0/24 (documented): PUT /ApiKey/{key}/allowedIPs/203.0.113.0%2F24/ on one key and 2001:0db8:0006:0000::%2F48 (2001:db8:6::/48 spelt out) on the other allow those subnets, read back as in APIKEY-ALLOWED-IP. (OpenAPI requires path parameters to be non-empty, so a validating proxy refuses the blank prefix.)",
			run:   caseAPIKeyIPCIDR,
		},
		{
			ID: "APIKEY-UPDATE", Kind: Documented, Decision: "D-5",
			Quote: `PUT /ApiKey/{key}: Updates description, username, expiry, daily limit.`,
			Rule:  "PUT /ApiKey/{key} updates description, username, expiry and daily limit (documented), and nothing else: on a key with allowed domains and IPs, an update of all four and then one of the description alone leave the key, its domains, IPs and services as they were (documented). A member sent that the answer showed, or that the server took by that name in the create while the update took others by the create body's names, must read back (documented); one the server never showed taking is a difference from the update body (D-5), as is a member left out of the update that changes.",
			run:   caseAPIKeyUpdate,
		},
		{
			ID: "APIKEY-DELETE", Kind: Decided, Decision: "D-5",
			Rule: "DELETE /ApiKey/{key} deletes the key (D-5); it is then unknown, and once GET /ApiKey/{key} says so, GET /ApiKey, all the account's keys (documented), does not list it, and still lists the run's other key as it was.",
			run:  caseAPIKeyDelete,
		},
		{
			ID: "APIKEY-404", Kind: Decided, Decision: "D-4",
			Rule: "GET /ApiKey/{key} of an unknown key gets 404 with a problem body (D-4).",
			run:  caseAPIKey404,
		},
		{
			ID: "CLIENTCRED-CREATE", Kind: Documented, Decision: "D-5",
			Quote:   `POST /ClientCredential: Creates one; ` + "`" + `clientId` + "`" + ` is generated (do not send it), secrets are not sent. Body and answer ` + "`" + `{clientId, description, secrets}` + "`" + `. [...] GET /ClientCredential/{id}: One client credential.`,
			Rule:    "POST /ClientCredential with a description creates an OAuth client; clientId is generated (documented); the answer gives the description sent (a difference from D-5 if not); GET /ClientCredential/{id} reads back the clientId, and the description the answer gave (documented).",
			Creates: "1 OAuth client credential (the API cannot delete it)",
			run:     caseClientCredCreate,
		},
		{
			ID: "CLIENTCRED-LIST-NO-SECRETS", Kind: Documented, Decision: "D-5",
			Quote:   `The account's OAuth clients; ` + "`" + `secrets` + "`" + ` is always null in the list.`,
			Rule:    "GET /ClientCredential lists the account's OAuth clients (documented): each client the run created (one here, one in CLIENTCRED-CREATE), once, with the description its create's answer gave; secrets is always null in the list (documented).",
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
	if k.created.Description != k.sent.Description {
		c.Errorf("the answer's description is %q; want %q", k.created.Description, k.sent.Description)
	}
	c.mu.Lock()
	var notShown []string
	for _, m := range updatable[1:] {
		if !c.keyTook[m] {
			shown, _ := keyMember(*k.created, m)
			notShown = append(notShown, m+" "+shown)
		}
	}
	c.mu.Unlock()
	if len(notShown) > 0 && k.sent.MaxRequestsPerIPPerDay != nil {
		c.Observe("the answer to the create does not show the members sent as sent: %s (sent username %q, expiresOn %s, maxRequestsPerIPPerDay %d)", strings.Join(notShown, ", "), k.sent.Username, fixtureExpiry.Format(time.RFC3339), *k.sent.MaxRequestsPerIPPerDay)
	}
	got, err := c.client.GetAPIKey(c.ctx, k.key)
	if err != nil {
		c.Fatalf("GET /ApiKey/%s: %v", k.key, err)
	}
	if got.Key != "" && got.Key != k.key {
		c.Errorf("GET /ApiKey/%s answers key %q", k.key, got.Key)
	}
	if d := keyDiffs(*k.created, *got); len(d) > 0 {
		c.Errorf("GET /ApiKey/%s after its create reads %s: not the key the create's answer gave", k.key, strings.Join(d, "; "))
	}
	k.state = cloneKey(*got)
	// A key given in the body is the key created: it is generated only when not given. The key is
	// deleted again at once.
	given := strings.ToUpper("CONF-" + c.runID[:4] + "-" + randomID(4) + "-GIVN")
	made, err := c.client.CreateAPIKey(c.ctx, client.NewAPIKey{Key: given, Description: k.sent.Description + " (given key)"})
	if err != nil {
		c.Observe("creating key %s given in the body: %s", given, outcome(err))
		return
	}
	var mine *keyRecord
	if made.Key != "" {
		mine = c.trackKey(*made)
	}
	if made.Key != given {
		c.Errorf("creating a key given in the body as %q: the answer's key is %q (the key is generated only when not given)", given, made.Key)
		if mine != nil {
			c.deleteTracked(mine, "made when one was given in the body")
		}
		mine = nil
	}
	if _, err := c.client.GetAPIKey(c.ctx, given); err != nil {
		if apiStatus(err) != http.StatusNotFound {
			c.Fatalf("GET /ApiKey/%s: %v", given, err)
		}
		c.Errorf("GET /ApiKey/%s of the key given in the body: %s", given, outcome(err))
		return
	}
	if mine == nil {
		mine = c.trackKey(client.APIKey{Key: given})
	}
	c.deleteTracked(mine, "given in the body")
}

// deleteTracked deletes key r of the run right after a case made it (what says how), and records it
// deleted.
func (c *check) deleteTracked(r *keyRecord, what string) {
	if err := c.client.DeleteAPIKey(c.ctx, r.key); err != nil {
		c.Errorf("deleting key %s, %s: %s (the run deletes it again at its end)", r.key, what, outcome(err))
		return
	}
	c.mu.Lock()
	r.deleted = true
	c.mu.Unlock()
}

func caseAPIKeyList(c *check) {
	c.secondKey()
	keys := c.checkKeyList("with the run's keys made")
	c.Observe("%d keys listed; %s", len(keys), c.last("ApiKey_GetList"))
}

// allowedDomains are the domains APIKEY-ALLOWED-DOMAIN allows, in turn on the shared key (0) and
// the second key (1); the second key's last domain is one the shared key already has.
var allowedDomains = []struct {
	on     int
	domain string
}{{0, "www.example.com"}, {1, "shop.example.net"}, {0, "api.example.org"}, {1, "www.example.com"}}

func caseAPIKeyDomain(c *check) {
	keys := []*keyRecord{c.key().keyRecord, c.secondKey()}
	c.rereadKeys("the cases before", nil, nil)
	for _, a := range allowedDomains {
		r := keys[a.on]
		if err := c.client.AddAPIKeyAllowedDomain(c.ctx, r.key, a.domain); err != nil {
			c.Fatalf("allowing domain %s on key %s: %v", a.domain, r.key, err)
		}
		c.rereadKeys(fmt.Sprintf("PUT /ApiKey/%s/allowedDomains/%s", r.key, a.domain), r, withDomain(a.domain))
	}
	c.Observe("%s", c.last("ApiKey_AddAllowedDomain"))
	c.Observe("allowedDomains read back as %q and %q", keys[0].state.AllowedDomains, keys[1].state.AllowedDomains)
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

// allowedSubnets are the subnets APIKEY-ALLOWED-IP allows, in turn on the shared key (0) and the
// second key (1): documentation and benchmark ranges, IPv4 with prefixes of 24, 16, 15, 25 and 32
// bits, IPv6 with 48, 128, 34 and 64.
var allowedSubnets = []struct {
	on     int
	subnet string
}{
	{0, "198.51.100.0/24"}, {1, "2001:db8:4000::/34"}, {0, "198.18.0.0/15"}, {0, "2001:db8:1::/48"},
	{1, "198.51.100.128/25"}, {0, "192.0.2.128/25"}, {0, "203.0.113.7/32"}, {1, "2001:db8:2:3::/64"},
	{0, "2001:db8:ffff::7/128"}, {0, "100.64.0.0/16"},
}

func caseAPIKeyIP(c *check) {
	keys := []*keyRecord{c.key().keyRecord, c.secondKey()}
	c.rereadKeys("the cases before", nil, nil)
	for _, a := range allowedSubnets {
		r, p := keys[a.on], netip.MustParsePrefix(a.subnet)
		if err := c.client.AddAPIKeyAllowedIP(c.ctx, r.key, p); err != nil {
			c.Fatalf("allowing network %s with %d prefix bits on key %s: %v", p.Addr(), p.Bits(), r.key, err)
		}
		c.rereadKeys(fmt.Sprintf("PUT /ApiKey/%s/allowedIPs/%s/%d", r.key, p.Addr(), p.Bits()), r, withSubnet(a.subnet))
	}
	c.Observe("%s", c.last("ApiKey_AddAllowedIPPUT"))
	c.Observe("allowedIPs read back as %q and %q", keys[0].state.AllowedIPs, keys[1].state.AllowedIPs)
}

// cidrSubnets are the subnets APIKEY-ALLOWED-IP-CIDR sends as CIDR with a blank prefix, on the
// shared key (0) and the second key (1), as sent and as read back.
var cidrSubnets = []struct {
	on         int
	sent, want string
}{{0, "203.0.113.0/24", "203.0.113.0/24"}, {1, "2001:0db8:0006:0000::/48", "2001:db8:6::/48"}}

func caseAPIKeyIPCIDR(c *check) {
	keys := []*keyRecord{c.key().keyRecord, c.secondKey()}
	c.rereadKeys("the cases before", nil, nil)
	for _, a := range cidrSubnets {
		r := keys[a.on]
		path := "/ApiKey/" + url.PathEscape(r.key) + "/allowedIPs/" + url.PathEscape(a.sent) + "/"
		resp := c.raw(http.MethodPut, path, nil, nil, withToken)
		if !resp.is2xx() {
			c.Fatalf("PUT %s (network %s with a blank prefix): answered %s; want 2xx", path, a.sent, resp)
		}
		c.Observe("CIDR form %s: %s", a.sent, resp)
		c.rereadKeys("PUT "+path, r, withSubnet(a.want))
	}
}

func caseAPIKeyUpdate(c *check) {
	k := c.key()
	r := k.keyRecord
	c.rereadKeys("the cases before", nil, nil)
	// The key is updated with allowed domains and IPs (the cases before allow them; without them,
	// one of each is allowed here).
	if len(r.state.AllowedDomains) == 0 {
		if err := c.client.AddAPIKeyAllowedDomain(c.ctx, r.key, "update.example.com"); err != nil {
			c.Fatalf("allowing domain update.example.com on key %s: %v", r.key, err)
		}
		c.rereadKeys("allowing domain update.example.com on key "+r.key, r, withDomain("update.example.com"))
	}
	if len(r.state.AllowedIPs) == 0 {
		if err := c.client.AddAPIKeyAllowedIP(c.ctx, r.key, netip.MustParsePrefix("192.0.2.0/24")); err != nil {
			c.Fatalf("allowing subnet 192.0.2.0/24 on key %s: %v", r.key, err)
		}
		c.rereadKeys("allowing subnet 192.0.2.0/24 on key "+r.key, r, withSubnet("192.0.2.0/24"))
	}
	desc, user, limit := c.cfg.Prefix+c.runID+" updated", "conformance-updated", 250
	expiry := time.Date(2037, 1, 15, 0, 0, 0, 0, time.UTC) // midnight in winter: the same date in UTC and in London
	c.updateKey(r, "an update of description, username, expiry and daily limit", client.APIKeyUpdate{Description: &desc, Username: &user, ExpiresOn: &expiry, MaxRequestsPerIPPerDay: &limit})
	again := desc + " again"
	if !c.updateKey(r, "an update of the description alone", client.APIKeyUpdate{Description: &again}) {
		c.Skipf("PUT /ApiKey/{key} is refused")
	}
}

// updateKey sends u to PUT /ApiKey/{key} of key r (what describes it) and checks the answer and a
// read after it against what the server said of the key before: the key, its allowed domains, IPs
// and services never change (documented: the update names four members); a member sent reads back
// as sent when the answer showed it so, or when the server took that member by that name in the
// create (keyTook) and this update took another member by the create body's name (documented: it
// updates those four); otherwise the update body differs from D-5, and so does an update that
// changes a member it leaves out. Every other key of the run must read back as it was. A refusal
// (4xx) is a difference from the update body (D-5); updateKey then reports false.
func (c *check) updateKey(r *keyRecord, what string, u client.APIKeyUpdate) bool {
	before, sent := cloneKey(r.state), cloneKey(r.state)
	var members []string
	if u.Description != nil {
		sent.Description, members = *u.Description, append(members, "description")
	}
	if u.Username != nil {
		sent.Username, members = *u.Username, append(members, "username")
	}
	if u.ExpiresOn != nil {
		sent.ExpiresOn, members = &data8time.Time{Time: *u.ExpiresOn}, append(members, "expiresOn")
	}
	if u.MaxRequestsPerIPPerDay != nil {
		sent.MaxRequestsPerIPPerDay, members = u.MaxRequestsPerIPPerDay, append(members, "maxRequestsPerIPPerDay")
	}
	answer, err := c.client.UpdateAPIKey(c.ctx, r.key, u)
	if st := apiStatus(err); st >= 400 && st < 500 {
		c.Differ("D-5", "ApiKey_UpdateByKey", fmt.Sprintf("%s is refused with %d", what, st), c.last("ApiKey_UpdateByKey").String())
		c.rereadKeys(fmt.Sprintf("%s of key %s, refused", what, r.key), r, nil)
		return false
	}
	if err != nil {
		c.Fatalf("PUT /ApiKey/%s (%s): %v", r.key, what, err)
	}
	ex := c.last("ApiKey_UpdateByKey")
	c.Observe("%s: %s", what, ex)
	read, err := c.client.GetAPIKey(c.ctx, r.key)
	if err != nil {
		c.Fatalf("GET /ApiKey/%s after %s: %v", r.key, what, err)
	}
	r.state = cloneKey(*read)
	fixed := others(updatable)
	if d := keyDiffs(before, *read, fixed...); len(d) > 0 {
		c.Errorf("%s of key %s: it updates description, username, expiry and daily limit only, but GET after it reads %s", what, r.key, strings.Join(d, "; "))
	}
	hasBody := ex.BodyLen > 0
	if d := keyDiffs(before, *answer, fixed...); hasBody && len(d) > 0 {
		c.Errorf("%s of key %s: it updates description, username, expiry and daily limit only, but its answer gives %s", what, r.key, strings.Join(d, "; "))
	}
	if left := others(append(slices.Clone(members), fixed...)); len(left) > 0 {
		if d := keyDiffs(before, *read, left...); len(d) > 0 {
			c.Differ("D-5", "ApiKey_UpdateByKey", fmt.Sprintf("%s, which leaves %s out: GET after it reads %s", what, strings.Join(left, ", "), strings.Join(d, "; ")), ex.String())
		}
	}
	var applied []string
	for _, m := range members {
		if len(keyDiffs(sent, *read, m)) == 0 {
			applied = append(applied, m)
		}
	}
	c.mu.Lock()
	took := maps.Clone(c.keyTook)
	c.mu.Unlock()
	for _, m := range members {
		if slices.Contains(applied, m) {
			continue
		}
		sentText, _ := keyMember(sent, m)
		readText, _ := keyMember(*read, m)
		switch {
		case hasBody && len(keyDiffs(sent, *answer, m)) == 0:
			c.Errorf("%s of key %s: its answer gave %s %s, as sent; GET after it reads %s", what, r.key, m, sentText, readText)
		case took[m] && len(applied) > 0:
			c.Errorf("%s of key %s: sent %s %s; GET after it reads %s. The update took %s by the create body's names, and the create took %s by this name (its answer showed it): the update does not update it", what, r.key, m, sentText, readText, strings.Join(applied, ", "), m)
		default:
			c.Differ("D-5", "ApiKey_UpdateByKey", fmt.Sprintf("%s: sent %s %s; GET after it reads %s, and nothing showed the server takes it by that name", what, m, sentText, readText), ex.String())
		}
	}
	c.rereadKeys(fmt.Sprintf("%s of key %s", what, r.key), r, nil)
	return true
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
	// does not hold it either; the run's other keys are still listed as they were.
	if apiStatus(err) == http.StatusNotFound {
		c.mu.Lock()
		k.gone = true
		c.mu.Unlock()
	}
	c.checkKeyList("after deleting key " + k.key)
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

// clientRecord is an OAuth client the run created: its id, and the description the answer to its
// create gave when that was the description sent (shown), which every read must then give.
type clientRecord struct {
	id          string
	description string
	shown       bool
}

// createClient creates an OAuth client of the run with description desc and records it; a
// description the answer does not give as sent is a difference from D-5 (the server may take it by
// another name), and nothing later is held to it.
func (c *check) createClient(desc string) (*clientRecord, error) {
	cc, err := c.client.CreateClientCredential(c.ctx, desc)
	if err != nil || cc.ClientID == "" {
		return nil, err
	}
	rec := &clientRecord{id: cc.ClientID, description: desc, shown: cc.Description == desc}
	if !rec.shown {
		c.Differ("D-5", "ClientCredential_Create", fmt.Sprintf("the answer's description is %q; sent %q", cc.Description, desc), c.last("ClientCredential_Create").String())
	}
	c.mu.Lock()
	c.clients = append(c.clients, *rec)
	c.mu.Unlock()
	return rec, nil
}

func caseClientCredCreate(c *check) {
	desc := c.cfg.Prefix + c.runID + " conformance client"
	cc, err := c.createClient(desc)
	if err != nil {
		c.decidedCall("POST /ClientCredential", "ClientCredential_Create", err)
	}
	c.Observe("%s", c.last("ClientCredential_Create"))
	if cc == nil {
		c.Errorf("the answer to POST /ClientCredential has no clientId; the documentation says it is generated")
		return
	}
	got, err := c.client.GetClientCredential(c.ctx, cc.id)
	if err != nil {
		c.decidedCall("GET /ClientCredential/{id}", "ClientCredential_GetById", err)
	}
	switch {
	case got.ClientID != cc.id:
		c.Errorf("GET /ClientCredential/%s gives clientId %q: not the client asked for", cc.id, got.ClientID)
	case cc.shown && got.Description != desc:
		c.Errorf("the answer to POST /ClientCredential gave description %q, as sent; GET /ClientCredential/%s reads %q", desc, cc.id, got.Description)
	case !cc.shown && got.Description != desc:
		c.Differ("D-5", "ClientCredential_GetById", fmt.Sprintf("GET /ClientCredential/{id}: description %q; sent %q", got.Description, desc), c.last("ClientCredential_GetById").String())
	}
	c.Observe("secrets in GET by id: %v", got.Secrets != nil)
}

func caseClientCredList(c *check) {
	// One more client of the run's, so that the list has at least one (two with CLIENTCRED-CREATE)
	// it must hold. Creating one is decided (D-5): a refusal is CLIENTCRED-CREATE's to judge.
	if cc, err := c.createClient(c.cfg.Prefix + c.runID + " conformance list client"); err != nil || cc == nil {
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
	// Every client the run created is the account's: listed, once, with the description its
	// create's answer gave.
	c.mu.Lock()
	created := slices.Clone(c.clients)
	c.mu.Unlock()
	seen := map[string][]client.ClientCredential{}
	for _, x := range list {
		seen[x.ClientID] = append(seen[x.ClientID], x)
	}
	for _, cr := range created {
		switch got := seen[cr.id]; {
		case len(got) == 0:
			c.Errorf("GET /ClientCredential (%d clients) leaves out client %s, which this run created", len(list), cr.id)
		case len(got) > 1:
			c.Errorf("GET /ClientCredential lists client %s %d times", cr.id, len(got))
		case cr.shown && got[0].Description != cr.description:
			c.Errorf("GET /ClientCredential lists client %s with description %q; the answer to its create gave %q, as sent", cr.id, got[0].Description, cr.description)
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
