package domain

import (
	"context"
)

// ListTags lists tags, optionally of one tag group.
func (s *Service) ListTags(ctx context.Context, t Target, groupID string, o ListOptions) (List[Tag], error) {
	l, err := port[TagLister](t.conn, OpListTags)
	if err != nil {
		return List[Tag]{}, err
	}
	var q TagQuery
	if groupID != "" {
		if q.GroupID, err = s.vendors.ParseID("query.group_id", groupID, t.Vendor); err != nil {
			return List[Tag]{}, err
		}
	}
	return list(s, t, OpListTags, q.GroupID, o, func(p PageRequest) (Page[Tag], error) {
		return l.ListTags(ctx, q, p)
	}, canonTag)
}

// CreateTag creates a tag, optionally in a tag group.
func (s *Service) CreateTag(ctx context.Context, t Target, name, groupID string) (Tag, error) {
	c, err := port[TagCreator](t.conn, OpCreateTag)
	if err != nil {
		return Tag{}, err
	}
	if groupID != "" {
		if groupID, err = s.vendors.ParseID("body.group_id", groupID, t.Vendor); err != nil {
			return Tag{}, err
		}
	}
	tag, err := c.CreateTag(ctx, name, groupID)
	if err != nil {
		return Tag{}, err
	}
	canonTag(t, &tag)
	return tag, nil
}

// RenameTag renames a tag.
func (s *Service) RenameTag(ctx context.Context, t Target, id, name string) (Tag, error) {
	r, err := port[TagRenamer](t.conn, OpRenameTag)
	if err != nil {
		return Tag{}, err
	}
	native, err := s.vendors.ParseID("path.tag_id", id, t.Vendor)
	if err != nil {
		return Tag{}, err
	}
	tag, err := r.RenameTag(ctx, native, name)
	if err != nil {
		return Tag{}, err
	}
	canonTag(t, &tag)
	return tag, nil
}

// DeleteTag deletes a tag.
func (s *Service) DeleteTag(ctx context.Context, t Target, id string) error {
	d, err := port[TagDeleter](t.conn, OpDeleteTag)
	if err != nil {
		return err
	}
	native, err := s.vendors.ParseID("path.tag_id", id, t.Vendor)
	if err != nil {
		return err
	}
	return d.DeleteTag(ctx, native)
}

// ListTagGroups lists tag groups.
func (s *Service) ListTagGroups(ctx context.Context, t Target, o ListOptions) (List[TagGroup], error) {
	l, err := port[TagGroupLister](t.conn, OpListTagGroups)
	if err != nil {
		return List[TagGroup]{}, err
	}
	return list(s, t, OpListTagGroups, "", o, func(p PageRequest) (Page[TagGroup], error) {
		return l.ListTagGroups(ctx, p)
	}, canonTagGroup)
}

// CreateTagGroup creates a tag group.
func (s *Service) CreateTagGroup(ctx context.Context, t Target, name string) (TagGroup, error) {
	c, err := port[TagGroupCreator](t.conn, OpCreateTagGroup)
	if err != nil {
		return TagGroup{}, err
	}
	g, err := c.CreateTagGroup(ctx, name)
	if err != nil {
		return TagGroup{}, err
	}
	canonTagGroup(t, &g)
	return g, nil
}

// RenameTagGroup renames a tag group.
func (s *Service) RenameTagGroup(ctx context.Context, t Target, id, name string) (TagGroup, error) {
	r, err := port[TagGroupRenamer](t.conn, OpRenameTagGroup)
	if err != nil {
		return TagGroup{}, err
	}
	native, err := s.vendors.ParseID("path.tag_group_id", id, t.Vendor)
	if err != nil {
		return TagGroup{}, err
	}
	g, err := r.RenameTagGroup(ctx, native, name)
	if err != nil {
		return TagGroup{}, err
	}
	canonTagGroup(t, &g)
	return g, nil
}

// DeleteTagGroup deletes a tag group.
func (s *Service) DeleteTagGroup(ctx context.Context, t Target, id string) error {
	d, err := port[TagGroupDeleter](t.conn, OpDeleteTagGroup)
	if err != nil {
		return err
	}
	native, err := s.vendors.ParseID("path.tag_group_id", id, t.Vendor)
	if err != nil {
		return err
	}
	return d.DeleteTagGroup(ctx, native)
}

func canonTag(t Target, tag *Tag) {
	tag.ID = t.id(tag.ID)
	tag.GroupID = t.id(tag.GroupID)
}

func canonTagGroup(t Target, g *TagGroup) {
	g.ID = t.id(g.ID)
	g.ParentID = t.id(g.ParentID)
}
