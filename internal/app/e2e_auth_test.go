package app_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cdp-gateway/cdp-gateway/api"
)

// operation is one operation of the spec, ready to call.
type operation struct {
	id      string
	method  string
	path    string // path parameters filled in
	body    any    // the spec's request example
	tenant  bool   // takes X-Tenant-ID
	scopes  []string
	isAdmin bool
}

// specOperations lists every operation of api/openapi.yaml, with ids of
// demo-linkflow in the path and the spec's own request example as body.
func specOperations(t *testing.T, contactID, groupID string) []operation {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	var ops []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := operation{id: op.OperationID, method: method, isAdmin: strings.HasPrefix(path, "/admin/")}
			filled := strings.NewReplacer("{contact_id}", contactID, "{group_id}", groupID, "{tag_id}", "lf_1",
				"{tag_group_id}", "lf_1", "{tenant}", tenantLF, "{job}", "job_aaaaaaaaaaaaaaaaaaaaaaaaaa").Replace(path)
			o.path = filled
			for _, p := range append(item.Parameters, op.Parameters...) {
				if p.Value.In == "header" && p.Value.Name == "X-Tenant-ID" {
					o.tenant = true
				}
			}
			if raw, ok := op.Extensions["x-required-scopes"].([]any); ok {
				for _, s := range raw {
					o.scopes = append(o.scopes, s.(string))
				}
			}
			if op.RequestBody != nil {
				// An import's body (NDJSON) goes as the harness sends
				// every body, as JSON: refused after the access checks.
				for _, ct := range []string{"application/json", "application/x-ndjson"} {
					if mt := op.RequestBody.Value.Content.Get(ct); mt != nil {
						o.body = mt.Example
						break
					}
				}
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	if len(ops) < 30 {
		t.Fatalf("only %d operations found in the spec", len(ops))
	}
	return ops
}

func (e *env) firstContact() string {
	e.t.Helper()
	page := e.get("/v1/contacts?limit=1").ok(e.t, http.StatusOK)
	return page["data"].([]any)[0].(map[string]any)["id"].(string)
}

func (e *env) firstGroup() string {
	e.t.Helper()
	page := e.get("/v1/groups?limit=1").ok(e.t, http.StatusOK)
	return page["data"].([]any)[0].(map[string]any)["id"].(string)
}

// TestTenantIsolationEveryEndpoint calls every tenant operation with a key
// granted only demo-switch, on demo-linkflow and on an unknown tenant: each
// answers 403 TENANT_FORBIDDEN with the same body, and nothing reaches
// demo-linkflow's vendor. The same call with a key granted demo-linkflow is
// not refused, so the check cannot pass by refusing everything.
func TestTenantIsolationEveryEndpoint(t *testing.T) {
	e := newEnv(t)
	contact, group := e.firstContact(), e.firstGroup()
	for _, op := range specOperations(t, contact, group) {
		if !op.tenant && !op.isAdmin {
			continue // health probes
		}
		t.Run(op.id, func(t *testing.T) {
			e.sim.ResetRequests()
			foreign := e.do(req{method: op.method, path: op.path, key: keyOther, tenant: tenantLF, body: op.body})
			unknown := e.do(req{method: op.method, path: strings.Replace(op.path, tenantLF, "no-such-tenant", 1), key: keyOther, tenant: "no-such-tenant", body: op.body})
			pf := foreign.problem(t, http.StatusForbidden, "TENANT_FORBIDDEN")
			pu := unknown.problem(t, http.StatusForbidden, "TENANT_FORBIDDEN")
			if pf["detail"] != pu["detail"] || pf["title"] != pu["title"] {
				t.Errorf("unknown and ungranted tenants answer differently:\n%s\n%s", foreign.Body, unknown.Body)
			}
			if _, ok := pf["vendor"]; ok || foreign.Header.Get("X-Vendor") != "" {
				t.Errorf("a refused call tells the tenant's vendor: %v %s", foreign.Header, foreign.Body)
			}
			if n := len(e.sim.Requests()); n != 0 {
				t.Errorf("%d requests reached demo-linkflow's vendor", n)
			}
			granted := e.do(req{method: op.method, path: op.path, key: keyAll, tenant: tenantLF, body: op.body, headers: map[string]string{"Idempotency-Key": "iso-" + op.id}})
			if granted.Status == http.StatusForbidden || granted.Status == http.StatusUnauthorized {
				t.Errorf("granted key refused: %d %s", granted.Status, granted.Body)
			}
		})
	}
}

// TestAuthentication: no key, a wrong key, a malformed header — 401 with
// WWW-Authenticate, on every operation that needs a key.
func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	for _, op := range specOperations(t, "lf_1", "lf_1") {
		if !op.tenant && !op.isAdmin {
			continue
		}
		for name, h := range map[string]map[string]string{
			"no key":    nil,
			"wrong key": {"Authorization": "Bearer sk_wrong"},
			"basic":     {"Authorization": "Basic c2tfc2FuZGJveF9kZW1vOg=="},
			"empty":     {"Authorization": "Bearer "},
		} {
			t.Run(op.id+"/"+name, func(t *testing.T) {
				r := e.do(req{method: op.method, path: op.path, tenant: tenantLF, body: op.body, headers: h})
				r.problem(t, http.StatusUnauthorized, "UNAUTHENTICATED")
				if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
				}
			})
		}
	}
}

// TestScopes: every operation needs the scope its x-required-scopes names.
func TestScopes(t *testing.T) {
	e := newEnv(t)
	for _, op := range specOperations(t, "lf_1", "lf_1") {
		if !op.tenant && !op.isAdmin {
			continue
		}
		t.Run(op.id, func(t *testing.T) {
			for _, k := range []struct {
				key    string
				scopes []string
			}{{keyReader, []string{"read"}}, {keyWriter, []string{"read", "write"}}, {keyAdminOnly, []string{"admin"}}} {
				has := true
				for _, s := range op.scopes {
					if !contains(k.scopes, s) {
						has = false
					}
				}
				r := e.do(req{method: op.method, path: op.path, key: k.key, tenant: tenantLF, body: op.body})
				if !has {
					r.problem(t, http.StatusForbidden, "INSUFFICIENT_SCOPE")
				} else if r.Status == http.StatusForbidden || r.Status == http.StatusUnauthorized {
					t.Errorf("key with %v refused %s: %s", k.scopes, op.id, r.Body)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestPassthroughWriteNeedsWriteScope: the spec lets read keys call
// passthrough; only GET is allowed for them.
func TestPassthroughWriteNeedsWriteScope(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"method": "POST", "path": "/v2/groups", "body": map[string]any{"name": "via-passthrough"}}
	e.do(req{method: http.MethodPost, path: "/v1/passthrough", key: keyReader, tenant: tenantLF, body: body}).problem(t, http.StatusForbidden, "INSUFFICIENT_SCOPE")
	got := e.do(req{method: http.MethodPost, path: "/v1/passthrough", key: keyWriter, tenant: tenantLF, body: body}).ok(t, http.StatusOK)
	if got["status"] != float64(200) {
		t.Fatalf("vendor status %v", got)
	}
}

// TestAdminSurface: listing shows only granted tenants; switching checks
// the vendor is configured, bumps the version once and is audited.
func TestAdminSurface(t *testing.T) {
	e := newEnv(t)
	admin := func(method, path string, key string, body any) resp {
		return e.do(req{method: method, path: path, key: key, body: body})
	}
	list := admin(http.MethodGet, "/admin/v1/tenants", keyOther, nil).ok(t, http.StatusOK)
	if data := list["data"].([]any); len(data) != 1 || data[0].(map[string]any)["id"] != tenantSwitch {
		t.Fatalf("key granted demo-switch lists %v", data)
	}
	all := admin(http.MethodGet, "/admin/v1/tenants", keyAdminOnly, nil).ok(t, http.StatusOK)
	if n := len(all["data"].([]any)); n != 5 {
		t.Fatalf("admin sees %d tenants, want 5", n)
	}
	tenant := admin(http.MethodGet, "/admin/v1/tenants/"+tenantSwitch, keyOther, nil).ok(t, http.StatusOK)
	if tenant["vendor"] != "linkflow" || tenant["binding_version"] != float64(1) || len(tenant["connections"].([]any)) != 4 {
		t.Fatalf("tenant = %v", tenant)
	}
	admin(http.MethodPut, "/admin/v1/tenants/"+tenantLF+"/vendor", keyAdminOnly, map[string]any{"vendor": "meihua"}).
		problem(t, http.StatusUnprocessableEntity, "VENDOR_NOT_CONFIGURED")
	admin(http.MethodPut, "/admin/v1/tenants/"+tenantSwitch+"/vendor", keyOther, map[string]any{"vendor": "nosuch"}).
		problem(t, http.StatusBadRequest, "VALIDATION_FAILED")

	sw := admin(http.MethodPut, "/admin/v1/tenants/"+tenantSwitch+"/vendor", keyOther, map[string]any{"vendor": "nxcloud", "reason": "contract moved"}).ok(t, http.StatusOK)
	if sw["vendor"] != "nxcloud" || sw["binding_version"] != float64(2) {
		t.Fatalf("after switch: %v", sw)
	}
	again := admin(http.MethodPut, "/admin/v1/tenants/"+tenantSwitch+"/vendor", keyOther, map[string]any{"vendor": "nxcloud"}).ok(t, http.StatusOK)
	if again["binding_version"] != float64(2) {
		t.Fatalf("switching to the current vendor bumped the version: %v", again)
	}
	audit := 0
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, `"audit":"tenant.switch_vendor"`) {
			audit++
			for _, want := range []string{`"actor":"other"`, `"tenant":"demo-switch"`, `"from":"linkflow"`, `"to":"nxcloud"`, `"binding_version":2`, `"reason":"contract moved"`} {
				if !strings.Contains(line, want) {
					t.Errorf("audit line lacks %s: %s", want, line)
				}
			}
		}
	}
	if audit != 1 {
		t.Fatalf("%d audit lines, want 1", audit)
	}
	// The tenant is now served by NXCloud.
	r := e.do(req{method: http.MethodGet, path: "/v1/capabilities", key: keyOther, tenant: tenantSwitch})
	if r.ok(t, http.StatusOK)["vendor"] != "nxcloud" || r.Header.Get("X-Vendor") != "nxcloud" {
		t.Fatalf("X-Vendor = %q", r.Header.Get("X-Vendor"))
	}
}
