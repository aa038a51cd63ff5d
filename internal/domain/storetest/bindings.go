package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Bindings is the contract of a BindingStore. newStore returns an empty
// store; a store that caches must serve its own writes at once.
func Bindings(t *testing.T, newStore func(t *testing.T) domain.BindingStore) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s domain.BindingStore)
	}{
		{"unknown tenant", func(t *testing.T, s domain.BindingStore) {
			ctx := t.Context()
			if _, err := s.Binding(ctx, "nobody"); !errors.Is(err, domain.ErrTenantUnknown) {
				t.Errorf("Binding: %v, want ErrTenantUnknown", err)
			}
			// Switch must not create a tenant that was never seeded.
			if _, _, err := s.Switch(ctx, "nobody", vendorA); !errors.Is(err, domain.ErrTenantUnknown) {
				t.Errorf("Switch: %v, want ErrTenantUnknown", err)
			}
			if _, err := s.Binding(ctx, "nobody"); !errors.Is(err, domain.ErrTenantUnknown) {
				t.Errorf("Binding after Switch: %v, want ErrTenantUnknown", err)
			}
		}},
		{"seed", func(t *testing.T, s domain.BindingStore) {
			ctx := t.Context()
			before := time.Now()
			if err := s.Seed(ctx, "acme", vendorA); err != nil {
				t.Fatal(err)
			}
			b, err := s.Binding(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if b.Tenant != "acme" || b.Vendor != vendorA || b.Version != 1 {
				t.Fatalf("Binding = %+v, want acme on vendora at version 1", b)
			}
			// UTC, so that replicas in other zones compare equal.
			if b.UpdatedAt.Before(before.Add(-time.Second)) || b.UpdatedAt.Location() != time.UTC {
				t.Fatalf("UpdatedAt = %v, want about now in UTC", b.UpdatedAt)
			}
			// A second seed with another vendor is a no-op.
			if err := s.Seed(ctx, "acme", vendorB); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.Binding(ctx, "acme"); got != b {
				t.Fatalf("after second seed: %+v, want %+v", got, b)
			}
		}},
		{"seed does not undo a switch", func(t *testing.T, s domain.BindingStore) {
			ctx := t.Context()
			if err := s.Seed(ctx, "acme", vendorA); err != nil {
				t.Fatal(err)
			}
			// A restart re-seeds from config: it must not undo a run-time switch.
			if _, _, err := s.Switch(ctx, "acme", vendorB); err != nil {
				t.Fatal(err)
			}
			if err := s.Seed(ctx, "acme", vendorA); err != nil {
				t.Fatal(err)
			}
			if b, _ := s.Binding(ctx, "acme"); b.Vendor != vendorB || b.Version != 2 {
				t.Fatalf("after re-seed: %+v, want vendorb at version 2", b)
			}
		}},
		{"switch", func(t *testing.T, s domain.BindingStore) {
			ctx := t.Context()
			if err := s.Seed(ctx, "acme", vendorA); err != nil {
				t.Fatal(err)
			}
			from, b, err := s.Switch(ctx, "acme", vendorA)
			if err != nil || from != b || b.Version != 1 || b.Vendor != vendorA {
				t.Fatalf("switch to current: from %+v to %+v, %v; want unchanged version 1", from, b, err)
			}
			from, b, err = s.Switch(ctx, "acme", vendorC)
			if err != nil || from.Vendor != vendorA || from.Version != 1 || b.Version != 2 || b.Vendor != vendorC || b.Tenant != "acme" {
				t.Fatalf("switch: from %+v to %+v, %v; want vendora v1 to vendorc v2", from, b, err)
			}
			if b.UpdatedAt.Before(from.UpdatedAt) || b.UpdatedAt.Location() != time.UTC {
				t.Fatalf("UpdatedAt %v after %v: want a later time in UTC", b.UpdatedAt, from.UpdatedAt)
			}
			if got, _ := s.Binding(ctx, "acme"); got != b {
				t.Fatalf("Binding = %+v, want what Switch returned %+v", got, b)
			}
			// Switching back is a change like any other.
			from2, b2, err := s.Switch(ctx, "acme", vendorA)
			if err != nil || from2 != b || b2.Version != 3 || b2.Vendor != vendorA {
				t.Fatalf("switch back: from %+v to %+v, %v; want vendorc v2 to vendora v3", from2, b2, err)
			}
		}},
		{"tenants are independent", func(t *testing.T, s domain.BindingStore) {
			ctx := t.Context()
			for _, tenant := range []string{"acme", "beta"} {
				if err := s.Seed(ctx, tenant, vendorD); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := s.Switch(ctx, "acme", vendorB); err != nil {
				t.Fatal(err)
			}
			if b, _ := s.Binding(ctx, "beta"); b.Version != 1 || b.Vendor != vendorD {
				t.Fatalf("beta = %+v, want vendord at version 1", b)
			}
		}},
		{"concurrent seeds", func(t *testing.T, s domain.BindingStore) {
			ctx := t.Context()
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					if err := s.Seed(ctx, "acme", vendors[w%len(vendors)]); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			b, err := s.Binding(ctx, "acme")
			if err != nil || b.Version != 1 || !slices.Contains(vendors, b.Vendor) {
				t.Fatalf("after concurrent seeds: %+v, %v; want one vendor at version 1", b, err)
			}
		}},
		{"concurrent switches", func(t *testing.T, s domain.BindingStore) {
			ctx := t.Context()
			if err := s.Seed(ctx, "acme", vendorA); err != nil {
				t.Fatal(err)
			}
			const rounds = 40
			var (
				mu       sync.Mutex
				versions []int64 // new versions of the calls that changed something
				wg       sync.WaitGroup
			)
			for w := range workers {
				wg.Go(func() {
					for r := range rounds {
						v := vendors[(w+r)%len(vendors)]
						from, to, err := s.Switch(ctx, "acme", v)
						if err != nil {
							t.Error(err)
							return
						}
						if to.Vendor != v {
							t.Errorf("Switch(%s) returned %+v", v, to)
						}
						if from.Version != to.Version {
							if to.Version != from.Version+1 || from.Vendor == v {
								t.Errorf("Switch(%s): from %+v to %+v, want one version up from another vendor", v, from, to)
							}
							mu.Lock()
							versions = append(versions, to.Version)
							mu.Unlock()
						}
						if _, err := s.Binding(ctx, "acme"); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			// Every change got its own version and there are no gaps:
			// no lost or double bump.
			slices.Sort(versions)
			for i, v := range versions {
				if v != int64(i)+2 {
					t.Fatalf("versions of the changes: %v..., want 2, 3, 4, ... without gaps or repeats", versions[:i+1])
				}
			}
			b, err := s.Binding(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if want := int64(len(versions)) + 1; b.Version != want {
				t.Fatalf("version %d after %d changes, want %d", b.Version, len(versions), want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore(t))
		})
	}
}
