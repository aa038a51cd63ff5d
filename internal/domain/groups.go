package domain

import (
	"context"
	"fmt"
)

// ListGroups lists groups whose name contains q.
func (s *Service) ListGroups(ctx context.Context, t Target, q string, o ListOptions) (List[Group], error) {
	l, err := port[GroupLister](t.conn, OpListGroups)
	if err != nil {
		return List[Group]{}, err
	}
	return list(s, t, OpListGroups, q, o, func(p PageRequest) (Page[Group], error) {
		return l.ListGroups(ctx, GroupQuery{Q: q}, p)
	})
}

// GetGroup reads one group.
func (s *Service) GetGroup(ctx context.Context, t Target, id string) (Group, error) {
	return get(ctx, s, t, OpGetGroup, pathGroupID, id, GroupGetter.GetGroup)
}

// CreateGroup creates a static group.
func (s *Service) CreateGroup(ctx context.Context, t Target, name string) (Group, error) {
	return create(ctx, t, OpCreateGroup, name, GroupCreator.CreateGroup)
}

// DeleteGroup deletes a group.
func (s *Service) DeleteGroup(ctx context.Context, t Target, id string) error {
	return remove(ctx, s, t, OpDeleteGroup, pathGroupID, id, GroupDeleter.DeleteGroup)
}

// DeleteGroupWithContacts deletes a group and the contacts in it, on
// vendors that can (delete_contacts=true).
func (s *Service) DeleteGroupWithContacts(ctx context.Context, t Target, id string) error {
	if _, ok := t.conn.(GroupDeleter); ok {
		if _, ok := t.conn.(GroupContactsDeleter); !ok {
			return &UnsupportedError{Vendor: t.Vendor, Operation: OpDeleteGroup, Option: "delete_contacts=true"}
		}
	}
	return remove(ctx, s, t, OpDeleteGroup, pathGroupID, id, GroupContactsDeleter.DeleteGroupWithContacts)
}

// ListGroupMembers lists a group's members.
func (s *Service) ListGroupMembers(ctx context.Context, t Target, groupID string, o ListOptions) (List[Contact], error) {
	return listOf(ctx, s, t, OpListGroupMembers, pathGroupID, groupID, o, GroupMemberLister.ListGroupMembers)
}

// MaxMemberChange is the most contacts one add or remove call takes.
const MaxMemberChange = 1000

// AddGroupMembers adds contacts to a group.
func (s *Service) AddGroupMembers(ctx context.Context, t Target, groupID string, contactIDs []string) (MemberChange, error) {
	a, err := port[GroupMemberAdder](t.conn, OpAddGroupMembers)
	if err != nil {
		return MemberChange{}, err
	}
	return s.changeMembers(ctx, t, groupID, contactIDs, a.MemberBatchSize(), a.AddGroupMembers)
}

// RemoveGroupMembers removes contacts from a group.
func (s *Service) RemoveGroupMembers(ctx context.Context, t Target, groupID string, contactIDs []string) (MemberChange, error) {
	r, err := port[GroupMemberRemover](t.conn, OpRemoveGroupMembers)
	if err != nil {
		return MemberChange{}, err
	}
	return s.changeMembers(ctx, t, groupID, contactIDs, r.MemberBatchSize(), r.RemoveGroupMembers)
}

// changeMembers checks every id before the first vendor call, so a bad id
// changes nothing, then sends the ids in the vendor's chunk size.
func (s *Service) changeMembers(ctx context.Context, t Target, groupID string, contactIDs []string, size int,
	change func(context.Context, string, []string) (MemberChange, error)) (MemberChange, error) {
	group, err := s.parseID(ctx, t, pathGroupID, groupID)
	if err != nil {
		return MemberChange{}, err
	}
	if len(contactIDs) == 0 || len(contactIDs) > MaxMemberChange {
		return MemberChange{}, Invalid(bodyContactIDs.name, fmt.Sprintf("must hold 1 to %d ids", MaxMemberChange))
	}
	ids, err := s.parseIDList(ctx, t, bodyContactIDs, contactIDs)
	if err != nil {
		return MemberChange{}, err
	}
	size = max(size, 1)
	out := MemberChange{Succeeded: []string{}, Failed: []MemberFailure{}}
	for start := 0; start < len(ids); start += size {
		end := min(start+size, len(ids))
		res, err := change(ctx, group, ids[start:end:end])
		if err != nil {
			if start == 0 {
				return MemberChange{}, err
			}
			// Earlier chunks are written: report what happened to each id
			// rather than hide the part that succeeded.
			for _, id := range ids[start:] {
				out.Failed = append(out.Failed, MemberFailure{ID: t.id(id), Reason: SafeDetail(err)})
			}
			return out, nil
		}
		for _, id := range res.Succeeded {
			out.Succeeded = append(out.Succeeded, t.id(id))
		}
		for _, f := range res.Failed {
			out.Failed = append(out.Failed, MemberFailure{ID: t.id(f.ID), Reason: f.Reason})
		}
	}
	return out, nil
}

// canonGroup prefixes the group's id.
func canonGroup(t Target, g *Group) { g.ID = t.id(g.ID) }
