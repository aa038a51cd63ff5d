package domain

import "context"

// ListContactEvents lists a contact's events.
func (s *Service) ListContactEvents(ctx context.Context, t Target, contactID string, o ListOptions) (List[Event], error) {
	return listOf(ctx, s, t, OpListContactEvents, pathContactID, contactID, o, ContactEventLister.ListContactEvents)
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
		if in.ContactID, err = s.parseID(ctx, t, bodyContactID, in.ContactID); err != nil {
			return Event{}, err
		}
	}
	e, err := r.RecordEvent(ctx, in)
	return answer(t, e, err)
}

// canonEvent prefixes the event's id and its contact's.
func canonEvent(t Target, e *Event) {
	e.ID = t.id(e.ID)
	e.ContactID = t.id(e.ContactID)
}
