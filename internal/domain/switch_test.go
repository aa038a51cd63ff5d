package domain_test

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"sync"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// switchFixture is a Service with tenants "acme" (linkflow + meihua,
// starts on linkflow), "beta" (nxcloud only) and "carol" (miaokol +
// linkflow), logging JSON into a buffer.
func switchFixture(t *testing.T) (*domain.Service, *vendortest.LogBuffer) {
	t.Helper()
	buf := &vendortest.LogBuffer{}
	conns := func(vs ...domain.Vendor) map[domain.Vendor]domain.Connection {
		m := map[domain.Vendor]domain.Connection{}
		for _, v := range vs {
			m[v] = newFullConn(v)
		}
		return m
	}
	s := newService(t, domain.ServiceConfig{Vendors: testVendors,
		Logger: slog.New(slog.NewJSONHandler(buf, nil)),
		// Listed out of order: Tenants must sort.
		Tenants: []domain.Tenant{
			{ID: "carol", Initial: domain.Vendor("miaokol"), Connections: conns(domain.Vendor("linkflow"), domain.Vendor("miaokol"))},
			{ID: "acme", Initial: domain.Vendor("linkflow"), Connections: conns(domain.Vendor("meihua"), domain.Vendor("linkflow"))},
			{ID: "beta", Initial: domain.Vendor("nxcloud"), Connections: conns(domain.Vendor("nxcloud"))},
		},
	})
	return s, buf
}

// auditLines decodes the JSON log lines in buf.
func auditLines(t *testing.T, buf *vendortest.LogBuffer) []map[string]any {
	t.Helper()
	lines, err := buf.JSONLines()
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestSwitchVendor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, buf := switchFixture(t)
	ti, err := s.SwitchVendor(ctx, "acme", domain.Vendor("meihua"), "alice@ops", "linkflow contract ended")
	if err != nil {
		t.Fatal(err)
	}
	if ti.Tenant != "acme" || ti.Vendor != domain.Vendor("meihua") || ti.Version != 2 || ti.UpdatedAt.IsZero() {
		t.Fatalf("TenantInfo = %+v, want acme on meihua at version 2", ti)
	}
	if want := []domain.Vendor{domain.Vendor("linkflow"), domain.Vendor("meihua")}; !reflect.DeepEqual(ti.Vendors, want) {
		t.Errorf("Vendors = %v, want %v", ti.Vendors, want)
	}
	// New requests go to the new vendor.
	if tg := target(t, s, "acme"); tg.Vendor != domain.Vendor("meihua") || tg.Version != 2 {
		t.Fatalf("Target after switch = %+v", tg)
	}

	lines := auditLines(t, buf)
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want one audit line: %s", len(lines), buf.String())
	}
	want := map[string]any{
		"audit": "tenant.switch_vendor", "actor": "alice@ops", "tenant": "acme",
		"from": "linkflow", "to": "meihua", "binding_version": float64(2), "reason": "linkflow contract ended",
	}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("audit %s = %#v, want %#v", k, lines[0][k], v)
		}
	}
	if _, ok := lines[0]["at"]; !ok {
		t.Error("audit line has no time of the switch")
	}
}

func TestSwitchVendorSameVendorIsNoOp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, buf := switchFixture(t)
	ti, err := s.SwitchVendor(ctx, "acme", domain.Vendor("linkflow"), "alice", "again")
	if err != nil {
		t.Fatal(err)
	}
	// A no-op must not bump the version: that would invalidate every
	// cursor of the tenant for nothing.
	if ti.Vendor != domain.Vendor("linkflow") || ti.Version != 1 {
		t.Fatalf("TenantInfo = %+v, want linkflow at version 1", ti)
	}
	if out := buf.String(); out != "" {
		t.Fatalf("a no-op switch wrote a log line: %s", out)
	}
}

func TestSwitchVendorBumpsOncePerSwitch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, buf := switchFixture(t)
	for i, v := range []domain.Vendor{domain.Vendor("meihua"), domain.Vendor("meihua"), domain.Vendor("linkflow"), domain.Vendor("linkflow"), domain.Vendor("meihua")} {
		if _, err := s.SwitchVendor(ctx, "acme", v, "alice", "r"); err != nil {
			t.Fatalf("switch %d: %v", i, err)
		}
	}
	// Three real changes: 1 -> 2 -> 3 -> 4.
	if tg := target(t, s, "acme"); tg.Vendor != domain.Vendor("meihua") || tg.Version != 4 {
		t.Fatalf("Target = %+v, want meihua at version 4", tg)
	}
	if n := len(auditLines(t, buf)); n != 3 {
		t.Fatalf("%d audit lines, want 3", n)
	}
}

func TestSwitchVendorRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name   string
		tenant string
		vendor domain.Vendor
		check  func(t *testing.T, err error)
	}{
		{"unknown tenant", "nobody", domain.Vendor("linkflow"), func(t *testing.T, err error) {
			if !errors.Is(err, domain.ErrTenantUnknown) {
				t.Fatalf("error %v, want ErrTenantUnknown", err)
			}
		}},
		{"vendor without connection", "beta", domain.Vendor("linkflow"), func(t *testing.T, err error) {
			e := asError[*domain.VendorNotConfiguredError](t, err)
			if e.Tenant != "beta" || e.Vendor != domain.Vendor("linkflow") {
				t.Fatalf("VendorNotConfiguredError = %+v", e)
			}
		}},
		{"unknown vendor", "acme", domain.Vendor("hubspot"), func(t *testing.T, err error) {
			asError[*domain.VendorNotConfiguredError](t, err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, buf := switchFixture(t)
			_, err := s.SwitchVendor(ctx, tt.tenant, tt.vendor, "alice", "r")
			tt.check(t, err)
			if buf.String() != "" {
				t.Errorf("a refused switch was logged: %s", buf.String())
			}
			if tt.tenant != "nobody" {
				if tg := target(t, s, tt.tenant); tg.Version != 1 {
					t.Errorf("refused switch changed the binding: %+v", tg)
				}
			}
		})
	}
}

func TestTenants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := switchFixture(t)
	if _, err := s.SwitchVendor(ctx, "carol", domain.Vendor("linkflow"), "alice", "r"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		allowed func(string) bool
		want    []string
	}{
		{"all, sorted", func(string) bool { return true }, []string{"acme", "beta", "carol"}},
		{"filtered", func(id string) bool { return id != "beta" }, []string{"acme", "carol"}},
		{"none", func(string) bool { return false }, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			infos, err := s.Tenants(ctx, tt.allowed)
			if err != nil {
				t.Fatal(err)
			}
			// Non-nil so the admin list is [] rather than null.
			if infos == nil {
				t.Fatal("Tenants returned nil")
			}
			got := []string{}
			for _, ti := range infos {
				got = append(got, ti.Tenant)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("tenants = %v, want %v", got, tt.want)
			}
		})
	}

	// Tenant shows the live binding and the vendors in Vendors order.
	ti, err := s.Tenant(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	if ti.Vendor != domain.Vendor("linkflow") || ti.Version != 2 || !reflect.DeepEqual(ti.Vendors, []domain.Vendor{domain.Vendor("linkflow"), domain.Vendor("miaokol")}) {
		t.Fatalf("Tenant(carol) = %+v", ti)
	}
	if _, err := s.Tenant(ctx, "nobody"); !errors.Is(err, domain.ErrTenantUnknown) {
		t.Fatalf("Tenant(nobody): %v, want ErrTenantUnknown", err)
	}
}

func TestTargetPinsTheConnection(t *testing.T) {
	t.Parallel()
	// A Target resolved before a switch keeps calling the old vendor: an
	// in-flight request finishes where it started.
	ctx := context.Background()
	lf, mh := newFullConn(domain.Vendor("linkflow")), newFullConn(domain.Vendor("meihua"))
	s := newService(t, domain.ServiceConfig{Vendors: testVendors, Tenants: []domain.Tenant{{ID: "acme", Initial: domain.Vendor("linkflow"),
		Connections: map[domain.Vendor]domain.Connection{domain.Vendor("linkflow"): lf, domain.Vendor("meihua"): mh}}}})
	before := target(t, s, "acme")
	if _, err := s.SwitchVendor(ctx, "acme", domain.Vendor("meihua"), "alice", "r"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetContact(ctx, before, "lf_1"); err != nil {
		t.Fatal(err)
	}
	after := target(t, s, "acme")
	if _, err := s.GetContact(ctx, after, "mh_1"); err != nil {
		t.Fatal(err)
	}
	// After the switch, an old id is a mismatch, never sent to meihua.
	if _, err := s.GetContact(ctx, after, "lf_1"); !errors.As(err, new(*domain.IDMismatchError)) {
		t.Fatalf("old id after switch: %v, want IDMismatchError", err)
	}
	if len(lf.Calls()) != 1 || len(mh.Calls()) != 1 {
		t.Fatalf("linkflow calls %v, meihua calls %v; want one each", lf.Calls(), mh.Calls())
	}
}

func TestSwitchVendorConcurrent(t *testing.T) {
	t.Parallel()
	// Many operators switching at once: every real change bumps the
	// version exactly once and logs exactly one line.
	ctx := context.Background()
	s, buf := switchFixture(t)
	const workers, rounds = 16, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				v := domain.Vendor("linkflow")
				if (w+r)%2 == 0 {
					v = domain.Vendor("meihua")
				}
				if _, err := s.SwitchVendor(ctx, "acme", v, "op", "load"); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Target(ctx, "acme"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	lines := auditLines(t, buf)
	tg := target(t, s, "acme")
	if int64(len(lines))+1 != tg.Version {
		t.Fatalf("%d audit lines but version %d: want one line per bump", len(lines), tg.Version)
	}
	// Each logged version is distinct: no two switches claimed the same bump.
	seen := map[float64]bool{}
	for _, l := range lines {
		v := l["binding_version"].(float64)
		if seen[v] {
			t.Fatalf("version %v logged twice", v)
		}
		seen[v] = true
	}
}

// racingBindings is a BindingStore in which another replica switches the
// tenant between the Service's read of the binding and its own Switch.
type racingBindings struct {
	*memory.Bindings
	interleave domain.Vendor
	once       sync.Once
}

func (r *racingBindings) Switch(ctx context.Context, tenant string, v domain.Vendor) (domain.Binding, domain.Binding, error) {
	r.once.Do(func() { _, _, _ = r.Bindings.Switch(ctx, tenant, r.interleave) })
	return r.Bindings.Switch(ctx, tenant, v)
}

func TestSwitchVendorAuditFromUnderConcurrentSwitch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	buf := &vendortest.LogBuffer{}
	store := &racingBindings{Bindings: memory.NewBindings(memory.BindingsOptions{}), interleave: domain.Vendor("meihua")}
	s := newService(t, domain.ServiceConfig{Vendors: testVendors, Bindings: store, Logger: slog.New(slog.NewJSONHandler(buf, nil)),
		Tenants: []domain.Tenant{{ID: "acme", Initial: domain.Vendor("linkflow"), Connections: map[domain.Vendor]domain.Connection{
			domain.Vendor("linkflow"): newFullConn(domain.Vendor("linkflow")), domain.Vendor("meihua"): newFullConn(domain.Vendor("meihua")), domain.Vendor("nxcloud"): newFullConn(domain.Vendor("nxcloud"))}}}})
	if _, err := s.SwitchVendor(ctx, "acme", domain.Vendor("nxcloud"), "alice", "r"); err != nil {
		t.Fatal(err)
	}
	lines := auditLines(t, buf)
	if len(lines) != 1 || lines[0]["from"] != "meihua" || lines[0]["binding_version"] != float64(3) {
		t.Fatalf("audit = %v, want from meihua (the binding actually replaced) at version 3", lines)
	}
}
