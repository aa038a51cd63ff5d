package meihua_test

import (
	"slices"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func TestDriver(t *testing.T) {
	t.Parallel()
	d := meihua.Driver
	if _, err := vendorhttp.NewDrivers(d); err != nil {
		t.Fatal(err)
	}
	if d.Vendor != "meihua" || d.IDPrefix != "mh" || d.IDKind != domain.IDInteger {
		t.Errorf("driver %s %s %v", d.Vendor, d.IDPrefix, d.IDKind)
	}
	if !slices.Equal(d.Credentials, []string{"app_key", "app_secret"}) || !slices.Equal(d.OptionalCredentials, []string{"refresh_token"}) {
		t.Errorf("credentials %v, optional %v", d.Credentials, d.OptionalCredentials)
	}
	urls := map[string]string{}
	for _, u := range d.URLs {
		urls[u.Name] = u.Default
	}
	want := map[string]string{"base_url": meihua.DefaultBaseURL, "auth_url": meihua.DefaultAuthURL, "redirect_uri": ""}
	if len(urls) != len(want) {
		t.Errorf("URL settings %v", urls)
	}
	for k, v := range want {
		if got, ok := urls[k]; !ok || got != v {
			t.Errorf("URL setting %s = %q, want %q", k, got, v)
		}
	}
	if d.Defaults.Quota != (vendorhttp.Quota{Calls: 2000, Per: time.Hour}) {
		t.Errorf("quota %+v", d.Defaults.Quota)
	}
}

// The sandbox demo: a seeded simulator whose tenant is already connected,
// and the connect flow's callback registered with it.
func TestDemo(t *testing.T) {
	t.Parallel()
	clock := vendortest.NewClock(time.Now().Truncate(time.Second))
	const callback = "http://127.0.0.1:9/admin/v1/oauth/callback"
	demo, err := meihua.Driver.Demo(vendorhttp.DemoOptions{Contacts: 40, Seed: 7, Now: clock.Now, CallbackURL: callback})
	if err != nil {
		t.Fatal(err)
	}
	base := vendortest.Start(t, "/meihua", demo.Simulator)
	urls := demo.URLs(base)
	if urls["base_url"] != base || urls["auth_url"] != base || urls["redirect_uri"] != callback {
		t.Errorf("urls %v", urls)
	}
	if demo.Credentials["refresh_token"] == "" {
		t.Fatal("the demo tenant is not connected")
	}
	conn, err := meihua.Driver.Connect(vendorhttp.Connection{Credentials: demo.Credentials, URLs: urls})
	if err != nil {
		t.Fatal(err)
	}
	ad := conn.(*meihua.Adapter)
	page, err := ad.ListContacts(t.Context(), domain.ContactQuery{}, domain.PageRequest{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 40 {
		t.Errorf("%d demo contacts, want 40", len(page.Items))
	}
	if a, err := ad.Authorization(t.Context()); err != nil || a.State != domain.AuthorizationActive {
		t.Errorf("authorization %+v, %v", a, err)
	}
	if u, redirect := ad.AuthorizeURL("x"); redirect != callback || u == "" {
		t.Errorf("authorize %q %q", u, redirect)
	}
}
