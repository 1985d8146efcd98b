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
	"time"

	"github.com/data8-toolkit/data8/gen"
)

// APIKey is a key for Data8's validation web services, with its restrictions. (These keys are
// managed through this API; they are not credentials for it.)
type APIKey struct {
	// Key is the key, for example ABCD-1234-EFGH-5678.
	Key string
	// Description says what the key is for.
	Description string
	// Username is the user the key's usage is attributed to.
	Username string
	// ExpiresOn is when the key stops working; nil for never.
	ExpiresOn *time.Time
	// MaxRequestsPerIPPerDay is the most requests one IP address may make with the key in a day;
	// nil for no limit.
	MaxRequestsPerIPPerDay *int
	// AllowedDomains are the domains the key may be used from; any makes it a client-side key.
	AllowedDomains []string
	// AllowedIPs are the subnets the key may be used from.
	AllowedIPs []string
	// AllowedServices are the services the key may be used with.
	AllowedServices []string
}

// NewAPIKey is an API key to create.
type NewAPIKey struct {
	// Key is the key to create; generated (ABCD-1234-EFGH-5678 form) when empty.
	Key string
	// Description says what the key is for; required.
	Description string
	// Username is the user the key's usage is attributed to (optional).
	Username string
	// ExpiresOn is when the key stops working (optional).
	ExpiresOn *time.Time
	// MaxRequestsPerIPPerDay limits each IP address's requests per day (optional).
	MaxRequestsPerIPPerDay *int
	// IsClientKey marks a key used from web pages rather than servers.
	IsClientKey bool
}

// APIKeyUpdate holds new details for an API key. nil fields are left out of the request.
type APIKeyUpdate struct {
	// Description says what the key is for.
	Description *string
	// Username is the user the key's usage is attributed to.
	Username *string
	// ExpiresOn is when the key stops working.
	ExpiresOn *time.Time
	// MaxRequestsPerIPPerDay limits each IP address's requests per day.
	MaxRequestsPerIPPerDay *int
}

// ListAPIKeys returns every API key of the account.
func (c *Client) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	body, err := c.do(ctx, call{
		op:       "ApiKey_GetList",
		retry500: true,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.ApiKeyGetList(ctx, edit)
		},
	})
	if err != nil {
		return nil, err
	}
	var ws []wireAPIKey
	if err := decode("ApiKey_GetList", body, &ws); err != nil {
		return nil, err
	}
	keys := make([]APIKey, len(ws))
	for i, w := range ws {
		keys[i] = w.key()
	}
	return keys, nil
}

// GetAPIKey returns one API key.
func (c *Client) GetAPIKey(ctx context.Context, key string) (*APIKey, error) {
	body, err := c.do(ctx, call{
		op:       "ApiKey_GetByKey",
		retry500: true,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.ApiKeyGetByKey(ctx, key, edit)
		},
	})
	if err != nil {
		return nil, err
	}
	return decodeAPIKey("ApiKey_GetByKey", body)
}

// CreateAPIKey creates an API key. The request is repeated only after a 429: after a failure that
// may have created the key, the error is returned and the caller decides (list the keys to see).
func (c *Client) CreateAPIKey(ctx context.Context, k NewAPIKey) (*APIKey, error) {
	if k.Description == "" {
		return nil, invalid("an API key needs a description")
	}
	nk := gen.NewApiKey{Description: k.Description, ExpiresOn: k.ExpiresOn}
	if k.Key != "" {
		nk.Key = &k.Key
	}
	if k.Username != "" {
		nk.Username = &k.Username
	}
	if k.MaxRequestsPerIPPerDay != nil {
		nk.MaxRequestsPerIPPerDay = new(int32(*k.MaxRequestsPerIPPerDay))
	}
	if k.IsClientKey {
		nk.IsClientKey = new(true)
	}
	payload, err := json.Marshal(nk)
	if err != nil {
		return nil, fmt.Errorf("data8: encoding API key: %w", err)
	}
	body, err := c.do(ctx, call{
		op:     "ApiKey_CreateApiKey",
		repeat: repeatNever,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.ApiKeyCreateApiKeyWithBody(ctx, headerContentType, bytes.NewReader(payload), edit)
		},
	})
	if err != nil {
		return nil, err
	}
	return decodeAPIKey("ApiKey_CreateApiKey", body)
}

// UpdateAPIKey changes an API key's description, username, expiry or daily limit and returns the key
// as the server then holds it.
func (c *Client) UpdateAPIKey(ctx context.Context, key string, u APIKeyUpdate) (*APIKey, error) {
	gu := gen.ApiKeyUpdate{Description: u.Description, Username: u.Username, ExpiresOn: u.ExpiresOn}
	if u.MaxRequestsPerIPPerDay != nil {
		gu.MaxRequestsPerIPPerDay = new(int32(*u.MaxRequestsPerIPPerDay))
	}
	payload, err := json.Marshal(gu)
	if err != nil {
		return nil, fmt.Errorf("data8: encoding API key update: %w", err)
	}
	body, err := c.do(ctx, call{
		op:       "ApiKey_UpdateByKey",
		retry500: true,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.ApiKeyUpdateByKeyWithBody(ctx, key, headerContentType, bytes.NewReader(payload), edit)
		},
	})
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return c.GetAPIKey(ctx, key)
	}
	return decodeAPIKey("ApiKey_UpdateByKey", body)
}

// DeleteAPIKey deletes an API key. A 404 on a retry after a lost answer counts as success.
func (c *Client) DeleteAPIKey(ctx context.Context, key string) error {
	_, err := c.do(ctx, call{
		op: "ApiKey_DeleteByKey",
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
	_, err := c.do(ctx, call{
		op:       "ApiKey_AddAllowedDomain",
		retry500: true,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.ApiKeyAddAllowedDomain(ctx, key, domain, edit)
		},
	})
	return err
}

// AddAPIKeyAllowedIP allows a subnet, such as netip.MustParsePrefix("123.45.6.0/24"), to use the key.
func (c *Client) AddAPIKeyAllowedIP(ctx context.Context, key string, subnet netip.Prefix) error {
	if !subnet.IsValid() {
		return invalid("allowed subnet %v is not valid", subnet)
	}
	network, prefix := subnet.Addr().String(), strconv.Itoa(subnet.Bits())
	_, err := c.do(ctx, call{
		op:       "ApiKey_AddAllowedIPPUT",
		retry500: true,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.ApiKeyAddAllowedIPPUT(ctx, key, network, prefix, edit)
		},
	})
	return err
}

type wireAPIKey struct {
	Key                    string   `json:"key"`
	Description            string   `json:"description"`
	Username               string   `json:"username"`
	ExpiresOn              wireTime `json:"expiresOn"`
	MaxRequestsPerIPPerDay *int     `json:"maxRequestsPerIPPerDay"`
	AllowedDomains         []string `json:"allowedDomains"`
	AllowedIPs             []string `json:"allowedIPs"`
	AllowedServices        []string `json:"allowedServices"`
}

func (w wireAPIKey) key() APIKey {
	return APIKey{
		Key: w.Key, Description: w.Description, Username: w.Username, ExpiresOn: w.ExpiresOn.ptr(),
		MaxRequestsPerIPPerDay: w.MaxRequestsPerIPPerDay, AllowedDomains: w.AllowedDomains,
		AllowedIPs: w.AllowedIPs, AllowedServices: w.AllowedServices,
	}
}

func decodeAPIKey(op string, body []byte) (*APIKey, error) {
	var w wireAPIKey
	if err := decode(op, body, &w); err != nil {
		return nil, err
	}
	k := w.key()
	return &k, nil
}
