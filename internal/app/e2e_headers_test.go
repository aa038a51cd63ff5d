package app_test

import (
	"net/http"
	"testing"
)

// TestPersonalDataIsNotCached: answers carrying personal data are
// Cache-Control: no-store, so neither a shared cache nor the browser keeps
// them; every answer, data or problem, is X-Content-Type-Options: nosniff.
// Before, only problems were no-store and nothing was nosniff.
func TestPersonalDataIsNotCached(t *testing.T) {
	e := newEnv(t)
	contact, group := e.firstContact(), e.firstGroup()
	admin := func(method, path string, body any) resp {
		return e.do(req{method: method, path: path, key: keyAll, body: body})
	}
	for name, r := range map[string]resp{
		"contacts":        e.get("/v1/contacts?limit=2"),
		"contact":         e.get("/v1/contacts/" + contact),
		"contact groups":  e.get("/v1/contacts/" + contact + "/groups"),
		"contact events":  e.get("/v1/contacts/" + contact + "/events"),
		"group members":   e.get("/v1/groups/" + group + "/members"),
		"patch":           e.send(http.MethodPatch, "/v1/contacts/"+contact, map[string]any{"job_title": "经理"}),
		"passthrough":     e.send(http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": "/open/orders", "query": map[string][]string{"lastMaxId": {"0"}}}),
		"tenants":         admin(http.MethodGet, "/admin/v1/tenants", nil),
		"tenant":          admin(http.MethodGet, "/admin/v1/tenants/"+tenantLF, nil),
		"add members":     e.send(http.MethodPost, "/v1/groups/"+group+"/members", map[string]any{"contact_ids": []string{contact}}),
		"record an event": e.send(http.MethodPost, "/v1/events", map[string]any{"event": "UDE_X", "contact_id": contact}),
	} {
		if r.Status/100 != 2 {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", name, cc)
		}
		if v := r.Header.Get("X-Content-Type-Options"); v != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q", name, v)
		}
	}
	for name, r := range map[string]resp{
		"tags":      e.get("/v1/tags"),
		"problem":   e.get("/v1/contacts/lf_999999"),
		"no key":    e.do(req{method: http.MethodGet, path: "/v1/contacts"}),
		"healthz":   e.do(req{method: http.MethodGet, path: "/healthz"}),
		"no route":  e.do(req{method: http.MethodGet, path: "/v2/nothing"}),
		"spec":      e.do(req{method: http.MethodGet, path: "/openapi.yaml"}),
		"metrics":   e.do(req{method: http.MethodGet, path: "/metrics"}),
		"docs page": e.do(req{method: http.MethodGet, path: "/docs/"}),
	} {
		if v := r.Header.Get("X-Content-Type-Options"); v != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q", name, v)
		}
	}
}
