package nxcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// ListFields implements domain.FieldLister
// (GET /customers/fields?tenant_id=&app_key=&is_preset=0, answered
// whole): the account's custom fields, named customize_N_M, which are the
// keys of their values in customize_field and so of Contact.CustomFields.
// The answer's shape is not documented; see readFields.
func (a *Adapter) ListFields(ctx context.Context, p domain.PageRequest) (domain.Page[domain.FieldDef], error) {
	q := url.Values{"tenant_id": {strconv.FormatInt(a.tenant, 10)}, "app_key": {a.appKey}, "is_preset": {"0"}}
	data, resp, err := result[json.RawMessage](ctx, a, call{method: http.MethodGet, path: pathFields, query: q})
	if err != nil {
		return domain.Page[domain.FieldDef]{}, err
	}
	all, err := readFields(data, domain.WantRaw(ctx))
	if err != nil {
		return domain.Page[domain.FieldDef]{}, badAnswer(resp, "nxcloud answered a field list the gateway cannot read", err)
	}
	return vendorhttp.SlicePage(all, p)
}

// readFields reads the field definitions of a /customers/fields answer.
// The docs name the parameters and the custom fields' names but show no
// answer, so the list is data itself or the first array under a usual
// member name (list, fields, records, customer_fields, field_list,
// data), and a field's name is the first of its members field_key, key,
// field, field_name, column, name, code that has the customize_N_M shape.
// Fields without such a name (preset ones) are left out.
func readFields(data json.RawMessage, keepRaw bool) ([]domain.FieldDef, error) {
	list := data
	if t := bytes.TrimSpace(data); len(t) == 0 || string(t) == "null" {
		return []domain.FieldDef{}, nil
	}
	if bytes.TrimSpace(data)[0] == '{' {
		var obj map[string]json.RawMessage
		if err := vendorhttp.Unmarshal(data, &obj); err != nil {
			return nil, err
		}
		list = nil
		for _, k := range []string{"list", "fields", "records", "customer_fields", "field_list", "data"} {
			if v := bytes.TrimSpace(obj[k]); len(v) > 0 && v[0] == '[' {
				list = v
				break
			}
		}
		if list == nil {
			return []domain.FieldDef{}, nil
		}
	}
	var raws []json.RawMessage
	if err := vendorhttp.Unmarshal(list, &raws); err != nil {
		return nil, err
	}
	out := make([]domain.FieldDef, 0, len(raws))
	for _, raw := range raws {
		var rec map[string]json.RawMessage
		if err := vendorhttp.Unmarshal(raw, &rec); err != nil {
			return nil, err
		}
		d, ok := fieldDef(rec)
		if !ok {
			continue
		}
		if keepRaw {
			d.Raw = raw
		}
		out = append(out, d)
	}
	return out, nil
}

// fieldDef reads one field definition; false when it has no custom
// field name.
func fieldDef(rec map[string]json.RawMessage) (domain.FieldDef, bool) {
	str := func(keys ...string) string {
		for _, k := range keys {
			var t text
			if json.Unmarshal(rec[k], &t) == nil && strings.TrimSpace(string(t)) != "" {
				return strings.TrimSpace(string(t))
			}
		}
		return ""
	}
	key := ""
	for _, k := range []string{"field_key", "key", "field", "field_name", "column", "name", "code"} {
		if s := str(k); customKey.MatchString(s) {
			key = s
			break
		}
	}
	if key == "" {
		return domain.FieldDef{}, false
	}
	d := domain.FieldDef{ID: key, Key: key, Description: str("description", "remark", "note")}
	for _, k := range []string{"label", "field_label", "title", "display_name", "show_name", "field_name", "name"} {
		if s := str(k); s != "" && s != key {
			d.Label = s
			break
		}
	}
	if d.Label == "" {
		d.Label = key
	}
	d.Type = fieldType(str("type", "field_type", "data_type", "value_type"))
	d.Options = fieldOptions(rec)
	return d, true
}

// fieldType maps a field type's name to the canonical type whose values
// it takes; anything not recognised is unknown (unchecked), never a
// stricter type.
func fieldType(s string) domain.FieldType {
	switch strings.ToLower(s) {
	case "text", "string", "input", "textarea":
		return domain.FieldTypeText
	case "number", "int", "integer", "long", "decimal", "float", "double", "numeric":
		return domain.FieldTypeNumber
	case "date":
		return domain.FieldTypeDate
	case "datetime", "date_time", "timestamp":
		return domain.FieldTypeDateTime
	case "bool", "boolean":
		return domain.FieldTypeBoolean
	case "multiselect", "multi_select", "checkbox":
		return domain.FieldTypeMultiSelect
	}
	return domain.FieldTypeUnknown
}

// fieldOptions reads a field's options from options, option_list or
// values: strings, or objects whose value (else id, key, label, name) is
// what a customer's value holds. The docs' one sample value ("1" in an
// array) looks like an option's value rather than its label.
func fieldOptions(rec map[string]json.RawMessage) []string {
	for _, k := range []string{"options", "option_list", "values"} {
		var items []json.RawMessage
		if vendorhttp.Unmarshal(rec[k], &items) != nil {
			continue
		}
		var out []string
		for _, it := range items {
			var s text
			if json.Unmarshal(it, &s) == nil && s != "" {
				out = append(out, string(s))
				continue
			}
			var o map[string]text
			if json.Unmarshal(it, &o) == nil {
				for _, n := range []string{"value", "id", "key", "label", "name"} {
					if o[n] != "" {
						out = append(out, string(o[n]))
						break
					}
				}
			}
		}
		return out
	}
	return nil
}
