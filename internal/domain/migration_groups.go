package domain

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// plan plans one resource of a migration from the two connections'
// ports and the steps before it.
func (pl *planner) plan(ctx context.Context, step *PlanStep) error {
	from, to := pl.from, pl.to
	cannot := func(format string, args ...any) {
		step.Action, step.Detail = PlanCannot, fmt.Sprintf(format, args...)
	}
	needs := func(rs ...MigrationResource) bool {
		for _, r := range rs {
			switch {
			case !slices.Contains(pl.asked, r):
				cannot("%s are carried with the %s they name: ask for %s too", step.Resource, r, r)
				return false
			case !pl.carries(r):
				cannot("%s are carried with the %s they name, which cannot be carried", step.Resource, r)
				return false
			}
		}
		return true
	}
	switch step.Resource {
	case MigrateCustomFields:
		return pl.customFields(ctx, step)
	case MigrateContacts:
		return pl.contacts(ctx, step)
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
	case MigrateGroupMembers:
		_, reads := from.(GroupMemberLister)
		_, adds := to.(GroupMemberAdder)
		switch {
		case !reads:
			cannot("%s cannot list group members", from.Vendor())
		case !adds:
			cannot("%s cannot add group members", to.Vendor())
		default:
			needs(MigrateContacts, MigrateGroups)
		}
	case MigrateTagGroups:
		_, reads := from.(TagGroupLister)
		_, creates := to.(TagGroupCreator)
		switch {
		case !reads:
			cannot("%s has no tag groups the gateway can list", from.Vendor())
		case !creates:
			cannot("%s cannot create tag groups", to.Vendor())
		default:
			step.Detail = "by name; a tag group inside another is carried as a top-level one"
		}
	case MigrateTags:
		pl.tags(step)
	case MigrateContactTags:
		_, sets := to.(ContactTagSetter)
		if !sets {
			cannot("%s cannot set a contact's tags", to.Vendor())
		} else if needs(MigrateContacts, MigrateTags) {
			step.Detail = "added to the tags each carried contact has at " + string(to.Vendor()) + "; a tag that was not carried is left out"
		}
	case MigrateEvents:
		_, reads := from.(ContactEventLister)
		_, records := to.(EventRecorder)
		switch {
		case !reads:
			cannot("%s has no events the gateway can list", from.Vendor())
		case !records:
			cannot("%s cannot record events", to.Vendor())
		default:
			if needs(MigrateContacts) {
				step.Detail = "the events of each carried contact; property values are written as text"
			}
		}
	}
	return nil
}

// tags plans the tags: by name, into their carried tag groups.
func (pl *planner) tags(step *PlanStep) {
	_, reads := pl.from.(TagLister)
	_, creates := pl.to.(TagCreator)
	_, groups := pl.from.(TagGroupLister)
	_, makesGroups := pl.to.(TagGroupCreator)
	needs := false
	if r, ok := pl.to.(TagGroupRequirer); ok {
		needs = r.TagsNeedGroup()
	}
	switch {
	case !reads:
		step.Action, step.Detail = PlanCannot, fmt.Sprintf("%s has no tags the gateway can list", pl.from.Vendor())
	case !creates:
		step.Action, step.Detail = PlanCannot, fmt.Sprintf("%s cannot create tags", pl.to.Vendor())
	case needs && !makesGroups:
		step.Action, step.Detail = PlanCannot, fmt.Sprintf("%s keeps every tag in a tag group and cannot create one", pl.to.Vendor())
	default:
		var parts []string
		if pl.carries(MigrateTagGroups) {
			parts = append(parts, "into the tag groups their groups were carried to")
		} else if groups && !makesGroups {
			step.Dropped = append(step.Dropped, "tag groups: "+string(pl.to.Vendor())+" has none; tags are carried without one")
		}
		if needs {
			parts = append(parts, fmt.Sprintf("a tag without a carried group goes into tag group %q", MigratedTagGroup(pl.from.Vendor())))
		}
		step.Detail = strings.Join(append([]string{"by name"}, parts...), "; ")
	}
}

// carry carries resource r, from page state page on.
func (m *migration) carry(ctx context.Context, r MigrationResource, page string) error {
	switch r {
	case MigrateCustomFields:
		return m.customFields(ctx)
	case MigrateContacts:
		return m.contacts(ctx, page, false, nil)
	case MigrateGroups:
		return m.groups(ctx, page)
	case MigrateGroupMembers:
		return m.groupMembers(ctx, page)
	case MigrateTagGroups:
		return m.tagGroups(ctx, page)
	case MigrateTags:
		return m.tags(ctx, page)
	case MigrateContactTags:
		return m.contactTags(ctx, page)
	case MigrateEvents:
		return m.events(ctx, page)
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
// natural key of their own (groups, tag groups, tags): a record the id
// map holds was carried by an earlier run and is skipped; one the target
// has under the same key (its name; for tags, their group and name) is
// taken as it is, so a re-run after a lost answer finds what it made;
// else it is created.
type named[T any] struct {
	resource MigrationResource
	kind     RecordKind
	list     func(ctx context.Context, r PageRequest) (Page[T], error) // the source's
	existing func(ctx context.Context, r PageRequest) (Page[T], error) // the target's, nil when it cannot list them
	id       func(T) string
	// key is a target record's natural key; srcKey the key a source
	// record will have at the target (nil: key).
	key, srcKey func(T) string
	skip        func(T) bool // not carried at all (nil: none)
	create      func(ctx context.Context, t T) (string, error)
	// carried, when set, is told of each record this pass carried.
	carried func(T)
}

// carryNamed carries nr's records, from page state page on.
func carryNamed[T any](ctx context.Context, m *migration, nr named[T], page string) error {
	if nr.srcKey == nil {
		nr.srcKey = nr.key
	}
	existing := map[string]string{} // target key -> native id, the first of each key
	if nr.existing != nil {
		err := eachPage(ctx, m, "", "", func(r PageRequest) (Page[T], error) { return nr.existing(ctx, r) }, func(ts []T) error {
			for _, t := range ts {
				if _, dup := existing[nr.key(t)]; !dup {
					existing[nr.key(t)] = nr.id(t)
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
		carried, err := m.idmap(nr.kind).LookupIDs(ctx, m.tenant, ids)
		if err != nil {
			return err
		}
		pairs := map[string]string{}
		for i, t := range ts {
			if carried[ids[i]] != "" || nr.skip != nil && nr.skip(t) {
				m.skipped(res)
				continue
			}
			to, ok := existing[nr.srcKey(t)]
			if !ok {
				if to, err = nr.create(ctx, t); err != nil {
					if FailsEveryCall(err) {
						return err
					}
					m.run.Progress(res, func(p *JobProgress) { p.Failed++ })
					m.run.ItemError(itemError(nr.resource, ids[i], err))
					continue
				}
				existing[nr.srcKey(t)] = to
			}
			pairs[ids[i]] = m.targetID(to)
			m.run.Progress(res, func(p *JobProgress) { p.Done++ })
			if nr.carried != nil {
				nr.carried(t)
			}
		}
		return m.idmap(nr.kind).PutIDs(ctx, m.tenant, pairs)
	})
}

// groups carries the source's static groups by name. Dynamic groups are
// skipped: their rules do not carry.
func (m *migration) groups(ctx context.Context, page string) error {
	src, dst := m.from.(GroupLister), m.to.(GroupCreator)
	nr := named[Group]{
		resource: MigrateGroups,
		kind:     GroupKind,
		list: func(ctx context.Context, r PageRequest) (Page[Group], error) {
			return src.ListGroups(ctx, GroupQuery{}, r)
		},
		id:   func(g Group) string { return g.ID },
		key:  func(g Group) string { return g.Name },
		skip: func(g Group) bool { return g.Type == GroupDynamic },
		create: func(ctx context.Context, g Group) (string, error) {
			made, err := dst.CreateGroup(ctx, g.Name)
			return made.ID, err
		},
		carried: func(g Group) {
			if m.changed {
				m.newGroups = append(m.newGroups, g)
			}
		},
	}
	if gl, ok := m.to.(GroupLister); ok {
		nr.existing = func(ctx context.Context, r PageRequest) (Page[Group], error) {
			return gl.ListGroups(ctx, GroupQuery{}, r)
		}
	}
	return carryNamed(ctx, m, nr, page)
}

// tagGroups carries the source's tag groups by name, flat.
func (m *migration) tagGroups(ctx context.Context, page string) error {
	src, dst := m.from.(TagGroupLister), m.to.(TagGroupCreator)
	nr := named[TagGroup]{
		resource: MigrateTagGroups,
		kind:     TagGroupKind,
		list:     src.ListTagGroups,
		id:       func(g TagGroup) string { return g.ID },
		key:      func(g TagGroup) string { return g.Name },
		create: func(ctx context.Context, g TagGroup) (string, error) {
			made, err := dst.CreateTagGroup(ctx, g.Name)
			return made.ID, err
		},
	}
	if gl, ok := m.to.(TagGroupLister); ok {
		nr.existing = gl.ListTagGroups
	}
	return carryNamed(ctx, m, nr, page)
}

// TagGroupRequirer is implemented by adapters whose vendor keeps every
// tag in a tag group (Miaokol): a migration puts the tags it carries
// without a group into one named after the source (MigratedTagGroup).
type TagGroupRequirer interface {
	TagsNeedGroup() bool
}

// MigratedTagGroup names the tag group a migration puts tags that came
// without one into, at a target that keeps every tag in a group.
func MigratedTagGroup(from Vendor) string { return "Migrated from " + string(from) }

// tags carries the source's tags by name within their group: into the
// tag group the tag_groups step carried theirs to, else without one, or
// into MigratedTagGroup at a target that needs a group.
func (m *migration) tags(ctx context.Context, page string) error {
	src, dst := m.from.(TagLister), m.to.(TagCreator)
	g, err := m.tagGrouper(ctx)
	if err != nil {
		return err
	}
	key := func(t Tag) string { return t.GroupID + "\x00" + t.Name }
	nr := named[Tag]{
		resource: MigrateTags,
		kind:     TagKind,
		list:     func(ctx context.Context, r PageRequest) (Page[Tag], error) { return src.ListTags(ctx, TagQuery{}, r) },
		id:       func(t Tag) string { return t.ID },
		key:      key,
		srcKey:   func(t Tag) string { return g.of(t) + "\x00" + t.Name },
		create: func(ctx context.Context, t Tag) (string, error) {
			group, err := g.ensure(ctx, t)
			if err != nil {
				return "", err
			}
			made, err := dst.CreateTag(ctx, t.Name, group)
			return made.ID, err
		},
	}
	if tl, ok := m.to.(TagLister); ok {
		nr.existing = func(ctx context.Context, r PageRequest) (Page[Tag], error) { return tl.ListTags(ctx, TagQuery{}, r) }
	}
	return carryNamed(ctx, m, nr, page)
}

// tagGrouper says which of the target's tag groups a carried tag goes
// into.
type tagGrouper struct {
	carried  map[string]string // source tag group native id -> target native id
	needs    bool              // the target keeps every tag in a group
	fallback string            // the target's MigratedTagGroup, once found or made
	name     string
	creator  TagGroupCreator
}

func (m *migration) tagGrouper(ctx context.Context) (*tagGrouper, error) {
	g := &tagGrouper{carried: map[string]string{}, name: MigratedTagGroup(m.from.Vendor())}
	if r, ok := m.to.(TagGroupRequirer); ok && r.TagsNeedGroup() {
		g.needs = true
		g.creator, _ = m.to.(TagGroupCreator)
		if l, ok := m.to.(TagGroupLister); ok {
			err := eachPage(ctx, m, "", "", func(r PageRequest) (Page[TagGroup], error) { return l.ListTagGroups(ctx, r) }, func(gs []TagGroup) error {
				if i := slices.IndexFunc(gs, func(tg TagGroup) bool { return tg.Name == g.name }); i >= 0 && g.fallback == "" {
					g.fallback = gs[i].ID
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	l, ok := m.from.(TagGroupLister)
	if step, _ := m.plan.Step(MigrateTagGroups); !ok || step.Action != PlanCarry {
		return g, nil
	}
	err := eachPage(ctx, m, "", "", func(r PageRequest) (Page[TagGroup], error) { return l.ListTagGroups(ctx, r) }, func(gs []TagGroup) error {
		ids := make([]string, len(gs))
		for i, tg := range gs {
			ids[i] = m.sourceID(tg.ID)
		}
		found, err := m.idmap(TagGroupKind).LookupIDs(ctx, m.tenant, ids)
		if err != nil {
			return err
		}
		for i, tg := range gs {
			if to, ok := found[ids[i]]; ok {
				native, err := m.s.vendors.ParseID("tag_group", to, m.to.Vendor())
				if err != nil {
					return err
				}
				g.carried[tg.ID] = native
			}
		}
		return nil
	})
	return g, err
}

// of is the target tag group of the source's tag t, "" for none (or the
// fallback group not made yet).
func (g *tagGrouper) of(t Tag) string {
	if to := g.carried[t.GroupID]; to != "" {
		return to
	}
	if g.needs {
		return g.fallback
	}
	return ""
}

// ensure is of, making the fallback group when t needs it.
func (g *tagGrouper) ensure(ctx context.Context, t Tag) (string, error) {
	if to := g.of(t); to != "" || !g.needs {
		return to, nil
	}
	if g.creator == nil {
		return "", Invalid("group_id", "is needed by the target, which cannot create a tag group")
	}
	made, err := g.creator.CreateTagGroup(ctx, g.name)
	if err != nil {
		return "", err
	}
	g.fallback = made.ID
	return made.ID, nil
}

// groupMembers adds every carried group's members that were carried to
// the group at the target. Adding a member twice changes nothing, so a
// re-run repeats the last page safely. page is "<source group id>\n<its
// member page state>".
func (m *migration) groupMembers(ctx context.Context, page string) error {
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
	return m.carryMembers(ctx, groups, memberPage)
}

// carryMembers adds the carried members of each of groups to the group
// it was carried to, the first group's from member page state
// memberPage on.
func (m *migration) carryMembers(ctx context.Context, groups []Group, memberPage string) error {
	src, dst := m.from.(GroupMemberLister), m.to.(GroupMemberAdder)
	const res = string(MigrateGroupMembers)
	for i, g := range groups {
		if i > 0 {
			memberPage = ""
		}
		target, err := m.idmap(GroupKind).LookupIDs(ctx, m.tenant, []string{m.sourceID(g.ID)})
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
			carried, err := m.idmap(ContactKind).LookupIDs(ctx, m.tenant, ids)
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
