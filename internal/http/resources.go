package http

import (
	"context"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// ListTags implements StrictServerInterface.
func (s *Server) ListTags(ctx context.Context, req ListTagsRequestObject) (ListTagsResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	l, err := s.svc.ListTags(withInclude(ctx, p.Include), t, deref(p.GroupID), listOptions(p.Limit, p.Cursor))
	if err != nil {
		return nil, err
	}
	return ListTags200JSONResponse{Body: TagList{Data: mapSlice(l.Items, toTag), NextCursor: nextCursor(l.NextCursor), Truncated: toTruncation(l.Truncated)}}, nil
}

// CreateTag implements StrictServerInterface.
func (s *Server) CreateTag(ctx context.Context, req CreateTagRequestObject) (CreateTagResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	tag, err := s.svc.CreateTag(ctx, t, req.Body.Name, deref(req.Body.GroupID))
	if err != nil {
		return nil, err
	}
	return CreateTag201JSONResponse{Body: toTag(tag)}, nil
}

// RenameTag implements StrictServerInterface.
func (s *Server) RenameTag(ctx context.Context, req RenameTagRequestObject) (RenameTagResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	tag, err := s.svc.RenameTag(ctx, t, req.TagID, req.Body.Name)
	if err != nil {
		return nil, err
	}
	return RenameTag200JSONResponse{Body: toTag(tag)}, nil
}

// DeleteTag implements StrictServerInterface.
func (s *Server) DeleteTag(ctx context.Context, req DeleteTagRequestObject) (DeleteTagResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.svc.DeleteTag(ctx, t, req.TagID); err != nil {
		return nil, err
	}
	return DeleteTag204Response{}, nil
}

// ListTagGroups implements StrictServerInterface.
func (s *Server) ListTagGroups(ctx context.Context, req ListTagGroupsRequestObject) (ListTagGroupsResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	l, err := s.svc.ListTagGroups(withInclude(ctx, p.Include), t, listOptions(p.Limit, p.Cursor))
	if err != nil {
		return nil, err
	}
	return ListTagGroups200JSONResponse{Body: TagGroupList{Data: mapSlice(l.Items, toTagGroup), NextCursor: nextCursor(l.NextCursor), Truncated: toTruncation(l.Truncated)}}, nil
}

// CreateTagGroup implements StrictServerInterface.
func (s *Server) CreateTagGroup(ctx context.Context, req CreateTagGroupRequestObject) (CreateTagGroupResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	g, err := s.svc.CreateTagGroup(ctx, t, req.Body.Name)
	if err != nil {
		return nil, err
	}
	return CreateTagGroup201JSONResponse{Body: toTagGroup(g)}, nil
}

// RenameTagGroup implements StrictServerInterface.
func (s *Server) RenameTagGroup(ctx context.Context, req RenameTagGroupRequestObject) (RenameTagGroupResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	g, err := s.svc.RenameTagGroup(ctx, t, req.TagGroupID, req.Body.Name)
	if err != nil {
		return nil, err
	}
	return RenameTagGroup200JSONResponse{Body: toTagGroup(g)}, nil
}

// DeleteTagGroup implements StrictServerInterface.
func (s *Server) DeleteTagGroup(ctx context.Context, req DeleteTagGroupRequestObject) (DeleteTagGroupResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.svc.DeleteTagGroup(ctx, t, req.TagGroupID); err != nil {
		return nil, err
	}
	return DeleteTagGroup204Response{}, nil
}

// ListGroups implements StrictServerInterface.
func (s *Server) ListGroups(ctx context.Context, req ListGroupsRequestObject) (ListGroupsResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	l, err := s.svc.ListGroups(withInclude(ctx, p.Include), t, deref(p.Q), listOptions(p.Limit, p.Cursor))
	if err != nil {
		return nil, err
	}
	return ListGroups200JSONResponse{Body: GroupList{Data: mapSlice(l.Items, toGroup), NextCursor: nextCursor(l.NextCursor), Truncated: toTruncation(l.Truncated)}}, nil
}

// GetGroup implements StrictServerInterface.
func (s *Server) GetGroup(ctx context.Context, req GetGroupRequestObject) (GetGroupResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	g, err := s.svc.GetGroup(withInclude(ctx, req.Params.Include), t, req.GroupID)
	if err != nil {
		return nil, err
	}
	return GetGroup200JSONResponse{Body: toGroup(g)}, nil
}

// CreateGroup implements StrictServerInterface.
func (s *Server) CreateGroup(ctx context.Context, req CreateGroupRequestObject) (CreateGroupResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	g, err := s.svc.CreateGroup(ctx, t, req.Body.Name)
	if err != nil {
		return nil, err
	}
	return CreateGroup201JSONResponse{Body: toGroup(g)}, nil
}

// DeleteGroup implements StrictServerInterface.
func (s *Server) DeleteGroup(ctx context.Context, req DeleteGroupRequestObject) (DeleteGroupResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	del := s.svc.DeleteGroup
	if req.Params.DeleteContacts != nil && *req.Params.DeleteContacts {
		del = s.svc.DeleteGroupWithContacts
	}
	if err := del(ctx, t, req.GroupID); err != nil {
		return nil, err
	}
	return DeleteGroup204Response{}, nil
}

// ListGroupMembers implements StrictServerInterface.
func (s *Server) ListGroupMembers(ctx context.Context, req ListGroupMembersRequestObject) (ListGroupMembersResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	l, err := s.svc.ListGroupMembers(withExpand(withInclude(ctx, p.Include), p.Expand), t, req.GroupID, listOptions(p.Limit, p.Cursor))
	if err != nil {
		return nil, err
	}
	return ListGroupMembers200JSONResponse{Body: ContactList{Data: toContacts(l.Items), NextCursor: nextCursor(l.NextCursor), Truncated: toTruncation(l.Truncated)}}, nil
}

// AddGroupMembers implements StrictServerInterface.
func (s *Server) AddGroupMembers(ctx context.Context, req AddGroupMembersRequestObject) (AddGroupMembersResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.svc.AddGroupMembers(ctx, t, req.GroupID, req.Body.ContactIds)
	if err != nil {
		return nil, err
	}
	return AddGroupMembers200JSONResponse{Body: toMemberChange(res)}, nil
}

// RemoveGroupMembers implements StrictServerInterface.
func (s *Server) RemoveGroupMembers(ctx context.Context, req RemoveGroupMembersRequestObject) (RemoveGroupMembersResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.svc.RemoveGroupMembers(ctx, t, req.GroupID, req.Body.ContactIds)
	if err != nil {
		return nil, err
	}
	return RemoveGroupMembers200JSONResponse{Body: toMemberChange(res)}, nil
}

func toMemberChange(m domain.MemberChange) MemberChangeResult {
	out := MemberChangeResult{Succeeded: m.Succeeded, Failed: make([]MemberFailure, len(m.Failed))}
	if out.Succeeded == nil {
		out.Succeeded = []ID{}
	}
	for i, f := range m.Failed {
		out.Failed[i] = MemberFailure{ID: f.ID, Reason: str(f.Reason)}
	}
	return out
}

// ListFields implements StrictServerInterface.
func (s *Server) ListFields(ctx context.Context, req ListFieldsRequestObject) (ListFieldsResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	l, err := s.svc.ListFields(withInclude(ctx, p.Include), t, listOptions(p.Limit, p.Cursor))
	if err != nil {
		return nil, err
	}
	return ListFields200JSONResponse{Body: FieldList{Data: mapSlice(l.Items, toField), NextCursor: nextCursor(l.NextCursor), Truncated: toTruncation(l.Truncated)}}, nil
}

// CreateField implements StrictServerInterface.
func (s *Server) CreateField(ctx context.Context, req CreateFieldRequestObject) (CreateFieldResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	f, err := s.svc.CreateField(ctx, t, domain.FieldInput{Label: b.Label, Type: domain.FieldType(b.Type), Description: deref(b.Description), Options: b.Options})
	if err != nil {
		return nil, err
	}
	return CreateField201JSONResponse{Body: toField(f)}, nil
}
