package domain

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// cutoverFreeze is CutoverFreeze; tests shorten it.
var cutoverFreeze = CutoverFreeze

// errFreezeLost pauses a cut-over whose write freeze could not be
// renewed: it may have ended, and writes may have gone to the old vendor
// since, so the cut-over runs again from its start (freeze, last changes,
// switch) instead of switching.
var errFreezeLost = &JobPauseError{After: time.Second, Reason: "the cut-over's write freeze could not be renewed; the cut-over runs again"}

// holdFreeze keeps the tenant's writes frozen while a cut-over runs,
// renewing the freeze every third of CutoverFreeze: a cut-over longer than
// CutoverFreeze stays frozen, and the freeze of a replica that died still
// ends within CutoverFreeze. held reports false once a renewal failed.
// stop ends the renewals (not the freeze) and returns once none is in
// flight.
func (m *migration) holdFreeze(ctx context.Context) (held func() bool, stop func()) {
	var lost atomic.Bool
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(cutoverFreeze / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if err := m.s.freezes.Freeze(ctx, m.tenant, m.s.now().Add(cutoverFreeze)); err != nil {
					lost.Store(true)
					m.s.log.LogAttrs(ctx, slog.LevelWarn, "a cut-over's write freeze could not be renewed", slog.String("tenant", m.tenant), slog.String("error", err.Error()))
				}
			}
		}
	}()
	return func() bool { return !lost.Load() }, func() { close(done); <-exited }
}
