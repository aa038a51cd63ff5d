package storetest

import (
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Freeze is the contract of a FreezeStore. newStore returns an empty store.
func Freeze(t *testing.T, newStore func(t *testing.T) domain.FreezeStore) {
	t.Helper()
	frozen := func(t *testing.T, s domain.FreezeStore, tenant string, want bool) time.Time {
		t.Helper()
		until, ok, err := s.Frozen(t.Context(), tenant)
		if err != nil || ok != want {
			t.Fatalf("Frozen(%s) = %v, %v, %v; want frozen %v", tenant, until, ok, err, want)
		}
		return until
	}
	tests := []struct {
		name string
		run  func(t *testing.T, s domain.FreezeStore)
	}{
		{"freeze and unfreeze", func(t *testing.T, s domain.FreezeStore) {
			frozen(t, s, "acme", false)
			until := time.Now().Add(time.Hour).Truncate(time.Millisecond)
			if err := s.Freeze(t.Context(), "acme", until); err != nil {
				t.Fatal(err)
			}
			if got := frozen(t, s, "acme", true); !got.Equal(until) {
				t.Fatalf("frozen until %v, want %v", got, until)
			}
			frozen(t, s, "globex", false)
			if err := s.Unfreeze(t.Context(), "acme"); err != nil {
				t.Fatal(err)
			}
			frozen(t, s, "acme", false)
			if err := s.Unfreeze(t.Context(), "acme"); err != nil {
				t.Fatalf("Unfreeze of a tenant not frozen: %v", err)
			}
		}},
		{"a freeze ends by itself", func(t *testing.T, s domain.FreezeStore) {
			if err := s.Freeze(t.Context(), "acme", time.Now().Add(150*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			frozen(t, s, "acme", false)
		}},
		{"a freeze in the past is none", func(t *testing.T, s domain.FreezeStore) {
			if err := s.Freeze(t.Context(), "acme", time.Now().Add(-time.Second)); err != nil {
				t.Fatal(err)
			}
			frozen(t, s, "acme", false)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}
