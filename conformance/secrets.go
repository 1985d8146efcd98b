package conformance

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/data8-toolkit/data8/internal/redact"
)

// The suite redacts by origin, never by what a server calls a secret: the configured client secret,
// the credentials the suite sends (every Authorization header), the members of the token endpoint's
// success answers that hold a token (access_token, refresh_token, id_token), and the secrets in the
// success answers of the ClientCredential operations, which exist to hand out secrets. Each is looked for in every
// encoding internal/redact knows (literal, form and URL escapes, JSON escapes, base64) wherever the
// suite writes text, and replaced by redact.Placeholder. A string a server puts in a member it names
// "secret" in any other answer is not a secret: a server cannot censor its own evidence by naming
// ordinary words as secrets.

// tokenMember reports whether a member of a token answer holds a token: access_token, refresh_token,
// id_token, token (not token_type, expires_in or scope).
func tokenMember(name string) bool {
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(name))
	return strings.HasSuffix(n, "token")
}

// secretMember reports whether a member of a client credential's answer holds a secret: secret,
// secrets, clientSecret, client_secret, password.
func secretMember(name string) bool {
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(name))
	return strings.Contains(n, "secret") || strings.Contains(n, "password")
}

// addMembers adds to set every string held, at any depth, by a member of the JSON body that is picks.
// A body that is not JSON adds nothing.
func addMembers(set *redact.Set, body []byte, is func(string) bool) {
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return
	}
	var walk func(v any, in bool)
	walk = func(v any, in bool) {
		switch t := v.(type) {
		case map[string]any:
			for k, m := range t {
				walk(m, in || is(k))
			}
		case []any:
			for _, m := range t {
				walk(m, in)
			}
		case string:
			if in {
				set.Add(t)
			}
		}
	}
	walk(v, false)
}

// secretTransport learns the secrets of the exchanges it carries before anyone else sees them: the
// credentials of every request (its Authorization header), the tokens of the token endpoint's
// answers and the secrets of the ClientCredential operations' answers.
type secretTransport struct {
	base    http.RoundTripper
	secrets *redact.Set
	maxBody int64
	// token and credential say whether a request is to the token endpoint, or a ClientCredential
	// operation.
	token, credential func(*http.Request) bool
}

func (t *secretTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if a := req.Header.Get("Authorization"); a != "" {
		t.secrets.Add(a)
		if _, cred, ok := strings.Cut(a, " "); ok {
			t.secrets.Add(strings.TrimSpace(cred))
		}
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	var is func(string) bool
	switch {
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// An error answer hands out no credential.
		return resp, nil
	case t.token(req):
		is = tokenMember
	case t.credential(req):
		is = secretMember
	default:
		return resp, nil
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, t.maxBody))
	rest := resp.Body
	addMembers(t.secrets, body, is)
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
