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
	// Ver is the record's version, one more with every change; null on
	// records Linkflow keeps none for.
	Ver *int64 `json:"ver"`
}

func (c lfContact) domain(raw json.RawMessage) domain.Contact {
	out := domain.Contact{
		ID:           strconv.FormatInt(c.ID, 10),
		Name:         c.Name,
		Nickname:     c.Nickname,
		Gender:       gender(c.Gender),
		Birthday:     vendorhttp.ParseDate(c.DateOfBirthday),
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
	if c.Ver != nil {
		out.Version = strconv.FormatInt(*c.Ver, 10)
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

func formatBirthday(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format("2006-01-02") + " 00:00:00"
}

// parseTime reads a zone-less Linkflow timestamp (China Standard Time).
func parseTime(s string) time.Time { return vendorhttp.ParseCST(lfTime, s) }

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

// doList sends c and decodes its JSON array answer with conv
// (vendorhttp.DecodeList: exact numbers, each record's bytes when the
// caller asked for raw payloads).
func doList[W, D any](ctx context.Context, a *Adapter, c call, conv func(W, json.RawMessage) D) ([]D, error) {
	resp, err := a.do(ctx, c)
	if err != nil {
		return nil, err
	}
	return vendorhttp.DecodeList(ctx, vendor, resp, conv)
}

// doOne sends c and decodes its JSON answer of one record, with the
// answer's bytes when the caller asked for raw payloads.
func doOne[W any](ctx context.Context, a *Adapter, c call) (W, json.RawMessage, error) {
	resp, err := a.do(ctx, c)
	if err != nil {
		var zero W
		return zero, nil, err
	}
	return vendorhttp.DecodeOne[W](ctx, vendor, resp)
}
