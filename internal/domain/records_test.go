package domain_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// versionedContacts keeps one version per contact and serves plain and
// conditional updates and deletes; writes bump the version.
type versionedContacts struct {
	recorder
	vendor  domain.Vendor
	version string
}

func (v *versionedContacts) Vendor() domain.Vendor { return v.vendor }

func (v *versionedContacts) UpdateContact(_ context.Context, id string, p domain.ContactPatch) (domain.Contact, error) {
	v.record(fakeCall{Op: domain.OpUpdateContact, IDs: []string{id}})
	c := domain.Contact{ID: id, Version: v.version}
	p.Apply(&c)
	return c, nil
}

func (v *versionedContacts) UpdateContactIfVersion(ctx context.Context, id, version string, p domain.ContactPatch) (domain.Contact, error) {
	if version != v.version {
		return domain.Contact{}, &domain.PreconditionError{Vendor: v.vendor, Want: version, Current: v.version}
	}
	return v.UpdateContact(ctx, id, p)
}

func (v *versionedContacts) DeleteContact(_ context.Context, id string) error {
	v.record(fakeCall{Op: domain.OpDeleteContact, IDs: []string{id}})
	return nil
}

func (v *versionedContacts) DeleteContactIfVersion(ctx context.Context, id, version string) error {
	if version != v.version {
		return &domain.PreconditionError{Vendor: v.vendor, Want: version, Current: v.version}
	}
	return v.DeleteContact(ctx, id)
}

// unversionedContacts updates and deletes but keeps no versions.
type unversionedContacts struct {
	recorder
	vendor domain.Vendor
}

func (u *unversionedContacts) Vendor() domain.Vendor { return u.vendor }

func (u *unversionedContacts) UpdateContact(_ context.Context, id string, _ domain.ContactPatch) (domain.Contact, error) {
	u.record(fakeCall{Op: domain.OpUpdateContact, IDs: []string{id}})
	return domain.Contact{ID: id}, nil
}

func (u *unversionedContacts) DeleteContact(_ context.Context, id string) error {
	u.record(fakeCall{Op: domain.OpDeleteContact, IDs: []string{id}})
	return nil
}

var namePatch = domain.ContactPatch{Values: domain.Contact{Name: "n"}, Set: map[domain.ContactField]bool{domain.FieldName: true}}

// TestConditionalWrites: a precondition reaches the adapter's conditional
// port with the native id; a vendor without versions refuses it before any
// write, naming If-Match; the capabilities list what is conditional.
func TestConditionalWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("versioned vendor", func(t *testing.T) {
		t.Parallel()
		conn := &versionedContacts{vendor: "linkflow", version: "7"}
		s, tg := singleTenant(t, conn)
		c, err := s.UpdateContact(ctx, tg, id(tg, "1"), namePatch, domain.Precondition{Version: "7"})
		if err != nil || c.ID != id(tg, "1") || c.Version != "7" {
			t.Fatalf("conditional update = %+v, %v", c, err)
		}
		_, err = s.UpdateContact(ctx, tg, id(tg, "1"), namePatch, domain.Precondition{Version: "6"})
		var pe *domain.PreconditionError
		if !errors.As(err, &pe) || pe.Current != "7" {
			t.Fatalf("stale update: %v", err)
		}
		if err := s.DeleteContact(ctx, tg, id(tg, "2"), domain.Precondition{Version: "6"}); !errors.As(err, &pe) {
			t.Fatalf("stale delete: %v", err)
		}
		if err := s.DeleteContact(ctx, tg, id(tg, "2"), domain.Precondition{Version: "7"}); err != nil {
			t.Fatal(err)
		}
		if got := conn.CallsOf(domain.OpUpdateContact); len(got) != 1 || got[0].IDs[0] != "1" {
			t.Errorf("updates reaching the vendor: %+v", got)
		}
		if got := conn.CallsOf(domain.OpDeleteContact); len(got) != 1 || got[0].IDs[0] != "2" {
			t.Errorf("deletes reaching the vendor: %+v", got)
		}
		// The zero Precondition is none.
		if _, err := s.UpdateContact(ctx, tg, id(tg, "1"), namePatch, domain.Precondition{}); err != nil {
			t.Fatal(err)
		}
		if caps := s.Capabilities(tg); !slices.Equal(caps.IfMatch, []domain.Operation{domain.OpUpdateContact, domain.OpDeleteContact}) {
			t.Errorf("IfMatch = %v", caps.IfMatch)
		}
	})

	t.Run("vendor without versions", func(t *testing.T) {
		t.Parallel()
		conn := &unversionedContacts{vendor: "meihua"}
		s, tg := singleTenant(t, conn)
		var ue *domain.UnsupportedError
		_, err := s.UpdateContact(ctx, tg, id(tg, "1"), namePatch, domain.Precondition{Version: "1"})
		if !errors.As(err, &ue) || !ue.IfMatch || ue.Operation != domain.OpUpdateContact {
			t.Fatalf("conditional update: %v", err)
		}
		err = s.DeleteContact(ctx, tg, id(tg, "1"), domain.Precondition{Version: "1"})
		if !errors.As(err, &ue) || !ue.IfMatch || ue.Operation != domain.OpDeleteContact {
			t.Fatalf("conditional delete: %v", err)
		}
		if n := len(conn.Calls()); n != 0 {
			t.Fatalf("%d writes reached a vendor that cannot check the precondition", n)
		}
		if _, err := s.UpdateContact(ctx, tg, id(tg, "1"), namePatch); err != nil {
			t.Fatal(err)
		}
		if caps := s.Capabilities(tg); caps.IfMatch == nil || len(caps.IfMatch) != 0 {
			t.Errorf("IfMatch = %#v, want []", caps.IfMatch)
		}
	})

	t.Run("vendor that cannot delete", func(t *testing.T) {
		t.Parallel()
		s, tg := singleTenant(t, &readOnlyContacts{vendor: "nxcloud"})
		var ue *domain.UnsupportedError
		err := s.DeleteContact(ctx, tg, id(tg, "1"), domain.Precondition{Version: "1"})
		if !errors.As(err, &ue) || ue.IfMatch || ue.Operation != domain.OpDeleteContact {
			t.Fatalf("conditional delete: %v", err)
		}
	})
}

// truncatedGroups answers two pages, each marked truncated; only the last
// one may say so.
type truncatedGroups struct{ vendor domain.Vendor }

func (g truncatedGroups) Vendor() domain.Vendor { return g.vendor }

func (g truncatedGroups) ListGroups(_ context.Context, _ domain.GroupQuery, p domain.PageRequest) (domain.Page[domain.Group], error) {
	cut := &domain.Truncation{Limit: 2, Detail: "narrow it"}
	if p.State == "" {
		return domain.Page[domain.Group]{Items: []domain.Group{{ID: "1"}}, Next: "o1", Truncated: cut}, nil
	}
	return domain.Page[domain.Group]{Items: []domain.Group{{ID: "2"}}, Truncated: cut}, nil
}

// TestListTruncation: a vendor's truncation reaches the caller on the last
// page only.
func TestListTruncation(t *testing.T) {
	t.Parallel()
	s, tg := singleTenant(t, truncatedGroups{vendor: "linkflow"})
	first, err := s.ListGroups(context.Background(), tg, "", domain.ListOptions{Limit: 1})
	if err != nil || first.NextCursor == "" || first.Truncated != nil {
		t.Fatalf("first page %+v, %v", first, err)
	}
	last, err := s.ListGroups(context.Background(), tg, "", domain.ListOptions{Limit: 1, Cursor: first.NextCursor})
	if err != nil || last.NextCursor != "" || last.Truncated == nil || last.Truncated.Limit != 2 {
		t.Fatalf("last page %+v, %v", last, err)
	}
}
