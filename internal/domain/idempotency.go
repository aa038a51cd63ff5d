package domain

import (
	"context"
	"errors"
	"sync"
	"time"
)

// IdempotencyTTL is how long the outcome of a write is kept under its
// Idempotency-Key.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyLease is how long a claimed key stays in flight without
// Complete or Release: a replica that dies mid-request frees its keys after
// it. It outlasts the server's write timeout.
const IdempotencyLease = 5 * time.Minute

// Idempotency errors.
var (
	// ErrIdempotencyInFlight: a request with this key is still running.
	ErrIdempotencyInFlight = errors.New("a request with this Idempotency-Key is still in progress")
	// ErrIdempotencyMismatch: the key was used for a different request.
	ErrIdempotencyMismatch = errors.New("this Idempotency-Key was used with a different request")
)

// IdempotentResponse is a stored answer to replay.
type IdempotentResponse struct {
	Status int
	Header map[string][]string
	Body   []byte
}

// IdempotencyStore keeps the outcome of writes by key. Keys are already
// scoped to tenant and caller; fingerprint identifies the request (method,
// path, tenant and body).
type IdempotencyStore interface {
	// Begin claims key for IdempotencyLease. It returns (nil, nil) when the
	// caller now owns the key and must call Complete (which keeps the answer
	// for IdempotencyTTL) or Release; the stored response when the
	// key was completed with the same fingerprint; ErrIdempotencyMismatch
	// when it was used with another fingerprint; ErrIdempotencyInFlight while
	// its owner is still running.
	Begin(ctx context.Context, key, fingerprint string) (*IdempotentResponse, error)
	// Complete stores the response for key.
	Complete(ctx context.Context, key string, resp IdempotentResponse) error
	// Release forgets key so that a retry runs the request again.
	Release(ctx context.Context, key string) error
}

// MemoryIdempotency is an in-process IdempotencyStore.
type MemoryIdempotency struct {
	mu        sync.Mutex
	m         map[string]*idemEntry
	now       func() time.Time
	ttl       time.Duration
	lease     time.Duration
	lastSweep time.Time
}

type idemEntry struct {
	fingerprint string
	done        bool
	resp        IdempotentResponse
	expires     time.Time
}

// NewMemoryIdempotency returns an empty in-process store.
func NewMemoryIdempotency() *MemoryIdempotency {
	return &MemoryIdempotency{m: make(map[string]*idemEntry), now: time.Now, ttl: IdempotencyTTL, lease: IdempotencyLease}
}

// Begin implements IdempotencyStore.
func (s *MemoryIdempotency) Begin(_ context.Context, key, fingerprint string) (*IdempotentResponse, error) {
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
		return nil, ErrIdempotencyMismatch
	case !e.done:
		return nil, ErrIdempotencyInFlight
	}
	r := e.resp
	return &r, nil
}

// Complete implements IdempotencyStore.
func (s *MemoryIdempotency) Complete(_ context.Context, key string, resp IdempotentResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok {
		e.done, e.resp, e.expires = true, resp, s.now().Add(s.ttl)
	}
	return nil
}

// Release implements IdempotencyStore.
func (s *MemoryIdempotency) Release(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// sweep drops expired entries at most once a minute; called with the lock
// held. It keeps the store free of goroutines.
func (s *MemoryIdempotency) sweep(now time.Time) {
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
