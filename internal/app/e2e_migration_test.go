package app_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
	"github.com/cdp-gateway/cdp-gateway/internal/sandbox"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// bigSandbox is a sandbox with 450 demo contacts per simulator (three
// pages for a migration) and keyOther.
func bigSandbox(t *testing.T) (*sandbox.Sandbox, *config.Config) {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{Drivers: builtin, Contacts: 450})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	cfg := sb.Config
	cfg.APIKeys = append(cfg.APIKeys, key("other", keyOther, []string{"read", "write", "admin"}, tenantSwitch))
	return sb, cfg
}

// admin is a call as keyOther (admin on demo-switch) without X-Tenant-ID.
func (e *env) admin(method, path string, body any) resp {
	e.t.Helper()
	return e.do(req{method: method, path: path, key: keyOther, body: body})
}

// waitMigration polls a migration until it reaches state (10 s at most).
func (e *env) waitMigration(loc, state string) map[string]any {
	e.t.Helper()
	return e.waitMigrationWithin(loc, state, 10*time.Second)
}

// waitMigrationWithin polls a migration until it reaches state.
func (e *env) waitMigrationWithin(loc, state string, within time.Duration) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		m := e.admin(http.MethodGet, loc, nil).ok(e.t, http.StatusOK)
		if m["state"] == state {
			return m
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("migration %s is %v (%v), want %s", loc, m["state"], m["reason"], state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMigrationLinkflowToMeihua: demo-switch's Linkflow contacts arrive at
// its Meihua account once each, by the admin API; a second run carries
// nothing again.
func TestMigrationLinkflowToMeihua(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lf, mh := linkflowSim(e.sb, tenantSwitch), meihuaSim(e.sb, tenantSwitch)
	before := len(mh.Contacts())

	r := e.admin(http.MethodPost, "/admin/v1/tenants/"+tenantSwitch+"/migrations", map[string]any{"to": "meihua"})
	m := r.ok(t, http.StatusAccepted)
	loc := r.Header.Get("Location")
	if m["state"] != "queued" || m["from"] != "linkflow" || loc != "/admin/v1/tenants/"+tenantSwitch+"/migrations/"+m["id"].(string) {
		t.Fatalf("started %v at %q", m, loc)
	}
	done := e.waitMigration(loc, "succeeded")
	progress := progressOf(t, done, "contacts")
	carried := int(progress["done"].(float64))
	if carried == 0 || progress["failed"].(float64) != 0 {
		t.Fatalf("progress %v, errors %v", progress, done["errors"])
	}

	emails := map[string]int{}
	for _, c := range mh.Contacts() {
		emails[strings.ToLower(c.Email)]++
	}
	for _, c := range lf.Contacts() {
		if c.Email == "" {
			continue
		}
		if n := emails[strings.ToLower(c.Email)]; n != 1 {
			t.Errorf("linkflow contact %d (%s) is at meihua %d times, want once", c.ID, c.Email, n)
		}
	}
	t.Logf("meihua had %d contacts, %d were carried, it has %d; progress %v", before, carried, len(mh.Contacts()), done["progress"])

	// Every static Linkflow group is at Meihua once, by name (a group of
	// that name the account had is taken as it is), with its members (by
	// email).
	emailOf := map[int64]string{}
	for _, c := range mh.Contacts() {
		emailOf[c.ID] = strings.ToLower(c.Email)
	}
	lfEmail := map[int64]string{}
	for _, c := range lf.Contacts() {
		lfEmail[c.ID] = strings.ToLower(c.Email)
	}
	byName := map[string][]meihuatest.Group{}
	for _, g := range mh.Groups() {
		byName[g.Name] = append(byName[g.Name], g)
	}
	groups := 0
	for _, g := range lf.Groups() {
		if g.GroupType != "static" {
			continue
		}
		groups++
		at := byName[g.Name]
		if len(at) != 1 {
			t.Errorf("linkflow group %q is at meihua %d times, want once", g.Name, len(at))
			continue
		}
		want, got := map[string]bool{}, map[string]bool{}
		for _, id := range lf.GroupMembers(g.ID) {
			if lfEmail[id] != "" {
				want[lfEmail[id]] = true
			}
		}
		for _, id := range at[0].ContactIDs {
			got[emailOf[id]] = true
		}
		for email := range want { // the Meihua group may have had members of its own
			if !got[email] {
				t.Errorf("group %q: member %s is not in it at meihua", g.Name, email)
			}
		}
	}
	if groups == 0 {
		t.Fatal("the demo data has no static Linkflow group: the test checks nothing")
	}

	// Every Linkflow tag is at Meihua once, by name.
	tagNames := map[string]int{}
	for _, tg := range mh.Tags() {
		tagNames[tg.Name]++
	}
	lfTags := lf.Tags()
	if len(lfTags) == 0 {
		t.Fatal("the demo data has no Linkflow tag: the test checks nothing")
	}
	for _, tg := range lfTags {
		if n := tagNames[tg.TagName]; n != 1 {
			t.Errorf("linkflow tag %q is at meihua %d times, want once", tg.TagName, n)
		}
	}

	// Linkflow's custom fields are at Meihua once each, by label (会员等级
	// was there already; the number field 年收入 is created as text), and
	// a contact's number is in it as written.
	props := map[string][]int64{}
	for _, p := range mh.Properties() {
		props[p.Label] = append(props[p.Label], p.ID)
	}
	for _, label := range []string{"婚姻状态", "年收入", "会员等级"} {
		if len(props[label]) != 1 {
			t.Errorf("custom field %q is at meihua %d times, want once", label, len(props[label]))
		}
	}
	fields := map[string]string{}
	for _, f := range done["fields"].([]any) {
		f := f.(map[string]any)
		fields[f["from"].(string)] = f["to"].(string) + " " + f["how"].(string)
	}
	wantFields := map[string]string{"attr1": strconv.FormatInt(props["婚姻状态"][0], 10) + " created",
		"attr2": strconv.FormatInt(props["年收入"][0], 10) + " created", "attr3": strconv.FormatInt(props["会员等级"][0], 10) + " label"}
	if !maps.Equal(fields, wantFields) {
		t.Errorf("carried fields %v, want %v", fields, wantFields)
	}
	income := 0
	for _, c := range lf.Contacts() {
		v, ok := c.Props["attr2"]
		if !ok || c.Email == "" {
			continue
		}
		for _, m := range mh.Contacts() {
			if strings.EqualFold(m.Email, c.Email) && len(props["年收入"]) == 1 {
				income++
				if got := m.Properties[props["年收入"][0]]; got != fmt.Sprint(v) {
					t.Errorf("%s: 年收入 at meihua %q, want %v", c.Email, got, v)
				}
			}
		}
	}
	if income == 0 {
		t.Error("no carried contact has an income: the test checks nothing")
	}

	// Again: everything is in the id map, nothing is written.
	r = e.admin(http.MethodPost, "/admin/v1/tenants/"+tenantSwitch+"/migrations", map[string]any{"to": "meihua", "resources": []string{"contacts"}})
	again := e.waitMigration(r.Header.Get("Location"), "succeeded")
	if p := progressOf(t, again, "contacts"); p["done"].(float64) != 0 || int(p["skipped"].(float64)) != carried {
		t.Fatalf("second run progress %v, want all %d skipped", p, carried)
	}
	list := e.admin(http.MethodGet, "/admin/v1/tenants/"+tenantSwitch+"/migrations", nil).ok(t, http.StatusOK)
	if n := len(list["data"].([]any)); n != 2 {
		t.Fatalf("%d migrations listed, want 2", n)
	}
}

func TestMigrationRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/admin/v1/tenants/" + tenantSwitch + "/migrations"
	for _, tc := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{"to": "linkflow"}, 400, "VALIDATION_FAILED"},
		{map[string]any{"to": "meihua", "resources": []string{"planets"}}, 400, "VALIDATION_FAILED"},
		{map[string]any{"to": "meihua", "speed": "fast"}, 400, "VALIDATION_FAILED"},
		{map[string]any{"to": "venus"}, 400, "VALIDATION_FAILED"},
	} {
		e.admin(http.MethodPost, path, tc.body).problem(t, tc.status, tc.code)
	}
	// Another tenant's key, an unknown migration.
	e.do(req{method: http.MethodPost, path: "/admin/v1/tenants/" + tenantLF + "/migrations", key: keyOther, body: map[string]any{"to": "meihua"}}).problem(t, 403, "TENANT_FORBIDDEN")
	e.admin(http.MethodGet, path+"/mig_aaaaaaaaaaaaaaaaaaaaaaaaaa", nil).problem(t, 404, "NOT_FOUND")
	e.admin(http.MethodGet, path+"/nope", nil).problem(t, 400, "VALIDATION_FAILED")

	// A dry run plans and writes nothing; one migration at a time.
	r := e.admin(http.MethodPost, path, map[string]any{"to": "miaokol", "dry_run": true})
	m := r.ok(t, http.StatusAccepted)
	if step := planStep(t, m, "contacts"); step["action"] != "cannot" {
		t.Fatalf("plan to miaokol: %v, want contacts cannot be carried", step)
	}
	e.waitMigration(r.Header.Get("Location"), "succeeded")
	first := e.admin(http.MethodPost, path, map[string]any{"to": "nxcloud"})
	first.ok(t, http.StatusAccepted)
	second := e.admin(http.MethodPost, path, map[string]any{"to": "meihua"})
	if second.Status != http.StatusConflict {
		// the first may have ended already on a fast machine
		if st := e.admin(http.MethodGet, first.Header.Get("Location"), nil).ok(t, http.StatusOK)["state"]; st == "queued" || st == "running" {
			t.Fatalf("a second migration while one runs: %d %s", second.Status, second.Body)
		}
	} else {
		second.problem(t, http.StatusConflict, "MIGRATION_RUNNING")
	}
	c := e.admin(http.MethodDelete, first.Header.Get("Location"), nil).ok(t, http.StatusOK)
	if c["state"] != "cancelled" && c["cancel_requested"] != true && c["state"] != "succeeded" {
		t.Fatalf("cancel: %v", c)
	}
}

// TestMigrationSwitchesAndTranslatesOldIDs: a migration with switch moves
// demo-switch to Meihua at its end; old Linkflow ids of carried contacts
// are then served through the id map, others still answer 409.
func TestMigrationSwitchesAndTranslatesOldIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lf := linkflowSim(e.sb, tenantSwitch)
	r := e.admin(http.MethodPost, "/admin/v1/tenants/"+tenantSwitch+"/migrations", map[string]any{"to": "meihua", "switch": true})
	r.ok(t, http.StatusAccepted)
	done := e.waitMigration(r.Header.Get("Location"), "succeeded")
	if ten := e.admin(http.MethodGet, "/admin/v1/tenants/"+tenantSwitch, nil).ok(t, http.StatusOK); ten["vendor"] != "meihua" {
		t.Fatalf("after the migration the tenant is on %v (%v)", ten["vendor"], done)
	}
	if !strings.Contains(e.logs.String(), `"audit":"tenant.switch_vendor"`) || !strings.Contains(e.logs.String(), "tenant writes frozen") {
		t.Fatal("no audit line of the switch, or no log line of the freeze")
	}

	old := "lf_" + strconv.FormatInt(lf.Contacts()[0].ID, 10)
	got := e.do(req{method: http.MethodGet, path: "/v1/contacts/" + old, key: keyOther, tenant: tenantSwitch})
	c := got.ok(t, http.StatusOK)
	id, _ := c["id"].(string)
	if !strings.HasPrefix(id, "mh_") || got.Header.Get("X-Id-Translated") != old+"="+id || got.Header.Get("X-Vendor") != "meihua" {
		t.Fatalf("GET %s = %s, X-Id-Translated %q", old, id, got.Header.Get("X-Id-Translated"))
	}
	e.do(req{method: http.MethodGet, path: "/v1/contacts/lf_999999", key: keyOther, tenant: tenantSwitch}).problem(t, http.StatusConflict, "ID_VENDOR_MISMATCH")
	if plain := e.do(req{method: http.MethodGet, path: "/v1/contacts/" + id, key: keyOther, tenant: tenantSwitch}); plain.Header.Get("X-Id-Translated") != "" {
		t.Fatal("an id of the current vendor was reported translated")
	}
}

// TestFrozenTenantRefusesWrites: while a cut-over freezes a tenant's
// writes, writes answer 503 TENANT_MIGRATING with Retry-After, before
// their body is read, and reads are served.
func TestFrozenTenantRefusesWrites(t *testing.T) {
	t.Parallel()
	sb, cfg := newSandbox(t)
	stores := app.MemoryStores()
	e := serve(t, sb, cfg, app.Options{Stores: stores})
	if err := stores.Freezes.Freeze(t.Context(), tenantSwitch, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	w := e.do(req{method: http.MethodPost, path: "/v1/contacts", key: keyOther, tenant: tenantSwitch, body: "{not json"})
	w.problem(t, http.StatusServiceUnavailable, "TENANT_MIGRATING")
	if ra, _ := strconv.Atoi(w.Header.Get("Retry-After")); ra < 50 || ra > 60 {
		t.Fatalf("Retry-After %q, want the freeze's end", w.Header.Get("Retry-After"))
	}
	e.do(req{method: http.MethodGet, path: "/v1/contacts?limit=1", key: keyOther, tenant: tenantSwitch}).ok(t, http.StatusOK)
	e.do(req{method: http.MethodPost, path: "/v1/passthrough", key: keyOther, tenant: tenantSwitch,
		body: map[string]any{"method": "POST", "path": "/open/x", "body": map[string]any{}}}).problem(t, http.StatusServiceUnavailable, "TENANT_MIGRATING")
	// Another tenant writes on.
	e.send(http.MethodPost, "/v1/contacts", map[string]any{"name": "x", "external_ids": []map[string]any{{"channel": "udc", "id": "frozen-1"}}}).ok(t, http.StatusCreated)
	if err := stores.Freezes.Unfreeze(t.Context(), tenantSwitch); err != nil {
		t.Fatal(err)
	}
	e.do(req{method: http.MethodPost, path: "/v1/contacts", key: keyOther, tenant: tenantSwitch, body: "{not json"}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
}

// TestMigrationTakenOverByAnotherReplica: the replica running a migration
// loses Redis mid-way (to the other replicas it is dead: no heartbeat, no
// checkpoint); another replica takes the job over after its lease and
// finishes it from the last checkpoint. Every Linkflow contact is at
// Meihua exactly once, counted in the simulator: no duplicate, no gap.
func TestMigrationTakenOverByAnotherReplica(t *testing.T) {
	t.Parallel()
	sb, cfg := bigSandbox(t)
	rs := redistest.Start(t)
	proxy := redistest.NewProxy(t, rs.Addr())
	jobs := app.JobOptions{Lease: time.Second, Poll: 50 * time.Millisecond}
	replica := func(url, owner string) *env {
		stores, err := app.RedisStores(context.Background(), url, cfg, app.RedisOptions{Prefix: "takeover:", ConnectTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = stores.Close() })
		jobs.Owner = owner
		return serve(t, sb, cfg, app.Options{Stores: stores, Jobs: jobs})
	}
	mh := meihuaSim(sb, tenantSwitch)
	before := len(mh.Contacts())
	// Each Meihua add takes a while, so the migration is mid-way when the
	// first replica is cut off.
	mh.InjectFault(vendortest.Fault{PathPrefix: "/contact/add", Times: 100, Delay: 300 * time.Millisecond})

	a := replica(proxy.URL(), "replica-a")
	r := a.admin(http.MethodPost, "/admin/v1/tenants/"+tenantSwitch+"/migrations", map[string]any{"to": "meihua"})
	r.ok(t, http.StatusAccepted)
	loc := r.Header.Get("Location")
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := a.admin(http.MethodGet, loc, nil).ok(t, http.StatusOK)
		if p := progressOf(nil, m, "contacts"); p != nil && p["done"].(float64) >= 200 {
			break
		}
		if m["state"] == "succeeded" || time.Now().After(deadline) {
			t.Fatalf("the first replica did not stop mid-way: %v", m)
		}
		time.Sleep(10 * time.Millisecond)
	}
	proxy.Refuse(true) // replica A is gone, as far as Redis can tell

	b := replica(rs.URL(), "replica-b")
	done := b.waitMigrationWithin(loc, "succeeded", 30*time.Second)
	if done["runs"].(float64) != 2 {
		t.Fatalf("runs %v, want 2 (taken over once)", done["runs"])
	}
	emails := map[string]int{}
	for _, c := range mh.Contacts() {
		emails[strings.ToLower(c.Email)]++
	}
	lf := linkflowSim(sb, tenantSwitch)
	carried := 0
	for _, c := range lf.Contacts() {
		if c.Email == "" {
			continue
		}
		carried++
		if n := emails[strings.ToLower(c.Email)]; n != 1 {
			t.Errorf("linkflow contact %d (%s) is at meihua %d times, want once", c.ID, c.Email, n)
		}
	}
	t.Logf("meihua had %d contacts, has %d; %d linkflow contacts with an email; progress %v", before, len(mh.Contacts()), carried, done["progress"])
}

// TestMigrationPausesOnASpentQuota: the target connection's call quota
// (6 calls in 2 seconds; three pages of contacts take about 15) runs out
// mid-way; the migration is shown paused (not failed), with its reason
// and resume time, until the quota's window turns, then goes on in the
// same run and carries every contact once.
func TestMigrationPausesOnASpentQuota(t *testing.T) {
	t.Parallel()
	migrateOnAQuota(t, vendorhttp.Quota{Calls: 6, Per: 2 * time.Second}, 30*time.Second)
}

// TestMigrationToLinkflowGivesExternalIDs: Linkflow identifies every
// contact by an external id, which Meihua's contacts lack: the migration
// gives each its old id in the migration channel, so every Meihua contact
// is at Linkflow exactly once, also after a second run.
func TestMigrationToLinkflowGivesExternalIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.admin(http.MethodPut, "/admin/v1/tenants/"+tenantSwitch+"/vendor", map[string]any{"vendor": "meihua"}).ok(t, http.StatusOK)
	mh, lf := meihuaSim(e.sb, tenantSwitch), linkflowSim(e.sb, tenantSwitch)
	body := map[string]any{"to": "linkflow", "resources": []string{"contacts"}}
	r := e.admin(http.MethodPost, "/admin/v1/tenants/"+tenantSwitch+"/migrations", body)
	step := planStep(t, r.ok(t, http.StatusAccepted), "contacts")
	if d, _ := step["detail"].(string); step["action"] != "carry" || !strings.Contains(d, domain.MigrationChannel) {
		t.Fatalf("plan step %v: want carry, naming the migration channel", step)
	}
	done := e.waitMigration(r.Header.Get("Location"), "succeeded")
	if p := progressOf(t, done, "contacts"); p["failed"].(float64) != 0 || int(p["done"].(float64)) != len(mh.Contacts()) {
		t.Fatalf("progress %v, errors %v; want all %d meihua contacts carried", p, done["errors"], len(mh.Contacts()))
	}
	count := func() map[string]int {
		seen := map[string]int{}
		for _, c := range lf.Contacts() {
			for _, id := range lf.Identities(c.ID) {
				if id.Channel.ChannelID == domain.MigrationChannel {
					seen[id.ExternalID]++
				}
			}
		}
		return seen
	}
	seen := count()
	for _, c := range mh.Contacts() {
		if n := seen["mh_"+strconv.FormatInt(c.ID, 10)]; n != 1 {
			t.Errorf("meihua contact %d is at linkflow %d times, want once", c.ID, n)
		}
	}
	r = e.admin(http.MethodPost, "/admin/v1/tenants/"+tenantSwitch+"/migrations", body)
	e.waitMigration(r.Header.Get("Location"), "succeeded")
	if again := count(); !maps.Equal(again, seen) {
		t.Fatal("a second run changed what is at linkflow")
	}
}

// planStep is migration m's plan step for resource.
func planStep(t *testing.T, m map[string]any, resource string) map[string]any {
	t.Helper()
	steps, _ := m["plan"].(map[string]any)["steps"].([]any)
	for _, s := range steps {
		if s := s.(map[string]any); s["resource"] == resource {
			return s
		}
	}
	t.Fatalf("no plan step for %s in %v", resource, m["plan"])
	return nil
}

// progressOf is migration m's progress over resource; nil when it has
// none yet, which fails t unless t is nil.
func progressOf(t *testing.T, m map[string]any, resource string) map[string]any {
	ps, _ := m["progress"].([]any)
	for _, p := range ps {
		if p := p.(map[string]any); p["resource"] == resource {
			return p
		}
	}
	if t != nil {
		t.Helper()
		t.Fatalf("no progress over %s in %v", resource, m["progress"])
	}
	return nil
}
