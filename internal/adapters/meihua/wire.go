package meihua

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

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

// mhContact is a contact as /contact/all and /contact/detail answer it.
type mhContact struct {
	ID          num             `json:"id"`
	FullName    text            `json:"fullName"`
	Gender      json.RawMessage `json:"gender"`
	GenderDes   *text           `json:"gender_des"`
	Birthday    *num            `json:"birthday"`
	BirthdayDes text            `json:"birthday_des"`
	CompanyName text            `json:"companyName"`
	JobTitle    text            `json:"jobTitle"`
	Email       text            `json:"email"`
	WorkPhone   text            `json:"workPhone"`
	MobilePhone text            `json:"mobilePhone"`
	Website     text            `json:"website"`
	Fax         text            `json:"fax"`
	Country     text            `json:"country"`
	Province    text            `json:"province"` // a region code (0) in the docs' samples
	ProvinceZh  text            `json:"province_zh"`
	ProvinceDes text            `json:"province_des"`
	City        text            `json:"city"` // likewise
	CityZh      text            `json:"city_zh"`
	CityDes     text            `json:"city_des"`
	Address     text            `json:"address"`
	PostCode    text            `json:"postCode"`
	QQ          text            `json:"qQ"`
	Weibo       text            `json:"weibo"`
	Weixin      text            `json:"weixin"`
	Notes       text            `json:"notes"`
	CreateTime  num             `json:"createTime"`
	UpdateTime  num             `json:"updateTime"`
	Propertys   []mhValue       `json:"propertys"`
	Groups      []mhMembership  `json:"groups"`
	Tags        json.RawMessage `json:"tags"`
}

// mhValue is a contact's value of a custom property. The docs call the
// value label, in answers and in writes.
type mhValue struct {
	PropertyID num  `json:"propertyId"`
	Label      text `json:"label"`
}

// mhMembership is a group a contact is in.
type mhMembership struct {
	GroupID   num  `json:"groupId"`
	GroupName text `json:"groupName"`
}

func (c mhContact) domain(raw json.RawMessage) domain.Contact {
	out := domain.Contact{
		ID:          c.ID.String(),
		Name:        string(c.FullName),
		Gender:      readGender(c.Gender, c.GenderDes),
		Birthday:    readBirthday(c.Birthday, c.BirthdayDes),
		Email:       string(c.Email),
		MobilePhone: string(c.MobilePhone),
		WorkPhone:   string(c.WorkPhone),
		Fax:         string(c.Fax),
		WeChat:      string(c.Weixin),
		QQ:          string(c.QQ),
		Weibo:       string(c.Weibo),
		Company:     string(c.CompanyName),
		JobTitle:    string(c.JobTitle),
		Website:     string(c.Website),
		Address: domain.Address{
			Country:    string(c.Country),
			Province:   placeName(c.ProvinceZh, c.ProvinceDes, c.Province),
			City:       placeName(c.CityZh, c.CityDes, c.City),
			Street:     string(c.Address),
			PostalCode: string(c.PostCode),
		},
		Note:         string(c.Notes),
		CustomFields: map[string]any{},
		CreatedAt:    vendorhttp.FromMillis(int64(c.CreateTime)),
		UpdatedAt:    vendorhttp.FromMillis(int64(c.UpdateTime)),
		// Meihua keeps no external ids: a contact's set is always empty.
		ExternalIDsLoaded: true,
		Raw:               raw,
	}
	for _, p := range c.Propertys {
		if p.PropertyID > 0 && p.Label != "" {
			out.CustomFields[p.PropertyID.String()] = string(p.Label)
		}
	}
	if c.UpdateTime > 0 {
		out.Version = c.UpdateTime.String()
	}
	out.Tags, out.TagsLoaded = readTags(c.Tags)
	return out
}

// placeName is a province's or city's name: the Chinese name, else the
// display name, else the field itself when it is a name rather than
// Meihua's region code.
func placeName(zh, des, field text) string {
	switch {
	case zh != "":
		return string(zh)
	case des != "":
		return string(des)
	case strings.Trim(string(field), "0123456789") != "":
		return string(field)
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
// boolean says it: true male, false female.
func readGender(b json.RawMessage, des *text) domain.Gender {
	if des != nil {
		return genderWord(string(*des))
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return ""
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
func readBirthday(ms *num, des text) *time.Time {
	if d := vendorhttp.ParseDate(string(des)); d != nil {
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
