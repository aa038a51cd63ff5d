package domain

import "context"

// ListTags lists tags, optionally of one tag group.
func (s *Service) ListTags(ctx context.Context, t Target, groupID string, o ListOptions) (List[Tag], error) {
	l, err := port[TagLister](t.conn, OpListTags)
	if err != nil {
		return List[Tag]{}, err
	}
	var q TagQuery
	if q.GroupID, err = s.optionalID(ctx, queryTagGroupID, groupID, t); err != nil {
		return List[Tag]{}, err
	}
	return list(s, t, OpListTags, q.GroupID, o, func(p PageRequest) (Page[Tag], error) {
		return l.ListTags(ctx, q, p)
	})
}

// CreateTag creates a tag, optionally in a tag group.
func (s *Service) CreateTag(ctx context.Context, t Target, name, groupID string) (Tag, error) {
	c, err := port[TagCreator](t.conn, OpCreateTag)
	if err != nil {
		return Tag{}, err
	}
	if groupID, err = s.optionalID(ctx, bodyTagGroupID, groupID, t); err != nil {
		return Tag{}, err
	}
	tag, err := c.CreateTag(ctx, name, groupID)
	return answer(t, tag, err)
}

// RenameTag renames a tag.
func (s *Service) RenameTag(ctx context.Context, t Target, id, name string) (Tag, error) {
	return rename(ctx, s, t, OpRenameTag, pathTagID, id, name, TagRenamer.RenameTag)
}

// DeleteTag deletes a tag.
func (s *Service) DeleteTag(ctx context.Context, t Target, id string) error {
	return remove(ctx, s, t, OpDeleteTag, pathTagID, id, TagDeleter.DeleteTag)
}

// ListTagGroups lists tag groups.
func (s *Service) ListTagGroups(ctx context.Context, t Target, o ListOptions) (List[TagGroup], error) {
	return listAll(ctx, s, t, OpListTagGroups, o, TagGroupLister.ListTagGroups)
}

// CreateTagGroup creates a tag group.
func (s *Service) CreateTagGroup(ctx context.Context, t Target, name string) (TagGroup, error) {
	return create(ctx, t, OpCreateTagGroup, name, TagGroupCreator.CreateTagGroup)
}

// RenameTagGroup renames a tag group.
func (s *Service) RenameTagGroup(ctx context.Context, t Target, id, name string) (TagGroup, error) {
	return rename(ctx, s, t, OpRenameTagGroup, pathTagGroupID, id, name, TagGroupRenamer.RenameTagGroup)
}

// DeleteTagGroup deletes a tag group.
func (s *Service) DeleteTagGroup(ctx context.Context, t Target, id string) error {
	return remove(ctx, s, t, OpDeleteTagGroup, pathTagGroupID, id, TagGroupDeleter.DeleteTagGroup)
}

// canonTag prefixes the tag's id and its tag group's.
func canonTag(t Target, tag *Tag) {
	tag.ID = t.id(tag.ID)
	tag.GroupID = t.id(tag.GroupID)
}

// canonTagGroup prefixes the tag group's id and its parent's.
func canonTagGroup(t Target, g *TagGroup) {
	g.ID = t.id(g.ID)
	g.ParentID = t.id(g.ParentID)
}
