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

var groupPrefixes = []string{"/v2", "/open"}

func TestCreateGroup(t *testing.T) {
	t.Parallel()
	for _, p := range groupPrefixes {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, linkflowtest.Config{MaxGroups: 3})
			var g map[string]any
			e.ok(http.MethodPost, p+"/groups", map[string]any{"name": "this-is-group-name", "groupType": "static", "ext1": "wechatappid", "ext2": "wechattagid"}, &g)
			if g["name"] != "this-is-group-name" || g["groupType"] != "static" || g["dateCreated"] != "2024-03-16 15:44:20" ||
				g["lastUpdated"] != "2024-03-16 15:44:20" || g["id"] == nil {
				t.Errorf("created %v", g)
			}
			e.ok(http.MethodPost, p+"/groups", map[string]any{"name": "defaults to static"}, &g)
			if g["groupType"] != "static" {
				t.Errorf("groupType %v", g["groupType"])
			}
			e.fails(http.MethodPost, p+"/groups", map[string]any{"name": "this-is-group-name"}, 400, "B00001")
			e.fails(http.MethodPost, p+"/groups", map[string]any{"name": "dyn", "groupType": "dynamic"}, 400, "B00010")
			e.fails(http.MethodPost, p+"/groups", map[string]any{"groupType": "static"}, 400, "B00010")
			e.fails(http.MethodPost, p+"/groups", map[string]any{"name": 3}, 400, "B00010")
			e.fails(http.MethodPost, p+"/groups", `{"name":"x"`, 400, "B00010")
			e.ok(http.MethodPost, p+"/groups", map[string]any{"name": "third"}, nil)
			e.fails(http.MethodPost, p+"/groups", map[string]any{"name": "fourth"}, 412, "B00157")
		})
	}
}

func TestGroupLimitDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	for i := range 999 {
		e.sim.AddGroup(fmt.Sprint("seeded ", i), "")
	}
	e.ok(http.MethodPost, "/v2/groups", map[string]any{"name": "the 1000th"}, nil)
	e.fails(http.MethodPost, "/v2/groups", map[string]any{"name": "the 1001st"}, 412, "B00157")
}

func TestQueryGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	old := time.Date(2017, 12, 7, 16, 59, 38, 0, linkflowtest.CST)
	potential := e.sim.AddGroupRecord(linkflowtest.Group{Name: "618 potential customers", DateCreated: old, LastUpdated: old})
	active := e.sim.AddGroupRecord(linkflowtest.Group{Name: "Active last 7 days", GroupType: "dynamic"})
	wechat := e.sim.AddGroupRecord(linkflowtest.Group{Name: "wechat fans", Ext1: "wx134210231", Ext2: "wechattagid"})
	tests := []struct {
		query string
		want  []int64
	}{
		{"", []int64{potential, active, wechat}},
		{fmt.Sprint("id=", active), []int64{active}},
		{"name=WECHAT", []int64{wechat}},
		{"name=customers", []int64{potential}},
		{"groupType=static", []int64{potential, wechat}},
		{"groupType=dynamic", []int64{active}},
		{"ext1=wx134210231", []int64{wechat}},
		{"ext1=wx134210231&ext2=other", []int64{}},
		{"lastUpdated=2018-01-01", []int64{active, wechat}},
		{"lastUpdated=2017-12-07%2016:59:38", []int64{potential, active, wechat}},
		{"id=999999", []int64{}},
	}
	for _, p := range groupPrefixes {
		for _, tc := range tests {
			_, b := e.api(http.MethodGet, p+"/groups?"+tc.query, nil)
			if got := idsOf(t, b); !slices.Equal(got, tc.want) {
				t.Errorf("%s/groups?%s: %v, want %v", p, tc.query, got, tc.want)
			}
		}
		e.fails(http.MethodGet, p+"/groups?id=abc", nil, 400, "B00010")
		e.fails(http.MethodGet, p+"/groups?lastUpdated=soon", nil, 400, "B00010")
	}
	var groups []map[string]any
	e.ok(http.MethodGet, fmt.Sprint("/v2/groups?id=", potential), nil, &groups)
	want := map[string]any{"id": json.Number(fmt.Sprint(potential)), "name": "618 potential customers", "groupType": "static",
		"dateCreated": "2017-12-07 16:59:38", "lastUpdated": "2017-12-07 16:59:38"}
	if !reflect.DeepEqual(groups[0], want) {
		t.Errorf("group shape %v", groups[0])
	}
}

func TestOpenGroupsCappedAt2000(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{MaxGroups: 5000})
	for i := range 2003 {
		e.sim.AddGroup(fmt.Sprint("g", i), "")
	}
	_, b := e.api(http.MethodGet, "/open/groups", nil)
	if n := len(idsOf(t, b)); n != 2000 {
		t.Errorf("/open/groups answered %d groups, want 2000", n)
	}
	_, b = e.api(http.MethodGet, "/v2/groups", nil)
	if n := len(idsOf(t, b)); n != 2003 {
		t.Errorf("/v2/groups answered %d groups, want 2003", n)
	}
}

func TestContactGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	c := e.sim.AddContact(linkflowtest.Contact{Name: "c"})
	lonely := e.sim.AddContact(linkflowtest.Contact{Name: "l"})
	g1 := e.sim.AddGroup("g1", "static")
	g2 := e.sim.AddGroup("g2", "dynamic")
	g3 := e.sim.AddGroup("g3", "static")
	e.sim.AddGroup("g4", "static")
	e.sim.AddGroupMembers(g3, c)
	e.sim.AddGroupMembers(g1, c)
	e.sim.AddGroupMembers(g2, c)
	for _, p := range groupPrefixes {
		tests := []struct {
			path string
			want []int64
		}{
			{fmt.Sprintf("%s/contacts/%d/groups", p, c), []int64{g1, g2, g3}},
			{fmt.Sprintf("%s/contacts/%d/groups?groupType=static", p, c), []int64{g1, g3}},
			{fmt.Sprintf("%s/contacts/%d/groups?groupType=dynamic", p, c), []int64{g2}},
			{fmt.Sprintf("%s/contacts/%d/groups", p, lonely), []int64{}},
		}
		for _, tc := range tests {
			_, b := e.api(http.MethodGet, tc.path, nil)
			if got := idsOf(t, b); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.path, got, tc.want)
			}
		}
		e.fails(http.MethodGet, p+"/contacts/999999/groups", nil, 404, "B00008")
		e.fails(http.MethodGet, fmt.Sprintf("%s/contacts/%d/groups", p, g1), nil, 404, "B00008") // a group id is not a contact id
		e.fails(http.MethodGet, p+"/contacts/x/groups", nil, 400, "B00010")
	}
}

type memberRow struct {
	LastUpdated string `json:"lastUpdated"`
	DateCreated string `json:"dateCreated"`
	Contact     struct {
		MobilePhone *string `json:"mobilePhone"`
		Name        *string `json:"name"`
		ID          int64   `json:"id"`
		Email       *string `json:"email"`
	} `json:"contact"`
	ContactGroupID int64 `json:"contactGroupId"`
	Version        any   `json:"version"`
	MemberID       int64 `json:"memberId"`
}

func TestGroupMembersPaging(t *testing.T) {
	t.Parallel()
	for _, p := range groupPrefixes {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, linkflowtest.Config{})
			g := e.sim.AddGroup("g", "")
			ids := seedContacts(e, 12, func(i int) linkflowtest.Contact {
				return linkflowtest.Contact{Name: fmt.Sprint("n", i), MobilePhone: fmt.Sprint("1380000000", i%10)}
			})
			// Insert in reverse so memberId order differs from contact id order.
			for i := len(ids) - 1; i >= 0; i-- {
				e.sim.AddGroupMembers(g, ids[i])
			}
			var seen []int64
			var after int64
			for {
				var rows []memberRow
				e.ok(http.MethodGet, fmt.Sprintf("%s/groups/%d/contacts?memberId=%d&size=5", p, g, after), nil, &rows)
				if len(rows) == 0 {
					break
				}
				for _, r := range rows {
					if r.MemberID <= after || r.ContactGroupID != g || r.Version != nil || r.DateCreated != "2024-03-16 15:44:20" ||
						r.Contact.Name == nil || r.Contact.Email != nil || r.Contact.MobilePhone == nil {
						t.Errorf("row %+v", r)
					}
					after = r.MemberID
					seen = append(seen, r.Contact.ID)
				}
			}
			want := slices.Clone(ids)
			slices.Reverse(want)
			if !slices.Equal(seen, want) {
				t.Errorf("paged %v, want %v", seen, want)
			}
			var rows []memberRow
			e.ok(http.MethodGet, fmt.Sprintf("%s/groups/%d/contacts", p, g), nil, &rows) // defaults: memberId 0, size 500
			if len(rows) != 12 {
				t.Errorf("%d rows", len(rows))
			}
			e.ok(http.MethodGet, fmt.Sprintf("%s/groups/%d/contacts?size=500", p, g), nil, nil)
			e.fails(http.MethodGet, fmt.Sprintf("%s/groups/%d/contacts?size=501", p, g), nil, 400, "B00031")
			e.fails(http.MethodGet, fmt.Sprintf("%s/groups/%d/contacts?size=0", p, g), nil, 400, "B00010")
			e.fails(http.MethodGet, p+"/groups/999999/contacts", nil, 404, "B00008")
			e.fails(http.MethodGet, p+"/groups/abc/contacts", nil, 400, "B00010")
			e.fails(http.MethodGet, fmt.Sprintf("%s/groups/%d/contacts?memberId=x", p, g), nil, 400, "B00010")
		})
	}
}

type membershipAnswer struct {
	Success []int64        `json:"success"`
	Failure []int64        `json:"failure"`
	Group   map[string]any `json:"group"`
}

func TestAddRemoveGroupMembers(t *testing.T) {
	t.Parallel()
	for _, p := range groupPrefixes {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, linkflowtest.Config{})
			g := e.sim.AddGroup("double 11 vip", "")
			a := e.sim.AddContact(linkflowtest.Contact{Name: "a"})
			b := e.sim.AddContact(linkflowtest.Contact{Name: "b"})
			c := e.sim.AddContact(linkflowtest.Contact{Name: "c"})
			path := fmt.Sprintf("%s/groups/%d/contacts", p, g)

			e.clock.Advance(time.Minute)
			var res membershipAnswer
			e.ok(http.MethodPost, path, []int64{a, b, 999999, a}, &res)
			if !slices.Equal(res.Success, []int64{a, b}) || !slices.Equal(res.Failure, []int64{999999}) ||
				res.Group["name"] != "double 11 vip" || res.Group["lastUpdated"] != "2024-03-16 15:45:20" || res.Group["dateCreated"] != "2024-03-16 15:44:20" {
				t.Errorf("add %+v", res)
			}
			if got := e.sim.GroupMembers(g); !slices.Equal(got, []int64{a, b}) {
				t.Errorf("members %v", got)
			}
			// Adding an existing member succeeds and keeps its memberId.
			var before []memberRow
			e.ok(http.MethodGet, path, nil, &before)
			e.ok(http.MethodPost, path, []int64{b, c}, &res)
			var after []memberRow
			e.ok(http.MethodGet, path, nil, &after)
			if !slices.Equal(res.Success, []int64{b, c}) || len(after) != 3 || after[1].MemberID != before[1].MemberID {
				t.Errorf("re-add %+v / %+v", res, after)
			}
			var groups []map[string]any
			e.ok(http.MethodGet, fmt.Sprintf("%s/contacts/%d/groups", p, c), nil, &groups)
			if len(groups) != 1 {
				t.Errorf("contact groups %v", groups)
			}

			e.ok(http.MethodDelete, path, []int64{a, 999999, c}, &res)
			if !slices.Equal(res.Success, []int64{a, c}) || !slices.Equal(res.Failure, []int64{999999}) {
				t.Errorf("remove %+v", res)
			}
			if got := e.sim.GroupMembers(g); !slices.Equal(got, []int64{b}) {
				t.Errorf("members after remove %v", got)
			}
			e.ok(http.MethodDelete, path, []int64{}, &res)
			if res.Success == nil || res.Failure == nil || len(res.Success)+len(res.Failure) != 0 {
				t.Errorf("empty remove %+v", res)
			}

			many := make([]int64, 501)
			for i := range many {
				many[i] = int64(i + 1)
			}
			for _, m := range []string{http.MethodPost, http.MethodDelete} {
				e.fails(m, path, many, 400, "B00031")
				e.ok(m, path, many[:500], nil)
				e.fails(m, p+"/groups/999999/contacts", []int64{a}, 404, "B00008")
				e.fails(m, p+"/groups/x/contacts", []int64{a}, 400, "B00010")
				e.fails(m, path, map[string]any{"ids": []int64{a}}, 400, "B00010")
				e.fails(m, path, []string{"1"}, 400, "B00010")
				e.fails(m, path, `[1,`, 400, "B00010")
			}
			dyn := e.sim.AddGroup("dyn", "dynamic")
			e.fails(http.MethodPost, fmt.Sprintf("%s/groups/%d/contacts", p, dyn), []int64{a}, 400, "B00010")
		})
	}
}

func TestMaxMembersPerCallConfigurable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{MaxMembersPerCall: 2})
	g := e.sim.AddGroup("g", "")
	eb := e.fails(http.MethodPost, fmt.Sprintf("/v2/groups/%d/contacts", g), []int64{1, 2, 3}, 400, "B00031")
	if !strings.Contains(eb.Message, "too many") {
		t.Errorf("message %q", eb.Message)
	}
}
