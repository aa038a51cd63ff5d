package linkflow

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// lfProperty is a custom field definition (GET /v2/contacts/meta/properties).
type lfProperty struct {
	ID       int64  `json:"id"`
	Label    string `json:"label"`
	Alias    string `json:"alias"`
	DataType string `json:"dataType"`
}

func (p lfProperty) domain(raw json.RawMessage) domain.FieldDef {
	return domain.FieldDef{ID: strconv.FormatInt(p.ID, 10), Key: p.Alias, Label: p.Label, Type: fieldType(p.DataType), Raw: raw}
}

// fieldType maps a property's dataType to the canonical type, whose
// values the gateway checks before a write; a dataType it does not know is
// unknown (any value is sent, and Linkflow decides). Integer types are
// numbers: the canonical types do not tell integers apart, so 1.5 for an
// integer property is left for Linkflow to refuse.
func fieldType(t string) domain.FieldType {
	switch strings.ToLower(t) {
	case "text", "string":
		return domain.FieldTypeText
	case "number", "int", "integer", "long", "double", "decimal", "float":
		return domain.FieldTypeNumber
	case "date":
		return domain.FieldTypeDate
	case "datetime", "timestamp":
		return domain.FieldTypeDateTime
	case "boolean", "bool":
		return domain.FieldTypeBoolean
	case "list":
		return domain.FieldTypeMultiSelect
	}
	return domain.FieldTypeUnknown
}

// ListFields implements domain.FieldLister. Linkflow answers every
// definition at once; the gateway pages through them. A definition's key is
// its alias (attr1, attr2 …), the key of the value in a contact's props.
func (a *Adapter) ListFields(ctx context.Context, p domain.PageRequest) (domain.Page[domain.FieldDef], error) {
	all, err := doList(ctx, a, call{method: http.MethodGet, host: guide, path: "/v2/contacts/meta/properties"}, lfProperty.domain)
	if err != nil {
		return domain.Page[domain.FieldDef]{}, err
	}
	return vendorhttp.SlicePage(all, p)
}
