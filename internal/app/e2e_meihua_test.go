package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// mhID is the canonical id of a Meihua record.
func mhID(id int64) string { return "mh_" + strconv.FormatInt(id, 10) }

// TestMeihuaContacts: every contact operation through the HTTP server,
// each answer checked against the spec, each effect checked at the
// simulator.
func TestMeihuaContacts(t *testing.T) {
	e := newEnv(t)
	sim := meihuaSim(e.sb, tenantMeihua)
	all := sim.Contacts()

	// List: every contact once, in vendor pages of at most 50.
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		p := "/v1/contacts?limit=100"
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		page := e.mh(http.MethodGet, p, nil).ok(t, http.StatusOK)
		for _, it := range page["data"].([]any) {
			seen[it.(map[string]any)["id"].(string)] = true
		}
		cursor, _ = page["next_cursor"].(string)
		if cursor == "" {
			break
		}
		if pages > 100 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != len(all) {
		t.Fatalf("listed %d contacts, the vendor has %d", len(seen), len(all))
	}
	for _, r := range sim.Requests() {
		if r.Path == "/contact/all" {
			if l, _ := strconv.Atoi(r.Query.Get("limit")); l > 50 || l < 1 {
				t.Fatalf("a vendor page of %d", l)
			}
		}
	}

	// Get: the documented fields, blanks absent, the birthday a date,
	// custom fields by property id.
	first := all[0]
	c := e.mh(http.MethodGet, "/v1/contacts/"+mhID(first.ID), nil).ok(t, http.StatusOK)
	if c["name"] != first.FullName || c["email"] != first.Email || c["company"] != first.CompanyName {
		t.Fatalf("contact %v, vendor has %+v", c, first)
	}
	if _, ok := c["work_phone"]; ok && strings.TrimSpace(first.WorkPhone) == "" {
		t.Fatalf("a blank vendor field read as present: %v", c)
	}
	if first.Birthday != 0 {
		want := time.UnixMilli(first.Birthday).In(vendorhttp.CST).Format("2006-01-02")
		if c["birthday"] != want {
			t.Fatalf("birthday %v, want %s (vendor %d)", c["birthday"], want, first.Birthday)
		}
	}
	cf := c["custom_fields"].(map[string]any)
	for pid, v := range first.Properties {
		if cf[strconv.FormatInt(pid, 10)] != v {
			t.Fatalf("custom_fields %v, vendor %v", cf, first.Properties)
		}
	}
	e.mh(http.MethodGet, "/v1/contacts/mh_999999999", nil).problem(t, http.StatusNotFound, "NOT_FOUND")

	// Groups of a contact.
	gs := e.mh(http.MethodGet, "/v1/contacts/"+mhID(first.ID)+"/groups", nil).ok(t, http.StatusOK)
	if len(gs["data"].([]any)) != len(first.GroupIDs) {
		t.Fatalf("groups %v, vendor %v", gs, first.GroupIDs)
	}

	// Create.
	groups := len(sim.Groups())
	created := e.mh(http.MethodPost, "/v1/contacts", map[string]any{"name": "张三", "email": "zhangsan.e2e@example.com",
		"birthday": "1991-11-11", "gender": "female", "custom_fields": map[string]any{"3": "C-E2E"}}).ok(t, http.StatusCreated)
	id, _ := strconv.ParseInt(strings.TrimPrefix(created["id"].(string), "mh_"), 10, 64)
	got, ok := sim.Contact(id)
	if !ok || got.FullName != "张三" || got.Email != "zhangsan.e2e@example.com" || got.Properties[3] != "C-E2E" ||
		time.UnixMilli(got.Birthday).In(vendorhttp.CST).Format("2006-01-02") != "1991-11-11" {
		t.Fatalf("created %v; the vendor has %+v", created, got)
	}
	if len(sim.Groups()) != groups {
		t.Fatal("creating a contact left a group behind")
	}

	// Update one field: the others stay.
	e.mh(http.MethodPatch, "/v1/contacts/"+created["id"].(string), map[string]any{"job_title": "经理"}).ok(t, http.StatusOK)
	got, _ = sim.Contact(id)
	if got.JobTitle != "经理" || got.FullName != "张三" || got.Properties[3] != "C-E2E" {
		t.Fatalf("after the update the vendor has %+v", got)
	}

	// Delete.
	e.mh(http.MethodDelete, "/v1/contacts/"+created["id"].(string), nil).ok(t, http.StatusNoContent)
	if _, ok := sim.Contact(id); ok {
		t.Fatal("still at the vendor")
	}
	e.mh(http.MethodDelete, "/v1/contacts/"+created["id"].(string), nil).problem(t, http.StatusNotFound, "NOT_FOUND")

	// Batch upsert, per-item results with ids.
	b := e.mh(http.MethodPost, "/v1/contacts/batch", map[string]any{"on_conflict": "merge", "items": []any{
		map[string]any{"name": "Batch One", "email": "batch.one@example.com"},
		map[string]any{"name": "Batch Two", "email": "batch.two@example.com"},
		map[string]any{"email": first.Email, "job_title": "Merged"},
	}}).ok(t, http.StatusOK)
	for i, r := range b["results"].([]any) {
		r := r.(map[string]any)
		if r["id"] == nil || r["status"] == "failed" {
			t.Fatalf("item %d: %v", i, r)
		}
	}
	if got, _ := sim.Contact(first.ID); got.JobTitle != "Merged" || got.FullName != first.FullName {
		t.Fatalf("merged contact %+v", got)
	}
}

// TestMeihuaExactIDs: an id past 2^53 goes through unrounded.
func TestMeihuaExactIDs(t *testing.T) {
	e := newEnv(t)
	sim := meihuaSim(e.sb, tenantMeihua)
	id := sim.AddContact(meihuatest.Contact{ID: 9007199254740993, FullName: "Big", Email: "big@example.com"})
	r := e.mh(http.MethodGet, "/v1/contacts/mh_9007199254740993", nil)
	r.ok(t, http.StatusOK)
	if id != 9007199254740993 || !strings.Contains(string(r.Body), `"id":"mh_9007199254740993"`) {
		t.Fatalf("%d %s", id, r.Body)
	}
}

// TestMeihuaGroupsTagsFields: the other resources.
func TestMeihuaGroupsTagsFields(t *testing.T) {
	e := newEnv(t)
	sim := meihuaSim(e.sb, tenantMeihua)
	gs := e.mh(http.MethodGet, "/v1/groups?limit=3", nil).ok(t, http.StatusOK)
	if len(gs["data"].([]any)) != 3 || gs["next_cursor"] == nil {
		t.Fatalf("groups %v", gs)
	}
	g := e.mh(http.MethodPost, "/v1/groups", map[string]any{"name": "E2E 群组"}).ok(t, http.StatusCreated)
	gid := g["id"].(string)
	contacts := sim.Contacts()
	add := e.mh(http.MethodPost, "/v1/groups/"+gid+"/members", map[string]any{"contact_ids": []string{mhID(contacts[0].ID), mhID(contacts[1].ID)}})
	add.ok(t, http.StatusOK)
	members := e.mh(http.MethodGet, "/v1/groups/"+gid+"/members?limit=10", nil).ok(t, http.StatusOK)
	if len(members["data"].([]any)) != 2 {
		t.Fatalf("members %v", members)
	}
	e.mh(http.MethodPost, "/v1/groups/"+gid+"/members/remove", map[string]any{"contact_ids": []string{mhID(contacts[0].ID)}}).
		problem(t, http.StatusNotImplemented, "UNSUPPORTED_OPERATION")
	e.mh(http.MethodDelete, "/v1/groups/"+gid, nil).ok(t, http.StatusNoContent)
	if _, ok := sim.Contact(contacts[0].ID); !ok {
		t.Fatal("deleting a group deleted its contacts")
	}
	// With its contacts.
	g = e.mh(http.MethodPost, "/v1/groups", map[string]any{"name": "E2E doomed"}).ok(t, http.StatusCreated)
	e.mh(http.MethodPost, "/v1/groups/"+g["id"].(string)+"/members", map[string]any{"contact_ids": []string{mhID(contacts[2].ID)}}).ok(t, http.StatusOK)
	e.mh(http.MethodDelete, "/v1/groups/"+g["id"].(string)+"?delete_contacts=true", nil).ok(t, http.StatusNoContent)
	if _, ok := sim.Contact(contacts[2].ID); ok {
		t.Fatal("delete_contacts=true kept the contact")
	}
	// Other vendors cannot.
	lg := e.get("/v1/groups?limit=1").ok(t, http.StatusOK)["data"].([]any)[0].(map[string]any)["id"].(string)
	e.send(http.MethodDelete, "/v1/groups/"+lg+"?delete_contacts=true", nil).problem(t, http.StatusNotImplemented, "UNSUPPORTED_OPERATION")

	tags := e.mh(http.MethodGet, "/v1/tags?limit=100", nil).ok(t, http.StatusOK)
	if len(tags["data"].([]any)) != len(sim.Tags()) {
		t.Fatalf("tags %v", tags)
	}
	tg := e.mh(http.MethodPost, "/v1/tags", map[string]any{"name": "E2E 标签"}).ok(t, http.StatusCreated)
	if tg["name"] != "E2E 标签" || !strings.HasPrefix(tg["id"].(string), "mh_") {
		t.Fatalf("tag %v", tg)
	}

	fields := e.mh(http.MethodGet, "/v1/fields", nil).ok(t, http.StatusOK)
	if len(fields["data"].([]any)) < len(sim.Properties()) {
		t.Fatalf("fields %v", fields)
	}
	f := e.mh(http.MethodPost, "/v1/fields", map[string]any{"label": "行业", "type": "select", "description": "客户所属行业", "options": []string{"电商", "化工"}}).ok(t, http.StatusCreated)
	if f["type"] != "select" || f["label"] != "行业" {
		t.Fatalf("field %v", f)
	}

	pt := e.mh(http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": "/contact/tag/all", "query": map[string]any{"page": []string{"1"}, "limit": []string{"2"}}}).ok(t, http.StatusOK)
	if pt["status"] != float64(200) {
		t.Fatalf("passthrough %v", pt)
	}
	e.mh(http.MethodPost, "/v1/passthrough", map[string]any{"method": "POST", "path": "/access_token"}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
}

// TestMeihuaErrorCodes: every documented E-code, and the vendor's odd
// answers, become their problem.
func TestMeihuaErrorCodes(t *testing.T) {
	e := newEnv(t)
	sim := meihuaSim(e.sb, tenantMeihua)
	e.mh(http.MethodGet, "/v1/tags?limit=1", nil).ok(t, http.StatusOK)
	cases := []struct {
		code   string
		status int
		want   string
	}{
		{"E10001", 503, "VENDOR_UNAVAILABLE"},
		{"E10102", 502, "VENDOR_AUTH_FAILED"},
		{"E10103", 422, "VENDOR_REJECTED"},
		{"E00001", 422, "VENDOR_LIMIT_REACHED"},
		{"E00002", 422, "VENDOR_LIMIT_REACHED"},
		{"E00003", 422, "VENDOR_LIMIT_REACHED"},
		{"E00004", 422, "VENDOR_LIMIT_REACHED"},
		{"E00005", 422, "VENDOR_REJECTED"},
		{"E10104", 429, "VENDOR_RATE_LIMITED"},
		{"E99999", 502, "VENDOR_ERROR"},
	}
	for _, tc := range cases {
		sim.InjectFault(vendortest.Fault{PathPrefix: "/contact/tag/all", Times: 1, Status: 200, ContentType: "application/json;charset=UTF-8",
			Body: `{"success":false,"code":"` + tc.code + `","msg":"` + meihuatest.Message(tc.code) + `"}`})
		r := e.mh(http.MethodGet, "/v1/tags?limit=1", nil)
		p := r.problem(t, tc.status, tc.want)
		if p["vendor_code"] != tc.code {
			t.Errorf("%s: vendor_code %v", tc.code, p["vendor_code"])
		}
		if tc.code == "E10104" {
			ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if err != nil || ra < 1 || ra > 3600 {
				t.Errorf("E10104 Retry-After %q: want the rest of the vendor's hour", r.Header.Get("Retry-After"))
			}
		}
	}
	// A token the vendor no longer takes (E10101): refreshed, sent once more.
	refreshes := sim.RefreshCalls()
	sim.ExpireAccessTokens()
	e.mh(http.MethodGet, "/v1/tags?limit=1", nil).ok(t, http.StatusOK)
	if sim.RefreshCalls() != refreshes+1 {
		t.Fatal("no refresh after E10101")
	}
	for _, f := range []vendortest.Fault{
		{Status: 200, ContentType: "text/html", Body: "<html>维护中</html>"},
		{Status: 200, ContentType: "application/json", Body: `{"success":true,"data":{"total":1,"tags":[{`},
	} {
		f.PathPrefix, f.Times = "/contact/tag/all", 1
		sim.InjectFault(f)
		e.mh(http.MethodGet, "/v1/tags?limit=1", nil).problem(t, http.StatusBadGateway, "VENDOR_BAD_RESPONSE")
	}
	sim.InjectFault(vendortest.Fault{PathPrefix: "/contact/tag/all", Times: 1, Status: 502, ContentType: "text/html", Body: "<html>bad gateway</html>"})
	e.mh(http.MethodGet, "/v1/tags?limit=1", nil).problem(t, http.StatusServiceUnavailable, "VENDOR_UNAVAILABLE")
}

// TestMeihuaQuotaAcrossReplicas: the plan's hourly budget, set to 5, is
// shared by three replicas; the sixth call is refused on every replica
// without reaching the vendor.
func TestMeihuaQuotaAcrossReplicas(t *testing.T) {
	const n = 5
	c := newCluster(t, 3, func(cfg *config.Config) {
		for i := range cfg.Tenants {
			for j := range cfg.Tenants[i].Connections {
				if cfg.Tenants[i].ID == tenantMeihua {
					cfg.Tenants[i].Connections[j].Quota = &vendorhttp.Quota{Calls: n, Per: time.Hour}
				}
			}
		}
	})
	sim := meihuaSim(c.sb, tenantMeihua)
	for i := range n {
		c.replicas[i%3].do(req{method: http.MethodGet, path: "/v1/tags?limit=1", key: keyAll, tenant: tenantMeihua}).ok(t, http.StatusOK)
	}
	before := sim.APICalls()
	for _, e := range c.replicas {
		r := e.do(req{method: http.MethodGet, path: "/v1/tags?limit=1", key: keyAll, tenant: tenantMeihua})
		r.problem(t, http.StatusTooManyRequests, "VENDOR_RATE_LIMITED")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
	}
	if after := sim.APICalls(); after != before || before != n {
		t.Fatalf("vendor API calls %d, then %d; want %d", before, after, n)
	}
}

// TestMeihuaReadsAndConditions: the remaining reads and conditional writes:
// a group by id, groups by name, contacts by group, a batch in each
// conflict mode, If-Match on update and delete.
func TestMeihuaReadsAndConditions(t *testing.T) {
	e := newEnv(t)
	sim := meihuaSim(e.sb, tenantMeihua)
	g := sim.Groups()[0]
	got := e.mh(http.MethodGet, "/v1/groups/"+mhID(g.ID), nil).ok(t, http.StatusOK)
	if got["name"] != g.Name || got["id"] != mhID(g.ID) {
		t.Fatalf("group %v, vendor %+v", got, g)
	}
	e.mh(http.MethodGet, "/v1/groups/mh_999999999", nil).problem(t, http.StatusNotFound, "NOT_FOUND")
	byName := e.mh(http.MethodGet, "/v1/groups?q="+url.QueryEscape(g.Name), nil).ok(t, http.StatusOK)["data"].([]any)
	if len(byName) != 1 || byName[0].(map[string]any)["id"] != mhID(g.ID) {
		t.Fatalf("groups named %q: %v", g.Name, byName)
	}
	inGroup := map[string]bool{}
	cursor := ""
	for {
		p := "/v1/contacts?limit=100&group_id=" + mhID(g.ID)
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		page := e.mh(http.MethodGet, p, nil).ok(t, http.StatusOK)
		for _, c := range page["data"].([]any) {
			inGroup[c.(map[string]any)["id"].(string)] = true
		}
		if cursor, _ = page["next_cursor"].(string); cursor == "" {
			break
		}
	}
	if len(inGroup) != len(g.ContactIDs) {
		t.Fatalf("%d contacts listed in group %s, the vendor has %d", len(inGroup), g.Name, len(g.ContactIDs))
	}
	for _, id := range g.ContactIDs {
		if !inGroup[mhID(id)] {
			t.Fatalf("member %d not listed", id)
		}
	}

	// Batch: skip leaves an existing contact alone, replace overwrites it.
	c := sim.Contacts()[1]
	for _, tc := range []struct {
		mode, status, wantTitle string
	}{
		{"skip", "skipped", c.JobTitle},
		{"replace", "updated", "替换"},
	} {
		b := e.mh(http.MethodPost, "/v1/contacts/batch", map[string]any{"on_conflict": tc.mode, "items": []any{
			map[string]any{"name": c.FullName, "email": c.Email, "job_title": "替换"},
		}}).ok(t, http.StatusOK)
		r := b["results"].([]any)[0].(map[string]any)
		if r["status"] != tc.status || r["id"] != mhID(c.ID) {
			t.Fatalf("%s: %v", tc.mode, r)
		}
		if got, _ := sim.Contact(c.ID); got.JobTitle != tc.wantTitle {
			t.Fatalf("%s: the vendor has job title %q, want %q", tc.mode, got.JobTitle, tc.wantTitle)
		}
	}

	// If-Match: the version of a read, refused once the contact changed.
	id := mhID(sim.Contacts()[2].ID)
	read := e.mh(http.MethodGet, "/v1/contacts/"+id, nil)
	read.ok(t, http.StatusOK)
	etag := read.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on a Meihua contact")
	}
	ifMatch := func(method string, body any, tag string) resp {
		return e.do(req{method: method, path: "/v1/contacts/" + id, key: keyAll, tenant: tenantMeihua, body: body, headers: map[string]string{"If-Match": tag}})
	}
	ifMatch(http.MethodPatch, map[string]any{"note": "first"}, etag).ok(t, http.StatusOK)
	ifMatch(http.MethodPatch, map[string]any{"note": "second"}, etag).problem(t, http.StatusPreconditionFailed, "PRECONDITION_FAILED")
	ifMatch(http.MethodDelete, nil, etag).problem(t, http.StatusPreconditionFailed, "PRECONDITION_FAILED")
	if got, _ := sim.Contact(sim.Contacts()[2].ID); got.Notes != "first" {
		t.Fatalf("the refused writes changed the contact: %+v", got)
	}
}

// TestMeihuaSwitch: demo-switch moved to Meihua is served by it, with
// Meihua's ids; a Linkflow cursor from before is refused.
func TestMeihuaSwitch(t *testing.T) {
	e := newEnv(t)
	sw := func(method, path string, body any) resp {
		return e.do(req{method: method, path: path, key: keyAll, tenant: tenantSwitch, body: body})
	}
	before := sw(http.MethodGet, "/v1/contacts?limit=2", nil).ok(t, http.StatusOK)
	e.do(req{method: http.MethodPut, path: "/admin/v1/tenants/" + tenantSwitch + "/vendor", key: keyAll, body: map[string]any{"vendor": "meihua"}}).ok(t, http.StatusOK)
	r := sw(http.MethodGet, "/v1/contacts?limit=2", nil)
	page := r.ok(t, http.StatusOK)
	if r.Header.Get("X-Vendor") != "meihua" || !strings.HasPrefix(page["data"].([]any)[0].(map[string]any)["id"].(string), "mh_") {
		t.Fatalf("after the switch: %s %v", r.Header.Get("X-Vendor"), page)
	}
	sw(http.MethodGet, "/v1/contacts?limit=2&cursor="+before["next_cursor"].(string), nil).problem(t, http.StatusBadRequest, "INVALID_CURSOR")
	if sim := meihuaSim(e.sb, tenantSwitch); sim == nil || sim == meihuaSim(e.sb, tenantMeihua) {
		t.Fatal("demo-switch has no Meihua simulator of its own")
	}
}
