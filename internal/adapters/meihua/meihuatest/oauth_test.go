package meihuatest_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
)

// authorizeQuery is a valid /authorize query.
func authorizeQuery(state string) url.Values {
	q := vals("client_id", meihuatest.DefaultClientID, "redirect_uri", meihuatest.DefaultRedirectURI, "response_type", "code")
	if state != "" {
		q.Set("state", state)
	}
	return q
}

// authorize runs /authorize and returns the redirect's query.
func (e *env) authorize(q url.Values) url.Values {
	e.t.Helper()
	a := e.send(http.MethodGet, "/authorize", q, nil)
	if a.status != http.StatusFound {
		e.t.Fatalf("/authorize: %d %s", a.status, a.body)
	}
	loc, err := url.Parse(a.header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return loc.Query()
}

func tokenQuery(kv ...string) url.Values {
	q := vals("client_id", meihuatest.DefaultClientID, "client_secret", meihuatest.DefaultClientSecret)
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

func codeQuery(code string) url.Values {
	return tokenQuery("grant_type", "authorization_code", "code", code, "redirect_uri", meihuatest.DefaultRedirectURI)
}

func refreshQuery(rt string) url.Values {
	return tokenQuery("grant_type", "refresh_token", "refresh_token", rt)
}

// grant calls /access_token with q in the URL and requires success.
func (e *env) grant(q url.Values) meihuatest.TokenResponse {
	e.t.Helper()
	a := e.send(http.MethodPost, "/access_token", q, nil)
	if a.status != http.StatusOK {
		e.t.Fatalf("/access_token: %d %s", a.status, a.body)
	}
	var raw map[string]any
	decode(e.t, a.body, &raw)
	if got := keysOf(raw); !equalStrings(got, sorted("access_token", "refresh_token", "expires_in")) {
		e.t.Errorf("token answer members %v", got)
	}
	var tr meihuatest.TokenResponse
	decode(e.t, a.body, &tr)
	return tr
}

// oauthFails calls an OAuth endpoint and requires the OAuth error.
func (e *env) oauthFails(method, path string, q, form url.Values, status int, code string) {
	e.t.Helper()
	a := e.send(method, path, q, form)
	var oe map[string]string
	decode(e.t, a.body, &oe)
	if a.status != status || oe["error"] != code || oe["error_description"] == "" || len(oe) != 2 ||
		a.header.Get("Content-Type") != "application/json;charset=UTF-8" || a.header.Get("Location") != "" {
		e.t.Errorf("%s %s %v: %d %s, want %d %s", method, path, q, a.status, a.body, status, code)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAuthorizeRedirects(t *testing.T) {
	t.Parallel()
	t.Run("code and state", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{})
		a := e.send(http.MethodGet, "/authorize", authorizeQuery("xyz/ä&1"), nil)
		loc, _ := url.Parse(a.header.Get("Location"))
		if a.status != http.StatusFound || loc.Scheme+"://"+loc.Host+loc.Path != meihuatest.DefaultRedirectURI {
			t.Fatalf("%d Location %q", a.status, a.header.Get("Location"))
		}
		if q := loc.Query(); q.Get("code") == "" || q.Get("state") != "xyz/ä&1" || len(q) != 2 {
			t.Errorf("callback query %v", q)
		}
	})
	t.Run("no state, none echoed", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{})
		if q := e.authorize(authorizeQuery("")); q.Get("code") == "" || q.Has("state") {
			t.Errorf("callback query %v", q)
		}
	})
	t.Run("the callback's own query is kept", func(t *testing.T) {
		t.Parallel()
		cb := "https://gw.example.com/cb?tenant=a%20b&x=1"
		e := newEnv(t, meihuatest.Config{RedirectURI: cb})
		q := authorizeQuery("s1")
		q.Set("redirect_uri", cb)
		a := e.send(http.MethodGet, "/authorize", q, nil)
		loc := a.header.Get("Location")
		u, _ := url.Parse(loc)
		if len(loc) < len(cb) || loc[:len(cb)+1] != cb+"&" || u.Query().Get("tenant") != "a b" || u.Query().Get("code") == "" || u.Query().Get("state") != "s1" {
			t.Errorf("Location %q", loc)
		}
	})
}

func TestAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	tests := []struct {
		name       string
		key, value string // "" value removes the parameter
		status     int
		code       string
	}{
		{"no client_id", "client_id", "", 400, "invalid_request"},
		{"wrong client_id", "client_id", "someone-else", 401, "invalid_client"},
		{"no redirect_uri", "redirect_uri", "", 400, "invalid_request"},
		{"other redirect_uri", "redirect_uri", "https://evil.example.com/cb", 400, "redirect_uri_mismatch"},
		{"redirect_uri with a trailing slash", "redirect_uri", meihuatest.DefaultRedirectURI + "/", 400, "redirect_uri_mismatch"},
		{"no response_type", "response_type", "", 400, "invalid_request"},
		{"implicit flow", "response_type", "token", 400, "unsupported_response_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := authorizeQuery("s")
			if tt.value == "" {
				q.Del(tt.key)
			} else {
				q.Set(tt.key, tt.value)
			}
			e.oauthFails(http.MethodGet, "/authorize", q, nil, tt.status, tt.code)
		})
	}
	t.Run("POST", func(t *testing.T) {
		t.Parallel()
		e.oauthFails(http.MethodPost, "/authorize", authorizeQuery("s"), nil, http.StatusMethodNotAllowed, "invalid_request")
	})
}

func TestDenyNextAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	e.sim.DenyNextAuthorization("access_denied", "用户拒绝授权")
	q := e.authorize(authorizeQuery("st"))
	if q.Get("error") != "access_denied" || q.Get("error_description") != "用户拒绝授权" || q.Get("state") != "st" || q.Has("code") {
		t.Errorf("denied callback query %v", q)
	}
	if q := e.authorize(authorizeQuery("st")); q.Get("code") == "" || q.Has("error") {
		t.Errorf("the denial lasted: %v", q)
	}
}

func TestCodeExchange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{AccessTokenTTL: 0})
	code := e.authorize(authorizeQuery("s")).Get("code")
	tr := e.grant(codeQuery(code))
	if want := t0.Add(24 * time.Hour).UnixMilli(); tr.ExpiresIn != want {
		t.Errorf("expires_in %d, want the expiry time %d in epoch ms", tr.ExpiresIn, want)
	}
	// Tokens look like the documented ones: 32 hex digits and the issue time.
	if suffix := strconv.FormatInt(t0.UnixMilli(), 10); len(tr.AccessToken) != 45 || tr.AccessToken[32:] != suffix || len(tr.RefreshToken) != 45 {
		t.Errorf("tokens %q %q", tr.AccessToken, tr.RefreshToken)
	}
	e.token = tr.AccessToken
	e.ok(http.MethodGet, "/contact/setting", nil, nil)
	if n := e.sim.CodeExchanges(); n != 1 {
		t.Errorf("CodeExchanges %d", n)
	}
}

func TestCodeMisuse(t *testing.T) {
	t.Parallel()
	const bad, unauthorized = http.StatusBadRequest, http.StatusUnauthorized
	t.Run("reused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{})
		code := e.authorize(authorizeQuery("")).Get("code")
		e.grant(codeQuery(code))
		e.oauthFails(http.MethodPost, "/access_token", codeQuery(code), nil, bad, "invalid_grant")
	})
	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{CodeTTL: time.Minute})
		code := e.authorize(authorizeQuery("")).Get("code")
		e.clock.Advance(time.Minute)
		e.oauthFails(http.MethodPost, "/access_token", codeQuery(code), nil, bad, "invalid_grant")
		code = e.authorize(authorizeQuery("")).Get("code")
		e.clock.Advance(time.Minute - time.Millisecond)
		e.grant(codeQuery(code))
	})
	t.Run("other redirect_uri spends the code", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{})
		code := e.authorize(authorizeQuery("")).Get("code")
		q := codeQuery(code)
		q.Set("redirect_uri", "https://gateway.example.com/other")
		e.oauthFails(http.MethodPost, "/access_token", q, nil, bad, "invalid_grant")
		e.oauthFails(http.MethodPost, "/access_token", codeQuery(code), nil, bad, "invalid_grant")
	})
	t.Run("unknown code", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{})
		e.oauthFails(http.MethodPost, "/access_token", codeQuery("nope"), nil, bad, "invalid_grant")
	})
	t.Run("wrong client leaves the code", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{})
		code := e.authorize(authorizeQuery("")).Get("code")
		q := codeQuery(code)
		q.Set("client_secret", "guess")
		e.oauthFails(http.MethodPost, "/access_token", q, nil, unauthorized, "invalid_client")
		q = codeQuery(code)
		q.Set("client_id", "other")
		e.oauthFails(http.MethodPost, "/access_token", q, nil, unauthorized, "invalid_client")
		e.grant(codeQuery(code))
	})
	t.Run("parameters", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{})
		code := e.authorize(authorizeQuery("")).Get("code")
		for _, name := range []string{"client_id", "client_secret", "grant_type", "code", "redirect_uri"} {
			q := codeQuery(code)
			q.Del(name)
			e.oauthFails(http.MethodPost, "/access_token", q, nil, bad, "invalid_request")
		}
		q := codeQuery(code)
		q.Set("grant_type", "password")
		e.oauthFails(http.MethodPost, "/access_token", q, nil, bad, "unsupported_grant_type")
		// The documented place is the URL: a form body is not read.
		e.oauthFails(http.MethodPost, "/access_token", nil, codeQuery(code), bad, "invalid_request")
		e.oauthFails(http.MethodGet, "/access_token", codeQuery(code), nil, http.StatusMethodNotAllowed, "invalid_request")
		e.grant(codeQuery(code))
		if n := e.sim.CodeExchanges(); n != 5 {
			t.Errorf("CodeExchanges %d, want the 5 with grant_type=authorization_code in the URL", n)
		}
	})
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	t.Run("rotates", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{AccessTokenTTL: time.Hour})
		access, rt := e.sim.Grant()
		e.clock.Advance(10 * time.Minute)
		tr := e.grant(refreshQuery(rt))
		if tr.RefreshToken == rt || tr.AccessToken == access || tr.ExpiresIn != t0.Add(70*time.Minute).UnixMilli() {
			t.Errorf("refresh answered %+v", tr)
		}
		e.oauthFails(http.MethodPost, "/access_token", refreshQuery(rt), nil, http.StatusBadRequest, "invalid_grant")
		e.grant(refreshQuery(tr.RefreshToken))
		// The earlier access token works until its own expiry.
		e.token = access
		e.ok(http.MethodGet, "/contact/setting", nil, nil)
		e.clock.Advance(50 * time.Minute)
		e.fails(http.MethodGet, "/contact/setting", nil, meihuatest.CodeInvalidToken)
		e.token = tr.AccessToken
		e.ok(http.MethodGet, "/contact/setting", nil, nil)
		if n := e.sim.RefreshCalls(); n != 3 {
			t.Errorf("RefreshCalls %d", n)
		}
	})
	t.Run("KeepRefreshTokens", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{KeepRefreshTokens: true})
		_, rt := e.sim.Grant()
		for range 2 {
			if tr := e.grant(refreshQuery(rt)); tr.RefreshToken != rt {
				t.Errorf("refresh token %q, want the same %q", tr.RefreshToken, rt)
			}
		}
	})
	t.Run("revoked", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{KeepRefreshTokens: true})
		_, rt := e.sim.Grant()
		e.sim.RevokeRefreshTokens()
		e.oauthFails(http.MethodPost, "/access_token", refreshQuery(rt), nil, http.StatusBadRequest, "invalid_grant")
		e.ok(http.MethodGet, "/contact/setting", nil, nil) // access tokens are not revoked
	})
	t.Run("refusals", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{})
		_, rt := e.sim.Grant()
		q := refreshQuery(rt)
		q.Del("refresh_token")
		e.oauthFails(http.MethodPost, "/access_token", q, nil, http.StatusBadRequest, "invalid_request")
		e.oauthFails(http.MethodPost, "/access_token", refreshQuery("unknown"), nil, http.StatusBadRequest, "invalid_grant")
		q = refreshQuery(rt)
		q.Set("client_secret", "x")
		e.oauthFails(http.MethodPost, "/access_token", q, nil, http.StatusUnauthorized, "invalid_client")
		e.grant(refreshQuery(rt))
	})
	t.Run("answer lost after the rotation", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{})
		_, rt := e.sim.Grant()
		e.sim.InjectFault(meihuatest.Fault{PathPrefix: "/access_token", AfterHandler: true, Status: 502, ContentType: "text/html", Body: "<html>bad gateway</html>"})
		if a := e.send(http.MethodPost, "/access_token", refreshQuery(rt), nil); a.status != 502 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		e.oauthFails(http.MethodPost, "/access_token", refreshQuery(rt), nil, http.StatusBadRequest, "invalid_grant")
		if n := e.sim.RefreshCalls(); n != 2 {
			t.Errorf("RefreshCalls %d", n)
		}
	})
}

func TestAccessTokens(t *testing.T) {
	t.Parallel()
	t.Run("expire after the TTL", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{})
		e.clock.Advance(24*time.Hour - time.Millisecond)
		e.ok(http.MethodGet, "/contact/setting", nil, nil)
		e.clock.Advance(time.Millisecond)
		e.fails(http.MethodGet, "/contact/setting", nil, meihuatest.CodeInvalidToken)
	})
	t.Run("ExpireAccessTokens", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{})
		_, rt := e.sim.Grant()
		e.sim.ExpireAccessTokens()
		e.fails(http.MethodGet, "/contact/setting", nil, meihuatest.CodeInvalidToken)
		e.token = e.grant(refreshQuery(rt)).AccessToken
		e.ok(http.MethodGet, "/contact/setting", nil, nil)
	})
	t.Run("only from the URL query", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{})
		form := vals("token", e.token, "name", "g")
		expectCode(t, e.send(http.MethodPost, "/contact/group/add", nil, form), meihuatest.CodeInvalidToken)
		expectCode(t, e.send(http.MethodGet, "/contact/setting", nil, nil), meihuatest.CodeInvalidToken)
		expectCode(t, e.send(http.MethodGet, "/contact/setting", vals("token", "forged"), nil), meihuatest.CodeInvalidToken)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.base+"/contact/setting", nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		expectCode(t, e.roundTrip(req), meihuatest.CodeInvalidToken)
		if len(e.sim.Groups()) != 0 {
			t.Error("a refused call created a group")
		}
	})
}
