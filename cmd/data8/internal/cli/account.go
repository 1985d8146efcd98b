package cli

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// apiKeyView is an API key as --output json prints it (the API's member names).
type apiKeyView struct {
	Key                    string     `json:"key"`
	Description            string     `json:"description,omitempty"`
	Username               string     `json:"username,omitempty"`
	ExpiresOn              *time.Time `json:"expiresOn,omitempty"`
	MaxRequestsPerIPPerDay *int       `json:"maxRequestsPerIPPerDay,omitempty"`
	AllowedDomains         []string   `json:"allowedDomains"`
	AllowedIPs             []string   `json:"allowedIPs"`
	AllowedServices        []string   `json:"allowedServices"`
}

func viewAPIKey(k *client.APIKey) apiKeyView {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return apiKeyView{Key: k.Key, Description: k.Description, Username: k.Username, ExpiresOn: setTime(k.ExpiresOn),
		MaxRequestsPerIPPerDay: k.MaxRequestsPerIPPerDay, AllowedDomains: nonNil(k.AllowedDomains),
		AllowedIPs: nonNil(k.AllowedIPs), AllowedServices: nonNil(k.AllowedServices)}
}

func fmtLimit(n *int) string {
	if n == nil {
		return "-"
	}
	return strconv.Itoa(*n)
}

func fmtList(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ", ")
}

func (a *app) printAPIKey(k *client.APIKey, asJSON bool) error {
	return a.printDetails(asJSON, viewAPIKey(k), func(t *table) {
		t.row("key", k.Key)
		t.row("description", k.Description)
		t.row("username", k.Username)
		t.row("expires", fmtTime(setTime(k.ExpiresOn)))
		t.row("max requests per IP per day", fmtLimit(k.MaxRequestsPerIPPerDay))
		t.row("allowed domains", fmtList(k.AllowedDomains))
		t.row("allowed IPs", fmtList(k.AllowedIPs))
		t.row("allowed services", fmtList(k.AllowedServices))
	})
}

// withClient builds the client, calls fn with it and closes it.
func (a *app) withClient(fn func(c *client.Client) error) error {
	c, err := a.newClient()
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

// fetchAndPrint is the shape of the commands that make one request and print its answer: it builds the
// client, calls fetch and prints the result with print (as JSON when asJSON).
func fetchAndPrint[T any](a *app, asJSON bool, fetch func(*client.Client) (T, error), print func(T, bool) error) error {
	return a.withClient(func(c *client.Client) error {
		v, err := fetch(c)
		if err != nil {
			return err
		}
		return print(v, asJSON)
	})
}

func (a *app) cmdAPIKeyList(args []string) error {
	fs := a.newFlagSet(a.cmd)
	_, asJSON, err := a.parseOutput(fs, cmdSpec{max: 0, description: "Lists the account's API keys for Data8's validation web services."}, args)
	if err != nil {
		return err
	}
	return a.withClient(func(c *client.Client) error {
		keys, err := c.ListAPIKeys(a.ctx)
		if err != nil {
			return err
		}
		if asJSON {
			views := make([]apiKeyView, len(keys))
			for i := range keys {
				views[i] = viewAPIKey(&keys[i])
			}
			return writeJSON(a.stdout, views)
		}
		t := newTable(a.stdout, "KEY", "DESCRIPTION", "USERNAME", "EXPIRES", "MAX/IP/DAY", "DOMAINS", "IPS")
		for _, k := range keys {
			t.row(k.Key, k.Description, k.Username, fmtTime(setTime(k.ExpiresOn)), fmtLimit(k.MaxRequestsPerIPPerDay), fmtList(k.AllowedDomains), fmtList(k.AllowedIPs))
		}
		return t.flush()
	})
}

// parseExpiry reads --expires: RFC 3339 or a date.
func parseExpiry(s string) (*time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, nil
		}
	}
	return nil, usageErrorf("bad --expires %q: want an RFC 3339 time (2030-01-01T00:00:00Z) or a date (2030-01-01)", s)
}

func (a *app) cmdAPIKeyCreate(args []string) error {
	fs := a.newFlagSet(a.cmd)
	desc := fs.String("description", "", "what the key is for (`TEXT`); required")
	key := fs.String("key", "", "the `KEY` to create (default: generated, ABCD-1234-EFGH-5678 form)")
	user := fs.String("username", "", "the `USER` the key's usage is attributed to")
	expires := fs.String("expires", "", "`WHEN` the key stops working (RFC 3339 or YYYY-MM-DD)")
	maxPerDay := fs.Int("max-per-day", -1, "the most requests (`N`) one IP address may make with the key in a day")
	clientKey := fs.Bool("client-key", false, "a key used from web pages rather than servers")
	_, asJSON, err := a.parseOutput(fs, cmdSpec{max: 0, description: "Creates an API key for Data8's validation web services."}, args)
	if err != nil {
		return err
	}
	if *desc == "" {
		return usageErrorf("--description is required")
	}
	nk := client.NewAPIKey{Key: *key, Description: *desc, Username: *user, IsClientKey: *clientKey}
	if *expires != "" {
		exp, err := parseExpiry(*expires)
		if err != nil {
			return err
		}
		nk.ExpiresOn = *exp
	}
	if isSet(fs, "max-per-day") {
		if *maxPerDay < 0 {
			return usageErrorf("bad --max-per-day %d: must be 0 or more", *maxPerDay)
		}
		nk.MaxRequestsPerIPPerDay = maxPerDay
	}
	return a.withClient(func(c *client.Client) error {
		k, err := c.CreateAPIKey(a.ctx, nk)
		if err != nil {
			return err
		}
		return a.printAPIKey(k, asJSON)
	})
}

func (a *app) cmdAPIKeyGet(args []string) error {
	fs := a.newFlagSet(a.cmd)
	pos, asJSON, err := a.parseOutput(fs, cmdSpec{args: "KEY", min: 1, max: 1, description: "Shows an API key and its restrictions."}, args)
	if err != nil {
		return err
	}
	return a.withClient(func(c *client.Client) error {
		k, err := c.GetAPIKey(a.ctx, pos[0])
		if err != nil {
			return err
		}
		return a.printAPIKey(k, asJSON)
	})
}

func (a *app) cmdAPIKeyUpdate(args []string) error {
	fs := a.newFlagSet(a.cmd)
	desc := fs.String("description", "", "new `TEXT` of the description")
	user := fs.String("username", "", "new `USER`")
	expires := fs.String("expires", "", "new expiry `WHEN` (RFC 3339 or YYYY-MM-DD)")
	maxPerDay := fs.Int("max-per-day", -1, "new daily limit `N` per IP address")
	pos, asJSON, err := a.parseOutput(fs, cmdSpec{args: "KEY", min: 1, max: 1, description: "Updates an API key's description, username, expiry or daily limit; only the flags given are sent."}, args)
	if err != nil {
		return err
	}
	var u client.APIKeyUpdate
	if isSet(fs, "description") {
		u.Description = desc
	}
	if isSet(fs, "username") {
		u.Username = user
	}
	if isSet(fs, "expires") {
		if u.ExpiresOn, err = parseExpiry(*expires); err != nil {
			return err
		}
	}
	if isSet(fs, "max-per-day") {
		if *maxPerDay < 0 {
			return usageErrorf("bad --max-per-day %d: must be 0 or more", *maxPerDay)
		}
		u.MaxRequestsPerIPPerDay = maxPerDay
	}
	if u == (client.APIKeyUpdate{}) {
		return usageErrorf("nothing to update: give --description, --username, --expires or --max-per-day")
	}
	return a.withClient(func(c *client.Client) error {
		k, err := c.UpdateAPIKey(a.ctx, pos[0], u)
		if err != nil {
			return err
		}
		return a.printAPIKey(k, asJSON)
	})
}

func (a *app) cmdAPIKeyDelete(args []string) error {
	fs := a.newFlagSet(a.cmd)
	pos, err := a.parse(fs, cmdSpec{args: "KEY", min: 1, max: 1, description: "Deletes an API key."}, args)
	if err != nil {
		return err
	}
	return a.withClient(func(c *client.Client) error {
		if err := c.DeleteAPIKey(a.ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "deleted API key %s\n", pos[0])
		return nil
	})
}

func (a *app) cmdAPIKeyAllowDomain(args []string) error {
	fs := a.newFlagSet(a.cmd)
	pos, err := a.parse(fs, cmdSpec{args: "KEY DOMAIN", min: 2, max: 2, description: `
Allows a domain to use an API key. A key with at least one allowed domain becomes a client-side key and
stops working from servers.`}, args)
	if err != nil {
		return err
	}
	if strings.TrimSpace(pos[1]) == "" || strings.ContainsAny(pos[1], "/ ") {
		return usageErrorf("bad domain %q: want a host name such as www.example.com", pos[1])
	}
	return a.withClient(func(c *client.Client) error {
		if err := c.AddAPIKeyAllowedDomain(a.ctx, pos[0], pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "allowed domain %s for API key %s\n", pos[1], pos[0])
		return nil
	})
}

func (a *app) cmdAPIKeyAllowIP(args []string) error {
	fs := a.newFlagSet(a.cmd)
	pos, err := a.parse(fs, cmdSpec{args: "KEY SUBNET", min: 2, max: 2, description: `
Allows a subnet to use an API key: CIDR form (123.45.6.0/24, 2001:db8::/32) or one address (123.45.6.7).`}, args)
	if err != nil {
		return err
	}
	subnet, err := netip.ParsePrefix(pos[1])
	if err != nil {
		addr, aerr := netip.ParseAddr(pos[1])
		if aerr != nil {
			return usageErrorf("bad subnet %q: want CIDR such as 123.45.6.0/24, or one address", pos[1])
		}
		subnet = netip.PrefixFrom(addr, addr.BitLen())
	}
	if subnet != subnet.Masked() {
		return usageErrorf("bad subnet %q: host bits are set; did you mean %s?", pos[1], subnet.Masked())
	}
	return a.withClient(func(c *client.Client) error {
		if err := c.AddAPIKeyAllowedIP(a.ctx, pos[0], subnet); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "allowed subnet %s for API key %s\n", subnet, pos[0])
		return nil
	})
}

// clientCredentialView is a client credential as --output json prints it.
type clientCredentialView struct {
	ClientID    string `json:"clientId"`
	Description string `json:"description,omitempty"`
	Secrets     []any  `json:"secrets"`
}

func (a *app) printClientCredentials(ccs []client.ClientCredential, asJSON, showSecrets, single bool) error {
	if asJSON {
		views := make([]clientCredentialView, len(ccs))
		for i, cc := range ccs {
			views[i] = clientCredentialView{ClientID: cc.ClientID, Description: cc.Description}
			if showSecrets {
				views[i].Secrets = cc.Secrets
			}
		}
		if single {
			return writeJSON(a.stdout, views[0])
		}
		return writeJSON(a.stdout, views)
	}
	t := newTable(a.stdout, "CLIENT ID", "DESCRIPTION", "SECRETS")
	for _, cc := range ccs {
		secrets := "-"
		switch {
		case len(cc.Secrets) > 0 && showSecrets:
			parts := make([]string, len(cc.Secrets))
			for i, s := range cc.Secrets {
				parts[i] = cellText(s)
			}
			secrets = strings.Join(parts, ", ")
		case len(cc.Secrets) > 0:
			secrets = fmt.Sprintf("%d hidden (--show-secrets prints them)", len(cc.Secrets))
		}
		t.row(cc.ClientID, cc.Description, secrets)
	}
	return t.flush()
}

func (a *app) cmdClientCredentialList(args []string) error {
	fs := a.newFlagSet(a.cmd)
	_, asJSON, err := a.parseOutput(fs, cmdSpec{max: 0, description: "Lists the account's OAuth clients of this API (secrets are never listed)."}, args)
	if err != nil {
		return err
	}
	return a.withClient(func(c *client.Client) error {
		ccs, err := c.ListClientCredentials(a.ctx)
		if err != nil {
			return err
		}
		return a.printClientCredentials(ccs, asJSON, false, false)
	})
}

func (a *app) cmdClientCredentialCreate(args []string) error {
	fs := a.newFlagSet(a.cmd)
	desc := fs.String("description", "", "what the client is for (`TEXT`); required")
	show := fs.Bool("show-secrets", false, "print the new client's secrets if the answer carries them")
	_, asJSON, err := a.parseOutput(fs, cmdSpec{max: 0, description: "Creates an OAuth client of this API; Data8 generates its id."}, args)
	if err != nil {
		return err
	}
	if *desc == "" {
		return usageErrorf("--description is required")
	}
	return a.withClient(func(c *client.Client) error {
		cc, err := c.CreateClientCredential(a.ctx, *desc)
		if err != nil {
			return err
		}
		return a.printClientCredentials([]client.ClientCredential{*cc}, asJSON, *show, true)
	})
}

func (a *app) cmdClientCredentialGet(args []string) error {
	fs := a.newFlagSet(a.cmd)
	show := fs.Bool("show-secrets", false, "print the client's secrets if the answer carries them")
	pos, asJSON, err := a.parseOutput(fs, cmdSpec{args: "CLIENT_ID", min: 1, max: 1, description: "Shows one OAuth client of this API."}, args)
	if err != nil {
		return err
	}
	return a.withClient(func(c *client.Client) error {
		cc, err := c.GetClientCredential(a.ctx, pos[0])
		if err != nil {
			return err
		}
		return a.printClientCredentials([]client.ClientCredential{*cc}, asJSON, *show, true)
	})
}
