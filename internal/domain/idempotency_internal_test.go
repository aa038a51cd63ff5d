package domain

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Internal tests: the store's clock is unexported, and the 24 h TTL and
// 5 min lease cannot be tested in real time. The storetest contract checks
// expiry in real time with short durations.

// NewMemoryIdempotencyForTest returns a MemoryIdempotency that keeps answers
// for ttl and claims for lease. It is defined in a _test file so that the
// external domain_test package can use it without widening the API.
func NewMemoryIdempotencyForTest(ttl, lease time.Duration) *MemoryIdempotency {
	s := NewMemoryIdempotency()
	s.ttl, s.lease = ttl, lease
	return s
}

func newClockedIdempotency() (*MemoryIdempotency, *vendortest.Clock) {
	c := vendortest.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	s := NewMemoryIdempotency()
	s.now = c.Now
	return s, c
}

func TestMemoryIdempotencyTTL(t *testing.T) {
	t.Parallel()
	if IdempotencyTTL != 24*time.Hour {
		t.Fatalf("IdempotencyTTL = %v, the API promises 24h", IdempotencyTTL)
	}
	if s := NewMemoryIdempotency(); s.ttl != IdempotencyTTL || s.lease != IdempotencyLease {
		t.Fatalf("ttl = %v, lease = %v; want IdempotencyTTL and IdempotencyLease", s.ttl, s.lease)
	}
}

func TestMemoryIdempotencyExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	resp := IdempotentResponse{Status: 200, Body: []byte(`{}`)}
	tests := []struct {
		name string
		run  func(t *testing.T, s *MemoryIdempotency, c *vendortest.Clock)
	}{
		{"completed record is replayed until 24h, then forgotten", func(t *testing.T, s *MemoryIdempotency, c *vendortest.Clock) {
			mustClaim(t, s, "k", "fp1")
			c.Advance(time.Hour)
			if err := s.Complete(ctx, "k", resp); err != nil {
				t.Fatal(err)
			}
			// 24h run from completion, not from the claim.
			c.Advance(IdempotencyTTL - time.Minute)
			if got, err := s.Begin(ctx, "k", "fp1"); err != nil || got == nil {
				t.Fatalf("before expiry: %v, %v; want the stored response", got, err)
			}
			c.Advance(2 * time.Minute)
			// After expiry even another body may use the key.
			mustClaim(t, s, "k", "fp2")
		}},
		{"abandoned claim expires after the lease", func(t *testing.T, s *MemoryIdempotency, c *vendortest.Clock) {
			// An owner that crashed never calls Complete or Release; the
			// key must not stay "in progress" for the answer's 24 hours.
			mustClaim(t, s, "k", "fp1")
			c.Advance(IdempotencyLease - time.Second)
			if _, err := s.Begin(ctx, "k", "fp1"); !errors.Is(err, ErrIdempotencyInFlight) {
				t.Fatalf("before expiry: %v, want in flight", err)
			}
			c.Advance(2 * time.Second)
			mustClaim(t, s, "k", "fp1")
		}},
		{"sweep drops expired records", func(t *testing.T, s *MemoryIdempotency, c *vendortest.Clock) {
			for _, k := range []string{"a", "b", "c"} {
				mustClaim(t, s, k, "fp")
			}
			c.Advance(IdempotencyTTL + time.Minute)
			mustClaim(t, s, "d", "fp")
			if len(s.m) != 1 {
				t.Fatalf("%d records kept, want only the fresh one", len(s.m))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := newClockedIdempotency()
			tt.run(t, s, c)
		})
	}
}

func mustClaim(t *testing.T, s *MemoryIdempotency, key, fp string) {
	t.Helper()
	got, err := s.Begin(context.Background(), key, fp)
	if err != nil || got != nil {
		t.Fatalf("Begin(%s, %s) = %v, %v; want a claim", key, fp, got, err)
	}
}

func TestMemoryBindingsUpdatedAt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := vendortest.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	s := NewMemoryBindings()
	s.now = c.Now
	if err := s.Seed(ctx, "acme", Vendor("linkflow")); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	_, b, err := s.Switch(ctx, "acme", Vendor("meihua"))
	if err != nil {
		t.Fatal(err)
	}
	// Stored in UTC so that replicas in other zones compare equal.
	if !b.UpdatedAt.Equal(c.Now()) || b.UpdatedAt.Location() != time.UTC {
		t.Fatalf("UpdatedAt = %v, want %v in UTC", b.UpdatedAt, c.Now())
	}
}
