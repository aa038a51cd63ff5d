package app_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// TestMigrationCarriesTagGroups: demo-switch's Linkflow tag folders
// become Miaokol tag groups, and its tags go into them; a tag without a
// folder goes into "Migrated from linkflow", as Miaokol keeps every tag
// in a group. The plan says contacts and custom fields cannot go to
// Miaokol, and why. A second run adds nothing.
func TestMigrationCarriesTagGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lf, mk := linkflowSim(e.sb, tenantSwitch), mkSim(e.sb, tenantSwitch)
	lf.AddTag(linkflowtest.Tag{TagName: "无分组标签"})
	existing := mk.AddGroup("客户分层") // a group of that name is taken as it is
	mk.AddTag(existing, "新客")

	folder := map[string]string{} // linkflow folder id -> name
	page := e.do(req{method: http.MethodGet, path: "/v1/tag-groups?limit=200", key: keyOther, tenant: tenantSwitch}).ok(t, http.StatusOK)
	for _, g := range page["data"].([]any) {
		g := g.(map[string]any)
		folder[g["id"].(string)] = g["name"].(string)
	}
	want := map[string]map[string]bool{} // miaokol group name -> tag names
	for _, tg := range lf.Tags() {
		group := "Migrated from linkflow"
		if tg.FolderID != 0 {
			group = folder["lf_"+strconv.FormatInt(tg.FolderID, 10)]
		}
		if want[group] == nil {
			want[group] = map[string]bool{}
		}
		want[group][tg.TagName] = true
	}
	if len(folder) < 2 || len(want["Migrated from linkflow"]) != 1 {
		t.Fatalf("folders %v, tags by group %v: the demo data does not test what it should", folder, want)
	}

	check := func() {
		t.Helper()
		groups := map[string]int{}
		tags := map[string]map[string]int{}
		for _, g := range mk.Groups() {
			groups[g.Name]++
			if tags[g.Name] == nil {
				tags[g.Name] = map[string]int{}
			}
			for _, tg := range g.Tags {
				tags[g.Name][tg.Name]++
			}
		}
		for group, names := range want {
			if groups[group] != 1 {
				t.Errorf("tag group %q is at miaokol %d times, want once", group, groups[group])
			}
			for name := range names {
				if n := tags[group][name]; n != 1 {
					t.Errorf("tag %q is in miaokol group %q %d times, want once", name, group, n)
				}
			}
		}
	}

	r := e.admin(http.MethodPost, "/admin/v1/tenants/"+tenantSwitch+"/migrations", map[string]any{"to": "miaokol"})
	started := r.ok(t, http.StatusAccepted)
	for _, res := range []string{"contacts", "custom_fields", "contact_tags", "events"} {
		if s := planStep(t, started, res); s["action"] != "cannot" || s["detail"] == "" {
			t.Errorf("plan step %v: want cannot, with why", s)
		}
	}
	if s := planStep(t, started, "tags"); s["action"] != "carry" || !strings.Contains(s["detail"].(string), `"Migrated from linkflow"`) {
		t.Errorf("tags step %v: want carried, naming the group for tags without one", s)
	}
	done := e.waitMigration(r.Header.Get("Location"), "succeeded")
	if p := progressOf(t, done, "tags"); p["failed"].(float64) != 0 || int(p["done"].(float64)) != len(lf.Tags()) {
		t.Fatalf("tags progress %v, errors %v", p, done["errors"])
	}
	check()

	r = e.admin(http.MethodPost, "/admin/v1/tenants/"+tenantSwitch+"/migrations", map[string]any{"to": "miaokol"})
	again := e.waitMigration(r.Header.Get("Location"), "succeeded")
	for _, res := range []string{"tag_groups", "tags"} {
		if p := progressOf(t, again, res); p["done"].(float64) != 0 || p["failed"].(float64) != 0 {
			t.Errorf("second run's %s progress %v: want everything skipped", res, p)
		}
	}
	check()
}

// TestMigrationCarriesChangesMadeWhileItRuns: a contact created at
// Linkflow, and added to a carried group, while the migration carries its
// tags (after the contact and member passes) is carried by the delta pass
// (Linkflow lists contacts by updated_since) and joins the group at
// Meihua.
func TestMigrationCarriesChangesMadeWhileItRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mh := meihuaSim(e.sb, tenantSwitch)
	// The tags pass waits on its first Meihua tag: time to write at Linkflow.
	mh.InjectFault(vendortest.Fault{PathPrefix: "/contact/tag/add", Times: 1, Delay: 2 * time.Second})
	on := func(method, path string, body any) resp {
		t.Helper()
		return e.do(req{method: method, path: path, key: keyOther, tenant: tenantSwitch, body: body})
	}
	var group, groupName string
	for _, g := range on(http.MethodGet, "/v1/groups?limit=200", nil).ok(t, http.StatusOK)["data"].([]any) {
		if g := g.(map[string]any); g["type"] == "static" {
			group, groupName = g["id"].(string), g["name"].(string)
			break
		}
	}

	r := e.admin(http.MethodPost, "/admin/v1/tenants/"+tenantSwitch+"/migrations", map[string]any{"to": "meihua"})
	r.ok(t, http.StatusAccepted)
	loc := r.Header.Get("Location")
	deadline := time.Now().Add(10 * time.Second)
	for progressOf(nil, e.admin(http.MethodGet, loc, nil).ok(t, http.StatusOK), "group_members") == nil {
		if time.Now().After(deadline) {
			t.Fatal("the member pass did not end")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := on(http.MethodPost, "/v1/contacts", map[string]any{"name": "Late", "email": "late@example.com", "external_ids": externalID("late-1")}).ok(t, http.StatusCreated)
	on(http.MethodPost, "/v1/groups/"+group+"/members", map[string]any{"contact_ids": []string{c["id"].(string)}}).ok(t, http.StatusOK)
	if m := e.admin(http.MethodGet, loc, nil).ok(t, http.StatusOK); m["state"] != "running" || progressOf(nil, m, "tags") != nil {
		t.Fatalf("the writes came after the tags pass: %v", m["progress"])
	}

	done := e.waitMigration(loc, "succeeded")
	if p := progressOf(t, done, "contacts_changed"); p["done"].(float64) < 1 {
		t.Fatalf("changed contacts progress %v", p)
	}
	var late int64
	for _, c := range mh.Contacts() {
		if c.Email == "late@example.com" {
			if late != 0 {
				t.Fatal("the late contact is at meihua twice")
			}
			late = c.ID
		}
	}
	if late == 0 {
		t.Fatal("the contact created during the migration is not at meihua")
	}
	for _, g := range mh.Groups() {
		if g.Name == groupName {
			if !slices.Contains(g.ContactIDs, late) {
				t.Fatalf("meihua group %q has members %v, not the late contact %d", groupName, g.ContactIDs, late)
			}
			return
		}
	}
	t.Fatalf("group %q is not at meihua", groupName)
}
