package domain

import (
	"context"
	"log/slog"
)

// TenantInfo describes a tenant for operators.
type TenantInfo struct {
	Binding
	Vendors []Vendor // vendors with a configured connection
	// Status is each connection's status on this replica, for connections
	// that report one.
	Status map[Vendor]ConnectionStatus
	// Authorization is the shared authorization state of each connection
	// authorized with OAuth.
	Authorization map[Vendor]Authorization
}

// Tenants lists the tenants for which allowed returns true (all when nil).
func (s *Service) Tenants(ctx context.Context, allowed func(string) bool) ([]TenantInfo, error) {
	out := []TenantInfo{}
	for _, id := range s.order {
		if allowed != nil && !allowed(id) {
			continue
		}
		ti, err := s.Tenant(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, ti)
	}
	return out, nil
}

// Tenant describes one tenant.
func (s *Service) Tenant(ctx context.Context, id string) (TenantInfo, error) {
	t, ok := s.tenants[id]
	if !ok {
		return TenantInfo{}, ErrTenantUnknown
	}
	b, err := s.bindings.Binding(ctx, id)
	if err != nil {
		return TenantInfo{}, err
	}
	return s.tenantInfo(ctx, t, b), nil
}

func (s *Service) tenantInfo(ctx context.Context, t Tenant, b Binding) TenantInfo {
	ti := TenantInfo{Binding: b, Vendors: s.connectedVendors(t), Status: map[Vendor]ConnectionStatus{}, Authorization: s.authorizations(ctx, t)}
	for v, c := range t.Connections {
		if r, ok := c.(StatusReporter); ok {
			ti.Status[v] = r.Status()
		}
	}
	return ti
}

func (s *Service) connectedVendors(t Tenant) []Vendor {
	var vs []Vendor
	for _, v := range s.vendors.list {
		if _, ok := t.Connections[v]; ok {
			vs = append(vs, v)
		}
	}
	return vs
}

// SwitchVendor makes v the tenant's vendor and writes an audit log line
// naming actor. Switching to the current vendor changes nothing.
func (s *Service) SwitchVendor(ctx context.Context, tenant string, v Vendor, actor, reason string) (TenantInfo, error) {
	t, ok := s.tenants[tenant]
	if !ok {
		return TenantInfo{}, ErrTenantUnknown
	}
	if _, ok := t.Connections[v]; !ok {
		return TenantInfo{}, &VendorNotConfiguredError{Tenant: tenant, Vendor: v}
	}
	from, to, err := s.bindings.Switch(ctx, tenant, v)
	if err != nil {
		return TenantInfo{}, err
	}
	if from.Version != to.Version {
		s.log.LogAttrs(ctx, slog.LevelInfo, "tenant vendor switched",
			slog.String("audit", "tenant.switch_vendor"),
			slog.String("actor", actor),
			slog.String("tenant", tenant),
			slog.String("from", string(from.Vendor)),
			slog.String("to", string(to.Vendor)),
			slog.Int64("binding_version", to.Version),
			slog.String("reason", reason),
			slog.Time("at", to.UpdatedAt))
	}
	return s.tenantInfo(ctx, t, to), nil
}
