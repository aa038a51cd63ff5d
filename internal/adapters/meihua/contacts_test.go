package meihua_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// cstMillis is the epoch milliseconds of a date's midnight in China
// Standard Time, how Meihua keeps birthdays.
func cstMillis(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, vendorhttp.CST).UnixMilli()
}

// fullContact is a stored contact with every field Meihua has.
func fullContact(pid int64) meihuatest.Contact {
	return meihuatest.Contact{
		FullName: "李玫", Gender: ptr(false), Birthday: cstMillis(1990, 5, 10),
		CompanyName: "梅花信息", JobTitle: "开发", Email: "limei@example.com", WorkPhone: "021-5555", MobilePhone: "13800000012",
		Website: "https://m1world.com", Fax: "021-6666", Country: "中国", ProvinceZh: "上海", CityZh: "上海", Address: "淮海路1号",
		PostCode: "200000", QQ: "10001", Weibo: "limei", Weixin: "limei_wx", Notes: "VIP",
		Properties: map[int64]string{pid: "金卡"},
	}
}

func TestGetContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pid := e.sim.AddProperty("会员等级", 2, "level", "金卡", "银卡")
	gid := e.sim.AddGroup("VIP客户")
	tid := e.sim.AddTag("高价值客户")
	id := e.sim.AddContact(fullContact(pid))
	e.sim.AddToGroup(gid, id)
	e.sim.TagContact(tid, id)
	if pid != bigID {
		t.Fatalf("first id %d, want %d", pid, bigID)
	}

	c, err := e.ad.GetContact(domain.WithRaw(t.Context()), idStr(id))
	e.Must(err)
	want := domain.Contact{
		ID: idStr(id), Name: "李玫", Gender: domain.GenderFemale, Birthday: date(1990, 5, 10),
		Email: "limei@example.com", MobilePhone: "13800000012", WorkPhone: "021-5555", Fax: "021-6666",
		WeChat: "limei_wx", QQ: "10001", Weibo: "limei", Company: "梅花信息", JobTitle: "开发", Website: "https://m1world.com",
		Address:      domain.Address{Country: "中国", Province: "上海", City: "上海", Street: "淮海路1号", PostalCode: "200000"},
		Note:         "VIP",
		CustomFields: map[string]any{idStr(pid): "金卡"},
		Tags:         []domain.TagRef{{ID: idStr(tid), Name: "高价值客户"}}, TagsLoaded: true, ExternalIDsLoaded: true,
	}
	checkContact(t, c, want)
	if c.CreatedAt.IsZero() || c.UpdatedAt.IsZero() || c.Version == "" {
		t.Errorf("created %v updated %v version %q", c.CreatedAt, c.UpdatedAt, c.Version)
	}
	if !json.Valid(c.Raw) || !strings.Contains(string(c.Raw), idStr(id)) {
		t.Errorf("raw %s", c.Raw)
	}

	c, err = e.ad.GetContact(t.Context(), idStr(id))
	e.Must(err)
	if c.Raw != nil {
		t.Error("raw kept without include=raw")
	}

	groups, err := e.ad.ListContactGroups(t.Context(), idStr(id), domain.PageRequest{Limit: 10})
	e.Must(err)
	if len(groups.Items) != 1 || groups.Items[0].ID != idStr(gid) || groups.Items[0].Name != "VIP客户" {
		t.Errorf("contact groups %+v", groups.Items)
	}
}

// checkContact compares the fields the adapter maps.
func checkContact(t *testing.T, got, want domain.Contact) {
	t.Helper()
	type view struct {
		ID, Name, Gender, Birthday, Email, Mobile, Work, Fax, WeChat, QQ, Weibo, Company, Job, Web, Note string
		Address                                                                                          domain.Address
		Custom                                                                                           string
		Tags                                                                                             string
		TagsLoaded, ExtLoaded                                                                            bool
	}
	v := func(c domain.Contact) view {
		b := ""
		if c.Birthday != nil {
			b = c.Birthday.Format(time.RFC3339)
		}
		cf, _ := json.Marshal(c.CustomFields)
		tags, _ := json.Marshal(c.Tags)
		return view{c.ID, c.Name, string(c.Gender), b, c.Email, c.MobilePhone, c.WorkPhone, c.Fax, c.WeChat, c.QQ, c.Weibo,
			c.Company, c.JobTitle, c.Website, c.Note, c.Address, string(cf), string(tags), c.TagsLoaded, c.ExternalIDsLoaded}
	}
	if g, w := v(got), v(want); g != w {
		t.Errorf("contact\n got %+v\nwant %+v", g, w)
	}
}

// Meihua's blank " " is no value; no gender, no birthday.
func TestBlankValuesReadAsAbsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.sim.AddContact(meihuatest.Contact{FullName: " ", Email: "blank@example.com", CompanyName: " ", MobilePhone: "", ProvinceZh: " ", Notes: "  "})
	c, err := e.ad.GetContact(t.Context(), idStr(id))
	e.Must(err)
	checkContact(t, c, domain.Contact{ID: idStr(id), Email: "blank@example.com", CustomFields: map[string]any{}, Tags: []domain.TagRef{}, TagsLoaded: true, ExternalIDsLoaded: true})
	page, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{}, domain.PageRequest{Limit: 5})
	e.Must(err)
	if len(page.Items) != 1 {
		t.Fatalf("%d contacts", len(page.Items))
	}
	checkContact(t, page.Items[0], domain.Contact{ID: idStr(id), Email: "blank@example.com", CustomFields: map[string]any{}, Tags: []domain.TagRef{}, TagsLoaded: true, ExternalIDsLoaded: true})
}

func TestGetContactNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddContact(meihuatest.Contact{Email: "a@example.com"})
	for _, id := range []string{idStr(bigID + 100), "0", "-1", "abc", "99999999999999999999"} {
		_, err := e.ad.GetContact(t.Context(), id)
		e.WantNotFound(err)
	}
	if n := len(e.requests("/contact/detail")); n != 1 {
		t.Errorf("%d detail requests, want 1 (ids that cannot be meihua's are not sent)", n)
	}
}

// Contacts are read 50 a page at most, whatever the caller's limit.
func TestListContactsPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var want []string
	for i := range 120 {
		want = append(want, idStr(e.sim.AddContact(meihuatest.Contact{FullName: fmt.Sprintf("C%03d", i), Email: fmt.Sprintf("c%03d@example.com", i)})))
	}
	list := func(p domain.PageRequest) (domain.Page[domain.Contact], error) {
		return e.ad.ListContacts(t.Context(), domain.ContactQuery{}, p)
	}
	for _, limits := range [][]int{{200}, {50}, {7}, {30, 13, 50, 1, 200}} {
		got := vendortest.CollectPages(t, e.watch, limits, contactID, list)
		slices.SortFunc(got, func(a, b string) int { return strings.Compare(a, b) })
		w := slices.Clone(want)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("limits %v: %d contacts, want %d", limits, len(got), len(w))
		}
	}
	for _, r := range e.requests("/contact/all") {
		if n, err := strconv.Atoi(r.Query.Get("limit")); err != nil || n < 1 || n > 50 {
			t.Errorf("page size %s over 50", r.Query.Get("limit"))
		}
		if r.Query.Get("page") == "0" {
			t.Error("page 0 asked: pages start at 1")
		}
	}
	e.sim.ResetRequests()
	p, err := list(domain.PageRequest{Limit: 200})
	e.Must(err)
	if len(p.Items) != 120 || p.Next != "" {
		t.Errorf("one page of 200: %d items, next %q", len(p.Items), p.Next)
	}
	if n := len(e.requests("/contact/all")); n != 3 {
		t.Errorf("%d vendor pages for 120 contacts, want 3", n)
	}
}

func TestListContactsByGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gid := e.sim.AddGroup("G")
	var in []string
	for i := range 8 {
		id := e.sim.AddContact(meihuatest.Contact{Email: fmt.Sprintf("g%d@example.com", i)})
		if i%2 == 0 {
			e.sim.AddToGroup(gid, id)
			in = append(in, idStr(id))
		}
	}
	got := vendortest.CollectPages(t, e.watch, []int{3}, contactID, func(p domain.PageRequest) (domain.Page[domain.Contact], error) {
		return e.ad.ListContacts(t.Context(), domain.ContactQuery{GroupID: idStr(gid)}, p)
	})
	slices.Sort(got)
	slices.Sort(in)
	if !slices.Equal(got, in) {
		t.Errorf("group members %v, want %v", got, in)
	}
	if q := e.requests("/contact/all")[0].Query.Get("groupIds"); q != "["+idStr(gid)+"]" {
		t.Errorf("groupIds %q", q)
	}
	_, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{GroupID: "x"}, domain.PageRequest{Limit: 3})
	e.WantValidation(err, "query.group_id")
}

// A create is an add in add-new mode through a temporary group, which is
// gone afterwards; the stored record holds what was sent.
func TestCreateContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pid := e.sim.AddProperty("会员等级", 1, "level")
	in := domain.Contact{
		Name: "王伟", Gender: domain.GenderMale, Birthday: date(1988, 2, 29), Email: "Wang.Wei@Example.com",
		MobilePhone: "13900000000", WorkPhone: "010-1", Fax: "010-2", WeChat: "ww", QQ: "123", Weibo: "wb",
		Company: "源犀", JobTitle: "经理", Website: "https://x.example", Note: "n",
		Address:      domain.Address{Country: "中国", Province: "北京", City: "北京", Street: "长安街", PostalCode: "100000"},
		CustomFields: map[string]any{idStr(pid): "金卡"},
	}
	c, err := e.ad.CreateContact(domain.WithRaw(t.Context()), domain.ContactInput{Contact: in})
	e.Must(err)
	want := in
	want.ID = c.ID
	want.Tags, want.TagsLoaded, want.ExternalIDsLoaded = []domain.TagRef{}, true, true
	checkContact(t, c, want)
	if strings.Contains(string(c.Raw), "cdpgw-tmp-") {
		t.Errorf("the answer shows the temporary group: %s", c.Raw)
	}
	n, _ := vendorhttp.PositiveID(c.ID)
	stored, ok := e.sim.Contact(n)
	if !ok {
		t.Fatalf("contact %s not stored", c.ID)
	}
	if stored.Birthday != cstMillis(1988, 2, 29) || stored.Gender == nil || !*stored.Gender || stored.ProvinceZh != "北京" || stored.CityZh != "北京" ||
		stored.Properties[pid] != "金卡" || len(stored.GroupIDs) != 0 {
		t.Errorf("stored %+v", stored)
	}
	if gs := e.sim.Groups(); len(gs) != 0 {
		t.Errorf("groups left: %+v", gs)
	}
	adds := e.requests("/contact/add")
	if len(adds) != 1 || param(adds[0], "opType") != "3" || !strings.HasPrefix(param(adds[0], "groupName"), "cdpgw-tmp-") {
		t.Fatalf("adds %+v", adds)
	}
	var sent []map[string]any
	if err := json.Unmarshal([]byte(param(adds[0], "contacts")), &sent); err != nil || len(sent) != 1 {
		t.Fatalf("contacts parameter %q: %v", param(adds[0], "contacts"), err)
	}
	if adds[0].Query.Get("contacts") != "" {
		t.Error("the contacts went in the URL query, not the form body")
	}
	if sent[0]["province_zh"] != "北京" || sent[0]["city_zh"] != "北京" || sent[0]["gender"] != true {
		t.Errorf("sent %v", sent[0])
	}

	// The same email again, in another case: Meihua keeps its contact. (The
	// clock moves on: a contact Meihua created before the add's temporary
	// group is one it had.)
	e.clock.Advance(time.Second)
	_, err = e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Name: "另一个", Email: "wang.wei@example.COM"}})
	e.WantVendor(err, domain.VendorExists)
	if !errors.Is(err, domain.ErrAlreadyExists) {
		t.Error("not ErrAlreadyExists")
	}
	if again, _ := e.sim.Contact(n); again.FullName != "王伟" {
		t.Errorf("the existing contact was changed: %+v", again)
	}
	if gs := e.sim.Groups(); len(gs) != 0 {
		t.Errorf("groups left: %+v", gs)
	}

	// Without email, every create is a new contact.
	a, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Name: "无邮箱"}})
	e.Must(err)
	b, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Name: "无邮箱"}})
	e.Must(err)
	if a.ID == b.ID || a.Name != "无邮箱" || b.Name != "无邮箱" {
		t.Errorf("creates without email: %s %s", a.ID, b.ID)
	}
}

// What Meihua cannot store is refused by name, and nothing is sent.
func TestCreateContactUnstorable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := domain.Contact{
		Name: "x", Nickname: "nick", HomePhone: "1", Department: "d", TimeZone: "Asia/Shanghai",
		ExternalIDs:  []domain.ExternalID{{Channel: "c", ID: "1"}},
		CustomFields: map[string]any{"attr1": "x", "12": []any{"a"}},
	}
	_, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: in})
	e.WantValidation(err, "body.nickname", "body.home_phone", "body.department", "body.time_zone", "body.external_ids",
		"body.custom_fields.attr1", "body.custom_fields.12")
	if n := len(e.requests("/contact/add")); n != 0 {
		t.Errorf("%d adds sent", n)
	}
}

// Birthdays are dates: each one reads back as it was written, through
// the detail and the list.
func TestBirthdayRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dates := []*time.Time{date(1990, 5, 10), date(1970, 1, 1), date(1969, 12, 31), date(2000, 2, 29), date(1900, 1, 1), date(2024, 12, 31)}
	byID := map[string]*time.Time{}
	for i, d := range dates {
		c, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Email: fmt.Sprintf("b%d@example.com", i), Birthday: d}})
		e.Must(err)
		if c.Birthday == nil || !c.Birthday.Equal(*d) {
			t.Errorf("%s: created with birthday %v", d.Format(time.DateOnly), c.Birthday)
		}
		byID[c.ID] = d
	}
	page, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{}, domain.PageRequest{Limit: 50})
	e.Must(err)
	for _, c := range page.Items {
		if want := byID[c.ID]; c.Birthday == nil || !c.Birthday.Equal(*want) {
			t.Errorf("listed %s with birthday %v, want %s", c.ID, c.Birthday, want.Format(time.DateOnly))
		}
	}
}

func TestBatchUpsertModes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mode       domain.OnConflict
		wantStatus domain.BatchStatus // of the existing contact
		wantName   string
		wantPhone  string // kept by merge and skip, blanked by replace
	}{
		{domain.OnConflictMerge, domain.BatchUpdated, "新名字", "13800000000"},
		{domain.OnConflictReplace, domain.BatchUpdated, "新名字", ""},
		{domain.OnConflictSkip, domain.BatchSkipped, "旧名字", "13800000000"},
	} {
		t.Run(string(tt.mode), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			old := e.sim.AddContact(meihuatest.Contact{FullName: "旧名字", Email: "old@example.com", MobilePhone: "13800000000"})
			e.clock.Advance(time.Second)
			items := []domain.ContactInput{
				{Contact: domain.Contact{Name: "新名字", Email: "OLD@example.com"}},
				{Contact: domain.Contact{Name: "新的", Email: "new@example.com"}},
				{Contact: domain.Contact{Name: "无邮箱"}},
				{Contact: domain.Contact{Name: "坏的", Nickname: "x"}},
			}
			res, err := e.ad.BatchUpsertContacts(t.Context(), items, tt.mode)
			e.Must(err)
			if len(res) != 4 {
				t.Fatalf("%d results", len(res))
			}
			for i, r := range res {
				if r.Index != i {
					t.Errorf("result %d has index %d", i, r.Index)
				}
			}
			if r := res[0]; r.Status != tt.wantStatus || r.ID != idStr(old) {
				t.Errorf("existing: %+v", r)
			}
			if r := res[1]; r.Status != domain.BatchCreated || r.ID == "" {
				t.Errorf("new: %+v", r)
			}
			if r := res[2]; r.Status != domain.BatchCreated || r.ID == "" {
				t.Errorf("without email: %+v", r)
			}
			if r := res[3]; r.Status != domain.BatchFailed || r.Err == nil {
				t.Errorf("unstorable: %+v", r)
			} else {
				e.WantValidation(r.Err, "body.nickname")
			}
			stored, _ := e.sim.Contact(old)
			if stored.FullName != tt.wantName || strings.TrimSpace(stored.MobilePhone) != tt.wantPhone {
				t.Errorf("existing contact now %q %q, want %q %q", stored.FullName, stored.MobilePhone, tt.wantName, tt.wantPhone)
			}
			for i, want := range map[int]string{1: "新的", 2: "无邮箱"} {
				n, _ := vendorhttp.PositiveID(res[i].ID)
				if c, ok := e.sim.Contact(n); !ok || c.FullName != want {
					t.Errorf("item %d id %s is %+v", i, res[i].ID, c)
				}
			}
			if gs := e.sim.Groups(); len(gs) != 0 {
				t.Errorf("groups left: %+v", gs)
			}
			if add := e.requests("/contact/add"); len(add) != 1 || param(add[0], "opType") != map[domain.OnConflict]string{
				domain.OnConflictMerge: "2", domain.OnConflictReplace: "1", domain.OnConflictSkip: "3"}[tt.mode] {
				t.Errorf("adds %d, opType %q", len(add), param(add[0], "opType"))
			}
		})
	}
}

// Contacts without email get the ids of the contacts made from them,
// matched by their fields, whatever their order.
func TestBatchIDsWithoutEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var items []domain.ContactInput
	for i := range 30 {
		items = append(items, domain.ContactInput{Contact: domain.Contact{Name: fmt.Sprintf("无邮箱 %02d", i), MobilePhone: fmt.Sprintf("139%08d", i)}})
	}
	items = append(items, items[3]) // the same fields twice: two contacts
	res, err := e.ad.BatchUpsertContacts(t.Context(), items, domain.OnConflictMerge)
	e.Must(err)
	seen := map[string]bool{}
	for i, r := range res {
		n, _ := vendorhttp.PositiveID(r.ID)
		c, ok := e.sim.Contact(n)
		if r.Status != domain.BatchCreated || !ok || c.FullName != items[i].Name || seen[r.ID] {
			t.Errorf("item %d: %+v is %+v", i, r, c)
		}
		seen[r.ID] = true
	}
}

// The adapter sends at most 1000 contacts per add: 1001 take two.
func TestBatchChunking(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	items := make([]domain.ContactInput, 1001)
	for i := range items {
		items[i] = domain.ContactInput{Contact: domain.Contact{Name: fmt.Sprintf("批量%04d", i), Email: fmt.Sprintf("bulk%04d@example.com", i)}}
	}
	res, err := e.ad.BatchUpsertContacts(t.Context(), items, domain.OnConflictMerge)
	e.Must(err)
	adds := e.requests("/contact/add")
	if len(adds) != 2 {
		t.Fatalf("%d adds for 1001 contacts, want 2", len(adds))
	}
	for i, want := range []int{1000, 1} {
		var sent []json.RawMessage
		if err := json.Unmarshal([]byte(param(adds[i], "contacts")), &sent); err != nil || len(sent) != want {
			t.Errorf("add %d holds %d contacts, want %d", i, len(sent), want)
		}
	}
	ids := map[string]bool{}
	for i, r := range res {
		if r.Status != domain.BatchCreated || r.ID == "" || ids[r.ID] {
			t.Fatalf("item %d: %+v", i, r)
		}
		ids[r.ID] = true
	}
	if n := len(e.sim.Contacts()); n != 1001 {
		t.Errorf("%d contacts stored", n)
	}
	for _, r := range e.requests("/contact/all") {
		if r.Query.Get("limit") != "50" {
			t.Errorf("member page of %s", r.Query.Get("limit"))
		}
	}
}

// A batch whose add fails for a reason every item shares is the call's
// error; one the vendor refuses for the items fails them.
func TestBatchFailures(t *testing.T) {
	t.Parallel()
	t.Run("quota spent", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.Must(e.call())
		e.sim.FailNext(meihuatest.CodeRateLimited)
		_, err := e.ad.BatchUpsertContacts(t.Context(), []domain.ContactInput{{Contact: domain.Contact{Email: "a@example.com"}}}, domain.OnConflictMerge)
		e.WantVendor(err, domain.VendorRateLimited)
	})
	t.Run("contact cap", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *envConfig) { c.sim.ContactCap = 1; c.sim.Plan = meihuatest.PlanFree })
		e.sim.AddContact(meihuatest.Contact{Email: "first@example.com"})
		res, err := e.ad.BatchUpsertContacts(t.Context(), []domain.ContactInput{{Contact: domain.Contact{Email: "a@example.com"}}}, domain.OnConflictMerge)
		e.Must(err)
		if res[0].Status != domain.BatchFailed {
			t.Fatalf("result %+v", res[0])
		}
		e.WantVendor(res[0].Err, domain.VendorLimit)
		_, err = e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Email: "b@example.com"}})
		if ve := e.WantVendor(err, domain.VendorLimit); ve.Code != meihuatest.CodeFreeCap {
			t.Errorf("code %s", ve.Code)
		}
	})
	t.Run("ids unreadable after the add", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.InjectFault(meihuatest.Fault{PathPrefix: "/contact/all", Status: 502, Times: 1})
		res, err := e.ad.BatchUpsertContacts(t.Context(), []domain.ContactInput{{Contact: domain.Contact{Email: "a@example.com"}}}, domain.OnConflictMerge)
		e.Must(err)
		if res[0].Status != domain.BatchUpserted || res[0].ID != "" {
			t.Errorf("result %+v, want upserted without id", res[0])
		}
		if gs := e.sim.Groups(); len(gs) != 0 {
			t.Errorf("groups left: %+v", gs)
		}
		_, err = e.ad.BatchUpsertContacts(t.Context(), nil, "other")
		e.WantValidation(err, "body.on_conflict")
	})
}

func TestUpdateContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pid := e.sim.AddProperty("等级", 1, "level")
	pid2 := e.sim.AddProperty("来源", 2, "source", "官网", "展会")
	base := fullContact(pid)
	base.Properties[pid2] = "官网"
	id := e.sim.AddContact(base)

	p := domain.ContactPatch{
		Values: domain.Contact{Name: "李梅", Gender: domain.GenderMale, Birthday: date(1991, 6, 1), MobilePhone: "", Address: domain.Address{City: "杭州"}},
		Set: map[domain.ContactField]bool{domain.FieldName: true, domain.FieldGender: true, domain.FieldBirthday: true,
			domain.FieldMobilePhone: true, domain.FieldCity: true, domain.FieldNote: false},
		CustomFields: map[string]any{idStr(pid): "银卡", idStr(pid2): nil},
	}
	c, err := e.ad.UpdateContact(t.Context(), idStr(id), p)
	e.Must(err)
	want := domain.Contact{
		ID: idStr(id), Name: "李梅", Gender: domain.GenderMale, Birthday: date(1991, 6, 1),
		Email: "limei@example.com", WorkPhone: "021-5555", Fax: "021-6666",
		WeChat: "limei_wx", QQ: "10001", Weibo: "limei", Company: "梅花信息", JobTitle: "开发", Website: "https://m1world.com",
		Address:      domain.Address{Country: "中国", Province: "上海", City: "杭州", Street: "淮海路1号", PostalCode: "200000"},
		Note:         "VIP",
		CustomFields: map[string]any{idStr(pid): "银卡"},
		Tags:         []domain.TagRef{}, TagsLoaded: true, ExternalIDsLoaded: true,
	}
	checkContact(t, c, want)
	got, err := e.ad.GetContact(t.Context(), idStr(id))
	e.Must(err)
	checkContact(t, got, want)

	edits := e.requests("/contact/edit")
	if len(edits) != 1 {
		t.Fatalf("%d edits", len(edits))
	}
	var fields []map[string]any
	if err := json.Unmarshal([]byte(param(edits[0], "fields")), &fields); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fields {
		names = append(names, fmt.Sprint(f["field"]))
	}
	wantNames := []string{"email", "fullName", "gender", "birthday", "mobilePhone", "city", idStr(pid), idStr(pid2)}
	if !slices.Equal(names, wantNames) || fields[0]["isUniq"] != true {
		t.Errorf("edit columns %v (%v), want %v with email unique", names, fields[0], wantNames)
	}
	var rows [][]string
	if err := json.Unmarshal([]byte(param(edits[0], "contacts")), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("edit rows %q: %v", param(edits[0], "contacts"), err)
	}
	if r := rows[0]; r[0] != "limei@example.com" || r[2] != "男" || r[3] != "Sat Jun 01 00:00:00 CST 1991" || r[4] != "" || r[7] != "" {
		t.Errorf("edit row %q", r)
	}
}

func TestUpdateContactRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	noEmail := e.sim.AddContact(meihuatest.Contact{FullName: "无邮箱"})
	withEmail := e.sim.AddContact(meihuatest.Contact{FullName: "有邮箱", Email: "has@example.com"})
	name := domain.ContactPatch{Values: domain.Contact{Name: "x"}, Set: map[domain.ContactField]bool{domain.FieldName: true}}

	_, err := e.ad.UpdateContact(t.Context(), idStr(noEmail), name)
	e.WantVendor(err, domain.VendorRejected)

	_, err = e.ad.UpdateContact(t.Context(), idStr(withEmail), domain.ContactPatch{Values: domain.Contact{Email: "new@example.com"}, Set: map[domain.ContactField]bool{domain.FieldEmail: true}})
	e.WantValidation(err, "body.email")
	_, err = e.ad.UpdateContact(t.Context(), idStr(withEmail), domain.ContactPatch{Set: map[domain.ContactField]bool{domain.FieldEmail: true}})
	e.WantValidation(err, "body.email")

	_, err = e.ad.UpdateContact(t.Context(), idStr(withEmail), domain.ContactPatch{Values: domain.Contact{Nickname: "n"}, Set: map[domain.ContactField]bool{domain.FieldNickname: true}})
	e.WantValidation(err, "body.nickname")

	_, err = e.ad.UpdateContact(t.Context(), idStr(bigID+1000), name)
	e.WantNotFound(err)

	_, err = e.ad.UpdateContact(t.Context(), idStr(withEmail), domain.ContactPatch{CustomFields: map[string]any{idStr(bigID + 999): "x"}})
	e.WantValidation(err, "body.custom_fields."+idStr(bigID+999))

	if n := len(e.requests("/contact/edit")); n != 0 {
		t.Errorf("%d edits sent", n)
	}
	if c, _ := e.sim.Contact(withEmail); c.FullName != "有邮箱" || c.Email != "has@example.com" {
		t.Errorf("contact changed: %+v", c)
	}
}

// If-Match compares the contact's updateTime.
func TestConditionalWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.sim.AddContact(meihuatest.Contact{FullName: "a", Email: "a@example.com"})
	c, err := e.ad.GetContact(t.Context(), idStr(id))
	e.Must(err)
	v1 := c.Version
	e.clock.Advance(time.Second)
	name := func(n string) domain.ContactPatch {
		return domain.ContactPatch{Values: domain.Contact{Name: n}, Set: map[domain.ContactField]bool{domain.FieldName: true}}
	}
	c, err = e.ad.UpdateContactIfVersion(t.Context(), idStr(id), v1, name("b"))
	e.Must(err)
	if c.Name != "b" || c.Version == v1 || c.Version == "" {
		t.Fatalf("updated %q at version %q (was %q)", c.Name, c.Version, v1)
	}
	_, err = e.ad.UpdateContactIfVersion(t.Context(), idStr(id), v1, name("c"))
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || pe.Current != c.Version {
		t.Fatalf("stale update: %v", err)
	}
	e.record(err)
	err = e.ad.DeleteContactIfVersion(t.Context(), idStr(id), v1)
	if !errors.As(err, &pe) {
		t.Fatalf("stale delete: %v", err)
	}
	e.Must(e.ad.DeleteContactIfVersion(t.Context(), idStr(id), c.Version))
	if _, ok := e.sim.Contact(id); ok {
		t.Error("not deleted")
	}
}

func TestDeleteContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keep := e.sim.AddContact(meihuatest.Contact{Email: "keep@example.com"})
	gone := e.sim.AddContact(meihuatest.Contact{Email: "gone@example.com"})
	e.Must(e.ad.DeleteContact(t.Context(), idStr(gone)))
	if _, ok := e.sim.Contact(gone); ok {
		t.Error("not deleted")
	}
	if _, ok := e.sim.Contact(keep); !ok {
		t.Error("the other contact was deleted")
	}
	if d := e.requests("/contact/delete"); len(d) != 1 || param(d[0], "ids") != "["+idStr(gone)+"]" {
		t.Errorf("delete requests %+v", d)
	}
	e.WantNotFound(e.ad.DeleteContact(t.Context(), idStr(gone)))
	e.WantNotFound(e.ad.DeleteContact(t.Context(), "x"))
	if n := len(e.requests("/contact/delete")); n != 1 {
		t.Errorf("%d deletes sent", n)
	}
}

// An add whose answer is lost is found out from its temporary group; one
// whose contacts' ids cannot be read back says the contact was stored.
func TestCreateContactAnswerLost(t *testing.T) {
	t.Parallel()
	t.Run("add answer lost after the vendor stored it", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.InjectFault(meihuatest.Fault{PathPrefix: "/contact/add", AfterHandler: true, Drop: true})
		c, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Name: "找回", Email: "lost@example.com"}})
		e.Must(err)
		if n, _ := vendorhttp.PositiveID(c.ID); n == 0 || c.Email != "lost@example.com" {
			t.Errorf("created %+v", c)
		}
		if n := len(e.sim.Contacts()); n != 1 {
			t.Errorf("%d contacts", n)
		}
		if gs := e.sim.Groups(); len(gs) != 0 {
			t.Errorf("groups left: %+v", gs)
		}
	})
	t.Run("vendor failure after the add, with an Idempotency-Key", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *envConfig) {
			c.ad.Client.Retry = vendorhttp.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}
		})
		e.sim.InjectFault(meihuatest.Fault{PathPrefix: "/contact/add", AfterHandler: true, Status: 503, Times: 3})
		c, err := e.ad.CreateContact(domain.WithRetrySafe(t.Context()), domain.ContactInput{Contact: domain.Contact{Name: "无邮箱"}})
		e.Must(err)
		if n := len(e.requests("/contact/add")); n != 1 || len(e.sim.Contacts()) != 1 || c.Name != "无邮箱" {
			t.Errorf("%d adds sent, %d contacts: a contact without email added again?", n, len(e.sim.Contacts()))
		}
	})
	t.Run("add answer lost before the vendor stored it", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.InjectFault(meihuatest.Fault{PathPrefix: "/contact/add", Drop: true})
		_, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Email: "lost@example.com"}})
		e.WantVendor(err, domain.VendorUnavailable)
		if n := len(e.sim.Contacts()); n != 0 {
			t.Errorf("%d contacts", n)
		}
		if gs := e.sim.Groups(); len(gs) != 0 {
			t.Errorf("groups left: %+v", gs)
		}
	})
	t.Run("ids unreadable", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.InjectFault(meihuatest.Fault{PathPrefix: "/contact/all", Status: 502, ContentType: "text/html", Body: "<html>x</html>"})
		_, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Email: "stored@example.com"}})
		ve := e.WantVendor(err, domain.VendorUnavailable)
		if !strings.Contains(ve.Detail, "stored") {
			t.Errorf("detail %q does not say the contact was stored", ve.Detail)
		}
		if n := len(e.sim.Contacts()); n != 1 {
			t.Errorf("%d contacts", n)
		}
	})
	t.Run("temporary group not deleted", func(t *testing.T) {
		t.Parallel()
		var logs vendortest.LogBuffer
		e := newEnv(t, func(c *envConfig) { c.ad.Client.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
		e.sim.InjectFault(meihuatest.Fault{PathPrefix: "/contact/group/delete", Status: 503})
		c, err := e.ad.CreateContact(t.Context(), domain.ContactInput{Contact: domain.Contact{Email: "kept@example.com"}})
		e.Must(err)
		gs := e.sim.Groups()
		if len(gs) != 1 || !strings.HasPrefix(gs[0].Name, "cdpgw-tmp-") || c.ID == "" {
			t.Fatalf("groups %+v", gs)
		}
		lines, err := logs.JSONLines()
		e.Must(err)
		found := false
		for _, l := range lines {
			if l["level"] == "WARN" && l["group"] == gs[0].Name && l["group_id"] == idStr(gs[0].ID) {
				found = true
			}
		}
		if !found {
			t.Errorf("the group left behind is not logged: %s", logs.String())
		}
	})
}
