package domain_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

func TestNewServiceRejectsBadConfig(t *testing.T) {
	t.Parallel()
	lf := newFullConn(domain.Vendor("linkflow"))
	conns := func(m ...domain.Connection) map[domain.Vendor]domain.Connection {
		out := map[domain.Vendor]domain.Connection{}
		for _, c := range m {
			out[c.Vendor()] = c
		}
		return out
	}
	tests := []struct {
		name string
		cfg  domain.ServiceConfig
		want string // part of the error message
	}{
		{"short cursor secret", domain.ServiceConfig{Vendors: testVendors, CursorSecret: []byte("0123456789abcde")}, "secret"},
		{"no cursor secret", domain.ServiceConfig{Vendors: testVendors, CursorSecret: []byte{}}, "secret"},
		{"no vendor set", domain.ServiceConfig{}, "vendors"},
		{"duplicate tenant", domain.ServiceConfig{Vendors: testVendors, Tenants: []domain.Tenant{
			{ID: "acme", Initial: domain.Vendor("linkflow"), Connections: conns(lf)},
			{ID: "acme", Initial: domain.Vendor("linkflow"), Connections: conns(lf)},
		}}, "acme"},
		{"initial vendor without connection", domain.ServiceConfig{Vendors: testVendors, Tenants: []domain.Tenant{
			{ID: "acme", Initial: domain.Vendor("meihua"), Connections: conns(lf)},
		}}, "meihua"},
		{"no connections", domain.ServiceConfig{Vendors: testVendors, Tenants: []domain.Tenant{
			{ID: "acme", Initial: domain.Vendor("linkflow")},
		}}, "linkflow"},
		{"connection under the wrong vendor", domain.ServiceConfig{Vendors: testVendors, Tenants: []domain.Tenant{
			{ID: "acme", Initial: domain.Vendor("linkflow"), Connections: map[domain.Vendor]domain.Connection{
				domain.Vendor("linkflow"): lf, domain.Vendor("meihua"): newFullConn(domain.Vendor("nxcloud"))}},
		}}, "nxcloud"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.cfg.CursorSecret == nil {
				tt.cfg.CursorSecret = []byte(testSecret)
			}
			// A binding store, so that each case fails for its own reason.
			tt.cfg.Bindings = memory.NewBindings(memory.BindingsOptions{})
			s, err := domain.NewService(context.Background(), tt.cfg)
			if err == nil {
				t.Fatalf("NewService accepted the config: %v", s)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not name %q", err, tt.want)
			}
		})
	}
}

func TestNewServiceMinimumSecret(t *testing.T) {
	t.Parallel()
	// 16 bytes is the documented floor; it must be accepted.
	if _, err := domain.NewService(context.Background(), domain.ServiceConfig{Vendors: testVendors, CursorSecret: []byte("0123456789abcdef"),
		Bindings: memory.NewBindings(memory.BindingsOptions{})}); err != nil {
		t.Fatalf("16-byte secret refused: %v", err)
	}
}

func TestNewServiceNeedsBindingStore(t *testing.T) {
	t.Parallel()
	// Without a store the Service could not tell which vendor a tenant is
	// on; it says so at start-up rather than guessing a store.
	_, err := domain.NewService(context.Background(), domain.ServiceConfig{Vendors: testVendors, CursorSecret: []byte(testSecret)})
	if err == nil || !strings.Contains(err.Error(), "binding store") {
		t.Fatalf("NewService without bindings: %v, want an error naming the binding store", err)
	}
}

func TestNewServiceNilConnection(t *testing.T) {
	t.Parallel()
	// Turn the panic into a failure so that removing the Skip does not
	// abort the whole test binary.
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("NewService panicked: %v", r)
		}
	}()
	_, err := domain.NewService(context.Background(), domain.ServiceConfig{Vendors: testVendors, CursorSecret: []byte(testSecret),
		Bindings: memory.NewBindings(memory.BindingsOptions{}), Tenants: []domain.Tenant{
			{ID: "acme", Initial: domain.Vendor("linkflow"), Connections: map[domain.Vendor]domain.Connection{domain.Vendor("linkflow"): nil}},
		}})
	if err == nil {
		t.Fatal("a nil connection was accepted")
	}
}

func TestNewServiceUnknownVendor(t *testing.T) {
	t.Parallel()
	ghost := domain.Vendor("ghost")
	_, err := domain.NewService(context.Background(), domain.ServiceConfig{Vendors: testVendors, CursorSecret: []byte(testSecret),
		Bindings: memory.NewBindings(memory.BindingsOptions{}), Tenants: []domain.Tenant{
			{ID: "acme", Initial: ghost, Connections: map[domain.Vendor]domain.Connection{ghost: domain.NewBareConnection(ghost)}},
		}})
	if err == nil {
		t.Fatal("a tenant on an unknown vendor was accepted")
	}
}

func TestNewServiceKeepsExistingBinding(t *testing.T) {
	t.Parallel()
	// A replica starting later must not undo a switch made at run time.
	ctx := context.Background()
	store := memory.NewBindings(memory.BindingsOptions{})
	if err := store.Seed(ctx, "acme", domain.Vendor("meihua")); err != nil {
		t.Fatal(err)
	}
	s := newService(t, domain.ServiceConfig{Vendors: testVendors, Bindings: store, Tenants: []domain.Tenant{{
		ID: "acme", Initial: domain.Vendor("linkflow"), Connections: map[domain.Vendor]domain.Connection{
			domain.Vendor("linkflow"): newFullConn(domain.Vendor("linkflow")), domain.Vendor("meihua"): newFullConn(domain.Vendor("meihua"))},
	}}})
	if tg := target(t, s, "acme"); tg.Vendor != domain.Vendor("meihua") || tg.Version != 1 {
		t.Fatalf("Target = %+v, want the stored meihua binding", tg)
	}
}

func TestTarget(t *testing.T) {
	t.Parallel()
	s, tg := singleTenant(t, newFullConn(domain.Vendor("nxcloud")))
	if tg.Tenant != "acme" || tg.Vendor != domain.Vendor("nxcloud") || tg.Version != 1 {
		t.Fatalf("Target = %+v", tg)
	}
	_, err := s.Target(context.Background(), "nobody")
	if !errors.Is(err, domain.ErrTenantUnknown) {
		t.Fatalf("unknown tenant: %v, want ErrTenantUnknown", err)
	}
}

// TestIDPrefixing checks both directions for every operation that takes
// or returns ids: the fake must receive native ids only, and every id the
// caller gets back carries the vendor prefix.
func TestIDPrefixing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name     string
		op       domain.Operation
		call     func(s *domain.Service, tg domain.Target) (any, error)
		wantIDs  []string // native ids the fake must receive
		wantBack any
	}{
		{"get contact", domain.OpGetContact, func(s *domain.Service, tg domain.Target) (any, error) {
			c, err := s.GetContact(ctx, tg, "mk_a_b")
			return []string{c.ID, c.Tags[0].ID}, err
		}, []string{"a_b"}, []string{"mk_a_b", "mk_t9"}},
		{"create contact", domain.OpCreateContact, func(s *domain.Service, tg domain.Target) (any, error) {
			c, err := s.CreateContact(ctx, tg, domain.ContactInput{})
			return []string{c.ID, c.Tags[0].ID, c.Tags[1].ID}, err
		}, nil, []string{"mk_new1", "mk_t1", "mk_t2"}},
		{"update contact", domain.OpUpdateContact, func(s *domain.Service, tg domain.Target) (any, error) {
			c, err := s.UpdateContact(ctx, tg, "mk_12", domain.ContactPatch{Set: map[domain.ContactField]bool{domain.FieldNote: true}})
			return []string{c.ID, c.Tags[0].ID}, err
		}, []string{"12"}, []string{"mk_12", "mk_t3"}},
		{"delete contact", domain.OpDeleteContact, func(s *domain.Service, tg domain.Target) (any, error) {
			return nil, s.DeleteContact(ctx, tg, "mk_12")
		}, []string{"12"}, nil},
		{"list contacts", domain.OpListContacts, func(s *domain.Service, tg domain.Target) (any, error) {
			l, err := s.ListContacts(ctx, tg, domain.ContactFilter{GroupID: "mk_g1", TagID: "mk_t1"}, domain.ListOptions{})
			return []string{l.Items[0].ID, l.Items[0].Tags[0].ID}, err
		}, []string{"g1", "t1"}, []string{"mk_c1", "mk_t1"}},
		{"set contact tags", domain.OpSetContactTags, func(s *domain.Service, tg domain.Target) (any, error) {
			refs, err := s.SetContactTags(ctx, tg, "mk_12", []string{"mk_5", "mk_6"})
			return refs, err
		}, []string{"12", "5", "6"}, []domain.TagRef{{ID: "mk_5", Name: "tag 5"}, {ID: "mk_6", Name: "tag 6"}}},
		{"list contact groups", domain.OpListContactGroups, func(s *domain.Service, tg domain.Target) (any, error) {
			l, err := s.ListContactGroups(ctx, tg, "mk_12", domain.ListOptions{})
			return l.Items[0].ID, err
		}, []string{"12"}, "mk_g1"},
		{"list contact events", domain.OpListContactEvents, func(s *domain.Service, tg domain.Target) (any, error) {
			l, err := s.ListContactEvents(ctx, tg, "mk_12", domain.ListOptions{})
			return []string{l.Items[0].ID, l.Items[0].ContactID}, err
		}, []string{"12"}, []string{"mk_e1", "mk_12"}},
		{"record event", domain.OpRecordEvent, func(s *domain.Service, tg domain.Target) (any, error) {
			e, err := s.RecordEvent(ctx, tg, domain.EventInput{Event: "buy", ContactID: "mk_12"})
			return []string{e.ID, e.ContactID}, err
		}, []string{"12"}, []string{"mk_e1", "mk_12"}},
		{"list tags", domain.OpListTags, func(s *domain.Service, tg domain.Target) (any, error) {
			l, err := s.ListTags(ctx, tg, "mk_tg4", domain.ListOptions{})
			return []string{l.Items[0].ID, l.Items[0].GroupID}, err
		}, []string{"tg4"}, []string{"mk_t1", "mk_tg1"}},
		{"create tag in group", domain.OpCreateTag, func(s *domain.Service, tg domain.Target) (any, error) {
			tag, err := s.CreateTag(ctx, tg, "vip", "mk_tg4")
			return []string{tag.ID, tag.GroupID}, err
		}, []string{"tg4"}, []string{"mk_t7", "mk_tg4"}},
		{"create tag without group", domain.OpCreateTag, func(s *domain.Service, tg domain.Target) (any, error) {
			tag, err := s.CreateTag(ctx, tg, "vip", "")
			// No group stays no group, not "mk_".
			return []string{tag.ID, tag.GroupID}, err
		}, nil, []string{"mk_t7", ""}},
		{"rename tag", domain.OpRenameTag, func(s *domain.Service, tg domain.Target) (any, error) {
			tag, err := s.RenameTag(ctx, tg, "mk_8", "gold")
			return []string{tag.ID, tag.GroupID}, err
		}, []string{"8"}, []string{"mk_8", "mk_tg1"}},
		{"delete tag", domain.OpDeleteTag, func(s *domain.Service, tg domain.Target) (any, error) {
			return nil, s.DeleteTag(ctx, tg, "mk_8")
		}, []string{"8"}, nil},
		{"list tag groups", domain.OpListTagGroups, func(s *domain.Service, tg domain.Target) (any, error) {
			l, err := s.ListTagGroups(ctx, tg, domain.ListOptions{})
			return []string{l.Items[0].ID, l.Items[0].ParentID}, err
		}, nil, []string{"mk_tg1", "mk_tg0"}},
		{"create tag group", domain.OpCreateTagGroup, func(s *domain.Service, tg domain.Target) (any, error) {
			g, err := s.CreateTagGroup(ctx, tg, "folder")
			return []string{g.ID, g.ParentID}, err
		}, nil, []string{"mk_tg5", "mk_tg0"}},
		{"rename tag group without parent", domain.OpRenameTagGroup, func(s *domain.Service, tg domain.Target) (any, error) {
			g, err := s.RenameTagGroup(ctx, tg, "mk_tg2", "folder")
			return []string{g.ID, g.ParentID}, err
		}, []string{"tg2"}, []string{"mk_tg2", ""}},
		{"delete tag group", domain.OpDeleteTagGroup, func(s *domain.Service, tg domain.Target) (any, error) {
			return nil, s.DeleteTagGroup(ctx, tg, "mk_tg2")
		}, []string{"tg2"}, nil},
		{"list groups", domain.OpListGroups, func(s *domain.Service, tg domain.Target) (any, error) {
			l, err := s.ListGroups(ctx, tg, "", domain.ListOptions{})
			return l.Items[0].ID, err
		}, nil, "mk_g1"},
		{"get group", domain.OpGetGroup, func(s *domain.Service, tg domain.Target) (any, error) {
			g, err := s.GetGroup(ctx, tg, "mk_g3")
			return g.ID, err
		}, []string{"g3"}, "mk_g3"},
		{"create group", domain.OpCreateGroup, func(s *domain.Service, tg domain.Target) (any, error) {
			g, err := s.CreateGroup(ctx, tg, "list")
			return g.ID, err
		}, nil, "mk_g5"},
		{"delete group", domain.OpDeleteGroup, func(s *domain.Service, tg domain.Target) (any, error) {
			return nil, s.DeleteGroup(ctx, tg, "mk_g3")
		}, []string{"g3"}, nil},
		{"list group members", domain.OpListGroupMembers, func(s *domain.Service, tg domain.Target) (any, error) {
			l, err := s.ListGroupMembers(ctx, tg, "mk_g3", domain.ListOptions{})
			return l.Items[0].ID, err
		}, []string{"g3"}, "mk_c1"},
		{"add group members", domain.OpAddGroupMembers, func(s *domain.Service, tg domain.Target) (any, error) {
			mc, err := s.AddGroupMembers(ctx, tg, "mk_g3", []string{"mk_1", "mk_2"})
			return mc, err
		}, []string{"g3", "1", "2"}, domain.MemberChange{Succeeded: []string{"mk_1", "mk_2"}, Failed: []domain.MemberFailure{}}},
		{"remove group members", domain.OpRemoveGroupMembers, func(s *domain.Service, tg domain.Target) (any, error) {
			mc, err := s.RemoveGroupMembers(ctx, tg, "mk_g3", []string{"mk_1", "mk_x_y"})
			return mc, err
		}, []string{"g3", "1", "x_y"}, domain.MemberChange{Succeeded: []string{"mk_1", "mk_x_y"}, Failed: []domain.MemberFailure{}}},
		{"list fields", domain.OpListFields, func(s *domain.Service, tg domain.Target) (any, error) {
			l, err := s.ListFields(ctx, tg, domain.ListOptions{})
			return []string{l.Items[0].ID, l.Items[0].Key}, err
		}, nil, []string{"mk_f1", "k1"}},
		{"create field", domain.OpCreateField, func(s *domain.Service, tg domain.Target) (any, error) {
			f, err := s.CreateField(ctx, tg, domain.FieldInput{Label: "Score", Type: domain.FieldTypeNumber})
			// Key is the custom field's key in contacts, not an id.
			return []string{f.ID, f.Key}, err
		}, nil, []string{"mk_f9", "k9"}},
		{"batch upsert", domain.OpBatchUpsertContacts, func(s *domain.Service, tg domain.Target) (any, error) {
			rs, err := s.BatchUpsertContacts(ctx, tg, contactInputs(2), "")
			var out []string
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out, err
		}, []string{"n0", "n1"}, []string{"mk_n0", "mk_n1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("miaokol"))
			conn.filters = []string{"group_id+tag_id"}
			s, tg := singleTenant(t, conn)
			got, err := tt.call(s, tg)
			if err != nil {
				t.Fatalf("%s: %v", tt.op, err)
			}
			if !reflect.DeepEqual(got, tt.wantBack) {
				t.Errorf("returned %#v, want %#v", got, tt.wantBack)
			}
			calls := conn.CallsOf(tt.op)
			if len(calls) != 1 {
				t.Fatalf("calls = %+v, want one %s", conn.Calls(), tt.op)
			}
			if !slices.Equal(calls[0].IDs, tt.wantIDs) {
				t.Errorf("adapter received ids %q, want native %q", calls[0].IDs, tt.wantIDs)
			}
		})
	}
}

// TestIDOfAnotherVendorNeverReachesTheAdapter sends a Meihua id to a
// Miaokol tenant through every operation that takes an id.
func TestIDOfAnotherVendorNeverReachesTheAdapter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const foreign = "mh_1"
	calls := map[string]func(*domain.Service, domain.Target) error{
		"getContact": func(s *domain.Service, tg domain.Target) error { _, err := s.GetContact(ctx, tg, foreign); return err },
		"updateContact": func(s *domain.Service, tg domain.Target) error {
			_, err := s.UpdateContact(ctx, tg, foreign, domain.ContactPatch{Set: map[domain.ContactField]bool{domain.FieldName: true}})
			return err
		},
		"deleteContact": func(s *domain.Service, tg domain.Target) error { return s.DeleteContact(ctx, tg, foreign) },
		"listContacts group_id": func(s *domain.Service, tg domain.Target) error {
			_, err := s.ListContacts(ctx, tg, domain.ContactFilter{GroupID: foreign}, domain.ListOptions{})
			return err
		},
		"listContacts tag_id": func(s *domain.Service, tg domain.Target) error {
			_, err := s.ListContacts(ctx, tg, domain.ContactFilter{TagID: foreign}, domain.ListOptions{})
			return err
		},
		"setContactTags contact": func(s *domain.Service, tg domain.Target) error {
			_, err := s.SetContactTags(ctx, tg, foreign, nil)
			return err
		},
		"setContactTags tag": func(s *domain.Service, tg domain.Target) error {
			_, err := s.SetContactTags(ctx, tg, "mk_1", []string{"mk_2", foreign})
			return err
		},
		"listContactGroups": func(s *domain.Service, tg domain.Target) error {
			_, err := s.ListContactGroups(ctx, tg, foreign, domain.ListOptions{})
			return err
		},
		"listContactEvents": func(s *domain.Service, tg domain.Target) error {
			_, err := s.ListContactEvents(ctx, tg, foreign, domain.ListOptions{})
			return err
		},
		"recordEvent": func(s *domain.Service, tg domain.Target) error {
			_, err := s.RecordEvent(ctx, tg, domain.EventInput{Event: "x", ContactID: foreign})
			return err
		},
		"listTags": func(s *domain.Service, tg domain.Target) error {
			_, err := s.ListTags(ctx, tg, foreign, domain.ListOptions{})
			return err
		},
		"createTag": func(s *domain.Service, tg domain.Target) error {
			_, err := s.CreateTag(ctx, tg, "x", foreign)
			return err
		},
		"renameTag": func(s *domain.Service, tg domain.Target) error {
			_, err := s.RenameTag(ctx, tg, foreign, "x")
			return err
		},
		"deleteTag": func(s *domain.Service, tg domain.Target) error { return s.DeleteTag(ctx, tg, foreign) },
		"renameTagGroup": func(s *domain.Service, tg domain.Target) error {
			_, err := s.RenameTagGroup(ctx, tg, foreign, "x")
			return err
		},
		"deleteTagGroup": func(s *domain.Service, tg domain.Target) error { return s.DeleteTagGroup(ctx, tg, foreign) },
		"getGroup":       func(s *domain.Service, tg domain.Target) error { _, err := s.GetGroup(ctx, tg, foreign); return err },
		"deleteGroup":    func(s *domain.Service, tg domain.Target) error { return s.DeleteGroup(ctx, tg, foreign) },
		"listGroupMembers": func(s *domain.Service, tg domain.Target) error {
			_, err := s.ListGroupMembers(ctx, tg, foreign, domain.ListOptions{})
			return err
		},
		"addGroupMembers group": func(s *domain.Service, tg domain.Target) error {
			_, err := s.AddGroupMembers(ctx, tg, foreign, []string{"mk_1"})
			return err
		},
		"removeGroupMembers group": func(s *domain.Service, tg domain.Target) error {
			_, err := s.RemoveGroupMembers(ctx, tg, foreign, []string{"mk_1"})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("miaokol"))
			conn.filters = []string{"group_id", "tag_id"}
			s, tg := singleTenant(t, conn)
			me := asError[*domain.IDMismatchError](t, call(s, tg))
			if me.ID != foreign || me.IDVendor != domain.Vendor("meihua") || me.TenantVendor != domain.Vendor("miaokol") {
				t.Errorf("IDMismatchError = %+v", me)
			}
			wantNoCalls(t, &conn.recorder)
		})
	}
}

func TestListContactsFilterSupport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name       string
		filter     domain.ContactFilter
		wantFilter string // "" when accepted
	}{
		{"no filter", domain.ContactFilter{}, ""},
		{"q", domain.ContactFilter{Q: "ann"}, ""},
		{"group_id with q", domain.ContactFilter{Q: "ann", GroupID: "lf_4"}, ""},
		{"tag_id alone", domain.ContactFilter{TagID: "lf_4"}, "tag_id"},
		{"email with q", domain.ContactFilter{Q: "ann", Email: "a@b"}, "email with q"},
		{"group_id alone", domain.ContactFilter{GroupID: "lf_4"}, "group_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("linkflow"))
			conn.filters = []string{"q", "email", "group_id+q"}
			s, tg := singleTenant(t, conn)
			_, err := s.ListContacts(ctx, tg, tt.filter, domain.ListOptions{})
			if tt.wantFilter == "" {
				if err != nil {
					t.Fatalf("ListContacts: %v", err)
				}
				if calls := conn.CallsOf(domain.OpListContacts); len(calls) != 1 || calls[0].Query.GroupID != strings.TrimPrefix(tt.filter.GroupID, "lf_") {
					t.Fatalf("calls = %+v", calls)
				}
				return
			}
			ue := asError[*domain.UnsupportedError](t, err)
			if ue.Vendor != domain.Vendor("linkflow") || ue.Operation != domain.OpListContacts || ue.Filter != tt.wantFilter {
				t.Fatalf("UnsupportedError = %+v, want filter %q", ue, tt.wantFilter)
			}
			// The vendor would have ignored the filter and answered the
			// wrong list: it must not be asked at all.
			wantNoCalls(t, &conn.recorder)
		})
	}
}

func TestListContactsPassesFilterValues(t *testing.T) {
	t.Parallel()
	conn := newFullConn(domain.Vendor("linkflow"))
	conn.filters = []string{"email+phone+q+tag_id"}
	s, tg := singleTenant(t, conn)
	_, err := s.ListContacts(context.Background(), tg, domain.ContactFilter{Q: "ann", Email: "a@b", Phone: "+1", TagID: "lf_9"}, domain.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := domain.ContactQuery{Q: "ann", Email: "a@b", Phone: "+1", TagID: "9"}
	if got := conn.CallsOf(domain.OpListContacts)[0].Query; !reflect.DeepEqual(got, want) {
		t.Fatalf("adapter query = %+v, want %+v", got, want)
	}
}

func TestBatchUpsertContactsChunks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		n, size   int
		wantSizes []int
	}{
		{"one chunk", 3, 100, []int{3}},
		{"exact chunks", 200, 100, []int{100, 100}},
		{"partial last chunk", 250, 100, []int{100, 100, 50}},
		{"max batch", domain.MaxBatch, 100, slices.Repeat([]int{100}, 10)},
		{"zero batch size means one by one", 3, 0, []int{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("linkflow"))
			conn.batchSize = tt.size
			conn.batchReverse = true // order must come from Index, not arrival
			s, tg := singleTenant(t, conn)
			rs, err := s.BatchUpsertContacts(context.Background(), tg, contactInputs(tt.n), "")
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int
			next := 0
			for _, c := range conn.CallsOf(domain.OpBatchUpsertContacts) {
				sizes = append(sizes, c.Items)
				// Chunks are consecutive slices of the input.
				if c.IDs[0] != "n"+strconv.Itoa(next) {
					t.Fatalf("chunk starts with %s, want n%d", c.IDs[0], next)
				}
				next += c.Items
				// An unset mode defaults to merge.
				if c.Mode != domain.OnConflictMerge {
					t.Errorf("mode = %q, want merge", c.Mode)
				}
			}
			if !slices.Equal(sizes, tt.wantSizes) {
				t.Fatalf("chunk sizes = %v, want %v", sizes, tt.wantSizes)
			}
			if len(rs) != tt.n {
				t.Fatalf("%d results for %d items", len(rs), tt.n)
			}
			for i, r := range rs {
				if r.Index != i || r.ID != "lf_n"+strconv.Itoa(i) || r.Status != domain.BatchCreated {
					t.Fatalf("result %d = %+v, want index %d id lf_n%d", i, r, i, i)
				}
			}
		})
	}
}

func TestBatchUpsertContactsMode(t *testing.T) {
	t.Parallel()
	conn := newFullConn(domain.Vendor("linkflow"))
	s, tg := singleTenant(t, conn)
	if _, err := s.BatchUpsertContacts(context.Background(), tg, contactInputs(1), domain.OnConflictSkip); err != nil {
		t.Fatal(err)
	}
	if m := conn.CallsOf(domain.OpBatchUpsertContacts)[0].Mode; m != domain.OnConflictSkip {
		t.Fatalf("mode = %q, want skip", m)
	}
}

func TestBatchUpsertContactsSize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, domain.MaxBatch + 1} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("linkflow"))
			s, tg := singleTenant(t, conn)
			_, err := s.BatchUpsertContacts(context.Background(), tg, contactInputs(n), "")
			wantFieldError(t, err, "body.items")
			wantNoCalls(t, &conn.recorder)
		})
	}
}

func TestBatchUpsertContactsFailures(t *testing.T) {
	t.Parallel()
	auth := &domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorAuth, Detail: "credentials refused"}
	rejected := &domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorRejected, Detail: "bad input"}
	tests := []struct {
		name     string
		batchErr map[int]error
		wantErr  error // the whole call's error
		failed   []int // chunk numbers whose items are failed
		calls    int   // adapter calls when the call succeeds; 0 means 3
	}{
		{"auth on the first chunk fails the call", map[int]error{0: auth}, auth, nil, 0},
		{"cancellation on the first chunk fails the call", map[int]error{0: context.Canceled}, context.Canceled, nil, 0},
		{"rejected first chunk is per item", map[int]error{0: rejected}, nil, []int{0}, 0},
		{"rejected middle chunk is per item", map[int]error{1: rejected}, nil, []int{1}, 0},
		// After a write, a whole-call failure fails the rest without calling
		// the vendor again.
		{"auth after a write fails the rest per item", map[int]error{1: auth}, nil, []int{1, 2}, 2},
		// Nothing was written by the rejected chunk, so the auth failure
		// concerns the whole call again.
		{"auth after only failures fails the call", map[int]error{0: rejected, 1: auth}, auth, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("linkflow"))
			conn.batchSize = 100
			conn.batchErr = tt.batchErr
			s, tg := singleTenant(t, conn)
			rs, err := s.BatchUpsertContacts(context.Background(), tg, contactInputs(250), "")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || rs != nil {
					t.Fatalf("got %d results, err %v; want no results and %v", len(rs), err, tt.wantErr)
				}
				var ve *domain.VendorError
				if errors.As(tt.wantErr, &ve) && asError[*domain.VendorError](t, err).Kind != ve.Kind {
					t.Fatalf("kind changed: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("BatchUpsertContacts: %v", err)
			}
			if len(rs) != 250 {
				t.Fatalf("%d results, want 250", len(rs))
			}
			for i, r := range rs {
				chunk := i / 100
				if r.Index != i {
					t.Fatalf("result %d has index %d", i, r.Index)
				}
				if slices.Contains(tt.failed, chunk) {
					if r.Status != domain.BatchFailed || r.Err == nil || r.ID != "" {
						t.Fatalf("item %d of failed chunk %d = %+v", i, chunk, r)
					}
					continue
				}
				if r.Status != domain.BatchCreated || r.Err != nil {
					t.Fatalf("item %d = %+v, want created", i, r)
				}
			}
			// A failed chunk does not stop the others.
			want := tt.calls
			if want == 0 {
				want = 3
			}
			if n := len(conn.CallsOf(domain.OpBatchUpsertContacts)); n != want {
				t.Fatalf("%d adapter calls, want %d", n, want)
			}
		})
	}
}

func TestBatchUpsertContactsStopsAfterWholeCallError(t *testing.T) {
	t.Parallel()
	conn := newFullConn(domain.Vendor("linkflow"))
	conn.batchSize = 100
	conn.batchErr = map[int]error{1: &domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorRateLimited, Detail: "quota"}}
	s, tg := singleTenant(t, conn)
	rs, err := s.BatchUpsertContacts(context.Background(), tg, contactInputs(300), "")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(conn.CallsOf(domain.OpBatchUpsertContacts)); n != 2 {
		t.Errorf("%d vendor calls, want 2 (stop at the rate limit)", n)
	}
	for _, r := range rs[100:] {
		if r.Status != domain.BatchFailed {
			t.Fatalf("item %d = %+v, want failed", r.Index, r)
		}
	}
}

// shortBatch is an adapter that answers fewer results than items it was given.
type shortBatch struct{ *fullConn }

func (s shortBatch) BatchUpsertContacts(context.Context, []domain.ContactInput, domain.OnConflict) ([]domain.BatchItemResult, error) {
	return []domain.BatchItemResult{{Index: 0, Status: domain.BatchCreated, ID: "x"}}, nil
}

func TestBatchUpsertContactsOneResultPerItem(t *testing.T) {
	t.Parallel()
	s, tg := singleTenant(t, shortBatch{newFullConn(domain.Vendor("linkflow"))})
	rs, err := s.BatchUpsertContacts(context.Background(), tg, contactInputs(3), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("%d results for 3 items", len(rs))
	}
	for i, r := range rs {
		if r.Index != i {
			t.Fatalf("result %d has index %d", i, r.Index)
		}
	}
}

// memberOps runs the same checks on adding and removing members.
var memberOps = []struct {
	op   domain.Operation
	call func(*domain.Service, context.Context, domain.Target, string, []string) (domain.MemberChange, error)
}{
	{domain.OpAddGroupMembers, (*domain.Service).AddGroupMembers},
	{domain.OpRemoveGroupMembers, (*domain.Service).RemoveGroupMembers},
}

func canonIDs(v domain.Vendor, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = testVendors.FormatID(v, "c"+strconv.Itoa(i))
	}
	return out
}

func TestGroupMembersValidateBeforeAnyCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		group string
		ids   []string
		check func(t *testing.T, err error)
	}{
		{"one foreign id among many", "lf_g", append(canonIDs(domain.Vendor("linkflow"), 5), "nx_99"), func(t *testing.T, err error) {
			me := asError[*domain.IDMismatchError](t, err)
			if me.ID != "nx_99" || me.IDVendor != domain.Vendor("nxcloud") {
				t.Fatalf("IDMismatchError = %+v", me)
			}
		}},
		{"malformed ids listed by index", "lf_g", []string{"lf_1", "bad", "lf_2", ""}, func(t *testing.T, err error) {
			ve := asError[*domain.ValidationError](t, err)
			var fields []string
			for _, f := range ve.Fields {
				fields = append(fields, f.Field)
			}
			// Every bad id is named, so the caller fixes them in one go.
			if want := []string{"body.contact_ids[1]", "body.contact_ids[3]"}; !slices.Equal(fields, want) {
				t.Fatalf("fields = %v, want %v", fields, want)
			}
		}},
		{"foreign group", "mh_g", canonIDs(domain.Vendor("linkflow"), 1), func(t *testing.T, err error) {
			asError[*domain.IDMismatchError](t, err)
		}},
		{"malformed group", "g", canonIDs(domain.Vendor("linkflow"), 1), func(t *testing.T, err error) {
			wantFieldError(t, err, "path.group_id")
		}},
		{"no ids", "lf_g", nil, func(t *testing.T, err error) { wantFieldError(t, err, "body.contact_ids") }},
		{"too many ids", "lf_g", canonIDs(domain.Vendor("linkflow"), domain.MaxMemberChange+1), func(t *testing.T, err error) {
			wantFieldError(t, err, "body.contact_ids")
		}},
	}
	for _, mo := range memberOps {
		for _, tt := range tests {
			t.Run(string(mo.op)+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				conn := newFullConn(domain.Vendor("linkflow"))
				conn.memberBatchSize = 2 // the bad id is in a later chunk
				s, tg := singleTenant(t, conn)
				_, err := mo.call(s, context.Background(), tg, tt.group, tt.ids)
				tt.check(t, err)
				wantNoCalls(t, &conn.recorder)
			})
		}
	}
}

func TestGroupMembersChunks(t *testing.T) {
	t.Parallel()
	for _, mo := range memberOps {
		t.Run(string(mo.op), func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("linkflow"))
			conn.memberBatchSize = 2
			conn.memberRefused = map[string]bool{"c3": true}
			s, tg := singleTenant(t, conn)
			mc, err := mo.call(s, context.Background(), tg, "lf_g", canonIDs(domain.Vendor("linkflow"), 5))
			if err != nil {
				t.Fatal(err)
			}
			var chunks [][]string
			for _, c := range conn.CallsOf(mo.op) {
				if c.IDs[0] != "g" {
					t.Fatalf("group id %q, want native g", c.IDs[0])
				}
				chunks = append(chunks, c.IDs[1:])
			}
			want := [][]string{{"c0", "c1"}, {"c2", "c3"}, {"c4"}}
			if !reflect.DeepEqual(chunks, want) {
				t.Fatalf("chunks = %v, want %v", chunks, want)
			}
			wantMC := domain.MemberChange{
				Succeeded: []string{"lf_c0", "lf_c1", "lf_c2", "lf_c4"},
				Failed:    []domain.MemberFailure{{ID: "lf_c3", Reason: "no such contact"}},
			}
			if !reflect.DeepEqual(mc, wantMC) {
				t.Fatalf("MemberChange = %+v, want %+v", mc, wantMC)
			}
		})
	}
}

func TestGroupMembersLaterChunkFails(t *testing.T) {
	t.Parallel()
	cause := &domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorUnavailable, Status: 502,
		Detail: "linkflow is unavailable", Err: errors.New("upstream said " + secret)}
	for _, mo := range memberOps {
		t.Run(string(mo.op), func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("linkflow"))
			conn.memberBatchSize = 2
			conn.memberErr = map[int]error{1: cause}
			s, tg := singleTenant(t, conn)
			mc, err := mo.call(s, context.Background(), tg, "lf_g", canonIDs(domain.Vendor("linkflow"), 5))
			// The first chunk is written: hiding it behind an error would
			// make the caller retry what already happened.
			if err != nil {
				t.Fatalf("error %v, want a partial result", err)
			}
			if want := []string{"lf_c0", "lf_c1"}; !slices.Equal(mc.Succeeded, want) {
				t.Fatalf("Succeeded = %v, want %v", mc.Succeeded, want)
			}
			var failed []string
			for _, f := range mc.Failed {
				failed = append(failed, f.ID)
				if f.Reason != domain.SafeDetail(cause) || strings.Contains(f.Reason, secret) {
					t.Fatalf("reason %q, want the safe detail %q", f.Reason, domain.SafeDetail(cause))
				}
			}
			// Every id after the failure is reported, including those of
			// chunks never sent.
			if want := []string{"lf_c2", "lf_c3", "lf_c4"}; !slices.Equal(failed, want) {
				t.Fatalf("Failed = %v, want %v", failed, want)
			}
			if n := len(conn.CallsOf(mo.op)); n != 2 {
				t.Fatalf("%d calls, want 2: stop at the failed chunk", n)
			}
		})
	}
}

func TestGroupMembersFirstChunkFails(t *testing.T) {
	t.Parallel()
	cause := &domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorNotFound, Detail: "no such group"}
	for _, mo := range memberOps {
		t.Run(string(mo.op), func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("linkflow"))
			conn.memberBatchSize = 2
			conn.memberErr = map[int]error{0: cause}
			s, tg := singleTenant(t, conn)
			_, err := mo.call(s, context.Background(), tg, "lf_g", canonIDs(domain.Vendor("linkflow"), 5))
			// Nothing happened: the error itself is the answer (404 here).
			if !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("error %v, want the vendor's not found", err)
			}
		})
	}
}

func TestRecordEventContactOrExternalID(t *testing.T) {
	t.Parallel()
	ext := &domain.ExternalID{Channel: "wechat", ID: "o123"}
	tests := []struct {
		name    string
		in      domain.EventInput
		wantErr func(t *testing.T, err error)
		wantIDs []string
	}{
		{"neither", domain.EventInput{Event: "buy"}, func(t *testing.T, err error) { wantFieldError(t, err, "body") }, nil},
		{"both", domain.EventInput{Event: "buy", ContactID: "lf_1", ExternalID: ext}, func(t *testing.T, err error) { wantFieldError(t, err, "body") }, nil},
		{"malformed contact id", domain.EventInput{Event: "buy", ContactID: "1"}, func(t *testing.T, err error) { wantFieldError(t, err, "body.contact_id") }, nil},
		{"foreign contact id", domain.EventInput{Event: "buy", ContactID: "mk_1"}, func(t *testing.T, err error) {
			asError[*domain.IDMismatchError](t, err)
		}, nil},
		{"contact id", domain.EventInput{Event: "buy", ContactID: "lf_1"}, nil, []string{"1"}},
		{"external id", domain.EventInput{Event: "buy", ExternalID: ext}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("linkflow"))
			s, tg := singleTenant(t, conn)
			e, err := s.RecordEvent(context.Background(), tg, tt.in)
			if tt.wantErr != nil {
				tt.wantErr(t, err)
				wantNoCalls(t, &conn.recorder)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			calls := conn.CallsOf(domain.OpRecordEvent)
			if len(calls) != 1 || !slices.Equal(calls[0].IDs, tt.wantIDs) {
				t.Fatalf("calls = %+v, want ids %v", calls, tt.wantIDs)
			}
			if tt.in.ContactID != "" && e.ContactID != tt.in.ContactID {
				t.Errorf("event contact id = %q, want %q", e.ContactID, tt.in.ContactID)
			}
			if tt.in.ExternalID != nil && (e.ContactID != "" || e.ExternalID == nil || *e.ExternalID != *ext) {
				t.Errorf("event = %+v, want the external id untouched", e)
			}
		})
	}
}

func TestUpdateContactEmptyPatch(t *testing.T) {
	t.Parallel()
	conn := newFullConn(domain.Vendor("linkflow"))
	s, tg := singleTenant(t, conn)
	_, err := s.UpdateContact(context.Background(), tg, "lf_1", domain.ContactPatch{Values: domain.Contact{Name: "unset"}})
	wantFieldError(t, err, "body")
	wantNoCalls(t, &conn.recorder)

	// Custom fields alone are a change.
	c, err := s.UpdateContact(context.Background(), tg, "lf_1", domain.ContactPatch{CustomFields: map[string]any{"k2": "gold"}})
	if err != nil || c.CustomFields["k2"] != "gold" || c.ID != "lf_1" {
		t.Fatalf("custom-field-only patch: %+v, %v", c, err)
	}
}

func TestCreateFieldOptions(t *testing.T) {
	t.Parallel()
	opts := []string{"a", "b"}
	tests := []struct {
		typ    domain.FieldType
		opts   []string
		wantOK bool
	}{
		{domain.FieldTypeText, opts, false},
		{domain.FieldTypeNumber, opts, false},
		{domain.FieldTypeBoolean, opts, false},
		{domain.FieldTypeSelect, opts, true},
		{domain.FieldTypeMultiSelect, opts, true},
		{domain.FieldTypeText, nil, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ)+"/"+strconv.Itoa(len(tt.opts)), func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("linkflow"))
			s, tg := singleTenant(t, conn)
			f, err := s.CreateField(context.Background(), tg, domain.FieldInput{Label: "L", Type: tt.typ, Options: tt.opts})
			if !tt.wantOK {
				wantFieldError(t, err, "body.options")
				wantNoCalls(t, &conn.recorder)
				return
			}
			if err != nil || f.ID != "lf_f9" || !slices.Equal(f.Options, tt.opts) {
				t.Fatalf("CreateField = %+v, %v", f, err)
			}
		})
	}
}

func TestCleanRelativePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string // want "" means refused
	}{
		{"/open/orders", "/open/orders"},
		{"/", "/"},
		{"/v1/wx/wx1f7fbd28ac009cd0/user", "/v1/wx/wx1f7fbd28ac009cd0/user"},
		{"/a-b_c.d~e/f!$&'()*+,=:@g", "/a-b_c.d~e/f!$&'()*+,=:@g"},
		// A path has one spelling: what a server would read as another
		// path (matrix parameters, escapes, slashes it merges or drops) is
		// refused rather than rewritten, so the allow-list sees what the
		// vendor routes.
		{"/open/orders/", ""},
		{"/a%20b", ""},
		{"/%74oken", ""},
		{"/open/or%64ers", ""},
		{"/token;x", ""},
		{"/token%3Bx", ""},
		{"/token%3bx", ""},
		{"/open/orders;jsessionid=1", ""},
		{"/open;x/orders", ""},
		{"/open/%2Forders", ""},
		{"/a b", ""},
		{"/标签", ""},
		{"open/orders", ""},
		{"", ""},
		{"//evil.com/x", ""},
		{"/%2F/evil.com/x", ""},
		{"http://evil.com", ""},
		{"/http://evil.com", ""},
		{"/a/../token", ""},
		{"/..", ""},
		{"/a/%2e%2e/b", ""},
		{"/a/%2E%2E/b", ""},
		{"/a\\b", ""},
		{"/a%5cb", ""},
		{"/a?x=1", ""},
		{"/a%3Fx=1", ""},
		{"/a#f", ""},
		{"/a\x00", ""},
		{"/a%00", ""},
		{"/a\r\nHost: evil", ""},
		{"/a%0d%0ab", ""},
		{"/./a", ""},
		{"/a/.", ""},
		{"/a//b", ""},
		{"/a%zz", ""},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			t.Parallel()
			got, err := domain.CleanRelativePath(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("CleanRelativePath(%q) = %q, want refused", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CleanRelativePath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestPassthrough(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		req      domain.PassthroughRequest
		wantPath string // "" means refused with wantField
		field    string
	}{
		{"plain GET", domain.PassthroughRequest{Method: "GET", Path: "/open/orders"}, "/open/orders", ""},
		{"escaped path", domain.PassthroughRequest{Method: "GET", Path: "/open/or%64ers"}, "", "body.path"},
		{"GET with null body", domain.PassthroughRequest{Method: "GET", Path: "/a", Body: []byte("null")}, "/a", ""},
		{"POST with body", domain.PassthroughRequest{Method: "POST", Path: "/a", Body: []byte(`{"x":1}`)}, "/a", ""},
		{"GET with body", domain.PassthroughRequest{Method: "GET", Path: "/a", Body: []byte(`{"x":1}`)}, "", "body.body"},
		{"other host", domain.PassthroughRequest{Method: "GET", Path: "//evil.com/x"}, "", "body.path"},
		{"traversal", domain.PassthroughRequest{Method: "POST", Path: "/a/%2e%2e/token"}, "", "body.path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("linkflow"))
			s, tg := singleTenant(t, conn)
			_, err := s.Passthrough(context.Background(), tg, tt.req)
			if tt.wantPath == "" {
				wantFieldError(t, err, tt.field)
				wantNoCalls(t, &conn.recorder)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c := conn.CallsOf(domain.OpPassthrough); len(c) != 1 || c[0].Path != tt.wantPath || c[0].Method != tt.req.Method {
				t.Fatalf("calls = %+v, want path %s", c, tt.wantPath)
			}
		})
	}
}

func TestServiceReturnsAdapterErrors(t *testing.T) {
	t.Parallel()
	// Errors come back unchanged (not wrapped into something else, not
	// swallowed) so the HTTP layer can map them with errors.Is/As: 401-ish
	// vendor auth, 404 for not found, 429 for a rate limit.
	cause := &domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorAuth, Detail: "credentials refused"}
	for _, op := range domain.Operations() {
		t.Run(string(op), func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("linkflow"))
			conn.err = map[domain.Operation]error{op: cause}
			s, tg := singleTenant(t, conn)
			err := serviceCalls[op](context.Background(), s, tg)
			if ve := asError[*domain.VendorError](t, err); ve != cause {
				t.Fatalf("error %v, want the adapter's error itself", err)
			}
		})
	}
}

func TestServiceKeepsNotFound(t *testing.T) {
	t.Parallel()
	nf := fmt.Errorf("contact 1: %w", domain.ErrNotFound)
	conn := newFullConn(domain.Vendor("linkflow"))
	conn.err = map[domain.Operation]error{domain.OpGetContact: nf}
	s, tg := singleTenant(t, conn)
	if _, err := s.GetContact(context.Background(), tg, "lf_1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("GetContact: %v, want not found", err)
	}
}

// failingBindings is a BindingStore whose backend (Redis, in production)
// is down.
type failingBindings struct {
	*memory.Bindings
	seedErr, bindingErr, switchErr error
}

func (f *failingBindings) Seed(ctx context.Context, tenant string, v domain.Vendor) error {
	if f.seedErr != nil {
		return f.seedErr
	}
	return f.Bindings.Seed(ctx, tenant, v)
}

func (f *failingBindings) Binding(ctx context.Context, tenant string) (domain.Binding, error) {
	if f.bindingErr != nil {
		return domain.Binding{}, f.bindingErr
	}
	return f.Bindings.Binding(ctx, tenant)
}

func (f *failingBindings) Switch(ctx context.Context, tenant string, v domain.Vendor) (domain.Binding, domain.Binding, error) {
	if f.switchErr != nil {
		return domain.Binding{}, domain.Binding{}, f.switchErr
	}
	return f.Bindings.Switch(ctx, tenant, v)
}

func TestBindingStoreFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	down := errors.New("redis: connection refused")
	tenants := []domain.Tenant{{ID: "acme", Initial: domain.Vendor("linkflow"), Connections: map[domain.Vendor]domain.Connection{
		domain.Vendor("linkflow"): newFullConn(domain.Vendor("linkflow")), domain.Vendor("meihua"): newFullConn(domain.Vendor("meihua"))}}}

	t.Run("seed", func(t *testing.T) {
		t.Parallel()
		_, err := domain.NewService(ctx, domain.ServiceConfig{Vendors: testVendors, CursorSecret: []byte(testSecret), Tenants: tenants,
			Bindings: &failingBindings{Bindings: memory.NewBindings(memory.BindingsOptions{}), seedErr: down}})
		if !errors.Is(err, down) {
			t.Fatalf("NewService: %v, want the store's error", err)
		}
	})

	t.Run("binding", func(t *testing.T) {
		t.Parallel()
		store := &failingBindings{Bindings: memory.NewBindings(memory.BindingsOptions{})}
		s := newService(t, domain.ServiceConfig{Vendors: testVendors, Tenants: tenants, Bindings: store})
		store.bindingErr = down
		if _, err := s.Target(ctx, "acme"); !errors.Is(err, down) || errors.Is(err, domain.ErrTenantUnknown) {
			t.Errorf("Target: %v, want the store's error", err)
		}
		if _, err := s.Tenant(ctx, "acme"); !errors.Is(err, down) {
			t.Errorf("Tenant: %v, want the store's error", err)
		}
		if _, err := s.Tenants(ctx, func(string) bool { return true }); !errors.Is(err, down) {
			t.Errorf("Tenants: %v, want the store's error", err)
		}
	})

	t.Run("switch", func(t *testing.T) {
		t.Parallel()
		store := &failingBindings{Bindings: memory.NewBindings(memory.BindingsOptions{}), switchErr: down}
		s := newService(t, domain.ServiceConfig{Vendors: testVendors, Tenants: tenants, Bindings: store})
		if _, err := s.SwitchVendor(ctx, "acme", domain.Vendor("meihua"), "alice", "r"); !errors.Is(err, down) {
			t.Errorf("SwitchVendor: %v, want the store's error", err)
		}
	})
}

func TestTargetBoundToUnconfiguredVendor(t *testing.T) {
	t.Parallel()
	// The shared store may hold a binding from an older config that had
	// another vendor: requests must fail, not reach a nil connection.
	ctx := context.Background()
	store := memory.NewBindings(memory.BindingsOptions{})
	if err := store.Seed(ctx, "acme", domain.Vendor("nxcloud")); err != nil {
		t.Fatal(err)
	}
	s := newService(t, domain.ServiceConfig{Vendors: testVendors, Bindings: store, Tenants: []domain.Tenant{{ID: "acme", Initial: domain.Vendor("linkflow"),
		Connections: map[domain.Vendor]domain.Connection{domain.Vendor("linkflow"): newFullConn(domain.Vendor("linkflow"))}}}})
	if _, err := s.Target(ctx, "acme"); err == nil || !strings.Contains(err.Error(), "nxcloud") {
		t.Fatalf("Target: %v, want an error naming nxcloud", err)
	}
}
