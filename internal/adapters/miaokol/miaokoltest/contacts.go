package miaokoltest

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
)

// Contact is a WeCom customer (contact_wxid) as added by one of the
// account's WeCom accounts (rel_wxid), with the ids of its smart tags,
// ascending.
type Contact struct {
	RelWxid, ContactWxid string
	TagIDs               []int64
}

type contactKey struct{ rel, contact string }

// AddContact adds a contact carrying tagIDs, or replaces the tags of the
// contact with these ids. It panics on an id that is no tag.
func (s *Server) AddContact(relWxid, contactWxid string, tagIDs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range tagIDs {
		if s.tags[id] == nil {
			panic("miaokoltest: AddContact: no tag " + strconv.FormatInt(id, 10))
		}
	}
	s.contacts[contactKey{relWxid, contactWxid}] = normalize(tagIDs)
}

// Contact returns the contact with these ids.
func (s *Server) Contact(relWxid, contactWxid string) (Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, ok := s.contacts[contactKey{relWxid, contactWxid}]
	return Contact{RelWxid: relWxid, ContactWxid: contactWxid, TagIDs: slices.Clone(ids)}, ok
}

// Contacts returns every contact, by rel_wxid then contact_wxid.
func (s *Server) Contacts() []Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := slices.SortedFunc(maps.Keys(s.contacts), func(a, b contactKey) int {
		return cmp.Or(cmp.Compare(a.rel, b.rel), cmp.Compare(a.contact, b.contact))
	})
	out := make([]Contact, len(keys))
	for i, k := range keys {
		out[i] = Contact{RelWxid: k.rel, ContactWxid: k.contact, TagIDs: slices.Clone(s.contacts[k])}
	}
	return out
}

// normalize sorts ids and drops repeats; the result is never nil.
func normalize(ids []int64) []int64 {
	out := slices.Compact(slices.Sorted(slices.Values(ids)))
	if out == nil {
		out = []int64{}
	}
	return out
}

// contactInfo is the data /smart-tag/updateContact answers: the contact
// with the tag ids it now carries.
type contactInfo struct {
	RelWxid     string  `json:"rel_wxid"`
	ContactWxid string  `json:"contact_wxid"`
	SmartTagIDs []int64 `json:"smart_tag_ids"`
}

// updateContact serves POST /smart-tag/updateContact: smart_tag_ids
// replaces the contact's tags. The contact must exist and every id must
// be a tag, or nothing changes.
func (s *Server) updateContact(b jsonBody) (any, error) {
	rel, err := b.requiredString("rel_wxid")
	if err != nil {
		return nil, err
	}
	contact, err := b.requiredString("contact_wxid")
	if err != nil {
		return nil, err
	}
	ids, err := b.requiredInts("smart_tag_ids")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := contactKey{rel, contact}
	if _, ok := s.contacts[key]; !ok {
		return nil, failure("客户不存在")
	}
	for _, id := range ids {
		if s.tags[id] == nil {
			return nil, failure("标签不存在: %d", id)
		}
	}
	s.contacts[key] = normalize(ids)
	return contactInfo{RelWxid: rel, ContactWxid: contact, SmartTagIDs: slices.Clone(s.contacts[key])}, nil
}
