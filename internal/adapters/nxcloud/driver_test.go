package nxcloud_test

import (
	"slices"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func TestDriver(t *testing.T) {
	t.Parallel()
	d := nxcloud.Driver
	if _, err := vendorhttp.NewDrivers(d); err != nil {
		t.Fatal(err)
	}
	if d.Vendor != "nxcloud" || d.IDPrefix != "nx" || d.IDKind != domain.IDInteger {
		t.Errorf("driver %s %s %v", d.Vendor, d.IDPrefix, d.IDKind)
	}
	if !slices.Equal(d.Credentials, []string{"access_key", "access_secret", "app_key"}) || len(d.OptionalCredentials) != 0 {
		t.Errorf("credentials %v, optional %v", d.Credentials, d.OptionalCredentials)
	}
	if len(d.URLs) != 1 || d.URLs[0] != (vendorhttp.URLSetting{Name: "base_url", Default: "https://api.nxcloud.com"}) {
		t.Errorf("URL settings %+v", d.URLs)
	}
	if d.Defaults != vendorhttp.DefaultSettings() {
		t.Errorf("defaults %+v", d.Defaults)
	}
	opts := map[string]vendorhttp.OptionSetting{}
	for _, o := range d.Options {
		opts[o.Name] = o
	}
	if len(opts) != 2 || opts["tenant_id"].Default != "" || opts["tenant_id"].Example != "123" || opts["algorithm"].Default != "md5" {
		t.Fatalf("options %+v", d.Options)
	}
	for _, tc := range []struct {
		option, value string
		ok            bool
	}{
		{"tenant_id", "123", true}, {"tenant_id", "9223372036854775807", true},
		{"tenant_id", "0", false}, {"tenant_id", "-1", false}, {"tenant_id", "0123", false}, {"tenant_id", "+1", false},
		{"tenant_id", "12a", false}, {"tenant_id", "9223372036854775808", false}, {"tenant_id", "", false},
		{"algorithm", "md5", true}, {"algorithm", "sha256", true},
		{"algorithm", "MD5", false}, {"algorithm", "sha1", false}, {"algorithm", "", false},
	} {
		if err := opts[tc.option].Check(tc.value); (err == nil) != tc.ok {
			t.Errorf("%s %q: check %v, want ok %v", tc.option, tc.value, err, tc.ok)
		}
	}
}

// The sandbox demo: a seeded simulator and the connection that opens it.
func TestDemo(t *testing.T) {
	t.Parallel()
	demo, err := nxcloud.Driver.Demo(vendorhttp.DemoOptions{Contacts: 60, Seed: 7, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	base := vendortest.Start(t, "/nxcloud", demo.Simulator)
	urls := demo.URLs(base)
	if urls["base_url"] != base || len(urls) != 1 {
		t.Errorf("urls %v", urls)
	}
	if demo.Options["tenant_id"] == "" || demo.Options["algorithm"] != "md5" {
		t.Errorf("options %v", demo.Options)
	}
	conn, err := nxcloud.Driver.Connect(vendorhttp.Connection{Credentials: demo.Credentials, URLs: urls, Options: demo.Options})
	if err != nil {
		t.Fatal(err)
	}
	ad := conn.(*nxcloud.Adapter)
	page, err := ad.ListContacts(t.Context(), domain.ContactQuery{}, domain.PageRequest{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 60 || page.Next != "" {
		t.Errorf("%d demo contacts (next %q), want 60", len(page.Items), page.Next)
	}
	fields, err := ad.ListFields(t.Context(), domain.PageRequest{Limit: 200})
	if err != nil || len(fields.Items) == 0 {
		t.Errorf("demo fields %+v, %v", fields.Items, err)
	}
	if _, err := nxcloud.Driver.Connect(vendorhttp.Connection{Credentials: demo.Credentials, URLs: urls, Options: map[string]string{"tenant_id": "x"}}); err == nil {
		t.Error("Connect took a tenant_id that is not a number")
	}
}
