package meihua_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func groupID(g domain.Group) string { return g.ID }

func TestListGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var all []string
	for i := range 60 {
		name := fmt.Sprintf("Group %02d", i)
		if i%10 == 0 {
			name = fmt.Sprintf("VIP客户 %02d", i)
		}
		all = append(all, idStr(e.sim.AddGroup(name)))
	}
	member := e.sim.AddContact(meihuatest.Contact{Email: "m@example.com"})
	first, _ := vendorhttp.PositiveID(all[0])
	e.sim.AddToGroup(first, member)

	got := vendortest.CollectPages(t, e.watch, []int{7, 50, 200}, groupID, func(p domain.PageRequest) (domain.Page[domain.Group], error) {
		return e.ad.ListGroups(t.Context(), domain.GroupQuery{}, p)
	})
	slices.Sort(got)
	want := slices.Clone(all)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%d groups listed, want %d", len(got), len(want))
	}
	p, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{Q: "vip"}, domain.PageRequest{Limit: 50})
	e.Must(err)
	if len(p.Items) != 6 {
		t.Errorf("%d groups named like vip, want 6", len(p.Items))
	}
	for _, g := range p.Items {
		if g.Type != domain.GroupStatic || g.MemberCount == nil {
			t.Errorf("group %+v", g)
		}
		if g.ID == all[0] && *g.MemberCount != 1 {
			t.Errorf("group %s has %d members, want 1", g.ID, *g.MemberCount)
		}
	}
	if r := e.requests("/contact/group/all"); r[len(r)-1].Query.Get("key") != "vip" {
		t.Errorf("key %q", r[len(r)-1].Query.Get("key"))
	}
}

func TestGetGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var want int64
	for i := range 75 {
		id := e.sim.AddGroup(fmt.Sprintf("G%d", i))
		if i == 3 {
			want = id
		}
	}
	g, err := e.ad.GetGroup(t.Context(), idStr(want))
	e.Must(err)
	if g.ID != idStr(want) || g.Name != "G3" {
		t.Errorf("group %+v", g)
	}
	_, err = e.ad.GetGroup(t.Context(), idStr(bigID+5000))
	e.WantNotFound(err)
	_, err = e.ad.GetGroup(t.Context(), "nope")
	e.WantNotFound(err)
}

func TestCreateGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g, err := e.ad.CreateGroup(domain.WithRaw(t.Context()), "双11活动")
	e.Must(err)
	n, _ := vendorhttp.PositiveID(g.ID)
	stored, ok := e.sim.Group(n)
	if !ok || stored.Name != "双11活动" || g.Name != "双11活动" || g.Type != domain.GroupStatic || g.CreatedAt.IsZero() || len(g.Raw) == 0 {
		t.Errorf("created %+v, stored %+v", g, stored)
	}
	_, err = e.ad.CreateGroup(t.Context(), "双11活动")
	e.WantVendor(err, domain.VendorExists)
	if gs := e.sim.Groups(); len(gs) != 1 {
		t.Errorf("%d groups", len(gs))
	}
}

func TestDeleteGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keep := e.sim.AddGroup("keep contacts")
	drop := e.sim.AddGroup("drop contacts")
	a := e.sim.AddContact(meihuatest.Contact{Email: "a@example.com"})
	b := e.sim.AddContact(meihuatest.Contact{Email: "b@example.com"})
	e.sim.AddToGroup(keep, a)
	e.sim.AddToGroup(drop, b)

	e.Must(e.ad.DeleteGroup(t.Context(), idStr(keep)))
	if _, ok := e.sim.Group(keep); ok {
		t.Error("group not deleted")
	}
	if _, ok := e.sim.Contact(a); !ok {
		t.Error("DeleteGroup deleted its contact")
	}
	e.Must(e.ad.DeleteGroupWithContacts(t.Context(), idStr(drop)))
	if _, ok := e.sim.Contact(b); ok {
		t.Error("DeleteGroupWithContacts kept its contact")
	}
	flags := []string{}
	for _, r := range e.requests("/contact/group/delete") {
		flags = append(flags, param(r, "flag"))
	}
	if !slices.Equal(flags, []string{"false", "true"}) {
		t.Errorf("flags %v", flags)
	}
	e.WantNotFound(e.ad.DeleteGroup(t.Context(), idStr(keep)))
	e.WantNotFound(e.ad.DeleteGroupWithContacts(t.Context(), idStr(a)))
	if n := len(e.requests("/contact/group/delete")); n != 2 {
		t.Errorf("%d deletes sent", n)
	}
}

func TestListGroupMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gid := e.sim.AddGroup("G")
	empty := e.sim.AddGroup("empty")
	var want []string
	for i := range 70 {
		id := e.sim.AddContact(meihuatest.Contact{FullName: fmt.Sprintf("M%02d", i), Email: fmt.Sprintf("m%02d@example.com", i)})
		e.sim.AddToGroup(gid, id)
		want = append(want, idStr(id))
	}
	e.sim.AddContact(meihuatest.Contact{Email: "outside@example.com"})
	got := vendortest.CollectPages(t, e.watch, []int{200}, contactID, func(p domain.PageRequest) (domain.Page[domain.Contact], error) {
		return e.ad.ListGroupMembers(t.Context(), idStr(gid), p)
	})
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("members %d, want %d", len(got), len(want))
	}
	p, err := e.ad.ListGroupMembers(t.Context(), idStr(empty), domain.PageRequest{Limit: 10})
	e.Must(err)
	if len(p.Items) != 0 || p.Next != "" {
		t.Errorf("empty group page %+v", p)
	}
	_, err = e.ad.ListGroupMembers(t.Context(), idStr(bigID+999), domain.PageRequest{Limit: 10})
	e.WantNotFound(err)
}

func TestAddGroupMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pid := e.sim.AddProperty("等级", 1, "level")
	gid := e.sim.AddGroup("VIP")
	withEmail := e.sim.AddContact(meihuatest.Contact{FullName: "有邮箱", Email: "Has@Example.com", MobilePhone: "138", Properties: map[int64]string{pid: "金卡"}})
	noEmail := e.sim.AddContact(meihuatest.Contact{FullName: "无邮箱"})
	e.clock.Advance(time.Second)
	before, _ := e.sim.Contact(withEmail)

	ch, err := e.ad.AddGroupMembers(t.Context(), idStr(gid), []string{idStr(withEmail), idStr(noEmail), idStr(bigID + 777), "x"})
	e.Must(err)
	if !slices.Equal(ch.Succeeded, []string{idStr(withEmail)}) || len(ch.Failed) != 3 {
		t.Fatalf("change %+v", ch)
	}
	for _, f := range ch.Failed {
		if f.Reason == "" {
			t.Errorf("failure %+v without a reason", f)
		}
	}
	after, _ := e.sim.Contact(withEmail)
	if !slices.Contains(after.GroupIDs, gid) {
		t.Errorf("contact groups %v", after.GroupIDs)
	}
	if after.FullName != before.FullName || after.MobilePhone != before.MobilePhone || after.Properties[pid] != "金卡" || after.Email != before.Email {
		t.Errorf("member changed: %+v, was %+v", after, before)
	}
	if gs := e.sim.Groups(); len(gs) != 1 {
		t.Errorf("groups %+v", gs)
	}
	add := e.requests("/contact/add")
	if len(add) != 1 || param(add[0], "opType") != "2" || param(add[0], "groupName") != "VIP" || param(add[0], "contacts") != `[{"email":"Has@Example.com"}]` {
		t.Errorf("add %+v", add)
	}

	// A group whose name another group has cannot be named in an add.
	e.sim.AddGroup("VIP")
	_, err = e.ad.AddGroupMembers(t.Context(), idStr(gid), []string{idStr(withEmail)})
	e.WantVendor(err, domain.VendorRejected)
	_, err = e.ad.AddGroupMembers(t.Context(), idStr(bigID+5555), []string{idStr(withEmail)})
	e.WantNotFound(err)
	if n := len(e.requests("/contact/add")); n != 1 {
		t.Errorf("%d adds", n)
	}
}
