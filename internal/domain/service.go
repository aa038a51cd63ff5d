package domain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"
)

// Tenant is a configured tenant: its vendor connections and the vendor it
// starts on.
type Tenant struct {
	ID          string
	Initial     Vendor
	Connections map[Vendor]Connection
}

// ServiceConfig wires a Service.
type ServiceConfig struct {
	// Vendors are the vendors the gateway knows (from its drivers); every
	// tenant connection must be to one of them.
	Vendors *Vendors
	Tenants []Tenant
	// Bindings keeps the tenants' current vendors: in memory for one
	// process, shared (Redis) for replicas. Required.
	Bindings     BindingStore
	CursorSecret []byte
	Logger       *slog.Logger
	// Now is the clock cursors expire by; time.Now when nil.
	Now func() time.Time
}

// Service routes tenant calls to the tenant's current vendor and does what
// is the same for every vendor: id prefixes, cursors, input checks and
// batch splitting.
type Service struct {
	vendors  *Vendors
	tenants  map[string]Tenant
	order    []string
	bindings BindingStore
	cursors  *Cursors
	log      *slog.Logger
}

// NewService checks the tenants and seeds their bindings.
func NewService(ctx context.Context, cfg ServiceConfig) (*Service, error) {
	if len(cfg.CursorSecret) < 16 {
		return nil, errors.New("cursor secret must be at least 16 bytes")
	}
	if cfg.Vendors == nil {
		return nil, errors.New("no vendors: the service needs the set its drivers define")
	}
	if cfg.Bindings == nil {
		return nil, errors.New("no binding store: the service needs one to know each tenant's vendor")
	}
	s := &Service{
		vendors:  cfg.Vendors,
		tenants:  make(map[string]Tenant, len(cfg.Tenants)),
		bindings: cfg.Bindings,
		cursors:  NewCursors(cfg.CursorSecret, cfg.Now),
		log:      cfg.Logger,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, t := range cfg.Tenants {
		if _, dup := s.tenants[t.ID]; dup {
			return nil, fmt.Errorf("tenant %s configured twice", t.ID)
		}
		if !s.vendors.Known(t.Initial) {
			return nil, fmt.Errorf("tenant %s starts on unknown vendor %q", t.ID, t.Initial)
		}
		if _, ok := t.Connections[t.Initial]; !ok {
			return nil, fmt.Errorf("tenant %s starts on %s but has no %s connection", t.ID, t.Initial, t.Initial)
		}
		for v, c := range t.Connections {
			switch {
			case !s.vendors.Known(v):
				return nil, fmt.Errorf("tenant %s: unknown vendor %q", t.ID, v)
			case c == nil:
				return nil, fmt.Errorf("tenant %s: no adapter for its %s connection", t.ID, v)
			case c.Vendor() != v:
				return nil, fmt.Errorf("tenant %s: connection listed as %s is a %s adapter", t.ID, v, c.Vendor())
			}
		}
		s.tenants[t.ID] = t
		s.order = append(s.order, t.ID)
		if err := s.bindings.Seed(ctx, t.ID, t.Initial); err != nil {
			return nil, fmt.Errorf("seed binding of tenant %s: %w", t.ID, err)
		}
	}
	sort.Strings(s.order)
	return s, nil
}

// Target is a tenant's binding resolved for one request: every call made
// with it goes to the same vendor connection, even if the tenant is
// switched meanwhile.
type Target struct {
	Tenant  string
	Vendor  Vendor
	Version int64
	conn    Connection
	prefix  string // of the vendor's canonical ids
}

// id returns the canonical id of the target vendor's own id.
func (t Target) id(native string) string {
	if native == "" {
		return ""
	}
	return t.prefix + "_" + native
}

// Target resolves the tenant's current vendor connection.
func (s *Service) Target(ctx context.Context, tenant string) (Target, error) {
	t, ok := s.tenants[tenant]
	if !ok {
		return Target{}, ErrTenantUnknown
	}
	b, err := s.bindings.Binding(ctx, tenant)
	if err != nil {
		return Target{}, fmt.Errorf("binding of tenant %s: %w", tenant, err)
	}
	conn, ok := t.Connections[b.Vendor]
	if !ok {
		return Target{}, fmt.Errorf("tenant %s is bound to %s but has no %s connection", tenant, b.Vendor, b.Vendor)
	}
	return Target{Tenant: tenant, Vendor: b.Vendor, Version: b.Version, conn: conn, prefix: s.vendors.Prefix(b.Vendor)}, nil
}

// List is one page of a canonical list. NextCursor is "" on the last page.
type List[T any] struct {
	Items      []T
	NextCursor string
}

// ListOptions are the caller's paging parameters.
type ListOptions struct {
	Limit  int
	Cursor string
}

func (o ListOptions) limit() int {
	switch {
	case o.Limit <= 0:
		return DefaultLimit
	case o.Limit > MaxLimit:
		return MaxLimit
	}
	return o.Limit
}

// list fetches one page through fetch, canonicalises the items with canon
// and wraps the adapter's next state into a signed cursor. filter is every
// resource id and filter value the list depends on.
func list[T any](s *Service, t Target, op Operation, filter string, o ListOptions,
	fetch func(PageRequest) (Page[T], error), canon func(Target, *T)) (List[T], error) {
	sc := cursorScope{tenant: t.Tenant, vendor: t.Vendor, binding: t.Version, op: op, filter: filter}
	state, err := s.cursors.decode(sc, o.Cursor)
	if err != nil {
		return List[T]{}, err
	}
	page, err := fetch(PageRequest{Limit: o.limit(), State: state})
	if err != nil {
		return List[T]{}, err
	}
	for i := range page.Items {
		canon(t, &page.Items[i])
	}
	if page.Items == nil {
		page.Items = []T{}
	}
	return List[T]{Items: page.Items, NextCursor: s.cursors.encode(sc, page.Next)}, nil
}

// Capabilities returns what the target's vendor can do.
func (s *Service) Capabilities(t Target) Capabilities { return CapabilitiesOf(t.conn) }
