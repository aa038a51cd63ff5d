package app_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestRefusedCallersDoNotGetToTheBody: over real HTTP, a body over the
// limit from a caller that may not make the call is answered for the
// caller (401 or 403), not with 413: the key, the scope and the tenant are
// checked from the headers before the body counts. Before, every one of
// these was a 413.
func TestRefusedCallersDoNotGetToTheBody(t *testing.T) {
	e := newEnv(t)
	big := `{"name":"` + strings.Repeat("x", 5<<20) + `"}`
	for _, c := range []struct {
		name, key, tenant string
		status            int
		code              string
	}{
		{"no key", "", tenantLF, http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"wrong key", "sk_wrong", tenantLF, http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"read-only key writing", keyReader, tenantLF, http.StatusForbidden, "INSUFFICIENT_SCOPE"},
		{"ungranted tenant", keyOther, tenantLF, http.StatusForbidden, "TENANT_FORBIDDEN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.do(req{method: http.MethodPost, path: "/v1/groups", key: c.key, tenant: c.tenant, body: big}).problem(t, c.status, c.code)
		})
	}
}

// TestUnknownFieldsAreErrors: a request body member the spec does not
// define is a 400 naming it, at any depth, never silently dropped; the
// free-form maps (custom_fields, event properties, passthrough query and
// body) still take any key. Before, `{"job_titel": …}` was a 200 that
// changed nothing.
func TestUnknownFieldsAreErrors(t *testing.T) {
	e := newEnv(t)
	contact, group := e.firstContact(), e.firstGroup()
	for _, c := range []struct {
		name, method, path string
		body               string
		fields             []string
	}{
		{"patch typo", http.MethodPatch, "/v1/contacts/" + contact, `{"job_titel": "Manager"}`, []string{"body.job_titel"}},
		{"patch typos", http.MethodPatch, "/v1/contacts/" + contact, `{"job_title": "x", "nmae": "y", "emial": "z"}`, []string{"body.emial", "body.nmae"}},
		{"patch read-only field", http.MethodPatch, "/v1/contacts/" + contact, `{"id": "lf_5", "external_ids": []}`, []string{"body.external_ids", "body.id"}},
		{"create nested", http.MethodPost, "/v1/contacts",
			`{"name": "x", "address": {"city": "南京", "zip": "1"}, "external_ids": [{"channel": "c", "id": "1", "kind": "x"}]}`,
			[]string{"body.address.zip", "body.external_ids.0.kind"}},
		{"batch item", http.MethodPost, "/v1/contacts/batch",
			`{"items": [{"name": "a"}, {"name": "b", "mobile": "1"}], "mode": "merge"}`, []string{"body.items.1.mobile", "body.mode"}},
		{"group", http.MethodPost, "/v1/groups", `{"name": "g", "description": "d"}`, []string{"body.description"}},
		{"members", http.MethodPost, "/v1/groups/" + group + "/members", `{"contact_ids": ["` + contact + `"], "ids": []}`, []string{"body.ids"}},
		{"event utm", http.MethodPost, "/v1/events", `{"event": "UDE_X", "contact_id": "` + contact + `", "utm": {"source": "s", "camapign": "c"}}`, []string{"body.utm.camapign"}},
		{"passthrough", http.MethodPost, "/v1/passthrough", `{"method": "GET", "path": "/open/orders", "headers": {"X": "y"}}`, []string{"body.headers"}},
		{"tag", http.MethodPost, "/v1/tags", `{"name": "t", "color": "red"}`, []string{"body.color"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.sim.ResetRequests()
			p := e.send(c.method, c.path, c.body).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
			errs, _ := p["errors"].([]any)
			var got []string
			for _, fe := range errs {
				m := fe.(map[string]any)
				got = append(got, m["field"].(string))
				if m["message"] != "is not a known field" {
					t.Errorf("%s: message %q", m["field"], m["message"])
				}
			}
			if strings.Join(got, ",") != strings.Join(c.fields, ",") {
				t.Fatalf("fields %v, want %v; body %v", got, c.fields, p)
			}
			if n := len(e.sim.Requests()); n != 0 {
				t.Errorf("%d requests reached the vendor", n)
			}
		})
	}
	// Free-form maps take any key: these reach the vendor.
	e.send(http.MethodPatch, "/v1/contacts/"+contact, `{"custom_fields": {"attr1": "单身"}}`).ok(t, http.StatusOK)
	e.send(http.MethodPost, "/v1/passthrough", `{"method": "GET", "path": "/open/orders", "query": {"lastMaxId": ["0"], "anything": ["x"]}}`).ok(t, http.StatusOK)
	e.send(http.MethodPost, "/v1/events", `{"event": "UDE_X", "contact_id": "`+contact+`", "properties": {"attr1": "a", "attr2": "b"}}`).ok(t, http.StatusCreated)
}
