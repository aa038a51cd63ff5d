package linkflowtest

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Seeding helpers. They bypass the API validation (so tests can build states
// the API would refuse, such as more groups than MaxGroups) and panic on
// references to unknown contacts or groups, which are programming errors.
// A non-zero id in a seeded value is kept (replacing any entity with that
// id) and the id sequence moves past it; a zero id is assigned.

// AddContact stores a contact and returns its id. Zero DateCreated and
// LastUpdated take the clock, zero Ver is 1 and empty Gender is "unknown".
func (s *Server) AddContact(c Contact) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	c = c.clone()
	c.ID = s.useID(c.ID)
	if c.DateCreated.IsZero() {
		c.DateCreated = now
	}
	if c.LastUpdated.IsZero() {
		c.LastUpdated = c.DateCreated
		if now.After(c.LastUpdated) {
			c.LastUpdated = now
		}
	}
	if c.Ver == 0 {
		c.Ver = 1
	}
	if c.Gender == "" {
		c.Gender = genderUnknown
	}
	s.contacts[c.ID] = &c
	return c.ID
}

// Contact returns a copy of the stored contact.
func (s *Server) Contact(id int64) (Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.contacts[id]
	if !ok {
		return Contact{}, false
	}
	return c.clone(), true
}

// ForgetVersion makes the contact one the vendor keeps no version for:
// its answers carry "ver": null, as the documented contacts_bulk and
// v2/contacts samples show for older records, until its next change gives
// it version 1.
func (s *Server) ForgetVersion(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustContact(id)
	s.contacts[id].Ver = 0
}

// Contacts returns copies of every contact, by id.
func (s *Server) Contacts() []Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Contact, 0, len(s.contacts))
	for _, id := range sortedKeys(s.contacts) {
		out = append(out, s.contacts[id].clone())
	}
	return out
}

func (s *Server) mustContact(id int64) {
	if _, ok := s.contacts[id]; !ok {
		panic(fmt.Sprintf("linkflowtest: contact %d does not exist", id))
	}
}

// AddChannel stores a channel (or updates the one with the same channelType
// and channelId) and returns its record id. ChannelType defaults to UDC,
// Name to the channelId and Status to ACTIVE.
func (s *Server) AddChannel(ch Channel) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addChannelLocked(ch).ID
}

func (s *Server) addChannelLocked(ch Channel) *Channel {
	now := s.now()
	if ch.ChannelType == "" {
		ch.ChannelType = channelTypeUDC
	}
	if ch.ChannelID == "" {
		ch.ChannelID = "udc_" + randomString(10)
	}
	if ch.Name == "" {
		ch.Name = ch.ChannelID
	}
	if ch.Status == "" {
		ch.Status = statusActive
	}
	if existing := s.channelByKey(ch.ChannelType, ch.ChannelID); existing != nil {
		ch.ID = existing.ID
		if ch.DateCreated.IsZero() {
			ch.DateCreated = existing.DateCreated
		}
	}
	ch.ID = s.useID(ch.ID)
	if ch.DateCreated.IsZero() {
		ch.DateCreated = now
	}
	if ch.LastUpdated.IsZero() {
		ch.LastUpdated = now
	}
	s.channels[ch.ID] = &ch
	s.channelIdx[chanKey{ch.ChannelType, ch.ChannelID}] = ch.ID
	return &ch
}

// AddIdentity links a contact to an account (externalID) of the channel
// (channelType, channelID), creating the channel when needed; channelType
// defaults to UDC. It returns the identity id. An existing identity for the
// same channel and externalID is moved to the contact.
func (s *Server) AddIdentity(contactID int64, channelID, channelType, externalID string) int64 {
	return s.AddIdentityRecord(Identity{
		ContactID:  contactID,
		ExternalID: externalID,
		Channel:    Channel{ChannelID: channelID, ChannelType: channelType},
	})
}

// AddWeChatIdentity links a contact to a WeChat official account user:
// channel WECHAT appID, externalId unionID, anonymousId openID. GET
// /v1/wx/{appID}/user?unionId=unionID then answers openID.
func (s *Server) AddWeChatIdentity(contactID int64, appID, appName, unionID, openID string) int64 {
	return s.AddIdentityRecord(Identity{
		ContactID:   contactID,
		ExternalID:  unionID,
		AnonymousID: openID,
		Channel:     Channel{ChannelID: appID, ChannelType: channelTypeWX, Name: appName},
	})
}

// AddIdentityRecord stores a fully specified identity. The channel is taken
// from id.Channel (ChannelType and ChannelID, created when unknown) or, when
// id.Channel.ChannelID is empty, from the channel record id.ChannelID.
// IsActive is always set; zero Ver is 1.
func (s *Server) AddIdentityRecord(id Identity) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustContact(id.ContactID)
	now := s.now()
	var ch *Channel
	if id.Channel.ChannelID != "" {
		typ := cmp.Or(id.Channel.ChannelType, channelTypeUDC)
		ch = s.channelByKey(typ, id.Channel.ChannelID)
		if ch == nil {
			ch = s.addChannelLocked(id.Channel)
		} else if id.Channel.Name != "" {
			ch.Name = id.Channel.Name
		}
	} else {
		var ok bool
		if ch, ok = s.channels[id.ChannelID]; !ok {
			panic(fmt.Sprintf("linkflowtest: channel %d does not exist", id.ChannelID))
		}
	}
	id.ChannelID = ch.ID
	id.Channel = Channel{}
	if existing := s.identityFor(ch.ID, id.ExternalID); existing != nil && id.ID == 0 {
		id.ID = existing.ID
		id.DateCreated = cmp.Or(id.DateCreated, existing.DateCreated)
	}
	id.ID = s.useID(id.ID)
	if id.DateCreated.IsZero() {
		id.DateCreated = now
	}
	if id.LastUpdated.IsZero() {
		id.LastUpdated = now
	}
	if id.Ver == 0 {
		id.Ver = 1
	}
	id.IsActive = true
	s.storeIdentity(&id)
	return id.ID
}

// Identities returns the identities of a contact (with their channels), by id.
func (s *Server) Identities(contactID int64) []Identity {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Identity{}
	for _, iid := range s.byContact[contactID] {
		out = append(out, s.identitySnapshot(s.identities[iid]))
	}
	return out
}

// Channels returns every channel, by id.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Channel{}
	for _, id := range sortedKeys(s.channels) {
		out = append(out, *s.channels[id])
	}
	return out
}

// AddProperty stores custom-field metadata and returns its id. An empty
// Alias is assigned the next free attrN; an empty DataType is "text". A
// property with an alias already defined replaces that definition.
func (s *Server) AddProperty(p Property) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.DataType == "" {
		p.DataType = "text"
	}
	if p.Alias == "" {
		highest := 0
		for _, q := range s.properties {
			if n, err := strconv.Atoi(strings.TrimPrefix(q.Alias, "attr")); err == nil && n > highest {
				highest = n
			}
		}
		p.Alias = "attr" + strconv.Itoa(highest+1)
	}
	if existing := s.propertyByAlias(p.Alias); existing != nil && p.ID == 0 {
		p.ID = existing.ID
	}
	p.ID = s.useID(p.ID)
	if p.Label == "" {
		p.Label = p.Alias
	}
	s.properties[p.ID] = &p
	return p.ID
}

// AddGroup stores a group (groupType defaults to static) and returns its id.
// It does not apply the MaxGroups limit nor the unique-name rule.
func (s *Server) AddGroup(name, groupType string) int64 {
	return s.AddGroupRecord(Group{Name: name, GroupType: groupType})
}

// AddGroupRecord stores a fully specified group and returns its id.
func (s *Server) AddGroupRecord(g Group) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	g.ID = s.useID(g.ID)
	g.GroupType = cmp.Or(g.GroupType, groupStatic)
	if g.DateCreated.IsZero() {
		g.DateCreated = now
	}
	if g.LastUpdated.IsZero() {
		g.LastUpdated = now
	}
	s.groups[g.ID] = &g
	return g.ID
}

// Group returns a copy of a group.
func (s *Server) Group(id int64) (Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[id]
	if !ok {
		return Group{}, false
	}
	return *g, true
}

// Groups returns copies of every group, by id.
func (s *Server) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Group, 0, len(s.groups))
	for _, g := range s.groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Group) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// AddGroupMembers adds contacts to a group (static or dynamic). Contacts
// already in the group keep their memberId.
func (s *Server) AddGroupMembers(groupID int64, contactIDs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[groupID]; !ok {
		panic(fmt.Sprintf("linkflowtest: group %d does not exist", groupID))
	}
	now := s.now()
	for _, cid := range contactIDs {
		s.mustContact(cid)
		s.addMemberLocked(groupID, cid, now)
	}
}

// GroupMembers returns the contact ids of a group, by memberId.
func (s *Server) GroupMembers(groupID int64) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := slices.Collect(maps.Values(s.members[groupID]))
	slices.SortFunc(ms, func(a, b *member) int { return cmp.Compare(a.ID, b.ID) })
	out := make([]int64, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.ContactID)
	}
	return out
}

// AddFolder stores a tag folder and returns its id. Domain defaults to TAG.
func (s *Server) AddFolder(f Folder) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	f.ID = s.useID(f.ID)
	f.Domain = cmp.Or(f.Domain, "TAG")
	if f.DateCreated.IsZero() {
		f.DateCreated = now
	}
	if f.LastUpdated.IsZero() {
		f.LastUpdated = now
	}
	s.folders[f.ID] = &f
	return f.ID
}

// AddTag stores tag metadata and returns its tagId. TagKey defaults to
// tag_<tagId>, DataType to text, TagType to UPLOAD and Status to ACTIVE.
func (s *Server) AddTag(t Tag) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	t.TagID = s.useID(t.TagID)
	t.TagKey = cmp.Or(t.TagKey, "tag_"+strconv.FormatInt(t.TagID, 10))
	t.DataType = cmp.Or(t.DataType, "text")
	t.TagType = cmp.Or(t.TagType, "UPLOAD")
	t.Status = cmp.Or(t.Status, statusActive)
	if t.DateCreated.IsZero() {
		t.DateCreated = now
	}
	if t.LastUpdated.IsZero() {
		t.LastUpdated = now
	}
	s.tags[t.TagID] = &t
	return t.TagID
}

// Tags returns copies of every tag, by tagId.
func (s *Server) Tags() []Tag {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Tag, 0, len(s.tags))
	for _, t := range s.tags {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Tag) int { return cmp.Compare(a.TagID, b.TagID) })
	return out
}

// Tag returns a copy of the tag with that tagKey.
func (s *Server) Tag(tagKey string) (Tag, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tags {
		if t.TagKey == tagKey {
			return *t, true
		}
	}
	return Tag{}, false
}

// AddEvent stores an event and returns its id. When ContactID is 0 the
// contact is found (or created, as POST /ude does) through the identity
// (ChannelType, ChannelID, ExternalID); ChannelType defaults to UDC. Zero
// EventDate, DateCreated and LastUpdated take the clock; zero Ver is 1.
func (s *Server) AddEvent(e Event) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e = cloneEvent(&e)
	e.ChannelType = cmp.Or(e.ChannelType, channelTypeUDC)
	if e.ContactID == 0 {
		if e.ChannelID == "" || e.ExternalID == "" {
			panic("linkflowtest: AddEvent needs ContactID or ChannelID and ExternalID")
		}
		ch := s.ensureChannel(e.ChannelType, e.ChannelID, "", now)
		ident := s.identityFor(ch.ID, e.ExternalID)
		if ident == nil {
			c := s.newContact(now)
			ident = s.linkIdentity(c.ID, ch, e.ExternalID, "", now)
		}
		e.ContactID, e.ContactIdentityID = ident.ContactID, ident.ID
		e.ChannelName = cmp.Or(e.ChannelName, ch.Name)
	}
	s.mustContact(e.ContactID)
	e.ID = s.useID(e.ID)
	if e.EventDate.IsZero() {
		e.EventDate = now
	}
	if e.DateCreated.IsZero() {
		e.DateCreated = now
	}
	if e.LastUpdated.IsZero() {
		e.LastUpdated = now
	}
	if e.Ver == 0 {
		e.Ver = 1
	}
	s.events[e.ID] = &e
	if c := s.contacts[e.ContactID]; e.EventDate.After(c.LastSeen) {
		c.LastSeen = e.EventDate
	}
	return e.ID
}

// Events returns copies of the events of a contact (every event when
// contactID is 0), by id.
func (s *Server) Events(contactID int64) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Event{}
	for _, id := range sortedKeys(s.events) {
		if e := s.events[id]; contactID == 0 || e.ContactID == contactID {
			out = append(out, cloneEvent(e))
		}
	}
	return out
}

// AddOrder stores an order and returns its id. Lines get ids too and
// inherit the order's orderId, contactId, saleChannel, channelId and
// orderDate when theirs are empty. Zero DateCreated and LastUpdated take the
// clock; zero Ver is 1 and zero TenantID is 1.
func (s *Server) AddOrder(o Order) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	o = o.clone()
	o.ID = s.useID(o.ID)
	if o.DateCreated.IsZero() {
		o.DateCreated = now
	}
	if o.LastUpdated.IsZero() {
		o.LastUpdated = now
	}
	o.Ver = cmp.Or(o.Ver, 1)
	o.TenantID = cmp.Or(o.TenantID, 1)
	for i := range o.Lines {
		l := &o.Lines[i]
		l.ID = s.useID(l.ID)
		if l.DateCreated.IsZero() {
			l.DateCreated = o.DateCreated
		}
		if l.LastUpdated.IsZero() {
			l.LastUpdated = o.LastUpdated
		}
		l.Ver = cmp.Or(l.Ver, 1)
		l.TenantID = cmp.Or(l.TenantID, o.TenantID)
		l.OrderID = cmp.Or(l.OrderID, o.OrderID)
		l.ContactID = cmp.Or(l.ContactID, o.ContactID)
		l.SaleChannel = cmp.Or(l.SaleChannel, o.SaleChannel)
		l.ChannelID = cmp.Or(l.ChannelID, o.ChannelID)
		l.OrderDate = cmp.Or(l.OrderDate, o.OrderDate)
	}
	s.orders[o.ID] = &o
	return o.ID
}
