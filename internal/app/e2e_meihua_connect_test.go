package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/sandbox"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// meihuaSim is the Meihua simulator behind tenant's Meihua connection.
func meihuaSim(sb *sandbox.Sandbox, tenant string) *meihuatest.Server {
	sim, _ := sb.Simulator(tenant, meihua.Driver.Vendor).(*meihuatest.Server)
	return sim
}

// mh is a call as sk_sandbox_demo on demo-meihua.
func (e *env) mh(method, path string, body any) resp {
	e.t.Helper()
	return e.do(req{method: method, path: path, key: keyAll, tenant: tenantMeihua, body: body})
}

// authorize runs the connect flow for tenant's Meihua connection up to the
// vendor's redirect and returns its query (code and state, or error).
func (e *env) authorize(tenant string) url.Values {
	e.t.Helper()
	start := e.do(req{method: http.MethodPost, path: "/admin/v1/tenants/" + tenant + "/connections/meihua/authorization", key: keyAll}).ok(e.t, http.StatusOK)
	au := start["authorize_url"].(string)
	if start["tenant"] != tenant || start["vendor"] != "meihua" || !strings.Contains(au, "state="+url.QueryEscape(start["state"].(string))) {
		e.e2eFatal("start answered %v", start)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(au)
	if err != nil {
		e.t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusFound {
		e.e2eFatal("the vendor's authorize page answered %d", res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Path != "/admin/v1/oauth/callback" || start["redirect_uri"] != loc.Scheme+"://"+loc.Host+loc.Path {
		e.e2eFatal("the vendor redirected to %q (redirect_uri %v)", res.Header.Get("Location"), start["redirect_uri"])
	}
	return loc.Query()
}

func (e *env) e2eFatal(format string, args ...any) {
	e.t.Helper()
	e.t.Fatalf(format, args...)
}

// callback passes a redirect's query on to the gateway.
func (e *env) callback(q url.Values, key string) resp {
	e.t.Helper()
	return e.do(req{method: http.MethodGet, path: "/admin/v1/oauth/callback?" + q.Encode(), key: key})
}

// TestMeihuaConnectFlow: start, the vendor's page, the callback, a call;
// then every misuse of the flow, each refused with its own code and
// nothing stored.
func TestMeihuaConnectFlow(t *testing.T) {
	e := newEnv(t)
	sim := meihuaSim(e.sb, tenantMeihua)
	e.mh(http.MethodGet, "/v1/contacts?limit=2", nil).ok(t, http.StatusOK)
	before := sim.RefreshCalls()

	q := e.authorize(tenantMeihua)
	got := e.callback(q, keyAll).ok(t, http.StatusOK)
	if a := got["authorization"].(map[string]any); got["tenant"] != tenantMeihua || got["vendor"] != "meihua" || a["state"] != "authorized" || a["since"] == nil {
		t.Fatalf("callback answered %v", got)
	}
	if sim.CodeExchanges() != 1 {
		t.Fatalf("%d code exchanges, want 1", sim.CodeExchanges())
	}
	// The new authorization's access token is used at once: no refresh.
	e.mh(http.MethodGet, "/v1/contacts?limit=2", nil).ok(t, http.StatusOK)
	if sim.RefreshCalls() != before {
		t.Fatal("a refresh followed the authorization")
	}
	if a := e.connection(tenantMeihua, "meihua")["authorization"].(map[string]any); a["state"] != "authorized" {
		t.Fatalf("admin view: %v", a)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"audit":"tenant.authorize_connection"`) || !strings.Contains(logs, `"actor":"sandbox-demo"`) {
		t.Fatalf("no audit line:\n%s", logs)
	}

	// Misuse. Each leaves the connection as it was: the exchanges the
	// vendor saw do not grow, and calls keep working.
	exchanges := sim.CodeExchanges()
	e.callback(q, keyAll).problem(t, http.StatusBadRequest, "INVALID_OAUTH_STATE") // used
	tampered := url.Values{"state": {q.Get("state") + "x"}, "code": {q.Get("code")}}
	e.callback(tampered, keyAll).problem(t, http.StatusBadRequest, "INVALID_OAUTH_STATE")
	e.callback(url.Values{"state": {"not-a-state"}, "code": {"c"}}, keyAll).problem(t, http.StatusBadRequest, "INVALID_OAUTH_STATE")
	e.callback(url.Values{"code": {"c"}}, keyAll).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")

	// A key not granted the state's tenant.
	q = e.authorize(tenantMeihua)
	e.callback(q, keyOther).problem(t, http.StatusForbidden, "TENANT_FORBIDDEN")
	e.callback(q, keyReader).problem(t, http.StatusForbidden, "INSUFFICIENT_SCOPE")
	e.callback(q, "").problem(t, http.StatusUnauthorized, "UNAUTHENTICATED")
	// The vendor's error in the redirect.
	sim.DenyNextAuthorization("access_denied", "the owner said no")
	q = e.authorize(tenantMeihua)
	if q.Get("error") != "access_denied" || q.Get("code") != "" {
		t.Fatalf("denied redirect %v", q)
	}
	p := e.callback(q, keyAll).problem(t, http.StatusUnprocessableEntity, "AUTHORIZATION_DENIED")
	if p["vendor_code"] != "access_denied" || strings.Contains(string(mustJSON(p)), "the owner said no") {
		t.Fatalf("denied: %v", p)
	}
	// The vendor refuses the code ({"error":"invalid_grant"}).
	q = e.authorize(tenantMeihua)
	q.Set("code", "a-code-the-vendor-never-issued")
	p = e.callback(q, keyAll).problem(t, http.StatusUnprocessableEntity, "VENDOR_REJECTED")
	if p["vendor_code"] != "invalid_grant" {
		t.Fatalf("refused code: %v", p)
	}
	e.callback(q, keyAll).problem(t, http.StatusBadRequest, "INVALID_OAUTH_STATE") // spent by the failure
	if n := sim.CodeExchanges(); n != exchanges+1 {
		t.Fatalf("%d code exchanges after the misuse, want %d: only the refused code reached the vendor", n, exchanges+1)
	}
	e.mh(http.MethodGet, "/v1/contacts?limit=2", nil).ok(t, http.StatusOK)
	if a := e.connection(tenantMeihua, "meihua")["authorization"].(map[string]any); a["state"] != "authorized" {
		t.Fatalf("admin view after the misuse: %v", a)
	}

	// Starting: vendors without OAuth, vendors not configured, tenants not granted.
	start := func(tenant, vendor, key string) resp {
		return e.do(req{method: http.MethodPost, path: "/admin/v1/tenants/" + tenant + "/connections/" + vendor + "/authorization", key: key})
	}
	start(tenantLF, "linkflow", keyAll).problem(t, http.StatusNotImplemented, "UNSUPPORTED_OPERATION")
	start(tenantLF, "meihua", keyAll).problem(t, http.StatusUnprocessableEntity, "VENDOR_NOT_CONFIGURED")
	start(tenantMeihua, "meihua", keyOther).problem(t, http.StatusForbidden, "TENANT_FORBIDDEN")
	start("no-such-tenant", "meihua", keyAll).problem(t, http.StatusForbidden, "TENANT_FORBIDDEN")
	start(tenantMeihua, "meihua", keyWriter).problem(t, http.StatusForbidden, "INSUFFICIENT_SCOPE")
	start(tenantMeihua, "acme", keyAll).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
	// demo-switch reaches its own Meihua connection, with its own state.
	sq := e.authorize(tenantSwitch)
	e.callback(sq, keyOther).ok(t, http.StatusOK)
}

// TestMeihuaReauthorizationRequired: a refused refresh token ends the
// connection's authorization. Calls answer VENDOR_REAUTHORIZATION_REQUIRED
// without calling the vendor, the admin view and a metric show it, and a
// new connection ends it.
func TestMeihuaReauthorizationRequired(t *testing.T) {
	sb, cfg := newSandbox(t)
	tel, err := telemetry.New(context.Background(), telemetry.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	e := serve(t, sb, cfg, app.Options{Telemetry: tel})
	sim := meihuaSim(sb, tenantMeihua)
	e.mh(http.MethodGet, "/v1/tags?limit=1", nil).ok(t, http.StatusOK)
	sim.RevokeRefreshTokens()
	sim.ExpireAccessTokens()
	refreshes := sim.RefreshCalls()
	for range 3 {
		p := e.mh(http.MethodGet, "/v1/tags?limit=1", nil).problem(t, http.StatusBadGateway, "VENDOR_REAUTHORIZATION_REQUIRED")
		if p["vendor"] != "meihua" || p["vendor_code"] != "refresh_token_rejected" {
			t.Fatalf("problem %v", p)
		}
	}
	if n := sim.RefreshCalls(); n != refreshes+1 {
		t.Fatalf("%d refresh calls for 3 requests, want 1: nothing is sent after the refusal", n-refreshes)
	}
	a := e.connection(tenantMeihua, "meihua")["authorization"].(map[string]any)
	if a["state"] != "reauthorization_required" || a["reason"] != "refresh_token_rejected" || a["since"] == nil {
		t.Fatalf("admin view %v", a)
	}
	metrics := string(e.do(req{method: http.MethodGet, path: "/metrics"}).Body)
	if !strings.Contains(metrics, `cdpgw_vendor_reauthorizations_required_total{`) || !strings.Contains(metrics, `reason="refresh_token_rejected"`) {
		t.Fatalf("no reauthorization metric:\n%s", metrics)
	}
	e.callback(e.authorize(tenantMeihua), keyAll).ok(t, http.StatusOK)
	e.mh(http.MethodGet, "/v1/tags?limit=1", nil).ok(t, http.StatusOK)
}

// TestMeihuaRefreshAnswerLost: the vendor rotates the refresh token but
// its answer never arrives. The gateway does not resend it blindly: the
// connection shows refresh_unconfirmed, the next call sends it once more
// as a probe, the vendor refuses the rotated token, and the connection
// needs reauthorization (refresh_answer_lost), with no further refresh.
func TestMeihuaRefreshAnswerLost(t *testing.T) {
	e := newEnv(t)
	sim := meihuaSim(e.sb, tenantMeihua)
	e.mh(http.MethodGet, "/v1/tags?limit=1", nil).ok(t, http.StatusOK)
	refreshes := sim.RefreshCalls()
	sim.ExpireAccessTokens()
	sim.InjectFault(vendortest.Fault{PathPrefix: "/access_token", Times: 1, AfterHandler: true, Drop: true})
	e.mh(http.MethodGet, "/v1/tags?limit=1", nil).problem(t, http.StatusServiceUnavailable, "VENDOR_UNAVAILABLE")
	if a := e.connection(tenantMeihua, "meihua")["authorization"].(map[string]any); a["state"] != "refresh_unconfirmed" {
		t.Fatalf("after the lost answer: %v", a)
	}
	p := e.mh(http.MethodGet, "/v1/tags?limit=1", nil).problem(t, http.StatusBadGateway, "VENDOR_REAUTHORIZATION_REQUIRED")
	if p["vendor_code"] != "refresh_answer_lost" {
		t.Fatalf("probe: %v", p)
	}
	e.mh(http.MethodGet, "/v1/tags?limit=1", nil).problem(t, http.StatusBadGateway, "VENDOR_REAUTHORIZATION_REQUIRED")
	if n := sim.RefreshCalls() - refreshes; n != 2 {
		t.Fatalf("%d refresh calls, want 2: the lost one and one probe", n)
	}
	if !strings.Contains(e.logs.String(), "answer to a refresh was lost") {
		t.Fatal("the lost answer was not logged")
	}
}

// TestMeihuaRotationStampede: three cold replicas on one Redis, 500
// concurrent requests for demo-meihua: exactly one refresh call reaches
// the vendor, which rotates the refresh token, and no request fails.
func TestMeihuaRotationStampede(t *testing.T) {
	c := newCluster(t, 3, roomForStampede)
	sim := meihuaSim(c.sb, tenantMeihua)
	if sim.RefreshCalls() != 0 {
		t.Fatal("the simulator was warm")
	}
	c.stampede(t, tenantMeihua, "/v1/tags?limit=1", 500)
	if n := sim.RefreshCalls(); n != 1 {
		t.Fatalf("%d refresh calls for 500 requests on 3 cold replicas, want 1", n)
	}
	// Later, with the access token gone everywhere, one refresh again with
	// the rotated refresh token (never the first one).
	sim.ExpireAccessTokens()
	for _, e := range c.replicas {
		e.do(req{method: http.MethodGet, path: "/v1/tags?limit=1", key: keyAll, tenant: tenantMeihua}).ok(t, http.StatusOK)
	}
	if n := sim.RefreshCalls(); n != 2 {
		t.Fatalf("%d refresh calls after the tokens expired, want 2", n)
	}
}
