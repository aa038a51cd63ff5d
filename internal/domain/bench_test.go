package domain_test

import (
	"context"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// benchConn answers from fixed values without allocating, so that the
// benchmarks below count only what the Service itself costs per call.
type benchConn struct{}

func (benchConn) Vendor() domain.Vendor { return domain.Vendor("linkflow") }

func (benchConn) GetContact(context.Context, string) (domain.Contact, error) {
	return domain.Contact{ID: "1"}, nil
}

func (benchConn) UpdateContact(context.Context, string, domain.ContactPatch) (domain.Contact, error) {
	return domain.Contact{ID: "1"}, nil
}

func (benchConn) DeleteContact(context.Context, string) error { return nil }

func (benchConn) CreateContact(context.Context, domain.ContactInput) (domain.Contact, error) {
	return domain.Contact{ID: "1"}, nil
}

func (benchConn) RenameTag(context.Context, string, string) (domain.Tag, error) {
	return domain.Tag{ID: "1", GroupID: "2"}, nil
}

func (benchConn) ListContactGroups(context.Context, string, domain.PageRequest) (domain.Page[domain.Group], error) {
	return domain.Page[domain.Group]{}, nil
}

// BenchmarkService measures the Service's own cost of one call per shape
// of operation (read, update, delete, create, rename, list by parent).
// Canonical ids are built per call (one string each); anything beyond that
// is overhead of the Service's plumbing and shows in allocs/op.
func BenchmarkService(b *testing.B) {
	ctx := context.Background()
	s, err := domain.NewService(ctx, domain.ServiceConfig{Vendors: testVendors, CursorSecret: []byte(testSecret),
		Bindings: memory.NewBindings(memory.BindingsOptions{}), Tenants: []domain.Tenant{{
			ID: "acme", Initial: domain.Vendor("linkflow"),
			Connections: map[domain.Vendor]domain.Connection{domain.Vendor("linkflow"): benchConn{}},
		}}})
	if err != nil {
		b.Fatal(err)
	}
	tg, err := s.Target(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	patch := domain.ContactPatch{Values: domain.Contact{Name: "x"}, Set: map[domain.ContactField]bool{domain.FieldName: true}}
	calls := []struct {
		name string
		call func() error
	}{
		{"get", func() error { _, err := s.GetContact(ctx, tg, "lf_1"); return err }},
		{"update", func() error { _, err := s.UpdateContact(ctx, tg, "lf_1", patch); return err }},
		{"delete", func() error { return s.DeleteContact(ctx, tg, "lf_1") }},
		{"create", func() error { _, err := s.CreateContact(ctx, tg, domain.ContactInput{}); return err }},
		{"rename", func() error { _, err := s.RenameTag(ctx, tg, "lf_1", "vip"); return err }},
		{"list by parent", func() error {
			_, err := s.ListContactGroups(ctx, tg, "lf_1", domain.ListOptions{})
			return err
		}},
	}
	for _, c := range calls {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.call(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
