package linkflowtest

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

const (
	groupStatic         = "static"
	groupDynamic        = "dynamic"
	openGroupsMax       = 2000
	defaultMembersSize  = 500
	maxMembersSize      = 500
	statusGroupExists   = http.StatusBadRequest
	statusTooMany       = http.StatusBadRequest
	statusGroupLimitHit = http.StatusPreconditionFailed
)

// queryGroups serves GET /v2/groups and GET /open/groups (capped at 2000).
func (s *Server) queryGroups(capped bool) vendortest.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		id, hasID, err := queryInt(q, "id", 0)
		if err != nil {
			return err
		}
		minUpdated, hasMin, err := queryTime(q, "lastUpdated")
		if err != nil {
			return err
		}
		name := strings.ToLower(q.Get("name"))
		groupType, ext1, ext2 := q.Get("groupType"), q.Get("ext1"), q.Get("ext2")
		s.mu.Lock()
		out := []Group{}
		for _, gid := range sortedKeys(s.groups) {
			g := s.groups[gid]
			switch {
			case hasID && g.ID != id,
				name != "" && !strings.Contains(strings.ToLower(g.Name), name),
				groupType != "" && g.GroupType != groupType,
				ext1 != "" && g.Ext1 != ext1,
				ext2 != "" && g.Ext2 != ext2,
				hasMin && g.LastUpdated.Before(minUpdated):
				continue
			}
			out = append(out, *g)
			if capped && len(out) == openGroupsMax {
				break
			}
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

// createGroup serves POST /v2/groups and POST /open/groups.
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) error {
	m, err := decodeObject(r)
	if err != nil {
		return err
	}
	name, err := reqString(m, "name")
	if err != nil {
		return err
	}
	groupType, _, err := optString(m, "groupType")
	if err != nil {
		return err
	}
	if groupType != "" && groupType != groupStatic {
		return invalid("groupType can only be static, got %q", groupType)
	}
	ext1, _, err := optString(m, "ext1")
	if err != nil {
		return err
	}
	ext2, _, err := optString(m, "ext2")
	if err != nil {
		return err
	}
	s.mu.Lock()
	for _, g := range s.groups {
		if g.Name == name {
			s.mu.Unlock()
			return &apiError{statusGroupExists, codeGroupExists, "group " + name + " already exists"}
		}
	}
	if len(s.groups) >= s.cfg.MaxGroups {
		s.mu.Unlock()
		return &apiError{statusGroupLimitHit, codeGroupLimit, "the number of groups has reached its limit"}
	}
	now := s.now()
	g := &Group{ID: s.newID(), Name: name, GroupType: groupStatic, Ext1: ext1, Ext2: ext2, DateCreated: now, LastUpdated: now}
	s.groups[g.ID] = g
	out := *g
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// contactGroups serves GET /v2/contacts/{id}/groups and
// GET /open/contacts/{id}/groups.
func (s *Server) contactGroups(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	groupType := r.URL.Query().Get("groupType")
	s.mu.Lock()
	if _, ok := s.contacts[id]; !ok {
		s.mu.Unlock()
		return notFound("contact %d not found", id)
	}
	out := []Group{}
	for _, gid := range sortedKeys(s.groups) {
		g := s.groups[gid]
		if groupType != "" && g.GroupType != groupType {
			continue
		}
		if _, ok := s.members[gid][id]; ok {
			out = append(out, *g)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

type memberContact struct {
	MobilePhone *string `json:"mobilePhone"`
	Name        *string `json:"name"`
	ID          int64   `json:"id"`
	Email       *string `json:"email"`
}

type memberView struct {
	LastUpdated    vtime         `json:"lastUpdated"`
	DateCreated    vtime         `json:"dateCreated"`
	Contact        memberContact `json:"contact"`
	ContactGroupID int64         `json:"contactGroupId"`
	Version        *int64        `json:"version"`
	MemberID       int64         `json:"memberId"`
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// listMembers serves GET /v2/groups/{id}/contacts and
// GET /open/groups/{id}/contacts.
func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) error {
	gid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	after, _, err := queryInt(q, "memberId", 0)
	if err != nil {
		return err
	}
	size, _, err := queryInt(q, "size", defaultMembersSize)
	if err != nil {
		return err
	}
	if size > maxMembersSize {
		return &apiError{statusTooMany, codeTooMany, "size must not exceed 500"}
	}
	if size < 1 {
		return invalid("size must be 1 or more")
	}
	s.mu.Lock()
	if _, ok := s.groups[gid]; !ok {
		s.mu.Unlock()
		return notFound("group %d not found", gid)
	}
	ms := make([]*member, 0, len(s.members[gid]))
	for _, m := range s.members[gid] {
		if m.ID > after {
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b *member) int { return cmp.Compare(a.ID, b.ID) })
	if int64(len(ms)) > size {
		ms = ms[:size]
	}
	out := make([]memberView, 0, len(ms))
	for _, m := range ms {
		mv := memberView{
			LastUpdated: vtime(m.LastUpdated), DateCreated: vtime(m.DateCreated),
			ContactGroupID: gid, MemberID: m.ID,
			Contact: memberContact{ID: m.ContactID},
		}
		if c, ok := s.contacts[m.ContactID]; ok {
			mv.Contact.Name, mv.Contact.MobilePhone, mv.Contact.Email = strOrNil(c.Name), strOrNil(c.MobilePhone), strOrNil(c.Email)
		}
		out = append(out, mv)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

type membershipResult struct {
	Success []int64 `json:"success"`
	Failure []int64 `json:"failure"`
	Group   Group   `json:"group"`
}

func (s *Server) addMembers(w http.ResponseWriter, r *http.Request) error {
	return s.changeMembers(w, r, true)
}

func (s *Server) removeMembers(w http.ResponseWriter, r *http.Request) error {
	return s.changeMembers(w, r, false)
}

// changeMembers serves POST and DELETE /v2/groups/{id}/contacts (and the
// /open variants). The body is a JSON array of contact ids.
func (s *Server) changeMembers(w http.ResponseWriter, r *http.Request, add bool) error {
	gid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := decodeBody(r, &raw); err != nil {
		return err
	}
	var ids []int64
	if err := json.Unmarshal(raw, &ids); err != nil {
		return invalid("body must be a JSON array of contact ids")
	}
	if len(ids) > s.cfg.MaxMembersPerCall {
		return &apiError{statusTooMany, codeTooMany, "too many contacts in one call"}
	}
	out, err := locked(s, func() (membershipResult, error) {
		var zero membershipResult
		g, ok := s.groups[gid]
		if !ok {
			return zero, notFound("group %d not found", gid)
		}
		if g.GroupType == groupDynamic {
			return zero, invalid("members of dynamic group %d cannot be changed", gid)
		}
		res := membershipResult{Success: []int64{}, Failure: []int64{}}
		seen := map[int64]bool{}
		now := s.now()
		changed := false
		for _, cid := range ids {
			if seen[cid] {
				continue
			}
			seen[cid] = true
			if _, ok := s.contacts[cid]; !ok {
				res.Failure = append(res.Failure, cid)
				continue
			}
			res.Success = append(res.Success, cid)
			if add {
				changed = s.addMemberLocked(gid, cid, now) || changed
			} else if _, ok := s.members[gid][cid]; ok {
				delete(s.members[gid], cid)
				changed = true
			}
		}
		if changed {
			g.LastUpdated = now
		}
		res.Group = *g
		return res, nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// addMemberLocked adds a contact to a group; it reports whether it was new.
func (s *Server) addMemberLocked(gid, cid int64, now time.Time) bool {
	if s.members[gid] == nil {
		s.members[gid] = map[int64]*member{}
	}
	if _, ok := s.members[gid][cid]; ok {
		return false
	}
	s.members[gid][cid] = &member{ID: s.newID(), GroupID: gid, ContactID: cid, DateCreated: now, LastUpdated: now}
	return true
}
