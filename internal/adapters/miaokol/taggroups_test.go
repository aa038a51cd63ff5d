package miaokol_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Groups are listed in pages of at most 100, whatever the caller's limit,
// and a caller may change its limit from page to page.
func TestListTagGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var want []string
	for i := range 230 {
		g := e.sim.AddGroup(fmt.Sprintf("分组%03d", i))
		want = append(want, idStr(g))
		if i%50 == 0 {
			e.sim.AddTag(g, "标签")
		}
	}
	got := vendortest.CollectPages(t, e.watch, []int{30, 200, 7}, tagGroupID, func(p domain.PageRequest) (domain.Page[domain.TagGroup], error) {
		return e.ad.ListTagGroups(t.Context(), p)
	})
	if !slices.Equal(got, want) {
		t.Fatalf("listed %d groups %v…, want %d in id order", len(got), got[:min(3, len(got))], len(want))
	}
	for _, r := range e.requests("/smart-tag/list") {
		if size, err := strconv.Atoi(r.Query.Get("page_size")); err != nil || size < 1 || size > 100 {
			t.Errorf("page_size %q", r.Query.Get("page_size"))
		}
		if r.Query.Has("with_tags") {
			t.Errorf("groups listed with_tags: %s", r.RawQuery)
		}
	}
	p, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 200})
	e.Must(err)
	if len(p.Items) != 200 || p.Items[0].Name != "分组000" || p.Items[0].ID != idStr(bigID) || p.Items[0].Raw != nil {
		t.Errorf("first page: %d groups, first %+v", len(p.Items), p.Items[0])
	}
	sizes := map[string]int{}
	for _, r := range e.requests("/smart-tag/list")[len(e.requests("/smart-tag/list"))-2:] {
		sizes[r.Query.Get("page")+"/"+r.Query.Get("page_size")]++
	}
	if sizes["1/100"] != 1 || sizes["2/100"] != 1 {
		t.Errorf("a page of 200 asked for %v; want pages 1 and 2 of 100", sizes)
	}
}

func TestListTagGroupsRaw(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddGroup("api分组")
	p, err := e.ad.ListTagGroups(domain.WithRaw(t.Context()), domain.PageRequest{Limit: 5})
	e.Must(err)
	if len(p.Items) != 1 || p.Next != "" {
		t.Fatalf("page %+v", p)
	}
	m := rawMap(t, p.Items[0].Raw)
	if m["name"] != "api分组" || m["type"] != jsonNum(2) || m["id"] != jsonNum(bigID) {
		t.Errorf("raw %s", p.Items[0].Raw)
	}
}

func TestCreateTagGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g, err := e.ad.CreateTagGroup(domain.WithRaw(t.Context()), "客户等级")
	e.Must(err)
	if g.ID != idStr(bigID) || g.Name != "客户等级" || !g.CreatedAt.Equal(e.clock.Now()) || !g.UpdatedAt.Equal(e.clock.Now()) || g.Raw == nil {
		t.Errorf("group %+v", g)
	}
	if gs := e.sim.Groups(); len(gs) != 1 || gs[0].Name != "客户等级" {
		t.Errorf("simulator groups %+v", gs)
	}
	// Miaokol refuses a name it has; the gateway cannot tell why.
	_, err = e.ad.CreateTagGroup(t.Context(), "客户等级")
	if ve := e.WantVendor(err, domain.VendorRejected); ve.Code != "1" {
		t.Errorf("code %q", ve.Code)
	}
	_, err = e.ad.CreateTagGroup(t.Context(), "")
	e.WantValidation(err, "body.name")
}

func TestRenameTagGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.sim.AddGroup("旧名")
	tag := e.sim.AddTag(g, "标签")
	got, err := e.ad.RenameTagGroup(t.Context(), idStr(g), "新名")
	e.Must(err)
	if got.ID != idStr(g) || got.Name != "新名" {
		t.Errorf("group %+v", got)
	}
	if gs := e.sim.Groups(); gs[0].Name != "新名" || len(gs[0].Tags) != 1 {
		t.Errorf("simulator groups %+v", gs)
	}
	look := e.requests("/smart-tag/list")
	if len(look) != 1 || look[0].Query.Get("id") != idStr(g) {
		t.Errorf("lookup %v", look)
	}
	body := bodyOf(t, e.requests("/smart-tag/add")[0])
	if body["id"] != jsonNum(g) || body["type"] != jsonNum(2) || body["name"] != "新名" {
		t.Errorf("add body %v", body)
	}

	before := e.apiCalls()
	for _, id := range []string{"abc", "0", "-1", "+5", "0" + idStr(g), "1.5", "99999999999999999999"} {
		_, err := e.ad.RenameTagGroup(t.Context(), id, "x")
		e.WantValidation(err, "path.tag_group_id")
	}
	if n := e.apiCalls() - before; n != 0 {
		t.Errorf("%d calls for malformed ids", n)
	}
	// A tag's id is no group's: renaming it as one would turn it into a group.
	for _, id := range []int64{tag, g + 100} {
		_, err := e.ad.RenameTagGroup(t.Context(), idStr(id), "x")
		e.WantNotFound(err)
	}
	if len(e.requests("/smart-tag/add")) != 1 {
		t.Error("a rename of no group was sent")
	}
}

func TestDeleteTagGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keep := e.sim.AddGroup("留")
	g := e.sim.AddGroup("删")
	tag := e.sim.AddTag(g, "标签")
	e.sim.AddContact("r1", "c1", tag)
	e.Must(e.ad.DeleteTagGroup(t.Context(), idStr(g)))
	if gs := e.sim.Groups(); len(gs) != 1 || gs[0].ID != keep {
		t.Errorf("simulator groups %+v", gs)
	}
	if c, _ := e.sim.Contact("r1", "c1"); len(c.TagIDs) != 0 {
		t.Errorf("contact keeps tags %v of the deleted group", c.TagIDs)
	}
	body := bodyOf(t, e.requests("/smart-tag/delete")[0])
	if body["id"] != jsonNum(g) || body["app_id"] != appID || len(body) != 3 {
		t.Errorf("delete body %v", body)
	}
	e.WantNotFound(e.ad.DeleteTagGroup(t.Context(), idStr(g)))
	other := e.sim.AddTag(keep, "别删")
	e.WantNotFound(e.ad.DeleteTagGroup(t.Context(), idStr(other)))
	e.WantValidation(e.ad.DeleteTagGroup(t.Context(), "x"+idStr(keep)), "path.tag_group_id")
	if n := len(e.requests("/smart-tag/delete")); n != 1 {
		t.Errorf("%d deletes sent, want 1", n)
	}
	if gs := e.sim.Groups(); len(gs[0].Tags) != 1 {
		t.Errorf("tag deleted as a group: %+v", gs)
	}
}

// A lookup that fails fails the write, which is not sent.
func TestGroupLookupFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.sim.AddGroup("分组")
	e.sim.InjectFault(miaokoltest.Fault{PathPrefix: "/smart-tag/list", Status: http.StatusBadGateway, ContentType: "text/html", Body: "<html></html>"})
	e.WantVendor(e.ad.DeleteTagGroup(t.Context(), idStr(g)), domain.VendorUnavailable)
	if n := len(e.requests("/smart-tag/delete")); n != 0 {
		t.Errorf("%d deletes sent", n)
	}
}
