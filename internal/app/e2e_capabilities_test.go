package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/sandbox"
)

// capabilityCalls is one well-formed request per tenant operation, with
// ids of the tenant's vendor (cid: a contact, tid: a tag, xid: any other
// record). An operation the vendor lacks must answer 501 to it.
var capabilityCalls = map[string]struct {
	method, path string
	body         any
}{
	"listContacts":        {http.MethodGet, "/v1/contacts", nil},
	"getContact":          {http.MethodGet, "/v1/contacts/{cid}", nil},
	"createContact":       {http.MethodPost, "/v1/contacts", map[string]any{"name": "x"}},
	"updateContact":       {http.MethodPatch, "/v1/contacts/{cid}", map[string]any{"note": "x"}},
	"deleteContact":       {http.MethodDelete, "/v1/contacts/{cid}", nil},
	"batchUpsertContacts": {http.MethodPost, "/v1/contacts/batch", map[string]any{"items": []any{map[string]any{"name": "x"}}}},
	"setContactTags":      {http.MethodPut, "/v1/contacts/{cid}/tags", map[string]any{"tag_ids": []string{}}},
	"listContactGroups":   {http.MethodGet, "/v1/contacts/{cid}/groups", nil},
	"listContactEvents":   {http.MethodGet, "/v1/contacts/{cid}/events", nil},
	"recordEvent":         {http.MethodPost, "/v1/events", map[string]any{"event": "X", "contact_id": "{cid}"}},
	"listTags":            {http.MethodGet, "/v1/tags", nil},
	"createTag":           {http.MethodPost, "/v1/tags", map[string]any{"name": "x"}},
	"renameTag":           {http.MethodPatch, "/v1/tags/{tid}", map[string]any{"name": "x"}},
	"deleteTag":           {http.MethodDelete, "/v1/tags/{tid}", nil},
	"listTagGroups":       {http.MethodGet, "/v1/tag-groups", nil},
	"createTagGroup":      {http.MethodPost, "/v1/tag-groups", map[string]any{"name": "x"}},
	"renameTagGroup":      {http.MethodPatch, "/v1/tag-groups/{xid}", map[string]any{"name": "x"}},
	"deleteTagGroup":      {http.MethodDelete, "/v1/tag-groups/{xid}", nil},
	"listGroups":          {http.MethodGet, "/v1/groups", nil},
	"getGroup":            {http.MethodGet, "/v1/groups/{xid}", nil},
	"createGroup":         {http.MethodPost, "/v1/groups", map[string]any{"name": "x"}},
	"deleteGroup":         {http.MethodDelete, "/v1/groups/{xid}", nil},
	"listGroupMembers":    {http.MethodGet, "/v1/groups/{xid}/members", nil},
	"addGroupMembers":     {http.MethodPost, "/v1/groups/{xid}/members", map[string]any{"contact_ids": []string{"{cid}"}}},
	"removeGroupMembers":  {http.MethodPost, "/v1/groups/{xid}/members/remove", map[string]any{"contact_ids": []string{"{cid}"}}},
	"listFields":          {http.MethodGet, "/v1/fields", nil},
	"createField":         {http.MethodPost, "/v1/fields", map[string]any{"label": "x", "type": "text"}},
	"passthrough":         {http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": "/x"}},
}

// demoIDs are well-formed ids of each vendor for capabilityCalls.
var demoIDs = map[string]map[string]string{
	"linkflow": {"{cid}": "lf_1", "{tid}": "lf_1", "{xid}": "lf_1"},
	"meihua":   {"{cid}": "mh_1", "{tid}": "mh_1", "{xid}": "mh_1"},
	"nxcloud":  {"{cid}": "nx_1", "{tid}": "nx_1", "{xid}": "nx_1"},
	"miaokol":  {"{cid}": "mk_1~2", "{tid}": "mk_1", "{xid}": "mk_1"},
}

// TestUnsupportedOperationsAnswer501: on every demo tenant, each
// operation the capabilities call unsupported answers 501
// UNSUPPORTED_OPERATION naming the vendor, before anything is sent to it.
// The capabilities cover every tenant operation.
func TestUnsupportedOperationsAnswer501(t *testing.T) {
	e := newEnv(t)
	for _, d := range builtin.All() {
		tenant := sandbox.DemoTenant(d.Vendor)
		caps := e.do(req{method: http.MethodGet, path: "/v1/capabilities", key: keyAll, tenant: tenant}).ok(t, http.StatusOK)
		ops := caps["operations"].(map[string]any)
		if len(ops) != len(capabilityCalls) {
			t.Fatalf("%s: %d operations in the capabilities, %d in this test", tenant, len(ops), len(capabilityCalls))
		}
		for op, supported := range ops {
			call, ok := capabilityCalls[op]
			if !ok {
				t.Fatalf("no call for %s", op)
			}
			if supported == true {
				continue
			}
			var body any
			path, text := call.path, ""
			if call.body != nil {
				text = string(mustJSON(call.body))
			}
			for k, v := range demoIDs[string(d.Vendor)] {
				path, text = strings.ReplaceAll(path, k, v), strings.ReplaceAll(text, k, v)
			}
			if text != "" {
				body = text
			}
			r := e.do(req{method: call.method, path: path, key: keyAll, tenant: tenant, body: body})
			p := r.problem(t, http.StatusNotImplemented, "UNSUPPORTED_OPERATION")
			if p["vendor"] != string(d.Vendor) || !strings.Contains(p["detail"].(string), op) {
				t.Fatalf("%s %s: %v", tenant, op, p)
			}
		}
	}
}
