package memory

import (
	"context"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// BindingsOptions configures a Bindings store.
type BindingsOptions struct {
	// Now stamps UpdatedAt; time.Now when nil.
	Now func() time.Time
}

// Bindings is an in-process domain.BindingStore.
type Bindings struct {
	mu  sync.RWMutex
	m   map[string]domain.Binding
	now func() time.Time
}

var _ domain.BindingStore = (*Bindings)(nil)

// NewBindings returns an empty in-process binding store.
func NewBindings(opts BindingsOptions) *Bindings {
	return &Bindings{m: make(map[string]domain.Binding), now: clock(opts.Now)}
}

// Binding implements domain.BindingStore.
func (s *Bindings) Binding(_ context.Context, tenant string) (domain.Binding, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.m[tenant]
	if !ok {
		return domain.Binding{}, domain.ErrTenantUnknown
	}
	return b, nil
}

// Seed implements domain.BindingStore.
func (s *Bindings) Seed(_ context.Context, tenant string, v domain.Vendor) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[tenant]; !ok {
		s.m[tenant] = domain.Binding{Tenant: tenant, Vendor: v, Version: 1, UpdatedAt: s.now().UTC()}
	}
	return nil
}

// Switch implements domain.BindingStore.
func (s *Bindings) Switch(_ context.Context, tenant string, v domain.Vendor) (domain.Binding, domain.Binding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	from, ok := s.m[tenant]
	if !ok {
		return domain.Binding{}, domain.Binding{}, domain.ErrTenantUnknown
	}
	if from.Vendor == v {
		return from, from, nil
	}
	to := domain.Binding{Tenant: tenant, Vendor: v, Version: from.Version + 1, UpdatedAt: s.now().UTC()}
	s.m[tenant] = to
	return from, to, nil
}
