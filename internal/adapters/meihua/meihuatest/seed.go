package meihuatest

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Contact is a stored contact. String fields hold what was stored: the
// vendor's blank " " or "" both mean no value, and both are answered " ".
type Contact struct {
	ID       int64
	FullName string
	Gender   *bool // true 男 (male), false 女 (female), nil unknown
	Birthday int64 // epoch milliseconds, 0 none

	CompanyName, JobTitle, Email, WorkPhone, MobilePhone, Website, Fax, Country string
	ProvinceZh, CityZh, Address, PostCode, QQ, Weibo, Weixin, Notes             string

	// Properties maps a custom property id to the contact's value (its
	// label, in the vendor's words).
	Properties map[int64]string
	GroupIDs   []int64 // ascending
	TagIDs     []int64 // ascending
	// Source names where the contact came from, answered in "sources":
	// "API导入" for contacts added through /contact/add; "" none.
	Source string

	CreateTime, UpdateTime int64 // epoch milliseconds
}

func (c *Contact) clone() Contact {
	out := *c
	if c.Gender != nil {
		g := *c.Gender
		out.Gender = &g
	}
	out.Properties = maps.Clone(c.Properties)
	out.GroupIDs = slices.Clone(c.GroupIDs)
	out.TagIDs = slices.Clone(c.TagIDs)
	return out
}

// Group is a contact group; ContactIDs lists its members, ascending.
type Group struct {
	ID                     int64
	Name                   string
	CreateTime, UpdateTime int64
	ContactIDs             []int64
}

// Tag is a contact tag; ContactIDs lists the tagged contacts, ascending.
type Tag struct {
	ID         int64
	Name       string
	CreateTime int64
	ContactIDs []int64
}

// Property is a custom contact field.
type Property struct {
	ID          int64
	Label       string
	FieldType   int // 1 text, 2 dropdown
	Description string
	Options     []string // the dropdown's choices
	CreateTime  int64
}

// EDMTask is an email campaign send and what its recipients did.
type EDMTask struct {
	ID         int64
	Subject    string
	Thumbnail  string
	MailingID  string
	Status     int
	CreateTime int64 // epoch milliseconds
	SendTime   int64 // epoch milliseconds
	Events     []EDMEvent
}

// EDMEvent is one recipient's action on a campaign. Type is the answered
// dmdtype: "open", "click", "unsubscribe", "softbounce1x" … "softbounce
// final", "hardbounce1x" … "hardbounce final" or "spamcomplaint".
type EDMEvent struct {
	Type      string
	Email     string
	EventDate time.Time
	ClickName string
	ClickURL  string
	IP        string
	Country   string
	Province  string
	City      string
	Software  string
	ClientOS  string
}

// Seeding helpers bypass the API's checks, the contact cap and the hourly
// budget. They panic on a reference to a group, tag, property or contact
// that does not exist, a programming error in the test.

// AddContact stores c and returns its id: c.ID, or the next id when it is
// 0 (a contact with that id is replaced). Zero CreateTime takes the clock
// and zero UpdateTime the CreateTime.
func (s *Server) AddContact(c Contact) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c = c.clone()
	for id := range c.Properties {
		s.mustProperty(id)
	}
	for _, id := range c.GroupIDs {
		s.mustGroup(id)
	}
	for _, id := range c.TagIDs {
		s.mustTag(id)
	}
	slices.Sort(c.GroupIDs)
	c.GroupIDs = slices.Compact(c.GroupIDs)
	slices.Sort(c.TagIDs)
	c.TagIDs = slices.Compact(c.TagIDs)
	c.ID = s.useID(c.ID)
	c.CreateTime = cmp.Or(c.CreateTime, s.nowMillis())
	c.UpdateTime = cmp.Or(c.UpdateTime, c.CreateTime)
	if c.Source != "" {
		s.sourceID(c.Source)
	}
	if old, ok := s.contacts[c.ID]; ok {
		s.unindex(old)
	}
	s.contacts[c.ID] = &c
	s.index(&c)
	return c.ID
}

// Contact returns a copy of a stored contact.
func (s *Server) Contact(id int64) (Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.contacts[id]
	if !ok {
		return Contact{}, false
	}
	return c.clone(), true
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

// AddGroup stores a group and returns its id. Unlike the API it allows a
// name that is already taken.
func (s *Server) AddGroup(name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addGroupLocked(name).ID
}

func (s *Server) addGroupLocked(name string) *Group {
	now := s.nowMillis()
	g := &Group{ID: s.newID(), Name: name, CreateTime: now, UpdateTime: now}
	s.groups[g.ID] = g
	return g
}

// AddToGroup makes contacts members of a group.
func (s *Server) AddToGroup(groupID int64, contactIDs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustGroup(groupID)
	s.attach(groupsOf, groupID, contactIDs)
}

// groupsOf and tagsOf are a contact's group and tag lists.
func groupsOf(c *Contact) *[]int64 { return &c.GroupIDs }
func tagsOf(c *Contact) *[]int64   { return &c.TagIDs }

// attach adds id to a list (groupsOf, tagsOf) of each contact. Callers
// hold s.mu.
func (s *Server) attach(list func(*Contact) *[]int64, id int64, contactIDs []int64) {
	for _, cid := range contactIDs {
		l := list(s.mustContact(cid))
		*l = insertSorted(*l, id)
	}
}

// Groups returns copies of every group with its members, by id.
func (s *Server) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Group, 0, len(s.groups))
	for _, id := range sortedKeys(s.groups) {
		out = append(out, s.groupSnapshot(s.groups[id]))
	}
	return out
}

// Group returns a copy of a group with its members.
func (s *Server) Group(id int64) (Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[id]
	if !ok {
		return Group{}, false
	}
	return s.groupSnapshot(g), true
}

func (s *Server) groupSnapshot(g *Group) Group {
	out := *g
	out.ContactIDs = s.members(groupsOf, g.ID)
	return out
}

// members lists, ascending, the contacts whose list (groupsOf, tagsOf)
// holds id.
func (s *Server) members(list func(*Contact) *[]int64, id int64) []int64 {
	out := []int64{}
	for _, cid := range sortedKeys(s.contacts) {
		if _, ok := slices.BinarySearch(*list(s.contacts[cid]), id); ok {
			out = append(out, cid)
		}
	}
	return out
}

// AddTag stores a tag and returns its id. Unlike the API it allows a name
// that is already taken.
func (s *Server) AddTag(name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addTagLocked(name).ID
}

func (s *Server) addTagLocked(name string) *Tag {
	t := &Tag{ID: s.newID(), Name: name, CreateTime: s.nowMillis()}
	s.tags[t.ID] = t
	return t
}

// TagContact tags contacts; their answers list the tag in "tags". The API
// has no call that does this.
func (s *Server) TagContact(tagID int64, contactIDs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustTag(tagID)
	s.attach(tagsOf, tagID, contactIDs)
}

// Tags returns copies of every tag with its contacts, by id.
func (s *Server) Tags() []Tag {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Tag, 0, len(s.tags))
	for _, id := range sortedKeys(s.tags) {
		t := *s.tags[id]
		t.ContactIDs = s.members(tagsOf, id)
		out = append(out, t)
	}
	return out
}

// AddProperty stores a custom property (fieldType 1 text, 2 dropdown, with
// its options) and returns its id.
func (s *Server) AddProperty(label string, fieldType int, description string, options ...string) int64 {
	if fieldType != propertyText && fieldType != propertyDropdown {
		panic(fmt.Sprintf("meihuatest: property field type %d, want 1 or 2", fieldType))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &Property{ID: s.newID(), Label: label, FieldType: fieldType, Description: description,
		Options: slices.Clone(options), CreateTime: s.nowMillis()}
	s.props[p.ID] = p
	return p.ID
}

// Properties returns copies of every custom property, by id.
func (s *Server) Properties() []Property {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Property, 0, len(s.props))
	for _, id := range sortedKeys(s.props) {
		p := *s.props[id]
		p.Options = slices.Clone(p.Options)
		out = append(out, p)
	}
	return out
}

// AddEDMTask stores a campaign with its events and returns its task id:
// t.ID, or the next id when it is 0. Zero CreateTime and SendTime take the
// clock.
func (s *Server) AddEDMTask(t EDMTask) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.ID = s.useID(t.ID)
	t.CreateTime = cmp.Or(t.CreateTime, s.nowMillis())
	t.SendTime = cmp.Or(t.SendTime, s.nowMillis())
	t.Events = slices.Clone(t.Events)
	s.edmTasks[t.ID] = &t
	return t.ID
}

// ---- internal bookkeeping (callers hold s.mu) ----

func (s *Server) mustContact(id int64) *Contact {
	c, ok := s.contacts[id]
	if !ok {
		panic(fmt.Sprintf("meihuatest: contact %d does not exist", id))
	}
	return c
}

func (s *Server) mustGroup(id int64) {
	if _, ok := s.groups[id]; !ok {
		panic(fmt.Sprintf("meihuatest: group %d does not exist", id))
	}
}

func (s *Server) mustTag(id int64) {
	if _, ok := s.tags[id]; !ok {
		panic(fmt.Sprintf("meihuatest: tag %d does not exist", id))
	}
}

func (s *Server) mustProperty(id int64) {
	if _, ok := s.props[id]; !ok {
		panic(fmt.Sprintf("meihuatest: property %d does not exist", id))
	}
}

// sourceID is the id of a contact source, created on first use.
func (s *Server) sourceID(name string) int64 {
	id, ok := s.sources[name]
	if !ok {
		id = s.newID()
		s.sources[name] = id
	}
	return id
}

// emailKey is how emails are matched: trimmed and case-insensitive; ""
// never matches.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func (s *Server) index(c *Contact) {
	if k := emailKey(c.Email); k != "" {
		s.byEmail[k] = insertSorted(s.byEmail[k], c.ID)
	}
}

func (s *Server) unindex(c *Contact) {
	k := emailKey(c.Email)
	if k == "" {
		return
	}
	ids := slices.DeleteFunc(s.byEmail[k], func(id int64) bool { return id == c.ID })
	if len(ids) == 0 {
		delete(s.byEmail, k)
		return
	}
	s.byEmail[k] = ids
}

// byEmailLocked is the contact an email matches: the oldest with it.
func (s *Server) byEmailLocked(email string) *Contact {
	if ids := s.byEmail[emailKey(email)]; len(ids) > 0 {
		return s.contacts[ids[0]]
	}
	return nil
}

// deleteContactLocked removes a contact and its history.
func (s *Server) deleteContactLocked(id int64) {
	if c, ok := s.contacts[id]; ok {
		s.unindex(c)
		delete(s.contacts, id)
		delete(s.opLogs, id)
	}
}

func insertSorted(ids []int64, id int64) []int64 {
	i, found := slices.BinarySearch(ids, id)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}

func sortedKeys[V any](m map[int64]V) []int64 {
	return slices.Sorted(maps.Keys(m))
}
