package domain

import (
	"context"
	"time"
)

// Binding is a tenant's current vendor. Version goes up by one on every switch.
type Binding struct {
	Tenant    string
	Vendor    Vendor
	Version   int64
	UpdatedAt time.Time
}

// BindingStore keeps tenants' vendor bindings. One process can keep them
// in memory (internal/adapters/memory); replicas agree through a shared
// store (internal/adapters/redis).
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
