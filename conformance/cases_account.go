package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
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
			Rule:    "POST /ApiKey with description, username, expiresOn and maxRequestsPerIPPerDay creates a key, generated in the form ABCD-1234-EFGH-5678 when not given (a key given as \"\" is not given: generated, or the create refused, observed; stored as \"\", it fails) (four groups of four upper-case letters or digits; every key the run has the server generate, in any case, is held to it where it is created, and read back or listed by that value), and answers the ApiKey with the description sent (documented; the answer showing the other members sent is observed); GET /ApiKey/{key} (D-5) reads back every member as the answer gave it. A key given in the body, in mixed case, is the key created, exactly as given (it is generated only when not given), or the create is refused (then it is given in upper case); the given key is created with a username in mixed case, an expiry sent with a +02:00 offset (the same instant, any RFC 3339 time is read, documented) and a daily limit, and reads back with every member the server took (its answer showed it) as sent; so are three keys alike to it, given beside it (its value in the other case, its value followed by -2 and by .v2: other values, other keys; a refusal is observed), each found by its own value; a domain and a subnet are allowed on it and its description is updated, and neither key alike changes; deleted, with both keys alike still there as they were (then deleted too), a key created right after with a description alone holds nothing of it (no domain, no subnet, in the answer or read back; deleted again), and its value is given again by 3 creates sent at once: exactly one succeeds and the others are refused with a 4xx (a deleted key holds nothing back; a key names one key), and the key reads back with that create's description and nothing of the deleted key (no domain, no subnet, not its username, expiry or limit); a fourth create of it, refused, changes nothing of it and makes no key (GET /ApiKey lists no key with the refused body's description); it is deleted again.",
			Creates: "8 API keys (one given as \"\" in the body, generated then and deleted at once; one given in the body, deleted at once, given again and deleted again; three alike to it deleted with it; one generated right after its delete, deleted again; the generated one deleted by APIKEY-DELETE, or at the end of the run)",
			run:     caseAPIKeyCreate,
		},
		{
			ID: "APIKEY-LIST", Kind: Documented, Decision: "D-5",
			Quote:   `GET /ApiKey: All API keys of the account: array of ` + "`" + `ApiKey` + "`" + `.`,
			Rule:    "GET /ApiKey lists all the API keys of the account (documented): every key the run created and has not deleted, exactly once, each as the server last gave it, a key whose expiry has passed (2001-01-01) among them (a refusal to create it is observed). Two keys created at once without a key and with one description each get a key of their own (generated, documented: equal descriptions make two keys, not one), and both are listed; a third key of the run, deleted at the same moment, is not (once GET /ApiKey/{key} says 404). Then every older key of the run is read by its key (GET /ApiKey/{key}, D-5), now that newer ones exist: each reads back as the server last gave it, not as another key.",
			Creates: "4 API keys (2 created at once, deleted at the end of the run; 1 deleted as they are created; 1 that expired in 2001, deleted at the end of the case)",
			run:     caseAPIKeyList,
		},
		{
			ID: "APIKEY-ALLOWED-DOMAIN", Kind: Documented, Decision: "D-5",
			Quote:   `PUT /ApiKey/{key}/allowedDomains/{domain}: Allows a domain; a key with at least one domain becomes a **client-side** key`,
			Rule:    "PUT /ApiKey/{key}/allowedDomains/{domain}, no body, allows a domain on the key it names (documented): domains allowed one after the other on two keys of the run, in turn; after each, the key named reads back with its earlier domains and the new one and every other member as before, and the other key exactly as before. A domain the key has, allowed again, stays allowed; a domain the other key allows is allowed on this one too (one each way, and each key reads back with it); domains related to ones the key has (its parent example.com, endings ww.example.com and w.example.com of www.example.com, a child shop.www.example.com, a beginning www.example.co, and api.example.org.uk, which begins with api.example.org) are each another domain, allowed and read back; so are domains with hyphens (my-shop.example-site.com, the IDN form xn--bcher-kva.example) one whose label begins with a digit (1st.example.net), and one in mixed case (Shop.Example.ORG; domains have no case, it may read back lower-cased). A domain of 253 characters (the most DNS allows) may be refused (no length limit is documented); taken, it reads back whole. Values that are no domain (with a space, an @, a colon) may be refused; refused, every key of the run reads back exactly as before. Then 4 domains allowed at once on the second key: each answers 2xx, and the key reads back with every one of them (none lost).",
			Creates: "1 API key (the second key, deleted by APIKEY-DELETE, or at the end of the run)",
			run:     caseAPIKeyDomain,
		},
		{
			ID: "APIKEY-ALLOWED-IP", Kind: Documented,
			Quote: `PUT /ApiKey/{key}/allowedIPs/{network}/{prefix}: Allows a subnet: ` + "`" + `network` + "`" + ` plus ` + "`" + `prefix` + "`" + ` bits`,
			Rule:  "PUT /ApiKey/{key}/allowedIPs/{network}/{prefix} allows a subnet, the network with that many prefix bits (documented; nothing limits it to IPv4): IPv4 subnets of 24, 16, 15, 25 and 32 bits and IPv6 subnets of 48, 128, 34 and 64 bits allowed on two keys of the run, in turn, then two subnets of each key (an IPv4 and an IPv6 one) allowed on the other key too (a subnet one key allows is allowed on another all the same); after each, the key named reads back with its earlier subnets and the new one with its own prefix (as CIDR, a dotted mask, or an address alone for a single host; compared as addresses, 2001:0db8::/32 is 2001:db8::/32), every other member as before, and the other key exactly as before; a subnet the key has, allowed again, stays allowed; the shortest prefixes that are plainly subnets (IPv4 /1 and /8, IPv6 /1) are allowed and read back. A prefix of 0 (the whole address space) is observed: a server may refuse it; taken, it reads back. A network with host bits set under its prefix (192.0.2.77 with 24 bits, 2001:db8:5::1 with 48) may be refused; taken, it is the subnet (192.0.2.0/24), not the single address. An IPv6 network written in upper-case hex (2001:DB8:C:: with 48 bits; hex digits have no case) is allowed and reads back as 2001:db8:c::/48. An IPv4-mapped network (::ffff:198.18.20.0 with 120 bits) may be refused; taken, it is the IPv4 subnet 198.18.20.0/24 (or the mapped one), not one address. Subnets that are none (192.0.2.300/24, 192.0.2.0/33, not-an-address/24) may be refused; refused, every key of the run reads back exactly as before. Then 4 subnets allowed at once on the second key: each answers 2xx, and the key reads back with every one of them (none lost).",
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
			Rule:  "PUT /ApiKey/{key} updates description, username, expiry and daily limit (documented), and nothing else: on a key with allowed domains and IPs, an update of all four and then one of the description alone leave the key, its domains, IPs and services as they were (documented). A member sent that the answer showed, or that the server took by that name in the create while the update took others by the create body's names, must read back (documented); one the server never showed taking is a difference from the update body (D-5), as is a member left out of the update that changes. A third update sends the description and an expiry with a +02:00 offset (any RFC 3339 time is read, documented): it reads back as the same instant. Then values at the edges of their representations, each with a new description, read back as sent: daily limits of 2147483647 (the largest int32, the documented format) and 40000 (past 16 bits); expiries 2040-02-29T23:59:59.5Z (past 2038-01-19T03:14:07Z, where 32-bit seconds since 1970 end; a leap day; half a second: an expiry kept to a coarser unit, the millisecond, 1/300 second, second or minute, is observed, as how precisely a time is stored is not documented) and 2036-10-26T01:30:00Z (in the hour UK clocks repeat: a store of UK wall time reads it an hour early); a username of \"\" (sent empty, it is the username, not a member left out); a description of over 1,000 characters (no length limit is documented: refused, it differs from D-5; taken, it reads back whole). The first update's username is in mixed case, and reads back so. Updates with a good description and one bad member (expiresOn \"tomorrow\" or 30 February, a daily limit \"many\": refused, documented types, when the server took the member by that name in the create; a limit of -1: may be taken, observed) change nothing when refused: every key of the run, the one named included, reads back exactly as before each (these bodies break the spec: not sent behind a validating proxy). Writes sent at once are each kept (each answered 200): updates of the key and of the run's second key at once each read back, and neither changes the other key (a server seen to clear the members an update leaves out may clear them here too); an update, a domain and a subnet on the key at once each read back. GET /ApiKey, read before the updates and after them, lists every key of the run as it then reads (all the account's keys, documented).",
			run:   caseAPIKeyUpdate,
		},
		{
			ID: "APIKEY-DELETE", Kind: Decided, Decision: "D-5",
			Rule: "DELETE /ApiKey/{key} deletes the key (D-5); it is then unknown, and once GET /ApiKey/{key} says so, an update of it, a domain or a subnet (with a prefix, and in the CIDR form) allowed on it are errors (\"does not exist\", documented; 404, D-4), a second DELETE of it is 404 (D-4), GET still does not find it, and GET /ApiKey, all the account's keys (documented), does not list it, and still lists the run's other key as it was.",
			run:  caseAPIKeyDelete,
		},
		{
			ID: "APIKEY-404", Kind: Documented, Decision: "D-4",
			Quote: `Unknown name in a path: documented text ("does not exist").`,
			Rule:  `Every operation naming an unknown key is an error ("does not exist", documented), 404 with a problem body (D-4): GET, PUT (an update), DELETE, PUT allowedDomains/{domain} and PUT allowedIPs/{network}/{prefix}, with a prefix and in the CIDR form (prefix blank), of a key that does not exist; and none of them makes it: GET /ApiKey/{key} after them still does not find it. API keys and client credentials are two kinds: GET /ApiKey/{key} of the run's own clientId is an error too. Keys near each live key of the run (without its last character, with a character added, with its last character changed, with a character replaced by '_' or its end by '%', LIKE patterns that match it) are unknown keys too: GET (no answer with another key), an update, a domain, a subnet and DELETE of each are errors, and every key of the run reads back unchanged after them (with no live key of the run left, one is made for this).`,
			run:   caseAPIKey404,
		},
		{
			ID: "CLIENTCRED-CREATE", Kind: Documented, Decision: "D-5",
			Quote:   `POST /ClientCredential: Creates one; ` + "`" + `clientId` + "`" + ` is generated (do not send it), secrets are not sent. Body and answer ` + "`" + `{clientId, description, secrets}` + "`" + `. [...] GET /ClientCredential/{id}: One client credential.`,
			Rule:    "POST /ClientCredential with a description (letters beyond ASCII, an emoji, HTML specials, quotes) creates an OAuth client; clientId is generated (documented): a second create that sends a clientId of its own all the same does not get that id (a refusal is observed); the answer gives the description sent (a difference from D-5 if it gives none; a failure if it gives another); GET /ClientCredential/{id} reads back the clientId, and the description the answer gave (documented).",
			Creates: "2 OAuth client credentials (the API cannot delete them; one sent with a clientId of its own choosing)",
			Cost:    Cost{Clients: 2},
			run:     caseClientCredCreate,
		},
		{
			ID: "CLIENTCRED-LIST-NO-SECRETS", Kind: Documented, Decision: "D-5",
			Quote:   `The account's OAuth clients; ` + "`" + `secrets` + "`" + ` is always null in the list.`,
			Rule:    "GET /ClientCredential lists the account's OAuth clients (documented): each client the run created (two here, created at once with one description after the list was read once, each with a clientId of its own, generated: equal descriptions make two clients, not one; one in CLIENTCRED-CREATE), once, with the description its create's answer gave; secrets is always null in the list (documented), and no client whose clientId is an API key of the run. Every client the run created, and the run's own client, is then read by its id (GET /ClientCredential/{id}: one client credential, documented), now that newer clients exist: each gives its own clientId and its own description (as its create's answer gave it; the run's own, as the list gives it), not another client's. GET /ApiKey read then (all the account's API keys, documented; API keys and client credentials are two kinds) lists the run's keys as APIKEY-LIST does, and no key whose value is a client's clientId.",
			Creates: "2 OAuth client credentials (the API cannot delete them)",
			Cost:    Cost{Clients: 2},
			run:     caseClientCredList,
		},
		{
			ID: "CLIENTCRED-404", Kind: Decided, Decision: "D-4",
			Rule: "GET /ClientCredential/{id} of an unknown id gets 404 (D-4); so do ids near the run's own clientId and near every client the run created (without the last character, with a character added, with the last character changed, LIKE patterns that match it), and the value of each live API key of the run (two kinds: an API key is no OAuth client; a client answered for one must at least be listed by GET /ClientCredential, the account's OAuth clients, documented). A success answering another client than the id asked for fails: GET /ClientCredential/{id} gives one client credential (documented), the one named.",
			run:  caseClientCred404,
		},
	}
}

// keyForm reports whether key has the documented form of a generated key, ABCD-1234-EFGH-5678: four
// groups of four upper-case letters or digits, joined by hyphens. (Which group holds letters and
// which digits is read from the example loosely; the case is not: the form is upper case.)
func keyForm(key string) bool {
	return keyFormRE.MatchString(key)
}

// keyFormRE is the form keyForm checks.
var keyFormRE = regexp.MustCompile(`^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$`)

// generatedKey records a key the server generated (the create sent no key) as trackKey does, and
// checks its form: every key the run has generated, whichever create made it, not the first alone.
// (A read or list that gives the key otherwise fails where it is read: a key is found by its value.)
func (c *check) generatedKey(what string, state client.APIKey) *keyRecord {
	if !keyForm(state.Key) {
		c.Errorf("%s: the server generated key %q, which is not of the form ABCD-1234-EFGH-5678: the key is generated when not given (form `ABCD-1234-EFGH-5678`), documented", what, state.Key)
	}
	return c.trackKey(state)
}

func caseAPIKeyCreate(c *check) {
	k := c.key() // its form is checked where it is created (generatedKey)
	c.Observe("%s", c.last("ApiKey_CreateApiKey"))
	c.emptyGivenKey()
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
	c.givenKey(k.sent.Description)
}

// givenKey creates a key given in the body, spelt in mixed case (ABCD-1234-EFGH-5678 is the form of
// a generated key; nothing says a given key must be upper case): it is the key created, exactly as
// given, or the create is refused (the key is generated only when not given). A refusal is
// observed, and the key is given in upper case instead. The key is then deleted ("Deletes the
// key"), and its value given again by three creates sent at once: a deleted key holds nothing
// back, and a key names one key, so exactly one create succeeds and the others are refused; the
// key then reads back with that create's description, and is deleted again.
func (c *check) givenKey(desc string) {
	given := "Conf-" + strings.ToUpper(c.runID[:2]) + c.runID[2:4] + "-" + randomID(2) + strings.ToUpper(randomID(2)) + "-gIvN"
	mine, ok := c.createGiven(given, desc+" (given key)")
	if !ok {
		given = strings.ToUpper(given)
		if mine, ok = c.createGiven(given, desc+" (given key)"); !ok {
			return
		}
	}
	if mine == nil {
		return
	}
	// Keys alike to it, each a key of its own: the operations on it below change none of them.
	alike := c.keysAlike(given, desc)
	// What the deleted key held, which a key made again of its value must not have.
	if err := c.client.AddAPIKeyAllowedDomain(c.ctx, given, "given.example.com"); err != nil {
		c.Errorf("allowing domain given.example.com on key %s: %s", given, outcome(err))
	}
	if err := c.client.AddAPIKeyAllowedIP(c.ctx, given, netip.MustParsePrefix("192.0.2.64/26")); err != nil {
		c.Errorf("allowing subnet 192.0.2.64/26 on key %s: %s", given, outcome(err))
	}
	old, err := c.client.GetAPIKey(c.ctx, given)
	if err != nil {
		c.Fatalf("GET /ApiKey/%s: %v", given, err)
	}
	mine.state = cloneKey(*old)
	if len(alike) > 0 {
		c.rereadKeys(fmt.Sprintf("allowing a domain and a subnet on key %s (keys alike to it: %q)", given, alike), mine, nil)
		// An update of its description updates it alone (updateKey rereads every key of the run).
		upd := desc + " (given key, updated)"
		c.updateKey(mine, fmt.Sprintf("an update of the description of key %s (keys alike to it: %q)", given, alike), client.APIKeyUpdate{Description: &upd})
	}
	if !c.deleteTracked(mine, "given in the body") {
		return
	}
	if len(alike) > 0 {
		c.rereadKeys(fmt.Sprintf("DELETE /ApiKey/%s (keys alike to it, which it does not name: %q)", given, alike), nil, nil)
		defer c.dropKeys(alike)
	}
	c.newKeyAfterDelete(given, desc)
	descs := make([]string, 3)
	reqs := make([]atOnce, len(descs))
	for i := range reqs {
		descs[i] = fmt.Sprintf("%s (given key again, create %d of %d at once)", desc, i+1, len(reqs))
		body, _ := json.Marshal(map[string]any{"key": given, "description": descs[i]})
		reqs[i] = atOnce{method: http.MethodPost, path: "/ApiKey", body: body}
	}
	statuses := c.allAtOnce(reqs)
	got, err := c.client.GetAPIKey(c.ctx, given)
	if err == nil {
		state := *got
		state.Key = given // an answer that leaves the key out is the spec check's to judge
		again := c.trackKey(state)
		defer c.deleteTracked(again, "given again after its deletion")
	}
	ok2, refused := tally(statuses, func(st int) bool { return st >= 400 && st < 500 })
	switch {
	case ok2 == 0 && refused == len(statuses):
		c.Errorf("key %s, deleted (DELETE answered 2xx), given again by %d creates sent at once: answered %v, every one refused; a deleted key is gone and holds its value back from no new key", given, len(statuses), statuses)
		return
	case ok2 != 1 || refused != len(statuses)-1:
		c.Errorf("key %s given by %d creates sent at once (after its deletion): answered %v; want exactly one 2xx and a refusal (4xx) for each other: a key names one key", given, len(statuses), statuses)
	}
	if err != nil {
		c.Errorf("GET /ApiKey/%s after %d creates of it sent at once answered %v: %s", given, len(statuses), statuses, outcome(err))
		return
	}
	if got.Key != "" && got.Key != given {
		c.Errorf("GET /ApiKey/%s answers key %q; given %q", given, got.Key, given)
	}
	if !slices.Contains(descs, got.Description) {
		c.Errorf("GET /ApiKey/%s after %d creates of it sent at once reads description %q, none of those sent (%q)", given, len(statuses), got.Description, descs)
	}
	// The key made again is a new key: nothing of the deleted one is left on it.
	for _, m := range []string{"allowedDomains", "allowedIPs", "username", "expiresOn", "maxRequestsPerIPPerDay"} {
		oldShow, oldCanon := keyMember(*old, m)
		gotShow, gotCanon := keyMember(*got, m)
		if gotCanon != "" && gotCanon != "null" && gotCanon == oldCanon {
			c.Errorf("key %s, deleted and created again with a key and a description alone, reads %s %s: what the deleted key had (%s), not a new key's", given, m, gotShow, oldShow)
		}
	}
	// A create of a key that exists is refused, and refused, it changes nothing.
	fourth, err := c.client.CreateAPIKey(c.ctx, client.NewAPIKey{Key: given, Description: desc + " (given key, a fourth create)", Username: "conformance-fourth"})
	if err == nil {
		c.Errorf("a fourth create of key %s, which exists: succeeded (%q); a key names one key", given, fourth.Description)
	} else if st := apiStatus(err); st < 400 || st >= 500 {
		c.Errorf("a fourth create of key %s, which exists: %s; want a refusal (4xx)", given, outcome(err))
	} else {
		c.refusedCreateMadeNoKey(desc+" (given key, a fourth create)", given, outcome(err))
	}
	after, err := c.client.GetAPIKey(c.ctx, given)
	if err != nil {
		c.Errorf("GET /ApiKey/%s after a refused create of it: %s", given, outcome(err))
		return
	}
	if d := keyDiffs(*got, *after); len(d) > 0 {
		c.Errorf("key %s, after a create of it refused (%s): reads %s", given, outcome(err), strings.Join(d, "; "))
	}
}

// emptyGivenKey creates a key with "key": "" in the body: a key given empty is not given, so it is
// generated, in the documented form ("the key is generated when not given"; the spec: "when left
// out or empty"), or the create is refused (observed). A key stored and answered as "" fails. The
// key made is deleted again.
func (c *check) emptyGivenKey() {
	what := `POST /ApiKey with "key": ""`
	r := c.raw(http.MethodPost, "/ApiKey", nil, map[string]any{"key": "", "description": c.cfg.Prefix + c.runID + ` key given as ""`}, withToken)
	var k client.APIKey
	switch {
	case r.is4xx():
		c.Observe("%s: %s", what, r)
	case !r.is2xx():
		c.Errorf("%s: answered %s; want a generated key, or a refusal (4xx)", what, r)
	case len(bytes.TrimSpace(r.Body)) == 0:
		c.Observe("%s: %s, without a body", what, r)
	case r.decode(&k) != nil || k.Key == "":
		c.Errorf("%s: answered %s with no key, or the key \"\": a key given empty is not given, and the key is generated when not given (form ABCD-1234-EFGH-5678)", what, r)
	default:
		c.dropKeys([]string{c.generatedKey(what, k).key})
	}
}

// keysAlike creates, beside key given (a live key of the run), keys given in the body whose values
// differ from it only in case and that begin with it (given-2): other values, so other keys (a key
// names one key, exactly as given); a refusal of either is observed. Each must be found by its own
// value (createGiven), and an operation on given must change neither (a lookup that folds case, or
// a delete or update by prefix, would). It returns the keys made, which the run deletes at its end.
func (c *check) keysAlike(given, desc string) []string {
	other := strings.ToUpper(given)
	if other == given {
		other = strings.ToLower(given)
	}
	var made []string
	for _, k := range []struct{ key, what string }{{other, "differing from it only in case"}, {given + "-2", "beginning with it"}, {given + ".v2", "beginning with it, then a dot (a route may read a dotted suffix as a format)"}} {
		r, ok := c.createGiven(k.key, fmt.Sprintf("%s (a key %s)", desc, k.what))
		if !ok || r == nil {
			continue
		}
		made = append(made, k.key)
		if got, err := c.client.GetAPIKey(c.ctx, k.key); err == nil {
			r.state = cloneKey(*got)
		}
	}
	return made
}

// dropKeys deletes the run's keys named, which a case made for itself; a key already gone (404)
// was a failure where it was found missing, and is recorded deleted too.
func (c *check) dropKeys(keys []string) {
	for _, r := range c.liveKeys() {
		if !slices.Contains(keys, r.key) {
			continue
		}
		err := c.client.DeleteAPIKey(c.ctx, r.key)
		if err != nil && apiStatus(err) != http.StatusNotFound {
			c.Errorf("deleting key %s, made by this case: %s (the run deletes it again at its end)", r.key, outcome(err))
			continue
		}
		gone := err != nil || c.goneAfterDelete(r.key, "made by this case")
		c.mu.Lock()
		r.deleted, r.gone = true, gone
		c.mu.Unlock()
	}
}

// givenExpiry is the expiry of the key given in the body, sent with a +02:00 offset: midnight UTC,
// so a server keeping dates only keeps it.
var givenExpiry = time.Date(2036, 1, 1, 2, 0, 0, 0, time.FixedZone("UTC+2", 2*3600))

// createGiven creates key given (description desc) with a POST /ApiKey body naming it, and checks
// the key created is the one given, exactly: the answer names it, and GET /ApiKey/{given} finds
// it. A refusal (4xx) is observed and reported as not ok; a key made under another name is deleted
// again.
func (c *check) createGiven(given, desc string) (*keyRecord, bool) {
	limit := 77
	sent := client.NewAPIKey{Key: given, Description: desc, Username: "Conformance-Given", ExpiresOn: givenExpiry, MaxRequestsPerIPPerDay: &limit}
	made, err := c.client.CreateAPIKey(c.ctx, sent)
	if st := apiStatus(err); st >= 400 && st < 500 {
		c.Observe("creating key %s given in the body: %s", given, outcome(err))
		return nil, false
	}
	if err != nil {
		c.Fatalf("creating key %s given in the body: %v", given, err)
	}
	var mine *keyRecord
	if made.Key != "" {
		mine = c.trackKey(*made)
	}
	if made.Key != given {
		c.Errorf("creating a key given in the body as %q: the answer's key is %q (the key is generated only when not given: a given key is the key, exactly)", given, made.Key)
		if mine != nil {
			c.deleteTracked(mine, "made when one was given in the body")
		}
		mine = nil
	}
	got, err := c.client.GetAPIKey(c.ctx, given)
	if err != nil {
		if apiStatus(err) != http.StatusNotFound {
			c.Fatalf("GET /ApiKey/%s: %v", given, err)
		}
		c.Errorf("GET /ApiKey/%s of the key given in the body: %s", given, outcome(err))
		return nil, true
	}
	if got.Key != "" && got.Key != given {
		c.Errorf("GET /ApiKey/%s of the key given in the body answers key %q", given, got.Key)
	}
	// Every member the server takes by its name (the shared key's create showed it) reads back as
	// sent; the expiry as the instant sent with its offset.
	c.mu.Lock()
	took := maps.Clone(c.keyTook)
	c.mu.Unlock()
	want := client.APIKey{Description: desc, Username: sent.Username, ExpiresOn: &data8time.Time{Time: givenExpiry}, MaxRequestsPerIPPerDay: &limit}
	members := []string{"description"}
	for _, m := range updatable[1:] {
		if took[m] {
			members = append(members, m)
		}
	}
	if d := keyDiffs(want, *got, members...); len(d) > 0 {
		c.Errorf("GET /ApiKey/%s of the key given in the body (expiresOn sent as %s) reads %s", given, givenExpiry.Format(time.RFC3339), strings.Join(d, "; "))
	}
	if mine == nil {
		mine = c.trackKey(client.APIKey{Key: given})
	}
	return mine, true
}

// deleteTracked deletes key r of the run right after a case made it (what says how), and records it
// deleted; GET then says it does not exist (goneAfterDelete).
// It reports whether the delete succeeded.
func (c *check) deleteTracked(r *keyRecord, what string) bool {
	if err := c.client.DeleteAPIKey(c.ctx, r.key); err != nil {
		c.Errorf("deleting key %s, %s: %s (the run deletes it again at its end)", r.key, what, outcome(err))
		return false
	}
	c.mu.Lock()
	r.deleted = true
	c.mu.Unlock()
	if c.goneAfterDelete(r.key, what) {
		c.mu.Lock()
		r.gone = true
		c.mu.Unlock()
	}
	return true
}

// goneAfterDelete reads key back right after a DELETE of it succeeded (what says where) and reports
// whether the server says it does not exist. "Deletes the key" (documented): a key still found fails,
// after one more read half a second later (a server may finish a delete just behind its answer); a
// 4xx other than 404 is a difference from D-4.
func (c *check) goneAfterDelete(key, what string) bool {
	_, err := c.client.GetAPIKey(c.ctx, key)
	if err == nil {
		if sleepCtx(c.ctx, 500*time.Millisecond) != nil {
			return false
		}
		_, err = c.client.GetAPIKey(c.ctx, key)
	}
	if err == nil {
		c.Errorf("GET /ApiKey/%s after deleting it (%s; the DELETE succeeded): found, %s, and again half a second later; the documentation says DELETE /ApiKey/{key} \"Deletes the key\"",
			key, what, c.last("ApiKey_GetByKey"))
		return false
	}
	c.want404("GET /ApiKey/"+key+" after deleting it ("+what+")", err, "ApiKey_GetByKey", true)
	return apiStatus(err) == http.StatusNotFound
}

func caseAPIKeyList(c *check) {
	c.secondKey()
	// A key whose expiry has passed is still a key of the account: listed ("All API keys") and
	// found. A server may refuse to create one (observed).
	expired, err := c.client.CreateAPIKey(c.ctx, client.NewAPIKey{Description: c.cfg.Prefix + c.runID + " key that expired on 2001-01-01", ExpiresOn: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)})
	switch st := apiStatus(err); {
	case st >= 400 && st < 500:
		c.Observe("a key created with an expiry in the past (2001-01-01) is refused: %s", outcome(err))
	case err != nil:
		c.Fatalf("creating a key with an expiry in the past: %v", err)
	case expired.Key != "":
		rec := c.generatedKey("POST /ApiKey with an expiry in the past", *expired)
		defer c.dropKeys([]string{rec.key})
	}
	// A key of the run deleted at the same moment as the two below are created: the delete
	// removes that key alone.
	gone, err := c.client.CreateAPIKey(c.ctx, client.NewAPIKey{Description: c.cfg.Prefix + c.runID + " key deleted as others are created"})
	if err != nil || gone.Key == "" {
		c.Fatalf("creating a key: %s", outcome(err))
	}
	goneRec := c.generatedKey("POST /ApiKey without a key (a key deleted as others are created)", *gone)
	// Two keys generated at once, with one description: each its own (a description names no key).
	answers := make([][]byte, 2)
	reqs := make([]atOnce, len(answers))
	sameDesc := fmt.Sprintf("%s%s generated key, one of %d at once with this description", c.cfg.Prefix, c.runID, len(reqs))
	for i := range reqs {
		body, _ := json.Marshal(map[string]any{"description": sameDesc})
		reqs[i] = atOnce{method: http.MethodPost, path: "/ApiKey", body: body, answer: &answers[i]}
	}
	statuses := c.allAtOnce(append(reqs, atOnce{method: http.MethodDelete, path: "/ApiKey/" + url.PathEscape(gone.Key)}))
	if st := statuses[len(reqs)]; st >= 200 && st < 300 {
		_, gerr := c.client.GetAPIKey(c.ctx, gone.Key)
		c.mu.Lock()
		goneRec.deleted, goneRec.gone = true, apiStatus(gerr) == http.StatusNotFound
		c.mu.Unlock()
	} else {
		c.Observe("DELETE /ApiKey/%s, sent with two creates at once: answered %d; the key is deleted at the end of the run", gone.Key, st)
	}
	statuses = statuses[:len(reqs)]
	var made []string
	for i, st := range statuses {
		var k client.APIKey
		switch {
		case st < 200 || st >= 300:
			c.Errorf("POST /ApiKey without a key, one of %d sent at once: answered %d (all: %v); want 2xx", len(statuses), st, statuses)
		case json.Unmarshal(answers[i], &k) != nil || k.Key == "":
			c.Observe("POST /ApiKey without a key, sent at once: answered %d without a key in its body", st)
		default:
			if slices.Contains(made, k.Key) {
				c.Errorf("%d keys created at once without a key, each with description %q, were given the same key %s: a generated key names one key, and two creates make two keys whatever their description", len(statuses), sameDesc, k.Key)
				continue
			}
			made = append(made, k.Key)
			got, err := c.client.GetAPIKey(c.ctx, k.Key)
			if err != nil {
				c.Errorf("GET /ApiKey/%s of a key generated at once with another: %s", k.Key, outcome(err))
				got = &k
			}
			state := *got
			state.Key = k.Key // an answer that leaves the key out is the spec check's to judge
			c.generatedKey(fmt.Sprintf("POST /ApiKey without a key, one of %d sent at once", len(statuses)), state)
		}
	}
	keys := c.checkKeyList("with the run's keys made")
	c.Observe("%d keys listed; %s", len(keys), c.last("ApiKey_GetList"))
	// Each older key of the run, read by its key now that newer ones exist: as the server last gave it.
	c.rereadKeys("the run's newest keys were created", nil, nil)
}

// allowedDomains are the domains APIKEY-ALLOWED-DOMAIN allows, in turn on the shared key (0) and
// the second key (1); the second key's last domain is one the shared key already has, and the
// shared key's fifth is one it has itself (allowed again, it stays allowed). The shared key's
// last six are related to domains it has, each another domain kept on its own: the parent of one
// (example.com), endings of one (ww.example.com, w.example.com), a child (shop.www.example.com), a
// beginning (www.example.co) and one that begins with another (api.example.org.uk). The last three
// are written with hyphens (one an IDN in its ASCII form, xn--) and a label beginning with a digit.
// The last two are domains the other key already allows, each taken by the second key too (one
// each way, as the second key's fourth is): a domain one key allows is allowed on another too.
var allowedDomains = []struct {
	on     int
	domain string
}{{0, "www.example.com"}, {1, "shop.example.net"}, {0, "api.example.org"}, {1, "www.example.com"}, {0, "www.example.com"},
	{0, "example.com"}, {0, "ww.example.com"}, {0, "w.example.com"}, {0, "shop.www.example.com"}, {0, "www.example.co"}, {0, "api.example.org.uk"},
	{1, "my-shop.example-site.com"}, {0, "xn--bcher-kva.example"}, {1, "1st.example.net"}, {1, "Shop.Example.ORG"},
	{0, "shop.example.net"}, {1, "api.example.org"}}

// longDomain is a domain of 253 characters, the most DNS allows (labels of 63, the most a label
// holds): no page says a server must take it, but one taken reads back whole.
var longDomain = strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 49) + ".example.com"

// atOnceDomains are the domains APIKEY-ALLOWED-DOMAIN then allows on the second key all at once.
var atOnceDomains = []string{"a.example.net", "b.example.net", "c.example.net", "d.example.net"}

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
	// Domains allowed at once on one key are all allowed: each add allows its domain, whatever
	// else is in flight.
	r := keys[1]
	c.allowAtOnce(r, "domain", atOnceDomains, func(d string) string {
		return "/ApiKey/" + url.PathEscape(r.key) + "/allowedDomains/" + url.PathEscape(d)
	}, func(k *client.APIKey, added []string) { k.AllowedDomains = append(k.AllowedDomains, added...) })
	c.takenReadsBack(keys[0], "/ApiKey/"+url.PathEscape(keys[0].key)+"/allowedDomains/"+longDomain, false, withDomain(longDomain))
	for _, bad := range []string{"bad domain", "bad@example.com", "bad:domain"} {
		c.refusedLeavesKeys(keys[0], http.MethodPut, "/ApiKey/"+url.PathEscape(keys[0].key)+"/allowedDomains/"+url.PathEscape(bad), nil, false)
	}
	c.Observe("allowedDomains read back as %q and %q", keys[0].state.AllowedDomains, keys[1].state.AllowedDomains)
}

// refusedLeavesKeys sends method path with body on key r of the run, a call a server may refuse
// (a value that is no domain, subnet or date): refused (4xx), it changes nothing, so every key of
// the run, r included, reads back exactly as before it (documented errors are validation
// problems: a refused call is not partly made). Taken (2xx), it fails when mustRefuse (the body
// breaks a documented type), and is observed otherwise, r then read again. A server error fails.
func (c *check) refusedLeavesKeys(r *keyRecord, method, path string, body any, mustRefuse bool) {
	what := method + " " + path
	if body != nil {
		b, _ := json.Marshal(body)
		what += " " + string(b)
	}
	resp := c.raw(method, path, nil, body, withToken)
	switch {
	case resp.is4xx():
		c.Observe("%s: %s", what, resp)
		c.rereadKeys(fmt.Sprintf("%s, refused with %d", what, resp.Status), r, nil)
		return
	case resp.is2xx() && mustRefuse:
		c.Errorf("%s: answered %s; want a 4xx", what, resp)
	case resp.is2xx():
		c.Observe("%s taken: %s", what, resp)
	default:
		c.Errorf("%s: answered %s; want a 4xx", what, resp)
	}
	if got, err := c.client.GetAPIKey(c.ctx, r.key); err == nil {
		r.state = cloneKey(*got)
	}
	c.rereadKeys(what, nil, nil)
}

// takenReadsBack sends PUT path, no body, on key r of the run: a value a server may refuse (4xx,
// observed; every key of the run then reads back as before) unless mustTake; taken (2xx), r reads
// back as expect makes of what the server last said of it, every other key as before.
func (c *check) takenReadsBack(r *keyRecord, path string, mustTake bool, expect func(*client.APIKey)) {
	switch resp := c.raw(http.MethodPut, path, nil, nil, withToken); {
	case resp.is2xx():
		c.Observe("PUT %s: %s", path, resp)
		c.rereadKeys("PUT "+path, r, expect)
	case resp.is4xx() && !mustTake:
		c.Observe("PUT %s refused: %s", path, resp)
		c.rereadKeys("PUT "+path+", refused", nil, nil)
	default:
		c.Errorf("PUT %s: answered %s; want 2xx", path, resp)
		c.rereadKeys("PUT "+path+", not taken", nil, nil)
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

// allowedSubnets are the subnets APIKEY-ALLOWED-IP allows, in turn on the shared key (0) and the
// second key (1): documentation and benchmark ranges, IPv4 with prefixes of 24, 16, 15, 25 and 32
// bits, IPv6 with 48, 128, 34 and 64; then the shared key's first again; then subnets the other
// key already allows, each taken by the second key too (an IPv4 and an IPv6 subnet each way: a
// subnet one key allows is no reason not to allow it on another); then the shortest prefixes that
// are plainly subnets: IPv4 /1 and /8, IPv6 /1.
var allowedSubnets = []struct {
	on     int
	subnet string
}{
	{0, "198.51.100.0/24"}, {1, "2001:db8:4000::/34"}, {0, "198.18.0.0/15"}, {0, "2001:db8:1::/48"},
	{1, "198.51.100.128/25"}, {0, "192.0.2.128/25"}, {0, "203.0.113.7/32"}, {1, "2001:db8:2:3::/64"},
	{0, "2001:db8:ffff::7/128"}, {0, "100.64.0.0/16"}, {0, "198.51.100.0/24"},
	{1, "198.51.100.0/24"}, {1, "2001:db8:1::/48"}, {0, "2001:db8:4000::/34"}, {0, "198.51.100.128/25"},
	{1, "128.0.0.0/1"}, {1, "10.0.0.0/8"}, {1, "8000::/1"},
}

// atOnceSubnets are the subnets APIKEY-ALLOWED-IP then allows on the second key all at once.
var atOnceSubnets = []string{"198.18.10.0/24", "198.18.11.0/24", "2001:db8:a::/48", "2001:db8:b::/48"}

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
	c.narrowerSubnet(keys[0], netip.MustParsePrefix("100.64.0.0/16"), netip.MustParsePrefix("100.64.0.0/24"))
	// A prefix of 0 bits is the whole address space: a server may refuse it as policy (observed;
	// the refusal changes no key); taken, the key reads back with it.
	r := keys[1]
	ipPath := func(network, prefix string) string {
		return "/ApiKey/" + url.PathEscape(r.key) + "/allowedIPs/" + url.PathEscape(network) + "/" + prefix
	}
	c.takenReadsBack(r, ipPath("0.0.0.0", "0"), false, withSubnet("0.0.0.0/0"))
	// A network with host bits set under its prefix may be refused; taken, it is the subnet (the
	// prefix's bits of the network), not the single address. An IPv6 network in upper-case hex is
	// the same address (hex digits have no case) and is taken.
	c.takenReadsBack(r, ipPath("192.0.2.77", "24"), false, withSubnet("192.0.2.0/24"))
	c.takenReadsBack(r, ipPath("2001:db8:5::1", "48"), false, withSubnet("2001:db8:5::/48"))
	c.takenReadsBack(r, ipPath("2001:DB8:C::", "48"), true, withSubnet("2001:db8:c::/48"))
	// An IPv4-mapped IPv6 network is the IPv4 subnet of 96 bits fewer (::ffff:192.0.2.0 with 120
	// bits is 192.0.2.0/24), not one address: a server may refuse it; taken, it reads back so.
	c.takenReadsBack(r, ipPath("::ffff:198.18.20.0", "120"), false, withSubnet("::ffff:198.18.20.0/120"))
	for _, bad := range []string{"192.0.2.300/24", "192.0.2.0/33", "not-an-address/24"} {
		network, prefix, _ := strings.Cut(bad, "/")
		c.refusedLeavesKeys(r, http.MethodPut, "/ApiKey/"+url.PathEscape(r.key)+"/allowedIPs/"+url.PathEscape(network)+"/"+prefix, nil, false)
	}
	// Subnets allowed at once on one key are all allowed.
	c.allowAtOnce(r, "subnet", atOnceSubnets, func(sn string) string {
		p := netip.MustParsePrefix(sn)
		return fmt.Sprintf("/ApiKey/%s/allowedIPs/%s/%d", url.PathEscape(r.key), url.PathEscape(p.Addr().String()), p.Bits())
	}, func(k *client.APIKey, added []string) { k.AllowedIPs = append(k.AllowedIPs, added...) })
	c.Observe("allowedIPs read back as %q and %q", keys[0].state.AllowedIPs, keys[1].state.AllowedIPs)
}

// narrowerSubnet allows on key r, which allows subnet wide, the subnet narrow of the same network
// address and fewer addresses: it adds to what the key allows ("Allows a subnet", documented), so
// wide is still allowed after it; narrow, inside wide, may be listed or left out (observed). Every
// other key of the run reads back as before.
func (c *check) narrowerSubnet(r *keyRecord, wide, narrow netip.Prefix) {
	what := fmt.Sprintf("PUT /ApiKey/%s/allowedIPs/%s/%d (key %s allows %s, of the same network address)", r.key, narrow.Addr(), narrow.Bits(), r.key, wide)
	if err := c.client.AddAPIKeyAllowedIP(c.ctx, r.key, narrow); err != nil {
		c.Fatalf("%s: %v", what, err)
	}
	got, err := c.client.GetAPIKey(c.ctx, r.key)
	if err != nil {
		c.Fatalf("GET /ApiKey/%s after %s: %v", r.key, what, err)
	}
	canon := func(k client.APIKey) []string { _, set := keyMember(k, "allowedIPs"); return strings.Split(set, "\n") }
	switch listed := canon(*got); {
	case !slices.Contains(listed, wide.String()):
		c.Errorf("after %s, the key allows %q: %s is gone; allowing a subnet adds one (documented: \"Allows a subnet\"), and takes none away", what, got.AllowedIPs, wide)
	case !slices.Contains(listed, narrow.String()):
		c.Observe("after %s, the key lists %q: the narrower subnet, inside %s, is not listed", what, got.AllowedIPs, wide)
	}
	r.state = cloneKey(*got)
	c.rereadKeys(what, r, nil)
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
	c.secondKey() // made now: keyWritesAtOnce updates it too
	c.rereadKeys("the cases before", nil, nil)
	// The list read before the updates and after them: each list shows the keys as they are then.
	c.checkKeyList("before the updates")
	defer c.checkKeyList("after the updates")
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
	// A username in mixed case reads back so.
	desc, user, limit := c.cfg.Prefix+c.runID+" updated", "Conformance-Updated", 250
	expiry := time.Date(2037, 1, 15, 0, 0, 0, 0, time.UTC) // midnight in winter: the same date in UTC and in London
	c.updateKey(r, "an update of description, username, expiry and daily limit", client.APIKeyUpdate{Description: &desc, Username: &user, ExpiresOn: &expiry, MaxRequestsPerIPPerDay: &limit})
	again := desc + " again" + hardDescription
	if !c.updateKey(r, "an update of the description alone", client.APIKeyUpdate{Description: &again}) {
		c.Skipf("PUT /ApiKey/{key} is refused")
	}
	// Times are written in .NET round-trip form but any RFC 3339 time is read (documented): an
	// expiry sent with an offset other than Z is that instant.
	third := desc + " with an offset"
	offset := time.Date(2036, 7, 1, 12, 0, 0, 0, time.FixedZone("UTC+2", 2*3600)) // 10:00 UTC
	c.updateKey(r, "an update of the description and the expiry, sent as 2036-07-01T12:00:00+02:00", client.APIKeyUpdate{Description: &third, ExpiresOn: &offset})
	c.valueEdges(r, desc)
	c.keyWritesAtOnce(r, desc)
	// An update refused for one bad member changes nothing, the good members sent with it
	// included: every key of the run reads back as before it. A bad value of a member must be
	// refused when the server took that member by its name (keyTook; a server that takes it by
	// another name reads this one as an unknown member, D-5). These bodies break the spec: behind a
	// validating proxy, which refuses them itself, they are not sent.
	if c.cfg.BehindValidatingProxy {
		return
	}
	c.mu.Lock()
	took := maps.Clone(c.keyTook)
	c.mu.Unlock()
	path := "/ApiKey/" + url.PathEscape(r.key)
	refused := desc + " of a refused update"
	for _, b := range []struct {
		body       map[string]any
		mustRefuse bool
	}{
		{map[string]any{"description": refused, "username": "refused", "expiresOn": "tomorrow"}, took["expiresOn"]},
		{map[string]any{"description": refused, "maxRequestsPerIPPerDay": "many"}, took["maxRequestsPerIPPerDay"]},
		{map[string]any{"description": refused, "expiresOn": "2037-02-30T00:00:00Z"}, took["expiresOn"]},
		{map[string]any{"description": refused, "maxRequestsPerIPPerDay": -1}, false},
	} {
		c.refusedLeavesKeys(r, http.MethodPut, path, b.body, b.mustRefuse)
	}
}

// valueEdges updates key r with values at the edges of their representations, each with a new
// description (desc and a number), so that a member the update does not keep fails (updateKey): the
// largest daily limit an int32 (the documented format) holds and 40,000 (past a 16-bit store; a
// limit of 0 is not sent: a serializer that skips defaults leaves it out, as it does null); an expiry past 2038-01-19T03:14:07Z (where 32-bit seconds
// since 1970 end) on a leap day with half a second (a store of whole seconds loses it: observed,
// the precision of a stored time is not documented); an expiry
// in the hour the UK clocks repeat at the end of summer time (01:30Z on 2036-10-26: a store of UK
// wall time reads it back an hour early); a username of the empty string (sent, it is the username;
// not a member left out); a description of over 1,000 characters (no limit is documented: taken, it
// is kept whole).
func (c *check) valueEdges(r *keyRecord, desc string) {
	limits := []int{math.MaxInt32, 40000}
	expiries := []time.Time{
		time.Date(2040, 2, 29, 23, 59, 59, 500_000_000, time.UTC),
		time.Date(2036, 10, 26, 1, 30, 0, 0, time.UTC),
	}
	n := 0
	next := func() *string {
		n++
		d := fmt.Sprintf("%s, edge %d", desc, n)
		return &d
	}
	for _, l := range limits {
		c.updateKey(r, fmt.Sprintf("an update of the description and a daily limit of %d", l), client.APIKeyUpdate{Description: next(), MaxRequestsPerIPPerDay: &l})
	}
	for _, e := range expiries {
		c.updateKey(r, "an update of the description and the expiry "+e.Format(time.RFC3339Nano), client.APIKeyUpdate{Description: next(), ExpiresOn: &e})
	}
	empty := ""
	c.updateKey(r, `an update of the description and the username "" (empty)`, client.APIKeyUpdate{Description: next(), Username: &empty})
	// A description of 1,000 characters: no length limit is documented (a refusal differs from
	// D-5), but one taken reads back whole, not cut (a daily limit is sent with it, so a
	// description not kept fails).
	long, l := *next()+" "+longText(1000), 300
	c.updateKey(r, "an update of a description of 1,000+ characters and a daily limit", client.APIKeyUpdate{Description: &long, MaxRequestsPerIPPerDay: &l})
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
			c.mu.Lock()
			c.keyUpdateClears = true
			c.mu.Unlock()
		}
	}
	var applied []string
	for _, m := range members {
		switch {
		case len(keyDiffs(sent, *read, m)) == 0:
			applied = append(applied, m)
		case m == "expiresOn" && sent.ExpiresOn.IsSet() && read.ExpiresOn.IsSet() && sameToUnit(sent.ExpiresOn.Time, read.ExpiresOn.Time):
			// How precisely a server stores a time is not documented: one kept to the second reads
			// 23:59:59.5 back as 23:59:59 or as the next second.
			c.Observe("%s of key %s: sent expiresOn %s; GET after it reads %s: the server keeps expiries to a coarser unit", what, r.key, sent.ExpiresOn.UTC().Format(time.RFC3339Nano), read.ExpiresOn.UTC().Format(time.RFC3339Nano))
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

// sameToUnit reports whether got is sent kept to a coarser unit than sent has: sent truncated to,
// or rounded to (within a millisecond, as SQL Server's datetime writes its 1/300 seconds), the
// millisecond, the 1/300 second, the second or the minute.
func sameToUnit(sent, got time.Time) bool {
	for _, u := range []time.Duration{time.Millisecond, time.Second / 300, time.Second, time.Minute} {
		if got.Equal(sent.Truncate(u)) || got.Sub(sent.Round(u)).Abs() < time.Millisecond {
			return true
		}
	}
	return false
}

func caseAPIKeyDelete(c *check) {
	k := c.key()
	if err := c.client.DeleteAPIKey(c.ctx, k.key); err != nil {
		c.decidedCall("DELETE /ApiKey/{key}", "ApiKey_DeleteByKey", err)
		return // the key is deleted at the end of the run
	}
	c.mu.Lock()
	k.deleted = true
	c.mu.Unlock()
	c.Observe("%s", c.last("ApiKey_DeleteByKey"))
	// Once the server itself says the key is gone, its list of all the account's keys (documented)
	// does not hold it either; the run's other keys are still listed as they were.
	if c.goneAfterDelete(k.key, "the shared key") {
		c.mu.Lock()
		k.gone = true
		c.mu.Unlock()
		// Deleted, the key does not exist for any operation either.
		desc := c.cfg.Prefix + c.runID + " update of a deleted key"
		_, err := c.client.UpdateAPIKey(c.ctx, k.key, client.APIKeyUpdate{Description: &desc})
		c.want404("PUT /ApiKey/"+k.key+` {"description":...} after deleting it`, err, "ApiKey_UpdateByKey", true)
		err = c.client.AddAPIKeyAllowedDomain(c.ctx, k.key, "deleted.example.com")
		c.want404("PUT /ApiKey/"+k.key+"/allowedDomains/deleted.example.com after deleting it", err, "ApiKey_AddAllowedDomain", true)
		err = c.client.AddAPIKeyAllowedIP(c.ctx, k.key, netip.MustParsePrefix("192.0.2.0/28"))
		c.want404("PUT /ApiKey/"+k.key+"/allowedIPs/192.0.2.0/28 after deleting it", err, "ApiKey_AddAllowedIPPUT", true)
		c.cidrUnknown(k.key, "after deleting it")
		err = c.client.DeleteAPIKey(c.ctx, k.key)
		c.want404("DELETE /ApiKey/"+k.key+" a second time", err, "ApiKey_DeleteByKey", false)
		_, err = c.client.GetAPIKey(c.ctx, k.key)
		c.want404("GET /ApiKey/"+k.key+" after the operations on the deleted key", err, "ApiKey_GetByKey", true)
	}
	c.checkKeyList("after deleting key " + k.key)
}

func caseAPIKey404(c *check) {
	key := "CONF-" + strings.ToUpper(c.runID[:4]) + "-NONE-0000"
	_, err := c.client.GetAPIKey(c.ctx, key)
	c.want404("GET /ApiKey/"+key, err, "ApiKey_GetByKey", true)
	desc := c.cfg.Prefix + c.runID + " update of an unknown key"
	_, err = c.client.UpdateAPIKey(c.ctx, key, client.APIKeyUpdate{Description: &desc})
	c.want404("PUT /ApiKey/"+key+` {"description":...}`, err, "ApiKey_UpdateByKey", true)
	err = c.client.DeleteAPIKey(c.ctx, key)
	c.want404("DELETE /ApiKey/"+key, err, "ApiKey_DeleteByKey", true)
	err = c.client.AddAPIKeyAllowedDomain(c.ctx, key, "unknown.example.com")
	c.want404("PUT /ApiKey/"+key+"/allowedDomains/unknown.example.com", err, "ApiKey_AddAllowedDomain", true)
	err = c.client.AddAPIKeyAllowedIP(c.ctx, key, netip.MustParsePrefix("192.0.2.0/24"))
	c.want404("PUT /ApiKey/"+key+"/allowedIPs/192.0.2.0/24", err, "ApiKey_AddAllowedIPPUT", true)
	c.cidrUnknown(key, "which does not exist")
	// An OAuth client is no API key: the run's own clientId names no key.
	_, err = c.client.GetAPIKey(c.ctx, c.cfg.ClientID)
	c.want404("GET /ApiKey/{the run's own clientId} (an OAuth client, not an API key)", err, "ApiKey_GetByKey", true)
	// None of them made the key.
	got, err := c.client.GetAPIKey(c.ctx, key)
	if err == nil {
		c.trackKey(*got) // deleted at the end of the run
		c.Errorf("GET /ApiKey/%s after an update, a delete and allowing a domain and a subnet on it, when it did not exist: found, %s: an operation on a key that does not exist made it", key, c.last("ApiKey_GetByKey"))
		return
	}
	c.want404("GET /ApiKey/"+key+" after the operations on it", err, "ApiKey_GetByKey", true)
	c.nearMissKeys()
}

// liveKeysOrOne returns the run's live keys; when no key of the run is left (the case runs alone,
// or after the others deleted theirs), one is made for use (deleted at the end of the run). It
// returns none, and says so, when none could be made.
func (c *check) liveKeysOrOne(use string) []*keyRecord {
	if live := c.liveKeys(); len(live) > 0 {
		return live
	}
	created, err := c.client.CreateAPIKey(c.ctx, client.NewAPIKey{Description: c.cfg.Prefix + c.runID + " " + use})
	if err != nil || created.Key == "" {
		c.Observe("no key of the run is left and none could be made (%v): no %s are sent", err, use)
		return nil
	}
	if got, err := c.client.GetAPIKey(c.ctx, created.Key); err == nil {
		created = got // as the server reads it back
	}
	c.generatedKey("POST /ApiKey without a key ("+use+")", *created)
	return c.liveKeys()
}

// nearMissKeys names, on every operation of a key, keys near the run's live keys that do not exist
// (nearMisses: a prefix of a key, a key with a character added or its last character changed):
// each is an error ("does not exist", documented; 404, D-4), and none of them changes a key of the
// run: every key of the run reads back as it was after each.
func (c *check) nearMissKeys() {
	live := c.liveKeysOrOne("near names")
	if len(live) == 0 {
		return
	}
	c.rereadKeys("the cases before", nil, nil)
	for _, r := range live {
		for _, m := range nearMisses(r.key) {
			what := fmt.Sprintf("key %q (key %s of the run %s, which does not exist)", m.name, r.key, m.what)
			got, err := c.client.GetAPIKey(c.ctx, m.name)
			if err == nil {
				c.Errorf("GET /ApiKey/%s, %s: answered key %q, %s; the documentation says it does not exist", m.name, what, got.Key, c.last("ApiKey_GetByKey"))
			} else {
				c.want404("GET /ApiKey/"+m.name+", "+what, err, "ApiKey_GetByKey", true)
			}
			desc := c.cfg.Prefix + c.runID + " update of a near key"
			_, err = c.client.UpdateAPIKey(c.ctx, m.name, client.APIKeyUpdate{Description: &desc})
			c.want404("PUT /ApiKey/"+m.name+` {"description":...}, `+what, err, "ApiKey_UpdateByKey", true)
			err = c.client.AddAPIKeyAllowedDomain(c.ctx, m.name, "near.example.com")
			c.want404("PUT /ApiKey/"+m.name+"/allowedDomains/near.example.com, "+what, err, "ApiKey_AddAllowedDomain", true)
			err = c.client.AddAPIKeyAllowedIP(c.ctx, m.name, netip.MustParsePrefix("192.0.2.64/26"))
			c.want404("PUT /ApiKey/"+m.name+"/allowedIPs/192.0.2.64/26, "+what, err, "ApiKey_AddAllowedIPPUT", true)
			err = c.client.DeleteAPIKey(c.ctx, m.name)
			c.want404("DELETE /ApiKey/"+m.name+", "+what, err, "ApiKey_DeleteByKey", true)
			c.rereadKeys("an update, a domain, a subnet and a delete of "+what, nil, nil)
		}
	}
}

// cidrUnknown allows subnet 192.0.2.0/24 in the CIDR form (prefix blank) on key, which does not
// exist (what says why), and wants the error the other routes give ("does not exist", documented;
// 404, D-4). OpenAPI requires path parameters to be non-empty: behind a validating proxy, which
// refuses the blank prefix itself, it is not sent.
func (c *check) cidrUnknown(key, what string) {
	if c.cfg.BehindValidatingProxy {
		return
	}
	path := "/ApiKey/" + url.PathEscape(key) + "/allowedIPs/" + url.PathEscape("192.0.2.0/24") + "/"
	r := c.raw(http.MethodPut, path, nil, nil, withToken)
	switch {
	case r.is2xx():
		c.Errorf("PUT %s (the CIDR form, prefix blank) of key %s, %s: answered %s; the documentation says it does not exist", path, key, what, r)
	case !r.is4xx():
		c.Errorf("PUT %s (the CIDR form, prefix blank) of key %s, %s: answered %s; want a 4xx", path, key, what, r)
	case r.Status != http.StatusNotFound:
		c.Differ("D-4", "ApiKey_AddAllowedIPPUT", fmt.Sprintf("PUT %s (the CIDR form) of a key %s: %d, not 404", path, what, r.Status), evidence(http.MethodPut, path, r))
	default:
		c.Observe("CIDR form on a key %s: %s", what, r)
	}
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
	return c.recordClient(*cc, desc, c.last("ClientCredential_Create").String()), nil
}

// recordClient records OAuth client cc of the run, created with description desc (ev: its
// exchange, for a difference). An answer without the description is a difference from D-5 (the
// server may take it by another name), and nothing later is held to it; an answer with another
// description than the one sent fails: the server took the member, and changed it.
func (c *check) recordClient(cc client.ClientCredential, desc, ev string) *clientRecord {
	rec := &clientRecord{id: cc.ClientID, description: desc, shown: cc.Description == desc}
	switch {
	case rec.shown:
	case cc.Description != "":
		c.Errorf("POST /ClientCredential with description %q: the answer gives description %q (client %s)", desc, cc.Description, cc.ClientID)
	default:
		c.Differ("D-5", "ClientCredential_Create", fmt.Sprintf("the answer's description is %q; sent %q", cc.Description, desc), ev)
	}
	c.mu.Lock()
	c.clients = append(c.clients, *rec)
	c.mu.Unlock()
	return rec
}

func caseClientCredCreate(c *check) {
	desc := c.cfg.Prefix + c.runID + " conformance client" + hardDescription
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
	case got.Description != desc && got.Description != "":
		c.Errorf("POST /ClientCredential with description %q: GET /ClientCredential/%s reads %q", desc, cc.id, got.Description)
	case !cc.shown && got.Description != desc:
		c.Differ("D-5", "ClientCredential_GetById", fmt.Sprintf("GET /ClientCredential/{id}: description %q; sent %q", got.Description, desc), c.last("ClientCredential_GetById").String())
	}
	c.Observe("secrets in GET by id: %v", got.Secrets != nil)
	// clientId is generated (documented: "do not send it"): one sent all the same is not taken as
	// the client's id. A refusal of the member is observed.
	chosen := c.cfg.Prefix + c.runID + "_chosen_client_id"
	sentDesc := desc + " (clientId sent)"
	r := c.raw(http.MethodPost, "/ClientCredential", nil, map[string]any{"description": sentDesc, "clientId": chosen}, withToken)
	var made client.ClientCredential
	switch {
	case r.is4xx():
		c.Observe("POST /ClientCredential with a clientId in the body: %s", r)
	case !r.is2xx():
		c.Errorf("POST /ClientCredential with a clientId in the body: answered %s; want 2xx with a generated clientId, or a refusal (4xx)", r)
	case r.decode(&made) != nil || made.ClientID == "":
		c.Observe("POST /ClientCredential with a clientId in the body: %s, without a clientId", r)
	case made.ClientID == chosen:
		c.recordClient(made, sentDesc, "POST /ClientCredential → "+r.String())
		c.Errorf("POST /ClientCredential with clientId %q in the body made the client under that id: clientId is generated (documented: \"do not send it\"), a caller does not choose it", chosen)
	default:
		c.recordClient(made, sentDesc, "POST /ClientCredential → "+r.String())
	}
}

func caseClientCredList(c *check) {
	// The list is read once before the creates too: the list read after them holds them.
	if _, err := c.client.ListClientCredentials(c.ctx); err != nil {
		c.Fatalf("GET /ClientCredential: %v", err)
	}
	// Two more clients of the run's, created at once with one description, so that the list has
	// at least two (three with CLIENTCRED-CREATE) it must hold, each with a clientId of its own
	// (generated, documented: each create makes one, whatever its description). Creating one is
	// decided (D-5): a refusal is CLIENTCRED-CREATE's to judge.
	answers := make([][]byte, 2)
	descs := make([]string, len(answers))
	reqs := make([]atOnce, len(answers))
	for i := range reqs {
		descs[i] = fmt.Sprintf("%s%s conformance list client, one of %d at once with this description", c.cfg.Prefix, c.runID, len(reqs))
		body, _ := json.Marshal(map[string]any{"description": descs[i]})
		reqs[i] = atOnce{method: http.MethodPost, path: "/ClientCredential", body: body, answer: &answers[i]}
	}
	statuses := c.allAtOnce(reqs)
	var ids []string
	for i, st := range statuses {
		var cc client.ClientCredential
		switch {
		case st < 200 || st >= 300 || json.Unmarshal(answers[i], &cc) != nil || cc.ClientID == "":
			c.Observe("POST /ClientCredential, one of %d sent at once: answered %d (all: %v) without a clientId; the list is checked without it", len(statuses), st, statuses)
		case slices.Contains(ids, cc.ClientID):
			c.Errorf("%d OAuth clients created at once, each with description %q, were given the same clientId %s: a generated clientId names one client, and two creates make two clients whatever their description", len(statuses), descs[i], cc.ClientID)
		default:
			ids = append(ids, cc.ClientID)
			// The secrets of the answer are redacted by the transport, as for every create.
			c.recordClient(cc, descs[i], fmt.Sprintf("POST /ClientCredential → %d", st))
		}
	}
	if len(c.liveKeys()) == 0 {
		c.key() // an API key of the run, which must not be listed as a client
	}
	list, created := c.checkClientList("")
	if !slices.ContainsFunc(list, func(x client.ClientCredential) bool { return x.ClientID == c.cfg.ClientID }) {
		c.Observe("the list does not name this run's own client %s", c.cfg.ClientID)
	}
	c.rereadClients("two newer clients were created", list)
	// The raw body, since the client keeps secrets only when the answer carries them.
	r := c.raw(http.MethodGet, "/ClientCredential", nil, nil, withToken)
	var raw []map[string]any
	if err := r.decode(&raw); err != nil {
		c.Fatalf("GET /ClientCredential: %s is not an array: %v", r, err)
	}
	runKeys := map[string]bool{}
	for _, r := range c.allKeys() {
		runKeys[r.key] = true
	}
	for _, x := range raw {
		if id, _ := x["clientId"].(string); runKeys[id] {
			c.Errorf("GET /ClientCredential lists client %q (description %v): an API key of this run, not an OAuth client", id, x["description"])
		}
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
	// API keys are keys for the validation services, client credentials the OAuth clients of this
	// API: GET /ApiKey, read now that the run's clients exist, holds the run's keys as ever and no
	// client as a key.
	keys := c.checkKeyList("after the run's client credentials were created")
	clients := map[string]bool{c.cfg.ClientID: true}
	for _, cr := range created {
		clients[cr.id] = true
	}
	for _, k := range keys {
		if clients[k.Key] {
			c.Errorf("GET /ApiKey, read after the run's client credentials were created, lists key %q: the clientId of an OAuth client (description %q), not an API key", k.Key, k.Description)
		}
	}
}

// checkClientList reads GET /ClientCredential, the account's OAuth clients (documented), and fails
// the case unless it lists every client the run created exactly once, with the description its
// create's answer gave when that was the description sent; what says when it is read (empty: after
// the case's creates). It returns the list and the run's clients.
func (c *check) checkClientList(what string) ([]client.ClientCredential, []clientRecord) {
	list, err := c.client.ListClientCredentials(c.ctx)
	if err != nil {
		c.Fatalf("GET /ClientCredential: %v", err)
	}
	if len(list) == 0 {
		c.Errorf("GET /ClientCredential lists no client, not even the one this run authenticates as")
	}
	if what != "" {
		what = " " + what
	}
	c.mu.Lock()
	created := slices.Clone(c.clients)
	c.mu.Unlock()
	seen := map[string][]client.ClientCredential{}
	for _, x := range list {
		seen[x.ClientID] = append(seen[x.ClientID], x)
	}
	missing := 0
	for _, cr := range created {
		switch got := seen[cr.id]; {
		case len(got) == 0:
			if missing++; missing <= 3 { // the first few; the count follows
				c.Errorf("GET /ClientCredential%s (%d clients listed; this run created %d) leaves out client %s (description %q), which this run created", what, len(list), len(created), cr.id, cr.description)
			}
		case len(got) > 1:
			c.Errorf("GET /ClientCredential%s lists client %s %d times", what, cr.id, len(got))
		case cr.shown && got[0].Description != cr.description:
			c.Errorf("GET /ClientCredential%s lists client %s with description %q; the answer to its create gave %q, as sent", what, cr.id, got[0].Description, cr.description)
		}
	}
	if missing > 3 {
		c.Errorf("GET /ClientCredential%s: %d clients listed; %d of the %d clients this run created are missing (the account's OAuth clients, documented, are all of them)", what, len(list), missing, len(created))
	}
	return list, created
}

// rereadClients reads, by its id, every OAuth client the run created and the run's own client, now
// that newer clients exist (what says which): GET /ClientCredential/{id} gives one client credential
// (documented), the one named, with its own clientId and its own description: the one its create's
// answer gave (when that was the description sent; else the one sent, or none, as CLIENTCRED-CREATE
// judges), and for the run's own client the one list (GET /ClientCredential, read before) gives it.
func (c *check) rereadClients(what string, list []client.ClientCredential) {
	c.mu.Lock()
	created := slices.Clone(c.clients)
	c.mu.Unlock()
	quote := "GET /ClientCredential/{id}: One client credential (documented)"
	for _, cr := range created {
		got, err := c.client.GetClientCredential(c.ctx, cr.id)
		switch {
		case err != nil:
			c.Errorf("after %s: GET /ClientCredential/%s of a client this run created: %s", what, cr.id, outcome(err))
		case got.ClientID != cr.id:
			c.Errorf("after %s: GET /ClientCredential/%s gives clientId %q: not the client asked for (%s)", what, cr.id, got.ClientID, quote)
		case cr.shown && got.Description != cr.description, !cr.shown && got.Description != "" && got.Description != cr.description:
			c.Errorf("after %s: GET /ClientCredential/%s reads description %q; it was created with %q (%s, the one named, not another)", what, cr.id, got.Description, cr.description, quote)
		}
	}
	i := slices.IndexFunc(list, func(x client.ClientCredential) bool { return x.ClientID == c.cfg.ClientID })
	if i < 0 {
		return
	}
	got, err := c.client.GetClientCredential(c.ctx, c.cfg.ClientID)
	switch {
	case err != nil:
		c.Observe("GET /ClientCredential/{the run's own clientId}: %s; not read back", outcome(err))
	case got.ClientID != c.cfg.ClientID:
		c.Errorf("after %s: GET /ClientCredential/%s (the run's own client) gives clientId %q: not the client asked for (%s)", what, c.cfg.ClientID, got.ClientID, quote)
	case got.Description != list[i].Description:
		c.Errorf("after %s: GET /ClientCredential/%s (the run's own client) reads description %q; GET /ClientCredential lists it with %q (%s, the one named, not another)", what, c.cfg.ClientID, got.Description, list[i].Description, quote)
	}
}

func caseClientCred404(c *check) {
	// An id that names no client is unknown: GET of it answers no other client (documented: one
	// client credential, the one named); a 404 is decided (D-4).
	unknown := func(id, what string) {
		got, err := c.client.GetClientCredential(c.ctx, id)
		if err == nil && got.ClientID != id {
			c.Errorf("%s: answered client %q, %s; want the client named or \"does not exist\": one client credential (documented) is the one asked for", what, got.ClientID, c.last("ClientCredential_GetById"))
			return
		}
		c.want404(what, err, "ClientCredential_GetById", false)
	}
	id := c.cfg.Prefix + c.runID + "-no-such-client"
	unknown(id, "GET /ClientCredential/"+id)
	// Ids near the run's own clientId and near the run's clients' (a prefix, one longer, the last
	// character changed) name no client either.
	ids := []string{c.cfg.ClientID}
	c.mu.Lock()
	for _, cl := range c.clients {
		ids = append(ids, cl.id)
	}
	c.mu.Unlock()
	known := map[string]bool{}
	for _, id := range ids {
		known[id] = true
	}
	for _, near := range ids {
		for _, m := range nearMisses(near) {
			if known[m.name] {
				continue
			}
			unknown(m.name, fmt.Sprintf("GET /ClientCredential/%s (client %s %s, which names no client of the run)", m.name, near, m.what))
		}
	}
	// API keys and client credentials are two kinds: the value of each live API key of the run
	// names no client. A client answered for it must at least be one of the account's OAuth
	// clients, which GET /ClientCredential lists (documented).
	var listed []client.ClientCredential
	for _, r := range c.liveKeysOrOne("API key values as client ids") {
		if known[r.key] {
			continue
		}
		what := fmt.Sprintf("GET /ClientCredential/%s (an API key of the run, not an OAuth client)", r.key)
		if got, err := c.client.GetClientCredential(c.ctx, r.key); err == nil && got.ClientID == r.key {
			answer := c.last("ClientCredential_GetById")
			if listed == nil {
				if listed, err = c.client.ListClientCredentials(c.ctx); err != nil {
					c.Errorf("GET /ClientCredential: %v", err)
					return
				}
			}
			if !slices.ContainsFunc(listed, func(x client.ClientCredential) bool { return x.ClientID == r.key }) {
				c.Errorf("%s: answered a client, %s, which GET /ClientCredential, the account's OAuth clients (documented), does not list: an API key is no OAuth client", what, answer)
				continue
			}
		}
		unknown(r.key, what)
	}
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

// allowAtOnce sends the PUTs that allow each of values (a kind: domain or subnet) on key r at once,
// at the paths pathOf gives: each must succeed, and then every key of the run reads back as it was,
// with r holding the values allowed (add puts them in what r is expected to hold).
func (c *check) allowAtOnce(r *keyRecord, kind string, values []string, pathOf func(string) string, add func(k *client.APIKey, added []string)) {
	reqs := make([]atOnce, len(values))
	for i, v := range values {
		reqs[i] = atOnce{method: http.MethodPut, path: pathOf(v)}
	}
	statuses := c.allAtOnce(reqs)
	var added []string
	for i, st := range statuses {
		if st >= 200 && st < 300 {
			added = append(added, values[i])
		} else {
			c.Errorf("allowing %s %s on key %s, one of %d %ss allowed at once: answered %d (all: %v); want 2xx", kind, values[i], r.key, len(statuses), kind, st, statuses)
		}
	}
	c.rereadKeys(fmt.Sprintf("allowing %ss %q on key %s at once (answered %v)", kind, values, r.key, statuses), r, func(k *client.APIKey) { add(k, added) })
}

// keyWritesAtOnce sends writes that name different things at once, and checks that each one
// answered 2xx reads back (an update, a domain and a subnet each answered 200 are each kept; one
// key's update changes no other key): an update of key r and one of the run's second key; then an
// update of r, a domain and a subnet allowed on r. desc starts the descriptions sent.
func (c *check) keyWritesAtOnce(r *keyRecord, desc string) {
	r2 := c.secondKey()
	c.rereadKeys("the updates before", nil, nil)
	update := func(key, d string) atOnce {
		return atOnce{method: http.MethodPut, path: "/ApiKey/" + url.PathEscape(key), body: []byte(jsonText(map[string]any{"description": d}))}
	}
	d1, d2 := desc+" (one of two keys updated at once)", desc+" (the other of two keys updated at once)"
	st := c.allAtOnce([]atOnce{update(r.key, d1), update(r2.key, d2)})
	what := fmt.Sprintf("updates of keys %s and %s sent at once (answered %v)", r.key, r2.key, st)
	for i, x := range []struct {
		r *keyRecord
		d string
	}{{r, d1}, {r2, d2}} {
		if st[i] >= 200 && st[i] < 300 {
			x.r.state.Description = x.d // each update names one key, and is kept
			c.leftOutAsRead(x.r, what)
		}
	}
	c.rereadKeys(what, nil, nil)
	d3 := desc + " (sent with a domain and a subnet at once)"
	domain, subnet := "at-once.example.com", netip.MustParsePrefix("198.51.100.208/28") // neither allowed on it before
	st = c.allAtOnce([]atOnce{
		update(r.key, d3),
		{method: http.MethodPut, path: "/ApiKey/" + url.PathEscape(r.key) + "/allowedDomains/" + url.PathEscape(domain)},
		{method: http.MethodPut, path: "/ApiKey/" + url.PathEscape(r.key) + "/allowedIPs/" + subnet.Addr().String() + "/" + fmt.Sprint(subnet.Bits())},
	})
	what = fmt.Sprintf("an update (description %q), domain %s and subnet %s on key %s sent at once (answered %v)", d3, domain, subnet, r.key, st)
	if st[0] >= 200 && st[0] < 300 {
		c.leftOutAsRead(r, what)
	}
	c.rereadKeys(what, r, func(k *client.APIKey) {
		if st[0] >= 200 && st[0] < 300 {
			k.Description = d3
		}
		if st[1] >= 200 && st[1] < 300 && !slices.Contains(k.AllowedDomains, domain) {
			k.AllowedDomains = append(k.AllowedDomains, domain)
		}
		if st[2] >= 200 && st[2] < 300 {
			k.AllowedIPs = append(k.AllowedIPs, subnet.String())
		}
	})
}

// leftOutAsRead takes, when PUT /ApiKey/{key} was seen to change the members an update leaves out
// (a difference at D-5, which updateKey reports), the username, expiry and daily limit of key r
// as GET reads them after what, an update of its description alone: the members that update may
// have changed. Its description, domains, IPs and services are still checked.
func (c *check) leftOutAsRead(r *keyRecord, what string) {
	c.mu.Lock()
	clears := c.keyUpdateClears
	c.mu.Unlock()
	if !clears {
		return
	}
	got, err := c.client.GetAPIKey(c.ctx, r.key)
	if err != nil {
		return // rereadKeys reports it
	}
	if d := keyDiffs(r.state, *got, "username", "expiresOn", "maxRequestsPerIPPerDay"); len(d) > 0 {
		c.Observe("after %s, key %s reads %s: an update changes the members it leaves out (D-5)", what, r.key, strings.Join(d, "; "))
	}
	r.state.Username, r.state.ExpiresOn, r.state.MaxRequestsPerIPPerDay = got.Username, got.ExpiresOn, got.MaxRequestsPerIPPerDay
}

// newKeyAfterDelete creates a key without a key in the body right after key deleted (which had a
// domain and a subnet allowed) was deleted: the new key holds nothing of the deleted one (no domain,
// no subnet: nothing was allowed on it), in the create's answer or read back. It is deleted again.
func (c *check) newKeyAfterDelete(deleted, desc string) {
	made, err := c.client.CreateAPIKey(c.ctx, client.NewAPIKey{Description: desc + " (created after a delete)"})
	if err != nil {
		c.Errorf("creating a key (description alone) after deleting key %s: %s", deleted, outcome(err))
		return
	}
	if made.Key == "" {
		return // the answer names no key: APIKEY-CREATE's first check judges that
	}
	r := c.generatedKey("POST /ApiKey without a key, right after key "+deleted+" was deleted", *made)
	defer c.deleteTracked(r, "created after a delete")
	got, err := c.client.GetAPIKey(c.ctx, made.Key)
	if err != nil {
		c.Errorf("GET /ApiKey/%s of a key just created: %s", made.Key, outcome(err))
		return
	}
	for _, x := range []struct {
		what string
		k    *client.APIKey
	}{{"the create's answer", made}, {"GET /ApiKey/{key}", got}} {
		if len(x.k.AllowedDomains) > 0 || len(x.k.AllowedIPs) > 0 {
			c.Errorf("key %s, created with a description alone right after key %s was deleted: %s gives allowedDomains %q and allowedIPs %q; nothing was allowed on it (a new key holds nothing of a deleted one)", made.Key, deleted, x.what, x.k.AllowedDomains, x.k.AllowedIPs)
		}
	}
	r.state = cloneKey(*got)
}

// refusedCreateMadeNoKey checks, after a key create with description desc was refused (refusal),
// that GET /ApiKey lists no key with that description but the one given (given): a refused create
// makes no key. A key it made is deleted at the end of the run.
func (c *check) refusedCreateMadeNoKey(desc, given, refusal string) {
	keys, err := c.client.ListAPIKeys(c.ctx)
	if err != nil {
		c.decidedCall("GET /ApiKey", "ApiKey_GetList", err)
		return
	}
	for _, k := range keys {
		if k.Description == desc && k.Key != given {
			c.trackKey(k)
			c.Errorf("a create of key %s refused (%s) made key %s with the refused body's description %q: GET /ApiKey lists it; a refused call makes nothing", given, refusal, k.Key, desc)
		}
	}
}
