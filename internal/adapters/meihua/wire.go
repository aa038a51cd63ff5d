package meihua

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// num is an integer of a Meihua answer, read exactly (the add answer
// says "groupId": "null" when it made no group: 0).
type num = vendorhttp.Int

// text is a text field of a Meihua record. Meihua writes a blank (" ")
// where a field is not set, so whitespace reads as "" (absent).
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	var v vendorhttp.Text
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	if strings.TrimSpace(string(v)) == "" {
		v = ""
	}
	*t = text(v)
	return nil
}

// mhContactOf is a contact as /contact/all and /contact/detail answer it,
// written once for the two ways vendorhttp.FastRecords reads a list:
// fastContact, with plain strings and integers that the JSON decoder reads
// natively, and tags read in the same pass; and mhContact, with text and
// num, which also take what Meihua may write in their place, and tags
// kept as written and read on conversion, where an odd value leaves them
// unloaded rather than the contact unread. domain gives the same contact
// from both.
type mhContactOf[S ~string, N ~int64, L tagsMember] struct {
	ID          N   `json:"id"`
	FullName    S   `json:"fullName"`
	Gender      any `json:"gender"`
	GenderDes   *S  `json:"gender_des"`
	Birthday    *N  `json:"birthday"`
	BirthdayDes S   `json:"birthday_des"`
	CompanyName S   `json:"companyName"`
	JobTitle    S   `json:"jobTitle"`
	Email       S   `json:"email"`
	WorkPhone   S   `json:"workPhone"`
	MobilePhone S   `json:"mobilePhone"`
	Website     S   `json:"website"`
	Fax         S   `json:"fax"`
	Country     S   `json:"country"`
	// Province and City are region codes, numbers (0) in the docs'
	// samples and in the simulator's answers, or names: text in both
	// readings.
	Province    text                   `json:"province"`
	ProvinceZh  S                      `json:"province_zh"`
	ProvinceDes S                      `json:"province_des"`
	City        text                   `json:"city"`
	CityZh      S                      `json:"city_zh"`
	CityDes     S                      `json:"city_des"`
	Address     S                      `json:"address"`
	PostCode    S                      `json:"postCode"`
	QQ          S                      `json:"qQ"`
	Weibo       S                      `json:"weibo"`
	Weixin      S                      `json:"weixin"`
	Notes       S                      `json:"notes"`
	CreateTime  N                      `json:"createTime"`
	UpdateTime  N                      `json:"updateTime"`
	Propertys   []mhValueOf[S, N]      `json:"propertys"`
	Groups      []mhMembershipOf[S, N] `json:"groups"`
	Tags        L                      `json:"tags"`
}

// The two readings of a contact (see mhContactOf).
type (
	mhContact    = mhContactOf[text, num, rawTags]
	fastContact  = mhContactOf[string, int64, tagList]
	mhMembership = mhMembershipOf[text, num]
)

// mhValueOf is a contact's value of a custom property. The docs call the
// value label, in answers and in writes.
type mhValueOf[S ~string, N ~int64] struct {
	PropertyID N `json:"propertyId"`
	Label      S `json:"label"`
}

// mhMembershipOf is a group a contact is in.
type mhMembershipOf[S ~string, N ~int64] struct {
	GroupID   N `json:"groupId"`
	GroupName S `json:"groupName"`
}

func (c mhContactOf[S, N, L]) domain(raw json.RawMessage) domain.Contact {
	out := domain.Contact{
		ID:          decimal(c.ID),
		Name:        value(c.FullName),
		Gender:      readGender(c.Gender, c.GenderDes),
		Birthday:    readBirthday(c.Birthday, value(c.BirthdayDes)),
		Email:       value(c.Email),
		MobilePhone: value(c.MobilePhone),
		WorkPhone:   value(c.WorkPhone),
		Fax:         value(c.Fax),
		WeChat:      value(c.Weixin),
		QQ:          value(c.QQ),
		Weibo:       value(c.Weibo),
		Company:     value(c.CompanyName),
		JobTitle:    value(c.JobTitle),
		Website:     value(c.Website),
		Address: domain.Address{
			Country:    value(c.Country),
			Province:   placeName(value(c.ProvinceZh), value(c.ProvinceDes), value(c.Province)),
			City:       placeName(value(c.CityZh), value(c.CityDes), value(c.City)),
			Street:     value(c.Address),
			PostalCode: value(c.PostCode),
		},
		Note:         value(c.Notes),
		CustomFields: map[string]any{},
		CreatedAt:    vendorhttp.FromMillis(int64(c.CreateTime)),
		UpdatedAt:    vendorhttp.FromMillis(int64(c.UpdateTime)),
		// Meihua keeps no external ids: a contact's set is always empty.
		ExternalIDsLoaded: true,
		Raw:               raw,
	}
	for _, p := range c.Propertys {
		if label := value(p.Label); p.PropertyID > 0 && label != "" {
			out.CustomFields[decimal(p.PropertyID)] = label
		}
	}
	if c.UpdateTime > 0 {
		out.Version = decimal(c.UpdateTime)
	}
	out.Tags, out.TagsLoaded = c.Tags.tags()
	return out
}

// value is a text field as the gateway keeps it: "" for Meihua's blank,
// as text reads it, so that a plain string gives what text gives.
func value[S ~string](s S) string {
	if blank(string(s)) {
		return ""
	}
	return string(s)
}

// blank reports whether s is white space only, as strings.TrimSpace
// finds it, at once for the common string that starts with a letter
// (TrimSpace takes the slow way through a string that is not ASCII,
// most of a Chinese contact's).
func blank(s string) bool {
	if s == "" {
		return true
	}
	if c := s[0]; c < utf8.RuneSelf {
		if c > ' ' {
			return false
		}
	} else if r, _ := utf8.DecodeRuneInString(s); !unicode.IsSpace(r) {
		return false
	}
	return strings.TrimSpace(s) == ""
}

// decimal writes an integer of an answer, an id say, in decimal.
func decimal[N ~int64](n N) string { return strconv.FormatInt(int64(n), 10) }

// placeName is a province's or city's name: the Chinese name, else the
// display name, else the field itself when it is a name rather than
// Meihua's region code.
func placeName(zh, des, field string) string {
	switch {
	case zh != "":
		return zh
	case des != "":
		return des
	case strings.Trim(field, "0123456789") != "":
		return field
	}
	return ""
}

// Gender words: what Meihua shows (gender_des) and what /contact/edit
// takes.
const (
	genderMale   = "男"
	genderFemale = "女"
)

// readGender reads a contact's gender. gender_des, Meihua's display of
// it, wins when the record has it: 男 male, 女 female, blank not set (the
// docs' own list sample shows gender true with a blank gender_des, so the
// boolean alone does not say a gender was given). Without gender_des, the
// boolean says it: true male, false female; v is the member as decoded
// into an interface (a boolean costs no allocation there, where its bytes
// would cost two).
func readGender[S ~string](v any, des *S) domain.Gender {
	if des != nil {
		return genderWord(string(*des))
	}
	switch g := v.(type) {
	case bool:
		if g {
			return domain.GenderMale
		}
		return domain.GenderFemale
	case string:
		return genderWord(g)
	}
	return ""
}

func genderWord(s string) domain.Gender {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return ""
	case genderMale, "male", "m", "true":
		return domain.GenderMale
	case genderFemale, "female", "f", "false":
		return domain.GenderFemale
	}
	return domain.GenderUnknown
}

// readBirthday reads a contact's birthday: birthday_des ("yyyy-MM-dd",
// Meihua's own rendering of it) when the record has one, otherwise the
// birthday timestamp (epoch milliseconds) as a date in China Standard Time.
// The docs' list sample shows the two agree that way (1451024631 ms is
// 1970-01-18 in China). 0 is none.
func readBirthday[N ~int64](ms *N, des string) *time.Time {
	if d := vendorhttp.ParseDate(des); d != nil {
		return d
	}
	if ms == nil || *ms == 0 {
		return nil
	}
	t := time.UnixMilli(int64(*ms)).In(vendorhttp.CST)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return &d
}

// birthdayMillis is the timestamp Meihua takes for a birthday: the epoch
// milliseconds of its midnight in China Standard Time (the docs' sample
// 1443628800000 is 2015-10-01 00:00 in China), which readBirthday reads
// back as the same date.
func birthdayMillis(d time.Time) int64 {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, vendorhttp.CST).UnixMilli()
}

// birthdayText is a birthday as /contact/edit takes it: Java's
// Date.toString form ("Thu May 10 00:00:00 CST 1990"). Midnight with the
// zone written CST gives the same calendar date whether the vendor reads
// CST as China (UTC+8) or, as Java's date parser does, as US Central
// time.
func birthdayText(d time.Time) string {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, vendorhttp.CST).Format("Mon Jan 02 15:04:05 MST 2006")
}

// readTags reads a contact's tags. The docs show the member only empty;
// each tag is read as an object with tagId (or id) and tagName (or name),
// like the record's groups. Anything else leaves the tags unloaded rather
// than answered as none.
func readTags(raw json.RawMessage) ([]domain.TagRef, bool) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, false
	}
	var items []struct {
		TagID   json.RawMessage `json:"tagId"`
		ID      json.RawMessage `json:"id"`
		TagName json.RawMessage `json:"tagName"`
		Name    json.RawMessage `json:"name"`
	}
	if vendorhttp.Unmarshal(raw, &items) != nil {
		return nil, false
	}
	out := make([]domain.TagRef, 0, len(items))
	for _, it := range items {
		var id num
		if err := id.UnmarshalJSON(first(it.TagID, it.ID)); err != nil || id <= 0 {
			return nil, false
		}
		var name text
		_ = name.UnmarshalJSON(first(it.TagName, it.Name))
		out = append(out, domain.TagRef{ID: id.String(), Name: string(name)})
	}
	return out, true
}

// first returns the first of values that is there, not null and not
// zero.
func first(values ...json.RawMessage) json.RawMessage {
	for _, v := range values {
		if len(v) != 0 && string(v) != "null" && string(v) != "0" {
			return v
		}
	}
	return []byte("null")
}

// tagsMember is a contact's tags as a reading of it holds them.
type tagsMember interface {
	tags() ([]domain.TagRef, bool)
}

// rawTags is the tags of the tolerant reading: the member as written,
// read on conversion by readTags. The embedded json.RawMessage's
// UnmarshalJSON keeps the member's bytes.
type rawTags struct{ json.RawMessage }

func (t rawTags) tags() ([]domain.TagRef, bool) { return readTags(t.RawMessage) }

// tagList is the tags of the plain reading, read with the record: it
// reads as readTags reads the same member wherever it fits (an array of
// objects, or nulls, whose ids are non-negative integers and names
// strings, or null); anything else fails the plain reading and so takes
// the tolerant one. nil is null or absent: the tags unloaded.
type tagList []plainTag

// plainTag is a tag of the plain reading. Its members are pointers so
// that null reads as absent even after a value of the same member, as
// readTags reads it, and ids are unsigned so that -0, which readTags
// takes as the id (0, no tag), does not fit.
type plainTag struct {
	TagID   *uint64 `json:"tagId"`
	ID      *uint64 `json:"id"`
	TagName *string `json:"tagName"`
	Name    *string `json:"name"`
}

func (t tagList) tags() ([]domain.TagRef, bool) {
	if t == nil {
		return nil, false
	}
	out := make([]domain.TagRef, 0, len(t))
	for _, tag := range t {
		// As first: the first id there and not 0; the first name there.
		id := tag.TagID
		if id == nil || *id == 0 {
			id = tag.ID
		}
		if id == nil || *id == 0 || *id > math.MaxInt64 {
			return nil, false // num reads no id above int64: none
		}
		name := tag.TagName
		if name == nil {
			name = tag.Name
		}
		ref := domain.TagRef{ID: strconv.FormatUint(*id, 10)}
		if name != nil {
			ref.Name = value(*name)
		}
		out = append(out, ref)
	}
	return out, true
}
