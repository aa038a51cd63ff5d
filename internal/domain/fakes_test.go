package domain_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Fakes for the ports. They stand in for a vendor adapter: they work with
// native ids only, so every id they receive is recorded and checked to be
// prefix-free, and every id they return is native so the tests can see the
// Service prefix it.

// fakeCall is one port call as the fake saw it.
type fakeCall struct {
	Op     domain.Operation
	IDs    []string // every id argument, in order (native as received)
	Page   domain.PageRequest
	Query  domain.ContactQuery
	Items  int
	Mode   domain.OnConflict
	Path   string
	Method string
}

// recorder keeps the calls of a fake; safe for concurrent use.
type recorder struct {
	mu    sync.Mutex
	calls []fakeCall
}

func (r *recorder) record(c fakeCall) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

// Calls returns a copy of the recorded calls.
func (r *recorder) Calls() []fakeCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]fakeCall(nil), r.calls...)
}

// CallsOf returns the calls of one operation, in order.
func (r *recorder) CallsOf(op domain.Operation) []fakeCall {
	var out []fakeCall
	for _, c := range r.Calls() {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// fakePage serves two pages: state "" is page 1 (Next "2"), state "2" is
// page 2 (last). mk builds the one item of a page from its number, so a
// test can tell which page it got.
func fakePage[T any](p domain.PageRequest, mk func(page string) T) (domain.Page[T], error) {
	switch p.State {
	case "":
		return domain.Page[T]{Items: []T{mk("1")}, Next: "2"}, nil
	case "2":
		return domain.Page[T]{Items: []T{mk("2")}}, nil
	}
	return domain.Page[T]{}, fmt.Errorf("fake: unexpected page state %q", p.State)
}

// fullConn implements every port. Behaviour is the simplest that lets a
// test see ids and chunks; errors come from the hooks.
type fullConn struct {
	recorder
	vendor          domain.Vendor
	filters         []string
	batchSize       int
	memberBatchSize int

	// batchErr fails the n-th BatchUpsertContacts call (0-based).
	batchErr map[int]error
	// batchReverse makes BatchUpsertContacts answer in reverse order, to
	// check that the Service restores input order.
	batchReverse bool
	// memberErr fails the n-th Add/RemoveGroupMembers call (0-based).
	memberErr map[int]error
	// memberRefused lists native contact ids the vendor reports as failed.
	memberRefused map[string]bool
	// err fails any single-shot operation.
	err map[domain.Operation]error
}

var _ interface {
	domain.ContactLister
	domain.ContactGetter
	domain.ContactCreator
	domain.ContactUpdater
	domain.ContactDeleter
	domain.ContactBatchUpserter
	domain.ContactTagSetter
	domain.ContactGroupLister
	domain.ContactEventLister
	domain.EventRecorder
	domain.TagLister
	domain.TagCreator
	domain.TagRenamer
	domain.TagDeleter
	domain.TagGroupLister
	domain.TagGroupCreator
	domain.TagGroupRenamer
	domain.TagGroupDeleter
	domain.GroupLister
	domain.GroupGetter
	domain.GroupCreator
	domain.GroupDeleter
	domain.GroupMemberLister
	domain.GroupMemberAdder
	domain.GroupMemberRemover
	domain.FieldLister
	domain.FieldCreator
	domain.Passthrougher
} = (*fullConn)(nil)

func newFullConn(v domain.Vendor) *fullConn {
	return &fullConn{vendor: v, batchSize: 100, memberBatchSize: 100}
}

func (f *fullConn) Vendor() domain.Vendor { return f.vendor }

func (f *fullConn) fail(op domain.Operation) error { return f.err[op] }

func (f *fullConn) ListContacts(_ context.Context, q domain.ContactQuery, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	f.record(fakeCall{Op: domain.OpListContacts, Query: q, Page: p, IDs: nonEmpty(q.GroupID, q.TagID)})
	if err := f.fail(domain.OpListContacts); err != nil {
		return domain.Page[domain.Contact]{}, err
	}
	return fakePage(p, func(n string) domain.Contact {
		return domain.Contact{ID: "c" + n, Tags: []domain.TagRef{{ID: "t" + n, Name: "vip"}}}
	})
}

func (f *fullConn) ContactFilters() []string { return f.filters }

func (f *fullConn) GetContact(_ context.Context, id string) (domain.Contact, error) {
	f.record(fakeCall{Op: domain.OpGetContact, IDs: []string{id}})
	if err := f.fail(domain.OpGetContact); err != nil {
		return domain.Contact{}, err
	}
	return domain.Contact{ID: id, Tags: []domain.TagRef{{ID: "t9", Name: "vip"}}}, nil
}

func (f *fullConn) CreateContact(_ context.Context, in domain.ContactInput) (domain.Contact, error) {
	f.record(fakeCall{Op: domain.OpCreateContact})
	if err := f.fail(domain.OpCreateContact); err != nil {
		return domain.Contact{}, err
	}
	c := in.Contact
	c.ID = "new1"
	c.Tags = []domain.TagRef{{ID: "t1"}, {ID: "t2"}}
	return c, nil
}

func (f *fullConn) UpdateContact(_ context.Context, id string, p domain.ContactPatch) (domain.Contact, error) {
	f.record(fakeCall{Op: domain.OpUpdateContact, IDs: []string{id}})
	if err := f.fail(domain.OpUpdateContact); err != nil {
		return domain.Contact{}, err
	}
	c := domain.Contact{ID: id, Tags: []domain.TagRef{{ID: "t3"}}}
	p.Apply(&c)
	return c, nil
}

func (f *fullConn) DeleteContact(_ context.Context, id string) error {
	f.record(fakeCall{Op: domain.OpDeleteContact, IDs: []string{id}})
	return f.fail(domain.OpDeleteContact)
}

// BatchUpsertContacts answers "created" for each item with the item's Name
// as its native id, so a test can follow each item through chunking.
func (f *fullConn) BatchUpsertContacts(_ context.Context, items []domain.ContactInput, mode domain.OnConflict) ([]domain.BatchItemResult, error) {
	f.record(fakeCall{Op: domain.OpBatchUpsertContacts, Items: len(items), Mode: mode, IDs: names(items)})
	if err := f.batchErr[len(f.CallsOf(domain.OpBatchUpsertContacts))-1]; err != nil {
		return nil, err
	}
	if err := f.fail(domain.OpBatchUpsertContacts); err != nil {
		return nil, err
	}
	out := make([]domain.BatchItemResult, len(items))
	for i, it := range items {
		out[i] = domain.BatchItemResult{Index: i, Status: domain.BatchCreated, ID: it.Name}
	}
	if f.batchReverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

func (f *fullConn) BatchSize() int { return f.batchSize }

func (f *fullConn) SetContactTags(_ context.Context, contactID string, tagIDs []string) ([]domain.TagRef, error) {
	f.record(fakeCall{Op: domain.OpSetContactTags, IDs: append([]string{contactID}, tagIDs...)})
	if err := f.fail(domain.OpSetContactTags); err != nil {
		return nil, err
	}
	refs := make([]domain.TagRef, len(tagIDs))
	for i, id := range tagIDs {
		refs[i] = domain.TagRef{ID: id, Name: "tag " + id}
	}
	return refs, nil
}

func (f *fullConn) ListContactGroups(_ context.Context, contactID string, p domain.PageRequest) (domain.Page[domain.Group], error) {
	f.record(fakeCall{Op: domain.OpListContactGroups, IDs: []string{contactID}, Page: p})
	if err := f.fail(domain.OpListContactGroups); err != nil {
		return domain.Page[domain.Group]{}, err
	}
	return fakePage(p, func(n string) domain.Group { return domain.Group{ID: "g" + n} })
}

func (f *fullConn) ListContactEvents(_ context.Context, contactID string, p domain.PageRequest) (domain.Page[domain.Event], error) {
	f.record(fakeCall{Op: domain.OpListContactEvents, IDs: []string{contactID}, Page: p})
	if err := f.fail(domain.OpListContactEvents); err != nil {
		return domain.Page[domain.Event]{}, err
	}
	return fakePage(p, func(n string) domain.Event { return domain.Event{ID: "e" + n, ContactID: contactID} })
}

func (f *fullConn) RecordEvent(_ context.Context, in domain.EventInput) (domain.Event, error) {
	f.record(fakeCall{Op: domain.OpRecordEvent, IDs: nonEmpty(in.ContactID)})
	if err := f.fail(domain.OpRecordEvent); err != nil {
		return domain.Event{}, err
	}
	return domain.Event{ID: "e1", ContactID: in.ContactID, ExternalID: in.ExternalID, Event: in.Event}, nil
}

func (f *fullConn) ListTags(_ context.Context, q domain.TagQuery, p domain.PageRequest) (domain.Page[domain.Tag], error) {
	f.record(fakeCall{Op: domain.OpListTags, IDs: nonEmpty(q.GroupID), Page: p})
	if err := f.fail(domain.OpListTags); err != nil {
		return domain.Page[domain.Tag]{}, err
	}
	return fakePage(p, func(n string) domain.Tag { return domain.Tag{ID: "t" + n, GroupID: "tg" + n} })
}

func (f *fullConn) CreateTag(_ context.Context, name, groupID string) (domain.Tag, error) {
	f.record(fakeCall{Op: domain.OpCreateTag, IDs: nonEmpty(groupID)})
	if err := f.fail(domain.OpCreateTag); err != nil {
		return domain.Tag{}, err
	}
	return domain.Tag{ID: "t7", Name: name, GroupID: groupID}, nil
}

func (f *fullConn) RenameTag(_ context.Context, id, name string) (domain.Tag, error) {
	f.record(fakeCall{Op: domain.OpRenameTag, IDs: []string{id}})
	if err := f.fail(domain.OpRenameTag); err != nil {
		return domain.Tag{}, err
	}
	return domain.Tag{ID: id, Name: name, GroupID: "tg1"}, nil
}

func (f *fullConn) DeleteTag(_ context.Context, id string) error {
	f.record(fakeCall{Op: domain.OpDeleteTag, IDs: []string{id}})
	if err := f.fail(domain.OpDeleteTag); err != nil {
		return err
	}
	return nil
}

func (f *fullConn) ListTagGroups(_ context.Context, p domain.PageRequest) (domain.Page[domain.TagGroup], error) {
	f.record(fakeCall{Op: domain.OpListTagGroups, Page: p})
	if err := f.fail(domain.OpListTagGroups); err != nil {
		return domain.Page[domain.TagGroup]{}, err
	}
	return fakePage(p, func(n string) domain.TagGroup { return domain.TagGroup{ID: "tg" + n, ParentID: "tg0"} })
}

func (f *fullConn) CreateTagGroup(_ context.Context, name string) (domain.TagGroup, error) {
	f.record(fakeCall{Op: domain.OpCreateTagGroup})
	if err := f.fail(domain.OpCreateTagGroup); err != nil {
		return domain.TagGroup{}, err
	}
	return domain.TagGroup{ID: "tg5", Name: name, ParentID: "tg0"}, nil
}

func (f *fullConn) RenameTagGroup(_ context.Context, id, name string) (domain.TagGroup, error) {
	f.record(fakeCall{Op: domain.OpRenameTagGroup, IDs: []string{id}})
	if err := f.fail(domain.OpRenameTagGroup); err != nil {
		return domain.TagGroup{}, err
	}
	return domain.TagGroup{ID: id, Name: name}, nil
}

func (f *fullConn) DeleteTagGroup(_ context.Context, id string) error {
	f.record(fakeCall{Op: domain.OpDeleteTagGroup, IDs: []string{id}})
	if err := f.fail(domain.OpDeleteTagGroup); err != nil {
		return err
	}
	return nil
}

func (f *fullConn) ListGroups(_ context.Context, q domain.GroupQuery, p domain.PageRequest) (domain.Page[domain.Group], error) {
	f.record(fakeCall{Op: domain.OpListGroups, Query: domain.ContactQuery{Q: q.Q}, Page: p})
	if err := f.fail(domain.OpListGroups); err != nil {
		return domain.Page[domain.Group]{}, err
	}
	return fakePage(p, func(n string) domain.Group { return domain.Group{ID: "g" + n} })
}

func (f *fullConn) GetGroup(_ context.Context, id string) (domain.Group, error) {
	f.record(fakeCall{Op: domain.OpGetGroup, IDs: []string{id}})
	if err := f.fail(domain.OpGetGroup); err != nil {
		return domain.Group{}, err
	}
	return domain.Group{ID: id}, nil
}

func (f *fullConn) CreateGroup(_ context.Context, name string) (domain.Group, error) {
	f.record(fakeCall{Op: domain.OpCreateGroup})
	if err := f.fail(domain.OpCreateGroup); err != nil {
		return domain.Group{}, err
	}
	return domain.Group{ID: "g5", Name: name, Type: domain.GroupStatic}, nil
}

func (f *fullConn) DeleteGroup(_ context.Context, id string) error {
	f.record(fakeCall{Op: domain.OpDeleteGroup, IDs: []string{id}})
	if err := f.fail(domain.OpDeleteGroup); err != nil {
		return err
	}
	return nil
}

func (f *fullConn) ListGroupMembers(_ context.Context, groupID string, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	f.record(fakeCall{Op: domain.OpListGroupMembers, IDs: []string{groupID}, Page: p})
	if err := f.fail(domain.OpListGroupMembers); err != nil {
		return domain.Page[domain.Contact]{}, err
	}
	return fakePage(p, func(n string) domain.Contact { return domain.Contact{ID: "c" + n} })
}

func (f *fullConn) AddGroupMembers(_ context.Context, groupID string, contactIDs []string) (domain.MemberChange, error) {
	return f.changeMembers(domain.OpAddGroupMembers, groupID, contactIDs)
}

func (f *fullConn) RemoveGroupMembers(_ context.Context, groupID string, contactIDs []string) (domain.MemberChange, error) {
	return f.changeMembers(domain.OpRemoveGroupMembers, groupID, contactIDs)
}

func (f *fullConn) changeMembers(op domain.Operation, groupID string, ids []string) (domain.MemberChange, error) {
	f.record(fakeCall{Op: op, IDs: append([]string{groupID}, ids...)})
	if err := f.memberErr[len(f.CallsOf(op))-1]; err != nil {
		return domain.MemberChange{}, err
	}
	if err := f.fail(op); err != nil {
		return domain.MemberChange{}, err
	}
	var mc domain.MemberChange
	for _, id := range ids {
		if f.memberRefused[id] {
			mc.Failed = append(mc.Failed, domain.MemberFailure{ID: id, Reason: "no such contact"})
			continue
		}
		mc.Succeeded = append(mc.Succeeded, id)
	}
	return mc, nil
}

func (f *fullConn) MemberBatchSize() int { return f.memberBatchSize }

func (f *fullConn) ListFields(_ context.Context, p domain.PageRequest) (domain.Page[domain.FieldDef], error) {
	f.record(fakeCall{Op: domain.OpListFields, Page: p})
	if err := f.fail(domain.OpListFields); err != nil {
		return domain.Page[domain.FieldDef]{}, err
	}
	return fakePage(p, func(n string) domain.FieldDef { return domain.FieldDef{ID: "f" + n, Key: "k" + n} })
}

func (f *fullConn) CreateField(_ context.Context, in domain.FieldInput) (domain.FieldDef, error) {
	f.record(fakeCall{Op: domain.OpCreateField})
	if err := f.fail(domain.OpCreateField); err != nil {
		return domain.FieldDef{}, err
	}
	return domain.FieldDef{ID: "f9", Key: "k9", Label: in.Label, Type: in.Type, Options: in.Options}, nil
}

func (f *fullConn) Passthrough(_ context.Context, req domain.PassthroughRequest) (domain.PassthroughResponse, error) {
	f.record(fakeCall{Op: domain.OpPassthrough, Path: req.Path, Method: req.Method})
	if err := f.fail(domain.OpPassthrough); err != nil {
		return domain.PassthroughResponse{}, err
	}
	return domain.PassthroughResponse{Status: 200, Body: []byte(`{}`)}, nil
}

// PassthroughPrefixes allows the paths the tests send: /open/… and /a.
func (f *fullConn) PassthroughPrefixes() []string { return []string{"/open", "/a"} }

// Partial fakes: one or two ports each, to check that capabilities and
// UNSUPPORTED_OPERATION follow exactly the interfaces implemented.

// readOnlyContacts implements ContactLister and ContactGetter only.
type readOnlyContacts struct {
	vendor  domain.Vendor
	filters []string
}

func (r *readOnlyContacts) Vendor() domain.Vendor    { return r.vendor }
func (r *readOnlyContacts) ContactFilters() []string { return r.filters }
func (r *readOnlyContacts) ListContacts(context.Context, domain.ContactQuery, domain.PageRequest) (domain.Page[domain.Contact], error) {
	return domain.Page[domain.Contact]{}, nil
}
func (r *readOnlyContacts) GetContact(context.Context, string) (domain.Contact, error) {
	return domain.Contact{}, nil
}

// memberAdderOnly implements GroupMemberAdder but not GroupMemberRemover,
// although both share MemberBatchSize: a shared method must not make the
// remover look supported.
type memberAdderOnly struct{ vendor domain.Vendor }

func (m memberAdderOnly) Vendor() domain.Vendor { return m.vendor }
func (m memberAdderOnly) MemberBatchSize() int  { return 10 }
func (m memberAdderOnly) AddGroupMembers(context.Context, string, []string) (domain.MemberChange, error) {
	return domain.MemberChange{}, nil
}

// fakeClock is the settable clock for cursor and store expiry.
type fakeClock = vendortest.Clock

func newFakeClock() *fakeClock {
	return vendortest.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
}

// Helpers.

// testVendors are the vendors of the tests, with the names and id prefixes
// of the gateway's own drivers, so ids read as they do on the wire.
var testVendors = func() *domain.Vendors {
	vs, err := domain.NewVendors(
		domain.VendorInfo{Name: "linkflow", Prefix: "lf"}, domain.VendorInfo{Name: "meihua", Prefix: "mh"},
		domain.VendorInfo{Name: "nxcloud", Prefix: "nx"}, domain.VendorInfo{Name: "miaokol", Prefix: "mk"})
	if err != nil {
		panic(err)
	}
	return vs
}()

const testSecret = "0123456789abcdef-test-cursor-secret"

// newService builds a Service over the given tenants with a fixed secret
// and, unless cfg names one, a fresh in-process binding store.
func newService(t *testing.T, cfg domain.ServiceConfig) *domain.Service {
	t.Helper()
	if cfg.CursorSecret == nil {
		cfg.CursorSecret = []byte(testSecret)
	}
	if cfg.Bindings == nil {
		cfg.Bindings = memory.NewBindings(memory.BindingsOptions{})
	}
	s, err := domain.NewService(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	return s
}

// singleTenant returns a Service with one tenant "acme" on conn's vendor
// and the Target resolved for it.
func singleTenant(t *testing.T, conn domain.Connection) (*domain.Service, domain.Target) {
	t.Helper()
	s := newService(t, domain.ServiceConfig{Vendors: testVendors, Tenants: []domain.Tenant{{
		ID: "acme", Initial: conn.Vendor(),
		Connections: map[domain.Vendor]domain.Connection{conn.Vendor(): conn},
	}}})
	return s, target(t, s, "acme")
}

func target(t *testing.T, s *domain.Service, tenant string) domain.Target {
	t.Helper()
	tg, err := s.Target(context.Background(), tenant)
	if err != nil {
		t.Fatalf("Target(%q): %v", tenant, err)
	}
	return tg
}

// asError asserts that err is (or wraps) a *E and returns it.
func asError[E error](t *testing.T, err error) E {
	t.Helper()
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a %T", err, err, e)
	}
	return e
}

// wantFieldError asserts a *ValidationError naming field.
func wantFieldError(t *testing.T, err error, field string) {
	t.Helper()
	ve := asError[*domain.ValidationError](t, err)
	for _, f := range ve.Fields {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("validation error %v does not name %s (fields %+v)", err, field, ve.Fields)
}

// wantNoCalls asserts the fake was never called: checks must come before
// any vendor call.
func wantNoCalls(t *testing.T, r *recorder) {
	t.Helper()
	if calls := r.Calls(); len(calls) > 0 {
		t.Fatalf("the adapter was called %d times, want 0: %+v", len(calls), calls)
	}
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func names(items []domain.ContactInput) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Name
	}
	return out
}

// contactInputs returns n inputs named "n0".."n<n-1>".
func contactInputs(n int) []domain.ContactInput {
	out := make([]domain.ContactInput, n)
	for i := range out {
		out[i].Name = "n" + strconv.Itoa(i)
	}
	return out
}
