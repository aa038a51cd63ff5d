package app_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestIDsHaveOneSpelling: Linkflow ids are integers, so "lf_4" is the one
// spelling of contact 4. Other spellings ("lf_04", "lf_+4") are refused
// with a 400 naming the field, in paths, queries and bodies, and nothing
// reaches the vendor; before, they were served as contact 4 (or sent to
// the vendor as typed) under a second id.
func TestIDsHaveOneSpelling(t *testing.T) {
	e := newEnv(t)
	contact, group := e.firstContact(), e.firstGroup()
	native := strings.TrimPrefix(contact, "lf_")
	// The canonical spelling works: what follows is about the spelling.
	e.get("/v1/contacts/"+contact).ok(t, http.StatusOK)

	for _, c := range []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"leading zero", http.MethodGet, "/v1/contacts/lf_0" + native, nil, "path.contact_id"},
		{"many zeros", http.MethodGet, "/v1/contacts/lf_0000" + native, nil, "path.contact_id"},
		{"plus sign", http.MethodGet, "/v1/contacts/lf_+" + native, nil, "path.contact_id"},
		{"patch", http.MethodPatch, "/v1/contacts/lf_00" + native, map[string]any{"job_title": "x"}, "path.contact_id"},
		{"query filter", http.MethodGet, "/v1/contacts?group_id=lf_0" + strings.TrimPrefix(group, "lf_"), nil, "query.group_id"},
		{"group path", http.MethodGet, "/v1/groups/lf_0" + strings.TrimPrefix(group, "lf_") + "/members", nil, "path.group_id"},
		{"body list", http.MethodPost, "/v1/groups/" + group + "/members", map[string]any{"contact_ids": []string{contact, "lf_0" + native}}, "body.contact_ids[1]"},
		{"event contact", http.MethodPost, "/v1/events", map[string]any{"event": "UDE_X", "contact_id": "lf_0" + native}, "body.contact_id"},
		{"not a number", http.MethodGet, "/v1/contacts/lf_abc", nil, "path.contact_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.sim.ResetRequests()
			r := e.do(req{method: c.method, path: c.path, key: keyAll, tenant: tenantLF, body: c.body})
			p := r.problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
			errs, _ := p["errors"].([]any)
			if len(errs) != 1 || errs[0].(map[string]any)["field"] != c.field {
				t.Fatalf("errors = %v, want one naming %s", p["errors"], c.field)
			}
			if msg, _ := errs[0].(map[string]any)["message"].(string); !strings.Contains(msg, "leading zeros") {
				t.Errorf("message %q does not say what a Linkflow id looks like", msg)
			}
			if n := len(e.sim.Requests()); n != 0 {
				t.Errorf("%d requests reached the vendor with a non-canonical id", n)
			}
		})
	}
}
