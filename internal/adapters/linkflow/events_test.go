package linkflow_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// udeBody returns the JSON body of the last POST /ude the simulator received.
func udeBody(t *testing.T, e *env) map[string]any {
	t.Helper()
	var last []byte
	for _, r := range e.sim.Requests() {
		if r.Path == "/ude" {
			last = r.Body
		}
	}
	if last == nil {
		t.Fatal("no POST /ude received")
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(last))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("ude body %s: %v", last, err)
	}
	return m
}

func TestRecordEvent(t *testing.T) {
	t.Parallel()
	occurred := time.Date(2017, 10, 28, 8, 45, 45, 123_000_000, time.UTC)

	t.Run("by external id", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		cid := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
		e.sim.AddIdentity(cid, "example.com", "", "abc123")
		ev, err := e.ad.RecordEvent(t.Context(), domain.EventInput{
			Event: "UDE_1MG2I6HGJ", ExternalID: &domain.ExternalID{Channel: "example.com", ID: "abc123"},
			OccurredAt: occurred, Properties: map[string]string{"attr1": "DD1232", "attr20": "200.00"},
			UTM: domain.UTM{Source: "newsletter", Campaign: "spring", Medium: "email", Content: "hero", Term: "shoes"},
		})
		e.Must(err)
		body := udeBody(t, e)
		want := map[string]any{
			"event": "UDE_1MG2I6HGJ", "channelId": "example.com", "externalId": "abc123",
			"eventDate": json.Number(fmt.Sprint(occurred.UnixMilli())), "attr1": "DD1232", "attr20": "200.00",
			"utm": map[string]any{"source": "newsletter", "campaign": "spring", "medium": "email", "content": "hero", "term": "shoes"},
		}
		if fmt.Sprint(body) != fmt.Sprint(want) {
			t.Errorf("ude body\n got %v\nwant %v", body, want)
		}
		stored := e.sim.Events(cid)
		if len(stored) != 1 {
			t.Fatalf("events at the vendor %+v", stored)
		}
		s := stored[0]
		if !s.EventDate.Equal(occurred) || s.Attrs["attr1"] != "DD1232" || s.UTM == nil || s.UTM.Term != "shoes" || s.Event != "UDE_1MG2I6HGJ" {
			t.Errorf("vendor event %+v", s)
		}
		if ev.ID != idStr(s.ID) || ev.Event != "UDE_1MG2I6HGJ" || !ev.OccurredAt.Equal(occurred) ||
			ev.ExternalID == nil || *ev.ExternalID != (domain.ExternalID{Channel: "example.com", ID: "abc123", Type: "UDC"}) ||
			ev.Channel == nil || ev.Channel.ID != "example.com" || ev.Properties["attr1"] != "DD1232" || ev.CreatedAt.IsZero() {
			t.Errorf("answer %+v", ev)
		}
	})

	t.Run("by contact id, UDC identity preferred", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		cid := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
		e.sim.AddWeChatIdentity(cid, "wx1f7fbd28ac009cd0", "Official", "union-1", "open-1")
		e.sim.AddIdentity(cid, "udc_15PycxODaN", "UDC", "crm-1")
		ev, err := e.ad.RecordEvent(t.Context(), domain.EventInput{Event: "UDE_BUY", ContactID: idStr(cid), OccurredAt: occurred})
		e.Must(err)
		body := udeBody(t, e)
		if body["channelId"] != "udc_15PycxODaN" || body["externalId"] != "crm-1" {
			t.Errorf("ude body %v: want the UDC identity", body)
		}
		if ct, ok := body["channelType"]; ok && ct != "UDC" {
			t.Errorf("channelType %v", ct)
		}
		stored := e.sim.Events(cid)
		if len(stored) != 1 || stored[0].ContactID != cid {
			t.Errorf("vendor events %+v", stored)
		}
		if ev.ContactID != idStr(cid) {
			t.Errorf("answer contact %q", ev.ContactID)
		}
		if n := len(e.sim.Contacts()); n != 1 {
			t.Errorf("%d contacts: recording must not create one", n)
		}
	})

	t.Run("by contact id, only a WeChat identity", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		cid := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
		e.sim.AddWeChatIdentity(cid, "wx1f7fbd28ac009cd0", "Official", "union-1", "open-1")
		_, err := e.ad.RecordEvent(t.Context(), domain.EventInput{Event: "UDE_BUY", ContactID: idStr(cid), OccurredAt: occurred})
		e.Must(err)
		body := udeBody(t, e)
		if body["channelId"] != "wx1f7fbd28ac009cd0" || body["externalId"] != "union-1" || body["channelType"] != "WECHAT" {
			t.Errorf("ude body %v", body)
		}
		if stored := e.sim.Events(cid); len(stored) != 1 {
			t.Errorf("the event did not reach the contact: %+v", stored)
		}
		if n := len(e.sim.Contacts()); n != 1 {
			t.Errorf("%d contacts: recording must not create one", n)
		}
	})

	t.Run("contact without identities", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		cid := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
		_, err := e.ad.RecordEvent(t.Context(), domain.EventInput{Event: "UDE_BUY", ContactID: idStr(cid)})
		e.WantValidation(err, "body.contact_id")
		if n := len(e.hitsTo("/ude")); n != 0 {
			t.Errorf("%d /ude calls", n)
		}
	})

	t.Run("unknown contact", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for _, bad := range []string{"999999", "abc", ""} {
			_, err := e.ad.RecordEvent(t.Context(), domain.EventInput{Event: "UDE_BUY", ContactID: bad})
			e.WantNotFound(err)
		}
	})

	t.Run("properties other than attr1..attr20", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, err := e.ad.RecordEvent(t.Context(), domain.EventInput{
			Event: "UDE_BUY", ExternalID: &domain.ExternalID{Channel: "c", ID: "x"},
			Properties: map[string]string{"attr1": "ok", "attr0": "x", "attr21": "x", "price": "1", "Attr2": "x", "attr01": "x"},
		})
		e.WantValidation(err, "body.properties.attr0", "body.properties.attr21", "body.properties.price",
			"body.properties.Attr2", "body.properties.attr01")
		if n := len(e.Hits()); n != 0 {
			t.Errorf("%d vendor calls for a refused event", n)
		}
	})

	t.Run("occurred at defaults to the clock", func(t *testing.T) {
		t.Parallel()
		now := time.Date(2024, 3, 16, 7, 44, 20, 0, time.UTC)
		e := newEnv(t)
		ad := e.newAdapter(func(c *linkflow.Config) { c.Now = func() time.Time { return now } })
		ev, err := ad.RecordEvent(t.Context(), domain.EventInput{Event: "UDE_NOW", ExternalID: &domain.ExternalID{Channel: "c", ID: "x"}})
		e.Must(err)
		if body := udeBody(t, e); body["eventDate"] != json.Number(fmt.Sprint(now.UnixMilli())) {
			t.Errorf("eventDate %v", body["eventDate"])
		}
		if !ev.OccurredAt.Equal(now) {
			t.Errorf("occurred %v", ev.OccurredAt)
		}
	})

	t.Run("occurred at in another zone", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		at := time.Date(2024, 3, 16, 0, 30, 0, 0, cst)
		_, err := e.ad.RecordEvent(t.Context(), domain.EventInput{Event: "UDE_Z", ExternalID: &domain.ExternalID{Channel: "c", ID: "x"}, OccurredAt: at})
		e.Must(err)
		if body := udeBody(t, e); body["eventDate"] != json.Number(fmt.Sprint(at.UnixMilli())) {
			t.Errorf("eventDate %v, want %d", body["eventDate"], at.UnixMilli())
		}
	})

	t.Run("vendor refuses", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *envConfig) { c.sim.RejectUnknownEventIdentity = true })
		_, err := e.ad.RecordEvent(t.Context(), domain.EventInput{Event: "UDE_BUY", ExternalID: &domain.ExternalID{Channel: "c", ID: "nobody"}})
		e.WantNotFound(err)
	})

	t.Run("raw", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ev, err := e.ad.RecordEvent(domain.WithRaw(t.Context()), domain.EventInput{Event: "UDE_R", ExternalID: &domain.ExternalID{Channel: "c", ID: "x"}})
		e.Must(err)
		var m map[string]any
		if json.Unmarshal(ev.Raw, &m) != nil || m["event"] != "UDE_R" {
			t.Errorf("raw %s", ev.Raw)
		}
	})
}

func TestListContactEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cid := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
	other := e.sim.AddContact(linkflowtest.Contact{Name: "Other"})
	base := time.Date(2019, 12, 7, 9, 7, 11, 193_000_000, time.UTC)
	var want []int64 // newest first, as Linkflow lists them
	for i := range 17 {
		id := e.sim.AddEvent(linkflowtest.Event{
			ContactID: cid, Event: "WEBSITE__PAGE_VIEW", EventDate: base.Add(time.Duration(i) * time.Hour),
			ChannelID: "test-yyp", ChannelName: "官网", Browser: "微信", City: "南京",
			Attrs: map[string]string{"attr1": fmt.Sprint("page ", i), "attr3": "Wechat,H5"},
			UTM:   &linkflowtest.UTM{Source: "来源", Campaign: "活动", Medium: "媒介", Content: "内容", Term: "关键字"},
		})
		want = append(want, id)
	}
	slices.Reverse(want)
	e.sim.AddEvent(linkflowtest.Event{ContactID: other, Event: "OTHER", EventDate: base})
	bare := e.sim.AddContact(linkflowtest.Contact{Name: "No events"})

	for _, limits := range [][]int{{1}, {4}, {17}, {200}, {3, 5, 2, 7}} {
		t.Run(fmt.Sprint("limits ", limits), func(t *testing.T) {
			t.Parallel()
			got := vendortest.CollectPages(t, e.watch, limits, func(ev domain.Event) string { return ev.ID },
				func(p domain.PageRequest) (domain.Page[domain.Event], error) {
					return e.ad.ListContactEvents(t.Context(), idStr(cid), p)
				})
			if !slices.Equal(got, ids(want)) {
				t.Errorf("ids %v, want %v", got, ids(want))
			}
		})
	}

	t.Run("mapping", func(t *testing.T) {
		t.Parallel()
		p, err := e.ad.ListContactEvents(t.Context(), idStr(cid), domain.PageRequest{Limit: 1})
		e.Must(err)
		ev := p.Items[0]
		if ev.ID != idStr(want[0]) || ev.ContactID != idStr(cid) || ev.Event != "WEBSITE__PAGE_VIEW" ||
			!ev.OccurredAt.Equal(base.Add(16*time.Hour)) || ev.OccurredAt.Location() != time.UTC {
			t.Errorf("event %+v", ev)
		}
		if ev.Channel == nil || ev.Channel.ID != "test-yyp" || ev.Channel.Name != "官网" {
			t.Errorf("channel %+v", ev.Channel)
		}
		if ev.Properties["attr1"] != "page 16" || ev.Properties["attr3"] != "Wechat,H5" || ev.Properties["browser"] != "微信" || ev.Properties["city"] != "南京" {
			t.Errorf("properties %v", ev.Properties)
		}
		for _, k := range []string{"id", "contactId", "eventDate", "utm", "dateCreated", "contactIdentityId", "event"} {
			if _, ok := ev.Properties[k]; ok {
				t.Errorf("property %q duplicates a canonical field", k)
			}
		}
		if ev.UTM != (domain.UTM{Source: "来源", Campaign: "活动", Medium: "媒介", Content: "内容", Term: "关键字"}) {
			t.Errorf("utm %+v", ev.UTM)
		}
		if ev.Raw != nil {
			t.Errorf("raw without asking")
		}
		p, err = e.ad.ListContactEvents(domain.WithRaw(t.Context()), idStr(cid), domain.PageRequest{Limit: 1})
		e.Must(err)
		var m map[string]any
		if json.Unmarshal(p.Items[0].Raw, &m) != nil || m["attr1"] != "page 16" {
			t.Errorf("raw %s", p.Items[0].Raw)
		}
	})

	t.Run("no events", func(t *testing.T) {
		t.Parallel()
		p, err := e.ad.ListContactEvents(t.Context(), idStr(bare), domain.PageRequest{Limit: 5})
		e.Must(err)
		if len(p.Items) != 0 || p.Next != "" {
			t.Errorf("page %+v", p)
		}
	})
	for _, bad := range []string{"999999", "abc", "0"} {
		t.Run("unknown contact "+bad, func(t *testing.T) {
			t.Parallel()
			_, err := e.ad.ListContactEvents(t.Context(), bad, domain.PageRequest{Limit: 5})
			e.WantNotFound(err)
		})
	}
	t.Run("bad state", func(t *testing.T) {
		t.Parallel()
		_, err := e.ad.ListContactEvents(t.Context(), idStr(cid), domain.PageRequest{Limit: 5, State: "x12"})
		e.wantCursor(err)
	})
}

// TestRecordEventKeepsTheChannelType: an external id read back with its
// channel type records the event on that same contact, not on a new one
// in a custom channel of the same name.
func TestRecordEventKeepsTheChannelType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
	e.sim.AddIdentity(id, "wx5a39a02868a39999", "WECHAT", "union-1")
	c, err := e.ad.GetContact(t.Context(), idStr(id))
	e.Must(err)
	var ext *domain.ExternalID
	for i := range c.ExternalIDs {
		if c.ExternalIDs[i].ID == "union-1" {
			ext = &c.ExternalIDs[i]
		}
	}
	if ext == nil || ext.Type != "WECHAT" {
		t.Fatalf("external ids %v", c.ExternalIDs)
	}
	before := len(e.sim.Contacts())
	_, err = e.ad.RecordEvent(t.Context(), domain.EventInput{Event: "UDE_X", ExternalID: ext})
	e.Must(err)
	if got := e.sim.Events(id); len(got) != 1 {
		t.Fatalf("events of the contact: %+v", got)
	}
	if n := len(e.sim.Contacts()); n != before {
		t.Fatalf("the event created %d new contacts", n-before)
	}
}

// TestEventPropertyNumbersKeepEveryDigit: numeric event properties beyond
// 2^53 come back exact from lists and from recording, with and without
// include=raw. The simulator writes attributes as strings, so the vendor's
// answer is injected: Linkflow's own event properties can be numbers.
func TestEventPropertyNumbersKeepEveryDigit(t *testing.T) {
	t.Parallel()
	event := func(cid int64) string {
		return fmt.Sprintf(`{"id":11,"contactId":%d,"event":"UDE_BIG","eventDate":1710549000000,"channelId":"c","externalId":"x",`+
			`"attr1":%s,"attr2":%s,"attr3":"text","dateCreated":"2024-03-16 08:30:00"}`, cid, bigNumbers["attr1"], bigNumbers["attr2"])
	}
	check := func(t *testing.T, ev domain.Event, raw bool) {
		t.Helper()
		wantBigNumbers(t, ev.Properties, ev.Raw, raw)
		if ev.Properties["attr3"] != "text" || ev.ID != "11" {
			t.Errorf("event %+v", ev)
		}
	}
	for _, raw := range []bool{false, true} {
		t.Run(fmt.Sprint("list raw=", raw), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			cid := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
			e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/contacts/" + idStr(cid) + "/events", Status: 200,
				ContentType: jsonCT(), Body: "[" + event(cid) + "]"})
			ctx := t.Context()
			if raw {
				ctx = domain.WithRaw(ctx)
			}
			p, err := e.ad.ListContactEvents(ctx, idStr(cid), domain.PageRequest{Limit: 5})
			e.Must(err)
			if len(p.Items) != 1 {
				t.Fatalf("events %+v", p.Items)
			}
			check(t, p.Items[0], raw)
		})
		t.Run(fmt.Sprint("record raw=", raw), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			cid := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
			e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/ude", Status: 200, ContentType: jsonCT(), Body: event(cid)})
			ctx := t.Context()
			if raw {
				ctx = domain.WithRaw(ctx)
			}
			ev, err := e.ad.RecordEvent(ctx, domain.EventInput{Event: "UDE_BIG", ExternalID: &domain.ExternalID{Channel: "c", ID: "x"}})
			e.Must(err)
			check(t, ev, raw)
		})
	}
}
