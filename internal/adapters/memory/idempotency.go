package memory

import (
	"context"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// IdempotencyOptions configures an Idempotency store.
type IdempotencyOptions struct {
	// TTL is how long a completed answer is kept; domain.IdempotencyTTL
	// when zero.
	TTL time.Duration
	// Lease is how long a claim stays in flight without Complete or
	// Release; domain.IdempotencyLease when zero.
	Lease time.Duration
	// Now is the clock records expire by; time.Now when nil.
	Now func() time.Time
}

// Idempotency is an in-process domain.IdempotencyStore.
type Idempotency struct {
	mu        sync.Mutex
	m         map[string]*idemEntry
	now       func() time.Time
	ttl       time.Duration
	lease     time.Duration
	lastSweep time.Time
}

var _ domain.IdempotencyStore = (*Idempotency)(nil)

type idemEntry struct {
	fingerprint string
	done        bool
	resp        domain.IdempotentResponse
	expires     time.Time
}

// NewIdempotency returns an empty in-process idempotency store.
func NewIdempotency(opts IdempotencyOptions) *Idempotency {
	s := &Idempotency{m: make(map[string]*idemEntry), now: clock(opts.Now), ttl: opts.TTL, lease: opts.Lease}
	if s.ttl <= 0 {
		s.ttl = domain.IdempotencyTTL
	}
	if s.lease <= 0 {
		s.lease = domain.IdempotencyLease
	}
	return s
}

// Begin implements domain.IdempotencyStore.
func (s *Idempotency) Begin(_ context.Context, key, fingerprint string) (*domain.IdempotentResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now)
	e, ok := s.m[key]
	if !ok || now.After(e.expires) {
		s.m[key] = &idemEntry{fingerprint: fingerprint, expires: now.Add(s.lease)}
		return nil, nil
	}
	switch {
	case e.fingerprint != fingerprint:
		return nil, domain.ErrIdempotencyMismatch
	case !e.done:
		return nil, domain.ErrIdempotencyInFlight
	}
	r := e.resp
	return &r, nil
}

// Complete implements domain.IdempotencyStore.
func (s *Idempotency) Complete(_ context.Context, key string, resp domain.IdempotentResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok {
		e.done, e.resp, e.expires = true, resp, s.now().Add(s.ttl)
	}
	return nil
}

// Release implements domain.IdempotencyStore.
func (s *Idempotency) Release(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// sweep drops expired entries at most once a minute; called with the lock
// held. It keeps the store free of goroutines.
func (s *Idempotency) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < time.Minute {
		return
	}
	s.lastSweep = now
	for k, e := range s.m {
		if now.After(e.expires) {
			delete(s.m, k)
		}
	}
}
