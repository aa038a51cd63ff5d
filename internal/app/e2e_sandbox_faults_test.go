package app_test

import (
	"net/http"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/app"
)

// TestSandboxFaultSwitch: in the sandbox, X-Sandbox-Fault makes the
// tenant's simulated vendor fail the request's calls as named, on every
// vendor, so that a frontend can try its error paths; a gateway outside
// the sandbox refuses the header.
func TestSandboxFaultSwitch(t *testing.T) {
	sb, cfg := newSandbox(t)
	e := serve(t, sb, cfg, app.Options{SandboxFaults: true})
	calls := map[string]string{tenantLF: "/v1/tags?limit=1", tenantMeihua: "/v1/tags?limit=1", tenantNX: "/v1/contacts?limit=1", tenantMK: "/v1/tag-groups"}
	for tenant, path := range calls {
		e.do(req{method: http.MethodGet, path: path, key: keyAll, tenant: tenant}).ok(t, http.StatusOK)
		for fault, want := range map[string]struct {
			status int
			code   string
		}{
			"429":         {429, "VENDOR_RATE_LIMITED"},
			"503":         {503, "VENDOR_UNAVAILABLE"},
			"504":         {504, "VENDOR_TIMEOUT"},
			"vendor-html": {502, "VENDOR_BAD_RESPONSE"},
		} {
			r := e.do(req{method: http.MethodGet, path: path, key: keyAll, tenant: tenant, headers: map[string]string{"X-Sandbox-Fault": fault}})
			r.problem(t, want.status, want.code)
		}
		e.do(req{method: http.MethodGet, path: path, key: keyAll, tenant: tenant}).ok(t, http.StatusOK)
	}
	e.do(req{method: http.MethodGet, path: "/v1/tags", key: keyAll, tenant: tenantLF, headers: map[string]string{"X-Sandbox-Fault": "meteor"}}).
		problem(t, http.StatusBadRequest, "VALIDATION_FAILED")

	outside := newEnv(t)
	p := outside.do(req{method: http.MethodGet, path: "/v1/tags", key: keyAll, tenant: tenantLF, headers: map[string]string{"X-Sandbox-Fault": "503"}}).
		problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
	if p["errors"].([]any)[0].(map[string]any)["field"] != "header.X-Sandbox-Fault" {
		t.Fatalf("problem %v", p)
	}
}
