package http

import (
	"context"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// ListContacts implements StrictServerInterface.
func (s *Server) ListContacts(ctx context.Context, req ListContactsRequestObject) (ListContactsResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := domain.ContactFilter{
		Q: deref(p.Q), Email: deref(p.Email), Phone: deref(p.Phone),
		WhatsAppPhone: deref(p.WhatsappPhone), ViberPhone: deref(p.ViberPhone),
		GroupID: deref(p.GroupID), TagID: deref(p.TagID), UpdatedSince: p.UpdatedSince,
	}
	l, err := s.svc.ListContacts(withExpand(withInclude(ctx, p.Include), p.Expand), t, f, listOptions(p.Limit, p.Cursor))
	if err != nil {
		return nil, err
	}
	return contactListAnswer{Body: ContactList{Data: toContacts(l.Items), NextCursor: nextCursor(l.NextCursor), Truncated: toTruncation(l.Truncated)}}, nil
}

// GetContact implements StrictServerInterface.
func (s *Server) GetContact(ctx context.Context, req GetContactRequestObject) (GetContactResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.svc.GetContact(withInclude(ctx, req.Params.Include), t, req.ContactID)
	if err != nil {
		return nil, err
	}
	return contactAnswer{Body: toContact(c), Headers: GetContact200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// CreateContact implements StrictServerInterface.
func (s *Server) CreateContact(ctx context.Context, req CreateContactRequestObject) (CreateContactResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.svc.CreateContact(withInclude(ctx, req.Params.Include), t, fromContactInput(*req.Body))
	if err != nil {
		return nil, err
	}
	return CreateContact201JSONResponse{Body: toContact(c), Headers: CreateContact201ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// UpdateContact implements StrictServerInterface.
func (s *Server) UpdateContact(ctx context.Context, req UpdateContactRequestObject) (UpdateContactResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.svc.UpdateContact(withInclude(ctx, req.Params.Include), t, req.ContactID, fromContactFields(*req.Body), precondition(req.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	return UpdateContact200JSONResponse{Body: toContact(c), Headers: UpdateContact200ResponseHeaders{ETag: etag(c.Version)}}, nil
}

// DeleteContact implements StrictServerInterface.
func (s *Server) DeleteContact(ctx context.Context, req DeleteContactRequestObject) (DeleteContactResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.svc.DeleteContact(ctx, t, req.ContactID, precondition(req.Params.IfMatch)); err != nil {
		return nil, err
	}
	return DeleteContact204Response{}, nil
}

// BatchUpsertContacts implements StrictServerInterface.
func (s *Server) BatchUpsertContacts(ctx context.Context, req BatchUpsertContactsRequestObject) (BatchUpsertContactsResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	items := mapSlice(req.Body.Items, fromContactInput)
	mode := domain.OnConflictMerge
	if req.Body.OnConflict != nil {
		mode = domain.OnConflict(*req.Body.OnConflict)
	}
	if prefer := respondAsync(req.Params.Prefer); prefer || len(items) > domain.MaxBatch {
		return s.startBatch(ctx, t, items, mode, prefer)
	}
	results, err := s.svc.BatchUpsertContacts(ctx, t, items, mode)
	if err != nil {
		return nil, err
	}
	out := BatchUpsertResponse{Results: make([]BatchItemResult, len(results))}
	for i, r := range results {
		if r.Status == domain.BatchFailed {
			out.Failed++
		} else {
			out.Succeeded++
		}
		out.Results[i] = toBatchItemResult(r)
	}
	return BatchUpsertContacts200JSONResponse{Body: out}, nil
}

// toBatchItemResult is an item's result in a batch's answer, synchronous
// or asynchronous.
func toBatchItemResult(r domain.BatchItemResult) BatchItemResult {
	item := BatchItemResult{Index: r.Index, Status: BatchItemResultStatus(r.Status), ID: str(r.ID), Unwritten: toUnwritten(r.Unwritten)}
	if r.Status == domain.BatchFailed {
		p := problemFor(r.Err)
		item.Error = &ItemError{Code: p.Code, Detail: itemDetail(p), VendorCode: str(p.VendorCode)}
		if len(p.Errors) > 0 {
			errs := make([]FieldError, len(p.Errors))
			for j, f := range p.Errors {
				errs[j] = FieldError(f)
			}
			item.Error.Errors = errs
		}
	}
	return item
}

func itemDetail(p *problem) string {
	if p.Detail != "" {
		return p.Detail
	}
	return p.Title
}

// SetContactTags implements StrictServerInterface.
func (s *Server) SetContactTags(ctx context.Context, req SetContactTagsRequestObject) (SetContactTagsResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	refs, err := s.svc.SetContactTags(ctx, t, req.ContactID, req.Body.TagIds)
	if err != nil {
		return nil, err
	}
	out := ContactTags{ContactID: req.ContactID, Tags: make([]TagRef, len(refs))}
	for i, r := range refs {
		out.Tags[i] = TagRef{ID: r.ID, Name: r.Name}
	}
	return SetContactTags200JSONResponse{Body: out}, nil
}

// ListContactGroups implements StrictServerInterface.
func (s *Server) ListContactGroups(ctx context.Context, req ListContactGroupsRequestObject) (ListContactGroupsResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	l, err := s.svc.ListContactGroups(withInclude(ctx, p.Include), t, req.ContactID, listOptions(p.Limit, p.Cursor))
	if err != nil {
		return nil, err
	}
	return ListContactGroups200JSONResponse{Body: GroupList{Data: mapSlice(l.Items, toGroup), NextCursor: nextCursor(l.NextCursor), Truncated: toTruncation(l.Truncated)}}, nil
}

// ListContactEvents implements StrictServerInterface.
func (s *Server) ListContactEvents(ctx context.Context, req ListContactEventsRequestObject) (ListContactEventsResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	l, err := s.svc.ListContactEvents(withInclude(ctx, p.Include), t, req.ContactID, listOptions(p.Limit, p.Cursor))
	if err != nil {
		return nil, err
	}
	return ListContactEvents200JSONResponse{Body: EventList{Data: mapSlice(l.Items, toEvent), NextCursor: nextCursor(l.NextCursor), Truncated: toTruncation(l.Truncated)}}, nil
}

// RecordEvent implements StrictServerInterface.
func (s *Server) RecordEvent(ctx context.Context, req RecordEventRequestObject) (RecordEventResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := domain.EventInput{Event: b.Event, ContactID: deref(b.ContactID), Properties: b.Properties, UTM: fromUTM(b.UTM)}
	if b.ExternalID != nil {
		x := fromExternalID(*b.ExternalID)
		in.ExternalID = &x
	}
	if b.OccurredAt != nil {
		in.OccurredAt = *b.OccurredAt
	}
	e, err := s.svc.RecordEvent(ctx, t, in)
	if err != nil {
		return nil, err
	}
	return RecordEvent201JSONResponse{Body: toEvent(e)}, nil
}
