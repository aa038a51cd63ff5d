package nxcloudtest_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
)

func TestSeedDemo(t *testing.T) {
	t.Parallel()
	seeded := func(seed uint64) *env {
		e := newEnv(t, nxcloudtest.Config{})
		nxcloudtest.SeedDemo(e.sim, nxcloudtest.DemoOptions{Customers: 120, Seed: seed, Now: t0})
		return e
	}
	a, b, c := seeded(7), seeded(7), seeded(8)
	if !reflect.DeepEqual(a.sim.Customers(), b.sim.Customers()) || !reflect.DeepEqual(a.sim.Tags(), b.sim.Tags()) ||
		!reflect.DeepEqual(a.sim.Fields(), b.sim.Fields()) {
		t.Error("the same seed gave different data")
	}
	if reflect.DeepEqual(a.sim.Customers(), c.sim.Customers()) {
		t.Error("another seed gave the same customers")
	}
	cs := a.sim.Customers()
	var custom int
	for _, f := range a.sim.Fields() {
		if !f.Preset {
			custom++
		}
	}
	if len(cs) != 120 || len(a.sim.Tags()) != 8 || custom != 4 {
		t.Fatalf("%d customers, %d tags, %d custom fields", len(cs), len(a.sim.Tags()), custom)
	}
	var chinese, english, emails, vibers, tagged, lost, customValues, merged int
	countries := map[string]bool{}
	for i, c := range cs {
		if c.ID <= 1<<53 {
			t.Fatalf("id %d is not above 2^53", c.ID)
		}
		if i > 0 {
			newer := cs[i-1]
			if !c.CreatedAt.Before(newer.CreatedAt) || c.UpdatedAt.Before(c.CreatedAt) || c.UpdatedAt.After(t0) {
				t.Errorf("customer %d created %v updated %v, the newer %v", c.ID, c.CreatedAt, c.UpdatedAt, newer.CreatedAt)
			}
			if newer.ID == c.ID+1 && float64(newer.ID) == float64(c.ID) {
				merged++
			}
		}
		if c.FullName != "" && c.FullName[0] >= 0x80 {
			chinese++
			if c.LastName+c.FirstName != c.FullName {
				t.Errorf("Chinese name %q %q %q", c.LastName, c.FirstName, c.FullName)
			}
		} else {
			english++
		}
		if c.WhatsAppPhone == "" || strings.Trim(c.WhatsAppPhone, "0123456789") != "" || c.SMSPhone != "" && c.SMSPhone != c.WhatsAppPhone {
			t.Errorf("phones %q %q", c.WhatsAppPhone, c.SMSPhone)
		}
		countries[c.Country] = true
		emails += min(1, len(c.Email))
		vibers += min(1, len(c.ViberPhone))
		tagged += min(1, len(c.TagIDs))
		lost += min(1, len(c.HisTagIDs))
		customValues += len(c.Custom)
	}
	if chinese == 0 || english == 0 || emails == 0 || vibers == 0 || tagged == 0 || lost == 0 || customValues <= len(cs) ||
		merged == 0 || len(countries) < 4 {
		t.Errorf("chinese %d english %d emails %d vibers %d tagged %d lost %d custom values %d float-merged pairs %d countries %v",
			chinese, english, emails, vibers, tagged, lost, customValues, merged, countries)
	}
	// The API serves all of it, every customer once, and its custom values
	// pass batch_create's checks.
	var seen []string
	req := body{"limit": 50}
	for len(seen) <= len(cs) {
		p := a.query(req)
		seen = append(seen, p.ids()...)
		if p.Paging.Next == nil {
			break
		}
		req = body{"limit": 50, "after": *p.Paging.Next}
	}
	var want []string
	for _, c := range cs {
		want = append(want, idString(c.ID))
	}
	if !slices.Equal(seen, want) {
		t.Errorf("paged %d ids, want %d in order", len(seen), len(want))
	}
	first := a.query(body{"limit": 1}).CustomerList[0]
	if cf, ok := first["customize_field"].(string); ok {
		out := a.batch(nxcloudtest.BatchMerge, body{"whats_app_phone": first["whatsApp_phone"].(string), "customize_field": cf})
		if out.Updated != 1 || mustID(t, out.CustomerIDs[0]) != cs[0].ID {
			t.Errorf("batch with the demo's own values: %+v", out)
		}
	}
}

// Seeding continues the id sequence of what is there.
func TestSeedDemoAfterOtherCustomers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{FirstID: 1 << 60})
	first := e.sim.AddCustomer(nxcloudtest.Customer{Email: "a@example.com"})
	nxcloudtest.SeedDemo(e.sim, nxcloudtest.DemoOptions{Customers: 3, Seed: 1})
	cs := e.sim.Customers()
	if len(cs) != 4 || cs[3].ID != first || cs[2].ID != first+1 {
		t.Errorf("ids %d %d %d %d", cs[0].ID, cs[1].ID, cs[2].ID, cs[3].ID)
	}
	if cs[0].CreatedAt.After(t0) {
		t.Errorf("created %v after the clock", cs[0].CreatedAt)
	}
}
