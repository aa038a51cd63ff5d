package nxcloudtest_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
)

var cst = time.FixedZone("CST", 8*60*60)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

// The vendor's sample, rebuilt: the same customer answers the same JSON,
// nulls and spellings included.
func TestQueryAnswersTheSample(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	e.sim.AddField(nxcloudtest.Field{Name: "customize_4_52", Label: "等级", Type: nxcloudtest.FieldMultiSelect, Options: []string{"1", "2"}})
	e.clock.Set(at("2023-02-15 16:45:30"))
	tag := e.sim.AddTag("test")
	e.clock.Set(t0)
	e.sim.AddCustomer(nxcloudtest.Customer{
		ID: 1021110718827683840, FirstName: "Simon", FullName: "Simon", WhatsAppPhone: "861360301975912",
		Country: "CN", Address: "never answered", TimeZone: "Asia/Shanghai", SourceType: 3, SourceChannelKey: "18506008399",
		Status: 1, WhatsAppSubscribe: "1", SMSSubscribe: "1", Custom: map[string]any{"customize_4_52": []string{"1"}},
		TagIDs: []int64{tag}, Weight: 5, CreatedAt: at("2024-07-19 17:29:27"), UpdatedAt: at("2024-07-30 17:56:39"),
	})
	e.sim.AddCustomer(nxcloudtest.Customer{WhatsAppPhone: "8613800000000"}) // filtered out
	data := e.post(pathQuery, `{
    "tenant_id": 123,
    "limit": 5,
    "after": 1022100838976413697,
    "whatsApp_phone": "861360301975912",
    "app_key": "nxcloud-test-app-key"
}`).ok(t, nil)
	want := fmt.Sprintf(`{
        "paging": {"after": 1021110718827683840, "before": 1021110718827683840, "previous": null, "next": null},
        "customer_list": [{
            "id": 1021110718827683840, "first_name": "Simon", "last_name": null, "full_name": "Simon",
            "sms_phone": null, "whatsApp_phone": "861360301975912", "viber_phone": null, "line": null,
            "messenger": null, "instagram": null, "email": null, "country": "CN", "birthday": null, "remark": null,
            "source_type": 3, "source_channel_key": "18506008399", "gender": null,
            "created_at": "2024-07-19T17:29:27", "status": 1, "updated_at": "2024-07-30T17:56:39",
            "tags": [{"id": %d, "user_id": 195, "tenant_id": 123, "group_id": 0, "group_name": null, "tag_name": "test",
                "note": "", "created_at": "2023-02-15T16:45:30", "updated_at": "2023-02-15T16:45:30",
                "customer_id": 1021110718827683840}],
            "whatApp_subscribe": "1", "sms_subscribe": "1", "customize_field": "{\"customize_4_52\":[\"1\"]}",
            "tenant_id": 123, "weight": 5
        }]
    }`, tag)
	sameJSON(t, data, want)
}

// sameJSON compares two JSON texts as values, numbers by their digits.
func sameJSON(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	decode(t, got, &g)
	decode(t, []byte(want), &w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// A customer with only a phone answers null for everything unset, [] for
// its tags, and its members in the documented order.
func TestQueryUnsetMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	id := e.sim.AddCustomer(nxcloudtest.Customer{WhatsAppPhone: "8613800000000"})
	data := e.post(pathQuery, tenant(nil)).ok(t, nil)
	want := fmt.Sprintf(`{
        "paging": {"after": %[1]d, "before": %[1]d, "previous": null, "next": null},
        "customer_list": [{
            "id": %[1]d, "first_name": null, "last_name": null, "full_name": null,
            "sms_phone": null, "whatsApp_phone": "8613800000000", "viber_phone": null, "line": null,
            "messenger": null, "instagram": null, "email": null, "country": null, "birthday": null, "remark": null,
            "source_type": 0, "source_channel_key": null, "gender": null,
            "created_at": "2024-03-16T15:44:20", "status": 0, "updated_at": "2024-03-16T15:44:20",
            "tags": [], "whatApp_subscribe": null, "sms_subscribe": null, "customize_field": null,
            "tenant_id": 123, "weight": 0
        }]
    }`, id)
	sameJSON(t, data, want)
	order := []string{"id", "first_name", "last_name", "full_name", "sms_phone", "whatsApp_phone", "viber_phone", "line",
		"messenger", "instagram", "email", "country", "birthday", "remark", "source_type", "source_channel_key", "gender",
		"created_at", "status", "updated_at", "tags", "whatApp_subscribe", "sms_subscribe", "customize_field", "tenant_id", "weight"}
	if got := memberOrder(t, data, "customer_list"); !slices.Equal(got, order) {
		t.Errorf("members in order %v, want %v", got, order)
	}
}

// memberOrder lists, in the order sent, the members of the first object
// of the array data[name].
func memberOrder(t *testing.T, data json.RawMessage, name string) []string {
	t.Helper()
	var outer map[string]json.RawMessage
	decode(t, data, &outer)
	var list []json.RawMessage
	decode(t, outer[name], &list)
	dec := json.NewDecoder(strings.NewReader(string(list[0])))
	var keys []string
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// Ids are far above 2^53, where neighbours are one float64: they must come
// back digit for digit.
func TestQueryIDsAboveTwoPow53(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	a := e.sim.AddCustomer(nxcloudtest.Customer{Email: "a@example.com"})
	b := e.sim.AddCustomer(nxcloudtest.Customer{Email: "b@example.com"})
	if a != nxcloudtest.DefaultFirstID || b != a+1 {
		t.Fatalf("ids %d, %d, want %d and the next", a, b, nxcloudtest.DefaultFirstID)
	}
	if a <= 1<<53 || float64(a) != float64(b) {
		t.Fatalf("ids %d and %d should be one float64", a, b)
	}
	p := e.query(body{"limit": 1})
	if got := p.ids(); !slices.Equal(got, idStrings(b)) || numOrNull(p.Paging.Next) != idString(b) {
		t.Fatalf("first page %v next %s, want [%d] next %d", got, numOrNull(p.Paging.Next), b, b)
	}
	p = e.query(body{"limit": 1, "after": b})
	if got := p.ids(); !slices.Equal(got, idStrings(a)) {
		t.Fatalf("after %d: %v, want [%d]", b, got, a)
	}
	if tagged := p.CustomerList[0]; tagged["id"].(json.Number).String() != idString(a) {
		t.Errorf("id %v", tagged["id"])
	}
	// The digits are in the answer as sent.
	if data := e.post(pathQuery, tenant(body{"after": b})).ok(t, nil); !strings.Contains(string(data), `"id":`+idString(a)+`,`) {
		t.Errorf("answer %s lacks id %d", data, a)
	}
}

// seedIDs adds customers with the given ids (created in id order) and
// returns them newest first, as the vendor lists them.
func seedIDs(e *env, ids ...int64) []int64 {
	e.t.Helper()
	for i, id := range slices.Sorted(slices.Values(ids)) {
		e.sim.AddCustomer(nxcloudtest.Customer{ID: id, SMSPhone: fmt.Sprintf("86139%08d", i),
			CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
	}
	out := slices.Sorted(slices.Values(ids))
	slices.Reverse(out)
	return out
}

// pagingIDs spreads n ids above 2^53 with gaps and runs of consecutive
// ids.
func pagingIDs(n int) []int64 {
	ids := make([]int64, n)
	id := nxcloudtest.DefaultFirstID
	for i := range ids {
		if i%3 == 0 {
			id += 1 + int64(i)*7919
		} else {
			id++
		}
		ids[i] = id
	}
	return ids
}

func TestPagingForwardAndBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	all := seedIDs(e, pagingIDs(23)...)
	for _, limit := range []int{1, 2, 3, 7, 22, 23, 50} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			t.Parallel()
			// Forward: follow next as after until it is null.
			var forward []string
			var lastPage page
			req := body{"limit": limit}
			for pages := 0; ; pages++ {
				if pages > len(all) {
					t.Fatalf("more than %d pages: %v", len(all), forward)
				}
				p := e.query(req)
				checkPaging(t, p, all[0])
				if first := p.Paging.Previous == nil; first != (pages == 0) {
					t.Errorf("page %d: previous %s", pages, numOrNull(p.Paging.Previous))
				}
				forward = append(forward, p.ids()...)
				if p.Paging.Next == nil {
					lastPage = p
					break
				}
				req = body{"limit": limit, "after": *p.Paging.Next}
			}
			if want := idStrings(all...); !slices.Equal(forward, want) {
				t.Fatalf("forward %v, want %v", forward, want)
			}
			// Back from the last page: follow previous as before.
			var back []string
			p := lastPage
			for p.Paging.Previous != nil {
				if len(back) > len(all) {
					t.Fatalf("read back more than every customer: %v", back)
				}
				p = e.query(body{"limit": limit, "before": *p.Paging.Previous})
				checkPaging(t, p, all[0])
				back = append(p.ids(), back...)
			}
			if want := idStrings(all...); !slices.Equal(append(back, lastPage.ids()...), want) {
				t.Fatalf("back %v + %v, want %v", back, lastPage.ids(), want)
			}
			// Pages read backwards are full: the first is the listing's first.
			if got := p.ids(); len(got) != min(limit, len(all)) || got[0] != idString(all[0]) {
				t.Errorf("first page read back %v", got)
			}
		})
	}
}

// checkPaging checks a non-empty page's cursors are its first and last
// ids, and previous is null exactly on the listing's first page, the one
// that starts with top.
func checkPaging(t *testing.T, p page, top int64) {
	t.Helper()
	ids := p.ids()
	if len(ids) == 0 {
		t.Fatalf("empty page %+v", p.Paging)
	}
	if numOrNull(p.Paging.Before) != ids[0] || numOrNull(p.Paging.After) != ids[len(ids)-1] {
		t.Errorf("paging before %s after %s, page %v", numOrNull(p.Paging.Before), numOrNull(p.Paging.After), ids)
	}
	if first := ids[0] == idString(top); first != (p.Paging.Previous == nil) {
		t.Errorf("previous %s on page %v", numOrNull(p.Paging.Previous), ids)
	}
	if p.Paging.Previous != nil && *p.Paging.Previous != *p.Paging.Before {
		t.Errorf("previous %s, before %s", *p.Paging.Previous, *p.Paging.Before)
	}
	if p.Paging.Next != nil && *p.Paging.Next != *p.Paging.After {
		t.Errorf("next %s, after %s", *p.Paging.Next, *p.Paging.After)
	}
}

func TestPagingCursors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	all := seedIDs(e, 1021110718827683840, 1021110718827683841, 1021110718827683842, 1021110718827690000, 1021110718827699999)
	for _, c := range []struct {
		name string
		req  body
		want []int64
		// previous and next as text
		previous, next string
	}{
		{"first page", body{"limit": 2}, all[:2], "null", idString(all[1])},
		{"after a stored id excludes it", body{"limit": 2, "after": all[1]}, all[2:4], idString(all[2]), idString(all[3])},
		{"after an id between", body{"limit": 2, "after": int64(1021110718827695000)}, all[1:3], idString(all[1]), idString(all[2])},
		{"after above all", body{"limit": 9, "after": int64(1021110718827699999 + 1)}, all, "null", "null"},
		{"after the last", body{"limit": 2, "after": all[4]}, nil, "null", "null"},
		{"before a stored id excludes it", body{"limit": 2, "before": all[3]}, all[1:3], idString(all[1]), idString(all[2])},
		{"before near the top", body{"limit": 3, "before": all[1]}, all[:1], "null", idString(all[0])},
		{"before the first", body{"limit": 2, "before": all[0]}, nil, "null", "null"},
		{"the sample's cursor", body{"limit": 5, "after": int64(1022100838976413697)}, all, "null", "null"},
	} {
		p := e.query(c.req)
		if got := p.ids(); !slices.Equal(got, idStrings(c.want...)) {
			t.Errorf("%s: %v, want %v", c.name, got, idStrings(c.want...))
			continue
		}
		if numOrNull(p.Paging.Previous) != c.previous || numOrNull(p.Paging.Next) != c.next {
			t.Errorf("%s: previous %s next %s, want %s %s", c.name, numOrNull(p.Paging.Previous), numOrNull(p.Paging.Next), c.previous, c.next)
		}
		if len(c.want) == 0 && (p.Paging.After != nil || p.Paging.Before != nil) {
			t.Errorf("%s: empty page with cursors %+v", c.name, p.Paging)
		}
	}
	for _, bad := range []body{
		{"after": all[0], "before": all[4]},
		{"after": 0}, {"after": -5}, {"before": 0},
		{"after": idString(all[0])}, {"before": "x"},
	} {
		e.post(pathQuery, tenant(bad)).fails(t, nxcloudtest.CodeBadParameter)
	}
	e.post(pathQuery, fmt.Sprintf(`{"tenant_id":123,"app_key":%q,"after":1.0211107188276838e18}`, nxcloudtest.DefaultAppKey)).
		fails(t, nxcloudtest.CodeBadParameter)
	// null is absent.
	if got := e.query(body{"after": nil, "before": nil, "limit": 1}).ids(); !slices.Equal(got, idStrings(all[0])) {
		t.Errorf("null cursors: %v", got)
	}
}

func TestQueryLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	seedIDs(e, pagingIDs(60)...)
	for _, c := range []struct {
		limit any
		n     int
	}{{1, 1}, {50, 50}, {nil, 25}, {25, 25}} {
		req := body{}
		if c.limit != nil {
			req["limit"] = c.limit
		}
		if got := len(e.query(req).CustomerList); got != c.n {
			t.Errorf("limit %v: %d customers, want %d", c.limit, got, c.n)
		}
	}
	for _, bad := range []any{0, 51, -1, 1000, "5", 2.5, true} {
		e.post(pathQuery, tenant(body{"limit": bad})).fails(t, nxcloudtest.CodeBadParameter)
	}
}

// filterWorld holds customers the filter tests pick from, by name.
type filterWorld struct {
	e    *env
	ids  map[string]int64
	tags map[string]int64
}

func newFilterWorld(t *testing.T) *filterWorld {
	e := newEnv(t, nxcloudtest.Config{})
	w := &filterWorld{e: e, ids: map[string]int64{}, tags: map[string]int64{}}
	for _, name := range []string{"vip", "新客", "lost"} {
		w.tags[name] = e.sim.AddTag(name)
	}
	add := func(name string, c nxcloudtest.Customer) { w.ids[name] = e.sim.AddCustomer(c) }
	add("simon", nxcloudtest.Customer{FirstName: "Simon", LastName: "Kang", FullName: "Simon Kang", WhatsAppPhone: "861360301975912",
		SMSPhone: "8618593271111", SourceType: 3, SourceChannelKey: "18506008399", TagIDs: []int64{w.tags["vip"], w.tags["新客"]},
		CreatedAt: at("2024-05-06 23:59:59"), UpdatedAt: at("2024-05-07 10:00:00")})
	add("wang", nxcloudtest.Customer{FirstName: "伟", LastName: "王", FullName: "王伟", WhatsAppPhone: "8613800000000",
		Email: "Wang.Wei@Example.com", SourceType: 6, TagIDs: []int64{w.tags["vip"]}, HisTagIDs: []int64{w.tags["lost"]},
		CreatedAt: at("2024-05-07 00:00:00")})
	add("kang", nxcloudtest.Customer{FirstName: "Kang", LastName: "Simon", FullName: "Kang Simon", ViberPhone: "6591234567",
		SourceType: 3, SourceChannelKey: "whatsapp-sg-01", TagIDs: []int64{w.tags["新客"]}, HisTagIDs: []int64{w.tags["vip"]},
		CreatedAt: at("2024-05-07 23:59:59")})
	add("emma", nxcloudtest.Customer{FirstName: "Emma", Email: "emma@example.com", SMSPhone: "6590001111", SourceType: 0,
		CreatedAt: at("2024-05-08 00:00:00")})
	return w
}

func (w *filterWorld) want(names ...string) []string {
	ids := make([]int64, len(names))
	for i, n := range names {
		ids[i] = w.ids[n]
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	return idStrings(ids...)
}

func TestQueryFilters(t *testing.T) {
	t.Parallel()
	w := newFilterWorld(t)
	tag := func(names ...string) []any {
		out := make([]any, len(names))
		for i, n := range names {
			out[i] = body{"id": w.tags[n], "tag_name": n}
		}
		return out
	}
	for _, c := range []struct {
		name string
		req  body
		want []string
	}{
		{"none", body{}, []string{"simon", "wang", "kang", "emma"}},
		{"created in a day", body{"start_time": "2024-05-07 00:00:00", "end_time": "2024-05-08 00:00:00"}, []string{"wang", "kang"}},
		{"created from", body{"start_time": "2024-05-07 00:00:00"}, []string{"wang", "kang", "emma"}},
		{"created before", body{"end_time": "2024-05-07 00:00:00"}, []string{"simon"}},
		{"empty window", body{"start_time": "2024-05-07 00:00:00", "end_time": "2024-05-07 00:00:00"}, nil},
		{"empty times are absent", body{"start_time": "", "end_time": ""}, []string{"simon", "wang", "kang", "emma"}},
		{"tags and", body{"tags": tag("vip", "新客"), "tags_logic_type": "and"}, []string{"simon"}},
		{"tags or", body{"tags": tag("vip", "新客"), "tags_logic_type": "or"}, []string{"simon", "wang", "kang"}},
		{"tags logic empty is or", body{"tags": tag("vip", "新客"), "tags_logic_type": ""}, []string{"simon", "wang", "kang"}},
		{"tags logic absent is or", body{"tags": tag("vip", "新客")}, []string{"simon", "wang", "kang"}},
		{"one tag", body{"tags": tag("vip")}, []string{"simon", "wang"}},
		{"tag by id only", body{"tags": []any{body{"id": w.tags["vip"]}}}, []string{"simon", "wang"}},
		{"tag_name is not matched", body{"tags": []any{body{"id": w.tags["vip"], "tag_name": "新客"}}}, []string{"simon", "wang"}},
		{"unknown tag", body{"tags": []any{body{"id": 1}}}, nil},
		{"empty tags", body{"tags": []any{}, "tags_logic_type": "and"}, []string{"simon", "wang", "kang", "emma"}},
		{"his_tags has or had", body{"his_tags": tag("vip")}, []string{"simon", "wang", "kang"}},
		{"his_tags lost only", body{"his_tags": tag("lost")}, []string{"wang"}},
		{"his_tags and", body{"his_tags": tag("vip", "新客"), "tags_logic_type": "and"}, []string{"simon", "kang"}},
		{"tags and his_tags", body{"tags": tag("新客"), "his_tags": tag("vip")}, []string{"simon", "kang"}},
		{"source_type", body{"source_type": 3}, []string{"simon", "kang"}},
		{"source_type 0", body{"source_type": 0}, []string{"emma"}},
		{"name is first_name", body{"name": "Simon"}, []string{"simon"}},
		{"name substring any case", body{"name": "im"}, []string{"simon"}},
		{"name upper", body{"name": "KANG"}, []string{"kang"}},
		{"name Chinese", body{"name": "伟"}, []string{"wang"}},
		{"name not full_name", body{"name": "Simon Kang"}, nil},
		{"source_channel_key", body{"source_channel_key": "18506008399"}, []string{"simon"}},
		{"source_channel_key exact", body{"source_channel_key": "1850600839"}, nil},
		{"sms_phone", body{"sms_phone": "8618593271111"}, []string{"simon"}},
		{"sms_phone with +", body{"sms_phone": "+8618593271111"}, nil},
		{"whatsApp_phone", body{"whatsApp_phone": "8613800000000"}, []string{"wang"}},
		{"write spelling is not a filter", body{"whats_app_phone": "8613800000000"}, []string{"simon", "wang", "kang", "emma"}},
		{"viber_phone", body{"viber_phone": "6591234567"}, []string{"kang"}},
		{"email any case", body{"email": "wang.wei@example.COM"}, []string{"wang"}},
		{"email exact", body{"email": "wang.wei@example"}, nil},
		{"empty strings are absent", body{"name": "", "email": "", "sms_phone": ""}, []string{"simon", "wang", "kang", "emma"}},
		{"filters combine", body{"source_type": 3, "tags": tag("vip")}, []string{"simon"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := w.e.query(c.req).ids(); !slices.Equal(got, w.want(c.want...)) {
				t.Errorf("%v: got %v, want %v (%v)", c.req, got, w.want(c.want...), c.want)
			}
		})
	}
}

// Filters hold across pages.
func TestQueryFilterPaging(t *testing.T) {
	t.Parallel()
	w := newFilterWorld(t)
	p := w.e.query(body{"source_type": 3, "limit": 1})
	if got := p.ids(); !slices.Equal(got, w.want("kang")) || numOrNull(p.Paging.Previous) != "null" || p.Paging.Next == nil {
		t.Fatalf("page 1 %v %+v", got, p.Paging)
	}
	p = w.e.query(body{"source_type": 3, "limit": 1, "after": *p.Paging.Next})
	if got := p.ids(); !slices.Equal(got, w.want("simon")) || p.Paging.Next != nil || p.Paging.Previous == nil {
		t.Fatalf("page 2 %v %+v", got, p.Paging)
	}
}

func TestQueryBadFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	for _, bad := range []body{
		{"start_time": "2024-05-07"},
		{"start_time": "2024-05-07T00:00:00"},
		{"end_time": "2024/05/08 00:00:00"},
		{"end_time": 1715097600000},
		{"start_time": "2024-05-08 00:00:00", "end_time": "2024-05-07 00:00:00"},
		{"tags": "27001"},
		{"tags": []any{27001}},
		{"tags": []any{body{"tag_name": "vip"}}},
		{"tags": []any{body{"id": "27001"}}},
		{"tags": []any{body{"id": 27001, "tag_name": 5}}},
		{"his_tags": []any{body{"id": 1.5}}},
		{"tags_logic_type": "AND"},
		{"tags_logic_type": "xor"},
		{"tags_logic_type": 1},
		{"source_type": 16},
		{"source_type": -1},
		{"source_type": "3"},
		{"name": 5},
		{"email": []any{"a@example.com"}},
		{"whatsApp_phone": 8613800000000},
	} {
		e.post(pathQuery, tenant(bad)).fails(t, nxcloudtest.CodeBadParameter)
	}
}

// Customers() lists as the vendor does, and the query agrees.
func TestCustomersOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	all := seedIDs(e, pagingIDs(9)...)
	var got []int64
	for _, c := range e.sim.Customers() {
		got = append(got, c.ID)
	}
	if !slices.Equal(got, all) {
		t.Errorf("Customers %v, want %v", got, all)
	}
	if _, ok := e.sim.Customer(all[0] + 1); ok {
		t.Error("Customer found an unknown id")
	}
	if c, ok := e.sim.Customer(all[3]); !ok || c.ID != all[3] {
		t.Errorf("Customer(%d) = %+v %v", all[3], c, ok)
	}
}
