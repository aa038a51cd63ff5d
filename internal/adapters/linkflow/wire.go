package linkflow

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Linkflow channel types the adapter names.
const (
	channelTypeUDC    = "UDC"
	channelTypeWeChat = "WECHAT"
)

// lfContact is a Linkflow contact as its endpoints return it.
type lfContact struct {
	ID             int64          `json:"id"`
	Name           string         `json:"name"`
	Nickname       string         `json:"nickname"`
	Gender         string         `json:"gender"`
	DateOfBirthday string         `json:"dateOfBirthday"`
	Avatar         string         `json:"avatar"`
	MobilePhone    string         `json:"mobilePhone"`
	HomePhone      string         `json:"homePhone"`
	Email          string         `json:"email"`
	Country        string         `json:"country"`
	State          string         `json:"state"`
	City           string         `json:"city"`
	Street         string         `json:"street"`
	PostalCode     string         `json:"postalCode"`
	Comments       string         `json:"comments"`
	Title          string         `json:"title"`
	Website        string         `json:"website"`
	Company        string         `json:"company"`
	Industry       string         `json:"industry"`
	Department     string         `json:"department"`
	IDCard         string         `json:"idCard"`
	Props          map[string]any `json:"props"`
	OpenIDs        []struct {
		ChannelID string `json:"channelId"`
		OpenID    string `json:"openId"`
	} `json:"openIds"`
	DateCreated string `json:"dateCreated"`
	LastUpdated string `json:"lastUpdated"`
}

func (c lfContact) domain(raw json.RawMessage) domain.Contact {
	out := domain.Contact{
		ID:           strconv.FormatInt(c.ID, 10),
		Name:         c.Name,
		Nickname:     c.Nickname,
		Gender:       gender(c.Gender),
		Birthday:     birthday(c.DateOfBirthday),
		Email:        c.Email,
		MobilePhone:  c.MobilePhone,
		HomePhone:    c.HomePhone,
		Company:      c.Company,
		JobTitle:     c.Title,
		Department:   c.Department,
		Industry:     c.Industry,
		Website:      c.Website,
		AvatarURL:    c.Avatar,
		IDCardNumber: c.IDCard,
		Address:      domain.Address{Country: c.Country, Province: c.State, City: c.City, Street: c.Street, PostalCode: c.PostalCode},
		Note:         c.Comments,
		CustomFields: c.Props,
		CreatedAt:    parseTime(c.DateCreated),
		UpdatedAt:    parseTime(c.LastUpdated),
		Raw:          raw,
	}
	if out.CustomFields == nil {
		out.CustomFields = map[string]any{}
	}
	for _, o := range c.OpenIDs {
		if o.OpenID != "" {
			out.ExternalIDs = append(out.ExternalIDs, domain.ExternalID{Channel: o.ChannelID, ID: o.OpenID, Type: channelTypeWeChat})
		}
	}
	return out
}

func gender(s string) domain.Gender {
	switch strings.ToLower(s) {
	case "male":
		return domain.GenderMale
	case "female":
		return domain.GenderFemale
	case "":
		return ""
	}
	return domain.GenderUnknown
}

// birthday reads "yyyy-MM-dd[ HH:mm:ss]" as a calendar date.
func birthday(s string) *time.Time {
	if len(s) < 10 {
		return nil
	}
	d, err := time.Parse("2006-01-02", s[:10])
	if err != nil {
		return nil
	}
	return &d
}

func formatBirthday(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format("2006-01-02") + " 00:00:00"
}

// parseTime reads a zone-less Linkflow timestamp as China Standard Time.
func parseTime(s string) time.Time {
	t, err := time.ParseInLocation(lfTime, s, cst)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func fromMillis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// lfGroup is a Linkflow group (called a tag group in the older guide).
type lfGroup struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	GroupType   string `json:"groupType"`
	DateCreated string `json:"dateCreated"`
	LastUpdated string `json:"lastUpdated"`
}

func (g lfGroup) domain(raw json.RawMessage) domain.Group {
	typ := domain.GroupStatic
	if g.GroupType == "dynamic" {
		typ = domain.GroupDynamic
	}
	return domain.Group{
		ID: strconv.FormatInt(g.ID, 10), Name: g.Name, Type: typ,
		CreatedAt: parseTime(g.DateCreated), UpdatedAt: parseTime(g.LastUpdated), Raw: raw,
	}
}

// decodeList decodes a JSON array answer into records, keeping each
// record's own bytes when the caller asked for raw payloads.
func decodeList[T any](ctx context.Context, resp *vendorhttp.Response) ([]T, []json.RawMessage, error) {
	if !domain.WantRaw(ctx) {
		var out []T
		if err := resp.Decode(vendor, &out); err != nil {
			return nil, nil, err
		}
		return out, make([]json.RawMessage, len(out)), nil
	}
	var raws []json.RawMessage
	if err := resp.Decode(vendor, &raws); err != nil {
		return nil, nil, err
	}
	out := make([]T, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			return nil, nil, vendorhttp.BadResponse(vendor, resp.Status, "linkflow sent a record the gateway cannot read", err)
		}
	}
	return out, raws, nil
}

// decodeOne decodes a JSON object answer, keeping its bytes when asked.
func decodeOne[T any](ctx context.Context, resp *vendorhttp.Response) (T, json.RawMessage, error) {
	var out T
	if err := resp.Decode(vendor, &out); err != nil {
		return out, nil, err
	}
	if domain.WantRaw(ctx) {
		return out, json.RawMessage(resp.Body), nil
	}
	return out, nil, nil
}

func parseNativeID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && n > 0
}
