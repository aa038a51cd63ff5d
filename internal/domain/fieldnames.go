package domain

import (
	"errors"
	"slices"
	"strings"
)

// A tenant may name its custom fields once and map each name to the key
// of the field at each of its vendors (CustomFieldName). The API then speaks
// the tenant's names whichever vendor the tenant is on: answers carry
// custom_fields under the names, writes take them, GET /v1/fields shows
// them as the definitions' keys. A vendor key the tenant did not map
// passes through as it is; a mapped one must be spelled by its name (one
// spelling per field), so a write that uses the vendor key is refused.
// A tenant without a mapping goes through none of this.

// CustomFieldName is one of a tenant's custom field names and the key of the
// field at each vendor that has it.
type CustomFieldName struct {
	Name string
	Keys map[Vendor]string
}

// fieldNames is a tenant's mapping at one vendor, both ways.
type fieldNames struct {
	toName map[string]string // vendor key -> tenant name
	toKey  map[string]string // tenant name -> vendor key
}

// namesByVendor builds the mapping of each vendor the names concern.
func namesByVendor(names []CustomFieldName) map[Vendor]*fieldNames {
	if len(names) == 0 {
		return nil
	}
	out := map[Vendor]*fieldNames{}
	for _, n := range names {
		for v, key := range n.Keys {
			m := out[v]
			if m == nil {
				m = &fieldNames{toName: map[string]string{}, toKey: map[string]string{}}
				out[v] = m
			}
			m.toName[key], m.toKey[n.Name] = n.Name, key
		}
	}
	return out
}

// checkFieldNames tells what is wrong with a tenant's names: a name that
// is a mapped vendor key too, or a vendor key mapped twice. (The config
// package checks the file; this guards the Service's own input.)
func checkFieldNames(names []CustomFieldName) string {
	keys := map[Vendor]map[string]string{}
	for _, n := range names {
		for v, key := range n.Keys {
			if keys[v] == nil {
				keys[v] = map[string]string{}
			}
			if other, dup := keys[v][key]; dup {
				return string(v) + " key " + quote(key) + " is mapped by " + quote(other) + " and " + quote(n.Name)
			}
			keys[v][key] = n.Name
		}
	}
	for _, n := range names {
		for v, m := range keys {
			if other, ok := m[n.Name]; ok && other != n.Name {
				return "name " + quote(n.Name) + " is the " + string(v) + " key of " + quote(other) + ": one spelling per field"
			}
		}
	}
	return ""
}

// key is the vendor key of the field the caller names k.
func (m *fieldNames) key(k string) string {
	if m != nil {
		if key, ok := m.toKey[k]; ok {
			return key
		}
	}
	return k
}

// name is the tenant's name of the vendor key k.
func (m *fieldNames) name(k string) string {
	if m != nil {
		if n, ok := m.toName[k]; ok {
			return n
		}
	}
	return k
}

// spellingErrors names each key of values that is a mapped field's
// vendor key: the caller must use the tenant's name (field is the body
// member, "body.custom_fields").
func (m *fieldNames) spellingErrors(field string, values map[string]any) []FieldError {
	if m == nil || len(values) == 0 {
		return nil
	}
	var errs []FieldError
	for _, k := range sortedKeys(values) {
		if n, ok := m.toName[k]; ok && n != k {
			errs = append(errs, FieldError{Field: field + "." + k,
				Message: "is this tenant's custom field " + quote(n) + ": write it by that name (one spelling per field)"})
		}
	}
	return errs
}

// toVendor returns values under the vendor's keys; values itself when
// nothing is mapped.
func (m *fieldNames) toVendor(values map[string]any) map[string]any {
	if m == nil {
		return values
	}
	return rekey(values, m.toKey)
}

// fromVendor returns values under the tenant's names; values itself when
// nothing is mapped.
func (m *fieldNames) fromVendor(values map[string]any) map[string]any {
	if m == nil {
		return values
	}
	return rekey(values, m.toName)
}

// rekey copies values, renaming the keys that keys renames.
func rekey(values map[string]any, keys map[string]string) map[string]any {
	if len(values) == 0 {
		return values
	}
	out := make(map[string]any, len(values))
	for k, v := range values {
		if n, ok := keys[k]; ok {
			k = n
		}
		out[k] = v
	}
	return out
}

// namedError is err with the custom fields its ValidationError names by
// vendor key (an adapter's own refusal: "body.custom_fields.4338372")
// named as the tenant names them, so a caller who wrote the name reads
// the name; err itself when nothing is renamed.
func (m *fieldNames) namedError(err error) error {
	var ve *ValidationError
	if m == nil || !errors.As(err, &ve) {
		return err
	}
	var out *ValidationError
	for i, f := range ve.Fields {
		renamed, ok := m.namedField(f.Field)
		if !ok {
			continue
		}
		if out == nil {
			out = &ValidationError{Fields: slices.Clone(ve.Fields)}
		}
		out.Fields[i].Field = renamed
	}
	if out == nil {
		return err
	}
	return out
}

// namedField renames the custom field key in a field path
// ("body.items.3.custom_fields.attr3") when it is a mapped vendor key.
func (m *fieldNames) namedField(path string) (string, bool) {
	const member = "custom_fields."
	i := strings.Index(path, member)
	if i < 0 {
		return "", false
	}
	start := i + len(member)
	end := len(path)
	if j := strings.IndexByte(path[start:], '.'); j >= 0 {
		end = start + j
	}
	name, ok := m.toName[path[start:end]]
	if !ok {
		return "", false
	}
	return path[:start] + name + path[end:], true
}
