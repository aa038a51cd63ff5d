package nxcloud

import (
	"bytes"
	"encoding/json"
	"maps"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// id64 is an id of an NXCloud answer (a Long), read exactly: customer
// ids are far beyond 2^53.
type id64 = vendorhttp.Int

// text is a text member of an NXCloud record.
type text = vendorhttp.Text

// nxCustomerOf is a customer as /customers/query answers it (the docs'
// customers parameters). address and time_zone, which batch_create
// takes, are read when an answer carries them. It is written once for two
// readings (see vendorhttp.FastRecords): nxCustomerFast, with plain
// strings and integers, which go-json reads natively, and gender and tags
// read in the same pass; and nxCustomer, with text and id64, which also
// take what NXCloud sometimes writes in their place, and gender and tags
// kept as written and read on conversion, where an odd value leaves that
// one member unset rather than the customer unread.
type nxCustomerOf[S ~string, N ~int64, G genderMember, L tagsMember] struct {
	ID            N `json:"id"`
	FirstName     S `json:"first_name"`
	LastName      S `json:"last_name"`
	FullName      S `json:"full_name"`
	SMSPhone      S `json:"sms_phone"`
	WhatsAppPhone S `json:"whatsApp_phone"`
	WhatsAppWrite S `json:"whats_app_phone"` // batch_create's spelling, should an answer use it
	ViberPhone    S `json:"viber_phone"`
	Line          S `json:"line"`
	Messenger     S `json:"messenger"`
	Instagram     S `json:"instagram"`
	Email         S `json:"email"`
	Country       S `json:"country"`
	Address       S `json:"address"`
	TimeZone      S `json:"time_zone"`
	Birthday      S `json:"birthday"`
	Remark        S `json:"remark"`
	Gender        G `json:"gender"`
	CreatedAt     S `json:"created_at"`
	UpdatedAt     S `json:"updated_at"`
	Tags          L `json:"tags"`
	CustomizeData S `json:"customize_field"`
}

// The two readings of a customer.
type (
	nxCustomerFast = nxCustomerOf[string, int64, *genderCode, *tagList]
	nxCustomer     = nxCustomerOf[text, id64, rawGender, rawTags]
)

// genderMember is a customer's gender as a reading of it holds it.
type genderMember interface{ gender() domain.Gender }

// tagsMember is a customer's tags as a reading of it holds them.
type tagsMember interface {
	tags() ([]domain.TagRef, bool)
}

// nxTagOf is a tag on a customer. The answer carries more (owner, group,
// note, times); the contact keeps its id and name.
type nxTagOf[S ~string, N ~int64] struct {
	ID      N `json:"id"`
	TagName S `json:"tag_name"`
}

// Gender codes: 0 female, 1 male.
const (
	genderFemale = 0
	genderMale   = 1
)

// readInto converts the customer into *out, which it overwrites; out is
// an element of the page's contacts, so that the custom values are
// decoded into their place there rather than into a map of their own.
func (c nxCustomerOf[S, N, G, L]) readInto(out *domain.Contact, raw json.RawMessage) {
	whatsApp := c.WhatsAppPhone
	if whatsApp == "" {
		whatsApp = c.WhatsAppWrite
	}
	*out = domain.Contact{
		ID:            strconv.FormatInt(int64(c.ID), 10),
		Name:          string(c.FullName),
		FirstName:     string(c.FirstName),
		LastName:      string(c.LastName),
		Gender:        c.Gender.gender(),
		Birthday:      vendorhttp.ParseDate(string(c.Birthday)),
		Email:         string(c.Email),
		MobilePhone:   string(c.SMSPhone),
		WhatsAppPhone: string(whatsApp),
		ViberPhone:    string(c.ViberPhone),
		Line:          string(c.Line),
		Messenger:     string(c.Messenger),
		Instagram:     string(c.Instagram),
		Address:       domain.Address{Country: string(c.Country), Street: string(c.Address)},
		TimeZone:      string(c.TimeZone),
		Note:          string(c.Remark),
		CreatedAt:     readTime(string(c.CreatedAt)),
		UpdatedAt:     readTime(string(c.UpdatedAt)),
		// NXCloud keeps the messaging handles as fields of their own and
		// no external ids: every contact's set is loaded and empty.
		ExternalIDsLoaded: true,
		Raw:               raw,
	}
	readCustomFields(string(c.CustomizeData), &out.CustomFields)
	out.Tags, out.TagsLoaded = c.Tags.tags()
}

// genderCode is the gender of a plain reading, a JSON integer: 0
// female, 1 male, any other value a gender the canonical model does not
// name; nil (null or absent) not set.
type genderCode int64

func (g *genderCode) gender() domain.Gender {
	switch {
	case g == nil:
		return ""
	case *g == genderFemale:
		return domain.GenderFemale
	case *g == genderMale:
		return domain.GenderMale
	}
	return domain.GenderUnknown
}

// rawGender is gender as written, read on conversion: as genderCode,
// but an integer may be a string of digits; "" is not set, and anything
// else unreadable is a gender the canonical model does not name. The
// embedded json.RawMessage's UnmarshalJSON keeps the member's bytes.
type rawGender struct{ json.RawMessage }

func (g rawGender) gender() domain.Gender {
	var n id64
	switch s := string(bytes.TrimSpace(g.RawMessage)); {
	case s == "" || s == "null" || s == `""`:
		return ""
	case n.UnmarshalJSON(g.RawMessage) != nil:
		return domain.GenderUnknown
	}
	code := genderCode(n)
	return code.gender()
}

// Layouts of NXCloud's zone-less times (China Standard Time): the answers
// show the ISO form, other NXCloud pages the one with a space.
const (
	isoLayout   = "2006-01-02T15:04:05"
	spaceLayout = time.DateTime
)

// readTime reads created_at and updated_at, in either layout, as China
// Standard Time, into UTC; an empty or unreadable time is the zero time.
func readTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "T") {
		return vendorhttp.ParseCST(isoLayout, s)
	}
	return vendorhttp.ParseCST(spaceLayout, s)
}

// readCustomFields reads customize_field, a JSON object in a string
// ({"customize_4_52": ["1"]}), into *values, keeping every value exactly
// (numbers stay json.Number). Null values are left out of the decoded map
// itself, not copied to another. An empty or unreadable string reads as
// no values: an empty map, never nil.
//
// The keys and string values are not copied out of s but refer to it
// (vendorhttp.UnmarshalPage, over a view of s's bytes: go-json only reads
// its input): s is a string, never changed, and either a few hundred
// bytes of its own (the member is escaped, so it was unescaped into a new
// string) or a part of the vendor answer, which the contact's other
// members refer to already. With values in the contact, a page of 50
// customers costs some 370 allocations fewer (BenchmarkCustomerPage).
func readCustomFields(s string, values *map[string]any) {
	*values = nil
	if strings.TrimSpace(s) == "" || vendorhttp.UnmarshalPage(unsafe.Slice(unsafe.StringData(s), len(s)), values) != nil || *values == nil {
		*values = map[string]any{}
		return
	}
	maps.DeleteFunc(*values, func(_ string, v any) bool { return v == nil })
}

// tagList is the tags of a plain reading: an array is the customer's
// whole set; nil (null or absent) leaves the tags unloaded.
type tagList []nxTagOf[string, int64]

func (t *tagList) tags() ([]domain.TagRef, bool) {
	if t == nil {
		return nil, false
	}
	return tagRefs(*t)
}

// rawTags is tags as written, read on conversion: an array is the
// customer's whole set; null, an absent member or anything unreadable
// leaves the tags unloaded rather than answered as none. The embedded
// json.RawMessage's UnmarshalJSON keeps the member's bytes.
type rawTags struct{ json.RawMessage }

func (t rawTags) tags() ([]domain.TagRef, bool) {
	if b := bytes.TrimSpace(t.RawMessage); len(b) == 0 || string(b) == "null" {
		return nil, false
	}
	var tags []nxTagOf[text, id64]
	if vendorhttp.Unmarshal(t.RawMessage, &tags) != nil {
		return nil, false
	}
	return tagRefs(tags)
}

// tagRefs converts a customer's tags; a tag without an id leaves them
// unloaded.
func tagRefs[S ~string, N ~int64](tags []nxTagOf[S, N]) ([]domain.TagRef, bool) {
	out := make([]domain.TagRef, 0, len(tags))
	for _, t := range tags {
		if t.ID <= 0 {
			return nil, false
		}
		out = append(out, domain.TagRef{ID: strconv.FormatInt(int64(t.ID), 10), Name: string(t.TagName)})
	}
	return out, true
}
