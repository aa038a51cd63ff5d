package meihua

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Meihua's custom property types (fieldType in writes, type in answers).
const (
	propertyText     = 1 // a single text value
	propertyDropdown = 2 // one of the property's options
)

// mhPropertyOf is a custom property as /contact/property/all answers
// it, read two ways as mhContactOf is. The docs show no options in the
// answer; subpropertys, the member the add takes them in, is read when it
// is there.
type mhPropertyOf[S ~string, N ~int64] struct {
	ID           N `json:"id"`
	Label        S `json:"label"`
	Type         N `json:"type"`
	Description  S `json:"description"`
	Subpropertys []struct {
		Label S `json:"label"`
	} `json:"subpropertys"`
}

func (p mhPropertyOf[S, N]) domain(raw json.RawMessage) domain.FieldDef {
	d := domain.FieldDef{ID: decimal(p.ID), Key: decimal(p.ID), Label: value(p.Label), Description: value(p.Description), Raw: raw}
	switch p.Type {
	case propertyText:
		d.Type = domain.FieldTypeText
	case propertyDropdown:
		d.Type = domain.FieldTypeSelect
	default:
		d.Type = domain.FieldTypeUnknown
	}
	for _, s := range p.Subpropertys {
		if label := value(s.Label); label != "" {
			d.Options = append(d.Options, label)
		}
	}
	return d
}

// propertyType is the Meihua type of a canonical field type (0 when none
// fits).
func propertyType(t domain.FieldType) int64 {
	switch t {
	case domain.FieldTypeText:
		return propertyText
	case domain.FieldTypeSelect:
		return propertyDropdown
	}
	return 0
}

// properties lists every custom property (POST /contact/property/all, a
// read sent as POST).
func (a *Adapter) properties(ctx context.Context) ([]domain.FieldDef, error) {
	return records(ctx, a, call{method: http.MethodPost, path: "/contact/property/all", idempotent: true}, "",
		mhPropertyOf[string, int64].domain, mhPropertyOf[text, num].domain)
}

// ListFields implements domain.FieldLister (POST /contact/property/all,
// answered whole). A property's key is its id ("159"): contacts carry
// their values by property id.
func (a *Adapter) ListFields(ctx context.Context, p domain.PageRequest) (domain.Page[domain.FieldDef], error) {
	all, err := a.properties(ctx)
	if err != nil {
		return domain.Page[domain.FieldDef]{}, err
	}
	return vendorhttp.SlicePage(all, p)
}

// CreateField implements domain.FieldCreator (POST /contact/property/add:
// a text property, or a dropdown with its options as subpropertys).
// Meihua requires a description and answers the add without the
// property: the adapter lists the properties before and after it and
// answers the new one of that label.
func (a *Adapter) CreateField(ctx context.Context, in domain.FieldInput) (domain.FieldDef, error) {
	typ := propertyType(in.Type)
	var verr domain.ValidationError
	if typ == 0 {
		verr.Fields = append(verr.Fields, domain.FieldError{Field: "body.type", Message: "meihua custom fields are text or select"})
	}
	if strings.TrimSpace(in.Description) == "" {
		verr.Fields = append(verr.Fields, domain.FieldError{Field: "body.description", Message: "is required by meihua"})
	}
	if len(verr.Fields) > 0 {
		return domain.FieldDef{}, &verr
	}
	labelled := func(all []domain.FieldDef) []domain.FieldDef {
		var out []domain.FieldDef
		for _, d := range all {
			if d.Label == in.Label {
				out = append(out, d)
			}
		}
		return out
	}
	all, err := a.properties(ctx)
	if err != nil {
		return domain.FieldDef{}, err
	}
	before := labelled(all)
	c := call{method: http.MethodPost, path: "/contact/property/add", query: url.Values{
		"label": {in.Label}, "fieldType": {num(typ).String()}, "description": {in.Description},
	}}
	if len(in.Options) > 0 {
		subs := make([]map[string]string, len(in.Options))
		for i, o := range in.Options {
			subs[i] = map[string]string{"label": o}
		}
		b, err := json.Marshal(subs)
		if err != nil {
			return domain.FieldDef{}, err
		}
		c.form = url.Values{"subpropertys": {string(b)}}
	}
	if _, _, err := a.data(ctx, c); err != nil {
		return domain.FieldDef{}, err
	}
	all, err = a.properties(ctx)
	if err != nil {
		return domain.FieldDef{}, err
	}
	if d, ok := newest(labelled(all), before, func(d domain.FieldDef) string { return d.ID }); ok {
		return d, nil
	}
	if len(before) > 0 {
		return domain.FieldDef{}, &domain.VendorError{Vendor: vendor, Kind: domain.VendorExists, Detail: "meihua already has a custom field with this label"}
	}
	return domain.FieldDef{}, vendorhttp.BadResponse(vendor, 0, "meihua took the new custom field but does not list it")
}
