package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
)

// TestMigrationOnAQuotaSmallerThanAStep: the target allows one call in
// half a second, fewer than one step of the migration needs (its field
// definitions, then a chunk of contacts). A migration that paused and did
// the step again each time would spend every window on the step's first
// call and never finish; resting in place, it goes on from call to call
// and carries every contact once, in one run.
func TestMigrationOnAQuotaSmallerThanAStep(t *testing.T) {
	t.Parallel()
	migrateOnAQuota(t, vendorhttp.Quota{Calls: 1, Per: 500 * time.Millisecond}, 40*time.Second)
}

// migrateOnAQuota migrates demo-switch's Linkflow contacts (three pages)
// to Meihua under quota there. The migration must be shown paused on the
// quota, with a time to resume, then succeed within, in one run (its
// calls wait for the quota in place), with every contact at Meihua once.
func migrateOnAQuota(t *testing.T, quota vendorhttp.Quota, within time.Duration) {
	t.Helper()
	sb, cfg := bigSandbox(t)
	for i, tn := range cfg.Tenants {
		for j, conn := range tn.Connections {
			if tn.ID == tenantSwitch && conn.Vendor == "meihua" {
				cfg.Tenants[i].Connections[j].Quota = &quota
			}
		}
	}
	e := serve(t, sb, cfg, app.Options{})
	mh := meihuaSim(e.sb, tenantSwitch)
	r := e.admin(http.MethodPost, "/admin/v1/tenants/"+tenantSwitch+"/migrations", map[string]any{"to": "meihua", "resources": []string{"contacts"}})
	r.ok(t, http.StatusAccepted)
	loc := r.Header.Get("Location")
	paused := e.waitMigrationWithin(loc, "paused", 5*time.Second)
	if reason, _ := paused["reason"].(string); !strings.Contains(reason, "meihua call quota") || paused["resume_at"] == nil {
		t.Fatalf("paused without the quota as its reason or a time to resume: %v", paused)
	}
	done := e.waitMigrationWithin(loc, "succeeded", within)
	if done["runs"].(float64) != 1 {
		t.Fatalf("runs %v, want 1: the job rests in place", done["runs"])
	}
	emails := map[string]int{}
	for _, c := range mh.Contacts() {
		emails[strings.ToLower(c.Email)]++
	}
	carried := 0
	for _, c := range linkflowSim(e.sb, tenantSwitch).Contacts() {
		if c.Email == "" {
			continue
		}
		carried++
		if n := emails[strings.ToLower(c.Email)]; n != 1 {
			t.Errorf("linkflow contact %d (%s) is at meihua %d times, want once", c.ID, c.Email, n)
		}
	}
	if carried == 0 {
		t.Fatal("no linkflow contact with an email to look for at meihua")
	}
}
