package meihuatest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
)

// sampleContacts is the documentation's /contact/add example, comments
// removed, "city_zh " and its trailing space included.
const sampleContacts = `[
{"fullName":"测试名称1","gender":true,"birthday":1443628800000,"companyName":"梅花信息","jobTitle":"开发",
 "email":"meihua1@meihua.info","workPhone":"13800000012","mobilePhone":" ","website":" ","fax":" ","country":" ",
 "province_zh":"上海","city_zh ":"上海","address":" ","postCode":" ","qQ":" ","weibo":" ","weixin":" ","notes":" ",
 "propertys":[{"propertyId":159,"label":"文本"},{"propertyId":160,"label":"文字"}]},
{"fullName":"测试名称2","gender":true,"birthday":1443628800000,"companyName":"梅花信息","jobTitle":"开发",
 "email":"meihua2@meihua.info","workPhone":"13800000013","mobilePhone":" ","website":" ","fax":" ","country":" ",
 "province_zh":"上海","city_zh ":"上海","address":" ","postCode":" ","qQ":" ","weibo":" ","weixin":" ","notes":" ",
 "propertys":[{"propertyId":159,"label":"文本"},{"propertyId":160,"label":"339"}]}
]`

// sampleEnv has the sample's properties 159 (text) and 160 (dropdown).
func sampleEnv(t *testing.T, cfg meihuatest.Config) *env {
	t.Helper()
	cfg.FirstID = 159
	e := newEnv(t, cfg)
	e.sim.AddProperty("API测试额外字段(文本)", 1, "文本")
	e.sim.AddProperty("API测试额外字段(下拉框)", 2, "下拉框", "选项1", "选项2")
	return e
}

func add(contacts, opType string, kv ...string) url.Values {
	return vals(append([]string{"contacts", contacts, "opType", opType}, kv...)...)
}

func TestAddTheDocumentedSample(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t, meihuatest.Config{})
	data := e.ok(http.MethodPost, "/contact/add", add(sampleContacts, "1"), nil)
	if string(data) != `{"groupId":"null"}` {
		t.Errorf("data %s, want the string \"null\"", data)
	}
	cs := e.sim.Contacts()
	if len(cs) != 2 {
		t.Fatalf("%d contacts", len(cs))
	}
	want := meihuatest.Contact{
		ID: 161, FullName: "测试名称1", Gender: boolPtr(true), Birthday: 1443628800000, CompanyName: "梅花信息", JobTitle: "开发",
		Email: "meihua1@meihua.info", WorkPhone: "13800000012", MobilePhone: " ", Website: " ", Fax: " ", Country: " ",
		ProvinceZh: "上海", CityZh: " ", Address: " ", PostCode: " ", QQ: " ", Weibo: " ", Weixin: " ", Notes: " ",
		Properties: map[int64]string{159: "文本", 160: "文字"}, Source: "API导入",
		CreateTime: t0.UnixMilli(), UpdateTime: t0.UnixMilli(),
	}
	if !reflect.DeepEqual(cs[0], want) {
		t.Errorf("stored\n%+v\nwant (\"city_zh \" is not city_zh)\n%+v", cs[0], want)
	}
	if cs[1].ID != 163 || cs[1].Properties[160] != "339" {
		t.Errorf("second contact %+v: ids are shared with the API导入 source (162)", cs[1])
	}
}

func TestAddGroupName(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	one := `[{"fullName":"王伟","email":"wang@example.com"},{"fullName":"No Email"}]`
	var res struct {
		GroupID json.Number `json:"groupId"`
	}
	data := e.ok(http.MethodPost, "/contact/add", add(one, "1", "groupName", "新客户"), &res)
	gs := e.sim.Groups()
	if len(gs) != 1 || gs[0].Name != "新客户" || res.GroupID.String() != strconv.FormatInt(gs[0].ID, 10) || strings.Contains(string(data), `"`+res.GroupID.String()) {
		t.Fatalf("data %s, groups %+v: want groupId as a number", data, gs)
	}
	if len(gs[0].ContactIDs) != 2 {
		t.Errorf("members %v", gs[0].ContactIDs)
	}
	// The same name again: the group is reused, and every contact the call
	// names joins it, even one opType 3 leaves untouched.
	id := e.sim.AddContact(meihuatest.Contact{Email: "old@example.com"})
	e.ok(http.MethodPost, "/contact/add", add(`[{"email":"OLD@example.com","fullName":"x"}]`, "3", "groupName", "新客户"), &res)
	g, _ := e.sim.Group(gs[0].ID)
	if res.GroupID.String() != strconv.FormatInt(g.ID, 10) || len(e.sim.Groups()) != 1 || len(g.ContactIDs) != 3 || g.ContactIDs[2] != id {
		t.Errorf("groupId %s, groups %+v", res.GroupID, e.sim.Groups())
	}
	if c, _ := e.sim.Contact(id); c.FullName != "" {
		t.Errorf("opType 3 changed %+v", c)
	}
	data = e.ok(http.MethodPost, "/contact/add", add(one, "2", "groupName", "  "), nil)
	if string(data) != `{"groupId":"null"}` {
		t.Errorf("blank groupName: %s", data)
	}
}

func TestAddOpTypes(t *testing.T) {
	t.Parallel()
	const item = `[{"email":" ann@EXAMPLE.com ","fullName":"Ann B","jobTitle":" ","gender":null,"propertys":[{"propertyId":%d,"label":"new"}]}]`
	tests := []struct {
		opType string
		want   func(old meihuatest.Contact, p1 int64) meihuatest.Contact
	}{
		{"1", func(c meihuatest.Contact, p1 int64) meihuatest.Contact {
			return meihuatest.Contact{ID: c.ID, FullName: "Ann B", Email: " ann@EXAMPLE.com ", CompanyName: " ", JobTitle: " ",
				WorkPhone: " ", MobilePhone: " ", Website: " ", Fax: " ", Country: " ", ProvinceZh: " ", CityZh: " ", Address: " ",
				PostCode: " ", QQ: " ", Weibo: " ", Weixin: " ", Notes: " ", Properties: map[int64]string{p1: "new"},
				GroupIDs: c.GroupIDs, Source: c.Source, CreateTime: c.CreateTime, UpdateTime: t0.Add(time.Hour).UnixMilli()}
		}},
		{"2", func(c meihuatest.Contact, p1 int64) meihuatest.Contact {
			c.FullName, c.Email = "Ann B", " ann@EXAMPLE.com "
			c.Properties = map[int64]string{p1: "new", p1 + 1: "kept"}
			c.UpdateTime = t0.Add(time.Hour).UnixMilli()
			return c
		}},
		{"3", func(c meihuatest.Contact, _ int64) meihuatest.Contact { return c }},
	}
	for _, tt := range tests {
		t.Run("opType "+tt.opType, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, meihuatest.Config{})
			p1 := e.sim.AddProperty("a", 1, "a")
			p2 := e.sim.AddProperty("b", 1, "b")
			g := e.sim.AddGroup("g")
			id := e.sim.AddContact(meihuatest.Contact{FullName: "Ann", Email: "Ann@Example.com", CompanyName: "Old Co",
				Gender: boolPtr(false), Birthday: 1443628800000, Properties: map[int64]string{p1: "old", p2: "kept"},
				GroupIDs: []int64{g}, Source: "Excel导入"})
			old, _ := e.sim.Contact(id)
			e.clock.Advance(time.Hour)
			e.ok(http.MethodPost, "/contact/add", add(fmt.Sprintf(item, p1), tt.opType), nil)
			got := e.sim.Contacts()
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want(old, p1)) {
				t.Errorf("after opType %s:\n%+v\nwant\n%+v", tt.opType, got, tt.want(old, p1))
			}
			// No email never matches: always a new contact.
			e.ok(http.MethodPost, "/contact/add", add(`[{"fullName":"Ann"}]`, tt.opType), nil)
			e.ok(http.MethodPost, "/contact/add", add(`[{"fullName":"Ann","email":" "}]`, tt.opType), nil)
			if n := len(e.sim.Contacts()); n != 3 {
				t.Errorf("%d contacts, want 3", n)
			}
		})
	}
}

// Items apply in order: a later item with an earlier new item's email
// matches the contact that item created.
func TestAddSameEmailTwiceInACall(t *testing.T) {
	t.Parallel()
	two := `[{"email":"dup@example.com","fullName":"First","notes":"n"},{"email":"DUP@example.com","companyName":"Co"}]`
	for opType, want := range map[string][3]string{"1": {" ", "Co", " "}, "2": {"First", "Co", "n"}, "3": {"First", " ", "n"}} {
		e := newEnv(t, meihuatest.Config{ContactCap: 1})
		e.ok(http.MethodPost, "/contact/add", add(two, opType), nil)
		cs := e.sim.Contacts()
		if len(cs) != 1 || [3]string{cs[0].FullName, cs[0].CompanyName, cs[0].Notes} != want {
			t.Errorf("opType %s: %+v, want %v", opType, cs, want)
		}
	}
}

// The API never makes two contacts with one email, but an account may have
// them (seeded here): /contact/add updates the oldest, /contact/edit every
// one.
func TestSharedEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	older := e.sim.AddContact(meihuatest.Contact{Email: "twin@example.com", FullName: "older"})
	newer := e.sim.AddContact(meihuatest.Contact{Email: "Twin@Example.com", FullName: "newer"})
	e.ok(http.MethodPost, "/contact/add", add(`[{"email":"twin@example.com","notes":"added"}]`, "2"), nil)
	o, _ := e.sim.Contact(older)
	n, _ := e.sim.Contact(newer)
	if o.Notes != "added" || n.Notes != "" {
		t.Errorf("add: older %+v newer %+v", o, n)
	}
	e.ok(http.MethodPost, "/contact/edit", vals("fields", `[{"field":"email","isUniq":true},{"field":"jobTitle"}]`,
		"contacts", `[["TWIN@example.com","edited"]]`), nil)
	o, _ = e.sim.Contact(older)
	n, _ = e.sim.Contact(newer)
	if o.JobTitle != "edited" || n.JobTitle != "edited" {
		t.Errorf("edit: older %+v newer %+v", o, n)
	}
}

func TestAddRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params url.Values
	}{
		{"no contacts", vals("opType", "1")},
		{"blank contacts", add(" ", "1")},
		{"contacts not JSON", add(`[{"fullName":`, "1")},
		{"contacts an object", add(`{"fullName":"x"}`, "1")},
		{"contacts with trailing data", add(`[] []`, "1")},
		{"empty contacts", add(`[]`, "1")},
		{"a contact not an object", add(`[1]`, "1")},
		{"a null contact", add(`[null]`, "1")},
		{"no opType", vals("contacts", `[{"fullName":"x"}]`)},
		{"unknown opType", add(`[{"fullName":"x"}]`, "4")},
		{"gender as text", add(`[{"gender":"男"}]`, "1")},
		{"birthday as text", add(`[{"birthday":"1990-05-10"}]`, "1")},
		{"birthday a fraction", add(`[{"birthday":1443628800000.5}]`, "1")},
		{"email a number", add(`[{"email":12}]`, "1")},
		{"propertys an object", add(`[{"propertys":{"propertyId":1}}]`, "1")},
		{"propertyId as text", add(`[{"propertys":[{"propertyId":"1","label":"x"}]}]`, "1")},
		{"label a number", add(`[{"propertys":[{"propertyId":1,"label":3}]}]`, "1")},
		{"unknown propertyId", add(`[{"email":"ok@example.com"},{"propertys":[{"propertyId":99,"label":"x"}]}]`, "1")},
	}
	e := newEnv(t, meihuatest.Config{})
	e.sim.AddProperty("p", 1, "d") // id 1
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.fails(http.MethodPost, "/contact/add", tt.params, meihuatest.CodeMissingParameter)
		})
	}
	if n := len(e.sim.Contacts()); n != 0 {
		t.Errorf("%d contacts stored by refused calls", n)
	}
	// Unknown keys are ignored, null is no value.
	e.ok(http.MethodPost, "/contact/add", add(`[{"nickname":"x","email":null,"gender":null,"birthday":null,"propertys":null}]`, "1"), nil)
}

func manyContacts(n int, domain string) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"fullName":"c%d","email":"c%d@%s"}`, i, i, domain)
	}
	return "[" + strings.Join(items, ",") + "]"
}

func TestAddAtMost1000(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{ContactCap: 1})
	// More than 1000 is refused before the cap is looked at.
	e.fails(http.MethodPost, "/contact/add", add(manyContacts(1001, "a.example.com"), "1"), meihuatest.CodeTooManyContacts)
	if n := len(e.sim.Contacts()); n != 0 {
		t.Fatalf("%d contacts stored by a refused call", n)
	}
	e = newEnv(t, meihuatest.Config{})
	e.ok(http.MethodPost, "/contact/add", add(manyContacts(1000, "a.example.com"), "1"), nil)
	if n := len(e.sim.Contacts()); n != 1000 {
		t.Fatalf("%d contacts", n)
	}
}

func TestContactCaps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  meihuatest.Config
		cap  int
		code string
	}{
		{"free", meihuatest.Config{Plan: meihuatest.PlanFree}, 5000, meihuatest.CodeFreeCap},
		{"gold expired", meihuatest.Config{Plan: meihuatest.PlanGoldExpired}, 5000, meihuatest.CodeGoldExpiredCap},
		{"gold", meihuatest.Config{}, 100000, meihuatest.CodeGoldCap},
		{"diamond expired", meihuatest.Config{Plan: meihuatest.PlanDiamondExpired}, 5000, meihuatest.CodeDiamondExpiredCap},
		{"gold with ContactCap", meihuatest.Config{ContactCap: 3}, 3, meihuatest.CodeGoldCap},
		{"free with ContactCap", meihuatest.Config{Plan: meihuatest.PlanFree, ContactCap: 3}, 3, meihuatest.CodeFreeCap},
		{"diamond with ContactCap", meihuatest.Config{Plan: meihuatest.PlanDiamond, ContactCap: 3}, 3, meihuatest.CodeGoldCap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tt.cfg)
			for i := range tt.cap - 1 {
				e.sim.AddContact(meihuatest.Contact{Email: fmt.Sprintf("s%d@example.com", i)})
			}
			// Two new ones would go over: the whole call is refused.
			e.fails(http.MethodPost, "/contact/add", add(manyContacts(2, "new.example.com"), "1"), tt.code)
			if n := len(e.sim.Contacts()); n != tt.cap-1 {
				t.Fatalf("%d contacts: a refused call stored some", n)
			}
			// Matches by email are not new; one new one reaches the cap.
			e.ok(http.MethodPost, "/contact/add", add(`[{"email":"S0@example.com"},{"email":"c1@new.example.com"},{"email":"C1@new.example.com"}]`, "2"), nil)
			if n := len(e.sim.Contacts()); n != tt.cap {
				t.Fatalf("%d contacts, want the cap %d", n, tt.cap)
			}
			e.fails(http.MethodPost, "/contact/add", add(`[{"fullName":"no email"}]`, "3"), tt.code)
			e.ok(http.MethodPost, "/contact/add", add(`[{"email":"c1@new.example.com","notes":"updated"}]`, "1"), nil)
		})
	}
	t.Run("diamond has no cap", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, meihuatest.Config{Plan: meihuatest.PlanDiamond})
		for i := range 100000 {
			e.sim.AddContact(meihuatest.Contact{Email: fmt.Sprintf("s%d@example.com", i)})
		}
		e.ok(http.MethodPost, "/contact/add", add(manyContacts(1000, "new.example.com"), "1"), nil)
	})
}

func TestListContacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	g1, g2, g3 := e.sim.AddGroup("g1"), e.sim.AddGroup("g2"), e.sim.AddGroup("empty")
	var ids []int64
	for i := range 120 {
		ids = append(ids, e.sim.AddContact(meihuatest.Contact{FullName: fmt.Sprintf("c%03d", i)}))
	}
	e.sim.AddToGroup(g1, ids[5], ids[7])
	e.sim.AddToGroup(g2, ids[7], ids[100])
	idsOf := func(p contactPage) []string {
		var out []string
		for _, c := range p.List {
			out = append(out, c["id"].(json.Number).String())
		}
		return out
	}
	str := func(ids ...int64) []string {
		var out []string
		for _, id := range ids {
			out = append(out, strconv.FormatInt(id, 10))
		}
		return out
	}
	tests := []struct {
		name   string
		params url.Values
		total  int
		want   []string
	}{
		{"first page", vals("page", "1", "limit", "2"), 120, str(ids[0], ids[1])},
		{"second page", vals("page", "2", "limit", "2"), 120, str(ids[2], ids[3])},
		{"50 a page", vals("page", "3", "limit", "50"), 120, str(ids[100:]...)},
		{"past the end", vals("page", "4", "limit", "50"), 120, nil},
		{"groups", vals("page", "1", "limit", "50", "groupIds", fmt.Sprintf("[%d,%d]", g1, g2)), 3, str(ids[5], ids[7], ids[100])},
		{"one group", vals("page", "1", "limit", "1", "groupIds", fmt.Sprintf("[%d]", g2)), 2, str(ids[7])},
		{"an empty group", vals("page", "1", "limit", "50", "groupIds", fmt.Sprintf("[%d]", g3)), 0, nil},
		{"an unknown group", vals("page", "1", "limit", "50", "groupIds", "[424242]"), 0, nil},
		{"no groups", vals("page", "1", "limit", "1", "groupIds", "[]"), 120, str(ids[0])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := e.listContacts(tt.params)
			if p.Total.String() != strconv.Itoa(tt.total) || !equalStrings(idsOf(p), tt.want) {
				t.Errorf("total %s ids %v, want %d %v", p.Total, idsOf(p), tt.total, tt.want)
			}
		})
	}
	refusals := []url.Values{
		vals("limit", "10"), vals("page", "1"), vals("page", "0", "limit", "10"), vals("page", "-1", "limit", "10"),
		vals("page", "1", "limit", "0"), vals("page", "1", "limit", "51"), vals("page", "x", "limit", "10"),
		vals("page", "1", "limit", "1.5"), vals("page", "1", "limit", "10", "groupIds", "1,2"),
		vals("page", "1", "limit", "10", "groupIds", `["1"]`), vals("page", "1", "limit", "10", "groupIds", `[1.5]`),
	}
	for _, params := range refusals {
		e.fails(http.MethodGet, "/contact/all", params, meihuatest.CodeMissingParameter)
	}
}

// listFields and detailFields are the members of the documentation's
// samples.
var (
	listFields = sorted("id", "fullName", "gender", "gender_des", "birthday", "birthday_des", "companyName", "jobTitle",
		"email", "workPhone", "mobilePhone", "website", "fax", "country", "province", "province_des", "province_zh", "city",
		"city_des", "city_zh", "address", "postCode", "qQ", "weibo", "weixin", "notes", "createAt", "accountId",
		"createTime", "updateTime", "QRCodeURL", "isEmailActive", "propertys", "groups", "sources", "tags")
	detailFields = sorted("id", "fullName", "birthday_des", "companyName", "jobTitle", "email", "workPhone",
		"mobilePhone", "website", "fax", "country", "province", "city", "address", "postCode", "qQ", "weibo", "weixin",
		"notes", "createAt", "accountId", "createTime", "updateTime", "QRCodeURL", "isEmailActive", "propertys", "groups",
		"sources", "opLogs", "tags")
)

func TestContactAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	p := e.sim.AddProperty("等级", 2, "d", "金卡")
	g := e.sim.AddGroup("VIP客户")
	tag := e.sim.AddTag("高价值")
	bare := e.sim.AddContact(meihuatest.Contact{Email: "bare@example.com", CreateTime: 1445399164287})
	full := e.sim.AddContact(meihuatest.Contact{
		FullName: "李玫", Gender: boolPtr(false), Birthday: 1451024631, CompanyName: "美啦", ProvinceZh: "上海", CityZh: "上海",
		QQ: "12345", Properties: map[int64]string{p: "金卡"}, GroupIDs: []int64{g}, TagIDs: []int64{tag}, Source: "API导入",
	})
	page := e.listContacts(vals("page", "1", "limit", "10"))
	if len(page.List) != 2 {
		t.Fatalf("%d contacts", len(page.List))
	}
	b, f := page.List[0], page.List[1]
	for _, c := range page.List {
		if got := keysOf(c); !equalStrings(got, listFields) {
			t.Errorf("list members\n%v\nwant\n%v", got, listFields)
		}
	}
	wantBare := map[string]any{
		"fullName": " ", "gender": true, "gender_des": " ", "birthday": json.Number("0"), "birthday_des": "",
		"province": json.Number("0"), "province_des": " ", "province_zh": " ", "city": json.Number("0"), "city_des": " ",
		"city_zh": " ", "qQ": " ", "accountId": "7", "createAt": json.Number("0"), "createTime": json.Number("1445399164287"),
		"updateTime": json.Number("1445399164287"), "QRCodeURL": " ", "isEmailActive": true, "email": "bare@example.com",
	}
	for k, v := range wantBare {
		if !reflect.DeepEqual(b[k], v) {
			t.Errorf("bare contact %s = %#v, want %#v", k, b[k], v)
		}
	}
	wantFull := map[string]any{
		"id": json.Number(strconv.FormatInt(full, 10)), "fullName": "李玫", "gender": false, "gender_des": "女",
		"birthday": json.Number("1451024631"), "birthday_des": "1970-01-18", "province_zh": "上海", "province_des": "上海",
		"city_zh": "上海", "qQ": "12345",
		"propertys": []any{map[string]any{"id": json.Number("0"), "propertyId": json.Number(strconv.FormatInt(p, 10)),
			"contactId": json.Number("0"), "label": "金卡", "createTime": json.Number("0"), "updateTime": json.Number("0")}},
		"groups": []any{map[string]any{"id": json.Number("0"), "groupId": json.Number(strconv.FormatInt(g, 10)),
			"groupName": "VIP客户", "contactId": json.Number("0"), "createTime": json.Number("0")}},
		"sources": []any{map[string]any{"id": json.Number("0"), "sourceId": json.Number(strconv.FormatInt(full+1, 10)),
			"name": "API导入", "contactId": json.Number("0"), "createTime": json.Number("0")}},
		"tags": []any{map[string]any{"id": json.Number("0"), "tagId": json.Number(strconv.FormatInt(tag, 10)),
			"tagName": "高价值", "contactId": json.Number("0"), "createTime": json.Number("0")}},
	}
	for k, v := range wantFull {
		if !reflect.DeepEqual(f[k], v) {
			t.Errorf("full contact %s = %#v, want %#v", k, f[k], v)
		}
	}
	for _, k := range []string{"propertys", "groups", "sources", "tags"} {
		if l, ok := b[k].([]any); !ok || len(l) != 0 {
			t.Errorf("bare contact %s = %#v, want []", k, b[k])
		}
	}

	var d struct {
		Detail map[string]any `json:"detail"`
		EDM    map[string]any `json:"edm"`
	}
	e.ok(http.MethodGet, "/contact/detail", vals("id", strconv.FormatInt(bare, 10)), &d)
	if got := keysOf(d.Detail); !equalStrings(got, detailFields) {
		t.Errorf("detail members of a contact without gender, birthday and place\n%v\nwant the sample's\n%v", got, detailFields)
	}
	e.ok(http.MethodGet, "/contact/detail", vals("id", strconv.FormatInt(full, 10)), &d)
	if got, want := keysOf(d.Detail), sorted(append(listFields, "opLogs")...); !equalStrings(got, want) {
		t.Errorf("detail members of a full contact\n%v\nwant\n%v", got, want)
	}
	if d.Detail["gender_des"] != "女" || d.Detail["birthday_des"] != "1970-01-18" || d.Detail["city_zh"] != "上海" {
		t.Errorf("detail %v", d.Detail)
	}
}

func TestContactDetail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	e.ok(http.MethodPost, "/contact/add", add(`[{"fullName":"李玫","email":"Test@Sina.com"}]`, "1"), nil)
	id := e.sim.Contacts()[0].ID
	e.clock.Advance(12 * time.Hour) // the next day in China Standard Time
	e.ok(http.MethodPost, "/contact/add", add(`[{"email":"test@sina.com","jobTitle":"Age"}]`, "2"), nil)
	e.sim.AddEDMTask(meihuatest.EDMTask{ID: 2880, Subject: "我们更新了一款圣诞主题", Thumbnail: "http://img.example.com/t.png",
		MailingID: "4905", SendTime: 1450972800000, Events: []meihuatest.EDMEvent{
			{Type: "open", Email: "test@sina.com", EventDate: time.Date(2015, 12, 25, 2, 10, 44, 0, time.UTC), IP: "203.156.203.10",
				Country: "中国", Province: "上海", City: "上海", Software: "Windows 7", ClientOS: "[Unknown]"},
			{Type: "open", Email: "other@example.com", EventDate: time.Date(2015, 12, 25, 3, 0, 0, 0, time.UTC)},
			{Type: "click", Email: "TEST@sina.com", EventDate: time.Date(2015, 12, 26, 2, 0, 0, 0, time.UTC), ClickName: "看看", ClickURL: "https://x.example.com"},
		}})
	data := e.ok(http.MethodGet, "/contact/detail", vals("id", strconv.FormatInt(id, 10)), nil)
	var d struct {
		Detail struct {
			JobTitle string `json:"jobTitle"`
			OpLogs   []struct {
				Date string `json:"date"`
				Log  []struct {
					Logs     []string `json:"logs"`
					Username string   `json:"username"`
				} `json:"log"`
			} `json:"opLogs"`
		} `json:"detail"`
		EDM struct {
			IsEmailActive bool             `json:"isEmailActive"`
			EDMBehavior   []map[string]any `json:"edmBehavior"`
		} `json:"edm"`
	}
	decode(t, data, &d)
	if d.Detail.JobTitle != "Age" || len(d.Detail.OpLogs) != 2 || d.Detail.OpLogs[0].Date != "2024-03-16" ||
		d.Detail.OpLogs[1].Date != "2024-03-17" || d.Detail.OpLogs[0].Log[0].Logs[0] != "通过API导入了联系人李玫" || d.Detail.OpLogs[0].Log[0].Username != "api" {
		t.Errorf("detail %s", data)
	}
	if !d.EDM.IsEmailActive || len(d.EDM.EDMBehavior) != 2 {
		t.Fatalf("edm %s", data)
	}
	latest, first := d.EDM.EDMBehavior[0], d.EDM.EDMBehavior[1]
	if latest["dmdtype"] != "click" || latest["clickurl"] != "https://x.example.com" || first["eventdate"] != "2015-12-25 10:10:44.0" ||
		first["task_id"] != json.Number("2880") || first["mailing_id"] != "4905" || first["sendtime"] != json.Number("1450972800000") {
		t.Errorf("edmBehavior %v", d.EDM.EDMBehavior)
	}
	if got := keysOf(first); !equalStrings(got, edmRowFields) {
		t.Errorf("edmBehavior members %v", got)
	}

	if data := e.ok(http.MethodGet, "/contact/detail", vals("id", "424242"), nil); string(data) != "null" {
		t.Errorf("unknown id: data %s, want null", data)
	}
	e.fails(http.MethodGet, "/contact/detail", nil, meihuatest.CodeMissingParameter)
	e.fails(http.MethodGet, "/contact/detail", vals("id", "abc"), meihuatest.CodeMissingParameter)
}

// editFields is the documentation's fields example.
const editFields = `[{"field":"fullName","name":"姓名","isOrigin":true,"type":1},{"field":"companyName","name":"公司","isOrigin":true,"type":1},
{"field":"jobTitle","name":"职位","isOrigin":true,"type":1},{"field":"workPhone","name":"电话","isOrigin":true,"type":1},
{"field":"email","isUniq":true,"name":"邮箱","isOrigin":true,"type":1},{"field":"province","name":"省份","isOrigin":true,"type":1},
{"field":"city","name":"城市","isOrigin":true,"type":1},{"field":"gender","name":"性别","isOrigin":true,"type":1},
{"field":"birthday","name":"生日","isOrigin":true,"type":1},{"field":"159","name":"API测试额外字段(文本)","isOrigin":false,"type":1},
{"field":"160","name":"API测试额外字段(下拉框)","isOrigin":false,"type":2}]`

// editContacts is the documentation's contacts example for /contact/edit.
const editContacts = `[["test1","梅花信息","开发测试","13800000000","test@meihua.info","上海","上海","男","Thu May 10 00:00:00 CDT 1990","文本1","选项1"],
["test2","梅花信息","开发","13800000001","123456@qq.com","上海","上海","女","Fri May 11 00:00:00 CDT 1990","文本2","选项2"]]`

func TestEditTheDocumentedSample(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t, meihuatest.Config{})
	first := e.sim.AddContact(meihuatest.Contact{Email: "TEST@meihua.info", Notes: "kept", Properties: map[int64]string{160: "x"}})
	other := e.sim.AddContact(meihuatest.Contact{Email: "nobody@example.com", FullName: "untouched"})
	e.clock.Advance(time.Minute)
	data := e.ok(http.MethodPost, "/contact/edit", vals("contacts", editContacts, "fields", editFields), nil)
	if string(data) != `"success"` {
		t.Errorf("data %s", data)
	}
	got, _ := e.sim.Contact(first)
	want := meihuatest.Contact{ID: first, FullName: "test1", CompanyName: "梅花信息", JobTitle: "开发测试", WorkPhone: "13800000000",
		Email: "TEST@meihua.info", ProvinceZh: "上海", CityZh: "上海", Gender: boolPtr(true),
		Birthday: time.Date(1990, 5, 10, 5, 0, 0, 0, time.UTC).UnixMilli(), Notes: "kept",
		Properties: map[int64]string{159: "文本1", 160: "选项1"}, CreateTime: t0.UnixMilli(), UpdateTime: t0.Add(time.Minute).UnixMilli()}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("edited\n%+v\nwant\n%+v", got, want)
	}
	// The second row's email matches nobody: skipped, nothing created.
	if c, _ := e.sim.Contact(other); len(e.sim.Contacts()) != 2 || c.FullName != "untouched" {
		t.Errorf("contacts %+v", e.sim.Contacts())
	}
}

func TestEditContacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	p := e.sim.AddProperty("会员号", 1, "d")
	a := e.sim.AddContact(meihuatest.Contact{FullName: "A", Email: "a@example.com", Gender: boolPtr(true), Birthday: 1, CompanyName: "Co", Properties: map[int64]string{p: "M1"}})
	b := e.sim.AddContact(meihuatest.Contact{FullName: "B", Email: "b@example.com", Properties: map[int64]string{p: "M2"}})
	fields := func(uniq string, names ...string) string {
		var fs []map[string]any
		for _, n := range names {
			f := map[string]any{"field": n, "name": n, "isOrigin": true, "type": 1}
			if n == uniq {
				f["isUniq"] = true
			}
			fs = append(fs, f)
		}
		return mustJSON(t, fs)
	}
	pid := strconv.FormatInt(p, 10)
	// Blank values clear; the unique column may be a property; a new
	// email is indexed for later matches.
	e.ok(http.MethodPost, "/contact/edit", vals("fields", fields(pid, pid, "email", "gender", "birthday", "companyName"),
		"contacts", `[["M1","new@example.com"," ",""," "],["M9","x@example.com","女","1990-05-10","Co"],[" ","y@example.com","男","","Co"]]`), nil)
	ca, _ := e.sim.Contact(a)
	if ca.Email != "new@example.com" || ca.Gender != nil || ca.Birthday != 0 || ca.CompanyName != " " || ca.Properties[p] != "M1" {
		t.Errorf("edited %+v", ca)
	}
	e.ok(http.MethodPost, "/contact/edit", vals("fields", fields("email", "email", "birthday", pid, "gender"),
		"contacts", `[["NEW@example.com","1990-05-10","","女"]]`), nil)
	ca, _ = e.sim.Contact(a)
	if ca.Birthday != time.Date(1990, 5, 9, 16, 0, 0, 0, time.UTC).UnixMilli() || len(ca.Properties) != 0 || ca.Gender == nil || *ca.Gender {
		t.Errorf("edited by email %+v", ca)
	}
	if cb, _ := e.sim.Contact(b); cb.FullName != "B" || cb.Properties[p] != "M2" {
		t.Errorf("b changed: %+v", cb)
	}
	// Java's Date.toString, in China Standard Time.
	e.ok(http.MethodPost, "/contact/edit", vals("fields", fields("email", "email", "birthday"), "contacts", `[["b@example.com","Sat Jan 01 08:00:00 CST 2000"]]`), nil)
	if cb, _ := e.sim.Contact(b); cb.Birthday != time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() {
		t.Errorf("birthday %d", cb.Birthday)
	}

	refusals := []struct{ name, fields, contacts string }{
		{"no unique field", fields("", "email", "fullName"), `[["b@example.com","x"]]`},
		{"two unique fields", `[{"field":"email","isUniq":true},{"field":"fullName","isUniq":true}]`, `[["b@example.com","x"]]`},
		{"gender unique", fields("gender", "gender", "fullName"), `[["男","x"]]`},
		{"unknown field", fields("email", "email", "nickname"), `[["b@example.com","x"]]`},
		{"unknown property", fields("email", "email", "424242"), `[["b@example.com","x"]]`},
		{"repeated field", fields("email", "email", "email"), `[["b@example.com","x"]]`},
		{"no field name", `[{"isUniq":true}]`, `[["b@example.com"]]`},
		{"isUniq as text", `[{"field":"email","isUniq":"true"}]`, `[["b@example.com"]]`},
		{"short row", fields("email", "email", "fullName"), `[["b@example.com"]]`},
		{"long row", fields("email", "email", "fullName"), `[["b@example.com","x","y"]]`},
		{"number value", fields("email", "email", "fullName"), `[["b@example.com",1]]`},
		{"bad gender", fields("email", "email", "gender"), `[["b@example.com","male"]]`},
		{"bad birthday", fields("email", "email", "birthday"), `[["b@example.com","10/05/1990"]]`},
		{"unknown zone", fields("email", "email", "birthday"), `[["b@example.com","Thu May 10 00:00:00 XYZ 1990"]]`},
		{"later row bad", fields("email", "email", "fullName", "gender"), `[["b@example.com","changed","男"],["b@example.com","x","?"]]`},
		{"fields not JSON", "[", `[["b@example.com"]]`},
		{"contacts not JSON", fields("email", "email"), "[["},
		{"no fields", "", `[["b@example.com"]]`},
		{"no contacts", fields("email", "email"), ""},
		{"empty contacts", fields("email", "email"), "[]"},
		{"empty fields", "[]", `[["b@example.com"]]`},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			params := url.Values{}
			if r.fields != "" {
				params.Set("fields", r.fields)
			}
			if r.contacts != "" {
				params.Set("contacts", r.contacts)
			}
			e.fails(http.MethodPost, "/contact/edit", params, meihuatest.CodeMissingParameter)
		})
	}
	if cb, _ := e.sim.Contact(b); cb.FullName != "B" || cb.Gender != nil {
		t.Errorf("a refused edit changed b: %+v", cb)
	}
}

func TestDeleteContacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, meihuatest.Config{})
	g := e.sim.AddGroup("g")
	a := e.sim.AddContact(meihuatest.Contact{Email: "a@example.com", GroupIDs: []int64{g}})
	b := e.sim.AddContact(meihuatest.Contact{Email: "b@example.com", GroupIDs: []int64{g}})
	data := e.ok(http.MethodPost, "/contact/delete", vals("ids", fmt.Sprintf("[%d, 424242]", a)), nil)
	if string(data) != `"success"` {
		t.Errorf("data %s", data)
	}
	if cs := e.sim.Contacts(); len(cs) != 1 || cs[0].ID != b {
		t.Errorf("contacts %+v", cs)
	}
	if gr, _ := e.sim.Group(g); len(gr.ContactIDs) != 1 {
		t.Errorf("group members %v", gr.ContactIDs)
	}
	// Its email is free again: a new contact, not a match.
	e.ok(http.MethodPost, "/contact/add", add(`[{"email":"a@example.com"}]`, "3"), nil)
	if n := len(e.sim.Contacts()); n != 2 {
		t.Errorf("%d contacts", n)
	}
	for _, ids := range []string{"", "[]", fmt.Sprint(b), fmt.Sprintf(`["%d"]`, b), "[1,", "null"} {
		e.fails(http.MethodPost, "/contact/delete", vals("ids", ids), meihuatest.CodeMissingParameter)
	}
	if _, ok := e.sim.Contact(b); !ok {
		t.Error("a refused delete deleted")
	}
}

// Ids above 2^53 must survive as exact int64: an adapter that decodes them
// into float64 gets a neighbour.
func TestIDsAre64Bit(t *testing.T) {
	t.Parallel()
	const first = 9007199254740993 // 2^53 + 1: no float64 has it
	e := newEnv(t, meihuatest.Config{FirstID: first})
	e.ok(http.MethodPost, "/contact/property/add", vals("label", "l", "fieldType", "1", "description", "d"), nil)
	var props []struct {
		ID json.Number `json:"id"`
	}
	e.ok(http.MethodPost, "/contact/property/all", nil, &props)
	if len(props) != 1 || props[0].ID.String() != "9007199254740993" {
		t.Fatalf("property ids %v", props)
	}
	var res struct {
		GroupID json.Number `json:"groupId"`
	}
	e.ok(http.MethodPost, "/contact/add", add(`[{"email":"a@example.com","propertys":[{"propertyId":9007199254740993,"label":"v"}]}]`, "1", "groupName", "g"), &res)
	page := e.listContacts(vals("page", "1", "limit", "10", "groupIds", "["+res.GroupID.String()+"]"))
	if len(page.List) != 1 {
		t.Fatalf("list %v", page.List)
	}
	c := page.List[0]
	id := c["id"].(json.Number).String()
	pid := c["propertys"].([]any)[0].(map[string]any)["propertyId"].(json.Number).String()
	gid := c["groups"].([]any)[0].(map[string]any)["groupId"].(json.Number).String()
	// property first, then the contact, the API source, the group.
	if pid != "9007199254740993" || id != "9007199254740994" || gid != "9007199254740996" || res.GroupID.String() != gid {
		t.Errorf("ids: property %s contact %s group %s (answered %s)", pid, id, gid, res.GroupID)
	}
	var d struct {
		Detail struct {
			ID json.Number `json:"id"`
		} `json:"detail"`
	}
	e.ok(http.MethodGet, "/contact/detail", vals("id", id), &d)
	if d.Detail.ID.String() != id {
		t.Errorf("detail id %s", d.Detail.ID)
	}
	e.ok(http.MethodPost, "/contact/delete", vals("ids", "["+id+"]"), nil)
	if n := len(e.sim.Contacts()); n != 0 {
		t.Errorf("%d contacts after deleting %s", n, id)
	}
}
