package miaokol_test

import (
	"slices"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func TestDriver(t *testing.T) {
	t.Parallel()
	d := miaokol.Driver
	if _, err := vendorhttp.NewDrivers(d); err != nil {
		t.Fatal(err)
	}
	if d.Vendor != "miaokol" || d.IDPrefix != "mk" || d.IDKind != domain.IDText {
		t.Errorf("driver %s %s %v", d.Vendor, d.IDPrefix, d.IDKind)
	}
	if !slices.Equal(d.Credentials, []string{"app_id", "app_secret"}) || len(d.OptionalCredentials) != 0 || len(d.Options) != 0 {
		t.Errorf("credentials %v, optional %v, options %v", d.Credentials, d.OptionalCredentials, d.Options)
	}
	if len(d.URLs) != 1 || d.URLs[0] != (vendorhttp.URLSetting{Name: "base_url", Default: "https://oapi-yzj.miaokol.com"}) {
		t.Errorf("URL settings %+v", d.URLs)
	}
	if d.Defaults != vendorhttp.DefaultSettings() {
		t.Errorf("defaults %+v", d.Defaults)
	}
	conn, err := d.Connect(vendorhttp.Connection{Credentials: map[string]string{"app_id": appID, "app_secret": appSecret},
		URLs: map[string]string{"base_url": "https://oapi-yzj.miaokol.com"}})
	if err != nil || conn.Vendor() != "miaokol" {
		t.Fatalf("Connect = %v, %v", conn, err)
	}
	if _, err := d.Connect(vendorhttp.Connection{Credentials: map[string]string{"app_id": appID}, URLs: map[string]string{}}); err == nil {
		t.Error("Connect without a secret succeeded")
	}
}

// The sandbox demo: a seeded simulator the demo credentials open, whose
// contacts can be tagged by their gateway ids.
func TestDemo(t *testing.T) {
	t.Parallel()
	clock := vendortest.NewClock(time.Now().Truncate(time.Second))
	demo, err := miaokol.Driver.Demo(vendorhttp.DemoOptions{Contacts: 40, Seed: 7, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	base := vendortest.Start(t, "/miaokol", demo.Simulator)
	urls := demo.URLs(base)
	if len(urls) != 1 || urls["base_url"] != base {
		t.Errorf("urls %v", urls)
	}
	conn, err := miaokol.Driver.Connect(vendorhttp.Connection{Credentials: demo.Credentials, URLs: urls})
	if err != nil {
		t.Fatal(err)
	}
	ad := conn.(*miaokol.Adapter)
	groups, err := ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 200})
	if err != nil || len(groups.Items) == 0 {
		t.Fatalf("demo tag groups %d, %v", len(groups.Items), err)
	}
	tags, err := ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 200})
	if err != nil || len(tags.Items) < len(groups.Items) {
		t.Fatalf("demo tags %d, %v", len(tags.Items), err)
	}
	sim := demo.Simulator.(*miaokoltest.Server)
	contacts := sim.Contacts()
	if len(contacts) < 40 {
		t.Fatalf("%d demo contacts", len(contacts))
	}
	// Every demo contact, those whose WeCom ids need escapes included.
	for _, c := range contacts {
		refs, err := ad.SetContactTags(t.Context(), miaokol.ContactID(c.RelWxid, c.ContactWxid), []string{tags.Items[0].ID})
		if err != nil || len(refs) != 1 || refs[0] != (domain.TagRef{ID: tags.Items[0].ID, Name: tags.Items[0].Name}) {
			t.Fatalf("%s/%s: %v, %v", c.RelWxid, c.ContactWxid, refs, err)
		}
		if got, _ := sim.Contact(c.RelWxid, c.ContactWxid); !slices.Equal(got.TagIDs, []int64{mustID(t, tags.Items[0].ID)}) {
			t.Fatalf("%s/%s: tags %v", c.RelWxid, c.ContactWxid, got.TagIDs)
		}
	}
}
