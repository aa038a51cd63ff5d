package domain

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

// WriteTimeout bounds a tenant write that BeginWrite lets run: the API
// server's write timeout (after it, the write's answer can no longer be
// sent) and long enough for a 1000-contact batch on a vendor without a
// batch endpoint. A write whose context has no earlier deadline is
// cancelled then, so that a cut-over waiting for it knows when it is
// certainly over.
const WriteTimeout = 180 * time.Second

// CheckWritable answers a *FrozenError while the tenant's writes are
// frozen, without registering anything: for calls that write nothing at
// the vendor themselves (an import's upload: its job's writes begin
// their own). Without a freeze store every tenant is writable, and so it
// is while the store cannot be read (Redis down): writes go on as they do
// without Redis, and lose nothing to a cut-over, which needs the store
// too and, once it can go on, carries what changed since its migration
// started again before it switches.
func (s *Service) CheckWritable(ctx context.Context, tenant string) error {
	if s.freezes == nil {
		return nil
	}
	until, ok, err := s.freezes.Frozen(ctx, tenant)
	if err != nil {
		s.freezeUnknown(ctx, tenant, err)
		return nil
	}
	if !ok {
		return nil
	}
	return s.frozen(tenant, until)
}

// BeginWrite is CheckWritable for a write about to run at the tenant's
// vendor: let through, the write is registered as running, so that a
// cut-over freezing the tenant's writes meanwhile waits for it to end
// before it reads the last changes. It returns the write's context,
// which ends at the write's deadline (its own, or WriteTimeout from now,
// whichever is first: the cut-over waits no longer), and end, which the
// caller defers: it unregisters the write (also when it panics or is
// cancelled). end is never nil. Writes fail open as in CheckWritable.
//
// Every write registers, not only while a migration runs: a write that
// checked before a migration announced itself would be unseen, and the
// cut-over would have to wait WriteTimeout after the announcement to be
// sure, and the announcement would need renewing by a job that may die.
// The register rides on the check (one round trip, as the check alone
// was), and end unregisters off the caller's path: its round trip adds
// nothing to the write's answer.
func (s *Service) BeginWrite(ctx context.Context, tenant string) (context.Context, func(), error) {
	if s.freezes == nil {
		return ctx, func() {}, nil
	}
	deadline := s.now().Add(WriteTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	id := writeID()
	until, frozen, err := s.freezes.BeginWrite(ctx, tenant, id, deadline)
	if err != nil {
		s.freezeUnknown(ctx, tenant, err)
		return ctx, func() {}, nil
	}
	if frozen {
		return ctx, func() {}, s.frozen(tenant, until)
	}
	wctx, cancel := context.WithDeadline(ctx, deadline)
	return wctx, func() {
		cancel()
		go s.endWrite(context.WithoutCancel(ctx), tenant, id)
	}, nil
}

// endWriteTimeout bounds an unregister: a write it misses counts as
// running until its deadline.
const endWriteTimeout = 5 * time.Second

func (s *Service) endWrite(ctx context.Context, tenant, id string) {
	ctx, cancel := context.WithTimeout(ctx, endWriteTimeout)
	defer cancel()
	if err := s.freezes.EndWrite(ctx, tenant, id); err != nil {
		s.log.LogAttrs(ctx, slog.LevelDebug, "write not unregistered: a cut-over waits for it until its deadline", slog.String("tenant", tenant), slog.String("error", err.Error()))
	}
}

func (s *Service) freezeUnknown(ctx context.Context, tenant string, err error) {
	s.log.LogAttrs(ctx, slog.LevelDebug, "write freeze unknown: the write goes on", slog.String("tenant", tenant), slog.String("error", err.Error()))
}

func (s *Service) frozen(tenant string, until time.Time) error {
	return &FrozenError{Tenant: tenant, RetryAfter: max(until.Sub(s.now()), time.Second)}
}

// writeID is a random id for a running write, unique across replicas.
func writeID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// cutoverPoll is how often a cut-over looks whether the writes it waits
// for have ended.
var cutoverPoll = 50 * time.Millisecond

// waitWrites waits, once the tenant's writes are frozen, until none of
// those that began before the freeze is running: until every one has
// ended or passed its deadline (at most WriteTimeout from the freeze),
// polling the store. The cut-over keeps its freeze meanwhile
// (holdFreeze), and does not switch if it could not.
func (s *Service) waitWrites(ctx context.Context, tenant, job string) error {
	logged := false
	for {
		latest, ok, err := s.freezes.WritesRunning(ctx, tenant)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if !logged {
			logged = true
			s.log.LogAttrs(ctx, slog.LevelInfo, "the cut-over waits for the tenant's running writes", slog.String("tenant", tenant), slog.String("job", job), slog.Time("latest_deadline", latest))
		}
		t := time.NewTimer(cutoverPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
