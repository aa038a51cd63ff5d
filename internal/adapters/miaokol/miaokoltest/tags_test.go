package miaokoltest_test

import (
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
)

func TestAddCreatesAndEdits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{FirstID: 500})
	g := e.add(params{"name": "  客户等级 ", "type": 2})
	if g != (record{ID: 500, Name: "客户等级", Type: 2, Ctime: t0.Unix(), Utime: t0.Unix()}) {
		t.Errorf("group %+v", g)
	}
	other := e.add(params{"id": 0, "name": "Interests", "type": 2, "parent_id": 0})
	tg := e.add(params{"name": "VIP", "type": 1, "parent_id": g.ID})
	if tg != (record{ID: 502, Name: "VIP", Type: 1, ParentID: 500, Sort: 1, Ctime: t0.Unix(), Utime: t0.Unix()}) {
		t.Errorf("tag %+v", tg)
	}
	e.sim.AddContact("rel", "c", tg.ID)

	e.clock.Advance(time.Hour)
	later := t0.Add(time.Hour).Unix()
	renamed := e.add(params{"id": g.ID, "name": "等级", "type": 2})
	if renamed != (record{ID: 500, Name: "等级", Type: 2, Number: 1, Ctime: t0.Unix(), Utime: later}) {
		t.Errorf("renamed group %+v", renamed)
	}
	// parent_id 0 (or absent) keeps the tag's group.
	rt := e.add(params{"id": tg.ID, "name": "VVIP", "type": 1})
	if rt != (record{ID: 502, Name: "VVIP", Type: 1, ParentID: 500, Number: 1, Sort: 1, Ctime: t0.Unix(), Utime: later}) {
		t.Errorf("renamed tag %+v", rt)
	}
	// The same name is allowed in another group, and an edit may keep its
	// own name.
	e.add(params{"name": "Skincare", "type": 1, "parent_id": other.ID})
	e.add(params{"name": "VIP", "type": 1, "parent_id": other.ID})
	e.add(params{"id": g.ID, "name": "等级", "type": 2})
	// Another parent_id moves the tag there, on top, with its contacts.
	moved := e.add(params{"id": tg.ID, "name": "VVIP", "type": 1, "parent_id": other.ID})
	if moved.ParentID != other.ID || moved.Sort != 3 || moved.Number != 1 {
		t.Errorf("moved tag %+v", moved)
	}
	groups := e.sim.Groups()
	want := []miaokoltest.Group{
		{ID: 500, Name: "等级", Tags: []miaokoltest.Tag{}},
		{ID: 501, Name: "Interests", Tags: []miaokoltest.Tag{
			{ID: 502, GroupID: 501, Name: "VVIP", Sort: 3, ContactCount: 1},
			{ID: 504, GroupID: 501, Name: "VIP", Sort: 2},
			{ID: 503, GroupID: 501, Name: "Skincare", Sort: 1},
		}},
	}
	if !reflect.DeepEqual(groups, want) {
		t.Errorf("groups\n%+v\nwant\n%+v", groups, want)
	}
}

func TestAddRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	seedOne(e) // group 1 "G" with tags 2 "a" and 3 "b"
	other := e.sim.AddGroup("H")
	e.sim.AddTag(other, "c")
	e.refused("/smart-tag/add", []refusal{
		{"no name", params{"type": 2}, "name"},
		{"empty name", params{"name": "", "type": 2}, "name"},
		{"blank name", params{"name": "  ", "type": 2}, "name"},
		{"numeric name", params{"name": 5, "type": 2}, "name"},
		{"no type", params{"name": "x"}, "type"},
		{"type 0", params{"name": "x", "type": 0}, "type"},
		{"type 3", params{"name": "x", "type": 3}, "type"},
		{"type as a string", params{"name": "x", "type": "2"}, "type"},
		{"type with a fraction", params{"name": "x", "type": 2.5}, "type"},
		{"id as a string", params{"id": "1", "name": "x", "type": 2}, "id"},
		{"negative id", params{"id": -1, "name": "x", "type": 2}, "id"},
		{"parent_id as a string", params{"name": "x", "type": 1, "parent_id": "1"}, "parent_id"},
		{"tag without parent_id", params{"name": "x", "type": 1}, "parent_id"},
		{"tag with parent_id 0", params{"name": "x", "type": 1, "parent_id": 0}, "parent_id"},
		{"tag in an unknown group", params{"name": "x", "type": 1, "parent_id": 99}, "分组不存在"},
		{"tag under a tag", params{"name": "x", "type": 1, "parent_id": 2}, "分组不存在"},
		{"group under a group", params{"name": "x", "type": 2, "parent_id": 1}, "parent_id"},
		{"taken group name", params{"name": "G", "type": 2}, "已存在"},
		{"taken group name, trimmed", params{"name": " G ", "type": 2}, "已存在"},
		{"rename to a taken group name", params{"id": other, "name": "G", "type": 2}, "已存在"},
		{"taken tag name", params{"name": "a", "type": 1, "parent_id": 1}, "已存在"},
		{"rename to a taken tag name", params{"id": 2, "name": "b", "type": 1}, "已存在"},
		{"move onto a taken tag name", params{"id": 2, "name": "c", "type": 1, "parent_id": other}, "已存在"},
		{"move to an unknown group", params{"id": 2, "name": "a", "type": 1, "parent_id": 99}, "分组不存在"},
		{"edit an unknown group", params{"id": 99, "name": "x", "type": 2}, "不存在"},
		{"edit an unknown tag", params{"id": 99, "name": "x", "type": 1, "parent_id": 1}, "不存在"},
		{"edit a tag as a group", params{"id": 2, "name": "x", "type": 2}, "分组不存在"},
		{"edit a group as a tag", params{"id": 1, "name": "x", "type": 1, "parent_id": 1}, "标签不存在"},
	})
}

func TestDeleteCascades(t *testing.T) {
	t.Parallel()
	t.Run("a tag", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, miaokoltest.Config{})
		seedOne(e)
		e.sim.AddContact("rel", "d", 2, 3)
		e.ok(http.MethodPost, "/smart-tag/delete", params{"id": 2}, nil)
		if got := e.sim.Contacts(); !reflect.DeepEqual(got, []miaokoltest.Contact{
			{RelWxid: "rel", ContactWxid: "c", TagIDs: []int64{}},
			{RelWxid: "rel", ContactWxid: "d", TagIDs: []int64{3}},
		}) {
			t.Errorf("contacts %+v", got)
		}
		groups, _ := e.list(params{"with_tags": 1})
		if got := tagNames(groups[0]); !slices.Equal(got, []string{"b"}) || groups[0].Number != "1" {
			t.Errorf("group %+v", groups[0])
		}
		e.fails(http.MethodPost, "/smart-tag/delete", params{"id": 2}, miaokoltest.CodeFailure) // gone
	})
	t.Run("a group", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, miaokoltest.Config{})
		seedOne(e)
		keep := e.sim.AddGroup("keep")
		kept := e.sim.AddTag(keep, "k")
		e.sim.AddContact("rel", "d", 2, 3, kept)
		e.ok(http.MethodPost, "/smart-tag/delete", params{"id": 1}, nil)
		if got := e.sim.Contacts(); !reflect.DeepEqual(got, []miaokoltest.Contact{
			{RelWxid: "rel", ContactWxid: "c", TagIDs: []int64{}},
			{RelWxid: "rel", ContactWxid: "d", TagIDs: []int64{kept}},
		}) {
			t.Errorf("contacts %+v", got)
		}
		if got := e.sim.Groups(); len(got) != 1 || got[0].ID != keep || got[0].Tags[0].ContactCount != 1 {
			t.Errorf("groups %+v", got)
		}
		// Its tags went with it.
		for _, id := range []int{1, 2, 3} {
			e.fails(http.MethodPost, "/smart-tag/delete", params{"id": id}, miaokoltest.CodeFailure)
		}
		e.fails(http.MethodPost, "/smart-tag/updateContact", params{"rel_wxid": "rel", "contact_wxid": "c", "smart_tag_ids": []int{2}}, miaokoltest.CodeFailure)
		// Ids are not reused.
		if id := e.add(params{"name": "new", "type": 2}).ID; id != kept+1 {
			t.Errorf("new id %d", id)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, miaokoltest.Config{})
		seedOne(e)
		e.refused("/smart-tag/delete", []refusal{
			{"no id", params{}, "id"},
			{"id 0", params{"id": 0}, "id"},
			{"unknown id", params{"id": 99}, "不存在"},
			{"id as a string", params{"id": "2"}, "id"},
			{"negative id", params{"id": -2}, "id"},
			{"an array", params{"id": []int{2}}, "id"},
		})
	})
}

func TestBatchAddTag(t *testing.T) {
	t.Parallel()
	t.Run("to a group", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, miaokoltest.Config{})
		seedOne(e)
		// Names the group has, and repeats, are skipped; names are trimmed.
		e.ok(http.MethodPost, "/smart-tag/batchAddTag", params{"group_id": 1, "group_name": "ignored", "tag_names": []string{"a", " 新 ", "b", "新", "Other"}}, nil)
		groups, _ := e.list(params{"with_tags": 1})
		if len(groups) != 1 || groups[0].Name != "G" || !slices.Equal(tagNames(groups[0]), []string{"新", "Other", "b", "a"}) {
			t.Errorf("groups %+v %v", groups, tagNames(groups[0]))
		}
		// Again: nothing new.
		before := stateOf(e.sim)
		e.ok(http.MethodPost, "/smart-tag/batchAddTag", params{"group_id": 1, "tag_names": []string{"新", "a"}}, nil)
		e.unchanged(before)
	})
	t.Run("to a new group", func(t *testing.T) {
		t.Parallel()
		for _, p := range []params{
			{"group_id": 0, "group_name": "来源渠道", "tag_names": []string{"直播间", "公众号"}},
			{"group_name": " 来源渠道", "tag_names": []string{"直播间", "公众号"}},
		} {
			e := newEnv(t, miaokoltest.Config{})
			e.ok(http.MethodPost, "/smart-tag/batchAddTag", p, nil)
			want := []miaokoltest.Group{{ID: 1, Name: "来源渠道", Tags: []miaokoltest.Tag{
				{ID: 2, GroupID: 1, Name: "直播间", Sort: 2}, {ID: 3, GroupID: 1, Name: "公众号", Sort: 1},
			}}}
			if got := e.sim.Groups(); !reflect.DeepEqual(got, want) {
				t.Errorf("%v: groups %+v", p, got)
			}
		}
	})
	t.Run("refusals", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, miaokoltest.Config{})
		seedOne(e)
		e.refused("/smart-tag/batchAddTag", []refusal{
			{"no tag_names", params{"group_id": 1}, "tag_names"},
			{"null tag_names", params{"group_id": 1, "tag_names": nil}, "tag_names"},
			{"empty tag_names", params{"group_id": 1, "tag_names": []string{}}, "tag_names"},
			{"a blank name", params{"group_id": 1, "tag_names": []string{"x", " "}}, "tag_names"},
			{"a numeric name", params{"group_id": 1, "tag_names": []any{"x", 1}}, "tag_names"},
			{"a string, not an array", params{"group_id": 1, "tag_names": "增,删"}, "tag_names"},
			{"new group without a name", params{"group_id": 0, "tag_names": []string{"x"}}, "group_name"},
			{"new group with a blank name", params{"group_name": " ", "tag_names": []string{"x"}}, "group_name"},
			{"new group with a taken name", params{"group_name": "G", "tag_names": []string{"x"}}, "已存在"},
			{"new group, bad names", params{"group_name": "N", "tag_names": []string{""}}, "tag_names"},
			{"unknown group", params{"group_id": 99, "tag_names": []string{"x"}}, "分组不存在"},
			{"a tag as the group", params{"group_id": 2, "tag_names": []string{"x"}}, "分组不存在"},
			{"group_id as a string", params{"group_id": "1", "tag_names": []string{"x"}}, "group_id"},
			{"group_name a number", params{"group_name": 7, "tag_names": []string{"x"}}, "group_name"},
		})
	})
}
