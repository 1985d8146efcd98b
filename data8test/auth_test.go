package data8test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// postToken sends a token request with the given form and optional Basic credentials.
func postToken(t *testing.T, s *Server, form url.Values, basicID, basicSecret string) rawResp {
	t.Helper()
	req, _ := http.NewRequest("POST", s.TokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := httpFor(t, s).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResp{status: resp.StatusCode, header: resp.Header, body: b}
}

func TestTokenFormBody(t *testing.T) {
	s := start(t, WithTokenLifetime(90*time.Second))
	r := postToken(t, s, url.Values{"grant_type": {"client_credentials"}, "client_id": {s.ClientID}, "client_secret": {s.ClientSecret}, "scope": {"BatchApi"}}, "", "")
	wantStatus(t, r, 200)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		Scope       string `json:"scope"`
	}
	if err := json.Unmarshal(r.body, &tok); err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 90 || tok.Scope != "BatchApi" {
		t.Fatalf("token response %s", r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if s.TokenCount() != 1 {
		t.Errorf("TokenCount %d, want 1", s.TokenCount())
	}
	wantStatus(t, do(t, s, tok.AccessToken, "GET", "/Dataset", nil), 200)
}

func TestTokenBasicAndNoScope(t *testing.T) {
	s := start(t)
	r := postToken(t, s, url.Values{"grant_type": {"client_credentials"}}, s.ClientID, s.ClientSecret)
	wantStatus(t, r, 200)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(r.body, &tok)
	wantStatus(t, do(t, s, tok.AccessToken, "GET", "/ApiKey", nil), 200)
}

func TestTokenOAuth2Library(t *testing.T) {
	s := start(t)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInParams, oauth2.AuthStyleInHeader} {
		cc := clientcredentials.Config{ClientID: s.ClientID, ClientSecret: s.ClientSecret, TokenURL: s.TokenURL, Scopes: []string{"BatchApi"}, AuthStyle: style}
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, testHTTP(t))
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("style %v: %v", style, err)
		}
		if tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
			t.Fatalf("style %v: token %+v", style, tok)
		}
		wantStatus(t, do(t, s, tok.AccessToken, "GET", "/ClientCredential", nil), 200)
	}
}

func TestTokenErrors(t *testing.T) {
	const secret = "the-wrong-secret-0123456789"
	s := start(t, WithCredentials("my-client", "my-secret"))
	if s.ClientID != "my-client" || s.ClientSecret != "my-secret" {
		t.Fatalf("credentials %q %q", s.ClientID, s.ClientSecret)
	}
	cases := []struct {
		name      string
		form      url.Values
		basic     [2]string
		status    int
		errorCode string
	}{
		{"bad secret in form", url.Values{"grant_type": {"client_credentials"}, "client_id": {"my-client"}, "client_secret": {secret}}, [2]string{}, 400, "invalid_client"},
		{"bad secret in Basic", url.Values{"grant_type": {"client_credentials"}}, [2]string{"my-client", secret}, 401, "invalid_client"},
		{"unknown client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {secret}}, [2]string{}, 400, "invalid_client"},
		{"no secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {"my-client"}}, [2]string{}, 400, "invalid_client"},
		{"wrong grant", url.Values{"grant_type": {"password"}, "client_id": {"my-client"}, "client_secret": {"my-secret"}}, [2]string{}, 400, "unsupported_grant_type"},
		{"no grant", url.Values{"client_id": {"my-client"}, "client_secret": {"my-secret"}}, [2]string{}, 400, "invalid_request"},
		{"wrong scope", url.Values{"grant_type": {"client_credentials"}, "client_id": {"my-client"}, "client_secret": {"my-secret"}, "scope": {"Other"}}, [2]string{}, 400, "invalid_scope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := postToken(t, s, c.form, c.basic[0], c.basic[1])
			wantStatus(t, r, c.status)
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(r.body, &e); err != nil || e.Error != c.errorCode {
				t.Fatalf("body %s, want error %s", r.body, c.errorCode)
			}
			if strings.Contains(string(r.body), secret) || strings.Contains(string(r.body), "my-secret") {
				t.Fatalf("the answer echoes the secret: %s", r.body)
			}
			if c.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	if s.TokenCount() != 0 {
		t.Errorf("TokenCount %d, want 0", s.TokenCount())
	}
	r := do(t, s, "", "GET", "/connect/token", nil)
	wantStatus(t, r, 405)
}

func TestAPIRejectsBadTokens(t *testing.T) {
	s := start(t)
	check := func(t *testing.T, r rawResp, wantChallenge string) {
		t.Helper()
		wantStatus(t, r, 401)
		if h := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") || !strings.Contains(h, wantChallenge) {
			t.Errorf("WWW-Authenticate %q, want Bearer ...%s", h, wantChallenge)
		}
		p := r.problem(t)
		if p.Status != 401 {
			t.Errorf("problem %s", r.body)
		}
	}
	t.Run("missing", func(t *testing.T) { check(t, do(t, s, "", "GET", "/Dataset", nil), "") })
	t.Run("unknown", func(t *testing.T) {
		check(t, do(t, s, "not-a-token", "POST", "/Dataset", map[string]any{"name": "x", "columns": map[string]int{"a": 0}}), "invalid_token")
	})
	t.Run("wrong scheme", func(t *testing.T) {
		req, _ := http.NewRequest("GET", s.URL+"/Job", nil)
		req.SetBasicAuth(s.ClientID, s.ClientSecret)
		resp, err := httpFor(t, s).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("status %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("expired by ExpireTokens", func(t *testing.T) {
		tok := fetchToken(t, s)
		wantStatus(t, do(t, s, tok, "GET", "/Dataset", nil), 200)
		s.ExpireTokens()
		check(t, do(t, s, tok, "GET", "/Dataset", nil), "expired")
		wantStatus(t, do(t, s, fetchToken(t, s), "GET", "/Dataset", nil), 200)
	})
	if _, ok := s.DatasetInfo("x"); ok {
		t.Error("an unauthenticated request created a dataset")
	}
}

func TestTokenLifetimeExpires(t *testing.T) {
	s := start(t, WithTokenLifetime(time.Nanosecond))
	tok := fetchToken(t, s)
	r := do(t, s, tok, "GET", "/Dataset", nil)
	wantStatus(t, r, 401)
	if h := r.header.Get("WWW-Authenticate"); !strings.Contains(h, "expired") {
		t.Errorf("WWW-Authenticate %q", h)
	}
}

func TestDiscovery(t *testing.T) {
	s := start(t)
	r := do(t, s, "", "GET", "/.well-known/openid-configuration", nil)
	wantStatus(t, r, 200)
	var d struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.Unmarshal(r.body, &d); err != nil || d.TokenEndpoint != s.TokenURL {
		t.Fatalf("discovery %s", r.body)
	}
}
