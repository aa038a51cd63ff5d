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
	begin := func(t *testing.T, s domain.FreezeStore, tenant, id string, deadline time.Time, want bool) time.Time {
		t.Helper()
		until, frozen, err := s.BeginWrite(t.Context(), tenant, id, deadline)
		if err != nil || frozen != want {
			t.Fatalf("BeginWrite(%s, %s) = %v, %v, %v; want frozen %v", tenant, id, until, frozen, err, want)
		}
		return until
	}
	end := func(t *testing.T, s domain.FreezeStore, tenant, id string) {
		t.Helper()
		if err := s.EndWrite(t.Context(), tenant, id); err != nil {
			t.Fatalf("EndWrite(%s, %s): %v", tenant, id, err)
		}
	}
	running := func(t *testing.T, s domain.FreezeStore, tenant string, want bool) time.Time {
		t.Helper()
		latest, ok, err := s.WritesRunning(t.Context(), tenant)
		if err != nil || ok != want {
			t.Fatalf("WritesRunning(%s) = %v, %v, %v; want running %v", tenant, latest, ok, err, want)
		}
		return latest
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
		{"a write registered before the freeze is running", func(t *testing.T, s domain.FreezeStore) {
			deadline := time.Now().Add(time.Minute).Truncate(time.Millisecond)
			begin(t, s, "acme", "w1", deadline, false)
			begin(t, s, "acme", "w2", deadline.Add(-time.Second), false)
			if err := s.Freeze(t.Context(), "acme", time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if got := running(t, s, "acme", true); !got.Equal(deadline) {
				t.Fatalf("latest deadline %v, want %v", got, deadline)
			}
			end(t, s, "acme", "w1")
			if got := running(t, s, "acme", true); !got.Equal(deadline.Add(-time.Second)) {
				t.Fatalf("latest deadline after w1 ended %v, want w2's", got)
			}
			end(t, s, "acme", "w2")
			running(t, s, "acme", false)
			end(t, s, "acme", "w2") // twice: no error
		}},
		{"a write after the freeze is refused", func(t *testing.T, s domain.FreezeStore) {
			until := time.Now().Add(time.Hour).Truncate(time.Millisecond)
			if err := s.Freeze(t.Context(), "acme", until); err != nil {
				t.Fatal(err)
			}
			if got := begin(t, s, "acme", "w1", time.Now().Add(time.Minute), true); !got.Equal(until) {
				t.Fatalf("refused until %v, want the freeze's end %v", got, until)
			}
			running(t, s, "acme", false)
			if err := s.Unfreeze(t.Context(), "acme"); err != nil {
				t.Fatal(err)
			}
			begin(t, s, "acme", "w1", time.Now().Add(time.Minute), false)
			running(t, s, "acme", true)
		}},
		{"a write past its deadline is not running", func(t *testing.T, s domain.FreezeStore) {
			begin(t, s, "acme", "w1", time.Now().Add(150*time.Millisecond), false)
			running(t, s, "acme", true)
			time.Sleep(300 * time.Millisecond)
			running(t, s, "acme", false)
			// A later write is seen; the stale one is still not.
			later := time.Now().Add(time.Minute).Truncate(time.Millisecond)
			begin(t, s, "acme", "w2", later, false)
			if got := running(t, s, "acme", true); !got.Equal(later) {
				t.Fatalf("latest deadline %v, want %v", got, later)
			}
		}},
		{"tenants are apart", func(t *testing.T, s domain.FreezeStore) {
			begin(t, s, "acme", "w1", time.Now().Add(time.Minute), false)
			running(t, s, "globex", false)
			if err := s.Freeze(t.Context(), "globex", time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			begin(t, s, "acme", "w2", time.Now().Add(time.Minute), false)
			begin(t, s, "globex", "w1", time.Now().Add(time.Minute), true)
			end(t, s, "globex", "w1") // another tenant's id: acme's w1 stays
			running(t, s, "acme", true)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}
