package nxcloudtest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// object is a JSON object of a request, by member; where prefixes member
// names in messages ("" for the body, "customers[2]." for an item).
type object struct {
	where string
	m     map[string]json.RawMessage
}

// readBody reads a POST's JSON object body: the Content-Type must be
// application/json (parameters such as charset allowed) and the body one
// JSON object.
func readBody(r *http.Request) (object, error) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return object{}, invalid("Content-Type %q is not supported, use application/json", ct)
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return object{}, invalid("unreadable request body")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return object{}, invalid("request body is missing")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return object{}, invalid("request body is not a JSON object")
	}
	return object{m: m}, nil
}

// asObject reads raw as a JSON object named where (such as "customers[2]").
func asObject(raw json.RawMessage, where string) (object, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return object{}, invalid("%s must be an object", where)
	}
	return object{where: where + ".", m: m}, nil
}

// value is a member's raw JSON, and whether it is there and not null.
func (o object) value(name string) (json.RawMessage, bool) {
	raw, ok := o.m[name]
	if !ok || string(raw) == "null" {
		return nil, false
	}
	return raw, true
}

// int64 reads an integer member: a JSON number without fraction or
// exponent; a string of digits is a wrong type.
func (o object) int64(name string) (int64, bool, error) {
	raw, ok := o.value(name)
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, false, invalid("%s%s must be an integer, got %s", o.where, name, raw)
	}
	return n, true, nil
}

// string reads a string member.
func (o object) string(name string) (string, bool, error) {
	raw, ok := o.value(name)
	if !ok {
		return "", false, nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false, invalid("%s%s must be a string, got %s", o.where, name, raw)
	}
	return v, true, nil
}

// array reads an array member.
func (o object) array(name string) ([]json.RawMessage, bool, error) {
	raw, ok := o.value(name)
	if !ok {
		return nil, false, nil
	}
	var v []json.RawMessage
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false, invalid("%s%s must be an array, got %s", o.where, name, raw)
	}
	return v, true, nil
}

// checkTenant refuses a tenant_id or app_key the access key does not own.
func (s *Server) checkTenant(tenantID int64, appKey string) error {
	if tenantID != s.cfg.TenantID {
		return refuse(CodeNoPermission, "no permission: tenant_id %d does not belong to this accessKey", tenantID)
	}
	if appKey != s.cfg.AppKey {
		return refuse(CodeNoPermission, "no permission: app_key %q does not belong to this accessKey", appKey)
	}
	return nil
}

// tenant reads and checks a body's required tenant_id and app_key.
func (s *Server) tenant(o object) error {
	id, ok, err := o.int64("tenant_id")
	if err != nil {
		return err
	}
	if !ok {
		return invalid("tenant_id is required")
	}
	key, _, err := o.string("app_key")
	if err != nil {
		return err
	}
	if strings.TrimSpace(key) == "" {
		return invalid("app_key is required")
	}
	return s.checkTenant(id, key)
}

// Time formats: China Standard Time without a zone.
const (
	queryTimeLayout  = "2006-01-02 15:04:05" // start_time, end_time
	answerTimeLayout = "2006-01-02T15:04:05" // created_at, updated_at
	dateLayout       = "2006-01-02"          // birthday, date fields
)

var cst = time.FixedZone("CST", 8*60*60)

func formatTime(t time.Time) string { return t.In(cst).Format(answerTimeLayout) }

// validDate reports whether v is a real yyyy-MM-dd date.
func validDate(v string) bool {
	_, err := time.ParseInLocation(dateLayout, v, cst)
	return err == nil
}
