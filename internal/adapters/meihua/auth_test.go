package meihua_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// authorize follows the adapter's authorization URL as the account
// owner's browser would, and returns the code and state Meihua sends to
// the callback.
func (e *env) authorize(state string) (code, gotState string) {
	e.t.Helper()
	u, redirect := e.ad.AuthorizeURL(state)
	if redirect != redirectURI {
		e.t.Fatalf("redirect URI %q, want %q", redirect, redirectURI)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(u)
	if err != nil {
		e.t.Fatalf("GET authorize: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("authorize answered %d, want a redirect to the callback", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURI+"?") {
		e.t.Fatalf("authorize redirected to %q, want the callback", resp.Header.Get("Location"))
	}
	return loc.Query().Get("code"), loc.Query().Get("state")
}

// refreshTokensSent lists the refresh_token parameter of every refresh
// request, in order.
func (e *env) refreshTokensSent() []string {
	var out []string
	for _, r := range e.requests("/access_token") {
		if r.Query.Get("grant_type") == "refresh_token" {
			out = append(out, r.Query.Get("refresh_token"))
		}
	}
	return out
}

func (e *env) authorization() domain.Authorization {
	e.t.Helper()
	a, err := e.ad.Authorization(e.t.Context())
	e.Must(err)
	return a
}

// call is any API call that needs an access token.
func (e *env) call() error {
	_, err := e.ad.ListTags(e.t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 5})
	e.record(err)
	return err
}

func TestAuthorizeURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *envConfig) { c.unauthorized = true })
	raw, redirect := e.ad.AuthorizeURL("st-1 &x")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != e.base+"/authorize" {
		t.Errorf("authorize endpoint %q, want %q", got, e.base+"/authorize")
	}
	want := url.Values{"client_id": {appKey}, "redirect_uri": {redirectURI}, "response_type": {"code"}, "state": {"st-1 &x"}}
	if q := u.Query(); q.Encode() != want.Encode() {
		t.Errorf("authorize query %v, want %v", q, want)
	}
	if redirect != redirectURI {
		t.Errorf("redirect URI %q", redirect)
	}
	if strings.Contains(raw, appSecret) {
		t.Error("the authorization URL holds the app secret")
	}
	if _, redirect := e.ad.AuthorizeURL(""); redirect != redirectURI {
		t.Errorf("redirect URI %q", redirect)
	}
	if raw, _ := e.ad.AuthorizeURL(""); strings.Contains(raw, "state=") {
		t.Errorf("authorization URL %q has a state though none was given", raw)
	}
}

// The connect flow: the authorization page's code is exchanged once, its
// tokens serve the calls without a refresh.
func TestCompleteAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *envConfig) { c.unauthorized = true })
	if a := e.authorization(); a.State != domain.AuthorizationNone {
		t.Fatalf("before: %+v", a)
	}
	err := e.call()
	if ve := e.WantVendor(err, domain.VendorReauthorizationRequired); ve.Code != "not_authorized" {
		t.Errorf("unauthorized call code %q", ve.Code)
	}
	if e.sim.RefreshCalls() != 0 {
		t.Errorf("%d refresh calls without a refresh token", e.sim.RefreshCalls())
	}

	code, state := e.authorize("abc")
	if code == "" || state != "abc" {
		t.Fatalf("callback code %q state %q", code, state)
	}
	e.Must(e.ad.CompleteAuthorization(t.Context(), code))
	if a := e.authorization(); a.State != domain.AuthorizationActive {
		t.Errorf("after: %+v", a)
	}
	e.Must(e.call())
	if e.sim.CodeExchanges() != 1 || e.sim.RefreshCalls() != 0 {
		t.Errorf("%d code exchanges, %d refreshes; want 1, 0", e.sim.CodeExchanges(), e.sim.RefreshCalls())
	}
	ex := e.requests("/access_token")[0]
	if ex.Method != http.MethodPost || ex.Query.Get("grant_type") != "authorization_code" || ex.Query.Get("code") != code ||
		ex.Query.Get("redirect_uri") != redirectURI || ex.Query.Get("client_id") != appKey || ex.Query.Get("client_secret") != appSecret {
		t.Errorf("code exchange %s %s", ex.Method, ex.RawQuery)
	}

	// Another replica of the connection (same shared store) is authorized
	// too.
	other := e.newAdapter(nil)
	if a, err := other.Authorization(t.Context()); err != nil || a.State != domain.AuthorizationActive {
		t.Errorf("other replica: %+v, %v", a, err)
	}
}

// A code Meihua refuses is VendorRejected (422) with invalid_grant, and
// nothing is stored: a connection keeps the authorization it had.
func TestCompleteAuthorizationRefused(t *testing.T) {
	t.Parallel()
	t.Run("unknown code", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *envConfig) { c.unauthorized = true })
		err := e.ad.CompleteAuthorization(t.Context(), "not-a-code")
		if ve := e.WantVendor(err, domain.VendorRejected); ve.Code != "invalid_grant" {
			t.Errorf("code %q", ve.Code)
		}
		if a := e.authorization(); a.State != domain.AuthorizationNone {
			t.Errorf("after a refused code: %+v", a)
		}
	})
	t.Run("empty code", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *envConfig) { c.unauthorized = true })
		e.WantVendor(e.ad.CompleteAuthorization(t.Context(), " "), domain.VendorRejected)
		if e.sim.CodeExchanges() != 0 {
			t.Error("an empty code was sent")
		}
	})
	t.Run("code used twice", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *envConfig) { c.unauthorized = true })
		code, _ := e.authorize("")
		e.Must(e.ad.CompleteAuthorization(t.Context(), code))
		e.Must(e.call())
		err := e.ad.CompleteAuthorization(t.Context(), code)
		if ve := e.WantVendor(err, domain.VendorRejected); ve.Code != "invalid_grant" {
			t.Errorf("code %q", ve.Code)
		}
		// The first authorization stands: its refresh token still works.
		e.sim.ExpireAccessTokens()
		e.Must(e.call())
		if e.sim.RefreshCalls() != 1 {
			t.Errorf("%d refreshes", e.sim.RefreshCalls())
		}
	})
	t.Run("expired code", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *envConfig) { c.unauthorized = true; c.sim.CodeTTL = time.Minute })
		code, _ := e.authorize("")
		e.clock.Advance(2 * time.Minute)
		e.WantVendor(e.ad.CompleteAuthorization(t.Context(), code), domain.VendorRejected)
	})
	t.Run("another redirect uri", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *envConfig) { c.unauthorized = true })
		code, _ := e.authorize("")
		ad := e.newAdapter(func(c *meihua.Config) { c.RedirectURI = "https://elsewhere.example.test/cb" })
		e.WantVendor(ad.CompleteAuthorization(t.Context(), code), domain.VendorRejected)
	})
	t.Run("wrong app secret", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *envConfig) { c.unauthorized = true })
		code, _ := e.authorize("")
		ad := e.newAdapter(func(c *meihua.Config) { c.AppSecret = "mh-WRONG-SECRET-1" })
		err := ad.CompleteAuthorization(t.Context(), code)
		if ve := e.WantVendor(err, domain.VendorAuth); ve.Code != "invalid_client" {
			t.Errorf("code %q", ve.Code)
		}
		if strings.Contains(err.Error(), "mh-WRONG-SECRET-1") {
			t.Errorf("error %q shows the secret", err)
		}
	})
}

// A refresh rotates the refresh token: the new one is stored and sent
// next, the old one is never sent again. The refresh sends every
// parameter in the query, once.
func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for range 3 {
		e.Must(e.call())
		e.sim.ExpireAccessTokens()
	}
	e.Must(e.call())
	sent := e.refreshTokensSent()
	if len(sent) != 4 {
		t.Fatalf("%d refreshes, want 4 (a first token, then one after each expiry)", len(sent))
	}
	if first := sent[0]; first != e.cfg.RefreshToken {
		t.Errorf("first refresh sent %q, want the bootstrap token", first)
	}
	seen := map[string]bool{}
	for _, rt := range sent {
		if seen[rt] {
			t.Errorf("refresh token %q sent twice", rt)
		}
		seen[rt] = true
	}
	for _, r := range e.requests("/access_token") {
		if r.Method != http.MethodPost || len(r.Body) != 0 || r.Query.Get("client_secret") != appSecret || r.Query.Get("client_id") != appKey {
			t.Errorf("refresh %s %q body %q", r.Method, r.RawQuery, r.Body)
		}
	}
	if a := e.authorization(); a.State != domain.AuthorizationActive {
		t.Errorf("authorization %+v", a)
	}
}

// A vendor that keeps its refresh tokens: the same one is sent each time.
func TestRefreshKept(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *envConfig) { c.sim.KeepRefreshTokens = true })
	e.Must(e.call())
	e.sim.ExpireAccessTokens()
	e.Must(e.call())
	sent := e.refreshTokensSent()
	if len(sent) != 2 || sent[0] != sent[1] {
		t.Errorf("refresh tokens sent %v, want the same one twice", sent)
	}
}

// The access token expires by its expires_in (an absolute time): the
// adapter refreshes before a call that would meet an expired token.
func TestAccessTokenExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *envConfig) { c.sim.AccessTokenTTL = time.Hour })
	e.Must(e.call())
	e.Must(e.call())
	if n := e.sim.RefreshCalls(); n != 1 {
		t.Fatalf("%d refreshes for two calls, want 1", n)
	}
	e.clock.Advance(time.Hour)
	e.Must(e.call())
	if n := e.sim.RefreshCalls(); n != 2 {
		t.Errorf("%d refreshes after the token expired, want 2", n)
	}
	// No call met an expired token: the refresh came first.
	if n := len(e.requests("/contact/tag/all")); n != 3 {
		t.Errorf("%d API requests for 3 calls", n)
	}
}

// E10101 drops the token, refreshes once and sends the call once more.
func TestTokenRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Must(e.call())
	e.sim.ExpireAccessTokens()
	e.Must(e.call())
	reqs := e.requests("/contact/tag/all")
	if len(reqs) != 3 || e.sim.RefreshCalls() != 2 {
		t.Fatalf("%d API requests, %d refreshes; want 3 and 2", len(reqs), e.sim.RefreshCalls())
	}
	if reqs[1].Query.Get("token") == reqs[2].Query.Get("token") {
		t.Error("the call was sent again with the refused token")
	}

	// A token refused again after the refresh is an error, not a loop.
	body := `{"success":false,"code":"E10101","msg":"无效的Token"}`
	e.sim.InjectFault(vendortest.Fault{PathPrefix: "/contact/tag/all", Status: 200, ContentType: "application/json", Body: body, Times: 2})
	err := e.call()
	if ve := e.WantVendor(err, domain.VendorAuth); ve.Code != "E10101" {
		t.Errorf("code %q", ve.Code)
	}
	if n := e.sim.RefreshCalls(); n != 3 {
		t.Errorf("%d refreshes, want 3 (one for the refused call)", n)
	}
}

// A refresh token Meihua refuses (invalid_grant) ends the authorization:
// calls fail with reauthorization_required and nothing more is sent.
func TestRefreshRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Must(e.call())
	e.sim.RevokeRefreshTokens()
	e.sim.ExpireAccessTokens()
	for range 3 {
		err := e.call()
		if ve := e.WantVendor(err, domain.VendorReauthorizationRequired); ve.Code != domain.ReasonRefreshRejected {
			t.Errorf("code %q", ve.Code)
		}
	}
	if n := e.sim.RefreshCalls(); n != 2 {
		t.Errorf("%d refreshes, want 2 (the first token, the refused one)", n)
	}
	if a := e.authorization(); a.State != domain.AuthorizationRequired || a.Reason != domain.ReasonRefreshRejected {
		t.Errorf("authorization %+v", a)
	}

	// A new authorization brings the connection back.
	code, _ := e.authorize("")
	e.Must(e.ad.CompleteAuthorization(t.Context(), code))
	e.Must(e.call())
}

// A refresh whose answer is lost after Meihua rotated the token: the next
// call probes once with the old token, which Meihua refuses, and the
// connection needs a new authorization (refresh_answer_lost). When the
// answer was lost before Meihua handled the refresh, the probe recovers.
func TestRefreshAnswerLost(t *testing.T) {
	t.Parallel()
	t.Run("after the vendor rotated", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.InjectFault(vendortest.Fault{PathPrefix: "/access_token", AfterHandler: true, Drop: true})
		e.WantVendor(e.call(), domain.VendorUnavailable)
		if a := e.authorization(); a.State != domain.AuthorizationUnconfirmed {
			t.Errorf("after the lost answer: %+v", a)
		}
		err := e.call()
		if ve := e.WantVendor(err, domain.VendorReauthorizationRequired); ve.Code != domain.ReasonRefreshAnswerLost {
			t.Errorf("code %q", ve.Code)
		}
		e.WantVendor(e.call(), domain.VendorReauthorizationRequired)
		sent := e.refreshTokensSent()
		if len(sent) != 2 || sent[0] != sent[1] {
			t.Errorf("refresh tokens sent %v, want the same one twice (the refresh and its probe)", sent)
		}
		if a := e.authorization(); a.State != domain.AuthorizationRequired || a.Reason != domain.ReasonRefreshAnswerLost {
			t.Errorf("authorization %+v", a)
		}
	})
	t.Run("before the vendor handled it", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.InjectFault(vendortest.Fault{PathPrefix: "/access_token", Drop: true})
		e.WantVendor(e.call(), domain.VendorUnavailable)
		e.Must(e.call())
		if a := e.authorization(); a.State != domain.AuthorizationActive {
			t.Errorf("after the probe: %+v", a)
		}
		if n := e.sim.RefreshCalls(); n != 2 {
			t.Errorf("%d refreshes, want 2", n)
		}
	})
	t.Run("unreadable success answer", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.InjectFault(vendortest.Fault{PathPrefix: "/access_token", AfterHandler: true, Status: 200, ContentType: "text/html", Body: "<html>ok</html>"})
		ve := e.WantVendor(e.call(), domain.VendorBadResponse)
		if ve.Status != 200 {
			t.Errorf("status %d", ve.Status)
		}
		if a := e.authorization(); a.State != domain.AuthorizationUnconfirmed {
			t.Errorf("after an unreadable grant: %+v", a)
		}
	})
}

// Token answers the refresh did not take: the refresh token stands, and
// the next call refreshes with it.
func TestRefreshNotTaken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault vendortest.Fault
		kind  domain.VendorErrorKind
		code  string
	}{
		{"server error page", vendortest.Fault{Status: 503, ContentType: "text/html", Body: "<html>busy</html>"}, domain.VendorBadResponse, ""},
		{"oauth server error", vendortest.Fault{Status: 500, ContentType: "application/json", Body: `{"error":"server_error","error_description":"boom"}`}, domain.VendorUnavailable, "server_error"},
		{"invalid request", vendortest.Fault{Status: 400, ContentType: "application/json", Body: `{"error":"invalid_request","error_description":"x"}`}, domain.VendorRejected, "invalid_request"},
		{"unknown oauth error", vendortest.Fault{Status: 400, ContentType: "application/json", Body: `{"error":"slow_down","error_description":"x"}`}, domain.VendorUnknown, "slow_down"},
		{"no access token", vendortest.Fault{Status: 400, ContentType: "application/json", Body: `{}`}, domain.VendorBadResponse, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			f := tt.fault
			f.PathPrefix = "/access_token"
			e.sim.InjectFault(f)
			ve := e.WantVendor(e.call(), tt.kind)
			if ve.Code != tt.code || ve.Status != f.Status {
				t.Errorf("code %q status %d, want %q %d", ve.Code, ve.Status, tt.code, f.Status)
			}
			if strings.Contains(ve.Error(), "boom") || strings.Contains(ve.Error(), "busy") {
				t.Errorf("error %q repeats the vendor's text", ve)
			}
			if a := e.authorization(); a.State != domain.AuthorizationActive {
				t.Errorf("after: %+v", a)
			}
			e.Must(e.call())
		})
	}
}

// The app secret refused on refresh is VendorAuth, remembered for a while
// rather than sent on every call.
func TestRefreshWrongSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ad := e.newAdapter(func(c *meihua.Config) { c.AppSecret = "mh-WRONG-SECRET-2" })
	for range 2 {
		_, err := ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 5})
		if ve := e.WantVendor(err, domain.VendorAuth); ve.Code != "invalid_client" {
			t.Errorf("code %q", ve.Code)
		}
		if strings.Contains(err.Error(), "mh-WRONG-SECRET-2") {
			t.Errorf("error %q shows the secret", err)
		}
	}
	if n := e.sim.RefreshCalls(); n != 1 {
		t.Errorf("%d refreshes, want 1 (the refusal is remembered)", n)
	}
}

// expires_in is an absolute time; other forms are not trusted beyond the
// documented 24 hours, and the tokens are kept.
func TestTokenExpiryForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		expiresIn func(now time.Time) string
		valid     time.Duration // still used after this long
		stale     time.Duration // refreshed after this long
	}{
		{"absolute milliseconds", func(now time.Time) string { return itoa(now.Add(2 * time.Hour).UnixMilli()) }, time.Hour, 2 * time.Hour},
		{"as a string", func(now time.Time) string { return `"` + itoa(now.Add(2*time.Hour).UnixMilli()) + `"` }, time.Hour, 2 * time.Hour},
		{"seconds of lifetime", func(time.Time) string { return "7200" }, time.Hour, 2 * time.Hour},
		{"in the past", func(now time.Time) string { return itoa(now.Add(-time.Hour).UnixMilli()) }, 23 * time.Hour, 24 * time.Hour},
		{"years away", func(now time.Time) string { return itoa(now.AddDate(5, 0, 0).UnixMilli()) }, 23 * time.Hour, 24 * time.Hour},
		{"missing", func(time.Time) string { return "null" }, 23 * time.Hour, 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			// A real access token of the simulator's (valid 24 hours), answered
			// with the expiry under test.
			access, refresh := e.sim.Grant()
			e.watch.Secret(access, refresh)
			body := `{"access_token":"` + access + `","refresh_token":"` + refresh + `","expires_in":` + tt.expiresIn(e.clock.Now()) + `}`
			e.sim.InjectFault(vendortest.Fault{PathPrefix: "/access_token", Status: 200, ContentType: "application/json", Body: body})
			e.Must(e.call())
			e.clock.Advance(tt.valid)
			e.Must(e.call())
			if n := e.sim.RefreshCalls(); n != 1 {
				t.Errorf("%d refreshes within the token's life, want 1", n)
			}
			e.clock.Advance(tt.stale - tt.valid)
			e.Must(e.call())
			if n := e.sim.RefreshCalls(); n != 2 {
				t.Errorf("%d refreshes once the token is stale, want 2", n)
			}
		})
	}
}

func itoa(n int64) string { return idStr(n) }

// Two replicas of one connection, on one shared store, refresh once.
func TestRefreshOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other := e.newAdapter(nil)
	ctx := context.Background()
	done := make(chan error, 2)
	for _, ad := range []*meihua.Adapter{e.ad, other} {
		go func() {
			_, err := ad.ListTags(ctx, domain.TagQuery{}, domain.PageRequest{Limit: 5})
			done <- err
		}()
	}
	for range 2 {
		e.Must(<-done)
	}
	if n := e.sim.RefreshCalls(); n != 1 {
		t.Errorf("%d refreshes for two replicas, want 1", n)
	}
}

// A connection without a redirect URI (the tenants file requires one)
// serves calls on its refresh token but cannot be connected.
func TestWithoutRedirectURI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ad := e.newAdapter(func(c *meihua.Config) { c.RedirectURI = "" })
	_, err := ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 5})
	e.Must(err)
	err = ad.CompleteAuthorization(t.Context(), "code")
	e.record(err)
	if err == nil || e.sim.CodeExchanges() != 0 {
		t.Errorf("exchange without a redirect URI: %v, %d sent", err, e.sim.CodeExchanges())
	}
	if u, redirect := ad.AuthorizeURL("s"); redirect != "" || strings.Contains(u, "redirect_uri") {
		t.Errorf("authorize %q %q", u, redirect)
	}
}

// A refresh is never sent twice, even to a vendor that fails in a way the
// client retries: the refresh token may be spent on receipt.
func TestRefreshSentOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *envConfig) {
		c.ad.Client.Retry = vendorhttp.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}
	})
	e.sim.InjectFault(vendortest.Fault{PathPrefix: "/access_token", Status: 503, Times: 3})
	// An Idempotency-Key makes the caller's writes retryable: not the
	// refresh they wait for.
	_, err := e.ad.ListTags(domain.WithRetrySafe(t.Context()), domain.TagQuery{}, domain.PageRequest{Limit: 5})
	e.WantVendor(err, domain.VendorBadResponse)
	if n := e.sim.RefreshCalls(); n != 1 {
		t.Errorf("%d refresh requests, want 1", n)
	}
	// The API calls themselves are retried as usual.
	e.sim.ClearFaults()
	e.Must(e.call())
	e.sim.InjectFault(vendortest.Fault{PathPrefix: "/contact/tag/all", Status: 503, Times: 1})
	e.Must(e.call())
}
