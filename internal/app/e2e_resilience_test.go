package app_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// vendorCalls counts the simulator's requests other than token calls.
func vendorCalls(sim *linkflowtest.Server) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Path != "/token" {
			n++
		}
	}
	return n
}

func withLinkflow(f func(*vendorhttp.Settings)) func(*config.Config) {
	return func(c *config.Config) {
		s := c.Vendors[domain.Vendor("linkflow")]
		f(&s)
		c.Vendors[domain.Vendor("linkflow")] = s
	}
}

// connection returns the tenant's connection of vendor from the admin API.
func (e *env) connection(tenant string, v domain.Vendor) map[string]any {
	e.t.Helper()
	ti := e.do(req{method: http.MethodGet, path: "/admin/v1/tenants/" + tenant, key: keyAll}).ok(e.t, http.StatusOK)
	for _, c := range ti["connections"].([]any) {
		if c := c.(map[string]any); c["vendor"] == string(v) {
			return c
		}
	}
	e.t.Fatalf("tenant %s has no %s connection: %v", tenant, v, ti)
	return nil
}

func TestBreakerOpensFailsFastAndRecovers(t *testing.T) {
	tel, err := telemetry.New(context.Background(), telemetry.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	sb, cfg := newSandbox(t, withLinkflow(func(s *vendorhttp.Settings) {
		s.Breaker = vendorhttp.BreakerSettings{Failures: 3, OpenFor: time.Second, HalfOpenProbes: 1}
	}))
	e := serve(t, sb, cfg, app.Options{Telemetry: tel})
	breakerState := func() string {
		return sample(string(e.do(req{method: http.MethodGet, path: "/metrics"}).Body), `cdpgw_breaker_state{tenant="`+tenantLF+`",vendor="linkflow"}`)
	}
	e.get("/v1/groups").ok(t, http.StatusOK) // warm the token
	if b := e.connection(tenantLF, domain.Vendor("linkflow"))["breaker"].(map[string]any); b["state"] != "closed" {
		t.Fatalf("breaker %v", b)
	}
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Times: 1000, Status: 502, ContentType: "text/html", Body: "<html>down</html>"})
	for range 3 {
		e.get("/v1/groups").problem(t, http.StatusServiceUnavailable, "VENDOR_UNAVAILABLE")
	}
	e.sim.ResetRequests()
	r := e.get("/v1/groups")
	p := r.problem(t, http.StatusServiceUnavailable, "CIRCUIT_OPEN")
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 1 {
		t.Fatalf("Retry-After = %q, want the open period's remaining second", r.Header.Get("Retry-After"))
	}
	if p["vendor"] != "linkflow" {
		t.Fatalf("problem %v", p)
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Fatalf("an open breaker let %d requests reach the vendor", n)
	}
	b := e.connection(tenantLF, domain.Vendor("linkflow"))["breaker"].(map[string]any)
	if b["state"] != "open" || b["retry_after_seconds"] == nil {
		t.Fatalf("admin shows breaker %v, want open with retry_after_seconds", b)
	}
	if got := breakerState(); got != "2" {
		t.Fatalf("cdpgw_breaker_state = %q while open, want 2", got)
	}
	// Other tenants' connections have their own breakers.
	e.do(req{method: http.MethodGet, path: "/v1/tags", key: keyAll, tenant: tenantSwitch}).ok(t, http.StatusOK)

	e.sim.ClearFaults()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := e.get("/v1/groups")
		if r.Status == http.StatusOK {
			break
		}
		r.problem(t, http.StatusServiceUnavailable, "CIRCUIT_OPEN")
		if time.Now().After(deadline) {
			t.Fatal("breaker never let a probe through")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if b := e.connection(tenantLF, domain.Vendor("linkflow"))["breaker"].(map[string]any); b["state"] != "closed" {
		t.Fatalf("breaker %v after a good probe, want closed", b)
	}
	if got := breakerState(); got != "0" {
		t.Fatalf("cdpgw_breaker_state = %q once closed, want 0", got)
	}
	if !strings.Contains(e.logs.String(), `"msg":"circuit breaker state changed"`) {
		t.Fatal("breaker changes not logged")
	}
}

func TestBreakerIgnoresVendorClientErrors(t *testing.T) {
	e := newEnv(t, withLinkflow(func(s *vendorhttp.Settings) { s.Breaker.Failures = 2 }))
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Times: 1000, Status: 429, ContentType: "application/json", Body: `{}`})
	for range 4 {
		e.get("/v1/groups").problem(t, http.StatusTooManyRequests, "VENDOR_RATE_LIMITED")
	}
	e.sim.ClearFaults()
	// Linkflow's business errors come with status 500: not a failure either.
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Times: 1000, Status: 500, ContentType: "application/json", Body: `{"status":500,"code":"B00093","message":"x"}`})
	for range 4 {
		e.get("/v1/groups").problem(t, 422, "RESULT_WINDOW_EXCEEDED")
	}
	if b := e.connection(tenantLF, domain.Vendor("linkflow"))["breaker"].(map[string]any); b["state"] != "closed" {
		t.Fatalf("breaker %v", b)
	}
}

func TestRetriesReadsAndKeyedWritesOnly(t *testing.T) {
	e := newEnv(t, withLinkflow(func(s *vendorhttp.Settings) {
		s.Retry = vendorhttp.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}
	}))
	e.get("/v1/groups").ok(t, http.StatusOK)

	// A read meets two 503s and succeeds on the third attempt.
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Times: 2, Status: 503, ContentType: "application/json", Body: `{}`})
	e.get("/v1/groups").ok(t, http.StatusOK)

	// A write without Idempotency-Key is sent once: it may have happened.
	e.sim.ResetRequests()
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/v2/groups", Times: 1, Status: 503, ContentType: "application/json", Body: `{}`})
	e.send(http.MethodPost, "/v1/groups", map[string]any{"name": "no key"}).problem(t, http.StatusServiceUnavailable, "VENDOR_UNAVAILABLE")
	if n := vendorCalls(e.sim); n != 1 {
		t.Fatalf("a write without Idempotency-Key was sent %d times", n)
	}

	// With a key it is retried.
	e.sim.ResetRequests()
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/v2/groups", Times: 1, Status: 503, ContentType: "application/json", Body: `{}`})
	e.do(req{method: http.MethodPost, path: "/v1/groups", key: keyAll, tenant: tenantLF, body: map[string]any{"name": "keyed"},
		headers: map[string]string{"Idempotency-Key": "retry-me"}}).ok(t, http.StatusCreated)
	if n := vendorCalls(e.sim); n != 2 {
		t.Fatalf("a keyed write reached the vendor %d times, want 2 (one failure, one retry)", n)
	}
}

func TestQuotaRefusesBeforeTheVendor(t *testing.T) {
	const n = 4
	e := newEnv(t, withLinkflow(func(s *vendorhttp.Settings) { s.Quota = vendorhttp.Quota{Calls: n, Per: time.Hour} }))
	for range n {
		e.get("/v1/groups").ok(t, http.StatusOK)
	}
	calls := vendorCalls(e.sim)
	r := e.get("/v1/groups")
	r.problem(t, http.StatusTooManyRequests, "VENDOR_RATE_LIMITED")
	ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 3600 {
		t.Fatalf("Retry-After = %q, want the seconds left in the hour", r.Header.Get("Retry-After"))
	}
	if vendorCalls(e.sim) != calls || calls != n {
		t.Fatalf("vendor calls %d then %d, want %d and no more", calls, vendorCalls(e.sim), n)
	}
	// The quota is per tenant connection.
	e.do(req{method: http.MethodGet, path: "/v1/groups", key: keyAll, tenant: tenantSwitch}).ok(t, http.StatusOK)
}

// withLinkflowConnection edits tenant's Linkflow connection.
func withLinkflowConnection(tenant string, edit func(*config.Connection)) func(*config.Config) {
	return func(c *config.Config) {
		for i := range c.Tenants {
			for j := range c.Tenants[i].Connections {
				if c.Tenants[i].ID == tenant && c.Tenants[i].Connections[j].Vendor == domain.Vendor("linkflow") {
					edit(&c.Tenants[i].Connections[j])
				}
			}
		}
	}
}

// withWrongSecret gives tenant's Linkflow connection an app secret the
// vendor refuses.
func withWrongSecret(tenant string) func(*config.Config) {
	return withLinkflowConnection(tenant, func(c *config.Connection) {
		c.Credentials["app_secret"] = config.NewSecret("wrong-secret")
	})
}

// TestWrongCredentialsAreNotHammered: with a wrong app secret, eleven
// requests cost one vendor token call; the others are refused from
// memory with VENDOR_AUTH_FAILED and a Retry-After, counted in a metric
// and shown in the admin view.
func TestWrongCredentialsAreNotHammered(t *testing.T) {
	sb, cfg := newSandbox(t, withWrongSecret(tenantLF))
	tel, err := telemetry.New(context.Background(), telemetry.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	e := serve(t, sb, cfg, app.Options{Telemetry: tel})
	for i := range 11 {
		r := e.get("/v1/groups")
		p := r.problem(t, http.StatusBadGateway, "VENDOR_AUTH_FAILED")
		if p["vendor"] != "linkflow" || strings.Contains(string(r.Body), "wrong-secret") {
			t.Fatalf("problem %s", r.Body)
		}
		if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); i > 0 && (err != nil || ra < 1 || ra > int(vendorhttp.RefusalHold/time.Second)) {
			t.Fatalf("request %d: Retry-After %q, want the seconds until the gateway asks again", i+1, r.Header.Get("Retry-After"))
		}
	}
	if n := e.sim.TokenCalls(); n != 1 {
		t.Fatalf("%d vendor token calls for 11 requests with a wrong secret, want 1", n)
	}
	tok := e.connection(tenantLF, domain.Vendor("linkflow"))["token"].(map[string]any)
	if tok["status"] != "refused" || tok["expires_at"] == nil {
		t.Fatalf("admin shows token %v, want refused until a time", tok)
	}
	metrics := string(e.do(req{method: http.MethodGet, path: "/metrics"}).Body)
	if !strings.Contains(metrics, `cdpgw_vendor_credential_refusals_total{tenant="demo-linkflow",vendor="linkflow"} 10`) {
		t.Fatalf("remembered refusals not counted:\n%s", metrics)
	}
	// Other tenants are not affected.
	e.do(req{method: http.MethodGet, path: "/v1/groups", key: keyAll, tenant: tenantSwitch}).ok(t, http.StatusOK)
}

// TestOneRequestOneBreakerCount: a request to a vendor that is down counts
// once against the breaker, however many attempts it made; its token
// fetch makes at most vendorhttp.TokenAttempts.
func TestOneRequestOneBreakerCount(t *testing.T) {
	e := newEnv(t, withLinkflow(func(s *vendorhttp.Settings) {
		s.Retry = vendorhttp.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}
		s.Breaker = vendorhttp.BreakerSettings{Failures: 5, OpenFor: time.Minute}
	}))
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/token", Times: 1000, Status: 503, ContentType: "text/html", Body: "<html>down</html>"})
	for i := range 4 {
		e.get("/v1/groups").problem(t, http.StatusServiceUnavailable, "VENDOR_UNAVAILABLE")
		if n := e.sim.TokenCalls(); n != vendorhttp.TokenAttempts*(i+1) {
			t.Fatalf("request %d: %d token calls in all, want %d per request", i+1, n, vendorhttp.TokenAttempts)
		}
		if b := e.connection(tenantLF, domain.Vendor("linkflow"))["breaker"].(map[string]any); b["state"] != "closed" {
			t.Fatalf("request %d opened the breaker (failures 5): %v", i+1, b)
		}
	}
	e.get("/v1/groups").problem(t, http.StatusServiceUnavailable, "VENDOR_UNAVAILABLE")
	e.get("/v1/groups").problem(t, http.StatusServiceUnavailable, "CIRCUIT_OPEN")
	if n := e.sim.TokenCalls(); n != vendorhttp.TokenAttempts*5 {
		t.Fatalf("%d token calls; an open breaker let one through", n)
	}
}
