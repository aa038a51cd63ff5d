package app_test

import (
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// TestBuiltinDriverPrefixes: the id prefixes are part of the public id
// format (a caller stores "lf_2865"): changing one breaks every stored id.
func TestBuiltinDriverPrefixes(t *testing.T) {
	want := map[domain.Vendor]string{"linkflow": "lf", "meihua": "mh", "nxcloud": "nx", "miaokol": "mk"}
	all := builtin.All()
	if len(all) != len(want) {
		t.Fatalf("%d built-in drivers, want %d", len(all), len(want))
	}
	for _, d := range all {
		if p, ok := want[d.Vendor]; !ok || d.IDPrefix != p {
			t.Errorf("driver %s has prefix %q, want %q", d.Vendor, d.IDPrefix, p)
		}
		if builtin.Vendors().Prefix(d.Vendor) != d.IDPrefix {
			t.Errorf("driver %s: vendor set disagrees on the prefix", d.Vendor)
		}
	}
}
