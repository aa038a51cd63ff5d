package meihuatest

import (
	"cmp"
	"slices"
	"strings"
)

type groupRecord struct {
	ID         int64  `json:"id"`
	GroupName  string `json:"groupName"`
	CreateAt   int64  `json:"createAt"`
	CreateTime int64  `json:"createTime"`
	UpdateTime int64  `json:"updateTime"`
	AccountID  string `json:"accountId"`
}

// addGroup serves POST /contact/group/add. Group names are unique: a name
// that is taken answers the existing group and creates nothing.
func (s *Server) addGroup(p params) (any, error) {
	name, err := p.required("name")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groupByName(name)
	if g == nil {
		g = s.addGroupLocked(name)
	}
	return groupRecord{ID: g.ID, GroupName: g.Name, CreateTime: g.CreateTime, UpdateTime: g.UpdateTime, AccountID: s.accountID}, nil
}

// groupByName is the oldest group with exactly that name. Callers hold
// s.mu.
func (s *Server) groupByName(name string) *Group {
	for _, id := range sortedKeys(s.groups) {
		if s.groups[id].Name == name {
			return s.groups[id]
		}
	}
	return nil
}

// deleteGroups serves POST /contact/group/delete: flag "true" deletes the
// groups' members too, "false" only the groups. Unknown ids are ignored.
func (s *Server) deleteGroups(p params) (any, error) {
	ids, err := p.requiredIDs("ids")
	if err != nil {
		return nil, err
	}
	flag, err := p.required("flag")
	if err != nil {
		return nil, err
	}
	if flag != "true" && flag != "false" {
		return nil, invalid("flag must be true or false, got %q", flag)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, gid := range ids {
		if _, ok := s.groups[gid]; !ok {
			continue
		}
		delete(s.groups, gid)
		for _, cid := range sortedKeys(s.contacts) {
			c := s.contacts[cid]
			i, member := slices.BinarySearch(c.GroupIDs, gid)
			switch {
			case !member:
			case flag == "true":
				s.deleteContactLocked(cid)
			default:
				c.GroupIDs = slices.Delete(c.GroupIDs, i, i+1)
			}
		}
	}
	return "success", nil
}

type groupSummary struct {
	GroupName   string `json:"groupName"`
	ID          int64  `json:"id"`
	ContactSize int    `json:"contactSize"`
}

type groupPage struct {
	Total  int            `json:"total"`
	Groups []groupSummary `json:"groups"`
}

// listGroups serves GET /contact/group/all.
func (s *Server) listGroups(p params) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := map[int64]string{}
	for id, g := range s.groups {
		names[id] = g.Name
	}
	total, groups, err := summaries(s, p, names, groupsOf, func(x summary) groupSummary {
		return groupSummary{GroupName: x.name, ID: x.id, ContactSize: x.size}
	})
	return groupPage{Total: total, Groups: groups}, err
}

// summary is a group or tag in a list.
type summary struct {
	id   int64
	name string
	size int
}

// summaries pages named records (groups, tags) whose name contains the
// optional key, case-insensitively, newest (highest id) first as the
// vendor samples are, with the number of contacts whose list (groupsOf,
// tagsOf) has them, rendered by render. Callers hold s.mu.
func summaries[T any](s *Server, p params, names map[int64]string, list func(*Contact) *[]int64, render func(summary) T) (total int, page []T, err error) {
	n, limit, err := p.page(0)
	if err != nil {
		return 0, nil, err
	}
	key := strings.ToLower(p.optional("key"))
	var ids []int64
	for id, name := range names {
		if strings.Contains(strings.ToLower(name), key) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b int64) int { return cmp.Compare(b, a) })
	sizes := map[int64]int{}
	for _, c := range s.contacts {
		for _, id := range *list(c) {
			sizes[id]++
		}
	}
	lo, hi := pageBounds(len(ids), n, limit)
	page = make([]T, 0, hi-lo)
	for _, id := range ids[lo:hi] {
		page = append(page, render(summary{id: id, name: names[id], size: sizes[id]}))
	}
	return len(ids), page, nil
}
