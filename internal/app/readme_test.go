package app_test

import (
	"cmp"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// driverConnection is a connection built by d's constructor, with made-up
// credentials and the default URLs (no call is made), or a bare
// connection for a driver without an adapter, as the gateway builds them.
func driverConnection(t *testing.T, d *vendorhttp.Driver) domain.Connection {
	t.Helper()
	if d.Connect == nil {
		return domain.NewBareConnection(d.Vendor)
	}
	c := vendorhttp.Connection{Credentials: map[string]string{}, URLs: map[string]string{}}
	for _, name := range d.Credentials {
		c.Credentials[name] = "made-up-" + name
	}
	for _, u := range d.URLs {
		c.URLs[u.Name] = u.Default
		if u.Default == "" {
			c.URLs[u.Name] = "https://example.invalid/" + u.Name
		}
	}
	c.Options = map[string]string{}
	for _, o := range d.Options {
		c.Options[o.Name] = cmp.Or(o.Default, o.Example)
	}
	conn, err := d.Connect(c)
	if err != nil {
		t.Fatalf("%s: %v", d.Vendor, err)
	}
	return conn
}

// TestReadmeCapabilityMatrix keeps README's matrix equal to what the
// adapters implement.
func TestReadmeCapabilityMatrix(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- capabilities:start -->\n")
	table, _, ok2 := strings.Cut(rest, "<!-- capabilities:end -->")
	if !ok || !ok2 {
		t.Fatal("README has no capability matrix markers")
	}
	// One column per built-in driver, in list order, headed as the README
	// spells the vendor.
	titles := map[domain.Vendor]string{"linkflow": "Linkflow", "meihua": "Meihua", "nxcloud": "NXCloud", "miaokol": "Miaokol"}
	var conns []domain.Connection
	var want strings.Builder
	want.WriteString("| operation |")
	for _, d := range builtin.All() {
		conns = append(conns, driverConnection(t, d))
		title := titles[d.Vendor]
		if title == "" {
			title = string(d.Vendor)
		}
		want.WriteString(" " + title + " |")
	}
	want.WriteString("\n|---|" + strings.Repeat("---|", len(conns)) + "\n")
	for _, op := range domain.Operations() {
		want.WriteString("| " + string(op) + " |")
		for _, c := range conns {
			mark := "–"
			if domain.CapabilitiesOf(c).Operations[op] {
				mark = "✓"
			}
			want.WriteString(" " + mark + " |")
		}
		want.WriteString("\n")
	}
	// Then the operations a vendor can make conditional (If-Match).
	for _, op := range domain.ConditionalOperations() {
		want.WriteString("| " + string(op) + " with If-Match |")
		for _, c := range conns {
			mark := "–"
			if slices.Contains(domain.CapabilitiesOf(c).IfMatch, op) {
				mark = "✓"
			}
			want.WriteString(" " + mark + " |")
		}
		want.WriteString("\n")
	}
	if table != want.String() {
		t.Fatalf("README capability matrix is out of date; it should read:\n%s", want.String())
	}
}
