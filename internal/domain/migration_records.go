package domain

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
)

// What a migration carries of each carried contact after the contacts,
// tags and groups themselves: the tags on it and its events. Both walk
// the source's contacts again, page by page with a checkpoint at each,
// and leave out every contact the id map does not hold (not carried).

// contactTags gives each carried contact, at the target, the carried
// tags it has at the source, on top of the tags it has there. Setting
// the same tags again changes nothing, so a re-run repeats a page safely.
func (m *migration) contactTags(ctx context.Context, page string) error {
	src := m.from.(ContactLister)
	list := func(r PageRequest) (Page[Contact], error) { return src.ListContacts(ctx, ContactQuery{}, r) }
	return eachPage(ctx, m, MigrateContactTags, page, list, func(cs []Contact) error { return m.tagContacts(ctx, cs) })
}

// tagContacts gives each of cs that was carried its carried tags at the
// target.
func (m *migration) tagContacts(ctx context.Context, cs []Contact) error {
	dst := m.to.(ContactTagSetter)
	getter, _ := m.to.(ContactGetter)
	const res = string(MigrateContactTags)
	var contacts, tagIDs []string
	for _, c := range cs {
		if c.TagsLoaded && len(c.Tags) > 0 {
			contacts = append(contacts, m.sourceID(c.ID))
			for _, t := range c.Tags {
				tagIDs = append(tagIDs, m.sourceID(t.ID))
			}
		}
	}
	carriedContacts, err := m.idmap(ContactKind).LookupIDs(ctx, m.tenant, contacts)
	if err != nil {
		return err
	}
	carriedTags, err := m.idmap(TagKind).LookupIDs(ctx, m.tenant, tagIDs)
	if err != nil {
		return err
	}
	for _, c := range cs {
		to, carried := carriedContacts[m.sourceID(c.ID)]
		var tags []string
		for _, t := range c.Tags {
			if tt, ok := carriedTags[m.sourceID(t.ID)]; ok {
				n, err := m.s.vendors.ParseID("tag", tt, m.to.Vendor())
				if err != nil {
					return err
				}
				tags = append(tags, n)
			}
		}
		if !c.TagsLoaded || !carried || len(tags) == 0 {
			m.run.Progress(res, func(p *JobProgress) { p.Skipped++ })
			continue
		}
		native, err := m.s.vendors.ParseID("contact", to, m.to.Vendor())
		if err != nil {
			return err
		}
		if err := m.setTags(ctx, dst, getter, native, tags); err != nil {
			if FailsEveryCall(err) {
				return err
			}
			m.run.Progress(res, func(p *JobProgress) { p.Failed++ })
			m.run.ItemError(itemError(MigrateContactTags, m.sourceID(c.ID), err))
			continue
		}
		m.run.Progress(res, func(p *JobProgress) { p.Done++ })
	}
	return nil
}

// setTags sets tags on the target's contact id, keeping the tags it has
// there when the target can say which.
func (m *migration) setTags(ctx context.Context, dst ContactTagSetter, getter ContactGetter, id string, tags []string) error {
	if getter != nil {
		c, err := getter.GetContact(ctx, id)
		if err != nil {
			return err
		}
		if c.TagsLoaded {
			for _, t := range c.Tags {
				if !slices.Contains(tags, t.ID) {
					tags = append(tags, t.ID)
				}
			}
		}
	}
	_, err := dst.SetContactTags(ctx, id, tags)
	return err
}

// events records each carried contact's events at the target, for the
// contact's new id. Every recorded event's id goes into the id map at
// once, so a re-run or a takeover records each event once (but for one
// whose answer was lost).
func (m *migration) events(ctx context.Context, page string) error {
	src, el, dst := m.from.(ContactLister), m.from.(ContactEventLister), m.to.(EventRecorder)
	const res = string(MigrateEvents)
	list := func(r PageRequest) (Page[Contact], error) { return src.ListContacts(ctx, ContactQuery{}, r) }
	return eachPage(ctx, m, MigrateEvents, page, list, func(cs []Contact) error {
		ids := make([]string, len(cs))
		for i, c := range cs {
			ids[i] = m.sourceID(c.ID)
		}
		found, err := m.idmap(ContactKind).LookupIDs(ctx, m.tenant, ids)
		if err != nil {
			return err
		}
		for i, c := range cs {
			to, ok := found[ids[i]]
			if !ok {
				continue // not carried: its events stay behind
			}
			native, err := m.s.vendors.ParseID("contact", to, m.to.Vendor())
			if err != nil {
				return err
			}
			events := func(r PageRequest) (Page[Event], error) { return el.ListContactEvents(ctx, c.ID, r) }
			err = eachPage(ctx, m, "", "", events, func(es []Event) error {
				eids := make([]string, len(es))
				for k, e := range es {
					eids[k] = m.sourceID(e.ID)
				}
				done, err := m.idmap(EventKind).LookupIDs(ctx, m.tenant, eids)
				if err != nil {
					return err
				}
				for k, e := range es {
					if _, ok := done[eids[k]]; ok {
						m.run.Progress(res, func(p *JobProgress) { p.Skipped++ })
						continue
					}
					got, err := dst.RecordEvent(ctx, EventInput{Event: e.Event, ContactID: native, OccurredAt: e.OccurredAt,
						Properties: textProperties(e.Properties), UTM: e.UTM})
					if err != nil {
						if FailsEveryCall(err) {
							return err
						}
						m.run.Progress(res, func(p *JobProgress) { p.Failed++ })
						m.run.ItemError(itemError(MigrateEvents, eids[k], err))
						continue
					}
					made := ""
					if got.ID != "" {
						made = m.targetID(got.ID)
					}
					if err := m.idmap(EventKind).PutIDs(ctx, m.tenant, map[string]string{eids[k]: made}); err != nil {
						return err
					}
					m.run.Progress(res, func(p *JobProgress) { p.Done++ })
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// textProperties is an event's properties as text, as events are
// recorded: strings as they are, numbers exactly as written, booleans as
// true or false, null as "", anything else as its JSON.
func textProperties(ps map[string]any) map[string]string {
	if len(ps) == 0 {
		return nil
	}
	out := make(map[string]string, len(ps))
	for k, v := range ps {
		switch x := v.(type) {
		case nil:
			out[k] = ""
		case string:
			out[k] = x
		case json.Number:
			out[k] = x.String()
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			b, err := json.Marshal(x)
			if err != nil {
				continue
			}
			out[k] = string(b)
		}
	}
	return out
}

// followChanges carries the group memberships and tags of the contacts
// the last page of a pass over changed contacts wrote (m.written), where
// those steps are carried: a contact created or changed while the copy
// ran joins its carried groups and gets its carried tags at the target.
// Memberships are read per contact (ContactGroupLister); a source that
// cannot list a contact's groups leaves them to the member pass.
func (m *migration) followChanges(ctx context.Context) error {
	cs := m.written
	m.written = nil
	if len(cs) == 0 {
		return nil
	}
	if step, _ := m.plan.Step(MigrateContactTags); step.Action == PlanCarry {
		if err := m.tagContacts(ctx, cs); err != nil {
			return err
		}
	}
	step, _ := m.plan.Step(MigrateGroupMembers)
	gl, ok := m.from.(ContactGroupLister)
	if step.Action != PlanCarry || !ok {
		return nil
	}
	dst := m.to.(GroupMemberAdder)
	const res = string(MigrateGroupMembers)
	for _, c := range cs {
		var groups []string // canonical source ids
		err := eachPage(ctx, m, "", "", func(r PageRequest) (Page[Group], error) { return gl.ListContactGroups(ctx, c.ID, r) }, func(gs []Group) error {
			for _, g := range gs {
				groups = append(groups, m.sourceID(g.ID))
			}
			return nil
		})
		if err != nil {
			return err
		}
		carriedContact, err := m.idmap(ContactKind).LookupIDs(ctx, m.tenant, []string{m.sourceID(c.ID)})
		if err != nil {
			return err
		}
		found, err := m.idmap(GroupKind).LookupIDs(ctx, m.tenant, groups)
		if err != nil {
			return err
		}
		to, ok := carriedContact[m.sourceID(c.ID)]
		if !ok {
			continue
		}
		contact, err := m.s.vendors.ParseID("contact", to, m.to.Vendor())
		if err != nil {
			return err
		}
		for _, g := range groups {
			tg, ok := found[g]
			if !ok {
				continue // not carried (dynamic, or refused)
			}
			group, err := m.s.vendors.ParseID("group", tg, m.to.Vendor())
			if err != nil {
				return err
			}
			ch, err := dst.AddGroupMembers(ctx, group, []string{contact})
			if err != nil {
				return err
			}
			m.run.Progress(res, func(p *JobProgress) { p.Done += int64(len(ch.Succeeded)); p.Failed += int64(len(ch.Failed)) })
			for _, f := range ch.Failed {
				m.run.ItemError(JobItemError{Resource: res, Item: m.sourceID(c.ID), Message: "not added to group " + tg + ": " + f.Reason})
			}
		}
	}
	return nil
}
