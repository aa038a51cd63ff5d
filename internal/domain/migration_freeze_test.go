package domain_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// flakyFreezes fails its failAt-th Freeze.
type flakyFreezes struct {
	domain.FreezeStore
	calls  atomic.Int32
	failAt int32
}

func (f *flakyFreezes) Freeze(ctx context.Context, tenant string, until time.Time) error {
	if f.calls.Add(1) == f.failAt {
		return errors.New("freeze store unreachable")
	}
	return f.FreezeStore.Freeze(ctx, tenant, until)
}

// cutoverService is a migration service whose source takes slow to list
// the contacts changed since the migration started, and calls during
// while it does.
func cutoverService(t *testing.T, freezes domain.FreezeStore, slow time.Duration, during func(*domain.Service)) (*domain.Service, *memory.Jobs) {
	t.Helper()
	var svc *domain.Service
	src := &sourceVendor{vendor: "linkflow", contacts: sourceContacts(2), pageSize: 10, filters: []string{"updated_since"}}
	src.changed = func(ctx context.Context, _ time.Time) []domain.Contact {
		time.Sleep(slow)
		if during != nil {
			during(svc)
		}
		return nil
	}
	dst := newTargetVendor("meihua")
	jobs := memory.NewJobs(memory.JobsOptions{})
	svc = newService(t, domain.ServiceConfig{Vendors: testVendors, Jobs: jobs, IDMap: memory.NewIDMap(), Freezes: freezes, Tenants: []domain.Tenant{{
		ID: "acme", Initial: "linkflow", Connections: map[domain.Vendor]domain.Connection{"linkflow": src, "meihua": dst},
	}}})
	runMigrations(t, svc, jobs)
	return svc, jobs
}

// TestCutoverRenewsItsFreeze: a cut-over that runs longer than the freeze
// keeps the tenant's writes frozen until it switches.
func TestCutoverRenewsItsFreeze(t *testing.T) {
	defer domain.SetCutoverSettle(0)()
	defer domain.SetCutoverFreeze(300 * time.Millisecond)()
	var frozen error
	svc, jobs := cutoverService(t, memory.NewFreezes(nil), 800*time.Millisecond, func(svc *domain.Service) {
		frozen = svc.CheckWritable(context.Background(), "acme")
	})
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua", Switch: true, Resources: []domain.MigrationResource{domain.MigrateContacts}})
	waitState(t, jobs, "m1", domain.JobSucceeded)
	if !errors.Is(frozen, domain.ErrFrozen) {
		t.Fatalf("writes 800 ms into a cut-over with a 300 ms freeze: %v, want frozen", frozen)
	}
	if tg := target(t, svc, "acme"); tg.Vendor != "meihua" {
		t.Fatalf("tenant on %s", tg.Vendor)
	}
}

// TestCutoverDoesNotSwitchAfterLosingItsFreeze: when a renewal fails, the
// freeze may have ended and writes gone to the old vendor: the cut-over
// does not switch, pauses, and runs again whole.
func TestCutoverDoesNotSwitchAfterLosingItsFreeze(t *testing.T) {
	defer domain.SetCutoverSettle(0)()
	defer domain.SetCutoverFreeze(300 * time.Millisecond)()
	freezes := &flakyFreezes{FreezeStore: memory.NewFreezes(nil), failAt: 2} // the first renewal
	svc, jobs := cutoverService(t, freezes, 400*time.Millisecond, nil)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua", Switch: true, Resources: []domain.MigrationResource{domain.MigrateContacts}})
	p := waitState(t, jobs, "m1", domain.JobPaused)
	if tg := target(t, svc, "acme"); tg.Vendor != "linkflow" || domain.MigrationPhase(p) != "cutover" {
		t.Fatalf("after losing its freeze: tenant on %s, phase %q (%s)", tg.Vendor, domain.MigrationPhase(p), p.Reason)
	}
	j := waitState(t, jobs, "m1", domain.JobSucceeded)
	if tg := target(t, svc, "acme"); tg.Vendor != "meihua" || j.Runs != 2 {
		t.Fatalf("tenant on %s after %d runs", tg.Vendor, j.Runs)
	}
}

// TestCutoverFullPassStaysInTheCutover: where the source cannot list by
// updated_since, the cut-over passes over every contact; that pass is not
// checkpointed, so the migration stays in its cut-over (phase, resume
// point) until it switches.
func TestCutoverFullPassStaysInTheCutover(t *testing.T) {
	defer domain.SetCutoverSettle(0)()
	var jobs *memory.Jobs
	var mu sync.Mutex
	pages, phases := 0, []string{}
	src := &sourceVendor{vendor: "linkflow", contacts: sourceContacts(10), pageSize: 4, fail: func(int) error {
		mu.Lock()
		defer mu.Unlock()
		if pages++; pages > 3 { // the cut-over's pass: the copy read 3 pages
			j, _ := jobs.Job(context.Background(), "acme", "m1")
			phases = append(phases, domain.MigrationPhase(j))
		}
		return nil
	}}
	dst := newTargetVendor("meihua")
	var svc *domain.Service
	svc, jobs, _ = migrationServiceStores(t, src, dst)
	runMigrations(t, svc, jobs)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua", Switch: true, Resources: []domain.MigrationResource{domain.MigrateContacts}})
	waitState(t, jobs, "m1", domain.JobSucceeded)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(phases, []string{"cutover", "cutover", "cutover"}) {
		t.Fatalf("phases during the cut-over's pass %v, want cutover at each page", phases)
	}
}
