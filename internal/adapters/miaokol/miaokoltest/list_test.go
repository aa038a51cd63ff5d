package miaokoltest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
)

// The documented examples, replayed: /smart-tag/add of the example group
// (with the type the table requires), batchAddTag of its two tags, and the
// list of that group with page_size 20 (the example's perPage).
func TestDocumentedExamplesReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	data := e.ok(http.MethodPost, "/smart-tag/add", params{"name": "api分组", "type": 2}, nil)
	sameJSON(t, data, `{ "id":1, "user_id":2, "sub_user_id":0, "corp_id":0, "module":47, "name":"api分组", "type":2,
		"is_delete":0, "number":0, "parent_id":0, "ctime":1655969708, "utime":1655969708, "sort":0, "extra":null }`)

	a := e.call(http.MethodPost, "/smart-tag/batchAddTag", params{"group_id": 1, "tag_names": []string{"删", "增"}})
	sameJSON(t, a.body, `{ "data":null, "errcode":0 }`)

	a = e.call(http.MethodGet, "/smart-tag/list", params{"page": 1, "page_size": 20, "with_tags": 1, "id": 1})
	sameJSON(t, a.body, `{ "data":[ { "id":1, "name":"api分组", "type":2, "number":0, "tags":[
		{ "id":"2", "name":"删", "parent_id":"1", "sort":"2", "contact_cnt":0 },
		{ "id":"3", "name":"增", "parent_id":"1", "sort":"1", "contact_cnt":0 } ] } ],
		"pager":{ "page":1, "perPage":20, "numRecords":1, "numPages":1, "firstRecord":0, "lastRecord":0 }, "errcode":0 }`)

	e.sim.AddContact("1688851873049028", "7881302795046315")
	a = e.call(http.MethodPost, "/smart-tag/updateContact", params{"rel_wxid": "1688851873049028", "contact_wxid": "7881302795046315", "smart_tag_ids": []int{1 + 1, 2}})
	sameJSON(t, a.body, `{ "data":{ "rel_wxid":"1688851873049028", "contact_wxid":"7881302795046315", "smart_tag_ids":[2] }, "errcode":0 }`)

	a = e.call(http.MethodPost, "/smart-tag/delete", params{"id": 1})
	sameJSON(t, a.body, `{ "data":null, "errcode":0 }`)
}

// The documented /smart-tag/add request leaves out type, which the table
// requires: it is refused.
func TestDocumentedAddRequestWithoutType(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	if msg := e.fails(http.MethodPost, "/smart-tag/add", params{"name": "api分组"}, miaokoltest.CodeFailure); !strings.Contains(msg, "type") {
		t.Errorf("errmsg %q", msg)
	}
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{FirstID: 100})
	groups, pg := e.list(nil)
	if len(groups) != 0 || pg != (pager{Page: 1, PerPage: 10}) {
		t.Errorf("empty: %v %+v", groups, pg)
	}
	for i := range 25 {
		e.sim.AddGroup(fmt.Sprintf("g%02d", i))
	}
	tests := []struct {
		name  string
		p     params
		first string
		n     int
		pager pager
	}{
		{"defaults", nil, "g00", 10, pager{1, 10, 25, 3, 0, 9}},
		{"page 2", params{"page": 2}, "g10", 10, pager{2, 10, 25, 3, 10, 19}},
		{"last page", params{"page": 3}, "g20", 5, pager{3, 10, 25, 3, 20, 24}},
		{"past the end", params{"page": 4}, "", 0, pager{4, 10, 25, 3, 0, 0}},
		{"page_size 1", params{"page_size": 1, "page": 25}, "g24", 1, pager{25, 1, 25, 25, 24, 24}},
		{"page_size 100", params{"page_size": 100}, "g00", 25, pager{1, 100, 25, 1, 0, 24}},
		{"page_size 7", params{"page_size": 7, "page": 4}, "g21", 4, pager{4, 7, 25, 4, 21, 24}},
		{"empty values are absent", params{"page": "", "page_size": "", "with_tags": "", "id": ""}, "g00", 10, pager{1, 10, 25, 3, 0, 9}},
		{"id 0 is no filter", params{"id": 0}, "g00", 10, pager{1, 10, 25, 3, 0, 9}},
		{"one group", params{"id": 107}, "g07", 1, pager{1, 10, 1, 1, 0, 0}},
		{"no such group", params{"id": 999}, "", 0, pager{1, 10, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		groups, pg := e.list(tt.p)
		if len(groups) != tt.n || pg != tt.pager || (tt.n > 0 && groups[0].Name != tt.first) {
			t.Errorf("%s: %d groups from %v, pager %+v; want %d from %s, %+v", tt.name, len(groups), names(groups), pg, tt.n, tt.first, tt.pager)
		}
	}
	// Paging through with the pager sees every group once, in id order.
	var all []string
	for page := 1; ; page++ {
		groups, pg := e.list(params{"page": page, "page_size": 4})
		all = append(all, names(groups)...)
		if page >= pg.NumPages {
			break
		}
	}
	if len(all) != 25 || !slices.IsSorted(all) {
		t.Errorf("paged through %v", all)
	}
}

func names(groups []listGroup) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g.Name)
	}
	return out
}

func TestListRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	e.sim.AddGroup("g")
	for _, p := range []params{
		{"page_size": 101}, {"page_size": 1000}, {"page_size": 0}, {"page_size": -1}, {"page_size": "ten"}, {"page_size": "10.0"},
		{"page": 0}, {"page": -1}, {"page": "x"}, {"page": " 1"},
		{"with_tags": 2}, {"with_tags": -1}, {"with_tags": "true"},
		{"id": -1}, {"id": "1,2"}, {"id": "abc"},
	} {
		msg := e.fails(http.MethodGet, "/smart-tag/list", p, miaokoltest.CodeFailure)
		for k := range p {
			if !strings.Contains(msg, k) {
				t.Errorf("%v: errmsg %q does not name %s", p, msg, k)
			}
		}
	}
}

func TestListTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	seedOne(e)
	empty := e.sim.AddGroup("empty")
	e.sim.AddContact("rel", "d", 2, 3)
	e.sim.AddContact("rel2", "c", 3)
	e.sim.AddContact("rel2", "d")

	for _, p := range []params{nil, {"with_tags": 0}} {
		a := e.call(http.MethodGet, "/smart-tag/list", p)
		if strings.Contains(string(a.body), `"tags"`) {
			t.Errorf("%v: tags listed: %s", p, a.body)
		}
	}
	groups, _ := e.list(params{"with_tags": 1})
	want := []listGroup{
		{ID: "1", Name: "G", Type: "2", Number: "3", Tags: &[]listTag{
			{ID: "3", Name: "b", ParentID: "1", Sort: "2", ContactCnt: "2"},
			{ID: "2", Name: "a", ParentID: "1", Sort: "1", ContactCnt: "2"},
		}},
		{ID: json.Number(fmt.Sprint(empty)), Name: "empty", Type: "2", Number: "0", Tags: &[]listTag{}},
	}
	if !reflect.DeepEqual(groups, want) {
		t.Errorf("list\n%+v\nwant\n%+v", groups, want)
	}
	a := e.call(http.MethodGet, "/smart-tag/list", params{"with_tags": 1, "id": empty})
	if !strings.Contains(string(a.body), `"tags":[]`) {
		t.Errorf("a group without tags: %s", a.body)
	}
	// A tag id is no group.
	if groups, pg := e.list(params{"id": 2, "with_tags": 1}); len(groups) != 0 || pg.NumRecords != 0 {
		t.Errorf("id of a tag listed %v", groups)
	}
}

// New tags go on top of their group, a batch in the order given.
func TestTagOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{FirstID: 98})
	g := e.add(params{"name": "g", "type": 2})
	for _, n := range []string{"one", "two"} {
		e.add(params{"name": n, "type": 1, "parent_id": g.ID})
	}
	e.ok(http.MethodPost, "/smart-tag/batchAddTag", params{"group_id": g.ID, "tag_names": []string{"x", "y", "z"}}, nil)
	e.add(params{"name": "three", "type": 1, "parent_id": g.ID})
	groups, _ := e.list(params{"with_tags": 1})
	want := []string{"three", "x", "y", "z", "two", "one"}
	if got := tagNames(groups[0]); !slices.Equal(got, want) {
		t.Errorf("tags %v, want %v", got, want)
	}
	var sorts []string
	for _, tg := range *groups[0].Tags {
		sorts = append(sorts, tg.Sort)
	}
	if !slices.Equal(sorts, []string{"6", "5", "4", "3", "2", "1"}) {
		t.Errorf("sorts %v", sorts)
	}
	sim := e.sim.Groups()[0].Tags
	if len(sim) != 6 || sim[0].Name != "three" || sim[0].Sort != 6 || sim[5].Name != "one" {
		t.Fatalf("Groups() tags %+v", sim)
	}
	// Ids as decimal strings, from 98 on: the group, one, two, x, y, z, three.
	for i, tg := range *groups[0].Tags {
		if want := fmt.Sprint(sim[i].ID); tg.ID != want || tg.ParentID != "98" || groups[0].ID != "98" {
			t.Errorf("tag %+v, want id %s in group 98", tg, want)
		}
	}
	if (*groups[0].Tags)[0].ID != "104" {
		t.Errorf("first tag %+v", (*groups[0].Tags)[0])
	}
}
