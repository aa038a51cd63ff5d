package domain

import (
	"encoding/json"
	"time"
)

// Gender of a contact.
type Gender string

// Genders.
const (
	GenderUnknown Gender = "unknown"
	GenderMale    Gender = "male"
	GenderFemale  Gender = "female"
)

// Address of a contact. Province also holds a state.
type Address struct {
	Country    string
	Province   string
	City       string
	Street     string
	PostalCode string
}

// ExternalID is a contact's id in a channel or another system. Type
// tells channels apart where a vendor has several kinds ("" is the
// vendor's default).
type ExternalID struct {
	Channel string
	ID      string
	Type    string
}

// TagRef names a tag on a contact.
type TagRef struct {
	ID   string
	Name string
}

// Contact is a person in the canonical shape. Empty strings mean "not set".
// Ids are the vendor's own inside adapters and canonical outside the Service.
type Contact struct {
	ID            string
	Name          string
	FirstName     string
	LastName      string
	Nickname      string
	Gender        Gender
	Birthday      *time.Time // a date: midnight UTC
	Email         string
	MobilePhone   string
	HomePhone     string
	WorkPhone     string
	Fax           string
	WhatsAppPhone string
	ViberPhone    string
	WeChat        string
	QQ            string
	Weibo         string
	Line          string
	Messenger     string
	Instagram     string
	Company       string
	JobTitle      string
	Department    string
	Industry      string
	Website       string
	AvatarURL     string
	IDCardNumber  string
	Address       Address
	TimeZone      string
	Note          string
	ExternalIDs   []ExternalID
	CustomFields  map[string]any
	Tags          []TagRef
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Raw           json.RawMessage // the vendor's record, kept only when asked for

	// ExternalIDsLoaded and TagsLoaded say that ExternalIDs and Tags are
	// the contact's whole set (possibly empty). Left false, the adapter
	// did not read them (a list that was not asked to expand them, a
	// vendor that cannot read a contact's tags) and callers are told
	// nothing rather than "none".
	ExternalIDsLoaded bool
	TagsLoaded        bool
	// Version is the vendor's version of the record (Linkflow ver), ""
	// when it keeps none. A conditional write (Precondition) compares it.
	Version string
	// Unwritten is set on the answer to a write that stored the contact
	// but not all of what was asked.
	Unwritten *Unwritten
}

// Unwritten is the part of a write its vendor did not store although the
// record itself was written: a later vendor call of the same write failed
// with Err. Fields are named as in the canonical JSON body ("gender",
// "address.city", "custom_fields.attr1").
type Unwritten struct {
	Fields []string
	Err    error
}

// Precondition makes a write conditional (HTTP If-Match): it is done only
// while the record is at Version, the version its vendor reports
// (Contact.Version). The zero Precondition is none.
type Precondition struct {
	Version string
}

// ContactField names a writable scalar field of a contact, as in the
// canonical JSON ("address.city" for address parts).
type ContactField string

// The writable scalar fields of a contact. Birthday and gender are typed;
// the rest are strings.
const (
	FieldName          ContactField = "name"
	FieldFirstName     ContactField = "first_name"
	FieldLastName      ContactField = "last_name"
	FieldNickname      ContactField = "nickname"
	FieldGender        ContactField = "gender"
	FieldBirthday      ContactField = "birthday"
	FieldEmail         ContactField = "email"
	FieldMobilePhone   ContactField = "mobile_phone"
	FieldHomePhone     ContactField = "home_phone"
	FieldWorkPhone     ContactField = "work_phone"
	FieldFax           ContactField = "fax"
	FieldWhatsAppPhone ContactField = "whatsapp_phone"
	FieldViberPhone    ContactField = "viber_phone"
	FieldWeChat        ContactField = "wechat"
	FieldQQ            ContactField = "qq"
	FieldWeibo         ContactField = "weibo"
	FieldLine          ContactField = "line"
	FieldMessenger     ContactField = "messenger"
	FieldInstagram     ContactField = "instagram"
	FieldCompany       ContactField = "company"
	FieldJobTitle      ContactField = "job_title"
	FieldDepartment    ContactField = "department"
	FieldIndustry      ContactField = "industry"
	FieldWebsite       ContactField = "website"
	FieldAvatarURL     ContactField = "avatar_url"
	FieldIDCardNumber  ContactField = "id_card_number"
	FieldCountry       ContactField = "address.country"
	FieldProvince      ContactField = "address.province"
	FieldCity          ContactField = "address.city"
	FieldStreet        ContactField = "address.street"
	FieldPostalCode    ContactField = "address.postal_code"
	FieldTimeZone      ContactField = "time_zone"
	FieldNote          ContactField = "note"
)

// ContactFields lists every ContactField, in the order of the constants
// above. Adapters walk it to see which fields a contact sets and to refuse
// the ones their vendor cannot store; a test keeps it in step with the
// constants and with Contact.StringField. Do not modify it.
var ContactFields = []ContactField{
	FieldName, FieldFirstName, FieldLastName, FieldNickname, FieldGender, FieldBirthday, FieldEmail,
	FieldMobilePhone, FieldHomePhone, FieldWorkPhone, FieldFax, FieldWhatsAppPhone, FieldViberPhone,
	FieldWeChat, FieldQQ, FieldWeibo, FieldLine, FieldMessenger, FieldInstagram, FieldCompany,
	FieldJobTitle, FieldDepartment, FieldIndustry, FieldWebsite, FieldAvatarURL, FieldIDCardNumber,
	FieldCountry, FieldProvince, FieldCity, FieldStreet, FieldPostalCode, FieldTimeZone, FieldNote,
}

// StringField returns a pointer to the string field f of c, or nil when f
// is not a string field (gender, birthday).
func (c *Contact) StringField(f ContactField) *string {
	switch f {
	case FieldName:
		return &c.Name
	case FieldFirstName:
		return &c.FirstName
	case FieldLastName:
		return &c.LastName
	case FieldNickname:
		return &c.Nickname
	case FieldEmail:
		return &c.Email
	case FieldMobilePhone:
		return &c.MobilePhone
	case FieldHomePhone:
		return &c.HomePhone
	case FieldWorkPhone:
		return &c.WorkPhone
	case FieldFax:
		return &c.Fax
	case FieldWhatsAppPhone:
		return &c.WhatsAppPhone
	case FieldViberPhone:
		return &c.ViberPhone
	case FieldWeChat:
		return &c.WeChat
	case FieldQQ:
		return &c.QQ
	case FieldWeibo:
		return &c.Weibo
	case FieldLine:
		return &c.Line
	case FieldMessenger:
		return &c.Messenger
	case FieldInstagram:
		return &c.Instagram
	case FieldCompany:
		return &c.Company
	case FieldJobTitle:
		return &c.JobTitle
	case FieldDepartment:
		return &c.Department
	case FieldIndustry:
		return &c.Industry
	case FieldWebsite:
		return &c.Website
	case FieldAvatarURL:
		return &c.AvatarURL
	case FieldIDCardNumber:
		return &c.IDCardNumber
	case FieldCountry:
		return &c.Address.Country
	case FieldProvince:
		return &c.Address.Province
	case FieldCity:
		return &c.Address.City
	case FieldStreet:
		return &c.Address.Street
	case FieldPostalCode:
		return &c.Address.PostalCode
	case FieldTimeZone:
		return &c.TimeZone
	case FieldNote:
		return &c.Note
	}
	return nil
}

// ContactInput is a contact to create or upsert.
type ContactInput struct {
	Contact // ID, Tags, timestamps and Raw are ignored
}

// ContactPatch changes some fields of a contact. Only the fields in Set
// change, to their value in Values (an empty string clears a text field, a
// nil Birthday clears the birthday). CustomFields is merged key by key.
type ContactPatch struct {
	Values       Contact
	Set          map[ContactField]bool
	CustomFields map[string]any
}

// Empty reports whether the patch changes nothing.
func (p ContactPatch) Empty() bool {
	for _, on := range p.Set {
		if on {
			return false
		}
	}
	return len(p.CustomFields) == 0
}

// Apply writes the patch onto c. A field mapped to false in Set is not set.
func (p ContactPatch) Apply(c *Contact) {
	for f, on := range p.Set {
		if !on {
			continue
		}
		switch f {
		case FieldGender:
			c.Gender = p.Values.Gender
		case FieldBirthday:
			c.Birthday = p.Values.Birthday
		default:
			if dst := c.StringField(f); dst != nil {
				*dst = *p.Values.StringField(f)
			}
		}
	}
	if len(p.CustomFields) > 0 {
		merged := make(map[string]any, len(c.CustomFields)+len(p.CustomFields))
		for k, v := range c.CustomFields {
			merged[k] = v
		}
		for k, v := range p.CustomFields {
			merged[k] = v
		}
		c.CustomFields = merged
	}
}

// OnConflict says what a batch upsert does with a contact that exists.
type OnConflict string

// Conflict modes.
const (
	OnConflictMerge   OnConflict = "merge"
	OnConflictReplace OnConflict = "replace"
	OnConflictSkip    OnConflict = "skip"
)

// BatchStatus is the outcome of one batch item.
type BatchStatus string

// Batch outcomes.
const (
	BatchCreated  BatchStatus = "created"
	BatchUpdated  BatchStatus = "updated"
	BatchUpserted BatchStatus = "upserted"
	BatchSkipped  BatchStatus = "skipped"
	BatchFailed   BatchStatus = "failed"
)

// BatchItemResult is the outcome of one item of a batch upsert. Index is
// the item's position in the caller's batch.
type BatchItemResult struct {
	Index  int
	Status BatchStatus
	ID     string
	Err    error // set when Status is BatchFailed
	// Unwritten is set when the item's contact was written but not all of
	// it (Status is not BatchFailed).
	Unwritten *Unwritten
}

// Tag is a label on contacts.
type Tag struct {
	ID           string
	Name         string
	GroupID      string
	Key          string
	Type         string
	ContactCount *int
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Raw          json.RawMessage
}

// TagGroup is a folder of tags.
type TagGroup struct {
	ID        string
	Name      string
	ParentID  string
	CreatedAt time.Time
	UpdatedAt time.Time
	Raw       json.RawMessage
}

// GroupType says how a group's members are chosen.
type GroupType string

// Group types.
const (
	GroupStatic  GroupType = "static"
	GroupDynamic GroupType = "dynamic"
)

// Group is a list or segment of contacts.
type Group struct {
	ID          string
	Name        string
	Type        GroupType
	MemberCount *int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Raw         json.RawMessage
}

// MemberChange is the outcome of adding or removing group members.
type MemberChange struct {
	Succeeded []string
	Failed    []MemberFailure
}

// MemberFailure is one contact that could not be added or removed.
type MemberFailure struct {
	ID     string
	Reason string
}

// FieldType is the type of a custom field.
type FieldType string

// Custom field types.
const (
	FieldTypeText        FieldType = "text"
	FieldTypeNumber      FieldType = "number"
	FieldTypeDate        FieldType = "date"
	FieldTypeDateTime    FieldType = "datetime"
	FieldTypeBoolean     FieldType = "boolean"
	FieldTypeSelect      FieldType = "select"
	FieldTypeMultiSelect FieldType = "multiselect"
	FieldTypeUnknown     FieldType = "unknown"
)

// FieldDef defines a custom field of contacts. Key is the key of its value
// in Contact.CustomFields.
type FieldDef struct {
	ID          string
	Key         string
	Label       string
	Type        FieldType
	Description string
	Options     []string
	Raw         json.RawMessage
}

// FieldInput is a custom field to create.
type FieldInput struct {
	Label       string
	Type        FieldType
	Description string
	Options     []string
}

// UTM is campaign attribution.
type UTM struct {
	Source, Campaign, Medium, Content, Term string
}

// IsZero reports whether no part is set.
func (u UTM) IsZero() bool { return u == UTM{} }

// Channel is where an event happened.
type Channel struct {
	ID, Name, Type string
}

// Event is something a contact did.
type Event struct {
	ID         string
	ContactID  string
	ExternalID *ExternalID
	Event      string
	OccurredAt time.Time
	Channel    *Channel
	Properties map[string]any
	UTM        UTM
	CreatedAt  time.Time
	Raw        json.RawMessage
}

// EventInput is an event to record. Exactly one of ContactID and ExternalID is set.
type EventInput struct {
	Event      string
	ContactID  string
	ExternalID *ExternalID
	OccurredAt time.Time
	Properties map[string]string
	UTM        UTM
}

// PassthroughRequest is a raw call to a vendor.
type PassthroughRequest struct {
	Method string
	Path   string // relative to the vendor's API base, starting with "/"
	Query  map[string][]string
	Body   json.RawMessage
}

// PassthroughResponse is a vendor's raw answer; Body is JSON.
type PassthroughResponse struct {
	Status int
	Body   json.RawMessage
}

// ContactQuery filters a contact list. Ids are the vendor's own.
type ContactQuery struct {
	Q     string
	Email string
	Phone string
	// WhatsAppPhone and ViberPhone match those numbers exactly.
	WhatsAppPhone string
	ViberPhone    string
	GroupID       string
	TagID         string
	UpdatedSince  *time.Time
}

// Filters names the filters set, sorted and joined with "+", e.g.
// "group_id+q"; "" when none is set.
func (q ContactQuery) Filters() string {
	s := ""
	add := func(set bool, name string) {
		if !set {
			return
		}
		if s != "" {
			s += "+"
		}
		s += name
	}
	add(q.Email != "", "email")
	add(q.GroupID != "", "group_id")
	add(q.Phone != "", "phone")
	add(q.Q != "", "q")
	add(q.TagID != "", "tag_id")
	add(q.UpdatedSince != nil, "updated_since")
	add(q.ViberPhone != "", "viber_phone")
	add(q.WhatsAppPhone != "", "whatsapp_phone")
	return s
}

// TagQuery filters a tag list.
type TagQuery struct {
	GroupID string
}

// GroupQuery filters a group list.
type GroupQuery struct {
	Q string
}

// PageRequest asks an adapter for one page. State is the adapter's own
// page state from the previous Page.Next ("" for the first page); Limit is
// between 1 and MaxLimit.
type PageRequest struct {
	Limit int
	State string
}

// Page is one page from an adapter. Next is the state for the next page,
// "" on the last one. Truncated is set on a last page that a vendor limit
// ended early.
type Page[T any] struct {
	Items     []T
	Next      string
	Truncated *Truncation
}

// Truncation says that a list ended at a vendor limit rather than at its
// end: the vendor lists at most Limit records for one query and may hold
// more. Detail tells the caller how to reach the rest (narrow the query).
type Truncation struct {
	Limit  int
	Detail string
}

// Paging limits of the canonical API.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)
