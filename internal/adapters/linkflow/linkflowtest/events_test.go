package linkflowtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
)

func TestRecordEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	var contact map[string]any
	e.ok(http.MethodPost, "/identifiers", map[string]any{"externalId": "abc123", "channel": map[string]any{"channelId": "example.com", "name": "site"}}, &contact)
	cid, _ := contact["id"].(json.Number).Int64()

	var got map[string]any
	e.ok(http.MethodPost, "/ude", map[string]any{
		"event": "UDE_1MG2I6HGJ", "channelId": "example.com", "externalId": "abc123", "eventDate": 1509180345000,
		"attr1": "DD1232", "attr2": "200.00", "items": []any{map[string]any{"event": "UDE_SUBITEM", "attr1": "item1"}},
		"utm": map[string]any{"source": "newsletter"},
	}, &got)
	want := map[string]any{
		"externalId": "abc123", "channelId": "example.com", "event": "UDE_1MG2I6HGJ", "channelType": "UDC",
		"eventDate": json.Number("1509180345000"), "attr1": "DD1232", "attr2": "200.00",
		"dateCreated": "2024-03-16 15:44:20", "lastUpdated": "2024-03-16 15:44:20", "ver": json.Number("1"),
	}
	eventID := got["id"]
	delete(got, "id")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ude answer %v", got)
	}

	// A second event without eventDate takes the clock.
	e.clock.Advance(time.Minute)
	e.ok(http.MethodPost, "/ude", map[string]any{"event": "UDE_LATER", "channelId": "example.com", "externalId": "abc123"}, nil)

	var evs []map[string]any
	e.ok(http.MethodGet, fmt.Sprintf("/contacts/%d/events", cid), nil, &evs)
	if len(evs) != 2 {
		t.Fatalf("events %v", evs)
	}
	// Newest first.
	if evs[0]["event"] != "UDE_LATER" || evs[0]["eventDate"] != json.Number(fmt.Sprint(t0.Add(time.Minute).UnixMilli())) {
		t.Errorf("first event %v", evs[0])
	}
	first := evs[1]
	if first["id"] != eventID || first["contactId"] != contact["id"] || first["channelName"] != "site" || first["attr1"] != "DD1232" ||
		first["eventDate"] != json.Number("1509180345000") || first["contactIdentityId"] == nil ||
		!reflect.DeepEqual(first["utm"], map[string]any{"source": "newsletter", "campaign": nil, "medium": nil, "content": nil, "term": nil}) {
		t.Errorf("listed event %v", first)
	}
	stored := e.sim.Events(cid)
	if len(stored) != 2 || len(stored[0].Items) != 1 || stored[0].Items[0].Attrs["attr1"] != "item1" {
		t.Errorf("stored %+v", stored)
	}
	c, _ := e.sim.Contact(cid)
	if !c.LastSeen.Equal(t0.Add(time.Minute)) {
		t.Errorf("lastSeen %v", c.LastSeen)
	}
}

func TestRecordEventUnknownIdentity(t *testing.T) {
	t.Parallel()
	t.Run("creates the contact by default", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{})
		var got map[string]any
		e.ok(http.MethodPost, "/ude", map[string]any{"event": "E", "channelId": "new.example", "externalId": "x1"}, &got)
		var c map[string]any
		e.ok(http.MethodGet, "/identifiers?externalId=x1&channelId=new.example", nil, &c)
		cid, _ := c["id"].(json.Number).Int64()
		if evs := e.sim.Events(cid); len(evs) != 1 || evs[0].Event != "E" {
			t.Errorf("events %+v", evs)
		}
		// A second event for the same identity lands on the same contact.
		e.ok(http.MethodPost, "/ude", map[string]any{"event": "E2", "channelId": "new.example", "externalId": "x1"}, nil)
		if n := len(e.sim.Contacts()); n != 1 {
			t.Errorf("%d contacts", n)
		}
	})
	t.Run("rejected when configured", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{RejectUnknownEventIdentity: true})
		e.fails(http.MethodPost, "/ude", map[string]any{"event": "E", "channelId": "new.example", "externalId": "x1"}, 404, "B00008")
		if n := len(e.sim.Contacts()); n != 0 {
			t.Errorf("%d contacts", n)
		}
		id := e.sim.AddContact(linkflowtest.Contact{})
		e.sim.AddIdentity(id, "wx-app", "WECHAT", "union-1")
		e.fails(http.MethodPost, "/ude", map[string]any{"event": "E", "channelId": "wx-app", "externalId": "union-1"}, 404, "B00008")
		e.ok(http.MethodPost, "/ude", map[string]any{"event": "E", "channelId": "wx-app", "channelType": "WECHAT", "externalId": "union-1"}, nil)
	})
}

func TestRecordEventValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"event": "E", "channelId": "c", "externalId": "x"}
		for k, v := range extra {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name string
		body any
	}{
		{"missing event", base(map[string]any{"event": nil})},
		{"missing channelId", base(map[string]any{"channelId": nil})},
		{"missing externalId", base(map[string]any{"externalId": nil})},
		{"unknown channelType", base(map[string]any{"channelType": "FAX"})},
		{"eventDate as text", base(map[string]any{"eventDate": "2017-10-28 16:45:45"})},
		{"eventDate fractional", base(map[string]any{"eventDate": 1.5})},
		{"attr as number", base(map[string]any{"attr1": 200})},
		{"items not an array", base(map[string]any{"items": map[string]any{}})},
		{"item without event", base(map[string]any{"items": []any{map[string]any{"attr1": "x"}}})},
		{"utm not an object", base(map[string]any{"utm": "x"})},
		{"malformed", `{"event":`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.fails(http.MethodPost, "/ude", tc.body, 400, "B00010")
		})
	}
	if n := len(e.sim.Events(0)); n != 0 {
		t.Errorf("%d events recorded", n)
	}
}

func TestContactEventsPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	cid := e.sim.AddContact(linkflowtest.Contact{})
	other := e.sim.AddContact(linkflowtest.Contact{})
	var want []int64
	for i := range 13 {
		// Pairs share an eventDate so the id tie-break matters.
		id := e.sim.AddEvent(linkflowtest.Event{ContactID: cid, Event: "E", ChannelID: "c", EventDate: t0.Add(time.Duration(i/2) * time.Second)})
		want = append(want, id)
	}
	e.sim.AddEvent(linkflowtest.Event{ContactID: other, Event: "E", ChannelID: "c"})
	slices.Reverse(want)
	var seen []int64
	for page := 0; ; page++ {
		_, b := e.api(http.MethodGet, fmt.Sprintf("/contacts/%d/events?page=%d&size=4", cid, page), nil)
		ids := idsOf(t, b)
		if len(ids) == 0 {
			break
		}
		seen = append(seen, ids...)
	}
	if !slices.Equal(seen, want) {
		t.Errorf("paged %v, want %v", seen, want)
	}
	e.fails(http.MethodGet, "/contacts/999999/events", nil, 404, "B00008")
	e.fails(http.MethodGet, "/contacts/abc/events", nil, 400, "B00010")
	e.fails(http.MethodGet, fmt.Sprintf("/contacts/%d/events?size=0", cid), nil, 400, "B00010")
	e.fails(http.MethodGet, fmt.Sprintf("/contacts/%d/events?page=-1", cid), nil, 400, "B00010")
}

func TestEventsLiteCursor(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	var want []int64
	for i := range 17 {
		var got map[string]any
		e.ok(http.MethodPost, "/ude", map[string]any{"event": "E", "channelId": "c", "externalId": fmt.Sprint("x", i%4)}, &got)
		id, _ := got["id"].(json.Number).Int64()
		want = append(want, id)
	}
	var seen []int64
	last := int64(0)
	for {
		_, b := e.api(http.MethodGet, fmt.Sprintf("/events/lite?lastMaxId=%d&size=5", last), nil)
		ids := idsOf(t, b)
		if len(ids) == 0 {
			break
		}
		seen = append(seen, ids...)
		last = ids[len(ids)-1]
	}
	if !slices.Equal(seen, want) {
		t.Errorf("cursor %v, want %v", seen, want)
	}
	_, b := e.api(http.MethodGet, "/events/lite", nil) // lastMaxId defaults to 0, size to 200
	if got := idsOf(t, b); !slices.Equal(got, want) {
		t.Errorf("defaults %v", got)
	}
	e.fails(http.MethodGet, "/events/lite?lastMaxId=x", nil, 400, "B00010")
	e.fails(http.MethodGet, "/events/lite?size=0", nil, 400, "B00010")
}

func TestEventJSONRoundTrip(t *testing.T) {
	t.Parallel()
	in := linkflowtest.Event{
		ID: 1, Event: "E", EventDate: time.UnixMilli(1575709631193), ChannelID: "c", TriggerFlow: true,
		Attrs: map[string]string{"attr1": "a", "attr20": "z"}, Items: []linkflowtest.EventItem{{Event: "S", Attrs: map[string]string{"attr2": "b"}}},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	mustUnmarshal(t, b, &m)
	if m["eventDate"] != json.Number("1575709631193") || m["attr20"] != "z" || m["dateCreated"] != nil {
		t.Errorf("wire %s", b)
	}
	var out linkflowtest.Event
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !out.EventDate.Equal(in.EventDate) || !reflect.DeepEqual(out.Attrs, in.Attrs) || !reflect.DeepEqual(out.Items, in.Items) {
		t.Errorf("round trip %+v", out)
	}
}
