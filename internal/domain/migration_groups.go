package domain

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// planResource plans one resource of a migration from the two
// connections' ports; asked is every resource the migration carries,
// names how custom values travel by the tenant's field names.
func planResource(ctx context.Context, step *PlanStep, from, to Connection, asked []MigrationResource, names contactWriter) error {
	cannot := func(format string, args ...any) {
		step.Action, step.Detail = PlanCannot, fmt.Sprintf(format, args...)
	}
	switch step.Resource {
	case MigrateContacts:
		return planContacts(ctx, step, from, to, names)
	case MigrateGroups:
		_, reads := from.(GroupLister)
		_, creates := to.(GroupCreator)
		switch {
		case !reads:
			cannot("%s has no groups the gateway can list", from.Vendor())
		case !creates:
			cannot("%s cannot create groups", to.Vendor())
		default:
			step.Dropped = []string{"dynamic groups: their rules are " + string(from.Vendor()) + "'s own; their members are not carried either"}
		}
	case MigrateTags:
		_, reads := from.(TagLister)
		_, creates := to.(TagCreator)
		switch {
		case !reads:
			cannot("%s has no tags the gateway can list", from.Vendor())
		case !creates:
			cannot("%s cannot create tags", to.Vendor())
		default:
			step.Dropped = []string{"the tags on each contact (contact tags are not carried yet)"}
			if _, groups := from.(TagGroupLister); groups {
				step.Dropped = append(step.Dropped, "tag groups (tags are created without one)")
			}
		}
	case MigrateGroupMembers:
		_, reads := from.(GroupMemberLister)
		_, adds := to.(GroupMemberAdder)
		switch {
		case !reads:
			cannot("%s cannot list group members", from.Vendor())
		case !adds:
			cannot("%s cannot add group members", to.Vendor())
		case !slices.Contains(asked, MigrateContacts) || !slices.Contains(asked, MigrateGroups):
			cannot("group members are carried with the contacts and groups they join: ask for contacts and groups too")
		}
	}
	return nil
}

// carry carries resource r, from page state page on.
func (m *migration) carry(ctx context.Context, r MigrationResource, page string) error {
	switch r {
	case MigrateContacts:
		return m.contacts(ctx, page, false, nil)
	case MigrateGroups:
		return m.groups(ctx, page)
	case MigrateGroupMembers:
		return m.groupMembers(ctx, page)
	case MigrateTags:
		return m.tags(ctx, page)
	}
	return fmt.Errorf("no way to carry %s", r)
}

// eachPage calls do with every page list answers, from page state page
// on, checkpointing resource r at each next page (r "": no checkpoint,
// for lists read whole at every run).
func eachPage[T any](ctx context.Context, m *migration, r MigrationResource, page string,
	list func(PageRequest) (Page[T], error), do func([]T) error) error {
	for {
		p, err := list(PageRequest{Limit: MigrationPageSize, State: page})
		if err != nil {
			return err
		}
		if err := do(p.Items); err != nil {
			return err
		}
		if p.Next == "" {
			return nil
		}
		page = p.Next
		if r != "" {
			if err := m.checkpoint(r, page); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// named is how a migration carries records that have a name and no
// natural key of their own (groups, tags): a record the id map holds was
// carried by an earlier run and is skipped; one the target has by name is
// taken as it is (so a re-run after a lost answer finds what it made);
// else it is created.
type named[T any] struct {
	resource MigrationResource
	list     func(ctx context.Context, r PageRequest) (Page[T], error) // the source's
	existing func(ctx context.Context, r PageRequest) (Page[T], error) // the target's, nil when it cannot list them
	id, name func(T) string
	skip     func(T) bool // not carried at all (nil: none)
	create   func(ctx context.Context, name string) (string, error)
}

// carryNamed carries nr's records, from page state page on.
func carryNamed[T any](ctx context.Context, m *migration, nr named[T], page string) error {
	existing := map[string]string{} // target name -> native id, the first of each name
	if nr.existing != nil {
		err := eachPage(ctx, m, "", "", func(r PageRequest) (Page[T], error) { return nr.existing(ctx, r) }, func(ts []T) error {
			for _, t := range ts {
				if _, dup := existing[nr.name(t)]; !dup {
					existing[nr.name(t)] = nr.id(t)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	res := string(nr.resource)
	return eachPage(ctx, m, nr.resource, page, func(r PageRequest) (Page[T], error) { return nr.list(ctx, r) }, func(ts []T) error {
		ids := make([]string, len(ts))
		for i, t := range ts {
			ids[i] = m.sourceID(nr.id(t))
		}
		carried, err := m.ids.LookupIDs(ctx, m.tenant, ids)
		if err != nil {
			return err
		}
		pairs := map[string]string{}
		for i, t := range ts {
			if carried[ids[i]] != "" || nr.skip != nil && nr.skip(t) {
				m.run.Progress(res, func(p *JobProgress) { p.Skipped++ })
				continue
			}
			to, ok := existing[nr.name(t)]
			if !ok {
				if to, err = nr.create(ctx, nr.name(t)); err != nil {
					if FailsEveryCall(err) {
						return err
					}
					m.run.Progress(res, func(p *JobProgress) { p.Failed++ })
					m.run.ItemError(itemError(nr.resource, ids[i], err))
					continue
				}
				existing[nr.name(t)] = to
			}
			pairs[ids[i]] = m.targetID(to)
			m.run.Progress(res, func(p *JobProgress) { p.Done++ })
		}
		return m.ids.PutIDs(ctx, m.tenant, pairs)
	})
}

// groups carries the source's static groups by name. Dynamic groups are
// skipped: their rules do not carry.
func (m *migration) groups(ctx context.Context, page string) error {
	src, dst := m.from.(GroupLister), m.to.(GroupCreator)
	nr := named[Group]{
		resource: MigrateGroups,
		list: func(ctx context.Context, r PageRequest) (Page[Group], error) {
			return src.ListGroups(ctx, GroupQuery{}, r)
		},
		id:   func(g Group) string { return g.ID },
		name: func(g Group) string { return g.Name },
		skip: func(g Group) bool { return g.Type == GroupDynamic },
		create: func(ctx context.Context, name string) (string, error) {
			g, err := dst.CreateGroup(ctx, name)
			return g.ID, err
		},
	}
	if gl, ok := m.to.(GroupLister); ok {
		nr.existing = func(ctx context.Context, r PageRequest) (Page[Group], error) {
			return gl.ListGroups(ctx, GroupQuery{}, r)
		}
	}
	return carryNamed(ctx, m, nr, page)
}

// tags carries the source's tags by name, without a tag group.
func (m *migration) tags(ctx context.Context, page string) error {
	src, dst := m.from.(TagLister), m.to.(TagCreator)
	nr := named[Tag]{
		resource: MigrateTags,
		list:     func(ctx context.Context, r PageRequest) (Page[Tag], error) { return src.ListTags(ctx, TagQuery{}, r) },
		id:       func(t Tag) string { return t.ID },
		name:     func(t Tag) string { return t.Name },
		create: func(ctx context.Context, name string) (string, error) {
			t, err := dst.CreateTag(ctx, name, "")
			return t.ID, err
		},
	}
	if tl, ok := m.to.(TagLister); ok {
		nr.existing = func(ctx context.Context, r PageRequest) (Page[Tag], error) { return tl.ListTags(ctx, TagQuery{}, r) }
	}
	return carryNamed(ctx, m, nr, page)
}

// groupMembers adds every carried group's members that were carried to
// the group at the target. Adding a member twice changes nothing, so a
// re-run repeats the last page safely. page is "<source group id>\n<its
// member page state>".
func (m *migration) groupMembers(ctx context.Context, page string) error {
	src, dst := m.from.(GroupMemberLister), m.to.(GroupMemberAdder)
	lister := m.from.(GroupLister)
	from, memberPage, _ := strings.Cut(page, "\n")
	var groups []Group
	err := eachPage(ctx, m, "", "", func(r PageRequest) (Page[Group], error) {
		return lister.ListGroups(ctx, GroupQuery{}, r)
	}, func(gs []Group) error { groups = append(groups, gs...); return nil })
	if err != nil {
		return err
	}
	if from != "" {
		at := slices.IndexFunc(groups, func(g Group) bool { return g.ID == from })
		if at < 0 {
			at, memberPage = len(groups), "" // the group is gone at the source
		}
		groups = groups[at:]
	}
	const res = string(MigrateGroupMembers)
	for i, g := range groups {
		if i > 0 {
			memberPage = ""
		}
		target, err := m.ids.LookupIDs(ctx, m.tenant, []string{m.sourceID(g.ID)})
		if err != nil {
			return err
		}
		tg, ok := target[m.sourceID(g.ID)]
		if !ok {
			continue // not carried (dynamic, or refused): its members stay behind
		}
		tgNative, err := m.s.vendors.ParseID("group", tg, m.to.Vendor())
		if err != nil {
			return err
		}
		mark := func(state string) error { return m.checkpoint(MigrateGroupMembers, g.ID+"\n"+state) }
		for {
			p, err := src.ListGroupMembers(ctx, g.ID, PageRequest{Limit: MigrationPageSize, State: memberPage})
			if err != nil {
				return err
			}
			ids := make([]string, len(p.Items))
			for k, c := range p.Items {
				ids[k] = m.sourceID(c.ID)
			}
			carried, err := m.ids.LookupIDs(ctx, m.tenant, ids)
			if err != nil {
				return err
			}
			var natives []string
			for _, id := range ids {
				to, ok := carried[id]
				if !ok {
					m.run.Progress(res, func(p *JobProgress) { p.Skipped++ })
					continue
				}
				n, err := m.s.vendors.ParseID("contact", to, m.to.Vendor())
				if err != nil {
					return err
				}
				natives = append(natives, n)
			}
			for chunk := range slices.Chunk(natives, max(dst.MemberBatchSize(), 1)) {
				ch, err := dst.AddGroupMembers(ctx, tgNative, chunk)
				if err != nil {
					return err
				}
				m.run.Progress(res, func(p *JobProgress) { p.Done += int64(len(ch.Succeeded)); p.Failed += int64(len(ch.Failed)) })
				for _, f := range ch.Failed {
					m.run.ItemError(JobItemError{Resource: res, Item: m.targetID(f.ID), Message: "not added to group " + tg + ": " + f.Reason})
				}
			}
			if p.Next == "" {
				break
			}
			memberPage = p.Next
			if err := mark(memberPage); err != nil {
				return err
			}
		}
		if i+1 < len(groups) { // at the next group
			if err := m.checkpoint(MigrateGroupMembers, groups[i+1].ID+"\n"); err != nil {
				return err
			}
		}
	}
	return nil
}
