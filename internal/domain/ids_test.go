package domain_test

import (
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

func TestVendorPrefixes(t *testing.T) {
	t.Parallel()
	// The prefixes are part of the public id format: changing one breaks
	// every id a caller has stored.
	want := map[domain.Vendor]string{
		domain.Linkflow: "lf", domain.Meihua: "mh", domain.NXCloud: "nx", domain.Miaokol: "mk",
	}
	if len(domain.Vendors) != len(want) {
		t.Fatalf("Vendors = %v, want the %d known vendors", domain.Vendors, len(want))
	}
	seen := map[string]domain.Vendor{}
	for _, v := range domain.Vendors {
		if got := v.Prefix(); got != want[v] {
			t.Errorf("%s.Prefix() = %q, want %q", v, got, want[v])
		}
		if other, dup := seen[v.Prefix()]; dup {
			t.Errorf("%s and %s share prefix %q", v, other, v.Prefix())
		}
		seen[v.Prefix()] = v
		if !v.Valid() {
			t.Errorf("%s.Valid() = false", v)
		}
		if p, ok := domain.ParseVendor(v.String()); !ok || p != v {
			t.Errorf("ParseVendor(%q) = %q, %v", v.String(), p, ok)
		}
	}
	for _, s := range []string{"", "Linkflow", "hubspot"} {
		if _, ok := domain.ParseVendor(s); ok {
			t.Errorf("ParseVendor(%q) accepted an unknown vendor", s)
		}
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
	for _, v := range domain.Vendors {
		for _, native := range natives {
			t.Run(string(v)+"/"+native, func(t *testing.T) {
				t.Parallel()
				id := domain.FormatID(v, native)
				if want := v.Prefix() + "_" + native; id != want {
					t.Fatalf("FormatID = %q, want %q", id, want)
				}
				got, err := domain.ParseID("path.contact_id", id, v)
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
	if got := domain.FormatID(domain.Linkflow, ""); got != "" {
		t.Fatalf(`FormatID(linkflow, "") = %q, want ""`, got)
	}
}

func TestParseIDNativeWithUnderscore(t *testing.T) {
	t.Parallel()
	got, err := domain.ParseID("path.tag_id", "mk_a_b", domain.Miaokol)
	if err != nil || got != "a_b" {
		t.Fatalf(`ParseID("mk_a_b") = %q, %v; want "a_b"`, got, err)
	}
}

func TestParseIDOtherVendor(t *testing.T) {
	t.Parallel()
	for _, idVendor := range domain.Vendors {
		for _, tenantVendor := range domain.Vendors {
			if idVendor == tenantVendor {
				continue
			}
			t.Run(string(idVendor)+"_on_"+string(tenantVendor), func(t *testing.T) {
				t.Parallel()
				id := domain.FormatID(idVendor, "42")
				_, err := domain.ParseID("path.contact_id", id, tenantVendor)
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
			got, err := domain.ParseID("path.contact_id", id, domain.Linkflow)
			if err == nil {
				t.Fatalf("ParseID(%q) = %q, want an error", id, got)
			}
			// Malformed ids are the caller's input error (400), never a
			// vendor mismatch (409).
			wantFieldError(t, err, "path.contact_id")
		})
	}
}
