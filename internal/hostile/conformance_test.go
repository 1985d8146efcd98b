package hostile

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/conformance"
)

// TestConformanceFollowsNoRedirect: the conformance suite, which sends raw requests of its own
// besides the client's, sends neither the secret nor a token to where a hostile server redirects
// it: the token endpoint answers 307 to another host and the API answers 307 to http:// on
// another port, and the other servers receive nothing during the whole run.
func TestConformanceFollowsNoRedirect(t *testing.T) {
	thief := New(t, API(func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, http.StatusOK, []any{}) }))
	mux := http.NewServeMux()
	mux.Handle("POST "+TokenPath, Redirect(http.StatusTemporaryRedirect, thief.OtherHost()))
	mux.Handle("/", Redirect(http.StatusTemporaryRedirect, thief.URL))
	api := New(t, mux)

	rep, err := conformance.Run(context.Background(), conformance.Config{
		BaseURL: api.URL, TokenURL: api.TokenURL(), ClientID: ClientID, ClientSecret: ClientSecret,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range thief.Requests() {
		t.Errorf("the other host received %s %s (Authorization %q, body %q)", r.Method, r.Path, r.Header.Get("Authorization"), r.Body)
	}
	if len(api.Requests()) == 0 {
		t.Fatal("the suite sent nothing")
	}
	js, _ := json.Marshal(rep)
	if strings.Contains(string(js), ClientSecret) {
		t.Error("the report holds the client secret")
	}
}
