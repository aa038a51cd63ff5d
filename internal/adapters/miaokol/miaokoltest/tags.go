package miaokoltest

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"time"
)

const (
	typeTag   = 1
	typeGroup = 2

	defaultPageSize = 10
	maxPageSize     = 100
)

// Group is a tag group with its tags, in the order /smart-tag/list gives
// them.
type Group struct {
	ID   int64
	Name string
	Tags []Tag
}

// Tag is a smart tag. ContactCount is the number of contacts carrying it.
type Tag struct {
	ID, GroupID  int64
	Name         string
	Sort         int
	ContactCount int
}

type group struct {
	id           int64
	name         string
	ctime, utime int64
}

type tag struct {
	id, groupID  int64
	name         string
	sort         int
	ctime, utime int64
}

// ---- seeding and reading back ----

// AddGroup adds a tag group and returns its id. Unlike the API it does not
// refuse a name that is taken.
func (s *Server) AddGroup(name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addGroupLocked(name, s.now()).id
}

// AddTag adds a tag to a group, on top of the group's tags, and returns
// its id. Unlike the API it does not refuse a name that is taken. It panics
// when the group does not exist.
func (s *Server) AddTag(groupID int64, name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups[groupID] == nil {
		panic("miaokoltest: AddTag: no group " + strconv.FormatInt(groupID, 10))
	}
	return s.addTagLocked(groupID, name, s.maxSortLocked(groupID)+1, s.now()).id
}

// Groups returns every group by id, each with its tags.
func (s *Server) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := s.tagCountsLocked()
	out := []Group{}
	for _, g := range s.sortedGroupsLocked() {
		tags := []Tag{}
		for _, t := range s.groupTagsLocked(g.id) {
			tags = append(tags, Tag{ID: t.id, GroupID: t.groupID, Name: t.name, Sort: t.sort, ContactCount: counts[t.id]})
		}
		out = append(out, Group{ID: g.id, Name: g.name, Tags: tags})
	}
	return out
}

// ---- state, callers hold s.mu ----

func (s *Server) addGroupLocked(name string, at time.Time) *group {
	g := &group{id: s.newID(), name: name, ctime: at.Unix(), utime: at.Unix()}
	s.groups[g.id] = g
	return g
}

func (s *Server) addTagLocked(groupID int64, name string, sort int, at time.Time) *tag {
	t := &tag{id: s.newID(), groupID: groupID, name: name, sort: sort, ctime: at.Unix(), utime: at.Unix()}
	s.tags[t.id] = t
	return t
}

// sortedGroupsLocked is every group by id, so that a group created while
// a client pages comes last and none is skipped.
func (s *Server) sortedGroupsLocked() []*group {
	return slices.SortedFunc(maps.Values(s.groups), func(a, b *group) int { return cmp.Compare(a.id, b.id) })
}

// groupTagsLocked is a group's tags by sort, highest first, then by id:
// the order of the documented example (sort "2" before sort "1").
func (s *Server) groupTagsLocked(groupID int64) []*tag {
	var out []*tag
	for _, t := range s.tags {
		if t.groupID == groupID {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b *tag) int {
		return cmp.Or(cmp.Compare(b.sort, a.sort), cmp.Compare(a.id, b.id))
	})
	return out
}

func (s *Server) maxSortLocked(groupID int64) int {
	m := 0
	for _, t := range s.tags {
		if t.groupID == groupID {
			m = max(m, t.sort)
		}
	}
	return m
}

// tagCountsLocked is the number of contacts carrying each tag.
func (s *Server) tagCountsLocked() map[int64]int {
	counts := map[int64]int{}
	for _, ids := range s.contacts {
		for _, id := range ids {
			counts[id]++
		}
	}
	return counts
}

// groupCountLocked is the number of contacts carrying at least one of a
// group's tags: a group's "number".
func (s *Server) groupCountLocked(groupID int64) int {
	n := 0
	for _, ids := range s.contacts {
		if slices.ContainsFunc(ids, func(id int64) bool { return s.tags[id].groupID == groupID }) {
			n++
		}
	}
	return n
}

func (s *Server) groupNamedLocked(name string) *group {
	for _, g := range s.groups {
		if g.name == name {
			return g
		}
	}
	return nil
}

func (s *Server) tagNamedLocked(groupID int64, name string) *tag {
	for _, t := range s.tags {
		if t.groupID == groupID && t.name == name {
			return t
		}
	}
	return nil
}

// deleteTagLocked deletes a tag and takes it off every contact.
func (s *Server) deleteTagLocked(id int64) {
	delete(s.tags, id)
	for k, ids := range s.contacts {
		s.contacts[k] = slices.DeleteFunc(ids, func(t int64) bool { return t == id })
	}
}

// ---- GET /smart-tag/list ----

type listAnswer struct {
	Data    []listGroup `json:"data"`
	Pager   pager       `json:"pager"`
	Errcode int         `json:"errcode"`
}

type listGroup struct {
	ID     int64      `json:"id"`
	Name   string     `json:"name"`
	Type   int        `json:"type"`
	Number int        `json:"number"`
	Tags   *[]listTag `json:"tags,omitempty"`
}

// listTag is a tag in a list: every number but contact_cnt is a string,
// as documented.
type listTag struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	ParentID   string `json:"parent_id"`
	Sort       string `json:"sort"`
	ContactCnt int    `json:"contact_cnt"`
}

type pager struct {
	Page        int64 `json:"page"`
	PerPage     int64 `json:"perPage"`
	NumRecords  int   `json:"numRecords"`
	NumPages    int64 `json:"numPages"`
	FirstRecord int   `json:"firstRecord"`
	LastRecord  int   `json:"lastRecord"`
}

// list serves GET /smart-tag/list.
func (s *Server) list(q queryParams) (any, error) {
	page, err := q.integer("page", 1)
	if err != nil {
		return nil, err
	}
	if page < 1 {
		return nil, failure("参数page须大于0")
	}
	size, err := q.integer("page_size", defaultPageSize)
	if err != nil {
		return nil, err
	}
	if size < 1 || size > maxPageSize {
		return nil, failure("参数page_size须在1到%d之间", maxPageSize)
	}
	withTags, err := q.integer("with_tags", 0)
	if err != nil {
		return nil, err
	}
	if withTags != 0 && withTags != 1 {
		return nil, failure("参数with_tags只能为0或1")
	}
	id, err := q.integer("id", 0)
	if err != nil {
		return nil, err
	}
	if id < 0 {
		return nil, failure("参数id不能为负数")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	groups := s.sortedGroupsLocked()
	if id > 0 {
		groups = slices.DeleteFunc(groups, func(g *group) bool { return g.id != id })
	}
	n := len(groups)
	p := pager{Page: page, PerPage: size, NumRecords: n, NumPages: (int64(n) + size - 1) / size}
	lo, hi := n, n
	if start := (page - 1) * size; start < int64(n) {
		lo, hi = int(start), int(min(start+size, int64(n)))
		p.FirstRecord, p.LastRecord = lo, hi-1
	}
	counts := s.tagCountsLocked()
	data := make([]listGroup, 0, hi-lo)
	for _, g := range groups[lo:hi] {
		lg := listGroup{ID: g.id, Name: g.name, Type: typeGroup, Number: s.groupCountLocked(g.id)}
		if withTags == 1 {
			tags := []listTag{}
			for _, t := range s.groupTagsLocked(g.id) {
				tags = append(tags, listTag{
					ID: strconv.FormatInt(t.id, 10), Name: t.name, ParentID: strconv.FormatInt(t.groupID, 10),
					Sort: strconv.Itoa(t.sort), ContactCnt: counts[t.id],
				})
			}
			lg.Tags = &tags
		}
		data = append(data, lg)
	}
	return listAnswer{Data: data, Pager: p}, nil
}

// ---- POST /smart-tag/add ----

// record is a group or tag as /smart-tag/add answers it, every member of
// the documented example included.
type record struct {
	ID        int64  `json:"id"`
	UserID    int64  `json:"user_id"`
	SubUserID int64  `json:"sub_user_id"`
	CorpID    int64  `json:"corp_id"`
	Module    int    `json:"module"`
	Name      string `json:"name"`
	Type      int    `json:"type"`
	IsDelete  int    `json:"is_delete"`
	Number    int    `json:"number"`
	ParentID  int64  `json:"parent_id"`
	Ctime     int64  `json:"ctime"`
	Utime     int64  `json:"utime"`
	Sort      int    `json:"sort"`
	Extra     any    `json:"extra"`
}

func (s *Server) groupRecordLocked(g *group) record {
	return record{ID: g.id, UserID: accountUserID, Module: smartTagModule, Name: g.name, Type: typeGroup,
		Number: s.groupCountLocked(g.id), Ctime: g.ctime, Utime: g.utime}
}

func (s *Server) tagRecordLocked(t *tag) record {
	return record{ID: t.id, UserID: accountUserID, Module: smartTagModule, Name: t.name, Type: typeTag,
		Number: s.tagCountsLocked()[t.id], ParentID: t.groupID, Ctime: t.ctime, Utime: t.utime, Sort: t.sort}
}

// add serves POST /smart-tag/add: id 0 (or absent) creates, another id
// edits the group (type 2) or tag (type 1) with that id.
func (s *Server) add(b jsonBody) (any, error) {
	id, _, err := b.optionalInt("id")
	if err != nil {
		return nil, err
	}
	raw, err := b.requiredString("name")
	if err != nil {
		return nil, err
	}
	nm, err := cleanName("name", raw)
	if err != nil {
		return nil, err
	}
	typ, ok, err := b.optionalInt("type")
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, failure("缺少参数type")
	case typ != typeTag && typ != typeGroup:
		return nil, failure("参数type只能为1(标签)或2(标签分组)")
	}
	parent, _, err := b.optionalInt("parent_id")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if typ == typeGroup {
		return s.saveGroupLocked(id, nm, parent)
	}
	return s.saveTagLocked(id, nm, parent)
}

func (s *Server) saveGroupLocked(id int64, name string, parent int64) (any, error) {
	if parent != 0 {
		return nil, failure("标签分组不能设置parent_id")
	}
	var g *group
	if id != 0 {
		if g = s.groups[id]; g == nil {
			return nil, failure("标签分组不存在")
		}
	}
	if other := s.groupNamedLocked(name); other != nil && other != g {
		return nil, failure("标签分组名称已存在")
	}
	now := s.now()
	if g == nil {
		g = s.addGroupLocked(name, now)
	} else {
		g.name, g.utime = name, now.Unix()
	}
	return s.groupRecordLocked(g), nil
}

// saveTagLocked creates a tag on top of its group's tags, or edits one:
// parent_id 0 keeps its group, another moves it there, on top.
func (s *Server) saveTagLocked(id int64, name string, parent int64) (any, error) {
	var t *tag
	if id != 0 {
		if t = s.tags[id]; t == nil {
			return nil, failure("标签不存在")
		}
		if parent == 0 {
			parent = t.groupID
		}
	}
	switch {
	case parent == 0:
		return nil, failure("缺少参数parent_id,标签须属于一个标签分组")
	case s.groups[parent] == nil:
		return nil, failure("标签分组不存在")
	}
	if other := s.tagNamedLocked(parent, name); other != nil && other != t {
		return nil, failure("该标签分组下已存在同名标签")
	}
	now := s.now()
	switch {
	case t == nil:
		t = s.addTagLocked(parent, name, s.maxSortLocked(parent)+1, now)
	case t.groupID != parent:
		t.groupID, t.sort = parent, s.maxSortLocked(parent)+1
		fallthrough
	default:
		t.name, t.utime = name, now.Unix()
	}
	return s.tagRecordLocked(t), nil
}

// ---- POST /smart-tag/delete ----

// delete serves POST /smart-tag/delete: a group goes with its tags, and
// every deleted tag comes off every contact.
func (s *Server) delete(b jsonBody) (any, error) {
	id, _, err := b.optionalInt("id")
	if err != nil {
		return nil, err
	}
	if id == 0 {
		return nil, failure("缺少参数id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.groups[id] != nil:
		for _, t := range s.groupTagsLocked(id) {
			s.deleteTagLocked(t.id)
		}
		delete(s.groups, id)
	case s.tags[id] != nil:
		s.deleteTagLocked(id)
	default:
		return nil, failure("标签或标签分组不存在")
	}
	return nil, nil
}

// ---- POST /smart-tag/batchAddTag ----

// batchAddTag serves POST /smart-tag/batchAddTag. Names the group has
// already, and repeats within the call, are skipped. The new tags go on
// top of the group's, in the order given: the first gets the highest sort.
func (s *Server) batchAddTag(b jsonBody) (any, error) {
	groupID, _, err := b.optionalInt("group_id")
	if err != nil {
		return nil, err
	}
	groupName, err := b.optionalString("group_name")
	if err != nil {
		return nil, err
	}
	raw, err := b.requiredStrings("tag_names")
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(raw))
	for _, r := range raw {
		n, err := cleanName("tag_names", r)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if groupID == 0 {
		gn, err := cleanName("group_name", groupName)
		if err != nil {
			return nil, failure("group_id为0(新建分组)时group_name不能为空")
		}
		if s.groupNamedLocked(gn) != nil {
			return nil, failure("标签分组名称已存在")
		}
		groupID = s.addGroupLocked(gn, now).id
	} else if s.groups[groupID] == nil {
		return nil, failure("标签分组不存在")
	}
	names = slices.DeleteFunc(names, func(n string) bool { return s.tagNamedLocked(groupID, n) != nil })
	top := s.maxSortLocked(groupID)
	for i, n := range names {
		s.addTagLocked(groupID, n, top+len(names)-i, now)
	}
	return nil, nil
}
