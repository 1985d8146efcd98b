package conformance

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/data8-toolkit/data8/client"
)

// keyRecord is an API key this run created: what the server last said of it (the answer to its
// create or update, or a read), and whether the run deleted it. A key's members change only by an
// operation that names them: its update (description, username, expiry, daily limit), an allowed
// domain or IP added to it. Every read of the key is held to the record, so a read that loses or
// changes what an earlier answer of the server acknowledged fails, and so does an operation on one
// key that changes another.
type keyRecord struct {
	key     string
	state   client.APIKey
	deleted bool // the run deleted it
	gone    bool // and GET /ApiKey/{key} said 404 afterwards
}

// trackKey records a key the run created, as the server stated it. Every key recorded and not
// deleted is deleted at the end of the run (cleanup).
func (s *suite) trackKey(state client.APIKey) *keyRecord {
	r := &keyRecord{key: state.Key, state: cloneKey(state)}
	s.mu.Lock()
	s.runKeys = append(s.runKeys, r)
	s.mu.Unlock()
	return r
}

// liveKeys returns the keys the run created and has not deleted, oldest first.
func (s *suite) liveKeys() []*keyRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*keyRecord
	for _, r := range s.runKeys {
		if !r.deleted {
			out = append(out, r)
		}
	}
	return out
}

// allKeys returns every key the run created, deleted ones included, oldest first.
func (s *suite) allKeys() []*keyRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.runKeys)
}

// cloneKey returns a copy of k whose lists are its own.
func cloneKey(k client.APIKey) client.APIKey {
	k.AllowedDomains = slices.Clone(k.AllowedDomains)
	k.AllowedIPs = slices.Clone(k.AllowedIPs)
	k.AllowedServices = slices.Clone(k.AllowedServices)
	return k
}

// keyMembers are the members of ApiKey (documented) but the key itself, in the order keyDiffs
// reports them. (A key's record is found by its key: an answer that leaves the key out is the spec
// check's to judge, one naming another key is a wrong key.)
var keyMembers = []string{"description", "username", "expiresOn", "maxRequestsPerIPPerDay", "allowedDomains", "allowedIPs", "allowedServices"}

// updatable are the members PUT /ApiKey/{key} updates (documented: "Updates description, username,
// expiry, daily limit.").
var updatable = []string{"description", "username", "expiresOn", "maxRequestsPerIPPerDay"}

// keyMember returns member m of k as text for a message, and a canonical form to compare: domains
// without regard to case, subnets as their masked CIDR (2001:0db8::/32 is 2001:db8::/32, an IPv4
// subnet written as an IPv4-mapped IPv6 one is the IPv4 subnet), lists as sets, an unset expiry
// (null, absent or 0001-01-01) as null and times as instants.
func keyMember(k client.APIKey, m string) (show, canon string) {
	set := func(list []string, norm func(string) string) (string, string) {
		c := make([]string, 0, len(list))
		for _, s := range list {
			c = append(c, norm(s))
		}
		slices.Sort(c)
		return fmt.Sprintf("%q", list), strings.Join(slices.Compact(c), "\n")
	}
	switch m {
	case "description":
		return fmt.Sprintf("%q", k.Description), k.Description
	case "username":
		return fmt.Sprintf("%q", k.Username), k.Username
	case "expiresOn":
		if !k.ExpiresOn.IsSet() {
			return "null", "null"
		}
		t := k.ExpiresOn.UTC().Format("2006-01-02T15:04:05.9999999Z")
		return t, t
	case "maxRequestsPerIPPerDay":
		if k.MaxRequestsPerIPPerDay == nil {
			return "null", "null"
		}
		n := fmt.Sprint(*k.MaxRequestsPerIPPerDay)
		return n, n
	case "allowedDomains":
		return set(k.AllowedDomains, func(s string) string { return strings.ToLower(strings.TrimSpace(s)) })
	case "allowedIPs":
		return set(k.AllowedIPs, canonSubnet)
	case "allowedServices":
		return set(k.AllowedServices, strings.TrimSpace)
	}
	panic("conformance: no ApiKey member " + m)
}

// canonSubnet returns an allowedIPs entry as its masked CIDR (subnetOf reads it), an IPv4-mapped
// IPv6 subnet of 96 bits or more as the IPv4 subnet; an entry it cannot read, as it is.
func canonSubnet(s string) string {
	p, ok := subnetOf(s)
	if !ok {
		return strings.TrimSpace(s)
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked().String()
}

// keyDiffs lists the members of got that differ from want, each as "allowedIPs [...] (want [...])",
// the members of only left out.
func keyDiffs(want, got client.APIKey, only ...string) []string {
	var out []string
	for _, m := range keyMembers {
		if len(only) > 0 && !slices.Contains(only, m) {
			continue
		}
		ws, wc := keyMember(want, m)
		gs, gc := keyMember(got, m)
		if wc != gc {
			out = append(out, fmt.Sprintf("%s %s (want %s)", m, gs, ws))
		}
	}
	return out
}

// others returns the members of ApiKey but those of list.
func others(list []string) []string {
	return slices.DeleteFunc(slices.Clone(keyMembers), func(m string) bool { return slices.Contains(list, m) })
}

// withDomain returns k with domain d allowed as well.
func withDomain(d string) func(*client.APIKey) {
	return func(k *client.APIKey) { k.AllowedDomains = append(k.AllowedDomains, d) }
}

// withSubnet returns k with subnet p allowed as well.
func withSubnet(p string) func(*client.APIKey) {
	return func(k *client.APIKey) { k.AllowedIPs = append(k.AllowedIPs, p) }
}

// rereadKeys reads every key the run created and has not deleted after what, an operation on key
// target (nil: on none of them): target must read back as expect makes of what the server last said
// of it, every other key exactly as the server last said of it (the operation names one key). The
// records then hold what was read.
func (c *check) rereadKeys(what string, target *keyRecord, expect func(*client.APIKey)) {
	for _, r := range c.liveKeys() {
		want, role := cloneKey(r.state), "another key of the run, which it does not name"
		if r == target {
			role = "the key it names"
			if expect != nil {
				expect(&want)
			}
		}
		got, err := c.client.GetAPIKey(c.ctx, r.key)
		if err != nil {
			c.Errorf("after %s: GET /ApiKey/%s (%s; the run has not deleted it): %v", what, r.key, role, err)
			continue
		}
		if got.Key != "" && got.Key != r.key {
			c.Errorf("after %s, GET /ApiKey/%s (%s) answers key %q", what, r.key, role, got.Key)
		}
		if d := keyDiffs(want, *got); len(d) > 0 {
			c.Errorf("after %s, GET /ApiKey/%s (%s) reads %s", what, r.key, role, strings.Join(d, "; "))
		}
		r.state = cloneKey(*got)
	}
}

// checkKeyList reads GET /ApiKey, all the API keys of the account (documented), and checks it
// against the run's keys: every key the run created and has not deleted is listed exactly once,
// as the server last said of it; a key the run deleted, once GET /ApiKey/{key} said 404, is not.
// It returns the list.
func (c *check) checkKeyList(what string) []client.APIKey {
	keys, err := c.client.ListAPIKeys(c.ctx)
	if err != nil {
		c.decidedCall("GET /ApiKey", "ApiKey_GetList", err)
	}
	listed := map[string][]client.APIKey{}
	for _, k := range keys {
		listed[k.Key] = append(listed[k.Key], k)
	}
	// At most 3 keys of each kind are named; the rest are counted.
	var missing, stale []string
	for _, r := range c.allKeys() {
		got := listed[r.key]
		switch {
		case r.deleted && r.gone && len(got) > 0:
			stale = append(stale, r.key)
		case r.deleted:
		case len(got) == 0:
			missing = append(missing, r.key)
		case len(got) > 1:
			c.Errorf("%s: GET /ApiKey lists key %s %d times", what, r.key, len(got))
		default:
			if d := keyDiffs(r.state, got[0]); len(d) > 0 {
				c.Errorf("%s: GET /ApiKey lists key %s with %s", what, r.key, strings.Join(d, "; "))
			}
		}
	}
	if len(stale) > 0 {
		c.Errorf("%s: GET /ApiKey still lists %d keys this run deleted and GET /ApiKey/{key} answers 404 for (%s): the list is of all the account's keys", what, len(stale), firstKeys(stale))
	}
	if len(missing) > 0 {
		c.Errorf("%s: GET /ApiKey (%d keys) leaves out %d keys this run created and has not deleted (%s)", what, len(keys), len(missing), firstKeys(missing))
	}
	return keys
}

// firstKeys names the first 3 keys of list, and says how many more there are.
func firstKeys(list []string) string {
	if len(list) <= 3 {
		return strings.Join(list, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(list[:3], ", "), len(list)-3)
}
