package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
)

// noDuplicates checks ids hold each id once.
func noDuplicates(t *testing.T, ids []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("id %s listed twice", id)
		}
		seen[id] = true
	}
}

func nativeIDs(prefix string, ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = prefix + strconv.FormatInt(id, 10)
	}
	return out
}

// TestListsPageWithoutRepeatsOrGaps pages every list through the gateway
// with several limits and compares with the vendor's own state.
func TestListsPageWithoutRepeatsOrGaps(t *testing.T) {
	e := newEnv(t)
	var contacts []int64
	for _, c := range e.sim.Contacts() {
		contacts = append(contacts, c.ID)
	}
	want := nativeIDs("lf_", contacts)
	for _, limit := range []int{1, 5, 7, 40, 200} {
		got := e.collect("/v1/contacts", limit)
		noDuplicates(t, got)
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: contacts %v, want %v", limit, got, want)
		}
	}
	group := e.firstGroup()
	gid, _ := strconv.ParseInt(strings.TrimPrefix(group, "lf_"), 10, 64)
	members := nativeIDs("lf_", e.sim.GroupMembers(gid))
	if len(members) == 0 {
		t.Fatal("seeded group has no members")
	}
	for _, limit := range []int{1, 3, 200} {
		got := e.collect("/v1/groups/"+group+"/members", limit)
		noDuplicates(t, got)
		if !slices.Equal(got, members) {
			t.Fatalf("members limit %d: %v, want %v", limit, got, members)
		}
		inGroup := e.collect("/v1/contacts?group_id="+group, limit)
		if !slices.Equal(inGroup, members) {
			t.Fatalf("contacts?group_id limit %d: %v, want %v", limit, inGroup, members)
		}
	}
	for _, l := range []struct {
		path string
		n    int
	}{{"/v1/groups", 9}, {"/v1/tags", 20}, {"/v1/tag-groups", 4}, {"/v1/fields", 3}} {
		for _, limit := range []int{1, 2, 200} {
			got := e.collect(l.path, limit)
			noDuplicates(t, got)
			if len(got) != l.n {
				t.Fatalf("%s limit %d: %d items, want %d", l.path, limit, len(got), l.n)
			}
		}
	}
	contact := e.firstContact()
	events := e.collect("/v1/contacts/"+contact+"/events", 2)
	noDuplicates(t, events)
	cid, _ := strconv.ParseInt(strings.TrimPrefix(contact, "lf_"), 10, 64)
	if len(events) != len(e.sim.Events(cid)) || len(events) == 0 {
		t.Fatalf("%d events, vendor has %d", len(events), len(e.sim.Events(cid)))
	}
}

func TestContactFilters(t *testing.T) {
	e := newEnv(t)
	all := e.sim.Contacts()
	c := all[3]
	byEmail := e.get("/v1/contacts?email="+url.QueryEscape(c.Email)).ok(t, http.StatusOK)
	if d := byEmail["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != fmt.Sprintf("lf_%d", c.ID) {
		t.Fatalf("email lookup: %v", byEmail)
	}
	byPhone := e.get("/v1/contacts?phone="+c.MobilePhone).ok(t, http.StatusOK)
	if d := byPhone["data"].([]any); len(d) != 1 {
		t.Fatalf("phone lookup: %v", byPhone)
	}
	q := e.collect("/v1/contacts?q="+url.QueryEscape(c.Email), 10)
	if !slices.Contains(q, fmt.Sprintf("lf_%d", c.ID)) {
		t.Fatalf("search: %v", q)
	}
	// updated_since: exactly the contacts updated at or after the instant.
	since := time.Now().Add(-30 * 24 * time.Hour).UTC().Truncate(time.Second)
	var want []string
	for _, x := range all {
		if !x.LastUpdated.Before(since) {
			want = append(want, fmt.Sprintf("lf_%d", x.ID))
		}
	}
	got := e.collect("/v1/contacts?updated_since="+url.QueryEscape(since.Format(time.RFC3339)), 7)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(want) == 0 || len(want) == len(all) {
		t.Fatalf("updated_since: got %d %v, want %d %v", len(got), got, len(want), want)
	}
	e.get("/v1/contacts?tag_id=lf_1").problem(t, http.StatusNotImplemented, "UNSUPPORTED_FILTER")
	e.get("/v1/contacts?q=a&email=a@b.c").problem(t, http.StatusNotImplemented, "UNSUPPORTED_FILTER")
}

func TestContactCreateReadUpdate(t *testing.T) {
	e := newEnv(t)
	e.send(http.MethodPost, "/v1/contacts", map[string]any{"name": "无渠道"}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
	p := e.send(http.MethodPost, "/v1/contacts", map[string]any{"name": "x", "wechat": "wx1", "external_ids": []any{map[string]any{"channel": "c", "id": "1"}}}).
		problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
	if !strings.Contains(string(mustJSON(p["errors"])), "body.wechat") {
		t.Fatalf("unstorable field not named: %v", p)
	}

	created := e.send(http.MethodPost, "/v1/contacts", map[string]any{
		"name": "张三", "gender": "male", "birthday": "1988-10-02", "email": "zhangsan@example.com",
		"mobile_phone": "13912341234", "company": "ABC", "note": "VIP",
		"address":       map[string]any{"country": "中国", "province": "上海", "city": "上海"},
		"external_ids":  []any{map[string]any{"channel": "shop.example.com", "id": "u1234567"}},
		"custom_fields": map[string]any{"attr1": "单身", "attr2": 10000},
	}).ok(t, http.StatusCreated)
	id := created["id"].(string)
	if !strings.HasPrefix(id, "lf_") || created["gender"] != "male" || created["note"] != "VIP" || created["birthday"] != "1988-10-02" {
		t.Fatalf("created = %v", created)
	}
	got := e.get("/v1/contacts/"+id).ok(t, http.StatusOK)
	if got["email"] != "zhangsan@example.com" || got["address"].(map[string]any)["city"] != "上海" ||
		!strings.Contains(string(mustJSON(got["external_ids"])), "u1234567") || got["custom_fields"].(map[string]any)["attr2"] != float64(10000) {
		t.Fatalf("read back = %v", got)
	}
	// Same external id again: Linkflow's identify updates the same contact.
	again := e.send(http.MethodPost, "/v1/contacts", map[string]any{"company": "DEF", "external_ids": []any{map[string]any{"channel": "shop.example.com", "id": "u1234567"}}}).ok(t, http.StatusCreated)
	if again["id"] != id || again["company"] != "DEF" {
		t.Fatalf("upsert = %v", again)
	}

	upd := e.send(http.MethodPatch, "/v1/contacts/"+id, map[string]any{"job_title": "Manager", "note": "", "custom_fields": map[string]any{"attr1": "已婚"}}).ok(t, http.StatusOK)
	if upd["job_title"] != "Manager" || upd["note"] != nil || upd["name"] != "张三" || upd["custom_fields"].(map[string]any)["attr2"] != float64(10000) || upd["custom_fields"].(map[string]any)["attr1"] != "已婚" {
		t.Fatalf("updated = %v", upd)
	}
	e.send(http.MethodPatch, "/v1/contacts/"+id, map[string]any{}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
	e.send(http.MethodPatch, "/v1/contacts/lf_999999", map[string]any{"name": "x"}).problem(t, http.StatusNotFound, "NOT_FOUND")
	e.get("/v1/contacts/lf_999999").problem(t, http.StatusNotFound, "NOT_FOUND")
	e.send(http.MethodDelete, "/v1/contacts/"+id, nil).problem(t, http.StatusNotImplemented, "UNSUPPORTED_OPERATION")

	raw := e.get("/v1/contacts/"+id+"?include=raw").ok(t, http.StatusOK)
	if r, ok := raw["raw"].(map[string]any); !ok || r["name"] != "张三" {
		t.Fatalf("include=raw: %v", raw["raw"])
	}
	if _, ok := got["raw"]; ok {
		t.Fatal("raw sent without include=raw")
	}
}

func mustJSON(v any) []byte {
	b, _ := jsonMarshal(v)
	return b
}

func TestBatchUpsert(t *testing.T) {
	e := newEnv(t)
	items := []any{}
	for i := 0; i < 5; i++ {
		items = append(items, map[string]any{"name": fmt.Sprintf("批量%d", i), "external_ids": []any{map[string]any{"channel": "batch.example.com", "id": fmt.Sprintf("b%d", i)}}})
	}
	items = append(items[:2], append([]any{map[string]any{"name": "no external id"}}, items[2:]...)...)
	res := e.send(http.MethodPost, "/v1/contacts/batch", map[string]any{"items": items}).ok(t, http.StatusOK)
	if res["succeeded"] != float64(5) || res["failed"] != float64(1) {
		t.Fatalf("batch = %v", res)
	}
	for i, r := range res["results"].([]any) {
		m := r.(map[string]any)
		if m["index"] != float64(i) {
			t.Fatalf("results out of order: %v", res["results"])
		}
		if i == 2 {
			if m["status"] != "failed" || m["error"].(map[string]any)["code"] != "VALIDATION_FAILED" {
				t.Fatalf("item 2 = %v", m)
			}
		} else if m["status"] != "upserted" || !strings.HasPrefix(m["id"].(string), "lf_") {
			t.Fatalf("item %d = %v", i, m)
		}
	}
	e.send(http.MethodPost, "/v1/contacts/batch", map[string]any{"items": items, "on_conflict": "replace"}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
	tooMany := make([]any, 10001) // more than 1000 run as a job; more than 10 000 are refused
	for i := range tooMany {
		tooMany[i] = map[string]any{"name": "x"}
	}
	e.send(http.MethodPost, "/v1/contacts/batch", map[string]any{"items": tooMany}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
}

func TestGroupsAndMembers(t *testing.T) {
	e := newEnv(t)
	g := e.send(http.MethodPost, "/v1/groups", map[string]any{"name": "E2E 组"}).ok(t, http.StatusCreated)
	gid := g["id"].(string)
	e.send(http.MethodPost, "/v1/groups", map[string]any{"name": "E2E 组"}).problem(t, http.StatusConflict, "ALREADY_EXISTS")
	if got := e.get("/v1/groups/"+gid).ok(t, http.StatusOK); got["name"] != "E2E 组" || got["type"] != "static" {
		t.Fatalf("group = %v", got)
	}
	e.get("/v1/groups/lf_999999").problem(t, http.StatusNotFound, "NOT_FOUND")
	named := e.collect("/v1/groups?q="+url.QueryEscape("E2E"), 10)
	if !slices.Equal(named, []string{gid}) {
		t.Fatalf("groups?q = %v", named)
	}

	contacts := e.collect("/v1/contacts", 200)[:3]
	add := e.send(http.MethodPost, "/v1/groups/"+gid+"/members", map[string]any{"contact_ids": append(contacts, "lf_999999")}).ok(t, http.StatusOK)
	if len(add["succeeded"].([]any)) != 3 || add["failed"].([]any)[0].(map[string]any)["id"] != "lf_999999" {
		t.Fatalf("add = %v", add)
	}
	if got := e.collect("/v1/groups/"+gid+"/members", 2); !slices.Equal(got, contacts) {
		t.Fatalf("members = %v, want %v", got, contacts)
	}
	groupsOf := e.collect("/v1/contacts/"+contacts[0]+"/groups", 50)
	if !slices.Contains(groupsOf, gid) {
		t.Fatalf("contact groups = %v", groupsOf)
	}
	rm := e.send(http.MethodPost, "/v1/groups/"+gid+"/members/remove", map[string]any{"contact_ids": contacts[:1]}).ok(t, http.StatusOK)
	if len(rm["succeeded"].([]any)) != 1 {
		t.Fatalf("remove = %v", rm)
	}
	if got := e.collect("/v1/groups/"+gid+"/members", 200); !slices.Equal(got, contacts[1:]) {
		t.Fatalf("members after remove = %v", got)
	}
	// A foreign id anywhere in the list changes nothing.
	e.send(http.MethodPost, "/v1/groups/"+gid+"/members", map[string]any{"contact_ids": []string{contacts[0], "mh_1"}}).problem(t, http.StatusConflict, "ID_VENDOR_MISMATCH")
	if got := e.collect("/v1/groups/"+gid+"/members", 200); slices.Contains(got, contacts[0]) {
		t.Fatal("a refused member change was half-written")
	}
	e.send(http.MethodDelete, "/v1/groups/"+gid, nil).problem(t, http.StatusNotImplemented, "UNSUPPORTED_OPERATION")
}

func TestEvents(t *testing.T) {
	e := newEnv(t)
	contact := e.firstContact()
	at := time.Date(2026, 11, 1, 8, 30, 0, 0, time.UTC)
	ev := e.send(http.MethodPost, "/v1/events", map[string]any{"event": "UDE_E2E", "contact_id": contact, "occurred_at": at.Format(time.RFC3339),
		"properties": map[string]any{"attr1": "SKU-1"}, "utm": map[string]any{"source": "e2e"}}).ok(t, http.StatusCreated)
	if ev["event"] != "UDE_E2E" || ev["occurred_at"] != "2026-11-01T08:30:00Z" || ev["properties"].(map[string]any)["attr1"] != "SKU-1" {
		t.Fatalf("event = %v", ev)
	}
	byExt := e.send(http.MethodPost, "/v1/events", map[string]any{"event": "UDE_E2E", "external_id": map[string]any{"channel": "demo.example.com", "id": "cust-0001"}}).ok(t, http.StatusCreated)
	if !strings.HasPrefix(byExt["id"].(string), "lf_") {
		t.Fatalf("event = %v", byExt)
	}
	events := e.collect("/v1/contacts/"+contact+"/events", 3)
	if !slices.Contains(events, ev["id"].(string)) || !slices.Contains(events, byExt["id"].(string)) {
		t.Fatalf("recorded events not listed: %v", events)
	}
	e.send(http.MethodPost, "/v1/events", map[string]any{"event": "X", "contact_id": contact, "properties": map[string]any{"color": "red"}}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
	e.send(http.MethodPost, "/v1/events", map[string]any{"event": "X"}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
	e.send(http.MethodPost, "/v1/events", map[string]any{"event": "X", "contact_id": contact, "external_id": map[string]any{"channel": "a", "id": "b"}}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
}

func TestCapabilitiesAndUnsupported(t *testing.T) {
	e := newEnv(t)
	caps := e.get("/v1/capabilities").ok(t, http.StatusOK)
	ops := caps["operations"].(map[string]any)
	if ops["listContacts"] != true || ops["deleteContact"] != false || caps["vendor"] != "linkflow" || len(ops) != 28 {
		t.Fatalf("capabilities = %v", caps)
	}
	// Every vendor's unsupported operations: TestUnsupportedOperationsAnswer501.
	e.send(http.MethodPut, "/v1/contacts/"+e.firstContact()+"/tags", map[string]any{"tag_ids": []string{"lf_1"}}).problem(t, http.StatusNotImplemented, "UNSUPPORTED_OPERATION")
	e.send(http.MethodPost, "/v1/tags", map[string]any{"name": "x"}).problem(t, http.StatusNotImplemented, "UNSUPPORTED_OPERATION")
	e.send(http.MethodPost, "/v1/fields", map[string]any{"label": "x", "type": "text"}).problem(t, http.StatusNotImplemented, "UNSUPPORTED_OPERATION")
}

func TestPassthrough(t *testing.T) {
	e := newEnv(t)
	ok := e.send(http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": "/open/orders", "query": map[string]any{"lastMaxId": []string{"0"}}}).ok(t, http.StatusOK)
	if ok["status"] != float64(200) || len(ok["body"].([]any)) == 0 {
		t.Fatalf("passthrough = %v", ok)
	}
	nf := e.send(http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": "/v2/contacts/999999/groups"}).ok(t, http.StatusOK)
	if nf["status"] == float64(200) {
		t.Fatalf("vendor error not passed through: %v", nf)
	}
	for _, path := range []string{"/token", "//evil.example.com/x", "/a/../token", "/open/%2e%2e/token", "http://evil.example.com/"} {
		r := e.send(http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": path})
		r.problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
	}
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/orders", Status: 502, ContentType: "text/html", Body: "<html><body>nginx bad gateway</body></html>"})
	p := e.send(http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": "/open/orders"}).problem(t, http.StatusBadGateway, "VENDOR_BAD_RESPONSE")
	if strings.Contains(mustString(p), "nginx") {
		t.Fatal("vendor HTML leaked")
	}
}

func mustString(v any) string { return string(mustJSON(v)) }
