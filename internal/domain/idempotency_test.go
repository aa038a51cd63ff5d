package domain_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// testIdempotencyStore is the contract of an IdempotencyStore; expiry is
// checked separately because it needs the store's clock.
func testIdempotencyStore(t *testing.T, newStore func(t *testing.T) domain.IdempotencyStore) {
	t.Helper()
	ctx := context.Background()
	resp := domain.IdempotentResponse{Status: 201, Header: map[string][]string{"Location": {"/v1/contacts/lf_1"}}, Body: []byte(`{"id":"lf_1"}`)}

	// claim asserts that Begin hands the key to the caller.
	claim := func(t *testing.T, s domain.IdempotencyStore, key, fp string) {
		t.Helper()
		got, err := s.Begin(ctx, key, fp)
		if err != nil || got != nil {
			t.Fatalf("Begin(%s, %s) = %v, %v; want a claim (nil, nil)", key, fp, got, err)
		}
	}

	tests := []struct {
		name string
		run  func(t *testing.T, s domain.IdempotencyStore)
	}{
		{"in flight", func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k", "fp1")
			if _, err := s.Begin(ctx, "k", "fp1"); !errors.Is(err, domain.ErrIdempotencyInFlight) {
				t.Fatalf("second Begin: %v, want ErrIdempotencyInFlight", err)
			}
		}},
		{"other fingerprint in flight", func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k", "fp1")
			if _, err := s.Begin(ctx, "k", "fp2"); !errors.Is(err, domain.ErrIdempotencyMismatch) {
				t.Fatalf("Begin with another body: %v, want ErrIdempotencyMismatch", err)
			}
		}},
		{"replay", func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k", "fp1")
			if err := s.Complete(ctx, "k", resp); err != nil {
				t.Fatal(err)
			}
			for range 2 { // replays do not consume the record
				got, err := s.Begin(ctx, "k", "fp1")
				if err != nil || got == nil || !reflect.DeepEqual(*got, resp) {
					t.Fatalf("Begin after Complete = %+v, %v; want the stored response", got, err)
				}
			}
		}},
		{"other fingerprint after completion", func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k", "fp1")
			if err := s.Complete(ctx, "k", resp); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Begin(ctx, "k", "fp2"); !errors.Is(err, domain.ErrIdempotencyMismatch) || got != nil {
				t.Fatalf("Begin with another body = %v, %v; want ErrIdempotencyMismatch and no response", got, err)
			}
		}},
		{"release", func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k", "fp1")
			if err := s.Release(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			// A failed first attempt must be retryable, even with a
			// corrected body.
			claim(t, s, "k", "fp2")
		}},
		{"keys are independent", func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k1", "fp")
			claim(t, s, "k2", "fp")
		}},
		{"complete or release of an unknown key", func(t *testing.T, s domain.IdempotencyStore) {
			if err := s.Complete(ctx, "nope", resp); err != nil {
				t.Fatal(err)
			}
			if err := s.Release(ctx, "nope"); err != nil {
				t.Fatal(err)
			}
			claim(t, s, "nope", "fp")
		}},
		{"one winner under concurrency", func(t *testing.T, s domain.IdempotencyStore) {
			var claims, inflight atomic.Int64
			var wg sync.WaitGroup
			for range 64 {
				wg.Go(func() {
					got, err := s.Begin(ctx, "k", "fp")
					switch {
					case err == nil && got == nil:
						claims.Add(1)
					case errors.Is(err, domain.ErrIdempotencyInFlight):
						inflight.Add(1)
					default:
						t.Errorf("Begin = %v, %v", got, err)
					}
				})
			}
			wg.Wait()
			if claims.Load() != 1 || inflight.Load() != 63 {
				t.Fatalf("%d claims and %d in flight, want 1 and 63", claims.Load(), inflight.Load())
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

func TestMemoryIdempotency(t *testing.T) {
	t.Parallel()
	testIdempotencyStore(t, func(*testing.T) domain.IdempotencyStore { return domain.NewMemoryIdempotency() })
}
