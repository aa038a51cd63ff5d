package domain

import (
	"context"
	"errors"
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
