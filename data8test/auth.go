package data8test

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/internal/standin"
)

// The scope of the API, the only one the token endpoint grants.
const scopeBatchAPI = "BatchApi"

// maxTokenBody caps the size of a token request.
const maxTokenBody = 64 << 10

// serveToken is the OAuth2 token endpoint: client credentials grant, scope BatchApi, the client
// authenticated by client_id and client_secret in the form body (client_secret_post) or by HTTP Basic
// (client_secret_basic). Errors follow RFC 6749 section 5.2 and never echo the secret.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		return
	}
	defer s.inflight.Done()
	n := s.countRequest(OpToken)
	if s.injectFault(w, r, OpToken, n, func(w http.ResponseWriter) { s.issueToken(w, r) }) {
		return
	}
	s.issueToken(w, r)
}

// oauthError writes an RFC 6749 error response.
func oauthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// issueToken handles a token request after faults.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "The token endpoint takes POST.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenBody)
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" && s.mutated(standin.TokenFormCharsetRefused) {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request body must be application/x-www-form-urlencoded.")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request body is not a form.")
		return
	}
	form := r.PostForm
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 2.3.1: the id and secret are form-encoded before Basic encoding.
		if u, err := url.QueryUnescape(id); err == nil {
			id = u
		}
		if u, err := url.QueryUnescape(secret); err == nil {
			secret = u
		}
		if form.Has("client_secret") {
			oauthError(w, http.StatusBadRequest, "invalid_request", "The client authenticated in two ways.")
			return
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	switch gt := form.Get("grant_type"); {
	case gt == "client_credentials" || s.mutated(standin.GrantTypeUnchecked):
	case gt == "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is missing.")
		return
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Only the client_credentials grant is supported.")
		return
	}
	if !basic && id == "" && s.mutated(standin.ClientFoundBySecret) {
		id = s.clientBySecret(secret)
	}
	missing := !basic && !form.Has("client_secret") && s.mutated(standin.SecretMissingAccepted)
	if !s.clientValid(id, secret) && !((basic && s.mutated(standin.BasicSecretUnchecked) || missing) && s.clientKnown(id)) {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="data8test"`)
			oauthError(w, http.StatusUnauthorized, "invalid_client", "The client could not be authenticated.")
			return
		}
		oauthError(w, http.StatusBadRequest, "invalid_client", "The client could not be authenticated.")
		return
	}
	scope := scopeBatchAPI
	if asked := form.Get("scope"); asked != "" && (s.mutated(standin.OtherScopeAccepted) || s.mutated(standin.ScopeCaseFolded) && strings.EqualFold(asked, scopeBatchAPI)) {
		scope = asked // the scope asked for granted, and the API takes it
	} else if asked != "" {
		for _, sc := range strings.Fields(asked) {
			if sc != scopeBatchAPI {
				oauthError(w, http.StatusBadRequest, "invalid_scope", "The only scope is "+scopeBatchAPI+".")
				return
			}
		}
	}

	tok := newToken()
	if s.mutated(standin.TokenFormOnlyChecked) {
		tok = hexToken()
	}
	life := s.cfg.tokenLifetime
	if s.has(ProfileShortToken) {
		life = min(life, shortTokenLifetime)
	}
	s.mu.Lock()
	t := time.Now()
	if len(s.tokens) > 1000 {
		for k, exp := range s.tokens {
			if t.After(exp) {
				delete(s.tokens, k)
			}
		}
	}
	s.tokens[tok] = t.Add(life)
	s.mu.Unlock()
	s.statsMu.Lock()
	s.tokenCount++
	s.statsMu.Unlock()

	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   max(1, int64(math.Ceil(life.Seconds()))),
		"scope":        scope,
	})
}

// clientValid reports whether id and secret name a client credential of the account.
func (s *Server) clientValid(id, secret string) bool {
	if id == "" || secret == "" {
		return false
	}
	s.mu.RLock()
	c, ok := s.creds[id]
	s.mu.RUnlock()
	if ok && c.secret != "" && s.mutated(standin.ClientSecretMatchedButLast) {
		n := len(c.secret) - 1
		return len(secret) >= n && secret[:n] == c.secret[:n]
	}
	return ok && c.secret != "" && subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) == 1
}

// clientKnown reports whether id names a client credential of the account, for the
// standin.BasicSecretUnchecked mutation.
func (s *Server) clientKnown(id string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.creds[id] != nil
}

// clientBySecret returns the id of the client credential whose secret is secret, or "", for the
// standin.ClientFoundBySecret mutation.
func (s *Server) clientBySecret(secret string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for id, c := range s.creds {
		if secret != "" && c.secret == secret {
			return id
		}
	}
	return ""
}

// newToken makes an opaque access token.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hexToken makes an access token of 64 lower-case hex digits (standin.TokenFormOnlyChecked).
func hexToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// hexForm reports whether tok has hexToken's form.
func hexForm(tok string) bool {
	if len(tok) != 64 {
		return false
	}
	for _, c := range tok {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// TokenCount returns how many access tokens the token endpoint has issued.
func (s *Server) TokenCount() int {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.tokenCount
}

// ExpireTokens makes every access token issued so far expired, as if their lifetime had passed.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := time.Now().Add(-time.Second)
	for k := range s.tokens {
		s.tokens[k] = past
	}
}

// authenticate checks the bearer token of an API request. It writes a 401 problem with
// WWW-Authenticate: Bearer and returns false when the token is missing, unknown or expired.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) bool {
	if s.mutated(standin.SkipAuth) || (r.Method == http.MethodHead && s.mutated(standin.HeadSkipsAuth)) || r.Context().Value(ctxSkipAuth) != nil {
		return true
	}
	if p, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && p >= 2 && r.Method == http.MethodGet && s.mutated(standin.LaterPageSkipsAuth) {
		return true
	}
	if q := r.URL.Query(); r.URL.Path == "/Job" && r.Method == http.MethodGet && (q.Has("workflow") || q.Has("startDate") || q.Has("endDate")) && s.mutated(standin.JobListFilterSkipsAuth) {
		return true
	}
	if first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/"); strings.Contains(first, "%") && s.mutated(standin.EncodedPathSkipsAuth) {
		return true
	}
	if id, secret, basic := r.BasicAuth(); basic && s.mutated(standin.BasicClientCredentialsAccepted) && s.clientValid(id, secret) {
		return true // the token endpoint's client authentication taken in place of a token
	}
	h := r.Header.Get("Authorization")
	if q := r.URL.Query().Get("access_token"); h == "" && q != "" && s.mutated(standin.QueryTokenAccepted) {
		h = "Bearer " + q
	}
	if h == "" {
		h = s.tokenElsewhere(r)
	}
	scheme, tok, _ := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if f := strings.Fields(h); len(f) > 2 && s.mutated(standin.BearerExtraWordsIgnored) {
		scheme, tok = f[0], f[1]
	}
	if f := strings.Fields(h); len(f) > 0 && s.mutated(standin.AuthSchemeIgnored) {
		scheme, tok = "Bearer", f[len(f)-1]
	}
	if h == "" || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		unauthorized(w, "Bearer", "The request has no bearer token.")
		return false
	}
	s.mu.RLock()
	exp, ok := s.tokens[tok]
	if !ok && (s.mutated(standin.TokenMatchedButLast) || r.Method != http.MethodGet && r.Method != http.MethodHead && s.mutated(standin.WriteTokenMatchedButLast)) {
		for t, e := range s.tokens {
			if n := len(t) - 1; n > 0 && len(tok) >= n && tok[:n] == t[:n] {
				exp, ok = e, true
			}
		}
	}
	if !ok && s.mutated(standin.TokenFormOnlyChecked) && hexForm(tok) {
		exp, ok = time.Now().Add(time.Hour), true // the form of an issued token, not one issued
	}
	if !ok && s.mutated(standin.TokenCaseFolded) {
		for t, e := range s.tokens {
			if strings.EqualFold(t, tok) {
				exp, ok = e, true
			}
		}
	}
	s.mu.RUnlock()
	switch {
	case !ok:
		unauthorized(w, `Bearer error="invalid_token", error_description="The access token is not valid"`, "The bearer token is not valid.")
		return false
	case time.Now().After(exp):
		unauthorized(w, `Bearer error="invalid_token", error_description="The access token expired"`, "The bearer token has expired.")
		return false
	}
	return true
}

// tokenElsewhere returns, for a request without an Authorization header, the header a mutation
// makes of a token found elsewhere: standin.CookieTokenAccepted (the cookie access_token),
// standin.HeaderTokenAccepted (the header X-Access-Token), standin.QueryTokenOtherName (the query
// parameter token); "" without one.
func (s *Server) tokenElsewhere(r *http.Request) string {
	if c, err := r.Cookie("access_token"); err == nil && c.Value != "" && s.mutated(standin.CookieTokenAccepted) {
		return "Bearer " + c.Value
	}
	if v := r.Header.Get("X-Access-Token"); v != "" && s.mutated(standin.HeaderTokenAccepted) {
		return "Bearer " + v
	}
	if v := r.URL.Query().Get("token"); v != "" && s.mutated(standin.QueryTokenOtherName) {
		return "Bearer " + v
	}
	return ""
}

// unauthorized writes a 401 problem with the given WWW-Authenticate challenge.
func unauthorized(w http.ResponseWriter, challenge, detail string) {
	w.Header().Set("WWW-Authenticate", challenge)
	writeProblem(w, problem(http.StatusUnauthorized, "Unauthorized", detail))
}
