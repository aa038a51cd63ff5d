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

func TestFolders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	root := e.sim.AddFolder(linkflowtest.Folder{Name: "root"})
	child := e.sim.AddFolder(linkflowtest.Folder{Name: "child", ParentID: root})
	var got []map[string]any
	e.ok(http.MethodGet, "/open/folders", nil, &got)
	want := []map[string]any{
		{"id": json.Number(fmt.Sprint(root)), "name": "root", "domain": "TAG", "parentId": json.Number("0"), "dateCreated": "2024-03-16 15:44:20", "lastUpdated": "2024-03-16 15:44:20"},
		{"id": json.Number(fmt.Sprint(child)), "name": "child", "domain": "TAG", "parentId": json.Number(fmt.Sprint(root)), "dateCreated": "2024-03-16 15:44:20", "lastUpdated": "2024-03-16 15:44:20"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("folders %v", got)
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	folder := e.sim.AddFolder(linkflowtest.Folder{Name: "f"})
	var ids []int64
	for i := range 7 {
		ids = append(ids, e.sim.AddTag(linkflowtest.Tag{TagName: fmt.Sprint("tag ", i), FolderID: folder}))
	}
	var seen []int64
	for page := 0; ; page++ {
		var tags []linkflowtest.Tag
		e.ok(http.MethodGet, fmt.Sprintf("/v1/tags?page=%d&size=3", page), nil, &tags)
		if len(tags) == 0 {
			break
		}
		for _, tg := range tags {
			seen = append(seen, tg.TagID)
		}
	}
	if !slices.Equal(seen, ids) {
		t.Errorf("paged %v, want %v", seen, ids)
	}
	var raw []map[string]any
	e.ok(http.MethodGet, "/v1/tags?page=0&size=1", nil, &raw)
	want := map[string]any{
		"tagId": json.Number(fmt.Sprint(ids[0])), "tagKey": fmt.Sprint("tag_", ids[0]), "tagName": "tag 0", "dataType": "text",
		"tagType": "UPLOAD", "status": "ACTIVE", "folderId": json.Number(fmt.Sprint(folder)),
		"dateCreated": "2024-03-16 15:44:20", "lastUpdated": "2024-03-16 15:44:20", "lastCalculateTime": nil,
	}
	if !reflect.DeepEqual(raw[0], want) {
		t.Errorf("tag shape %v", raw[0])
	}
	e.ok(http.MethodGet, "/v1/tags?page=0&size=200", nil, nil)
	for _, q := range []string{"?page=0&size=201", "", "?page=0", "?size=10", "?page=x&size=10", "?page=-1&size=10", "?page=0&size=0"} {
		e.fails(http.MethodGet, "/v1/tags"+q, nil, 500, "B00010")
	}

	// Calculation.
	key := fmt.Sprint("tag_", ids[2])
	e.clock.Advance(time.Hour)
	status, body := e.api(http.MethodPost, "/v1/tags/tagkeys/"+key+"/calculate", nil)
	if status != http.StatusOK || len(body) != 0 {
		t.Errorf("calculate: %d %q", status, body)
	}
	if tg, ok := e.sim.Tag(key); !ok || !tg.LastCalculateTime.Equal(t0.Add(time.Hour)) {
		t.Errorf("tag %+v", tg)
	}
	e.fails(http.MethodPost, "/v1/tags/tagkeys/nope/calculate", nil, 404, "B00008")
	e.fails(http.MethodGet, "/v1/tags/tagkeys/"+key+"/calculate", nil, 405, "METHOD_NOT_ALLOWED")
}

func TestOrdersCursorMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{OrderPageSize: 7})
	var want []int64
	for i := range 30 {
		want = append(want, e.sim.AddOrder(linkflowtest.Order{OrderID: fmt.Sprint(i), TotalPrice: 100.24, Lines: []linkflowtest.OrderLine{{LineID: "L1", Quantity: 2}}}))
	}
	var seen []int64
	last := int64(0)
	for {
		_, b := e.api(http.MethodGet, fmt.Sprintf("/open/orders?lastMaxId=%d", last), nil)
		ids := idsOf(t, b)
		if len(ids) > 7 {
			t.Fatalf("batch of %d", len(ids))
		}
		if len(ids) == 0 {
			break
		}
		seen = append(seen, ids...)
		last = ids[len(ids)-1]
	}
	if !slices.Equal(seen, want) {
		t.Errorf("cursor %v, want %v", seen, want)
	}
	e.fails(http.MethodGet, "/open/orders?lastMaxId=x", nil, 400, "B00010")
	e.fails(http.MethodGet, "/open/orders?lastMaxId=-1", nil, 400, "B00010")
}

func TestOrdersPageMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	base := time.Date(2023, 1, 1, 15, 44, 20, 0, linkflowtest.CST)
	var ids []int64
	for i := range 250 {
		ids = append(ids, e.sim.AddOrder(linkflowtest.Order{OrderID: fmt.Sprint(i), LastUpdated: base.Add(time.Duration(i) * time.Hour)}))
	}
	var seen []int64
	for page := 1; page <= 4; page++ {
		_, b := e.api(http.MethodGet, fmt.Sprintf("/open/orders?page=%d", page), nil)
		got := idsOf(t, b)
		if page <= 3 && len(got) != min(100, 250-(page-1)*100) {
			t.Errorf("page %d has %d orders", page, len(got))
		}
		seen = append(seen, got...)
	}
	if !slices.Equal(seen, ids) {
		t.Errorf("pages cover %d orders", len(seen))
	}
	// startTime inclusive, endTime exclusive, on lastUpdated.
	q := "startTime=" + strings.ReplaceAll("2023-01-01 16:44:20", " ", "%20") + "&endTime=" + strings.ReplaceAll("2023-01-01 19:44:20", " ", "%20")
	_, b := e.api(http.MethodGet, "/open/orders?page=1&"+q, nil)
	if got := idsOf(t, b); !slices.Equal(got, ids[1:4]) {
		t.Errorf("window %v, want %v", got, ids[1:4])
	}
	_, b = e.api(http.MethodGet, "/open/orders?page=2&"+q, nil)
	if got := idsOf(t, b); len(got) != 0 {
		t.Errorf("page 2 of window %v", got)
	}
	// Page defaults to 1; Jan 11 00:00 CST is 224h16m after the first order.
	_, b = e.api(http.MethodGet, "/open/orders?startTime=2023-01-11", nil)
	if got := idsOf(t, b); !slices.Equal(got, ids[225:]) {
		t.Errorf("since Jan 11: %d orders", len(got))
	}
	e.ok(http.MethodGet, "/open/orders?page=100", nil, nil)
	e.fails(http.MethodGet, "/open/orders?page=101", nil, 500, "B00093")
	for _, q := range []string{"page=0", "page=-3", "page=x", "page=1&startTime=2023/01/01", "page=1&endTime=x"} {
		e.fails(http.MethodGet, "/open/orders?"+q, nil, 400, "B00010")
	}
}

func TestOrderWireShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	contact := e.sim.AddContact(linkflowtest.Contact{})
	id := e.sim.AddOrder(linkflowtest.Order{
		OrderID: "433", ContactID: contact, ChannelID: 63, SaleChannel: "youzan", OrderStatus: "SELLER_CONSIGNED_PART",
		PayDate: "2022-11-28 10:33:45", OrderDate: "2022-11-28 10:33:44", TotalPrice: 100.24, PaymentPrice: 123.456, TotalQuantity: 1,
		Lines: []linkflowtest.OrderLine{{LineID: "L202210ddzda28", ProductName: "vitamin C", Quantity: 2, Price: 50.12}},
	})
	var got []map[string]any
	e.ok(http.MethodGet, "/open/orders?lastMaxId=0", nil, &got)
	o := got[0]
	checks := map[string]any{
		"id": json.Number(fmt.Sprint(id)), "orderId": "433", "contactId": json.Number(fmt.Sprint(contact)), "tenantId": json.Number("1"),
		"ver": json.Number("1"), "totalPrice": json.Number("100.24"), "paymentPrice": json.Number("123.456"), "refundPrice": json.Number("0"),
		"payDate": "2022-11-28 10:33:45", "cancelDate": nil, "guideCode": nil, "dateCreated": "2024-03-16 15:44:20",
		"props": map[string]any{}, "channelId": json.Number("63"),
	}
	for k, v := range checks {
		if !reflect.DeepEqual(o[k], v) {
			t.Errorf("%s = %#v, want %#v", k, o[k], v)
		}
	}
	lines := o["lines"].([]any)
	l := lines[0].(map[string]any)
	if l["orderId"] != "433" || l["contactId"] != json.Number(fmt.Sprint(contact)) || l["orderDate"] != "2022-11-28 10:33:44" ||
		l["quantity"] != json.Number("2") || l["price"] != json.Number("50.12") || l["skuId"] != nil || l["id"] == nil {
		t.Errorf("line %v", l)
	}
}

func TestShortURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	var got map[string]string
	e.ok(http.MethodPost, "/open/shorturl", map[string]any{"url": "http://www.example.com", "utm": map[string]any{"source": "s", "term": "t"}}, &got)
	if !strings.HasPrefix(got["shorturl"], "http://ln8w.cn/") || len(got["shorturl"]) != len("http://ln8w.cn/")+6 {
		t.Errorf("shorturl %v", got)
	}
	e.fails(http.MethodPost, "/open/shorturl", map[string]any{}, 400, "B00010")
	e.fails(http.MethodPost, "/open/shorturl", map[string]any{"url": "not a url"}, 400, "B00010")
	e.fails(http.MethodPost, "/open/shorturl", map[string]any{"url": "http://x.cn", "utm": map[string]any{"source": 1}}, 400, "B00010")
}

func TestSeedingKeepsGivenIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	big := int64(706402597617664)
	if id := e.sim.AddContact(linkflowtest.Contact{ID: big, Name: "big"}); id != big {
		t.Fatalf("id %d", id)
	}
	next := e.sim.AddContact(linkflowtest.Contact{})
	if next <= big {
		t.Errorf("sequence did not move past seeded id: %d", next)
	}
	var got []map[string]any
	e.ok(http.MethodGet, fmt.Sprintf("/v2/contacts_bulk?ids=%d", big), nil, &got)
	if len(got) != 1 || got[0]["id"] != json.Number("706402597617664") {
		t.Errorf("got %v", got)
	}
}

func TestWireTypesDecode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	c := e.sim.AddContact(linkflowtest.Contact{})
	e.sim.AddIdentity(c, "example.com", "", "u1")
	e.sim.AddGroupRecord(linkflowtest.Group{Name: "g", Ext1: "wx"})
	e.sim.AddOrder(linkflowtest.Order{OrderID: "1", Lines: []linkflowtest.OrderLine{{LineID: "a"}}})
	var groups []linkflowtest.Group
	e.ok(http.MethodGet, "/v2/groups", nil, &groups)
	if len(groups) != 1 || !groups[0].DateCreated.Equal(t0) || groups[0].Ext1 != "wx" {
		t.Errorf("groups %+v", groups)
	}
	var idents []linkflowtest.Identity
	e.ok(http.MethodGet, fmt.Sprintf("/contacts/%d/identities", c), nil, &idents)
	if len(idents) != 1 || !idents[0].LastUpdated.Equal(t0) || !idents[0].Channel.DateCreated.Equal(t0) || idents[0].Channel.ChannelType != "UDC" {
		t.Errorf("identities %+v", idents)
	}
	var orders []linkflowtest.Order
	e.ok(http.MethodGet, "/open/orders", nil, &orders)
	if len(orders) != 1 || !orders[0].DateCreated.Equal(t0) || len(orders[0].Lines) != 1 || !orders[0].Lines[0].LastUpdated.Equal(t0) {
		t.Errorf("orders %+v", orders)
	}
	var contacts []linkflowtest.Contact
	e.ok(http.MethodGet, "/contacts", nil, &contacts)
	if len(contacts) != 1 || !contacts[0].DateCreated.Equal(t0) || contacts[0].ID != c {
		t.Errorf("contacts %+v", contacts)
	}
}
