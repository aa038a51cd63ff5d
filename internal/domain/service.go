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
	// FieldNames are the tenant's names of its custom fields and their
	// keys at each vendor (fieldnames.go); none: vendor keys throughout.
	FieldNames []CustomFieldName

	names map[Vendor]*fieldNames // FieldNames by vendor, built by NewService
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
	// Idempotency keeps the outcomes of writes by key; the Service also
	// uses it to make OAuth states single-use across replicas.
	Idempotency IdempotencyStore
	// Jobs keeps migrations (and other jobs); IDMap the ids migrations
	// carried. Without them, migrations cannot be started.
	Jobs  JobStore
	IDMap IDMapStore
	// Freezes keeps which tenants' writes a migration's cut-over froze.
	Freezes FreezeStore
	Logger  *slog.Logger
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
	// fieldDefs keeps each connection's custom field definitions, to
	// check custom field values before writes (customfields.go).
	fieldDefs *fieldDefCache
	// stateKey signs OAuth states; oneTime spends them (connect.go).
	stateKey []byte
	oneTime  IdempotencyStore
	jobs     JobStore
	ids      IDMapStore
	freezes  FreezeStore
	now      func() time.Time
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
		stateKey: stateKey(cfg.CursorSecret),
		oneTime:  cfg.Idempotency,
		jobs:     cfg.Jobs,
		ids:      cfg.IDMap,
		freezes:  cfg.Freezes,
		now:      cfg.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.fieldDefs = newFieldDefCache(cfg.Now, s.log)
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
		if msg := checkFieldNames(t.FieldNames); msg != "" {
			return nil, fmt.Errorf("tenant %s: custom field names: %s", t.ID, msg)
		}
		for _, n := range t.FieldNames {
			for v := range n.Keys {
				if _, ok := t.Connections[v]; !ok {
					return nil, fmt.Errorf("tenant %s: custom field %s is mapped on %s, which is not one of its connections", t.ID, n.Name, v)
				}
			}
		}
		t.names = namesByVendor(t.FieldNames)
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
	// names is the tenant's custom field names at this vendor; nil when
	// it names none there.
	names *fieldNames
}

// id returns the canonical id of the target vendor's own id. Adapters
// answer with their vendor's ids; callers only ever see canonical ones.
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
	return Target{Tenant: tenant, Vendor: b.Vendor, Version: b.Version, conn: conn, prefix: s.vendors.Prefix(b.Vendor), names: t.names[b.Vendor]}, nil
}

// Capabilities returns what the target's vendor can do.
func (s *Service) Capabilities(t Target) Capabilities { return CapabilitiesOf(t.conn) }

// The operations share one skeleton, in this order: resolve the port (a
// vendor without it answers UNSUPPORTED_OPERATION before anything about
// the input is checked), parse the canonical ids (a malformed one is a
// ValidationError naming its field, another vendor's an IDMismatchError),
// run the operation's own checks, call the adapter, and give the records it
// answers canonical ids. The helpers below are that skeleton. Adapter
// methods come in as method expressions (ContactGetter.GetContact), which
// capture nothing, so the skeleton costs no allocation of its own.

// portID resolves port P of op, then parses id (named field in errors) as
// one of the target vendor's ids.
func portID[P any](ctx context.Context, s *Service, t Target, op Operation, field idField, id string) (P, string, error) {
	p, err := port[P](t.conn, op)
	if err != nil {
		return p, "", err
	}
	native, err := s.parseID(ctx, t, field, id)
	if err != nil {
		var zero P
		return zero, "", err
	}
	return p, native, nil
}

// optionalID parses id as ParseID does when it is set; "" stays "".
func (s *Service) optionalID(ctx context.Context, field idField, id string, t Target) (string, error) {
	if id == "" {
		return "", nil
	}
	return s.parseID(ctx, t, field, id)
}

// canonical gives the vendor ids in record r their canonical prefix, with
// the canon function of r's type. It dispatches statically rather than
// taking the canon function as an argument: a record whose address went
// to a function value would escape to the heap, one allocation per call.
func canonical[T any](t Target, r *T) {
	switch r := any(r).(type) {
	case *Contact:
		canonContact(t, r)
	case *Group:
		canonGroup(t, r)
	case *Tag:
		canonTag(t, r)
	case *TagGroup:
		canonTagGroup(t, r)
	case *FieldDef:
		canonField(t, r)
	case *Event:
		canonEvent(t, r)
	}
}

// answer passes on the record an adapter answered, with canonical ids, or
// its error. (The helpers below do the same on their named results, which
// saves copying large records such as Contact.)
func answer[T any](t Target, v T, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	canonical(t, &v)
	return v, nil
}

// get reads the record id names with read.
func get[P, T any](ctx context.Context, s *Service, t Target, op Operation, field idField, id string,
	read func(P, context.Context, string) (T, error)) (v T, err error) {
	p, native, err := portID[P](ctx, s, t, op, field, id)
	if err != nil {
		return v, err
	}
	if v, err = read(p, ctx, native); err != nil {
		var zero T
		return zero, err
	}
	canonical(t, &v)
	return v, nil
}

// rename renames the record id names with write.
func rename[P, T any](ctx context.Context, s *Service, t Target, op Operation, field idField, id, name string,
	write func(P, context.Context, string, string) (T, error)) (v T, err error) {
	p, native, err := portID[P](ctx, s, t, op, field, id)
	if err != nil {
		return v, err
	}
	if v, err = write(p, ctx, native, name); err != nil {
		var zero T
		return zero, err
	}
	canonical(t, &v)
	return v, nil
}

// remove deletes the record id names with del.
func remove[P any](ctx context.Context, s *Service, t Target, op Operation, field idField, id string,
	del func(P, context.Context, string) error) error {
	p, native, err := portID[P](ctx, s, t, op, field, id)
	if err != nil {
		return err
	}
	return del(p, ctx, native)
}

// create makes a record from in with write. Operations whose input needs
// checks or ids parsed go through port and answer themselves, so that
// their checks still come after the port.
func create[P, A, T any](ctx context.Context, t Target, op Operation, in A,
	write func(P, context.Context, A) (T, error)) (v T, err error) {
	p, err := port[P](t.conn, op)
	if err != nil {
		return v, err
	}
	if v, err = write(p, ctx, in); err != nil {
		var zero T
		return zero, err
	}
	canonical(t, &v)
	return v, nil
}

// List is one page of a canonical list. NextCursor is "" on the last page;
// Truncated is set on a last page that a vendor limit ended early.
type List[T any] struct {
	Items      []T
	NextCursor string
	Truncated  *Truncation
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

// list fetches one page through fetch, gives the items canonical ids and
// wraps the adapter's next state into a signed cursor. filter is every
// resource id and filter value the list depends on.
func list[T any](s *Service, t Target, op Operation, filter string, o ListOptions,
	fetch func(PageRequest) (Page[T], error)) (List[T], error) {
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
		canonical(t, &page.Items[i])
	}
	if page.Items == nil {
		page.Items = []T{}
	}
	out := List[T]{Items: page.Items, NextCursor: s.cursors.encode(sc, page.Next)}
	if page.Next == "" {
		out.Truncated = page.Truncated
	}
	return out, nil
}

// listOf lists the records under the one id names (a contact's groups, a
// group's members) with fetch; the parent's vendor id scopes the cursor.
func listOf[P, T any](ctx context.Context, s *Service, t Target, op Operation, field idField, id string, o ListOptions,
	fetch func(P, context.Context, string, PageRequest) (Page[T], error)) (List[T], error) {
	p, native, err := portID[P](ctx, s, t, op, field, id)
	if err != nil {
		return List[T]{}, err
	}
	return list(s, t, op, native, o, func(r PageRequest) (Page[T], error) { return fetch(p, ctx, native, r) })
}

// listAll lists every record of a kind (tag groups, field definitions)
// with fetch; nothing but the operation scopes the cursor.
func listAll[P, T any](ctx context.Context, s *Service, t Target, op Operation, o ListOptions,
	fetch func(P, context.Context, PageRequest) (Page[T], error)) (List[T], error) {
	p, err := port[P](t.conn, op)
	if err != nil {
		return List[T]{}, err
	}
	return list(s, t, op, "", o, func(r PageRequest) (Page[T], error) { return fetch(p, ctx, r) })
}
