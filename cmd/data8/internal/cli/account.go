package cli

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

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

func (a *app) apiKeyList() *cobra.Command {
	c := &cobra.Command{Use: "list", Short: "list API keys", Args: noArgs, Long: "Lists the account's API keys for Data8's validation web services."}
	outputJSON := outputFormat(c)
	c.RunE = func(_ *cobra.Command, _ []string) error {
		asJSON, err := outputJSON()
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
	return c
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

func (a *app) apiKeyCreate() *cobra.Command {
	c := &cobra.Command{Use: "create", Short: "create an API key", Args: noArgs, Long: "Creates an API key for Data8's validation web services."}
	fs := c.Flags()
	desc := fs.String("description", "", "what the key is for (`TEXT`); required")
	key := fs.String("key", "", "the `KEY` to create (default: generated, ABCD-1234-EFGH-5678 form)")
	user := fs.String("username", "", "the `USER` the key's usage is attributed to")
	expires := fs.String("expires", "", "`WHEN` the key stops working (RFC 3339 or YYYY-MM-DD)")
	maxPerDay := fs.Int("max-per-day", -1, "the most requests (`N`) one IP address may make with the key in a day")
	clientKey := fs.Bool("client-key", false, "a key used from web pages rather than servers")
	outputJSON := outputFormat(c)
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		asJSON, err := outputJSON()
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
		if cmd.Flags().Changed("max-per-day") {
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
	return c
}

func (a *app) apiKeyGet() *cobra.Command {
	return getCommand(a, "get KEY", "KEY", "show an API key", "Shows an API key and its restrictions.",
		(*client.Client).GetAPIKey, a.printAPIKey)
}

func (a *app) apiKeyUpdate() *cobra.Command {
	c := &cobra.Command{Use: "update KEY", Short: "update an API key", Args: exactly(1, "KEY"), Long: "Updates an API key's description, username, expiry or daily limit; only the flags given are sent."}
	fs := c.Flags()
	desc := fs.String("description", "", "new `TEXT` of the description")
	user := fs.String("username", "", "new `USER`")
	expires := fs.String("expires", "", "new expiry `WHEN` (RFC 3339 or YYYY-MM-DD)")
	maxPerDay := fs.Int("max-per-day", -1, "new daily limit `N` per IP address")
	outputJSON := outputFormat(c)
	c.RunE = func(_ *cobra.Command, pos []string) error {
		asJSON, err := outputJSON()
		if err != nil {
			return err
		}
		var u client.APIKeyUpdate
		if fs.Changed("description") {
			u.Description = desc
		}
		if fs.Changed("username") {
			u.Username = user
		}
		if fs.Changed("expires") {
			if u.ExpiresOn, err = parseExpiry(*expires); err != nil {
				return err
			}
		}
		if fs.Changed("max-per-day") {
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
	return c
}

func (a *app) apiKeyDelete() *cobra.Command {
	c := &cobra.Command{Use: "delete KEY", Short: "delete an API key", Args: exactly(1, "KEY"), Long: "Deletes an API key."}
	c.RunE = func(_ *cobra.Command, pos []string) error {
		return a.withClient(func(c *client.Client) error {
			if err := c.DeleteAPIKey(a.ctx, pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "deleted API key %s\n", pos[0])
			return nil
		})
	}
	return c
}

func (a *app) apiKeyAllowDomain() *cobra.Command {
	c := &cobra.Command{Use: "allow-domain KEY DOMAIN", Short: "allow a domain to use an API key", Args: exactly(2, "KEY DOMAIN"), Long: `Allows a domain to use an API key. A key with at least one allowed domain becomes a client-side key and
stops working from servers.`}
	c.RunE = func(_ *cobra.Command, pos []string) error {
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
	return c
}

func (a *app) apiKeyAllowIP() *cobra.Command {
	c := &cobra.Command{Use: "allow-ip KEY SUBNET", Short: "allow a subnet to use an API key", Args: exactly(2, "KEY SUBNET"),
		Long: "Allows a subnet to use an API key: CIDR form (123.45.6.0/24, 2001:db8::/32) or one address (123.45.6.7)."}
	c.RunE = func(_ *cobra.Command, pos []string) error {
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
	return c
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

func (a *app) clientCredentialList() *cobra.Command {
	c := &cobra.Command{Use: "list", Short: "list client credentials", Args: noArgs, Long: "Lists the account's OAuth clients of this API (secrets are never listed)."}
	outputJSON := outputFormat(c)
	c.RunE = func(_ *cobra.Command, _ []string) error {
		asJSON, err := outputJSON()
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
	return c
}

func (a *app) clientCredentialCreate() *cobra.Command {
	c := &cobra.Command{Use: "create", Short: "create a client credential", Args: noArgs, Long: "Creates an OAuth client of this API; Data8 generates its id."}
	desc := c.Flags().String("description", "", "what the client is for (`TEXT`); required")
	show := c.Flags().Bool("show-secrets", false, "print the new client's secrets if the answer carries them")
	outputJSON := outputFormat(c)
	c.RunE = func(_ *cobra.Command, _ []string) error {
		asJSON, err := outputJSON()
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
	return c
}

func (a *app) clientCredentialGet() *cobra.Command {
	c := &cobra.Command{Use: "get CLIENT_ID", Short: "show a client credential", Args: exactly(1, "CLIENT_ID"), Long: "Shows one OAuth client of this API."}
	show := c.Flags().Bool("show-secrets", false, "print the client's secrets if the answer carries them")
	outputJSON := outputFormat(c)
	c.RunE = func(_ *cobra.Command, pos []string) error {
		asJSON, err := outputJSON()
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
	return c
}
