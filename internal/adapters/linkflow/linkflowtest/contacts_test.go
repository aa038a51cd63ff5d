package linkflowtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
)

func TestContactWireShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	e.sim.AddProperty(linkflowtest.Property{Label: "marital status", DataType: "text"})
	created := time.Date(2017, 8, 22, 5, 50, 51, 0, time.UTC) // 13:50:51 CST
	id := e.sim.AddContact(linkflowtest.Contact{
		Name: "peter pan", MobilePhone: "13774202819", DateCreated: created, LastUpdated: created,
		Props: map[string]any{"attr1": "single"},
	})
	var got []map[string]any
	e.ok(http.MethodGet, "/contacts", nil, &got)
	if len(got) != 1 {
		t.Fatalf("%d contacts", len(got))
	}
	c := got[0]
	want := map[string]any{
		"id": json.Number(fmt.Sprint(id)), "name": "peter pan", "mobilePhone": "13774202819",
		"gender": "unknown", "email": nil, "homePhone": nil, "anonymousId": nil, "nickname": nil,
		"dateOfBirthday": nil, "utm": nil, "isAnonymous": false, "ver": json.Number("1"),
		"dateCreated": "2017-08-22 13:50:51", "lastUpdated": "2017-08-22 13:50:51",
		"props": map[string]any{"attr1": "single"},
	}
	for k, v := range want {
		gv, ok := c[k]
		if !ok || !reflect.DeepEqual(gv, v) {
			t.Errorf("%s = %#v (present %v), want %#v", k, gv, ok, v)
		}
	}
	for _, k := range []string{"country", "state", "street", "city", "postalCode", "comments", "userName", "title", "website", "company", "industry", "department", "idCard", "avatar"} {
		if v, ok := c[k]; !ok || v != nil {
			t.Errorf("%s = %#v (present %v), want null", k, v, ok)
		}
	}
	if _, ok := c["openIds"]; ok {
		t.Error("openIds answered without needOpenId")
	}
}

func TestContactJSONRoundTrip(t *testing.T) {
	t.Parallel()
	in := linkflowtest.Contact{
		ID: 7, Name: "n", Email: "a@b.c", Gender: "female",
		DateCreated: time.Date(2020, 1, 2, 3, 4, 5, 0, linkflowtest.CST),
		LastUpdated: time.Date(2021, 1, 2, 3, 4, 5, 0, linkflowtest.CST),
		UTM:         linkflowtest.UTM{Source: "s"},
		Props:       map[string]any{"attr1": "x"},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"dateCreated":"2020-01-02 03:04:05"`) || !strings.Contains(string(b), `"term":null`) {
		t.Errorf("wire form %s", b)
	}
	var out linkflowtest.Contact
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !out.DateCreated.Equal(in.DateCreated) || !out.LastUpdated.Equal(in.LastUpdated) || out.Name != "n" ||
		out.UTM != in.UTM || out.Props["attr1"] != "x" || out.Gender != "female" || out.ID != 7 {
		t.Errorf("round trip: %+v", out)
	}
}

func TestListContactsPaging(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/contacts", "/open/contacts"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, linkflowtest.Config{})
			all := seedContacts(e, 23, func(i int) linkflowtest.Contact {
				return linkflowtest.Contact{Name: fmt.Sprintf("c%02d", i)}
			})
			var seen []int64
			for page := 0; ; page++ {
				_, b := e.api(http.MethodGet, fmt.Sprintf("%s?page=%d&size=5", path, page), nil)
				ids := idsOf(t, b)
				if len(ids) == 0 {
					break
				}
				seen = append(seen, ids...)
			}
			if !slices.Equal(seen, all) {
				t.Errorf("paged ids %v, want %v", seen, all)
			}
			_, b := e.api(http.MethodGet, path, nil)
			if got := idsOf(t, b); !slices.Equal(got, all) {
				t.Errorf("default page %v", got)
			}
		})
	}
}

func TestListContactsFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	alice := e.sim.AddContact(linkflowtest.Contact{Name: "Alice Wang", Email: "alice@example.com", MobilePhone: "13800000001"})
	bob := e.sim.AddContact(linkflowtest.Contact{Name: "Bob", Email: "BOB@example.com", MobilePhone: "13774202819"})
	carol := e.sim.AddContact(linkflowtest.Contact{Name: "Carol"})
	vip := e.sim.AddGroup("vip", "static")
	e.sim.AddGroupMembers(vip, bob, carol)
	empty := e.sim.AddGroup("empty", "")

	tests := []struct {
		query string
		want  []int64
	}{
		{"search=alice", []int64{alice}},
		{"search=ALICE", []int64{alice}},
		{"search=13774202819", []int64{bob}},
		{"search=bob@EXAMPLE", []int64{bob}},
		{"search=example.com", []int64{alice, bob}},
		{"search=nobody", []int64{}},
		{fmt.Sprintf("groupId=%d", vip), []int64{bob, carol}},
		{fmt.Sprintf("groupId=%d&search=carol", vip), []int64{carol}},
		{fmt.Sprintf("groupId=%d", empty), []int64{}},
		{fmt.Sprintf("groupId=%d&size=1&page=1", vip), []int64{carol}},
	}
	for _, tc := range tests {
		_, b := e.api(http.MethodGet, "/contacts?"+tc.query, nil)
		if got := idsOf(t, b); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}

	errs := []struct {
		query  string
		status int
		code   string
	}{
		{"groupId=999999", 404, "B00008"},
		{"groupId=abc", 400, "B00010"},
		{"page=-1", 400, "B00010"},
		{"size=0", 400, "B00010"},
		{"size=1001", 400, "B00010"},
		{"page=x", 400, "B00010"},
	}
	for _, tc := range errs {
		e.fails(http.MethodGet, "/open/contacts?"+tc.query, nil, tc.status, tc.code)
	}
}

func TestIdentify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	e.sim.AddProperty(linkflowtest.Property{Label: "marital status", Alias: "attr1", DataType: "text"})
	e.sim.AddProperty(linkflowtest.Property{Label: "salary", Alias: "attr2", DataType: "number"})

	body := map[string]any{
		"externalId":     "u1234567",
		"channel":        map[string]any{"channelId": "example.com", "name": "example"},
		"name":           "Zhang San",
		"dateOfBirthday": "1988-10-02 00:00:00",
		"mobilePhone":    "13912341234",
		"email":          "zhangsan@example.com",
		"city":           "Shanghai",
		"gender":         "male", // not a documented identify field: ignored
		"props":          map[string]any{"attr1": "single", "attr2": 10000},
	}
	var created map[string]any
	e.ok(http.MethodPost, "/identifiers", body, &created)
	id, _ := created["id"].(json.Number).Int64()
	if created["name"] != "Zhang San" || created["ver"] != json.Number("1") || created["dateCreated"] != "2024-03-16 15:44:20" ||
		created["gender"] != "unknown" || !reflect.DeepEqual(created["props"], map[string]any{"attr1": "single", "attr2": json.Number("10000")}) {
		t.Errorf("created %v", created)
	}

	// Same identity: update, not a new contact.
	e.clock.Advance(time.Minute)
	var updated map[string]any
	e.ok(http.MethodPost, "/identifiers", map[string]any{
		"externalId": "u1234567", "channel": map[string]any{"channelId": "example.com"},
		"company": "ABC", "name": nil, "props": map[string]any{"attr2": 12000.5},
	}, &updated)
	if updated["id"] != created["id"] || updated["ver"] != json.Number("2") || updated["name"] != "Zhang San" ||
		updated["company"] != "ABC" || updated["lastUpdated"] != "2024-03-16 15:45:20" || updated["dateCreated"] != "2024-03-16 15:44:20" {
		t.Errorf("updated %v", updated)
	}
	c, ok := e.sim.Contact(id)
	if !ok || c.Props["attr1"] != "single" || c.Props["attr2"] != json.Number("12000.5") {
		t.Errorf("stored %+v", c)
	}
	if n := len(e.sim.Contacts()); n != 1 {
		t.Errorf("%d contacts", n)
	}

	// Another externalId in the same channel: a new contact.
	var other map[string]any
	e.ok(http.MethodPost, "/identifiers", map[string]any{"externalId": "u2", "channel": map[string]any{"channelId": "example.com"}}, &other)
	if other["id"] == created["id"] {
		t.Error("different externalId reused the contact")
	}

	// The identity is found by GET /identifiers and listed by /contacts/{id}/identities.
	var found map[string]any
	e.ok(http.MethodGet, "/identifiers?externalId=u1234567&channelId=example.com", nil, &found)
	if found["id"] != created["id"] || found["identified"] != "2024-03-16 15:44:20" {
		t.Errorf("lookup %v", found)
	}
	if ids, ok := found["openIds"].([]any); !ok || len(ids) != 0 {
		t.Errorf("openIds %#v", found["openIds"])
	}
	e.ok(http.MethodGet, "/identifiers?externalId=u1234567&channelId=example.com&channelType=UDC", nil, nil)
	e.fails(http.MethodGet, "/identifiers?externalId=u1234567&channelId=example.com&channelType=WECHAT", nil, 404, "B00008")
	e.fails(http.MethodGet, "/identifiers?externalId=nobody&channelId=example.com", nil, 404, "B00008")
	e.fails(http.MethodGet, "/identifiers?externalId=u1", nil, 400, "B00010")

	var idents []map[string]any
	e.ok(http.MethodGet, fmt.Sprintf("/contacts/%d/identities", id), nil, &idents)
	if len(idents) != 1 {
		t.Fatalf("identities %v", idents)
	}
	ch := idents[0]["channel"].(map[string]any)
	if idents[0]["externalId"] != "u1234567" || idents[0]["contactId"] != created["id"] || idents[0]["isActive"] != true ||
		ch["channelId"] != "example.com" || ch["channelType"] != "UDC" || ch["name"] != "example" || ch["status"] != "ACTIVE" ||
		idents[0]["channelId"] != ch["id"] {
		t.Errorf("identity %v", idents[0])
	}
}

func TestIdentifyWeChatInfo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	var c map[string]any
	e.ok(http.MethodPost, "/identifiers", map[string]any{
		"externalId": "u1", "channel": map[string]any{"channelId": "shop"}, "email": "wx@example.com",
		"weChatInfo": map[string]any{"appId": "wx5a39a02868a39999", "appName": "Account A", "openId": "olbUb0gzPm0Z1eDkEhvq"},
	}, &c)
	var got []map[string]any
	e.ok(http.MethodGet, "/v2/contacts?email=wx@example.com&needOpenId=1", nil, &got)
	want := []any{map[string]any{"channelId": "wx5a39a02868a39999", "channelName": "Account A", "openId": "olbUb0gzPm0Z1eDkEhvq"}}
	if len(got) != 1 || !reflect.DeepEqual(got[0]["openIds"], want) {
		t.Errorf("openIds %v", got)
	}
	e.fails(http.MethodPost, "/identifiers", map[string]any{
		"externalId": "u1", "channel": map[string]any{"channelId": "shop"}, "weChatInfo": map[string]any{"openId": "o"},
	}, 400, "B00010")
}

func TestIdentifyValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	e.sim.AddProperty(linkflowtest.Property{Label: "salary", Alias: "attr2", DataType: "number"})
	e.sim.AddProperty(linkflowtest.Property{Label: "vip", Alias: "attr3", DataType: "boolean"})
	e.sim.AddProperty(linkflowtest.Property{Label: "since", Alias: "attr4", DataType: "date"})
	tests := []struct {
		name string
		body any
	}{
		{"malformed json", `{"externalId": "u1",`},
		{"trailing data", `{"externalId":"u1","channel":{"channelId":"c"}} {}`},
		{"array body", `[]`},
		{"empty body", ``},
		{"missing externalId", map[string]any{"channel": map[string]any{"channelId": "c"}}},
		{"blank externalId", map[string]any{"externalId": " ", "channel": map[string]any{"channelId": "c"}}},
		{"numeric externalId", map[string]any{"externalId": 12, "channel": map[string]any{"channelId": "c"}}},
		{"missing channel", map[string]any{"externalId": "u1"}},
		{"missing channelId", map[string]any{"externalId": "u1", "channel": map[string]any{"name": "n"}}},
		{"channel not an object", map[string]any{"externalId": "u1", "channel": "c"}},
		{"name not a string", map[string]any{"externalId": "u1", "channel": map[string]any{"channelId": "c"}, "name": 5}},
		{"bad dateOfBirthday", map[string]any{"externalId": "u1", "channel": map[string]any{"channelId": "c"}, "dateOfBirthday": "1988-10-02"}},
		{"unknown prop alias", map[string]any{"externalId": "u1", "channel": map[string]any{"channelId": "c"}, "props": map[string]any{"salary": 1}}},
		{"number prop as string", map[string]any{"externalId": "u1", "channel": map[string]any{"channelId": "c"}, "props": map[string]any{"attr2": "10000"}}},
		{"boolean prop as string", map[string]any{"externalId": "u1", "channel": map[string]any{"channelId": "c"}, "props": map[string]any{"attr3": "true"}}},
		{"bad date prop", map[string]any{"externalId": "u1", "channel": map[string]any{"channelId": "c"}, "props": map[string]any{"attr4": "03/16/2024"}}},
		{"props not an object", map[string]any{"externalId": "u1", "channel": map[string]any{"channelId": "c"}, "props": []int{1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.fails(http.MethodPost, "/identifiers", tc.body, 400, "B00010")
		})
	}
	if n := len(e.sim.Contacts()); n != 0 {
		t.Errorf("rejected identify calls created %d contacts", n)
	}
	e.ok(http.MethodPost, "/identifiers", map[string]any{"externalId": "u1", "channel": map[string]any{"channelId": "c"},
		"props": map[string]any{"attr2": 1.5, "attr3": true, "attr4": "2024-03-16"}}, nil)
}

func TestPropertyMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	p1 := e.sim.AddProperty(linkflowtest.Property{Label: "marital status", DataType: "text"})
	p2 := e.sim.AddProperty(linkflowtest.Property{Label: "salary", DataType: "number"})
	var props []linkflowtest.Property
	e.ok(http.MethodGet, "/v2/contacts/meta/properties", nil, &props)
	want := []linkflowtest.Property{
		{ID: p1, Label: "marital status", Alias: "attr1", DataType: "text"},
		{ID: p2, Label: "salary", Alias: "attr2", DataType: "number"},
	}
	if !reflect.DeepEqual(props, want) {
		t.Errorf("properties %+v", props)
	}
	var fields []map[string]any
	e.ok(http.MethodGet, "/contacts/meta/userfields", nil, &fields)
	wantFields := []map[string]any{
		{"id": json.Number(fmt.Sprint(p1)), "type": "text", "name": "marital status", "col": "attr1"},
		{"id": json.Number(fmt.Sprint(p2)), "type": "number", "name": "salary", "col": "attr2"},
	}
	if !reflect.DeepEqual(fields, wantFields) {
		t.Errorf("userfields %v", fields)
	}
}

func TestLookupByEmailOrPhone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	a := e.sim.AddContact(linkflowtest.Contact{Email: "test@nazaio.com", MobilePhone: "13888888888"})
	b := e.sim.AddContact(linkflowtest.Contact{Email: "TEST@nazaio.com"})
	c := e.sim.AddContact(linkflowtest.Contact{MobilePhone: "13888888888"})
	e.sim.AddWeChatIdentity(a, "wx5a39a02868a39999", "Account A", "union-a", "open-a")
	tests := []struct {
		query string
		want  []int64
	}{
		{"email=test@nazaio.com", []int64{a, b}},
		{"mobilePhone=13888888888", []int64{a, c}},
		{"email=test@nazaio.com&mobilePhone=13888888888", []int64{a}},
		{"email=none@nazaio.com", []int64{}},
		{"mobilePhone=1388888888", []int64{}},
	}
	for _, tc := range tests {
		_, body := e.api(http.MethodGet, "/v2/contacts?"+tc.query, nil)
		if got := idsOf(t, body); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	var got []map[string]any
	e.ok(http.MethodGet, "/v2/contacts?mobilePhone=13888888888&needOpenId=1", nil, &got)
	if ids := got[0]["openIds"].([]any); len(ids) != 1 || ids[0].(map[string]any)["openId"] != "open-a" {
		t.Errorf("openIds %v", got[0]["openIds"])
	}
	if ids := got[1]["openIds"].([]any); len(ids) != 0 {
		t.Errorf("openIds of contact without WeChat %v", ids)
	}
	for _, q := range []string{"", "?needOpenId=1", "?email=&mobilePhone="} {
		e.fails(http.MethodGet, "/v2/contacts"+q, nil, 500, "B00030")
	}
}

func TestBulkContacts(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/v2/contacts_bulk", "/open/contacts_bulk"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, linkflowtest.Config{})
			all := seedContacts(e, 120, func(i int) linkflowtest.Contact { return linkflowtest.Contact{Name: fmt.Sprint(i)} })
			join := func(ids []int64) string {
				s := make([]string, len(ids))
				for i, id := range ids {
					s[i] = fmt.Sprint(id)
				}
				return strings.Join(s, ",")
			}
			// Only the first 100 ids are used; the rest are ignored, not an error.
			reversed := slices.Clone(all)
			slices.Reverse(reversed)
			_, b := e.api(http.MethodGet, path+"?ids="+join(reversed), nil)
			got := idsOf(t, b)
			want := slices.Clone(reversed[:100])
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %d ids %v, want the first 100 requested in id order", len(got), got)
			}
			// Unknown ids are skipped, duplicates answered once, repeated params accepted.
			_, b = e.api(http.MethodGet, fmt.Sprintf("%s?ids=%d,999999,%d&ids=%d&needOpenId=1", path, all[3], all[1], all[3]), nil)
			if got := idsOf(t, b); !slices.Equal(got, []int64{all[1], all[3]}) {
				t.Errorf("got %v", got)
			}
			if !strings.Contains(string(b), `"openIds":[]`) {
				t.Errorf("needOpenId ignored: %s", b)
			}
			for _, q := range []string{"", "?ids=", "?ids=1,x", "?ids=1,,2"} {
				e.fails(http.MethodGet, path+q, nil, 400, "B00010")
			}
		})
	}
}

func TestContactIDsByUpdateTime(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/v2/contacts_bulk/ids", "/open/contacts_bulk/ids"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, linkflowtest.Config{})
			day := func(d int) time.Time { return time.Date(2017, 12, d, 12, 0, 0, 0, linkflowtest.CST) }
			var ids []int64
			for i := range 12 {
				ids = append(ids, e.sim.AddContact(linkflowtest.Contact{LastUpdated: day(20 + i)})) // Dec 20..31
			}
			var seen []int64
			for page := 0; ; page++ {
				var got []int64
				e.ok(http.MethodGet, fmt.Sprintf("%s?page=%d&size=5", path, page), nil, &got)
				if len(got) == 0 {
					break
				}
				seen = append(seen, got...)
			}
			if !slices.Equal(seen, ids) {
				t.Errorf("paged %v, want %v", seen, ids)
			}
			tests := []struct {
				query string
				want  []int64
			}{
				{"minUpdateTime=2017-12-30", ids[10:]},
				{"maxUpdateTime=2017-12-22", ids[:2]},
				{"minUpdateTime=2017-12-21&maxUpdateTime=2017-12-23", ids[1:3]},
				{"minUpdateTime=2017-12-21%2012:00:00&maxUpdateTime=2017-12-23%2012:00:00", ids[1:3]},
				{"minUpdateTime=2017-12-21%2012:00:01", ids[2:]},
				{"minUpdateTime=2018-01-01", nil},
			}
			for _, tc := range tests {
				var got []int64
				e.ok(http.MethodGet, path+"?page=0&size=100&"+tc.query, nil, &got)
				if !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
					t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
				}
			}
			e.ok(http.MethodGet, path+"?page=10&size=1000", nil, nil) // page*size == 10000 is allowed
			e.ok(http.MethodGet, path+"?page=0&size=20000", nil, nil)
			e.fails(http.MethodGet, path+"?page=10&size=1001", nil, 500, "B00030")
			e.fails(http.MethodGet, path+"?page=5001&size=2", nil, 500, "B00030")
			e.fails(http.MethodGet, path+"?page=9223372036854775807&size=9223372036854775807", nil, 500, "B00030")
			for _, q := range []string{"", "?page=0", "?size=5", "?page=a&size=5", "?page=-1&size=5", "?page=0&size=0",
				"?page=0&size=5&minUpdateTime=2017/01/01", "?page=0&size=5&maxUpdateTime=yesterday"} {
				e.fails(http.MethodGet, path+q, nil, 400, "B00010")
			}
		})
	}
}

func TestUpdateContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	e.sim.AddProperty(linkflowtest.Property{Label: "marital status", Alias: "attr1"})
	e.sim.AddProperty(linkflowtest.Property{Label: "salary", Alias: "attr2", DataType: "number"})
	id := e.sim.AddContact(linkflowtest.Contact{
		Name: "old", Email: "old@example.com", Company: "ACME", Avatar: "http://img/a.png",
		Props: map[string]any{"attr1": "married", "attr2": 1},
	})
	e.clock.Advance(time.Hour)
	var got map[string]any
	e.ok(http.MethodPut, fmt.Sprintf("/v2/contacts/%d", id), map[string]any{
		"id": id, "name": "Kangxi", "gender": "male", "dateOfBirthday": "1991-11-11 00:00:00",
		"avatar": nil, "homePhone": "025-83729999", "props": map[string]any{"attr2": 10000},
		"idCard": "not updatable here", "profilePhoto": "ignored",
	}, &got)
	if got["name"] != "Kangxi" || got["gender"] != "male" || got["avatar"] != nil || got["company"] != "ACME" ||
		got["email"] != "old@example.com" || got["homePhone"] != "025-83729999" || got["ver"] != json.Number("2") ||
		got["lastUpdated"] != "2024-03-16 16:44:20" || got["dateCreated"] != "2024-03-16 15:44:20" || got["idCard"] != nil ||
		!reflect.DeepEqual(got["props"], map[string]any{"attr1": "married", "attr2": json.Number("10000")}) {
		t.Errorf("updated %v", got)
	}
	e.ok(http.MethodPut, fmt.Sprintf("/v2/contacts/%d", id), map[string]any{"id": id, "props": map[string]any{"attr1": nil}, "email": ""}, &got)
	c, _ := e.sim.Contact(id)
	if _, ok := c.Props["attr1"]; ok || c.Email != "" || c.Ver != 3 || got["email"] != nil {
		t.Errorf("stored %+v", c)
	}

	e.fails(http.MethodPut, "/v2/contacts/999999", map[string]any{"id": 999999, "name": "x"}, 404, "B00008")
	errs := []struct {
		name, path string
		body       any
	}{
		{"non-numeric path id", "/v2/contacts/abc", map[string]any{"id": 1}},
		{"missing body id", fmt.Sprintf("/v2/contacts/%d", id), map[string]any{"name": "x"}},
		{"mismatched body id", fmt.Sprintf("/v2/contacts/%d", id), map[string]any{"id": id + 1}},
		{"string body id", fmt.Sprintf("/v2/contacts/%d", id), map[string]any{"id": fmt.Sprint(id)}},
		{"malformed json", fmt.Sprintf("/v2/contacts/%d", id), `{"id":`},
		{"bad gender", fmt.Sprintf("/v2/contacts/%d", id), map[string]any{"id": id, "gender": "M"}},
		{"unknown alias", fmt.Sprintf("/v2/contacts/%d", id), map[string]any{"id": id, "props": map[string]any{"attr9": "x"}}},
		{"wrong prop type", fmt.Sprintf("/v2/contacts/%d", id), map[string]any{"id": id, "props": map[string]any{"attr2": "many"}}},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			e.fails(http.MethodPut, tc.path, tc.body, 400, "B00010")
		})
	}
	if c2, _ := e.sim.Contact(id); c2.Ver != 3 {
		t.Errorf("rejected updates changed the contact: ver %d", c2.Ver)
	}
}

// TestContactVersions: every contact answer carries ver; each change
// through the API adds one; a contact without a version answers null, as
// the documented bulk and lookup samples do, until it changes.
func TestContactVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	ver := func(path string) any {
		t.Helper()
		var got []map[string]any
		e.ok(http.MethodGet, path, nil, &got)
		if len(got) != 1 {
			t.Fatalf("%s: %d contacts", path, len(got))
		}
		v, ok := got[0]["ver"]
		if !ok {
			t.Fatalf("%s: no ver member in %v", path, got[0])
		}
		return v
	}
	var c map[string]any
	e.ok(http.MethodPost, "/identifiers", map[string]any{"externalId": "v1", "channel": map[string]any{"channelId": "shop"}, "email": "ver@example.com"}, &c)
	id, _ := c["id"].(json.Number).Int64()
	if c["ver"] != json.Number("1") {
		t.Fatalf("identify created ver %v", c["ver"])
	}
	e.ok(http.MethodPut, fmt.Sprintf("/v2/contacts/%d", id), map[string]any{"id": id, "title": "CTO"}, &c)
	if c["ver"] != json.Number("2") {
		t.Fatalf("update answered ver %v", c["ver"])
	}
	e.ok(http.MethodPost, "/identifiers", map[string]any{"externalId": "v1", "channel": map[string]any{"channelId": "shop"}, "city": "Nanjing"}, &c)
	if c["ver"] != json.Number("3") {
		t.Fatalf("identify of the same contact answered ver %v", c["ver"])
	}
	bulk, lookup := fmt.Sprintf("/open/contacts_bulk?ids=%d", id), "/v2/contacts?email=ver@example.com"
	if v1, v2 := ver(bulk), ver(lookup); v1 != json.Number("3") || v2 != json.Number("3") {
		t.Fatalf("reads answer ver %v and %v, want 3", v1, v2)
	}

	e.sim.ForgetVersion(id)
	if v1, v2 := ver(bulk), ver(lookup); v1 != nil || v2 != nil {
		t.Fatalf("a contact without version answers ver %v and %v, want null", v1, v2)
	}
	e.ok(http.MethodPut, fmt.Sprintf("/v2/contacts/%d", id), map[string]any{"id": id, "title": "CEO"}, &c)
	if c["ver"] != json.Number("1") || ver(bulk) != json.Number("1") {
		t.Fatalf("the first change of a contact without version answered ver %v", c["ver"])
	}
}

func TestWeChatUnionIDLookup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	id := e.sim.AddContact(linkflowtest.Contact{Name: "wx user"})
	e.sim.AddWeChatIdentity(id, "wx1f7fbd28ac009cd0", "ALPHA", "ogtgm1A_UD5C8MJ3YR", "o0ZYI1ZKkYGLfdq")
	var got map[string]any
	e.ok(http.MethodGet, "/v1/wx/wx1f7fbd28ac009cd0/user?unionId=ogtgm1A_UD5C8MJ3YR", nil, &got)
	want := map[string]any{"openId": "o0ZYI1ZKkYGLfdq", "unionId": "ogtgm1A_UD5C8MJ3YR", "status": true, "subscribeTime": json.Number(fmt.Sprint(t0.Unix()))}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	e.fails(http.MethodGet, "/v1/wx/wx1f7fbd28ac009cd0/user?unionId=other", nil, 404, "B00008")
	e.fails(http.MethodGet, "/v1/wx/wxother/user?unionId=ogtgm1A_UD5C8MJ3YR", nil, 404, "B00008")
	e.fails(http.MethodGet, "/v1/wx/wx1f7fbd28ac009cd0/user", nil, 400, "B00010")

	var idents []linkflowtestIdentity
	e.ok(http.MethodGet, fmt.Sprintf("/contacts/%d/identities", id), nil, &idents)
	if len(idents) != 1 || idents[0].AnonymousID != "o0ZYI1ZKkYGLfdq" || idents[0].Channel.ChannelType != "WECHAT" || idents[0].Channel.Name != "ALPHA" {
		t.Errorf("identities %+v", idents)
	}
	e.fails(http.MethodGet, "/contacts/999999/identities", nil, 404, "B00008")
	e.fails(http.MethodGet, "/contacts/x/identities", nil, 400, "B00010")
}

type linkflowtestIdentity struct {
	ID          int64  `json:"id"`
	ContactID   int64  `json:"contactId"`
	ChannelID   int64  `json:"channelId"`
	AnonymousID string `json:"anonymousId"`
	ExternalID  string `json:"externalId"`
	Channel     struct {
		ID          int64  `json:"id"`
		ChannelID   string `json:"channelId"`
		ChannelType string `json:"channelType"`
		Name        string `json:"name"`
	} `json:"channel"`
}

func TestChannels(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	var ch map[string]any
	e.ok(http.MethodPost, "/udc", map[string]any{"channelId": "udc_123", "name": "UDC A"}, &ch)
	if ch["channelId"] != "udc_123" || ch["channelType"] != "UDC" || ch["name"] != "UDC A" || ch["dateCreated"] != "2024-03-16 15:44:20" {
		t.Errorf("created %v", ch)
	}
	var again map[string]any
	e.ok(http.MethodPost, "/udc", map[string]any{"channelId": "udc_123", "name": "UDC B"}, &again)
	if again["id"] != ch["id"] || again["name"] != "UDC B" {
		t.Errorf("upsert %v", again)
	}
	var gen map[string]any
	e.ok(http.MethodPost, "/udc", map[string]any{"name": "generated"}, &gen)
	if id, _ := gen["channelId"].(string); !strings.HasPrefix(id, "udc_") || len(id) != 14 {
		t.Errorf("generated channelId %v", gen["channelId"])
	}
	e.fails(http.MethodPost, "/udc", map[string]any{"channelId": "x"}, 400, "B00010")
	e.fails(http.MethodPost, "/udc", `nope`, 400, "B00010")

	var types []map[string]string
	e.ok(http.MethodGet, "/channels/meta/types", nil, &types)
	var codes []string
	for _, ty := range types {
		codes = append(codes, ty["channelType"])
		if ty["channelTypeName"] == "" {
			t.Errorf("no name for %v", ty)
		}
	}
	for _, want := range []string{"WECHAT", "WORKWECHAT", "UDC", "PRIVATE_APP", "SQL_SERVER"} {
		if !slices.Contains(codes, want) {
			t.Errorf("channel type %s missing", want)
		}
	}
	// A channel created by /udc is the one identify uses.
	e.ok(http.MethodPost, "/identifiers", map[string]any{"externalId": "e1", "channel": map[string]any{"channelId": "udc_123"}}, nil)
	if n := len(e.sim.Channels()); n != 2 {
		t.Errorf("%d channels", n)
	}
}
