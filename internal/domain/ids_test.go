package domain_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

func TestNewVendors(t *testing.T) {
	t.Parallel()
	vs, err := domain.NewVendors(domain.VendorInfo{Name: "alpha", Prefix: "al"}, domain.VendorInfo{Name: "beta2", Prefix: "bt"})
	if err != nil {
		t.Fatal(err)
	}
	if got := vs.List(); len(got) != 2 || got[0] != "alpha" || got[1] != "beta2" {
		t.Fatalf("List = %v, want the vendors in the order given", got)
	}
	if !vs.Known("alpha") || vs.Known("gamma") || vs.Known("") {
		t.Fatal("Known answers wrongly")
	}
	if vs.Prefix("beta2") != "bt" || vs.Prefix("gamma") != "" {
		t.Fatal("Prefix answers wrongly")
	}
	if vs.String() != "alpha, beta2" {
		t.Fatalf("String = %q", vs.String())
	}
	for _, tt := range []struct {
		name  string
		infos []domain.VendorInfo
		want  string
	}{
		{"name twice", []domain.VendorInfo{{Name: "alpha", Prefix: "al"}, {Name: "alpha", Prefix: "ab"}}, "listed twice"},
		{"prefix twice", []domain.VendorInfo{{Name: "alpha", Prefix: "al"}, {Name: "beta", Prefix: "al"}}, "share the id prefix"},
		{"upper-case name", []domain.VendorInfo{{Name: "Alpha", Prefix: "al"}}, "lower-case"},
		{"one-letter name", []domain.VendorInfo{{Name: "a", Prefix: "al"}}, "lower-case"},
		{"long prefix", []domain.VendorInfo{{Name: "alpha", Prefix: "alp"}}, "two lower-case letters"},
		{"digit prefix", []domain.VendorInfo{{Name: "alpha", Prefix: "a1"}}, "two lower-case letters"},
		{"no prefix", []domain.VendorInfo{{Name: "alpha"}}, "two lower-case letters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := domain.NewVendors(tt.infos...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewVendors = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestFormatParseIDRoundTrip(t *testing.T) {
	t.Parallel()
	natives := []string{
		"2865",
		"1021110718827683840", // beyond 2^53: must survive as a string
		"a_b",                 // "_" inside the native id belongs to the native id
		"_x",
		"abc-DEF.9",
	}
	for _, v := range testVendors.List() {
		for _, native := range natives {
			t.Run(string(v)+"/"+native, func(t *testing.T) {
				t.Parallel()
				id := testVendors.FormatID(v, native)
				if want := testVendors.Prefix(v) + "_" + native; id != want {
					t.Fatalf("FormatID = %q, want %q", id, want)
				}
				got, err := testVendors.ParseID("path.contact_id", id, v)
				if err != nil {
					t.Fatalf("ParseID(%q): %v", id, err)
				}
				if got != native {
					t.Fatalf("ParseID(%q) = %q, want %q", id, got, native)
				}
			})
		}
	}
}

func TestFormatIDEmpty(t *testing.T) {
	t.Parallel()
	// An unset optional id (a tag without group) must stay unset, not
	// become "lf_".
	if got := testVendors.FormatID(domain.Vendor("linkflow"), ""); got != "" {
		t.Fatalf(`FormatID(linkflow, "") = %q, want ""`, got)
	}
}

func TestParseIDNativeWithUnderscore(t *testing.T) {
	t.Parallel()
	got, err := testVendors.ParseID("path.tag_id", "mk_a_b", domain.Vendor("miaokol"))
	if err != nil || got != "a_b" {
		t.Fatalf(`ParseID("mk_a_b") = %q, %v; want "a_b"`, got, err)
	}
}

func TestParseIDOtherVendor(t *testing.T) {
	t.Parallel()
	for _, idVendor := range testVendors.List() {
		for _, tenantVendor := range testVendors.List() {
			if idVendor == tenantVendor {
				continue
			}
			t.Run(string(idVendor)+"_on_"+string(tenantVendor), func(t *testing.T) {
				t.Parallel()
				id := testVendors.FormatID(idVendor, "42")
				_, err := testVendors.ParseID("path.contact_id", id, tenantVendor)
				me := asError[*domain.IDMismatchError](t, err)
				if me.ID != id || me.IDVendor != idVendor || me.TenantVendor != tenantVendor {
					t.Fatalf("IDMismatchError = %+v, want id %s, id vendor %s, tenant vendor %s", me, id, idVendor, tenantVendor)
				}
			})
		}
	}
}

func TestParseIDMalformed(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", "lf", "lf_", "xx_1", "LF_1", "lf1", "_1", "l_1", "lfx_1", " lf_1"} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			got, err := testVendors.ParseID("path.contact_id", id, domain.Vendor("linkflow"))
			if err == nil {
				t.Fatalf("ParseID(%q) = %q, want an error", id, got)
			}
			// Malformed ids are the caller's input error (400), never a
			// vendor mismatch (409).
			wantFieldError(t, err, "path.contact_id")
		})
	}
}

// kindVendors has a vendor of each id kind.
var kindVendors = func() *domain.Vendors {
	vs, err := domain.NewVendors(
		domain.VendorInfo{Name: "numeric", Prefix: "nu", IDKind: domain.IDInteger},
		domain.VendorInfo{Name: "textual", Prefix: "tx", IDKind: domain.IDText})
	if err != nil {
		panic(err)
	}
	return vs
}()

// TestParseIDOneSpellingPerID: an integer-id vendor's ids have one
// spelling. Another spelling of the same number (leading zeros, a sign)
// would reach the vendor as the same record under a second id, or be sent
// as typed; it is a 400 naming the field.
func TestParseIDOneSpellingPerID(t *testing.T) {
	t.Parallel()
	for _, native := range []string{"4", "2865", "1021110718827683840", "123456789012345678901234567890"} {
		t.Run("canonical/"+native, func(t *testing.T) {
			t.Parallel()
			got, err := kindVendors.ParseID("path.contact_id", "nu_"+native, "numeric")
			if err != nil || got != native {
				t.Fatalf("ParseID(nu_%s) = %q, %v; want %q", native, got, err, native)
			}
		})
	}
	for _, native := range []string{"04", "00004", "0", "00", "+4", "-4", "4.0", "4e0", "1_000", "0x4", "abc", "4a", "070612345678901234567"} {
		t.Run("refused/"+native, func(t *testing.T) {
			t.Parallel()
			got, err := kindVendors.ParseID("path.contact_id", "nu_"+native, "numeric")
			if err == nil {
				t.Fatalf("ParseID(nu_%s) = %q, want a validation error", native, got)
			}
			wantFieldError(t, err, "path.contact_id")
			if msg := err.Error(); !strings.Contains(msg, "numeric") || !strings.Contains(msg, "leading zeros") {
				t.Fatalf("error %q does not say what a numeric id looks like", msg)
			}
		})
	}
	// Text ids are the vendor's own strings: taken exactly as written,
	// leading zeros and all, never rewritten.
	for _, native := range []string{"0706", "+4", "1688851873049028~7881302795046315", "a_b"} {
		got, err := kindVendors.ParseID("path.contact_id", "tx_"+native, "textual")
		if err != nil || got != native {
			t.Fatalf("ParseID(tx_%s) = %q, %v; want it as written", native, got, err)
		}
	}
}

// TestParseIDsNamesEachBadSpelling: in a list every non-canonical id is
// named by its index.
func TestParseIDsNamesEachBadSpelling(t *testing.T) {
	t.Parallel()
	conn := newFullConn("numeric")
	svc := newService(t, domain.ServiceConfig{Vendors: kindVendors, Tenants: []domain.Tenant{{ID: "acme", Initial: "numeric",
		Connections: map[domain.Vendor]domain.Connection{"numeric": conn}}}})
	_, err := svc.AddGroupMembers(context.Background(), target(t, svc, "acme"), "nu_7", []string{"nu_4", "nu_04", "nu_+5"})
	wantFieldError(t, err, "body.contact_ids[1]")
	wantFieldError(t, err, "body.contact_ids[2]")
	if ve := asError[*domain.ValidationError](t, err); len(ve.Fields) != 2 {
		t.Fatalf("fields = %+v, want the two bad spellings", ve.Fields)
	}
	wantNoCalls(t, &conn.recorder)
}

func TestNewVendorsRefusesUnknownIDKind(t *testing.T) {
	t.Parallel()
	if _, err := domain.NewVendors(domain.VendorInfo{Name: "alpha", Prefix: "al", IDKind: 7}); err == nil || !strings.Contains(err.Error(), "id kind") {
		t.Fatalf("NewVendors = %v, want an error about the id kind", err)
	}
}

// TestParseIDPercentOnlyInTextIDs: '%' (a Miaokol contact id's escapes)
// passes in text ids and never in integer ones.
func TestParseIDPercentOnlyInTextIDs(t *testing.T) {
	t.Parallel()
	vs, err := domain.NewVendors(domain.VendorInfo{Name: "miaokol", Prefix: "mk"}, domain.VendorInfo{Name: "nxcloud", Prefix: "nx", IDKind: domain.IDInteger})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := vs.ParseID("path.contact_id", "mk_a%7Eb~c", "miaokol"); err != nil || got != "a%7Eb~c" {
		t.Fatalf("text id: %q %v", got, err)
	}
	if _, err := vs.ParseID("path.contact_id", "nx_1%30", "nxcloud"); err == nil {
		t.Fatal("an integer id with an escape was taken")
	}
}
