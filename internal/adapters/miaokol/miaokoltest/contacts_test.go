package miaokoltest_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
)

// contactInfo is /smart-tag/updateContact's data.
type contactInfo struct {
	RelWxid     string  `json:"rel_wxid"`
	ContactWxid string  `json:"contact_wxid"`
	SmartTagIDs []int64 `json:"smart_tag_ids"`
}

func (e *env) updateContact(rel, contact string, ids any) contactInfo {
	e.t.Helper()
	var info contactInfo
	data := e.ok(http.MethodPost, "/smart-tag/updateContact", params{"rel_wxid": rel, "contact_wxid": contact, "smart_tag_ids": ids}, &info)
	var members map[string]any
	decode(e.t, data, &members)
	if len(members) != 3 {
		e.t.Errorf("contact info %s", data)
	}
	return info
}

func (e *env) tagsOf(rel, contact string) []int64 {
	e.t.Helper()
	c, ok := e.sim.Contact(rel, contact)
	if !ok {
		e.t.Fatalf("no contact %s/%s", rel, contact)
	}
	return c.TagIDs
}

func TestUpdateContactOverwrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	seedOne(e) // rel/c carries tag 2 of group 1
	h := e.sim.AddGroup("H")
	x := e.sim.AddTag(h, "x")
	e.sim.AddContact("rel", "other", 2)

	steps := []struct {
		ids  any
		want []int64
	}{
		{[]int64{3, x}, []int64{3, x}}, // tag 2 is gone: a full overwrite
		{[]int64{x, 2, x, 2}, []int64{2, x}},
		{[]int64{}, []int64{}},
		{[]int64{3}, []int64{3}},
	}
	for _, s := range steps {
		info := e.updateContact("rel", "c", s.ids)
		if !reflect.DeepEqual(info, contactInfo{"rel", "c", s.want}) {
			t.Errorf("%v: answered %+v", s.ids, info)
		}
		if got := e.tagsOf("rel", "c"); !reflect.DeepEqual(got, s.want) {
			t.Errorf("%v: contact has %v", s.ids, got)
		}
	}
	if got := e.tagsOf("rel", "other"); !reflect.DeepEqual(got, []int64{2}) {
		t.Errorf("another contact changed: %v", got)
	}
	a := e.call(http.MethodPost, "/smart-tag/updateContact", params{"rel_wxid": "rel", "contact_wxid": "c", "smart_tag_ids": []int{}})
	if !strings.Contains(string(a.body), `"smart_tag_ids":[]`) {
		t.Errorf("cleared: %s", a.body)
	}
	// The counts follow.
	e.updateContact("rel", "c", []int64{2, 3, x})
	groups, _ := e.list(params{"with_tags": 1})
	if groups[0].Number != "2" || (*groups[0].Tags)[1].ContactCnt != "2" || (*groups[0].Tags)[0].ContactCnt != "1" ||
		groups[1].Number != "1" || (*groups[1].Tags)[0].ContactCnt != "1" {
		t.Errorf("counts %+v %+v", groups, *groups[0].Tags)
	}
}

// Contact ids are matched exactly, whatever characters they hold.
func TestUpdateContactIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	seedOne(e)
	ids := [][2]string{{"1688851873049028", "wm~Jx9Kq_7c-2"}, {"wxid_kf-shanghai_01", "wxid_张伟_88"}, {"rel", "C"}, {"rel ", "c"}}
	for _, id := range ids {
		e.sim.AddContact(id[0], id[1])
	}
	for _, id := range ids {
		if info := e.updateContact(id[0], id[1], []int{3}); info.RelWxid != id[0] || info.ContactWxid != id[1] {
			t.Errorf("%q: answered %+v", id, info)
		}
	}
	if got := e.tagsOf("rel", "c"); !reflect.DeepEqual(got, []int64{2}) {
		t.Errorf("rel/c changed: %v", got)
	}
}

func TestUpdateContactRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	seedOne(e)
	e.sim.AddContact("rel2", "d")
	e.refused("/smart-tag/updateContact", []refusal{
		{"unknown contact", params{"rel_wxid": "rel", "contact_wxid": "d", "smart_tag_ids": []int{3}}, "客户不存在"},
		{"ids swapped", params{"rel_wxid": "c", "contact_wxid": "rel", "smart_tag_ids": []int{3}}, "客户不存在"},
		{"unknown tag", params{"rel_wxid": "rel", "contact_wxid": "c", "smart_tag_ids": []int{3, 99}}, "99"},
		{"a group id", params{"rel_wxid": "rel", "contact_wxid": "c", "smart_tag_ids": []int{1}}, "标签不存在"},
		{"ids as strings, as the list gives them", params{"rel_wxid": "rel", "contact_wxid": "c", "smart_tag_ids": []string{"2", "3"}}, "smart_tag_ids"},
		{"a fraction", params{"rel_wxid": "rel", "contact_wxid": "c", "smart_tag_ids": []float64{2.5}}, "smart_tag_ids"},
		{"a null id", params{"rel_wxid": "rel", "contact_wxid": "c", "smart_tag_ids": []any{3, nil}}, "smart_tag_ids"},
		{"one id, not an array", params{"rel_wxid": "rel", "contact_wxid": "c", "smart_tag_ids": 3}, "smart_tag_ids"},
		{"comma-separated ids", params{"rel_wxid": "rel", "contact_wxid": "c", "smart_tag_ids": "2,3"}, "smart_tag_ids"},
		{"no smart_tag_ids", params{"rel_wxid": "rel", "contact_wxid": "c"}, "smart_tag_ids"},
		{"null smart_tag_ids", params{"rel_wxid": "rel", "contact_wxid": "c", "smart_tag_ids": nil}, "smart_tag_ids"},
		{"no rel_wxid", params{"contact_wxid": "c", "smart_tag_ids": []int{3}}, "rel_wxid"},
		{"empty rel_wxid", params{"rel_wxid": "", "contact_wxid": "c", "smart_tag_ids": []int{3}}, "rel_wxid"},
		{"no contact_wxid", params{"rel_wxid": "rel", "smart_tag_ids": []int{3}}, "contact_wxid"},
		{"numeric contact_wxid", params{"rel_wxid": "rel", "contact_wxid": 7881302795046315, "smart_tag_ids": []int{3}}, "contact_wxid"},
	})
}

func TestContactHelpers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	seedOne(e)
	e.sim.AddContact("rel", "c", 3, 2, 3) // replaces, sorted, once each
	e.sim.AddContact("a", "z")
	if _, ok := e.sim.Contact("rel", "nobody"); ok {
		t.Error("Contact found nobody")
	}
	want := []miaokoltest.Contact{{RelWxid: "a", ContactWxid: "z", TagIDs: []int64{}}, {RelWxid: "rel", ContactWxid: "c", TagIDs: []int64{2, 3}}}
	got := e.sim.Contacts()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("contacts %+v", got)
	}
	got[1].TagIDs[0] = 99 // a copy
	if c, _ := e.sim.Contact("rel", "c"); c.TagIDs[0] != 2 {
		t.Error("Contacts shares its slices")
	}
	defer func() {
		if recover() == nil {
			t.Error("AddContact took a group id as a tag")
		}
	}()
	e.sim.AddContact("a", "z", 1)
}
