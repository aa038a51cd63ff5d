package domain

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ContactFilter is a canonical contact list filter (ids with prefixes).
type ContactFilter struct {
	Q, Email, Phone, GroupID, TagID string
	WhatsAppPhone, ViberPhone       string
	UpdatedSince                    *time.Time
}

// ListContacts lists contacts matching f.
func (s *Service) ListContacts(ctx context.Context, t Target, f ContactFilter, o ListOptions) (List[Contact], error) {
	l, err := port[ContactLister](t.conn, OpListContacts)
	if err != nil {
		return List[Contact]{}, err
	}
	q := ContactQuery{Q: f.Q, Email: f.Email, Phone: f.Phone, WhatsAppPhone: f.WhatsAppPhone, ViberPhone: f.ViberPhone, UpdatedSince: f.UpdatedSince}
	if q.GroupID, err = s.optionalID(ctx, queryGroupID, f.GroupID, t); err != nil {
		return List[Contact]{}, err
	}
	if q.TagID, err = s.optionalID(ctx, queryTagID, f.TagID, t); err != nil {
		return List[Contact]{}, err
	}
	if filters := q.Filters(); filters != "" && !slices.Contains(l.ContactFilters(), filters) {
		return List[Contact]{}, &UnsupportedError{Vendor: t.Vendor, Operation: OpListContacts, Filter: strings.ReplaceAll(filters, "+", " with ")}
	}
	since := ""
	if q.UpdatedSince != nil {
		since = q.UpdatedSince.UTC().Format(time.RFC3339Nano)
	}
	filter := filterKey(q.Q, q.Email, q.Phone, q.GroupID, q.TagID, since, q.WhatsAppPhone, q.ViberPhone)
	return list(s, t, OpListContacts, filter, o, func(p PageRequest) (Page[Contact], error) {
		return l.ListContacts(ctx, q, p)
	})
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
	return get(ctx, s, t, OpGetContact, pathContactID, id, ContactGetter.GetContact)
}

// CreateContact creates a contact.
func (s *Service) CreateContact(ctx context.Context, t Target, in ContactInput) (Contact, error) {
	if _, err := port[ContactCreator](t.conn, OpCreateContact); err != nil {
		return Contact{}, err
	}
	if err := s.checkCustomFields(ctx, t, "body.custom_fields", in.CustomFields); err != nil {
		return Contact{}, err
	}
	in.CustomFields = t.names.toVendor(in.CustomFields)
	c, err := create(ctx, t, OpCreateContact, in, ContactCreator.CreateContact)
	return c, t.names.namedError(err)
}

// UpdateContact changes the patched fields of a contact. With a
// Precondition (at most one is used) it changes them only while the
// contact is at that version; a vendor that keeps no versions answers
// UNSUPPORTED_OPERATION.
func (s *Service) UpdateContact(ctx context.Context, t Target, id string, p ContactPatch, pre ...Precondition) (Contact, error) {
	u, native, err := portID[ContactUpdater](ctx, s, t, OpUpdateContact, pathContactID, id)
	if err != nil {
		return Contact{}, err
	}
	update := u.UpdateContact
	if v, ok := version(pre); ok {
		cu, err := conditional[ContactConditionalUpdater](t.conn, OpUpdateContact)
		if err != nil {
			return Contact{}, err
		}
		update = func(ctx context.Context, id string, p ContactPatch) (Contact, error) {
			return cu.UpdateContactIfVersion(ctx, id, v, p)
		}
	}
	if p.Empty() {
		return Contact{}, Invalid("body", "names no field to change")
	}
	if err := s.checkCustomFields(ctx, t, "body.custom_fields", p.CustomFields); err != nil {
		return Contact{}, err
	}
	p.CustomFields = t.names.toVendor(p.CustomFields)
	c, err := update(ctx, native, p)
	return answer(t, c, t.names.namedError(err))
}

// DeleteContact deletes a contact; with a Precondition, only while it is
// at that version, as UpdateContact.
func (s *Service) DeleteContact(ctx context.Context, t Target, id string, pre ...Precondition) error {
	v, ok := version(pre)
	if !ok {
		return remove(ctx, s, t, OpDeleteContact, pathContactID, id, ContactDeleter.DeleteContact)
	}
	if _, err := port[ContactDeleter](t.conn, OpDeleteContact); err != nil {
		return err
	}
	d, err := conditional[ContactConditionalDeleter](t.conn, OpDeleteContact)
	if err != nil {
		return err
	}
	native, err := s.parseID(ctx, t, pathContactID, id)
	if err != nil {
		return err
	}
	return d.DeleteContactIfVersion(ctx, native, v)
}

// MaxBatch is the largest batch upsert the canonical API takes.
const MaxBatch = 1000

// BatchUpsertContacts upserts items in the vendor's chunk size and returns
// one result per item, in input order. A failed chunk marks its items
// failed and does not stop the others. A failure that concerns the whole
// call (authentication, an unreachable vendor, a spent quota,
// cancellation) is returned as the call's error when nothing was written;
// after something was written it marks every remaining item failed without
// calling the vendor again. An item whose custom fields are refused fails
// alone, naming them, and is not sent.
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
	refused, err := s.checkBatchCustomFields(ctx, t, items)
	if err != nil {
		return nil, err
	}
	items = batchToVendor(t, items)
	if len(refused) > 0 {
		return s.upsertAllBut(ctx, t, b, items, mode, refused)
	}
	return s.upsertChunks(ctx, t, b, items, mode)
}

// upsertChunks upserts items in the vendor's chunk size, as
// BatchUpsertContacts describes.
func (s *Service) upsertChunks(ctx context.Context, t Target, b ContactBatchUpserter, items []ContactInput, mode OnConflict) ([]BatchItemResult, error) {
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
			err = t.names.namedError(err)
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
			r.Err = t.names.namedError(r.Err)
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
// they fail the whole batch instead of being repeated per item. Besides
// what fails every vendor call, an adapter that refuses a whole chunk
// (the operation, or input such as the conflict mode) refuses them all.
func wholeCallError(err error) bool {
	var ue *UnsupportedError
	var ve *ValidationError
	return FailsEveryCall(err) || errors.As(err, &ue) || errors.As(err, &ve)
}

// SetContactTags replaces the contact's tags.
func (s *Service) SetContactTags(ctx context.Context, t Target, contactID string, tagIDs []string) ([]TagRef, error) {
	ts, native, err := portID[ContactTagSetter](ctx, s, t, OpSetContactTags, pathContactID, contactID)
	if err != nil {
		return nil, err
	}
	tags, err := s.parseIDList(ctx, t, bodyTagIDs, tagIDs)
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
	return listOf(ctx, s, t, OpListContactGroups, pathContactID, contactID, o, ContactGroupLister.ListContactGroups)
}

// canonContact prefixes the contact's id and the ids of its tags, and
// names its custom fields as the tenant does.
func canonContact(t Target, c *Contact) {
	c.ID = t.id(c.ID)
	c.CustomFields = t.names.fromVendor(c.CustomFields)
	for i := range c.Tags {
		c.Tags[i].ID = t.id(c.Tags[i].ID)
	}
}
