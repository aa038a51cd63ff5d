package app_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
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
