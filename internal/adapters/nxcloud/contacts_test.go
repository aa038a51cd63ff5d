package nxcloud_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// seedCustomers adds n customers with distinct phones and emails and
// returns their ids in the order the query lists them (newest first).
func seedCustomers(e *env, n int) []string {
	for i := range n {
		e.sim.AddCustomer(nxcloudtest.Customer{
			FirstName: fmt.Sprintf("Cust%03d", i), WhatsAppPhone: fmt.Sprintf("86138%08d", i),
			Email: fmt.Sprintf("c%03d@example.test", i), Status: 1,
		})
	}
	return e.customerIDs()
}

func TestListContactsPagesEveryCustomerOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	want := seedCustomers(e, 123)
	for _, limits := range [][]int{{1}, {7}, {49}, {50}, {51}, {200}, {3, 50, 17, 200, 1}} {
		t.Run(fmt.Sprint(limits), func(t *testing.T) {
			got := vendortest.CollectPages(t, e.watch, limits, contactID, func(p domain.PageRequest) (domain.Page[domain.Contact], error) {
				return e.ad.ListContacts(context.Background(), domain.ContactQuery{}, p)
			})
			if !slices.Equal(got, want) {
				t.Fatalf("paged %d ids %v…, want the %d customers newest first %v…", len(got), head(got), len(want), head(want))
			}
		})
	}
	for _, r := range e.requests(nxcloudtest.PathQuery) {
		b := decodeBody(t, r.Body)
		n, err := b["limit"].(json.Number).Int64()
		if err != nil || n < 1 || n > 50 {
			t.Fatalf("query asked limit %v: NXCloud serves 1 to 50", b["limit"])
		}
		if b["tenant_id"] != json.Number(idStr(tenantID)) || b["app_key"] != appKey {
			t.Fatalf("query body names tenant %v app_key %v", b["tenant_id"], b["app_key"])
		}
	}
}

func head(ids []string) []string { return ids[:min(len(ids), 3)] }

// The first page of a list that fits in one page says it is the last,
// without an empty page after it.
func TestListContactsLastPageNeedsNoExtraCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seedCustomers(e, 5)
	p, err := e.ad.ListContacts(context.Background(), domain.ContactQuery{}, domain.PageRequest{Limit: 10})
	e.Must(err)
	if len(p.Items) != 5 || p.Next != "" {
		t.Fatalf("page of %d, next %q; want 5 and no next", len(p.Items), p.Next)
	}
	if n := e.sim.Calls(nxcloudtest.PathQuery); n != 1 {
		t.Fatalf("%d query calls, want 1", n)
	}
	if _, ok := e.lastBody(nxcloudtest.PathQuery)["after"]; ok {
		t.Fatal("the first page was asked with an after cursor")
	}
}

func TestListContactsFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	vip := e.sim.AddTag("VIP")
	other := e.sim.AddTag("其他")
	ids := map[string]int64{}
	add := func(key string, c nxcloudtest.Customer) {
		c.Status = 1
		ids[key] = e.sim.AddCustomer(c)
	}
	add("alice", nxcloudtest.Customer{FirstName: "Alice", LastName: "Wong", Email: "alice@example.test", SMSPhone: "8613800000001", WhatsAppPhone: "8613900000001"})
	add("alina", nxcloudtest.Customer{FirstName: "Alina", Email: "alina@example.test", ViberPhone: "6590000001"})
	add("bob", nxcloudtest.Customer{FirstName: "Bob", Email: "bob@example.test", SMSPhone: "8613800000002", WhatsAppPhone: "8613900000002", ViberPhone: "6590000002"})
	add("wang", nxcloudtest.Customer{FirstName: "王伟", SMSPhone: "8613800000003"})
	e.sim.TagCustomer(vip, ids["alice"], ids["bob"])
	e.sim.TagCustomer(other, ids["wang"])
	want := func(keys ...string) []string {
		var out []string
		for _, k := range keys {
			out = append(out, idStr(ids[k]))
		}
		slices.SortFunc(out, func(a, b string) int { return strings.Compare(b, a) }) // newest first: same length
		return out
	}
	for _, tc := range []struct {
		name   string
		q      domain.ContactQuery
		want   []string
		member map[string]any // what the query body must hold
	}{
		{"email", domain.ContactQuery{Email: "bob@example.test"}, want("bob"), map[string]any{"email": "bob@example.test"}},
		{"phone is the SMS number", domain.ContactQuery{Phone: "8613800000003"}, want("wang"), map[string]any{"sms_phone": "8613800000003"}},
		{"whatsapp", domain.ContactQuery{WhatsAppPhone: "8613900000001"}, want("alice"), map[string]any{"whatsApp_phone": "8613900000001"}},
		{"viber", domain.ContactQuery{ViberPhone: "6590000002"}, want("bob"), map[string]any{"viber_phone": "6590000002"}},
		{"q is the first name filter", domain.ContactQuery{Q: "Ali"}, want("alice", "alina"), map[string]any{"name": "Ali"}},
		{"q in Chinese", domain.ContactQuery{Q: "王伟"}, want("wang"), map[string]any{"name": "王伟"}},
		{"tag", domain.ContactQuery{TagID: idStr(vip)}, want("alice", "bob"), map[string]any{"tags_logic_type": "and"}},
		{"tag and q", domain.ContactQuery{TagID: idStr(vip), Q: "Bo"}, want("bob"), nil},
		{"email and phone", domain.ContactQuery{Email: "alice@example.test", Phone: "8613800000001"}, want("alice"), nil},
		{"email and another's phone", domain.ContactQuery{Email: "alice@example.test", Phone: "8613800000002"}, nil, nil},
		{"every filter", domain.ContactQuery{Email: "bob@example.test", Phone: "8613800000002", WhatsAppPhone: "8613900000002",
			ViberPhone: "6590000002", Q: "Bob", TagID: idStr(vip)}, want("bob"), nil},
		{"unknown tag", domain.ContactQuery{TagID: "99999999"}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if f := tc.q.Filters(); !slices.Contains(e.ad.ContactFilters(), f) {
				t.Fatalf("ContactFilters lacks %q", f)
			}
			got := vendortest.CollectPages(t, e.watch, []int{2}, contactID, func(p domain.PageRequest) (domain.Page[domain.Contact], error) {
				return e.ad.ListContacts(context.Background(), tc.q, p)
			})
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
		body := e.lastBody(nxcloudtest.PathQuery)
		for k, v := range tc.member {
			if body[k] != v {
				t.Errorf("%s: body member %s = %v, want %v", tc.name, k, body[k], v)
			}
		}
	}
	// The tag filter is the tag's id, as a JSON integer.
	_, err := e.ad.ListContacts(context.Background(), domain.ContactQuery{TagID: idStr(vip)}, domain.PageRequest{Limit: 5})
	e.Must(err)
	body := e.lastBody(nxcloudtest.PathQuery)
	if tags, _ := json.Marshal(body["tags"]); string(tags) != fmt.Sprintf(`[{"id":%d}]`, vip) {
		t.Fatalf("tags member %s", tags)
	}
}

func TestContactFiltersAreEveryCombination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	filters := e.ad.ContactFilters()
	if len(filters) != 63 {
		t.Fatalf("%d filter combinations, want the 63 of email, phone, q, tag_id, viber_phone, whatsapp_phone", len(filters))
	}
	for _, f := range filters {
		if strings.Contains(f, "group_id") || strings.Contains(f, "updated_since") {
			t.Fatalf("ContactFilters offers %q: NXCloud has no groups and no update-time filter", f)
		}
	}
	full := domain.ContactQuery{Email: "e", Phone: "p", Q: "q", TagID: "1", ViberPhone: "v", WhatsAppPhone: "w"}
	if filters[len(filters)-1] != full.Filters() {
		t.Fatalf("ContactFilters ends with %q, want all six together %q", filters[len(filters)-1], full.Filters())
	}
	if singles := []string{"email", "phone", "q", "tag_id", "viber_phone", "whatsapp_phone"}; !slices.Equal(filters[:6], singles) {
		t.Fatalf("ContactFilters starts %v, want the single filters %v", filters[:6], singles)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(filters)))) != 63 {
		t.Fatal("ContactFilters repeats a combination")
	}
}

func TestListContactsRefusesWhatNXCloudCannotFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	since := time.Now()
	for _, q := range []domain.ContactQuery{{GroupID: "5"}, {UpdatedSince: &since}} {
		_, err := e.ad.ListContacts(context.Background(), q, domain.PageRequest{Limit: 5})
		e.record(err)
		var ue *domain.UnsupportedError
		if !errors.As(err, &ue) {
			t.Fatalf("%+v: error %v, want an UnsupportedError", q, err)
		}
	}
	_, err := e.ad.ListContacts(context.Background(), domain.ContactQuery{TagID: "x1"}, domain.PageRequest{Limit: 5})
	e.WantValidation(err, "query.tag_id")
	if n := e.sim.Calls(""); n != 0 {
		t.Fatalf("%d calls reached nxcloud", n)
	}
}

func TestListContactsRefusesForeignCursors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, state := range []string{"o5", "a", "a-1", "a01", "a1.5", "a99999999999999999999", "x12"} {
		_, err := e.ad.ListContacts(context.Background(), domain.ContactQuery{}, domain.PageRequest{Limit: 5, State: state})
		e.record(err)
		if !errors.Is(err, domain.ErrInvalidCursor) {
			t.Fatalf("state %q: error %v, want an invalid cursor", state, err)
		}
	}
}

func TestContactMapping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddField(nxcloudtest.Field{Name: "customize_2_7", Label: "积分", Type: nxcloudtest.FieldNumber})
	e.sim.AddField(nxcloudtest.Field{Name: "customize_4_52", Label: "兴趣", Type: nxcloudtest.FieldMultiSelect, Options: []string{"1", "2"}})
	tag := e.sim.AddTag("高意向")
	created := time.Date(2024, 7, 19, 9, 29, 27, 0, time.UTC) // 17:29:27 in China
	id := e.sim.AddCustomer(nxcloudtest.Customer{
		FirstName: "Simon", LastName: "Kang", FullName: "Simon Kang",
		SMSPhone: "8618593271111", WhatsAppPhone: "8613603019759", ViberPhone: "6590001111",
		Line: "line-simon", Messenger: "m.simon", Instagram: "ig.simon", Email: "simon@example.test",
		Country: "CN", Birthday: "1990-05-10", Remark: "老客户推荐", Gender: ptr(1),
		SourceType: nxcloudtest.SourceCustomer, SourceChannelKey: "18506008399", Status: 1, Weight: 5,
		Custom:    map[string]any{"customize_2_7": json.Number("9007199254740993"), "customize_4_52": []any{"1"}},
		CreatedAt: created, UpdatedAt: created.Add(11 * 24 * time.Hour),
	})
	e.sim.TagCustomer(tag, id)
	c, err := e.ad.GetContact(context.Background(), idStr(id))
	e.Must(err)
	want := domain.Contact{
		ID: idStr(id), Name: "Simon Kang", FirstName: "Simon", LastName: "Kang", Gender: domain.GenderMale,
		Birthday: date(1990, 5, 10), Email: "simon@example.test", MobilePhone: "8618593271111",
		WhatsAppPhone: "8613603019759", ViberPhone: "6590001111", Line: "line-simon", Messenger: "m.simon", Instagram: "ig.simon",
		Address: domain.Address{Country: "CN"}, Note: "老客户推荐",
		CreatedAt: created, UpdatedAt: created.Add(11 * 24 * time.Hour),
	}
	if c.ID != want.ID || c.Name != want.Name || c.FirstName != want.FirstName || c.LastName != want.LastName ||
		c.Gender != want.Gender || c.Birthday == nil || !c.Birthday.Equal(*want.Birthday) || c.Email != want.Email ||
		c.MobilePhone != want.MobilePhone || c.WhatsAppPhone != want.WhatsAppPhone || c.ViberPhone != want.ViberPhone ||
		c.Line != want.Line || c.Messenger != want.Messenger || c.Instagram != want.Instagram || c.Address != want.Address ||
		c.Note != want.Note {
		t.Fatalf("contact %+v\nwant %+v", c, want)
	}
	if !c.CreatedAt.Equal(want.CreatedAt) || !c.UpdatedAt.Equal(want.UpdatedAt) || c.CreatedAt.Location() != time.UTC {
		t.Fatalf("times %v / %v, want %v / %v in UTC (the answers' times are China Standard Time)", c.CreatedAt, c.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	if n, ok := c.CustomFields["customize_2_7"].(json.Number); !ok || n != "9007199254740993" {
		t.Fatalf("custom number %#v, want json.Number 9007199254740993", c.CustomFields["customize_2_7"])
	}
	if l, ok := c.CustomFields["customize_4_52"].([]any); !ok || len(l) != 1 || l[0] != "1" {
		t.Fatalf("custom multi-select %#v", c.CustomFields["customize_4_52"])
	}
	if !c.TagsLoaded || len(c.Tags) != 1 || c.Tags[0] != (domain.TagRef{ID: idStr(tag), Name: "高意向"}) {
		t.Fatalf("tags %+v (loaded %v)", c.Tags, c.TagsLoaded)
	}
	if !c.ExternalIDsLoaded || len(c.ExternalIDs) != 0 {
		t.Fatalf("external ids %+v (loaded %v): NXCloud keeps none", c.ExternalIDs, c.ExternalIDsLoaded)
	}
	if c.Raw != nil {
		t.Fatal("raw record without include=raw")
	}

	// A customer with nothing set: null members read as absent, no tags
	// is a loaded empty set, gender null is no gender.
	bare := e.sim.AddCustomer(nxcloudtest.Customer{Email: "bare@example.test", Gender: ptr(0)})
	b, err := e.ad.GetContact(context.Background(), idStr(bare))
	e.Must(err)
	if b.Name != "" || b.MobilePhone != "" || b.Birthday != nil || b.Gender != domain.GenderFemale || !b.TagsLoaded || len(b.Tags) != 0 || len(b.CustomFields) != 0 {
		t.Fatalf("bare contact %+v", b)
	}
	none := e.sim.AddCustomer(nxcloudtest.Customer{Email: "none@example.test"})
	n, err := e.ad.GetContact(context.Background(), idStr(none))
	e.Must(err)
	if n.Gender != "" {
		t.Fatalf("gender %q for a customer without one", n.Gender)
	}
}

func TestRawRecordsKeepTheVendorsBytes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.sim.AddCustomer(nxcloudtest.Customer{Email: "a@example.test"})
	second := e.sim.AddCustomer(nxcloudtest.Customer{Email: "b@example.test"})
	if first != bigID || second != bigID+1 {
		t.Fatalf("ids %d, %d; want the consecutive %d, %d", first, second, bigID, bigID+1)
	}
	ctx := domain.WithRaw(context.Background())
	p, err := e.ad.ListContacts(ctx, domain.ContactQuery{}, domain.PageRequest{Limit: 10})
	e.Must(err)
	if len(p.Items) != 2 {
		t.Fatalf("%d contacts", len(p.Items))
	}
	for i, want := range []int64{second, first} {
		c := p.Items[i]
		if c.ID != idStr(want) {
			t.Fatalf("contact %d id %s, want %d", i, c.ID, want)
		}
		if !strings.Contains(string(c.Raw), fmt.Sprintf(`"id":%d,`, want)) {
			t.Fatalf("raw record %s lacks the exact id %d", c.Raw, want)
		}
	}
	g, err := e.ad.GetContact(ctx, idStr(first))
	e.Must(err)
	if !strings.Contains(string(g.Raw), fmt.Sprintf(`"id":%d,`, first)) {
		t.Fatalf("raw record %s", g.Raw)
	}
}

// Ids beyond 2^53 stay exact in cursors: pages of one step from a
// customer to its neighbour, which a float64 would merge with it.
func TestCursorsKeepIDsExact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ids := seedCustomers(e, 4) // bigID … bigID+3, consecutive
	state := ""
	for i, want := range ids {
		p, err := e.ad.ListContacts(context.Background(), domain.ContactQuery{}, domain.PageRequest{Limit: 1, State: state})
		e.Must(err)
		if len(p.Items) != 1 || p.Items[0].ID != want {
			t.Fatalf("page %d: %+v, want %s", i, p.Items, want)
		}
		if i < len(ids)-1 && p.Next != "a"+want {
			t.Fatalf("page %d: next %q, want the exact id %s", i, p.Next, want)
		}
		state = p.Next
	}
	if state != "" {
		t.Fatalf("last page has next %q", state)
	}
	for _, r := range e.requests(nxcloudtest.PathQuery)[1:] {
		if !strings.Contains(string(r.Body), `"after":10211107188276838`) {
			t.Fatalf("cursor not sent as an exact JSON integer: %s", r.Body)
		}
	}
}

func TestGetContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ids := seedCustomers(e, 3)
	for _, id := range ids {
		c, err := e.ad.GetContact(context.Background(), id)
		e.Must(err)
		if c.ID != id {
			t.Fatalf("GetContact(%s) answered %s", id, c.ID)
		}
	}
	for _, id := range []string{idStr(bigID - 1), idStr(bigID + 1000), "9223372036854775807", "0", "-5", "abc", "1021110718827683840.0"} {
		_, err := e.ad.GetContact(context.Background(), id)
		e.WantNotFound(err)
	}
	// Reading one customer is one query of one customer after id+1.
	e.sim.ResetRequests()
	_, err := e.ad.GetContact(context.Background(), ids[1])
	e.Must(err)
	b := e.lastBody(nxcloudtest.PathQuery)
	if b["limit"] != json.Number("1") || b["after"] != json.Number(idStr(bigID+2)) {
		t.Fatalf("lookup body %v, want limit 1 after %d", b, bigID+2)
	}
}
