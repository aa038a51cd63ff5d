package miaokol_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func rawMap(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := vendorhttp.Unmarshal(raw, &m); err != nil {
		t.Fatalf("raw %s: %v", raw, err)
	}
	return m
}

// simTags is every tag of the simulator in list order, and each tag's
// group.
func simTags(e *env) (ids []string, group map[string]string) {
	group = map[string]string{}
	for _, g := range e.sim.Groups() {
		for _, t := range g.Tags {
			ids = append(ids, idStr(t.ID))
			group[idStr(t.ID)] = idStr(g.ID)
		}
	}
	return ids, group
}

// Every group's tags, across pages of groups, with any limits: each tag
// once, in the groups' order.
func TestListTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 230 {
		g := e.sim.AddGroup(fmt.Sprintf("分组%03d", i))
		for j := range i % 4 { // groups with 0 to 3 tags
			e.sim.AddTag(g, fmt.Sprintf("标签%d", j))
		}
	}
	want, group := simTags(e)
	for _, limits := range [][]int{{1000}, {7, 200, 3}, {100}, {1}} {
		e.sim.ResetRequests()
		got := vendortest.CollectPages(t, e.watch, limits, tagID, func(p domain.PageRequest) (domain.Page[domain.Tag], error) {
			return e.ad.ListTags(t.Context(), domain.TagQuery{}, p)
		})
		if !slices.Equal(got, want) {
			t.Fatalf("limits %v: %d tags, want %d in list order", limits, len(got), len(want))
		}
		for _, r := range e.requests("/smart-tag/list") {
			if r.Query.Get("with_tags") != "1" || r.Query.Get("page_size") != "100" || r.Query.Has("id") {
				t.Errorf("limits %v: list request %s", limits, r.RawQuery)
			}
		}
	}
	e.sim.ResetRequests()
	p, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 1000})
	e.Must(err)
	for _, tag := range p.Items {
		if tag.GroupID != group[tag.ID] || !strings.HasPrefix(tag.Name, "标签") || tag.ContactCount == nil || *tag.ContactCount != 0 || tag.Raw != nil {
			t.Fatalf("tag %+v", tag)
		}
	}
	// All 345 tags: three calls of 100 groups (the last one short).
	if n := len(e.requests("/smart-tag/list")); n != 3 {
		t.Errorf("%d calls for every tag at once, want 3", n)
	}
}

// A page that ends exactly on a full page of groups keeps a cursor; the
// next page is then empty and last.
func TestListTagsEndsOnFullGroupPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 100 {
		e.sim.AddTag(e.sim.AddGroup(fmt.Sprintf("g%d", i)), "t")
	}
	p, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 100})
	e.Must(err)
	if len(p.Items) != 100 || p.Next == "" {
		t.Fatalf("%d tags, next %q", len(p.Items), p.Next)
	}
	p, err = e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 100, State: p.Next})
	e.Must(err)
	if len(p.Items) != 0 || p.Next != "" {
		t.Fatalf("after the last tag: %d tags, next %q", len(p.Items), p.Next)
	}
}

// Only the cursors the tag list writes are followed.
func TestListTagsForeignCursor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, state := range []string{"o5", "t0.0", "t1.-1", "t01.0", "t1.01", "t1", "t1.2.3", "t+1.0", "x"} {
		_, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 5, State: state})
		e.record(err)
		if !errorsIsCursor(err) {
			t.Errorf("state %q: %v, want an invalid cursor", state, err)
		}
	}
	if n := e.apiCalls(); n != 0 {
		t.Errorf("%d calls for foreign cursors", n)
	}
}

// One group's tags: one call with id, every tag of the group.
func TestListTagsOfGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other := e.sim.AddGroup("其他")
	e.sim.AddTag(other, "别的")
	g := e.sim.AddGroup("api分组")
	var want []string
	for i := range 12 {
		want = append(want, idStr(e.sim.AddTag(g, fmt.Sprintf("标签%02d", i))))
	}
	slices.Reverse(want) // the newest on top, as the simulator sorts
	e.sim.AddContact("r", "c", mustID(t, want[0]))
	got := vendortest.CollectPages(t, e.watch, []int{5}, tagID, func(p domain.PageRequest) (domain.Page[domain.Tag], error) {
		return e.ad.ListTags(t.Context(), domain.TagQuery{GroupID: idStr(g)}, p)
	})
	if !slices.Equal(got, want) {
		t.Errorf("tags %v, want %v", got, want)
	}
	for _, r := range e.requests("/smart-tag/list") {
		if r.Query.Get("id") != idStr(g) || r.Query.Get("with_tags") != "1" {
			t.Errorf("list request %s", r.RawQuery)
		}
	}
	p, err := e.ad.ListTags(domain.WithRaw(t.Context()), domain.TagQuery{GroupID: idStr(g)}, domain.PageRequest{Limit: 1})
	e.Must(err)
	tag := p.Items[0]
	if tag.ID != want[0] || tag.GroupID != idStr(g) || tag.ContactCount == nil || *tag.ContactCount != 1 {
		t.Errorf("tag %+v", tag)
	}
	if m := rawMap(t, tag.Raw); m["id"] != want[0] || m["parent_id"] != idStr(g) {
		t.Errorf("raw %s: want the tag's own record, ids as strings", tag.Raw)
	}

	_, err = e.ad.ListTags(t.Context(), domain.TagQuery{GroupID: idStr(g + 1000)}, domain.PageRequest{Limit: 5})
	e.WantNotFound(err)
	_, err = e.ad.ListTags(t.Context(), domain.TagQuery{GroupID: want[0]}, domain.PageRequest{Limit: 5})
	e.WantNotFound(err) // a tag's id is no group's
	before := e.apiCalls()
	_, err = e.ad.ListTags(t.Context(), domain.TagQuery{GroupID: "007"}, domain.PageRequest{Limit: 5})
	e.WantValidation(err, "query.group_id")
	if e.apiCalls() != before {
		t.Error("a malformed group id was sent")
	}
}

// Tag ids come as strings in lists and as numbers elsewhere; both are
// read exactly, beyond 2^53, as are group ids in either form.
func TestTagIDsAsStringsAndNumbers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"data":[{"id":9007199254740993,"name":"a","type":2,"tags":[` +
		`{"id":"9007199254740995","name":"s","parent_id":"9007199254740993","sort":"2","contact_cnt":3},` +
		`{"id":9007199254740997,"name":"n","parent_id":9007199254740993,"sort":1,"contact_cnt":"4"}]},` +
		`{"id":"9007199254740999","name":"b","type":"2","tags":[]}],` +
		`"pager":{"page":1,"perPage":100,"numRecords":2,"numPages":1,"firstRecord":0,"lastRecord":1},"errcode":0}`
	e.sim.InjectFault(miaokoltest.Fault{PathPrefix: "/smart-tag/list", Times: 2, Status: 200, ContentType: "application/json", Body: body})
	p, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 10})
	e.Must(err)
	if len(p.Items) != 2 || p.Items[0].ID != "9007199254740995" || p.Items[1].ID != "9007199254740997" ||
		p.Items[0].GroupID != "9007199254740993" || *p.Items[0].ContactCount != 3 || *p.Items[1].ContactCount != 4 {
		t.Errorf("tags %+v", p.Items)
	}
	g, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 10})
	e.Must(err)
	if len(g.Items) != 2 || g.Items[1].ID != "9007199254740999" {
		t.Errorf("groups %+v", g.Items)
	}
}

// Records the gateway cannot use are bad answers, not quiet gaps.
func TestListUnreadableRecords(t *testing.T) {
	t.Parallel()
	for name, data := range map[string]string{
		"group without id": `[{"name":"a","type":2}]`,
		"tag without id":   `[{"id":1,"name":"a","tags":[{"name":"x"}]}]`,
		"fractional id":    `[{"id":1.5,"name":"a","tags":[]}]`,
		"id of letters":    `[{"id":1,"name":"a","tags":[{"id":"x1","name":"x"}]}]`,
		"data not a list":  `{"id":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.sim.InjectFault(miaokoltest.Fault{PathPrefix: "/smart-tag/list", Status: 200, ContentType: "application/json",
				Body: `{"data":` + data + `,"errcode":0}`})
			_, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 10})
			e.WantVendor(err, domain.VendorBadResponse)
		})
	}
	t.Run("data null is an empty list", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.InjectFault(miaokoltest.Fault{PathPrefix: "/smart-tag/list", Status: 200, ContentType: "application/json", Body: `{"data":null,"errcode":0}`})
		p, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 10})
		e.Must(err)
		if len(p.Items) != 0 || p.Next != "" {
			t.Errorf("page %+v", p)
		}
	})
}

// A vendor that answers the same full page whatever page is asked for
// ends the walk instead of being asked forever.
func TestListTagsVendorRepeatsPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var groups []string
	for i := range 100 {
		groups = append(groups, fmt.Sprintf(`{"id":%d,"name":"g","tags":[{"id":"%d","name":"t"}]}`, i+1, i+1000))
	}
	body := `{"data":[` + strings.Join(groups, ",") + `],"errcode":0}`
	e.sim.InjectFault(miaokoltest.Fault{PathPrefix: "/smart-tag/list", Times: 5, Status: 200, ContentType: "application/json", Body: body})
	p, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 1000})
	e.Must(err)
	if len(p.Items) != 100 || p.Next != "" {
		t.Errorf("%d tags, next %q", len(p.Items), p.Next)
	}
	if n := len(e.requests("/smart-tag/list")); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

func TestCreateTag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.sim.AddGroup("api分组")
	tag, err := e.ad.CreateTag(domain.WithRaw(t.Context()), "增", idStr(g))
	e.Must(err)
	if tag.ID != idStr(g+1) || tag.Name != "增" || tag.GroupID != idStr(g) || !tag.CreatedAt.Equal(e.clock.Now()) || tag.Raw == nil {
		t.Errorf("tag %+v", tag)
	}
	if m := rawMap(t, tag.Raw); m["id"] != jsonNum(g+1) {
		t.Errorf("raw %s", tag.Raw)
	}
	if gs := e.sim.Groups(); len(gs[0].Tags) != 1 || gs[0].Tags[0].Name != "增" {
		t.Errorf("simulator %+v", gs)
	}
	body := bodyOf(t, e.requests("/smart-tag/add")[0])
	if body["id"] != jsonNum(0) || body["type"] != jsonNum(1) || body["parent_id"] != jsonNum(g) || body["name"] != "增" {
		t.Errorf("add body %v", body)
	}
	if l := e.requests("/smart-tag/list"); len(l) != 1 || l[0].Query.Get("id") != idStr(g) || l[0].Query.Has("with_tags") {
		t.Errorf("group lookup %v", l)
	}

	_, err = e.ad.CreateTag(t.Context(), "增", idStr(g))
	e.WantVendor(err, domain.VendorRejected) // Miaokol has this name in the group

	before := e.apiCalls()
	_, err = e.ad.CreateTag(t.Context(), "无组", "")
	e.WantValidation(err, "body.group_id")
	_, err = e.ad.CreateTag(t.Context(), "x", "g1")
	e.WantValidation(err, "body.group_id")
	_, err = e.ad.CreateTag(t.Context(), "", idStr(g))
	e.WantValidation(err, "body.name")
	if e.apiCalls() != before {
		t.Error("refused input was sent")
	}
	_, err = e.ad.CreateTag(t.Context(), "x", idStr(g+1000))
	e.WantNotFound(err)
	_, err = e.ad.CreateTag(t.Context(), "x", tag.ID) // a tag is no group
	e.WantNotFound(err)
	if n := len(e.requests("/smart-tag/add")); n != 2 {
		t.Errorf("%d adds, want 2", n)
	}
}

func TestRenameTag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 150 { // the tag is on the second page of groups
		e.sim.AddGroup(fmt.Sprintf("g%d", i))
	}
	g := e.sim.AddGroup("api分组")
	tag := e.sim.AddTag(g, "删")
	e.sim.AddContact("r", "c", tag)
	got, err := e.ad.RenameTag(t.Context(), idStr(tag), "删除")
	e.Must(err)
	if got.ID != idStr(tag) || got.Name != "删除" || got.GroupID != idStr(g) || got.ContactCount == nil || *got.ContactCount != 1 {
		t.Errorf("tag %+v", got)
	}
	body := bodyOf(t, e.requests("/smart-tag/add")[0])
	if body["id"] != jsonNum(tag) || body["type"] != jsonNum(1) || body["parent_id"] != jsonNum(g) || body["name"] != "删除" {
		t.Errorf("add body %v", body)
	}
	if gs := e.sim.Groups(); gs[150].Tags[0].Name != "删除" {
		t.Errorf("simulator %+v", gs[150])
	}
	_, err = e.ad.RenameTag(t.Context(), idStr(g), "x") // a group is no tag
	e.WantNotFound(err)
	_, err = e.ad.RenameTag(t.Context(), idStr(tag+1000), "x")
	e.WantNotFound(err)
	before := e.apiCalls()
	_, err = e.ad.RenameTag(t.Context(), "mk_1", "x")
	e.WantValidation(err, "path.tag_id")
	_, err = e.ad.RenameTag(t.Context(), idStr(tag), "")
	e.WantValidation(err, "body.name")
	if e.apiCalls() != before {
		t.Error("refused input was sent")
	}
	if n := len(e.requests("/smart-tag/add")); n != 1 {
		t.Errorf("%d adds, want 1", n)
	}
}

func TestDeleteTag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.sim.AddGroup("api分组")
	a, b := e.sim.AddTag(g, "增"), e.sim.AddTag(g, "删")
	e.sim.AddContact("r", "c", a, b)
	e.Must(e.ad.DeleteTag(t.Context(), idStr(a)))
	if gs := e.sim.Groups(); len(gs) != 1 || len(gs[0].Tags) != 1 || gs[0].Tags[0].ID != b {
		t.Errorf("simulator %+v", gs)
	}
	if c, _ := e.sim.Contact("r", "c"); !slices.Equal(c.TagIDs, []int64{b}) {
		t.Errorf("contact tags %v", c.TagIDs)
	}
	if body := bodyOf(t, e.requests("/smart-tag/delete")[0]); body["id"] != jsonNum(a) {
		t.Errorf("delete body %v", body)
	}
	e.WantNotFound(e.ad.DeleteTag(t.Context(), idStr(a)))
	e.WantNotFound(e.ad.DeleteTag(t.Context(), idStr(g))) // never the group and its tags
	e.WantValidation(e.ad.DeleteTag(t.Context(), ""), "path.tag_id")
	if n := len(e.requests("/smart-tag/delete")); n != 1 {
		t.Errorf("%d deletes, want 1", n)
	}
	if len(e.sim.Groups()) != 1 {
		t.Error("the group was deleted")
	}
}

// The answer of an add is read tolerantly for a rename (what was written
// is known) and strictly for a create (the id is needed).
func TestAddAnswers(t *testing.T) {
	t.Parallel()
	ok := func(data string) miaokoltest.Fault {
		return miaokoltest.Fault{PathPrefix: "/smart-tag/add", Status: 200, ContentType: "application/json", Body: `{"data":` + data + `,"errcode":0}`}
	}
	t.Run("create without id", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.InjectFault(ok(`null`))
		_, err := e.ad.CreateTagGroup(t.Context(), "x")
		e.WantVendor(err, domain.VendorBadResponse)
	})
	t.Run("create with id as a string", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.InjectFault(ok(`{"id":"9007199254740993","name":"x","type":"2","ctime":"1655969708"}`))
		g, err := e.ad.CreateTagGroup(t.Context(), "x")
		e.Must(err)
		if g.ID != "9007199254740993" || g.CreatedAt.Unix() != 1655969708 {
			t.Errorf("group %+v", g)
		}
	})
	t.Run("rename without a record", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		g := e.sim.AddGroup("a")
		e.sim.InjectFault(ok(`true`))
		got, err := e.ad.RenameTagGroup(t.Context(), idStr(g), "b")
		e.Must(err)
		if got.ID != idStr(g) || got.Name != "b" {
			t.Errorf("group %+v", got)
		}
	})
	t.Run("rename answering another record", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		g := e.sim.AddGroup("a")
		e.sim.InjectFault(ok(`{"id":5,"name":"b"}`))
		_, err := e.ad.RenameTagGroup(t.Context(), idStr(g), "b")
		e.WantVendor(err, domain.VendorBadResponse)
	})
}

func errorsIsCursor(err error) bool { return errors.Is(err, domain.ErrInvalidCursor) }
