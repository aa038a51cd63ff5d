package domain_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// recordVendor is a vendor with contacts (upserted by email), tags, tag
// sets on contacts, events and custom field definitions, for the
// resources a migration carries after the contacts. Each list is one
// page.
type recordVendor struct {
	vendor domain.Vendor
	mu     sync.Mutex
	nextID int
	// contacts by id; tags by id; events by contact id; fields in order.
	contacts map[string]domain.Contact
	tags     map[string]string
	events   map[string][]domain.Event
	fields   []domain.FieldDef
	// what was written
	tagSets  map[string][]string
	recorded []domain.EventInput
	created  []domain.FieldInput
	patches  int
	// mapper, when set, is the vendor's FieldTypeMapper.
	mapper map[domain.FieldType]domain.FieldType
	// groups by id, their members; changed, when set, answers a list
	// filtered by updated_since.
	groups  map[string]string
	members map[string][]string
	changed func() []domain.Contact
	// onListTags, when set, is called before each tag list.
	onListTags func()
}

func (r *recordVendor) ListGroups(context.Context, domain.GroupQuery, domain.PageRequest) (domain.Page[domain.Group], error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var p domain.Page[domain.Group]
	for _, id := range slices.Sorted(maps.Keys(r.groups)) {
		p.Items = append(p.Items, domain.Group{ID: id, Name: r.groups[id], Type: domain.GroupStatic})
	}
	return p, nil
}
func (r *recordVendor) CreateGroup(_ context.Context, name string) (domain.Group, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.id()
	r.groups[id] = name
	return domain.Group{ID: id, Name: name, Type: domain.GroupStatic}, nil
}
func (r *recordVendor) ListGroupMembers(_ context.Context, group string, _ domain.PageRequest) (domain.Page[domain.Contact], error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var p domain.Page[domain.Contact]
	for _, id := range r.members[group] {
		p.Items = append(p.Items, domain.Contact{ID: id})
	}
	return p, nil
}
func (r *recordVendor) ListContactGroups(_ context.Context, contact string, _ domain.PageRequest) (domain.Page[domain.Group], error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var p domain.Page[domain.Group]
	for g, ms := range r.members {
		if slices.Contains(ms, contact) {
			p.Items = append(p.Items, domain.Group{ID: g, Name: r.groups[g], Type: domain.GroupStatic})
		}
	}
	return p, nil
}
func (r *recordVendor) MemberBatchSize() int { return 10 }
func (r *recordVendor) AddGroupMembers(_ context.Context, group string, ids []string) (domain.MemberChange, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		if !slices.Contains(r.members[group], id) {
			r.members[group] = append(r.members[group], id)
		}
	}
	return domain.MemberChange{Succeeded: ids}, nil
}

func newRecordVendor(v domain.Vendor) *recordVendor {
	return &recordVendor{vendor: v, nextID: 500, contacts: map[string]domain.Contact{}, tags: map[string]string{},
		events: map[string][]domain.Event{}, tagSets: map[string][]string{}, groups: map[string]string{}, members: map[string][]string{}}
}

func (r *recordVendor) id() string { r.nextID++; return strconv.Itoa(r.nextID) }

func (r *recordVendor) Vendor() domain.Vendor { return r.vendor }
func (r *recordVendor) ContactFilters() []string {
	if r.changed != nil {
		return []string{"updated_since"}
	}
	return nil
}
func (r *recordVendor) ListContacts(_ context.Context, q domain.ContactQuery, _ domain.PageRequest) (domain.Page[domain.Contact], error) {
	if q.UpdatedSince != nil {
		return domain.Page[domain.Contact]{Items: r.changed()}, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var p domain.Page[domain.Contact]
	for _, id := range slices.Sorted(maps.Keys(r.contacts)) {
		p.Items = append(p.Items, r.contacts[id])
	}
	return p, nil
}
func (r *recordVendor) GetContact(_ context.Context, id string) (domain.Contact, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.contacts[id]
	if !ok {
		return c, domain.ErrNotFound
	}
	for _, t := range r.tagSets[id] {
		c.Tags = append(c.Tags, domain.TagRef{ID: t})
	}
	c.TagsLoaded = true
	return c, nil
}
func (r *recordVendor) BatchSize() int { return 10 }
func (r *recordVendor) BatchUpsertContacts(_ context.Context, items []domain.ContactInput, _ domain.OnConflict) ([]domain.BatchItemResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []domain.BatchItemResult
	for i, in := range items {
		id := ""
		for cid, c := range r.contacts {
			if c.Email == in.Email {
				id = cid
			}
		}
		if id == "" {
			id = r.id()
		}
		c := in.Contact
		c.ID = id
		r.contacts[id] = c
		out = append(out, domain.BatchItemResult{Index: i, Status: domain.BatchCreated, ID: id})
	}
	return out, nil
}
func (r *recordVendor) UpdateContact(_ context.Context, id string, p domain.ContactPatch) (domain.Contact, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.contacts[id]
	if !ok {
		return c, domain.ErrNotFound
	}
	for f, on := range p.Set {
		if on && f != domain.FieldGender && f != domain.FieldBirthday {
			*c.StringField(f) = *p.Values.StringField(f)
		}
	}
	if len(p.CustomFields) > 0 {
		c.CustomFields = maps.Clone(c.CustomFields)
		if c.CustomFields == nil {
			c.CustomFields = map[string]any{}
		}
		maps.Copy(c.CustomFields, p.CustomFields)
	}
	r.contacts[id] = c
	r.patches++
	return c, nil
}
func (r *recordVendor) ListTags(context.Context, domain.TagQuery, domain.PageRequest) (domain.Page[domain.Tag], error) {
	if r.onListTags != nil {
		r.onListTags()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var p domain.Page[domain.Tag]
	for _, id := range slices.Sorted(maps.Keys(r.tags)) {
		p.Items = append(p.Items, domain.Tag{ID: id, Name: r.tags[id]})
	}
	return p, nil
}
func (r *recordVendor) CreateTag(_ context.Context, name, _ string) (domain.Tag, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.id()
	r.tags[id] = name
	return domain.Tag{ID: id, Name: name}, nil
}
func (r *recordVendor) SetContactTags(_ context.Context, contactID string, tagIDs []string) ([]domain.TagRef, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range tagIDs {
		if _, ok := r.tags[t]; !ok {
			return nil, errors.New("no tag " + t)
		}
	}
	r.tagSets[contactID] = slices.Sorted(slices.Values(tagIDs))
	return nil, nil
}
func (r *recordVendor) ListContactEvents(_ context.Context, contactID string, _ domain.PageRequest) (domain.Page[domain.Event], error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return domain.Page[domain.Event]{Items: slices.Clone(r.events[contactID])}, nil
}
func (r *recordVendor) RecordEvent(_ context.Context, in domain.EventInput) (domain.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.contacts[in.ContactID]; !ok {
		return domain.Event{}, errors.New("no contact " + in.ContactID)
	}
	r.recorded = append(r.recorded, in)
	return domain.Event{ID: r.id()}, nil
}
func (r *recordVendor) ListFields(context.Context, domain.PageRequest) (domain.Page[domain.FieldDef], error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return domain.Page[domain.FieldDef]{Items: slices.Clone(r.fields)}, nil
}
func (r *recordVendor) CreateField(_ context.Context, in domain.FieldInput) (domain.FieldDef, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.id()
	d := domain.FieldDef{ID: id, Key: id, Label: in.Label, Type: in.Type, Description: in.Description, Options: in.Options}
	r.fields = append(r.fields, d)
	r.created = append(r.created, in)
	return d, nil
}

// mappingVendor is a recordVendor that creates only some field types.
type mappingVendor struct{ *recordVendor }

func (m mappingVendor) CreatableAs(t domain.FieldType) (domain.FieldType, bool) {
	as, ok := m.mapper[t]
	return as, ok
}

func recordService(t *testing.T, from, to domain.Connection) (*domain.Service, *memory.Jobs, *memory.IDMap) {
	t.Helper()
	jobs, ids := memory.NewJobs(memory.JobsOptions{}), memory.NewIDMap()
	svc := newService(t, domain.ServiceConfig{Vendors: testVendors, Jobs: jobs, IDMap: ids, Freezes: memory.NewFreezes(nil), Tenants: []domain.Tenant{{
		ID: "acme", Initial: from.Vendor(),
		Connections: map[domain.Vendor]domain.Connection{from.Vendor(): from, to.Vendor(): to},
	}}})
	runMigrations(t, svc, jobs)
	return svc, jobs, ids
}

func progressOf(j domain.Job, r domain.MigrationResource) domain.JobProgress {
	for _, p := range j.Progress {
		if p.Resource == string(r) {
			return p
		}
	}
	return domain.JobProgress{}
}

// TestMigrationCarriesContactTagsAndEvents: each carried contact gets its
// carried tags at the target, on top of its own, and its events, for its
// new id, with exact property values; a second run records no event
// twice.
func TestMigrationCarriesContactTagsAndEvents(t *testing.T) {
	t.Parallel()
	src, dst := newRecordVendor("linkflow"), newRecordVendor("meihua")
	src.tags = map[string]string{"1": "vip", "2": "new"}
	src.contacts = map[string]domain.Contact{
		"10": {ID: "10", Email: "a@example.com", Tags: []domain.TagRef{{ID: "1"}, {ID: "2"}}, TagsLoaded: true},
		"11": {ID: "11", Email: "b@example.com", Tags: []domain.TagRef{{ID: "2"}}, TagsLoaded: true},
		"12": {ID: "12", Email: "c@example.com", TagsLoaded: true},
	}
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	src.events = map[string][]domain.Event{
		"10": {{ID: "100", Event: "buy", OccurredAt: at, Properties: map[string]any{"sku": "x", "n": json.Number("9007199254740993"), "gift": true}},
			{ID: "101", Event: "view", OccurredAt: at}},
		"11": {{ID: "102", Event: "view", OccurredAt: at}},
	}
	dst.tags = map[string]string{"7": "own"}
	dst.contacts = map[string]domain.Contact{"8": {ID: "8", Email: "b@example.com"}}
	dst.tagSets = map[string][]string{"8": {"7"}}
	_, jobs, _ := recordService(t, src, dst)

	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua"})
	j := waitState(t, jobs, "m1", domain.JobSucceeded)
	plan := domain.PlanOf(j)
	for _, r := range []domain.MigrationResource{domain.MigrateContactTags, domain.MigrateEvents} {
		if s, _ := plan.Step(r); s.Action != domain.PlanCarry {
			t.Fatalf("plan step %+v, want carry", s)
		}
	}
	byEmail := map[string]string{}
	for id, c := range dst.contacts {
		byEmail[c.Email] = id
	}
	tagID := map[string]string{}
	for id, n := range dst.tags {
		tagID[n] = id
	}
	want := map[string][]string{
		byEmail["a@example.com"]: slices.Sorted(slices.Values([]string{tagID["vip"], tagID["new"]})),
		"8":                      slices.Sorted(slices.Values([]string{"7", tagID["new"]})), // its own tag kept
	}
	if !reflect.DeepEqual(dst.tagSets, want) {
		t.Fatalf("tag sets %v, want %v", dst.tagSets, want)
	}
	if p := progressOf(j, domain.MigrateContactTags); p.Done != 2 || p.Skipped != 1 {
		t.Fatalf("contact tags progress %+v", p)
	}
	if len(dst.recorded) != 3 {
		t.Fatalf("recorded %+v, want 3 events", dst.recorded)
	}
	buy := dst.recorded[slices.IndexFunc(dst.recorded, func(e domain.EventInput) bool { return e.Event == "buy" })]
	wantBuy := domain.EventInput{Event: "buy", ContactID: byEmail["a@example.com"], OccurredAt: at,
		Properties: map[string]string{"sku": "x", "n": "9007199254740993", "gift": "true"}}
	if !reflect.DeepEqual(buy, wantBuy) {
		t.Fatalf("recorded %+v\nwant     %+v", buy, wantBuy)
	}

	newMigration(t, jobs, "m2", domain.MigrationSpec{From: "linkflow", To: "meihua"})
	j = waitState(t, jobs, "m2", domain.JobSucceeded)
	if p := progressOf(j, domain.MigrateEvents); len(dst.recorded) != 3 || p.Skipped != 3 || p.Done != 0 {
		t.Fatalf("second run recorded %d events, progress %+v", len(dst.recorded), p)
	}
}

// TestMigrationContactTagsNeedTheirTags: without the tags step, contact
// tags cannot be carried, and the plan says which step they need.
func TestMigrationContactTagsNeedTheirTags(t *testing.T) {
	t.Parallel()
	src, dst := newRecordVendor("linkflow"), newRecordVendor("meihua")
	svc, _, _ := recordService(t, src, dst)
	p, err := svc.PlanMigration(t.Context(), "acme", domain.MigrationSpec{From: "linkflow", To: "meihua",
		Resources: []domain.MigrationResource{domain.MigrateContacts, domain.MigrateContactTags, domain.MigrateEvents}})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := p.Step(domain.MigrateContactTags); s.Action != domain.PlanCannot || s.Detail != "contact_tags are carried with the tags they name: ask for tags too" {
		t.Fatalf("contact tags step %+v", s)
	}
	if s, _ := p.Step(domain.MigrateEvents); s.Action != domain.PlanCarry {
		t.Fatalf("events step %+v", s)
	}
}

// TestMigrationCarriesCustomFields: a field the target has by label is
// matched, one it lacks is created (a number as text, as the target
// creates it), one of a type it cannot hold is dropped; the plan says
// all three, and values go under the target's keys. A second run creates
// nothing.
func TestMigrationCarriesCustomFields(t *testing.T) {
	t.Parallel()
	src, dst := newRecordVendor("linkflow"), newRecordVendor("meihua")
	src.fields = []domain.FieldDef{
		{ID: "1", Key: "attr1", Label: "Level", Type: domain.FieldTypeText},
		{ID: "2", Key: "attr2", Label: "Points", Type: domain.FieldTypeNumber},
		{ID: "3", Key: "attr3", Label: "Hobbies", Type: domain.FieldTypeMultiSelect},
	}
	src.contacts = map[string]domain.Contact{"10": {ID: "10", Email: "a@example.com",
		CustomFields: map[string]any{"attr1": "gold", "attr2": json.Number("9007199254740993"), "attr3": []any{"a"}}}}
	dst.fields = []domain.FieldDef{{ID: "77", Key: "77", Label: "Level", Type: domain.FieldTypeText}}
	dst.mapper = map[domain.FieldType]domain.FieldType{domain.FieldTypeText: domain.FieldTypeText, domain.FieldTypeNumber: domain.FieldTypeText}
	_, jobs, _ := recordService(t, src, mappingVendor{dst})

	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua"})
	j := waitState(t, jobs, "m1", domain.JobSucceeded)
	plan := domain.PlanOf(j)
	fields, _ := plan.Step(domain.MigrateCustomFields)
	if fields.Action != domain.PlanCarry ||
		!reflect.DeepEqual(fields.Dropped, []string{"custom_fields.attr3: meihua cannot hold a multiselect field"}) ||
		!reflect.DeepEqual(fields.Transformed, []string{"custom_fields.attr2: a number field, created at meihua as text (values keep their written form)"}) {
		t.Fatalf("custom fields step %+v", fields)
	}
	if contacts, _ := plan.Step(domain.MigrateContacts); !slices.Equal(contacts.Dropped, []string{"custom_fields.attr3"}) {
		t.Fatalf("contacts step drops %v, want attr3 alone", contacts.Dropped)
	}
	want := []domain.FieldInput{{Label: "Points", Type: domain.FieldTypeText, Description: "linkflow field attr2, carried by a cdp-gateway migration"}}
	if !reflect.DeepEqual(dst.created, want) {
		t.Fatalf("created %+v, want %+v", dst.created, want)
	}
	points := dst.fields[1].Key
	var got map[string]any
	for _, c := range dst.contacts {
		got = c.CustomFields
	}
	if !reflect.DeepEqual(got, map[string]any{"77": "gold", points: json.Number("9007199254740993")}) {
		t.Fatalf("custom values at the target %v", got)
	}
	if p := progressOf(j, domain.MigrateCustomFields); p.Done != 2 {
		t.Fatalf("custom fields progress %+v", p)
	}
	wantFields := []domain.CarriedField{{From: "attr1", To: "77", Label: "Level", How: domain.FieldByLabel}, {From: "attr2", To: points, Label: "Points", How: domain.FieldCreated}}
	if got := domain.MigrationFields(j); !reflect.DeepEqual(got, wantFields) {
		t.Fatalf("carried fields %+v, want %+v", got, wantFields)
	}

	newMigration(t, jobs, "m2", domain.MigrationSpec{From: "linkflow", To: "meihua"})
	j = waitState(t, jobs, "m2", domain.JobSucceeded)
	if p := progressOf(j, domain.MigrateCustomFields); len(dst.created) != 1 || p.Done != 0 || p.Skipped != 2 {
		t.Fatalf("second run created %v, progress %+v", dst.created, p)
	}
}

// TestMigrationCutoverWritesChangesByID: a contact whose email changed
// after it was carried is written again by its id at the target, not
// upserted by its new email (which would make it twice).
func TestMigrationCutoverWritesChangesByID(t *testing.T) {
	defer domain.SetCutoverSettle(0)()
	src := &sourceVendor{vendor: "linkflow", contacts: sourceContacts(3), pageSize: 10, filters: []string{"updated_since"}}
	src.changed = func(context.Context, time.Time) []domain.Contact {
		c := src.contacts[1]
		c.Email, c.Name = "new@example.com", "renamed"
		return []domain.Contact{c}
	}
	dst := newRecordVendor("meihua")
	_, jobs, _ := recordService(t, src, dst)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua", Switch: true, Resources: []domain.MigrationResource{domain.MigrateContacts}})
	waitState(t, jobs, "m1", domain.JobSucceeded)
	emails := map[string]string{}
	for _, c := range dst.contacts {
		emails[c.Email] = c.Name
	}
	want := map[string]string{"c0@example.com": "c0", "new@example.com": "renamed", "c2@example.com": "c2"}
	// Patched by the delta pass and again by the cut-over's.
	if !reflect.DeepEqual(emails, want) || dst.patches != 2 {
		t.Fatalf("target contacts %v after %d patches, want %v after 2", emails, dst.patches, want)
	}
}

// TestMigrationFollowsChangedContacts: a contact created while the copy
// ran (after the member and contact tag passes) is carried by the delta
// pass, and joins its carried group and gets its carried tag at the
// target.
func TestMigrationFollowsChangedContacts(t *testing.T) {
	t.Parallel()
	src, dst := newRecordVendor("linkflow"), newRecordVendor("meihua")
	src.tags = map[string]string{"1": "vip"}
	src.groups = map[string]string{"20": "buyers"}
	src.members = map[string][]string{"20": {"10", "13"}}
	src.contacts = map[string]domain.Contact{"10": {ID: "10", Email: "a@example.com", Tags: []domain.TagRef{{ID: "1"}}, TagsLoaded: true}}
	late := domain.Contact{ID: "13", Email: "late@example.com", Tags: []domain.TagRef{{ID: "1"}}, TagsLoaded: true}
	src.changed = func() []domain.Contact { return []domain.Contact{late} }
	_, jobs, ids := recordService(t, src, dst)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua"})
	j := waitState(t, jobs, "m1", domain.JobSucceeded)
	keys := map[string]string{"lf_10": domain.MapKey(domain.ContactKind, "lf_10"), "lf_13": domain.MapKey(domain.ContactKind, "lf_13"),
		"lf_20": domain.MapKey(domain.GroupKind, "lf_20"), "lf_1": domain.MapKey(domain.TagKind, "lf_1")}
	found, err := ids.LookupIDs(t.Context(), "acme", slices.Collect(maps.Values(keys)))
	if err != nil || len(found) != 4 {
		t.Fatalf("id map %v, %v", found, err)
	}
	m := map[string]string{}
	for id, k := range keys {
		m[id] = found[k]
	}
	native := func(id string) string { return id[len("mh_"):] }
	if got := dst.members[native(m["lf_20"])]; !slices.Contains(got, native(m["lf_13"])) || !slices.Contains(got, native(m["lf_10"])) {
		t.Fatalf("members of the carried group %v, want both contacts (%v)", got, m)
	}
	if got := dst.tagSets[native(m["lf_13"])]; !slices.Equal(got, []string{native(m["lf_1"])}) {
		t.Fatalf("the late contact's tags at the target %v", got)
	}
	if p := progressOf(j, "contacts_changed"); p.Done != 1 {
		t.Fatalf("changed contacts progress %+v", p)
	}
}

// TestMigrationKeepsKindsApart: a vendor numbers each kind of record on
// its own, so a contact and a group may both be lf_20. The id map keeps
// them apart: both are carried, the contact joins the group, and after
// the switch lf_20 names the contact where a contact is meant and the
// group where a group is.
func TestMigrationKeepsKindsApart(t *testing.T) {
	defer domain.SetCutoverSettle(0)()
	src, dst := newRecordVendor("linkflow"), newRecordVendor("meihua")
	src.contacts = map[string]domain.Contact{"20": {ID: "20", Email: "a@example.com"}}
	src.groups = map[string]string{"20": "buyers"}
	src.members = map[string][]string{"20": {"20"}}
	svc, jobs, _ := recordService(t, src, dst)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua", Switch: true})
	waitState(t, jobs, "m1", domain.JobSucceeded)
	if len(dst.groups) != 1 || len(dst.contacts) != 1 {
		t.Fatalf("at the target: groups %v, contacts %v", dst.groups, dst.contacts)
	}
	var group, contact string
	for id := range dst.groups {
		group = id
	}
	for id := range dst.contacts {
		contact = id
	}
	if !slices.Equal(dst.members[group], []string{contact}) {
		t.Fatalf("members of the carried group %v, want the carried contact %s", dst.members[group], contact)
	}
	tg := target(t, svc, "acme")
	c, err := svc.GetContact(t.Context(), tg, "lf_20")
	if err != nil || c.ID != "mh_"+contact {
		t.Fatalf("contact lf_20 read as %+v, %v; want mh_%s", c, err, contact)
	}
	members, err := svc.ListGroupMembers(t.Context(), tg, "lf_20", domain.ListOptions{})
	if err != nil || len(members.Items) != 1 || members.Items[0].ID != "mh_"+contact {
		t.Fatalf("members of group lf_20: %+v, %v", members, err)
	}
}

// TestMigrationCarriesGroupsMadeWhileItRuns: a group created at the
// source after the group and member passes (here: while the tags pass
// runs) is carried by the delta pass, with its members.
func TestMigrationCarriesGroupsMadeWhileItRuns(t *testing.T) {
	t.Parallel()
	src, dst := newRecordVendor("linkflow"), newRecordVendor("meihua")
	src.contacts = map[string]domain.Contact{"10": {ID: "10", Email: "a@example.com"}, "11": {ID: "11", Email: "b@example.com"}}
	src.groups = map[string]string{"20": "early"}
	src.members = map[string][]string{"20": {"10"}}
	src.changed = func() []domain.Contact { return nil }
	var once sync.Once
	src.onListTags = func() {
		once.Do(func() {
			src.mu.Lock()
			defer src.mu.Unlock()
			src.groups["21"] = "late"
			src.members["21"] = []string{"11"}
		})
	}
	_, jobs, _ := recordService(t, src, dst)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua"})
	j := waitState(t, jobs, "m1", domain.JobSucceeded)
	byName := map[string]string{}
	for id, n := range dst.groups {
		byName[n] = id
	}
	var b string
	for id, c := range dst.contacts {
		if c.Email == "b@example.com" {
			b = id
		}
	}
	if len(dst.groups) != 2 || !slices.Equal(dst.members[byName["late"]], []string{b}) {
		t.Fatalf("target groups %v, members %v; want late with contact %s", dst.groups, dst.members, b)
	}
	if p := progressOf(j, domain.MigrateGroups); p.Done != 2 || p.Skipped != 0 {
		t.Fatalf("groups progress %+v: want 2 carried, nothing counted twice", p)
	}
}

// TestMigrationCarriesFieldsMadeWhileItRuns: a custom field created at
// the source after the custom_fields pass is created at the target by the
// delta pass, before the changed contacts carry its values; the report
// keeps how each earlier field was carried.
func TestMigrationCarriesFieldsMadeWhileItRuns(t *testing.T) {
	t.Parallel()
	src, dst := newRecordVendor("linkflow"), newRecordVendor("meihua")
	src.fields = []domain.FieldDef{{ID: "1", Key: "attr1", Label: "Level", Type: domain.FieldTypeText}}
	src.contacts = map[string]domain.Contact{"10": {ID: "10", Email: "a@example.com", CustomFields: map[string]any{"attr1": "gold"}}}
	src.tags = map[string]string{"1": "vip"}
	var once sync.Once
	src.onListTags = func() {
		once.Do(func() {
			src.mu.Lock()
			defer src.mu.Unlock()
			src.fields = append(src.fields, domain.FieldDef{ID: "9", Key: "attr9", Label: "Late", Type: domain.FieldTypeText})
		})
	}
	src.changed = func() []domain.Contact {
		return []domain.Contact{{ID: "10", Email: "a@example.com", CustomFields: map[string]any{"attr1": "gold", "attr9": "x"}}}
	}
	_, jobs, _ := recordService(t, src, dst)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua"})
	j := waitState(t, jobs, "m1", domain.JobSucceeded)
	keys := map[string]string{}
	for _, f := range dst.fields {
		keys[f.Label] = f.Key
	}
	var got map[string]any
	for _, c := range dst.contacts {
		got = c.CustomFields
	}
	if want := map[string]any{keys["Level"]: "gold", keys["Late"]: "x"}; len(dst.fields) != 2 || !reflect.DeepEqual(got, want) {
		t.Fatalf("target fields %+v, values %v; want %v", dst.fields, got, want)
	}
	want := []domain.CarriedField{{From: "attr1", To: keys["Level"], Label: "Level", How: domain.FieldCreated}, {From: "attr9", To: keys["Late"], Label: "Late", How: domain.FieldCreated}}
	if f := domain.MigrationFields(j); !reflect.DeepEqual(f, want) {
		t.Fatalf("fields report %+v, want %+v", f, want)
	}
}
