package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
	"github.com/cdp-gateway/cdp-gateway/internal/sandbox"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

const tenantMK = "demo-miaokol"

// mkSim is the Miaokol simulator behind tenant's Miaokol connection.
func mkSim(sb *sandbox.Sandbox, tenant string) *miaokoltest.Server {
	sim, _ := sb.Simulator(tenant, miaokol.Driver.Vendor).(*miaokoltest.Server)
	return sim
}

// mk is a call as sk_sandbox_demo on demo-miaokol.
func (e *env) mk(method, path string, body any) resp {
	e.t.Helper()
	return e.do(req{method: method, path: path, key: keyAll, tenant: tenantMK, body: body})
}

func mkID(id int64) string { return "mk_" + strconv.FormatInt(id, 10) }

// mkContact is the canonical id of a WeCom contact, as a URL path
// segment.
func mkContact(rel, contact string) string {
	esc := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
				b.WriteByte(c)
			} else {
				b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)|0x100, 16)[1:]))
			}
		}
		return b.String()
	}
	return "mk_" + esc(rel) + "~" + esc(contact)
}

// TestMiaokolTagGroupsAndTags: every tag operation, checked at the vendor.
func TestMiaokolTagGroupsAndTags(t *testing.T) {
	e := newEnv(t)
	sim := mkSim(e.sb, tenantMK)
	groups := sim.Groups()
	tgs := e.mk(http.MethodGet, "/v1/tag-groups?limit=100", nil).ok(t, http.StatusOK)["data"].([]any)
	if len(tgs) != len(groups) {
		t.Fatalf("%d tag groups listed, the vendor has %d", len(tgs), len(groups))
	}
	all := 0
	for _, g := range groups {
		all += len(g.Tags)
	}
	tags := e.listAll(tenantMK, "/v1/tags", 100)
	if len(tags) != all {
		t.Fatalf("%d tags listed, the vendor has %d", len(tags), all)
	}
	one := e.listAll(tenantMK, "/v1/tags?group_id="+mkID(groups[0].ID), 100)
	if len(one) != len(groups[0].Tags) {
		t.Fatalf("group %d: %d tags listed, the vendor has %d", groups[0].ID, len(one), len(groups[0].Tags))
	}

	g := e.mk(http.MethodPost, "/v1/tag-groups", map[string]any{"name": "E2E 分组"}).ok(t, http.StatusCreated)
	gid := g["id"].(string)
	e.mk(http.MethodPatch, "/v1/tag-groups/"+gid, map[string]any{"name": "E2E 分组2"}).ok(t, http.StatusOK)
	tag := e.mk(http.MethodPost, "/v1/tags", map[string]any{"name": "E2E 标签", "group_id": gid}).ok(t, http.StatusCreated)
	tid := tag["id"].(string)
	e.mk(http.MethodPatch, "/v1/tags/"+tid, map[string]any{"name": "E2E 标签2"}).ok(t, http.StatusOK)
	found := false
	for _, vg := range sim.Groups() {
		if mkID(vg.ID) == gid {
			found = vg.Name == "E2E 分组2" && len(vg.Tags) == 1 && vg.Tags[0].Name == "E2E 标签2" && mkID(vg.Tags[0].ID) == tid
		}
	}
	if !found {
		t.Fatalf("the vendor has %+v", sim.Groups())
	}

	// A contact's tags: set, then cleared.
	c := sim.Contacts()[0]
	path := "/v1/contacts/" + url.PathEscape(mkContact(c.RelWxid, c.ContactWxid)) + "/tags"
	set := e.mk(http.MethodPut, path, map[string]any{"tag_ids": []string{tid}}).ok(t, http.StatusOK)
	if got, _ := sim.Contact(c.RelWxid, c.ContactWxid); len(got.TagIDs) != 1 || mkID(got.TagIDs[0]) != tid {
		t.Fatalf("answered %v; the vendor has %+v", set, got)
	}
	e.mk(http.MethodPut, path, map[string]any{"tag_ids": []string{}}).ok(t, http.StatusOK)
	if got, _ := sim.Contact(c.RelWxid, c.ContactWxid); len(got.TagIDs) != 0 {
		t.Fatalf("after clearing the vendor has %+v", got)
	}

	e.mk(http.MethodDelete, "/v1/tags/"+tid, nil).ok(t, http.StatusNoContent)
	e.mk(http.MethodDelete, "/v1/tag-groups/"+gid, nil).ok(t, http.StatusNoContent)
	for _, vg := range sim.Groups() {
		if mkID(vg.ID) == gid {
			t.Fatal("the group is still there")
		}
	}
}

// TestMiaokolContactIDs: contact ids with any characters go through,
// and a malformed one is refused before anything is sent.
func TestMiaokolContactIDs(t *testing.T) {
	e := newEnv(t)
	sim := mkSim(e.sb, tenantMK)
	var odd []miaokoltest.Contact
	for _, c := range sim.Contacts() {
		if strings.ContainsAny(c.ContactWxid, "~") || strings.ContainsFunc(c.ContactWxid, func(r rune) bool { return r > 127 }) {
			odd = append(odd, c)
		}
	}
	if len(odd) < 2 {
		t.Fatalf("the demo data has %d contacts with '~' or non-ASCII ids: the test would prove less", len(odd))
	}
	tag := sim.Groups()[0].Tags[0]
	for _, c := range odd {
		path := "/v1/contacts/" + url.PathEscape(mkContact(c.RelWxid, c.ContactWxid)) + "/tags"
		e.mk(http.MethodPut, path, map[string]any{"tag_ids": []string{mkID(tag.ID)}}).ok(t, http.StatusOK)
		if got, _ := sim.Contact(c.RelWxid, c.ContactWxid); len(got.TagIDs) != 1 || got.TagIDs[0] != tag.ID {
			t.Fatalf("%q: the vendor has %+v", c.ContactWxid, got)
		}
	}
	before := len(sim.Requests())
	for _, bad := range []string{"mk_abc", "mk_a~b~c", "mk_~b", "mk_a~", "mk_a%7eb~c", "mk_a%41~c", "mk_a%2~c", "mk_a%ZZ~c"} {
		e.mk(http.MethodPut, "/v1/contacts/"+url.PathEscape(bad)+"/tags", map[string]any{"tag_ids": []string{}}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
	}
	if n := len(sim.Requests()); n != before {
		t.Fatalf("%d vendor calls for malformed ids", n-before)
	}
}

// TestMiaokolTokenExpiresDuringUse: a token the vendor no longer takes
// is fetched again once, and the call goes through.
func TestMiaokolTokenExpiresDuringUse(t *testing.T) {
	e := newEnv(t)
	sim := mkSim(e.sb, tenantMK)
	e.mk(http.MethodGet, "/v1/tag-groups", nil).ok(t, http.StatusOK)
	calls := sim.TokenCalls()
	sim.ExpireTokens()
	e.mk(http.MethodGet, "/v1/tag-groups", nil).ok(t, http.StatusOK)
	e.mk(http.MethodGet, "/v1/tags?limit=5", nil).ok(t, http.StatusOK)
	if n := sim.TokenCalls(); n != calls+1 {
		t.Fatalf("%d token calls after the expiry, want 1", n-calls)
	}
}

// TestMiaokolSwitch: demo-switch moved to Miaokol is served by its own
// Miaokol simulator.
func TestMiaokolSwitch(t *testing.T) {
	e := newEnv(t)
	e.do(req{method: http.MethodPut, path: "/admin/v1/tenants/" + tenantSwitch + "/vendor", key: keyAll, body: map[string]any{"vendor": "miaokol"}}).ok(t, http.StatusOK)
	r := e.do(req{method: http.MethodGet, path: "/v1/tag-groups", key: keyAll, tenant: tenantSwitch})
	groups := r.ok(t, http.StatusOK)["data"].([]any)
	if r.Header.Get("X-Vendor") != "miaokol" || len(groups) == 0 || !strings.HasPrefix(groups[0].(map[string]any)["id"].(string), "mk_") {
		t.Fatalf("after the switch: %s %v", r.Header.Get("X-Vendor"), groups)
	}
	if mkSim(e.sb, tenantSwitch) == mkSim(e.sb, tenantMK) {
		t.Fatal("demo-switch shares demo-miaokol's simulator")
	}
}

// TestMiaokolErrors: every error path of Miaokol's answers.
func TestMiaokolErrors(t *testing.T) {
	e := newEnv(t)
	sim := mkSim(e.sb, tenantMK)
	e.mk(http.MethodGet, "/v1/tag-groups", nil).ok(t, http.StatusOK)
	envelope := func(code int) string { return miaokoltest.ErrorJSON(code, "失败") }
	for _, tc := range []struct {
		name   string
		fault  vendortest.Fault
		method string
		path   string
		body   any
		status int
		code   string
		vcode  string
	}{
		{"errcode 1 on a read", vendortest.Fault{PathPrefix: "/smart-tag/list", Status: 200, ContentType: "application/json", Body: envelope(1)},
			http.MethodGet, "/v1/tag-groups", nil, 502, "VENDOR_ERROR", "1"},
		{"errcode 1 on a write", vendortest.Fault{PathPrefix: "/smart-tag/add", Status: 200, ContentType: "application/json", Body: envelope(1)},
			http.MethodPost, "/v1/tag-groups", map[string]any{"name": "x"}, 422, "VENDOR_REJECTED", "1"},
		{"an unknown errcode", vendortest.Fault{PathPrefix: "/smart-tag/list", Status: 200, ContentType: "application/json", Body: envelope(77)},
			http.MethodGet, "/v1/tag-groups", nil, 502, "VENDOR_ERROR", "77"},
		{"an HTML page", vendortest.Fault{PathPrefix: "/smart-tag/list", Status: 200, ContentType: "text/html", Body: "<html>白名单</html>"},
			http.MethodGet, "/v1/tag-groups", nil, 502, "VENDOR_BAD_RESPONSE", ""},
		{"truncated JSON", vendortest.Fault{PathPrefix: "/smart-tag/list", Status: 200, ContentType: "application/json", Body: `{"data":[{"id":1,`},
			http.MethodGet, "/v1/tag-groups", nil, 502, "VENDOR_BAD_RESPONSE", ""},
		{"a 5xx", vendortest.Fault{PathPrefix: "/smart-tag/list", Status: 502, ContentType: "text/html", Body: "bad gateway"},
			http.MethodGet, "/v1/tag-groups", nil, 503, "VENDOR_UNAVAILABLE", ""},
	} {
		tc.fault.Times = 1
		sim.InjectFault(tc.fault)
		p := e.mk(tc.method, tc.path, tc.body).problem(t, tc.status, tc.code)
		if tc.vcode != "" && p["vendor_code"] != tc.vcode {
			t.Errorf("%s: %v", tc.name, p)
		}
	}
	pt := e.mk(http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": "/smart-tag/list", "query": map[string]any{"page_size": []string{"1"}}}).ok(t, http.StatusOK)
	if pt["status"] != float64(200) || pt["body"].(map[string]any)["errcode"] != float64(0) {
		t.Fatalf("passthrough %v", pt)
	}
	e.mk(http.MethodPost, "/v1/passthrough", map[string]any{"method": "POST", "path": "/oauth/token"}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
}
