package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/sandbox"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// API keys of the test gateway, besides the sandbox's sk_sandbox_demo.
const (
	keyAll       = sandbox.APIKey       // every tenant, every scope
	keyReader    = "sk_test_reader"     // read, demo-linkflow
	keyWriter    = "sk_test_writer"     // read+write, demo-linkflow
	keyOther     = "sk_test_other"      // read+write+admin, demo-switch only
	keyAdminOnly = "sk_test_admin_only" // admin, every tenant
	tenantLF     = "demo-linkflow"
	tenantSwitch = sandbox.TenantSwitch
	tenantMeihua = "demo-meihua"
	problemJSON  = "application/problem+json"
	simAppSecret = "sandbox-linkflow-secret"
	simAppKey    = "sandbox-linkflow-key"
)

// env is a gateway served over real HTTP in front of the sandbox's
// simulators, with its JSON logs captured. Every answer do gets is checked
// against the spec (spec).
type env struct {
	t    *testing.T
	url  string
	sb   *sandbox.Sandbox
	cfg  *config.Config
	sim  *linkflowtest.Server // demo-linkflow's simulator
	logs *vendortest.LogBuffer
	spec *specCheck
}

// newEnv starts a sandbox and a gateway in front of it; edit changes the
// configuration first.
func newEnv(t *testing.T, edit ...func(*config.Config)) *env {
	t.Helper()
	sb, cfg := newSandbox(t, edit...)
	return serve(t, sb, cfg, app.Options{})
}

// newSandbox starts the simulators and returns the gateway configuration
// for them, with the test keys added and edit applied.
func newSandbox(t *testing.T, edit ...func(*config.Config)) (*sandbox.Sandbox, *config.Config) {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{Drivers: builtin, Contacts: 40})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	cfg := sb.Config
	cfg.APIKeys = append(cfg.APIKeys,
		key("reader", keyReader, []string{"read"}, tenantLF),
		key("writer", keyWriter, []string{"read", "write"}, tenantLF),
		key("other", keyOther, []string{"read", "write", "admin"}, tenantSwitch),
		key("admin-only", keyAdminOnly, []string{"admin"}, "*"),
	)
	// Retries and breakers are tested on their own (e2e_resilience_test.go):
	// elsewhere every injected fault reaches the caller once.
	for v, s := range cfg.Vendors {
		s.Retry.MaxAttempts, s.Breaker.Failures = 1, 1<<20
		cfg.Vendors[v] = s
	}
	for _, f := range edit {
		f(cfg)
	}
	return sb, cfg
}

// serve runs a gateway for cfg over real HTTP (one replica), capturing its
// logs unless opts has a logger.
func serve(t *testing.T, sb *sandbox.Sandbox, cfg *config.Config, opts app.Options) *env {
	t.Helper()
	logs := &vendortest.LogBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := app.New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL, sb: sb, cfg: cfg, sim: linkflowSim(sb, tenantLF), logs: logs, spec: newSpecCheck(t, opts.Drivers)}
}

// builtin is the gateway's own driver list.
var builtin = func() *vendorhttp.Drivers {
	d, err := app.Drivers()
	if err != nil {
		panic(err)
	}
	return d
}()

// linkflowSim is the Linkflow simulator behind tenant's Linkflow connection.
func linkflowSim(sb *sandbox.Sandbox, tenant string) *linkflowtest.Server {
	sim, _ := sb.Simulator(tenant, linkflow.Driver.Vendor).(*linkflowtest.Server)
	return sim
}

func key(name, raw string, scopes []string, tenants ...string) config.APIKey {
	return config.APIKey{Name: name, SHA256: sha256Sum(raw), Scopes: scopes, Tenants: tenants}
}

// resp is a gateway answer.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as an object.
func (r resp) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object (%v): %s", err, r.Body)
	}
	return m
}

// problem checks r is a problem with this status and code and returns it.
func (r resp) problem(t *testing.T, status int, code string) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != problemJSON {
		t.Fatalf("Content-Type = %q, want %s", ct, problemJSON)
	}
	p := r.JSON(t)
	if p["code"] != code {
		t.Fatalf("code = %v, want %s; body %s", p["code"], code, r.Body)
	}
	if p["status"] != float64(status) || p["type"] == "" || p["title"] == "" || p["request_id"] != r.Header.Get("X-Request-Id") {
		t.Fatalf("incomplete problem: %s", r.Body)
	}
	return p
}

// req is one call to the gateway.
type req struct {
	method  string
	path    string
	key     string
	tenant  string
	body    any // JSON-encoded; a string or []byte is sent as is
	headers map[string]string
}

func (e *env) do(r req) resp {
	e.t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(data)
	}
	hr, err := http.NewRequest(r.method, e.url+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.key != "" {
		hr.Header.Set("Authorization", "Bearer "+r.key)
	}
	if r.tenant != "" {
		hr.Header.Set("X-Tenant-ID", r.tenant)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := resp{Status: res.StatusCode, Header: res.Header, Body: data}
	if err := e.spec.check(hr, out); err != nil {
		e.t.Errorf("%s %s: the answer is not what the spec says: %v\n%d %v\n%s", r.method, r.path, err, out.Status, out.Header, clip(out.Body))
	}
	return out
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// get is a GET as sk_sandbox_demo on demo-linkflow.
func (e *env) get(path string) resp {
	e.t.Helper()
	return e.do(req{method: http.MethodGet, path: path, key: keyAll, tenant: tenantLF})
}

// send is a write as sk_sandbox_demo on demo-linkflow.
func (e *env) send(method, path string, body any) resp {
	e.t.Helper()
	return e.do(req{method: method, path: path, key: keyAll, tenant: tenantLF, body: body})
}

// ok checks the status and decodes the JSON object.
func (r resp) ok(t *testing.T, status int) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); status != http.StatusNoContent && ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	if status == http.StatusNoContent {
		return nil
	}
	return r.JSON(t)
}

// collect pages through a list endpoint of demo-linkflow and returns
// every item's id.
func (e *env) collect(path string, limit int) []string {
	e.t.Helper()
	return e.listAll(tenantLF, path, limit)
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

// listAll pages through path on tenant and returns every id in order.
func (e *env) listAll(tenant, path string, limit int) []string {
	e.t.Helper()
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			e.t.Fatal("paging does not end")
		}
		p := path + sep(path) + "limit=" + itoa(limit)
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		page := e.do(req{method: http.MethodGet, path: p, key: keyAll, tenant: tenant}).ok(e.t, http.StatusOK)
		data := page["data"].([]any)
		if len(data) > limit {
			e.t.Fatalf("a page of %d items for limit %d", len(data), limit)
		}
		for _, it := range data {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		if cursor, _ = page["next_cursor"].(string); cursor == "" {
			return ids
		}
	}
}

// sample returns the value of the Prometheus sample whose series (name
// and labels, as written) is series, or "" when metrics has none.
func sample(metrics, series string) string {
	for line := range strings.Lines(metrics) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			return v
		}
	}
	return ""
}
