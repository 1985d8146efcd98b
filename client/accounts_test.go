package client_test

import (
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
)

func TestAPIKeysAndClientCredentials(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	ctx := testContext(t)

	expires := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	limit := 100
	k, err := c.CreateAPIKey(ctx, client.NewAPIKey{Description: "Website checks", Username: "web", ExpiresOn: expires, MaxRequestsPerIPPerDay: &limit})
	if err != nil {
		t.Fatal(err)
	}
	if k.Key == "" || k.Description != "Website checks" || k.Username != "web" || !k.ExpiresOn.Equal(expires) || *k.MaxRequestsPerIPPerDay != 100 {
		t.Errorf("created %+v", k)
	}
	if err := c.AddAPIKeyAllowedDomain(ctx, k.Key, "www.example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddAPIKeyAllowedIP(ctx, k.Key, netip.MustParsePrefix("123.45.6.0/24")); err != nil {
		t.Fatal(err)
	}
	desc := "Website checks (renewed)"
	k2, err := c.UpdateAPIKey(ctx, k.Key, client.APIKeyUpdate{Description: &desc})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetAPIKey(ctx, k.Key)
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != desc || k2.Description != desc || !slices.Equal(got.AllowedDomains, []string{"www.example.com"}) || !slices.Equal(got.AllowedIPs, []string{"123.45.6.0/24"}) {
		t.Errorf("after updates: %+v", got)
	}
	keys, err := c.ListAPIKeys(ctx)
	if err != nil || !slices.ContainsFunc(keys, func(x client.APIKey) bool { return x.Key == k.Key }) {
		t.Errorf("ListAPIKeys: %v, %v", keys, err)
	}
	if err := c.DeleteAPIKey(ctx, k.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetAPIKey(ctx, k.Key); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if err := c.DeleteAPIKey(ctx, k.Key); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}

	cc, err := c.CreateClientCredential(ctx, "Nightly ETL")
	if err != nil {
		t.Fatal(err)
	}
	if cc.ClientID == "" || cc.Description != "Nightly ETL" {
		t.Errorf("created %+v", cc)
	}
	one, err := c.GetClientCredential(ctx, cc.ClientID)
	if err != nil || one.ClientID != cc.ClientID || one.Description != "Nightly ETL" {
		t.Errorf("GetClientCredential: %+v, %v", one, err)
	}
	all, err := c.ListClientCredentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(all, func(x client.ClientCredential) bool { return x.ClientID == cc.ClientID })
	if i < 0 || all[i].Secrets != nil {
		t.Errorf("ListClientCredentials: %+v", all)
	}
	if _, err := c.GetClientCredential(ctx, "nope"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("unknown client: %v", err)
	}
}

// Against the shared server with every fault kind injected at random, an upload still stores each
// record exactly once, in order.
func TestUploadUnderRandomFaults(t *testing.T) {
	srv := newServer(t, data8test.WithFaultRate(0.3, 42, data8test.FaultKinds()...), data8test.WithRetryAfter(0))
	c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep, MaxAttempts: 10}))
	ctx := testContext(t)
	ds, res, err := c.UploadDataset(ctx, "faulty", map[string]int{"id": 0, "name": 0, "n": 1}, client.Records(testRecords(10001)), client.UploadOptions{BlockSize: 250, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if ds.RecordCount != 10001 || res.Blocks != 41 {
		t.Errorf("dataset %+v, result %+v", ds, *res)
	}
	recs, _ := srv.Records("faulty")
	if len(recs) != 10001 {
		t.Fatalf("%d records stored", len(recs))
	}
	for i, r := range recs {
		want := map[string]any{"id": itoa(i), "name": "name " + itoa(i), "n": float64(i)}
		if !reflect.DeepEqual(r, want) {
			t.Fatalf("record %d = %v", i, r)
		}
	}
	counts := srv.FaultCounts()
	for _, k := range data8test.FaultKinds() {
		if counts[k] == 0 {
			t.Errorf("no %v fault was injected; the test proves less than it says", k)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
