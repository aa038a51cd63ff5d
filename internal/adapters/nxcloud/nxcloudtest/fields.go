package nxcloudtest

import (
	"net/http"
	"strconv"
	"strings"
)

// fieldView is a field definition as customers/fields answers it.
type fieldView struct {
	FieldKey  string   `json:"field_key"`
	FieldName string   `json:"field_name"`
	FieldType string   `json:"field_type"`
	IsPreset  int      `json:"is_preset"`
	Options   []string `json:"options"`
}

// listFields serves GET /saas/cdp/openapi/customers/fields: is_preset 1
// (or true) lists the preset fields, 0 (or false) the custom ones, absent
// or empty both.
func (s *Server) listFields(r *http.Request) (any, error) {
	q := r.URL.Query()
	raw := strings.TrimSpace(q.Get("tenant_id"))
	if raw == "" {
		return nil, invalid("tenant_id is required")
	}
	tenantID, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil, invalid("tenant_id must be an integer, got %q", raw)
	}
	appKey := q.Get("app_key")
	if strings.TrimSpace(appKey) == "" {
		return nil, invalid("app_key is required")
	}
	if err := s.checkTenant(tenantID, appKey); err != nil {
		return nil, err
	}
	var want *bool
	switch p := q.Get("is_preset"); p {
	case "":
	case "1", "true":
		want = ptr(true)
	case "0", "false":
		want = ptr(false)
	default:
		return nil, invalid("is_preset must be 1 or 0, got %q", p)
	}
	out := []fieldView{}
	for _, f := range s.Fields() {
		if want != nil && f.Preset != *want {
			continue
		}
		v := fieldView{FieldKey: f.Name, FieldName: f.Label, FieldType: f.Type, Options: f.Options}
		if f.Preset {
			v.IsPreset = 1
		}
		out = append(out, v)
	}
	return out, nil
}
