package conformance

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// secrets are the strings that must never reach the report or the log: the configured client
// secret, every token, and every string a server puts in a member it calls a secret. Each is
// replaced by "[redacted]" wherever the suite writes text.
type secrets struct {
	mu   sync.Mutex
	list []string // longest first, so a secret containing another is replaced whole
}

// redacted replaces a secret.
const redacted = "[redacted]"

// minSecret is the length below which a string is not treated as a secret: replacing every "a"
// would only garble the report.
const minSecret = 3

// add remembers s (and its URL-encoded form, as it appears in a form body or query).
func (x *secrets) add(s string) {
	if len(s) < minSecret {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, v := range []string{s, url.QueryEscape(s)} {
		if !slices.Contains(x.list, v) {
			x.list = append(x.list, v)
		}
	}
	slices.SortFunc(x.list, func(a, b string) int { return len(b) - len(a) })
}

// redact returns s with every secret replaced.
func (x *secrets) redact(s string) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, v := range x.list {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, redacted)
		}
	}
	return s
}

// secretMember reports whether a JSON member's name says it holds a secret: secret, secrets,
// clientSecret, client_secret, password, access_token, refresh_token, id_token, token,
// authorization (token_type and other members merely about tokens are not).
func secretMember(name string) bool {
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(name))
	if strings.Contains(n, "secret") || strings.Contains(n, "password") {
		return true
	}
	switch n {
	case "token", "accesstoken", "refreshtoken", "idtoken", "bearertoken", "authorization", "apisecret":
		return true
	}
	return false
}

// scan remembers every string held, at any depth, by a member of the JSON body whose name says it
// holds a secret. A body that is not JSON is left alone.
func (x *secrets) scan(body []byte) {
	if len(body) == 0 || !json.Valid(body) {
		return
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	var walk func(v any, secret bool)
	walk = func(v any, secret bool) {
		switch t := v.(type) {
		case map[string]any:
			for k, m := range t {
				walk(m, secret || secretMember(k))
			}
		case []any:
			for _, m := range t {
				walk(m, secret)
			}
		case string:
			if secret {
				x.add(t)
			}
		case json.Number, float64:
			// Numbers are not secrets.
		}
	}
	walk(v, false)
}

// secretTransport reads every answer (token endpoint included) to learn the secrets it holds
// before anyone else sees it, and the bearer token of every request.
type secretTransport struct {
	base    http.RoundTripper
	secrets *secrets
	maxBody int64
}

func (t *secretTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if a := req.Header.Get("Authorization"); a != "" {
		if _, tok, ok := strings.Cut(a, " "); ok {
			t.secrets.add(strings.TrimSpace(tok))
		}
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, t.maxBody))
	rest := resp.Body
	t.secrets.scan(body)
	// Whatever lies past the limit is left for the reader, who enforces its own.
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), errReader{rerr}, rest), rest}
	return resp, nil
}

// errReader returns err (or EOF, to read on) on every read.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	return 0, io.EOF
}
