package domain

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// FreezeStore keeps which tenants' writes are frozen, and which writes
// are running: a migration's cut-over freezes its tenant's writes for a
// moment, waits for the writes that began before the freeze to end, and
// carries the last changes and switches the tenant, so that no write
// lands on the old vendor after its last read. A freeze ends at Unfreeze
// or at its end time, whichever is first, so a migration whose replica
// dies cannot freeze a tenant for good; a write counts as running until
// EndWrite or its deadline, so a replica that dies mid-write holds up no
// cut-over for longer than the write could have run.
type FreezeStore interface {
	Freeze(ctx context.Context, tenant string, until time.Time) error
	Unfreeze(ctx context.Context, tenant string) error
	// Frozen returns the end of the tenant's freeze; ok is false when its
	// writes are not frozen.
	Frozen(ctx context.Context, tenant string) (until time.Time, ok bool, err error)
	// BeginWrite registers the tenant's write id as running until
	// deadline, unless the tenant's writes are frozen: then it registers
	// nothing and returns the freeze's end with frozen true. The check and
	// the registration are one step with respect to Freeze: a write either
	// sees the freeze or is registered before the freeze is set.
	BeginWrite(ctx context.Context, tenant, id string, deadline time.Time) (until time.Time, frozen bool, err error)
	// EndWrite unregisters a write; one not registered (or gone) is no
	// error.
	EndWrite(ctx context.Context, tenant, id string) error
	// WritesRunning returns the latest deadline among the tenant's
	// registered writes whose deadline has not passed; ok is false when
	// there is none.
	WritesRunning(ctx context.Context, tenant string) (latest time.Time, ok bool, err error)
}

// FrozenError is a write refused while its tenant is being moved to
// another vendor (503 TENANT_MIGRATING); RetryAfter is when to try again.
type FrozenError struct {
	Tenant     string
	RetryAfter time.Duration
}

func (e *FrozenError) Error() string {
	return "tenant " + e.Tenant + " is being moved to another vendor: its writes wait until the switch is done; reads are served"
}

// ErrFrozen matches every *FrozenError.
var ErrFrozen = errors.New("tenant writes frozen")

// Is lets errors.Is(err, ErrFrozen) see it.
func (e *FrozenError) Is(target error) bool { return target == ErrFrozen }

// CheckWritable answers a *FrozenError while the tenant's writes are
// frozen. Without a freeze store every tenant is writable, and so it is
// while the store cannot be read (Redis down): writes go on as they do
// without Redis, and lose nothing to a cut-over, which needs the store
// too and, once it can go on, carries what changed since its migration
// started again before it switches.
func (s *Service) CheckWritable(ctx context.Context, tenant string) error {
	if s.freezes == nil {
		return nil
	}
	until, ok, err := s.freezes.Frozen(ctx, tenant)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelDebug, "write freeze unknown: the write goes on", slog.String("tenant", tenant), slog.String("error", err.Error()))
		return nil
	}
	if !ok {
		return nil
	}
	return &FrozenError{Tenant: tenant, RetryAfter: max(until.Sub(s.now()), time.Second)}
}
