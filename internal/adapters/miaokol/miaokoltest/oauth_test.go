package miaokoltest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
)

// tokenBody is a valid /oauth/token body with kv set (a nil value drops
// the member).
func tokenBody(t *testing.T, kv ...any) string {
	t.Helper()
	b := map[string]any{"app_id": miaokoltest.DefaultAppID, "app_secret": miaokoltest.DefaultAppSecret, "grant_type": "client_credential"}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(b, kv[i].(string))
		} else {
			b[kv[i].(string)] = kv[i+1]
		}
	}
	return mustJSON(t, b)
}

// fetchToken calls /oauth/token, which must succeed, and returns the token
// and expires_in.
func (e *env) fetchToken() (string, json.Number) {
	e.t.Helper()
	a := e.send(http.MethodPost, "/oauth/token", nil, "application/json", tokenBody(e.t))
	env := a.envelope(e.t)
	if a.status != http.StatusOK || *env.Errcode != 0 || env.Errmsg != nil {
		e.t.Fatalf("/oauth/token: %d %s", a.status, a.body)
	}
	var top, data map[string]any
	decode(e.t, a.body, &top)
	decode(e.t, env.Data, &data)
	if got := keysOf(top); len(got) != 2 || got[0] != "data" || got[1] != "errcode" {
		e.t.Errorf("answer members %v", got)
	}
	if got := keysOf(data); len(got) != 2 || got[0] != "access_token" || got[1] != "expires_in" {
		e.t.Errorf("data members %v", got)
	}
	tok, _ := data["access_token"].(string)
	exp, _ := data["expires_in"].(json.Number)
	return tok, exp
}

func TestTokenIssue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	tok, exp := e.fetchToken()
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(tok) || exp.String() != "7200" {
		t.Fatalf("token %q, expires_in %s", tok, exp)
	}
	e.token = tok
	e.list(nil)
	if other, _ := e.fetchToken(); other == tok {
		t.Error("the same token twice")
	}
	if n := e.sim.TokenCalls(); n != 2 {
		t.Errorf("TokenCalls %d", n)
	}
}

func TestTokenTTLIsConfigurable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{TokenTTL: time.Minute})
	if _, exp := e.fetchToken(); exp.String() != "60" {
		t.Errorf("expires_in %s", exp)
	}
}

func TestTokenRefusals(t *testing.T) {
	t.Parallel()
	jsonCT := "application/json"
	tests := []struct {
		name        string
		contentType string
		body        func(t *testing.T) string
		query       url.Values
		code        int
	}{
		{"no grant_type", jsonCT, func(t *testing.T) string { return tokenBody(t, "grant_type", nil) }, nil, miaokoltest.CodeInvalidGrantType},
		{"plural grant_type", jsonCT, func(t *testing.T) string { return tokenBody(t, "grant_type", "client_credentials") }, nil, miaokoltest.CodeInvalidGrantType},
		{"OAuth grant_type", jsonCT, func(t *testing.T) string { return tokenBody(t, "grant_type", "authorization_code") }, nil, miaokoltest.CodeInvalidGrantType},
		{"wrong app_id", jsonCT, func(t *testing.T) string { return tokenBody(t, "app_id", "other") }, nil, miaokoltest.CodeInvalidAppID},
		{"no app_id", jsonCT, func(t *testing.T) string { return tokenBody(t, "app_id", nil) }, nil, miaokoltest.CodeInvalidAppID},
		{"wrong app_secret", jsonCT, func(t *testing.T) string { return tokenBody(t, "app_secret", "x") }, nil, miaokoltest.CodeInvalidAppSecret},
		{"no app_secret", jsonCT, func(t *testing.T) string { return tokenBody(t, "app_secret", nil) }, nil, miaokoltest.CodeInvalidAppSecret},
		{"app_id a number", jsonCT, func(t *testing.T) string { return tokenBody(t, "app_id", 12) }, nil, miaokoltest.CodeFailure},
		{"form body", "application/x-www-form-urlencoded", func(*testing.T) string {
			return url.Values{"app_id": {miaokoltest.DefaultAppID}, "app_secret": {miaokoltest.DefaultAppSecret}, "grant_type": {"client_credential"}}.Encode()
		}, nil, miaokoltest.CodeFailure},
		{"no Content-Type", "", func(t *testing.T) string { return tokenBody(t) }, nil, miaokoltest.CodeFailure},
		{"not JSON", jsonCT, func(*testing.T) string { return "app_id=x" }, nil, miaokoltest.CodeFailure},
		{"parameters in the query", jsonCT, func(*testing.T) string { return "{}" }, url.Values{
			"app_id": {miaokoltest.DefaultAppID}, "app_secret": {miaokoltest.DefaultAppSecret}, "grant_type": {"client_credential"},
		}, miaokoltest.CodeInvalidGrantType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, miaokoltest.Config{})
			expectError(t, e.send(http.MethodPost, "/oauth/token", tt.query, tt.contentType, tt.body(t)), http.StatusOK, tt.code)
			if n := e.sim.TokenCalls(); n != 1 {
				t.Errorf("TokenCalls %d", n)
			}
		})
	}
	t.Run("GET", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, miaokoltest.Config{})
		a := e.send(http.MethodGet, "/oauth/token", nil, "", "")
		expectError(t, a, http.StatusMethodNotAllowed, miaokoltest.CodeFailure)
		if allow := a.header.Get("Allow"); allow != "POST" {
			t.Errorf("Allow %q", allow)
		}
		if n := e.sim.TokenCalls(); n != 0 {
			t.Errorf("TokenCalls %d counts a GET", n)
		}
	})
	t.Run("custom credentials", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, miaokoltest.Config{AppID: "44n2AsVZArKefJbuaE", AppSecret: "s3cret"})
		body := tokenBody(t, "app_id", "44n2AsVZArKefJbuaE", "app_secret", "s3cret")
		if a := e.send(http.MethodPost, "/oauth/token", nil, "application/json", body); *a.envelope(t).Errcode != 0 {
			t.Errorf("custom credentials refused: %s", a.body)
		}
		expectError(t, e.send(http.MethodPost, "/oauth/token", nil, "application/json", tokenBody(t)), http.StatusOK, miaokoltest.CodeInvalidAppID)
	})
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	first := e.token
	e.clock.Advance(7199 * time.Second)
	e.list(nil)
	second, _ := e.fetchToken()
	e.clock.Advance(time.Second) // the first token's 7200th second
	e.fails(http.MethodGet, "/smart-tag/list", nil, miaokoltest.CodeInvalidToken)
	e.token = second // a new token did not revoke the first; time did
	e.list(nil)
	e.clock.Advance(7198 * time.Second)
	e.list(nil)
	e.clock.Advance(time.Second)
	e.fails(http.MethodPost, "/smart-tag/add", params{"name": "x", "type": 2}, miaokoltest.CodeInvalidToken)
	e.token = first
	e.fails(http.MethodGet, "/smart-tag/list", nil, miaokoltest.CodeInvalidToken)
}

func TestExpireTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	tokens := []string{e.token, e.sim.IssueToken()}
	e.sim.ExpireTokens()
	for _, tok := range tokens {
		e.token = tok
		e.fails(http.MethodGet, "/smart-tag/list", nil, miaokoltest.CodeInvalidToken)
	}
	e.token, _ = e.fetchToken()
	e.list(nil)
}

func TestTokenCallsCountFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	e.sim.InjectFault(miaokoltest.Fault{PathPrefix: "/oauth/token", Status: http.StatusBadGateway, Body: "bad gateway"})
	if a := e.send(http.MethodPost, "/oauth/token", nil, "application/json", tokenBody(t)); a.status != http.StatusBadGateway {
		t.Fatalf("fault not applied: %d %s", a.status, a.body)
	}
	e.fetchToken()
	if n := e.sim.TokenCalls(); n != 2 {
		t.Errorf("TokenCalls %d", n)
	}
	if n := e.sim.Calls("/smart-tag/"); n != 0 {
		t.Errorf("Calls(/smart-tag/) %d", n)
	}
}
