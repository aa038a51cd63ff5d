package nxcloud

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

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
// strings and integers, which go-json reads natively, and nxCustomer,
// with text and id64, which also take what NXCloud sometimes writes in
// their place.
type nxCustomerOf[S ~string, N ~int64] struct {
	ID            N               `json:"id"`
	FirstName     S               `json:"first_name"`
	LastName      S               `json:"last_name"`
	FullName      S               `json:"full_name"`
	SMSPhone      S               `json:"sms_phone"`
	WhatsAppPhone S               `json:"whatsApp_phone"`
	WhatsAppWrite S               `json:"whats_app_phone"` // batch_create's spelling, should an answer use it
	ViberPhone    S               `json:"viber_phone"`
	Line          S               `json:"line"`
	Messenger     S               `json:"messenger"`
	Instagram     S               `json:"instagram"`
	Email         S               `json:"email"`
	Country       S               `json:"country"`
	Address       S               `json:"address"`
	TimeZone      S               `json:"time_zone"`
	Birthday      S               `json:"birthday"`
	Remark        S               `json:"remark"`
	Gender        json.RawMessage `json:"gender"`
	CreatedAt     S               `json:"created_at"`
	UpdatedAt     S               `json:"updated_at"`
	Tags          json.RawMessage `json:"tags"`
	CustomizeData S               `json:"customize_field"`
}

// The two readings of a customer.
type (
	nxCustomerFast = nxCustomerOf[string, int64]
	nxCustomer     = nxCustomerOf[text, id64]
)

// nxTag is a tag on a customer. The answer carries more (owner, group,
// note, times); the contact keeps its id and name.
type nxTag struct {
	ID      id64 `json:"id"`
	TagName text `json:"tag_name"`
}

// Gender codes: 0 female, 1 male.
const (
	genderFemale = 0
	genderMale   = 1
)

func (c nxCustomerOf[S, N]) domain(raw json.RawMessage) domain.Contact {
	whatsApp := c.WhatsAppPhone
	if whatsApp == "" {
		whatsApp = c.WhatsAppWrite
	}
	out := domain.Contact{
		ID:            strconv.FormatInt(int64(c.ID), 10),
		Name:          string(c.FullName),
		FirstName:     string(c.FirstName),
		LastName:      string(c.LastName),
		Gender:        readGender(c.Gender),
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
		CustomFields:  readCustomFields(string(c.CustomizeData)),
		CreatedAt:     readTime(string(c.CreatedAt)),
		UpdatedAt:     readTime(string(c.UpdatedAt)),
		// NXCloud keeps the messaging handles as fields of their own and
		// no external ids: every contact's set is loaded and empty.
		ExternalIDsLoaded: true,
		Raw:               raw,
	}
	out.Tags, out.TagsLoaded = readTags(c.Tags)
	return out
}

// readGender reads gender: 0 female, 1 male, null (or absent) not set;
// any other value is a gender the canonical model does not name.
func readGender(raw json.RawMessage) domain.Gender {
	var g id64
	switch s := string(bytes.TrimSpace(raw)); {
	case s == "" || s == "null" || s == `""`:
		return ""
	case g.UnmarshalJSON(raw) != nil:
		return domain.GenderUnknown
	case g == genderFemale:
		return domain.GenderFemale
	case g == genderMale:
		return domain.GenderMale
	}
	return domain.GenderUnknown
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
// ({"customize_4_52": ["1"]}), keeping every value exactly (numbers stay
// json.Number). An empty or unreadable string reads as no values.
func readCustomFields(s string) map[string]any {
	out := map[string]any{}
	if strings.TrimSpace(s) == "" {
		return out
	}
	var values map[string]any
	if vendorhttp.Unmarshal([]byte(s), &values) != nil {
		return out
	}
	for k, v := range values {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

// readTags reads a customer's tags: an array is the customer's whole set;
// null, an absent member or anything unreadable leaves the tags unloaded
// rather than answered as none.
func readTags(raw json.RawMessage) ([]domain.TagRef, bool) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return nil, false
	}
	var tags []nxTag
	if vendorhttp.Unmarshal(raw, &tags) != nil {
		return nil, false
	}
	out := make([]domain.TagRef, 0, len(tags))
	for _, t := range tags {
		if t.ID <= 0 {
			return nil, false
		}
		out = append(out, domain.TagRef{ID: t.ID.String(), Name: string(t.TagName)})
	}
	return out, true
}
