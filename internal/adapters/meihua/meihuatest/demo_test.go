package meihuatest_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
)

func TestSeedDemo(t *testing.T) {
	t.Parallel()
	seeded := func(seed uint64) *env {
		e := newEnv(t, meihuatest.Config{})
		meihuatest.SeedDemo(e.sim, meihuatest.DemoOptions{Contacts: 120, Seed: seed, Now: t0})
		return e
	}
	a, b, c := seeded(7), seeded(7), seeded(8)
	if !reflect.DeepEqual(a.sim.Contacts(), b.sim.Contacts()) || !reflect.DeepEqual(a.sim.Groups(), b.sim.Groups()) ||
		!reflect.DeepEqual(a.sim.Tags(), b.sim.Tags()) || !reflect.DeepEqual(a.sim.Properties(), b.sim.Properties()) {
		t.Error("the same seed gave different data")
	}
	if reflect.DeepEqual(a.sim.Contacts(), c.sim.Contacts()) {
		t.Error("another seed gave the same contacts")
	}
	cs := a.sim.Contacts()
	props := a.sim.Properties()
	if len(cs) != 120 || len(a.sim.Groups()) != 8 || len(a.sim.Tags()) != 10 || len(props) != 4 {
		t.Fatalf("%d contacts, %d groups, %d tags, %d properties", len(cs), len(a.sim.Groups()), len(a.sim.Tags()), len(props))
	}
	var chinese, english, birthdays, blanks, values, genders int
	for _, c := range cs {
		if c.FullName != "" && c.FullName[0] >= 0x80 {
			chinese++
		} else {
			english++
		}
		if c.Birthday != 0 {
			birthdays++
		}
		if c.Fax == " " {
			blanks++
		}
		if c.Gender != nil {
			genders++
		}
		values += len(c.Properties)
	}
	if chinese == 0 || english == 0 || birthdays == 0 || blanks == 0 || genders == 0 || genders == len(cs) || values <= len(cs) {
		t.Errorf("chinese %d english %d birthdays %d blanks %d genders %d property values %d", chinese, english, birthdays, blanks, genders, values)
	}
	if props[0].FieldType != 2 || len(props[0].Options) == 0 || props[2].FieldType != 1 {
		t.Errorf("properties %+v", props)
	}
	for _, g := range a.sim.Groups() {
		if len(g.ContactIDs) == 0 {
			t.Errorf("group %s has no members", g.Name)
		}
	}
	// The API serves it.
	page := a.listContacts(vals("page", "3", "limit", "50"))
	if page.Total.String() != "120" || len(page.List) != 20 {
		t.Errorf("total %s, %d on page 3", page.Total, len(page.List))
	}
	var tasks []map[string]any
	a.ok(http.MethodGet, "/edm/tasks", vals("start", "0", "end", ms(t0)), &tasks)
	if len(tasks) != 3 {
		t.Errorf("%d EDM tasks", len(tasks))
	}
}
