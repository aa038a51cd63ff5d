package linkflowtest

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"
)

var utmKeys = []string{"source", "campaign", "medium", "content", "term"}

func parseUTM(raw json.RawMessage) (*UTM, error) {
	if isNull(raw) {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, invalid("utm must be an object")
	}
	var u UTM
	dst := map[string]*string{"source": &u.Source, "campaign": &u.Campaign, "medium": &u.Medium, "content": &u.Content, "term": &u.Term}
	for _, k := range utmKeys {
		v, _, err := optString(m, k)
		if err != nil {
			return nil, invalid("utm.%s must be a string", k)
		}
		*dst[k] = v
	}
	if u.IsZero() {
		return nil, nil
	}
	return &u, nil
}

func parseAttrs(m map[string]json.RawMessage, prefix string) (map[string]string, error) {
	var attrs map[string]string
	for k, raw := range m {
		if !isAttrKey(k) || isNull(raw) {
			continue
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, invalid("%s%s must be a string", prefix, k)
		}
		if attrs == nil {
			attrs = map[string]string{}
		}
		attrs[k] = v
	}
	return attrs, nil
}

// recordEvent serves POST /ude.
func (s *Server) recordEvent(w http.ResponseWriter, r *http.Request) error {
	m, err := decodeObject(r)
	if err != nil {
		return err
	}
	code, err := reqString(m, "event")
	if err != nil {
		return err
	}
	channelID, err := reqString(m, "channelId")
	if err != nil {
		return err
	}
	externalID, err := reqString(m, "externalId")
	if err != nil {
		return err
	}
	typ, _, err := optString(m, "channelType")
	if err != nil {
		return err
	}
	if typ == "" {
		typ = channelTypeUDC
	}
	if !knownChannelType(typ) {
		return invalid("unknown channelType %q", typ)
	}
	var eventDate time.Time
	if raw, ok := m["eventDate"]; ok && !isNull(raw) {
		var ms int64
		if err := json.Unmarshal(raw, &ms); err != nil || ms <= 0 {
			return invalid("eventDate must be a positive epoch milliseconds integer")
		}
		eventDate = time.UnixMilli(ms)
	}
	attrs, err := parseAttrs(m, "")
	if err != nil {
		return err
	}
	utm, err := parseUTM(m["utm"])
	if err != nil {
		return err
	}
	var items []EventItem
	if raw, ok := m["items"]; ok && !isNull(raw) {
		var arr []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil {
			return invalid("items must be an array of objects")
		}
		for i, im := range arr {
			ic, err := reqString(im, "event")
			if err != nil {
				return invalid("items[%d].event is required", i)
			}
			ia, err := parseAttrs(im, "items[].")
			if err != nil {
				return err
			}
			items = append(items, EventItem{Event: ic, Attrs: ia})
		}
	}

	s.mu.Lock()
	now := s.now()
	if eventDate.IsZero() {
		eventDate = now
	}
	ch := s.channelByKey(typ, channelID)
	var ident *Identity
	if ch != nil {
		ident = s.identityFor(ch.ID, externalID)
	}
	if ident == nil {
		if s.cfg.RejectUnknownEventIdentity {
			s.mu.Unlock()
			return notFound("no contact with externalId %q in %s channel %q", externalID, typ, channelID)
		}
		ch = s.ensureChannel(typ, channelID, "", now)
		c := s.newContact(now)
		ident = s.linkIdentity(c.ID, ch, externalID, "", now)
	}
	e := &Event{
		ID: s.newID(), DateCreated: now, LastUpdated: now, Ver: 1,
		ContactID: ident.ContactID, ContactIdentityID: ident.ID, AnonymousID: ident.AnonymousID,
		EventDate: eventDate, ChannelID: ch.ChannelID, ChannelName: ch.Name, ChannelType: typ,
		ExternalID: externalID, Event: code, Attrs: attrs, UTM: utm, Items: items,
	}
	s.events[e.ID] = e
	if c, ok := s.contacts[ident.ContactID]; ok && eventDate.After(c.LastSeen) {
		c.LastSeen = eventDate
	}
	s.mu.Unlock()

	resp := map[string]any{
		"externalId":  externalID,
		"channelId":   channelID,
		"event":       code,
		"channelType": typ,
		"eventDate":   eventDate.UnixMilli(),
		"id":          e.ID,
		"dateCreated": FormatTime(now),
		"lastUpdated": FormatTime(now),
		"ver":         1,
	}
	for k, v := range attrs {
		resp[k] = v
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func cloneEvent(e *Event) Event {
	out := *e
	out.Attrs = maps.Clone(e.Attrs)
	if e.UTM != nil {
		u := *e.UTM
		out.UTM = &u
	}
	out.Items = slices.Clone(e.Items)
	return out
}

// listContactEvents serves GET /contacts/{id}/events (newest first).
func (s *Server) listContactEvents(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page, _, err := queryInt(q, "page", 0)
	if err != nil {
		return err
	}
	size, _, err := queryInt(q, "size", defaultListSize)
	if err != nil {
		return err
	}
	if page < 0 {
		return invalid("page must be 0 or more")
	}
	if size < 1 || size > maxListSize {
		return invalid("size must be between 1 and %d", maxListSize)
	}
	s.mu.Lock()
	if _, ok := s.contacts[id]; !ok {
		s.mu.Unlock()
		return notFound("contact %d not found", id)
	}
	var evs []*Event
	for _, e := range s.events {
		if e.ContactID == id {
			evs = append(evs, e)
		}
	}
	slices.SortFunc(evs, func(a, b *Event) int {
		if c := b.EventDate.Compare(a.EventDate); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	lo, hi := pageSlice(len(evs), page, size)
	out := make([]Event, 0, hi-lo)
	for _, e := range evs[lo:hi] {
		out = append(out, cloneEvent(e))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// listEventsLite serves GET /events/lite (cursor by id).
func (s *Server) listEventsLite(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lastMaxID, _, err := queryInt(q, "lastMaxId", 0)
	if err != nil {
		return err
	}
	size, _, err := queryInt(q, "size", defaultListSize)
	if err != nil {
		return err
	}
	if lastMaxID < 0 {
		return invalid("lastMaxId must be 0 or more")
	}
	if size < 1 || size > maxListSize {
		return invalid("size must be between 1 and %d", maxListSize)
	}
	s.mu.Lock()
	out := []Event{}
	for _, id := range sortedKeys(s.events) {
		if id <= lastMaxID {
			continue
		}
		out = append(out, cloneEvent(s.events[id]))
		if int64(len(out)) == size {
			break
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}
