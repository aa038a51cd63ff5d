package domain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Tenant is a configured tenant: its vendor connections and the vendor it
// starts on.
type Tenant struct {
	ID          string
	Initial     Vendor
	Connections map[Vendor]Connection
}

// ServiceConfig wires a Service.
type ServiceConfig struct {
	// Vendors are the vendors the gateway knows (from its drivers); every
	// tenant connection must be to one of them.
	Vendors *Vendors
	Tenants []Tenant
	// Bindings keeps the tenants' current vendors: in memory for one
	// process, shared (Redis) for replicas. Required.
	Bindings     BindingStore
	CursorSecret []byte
	Logger       *slog.Logger
	// Now is the clock cursors expire by; time.Now when nil.
	Now func() time.Time
}

// Service routes tenant calls to the tenant's current vendor and does what
// is the same for every vendor: id prefixes, cursors, input checks and
// batch splitting.
type Service struct {
	vendors  *Vendors
	tenants  map[string]Tenant
	order    []string
	bindings BindingStore
	cursors  *Cursors
	log      *slog.Logger
}

// NewService checks the tenants and seeds their bindings.
func NewService(ctx context.Context, cfg ServiceConfig) (*Service, error) {
	if len(cfg.CursorSecret) < 16 {
		return nil, errors.New("cursor secret must be at least 16 bytes")
	}
	if cfg.Vendors == nil {
		return nil, errors.New("no vendors: the service needs the set its drivers define")
	}
	if cfg.Bindings == nil {
		return nil, errors.New("no binding store: the service needs one to know each tenant's vendor")
	}
	s := &Service{
		vendors:  cfg.Vendors,
		tenants:  make(map[string]Tenant, len(cfg.Tenants)),
		bindings: cfg.Bindings,
		cursors:  NewCursors(cfg.CursorSecret, cfg.Now),
		log:      cfg.Logger,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, t := range cfg.Tenants {
		if _, dup := s.tenants[t.ID]; dup {
			return nil, fmt.Errorf("tenant %s configured twice", t.ID)
		}
		if !s.vendors.Known(t.Initial) {
			return nil, fmt.Errorf("tenant %s starts on unknown vendor %q", t.ID, t.Initial)
		}
		if _, ok := t.Connections[t.Initial]; !ok {
			return nil, fmt.Errorf("tenant %s starts on %s but has no %s connection", t.ID, t.Initial, t.Initial)
		}
		for v, c := range t.Connections {
			switch {
			case !s.vendors.Known(v):
				return nil, fmt.Errorf("tenant %s: unknown vendor %q", t.ID, v)
			case c == nil:
				return nil, fmt.Errorf("tenant %s: no adapter for its %s connection", t.ID, v)
			case c.Vendor() != v:
				return nil, fmt.Errorf("tenant %s: connection listed as %s is a %s adapter", t.ID, v, c.Vendor())
			}
		}
		s.tenants[t.ID] = t
		s.order = append(s.order, t.ID)
		if err := s.bindings.Seed(ctx, t.ID, t.Initial); err != nil {
			return nil, fmt.Errorf("seed binding of tenant %s: %w", t.ID, err)
		}
	}
	sort.Strings(s.order)
	return s, nil
}

// Target is a tenant's binding resolved for one request: every call made
// with it goes to the same vendor connection, even if the tenant is
// switched meanwhile.
type Target struct {
	Tenant  string
	Vendor  Vendor
	Version int64
	conn    Connection
	prefix  string // of the vendor's canonical ids
}

// id returns the canonical id of the target vendor's own id.
func (t Target) id(native string) string {
	if native == "" {
		return ""
	}
	return t.prefix + "_" + native
}

// Target resolves the tenant's current vendor connection.
func (s *Service) Target(ctx context.Context, tenant string) (Target, error) {
	t, ok := s.tenants[tenant]
	if !ok {
		return Target{}, ErrTenantUnknown
	}
	b, err := s.bindings.Binding(ctx, tenant)
	if err != nil {
		return Target{}, fmt.Errorf("binding of tenant %s: %w", tenant, err)
	}
	conn, ok := t.Connections[b.Vendor]
	if !ok {
		return Target{}, fmt.Errorf("tenant %s is bound to %s but has no %s connection", tenant, b.Vendor, b.Vendor)
	}
	return Target{Tenant: tenant, Vendor: b.Vendor, Version: b.Version, conn: conn, prefix: s.vendors.Prefix(b.Vendor)}, nil
}

// List is one page of a canonical list. NextCursor is "" on the last page.
type List[T any] struct {
	Items      []T
	NextCursor string
}

// ListOptions are the caller's paging parameters.
type ListOptions struct {
	Limit  int
	Cursor string
}

func (o ListOptions) limit() int {
	switch {
	case o.Limit <= 0:
		return DefaultLimit
	case o.Limit > MaxLimit:
		return MaxLimit
	}
	return o.Limit
}

// list fetches one page through fetch, canonicalises the items with canon
// and wraps the adapter's next state into a signed cursor. filter is every
// resource id and filter value the list depends on.
func list[T any](s *Service, t Target, op Operation, filter string, o ListOptions,
	fetch func(PageRequest) (Page[T], error), canon func(Target, *T)) (List[T], error) {
	sc := cursorScope{tenant: t.Tenant, vendor: t.Vendor, binding: t.Version, op: op, filter: filter}
	state, err := s.cursors.decode(sc, o.Cursor)
	if err != nil {
		return List[T]{}, err
	}
	page, err := fetch(PageRequest{Limit: o.limit(), State: state})
	if err != nil {
		return List[T]{}, err
	}
	for i := range page.Items {
		canon(t, &page.Items[i])
	}
	if page.Items == nil {
		page.Items = []T{}
	}
	return List[T]{Items: page.Items, NextCursor: s.cursors.encode(sc, page.Next)}, nil
}

// Capabilities returns what the target's vendor can do.
func (s *Service) Capabilities(t Target) Capabilities { return CapabilitiesOf(t.conn) }

// ContactFilter is a canonical contact list filter (ids with prefixes).
type ContactFilter struct {
	Q, Email, Phone, GroupID, TagID string
	UpdatedSince                    *time.Time
}

// ListContacts lists contacts matching f.
func (s *Service) ListContacts(ctx context.Context, t Target, f ContactFilter, o ListOptions) (List[Contact], error) {
	l, err := port[ContactLister](t.conn, OpListContacts)
	if err != nil {
		return List[Contact]{}, err
	}
	q := ContactQuery{Q: f.Q, Email: f.Email, Phone: f.Phone, UpdatedSince: f.UpdatedSince}
	if f.GroupID != "" {
		if q.GroupID, err = s.vendors.ParseID("query.group_id", f.GroupID, t.Vendor); err != nil {
			return List[Contact]{}, err
		}
	}
	if f.TagID != "" {
		if q.TagID, err = s.vendors.ParseID("query.tag_id", f.TagID, t.Vendor); err != nil {
			return List[Contact]{}, err
		}
	}
	if filters := q.Filters(); filters != "" && !slices.Contains(l.ContactFilters(), filters) {
		return List[Contact]{}, &UnsupportedError{Vendor: t.Vendor, Operation: OpListContacts, Filter: strings.ReplaceAll(filters, "+", " with ")}
	}
	since := ""
	if q.UpdatedSince != nil {
		since = q.UpdatedSince.UTC().Format(time.RFC3339Nano)
	}
	filter := filterKey(q.Q, q.Email, q.Phone, q.GroupID, q.TagID, since)
	return list(s, t, OpListContacts, filter, o, func(p PageRequest) (Page[Contact], error) {
		return l.ListContacts(ctx, q, p)
	}, canonContact)
}

// filterKey joins filter values so that different value lists never give
// the same key.
func filterKey(values ...string) string {
	var b strings.Builder
	for _, v := range values {
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	}
	return b.String()
}

// GetContact reads one contact.
func (s *Service) GetContact(ctx context.Context, t Target, id string) (Contact, error) {
	g, err := port[ContactGetter](t.conn, OpGetContact)
	if err != nil {
		return Contact{}, err
	}
	native, err := s.vendors.ParseID("path.contact_id", id, t.Vendor)
	if err != nil {
		return Contact{}, err
	}
	c, err := g.GetContact(ctx, native)
	if err != nil {
		return Contact{}, err
	}
	canonContact(t, &c)
	return c, nil
}

// CreateContact creates a contact.
func (s *Service) CreateContact(ctx context.Context, t Target, in ContactInput) (Contact, error) {
	cr, err := port[ContactCreator](t.conn, OpCreateContact)
	if err != nil {
		return Contact{}, err
	}
	c, err := cr.CreateContact(ctx, in)
	if err != nil {
		return Contact{}, err
	}
	canonContact(t, &c)
	return c, nil
}

// UpdateContact changes the patched fields of a contact.
func (s *Service) UpdateContact(ctx context.Context, t Target, id string, p ContactPatch) (Contact, error) {
	u, err := port[ContactUpdater](t.conn, OpUpdateContact)
	if err != nil {
		return Contact{}, err
	}
	native, err := s.vendors.ParseID("path.contact_id", id, t.Vendor)
	if err != nil {
		return Contact{}, err
	}
	if p.Empty() {
		return Contact{}, Invalid("body", "names no field to change")
	}
	c, err := u.UpdateContact(ctx, native, p)
	if err != nil {
		return Contact{}, err
	}
	canonContact(t, &c)
	return c, nil
}

// DeleteContact deletes a contact.
func (s *Service) DeleteContact(ctx context.Context, t Target, id string) error {
	d, err := port[ContactDeleter](t.conn, OpDeleteContact)
	if err != nil {
		return err
	}
	native, err := s.vendors.ParseID("path.contact_id", id, t.Vendor)
	if err != nil {
		return err
	}
	return d.DeleteContact(ctx, native)
}

// MaxBatch is the largest batch upsert the canonical API takes.
const MaxBatch = 1000

// BatchUpsertContacts upserts items in the vendor's chunk size and returns
// one result per item, in input order. A failed chunk marks its items
// failed and does not stop the others. A failure that concerns the whole
// call (authentication, an unreachable vendor, a spent quota,
// cancellation) is returned as the call's error when nothing was written;
// after something was written it marks every remaining item failed without
// calling the vendor again.
func (s *Service) BatchUpsertContacts(ctx context.Context, t Target, items []ContactInput, mode OnConflict) ([]BatchItemResult, error) {
	b, err := port[ContactBatchUpserter](t.conn, OpBatchUpsertContacts)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 || len(items) > MaxBatch {
		return nil, Invalid("body.items", fmt.Sprintf("must hold 1 to %d contacts", MaxBatch))
	}
	if mode == "" {
		mode = OnConflictMerge
	}
	size := max(b.BatchSize(), 1)
	results := make([]BatchItemResult, len(items))
	var stop error // a whole-call failure after something was written
	for start := 0; start < len(items); start += size {
		end := min(start+size, len(items))
		if stop != nil {
			failItems(results, start, end, stop)
			continue
		}
		chunk, err := b.BatchUpsertContacts(ctx, items[start:end:end], mode)
		if err != nil {
			if wholeCallError(err) {
				if !anyWritten(results[:start]) {
					return nil, err
				}
				stop = err
			}
			failItems(results, start, end, err)
			continue
		}
		// Trust nothing about the adapter's answer but what it says per
		// index: an item it does not answer for is reported failed.
		seen := make([]bool, end-start)
		for _, r := range chunk {
			if r.Index < 0 || r.Index >= end-start || seen[r.Index] {
				continue
			}
			seen[r.Index] = true
			r.Index += start
			r.ID = t.id(r.ID)
			results[r.Index] = r
		}
		for i, ok := range seen {
			if !ok {
				results[start+i] = BatchItemResult{Index: start + i, Status: BatchFailed, Err: errNoItemResult}
			}
		}
	}
	return results, nil
}

// errNoItemResult marks a batch item the adapter gave no result for.
var errNoItemResult = errors.New("the vendor adapter reported no result for this item")

func failItems(results []BatchItemResult, start, end int, err error) {
	for i := start; i < end; i++ {
		results[i] = BatchItemResult{Index: i, Status: BatchFailed, Err: err}
	}
}

func anyWritten(rs []BatchItemResult) bool {
	for _, r := range rs {
		if r.Status != BatchFailed && r.Status != "" {
			return true
		}
	}
	return false
}

// wholeCallError reports errors that would fail every chunk the same way;
// they fail the whole batch instead of being repeated per item.
func wholeCallError(err error) bool {
	var ve *VendorError
	if errors.As(err, &ve) {
		switch ve.Kind {
		case VendorAuth, VendorRateLimited, VendorUnavailable, VendorTimeout:
			return true
		}
		return false
	}
	var ue *UnsupportedError
	var ve2 *ValidationError
	return errors.As(err, &ue) || errors.As(err, &ve2) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// SetContactTags replaces the contact's tags.
func (s *Service) SetContactTags(ctx context.Context, t Target, contactID string, tagIDs []string) ([]TagRef, error) {
	ts, err := port[ContactTagSetter](t.conn, OpSetContactTags)
	if err != nil {
		return nil, err
	}
	native, err := s.vendors.ParseID("path.contact_id", contactID, t.Vendor)
	if err != nil {
		return nil, err
	}
	tags, err := s.vendors.parseIDs("body.tag_ids", tagIDs, t.Vendor)
	if err != nil {
		return nil, err
	}
	refs, err := ts.SetContactTags(ctx, native, tags)
	if err != nil {
		return nil, err
	}
	for i := range refs {
		refs[i].ID = t.id(refs[i].ID)
	}
	return refs, nil
}

// ListContactGroups lists the groups a contact is in.
func (s *Service) ListContactGroups(ctx context.Context, t Target, contactID string, o ListOptions) (List[Group], error) {
	l, err := port[ContactGroupLister](t.conn, OpListContactGroups)
	if err != nil {
		return List[Group]{}, err
	}
	native, err := s.vendors.ParseID("path.contact_id", contactID, t.Vendor)
	if err != nil {
		return List[Group]{}, err
	}
	return list(s, t, OpListContactGroups, native, o, func(p PageRequest) (Page[Group], error) {
		return l.ListContactGroups(ctx, native, p)
	}, canonGroup)
}

// ListContactEvents lists a contact's events.
func (s *Service) ListContactEvents(ctx context.Context, t Target, contactID string, o ListOptions) (List[Event], error) {
	l, err := port[ContactEventLister](t.conn, OpListContactEvents)
	if err != nil {
		return List[Event]{}, err
	}
	native, err := s.vendors.ParseID("path.contact_id", contactID, t.Vendor)
	if err != nil {
		return List[Event]{}, err
	}
	return list(s, t, OpListContactEvents, native, o, func(p PageRequest) (Page[Event], error) {
		return l.ListContactEvents(ctx, native, p)
	}, canonEvent)
}

// RecordEvent records one event.
func (s *Service) RecordEvent(ctx context.Context, t Target, in EventInput) (Event, error) {
	r, err := port[EventRecorder](t.conn, OpRecordEvent)
	if err != nil {
		return Event{}, err
	}
	switch {
	case in.ContactID == "" && in.ExternalID == nil:
		return Event{}, Invalid("body", "needs contact_id or external_id")
	case in.ContactID != "" && in.ExternalID != nil:
		return Event{}, Invalid("body", "takes contact_id or external_id, not both")
	case in.ContactID != "":
		if in.ContactID, err = s.vendors.ParseID("body.contact_id", in.ContactID, t.Vendor); err != nil {
			return Event{}, err
		}
	}
	e, err := r.RecordEvent(ctx, in)
	if err != nil {
		return Event{}, err
	}
	canonEvent(t, &e)
	return e, nil
}

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

// ListGroups lists groups whose name contains q.
func (s *Service) ListGroups(ctx context.Context, t Target, q string, o ListOptions) (List[Group], error) {
	l, err := port[GroupLister](t.conn, OpListGroups)
	if err != nil {
		return List[Group]{}, err
	}
	return list(s, t, OpListGroups, q, o, func(p PageRequest) (Page[Group], error) {
		return l.ListGroups(ctx, GroupQuery{Q: q}, p)
	}, canonGroup)
}

// GetGroup reads one group.
func (s *Service) GetGroup(ctx context.Context, t Target, id string) (Group, error) {
	g, err := port[GroupGetter](t.conn, OpGetGroup)
	if err != nil {
		return Group{}, err
	}
	native, err := s.vendors.ParseID("path.group_id", id, t.Vendor)
	if err != nil {
		return Group{}, err
	}
	grp, err := g.GetGroup(ctx, native)
	if err != nil {
		return Group{}, err
	}
	canonGroup(t, &grp)
	return grp, nil
}

// CreateGroup creates a static group.
func (s *Service) CreateGroup(ctx context.Context, t Target, name string) (Group, error) {
	c, err := port[GroupCreator](t.conn, OpCreateGroup)
	if err != nil {
		return Group{}, err
	}
	g, err := c.CreateGroup(ctx, name)
	if err != nil {
		return Group{}, err
	}
	canonGroup(t, &g)
	return g, nil
}

// DeleteGroup deletes a group.
func (s *Service) DeleteGroup(ctx context.Context, t Target, id string) error {
	d, err := port[GroupDeleter](t.conn, OpDeleteGroup)
	if err != nil {
		return err
	}
	native, err := s.vendors.ParseID("path.group_id", id, t.Vendor)
	if err != nil {
		return err
	}
	return d.DeleteGroup(ctx, native)
}

// ListGroupMembers lists a group's members.
func (s *Service) ListGroupMembers(ctx context.Context, t Target, groupID string, o ListOptions) (List[Contact], error) {
	l, err := port[GroupMemberLister](t.conn, OpListGroupMembers)
	if err != nil {
		return List[Contact]{}, err
	}
	native, err := s.vendors.ParseID("path.group_id", groupID, t.Vendor)
	if err != nil {
		return List[Contact]{}, err
	}
	return list(s, t, OpListGroupMembers, native, o, func(p PageRequest) (Page[Contact], error) {
		return l.ListGroupMembers(ctx, native, p)
	}, canonContact)
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
	group, err := s.vendors.ParseID("path.group_id", groupID, t.Vendor)
	if err != nil {
		return MemberChange{}, err
	}
	if len(contactIDs) == 0 || len(contactIDs) > MaxMemberChange {
		return MemberChange{}, Invalid("body.contact_ids", fmt.Sprintf("must hold 1 to %d ids", MaxMemberChange))
	}
	ids, err := s.vendors.parseIDs("body.contact_ids", contactIDs, t.Vendor)
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

// ListFields lists custom field definitions.
func (s *Service) ListFields(ctx context.Context, t Target, o ListOptions) (List[FieldDef], error) {
	l, err := port[FieldLister](t.conn, OpListFields)
	if err != nil {
		return List[FieldDef]{}, err
	}
	return list(s, t, OpListFields, "", o, func(p PageRequest) (Page[FieldDef], error) {
		return l.ListFields(ctx, p)
	}, canonField)
}

// CreateField creates a custom field definition.
func (s *Service) CreateField(ctx context.Context, t Target, in FieldInput) (FieldDef, error) {
	c, err := port[FieldCreator](t.conn, OpCreateField)
	if err != nil {
		return FieldDef{}, err
	}
	if len(in.Options) > 0 && in.Type != FieldTypeSelect && in.Type != FieldTypeMultiSelect {
		return FieldDef{}, Invalid("body.options", "is only allowed for select and multiselect fields")
	}
	f, err := c.CreateField(ctx, in)
	if err != nil {
		return FieldDef{}, err
	}
	canonField(t, &f)
	return f, nil
}

// Passthrough sends a raw request to the vendor after checking that its
// path stays relative to the vendor's API base.
func (s *Service) Passthrough(ctx context.Context, t Target, req PassthroughRequest) (PassthroughResponse, error) {
	p, err := port[Passthrougher](t.conn, OpPassthrough)
	if err != nil {
		return PassthroughResponse{}, err
	}
	clean, err := CleanRelativePath(req.Path)
	if err != nil {
		return PassthroughResponse{}, Invalid("body.path", err.Error())
	}
	req.Path = clean
	switch req.Method {
	case "GET", "POST", "PUT", "PATCH", "DELETE":
	default:
		return PassthroughResponse{}, Invalid("body.method", "must be GET, POST, PUT, PATCH or DELETE")
	}
	if len(req.Body) > 0 && !json.Valid(req.Body) {
		return PassthroughResponse{}, Invalid("body.body", "is not valid JSON")
	}
	if req.Method == "GET" && len(req.Body) > 0 && string(req.Body) != "null" {
		return PassthroughResponse{}, Invalid("body.body", "is not allowed with GET")
	}
	return p.Passthrough(ctx, req)
}

// CleanRelativePath checks that p is a plain absolute path on the vendor's
// host ("/open/orders"): no scheme or host, no "..", no "//", no escapes
// that decode to any of those. It returns the decoded path.
func CleanRelativePath(p string) (string, error) {
	dec, err := url.PathUnescape(p)
	if err != nil {
		return "", errors.New("is not a valid URL path")
	}
	switch {
	case !strings.HasPrefix(dec, "/") || strings.HasPrefix(dec, "//"):
		return "", errors.New("must be a path starting with a single /")
	case strings.ContainsAny(dec, "\\?#%") || strings.Contains(dec, "://"):
		return "", errors.New("must be a plain path without scheme, host, query, fragment or double escapes")
	case strings.IndexFunc(dec, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return "", errors.New("must not contain control characters")
	}
	for _, seg := range strings.Split(dec, "/") {
		if seg == ".." || seg == "." {
			return "", errors.New("must not contain . or .. segments")
		}
	}
	if path.Clean(dec) != strings.TrimSuffix(dec, "/") && dec != "/" {
		return "", errors.New("must be a clean path")
	}
	return dec, nil
}

// TenantInfo describes a tenant for operators.
type TenantInfo struct {
	Binding
	Vendors []Vendor // vendors with a configured connection
	// Status is each connection's status on this replica, for connections
	// that report one.
	Status map[Vendor]ConnectionStatus
}

// Tenants lists the tenants for which allowed returns true (all when nil).
func (s *Service) Tenants(ctx context.Context, allowed func(string) bool) ([]TenantInfo, error) {
	out := []TenantInfo{}
	for _, id := range s.order {
		if allowed != nil && !allowed(id) {
			continue
		}
		ti, err := s.Tenant(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, ti)
	}
	return out, nil
}

// Tenant describes one tenant.
func (s *Service) Tenant(ctx context.Context, id string) (TenantInfo, error) {
	t, ok := s.tenants[id]
	if !ok {
		return TenantInfo{}, ErrTenantUnknown
	}
	b, err := s.bindings.Binding(ctx, id)
	if err != nil {
		return TenantInfo{}, err
	}
	return s.tenantInfo(t, b), nil
}

func (s *Service) tenantInfo(t Tenant, b Binding) TenantInfo {
	ti := TenantInfo{Binding: b, Vendors: s.connectedVendors(t), Status: map[Vendor]ConnectionStatus{}}
	for v, c := range t.Connections {
		if r, ok := c.(StatusReporter); ok {
			ti.Status[v] = r.Status()
		}
	}
	return ti
}

func (s *Service) connectedVendors(t Tenant) []Vendor {
	var vs []Vendor
	for _, v := range s.vendors.list {
		if _, ok := t.Connections[v]; ok {
			vs = append(vs, v)
		}
	}
	return vs
}

// SwitchVendor makes v the tenant's vendor and writes an audit log line
// naming actor. Switching to the current vendor changes nothing.
func (s *Service) SwitchVendor(ctx context.Context, tenant string, v Vendor, actor, reason string) (TenantInfo, error) {
	t, ok := s.tenants[tenant]
	if !ok {
		return TenantInfo{}, ErrTenantUnknown
	}
	if _, ok := t.Connections[v]; !ok {
		return TenantInfo{}, &VendorNotConfiguredError{Tenant: tenant, Vendor: v}
	}
	from, to, err := s.bindings.Switch(ctx, tenant, v)
	if err != nil {
		return TenantInfo{}, err
	}
	if from.Version != to.Version {
		s.log.LogAttrs(ctx, slog.LevelInfo, "tenant vendor switched",
			slog.String("audit", "tenant.switch_vendor"),
			slog.String("actor", actor),
			slog.String("tenant", tenant),
			slog.String("from", string(from.Vendor)),
			slog.String("to", string(to.Vendor)),
			slog.Int64("binding_version", to.Version),
			slog.String("reason", reason),
			slog.Time("at", to.UpdatedAt))
	}
	return s.tenantInfo(t, to), nil
}

// Canonicalisation: adapters return vendor ids; callers see prefixed ones.

func canonContact(t Target, c *Contact) {
	c.ID = t.id(c.ID)
	for i := range c.Tags {
		c.Tags[i].ID = t.id(c.Tags[i].ID)
	}
}

func canonGroup(t Target, g *Group) { g.ID = t.id(g.ID) }

func canonTag(t Target, tag *Tag) {
	tag.ID = t.id(tag.ID)
	tag.GroupID = t.id(tag.GroupID)
}

func canonTagGroup(t Target, g *TagGroup) {
	g.ID = t.id(g.ID)
	g.ParentID = t.id(g.ParentID)
}

func canonField(t Target, f *FieldDef) { f.ID = t.id(f.ID) }

func canonEvent(t Target, e *Event) {
	e.ID = t.id(e.ID)
	e.ContactID = t.id(e.ContactID)
}
