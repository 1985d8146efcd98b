package data8test

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/gen"
)

func TestAPIKeys(t *testing.T) {
	s := start(t)
	tok := fetchToken(t, s)
	c := apiClient(t, s)
	ctx := context.Background()

	// A generated key has the form ABCD-1234-EFGH-5678.
	limit := 100
	cr, err := c.ApiKeyCreateApiKeyWithResponse(ctx, gen.NewApiKey{Description: "Website address checks", MaxRequestsPerIPPerDay: &limit, IsClientKey: true})
	if err != nil || cr.StatusCode() != 200 {
		t.Fatalf("create: %v %s", err, cr.Body)
	}
	gk := cr.JSON200.Key
	if !regexp.MustCompile(`^[A-Z]{4}-[0-9]{4}-[A-Z]{4}-[0-9]{4}$`).MatchString(gk) {
		t.Fatalf("generated key %q", gk)
	}
	if cr.JSON200.Description != "Website address checks" || *cr.JSON200.MaxRequestsPerIPPerDay != 100 || len(cr.JSON200.AllowedDomains) != 0 {
		t.Fatalf("created key %s", cr.Body)
	}

	// A given key is kept; a duplicate is 400.
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	given := "MINE-0001-KEYS-0002"
	cr, err = c.ApiKeyCreateApiKeyWithResponse(ctx, gen.NewApiKey{Key: given, Description: "mine", Username: "web", ExpiresOn: exp})
	if err != nil || cr.StatusCode() != 200 || cr.JSON200.Key != given {
		t.Fatalf("create given: %v %s", err, cr.Body)
	}
	r := do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": given, "description": "again"})
	wantStatus(t, r, 400)
	if _, ok := errorKeys(r.problem(t))["key"]; !ok {
		t.Fatalf("duplicate key: %s", r.body)
	}
	wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": given + "x"}), 400) // no description
	wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"description": "d", "maxRequestsPerIPPerDay": -1}), 400)

	lr, err := c.ApiKeyGetListWithResponse(ctx)
	if err != nil || len(*lr.JSON200) != 2 || (*lr.JSON200)[0].Key != gk || (*lr.JSON200)[1].Key != given {
		t.Fatalf("list: %v %s", err, lr.Body)
	}

	// Domains and subnets.
	if r, err := c.ApiKeyAddAllowedDomainWithResponse(ctx, given, "WWW.Example.com"); err != nil || r.StatusCode() != 200 {
		t.Fatalf("domain: %v %d %s", err, r.StatusCode(), r.Body)
	}
	_, _ = c.ApiKeyAddAllowedDomainWithResponse(ctx, given, "www.example.com")
	for _, ip := range [][2]string{{"123.45.6.7", "24"}, {"123.45.6.0/24", ""}, {"10.1.2.3", ""}, {"2001:db8::1", "32"}} {
		r, err := c.ApiKeyAddAllowedIPPUTWithResponse(ctx, given, ip[0], ip[1])
		if err != nil || r.StatusCode() != 200 {
			t.Fatalf("ip %v: %v %d %s", ip, err, r.StatusCode(), r.Body)
		}
	}
	wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+given+"/allowedIPs/not-an-ip/24", nil), 400)
	wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+given+"/allowedIPs/10.0.0.0/33", nil), 400)
	wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+given+"/allowedIPs/10.0.0.0/x", nil), 400)
	gr, err := c.ApiKeyGetByKeyWithResponse(ctx, given)
	if err != nil || gr.StatusCode() != 200 {
		t.Fatalf("get: %v %s", err, gr.Body)
	}
	k := *gr.JSON200
	if !reflect.DeepEqual(k.AllowedDomains, []string{"www.example.com"}) ||
		!reflect.DeepEqual(k.AllowedIPs, []string{"123.45.6.0/24", "10.1.2.3/32", "2001:db8::/32"}) ||
		!k.ExpiresOn.Equal(exp) || k.Username != "web" {
		t.Fatalf("key %s", gr.Body)
	}

	// Update: members left out are kept, null clears.
	ur := do(t, s, tok, "PUT", "/ApiKey/"+given, map[string]any{"description": "renewed", "maxRequestsPerIPPerDay": 5})
	wantStatus(t, ur, 200)
	var uk gen.ApiKey
	_ = json.Unmarshal(ur.body, &uk)
	if uk.Description != "renewed" || *uk.MaxRequestsPerIPPerDay != 5 || uk.ExpiresOn == nil || uk.Username != "web" {
		t.Fatalf("updated %s", ur.body)
	}
	ur = do(t, s, tok, "PUT", "/ApiKey/"+given, `{"expiresOn":null,"maxRequestsPerIPPerDay":null}`)
	wantStatus(t, ur, 200)
	uk = gen.ApiKey{}
	_ = json.Unmarshal(ur.body, &uk)
	if uk.ExpiresOn != nil || uk.MaxRequestsPerIPPerDay != nil || uk.Description != "renewed" {
		t.Fatalf("cleared %s", ur.body)
	}

	// Delete.
	if dr, err := c.ApiKeyDeleteByKeyWithResponse(ctx, given); err != nil || dr.StatusCode() != 200 || len(dr.Body) != 0 {
		t.Fatalf("delete: %v %d %s", err, dr.StatusCode(), dr.Body)
	}
	wantStatus(t, do(t, s, tok, "GET", "/ApiKey/"+given, nil), 404)
	wantStatus(t, do(t, s, tok, "DELETE", "/ApiKey/"+given, nil), 404)
}

func TestClientCredentials(t *testing.T) {
	s := start(t)
	c := apiClient(t, s)
	ctx := context.Background()
	lr, err := c.ClientCredentialGetListWithResponse(ctx)
	if err != nil || lr.StatusCode() != 200 || len(*lr.JSON200) != 1 || (*lr.JSON200)[0].ClientID != s.ClientID || (*lr.JSON200)[0].Secrets != nil {
		t.Fatalf("list: %v %s", err, lr.Body)
	}
	cr, err := c.ClientCredentialCreateWithResponse(ctx, gen.NewClientCredential{Description: "Nightly ETL"})
	if err != nil || cr.StatusCode() != 200 {
		t.Fatalf("create: %v %s", err, cr.Body)
	}
	cc := *cr.JSON200
	if cc.ClientID == "" || cc.Description != "Nightly ETL" || cc.Secrets == nil || len(cc.Secrets) != 1 {
		t.Fatalf("created %s", cr.Body)
	}
	secret, _ := cc.Secrets[0].(map[string]any)["value"].(string)
	// The new client can fetch tokens with its secret.
	r := postToken(t, s, url.Values{"grant_type": {"client_credentials"}, "client_id": {cc.ClientID}, "client_secret": {secret}}, "", "")
	wantStatus(t, r, 200)
	// Secrets are never listed or read back.
	lr, _ = c.ClientCredentialGetListWithResponse(ctx)
	if len(*lr.JSON200) != 2 || (*lr.JSON200)[1].Secrets != nil || (*lr.JSON200)[1].ClientID != cc.ClientID {
		t.Fatalf("list after create: %s", lr.Body)
	}
	gr, err := c.ClientCredentialGetByIdWithResponse(ctx, cc.ClientID)
	if err != nil || gr.StatusCode() != 200 || gr.JSON200.Secrets != nil || gr.JSON200.Description != "Nightly ETL" {
		t.Fatalf("get: %v %s", err, gr.Body)
	}
	wantStatus(t, do(t, s, fetchToken(t, s), "POST", "/ClientCredential", map[string]any{}), 400)
}
