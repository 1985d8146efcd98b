package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/internal/specval"
)

// auth says what Authorization header a raw request carries.
type auth int

const (
	withToken auth = iota // a token from the token endpoint
	noToken               // no Authorization header
	badToken              // a bearer token the server never issued
)

// invalidToken is the token badToken sends.
const invalidToken = "conformance-invalid-token-0123456789"

// response is the answer to a raw request.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// MediaType returns the answer's media type, without parameters.
func (r *response) MediaType() string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt
}

// String describes the answer briefly: status, media type and shape.
func (r *response) String() string {
	s := fmt.Sprint(r.Status)
	if mt := r.MediaType(); mt != "" {
		s += " " + mt
	}
	return s + " " + specval.Shape(r.Header.Get("Content-Type"), r.Body)
}

// is4xx reports whether the answer is a client error.
func (r *response) is4xx() bool { return r.Status >= 400 && r.Status < 500 }

// is2xx reports whether the answer is a success.
func (r *response) is2xx() bool { return r.Status >= 200 && r.Status < 300 }

// decode decodes the JSON body into v.
func (r *response) decode(v any) error { return json.Unmarshal(r.Body, v) }

// decodeExact decodes the body into v keeping each number's digits (json.Number in an any), as the
// project's client reads records: 9007199254740993 is not 9007199254740992.
func (r *response) decodeExact(v any) error {
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON value in the body")
	}
	return nil
}

// errorMembers returns the members named by a validation problem's errors, or nil.
func (r *response) errorMembers() []string {
	var p struct {
		Errors map[string]json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(r.Body, &p) != nil {
		return nil
	}
	return slices.Sorted(maps.Keys(p.Errors))
}

// accessToken returns the run's token from the token endpoint (client_secret_post): the one it
// fetched last, or a new one when there is none yet, or when the last one is near the end of the
// lifetime its expires_in announced (tokenMargin). A token the endpoint does not give ends the case.
func (c *check) accessToken() string {
	tok, err := c.currentToken()
	if err != nil {
		c.Fatalf("%v", err)
	}
	return tok
}

// tokenMargin returns how long before the end of a token's announced lifetime the run renews it: a
// third of the lifetime, at most a minute (a token of 3 s is renewed after 2 s, one of an hour after
// 59 minutes). Requests sent just before that still reach the server in time.
func tokenMargin(life time.Duration) time.Duration { return min(life/3, time.Minute) }

// currentToken is accessToken that returns an error instead of ending the case, so that it may run
// in a goroutine of its own. One fetch is in flight at a time: requests that find the token gone
// (expired, or dropped after a 401) wait for it and share the new one.
func (c *check) currentToken() (string, error) {
	fresh := func() (string, bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.token, c.token != "" && (c.tokenRenew.IsZero() || time.Now().Before(c.tokenRenew))
	}
	if tok, ok := fresh(); ok {
		return tok, nil
	}
	c.tokenFetch.Lock()
	defer c.tokenFetch.Unlock()
	if tok, ok := fresh(); ok {
		return tok, nil
	}
	asked := time.Now()
	tr, err := c.tokenRequest(false)
	if err != nil {
		return "", fmt.Errorf("token endpoint: %w", err)
	}
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   any    `json:"expires_in"`
	}
	if tr.Status != http.StatusOK || tr.decode(&body) != nil || body.AccessToken == "" {
		return "", fmt.Errorf("token endpoint answered %s; want 200 with an access_token", tr)
	}
	var renew time.Time
	if secs, ok := expiresIn(body.ExpiresIn); ok && secs > 0 {
		life := time.Duration(secs * float64(time.Second))
		renew = asked.Add(life - tokenMargin(life))
	}
	c.mu.Lock()
	c.token, c.tokenRenew = body.AccessToken, renew
	if c.runTokens == nil {
		c.runTokens = map[string]bool{}
	}
	c.runTokens[body.AccessToken] = true
	c.mu.Unlock()
	return body.AccessToken, nil
}

// expiresIn reads a token answer's expires_in: a JSON number, or a string holding one.
func expiresIn(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// dropToken forgets the run's token tok after the API refused it with 401 (it expired, or the server
// forgot it): the next request fetches a new one. A token already replaced is left alone, so that
// requests refused the same token at once renew it once.
func (c *check) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// runToken reports whether the Authorization header h is exactly "Bearer " and a token the token
// endpoint issued to the run (not one a case made up, nor the run's token in another form).
func (c *check) runToken(h string) (string, bool) {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return tok, c.runTokens[tok]
}

// tokenRequest asks the token endpoint for a token with the client credentials grant and scope
// BatchApi, the client authenticated in the form body (client_secret_post) or with HTTP Basic.
func (c *check) tokenRequest(basic bool) (*response, error) {
	return c.tokenRequestAs(c.cfg.ClientID, c.cfg.ClientSecret, basic, "BatchApi")
}

// tokenRequestAs asks the token endpoint for a token of scope with the client credentials grant,
// client id and secret given in the form body (client_secret_post) or with HTTP Basic.
func (c *check) tokenRequestAs(id, secret string, basic bool, scope string) (*response, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}
	if !basic {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
		return c.tokenPost(form, nil)
	}
	return c.tokenPost(form, func(req *http.Request) { req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret)) })
}

// tokenPost posts form to the token endpoint as it is; auth, when not nil, authenticates the
// request (HTTP Basic).
func (c *check) tokenPost(form url.Values, auth func(*http.Request)) (*response, error) {
	req, err := http.NewRequestWithContext(c.ctx, http.MethodPost, c.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if auth != nil {
		auth(req)
	}
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// raw sends one request the client would not send (or that a case must see exactly) and returns
// the answer; a transport error ends the case. path is below the base URL and already escaped;
// body is nil (no body), []byte or string (sent as is) or a value (sent as JSON).
func (c *check) raw(method, path string, query url.Values, body any, a auth) *response {
	return c.rawIn(c.ctx, method, path, query, body, a)
}

// offSpecKey marks the context of a request that is no request of the spec (another method, a
// path the API does not have): the checking transport leaves it unchecked and unrecorded, and the
// case judges the answer itself.
type offSpecKey struct{}

// offSpec reports whether r was sent by offSpecRaw.
func offSpec(r *http.Request) bool { return r.Context().Value(offSpecKey{}) != nil }

// offSpecRaw is raw for a request that is no request of the spec: a path the API does not have, or
// a method it does not answer there. The checking transport neither checks nor records it.
func (c *check) offSpecRaw(method, path string, query url.Values, body any, a auth) *response {
	return c.rawIn(context.WithValue(c.ctx, offSpecKey{}, true), method, path, query, body, a)
}

// headersKey marks the context of a raw request that carries headers of its own (the value, an
// http.Header), set over the ones send sets (a Content-Type other than application/json, say).
type headersKey struct{}

// rawAs is raw for a request whose body goes with Content-Type ct.
func (c *check) rawAs(ct, method, path string, body any, a auth) *response {
	return c.rawIn(context.WithValue(c.ctx, headersKey{}, http.Header{"Content-Type": {ct}}), method, path, nil, body, a)
}

// offSpecWith is offSpecRaw for a request that carries the headers h besides its own.
func (c *check) offSpecWith(h http.Header, method, path string, a auth) *response {
	ctx := context.WithValue(context.WithValue(c.ctx, offSpecKey{}, true), headersKey{}, h)
	return c.rawIn(ctx, method, path, nil, nil, a)
}

// rawIn is raw with the request's context given.
func (c *check) rawIn(ctx context.Context, method, path string, query url.Values, body any, a auth) *response {
	var payload []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		payload = b
	case string:
		payload = []byte(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			c.Fatalf("encoding a request body: %v", err)
		}
		payload = js
	}
	var tok string
	if a == withToken {
		tok = c.accessToken()
	}
	r := c.send(ctx, method, path, query, body != nil, payload, a, tok)
	if r.Status == http.StatusUnauthorized && a == withToken {
		// The token may have expired (its lifetime is the server's; requests sent at once may
		// outlive it): fetch a new one and send the request again, once.
		c.dropToken(tok)
		if again := c.accessToken(); again != tok {
			r = c.send(ctx, method, path, query, body != nil, payload, a, again)
		}
	}
	return r
}

// send makes one attempt of a raw request; tok is the run's token, for withToken.
func (c *check) send(ctx context.Context, method, path string, query url.Values, hasBody bool, payload []byte, a auth, tok string) *response {
	u := c.cfg.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if hasBody {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		c.Fatalf("building %s %s: %v", method, path, err)
	}
	if hasBody {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", "data8-conformance/1")
	switch a {
	case withToken:
		req.Header.Set("Authorization", "Bearer "+tok)
	case badToken:
		req.Header.Set("Authorization", "Bearer "+invalidToken)
	}
	if h, ok := ctx.Value(headersKey{}).(http.Header); ok {
		for k, v := range h {
			req.Header[http.CanonicalHeaderKey(k)] = v
		}
	}
	resp, err := c.do(req)
	if err != nil {
		c.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// want4xx records a failure unless r is a client error; what names the request. It returns
// whether r was one.
func (c *check) want4xx(what string, r *response) bool {
	if !r.is4xx() {
		c.Errorf("%s: answered %s; want a 4xx", what, r)
		return false
	}
	return true
}

// datasetPath is the escaped path of a dataset.
func datasetPath(name string) string { return "/Dataset/" + url.PathEscape(name) }

// jobPath is the escaped path of a job.
func jobPath(name string) string { return "/Job/" + url.PathEscape(name) }
