package data8test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"math/big"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/data8-toolkit/data8/data8time"
	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/standin"
)

// apiKey is one API key of the account (for Data8's validation services), guarded by Server.mu.
type apiKey struct {
	key         string
	description *string
	username    *string
	expiresOn   *time.Time
	maxPerDay   *int
	clientKey   bool
	domains     []string
	ips         []string
	services    []string
}

// view is the key as the API shows it; the lists are never null.
func (k *apiKey) view() gen.ApiKey {
	v := gen.ApiKey{
		Key:             k.key,
		AllowedDomains:  append([]string{}, k.domains...),
		AllowedIPs:      append([]string{}, k.ips...),
		AllowedServices: append([]string{}, k.services...),
	}
	if k.description != nil {
		v.Description = *k.description
	}
	if k.username != nil {
		v.Username = *k.username
	}
	if k.expiresOn != nil {
		v.ExpiresOn = &data8time.Time{Time: *k.expiresOn}
	}
	if k.maxPerDay != nil {
		v.MaxRequestsPerIPPerDay = ptr(*k.maxPerDay)
	}
	return v
}

// credential is one OAuth client of the account, guarded by Server.mu.
type credential struct {
	id          string
	description string
	secret      string
}

// view is the credential as the API shows it, without secrets.
func (c *credential) view() gen.ClientCredential {
	return gen.ClientCredential{ClientID: c.id, Description: c.description}
}

// presentMembers returns the members of the request's JSON body by name, to tell a member sent (as null or
// empty) from one left out, which the generated types cannot.
func presentMembers(ctx context.Context) map[string]json.RawMessage {
	present := map[string]json.RawMessage{}
	if raw, ok := ctx.Value(ctxRawBody).([]byte); ok {
		_ = json.Unmarshal(raw, &present)
	}
	return present
}

// writableKey returns the key an update, a delete or an allowed domain or subnet names: a stored key,
// or under the standin.DeletedKeyWritable mutation a deleted one. Server.mu must be held.
func (s *Server) writableKey(key string) *apiKey {
	if k := s.keyFolded(key); k != nil {
		return k
	}
	if k := s.keyNamed(key); k != nil {
		return k
	}
	if k := s.keyByPrefix(key); k != nil {
		return k
	}
	if s.mutated(standin.DeletedKeyWritable) {
		return s.tombstones[key]
	}
	return nil
}

// keyByPrefix returns, under the standin.KeyLookupPrefix mutation, the first key (in creation order)
// whose value begins with key, and nil otherwise. Server.mu must be held.
//
// Under the standin.KeyLookupLike mutation it is the first key the value matches as a SQL LIKE
// pattern.
func (s *Server) keyByPrefix(key string) *apiKey {
	if !s.mutated(standin.KeyLookupPrefix) && !s.mutated(standin.KeyLookupLike) {
		return nil
	}
	for _, k := range s.keyOrder {
		if s.mutated(standin.KeyLookupPrefix) && strings.HasPrefix(k, key) || s.mutated(standin.KeyLookupLike) && sqlLike(key, k) {
			return s.apiKeys[k]
		}
	}
	return nil
}

// keyFolded returns, under the standin.KeyLookupIgnoresCase mutation, the first key (in creation
// order) whose value equals key ignoring case, and nil otherwise. Server.mu must be held.
func (s *Server) keyFolded(key string) *apiKey {
	if !s.mutated(standin.KeyLookupIgnoresCase) {
		return nil
	}
	for _, k := range s.keyOrder {
		if strings.EqualFold(k, key) {
			return s.apiKeys[k]
		}
	}
	return nil
}

// mangleDescription stores an API key's description as the standin.KeyDescriptionBMPOnly mutation
// does (each character outside the Basic Multilingual Plane becomes U+FFFD) and the
// standin.KeyDescriptionCut255 mutation does (cut to 255 characters).
func (s *Server) mangleDescription(d string) string {
	if r := []rune(d); len(r) > 255 && s.mutated(standin.KeyDescriptionCut255) {
		d = string(r[:255])
	}
	if !s.mutated(standin.KeyDescriptionBMPOnly) {
		return d
	}
	return strings.Map(func(r rune) rune {
		if r > 0xFFFF {
			return '\uFFFD'
		}
		return r
	}, d)
}

// storeLimit returns a daily limit as the server stores it: as sent, or kept in 16 bits under the
// standin.KeyLimitInt16 mutation.
func (s *Server) storeLimit(n *int) *int {
	switch {
	case n == nil:
		return nil
	case s.mutated(standin.KeyLimitInt16):
		return ptr(int(int16(*n)))
	}
	return ptr(*n)
}

// storeExpiry returns an expiry as the server stores it: as sent, to the whole second under
// ProfileWholeSecondTimes, or as the mutations standin.KeyExpiryUnix32 (32-bit seconds since 1970)
// and standin.KeyExpiryUKLocal (UK wall time, the repeated October hour read as summer time) do.
func (s *Server) storeExpiry(t time.Time) time.Time {
	if s.mutated(standin.KeyExpiryUnix32) {
		t = time.Unix(int64(int32(t.Unix())), int64(t.Nanosecond())).UTC()
	}
	if s.has(ProfileWholeSecondTimes) {
		t = t.Truncate(time.Second)
	}
	if s.mutated(standin.KeyExpiryUKLocal) {
		// Summer time ends at 01:00Z on the last Sunday of October: the wall times of the hour after
		// it were also those of the hour before, which is what a read of them as summer time gives.
		t = t.UTC()
		end := time.Date(t.Year(), time.October, 31, 1, 0, 0, 0, time.UTC)
		end = end.AddDate(0, 0, -int(end.Weekday()))
		if !t.Before(end) && t.Before(end.Add(time.Hour)) {
			t = t.Add(-time.Hour)
		}
	}
	return t
}

// storeUsername returns a username as the server stores it: as sent, or lower-cased under the
// standin.KeyUsernameLowercased mutation.
func (s *Server) storeUsername(u string) string {
	if s.mutated(standin.KeyUsernameLowercased) {
		return strings.ToLower(u)
	}
	return u
}

// otherKeyHas reports whether a live key other than k holds v in the list of(key) gives (its
// domains or its subnets): the check of the standin.DomainUniqueAcrossKeys and
// standin.SubnetUniqueAcrossKeys mutations. The caller holds s.mu.
func (s *Server) otherKeyHas(k *apiKey, of func(*apiKey) []string, v string) bool {
	for _, o := range s.apiKeys {
		if o != k && slices.Contains(of(o), v) {
			return true
		}
	}
	return false
}

// keyMissing is the detail of a 404 for an API key.
func keyMissing(key string) string {
	return fmt.Sprintf("The requested API key %s does not exist.", key)
}

// newAPIKey generates a key of the form ABCD-1234-EFGH-5678.
func newAPIKey() string {
	const letters, digits = "ABCDEFGHJKLMNPQRSTUVWXYZ", "0123456789"
	group := func(alphabet string) string {
		b := make([]byte, 4)
		for i := range b {
			n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			b[i] = alphabet[n.Int64()]
		}
		return string(b)
	}
	return group(letters) + "-" + group(digits) + "-" + group(letters) + "-" + group(digits)
}

// ApiKeyGetList returns every API key of the account, oldest first.
func (a *strictAPI) ApiKeyGetList(ctx context.Context, req gen.ApiKeyGetListRequestObject) (gen.ApiKeyGetListResponseObject, error) {
	s := a.s
	var out gen.ApiKeyGetList200JSONResponse
	if s.mutated(standin.KeyListStaleAfterUpdate) {
		if kept, ok := s.cachedList("keys").(gen.ApiKeyGetList200JSONResponse); ok {
			return kept, nil
		}
		defer func() { s.keepList("keys", out) }()
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out = make(gen.ApiKeyGetList200JSONResponse, 0, len(s.keyOrder))
	for i, k := range s.keyOrder {
		if i == 100 && s.mutated(standin.APIKeyListFirst100) {
			break
		}
		if e := s.apiKeys[k].expiresOn; e != nil && e.Before(now()) && s.mutated(standin.ExpiredKeysUnlisted) {
			continue
		}
		out = append(out, s.apiKeys[k].view())
	}
	for _, k := range s.deletedKeys {
		out = append(out, k.view())
	}
	if s.mutated(standin.ClientCredListedAsKey) {
		for _, id := range s.credOrder[1:] { // credOrder[0] is the server's own client
			out = append(out, (&apiKey{key: id, description: ptr(s.creds[id].description)}).view())
		}
	}
	return out, nil
}

// ApiKeyCreateApiKey creates an API key, generating the key when none is given.
func (a *strictAPI) ApiKeyCreateApiKey(ctx context.Context, req gen.ApiKeyCreateApiKeyRequestObject) (gen.ApiKeyCreateApiKeyResponseObject, error) {
	s := a.s
	bad := func(member, msg string) (gen.ApiKeyCreateApiKeyResponseObject, error) {
		return gen.ApiKeyCreateApiKey400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: fieldError(member, msg)}, nil
	}
	if req.Body == nil {
		return bad("$", "A request body is required.")
	}
	b := req.Body
	if b.MaxRequestsPerIPPerDay != nil && *b.MaxRequestsPerIPPerDay < 0 {
		return bad("maxRequestsPerIPPerDay", "The limit must be 0 or more.")
	}
	k := &apiKey{
		description: ptr(s.mangleDescription(b.Description)),
		maxPerDay:   s.storeLimit(b.MaxRequestsPerIPPerDay),
		clientKey:   b.IsClientKey,
	}
	if b.Username != "" {
		k.username = ptr(s.storeUsername(b.Username))
	}
	if e := b.ExpiresOn; !e.IsZero() {
		k.expiresOn = ptr(s.storeExpiry(e))
		if s.mutated(standin.CreateExpiryOffsetDropped) {
			k.expiresOn = ptr(time.Date(e.Year(), e.Month(), e.Day(), e.Hour(), e.Minute(), e.Second(), e.Nanosecond(), time.UTC))
		}
	}
	if s.mutated(standin.ConcurrentDeleteLosesCreate) {
		// The slower path: a delete sent at the same moment reads the table first.
		defer s.heldWrite("key table")()
	}
	if b.Key != "" && s.mutated(standin.ConcurrentKeyCreateDup) {
		if answer, ok := s.createKeyRacily(k, b.Key); ok {
			return gen.ApiKeyCreateApiKey200JSONResponse{ApiKeyOKJSONResponse: gen.ApiKeyOKJSONResponse(answer)}, nil
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, sent := presentMembers(ctx)["key"]; (sent || b.Key != "") && !s.mutated(standin.GivenAPIKeyIgnored) {
		k.key = b.Key
		if s.mutated(standin.GivenAPIKeyUppercased) {
			k.key = strings.ToUpper(k.key)
		}
		switch {
		case s.mutated(standin.DeletedKeyReserved) && slices.Contains(s.reservedKeys, k.key):
			return bad("key", fmt.Sprintf("The API key %s already exists.", k.key))
		case strings.TrimSpace(k.key) == "" && !(k.key == "" && s.mutated(standin.EmptyGivenKeyStored)) || strings.ContainsAny(k.key, "/?#% \t\r\n"):
			return bad("key", "A key may not be blank or contain white space, /, ?, # or %.")
		case s.keyNamed(k.key) != nil && s.has(ProfileConflict409):
			return conflictAnswer{fmt.Sprintf("The API key %s already exists.", k.key)}, nil
		case s.keyNamed(k.key) != nil:
			if s.mutated(standin.FailedKeyCreateOverwrites) {
				s.apiKeys[k.key].description = k.description
			}
			if s.mutated(standin.RefusedKeyCreateStored) {
				// Stored under a generated key before the given one is found taken.
				made := &apiKey{description: k.description, username: k.username, expiresOn: k.expiresOn, maxPerDay: k.maxPerDay}
				for made.key = newAPIKey(); s.apiKeys[made.key] != nil; made.key = newAPIKey() {
				}
				s.apiKeys[made.key] = made
				s.keyOrder = append(s.keyOrder, made.key)
			}
			return bad("key", fmt.Sprintf("The API key %s already exists.", k.key))
		}
		if old := s.tombstones[k.key]; old != nil && s.mutated(standin.RecreatedKeyKeepsOld) {
			old.description = k.description
			k = old // the deleted key revived
		}
	} else if s.mutated(standin.ConcurrentGeneratedKeyDup) {
		seq := s.keySeq
		s.mu.Unlock()
		s.racing2("generated key")
		s.mu.Lock()
		k.key = fmt.Sprintf("GENK-%04d-GENK-%04d", seq/10000%10000, seq%10000)
		s.keySeq = seq + 1
		if s.apiKeys[k.key] != nil {
			s.keyOrder = slices.DeleteFunc(s.keyOrder, func(x string) bool { return x == k.key })
		}
	} else {
		if s.mutated(standin.KeyFoundByDescription) {
			for _, o := range s.keyOrder {
				if x := s.apiKeys[o]; x.description != nil && *x.description == *k.description {
					// find-or-create keyed by the description
					return gen.ApiKeyCreateApiKey200JSONResponse{ApiKeyOKJSONResponse: gen.ApiKeyOKJSONResponse(x.view())}, nil
				}
			}
		}
		for k.key = newAPIKey(); s.apiKeys[k.key] != nil; k.key = newAPIKey() {
		}
		if s.keysGenerated++; s.keysGenerated == 3 && s.mutated(standin.ThirdGeneratedKeyLowerCase) {
			k.key = strings.ToLower(k.key)
		}
	}
	if f := s.freedAllowed; f != nil && s.mutated(standin.NewKeyTakesDeletedSlot) && k.key != b.Key {
		k.domains, k.ips = f.domains, f.ips // the deleted key's row, reused
		s.freedAllowed = nil
	}
	s.apiKeys[k.key] = k
	s.keyOrder = append(s.keyOrder, k.key)
	s.forgetList("keys")
	answer := k.view()
	if s.mutated(standin.KeyUsernameLost) {
		k.username = nil // answered, not stored
	}
	return gen.ApiKeyCreateApiKey200JSONResponse{ApiKeyOKJSONResponse: gen.ApiKeyOKJSONResponse(answer)}, nil
}

// createKeyRacily creates key given as the standin.ConcurrentKeyCreateDup mutation does: it checks
// the key is free, releases the lock while a second create of the key may arrive, and then stores
// it, replacing whatever was stored meanwhile. It reports false when the key was taken at the check.
func (s *Server) createKeyRacily(k *apiKey, given string) (gen.ApiKey, bool) {
	s.mu.RLock()
	taken := s.apiKeys[given] != nil
	s.mu.RUnlock()
	if taken {
		return gen.ApiKey{}, false
	}
	s.racing2("key " + given)
	s.mu.Lock()
	defer s.mu.Unlock()
	k.key = given
	if s.apiKeys[given] == nil {
		s.keyOrder = append(s.keyOrder, given)
	}
	s.apiKeys[given] = k
	return k.view(), true
}

// ApiKeyGetByKey returns one API key.
func (a *strictAPI) ApiKeyGetByKey(ctx context.Context, req gen.ApiKeyGetByKeyRequestObject) (gen.ApiKeyGetByKeyResponseObject, error) {
	s := a.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	if before, _, dotted := strings.Cut(req.Key, "."); dotted && s.mutated(standin.APIKeyDotSuffixDropped) {
		req.Key = before // the rest read as a format extension
	}
	k := s.keyFolded(req.Key)
	if k == nil {
		k = s.keyNamed(req.Key)
	}
	if k == nil {
		k = s.keyByPrefix(req.Key)
	}
	if k == nil && s.mutated(standin.DeletedKeyReadable) {
		k = s.tombstones[req.Key]
	}
	if c := s.creds[req.Key]; k == nil && c != nil && s.mutated(standin.KeyLookupFindsClient) {
		k = &apiKey{key: c.id, description: ptr(c.description)} // one table of both kinds
	}
	if k == nil {
		return gen.ApiKeyGetByKey404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(keyMissing(req.Key))}, nil
	}
	return gen.ApiKeyGetByKey200JSONResponse{ApiKeyOKJSONResponse: gen.ApiKeyOKJSONResponse(k.view())}, nil
}

// ApiKeyUpdateByKey updates a key's description, username, expiry and daily limit. A member left out is
// kept; expiresOn or maxRequestsPerIPPerDay given as null is cleared (never expires, no limit).
func (a *strictAPI) ApiKeyUpdateByKey(ctx context.Context, req gen.ApiKeyUpdateByKeyRequestObject) (gen.ApiKeyUpdateByKeyResponseObject, error) {
	s := a.s
	bad := func(member, msg string) (gen.ApiKeyUpdateByKeyResponseObject, error) {
		return gen.ApiKeyUpdateByKey400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: fieldError(member, msg)}, nil
	}
	if req.Body == nil {
		return bad("$", "A request body is required.")
	}
	// Tell a member sent as null from one left out: the generated type cannot.
	present := presentMembers(ctx)
	b := req.Body
	if b.MaxRequestsPerIPPerDay != nil && *b.MaxRequestsPerIPPerDay < 0 && !s.mutated(standin.KeyUpdatePartialOnRefusal) {
		return bad("maxRequestsPerIPPerDay", "The limit must be 0 or more.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.writableKey(req.Key)
	if k != nil && b.MaxRequestsPerIPPerDay != nil && *b.MaxRequestsPerIPPerDay < 0 {
		if b.Description != nil {
			k.description = ptr(s.mangleDescription(*b.Description)) // written before the limit is checked
		}
		return bad("maxRequestsPerIPPerDay", "The limit must be 0 or more.")
	}
	if k == nil && s.mutated(standin.KeyUpdateUpserts) {
		k = &apiKey{key: req.Key}
		s.apiKeys[req.Key] = k
		s.keyOrder = append(s.keyOrder, req.Key)
	}
	if k == nil {
		return gen.ApiKeyUpdateByKey404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(keyMissing(req.Key))}, nil
	}
	if s.mutated(standin.UpdateDropsConcurrentDomain) {
		domains, ips := slices.Clone(k.domains), slices.Clone(k.ips) // the key as read; saved whole below
		s.mu.Unlock()
		s.readWholeKey(req.Key)
		s.mu.Lock()
		defer func() { k.domains, k.ips = domains, ips }()
	}
	if s.mutated(standin.ConcurrentKeyUpdateLost) {
		// The account's keys read whole, and written back whole once the change is made.
		before := map[*apiKey]apiKey{}
		for _, o := range s.apiKeys {
			before[o] = *o
		}
		s.mu.Unlock()
		s.racing2("key update")
		s.mu.Lock()
		for o, was := range before {
			if o != k {
				*o = was
			}
		}
	}
	oldDescription := k.description
	keepEmpty := s.mutated(standin.KeyUpdateEmptyKeepsOld) // "" taken as not sent
	if b.Description != nil && !(keepEmpty && *b.Description == "") {
		k.description = ptr(s.mangleDescription(*b.Description))
		if s.mutated(standin.KeyUpdateByPrefix) {
			for v, other := range s.apiKeys {
				if strings.HasPrefix(v, req.Key) {
					other.description = k.description
				}
			}
		}
	}
	if b.Username != nil && !(keepEmpty && *b.Username == "") {
		k.username = ptr(s.storeUsername(*b.Username))
	}
	if _, sent := present["expiresOn"]; sent || b.ExpiresOn != nil {
		k.expiresOn = b.ExpiresOn
		if e := b.ExpiresOn; e != nil {
			k.expiresOn = ptr(s.storeExpiry(*e))
		}
		if e := b.ExpiresOn; e != nil && s.mutated(standin.KeyExpiryOffsetDropped) {
			k.expiresOn = ptr(time.Date(e.Year(), e.Month(), e.Day(), e.Hour(), e.Minute(), e.Second(), e.Nanosecond(), time.UTC))
		}
	}
	if _, sent := present["maxRequestsPerIPPerDay"]; (sent || b.MaxRequestsPerIPPerDay != nil) && !s.mutated(standin.KeyUpdateIgnoresLimit) {
		k.maxPerDay = s.storeLimit(b.MaxRequestsPerIPPerDay)
	}
	if s.mutated(standin.KeyUpdateClearsAllowed) {
		k.domains, k.ips = nil, nil // rebuilt from the body
	}
	if s.has(ProfileKeyUpdateReplaces) {
		_, expiry := present["expiresOn"]
		_, limit := present["maxRequestsPerIPPerDay"]
		if b.Description == nil {
			k.description = nil
		}
		if b.Username == nil {
			k.username = nil
		}
		if !expiry && b.ExpiresOn == nil {
			k.expiresOn = nil
		}
		if !limit && b.MaxRequestsPerIPPerDay == nil {
			k.maxPerDay = nil
		}
	}
	answer := k.view()
	if s.mutated(standin.KeyUpdateDescriptionNotStored) {
		k.description = oldDescription // answered, not stored
	}
	return gen.ApiKeyUpdateByKey200JSONResponse{ApiKeyOKJSONResponse: gen.ApiKeyOKJSONResponse(answer)}, nil
}

// ApiKeyDeleteByKey deletes a key.
func (a *strictAPI) ApiKeyDeleteByKey(ctx context.Context, req gen.ApiKeyDeleteByKeyRequestObject) (gen.ApiKeyDeleteByKeyResponseObject, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	key := req.Key // the stored value of the key named, in its own case under ProfileCaseInsensitiveNames
	if k := s.keyNamed(key); k != nil {
		key = k.key
	}
	if t := s.tombstones[key]; s.apiKeys[key] == nil && t != nil && s.mutated(standin.DeletedKeyWritable) {
		return gen.ApiKeyDeleteByKey200Response{}, nil
	}
	if s.apiKeys[key] == nil {
		return gen.ApiKeyDeleteByKey404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(keyMissing(req.Key))}, nil
	}
	if s.mutated(standin.ConcurrentDeleteLosesCreate) {
		// The key table read whole, and written back whole without the key.
		table, order := maps.Clone(s.apiKeys), slices.Clone(s.keyOrder)
		s.mu.Unlock()
		s.meetWrites("key table") // a create sent at the same moment is stored meanwhile
		s.mu.Lock()
		s.apiKeys, s.keyOrder = table, order
	}
	if s.mutated(standin.DeletedKeyListed) {
		s.deletedKeys = append(s.deletedKeys, s.apiKeys[key])
	}
	if s.mutated(standin.DeletedKeyWritable) || s.mutated(standin.RecreatedKeyKeepsOld) || s.mutated(standin.DeletedKeyReadable) {
		s.tombstones[key] = s.apiKeys[key]
	}
	if s.mutated(standin.NewKeyTakesDeletedSlot) {
		s.freedAllowed = s.apiKeys[key]
	}
	delete(s.apiKeys, key)
	if s.mutated(standin.DeletedKeyReserved) {
		s.reservedKeys = append(s.reservedKeys, key)
	}
	s.keyOrder = slices.DeleteFunc(s.keyOrder, func(k string) bool { return k == key })
	if s.mutated(standin.KeyDeleteByPrefix) {
		for _, k := range slices.Clone(s.keyOrder) {
			if strings.HasPrefix(k, key) {
				delete(s.apiKeys, k)
				s.keyOrder = slices.DeleteFunc(s.keyOrder, func(x string) bool { return x == k })
			}
		}
	}
	s.forgetList("keys")
	return gen.ApiKeyDeleteByKey200Response{}, nil
}

// ApiKeyAddAllowedDomain allows a domain to use a key (lower-cased; adding one twice keeps one).
func (a *strictAPI) ApiKeyAddAllowedDomain(ctx context.Context, req gen.ApiKeyAddAllowedDomainRequestObject) (gen.ApiKeyAddAllowedDomainResponseObject, error) {
	s := a.s
	defer s.slowerWrite(req.Key, false)()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.writableKey(req.Key)
	if k == nil {
		return gen.ApiKeyAddAllowedDomain404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(keyMissing(req.Key))}, nil
	}
	if strings.ToLower(req.Domain) != req.Domain && s.mutated(standin.DomainUpperCaseRefused) {
		return gen.ApiKeyAddAllowedDomain400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: fieldError("domain", fmt.Sprintf("%q is not a domain name.", req.Domain))}, nil
	}
	d := strings.ToLower(strings.TrimSpace(req.Domain))
	if d == "" || len(d) > 253 || strings.ContainsAny(d, " \t\r\n/\\?#@:") {
		return gen.ApiKeyAddAllowedDomain400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: fieldError("domain", fmt.Sprintf("%q is not a domain name.", req.Domain))}, nil
	}
	if strings.Contains(d, "-") && s.mutated(standin.DomainHyphenRefused) {
		return gen.ApiKeyAddAllowedDomain400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: fieldError("domain", fmt.Sprintf("%q is not a domain name.", req.Domain))}, nil
	}
	if len(d) > 100 && s.mutated(standin.DomainCut100) {
		d = d[:100]
	}
	if s.mutated(standin.ConcurrentDomainLost) {
		k.domains = s.lostUpdate(k.domains, d, "domains "+req.Key)
		return gen.ApiKeyAddAllowedDomain200Response{}, nil
	}
	if s.mutated(standin.DomainAddDropsConcurrentIP) {
		ips := slices.Clone(k.ips) // the key as read; saved whole below
		s.mu.Unlock()
		s.readWholeKey(req.Key)
		s.mu.Lock()
		defer func() { k.ips = ips }()
	}
	switch {
	case s.mutated(standin.DomainUniqueAcrossKeys) && s.otherKeyHas(k, func(o *apiKey) []string { return o.domains }, d):
		// "already there": a unique index on the domain
	case s.mutated(standin.AllowedDomainReplaces):
		k.domains = []string{d}
	case s.mutated(standin.DomainSuffixDeduplicated) && slices.ContainsFunc(k.domains, func(x string) bool { return strings.HasSuffix(x, d) }):
		// taken as allowed already: a domain the key has ends with it
	case slices.Contains(k.domains, d) && s.mutated(standin.DomainAddToggles):
		k.domains = slices.DeleteFunc(k.domains, func(x string) bool { return x == d })
	case !slices.Contains(k.domains, d):
		k.domains = append(k.domains, d)
	}
	if i := slices.Index(s.keyOrder, req.Key); i > 0 && s.mutated(standin.DomainLeaksToPreviousKey) {
		if prev := s.apiKeys[s.keyOrder[i-1]]; !slices.Contains(prev.domains, d) {
			prev.domains = append(prev.domains, d) // a list shared with the key made before
		}
	}
	return gen.ApiKeyAddAllowedDomain200Response{}, nil
}

// ApiKeyAddAllowedIPPUT allows a subnet to use a key: network plus prefix bits, or network as a CIDR when
// prefix is blank (a single address is taken as a host). The subnet is stored in CIDR form with its host
// bits cleared.
func (a *strictAPI) ApiKeyAddAllowedIPPUT(ctx context.Context, req gen.ApiKeyAddAllowedIPPUTRequestObject) (gen.ApiKeyAddAllowedIPPUTResponseObject, error) {
	s := a.s
	bad := func(member, msg string) (gen.ApiKeyAddAllowedIPPUTResponseObject, error) {
		return gen.ApiKeyAddAllowedIPPUT400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: fieldError(member, msg)}, nil
	}
	defer s.slowerWrite(req.Key, true)()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.writableKey(req.Key)
	if k == nil && req.Prefix == "" && s.mutated(standin.CIDRUnknownKeyOK) {
		return gen.ApiKeyAddAllowedIPPUT200Response{}, nil
	}
	if k == nil {
		return gen.ApiKeyAddAllowedIPPUT404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(keyMissing(req.Key))}, nil
	}
	if s.mutated(standin.IPv6UpperHexRefused) && strings.Contains(req.Network, ":") && strings.ContainsAny(req.Network, "ABCDEF") {
		return bad("network", fmt.Sprintf("%q is not an IP address.", req.Network))
	}
	var pfx netip.Prefix
	if req.Prefix == "" {
		var err error
		if pfx, err = netip.ParsePrefix(req.Network); err != nil {
			addr, aerr := netip.ParseAddr(req.Network)
			if aerr != nil {
				return bad("network", fmt.Sprintf("%q is neither an IP address nor a CIDR subnet.", req.Network))
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
	} else {
		addr, err := netip.ParseAddr(req.Network)
		if err != nil {
			return bad("network", fmt.Sprintf("%q is not an IP address.", req.Network))
		}
		bits, err := strconv.Atoi(req.Prefix)
		if err == nil && bits < 8 && s.mutated(standin.IPShortPrefixRefused) {
			return bad("prefix", "The prefix is too short.")
		}
		if err != nil || bits < 0 || bits > addr.BitLen() {
			return bad("prefix", fmt.Sprintf("The prefix must be a number of bits from 0 to %d.", addr.BitLen()))
		}
		if s.mutated(standin.AllowedIPPrefixIgnored) && addr.Is4() {
			bits = 24
		}
		pfx = netip.PrefixFrom(addr, bits)
	}
	if a := pfx.Addr(); a.Is4In6() && s.mutated(standin.IPMappedPrefixClamped) {
		pfx = netip.PrefixFrom(a.Unmap(), min(pfx.Bits(), 32))
	}
	if pfx.Masked().Addr() != pfx.Addr() && s.mutated(standin.IPHostBitsAsHost) {
		pfx = netip.PrefixFrom(pfx.Addr(), pfx.Addr().BitLen())
	}
	if pfx.Addr().Is6() && s.mutated(standin.AllowedIPv6Refused) {
		return bad("network", fmt.Sprintf("%q is not an IPv4 address.", pfx.Addr()))
	}
	cidr := pfx.Masked().String()
	if s.mutated(standin.ConcurrentIPLost) {
		k.ips = s.lostUpdate(k.ips, cidr, "ips "+req.Key)
		return gen.ApiKeyAddAllowedIPPUT200Response{}, nil
	}
	if s.mutated(standin.SubnetUniqueAcrossKeys) && s.otherKeyHas(k, func(o *apiKey) []string { return o.ips }, cidr) {
		return gen.ApiKeyAddAllowedIPPUT200Response{}, nil // "already there": a unique index on the subnet
	}
	if s.mutated(standin.SameNetworkSubnetReplaces) {
		k.ips = slices.DeleteFunc(k.ips, func(x string) bool {
			p, err := netip.ParsePrefix(x)
			return err == nil && p.Addr() == pfx.Masked().Addr()
		})
	}
	if !slices.Contains(k.ips, cidr) {
		k.ips = append(k.ips, cidr)
	}
	return gen.ApiKeyAddAllowedIPPUT200Response{}, nil
}

// ClientCredentialGetList returns the account's OAuth clients, oldest first, without secrets.
func (a *strictAPI) ClientCredentialGetList(ctx context.Context, req gen.ClientCredentialGetListRequestObject) (_ gen.ClientCredentialGetListResponseObject, err error) {
	var out gen.ClientCredentialGetList200JSONResponse
	s := a.s
	if s.mutated(standin.ClientListCached) {
		if kept, ok := s.cachedList("clients").(gen.ClientCredentialGetList200JSONResponse); ok {
			return kept, nil
		}
		defer func() { s.keepList("clients", out) }()
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out = make(gen.ClientCredentialGetList200JSONResponse, 0, len(s.credOrder))
	for i, id := range s.credOrder {
		if i == 1 && s.mutated(standin.ClientListSkipsOldest) {
			continue // the first client created through the API; credOrder[0] is the server's own
		}
		if i == 25 && s.mutated(standin.ClientListFirst25) {
			break // one page of 25, no paging
		}
		if s.creds[id].description == "" && i > 0 && s.mutated(standin.ClientWithoutDescriptionUnlisted) {
			continue // listed by a join on its description
		}
		out = append(out, s.creds[id].view())
	}
	if s.mutated(standin.KeyListedAsClientCred) {
		for _, k := range s.keyOrder {
			out = append(out, (&credential{id: k, description: s.apiKeys[k].view().Description}).view())
		}
	}
	return out, nil
}

// ClientCredentialCreate creates an OAuth client with a generated id and secret. The answer carries the
// secret, once, as secrets[0].value; the new client can then fetch tokens.
func (a *strictAPI) ClientCredentialCreate(ctx context.Context, req gen.ClientCredentialCreateRequestObject) (gen.ClientCredentialCreateResponseObject, error) {
	s := a.s
	if req.Body == nil {
		return gen.ClientCredentialCreate400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: fieldError("$", "A request body is required.")}, nil
	}
	c := &credential{id: "data8test-" + randomHex(8), description: req.Body.Description, secret: randomHex(24)}
	var given string
	if raw, ok := presentMembers(ctx)["clientId"]; ok && json.Unmarshal(raw, &given) == nil && given != "" && s.mutated(standin.GivenClientIDTaken) {
		c.id = given // over-posted
	}
	if s.mutated(standin.ClientDescriptionHTMLEscaped) {
		c.description = html.EscapeString(c.description)
	}
	s.mu.Lock()
	if s.mutated(standin.ClientFoundByDescription) {
		for _, id := range s.credOrder {
			if o := s.creds[id]; o.description == c.description {
				v := o.view() // find-or-create keyed by the description
				s.mu.Unlock()
				return gen.ClientCredentialCreate200JSONResponse{ClientCredentialOKJSONResponse: gen.ClientCredentialOKJSONResponse(v)}, nil
			}
		}
	}
	if s.mutated(standin.ConcurrentClientIDDup) {
		seq := s.credSeq
		s.mu.Unlock()
		s.racing2("generated clientId")
		s.mu.Lock()
		c.id, s.credSeq = fmt.Sprintf("data8test-seq-%d", seq), seq+1
		if s.creds[c.id] != nil {
			s.credOrder = slices.DeleteFunc(s.credOrder, func(x string) bool { return x == c.id })
		}
	}
	s.creds[c.id] = c
	s.credOrder = append(s.credOrder, c.id)
	v := c.view()
	if s.mutated(standin.ClientDescriptionLost) {
		c.description = "" // answered, not stored
	}
	s.mu.Unlock()
	v.Secrets = []any{map[string]any{"type": "SharedSecret", "value": c.secret, "description": nil, "expiration": nil}}
	return gen.ClientCredentialCreate200JSONResponse{ClientCredentialOKJSONResponse: gen.ClientCredentialOKJSONResponse(v)}, nil
}

// ClientCredentialGetById returns one OAuth client, without secrets.
func (a *strictAPI) ClientCredentialGetById(ctx context.Context, req gen.ClientCredentialGetByIdRequestObject) (gen.ClientCredentialGetByIdResponseObject, error) {
	s := a.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.creds[req.Id]
	if c == nil && s.mutated(standin.ClientCredentialUnknownFirst) && len(s.credOrder) > 0 {
		c = s.creds[s.credOrder[0]] // FirstOrDefault without the id test
	}
	if k := s.apiKeys[req.Id]; c == nil && k != nil && s.mutated(standin.ClientLookupFindsKey) {
		c = &credential{id: k.key} // one table of both kinds
		if k.description != nil {
			c.description = *k.description
		}
	}
	if c != nil && s.mutated(standin.ClientReadNewestDescription) {
		newest := *c
		newest.description = s.creds[s.credOrder[len(s.credOrder)-1]].description // the last row's column
		c = &newest
	}
	if c == nil {
		return gen.ClientCredentialGetById404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(fmt.Sprintf("The requested client credential %s does not exist.", req.Id))}, nil
	}
	return gen.ClientCredentialGetById200JSONResponse{ClientCredentialOKJSONResponse: gen.ClientCredentialOKJSONResponse(c.view())}, nil
}

// lostUpdate is the read-modify-write of the standin.ConcurrentDomainLost and
// standin.ConcurrentIPLost mutations: it copies list, lets go of s.mu (held by the caller) while it
// waits up to raceWait for a second request of key, and returns the copy with v added, so that of two
// adds at once the later write drops the other's value.
func (s *Server) lostUpdate(list []string, v, key string) []string {
	list = slices.Clone(list)
	s.mu.Unlock()
	s.racing2(key)
	s.mu.Lock()
	if !slices.Contains(list, v) {
		list = append(list, v)
	}
	return list
}

// forgetList empties the cached answer of list key (the standin.*Cached mutations).
func (s *Server) forgetList(key string) {
	s.cacheMu.Lock()
	delete(s.lists, key)
	s.cacheMu.Unlock()
}

// cachedList is the cached answer of list key (the standin.*Cached mutations), or nil.
func (s *Server) cachedList(key string) any {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	return s.lists[key]
}

// keepList caches v as the answer of list key (the standin.*Cached mutations).
func (s *Server) keepList(key string, v any) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if s.lists == nil {
		s.lists = map[string]any{}
	}
	s.lists[key] = v
}

// slowerWrite holds a domain add (subnet false) or a subnet add to key under the
// standin.UpdateDropsConcurrentDomain mutation, and a subnet add under the
// standin.DomainAddDropsConcurrentIP mutation, until a write that reads the whole key has read it
// (readWholeKey). The handler calls the function returned once its write is stored.
func (s *Server) slowerWrite(key string, subnet bool) (stored func()) {
	if s.mutated(standin.UpdateDropsConcurrentDomain) || subnet && s.mutated(standin.DomainAddDropsConcurrentIP) {
		return s.heldWrite("row " + key)
	}
	return func() {}
}

// readWholeKey is the wait of a write that has read the whole of key, under the
// standin.UpdateDropsConcurrentDomain and standin.DomainAddDropsConcurrentIP mutations: it lets the
// writes to the key sent at the same moment be stored before it saves the key as it read it.
func (s *Server) readWholeKey(key string) { s.meetWrites("row " + key) }

// raceWait bounds every wait of a race (racing2, heldWrite, meetWrites): long enough for requests
// sent at once to meet on a loaded machine, and paid in full only by a request that meets none.
const raceWait = 300 * time.Millisecond

// writeRace is where, under a lost-update mutation, a write that saves a whole thing as it read it
// (the reader) meets the writes to that thing sent at the same moment: they wait until it has read,
// and it saves once they are stored, so that it loses them whatever order they came in.
type writeRace struct {
	arrived, read         chan struct{} // closed by the first write to come, and by the reader
	arrivedOnce, readOnce sync.Once
	stored                sync.WaitGroup // the writes that wait for the read, until stored
}

// race returns the write race on name, started by the first request to come; guarded by raceMu.
func (s *Server) race(name string) *writeRace {
	if s.writeRaces == nil {
		s.writeRaces = map[string]*writeRace{}
	}
	r := s.writeRaces[name]
	if r == nil {
		r = &writeRace{arrived: make(chan struct{}), read: make(chan struct{})}
		s.writeRaces[name] = r
	}
	return r
}

// heldWrite holds a write to name until a reader has read it (or raceWait has passed), and returns
// the function the write calls once stored.
func (s *Server) heldWrite(name string) (stored func()) {
	s.raceMu.Lock()
	r := s.race(name)
	r.stored.Add(1)
	s.raceMu.Unlock()
	r.arrivedOnce.Do(func() { close(r.arrived) })
	if !s.within(r.read) {
		// No reader came: the next one meets the writes that come with it, not this one.
		s.raceMu.Lock()
		if s.writeRaces[name] == r {
			delete(s.writeRaces, name)
		}
		s.raceMu.Unlock()
	}
	return r.stored.Done
}

// meetWrites is the reader's side: it waits for a write to name to come (or raceWait), releases
// the writes waiting, and waits until they are stored (or raceWait). A write that comes later meets
// the next reader.
func (s *Server) meetWrites(name string) {
	s.raceMu.Lock()
	r := s.race(name)
	s.raceMu.Unlock()
	s.within(r.arrived)
	s.raceMu.Lock()
	if s.writeRaces[name] == r {
		delete(s.writeRaces, name)
	}
	s.raceMu.Unlock()
	r.readOnce.Do(func() { close(r.read) })
	stored := make(chan struct{})
	go func() { r.stored.Wait(); close(stored) }()
	s.within(stored)
}

// within waits until ch is closed, raceWait has passed or the server is closing, and reports
// whether ch was closed.
func (s *Server) within(ch <-chan struct{}) bool {
	t := time.NewTimer(raceWait)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
	case <-s.ctx.Done():
	}
	return false
}
