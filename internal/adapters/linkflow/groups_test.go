package linkflow_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func groupID(g domain.Group) string { return g.ID }

func TestListGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Seeded with explicit ids out of order, to see the adapter sort them.
	var all []int64
	for i, id := range []int64{900, 120, 5000, 77, 1010, 333, 4000} {
		all = append(all, e.sim.AddGroupRecord(linkflowtest.Group{ID: id, Name: fmt.Sprintf("Group %d", i), GroupType: []string{"static", "dynamic"}[i%2]}))
	}
	for i := range 16 {
		all = append(all, e.sim.AddGroup(fmt.Sprintf("Campaign %02d", i), ""))
	}
	vips := []int64{e.sim.AddGroup("VIP buyers", ""), e.sim.AddGroup("Former vip", "dynamic")}
	all = append(all, vips...)
	sorted := slices.Clone(all)
	slices.Sort(sorted)

	tests := []struct {
		name   string
		q      domain.GroupQuery
		limits []int
		want   []int64
	}{
		{"all, limit 1", domain.GroupQuery{}, []int{1}, sorted},
		{"all, limit 4", domain.GroupQuery{}, []int{4}, sorted},
		{"all, changing limits", domain.GroupQuery{}, []int{3, 10, 2, 7}, sorted},
		{"all at once", domain.GroupQuery{}, []int{200}, sorted},
		{"name filter", domain.GroupQuery{Q: "vip"}, []int{1}, vips},
		{"name filter without match", domain.GroupQuery{Q: "nothing"}, []int{5}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := vendortest.CollectPages(t, e.watch, tt.limits, groupID, func(p domain.PageRequest) (domain.Page[domain.Group], error) {
				return e.ad.ListGroups(t.Context(), tt.q, p)
			})
			if !slices.Equal(got, ids(tt.want)) {
				t.Errorf("ids %v, want %v", got, ids(tt.want))
			}
		})
	}

	t.Run("mapping", func(t *testing.T) {
		t.Parallel()
		p, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{Q: "former"}, domain.PageRequest{Limit: 5})
		e.Must(err)
		if len(p.Items) != 1 {
			t.Fatalf("items %v", p.Items)
		}
		g := p.Items[0]
		stored, _ := e.sim.Group(vips[1])
		if g.ID != idStr(vips[1]) || g.Name != "Former vip" || g.Type != domain.GroupDynamic ||
			!g.CreatedAt.Equal(stored.DateCreated) || g.CreatedAt.Location() != time.UTC || g.Raw != nil {
			t.Errorf("group %+v", g)
		}
		p, err = e.ad.ListGroups(domain.WithRaw(t.Context()), domain.GroupQuery{Q: "former"}, domain.PageRequest{Limit: 5})
		e.Must(err)
		if len(p.Items) != 1 || !strings.Contains(string(p.Items[0].Raw), `"groupType":"dynamic"`) {
			t.Errorf("raw %s", p.Items[0].Raw)
		}
	})

	t.Run("bad state", func(t *testing.T) {
		t.Parallel()
		for _, s := range []string{"x12", "m3", "o-1", "oo"} {
			_, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5, State: s})
			e.wantCursor(err)
		}
	})
}

func TestGetGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gid := e.sim.AddGroup("VIP", "")
	e.sim.AddGroup("Other", "")
	cid := e.sim.AddContact(linkflowtest.Contact{Name: "not a group"})

	g, err := e.ad.GetGroup(t.Context(), idStr(gid))
	e.Must(err)
	if g.ID != idStr(gid) || g.Name != "VIP" || g.Type != domain.GroupStatic {
		t.Errorf("group %+v", g)
	}
	for _, bad := range []string{idStr(cid), "999999", "abc", "", "0", "-1"} {
		t.Run("not found "+bad, func(t *testing.T) {
			t.Parallel()
			_, err := e.ad.GetGroup(t.Context(), bad)
			e.WantNotFound(err)
		})
	}
}

func TestCreateGroup(t *testing.T) {
	t.Parallel()

	t.Run("created", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		g, err := e.ad.CreateGroup(t.Context(), "双11vip客户")
		e.Must(err)
		n := mustID(t, g.ID)
		stored, ok := e.sim.Group(n)
		if !ok || stored.Name != "双11vip客户" || stored.GroupType != "static" {
			t.Errorf("vendor group %+v", stored)
		}
		if g.Name != "双11vip客户" || g.Type != domain.GroupStatic || g.CreatedAt.IsZero() {
			t.Errorf("answer %+v", g)
		}
		got, err := e.ad.GetGroup(t.Context(), g.ID)
		e.Must(err)
		if got.Name != g.Name {
			t.Errorf("read back %+v", got)
		}
	})

	t.Run("duplicate name", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.AddGroup("VIP", "")
		_, err := e.ad.CreateGroup(t.Context(), "VIP")
		ve := e.WantVendor(err, domain.VendorExists)
		if ve.Code != "B00001" || ve.Status != 400 || !errors.Is(err, domain.ErrAlreadyExists) {
			t.Errorf("error %+v", ve)
		}
	})

	t.Run("group limit", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *envConfig) { c.sim.MaxGroups = 2 })
		_, err := e.ad.CreateGroup(t.Context(), "one")
		e.Must(err)
		_, err = e.ad.CreateGroup(t.Context(), "two")
		e.Must(err)
		_, err = e.ad.CreateGroup(t.Context(), "three")
		ve := e.WantVendor(err, domain.VendorLimit)
		if ve.Code != "B00157" || ve.Status != 412 {
			t.Errorf("error %+v", ve)
		}
	})

	t.Run("empty name", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, err := e.ad.CreateGroup(t.Context(), "")
		e.WantVendor(err, domain.VendorRejected)
	})
}

func TestListContactGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cid := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
	lonely := e.sim.AddContact(linkflowtest.Contact{Name: "Lonely"})
	var want []int64
	for i := range 7 {
		g := e.sim.AddGroup(fmt.Sprint("G", i), []string{"static", "dynamic"}[i%2])
		e.sim.AddGroupMembers(g, cid)
		want = append(want, g)
	}
	e.sim.AddGroup("not a member", "")

	for _, limits := range [][]int{{1}, {3}, {2, 4}, {200}} {
		t.Run(fmt.Sprint("limits ", limits), func(t *testing.T) {
			t.Parallel()
			got := vendortest.CollectPages(t, e.watch, limits, groupID, func(p domain.PageRequest) (domain.Page[domain.Group], error) {
				return e.ad.ListContactGroups(t.Context(), idStr(cid), p)
			})
			if !slices.Equal(got, ids(want)) {
				t.Errorf("ids %v, want %v", got, ids(want))
			}
		})
	}
	t.Run("no groups", func(t *testing.T) {
		t.Parallel()
		p, err := e.ad.ListContactGroups(t.Context(), idStr(lonely), domain.PageRequest{Limit: 5})
		e.Must(err)
		if len(p.Items) != 0 || p.Next != "" {
			t.Errorf("page %+v", p)
		}
	})
	for _, bad := range []string{"999999", idStr(want[0]), "abc", "0"} {
		t.Run("unknown contact "+bad, func(t *testing.T) {
			t.Parallel()
			_, err := e.ad.ListContactGroups(t.Context(), bad, domain.PageRequest{Limit: 5})
			e.WantNotFound(err)
		})
	}
	t.Run("bad state", func(t *testing.T) {
		t.Parallel()
		_, err := e.ad.ListContactGroups(t.Context(), idStr(cid), domain.PageRequest{Limit: 5, State: "x12"})
		e.wantCursor(err)
	})
}

func TestListGroupMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	big := e.sim.AddGroup("Big", "")
	var members []int64
	for i := range 23 {
		members = append(members, e.sim.AddContact(linkflowtest.Contact{Name: fmt.Sprintf("M%02d", i), Email: fmt.Sprintf("m%d@example.com", i)}))
	}
	// Joined in an order other than the contact ids: members page by memberId.
	order := slices.Clone(members)
	slices.Reverse(order[5:15])
	e.sim.AddGroupMembers(big, order...)
	twenty := e.sim.AddGroup("Twenty", "")
	e.sim.AddGroupMembers(twenty, members[:20]...)
	empty := e.sim.AddGroup("Empty", "")

	tests := []struct {
		name   string
		group  int64
		limits []int
		want   []int64
	}{
		{"limit 1", big, []int{1}, order},
		{"limit 5", big, []int{5}, order},
		{"limit 23", big, []int{23}, order},
		{"limit 200", big, []int{200}, order},
		{"changing limits", big, []int{4, 9, 2, 6}, order},
		{"exact multiple of the limit", twenty, []int{5}, members[:20]},
		{"empty group", empty, []int{5}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pages := 0
			got := vendortest.CollectPages(t, e.watch, tt.limits, contactID, func(p domain.PageRequest) (domain.Page[domain.Contact], error) {
				pages++
				page, err := e.ad.ListGroupMembers(t.Context(), idStr(tt.group), p)
				if p.State != "" && !strings.HasPrefix(p.State, "m") {
					t.Errorf("state %q is not a memberId state", p.State)
				}
				for _, c := range page.Items {
					if c.Name == "" || c.Email == "" || c.CustomFields == nil {
						t.Errorf("member %+v", c)
					}
				}
				return page, err
			})
			if !slices.Equal(got, ids(tt.want)) {
				t.Errorf("ids %v, want %v", got, ids(tt.want))
			}
			// The last page says it is the last: no extra empty page.
			limit := tt.limits[0]
			if len(tt.limits) == 1 {
				wantPages := max(1, (len(tt.want)+limit-1)/limit)
				if pages != wantPages {
					t.Errorf("%d pages, want %d", pages, wantPages)
				}
			}
		})
	}

	t.Run("raw", func(t *testing.T) {
		t.Parallel()
		// Members are the contacts' own records, read in bulk.
		p, err := e.ad.ListGroupMembers(domain.WithRaw(t.Context()), idStr(big), domain.PageRequest{Limit: 2})
		e.Must(err)
		if len(p.Items) != 2 || !strings.Contains(string(p.Items[0].Raw), `"lastUpdated"`) || !strings.Contains(string(p.Items[0].Raw), `"name":"M00"`) {
			t.Errorf("items %+v", p.Items)
		}
		p, err = e.ad.ListGroupMembers(t.Context(), idStr(big), domain.PageRequest{Limit: 2})
		e.Must(err)
		if p.Items[0].Raw != nil {
			t.Errorf("raw without asking: %s", p.Items[0].Raw)
		}
	})

	t.Run("page size within the vendor maximum", func(t *testing.T) {
		t.Parallel()
		_, err := e.ad.ListGroupMembers(t.Context(), idStr(big), domain.PageRequest{Limit: domain.MaxLimit})
		e.Must(err)
		for _, h := range e.hitsTo(fmt.Sprintf("/open/groups/%d/contacts", big)) {
			var size int
			for _, kv := range strings.Split(h.rawQuery, "&") {
				fmt.Sscanf(kv, "size=%d", &size)
			}
			if size < 1 || size > 500 {
				t.Errorf("member page size %d", size)
			}
		}
	})

	for _, bad := range []string{"x12", "o12", "m", "mabc", "12"} {
		t.Run("bad state "+bad, func(t *testing.T) {
			t.Parallel()
			_, err := e.ad.ListGroupMembers(t.Context(), idStr(big), domain.PageRequest{Limit: 5, State: bad})
			e.wantCursor(err)
		})
	}
	for _, bad := range []string{"999999", idStr(members[0]), "abc", "0"} {
		t.Run("unknown group "+bad, func(t *testing.T) {
			t.Parallel()
			_, err := e.ad.ListGroupMembers(t.Context(), bad, domain.PageRequest{Limit: 5})
			e.WantNotFound(err)
		})
	}
}

func TestChangeGroupMembers(t *testing.T) {
	t.Parallel()

	t.Run("add and remove", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		gid := e.sim.AddGroup("G", "")
		a := e.sim.AddContact(linkflowtest.Contact{Name: "A"})
		b := e.sim.AddContact(linkflowtest.Contact{Name: "B"})
		c := e.sim.AddContact(linkflowtest.Contact{Name: "C"})
		other := e.sim.AddGroup("not a contact", "")

		res, err := e.ad.AddGroupMembers(t.Context(), idStr(gid), []string{idStr(a), "999999", idStr(b), "abc", idStr(other), idStr(a)})
		e.Must(err)
		if !sameSet(res.Succeeded, []string{idStr(a), idStr(b)}) {
			t.Errorf("succeeded %v", res.Succeeded)
		}
		failed := map[string]string{}
		for _, f := range res.Failed {
			failed[f.ID] = f.Reason
			if f.Reason == "" {
				t.Errorf("failure %s without a reason", f.ID)
			}
		}
		if len(failed) != 3 || failed["999999"] == "" || failed["abc"] == "" || failed[idStr(other)] == "" {
			t.Errorf("failed %v", res.Failed)
		}
		if got := e.sim.GroupMembers(gid); !sameSet(ids(got), []string{idStr(a), idStr(b)}) {
			t.Errorf("vendor members %v", got)
		}

		res, err = e.ad.AddGroupMembers(t.Context(), idStr(gid), []string{idStr(c)})
		e.Must(err)
		if !slices.Equal(res.Succeeded, []string{idStr(c)}) || len(res.Failed) != 0 {
			t.Errorf("add %+v", res)
		}

		res, err = e.ad.RemoveGroupMembers(t.Context(), idStr(gid), []string{idStr(a), "999999", "x"})
		e.Must(err)
		if !slices.Equal(res.Succeeded, []string{idStr(a)}) || len(res.Failed) != 2 {
			t.Errorf("remove %+v", res)
		}
		if got := e.sim.GroupMembers(gid); !sameSet(ids(got), []string{idStr(b), idStr(c)}) {
			t.Errorf("vendor members %v", got)
		}
	})

	t.Run("only ids linkflow cannot read", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		gid := e.sim.AddGroup("G", "")
		res, err := e.ad.AddGroupMembers(t.Context(), idStr(gid), []string{"abc", "-1"})
		e.Must(err)
		if len(res.Succeeded) != 0 || len(res.Failed) != 2 {
			t.Errorf("result %+v", res)
		}
		if n := len(e.hitsTo(fmt.Sprintf("/v2/groups/%d/contacts", gid))); n != 0 {
			t.Errorf("%d vendor calls for no usable id", n)
		}
	})

	t.Run("contact the vendor leaves out of its answer", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		gid := e.sim.AddGroup("G", "")
		a := e.sim.AddContact(linkflowtest.Contact{Name: "A"})
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/v2/groups/", Status: 200, ContentType: jsonCT(),
			Body: fmt.Sprintf(`{"success":[],"failure":[],"group":{"id":%d}}`, gid)})
		res, err := e.ad.AddGroupMembers(t.Context(), idStr(gid), []string{idStr(a)})
		e.Must(err)
		if len(res.Succeeded) != 0 || len(res.Failed) != 1 || res.Failed[0].ID != idStr(a) {
			t.Errorf("result %+v", res)
		}
	})

	for _, op := range []string{"add", "remove"} {
		t.Run(op+" to an unknown group", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			a := e.sim.AddContact(linkflowtest.Contact{Name: "A"})
			for _, g := range []string{"999999", idStr(a), "abc"} {
				var err error
				if op == "add" {
					_, err = e.ad.AddGroupMembers(t.Context(), g, []string{idStr(a)})
				} else {
					_, err = e.ad.RemoveGroupMembers(t.Context(), g, []string{idStr(a)})
				}
				e.WantNotFound(err)
			}
		})
	}

	t.Run("dynamic group", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		gid := e.sim.AddGroup("D", "dynamic")
		a := e.sim.AddContact(linkflowtest.Contact{Name: "A"})
		_, err := e.ad.AddGroupMembers(t.Context(), idStr(gid), []string{idStr(a)})
		e.WantVendor(err, domain.VendorRejected)
	})

	t.Run("too many for one call", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *envConfig) { c.sim.MaxMembersPerCall = 2 })
		gid := e.sim.AddGroup("G", "")
		_, err := e.ad.AddGroupMembers(t.Context(), idStr(gid), []string{"1", "2", "3"})
		ve := e.WantVendor(err, domain.VendorRejected)
		if ve.Code != "B00031" {
			t.Errorf("code %q", ve.Code)
		}
	})
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
