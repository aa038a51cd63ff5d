package memory

import (
	"context"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Freezes is an in-process domain.FreezeStore.
type Freezes struct {
	mu sync.Mutex
	m  map[string]time.Time
	// writes holds each tenant's running writes: id -> deadline.
	writes map[string]map[string]time.Time
	now    func() time.Time
}

var _ domain.FreezeStore = (*Freezes)(nil)

// NewFreezes returns an in-process freeze store; now is its clock
// (time.Now when nil).
func NewFreezes(now func() time.Time) *Freezes {
	return &Freezes{m: make(map[string]time.Time), writes: make(map[string]map[string]time.Time), now: clock(now)}
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
	return s.frozen(tenant)
}

func (s *Freezes) frozen(tenant string) (time.Time, bool, error) {
	until, ok := s.m[tenant]
	if !ok || !until.After(s.now()) {
		return time.Time{}, false, nil
	}
	return until, true, nil
}

// BeginWrite implements domain.FreezeStore: the check and the
// registration hold the lock Freeze takes.
func (s *Freezes) BeginWrite(_ context.Context, tenant, id string, deadline time.Time) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until, ok, _ := s.frozen(tenant); ok {
		return until, true, nil
	}
	w := s.writes[tenant]
	if w == nil {
		w = make(map[string]time.Time)
		s.writes[tenant] = w
	}
	w[id] = deadline
	return time.Time{}, false, nil
}

// EndWrite implements domain.FreezeStore.
func (s *Freezes) EndWrite(_ context.Context, tenant, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.writes[tenant], id)
	if len(s.writes[tenant]) == 0 {
		delete(s.writes, tenant)
	}
	return nil
}

// WritesRunning implements domain.FreezeStore; it forgets writes past
// their deadline (their end was missed).
func (s *Freezes) WritesRunning(_ context.Context, tenant string) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var latest time.Time
	for id, d := range s.writes[tenant] {
		if !d.After(now) {
			delete(s.writes[tenant], id)
			continue
		}
		if d.After(latest) {
			latest = d
		}
	}
	return latest, !latest.IsZero(), nil
}
