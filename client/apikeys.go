package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/data8-toolkit/data8/data8time"
	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/opid"
)

type (
	// APIKey is a key for Data8's validation web services, with its restrictions: Key (for example
	// ABCD-1234-EFGH-5678), Description, Username, ExpiresOn (nil or not set for never),
	// MaxRequestsPerIPPerDay (nil for no limit), AllowedDomains (any makes it a client-side key),
	// AllowedIPs and AllowedServices. (These keys are managed through this API; they are not
	// credentials for it.)
	APIKey = gen.ApiKey

	// NewAPIKey is an API key to create: Description (required), and optionally Key (generated in the
	// ABCD-1234-EFGH-5678 form when empty), Username, ExpiresOn, MaxRequestsPerIPPerDay and
	// IsClientKey (a key used from web pages rather than servers).
	NewAPIKey = gen.NewApiKey

	// APIKeyUpdate holds new details for an API key: Description, Username, ExpiresOn and
	// MaxRequestsPerIPPerDay. nil fields are left out of the request.
	APIKeyUpdate = gen.ApiKeyUpdate
)

// ListAPIKeys returns every API key of the account. A 2xx without a body is an empty list.
func (c *Client) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	return getList[APIKey](ctx, c, opid.ApiKeyGetList, func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
		return c.api.ApiKeyGetList(ctx, edit)
	})
}

// GetAPIKey returns one API key.
func (c *Client) GetAPIKey(ctx context.Context, key string) (*APIKey, error) {
	return get[APIKey](ctx, c, opid.ApiKeyGetByKey, func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
		return c.api.ApiKeyGetByKey(ctx, key, edit)
	})
}

// CreateAPIKey creates an API key. The request is repeated only after a refusal for load, a 429 or a
// 503 (with a Retry-After or without), which says it was not handled: after a failure that may have
// created the key, the error is returned and the caller decides (list the keys to see).
//
// When the server answers success without a body (a 204, say), the key is read back when k.Key named
// it; when the server generated it, the key returned holds only what was sent, with an empty Key:
// list the keys to find it.
func (c *Client) CreateAPIKey(ctx context.Context, k NewAPIKey) (*APIKey, error) {
	if k.Description == "" {
		return nil, invalid("an API key needs a description")
	}
	payload, err := json.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("data8: encoding API key: %w", err)
	}
	return callOne(ctx, c, call{
		op:     opid.ApiKeyCreateApiKey,
		repeat: repeatNever,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.ApiKeyCreateApiKeyWithBody(ctx, headerContentType, bytes.NewReader(payload), edit)
		},
	}, func(ctx context.Context) (*APIKey, error) {
		if k.Key != "" {
			return c.GetAPIKey(ctx, k.Key)
		}
		sent := &APIKey{Description: k.Description, Username: k.Username, MaxRequestsPerIPPerDay: k.MaxRequestsPerIPPerDay}
		if !k.ExpiresOn.IsZero() {
			sent.ExpiresOn = &data8time.Time{Time: k.ExpiresOn}
		}
		return sent, nil
	})
}

// UpdateAPIKey changes an API key's description, username, expiry or daily limit and returns the key
// as the server then holds it.
func (c *Client) UpdateAPIKey(ctx context.Context, key string, u APIKeyUpdate) (*APIKey, error) {
	payload, err := json.Marshal(u)
	if err != nil {
		return nil, fmt.Errorf("data8: encoding API key update: %w", err)
	}
	return callOne(ctx, c, call{
		op:       opid.ApiKeyUpdateByKey,
		retry500: true,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.ApiKeyUpdateByKeyWithBody(ctx, key, headerContentType, bytes.NewReader(payload), edit)
		},
	}, func(ctx context.Context) (*APIKey, error) { return c.GetAPIKey(ctx, key) })
}

// DeleteAPIKey deletes an API key. A 404 on a retry after a lost answer counts as success.
func (c *Client) DeleteAPIKey(ctx context.Context, key string) error {
	_, err := c.do(ctx, call{
		op: opid.ApiKeyDeleteByKey,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.ApiKeyDeleteByKey(ctx, key, edit)
		},
		resolve: func(ctx context.Context) ([]byte, bool, error) {
			_, err := c.GetAPIKey(ctx, key)
			return nil, errors.Is(err, ErrNotFound), nil
		},
	})
	return err
}

// AddAPIKeyAllowedDomain allows a domain to use the key. A key with at least one domain becomes a
// client-side key and stops working from servers.
func (c *Client) AddAPIKeyAllowedDomain(ctx context.Context, key, domain string) error {
	if domain == "" {
		return invalid("an allowed domain must not be empty")
	}
	_, err := c.idempotent(ctx, opid.ApiKeyAddAllowedDomain, func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
		return c.api.ApiKeyAddAllowedDomain(ctx, key, domain, edit)
	})
	return err
}

// AddAPIKeyAllowedIP allows a subnet, such as netip.MustParsePrefix("123.45.6.0/24"), to use the key.
func (c *Client) AddAPIKeyAllowedIP(ctx context.Context, key string, subnet netip.Prefix) error {
	if !subnet.IsValid() {
		return invalid("allowed subnet %v is not valid", subnet)
	}
	network, prefix := subnet.Addr().String(), strconv.Itoa(subnet.Bits())
	_, err := c.idempotent(ctx, opid.ApiKeyAddAllowedIPPUT, func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
		return c.api.ApiKeyAddAllowedIPPUT(ctx, key, network, prefix, edit)
	})
	return err
}
