package domain

import (
	"context"
	"time"
)

// The ports: one small interface per capability. An adapter is a
// Connection to one tenant's account at one vendor and implements the
// interfaces its vendor can serve. All ids crossing these interfaces are the
// vendor's own (no prefix); the Service adds and strips prefixes. Errors are
// *VendorError, *ValidationError (input the vendor needs but cannot take),
// or wrap ErrNotFound.
//
// Adapters fill the Raw field of records only when WantRaw(ctx) is true.

// Connection is implemented by every adapter.
type Connection interface {
	Vendor() Vendor
}

// ContactLister lists contacts. ContactFilters names the filter
// combinations ListContacts accepts, as ContactQuery.Filters spells them; a
// list without filters is always accepted.
type ContactLister interface {
	ListContacts(ctx context.Context, q ContactQuery, p PageRequest) (Page[Contact], error)
	ContactFilters() []string
}

// ContactGetter reads one contact.
type ContactGetter interface {
	GetContact(ctx context.Context, id string) (Contact, error)
}

// ContactCreator creates (or, on vendors keyed by external id, upserts) a contact.
type ContactCreator interface {
	CreateContact(ctx context.Context, in ContactInput) (Contact, error)
}

// ContactUpdater changes some fields of a contact.
type ContactUpdater interface {
	UpdateContact(ctx context.Context, id string, p ContactPatch) (Contact, error)
}

// ContactDeleter deletes a contact.
type ContactDeleter interface {
	DeleteContact(ctx context.Context, id string) error
}

// ContactConditionalUpdater changes some fields of a contact only while it
// is at version (If-Match), answering a *PreconditionError otherwise.
// Adapters of vendors that keep a version per contact implement it and
// report the version in Contact.Version; without it, a conditional update
// answers UNSUPPORTED_OPERATION.
type ContactConditionalUpdater interface {
	UpdateContactIfVersion(ctx context.Context, id, version string, p ContactPatch) (Contact, error)
}

// ContactConditionalDeleter deletes a contact only while it is at version,
// as ContactConditionalUpdater updates.
type ContactConditionalDeleter interface {
	DeleteContactIfVersion(ctx context.Context, id, version string) error
}

// ContactBatchUpserter upserts several contacts. The Service never passes
// more than BatchSize items; results carry the index within the items passed.
type ContactBatchUpserter interface {
	BatchUpsertContacts(ctx context.Context, items []ContactInput, mode OnConflict) ([]BatchItemResult, error)
	BatchSize() int
}

// ContactTagSetter replaces the set of tags on a contact.
type ContactTagSetter interface {
	SetContactTags(ctx context.Context, contactID string, tagIDs []string) ([]TagRef, error)
}

// ContactGroupLister lists the groups a contact belongs to.
type ContactGroupLister interface {
	ListContactGroups(ctx context.Context, contactID string, p PageRequest) (Page[Group], error)
}

// ContactEventLister lists a contact's events.
type ContactEventLister interface {
	ListContactEvents(ctx context.Context, contactID string, p PageRequest) (Page[Event], error)
}

// EventRecorder records one event.
type EventRecorder interface {
	RecordEvent(ctx context.Context, in EventInput) (Event, error)
}

// TagLister lists tags.
type TagLister interface {
	ListTags(ctx context.Context, q TagQuery, p PageRequest) (Page[Tag], error)
}

// TagCreator creates a tag.
type TagCreator interface {
	CreateTag(ctx context.Context, name, groupID string) (Tag, error)
}

// TagRenamer renames a tag.
type TagRenamer interface {
	RenameTag(ctx context.Context, id, name string) (Tag, error)
}

// TagDeleter deletes a tag.
type TagDeleter interface {
	DeleteTag(ctx context.Context, id string) error
}

// TagGroupLister lists tag groups.
type TagGroupLister interface {
	ListTagGroups(ctx context.Context, p PageRequest) (Page[TagGroup], error)
}

// TagGroupCreator creates a tag group.
type TagGroupCreator interface {
	CreateTagGroup(ctx context.Context, name string) (TagGroup, error)
}

// TagGroupRenamer renames a tag group.
type TagGroupRenamer interface {
	RenameTagGroup(ctx context.Context, id, name string) (TagGroup, error)
}

// TagGroupDeleter deletes a tag group.
type TagGroupDeleter interface {
	DeleteTagGroup(ctx context.Context, id string) error
}

// GroupLister lists groups.
type GroupLister interface {
	ListGroups(ctx context.Context, q GroupQuery, p PageRequest) (Page[Group], error)
}

// GroupGetter reads one group.
type GroupGetter interface {
	GetGroup(ctx context.Context, id string) (Group, error)
}

// GroupCreator creates a static group.
type GroupCreator interface {
	CreateGroup(ctx context.Context, name string) (Group, error)
}

// GroupDeleter deletes a group, keeping its contacts.
type GroupDeleter interface {
	DeleteGroup(ctx context.Context, id string) error
}

// GroupContactsDeleter deletes a group together with the contacts in it
// (DELETE /v1/groups/{id}?delete_contacts=true).
type GroupContactsDeleter interface {
	DeleteGroupWithContacts(ctx context.Context, id string) error
}

// GroupMemberLister lists a group's members.
type GroupMemberLister interface {
	ListGroupMembers(ctx context.Context, groupID string, p PageRequest) (Page[Contact], error)
}

// GroupMemberAdder adds contacts to a group, at most MemberBatchSize per call.
type GroupMemberAdder interface {
	AddGroupMembers(ctx context.Context, groupID string, contactIDs []string) (MemberChange, error)
	MemberBatchSize() int
}

// GroupMemberRemover removes contacts from a group, at most MemberBatchSize per call.
type GroupMemberRemover interface {
	RemoveGroupMembers(ctx context.Context, groupID string, contactIDs []string) (MemberChange, error)
	MemberBatchSize() int
}

// FieldLister lists custom field definitions.
type FieldLister interface {
	ListFields(ctx context.Context, p PageRequest) (Page[FieldDef], error)
}

// FieldCreator creates a custom field definition.
type FieldCreator interface {
	CreateField(ctx context.Context, in FieldInput) (FieldDef, error)
}

// Passthrougher sends a raw request to the vendor with the connection's
// authentication applied. PassthroughPrefixes is its allow-list: the
// Service sends only paths that are one of these prefixes or lie below
// one ("/open" allows "/open/orders"), compared exactly; a vendor lists
// its documented API families and never its token endpoints.
type Passthrougher interface {
	Passthrough(ctx context.Context, req PassthroughRequest) (PassthroughResponse, error)
	PassthroughPrefixes() []string
}

type rawKey struct{}

// WithRaw marks ctx as asking for the vendor's records (include=raw).
func WithRaw(ctx context.Context) context.Context { return context.WithValue(ctx, rawKey{}, true) }

// WantRaw reports whether the caller asked for the vendor's records.
func WantRaw(ctx context.Context) bool { v, _ := ctx.Value(rawKey{}).(bool); return v }

type externalIDsKey struct{}

// WithExternalIDs marks ctx as asking a contact list to load each
// contact's external ids (expand=external_ids).
func WithExternalIDs(ctx context.Context) context.Context {
	return context.WithValue(ctx, externalIDsKey{}, true)
}

// WantExternalIDs reports whether the caller asked a contact list for
// external ids. Adapters whose vendor lists carry no complete external ids
// load them when it is true and otherwise leave Contact.ExternalIDsLoaded
// false; single reads and writes load them whenever the vendor can.
func WantExternalIDs(ctx context.Context) bool {
	v, _ := ctx.Value(externalIDsKey{}).(bool)
	return v
}

// ConnectionStatus is what operators see of one vendor connection on this
// replica. It never holds a credential.
type ConnectionStatus struct {
	Breaker           string        // closed, open or half_open
	BreakerRetryAfter time.Duration // while open: until it lets a probe through
	Token             string        // cached or none; "" for vendors without access tokens
	TokenExpires      time.Time     // when the cached token expires
}

// ClockReporter is implemented by connections to vendors that check the
// gateway's clock (requests signed with a timestamp, NXCloud): ClockSkew
// is how far the gateway's clock is ahead of the vendor's (negative:
// behind), as last measured from the vendor's answers.
type ClockReporter interface {
	ClockSkew() (skew time.Duration, measured bool)
}

// StatusReporter is implemented by connections that can report their
// status (every adapter does, through its vendor client).
type StatusReporter interface {
	Status() ConnectionStatus
}

type retrySafeKey struct{}

// WithRetrySafe marks ctx's write as safe to repeat: its API request
// carried an Idempotency-Key, so vendor calls may be retried.
func WithRetrySafe(ctx context.Context) context.Context {
	return context.WithValue(ctx, retrySafeKey{}, true)
}

// RetrySafe reports whether WithRetrySafe marked ctx.
func RetrySafe(ctx context.Context) bool {
	v, _ := ctx.Value(retrySafeKey{}).(bool)
	return v
}
