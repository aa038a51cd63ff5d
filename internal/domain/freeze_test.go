package domain_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// brokenFreezes is a freeze store that cannot be read (Redis down).
type brokenFreezes struct{ *memory.Freezes }

var errStoreDown = errors.New("store down")

func (brokenFreezes) Frozen(context.Context, string) (time.Time, bool, error) {
	return time.Time{}, false, errStoreDown
}

func (brokenFreezes) BeginWrite(context.Context, string, string, time.Time) (time.Time, bool, error) {
	return time.Time{}, false, errStoreDown
}

func freezeService(t *testing.T, freezes domain.FreezeStore) *domain.Service {
	t.Helper()
	return newService(t, domain.ServiceConfig{Vendors: testVendors, Freezes: freezes, Tenants: []domain.Tenant{
		{ID: "acme", Initial: "linkflow", Connections: map[domain.Vendor]domain.Connection{"linkflow": &sourceVendor{vendor: "linkflow"}}},
	}})
}

// waitNoWrites polls until none of tenant's writes is registered.
func waitNoWrites(t *testing.T, s domain.FreezeStore, tenant string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, ok, err := s.WritesRunning(t.Context(), tenant)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's writes still registered", tenant)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBeginWrite: a write let through is registered until it ends, its
// context ending at its deadline; a frozen tenant's write is refused and
// registered nowhere; an unreadable store lets writes through.
func TestBeginWrite(t *testing.T) {
	t.Parallel()
	t.Run("registered until it ends", func(t *testing.T) {
		t.Parallel()
		freezes := memory.NewFreezes(nil)
		svc := freezeService(t, freezes)
		ctx, end, err := svc.BeginWrite(t.Context(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		latest, ok, err := freezes.WritesRunning(t.Context(), "acme")
		if err != nil || !ok {
			t.Fatalf("WritesRunning = %v, %v, %v; want the write", latest, ok, err)
		}
		d, has := ctx.Deadline()
		if !has || !d.Equal(latest) || d.After(time.Now().Add(domain.WriteTimeout)) {
			t.Fatalf("write context deadline %v (%v), registered %v; want the same, within WriteTimeout", d, has, latest)
		}
		end()
		if ctx.Err() == nil {
			t.Fatal("the write's context outlives its end")
		}
		waitNoWrites(t, freezes, "acme")
	})
	t.Run("its own deadline kept", func(t *testing.T) {
		t.Parallel()
		freezes := memory.NewFreezes(nil)
		svc := freezeService(t, freezes)
		parent, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		ctx, end, err := svc.BeginWrite(parent, "acme")
		if err != nil {
			t.Fatal(err)
		}
		defer end()
		want, _ := parent.Deadline()
		latest, _, _ := freezes.WritesRunning(t.Context(), "acme")
		if d, _ := ctx.Deadline(); !d.Equal(want) || !latest.Equal(want) {
			t.Fatalf("deadline %v, registered %v; want the caller's %v", d, latest, want)
		}
	})
	t.Run("refused while frozen", func(t *testing.T) {
		t.Parallel()
		freezes := memory.NewFreezes(nil)
		svc := freezeService(t, freezes)
		if err := freezes.Freeze(t.Context(), "acme", time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		_, end, err := svc.BeginWrite(t.Context(), "acme")
		end()
		if fe := asError[*domain.FrozenError](t, err); fe.Tenant != "acme" || fe.RetryAfter < 50*time.Second {
			t.Fatalf("refused with %+v", fe)
		}
		if _, ok, _ := freezes.WritesRunning(t.Context(), "acme"); ok {
			t.Fatal("a refused write is registered")
		}
	})
	t.Run("fails open", func(t *testing.T) {
		t.Parallel()
		svc := freezeService(t, brokenFreezes{memory.NewFreezes(nil)})
		ctx, end, err := svc.BeginWrite(t.Context(), "acme")
		defer end()
		if err != nil || ctx != t.Context() {
			t.Fatalf("BeginWrite with the store down = %v; want the write to go on as it came", err)
		}
		if err := svc.CheckWritable(t.Context(), "acme"); err != nil {
			t.Fatalf("CheckWritable with the store down = %v", err)
		}
	})
}

// TestCutoverWaitsForRunningWrites: a write let through before the
// cut-over froze the tenant's writes, still running long after the freeze
// (longer than the fixed 2 s the cut-over used to wait), holds the
// cut-over's read of the last changes until it ends.
func TestCutoverWaitsForRunningWrites(t *testing.T) {
	t.Parallel()
	var svc *domain.Service
	var ended, endedAtRead atomic.Bool
	src := &sourceVendor{vendor: "linkflow", contacts: sourceContacts(3), pageSize: 10, filters: []string{"updated_since"}}
	src.changed = func(context.Context, time.Time) []domain.Contact {
		endedAtRead.Store(ended.Load())
		return nil
	}
	dst := newTargetVendor("meihua")
	svc, jobs, _ := migrationServiceStores(t, src, dst)
	_, end, err := svc.BeginWrite(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	startSwitch(t, svc, jobs)
	deadline := time.Now().Add(10 * time.Second)
	for !errors.Is(svc.CheckWritable(t.Context(), "acme"), domain.ErrFrozen) {
		if time.Now().After(deadline) {
			t.Fatal("the cut-over did not freeze the tenant's writes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // the write runs on, past the old fixed wait
	ended.Store(true)
	end()
	waitSwitched(t, svc, jobs)
	if !endedAtRead.Load() {
		t.Fatal("the cut-over read the last changes while a write begun before its freeze was running")
	}
}

// TestCutoverDoesNotWaitPastADeadline: a write whose end never comes
// (its replica died) holds the cut-over until its deadline, no longer.
func TestCutoverDoesNotWaitPastADeadline(t *testing.T) {
	t.Parallel()
	src := &sourceVendor{vendor: "linkflow", contacts: sourceContacts(3), pageSize: 10}
	dst := newTargetVendor("meihua")
	svc, jobs, _ := migrationServiceStores(t, src, dst)
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	if _, _, err := svc.BeginWrite(ctx, "acme"); err != nil { // never ended
		t.Fatal(err)
	}
	startSwitch(t, svc, jobs)
	waitSwitched(t, svc, jobs)
}

// startSwitch runs acme's migration m1 of its contacts from linkflow to
// meihua, with the switch.
func startSwitch(t *testing.T, svc *domain.Service, jobs domain.JobStore) {
	t.Helper()
	runMigrations(t, svc, jobs)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua", Switch: true, Resources: []domain.MigrationResource{domain.MigrateContacts}})
}

// waitSwitched waits for startSwitch's migration to succeed, and checks
// that acme is on meihua.
func waitSwitched(t *testing.T, svc *domain.Service, jobs domain.JobStore) {
	t.Helper()
	waitState(t, jobs, "m1", domain.JobSucceeded)
	if tg := target(t, svc, "acme"); tg.Vendor != "meihua" {
		t.Fatalf("after the cut-over the tenant is on %s", tg.Vendor)
	}
}
