package memory

import (
	"context"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Freezes is an in-process domain.FreezeStore.
type Freezes struct {
	mu  sync.Mutex
	m   map[string]time.Time
	now func() time.Time
}

var _ domain.FreezeStore = (*Freezes)(nil)

// NewFreezes returns an in-process freeze store; now is its clock
// (time.Now when nil).
func NewFreezes(now func() time.Time) *Freezes {
	return &Freezes{m: make(map[string]time.Time), now: clock(now)}
}

// Freeze implements domain.FreezeStore.
func (s *Freezes) Freeze(_ context.Context, tenant string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[tenant] = until
	return nil
}

// Unfreeze implements domain.FreezeStore.
func (s *Freezes) Unfreeze(_ context.Context, tenant string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, tenant)
	return nil
}

// Frozen implements domain.FreezeStore.
func (s *Freezes) Frozen(_ context.Context, tenant string) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.m[tenant]
	if !ok || !until.After(s.now()) {
		return time.Time{}, false, nil
	}
	return until, true, nil
}
