package miaokoltest_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
)

func TestSeedDemo(t *testing.T) {
	t.Parallel()
	seeded := func(seed uint64) *env {
		e := newEnv(t, miaokoltest.Config{})
		miaokoltest.SeedDemo(e.sim, miaokoltest.DemoOptions{Contacts: 150, Seed: seed, Now: t0})
		return e
	}
	a, b, c := seeded(7), seeded(7), seeded(8)
	if !reflect.DeepEqual(a.sim.Contacts(), b.sim.Contacts()) || !reflect.DeepEqual(a.sim.Groups(), b.sim.Groups()) {
		t.Error("the same seed gave different data")
	}
	if reflect.DeepEqual(a.sim.Contacts(), c.sim.Contacts()) {
		t.Error("another seed gave the same contacts")
	}

	groups := a.sim.Groups()
	var chinese, english int
	for _, g := range groups {
		if utf8.RuneCountInString(g.Name) < len(g.Name) {
			chinese++
		} else {
			english++
		}
		if len(g.Tags) < 3 || len(g.Tags) > 8 {
			t.Errorf("group %s has %d tags", g.Name, len(g.Tags))
		}
	}
	if len(groups) != 5 || chinese == 0 || english == 0 {
		t.Errorf("%d groups, %d Chinese, %d English", len(groups), chinese, english)
	}

	contacts := a.sim.Contacts()
	rels, byContact := map[string]bool{}, map[string]int{}
	var tagged, numeric, tilde, nonASCII, punctuated int
	for _, c := range contacts {
		rels[c.RelWxid] = true
		byContact[c.ContactWxid]++
		if len(c.TagIDs) > 0 {
			tagged++
		}
		switch {
		case strings.Contains(c.ContactWxid, "~"):
			tilde++
		case utf8.RuneCountInString(c.ContactWxid) < len(c.ContactWxid):
			nonASCII++
		case strings.ContainsAny(c.ContactWxid, "-_"):
			punctuated++
		case len(c.ContactWxid) == 16 && strings.HasPrefix(c.ContactWxid, "7881"):
			numeric++
		default:
			t.Errorf("contact_wxid %q", c.ContactWxid)
		}
	}
	var twice int
	for _, n := range byContact {
		if n > 1 {
			twice++
		}
	}
	if len(contacts) != 150 || len(rels) != 4 || tilde != 1 || nonASCII != 1 || punctuated < 3 || numeric < 100 ||
		twice == 0 || tagged < 100 || tagged == len(contacts) {
		t.Errorf("%d contacts, %d rel_wxid, ~ %d, non-ASCII %d, with -_ %d, numeric %d, added twice %d, tagged %d",
			len(contacts), len(rels), tilde, nonASCII, punctuated, numeric, twice, tagged)
	}

	// The API serves it.
	listed, pg := a.list(params{"with_tags": 1, "page_size": 100})
	if pg.NumRecords != 5 || len(listed) != 5 {
		t.Fatalf("listed %d of %d", len(listed), pg.NumRecords)
	}
	var counted int
	for _, g := range listed {
		for _, tg := range *g.Tags {
			n, _ := tg.ContactCnt.Int64()
			counted += int(n)
		}
	}
	var carried int
	for _, c := range contacts {
		carried += len(c.TagIDs)
	}
	if counted != carried {
		t.Errorf("contact_cnt sums to %d, contacts carry %d tags", counted, carried)
	}
	// The awkward ids work through the API.
	for _, c := range contacts {
		if strings.ContainsAny(c.ContactWxid, "~-_") || utf8.RuneCountInString(c.ContactWxid) < len(c.ContactWxid) {
			a.updateContact(c.RelWxid, c.ContactWxid, []int64{groups[0].Tags[0].ID})
		}
	}
	e := newEnv(t, miaokoltest.Config{})
	miaokoltest.SeedDemo(e.sim, miaokoltest.DemoOptions{Contacts: 3})
	if got := len(e.sim.Contacts()); got != 3 {
		t.Errorf("%d contacts, want 3", got)
	}
	var record struct {
		Ctime int64 `json:"ctime"`
	}
	e.ok(http.MethodPost, "/smart-tag/add", params{"id": 1, "name": "客户等级", "type": 2}, &record)
	if record.Ctime >= t0.Unix() {
		t.Errorf("demo group ctime %d, want before the clock %d", record.Ctime, t0.Unix())
	}
}
