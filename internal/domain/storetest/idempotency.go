package storetest

import (
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// IdempotencyTimes are the durations an IdempotencyStore under test must
// use in place of domain.IdempotencyTTL and domain.IdempotencyLease.
type IdempotencyTimes struct {
	TTL   time.Duration // how long a completed answer is kept
	Lease time.Duration // how long a claim stays in flight
}

// Idempotency is the contract of an IdempotencyStore. newStore returns an
// empty store that keeps completed answers for times.TTL and claims for
// times.Lease.
func Idempotency(t *testing.T, newStore func(t *testing.T, times IdempotencyTimes) domain.IdempotencyStore) {
	t.Helper()
	resp := domain.IdempotentResponse{
		Status: 201,
		Header: map[string][]string{"Location": {"/v1/contacts/lf_1"}, "X-Multi": {"a", "b"}},
		Body:   []byte("{\"id\":\"lf_1\"}\n\x00\xff binary-safe"),
	}
	long := IdempotencyTimes{TTL: time.Hour, Lease: time.Hour}
	const short = 150 * time.Millisecond

	// claim asserts that Begin hands the key to the caller.
	claim := func(t *testing.T, s domain.IdempotencyStore, key, fp string) {
		t.Helper()
		got, err := s.Begin(t.Context(), key, fp)
		if err != nil || got != nil {
			t.Fatalf("Begin(%s, %s) = %v, %v; want a claim (nil, nil)", key, fp, got, err)
		}
	}
	replayed := func(t *testing.T, s domain.IdempotencyStore, key, fp string, want domain.IdempotentResponse) {
		t.Helper()
		got, err := s.Begin(t.Context(), key, fp)
		if err != nil || got == nil || !reflect.DeepEqual(*got, want) {
			t.Fatalf("Begin(%s, %s) = %+v, %v; want the stored response %+v", key, fp, got, err, want)
		}
	}
	complete := func(t *testing.T, s domain.IdempotencyStore, key string, r domain.IdempotentResponse) {
		t.Helper()
		if err := s.Complete(t.Context(), key, r); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name  string
		times IdempotencyTimes
		run   func(t *testing.T, s domain.IdempotencyStore)
	}{
		{"in flight", long, func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k", "fp1")
			if _, err := s.Begin(t.Context(), "k", "fp1"); !errors.Is(err, domain.ErrIdempotencyInFlight) {
				t.Fatalf("second Begin: %v, want ErrIdempotencyInFlight", err)
			}
		}},
		{"other fingerprint in flight", long, func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k", "fp1")
			if _, err := s.Begin(t.Context(), "k", "fp2"); !errors.Is(err, domain.ErrIdempotencyMismatch) {
				t.Fatalf("Begin with another body: %v, want ErrIdempotencyMismatch", err)
			}
		}},
		{"replay", long, func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k", "fp1")
			complete(t, s, "k", resp)
			for range 2 { // replays do not consume the record
				replayed(t, s, "k", "fp1", resp)
			}
		}},
		{"replay of an answer without headers or body", long, func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k", "fp1")
			complete(t, s, "k", domain.IdempotentResponse{Status: 204})
			replayed(t, s, "k", "fp1", domain.IdempotentResponse{Status: 204})
		}},
		{"other fingerprint after completion", long, func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k", "fp1")
			complete(t, s, "k", resp)
			if got, err := s.Begin(t.Context(), "k", "fp2"); !errors.Is(err, domain.ErrIdempotencyMismatch) || got != nil {
				t.Fatalf("Begin with another body = %v, %v; want ErrIdempotencyMismatch and no response", got, err)
			}
		}},
		{"release", long, func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k", "fp1")
			if err := s.Release(t.Context(), "k"); err != nil {
				t.Fatal(err)
			}
			// A failed first attempt must be retryable, even with a
			// corrected body.
			claim(t, s, "k", "fp2")
		}},
		{"keys are independent", long, func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k1", "fp")
			claim(t, s, "k2", "fp")
			complete(t, s, "k1", resp)
			if _, err := s.Begin(t.Context(), "k2", "fp"); !errors.Is(err, domain.ErrIdempotencyInFlight) {
				t.Fatalf("k2 after completing k1: %v, want still in flight", err)
			}
		}},
		{"complete or release of an unknown key", long, func(t *testing.T, s domain.IdempotencyStore) {
			complete(t, s, "nope", resp)
			if err := s.Release(t.Context(), "nope"); err != nil {
				t.Fatal(err)
			}
			claim(t, s, "nope", "fp")
		}},
		{"abandoned claim is free after the lease", IdempotencyTimes{TTL: time.Hour, Lease: short}, func(t *testing.T, s domain.IdempotencyStore) {
			// An owner that crashed never calls Complete or Release; the
			// key must not stay "in progress" for the answer's 24 hours.
			claim(t, s, "k", "fp1")
			time.Sleep(2 * short)
			claim(t, s, "k", "fp2")
		}},
		{"answer outlives the lease", IdempotencyTimes{TTL: time.Hour, Lease: short}, func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k", "fp1")
			complete(t, s, "k", resp)
			time.Sleep(2 * short)
			replayed(t, s, "k", "fp1", resp)
		}},
		{"answer is forgotten after the TTL", IdempotencyTimes{TTL: short, Lease: time.Hour}, func(t *testing.T, s domain.IdempotencyStore) {
			claim(t, s, "k", "fp1")
			complete(t, s, "k", resp)
			time.Sleep(2 * short)
			// After expiry even another body may use the key.
			claim(t, s, "k", "fp2")
		}},
		{"one owner under concurrency", long, func(t *testing.T, s domain.IdempotencyStore) {
			var claims, inflight atomic.Int64
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					got, err := s.Begin(t.Context(), "k", "fp")
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
			if claims.Load() != 1 || inflight.Load() != workers-1 {
				t.Fatalf("%d claims and %d in flight, want 1 and %d", claims.Load(), inflight.Load(), workers-1)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore(t, tt.times))
		})
	}
}
