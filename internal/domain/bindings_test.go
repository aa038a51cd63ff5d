package domain_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// testBindingStore is the contract of a BindingStore, written against the
// interface so that every implementation can be held to the same rules.
func testBindingStore(t *testing.T, newStore func(t *testing.T) domain.BindingStore) {
	t.Helper()
	ctx := context.Background()

	t.Run("unknown tenant", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if _, err := s.Binding(ctx, "nobody"); !errors.Is(err, domain.ErrTenantUnknown) {
			t.Errorf("Binding: %v, want ErrTenantUnknown", err)
		}
		// Switch must not create a tenant that was never seeded.
		if _, _, err := s.Switch(ctx, "nobody", domain.Linkflow); !errors.Is(err, domain.ErrTenantUnknown) {
			t.Errorf("Switch: %v, want ErrTenantUnknown", err)
		}
		if _, err := s.Binding(ctx, "nobody"); !errors.Is(err, domain.ErrTenantUnknown) {
			t.Errorf("Binding after Switch: %v, want ErrTenantUnknown", err)
		}
	})

	t.Run("seed", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if err := s.Seed(ctx, "acme", domain.Linkflow); err != nil {
			t.Fatal(err)
		}
		b, err := s.Binding(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if b.Tenant != "acme" || b.Vendor != domain.Linkflow || b.Version != 1 || b.UpdatedAt.IsZero() {
			t.Fatalf("Binding = %+v, want acme on linkflow at version 1", b)
		}
		// A restart re-seeds from config: it must not undo a run-time switch.
		if _, _, err := s.Switch(ctx, "acme", domain.Meihua); err != nil {
			t.Fatal(err)
		}
		if err := s.Seed(ctx, "acme", domain.Linkflow); err != nil {
			t.Fatal(err)
		}
		if b, _ := s.Binding(ctx, "acme"); b.Vendor != domain.Meihua || b.Version != 2 {
			t.Fatalf("after re-seed: %+v, want meihua at version 2", b)
		}
	})

	t.Run("switch", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if err := s.Seed(ctx, "acme", domain.Linkflow); err != nil {
			t.Fatal(err)
		}
		from, b, err := s.Switch(ctx, "acme", domain.Linkflow)
		if err != nil || from != b || b.Version != 1 || b.Vendor != domain.Linkflow {
			t.Fatalf("switch to current: from %+v to %+v, %v; want unchanged version 1", from, b, err)
		}
		from, b, err = s.Switch(ctx, "acme", domain.NXCloud)
		if err != nil || from.Vendor != domain.Linkflow || from.Version != 1 || b.Version != 2 || b.Vendor != domain.NXCloud || b.Tenant != "acme" {
			t.Fatalf("switch: from %+v to %+v, %v; want linkflow v1 to nxcloud v2", from, b, err)
		}
		if got, _ := s.Binding(ctx, "acme"); got != b {
			t.Fatalf("Binding = %+v, want what Switch returned %+v", got, b)
		}
		// Tenants are independent.
		if err := s.Seed(ctx, "beta", domain.Miaokol); err != nil {
			t.Fatal(err)
		}
		if b, _ := s.Binding(ctx, "beta"); b.Version != 1 || b.Vendor != domain.Miaokol {
			t.Fatalf("beta = %+v", b)
		}
	})

	t.Run("concurrent switches", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if err := s.Seed(ctx, "acme", domain.Linkflow); err != nil {
			t.Fatal(err)
		}
		const workers, rounds = 32, 100
		var changes atomic.Int64
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for r := range rounds {
					v := domain.Vendors[(w+r)%len(domain.Vendors)]
					from, b, err := s.Switch(ctx, "acme", v)
					changed := from.Version != b.Version
					if err != nil {
						t.Error(err)
						return
					}
					if b.Vendor != v {
						t.Errorf("Switch(%s) returned %+v", v, b)
					}
					if changed {
						changes.Add(1)
					}
					if _, err := s.Binding(ctx, "acme"); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		// Every reported change is exactly one version: no lost or
		// double bump.
		b, err := s.Binding(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if b.Version != 1+changes.Load() {
			t.Fatalf("version %d after %d changes, want %d", b.Version, changes.Load(), 1+changes.Load())
		}
	})
}

func TestMemoryBindings(t *testing.T) {
	t.Parallel()
	testBindingStore(t, func(*testing.T) domain.BindingStore { return domain.NewMemoryBindings() })
}
