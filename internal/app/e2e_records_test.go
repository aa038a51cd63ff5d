package app_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
)

// Records are exact: writes change what was asked and report what they
// could not store, lists say what they did not load and where a vendor
// limit cut them (issue 8, A2 to A5).

// TestPatchWritesOnlyTheChangedFields: a PATCH sends the vendor the fields
// it names and nothing else, so a field changed at the vendor meanwhile is
// not written back and a birthday keeps its time of day.
func TestPatchWritesOnlyTheChangedFields(t *testing.T) {
	e := newEnv(t)
	id := e.sim.AddContact(linkflowtest.Contact{
		Name: "Ann", DateOfBirthday: "1990-01-02 08:30:00", Company: "ACME", Email: "ann@example.com",
		Props: map[string]any{"attr1": "单身", "attr2": json.Number("100")},
	})
	path := "/v1/contacts/lf_" + strconv.FormatInt(id, 10)
	e.get(path).ok(t, http.StatusOK)
	// Another system changes the email at the vendor after the caller read
	// the contact.
	stale, _ := e.sim.Contact(id)
	stale.Email = "ann@new.example.com"
	e.sim.AddContact(stale)

	upd := e.send(http.MethodPatch, path, map[string]any{"job_title": "Manager", "custom_fields": map[string]any{"attr2": 200}}).ok(t, http.StatusOK)
	if upd["job_title"] != "Manager" || upd["email"] != "ann@new.example.com" {
		t.Fatalf("answer %v", upd)
	}
	puts := e.sim.Updates(id)
	if len(puts) != 1 {
		t.Fatalf("%d updates sent, want 1", len(puts))
	}
	if got := slices.Sorted(maps.Keys(puts[0])); !slices.Equal(got, []string{"id", "props", "title"}) {
		t.Errorf("update sent %v, want only id, title and props", got)
	}
	if props := puts[0]["props"].(map[string]any); len(props) != 1 || props["attr2"] != json.Number("200") {
		t.Errorf("update sent props %v, want only the changed key", props)
	}
	after, _ := e.sim.Contact(id)
	if after.Email != "ann@new.example.com" || after.DateOfBirthday != "1990-01-02 08:30:00" || after.Company != "ACME" ||
		fmt.Sprint(after.Props["attr1"]) != "单身" || after.Title != "Manager" {
		t.Errorf("vendor contact after the PATCH: %+v", after)
	}
}

// TestContactETagAndIfMatch: GET and PATCH answer the vendor's version as
// ETag; a PATCH with an If-Match that is no longer current is refused with
// 412 and writes nothing.
func TestContactETagAndIfMatch(t *testing.T) {
	e := newEnv(t)
	id := e.sim.AddContact(linkflowtest.Contact{Name: "Ann", Ver: 4})
	path := "/v1/contacts/lf_" + strconv.FormatInt(id, 10)
	patch := func(ifMatch string, body any) resp {
		t.Helper()
		h := map[string]string{}
		if ifMatch != "" {
			h["If-Match"] = ifMatch
		}
		return e.do(req{method: http.MethodPatch, path: path, key: keyAll, tenant: tenantLF, body: body, headers: h})
	}

	got := e.get(path)
	got.ok(t, http.StatusOK)
	if tag := got.Header.Get("ETag"); tag != `"4"` {
		t.Fatalf("GET ETag %q, want \"4\"", tag)
	}
	upd := patch(`"4"`, map[string]any{"name": "Bo"})
	upd.ok(t, http.StatusOK)
	if tag := upd.Header.Get("ETag"); tag != `"5"` {
		t.Fatalf("PATCH ETag %q, want \"5\"", tag)
	}

	// The contact changed since "4" was read: nothing is written.
	before := len(e.sim.Updates(id))
	p := patch(`"4"`, map[string]any{"name": "Cy"}).problem(t, http.StatusPreconditionFailed, "PRECONDITION_FAILED")
	if !strings.Contains(p["detail"].(string), `"5"`) {
		t.Errorf("412 does not say the current version: %v", p)
	}
	if c, _ := e.sim.Contact(id); c.Name != "Bo" || len(e.sim.Updates(id)) != before {
		t.Fatalf("a refused conditional PATCH wrote: %+v", c)
	}
	patch(`"5"`, map[string]any{"name": "Cy"}).ok(t, http.StatusOK)
	patch(`*`, map[string]any{"name": "Di"}).ok(t, http.StatusOK)
	patch("", map[string]any{"name": "Ed"}).ok(t, http.StatusOK)
	for _, bad := range []string{`5`, `W/"7"`, `"5", "6"`} {
		p := patch(bad, map[string]any{"name": "x"}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
		if !strings.Contains(mustString(p["errors"]), "header.If-Match") {
			t.Errorf("If-Match %s: %v", bad, p)
		}
	}
	// A replayed answer carries its ETag.
	keyed := map[string]string{"Idempotency-Key": "etag-0"}
	first := e.do(req{method: http.MethodPatch, path: path, key: keyAll, tenant: tenantLF, body: map[string]any{"note": "n"}, headers: keyed})
	again := e.do(req{method: http.MethodPatch, path: path, key: keyAll, tenant: tenantLF, body: map[string]any{"note": "n"}, headers: keyed})
	if tag := first.Header.Get("ETag"); tag == "" || again.Header.Get("ETag") != tag || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("ETag %q, replayed %q (%q)", tag, again.Header.Get("ETag"), again.Header.Get("Idempotent-Replayed"))
	}
	// The same Idempotency-Key with another precondition is another request.
	once := map[string]string{"Idempotency-Key": "etag-1", "If-Match": `"1"`}
	e.do(req{method: http.MethodPatch, path: path, key: keyAll, tenant: tenantLF, body: map[string]any{"name": "Fa"}, headers: once}).
		problem(t, http.StatusPreconditionFailed, "PRECONDITION_FAILED")
	once["If-Match"] = `"8"`
	e.do(req{method: http.MethodPatch, path: path, key: keyAll, tenant: tenantLF, body: map[string]any{"name": "Fa"}, headers: once}).
		problem(t, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")

	// A record the vendor keeps no version for has no ETag, and no If-Match
	// matches it.
	legacy := e.sim.AddContact(linkflowtest.Contact{Name: "Old"})
	e.sim.ForgetVersion(legacy)
	lpath := "/v1/contacts/lf_" + strconv.FormatInt(legacy, 10)
	if tag := e.get(lpath).Header.Get("ETag"); tag != "" {
		t.Errorf("ETag %q for a contact without version", tag)
	}
	e.do(req{method: http.MethodPatch, path: lpath, key: keyAll, tenant: tenantLF, body: map[string]any{"name": "x"}, headers: map[string]string{"If-Match": `"1"`}}).
		problem(t, http.StatusPreconditionFailed, "PRECONDITION_FAILED")

	// Linkflow cannot delete contacts, conditionally or not.
	e.do(req{method: http.MethodDelete, path: path, key: keyAll, tenant: tenantLF, headers: map[string]string{"If-Match": `"8"`}}).
		problem(t, http.StatusNotImplemented, "UNSUPPORTED_OPERATION")
	caps := e.get("/v1/capabilities").ok(t, http.StatusOK)
	if ifm, _ := caps["if_match"].([]any); len(ifm) != 1 || ifm[0] != "updateContact" {
		t.Errorf("capabilities if_match = %v, want [updateContact]", caps["if_match"])
	}
}

// TestListsLeaveOutWhatTheyDoNotLoad: a list never answers an empty
// external_ids or tags for a contact that has them; it leaves out what it
// did not load, and expand=external_ids loads what a GET shows.
func TestListsLeaveOutWhatTheyDoNotLoad(t *testing.T) {
	e := newEnv(t)
	id := e.sim.AddContact(linkflowtest.Contact{Name: "Zed Listed", Company: "ACME", Props: map[string]any{"attr1": "单身"}})
	e.sim.AddIdentity(id, "shop.example.com", "UDC", "zed-1")
	e.sim.AddWeChatIdentity(id, "wx5a39a02868a39999", "Official", "union-zed", "open-zed")
	gid := e.sim.AddGroup("Listed", "static")
	e.sim.AddGroupMembers(gid, id)
	cid := "lf_" + strconv.FormatInt(id, 10)

	one := e.get("/v1/contacts/"+cid).ok(t, http.StatusOK)
	if _, ok := one["tags"]; ok {
		t.Errorf("GET answers tags %v, but Linkflow cannot read a contact's tags", one["tags"])
	}
	wantIDs := mustString(one["external_ids"])
	for _, x := range []string{"zed-1", "open-zed", "union-zed"} {
		if !strings.Contains(wantIDs, x) {
			t.Fatalf("GET external ids %s lack %s", wantIDs, x)
		}
	}
	find := func(path string) map[string]any {
		t.Helper()
		for _, it := range e.get(path).ok(t, http.StatusOK)["data"].([]any) {
			if m := it.(map[string]any); m["id"] == cid {
				return m
			}
		}
		t.Fatalf("%s does not list %s", path, cid)
		return nil
	}
	for _, path := range []string{"/v1/contacts?q=Zed", "/v1/groups/lf_" + strconv.FormatInt(gid, 10) + "/members"} {
		c := find(path)
		if v, ok := c["external_ids"]; ok {
			t.Errorf("%s: external_ids %v without expand", path, v)
		}
		if v, ok := c["tags"]; ok {
			t.Errorf("%s: tags %v", path, v)
		}
		if c["company"] != "ACME" || c["custom_fields"].(map[string]any)["attr1"] != "单身" {
			t.Errorf("%s: contact %v is less complete than its GET", path, c)
		}
		x := find(path + sep(path) + "expand=external_ids")
		if got := mustString(x["external_ids"]); got != wantIDs {
			t.Errorf("%s&expand=external_ids: external ids %s, GET has %s", path, got, wantIDs)
		}
	}
	// A contact without identities: expanded, its external_ids are [].
	bare := e.sim.AddContact(linkflowtest.Contact{Name: "Zoe Bare"})
	for _, it := range e.get("/v1/contacts?q=Zoe&expand=external_ids").ok(t, http.StatusOK)["data"].([]any) {
		if m := it.(map[string]any); m["id"] == "lf_"+strconv.FormatInt(bare, 10) {
			if v, ok := m["external_ids"].([]any); !ok || len(v) != 0 {
				t.Errorf("external_ids %v, want []", m["external_ids"])
			}
		}
	}
	e.get("/v1/contacts?expand=tags").problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
}

// TestGroupListSaysWhenTheVendorCapCutIt: Linkflow answers at most 2000
// groups; the last page says the list was cut there.
func TestGroupListSaysWhenTheVendorCapCutIt(t *testing.T) {
	e := newEnv(t)
	have := len(e.collect("/v1/groups", 200))
	last := func() map[string]any {
		t.Helper()
		cursor := ""
		for {
			p := "/v1/groups?limit=200"
			if cursor != "" {
				p += "&cursor=" + cursor
			}
			page := e.get(p).ok(t, http.StatusOK)
			next, _ := page["next_cursor"].(string)
			if next == "" {
				return page
			}
			if _, ok := page["truncated"]; ok {
				t.Fatalf("truncated on a page with a next cursor: %v", page["truncated"])
			}
			cursor = next
		}
	}
	if tr, ok := last()["truncated"]; ok {
		t.Fatalf("%d groups: truncated %v", have, tr)
	}
	for i := have; i < 2001; i++ {
		e.sim.AddGroup(fmt.Sprintf("cap %04d", i), "static")
	}
	page := last()
	tr, ok := page["truncated"].(map[string]any)
	if !ok || tr["reason"] != "vendor_limit" || tr["limit"] != float64(2000) || tr["detail"] == "" {
		t.Fatalf("last page truncated = %v", page["truncated"])
	}
	if n := len(e.collect("/v1/groups", 200)); n != 2000 {
		t.Fatalf("%d groups listed", n)
	}
}

// TestCreateReportsWhatTheVendorDidNotStore: when the follow-up update of
// a Linkflow create fails, the contact exists; the answer gives its id and
// names the fields not stored, for one create and for batch items. The
// update is retried within the caller's deadline first.
func TestCreateReportsWhatTheVendorDidNotStore(t *testing.T) {
	retries := func(cfg *config.Config) {
		for v, s := range cfg.Vendors {
			s.Retry.MaxAttempts, s.Retry.BaseDelay, s.Retry.MaxDelay = 3, time.Millisecond, time.Millisecond
			cfg.Vendors[v] = s
		}
	}
	e := newEnv(t, retries)
	down := linkflowtest.Fault{PathPrefix: "/v2/contacts/", Method: http.MethodPut, Times: 1000, Status: 503, ContentType: "application/json", Body: `{}`}

	// One failed attempt: the retry stores everything.
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/v2/contacts/", Method: http.MethodPut, Status: 503, ContentType: "application/json", Body: `{}`})
	ok := e.send(http.MethodPost, "/v1/contacts", map[string]any{"name": "Retried", "gender": "female",
		"external_ids": []any{map[string]any{"channel": "shop.example.com", "id": "retried"}}}).ok(t, http.StatusCreated)
	if ok["gender"] != "female" {
		t.Fatalf("created %v", ok)
	}
	if _, has := ok["unwritten"]; has {
		t.Fatalf("unwritten after a successful retry: %v", ok["unwritten"])
	}

	e.sim.InjectFault(down)
	created := e.send(http.MethodPost, "/v1/contacts", map[string]any{"name": "Half", "gender": "female", "note": "VIP", "email": "half@example.com",
		"external_ids": []any{map[string]any{"channel": "shop.example.com", "id": "half"}}}).ok(t, http.StatusCreated)
	id, _ := created["id"].(string)
	if !strings.HasPrefix(id, "lf_") || created["name"] != "Half" || created["email"] != "half@example.com" {
		t.Fatalf("created %v", created)
	}
	un, _ := created["unwritten"].(map[string]any)
	if un == nil || mustString(un["fields"]) != `["gender","note"]` || un["code"] != "VENDOR_UNAVAILABLE" {
		t.Fatalf("unwritten = %v", created["unwritten"])
	}
	n, _ := strconv.ParseInt(strings.TrimPrefix(id, "lf_"), 10, 64)
	if c, found := e.sim.Contact(n); !found || c.Name != "Half" {
		t.Fatalf("contact %s at the vendor: %+v", id, c)
	}

	res := e.send(http.MethodPost, "/v1/contacts/batch", map[string]any{"items": []any{
		map[string]any{"name": "B0", "external_ids": []any{map[string]any{"channel": "batch.example.com", "id": "b0"}}},
		map[string]any{"name": "B1", "nickname": "bee", "external_ids": []any{map[string]any{"channel": "batch.example.com", "id": "b1"}}},
	}}).ok(t, http.StatusOK)
	items := res["results"].([]any)
	if res["succeeded"] != float64(2) || res["failed"] != float64(0) {
		t.Fatalf("batch %v", res)
	}
	if _, has := items[0].(map[string]any)["unwritten"]; has {
		t.Errorf("item 0: %v", items[0])
	}
	b1 := items[1].(map[string]any)
	bun, _ := b1["unwritten"].(map[string]any)
	if b1["status"] != "upserted" || !strings.HasPrefix(fmt.Sprint(b1["id"]), "lf_") || bun == nil || mustString(bun["fields"]) != `["nickname"]` {
		t.Fatalf("item 1: %v", b1)
	}
}
