package meihuatest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
)

func TestAddGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	var g map[string]any
	e.ok(http.MethodPost, "/contact/group/add", vals("name", "0627"), &g)
	want := map[string]any{"id": json.Number("1"), "groupName": "0627", "createAt": json.Number("0"),
		"createTime": json.Number(strconv.FormatInt(t0.UnixMilli(), 10)), "updateTime": json.Number(strconv.FormatInt(t0.UnixMilli(), 10)), "accountId": "7"}
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("group %v, want %v", g, want)
	}
	// A taken name answers the existing group.
	var again map[string]any
	e.ok(http.MethodPost, "/contact/group/add", vals("name", "0627"), &again)
	if again["id"] != g["id"] || len(e.sim.Groups()) != 1 {
		t.Errorf("again %v, groups %+v", again, e.sim.Groups())
	}
	e.fails(http.MethodPost, "/contact/group/add", nil, meihuatest.CodeMissingParameter)
	e.fails(http.MethodPost, "/contact/group/add", vals("name", " "), meihuatest.CodeMissingParameter)
}

func TestListGroupsAndTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{AccountID: 339})
	g1, g2, g3 := e.sim.AddGroup("群组1"), e.sim.AddGroup("VIP Group"), e.sim.AddGroup("vip客户")
	t1, t2 := e.sim.AddTag("标签1"), e.sim.AddTag("VIP")
	c1, c2 := e.sim.AddContact(meihuatest.Contact{}), e.sim.AddContact(meihuatest.Contact{})
	e.sim.AddToGroup(g2, c1, c2)
	e.sim.AddToGroup(g3, c2)
	e.sim.TagContact(t2, c1)
	type item struct {
		GroupName   string      `json:"groupName"`
		TagName     string      `json:"tagName"`
		ID          json.Number `json:"id"`
		ContactSize int         `json:"contactSize"`
	}
	var gp struct {
		Total  int    `json:"total"`
		Groups []item `json:"groups"`
	}
	var tp struct {
		Total int    `json:"total"`
		Tags  []item `json:"tags"`
	}
	id := func(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }
	e.ok(http.MethodGet, "/contact/group/all", vals("page", "1", "limit", "2"), &gp)
	if gp.Total != 3 || fmt.Sprint(gp.Groups) != fmt.Sprint([]item{{GroupName: "vip客户", ID: id(g3), ContactSize: 1}, {GroupName: "VIP Group", ID: id(g2), ContactSize: 2}}) {
		t.Errorf("groups page 1: %+v", gp)
	}
	e.ok(http.MethodGet, "/contact/group/all", vals("page", "2", "limit", "2"), &gp)
	if gp.Total != 3 || len(gp.Groups) != 1 || gp.Groups[0].ID != id(g1) {
		t.Errorf("groups page 2: %+v", gp)
	}
	e.ok(http.MethodGet, "/contact/group/all", vals("page", "1", "limit", "1000", "key", "vip"), &gp)
	if gp.Total != 2 || len(gp.Groups) != 2 {
		t.Errorf("groups with key: %+v", gp)
	}
	e.ok(http.MethodGet, "/contact/tag/all", vals("page", "1", "limit", "10"), &tp)
	if tp.Total != 2 || fmt.Sprint(tp.Tags) != fmt.Sprint([]item{{TagName: "VIP", ID: id(t2), ContactSize: 1}, {TagName: "标签1", ID: id(t1)}}) {
		t.Errorf("tags: %+v", tp)
	}
	e.ok(http.MethodGet, "/contact/tag/all", vals("page", "1", "limit", "10", "key", "标签"), &tp)
	if tp.Total != 1 || tp.Tags[0].ID != id(t1) {
		t.Errorf("tags with key: %+v", tp)
	}
	e.ok(http.MethodGet, "/contact/tag/all", vals("page", "1", "limit", "10", "key", "none"), &tp)
	if data := e.ok(http.MethodGet, "/contact/tag/all", vals("page", "1", "limit", "10", "key", "none"), nil); string(data) != `{"total":0,"tags":[]}` {
		t.Errorf("no tags: %s", data)
	}
	if data := e.ok(http.MethodGet, "/contact/group/all", vals("page", "9", "limit", "10"), nil); string(data) != `{"total":3,"groups":[]}` {
		t.Errorf("past the end: %s", data)
	}
	for _, path := range []string{"/contact/group/all", "/contact/tag/all"} {
		for _, params := range []url.Values{vals("limit", "1"), vals("page", "1"), vals("page", "0", "limit", "1"), vals("page", "1", "limit", "0")} {
			e.fails(http.MethodGet, path, params, meihuatest.CodeMissingParameter)
		}
	}
}

func TestDeleteGroups(t *testing.T) {
	t.Parallel()
	for _, flag := range []string{"true", "false"} {
		t.Run(flag, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, meihuatest.Config{})
			g1, g2, keep := e.sim.AddGroup("a"), e.sim.AddGroup("b"), e.sim.AddGroup("keep")
			c1 := e.sim.AddContact(meihuatest.Contact{GroupIDs: []int64{g1, keep}})
			c2 := e.sim.AddContact(meihuatest.Contact{GroupIDs: []int64{g2}})
			c3 := e.sim.AddContact(meihuatest.Contact{GroupIDs: []int64{keep}})
			data := e.ok(http.MethodPost, "/contact/group/delete", vals("ids", fmt.Sprintf("[%d,%d,424242]", g1, g2), "flag", flag), nil)
			if string(data) != `"success"` {
				t.Errorf("data %s", data)
			}
			if gs := e.sim.Groups(); len(gs) != 1 || gs[0].ID != keep {
				t.Errorf("groups %+v", gs)
			}
			want := []int64{c1, c2, c3}
			if flag == "true" {
				want = []int64{c3}
			}
			var got []int64
			for _, c := range e.sim.Contacts() {
				got = append(got, c.ID)
				if len(c.GroupIDs) > 1 || (len(c.GroupIDs) == 1 && c.GroupIDs[0] != keep) {
					t.Errorf("contact %d still in %v", c.ID, c.GroupIDs)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("contacts %v, want %v", got, want)
			}
			for _, params := range []url.Values{vals("ids", fmt.Sprintf("[%d]", keep)), vals("ids", fmt.Sprintf("[%d]", keep), "flag", "yes"),
				vals("flag", "true"), vals("ids", "[]", "flag", "true"), vals("ids", "x", "flag", "true")} {
				e.fails(http.MethodPost, "/contact/group/delete", params, meihuatest.CodeMissingParameter)
			}
		})
	}
}

func TestAddTag(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	for range 2 {
		if data := e.ok(http.MethodPost, "/contact/tag/add", vals("name", "高价值"), nil); string(data) != `"success"` {
			t.Errorf("data %s", data)
		}
	}
	if tags := e.sim.Tags(); len(tags) != 1 || tags[0].Name != "高价值" || tags[0].CreateTime != t0.UnixMilli() {
		t.Errorf("tags %+v", tags)
	}
	e.fails(http.MethodPost, "/contact/tag/add", nil, meihuatest.CodeMissingParameter)
}

func TestProperties(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	data := e.ok(http.MethodPost, "/contact/property/add", vals("label", "行业", "fieldType", "2", "description", "所属行业",
		"subpropertys", `[{"label":"电商行业"},{"label":"化工行业"}]`), nil)
	if string(data) != `"success"` {
		t.Errorf("data %s", data)
	}
	e.ok(http.MethodPost, "/contact/property/add", vals("label", "注册时间", "fieldType", "1", "description", "字段描述"), nil)
	e.ok(http.MethodPost, "/contact/property/add", vals("label", "注册时间", "fieldType", "1", "description", "labels repeat"), nil)
	ps := e.sim.Properties()
	if len(ps) != 3 || fmt.Sprint(ps[0].Options) != "[电商行业 化工行业]" || ps[0].FieldType != 2 || ps[1].FieldType != 1 {
		t.Fatalf("properties %+v", ps)
	}
	all := e.ok(http.MethodPost, "/contact/property/all", nil, nil)
	if want := `[{"description":"所属行业","id":1,"label":"行业","type":2},{"description":"字段描述","id":2,"label":"注册时间","type":1},{"description":"labels repeat","id":3,"label":"注册时间","type":1}]`; string(all) != want {
		t.Errorf("all %s\nwant %s", all, want)
	}
	// Edit: options kept without subpropertys, replaced with them, dropped
	// for a text field.
	e.ok(http.MethodPost, "/contact/property/edit", vals("id", "1", "label", "所属行业", "fieldType", "2", "description", "d"), nil)
	if p := e.sim.Properties()[0]; p.Label != "所属行业" || len(p.Options) != 2 {
		t.Errorf("edited %+v", p)
	}
	e.ok(http.MethodPost, "/contact/property/edit", vals("id", "1", "label", "所属行业", "fieldType", "2", "description", "d", "subpropertys", `[{"label":"零售"}]`), nil)
	if p := e.sim.Properties()[0]; fmt.Sprint(p.Options) != "[零售]" {
		t.Errorf("edited %+v", p)
	}
	e.ok(http.MethodPost, "/contact/property/edit", vals("id", "1", "label", "行业", "fieldType", "1", "description", "d"), nil)
	if p := e.sim.Properties()[0]; p.FieldType != 1 || p.Options != nil {
		t.Errorf("edited %+v", p)
	}
	// Delete takes the values with it.
	c := e.sim.AddContact(meihuatest.Contact{Properties: map[int64]string{1: "零售", 2: "2020"}})
	e.ok(http.MethodPost, "/contact/property/delete", vals("id", "1"), nil)
	e.ok(http.MethodPost, "/contact/property/delete", vals("id", "424242"), nil)
	if got, _ := e.sim.Contact(c); len(e.sim.Properties()) != 2 || fmt.Sprint(got.Properties) != "map[2:2020]" {
		t.Errorf("after delete: %+v, %+v", e.sim.Properties(), got.Properties)
	}

	full := []string{"label", "l", "fieldType", "1", "description", "d"}
	change := func(name, value string) url.Values {
		v := vals(full...)
		if value == "" {
			v.Del(name)
		} else {
			v.Set(name, value)
		}
		return v
	}
	for _, params := range []url.Values{change("label", ""), change("fieldType", ""), change("description", ""),
		change("description", " "), change("fieldType", "3"), change("fieldType", "text"), change("subpropertys", "[{"),
		change("subpropertys", `[{"name":"x"}]`), change("subpropertys", `{"label":"x"}`)} {
		e.fails(http.MethodPost, "/contact/property/add", params, meihuatest.CodeMissingParameter)
		params.Set("id", "2")
		e.fails(http.MethodPost, "/contact/property/edit", params, meihuatest.CodeMissingParameter)
	}
	e.fails(http.MethodPost, "/contact/property/edit", vals(append(full, "id", "424242")...), meihuatest.CodeMissingParameter)
	e.fails(http.MethodPost, "/contact/property/edit", vals(full...), meihuatest.CodeMissingParameter)
	e.fails(http.MethodPost, "/contact/property/delete", nil, meihuatest.CodeMissingParameter)
	e.fails(http.MethodPost, "/contact/property/delete", vals("id", "[2,3]"), meihuatest.CodeMissingParameter)
	if n := len(e.sim.Properties()); n != 2 {
		t.Errorf("%d properties after refused calls", n)
	}
}

func TestContactSetting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{AccountID: 339})
	e.sim.AddProperty("API测试额外字段(文本)", 1, "d")
	e.sim.AddProperty("API测试额外字段(下拉框)", 2, "d", "选项1")
	var s struct {
		ID      json.Number      `json:"id"`
		Setting []map[string]any `json:"setting"`
	}
	e.ok(http.MethodGet, "/contact/setting", nil, &s)
	var names []string
	for i, f := range s.Setting {
		names = append(names, f["field"].(string))
		if got := keysOf(f); !equalStrings(got, sorted("field", "name", "isOrigin", "isShowInQuery", "orderby", "type")) || f["orderby"] != json.Number(strconv.Itoa(i+1)) {
			t.Errorf("setting %d: %v", i, f)
		}
	}
	want := []string{"fullName", "gender", "birthday", "companyName", "jobTitle", "email", "workPhone", "mobilePhone", "website",
		"fax", "country", "province", "city", "address", "postCode", "qQ", "weibo", "weixin", "notes", "1", "2"}
	if s.ID != "339" || !equalStrings(names, want) {
		t.Errorf("id %s fields %v", s.ID, names)
	}
	first, gender, drop := s.Setting[0], s.Setting[1], s.Setting[20]
	if first["name"] != "姓名" || first["isOrigin"] != true || first["isShowInQuery"] != true || first["type"] != json.Number("1") ||
		gender["name"] != "性别" || gender["isShowInQuery"] != false ||
		drop["name"] != "API测试额外字段(下拉框)" || drop["isOrigin"] != false || drop["type"] != json.Number("2") {
		t.Errorf("setting %v %v %v", first, gender, drop)
	}
}
