package domain_test

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/api"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

func TestOperationsAreOperationIDsOfTheSpec(t *testing.T) {
	t.Parallel()
	// Operation names are promised to be the spec's operationIds: the
	// capability matrix and 501 problems use them as such.
	ops := domain.Operations()
	seen := map[domain.Operation]bool{}
	for _, op := range ops {
		if seen[op] {
			t.Errorf("Operations() lists %s twice", op)
		}
		seen[op] = true
		re := regexp.MustCompile(`(?m)^\s+operationId:\s*` + regexp.QuoteMeta(string(op)) + `\s*$`)
		if !re.Match(api.OpenAPI) {
			t.Errorf("operation %s is not an operationId of api/openapi.yaml", op)
		}
	}
	if !bytes.Contains(api.OpenAPI, []byte("operationId:")) {
		t.Fatal("the embedded spec has no operationIds; the check above proved nothing")
	}
}

func TestCapabilitiesOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		conn    domain.Connection
		want    []domain.Operation // operations that must be true; all others false
		filters []string
	}{
		{"bare", domain.NewBareConnection(domain.Vendor("meihua")), nil, []string{}},
		{"read-only contacts", &readOnlyContacts{vendor: domain.Vendor("nxcloud"), filters: []string{"email", "phone"}},
			[]domain.Operation{domain.OpListContacts, domain.OpGetContact}, []string{"email", "phone"}},
		{"member adder only", memberAdderOnly{vendor: domain.Vendor("miaokol")},
			[]domain.Operation{domain.OpAddGroupMembers}, []string{}},
		{"every port", newFullConn(domain.Vendor("linkflow")), domain.Operations(), []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			caps := domain.CapabilitiesOf(tt.conn)
			if caps.Vendor != tt.conn.Vendor() {
				t.Errorf("Vendor = %s, want %s", caps.Vendor, tt.conn.Vendor())
			}
			// Every operation is in the map, so the matrix lists false
			// explicitly rather than leaving it out.
			if len(caps.Operations) != len(domain.Operations()) {
				t.Errorf("map has %d operations, want %d", len(caps.Operations), len(domain.Operations()))
			}
			for _, op := range domain.Operations() {
				got, ok := caps.Operations[op]
				if !ok {
					t.Errorf("%s missing from the map", op)
				}
				if want := slices.Contains(tt.want, op); got != want {
					t.Errorf("%s = %v, want %v", op, got, want)
				}
			}
			// Non-nil so that JSON says [] rather than null.
			if caps.ContactFilters == nil || !slices.Equal(caps.ContactFilters, tt.filters) {
				t.Errorf("ContactFilters = %#v, want %#v", caps.ContactFilters, tt.filters)
			}
		})
	}
}

func TestCapabilitiesOfCopiesContactFilters(t *testing.T) {
	t.Parallel()
	conn := &readOnlyContacts{vendor: domain.Vendor("nxcloud"), filters: []string{"email", "phone"}}
	caps := domain.CapabilitiesOf(conn)
	caps.ContactFilters[0] = "changed"
	if conn.filters[0] != "email" {
		t.Fatal("changing the capabilities changed the adapter's filter list")
	}
}

func TestServiceCapabilities(t *testing.T) {
	t.Parallel()
	s, tg := singleTenant(t, &readOnlyContacts{vendor: domain.Vendor("nxcloud")})
	caps := s.Capabilities(tg)
	if caps.Vendor != domain.Vendor("nxcloud") || !caps.Operations[domain.OpGetContact] || caps.Operations[domain.OpCreateContact] {
		t.Fatalf("Capabilities = %+v", caps)
	}
}

// serviceCalls calls every tenant operation of the Service with valid
// input, one entry per Operation.
var serviceCalls = map[domain.Operation]func(context.Context, *domain.Service, domain.Target) error{
	domain.OpListContacts: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListContacts(ctx, t, domain.ContactFilter{}, domain.ListOptions{})
		return err
	},
	domain.OpGetContact: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.GetContact(ctx, t, id(t, "1"))
		return err
	},
	domain.OpCreateContact: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.CreateContact(ctx, t, domain.ContactInput{})
		return err
	},
	domain.OpUpdateContact: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.UpdateContact(ctx, t, id(t, "1"), domain.ContactPatch{Set: map[domain.ContactField]bool{domain.FieldName: true}})
		return err
	},
	domain.OpDeleteContact: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		return s.DeleteContact(ctx, t, id(t, "1"))
	},
	domain.OpBatchUpsertContacts: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.BatchUpsertContacts(ctx, t, contactInputs(1), "")
		return err
	},
	domain.OpSetContactTags: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.SetContactTags(ctx, t, id(t, "1"), []string{id(t, "2")})
		return err
	},
	domain.OpListContactGroups: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListContactGroups(ctx, t, id(t, "1"), domain.ListOptions{})
		return err
	},
	domain.OpListContactEvents: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListContactEvents(ctx, t, id(t, "1"), domain.ListOptions{})
		return err
	},
	domain.OpRecordEvent: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.RecordEvent(ctx, t, domain.EventInput{Event: "x", ContactID: id(t, "1")})
		return err
	},
	domain.OpListTags: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListTags(ctx, t, "", domain.ListOptions{})
		return err
	},
	domain.OpCreateTag: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.CreateTag(ctx, t, "vip", "")
		return err
	},
	domain.OpRenameTag: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.RenameTag(ctx, t, id(t, "1"), "vip")
		return err
	},
	domain.OpDeleteTag: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		return s.DeleteTag(ctx, t, id(t, "1"))
	},
	domain.OpListTagGroups: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListTagGroups(ctx, t, domain.ListOptions{})
		return err
	},
	domain.OpCreateTagGroup: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.CreateTagGroup(ctx, t, "folder")
		return err
	},
	domain.OpRenameTagGroup: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.RenameTagGroup(ctx, t, id(t, "1"), "folder")
		return err
	},
	domain.OpDeleteTagGroup: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		return s.DeleteTagGroup(ctx, t, id(t, "1"))
	},
	domain.OpListGroups: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListGroups(ctx, t, "", domain.ListOptions{})
		return err
	},
	domain.OpGetGroup: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.GetGroup(ctx, t, id(t, "1"))
		return err
	},
	domain.OpCreateGroup: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.CreateGroup(ctx, t, "list")
		return err
	},
	domain.OpDeleteGroup: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		return s.DeleteGroup(ctx, t, id(t, "1"))
	},
	domain.OpListGroupMembers: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListGroupMembers(ctx, t, id(t, "1"), domain.ListOptions{})
		return err
	},
	domain.OpAddGroupMembers: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.AddGroupMembers(ctx, t, id(t, "1"), []string{id(t, "2")})
		return err
	},
	domain.OpRemoveGroupMembers: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.RemoveGroupMembers(ctx, t, id(t, "1"), []string{id(t, "2")})
		return err
	},
	domain.OpListFields: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListFields(ctx, t, domain.ListOptions{})
		return err
	},
	domain.OpCreateField: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.CreateField(ctx, t, domain.FieldInput{Label: "Score", Type: domain.FieldTypeNumber})
		return err
	},
	domain.OpPassthrough: func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.Passthrough(ctx, t, domain.PassthroughRequest{Method: "GET", Path: "/open/orders"})
		return err
	},
}

// id returns the canonical id of native on the target's vendor.
func id(t domain.Target, native string) string { return testVendors.FormatID(t.Vendor, native) }

func TestServiceCallsCoverEveryOperation(t *testing.T) {
	t.Parallel()
	// The tables below are only as good as their coverage of Operations().
	for _, op := range domain.Operations() {
		if serviceCalls[op] == nil {
			t.Errorf("no service call for %s", op)
		}
	}
	if len(serviceCalls) != len(domain.Operations()) {
		t.Errorf("%d service calls for %d operations", len(serviceCalls), len(domain.Operations()))
	}
}

func TestUnsupportedOperation(t *testing.T) {
	t.Parallel()
	s, tg := singleTenant(t, domain.NewBareConnection(domain.Vendor("meihua")))
	for _, op := range domain.Operations() {
		t.Run(string(op), func(t *testing.T) {
			t.Parallel()
			err := serviceCalls[op](context.Background(), s, tg)
			ue := asError[*domain.UnsupportedError](t, err)
			// The 501 names the vendor and the operation the caller asked
			// for, not some other one that happens to share the port.
			if ue.Vendor != domain.Vendor("meihua") || ue.Operation != op || ue.Filter != "" {
				t.Fatalf("UnsupportedError = %+v, want vendor meihua, operation %s", ue, op)
			}
		})
	}
}

func TestUnsupportedOperationPartialAdapter(t *testing.T) {
	t.Parallel()
	s, tg := singleTenant(t, memberAdderOnly{vendor: domain.Vendor("miaokol")})
	ctx := context.Background()
	if err := serviceCalls[domain.OpAddGroupMembers](ctx, s, tg); err != nil {
		t.Fatalf("addGroupMembers on an adder: %v", err)
	}
	err := serviceCalls[domain.OpRemoveGroupMembers](ctx, s, tg)
	if ue := asError[*domain.UnsupportedError](t, err); ue.Operation != domain.OpRemoveGroupMembers || ue.Vendor != domain.Vendor("miaokol") {
		t.Fatalf("UnsupportedError = %+v", ue)
	}
}

func TestEveryOperationReachesTheAdapter(t *testing.T) {
	t.Parallel()
	// With every port implemented, every call succeeds and reaches the
	// fake under its own operation.
	for _, op := range domain.Operations() {
		t.Run(string(op), func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("linkflow"))
			s, tg := singleTenant(t, conn)
			if err := serviceCalls[op](context.Background(), s, tg); err != nil {
				t.Fatalf("%s: %v", op, err)
			}
			if len(conn.CallsOf(op)) != 1 {
				t.Fatalf("calls = %+v, want one %s", conn.Calls(), op)
			}
		})
	}
}

// badInputCalls calls tenant operations with input the Service refuses
// (a malformed id, a missing field, a forged cursor), one entry per
// operation that checks its input. Each is paired with the field or error
// the refusal names.
var badInputCalls = map[domain.Operation]struct {
	call func(context.Context, *domain.Service, domain.Target) error
	want string // the field a ValidationError names, or "cursor"
}{
	domain.OpListContacts: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListContacts(ctx, t, domain.ContactFilter{GroupID: "1"}, domain.ListOptions{})
		return err
	}, "query.group_id"},
	domain.OpGetContact: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.GetContact(ctx, t, "1")
		return err
	}, "path.contact_id"},
	domain.OpUpdateContact: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.UpdateContact(ctx, t, id(t, "1"), domain.ContactPatch{})
		return err
	}, "body"},
	domain.OpDeleteContact: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		return s.DeleteContact(ctx, t, "1")
	}, "path.contact_id"},
	domain.OpBatchUpsertContacts: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.BatchUpsertContacts(ctx, t, nil, "")
		return err
	}, "body.items"},
	domain.OpSetContactTags: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.SetContactTags(ctx, t, id(t, "1"), []string{"1"})
		return err
	}, "body.tag_ids[0]"},
	domain.OpListContactGroups: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListContactGroups(ctx, t, "1", domain.ListOptions{})
		return err
	}, "path.contact_id"},
	domain.OpListContactEvents: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListContactEvents(ctx, t, id(t, "1"), domain.ListOptions{Cursor: "forged"})
		return err
	}, "cursor"},
	domain.OpRecordEvent: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.RecordEvent(ctx, t, domain.EventInput{Event: "buy"})
		return err
	}, "body"},
	domain.OpListTags: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListTags(ctx, t, "1", domain.ListOptions{})
		return err
	}, "query.group_id"},
	domain.OpCreateTag: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.CreateTag(ctx, t, "vip", "1")
		return err
	}, "body.group_id"},
	domain.OpRenameTag: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.RenameTag(ctx, t, "1", "gold")
		return err
	}, "path.tag_id"},
	domain.OpDeleteTag: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		return s.DeleteTag(ctx, t, "1")
	}, "path.tag_id"},
	domain.OpListTagGroups: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListTagGroups(ctx, t, domain.ListOptions{Cursor: "forged"})
		return err
	}, "cursor"},
	domain.OpRenameTagGroup: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.RenameTagGroup(ctx, t, "1", "folder")
		return err
	}, "path.tag_group_id"},
	domain.OpDeleteTagGroup: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		return s.DeleteTagGroup(ctx, t, "1")
	}, "path.tag_group_id"},
	domain.OpListGroups: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListGroups(ctx, t, "", domain.ListOptions{Cursor: "forged"})
		return err
	}, "cursor"},
	domain.OpGetGroup: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.GetGroup(ctx, t, "1")
		return err
	}, "path.group_id"},
	domain.OpDeleteGroup: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		return s.DeleteGroup(ctx, t, "1")
	}, "path.group_id"},
	domain.OpListGroupMembers: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListGroupMembers(ctx, t, "1", domain.ListOptions{})
		return err
	}, "path.group_id"},
	domain.OpAddGroupMembers: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.AddGroupMembers(ctx, t, "1", []string{id(t, "2")})
		return err
	}, "path.group_id"},
	domain.OpRemoveGroupMembers: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.RemoveGroupMembers(ctx, t, id(t, "1"), nil)
		return err
	}, "body.contact_ids"},
	domain.OpListFields: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.ListFields(ctx, t, domain.ListOptions{Cursor: "forged"})
		return err
	}, "cursor"},
	domain.OpCreateField: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.CreateField(ctx, t, domain.FieldInput{Label: "Score", Type: domain.FieldTypeText, Options: []string{"a"}})
		return err
	}, "body.options"},
	domain.OpPassthrough: {func(ctx context.Context, s *domain.Service, t domain.Target) error {
		_, err := s.Passthrough(ctx, t, domain.PassthroughRequest{Method: "GET", Path: "https://evil.example/x"})
		return err
	}, "body.path"},
}

func TestUnsupportedBeforeInputChecks(t *testing.T) {
	t.Parallel()
	// A vendor without the operation answers 501 whatever the input: the
	// caller learns first that the call cannot work on this tenant at all.
	// The same input is refused by a vendor with the operation, so each
	// case proves the check it jumps over.
	// Operations whose input the Service does not check: nothing to order.
	unchecked := []domain.Operation{domain.OpCreateContact, domain.OpCreateTagGroup, domain.OpCreateGroup}
	for _, op := range domain.Operations() {
		bad, ok := badInputCalls[op]
		if !ok {
			if !slices.Contains(unchecked, op) {
				t.Errorf("no bad-input call for %s", op)
			}
			continue
		}
		t.Run(string(op), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, tg := singleTenant(t, domain.NewBareConnection(domain.Vendor("meihua")))
			err := bad.call(ctx, s, tg)
			if ue := asError[*domain.UnsupportedError](t, err); ue.Operation != op {
				t.Fatalf("UnsupportedError = %+v, want operation %s", ue, op)
			}

			conn := newFullConn(domain.Vendor("meihua"))
			s, tg = singleTenant(t, conn)
			err = bad.call(ctx, s, tg)
			if bad.want == "cursor" {
				asError[*domain.CursorError](t, err)
			} else {
				wantFieldError(t, err, bad.want)
			}
			wantNoCalls(t, &conn.recorder)
		})
	}
}
