package linkflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func contactID(c domain.Contact) string { return c.ID }

func TestListContactsPaging(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		limits []int
	}{
		{"limit 1", []int{1}},
		{"limit 5", []int{5}},
		{"limit 7", []int{7}},
		{"limit 23", []int{23}},
		{"limit 200", []int{200}},
		{"limit grows", []int{3, 5, 8, 13}},
		{"limit shrinks", []int{10, 4, 3, 2}},
		{"misaligned", []int{5, 7, 3, 6, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			want := ids(e.seedContacts(23))
			got := vendortest.CollectPages(t, e.watch, tt.limits, contactID, func(p domain.PageRequest) (domain.Page[domain.Contact], error) {
				return e.ad.ListContacts(t.Context(), domain.ContactQuery{}, p)
			})
			if !slices.Equal(got, want) {
				t.Errorf("paged ids %v, want %v", got, want)
			}
			// No vendor page is asked beyond what Linkflow allows.
			for _, h := range e.hitsTo("/open/contacts") {
				if !strings.Contains(h.rawQuery, "page=") || !strings.Contains(h.rawQuery, "size=") {
					t.Errorf("contacts call without page and size: %q", h.rawQuery)
				}
			}
		})
	}
}

func TestListContactsEmpty(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{}, domain.PageRequest{Limit: 10})
	e.Must(err)
	if len(p.Items) != 0 || p.Next != "" {
		t.Errorf("page %+v", p)
	}
}

func TestListContactsFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.sim.AddContact(linkflowtest.Contact{Name: "Ann Lee", Email: "ann@example.com", MobilePhone: "13900000001"})
	bob := e.sim.AddContact(linkflowtest.Contact{Name: "Bob Lee", Email: "bob@example.com", MobilePhone: "13900000002"})
	cat := e.sim.AddContact(linkflowtest.Contact{Name: "Cat Wu", Email: "cat@example.com", MobilePhone: "13900000001"})
	dan := e.sim.AddContact(linkflowtest.Contact{Name: "Dan Lee", Email: "ANN@example.com", MobilePhone: "13900000004"})
	var many []int64
	for i := range 12 {
		many = append(many, e.sim.AddContact(linkflowtest.Contact{Name: fmt.Sprintf("Lee %02d", i), Email: "shared@example.com"}))
	}
	vip := e.sim.AddGroup("VIP", "")
	e.sim.AddGroupMembers(vip, ann, cat, dan)
	empty := e.sim.AddGroup("Empty", "")

	tests := []struct {
		name   string
		q      domain.ContactQuery
		limits []int
		want   []int64
	}{
		{"q", domain.ContactQuery{Q: "lee"}, []int{2}, append([]int64{ann, bob, dan}, many...)},
		{"q matches phone", domain.ContactQuery{Q: "0000001"}, []int{1}, []int64{ann, cat}},
		{"group_id", domain.ContactQuery{GroupID: idStr(vip)}, []int{2}, []int64{ann, cat, dan}},
		{"group_id+q", domain.ContactQuery{GroupID: idStr(vip), Q: "lee"}, []int{1}, []int64{ann, dan}},
		{"empty group", domain.ContactQuery{GroupID: idStr(empty)}, []int{5}, nil},
		{"email", domain.ContactQuery{Email: "ann@example.com"}, []int{1}, []int64{ann, dan}},
		{"phone", domain.ContactQuery{Phone: "13900000001"}, []int{5}, []int64{ann, cat}},
		{"email+phone", domain.ContactQuery{Email: "ann@example.com", Phone: "13900000001"}, []int{5}, []int64{ann}},
		{"email without match", domain.ContactQuery{Email: "nobody@example.com"}, []int{5}, nil},
		{"email paged", domain.ContactQuery{Email: "shared@example.com"}, []int{5, 3, 7}, many},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := vendortest.CollectPages(t, e.watch, tt.limits, contactID, func(p domain.PageRequest) (domain.Page[domain.Contact], error) {
				return e.ad.ListContacts(t.Context(), tt.q, p)
			})
			if !slices.Equal(got, ids(tt.want)) {
				t.Errorf("ids %v, want %v", got, ids(tt.want))
			}
		})
	}

	t.Run("unknown group", func(t *testing.T) {
		t.Parallel()
		_, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{GroupID: idStr(ann)}, domain.PageRequest{Limit: 5})
		e.WantNotFound(err)
	})
	t.Run("group id that is not a number", func(t *testing.T) {
		t.Parallel()
		_, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{GroupID: "vip"}, domain.PageRequest{Limit: 5})
		e.WantValidation(err, "query.group_id")
	})
}

func TestListContactsBadState(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedContacts(3)
	since := time.Now().Add(-time.Hour)
	queries := map[string]domain.ContactQuery{
		"plain":         {},
		"q":             {Q: "contact"},
		"email":         {Email: "a@example.com"},
		"updated_since": {UpdatedSince: &since},
	}
	for name, q := range queries {
		for _, state := range []string{"x12", "o", "o-5", "oabc", "m12", "12"} {
			t.Run(name+" "+state, func(t *testing.T) {
				t.Parallel()
				_, err := e.ad.ListContacts(t.Context(), q, domain.PageRequest{Limit: 5, State: state})
				e.wantCursor(err)
			})
		}
	}
}

// CST is China Standard Time, the zone of Linkflow's timestamps.
var cst = time.FixedZone("CST", 8*3600)

func TestListContactsUpdatedSince(t *testing.T) {
	t.Parallel()
	// since is 2024-03-16 00:30:00 CST (2024-03-15 16:30 UTC): a CST day
	// boundary just before it, and UTC is still on the previous day.
	since := time.Date(2024, 3, 16, 0, 30, 0, 0, cst)
	at := func(d time.Duration) time.Time { return since.Add(d) }
	seeds := []struct {
		name    string
		updated time.Time
		want    bool
	}{
		{"previous CST day", time.Date(2024, 3, 15, 23, 59, 59, 0, cst), false},
		{"CST midnight", time.Date(2024, 3, 16, 0, 0, 0, 0, cst), false},
		{"a second before", at(-time.Second), false},
		{"at the instant", at(0), true},
		{"within the same second", at(400 * time.Millisecond), true},
		{"a second after", at(time.Second), true},
		{"later that day", at(10 * time.Hour), true},
		{"next CST day", time.Date(2024, 3, 17, 0, 0, 1, 0, cst), true},
		{"a week later", at(7 * 24 * time.Hour), true},
		{"a year earlier", at(-365 * 24 * time.Hour), false},
	}
	tests := []struct {
		name   string
		limits []int
		filler int // contacts updated long before, interleaved by id
	}{
		{"one page", []int{100}, 0},
		{"limit 1", []int{1}, 0},
		{"limit 3 with old contacts between", []int{3}, 30},
		{"changing limits", []int{2, 5, 3, 4}, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			var want []string
			for i, s := range seeds {
				for range tt.filler / len(seeds) {
					e.sim.AddContact(linkflowtest.Contact{Name: "old", LastUpdated: at(-30 * 24 * time.Hour)})
				}
				id := e.sim.AddContact(linkflowtest.Contact{Name: fmt.Sprintf("%d %s", i, s.name),
					DateCreated: s.updated.Add(-time.Hour), LastUpdated: s.updated})
				if s.want {
					want = append(want, idStr(id))
				}
			}
			got := vendortest.CollectPages(t, e.watch, tt.limits, contactID, func(p domain.PageRequest) (domain.Page[domain.Contact], error) {
				page, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{UpdatedSince: &since}, p)
				for _, c := range page.Items {
					if c.UpdatedAt.Before(since.Truncate(time.Second)) {
						t.Errorf("contact %s (%s) updated %v, before %v", c.ID, c.Name, c.UpdatedAt, since)
					}
				}
				return page, err
			})
			if !slices.Equal(got, want) {
				t.Errorf("ids %v, want %v", got, want)
			}
			for _, h := range e.hitsTo("/open/contacts_bulk/ids") {
				if !strings.Contains(h.rawQuery, "minUpdateTime=2024-03-16") {
					t.Errorf("ids query %q does not start at the CST day of since", h.rawQuery)
				}
			}
		})
	}

	// Linkflow's timestamps have whole seconds: a contact updated after a
	// since with a fraction, within the same second, reads as updated at
	// the start of that second and must not be lost.
	t.Run("since with a fraction of a second", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		frac := since.Add(500 * time.Millisecond)
		same := e.sim.AddContact(linkflowtest.Contact{LastUpdated: since.Add(700 * time.Millisecond)})
		next := e.sim.AddContact(linkflowtest.Contact{LastUpdated: since.Add(1200 * time.Millisecond)})
		e.sim.AddContact(linkflowtest.Contact{LastUpdated: since.Add(-time.Second)})
		p, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{UpdatedSince: &frac}, domain.PageRequest{Limit: 10})
		e.Must(err)
		var got []string
		for _, c := range p.Items {
			got = append(got, c.ID)
		}
		if want := ids([]int64{same, next}); !slices.Equal(got, want) {
			t.Errorf("ids %v, want %v", got, want)
		}
	})

	t.Run("the same instant in another zone", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		id := e.sim.AddContact(linkflowtest.Contact{LastUpdated: since})
		e.sim.AddContact(linkflowtest.Contact{LastUpdated: since.Add(-time.Minute)})
		utc := since.UTC()
		p, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{UpdatedSince: &utc}, domain.PageRequest{Limit: 10})
		e.Must(err)
		if len(p.Items) != 1 || p.Items[0].ID != idStr(id) {
			t.Errorf("items %v", p.Items)
		}
	})

	t.Run("more than a bulk call holds", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var want []string
		for range 150 {
			want = append(want, idStr(e.sim.AddContact(linkflowtest.Contact{LastUpdated: since.Add(time.Minute)})))
		}
		got := vendortest.CollectPages(t, e.watch, []int{200}, contactID, func(p domain.PageRequest) (domain.Page[domain.Contact], error) {
			return e.ad.ListContacts(t.Context(), domain.ContactQuery{UpdatedSince: &since}, p)
		})
		if !slices.Equal(got, want) {
			t.Errorf("got %d contacts, want %d", len(got), len(want))
		}
		for _, h := range e.hitsTo("/open/contacts_bulk") {
			q := h.rawQuery
			if n := strings.Count(q, "%2C") + 1; n > 100 {
				t.Errorf("bulk call with %d ids", n)
			}
		}
	})

	t.Run("beyond the vendor window", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		p, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{UpdatedSince: &since}, domain.PageRequest{Limit: 200, State: "o10200"})
		e.Must(err)
		if len(p.Items) != 0 || p.Next != "" || p.Truncated == nil {
			t.Errorf("page %+v", p)
		}
		if n := len(e.hitsTo("/open/contacts_bulk/ids")); n != 0 {
			t.Errorf("%d ids calls beyond the documented window", n)
		}
	})
}

// TestChangedContactsEndAtTheVendorWindow: Linkflow pages changed-contact
// ids only while page*size <= 10000. The list serves the first 10000 and
// its last page says it was cut there, instead of failing half-way.
func TestChangedContactsEndAtTheVendorWindow(t *testing.T) {
	t.Parallel()
	const maxIDWindow = 10000
	e := newEnv(t)
	since := e.clock.Now().Add(-time.Hour)
	for range maxIDWindow + 5 {
		e.sim.AddContact(linkflowtest.Contact{Name: "Changed"})
	}
	var last domain.Page[domain.Contact]
	got := vendortest.CollectPages(t, e.watch, []int{200, 150}, contactID, func(p domain.PageRequest) (domain.Page[domain.Contact], error) {
		page, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{UpdatedSince: &since}, p)
		if page.Truncated != nil && page.Next != "" {
			t.Errorf("a page with a next state is truncated")
		}
		last = page
		return page, err
	})
	if len(got) != maxIDWindow {
		t.Errorf("%d contacts, want the first %d", len(got), maxIDWindow)
	}
	if tr := last.Truncated; tr == nil || tr.Limit != maxIDWindow || !strings.Contains(tr.Detail, "updated_since") {
		t.Errorf("last page truncated = %+v", last.Truncated)
	}
	for _, h := range e.hitsTo("/open/contacts_bulk/ids") {
		var page, size int
		for _, kv := range strings.Split(h.rawQuery, "&") {
			fmt.Sscanf(kv, "page=%d", &page)
			fmt.Sscanf(kv, "size=%d", &size)
		}
		if page*size > maxIDWindow {
			t.Errorf("ids call %s beyond the documented window", h.rawQuery)
		}
	}
}

func TestContactMapping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddProperty(linkflowtest.Property{Alias: "attr1", Label: "Marital status"})
	e.sim.AddProperty(linkflowtest.Property{Alias: "attr2", Label: "Salary", DataType: "number"})
	created := time.Date(2017, 8, 22, 13, 50, 51, 0, cst)
	updated := time.Date(2018, 5, 10, 0, 22, 57, 0, cst) // the previous day in UTC
	id := e.sim.AddContact(linkflowtest.Contact{
		Name: "康熙", Nickname: "Kangxi", Gender: "male", DateOfBirthday: "1991-11-11 00:00:00",
		Avatar: "http://example.com/a.png", MobilePhone: "13888888888", HomePhone: "025-83729999",
		Email: "test@example.com", Country: "中国", State: "江苏", City: "南京", Street: "雨花", PostalCode: "210000",
		Comments: "备注", Title: "java", Website: "https://example.com/", Company: "ACME", Industry: "IT",
		Department: "R&D", IDCard: "110101199003070000",
		Props:       map[string]any{"attr1": "单身", "attr2": json.Number("10000")},
		DateCreated: created, LastUpdated: updated,
	})
	want := domain.Contact{
		ID: idStr(id), Name: "康熙", Nickname: "Kangxi", Gender: domain.GenderMale,
		Email: "test@example.com", MobilePhone: "13888888888", HomePhone: "025-83729999",
		Company: "ACME", JobTitle: "java", Department: "R&D", Industry: "IT", Website: "https://example.com/",
		AvatarURL: "http://example.com/a.png", IDCardNumber: "110101199003070000",
		Address: domain.Address{Country: "中国", Province: "江苏", City: "南京", Street: "雨花", PostalCode: "210000"},
		Note:    "备注", CustomFields: map[string]any{"attr1": "单身", "attr2": json.Number("10000")},
		CreatedAt: time.Date(2017, 8, 22, 5, 50, 51, 0, time.UTC),
		UpdatedAt: time.Date(2018, 5, 9, 16, 22, 57, 0, time.UTC),
	}
	bday := time.Date(1991, 11, 11, 0, 0, 0, 0, time.UTC)
	want.Birthday = &bday

	want.Version = "1"
	// loaded: whether the read answers the contact's external ids (a
	// single read) or leaves them unloaded (a list not asked for them).
	check := func(t *testing.T, got domain.Contact, loaded bool) {
		t.Helper()
		if got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
			t.Errorf("timestamps not in UTC: %v %v", got.CreatedAt, got.UpdatedAt)
		}
		if got.ExternalIDsLoaded != loaded || got.TagsLoaded {
			t.Errorf("external ids loaded %v, tags loaded %v", got.ExternalIDsLoaded, got.TagsLoaded)
		}
		got.ExternalIDs, got.Raw, got.ExternalIDsLoaded = nil, nil, false
		if !reflect.DeepEqual(got, want) {
			t.Errorf("contact\n got %+v\nwant %+v", got, want)
		}
	}
	t.Run("list", func(t *testing.T) {
		t.Parallel()
		p, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{}, domain.PageRequest{Limit: 5})
		e.Must(err)
		if len(p.Items) != 1 {
			t.Fatalf("items %v", p.Items)
		}
		check(t, p.Items[0], false)
		if p.Items[0].Raw != nil {
			t.Errorf("raw without asking: %s", p.Items[0].Raw)
		}
	})
	t.Run("lookup", func(t *testing.T) {
		t.Parallel()
		p, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{Email: "test@example.com"}, domain.PageRequest{Limit: 5})
		e.Must(err)
		if len(p.Items) != 1 {
			t.Fatalf("items %v", p.Items)
		}
		check(t, p.Items[0], false)
	})
	t.Run("get", func(t *testing.T) {
		t.Parallel()
		c, err := e.ad.GetContact(t.Context(), idStr(id))
		e.Must(err)
		check(t, c, true)
		if c.Raw != nil {
			t.Errorf("raw without asking: %s", c.Raw)
		}
	})
	t.Run("unknown gender and empty values", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		other := e.sim.AddContact(linkflowtest.Contact{Name: "Nobody", Gender: "unknown", DateOfBirthday: "not a date"})
		c, err := e.ad.GetContact(t.Context(), idStr(other))
		e.Must(err)
		if c.Gender != domain.GenderUnknown || c.Birthday != nil || c.Email != "" || c.CustomFields == nil || len(c.CustomFields) != 0 {
			t.Errorf("contact %+v", c)
		}
	})
}

func TestContactsRaw(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seeded := e.seedContacts(3)
	e.sim.AddIdentity(seeded[0], "example.com", "", "u1")
	ctx := domain.WithRaw(t.Context())
	checkRaw := func(t *testing.T, c domain.Contact) {
		t.Helper()
		var rec map[string]any
		if err := json.Unmarshal(c.Raw, &rec); err != nil {
			t.Fatalf("raw %q: %v", c.Raw, err)
		}
		if fmt.Sprint(rec["id"]) != c.ID || rec["name"] != c.Name {
			t.Errorf("raw %s is not the record of %s", c.Raw, c.ID)
		}
		if _, ok := rec["lastUpdated"]; !ok {
			t.Errorf("raw %s lacks vendor fields", c.Raw)
		}
	}
	p, err := e.ad.ListContacts(ctx, domain.ContactQuery{}, domain.PageRequest{Limit: 5})
	e.Must(err)
	if len(p.Items) != 3 {
		t.Fatalf("items %d", len(p.Items))
	}
	for _, c := range p.Items {
		checkRaw(t, c)
	}
	c, err := e.ad.GetContact(ctx, idStr(seeded[0]))
	e.Must(err)
	checkRaw(t, c)
	created, err := e.ad.CreateContact(ctx, domain.ContactInput{Contact: domain.Contact{Name: "New", Gender: domain.GenderFemale,
		ExternalIDs: []domain.ExternalID{{Channel: "example.com", ID: "new"}}}})
	e.Must(err)
	checkRaw(t, created)
	updated, err := e.ad.UpdateContact(ctx, idStr(seeded[1]), domain.ContactPatch{Values: domain.Contact{Name: "Renamed"}, Set: map[domain.ContactField]bool{domain.FieldName: true}})
	e.Must(err)
	checkRaw(t, updated)
}

func TestGetContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
	e.sim.AddIdentity(id, "example.com", "", "u-1")
	e.sim.AddIdentity(id, "crm", "UDC", "crm-9")
	e.sim.AddWeChatIdentity(id, "wx5a39a02868a39999", "Official account", "union-1", "open-1")
	bare := e.sim.AddContact(linkflowtest.Contact{Name: "No identities"})
	gid := e.sim.AddGroup("G", "")

	t.Run("external ids from identities and openIds", func(t *testing.T) {
		t.Parallel()
		c, err := e.ad.GetContact(t.Context(), idStr(id))
		e.Must(err)
		for _, want := range []domain.ExternalID{
			{Channel: "example.com", ID: "u-1", Type: "UDC"}, {Channel: "crm", ID: "crm-9", Type: "UDC"},
			{Channel: "wx5a39a02868a39999", ID: "open-1", Type: "WECHAT"}, {Channel: "wx5a39a02868a39999", ID: "union-1", Type: "WECHAT"},
		} {
			if !slices.Contains(c.ExternalIDs, want) {
				t.Errorf("external ids %v lack %v", c.ExternalIDs, want)
			}
		}
		seen := map[domain.ExternalID]bool{}
		for _, x := range c.ExternalIDs {
			if seen[x] {
				t.Errorf("external id %v repeated", x)
			}
			seen[x] = true
		}
		bulk := e.hitsTo("/open/contacts_bulk")
		if len(bulk) == 0 || !strings.Contains(bulk[len(bulk)-1].rawQuery, "needOpenId=1") {
			t.Errorf("bulk calls %v without needOpenId=1", bulk)
		}
	})
	t.Run("no identities", func(t *testing.T) {
		t.Parallel()
		c, err := e.ad.GetContact(t.Context(), idStr(bare))
		e.Must(err)
		if c.Name != "No identities" || len(c.ExternalIDs) != 0 {
			t.Errorf("contact %+v", c)
		}
	})
	for _, bad := range []string{"999999", idStr(gid), "abc", "", "0", "-4", "1.5", "12,13"} {
		t.Run("not found "+bad, func(t *testing.T) {
			t.Parallel()
			_, err := e.ad.GetContact(t.Context(), bad)
			e.WantNotFound(err)
		})
	}
}

func TestCreateContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddProperty(linkflowtest.Property{Alias: "attr1", Label: "Marital status"})
	e.sim.AddProperty(linkflowtest.Property{Alias: "attr2", Label: "Salary", DataType: "number"})
	bday := time.Date(1988, 10, 2, 0, 0, 0, 0, time.UTC)

	t.Run("identify fields", func(t *testing.T) {
		t.Parallel()
		in := domain.Contact{
			Name: "张三", Birthday: &bday, MobilePhone: "13912341234", Email: "zhangsan@example.com",
			Address:  domain.Address{Country: "中国", Province: "上海", City: "上海", Street: "Nanjing Rd", PostalCode: "200000"},
			JobTitle: "Manager", Company: "ABC", Industry: "医疗", Department: "Marketing", Website: "https://abc.example",
			IDCardNumber: "310101199001010000",
			CustomFields: map[string]any{"attr1": "单身", "attr2": 10000},
			ExternalIDs:  []domain.ExternalID{{Channel: "shop.example.com", ID: "u1234567"}},
		}
		c, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: in})
		e.Must(err)
		n := mustID(t, c.ID)
		got, ok := e.sim.Contact(n)
		if !ok {
			t.Fatalf("contact %s not at the vendor", c.ID)
		}
		want := map[string]string{
			"name": got.Name, "dateOfBirthday": got.DateOfBirthday, "mobilePhone": got.MobilePhone, "email": got.Email,
			"country": got.Country, "state": got.State, "city": got.City, "street": got.Street, "postalCode": got.PostalCode,
			"title": got.Title, "company": got.Company, "industry": got.Industry, "department": got.Department,
			"website": got.Website, "idCard": got.IDCard,
		}
		expect := map[string]string{
			"name": "张三", "dateOfBirthday": "1988-10-02 00:00:00", "mobilePhone": "13912341234", "email": "zhangsan@example.com",
			"country": "中国", "state": "上海", "city": "上海", "street": "Nanjing Rd", "postalCode": "200000",
			"title": "Manager", "company": "ABC", "industry": "医疗", "department": "Marketing",
			"website": "https://abc.example", "idCard": "310101199001010000",
		}
		if !reflect.DeepEqual(want, expect) {
			t.Errorf("vendor contact %v, want %v", want, expect)
		}
		if fmt.Sprint(got.Props["attr1"]) != "单身" || fmt.Sprint(got.Props["attr2"]) != "10000" {
			t.Errorf("props %v", got.Props)
		}
		idents := e.sim.Identities(n)
		if len(idents) != 1 || idents[0].ExternalID != "u1234567" || idents[0].Channel.ChannelID != "shop.example.com" {
			t.Errorf("identities %+v", idents)
		}
		if !slices.Contains(c.ExternalIDs, domain.ExternalID{Channel: "shop.example.com", ID: "u1234567", Type: "UDC"}) {
			t.Errorf("answer external ids %v", c.ExternalIDs)
		}
		if c.Name != "张三" || c.Birthday == nil || !c.Birthday.Equal(bday) || c.Address.Province != "上海" || c.IDCardNumber != "310101199001010000" {
			t.Errorf("answer %+v", c)
		}
		// Everything identify takes goes in one call.
		if n := len(e.hitsTo("/v2/contacts/" + c.ID)); n != 0 {
			t.Errorf("%d update calls for fields identify takes", n)
		}
	})

	t.Run("fields identify does not take are written by an update", func(t *testing.T) {
		t.Parallel()
		in := domain.Contact{
			Name: "Li Si", Gender: domain.GenderFemale, Nickname: "Sisi", Note: "VIP since 2020",
			AvatarURL: "http://example.com/a.png", HomePhone: "021-1234", Email: "lisi@example.com",
			CustomFields: map[string]any{"attr1": "已婚"},
			ExternalIDs:  []domain.ExternalID{{Channel: "shop.example.com", ID: "lisi"}},
		}
		c, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: in})
		e.Must(err)
		got, _ := e.sim.Contact(mustID(t, c.ID))
		if got.Gender != "female" || got.Nickname != "Sisi" || got.Comments != "VIP since 2020" || got.Avatar != "http://example.com/a.png" ||
			got.HomePhone != "021-1234" || got.Name != "Li Si" || got.Email != "lisi@example.com" || fmt.Sprint(got.Props["attr1"]) != "已婚" {
			t.Errorf("vendor contact %+v", got)
		}
		if c.Gender != domain.GenderFemale || c.Nickname != "Sisi" || c.Note != "VIP since 2020" || c.Name != "Li Si" || c.CustomFields["attr1"] != "已婚" {
			t.Errorf("answer %+v", c)
		}
		if !slices.Contains(c.ExternalIDs, domain.ExternalID{Channel: "shop.example.com", ID: "lisi", Type: "UDC"}) {
			t.Errorf("answer external ids %v", c.ExternalIDs)
		}
		if n := len(e.hitsTo("/v2/contacts/" + c.ID)); n != 1 {
			t.Errorf("%d update calls, want 1", n)
		}
	})

	t.Run("same external id twice is one contact", func(t *testing.T) {
		t.Parallel()
		ext := []domain.ExternalID{{Channel: "shop.example.com", ID: "twice"}}
		first, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Name: "First", Email: "first@example.com", ExternalIDs: ext}})
		e.Must(err)
		second, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Name: "Second", ExternalIDs: ext}})
		e.Must(err)
		if first.ID != second.ID {
			t.Fatalf("ids %s and %s", first.ID, second.ID)
		}
		got, _ := e.sim.Contact(mustID(t, first.ID))
		if got.Name != "Second" || got.Email != "first@example.com" {
			t.Errorf("vendor contact %+v: the upsert should update name and keep email", got)
		}
		if second.Email != "first@example.com" {
			t.Errorf("answer %+v", second)
		}
	})

	t.Run("no external id", func(t *testing.T) {
		t.Parallel()
		_, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Name: "Nobody"}})
		e.WantValidation(err, "body.external_ids")
	})

	t.Run("fields linkflow cannot store", func(t *testing.T) {
		t.Parallel()
		_, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{
			Name: "X", FirstName: "F", LastName: "L", WeChat: "wx", QQ: "1", WorkPhone: "2", Fax: "3", WhatsAppPhone: "4",
			ViberPhone: "5", Weibo: "6", Line: "7", Messenger: "8", Instagram: "9", TimeZone: "Asia/Shanghai",
			ExternalIDs: []domain.ExternalID{{Channel: "shop.example.com", ID: "refused"}},
		}})
		e.WantValidation(err, "body.first_name", "body.last_name", "body.wechat", "body.qq", "body.work_phone", "body.fax",
			"body.whatsapp_phone", "body.viber_phone", "body.weibo", "body.line", "body.messenger", "body.instagram", "body.time_zone")
		// Sibling subtests create contacts meanwhile, so look for this
		// create's external id in what reached the vendor, not at counts.
		for _, r := range e.sim.Requests() {
			if strings.Contains(string(r.Body), `"refused"`) {
				t.Errorf("a refused create was sent: %s %s %s", r.Method, r.Path, r.Body)
			}
		}
	})

	t.Run("unknown custom field", func(t *testing.T) {
		t.Parallel()
		_, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{
			Name: "X", CustomFields: map[string]any{"attr9": "x"},
			ExternalIDs: []domain.ExternalID{{Channel: "shop.example.com", ID: "attr9"}},
		}})
		ve := e.WantVendor(err, domain.VendorRejected)
		if ve.Code != "B00010" {
			t.Errorf("code %q", ve.Code)
		}
	})

	// The contact exists once identify succeeded: a failed follow-up
	// update is reported with the contact, naming what it did not store.
	t.Run("vendor failure in the follow-up update", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/v2/contacts/", Status: 503, ContentType: "text/html", Body: "<html>down</html>"})
		c, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{
			Name: "Half", Nickname: "H", Note: "n", Email: "half@example.com", ExternalIDs: []domain.ExternalID{{Channel: "shop.example.com", ID: "half"}},
		}})
		e.Must(err)
		got, ok := e.sim.Contact(mustID(t, c.ID))
		if !ok || got.Name != "Half" || got.Email != "half@example.com" || got.Nickname != "" {
			t.Fatalf("vendor contact %+v", got)
		}
		if c.Name != "Half" || c.Email != "half@example.com" || c.Nickname != "" || c.Unwritten == nil ||
			!slices.Equal(c.Unwritten.Fields, []string{"nickname", "note"}) {
			t.Fatalf("answer %+v, unwritten %+v", c, c.Unwritten)
		}
		e.WantVendor(c.Unwritten.Err, domain.VendorUnavailable)
		if !c.ExternalIDsLoaded || !slices.Contains(c.ExternalIDs, domain.ExternalID{Channel: "shop.example.com", ID: "half", Type: "UDC"}) {
			t.Errorf("answer external ids %v (loaded %v)", c.ExternalIDs, c.ExternalIDsLoaded)
		}
	})

	t.Run("a failed follow-up update is retried", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ad := e.newAdapter(func(c *linkflow.Config) {
			c.Client.Retry = vendorhttp.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}
		})
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/v2/contacts/", Status: 503, ContentType: jsonCT(), Body: errBody(503, "DOWN")})
		c, err := ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{
			Name: "Again", Nickname: "A", ExternalIDs: []domain.ExternalID{{Channel: "shop.example.com", ID: "again"}},
		}})
		e.Must(err)
		if c.Unwritten != nil || c.Nickname != "A" {
			t.Fatalf("answer %+v, unwritten %+v", c, c.Unwritten)
		}
		if n := len(e.hitsTo("/v2/contacts/" + c.ID)); n != 2 {
			t.Errorf("%d update attempts, want 2", n)
		}
		// Identify is not retried without an Idempotency-Key.
		if n := len(e.hitsTo("/identifiers")); n != 1 {
			t.Errorf("%d identify calls", n)
		}
	})

	// A 2xx identify answer that cannot be read still wrote the contact:
	// the adapter finds it by its external id.
	t.Run("unusable identify answer", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.garble("/identifiers", http.MethodPost)
		c, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{
			Name: "Garbled", Gender: domain.GenderMale, ExternalIDs: []domain.ExternalID{{Channel: "shop.example.com", ID: "garbled"}},
		}})
		e.Must(err)
		got, ok := e.sim.Contact(mustID(t, c.ID))
		if !ok || got.Name != "Garbled" || got.Gender != "male" || c.Gender != domain.GenderMale || c.Unwritten != nil {
			t.Fatalf("answer %+v, vendor contact %+v", c, got)
		}
		lookups := e.hitsTo("/identifiers")
		if len(lookups) != 2 || lookups[1].method != http.MethodGet {
			t.Errorf("identifier calls %v", lookups)
		}
	})

	// When nothing was identified (the garbled 2xx came from something
	// else), the lookup finds nothing and the create fails.
	t.Run("unusable answer and nothing written", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/identifiers", Method: http.MethodPost, Status: 200, ContentType: "text/html", Body: "<html>proxy</html>"})
		_, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{
			Name: "Nothing", ExternalIDs: []domain.ExternalID{{Channel: "shop.example.com", ID: "nothing"}},
		}})
		e.WantVendor(err, domain.VendorBadResponse)
		if n := len(e.sim.Contacts()); n != 0 {
			t.Errorf("%d contacts", n)
		}
	})
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || idStr(n) != s {
		t.Fatalf("id %q is not a Linkflow id", s)
	}
	return n
}

func TestUpdateContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddProperty(linkflowtest.Property{Alias: "attr1", Label: "Marital status"})
	e.sim.AddProperty(linkflowtest.Property{Alias: "attr2", Label: "Salary", DataType: "number"})
	seed := func() int64 {
		return e.sim.AddContact(linkflowtest.Contact{
			Name: "Ann", Nickname: "A", Gender: "female", DateOfBirthday: "1990-01-02 00:00:00", Email: "ann@example.com",
			MobilePhone: "13900000001", HomePhone: "021-1", City: "Shanghai", Company: "ACME", Comments: "note",
			IDCard: "310101199001020000", Props: map[string]any{"attr1": "单身", "attr2": json.Number("100")},
		})
	}
	set := func(fs ...domain.ContactField) map[domain.ContactField]bool {
		m := map[domain.ContactField]bool{}
		for _, f := range fs {
			m[f] = true
		}
		return m
	}

	t.Run("changes only named fields", func(t *testing.T) {
		t.Parallel()
		id := seed()
		before, _ := e.sim.Contact(id)
		c, err := e.ad.UpdateContact(t.Context(), idStr(id), domain.ContactPatch{
			Values: domain.Contact{Address: domain.Address{City: "Beijing"}, Nickname: "Annie", Name: "ignored because not in Set"},
			Set:    set(domain.FieldCity, domain.FieldNickname),
		})
		e.Must(err)
		after, _ := e.sim.Contact(id)
		want := before
		want.City, want.Nickname = "Beijing", "Annie"
		want.Ver, want.LastUpdated = after.Ver, after.LastUpdated
		if !reflect.DeepEqual(after, want) {
			t.Errorf("vendor contact\n got %+v\nwant %+v", after, want)
		}
		if c.Address.City != "Beijing" || c.Nickname != "Annie" || c.Name != "Ann" || c.IDCardNumber != "310101199001020000" {
			t.Errorf("answer %+v", c)
		}
	})

	t.Run("clearing with empty values", func(t *testing.T) {
		t.Parallel()
		id := seed()
		_, err := e.ad.UpdateContact(t.Context(), idStr(id), domain.ContactPatch{
			Set: set(domain.FieldCity, domain.FieldNote, domain.FieldBirthday, domain.FieldHomePhone),
		})
		e.Must(err)
		after, _ := e.sim.Contact(id)
		if after.City != "" || after.Comments != "" || after.DateOfBirthday != "" || after.HomePhone != "" {
			t.Errorf("not cleared: %+v", after)
		}
		if after.Name != "Ann" || after.Email != "ann@example.com" || after.Company != "ACME" {
			t.Errorf("other fields changed: %+v", after)
		}
	})

	t.Run("gender and birthday", func(t *testing.T) {
		t.Parallel()
		id := seed()
		bday := time.Date(2001, 2, 3, 0, 0, 0, 0, time.UTC)
		c, err := e.ad.UpdateContact(t.Context(), idStr(id), domain.ContactPatch{
			Values: domain.Contact{Gender: domain.GenderMale, Birthday: &bday},
			Set:    set(domain.FieldGender, domain.FieldBirthday),
		})
		e.Must(err)
		after, _ := e.sim.Contact(id)
		if after.Gender != "male" || after.DateOfBirthday != "2001-02-03 00:00:00" {
			t.Errorf("vendor contact %+v", after)
		}
		if c.Gender != domain.GenderMale || c.Birthday == nil || !c.Birthday.Equal(bday) {
			t.Errorf("answer %+v", c)
		}
	})

	t.Run("custom fields merge", func(t *testing.T) {
		t.Parallel()
		id := seed()
		c, err := e.ad.UpdateContact(t.Context(), idStr(id), domain.ContactPatch{CustomFields: map[string]any{"attr2": 200}})
		e.Must(err)
		after, _ := e.sim.Contact(id)
		if fmt.Sprint(after.Props["attr1"]) != "单身" || fmt.Sprint(after.Props["attr2"]) != "200" {
			t.Errorf("vendor props %v", after.Props)
		}
		if c.CustomFields["attr1"] != "单身" || c.CustomFields["attr2"] != json.Number("200") {
			t.Errorf("answer props %v", c.CustomFields)
		}
		if after.Name != "Ann" || after.City != "Shanghai" {
			t.Errorf("other fields changed: %+v", after)
		}
	})

	t.Run("unknown contact", func(t *testing.T) {
		t.Parallel()
		for _, bad := range []string{"999999", "abc", "0"} {
			_, err := e.ad.UpdateContact(t.Context(), bad, domain.ContactPatch{Values: domain.Contact{Address: domain.Address{City: "X"}}, Set: set(domain.FieldCity)})
			e.WantNotFound(err)
		}
	})

	t.Run("fields update cannot write", func(t *testing.T) {
		t.Parallel()
		id := seed()
		_, err := e.ad.UpdateContact(t.Context(), idStr(id), domain.ContactPatch{
			Values: domain.Contact{IDCardNumber: "x", WeChat: "wx", Address: domain.Address{City: "X"}},
			Set:    set(domain.FieldIDCardNumber, domain.FieldWeChat, domain.FieldCity),
		})
		e.WantValidation(err, "body.id_card_number", "body.wechat")
		after, _ := e.sim.Contact(id)
		if after.City != "Shanghai" {
			t.Errorf("a refused update changed the contact: %+v", after)
		}
	})

	t.Run("unknown custom field", func(t *testing.T) {
		t.Parallel()
		id := seed()
		_, err := e.ad.UpdateContact(t.Context(), idStr(id), domain.ContactPatch{CustomFields: map[string]any{"nope": 1}})
		e.WantVendor(err, domain.VendorRejected)
	})
}

func TestBatchUpsertContacts(t *testing.T) {
	t.Parallel()

	t.Run("per item results", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ext := func(id string) []domain.ExternalID { return []domain.ExternalID{{Channel: "shop.example.com", ID: id}} }
		items := []domain.ContactInput{
			{Contact: domain.Contact{Name: "A", ExternalIDs: ext("a")}},
			{Contact: domain.Contact{Name: "No external id"}},
			{Contact: domain.Contact{Name: "B", Gender: domain.GenderMale, ExternalIDs: ext("b")}},
			{Contact: domain.Contact{Name: "C", WeChat: "wx", ExternalIDs: ext("c")}},
			{Contact: domain.Contact{Name: "D", CustomFields: map[string]any{"attr7": 1}, ExternalIDs: ext("d")}},
			{Contact: domain.Contact{Name: "A again", ExternalIDs: ext("a")}},
		}
		for i := range 10 {
			items = append(items, domain.ContactInput{Contact: domain.Contact{Name: fmt.Sprint("N", i), ExternalIDs: ext(fmt.Sprint("n", i))}})
		}
		res, err := e.ad.BatchUpsertContacts(t.Context(), items, domain.OnConflictMerge)
		e.Must(err)
		if len(res) != len(items) {
			t.Fatalf("%d results for %d items", len(res), len(items))
		}
		failed := map[int]bool{1: true, 3: true, 4: true}
		for i, r := range res {
			if r.Index != i {
				t.Errorf("result %d has index %d", i, r.Index)
			}
			e.record(r.Err)
			if failed[i] {
				if r.Status != domain.BatchFailed || r.Err == nil || r.ID != "" {
					t.Errorf("item %d: %+v, want failed", i, r)
				}
				continue
			}
			if r.Status != domain.BatchUpserted || r.Err != nil || r.ID == "" {
				t.Errorf("item %d: %+v, want upserted", i, r)
				continue
			}
			c, ok := e.sim.Contact(mustID(t, r.ID))
			if !ok {
				t.Errorf("item %d: contact %s not at the vendor", i, r.ID)
			}
			if i >= 6 && c.Name != items[i].Name {
				t.Errorf("item %d: vendor name %q", i, c.Name)
			}
		}
		e.WantValidation(res[1].Err, "body.external_ids")
		e.WantValidation(res[3].Err, "body.wechat")
		e.WantVendor(res[4].Err, domain.VendorRejected)
		if res[0].ID != res[5].ID {
			t.Errorf("same external id, ids %s and %s", res[0].ID, res[5].ID)
		}
		if b, _ := e.sim.Contact(mustID(t, res[2].ID)); b.Gender != "male" {
			t.Errorf("item 2 gender %q", b.Gender)
		}
		if n := len(e.sim.Contacts()); n != 12 {
			t.Errorf("%d contacts at the vendor, want 12", n)
		}
	})

	t.Run("replace mode", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for _, mode := range []domain.OnConflict{domain.OnConflictReplace, domain.OnConflictSkip} {
			_, err := e.ad.BatchUpsertContacts(t.Context(), []domain.ContactInput{{Contact: domain.Contact{Name: "A",
				ExternalIDs: []domain.ExternalID{{Channel: "c", ID: "a"}}}}}, mode)
			e.WantValidation(err, "body.on_conflict")
		}
		if n := len(e.Hits()); n != 0 {
			t.Errorf("%d vendor calls for a refused batch", n)
		}
	})

	t.Run("vendor down", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/identifiers", Times: 1000, Status: 503, ContentType: "text/html", Body: "<html>down</html>"})
		var items []domain.ContactInput
		for i := range 20 {
			items = append(items, domain.ContactInput{Contact: domain.Contact{Name: "A", ExternalIDs: []domain.ExternalID{{Channel: "c", ID: fmt.Sprint(i)}}}})
		}
		res, err := e.ad.BatchUpsertContacts(t.Context(), items, domain.OnConflictMerge)
		e.WantVendor(err, domain.VendorUnavailable)
		if res != nil {
			t.Errorf("results %v with a whole-call error", res)
		}
	})

	t.Run("vendor down after some writes", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		// Warm the token so the first identify is the one let through.
		_, err := e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 1})
		e.Must(err)
		items := []domain.ContactInput{{Contact: domain.Contact{Name: "A", ExternalIDs: []domain.ExternalID{{Channel: "c", ID: "a"}}}}}
		res, err := e.ad.BatchUpsertContacts(t.Context(), items, domain.OnConflictMerge)
		e.Must(err)
		if len(res) != 1 || res[0].Status != domain.BatchUpserted {
			t.Fatalf("results %+v", res)
		}
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/identifiers", Times: 3, Status: 503, ContentType: jsonCT(), Body: errBody(503, "DOWN")})
		items = nil
		for i := range 6 {
			items = append(items, domain.ContactInput{Contact: domain.Contact{Name: "B", ExternalIDs: []domain.ExternalID{{Channel: "c", ID: fmt.Sprint("b", i)}}}})
		}
		res, err = e.ad.BatchUpsertContacts(t.Context(), items, domain.OnConflictMerge)
		e.Must(err)
		var ok, failed int
		for _, r := range res {
			e.record(r.Err)
			switch r.Status {
			case domain.BatchUpserted:
				ok++
			case domain.BatchFailed:
				failed++
				e.WantVendor(r.Err, domain.VendorUnavailable)
			}
		}
		if ok != 3 || failed != 3 {
			t.Errorf("%d upserted, %d failed; want 3 and 3", ok, failed)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := e.ad.BatchUpsertContacts(ctx, []domain.ContactInput{{Contact: domain.Contact{Name: "A",
			ExternalIDs: []domain.ExternalID{{Channel: "c", ID: "a"}}}}}, domain.OnConflictMerge)
		e.record(err)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	})
}

// TestBigNumbersKeepEveryDigit: a custom number beyond 2^53 survives a read
// and a read-modify-write update unchanged.
func TestBigNumbersKeepEveryDigit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddProperty(linkflowtest.Property{Label: "Big", Alias: "attr1", DataType: "number"})
	e.sim.AddProperty(linkflowtest.Property{Label: "Text", Alias: "attr2", DataType: "text"})
	id := e.sim.AddContact(linkflowtest.Contact{Name: "Ann", Props: map[string]any{"attr1": json.Number("1021110718827683841")}})
	c, err := e.ad.GetContact(t.Context(), idStr(id))
	e.Must(err)
	if c.CustomFields["attr1"] != json.Number("1021110718827683841") {
		t.Fatalf("read %v", c.CustomFields["attr1"])
	}
	_, err = e.ad.UpdateContact(t.Context(), idStr(id), domain.ContactPatch{CustomFields: map[string]any{"attr2": "x"}})
	e.Must(err)
	after, _ := e.sim.Contact(id)
	if fmt.Sprint(after.Props["attr1"]) != "1021110718827683841" {
		t.Fatalf("update wrote back %v", after.Props["attr1"])
	}
}

func TestCreateContactExternalIDRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for name, ids := range map[string][]domain.ExternalID{
		"two ids":         {{Channel: "a", ID: "1"}, {Channel: "b", ID: "2"}},
		"wechat channel":  {{Channel: "wx5a39a02868a39999", ID: "o1", Type: "WECHAT"}},
		"unknown channel": {{Channel: "c", ID: "1", Type: "SMS"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Name: "x", ExternalIDs: ids}})
			var verr *domain.ValidationError
			if !errors.As(err, &verr) || !strings.HasPrefix(verr.Fields[0].Field, "body.external_ids") {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if n := len(e.sim.Contacts()); n != 0 {
		t.Fatalf("%d contacts written by refused creates", n)
	}
	c, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Name: "x", ExternalIDs: []domain.ExternalID{{Channel: "a", ID: "1", Type: "UDC"}}}})
	e.Must(err)
	if !slices.Contains(c.ExternalIDs, domain.ExternalID{Channel: "a", ID: "1", Type: "UDC"}) {
		t.Fatalf("external ids %v", c.ExternalIDs)
	}
}

// TestUpdateAnswerCarriesExternalIDs: PATCH answers what GET answers.
func TestUpdateAnswerCarriesExternalIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
	e.sim.AddIdentity(id, "shop", "UDC", "u-1")
	c, err := e.ad.UpdateContact(t.Context(), idStr(id), domain.ContactPatch{Values: domain.Contact{Name: "Bo"}, Set: map[domain.ContactField]bool{domain.FieldName: true}})
	e.Must(err)
	if !slices.Contains(c.ExternalIDs, domain.ExternalID{Channel: "shop", ID: "u-1", Type: "UDC"}) || c.Name != "Bo" {
		t.Fatalf("answer %+v", c)
	}
}

// TestBatchCountsWritesBeforeAFailedFollowUp: when identify wrote a contact
// and the follow-up update failed, the item is the written contact, with
// the fields it lacks, not a failure or a whole-call error.
func TestBatchCountsWritesBeforeAFailedFollowUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/v2/contacts/", Times: 100, Status: 503, ContentType: "application/json", Body: `{}`})
	items := []domain.ContactInput{
		{Contact: domain.Contact{Gender: domain.GenderFemale, ExternalIDs: []domain.ExternalID{{Channel: "c", ID: "1"}}}},
		{Contact: domain.Contact{Gender: domain.GenderMale, Note: "n", ExternalIDs: []domain.ExternalID{{Channel: "c", ID: "2"}}}},
	}
	rs, err := e.ad.BatchUpsertContacts(t.Context(), items, domain.OnConflictMerge)
	if err != nil {
		t.Fatalf("whole-call error although contacts were written: %v", err)
	}
	want := [][]string{{"gender"}, {"gender", "note"}}
	for i, r := range rs {
		if r.Status != domain.BatchUpserted || r.Err != nil || r.Unwritten == nil || !slices.Equal(r.Unwritten.Fields, want[i]) {
			t.Fatalf("result %+v (unwritten %+v)", r, r.Unwritten)
		}
		e.WantVendor(r.Unwritten.Err, domain.VendorUnavailable)
		if _, ok := e.sim.Contact(mustID(t, r.ID)); !ok {
			t.Errorf("item %d: contact %s not at the vendor", i, r.ID)
		}
	}
	// Batch results carry ids only: no identity reads.
	for _, h := range e.Hits() {
		if strings.HasSuffix(h.path, "/identities") {
			t.Errorf("batch read %s", h.path)
		}
	}
}

// Numbers beyond 2^53: 9007199254740993 is the first integer a float64
// cannot hold, 12345678901234567890 does not fit an int64 either.
var bigNumbers = map[string]json.Number{"attr1": "9007199254740993", "attr2": "12345678901234567890"}

// wantBigNumbers asserts that custom values read back equal bigNumbers to
// the digit, as json.Number, and that a raw payload spells them unchanged.
func wantBigNumbers(t *testing.T, got map[string]any, raw json.RawMessage, wantRaw bool) {
	t.Helper()
	for k, want := range bigNumbers {
		if v, ok := got[k].(json.Number); !ok || v != want {
			t.Errorf("value %s = %#v (%T), want json.Number %s", k, got[k], got[k], want)
		}
		if wantRaw && !strings.Contains(string(raw), `"`+k+`":`+string(want)) {
			t.Errorf("raw %s does not spell %s as %s", raw, k, want)
		}
	}
	if !wantRaw && raw != nil {
		t.Errorf("raw without asking: %s", raw)
	}
}

// TestCustomFieldNumbersKeepEveryDigit: custom values beyond 2^53 come back
// exact from every read, with and without include=raw (the raw path used to
// decode each record a second time through float64), and reach the vendor
// exact on writes.
func TestCustomFieldNumbersKeepEveryDigit(t *testing.T) {
	t.Parallel()
	props := map[string]any{}
	for k, v := range bigNumbers {
		props[k] = v
	}
	since := time.Now().Add(-time.Hour)
	one := func(p domain.Page[domain.Contact], err error) (domain.Contact, error) {
		if err == nil && len(p.Items) != 1 {
			err = fmt.Errorf("%d contacts, want 1", len(p.Items))
		}
		if err != nil {
			return domain.Contact{}, err
		}
		return p.Items[0], nil
	}
	reads := map[string]func(ctx context.Context, ad *linkflow.Adapter, id string) (domain.Contact, error){
		"list": func(ctx context.Context, ad *linkflow.Adapter, _ string) (domain.Contact, error) {
			return one(ad.ListContacts(ctx, domain.ContactQuery{}, domain.PageRequest{Limit: 5}))
		},
		"lookup": func(ctx context.Context, ad *linkflow.Adapter, _ string) (domain.Contact, error) {
			return one(ad.ListContacts(ctx, domain.ContactQuery{Email: "big@example.com"}, domain.PageRequest{Limit: 5}))
		},
		"updated_since": func(ctx context.Context, ad *linkflow.Adapter, _ string) (domain.Contact, error) {
			return one(ad.ListContacts(ctx, domain.ContactQuery{UpdatedSince: &since}, domain.PageRequest{Limit: 5}))
		},
		"search": func(ctx context.Context, ad *linkflow.Adapter, _ string) (domain.Contact, error) {
			return one(ad.ListContacts(ctx, domain.ContactQuery{Q: "big"}, domain.PageRequest{Limit: 5}))
		},
		"get": func(ctx context.Context, ad *linkflow.Adapter, id string) (domain.Contact, error) {
			return ad.GetContact(ctx, id)
		},
		"create": func(ctx context.Context, ad *linkflow.Adapter, _ string) (domain.Contact, error) {
			return ad.CreateContact(ctx, domain.ContactInput{Contact: domain.Contact{Name: "New", Gender: domain.GenderFemale,
				ExternalIDs: []domain.ExternalID{{Channel: "shop", ID: "big"}}, CustomFields: props}})
		},
		"update": func(ctx context.Context, ad *linkflow.Adapter, id string) (domain.Contact, error) {
			return ad.UpdateContact(ctx, id, domain.ContactPatch{Values: domain.Contact{Name: "Bigger"}, Set: map[domain.ContactField]bool{domain.FieldName: true}})
		},
	}
	for name, read := range reads {
		for _, raw := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s raw=%v", name, raw), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				e.sim.AddProperty(linkflowtest.Property{Label: "Big", Alias: "attr1", DataType: "number"})
				e.sim.AddProperty(linkflowtest.Property{Label: "Bigger", Alias: "attr2", DataType: "number"})
				id := idStr(e.sim.AddContact(linkflowtest.Contact{Name: "Big", Email: "big@example.com", Props: props}))
				ctx := t.Context()
				if raw {
					ctx = domain.WithRaw(ctx)
				}
				c, err := read(ctx, e.ad, id)
				e.Must(err)
				wantBigNumbers(t, c.CustomFields, c.Raw, raw)
				for _, stored := range e.sim.Contacts() {
					for k, want := range bigNumbers {
						if got := fmt.Sprint(stored.Props[k]); got != string(want) {
							t.Errorf("contact %d holds %s = %s at the vendor, want %s", stored.ID, k, got, want)
						}
					}
				}
			})
		}
	}
}
