package memory

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Expiry over the real durations (24 h, 5 min) with a settable clock; the
// storetest contracts check expiry in real time with short durations. These
// are internal tests because the defaults and the sweep are only visible
// in the store's fields.

func TestIdempotencyDefaults(t *testing.T) {
	t.Parallel()
	if domain.IdempotencyTTL != 24*time.Hour {
		t.Fatalf("IdempotencyTTL = %v, the API promises 24h", domain.IdempotencyTTL)
	}
	if s := NewIdempotency(IdempotencyOptions{}); s.ttl != domain.IdempotencyTTL || s.lease != domain.IdempotencyLease {
		t.Fatalf("ttl = %v, lease = %v; want IdempotencyTTL and IdempotencyLease", s.ttl, s.lease)
	}
}

func TestIdempotencyExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	resp := domain.IdempotentResponse{Status: 200, Body: []byte(`{}`)}
	tests := []struct {
		name string
		run  func(t *testing.T, s *Idempotency, c *vendortest.Clock)
	}{
		{"completed record is replayed until 24h, then forgotten", func(t *testing.T, s *Idempotency, c *vendortest.Clock) {
			mustClaim(t, s, "k", "fp1")
			c.Advance(time.Hour)
			if err := s.Complete(ctx, "k", resp); err != nil {
				t.Fatal(err)
			}
			// 24h run from completion, not from the claim.
			c.Advance(domain.IdempotencyTTL - time.Minute)
			if got, err := s.Begin(ctx, "k", "fp1"); err != nil || got == nil {
				t.Fatalf("before expiry: %v, %v; want the stored response", got, err)
			}
			c.Advance(2 * time.Minute)
			// After expiry even another body may use the key.
			mustClaim(t, s, "k", "fp2")
		}},
		{"abandoned claim expires after the lease", func(t *testing.T, s *Idempotency, c *vendortest.Clock) {
			// An owner that crashed never calls Complete or Release; the
			// key must not stay "in progress" for the answer's 24 hours.
			mustClaim(t, s, "k", "fp1")
			c.Advance(domain.IdempotencyLease - time.Second)
			if _, err := s.Begin(ctx, "k", "fp1"); !errors.Is(err, domain.ErrIdempotencyInFlight) {
				t.Fatalf("before expiry: %v, want in flight", err)
			}
			c.Advance(2 * time.Second)
			mustClaim(t, s, "k", "fp1")
		}},
		{"sweep drops expired records", func(t *testing.T, s *Idempotency, c *vendortest.Clock) {
			for _, k := range []string{"a", "b", "c"} {
				mustClaim(t, s, k, "fp")
			}
			c.Advance(domain.IdempotencyTTL + time.Minute)
			mustClaim(t, s, "d", "fp")
			if len(s.m) != 1 {
				t.Fatalf("%d records kept, want only the fresh one", len(s.m))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := vendortest.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
			tt.run(t, NewIdempotency(IdempotencyOptions{Now: c.Now}), c)
		})
	}
}

func mustClaim(t *testing.T, s *Idempotency, key, fp string) {
	t.Helper()
	got, err := s.Begin(context.Background(), key, fp)
	if err != nil || got != nil {
		t.Fatalf("Begin(%s, %s) = %v, %v; want a claim", key, fp, got, err)
	}
}

func TestBindingsUpdatedAt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := vendortest.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	s := NewBindings(BindingsOptions{Now: c.Now})
	if err := s.Seed(ctx, "acme", domain.Vendor("linkflow")); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	_, b, err := s.Switch(ctx, "acme", domain.Vendor("meihua"))
	if err != nil {
		t.Fatal(err)
	}
	// Stored in UTC so that replicas in other zones compare equal.
	if !b.UpdatedAt.Equal(c.Now()) || b.UpdatedAt.Location() != time.UTC {
		t.Fatalf("UpdatedAt = %v, want %v in UTC", b.UpdatedAt, c.Now())
	}
}
