package linkflow

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// lfEvent is an event as Linkflow lists and records it.
type lfEvent struct {
	ID          int64          `json:"id"`
	ContactID   int64          `json:"contactId"`
	Event       string         `json:"event"`
	EventDate   int64          `json:"eventDate"`
	ChannelID   string         `json:"channelId"`
	ChannelName string         `json:"channelName"`
	ChannelType string         `json:"channelType"`
	ExternalID  string         `json:"externalId"`
	UTM         lfUTM          `json:"utm"`
	DateCreated string         `json:"dateCreated"`
	Extra       map[string]any `json:"-"`
}

type lfUTM struct {
	Source   string `json:"source,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	Medium   string `json:"medium,omitempty"`
	Content  string `json:"content,omitempty"`
	Term     string `json:"term,omitempty"`
}

// eventFields are the fields of a Linkflow event that have a canonical
// place; every other field (attr1 … attr20, device and location details)
// goes into the event's properties.
var eventFields = map[string]bool{
	"id": true, "contactId": true, "event": true, "eventDate": true, "channelId": true, "channelName": true,
	"channelType": true, "externalId": true, "utm": true, "dateCreated": true, "lastUpdated": true, "ver": true,
	"contactIdentityId": true, "items": true, "triggerFlow": true, "channelAppId": true,
}

// UnmarshalJSON reads the canonical fields and keeps every other non-null
// field in Extra, with numbers exact: a decoder's UseNumber does not reach
// into an UnmarshalJSON, so this one decodes with vendorhttp.Unmarshal.
func (e *lfEvent) UnmarshalJSON(b []byte) error {
	type plain lfEvent
	if err := vendorhttp.Unmarshal(b, (*plain)(e)); err != nil {
		return err
	}
	extra, err := vendorhttp.OtherMembers(b, eventFields)
	if err != nil {
		return err
	}
	e.Extra = extra
	return nil
}

func (e lfEvent) domain(raw json.RawMessage) domain.Event {
	out := domain.Event{
		ID: strconv.FormatInt(e.ID, 10), Event: e.Event, OccurredAt: vendorhttp.FromMillis(e.EventDate),
		Properties: e.Extra, CreatedAt: parseTime(e.DateCreated), Raw: raw,
		UTM: domain.UTM{Source: e.UTM.Source, Campaign: e.UTM.Campaign, Medium: e.UTM.Medium, Content: e.UTM.Content, Term: e.UTM.Term},
	}
	if e.ContactID > 0 {
		out.ContactID = strconv.FormatInt(e.ContactID, 10)
	}
	if e.ChannelID != "" {
		out.Channel = &domain.Channel{ID: e.ChannelID, Name: e.ChannelName, Type: e.ChannelType}
	}
	if e.ExternalID != "" {
		out.ExternalID = &domain.ExternalID{Channel: e.ChannelID, ID: e.ExternalID, Type: e.ChannelType}
	}
	return out
}

// ListContactEvents implements domain.ContactEventLister
// (GET /contacts/{contactId}/events, page from 0).
func (a *Adapter) ListContactEvents(ctx context.Context, contactID string, p domain.PageRequest) (domain.Page[domain.Event], error) {
	if _, ok := vendorhttp.PositiveID(contactID); !ok {
		return domain.Page[domain.Event]{}, vendorhttp.NotFound(vendor, "contact")
	}
	return vendorhttp.WalkPages(pages, p, func(page, size int) ([]domain.Event, error) {
		return doList(ctx, a, call{method: http.MethodGet, host: guide, path: "/contacts/" + contactID + "/events", query: url.Values{
			"page": {strconv.Itoa(page)}, "size": {strconv.Itoa(size)},
		}}, lfEvent.domain)
	})
}

var attrKey = regexp.MustCompile(`^attr([1-9]|1[0-9]|20)$`)

// RecordEvent implements domain.EventRecorder (POST /ude). Linkflow keys
// events by channel and external id; an event for a contact id uses one of
// the contact's identities (GET /contacts/{id}/identities), preferring a
// custom (UDC) channel.
func (a *Adapter) RecordEvent(ctx context.Context, in domain.EventInput) (domain.Event, error) {
	var verr domain.ValidationError
	keys := make([]string, 0, len(in.Properties))
	for k := range in.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !attrKey.MatchString(k) {
			verr.Fields = append(verr.Fields, domain.FieldError{Field: "body.properties." + k, Message: "linkflow events take properties attr1 … attr20 only"})
		}
	}
	if len(verr.Fields) > 0 {
		return domain.Event{}, &verr
	}
	body := map[string]any{"event": in.Event}
	for k, v := range in.Properties {
		body[k] = v
	}
	if !in.UTM.IsZero() {
		body["utm"] = lfUTM{Source: in.UTM.Source, Campaign: in.UTM.Campaign, Medium: in.UTM.Medium, Content: in.UTM.Content, Term: in.UTM.Term}
	}
	at := in.OccurredAt
	if at.IsZero() {
		at = a.now()
	}
	body["eventDate"] = at.UnixMilli()

	switch {
	case in.ExternalID != nil:
		body["channelId"], body["externalId"] = in.ExternalID.Channel, in.ExternalID.ID
		if in.ExternalID.Type != "" {
			body["channelType"] = in.ExternalID.Type
		}
	default:
		n, ok := vendorhttp.PositiveID(in.ContactID)
		if !ok {
			return domain.Event{}, vendorhttp.NotFound(vendor, "contact")
		}
		idents, err := a.identities(ctx, n)
		if err != nil {
			return domain.Event{}, err
		}
		id, ok := eventIdentity(idents)
		if !ok {
			return domain.Event{}, domain.Invalid("body.contact_id", "this linkflow contact has no channel identity to record events with; send external_id instead")
		}
		body["channelId"], body["externalId"] = id.Channel.ChannelID, id.ExternalID
		if id.Channel.ChannelType != "" {
			body["channelType"] = id.Channel.ChannelType
		}
	}
	e, raw, err := doOne[lfEvent](ctx, a, call{method: http.MethodPost, host: guide, path: "/ude", body: body})
	if err != nil {
		return domain.Event{}, err
	}
	out := e.domain(raw)
	if out.ContactID == "" && in.ContactID != "" {
		out.ContactID = in.ContactID
	}
	return out, nil
}

func eventIdentity(idents []lfIdentity) (lfIdentity, bool) {
	var first *lfIdentity
	for i := range idents {
		id := &idents[i]
		if id.ExternalID == "" || id.Channel.ChannelID == "" {
			continue
		}
		if id.Channel.ChannelType == channelTypeUDC {
			return *id, true
		}
		if first == nil {
			first = id
		}
	}
	if first == nil {
		return lfIdentity{}, false
	}
	return *first, true
}
