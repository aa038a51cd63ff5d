package domain

import (
	"context"
	"sync"
	"time"
)

// Binding is a tenant's current vendor. Version goes up by one on every switch.
type Binding struct {
	Tenant    string
	Vendor    Vendor
	Version   int64
	UpdatedAt time.Time
}

// BindingStore keeps tenants' vendor bindings. The in-process MemoryBindings
// serves single-process runs; a shared store lets replicas agree.
type BindingStore interface {
	// Binding returns the tenant's binding, ErrTenantUnknown if it has none.
	Binding(ctx context.Context, tenant string) (Binding, error)
	// Seed sets the tenant's binding to v at version 1 unless it has one.
	Seed(ctx context.Context, tenant string, v Vendor) error
	// Switch makes v the tenant's vendor and bumps the version, atomically,
	// and returns the binding it replaced and the new one. When v is already
	// current nothing changes and from == to.
	Switch(ctx context.Context, tenant string, v Vendor) (from, to Binding, err error)
}

// MemoryBindings is an in-process BindingStore.
type MemoryBindings struct {
	mu  sync.RWMutex
	m   map[string]Binding
	now func() time.Time
}

// NewMemoryBindings returns an empty in-process binding store.
func NewMemoryBindings() *MemoryBindings {
	return newMemoryBindings(time.Now)
}

func newMemoryBindings(now func() time.Time) *MemoryBindings {
	return &MemoryBindings{m: make(map[string]Binding), now: now}
}

// Binding implements BindingStore.
func (s *MemoryBindings) Binding(_ context.Context, tenant string) (Binding, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.m[tenant]
	if !ok {
		return Binding{}, ErrTenantUnknown
	}
	return b, nil
}

// Seed implements BindingStore.
func (s *MemoryBindings) Seed(_ context.Context, tenant string, v Vendor) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[tenant]; !ok {
		s.m[tenant] = Binding{Tenant: tenant, Vendor: v, Version: 1, UpdatedAt: s.now().UTC()}
	}
	return nil
}

// Switch implements BindingStore.
func (s *MemoryBindings) Switch(_ context.Context, tenant string, v Vendor) (Binding, Binding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	from, ok := s.m[tenant]
	if !ok {
		return Binding{}, Binding{}, ErrTenantUnknown
	}
	if from.Vendor == v {
		return from, from, nil
	}
	to := Binding{Tenant: tenant, Vendor: v, Version: from.Version + 1, UpdatedAt: s.now().UTC()}
	s.m[tenant] = to
	return from, to, nil
}
