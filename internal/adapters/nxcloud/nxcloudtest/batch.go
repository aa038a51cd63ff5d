package nxcloudtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The batch_create types.
const (
	BatchReplace = 0 // a matched customer takes exactly the given values
	BatchMerge   = 1 // a matched customer takes the given non-empty values
	BatchKeep    = 2 // a matched customer is left as it is
)

const maxBatch = 100

// writeText is a text member of a batch_create customer.
type writeText struct {
	key   string
	field func(*Customer) *string
	check func(string) bool // nil: any text
	want  string            // what check wants, for messages
}

var (
	phoneCheck = func(v string) bool {
		return len(v) >= 5 && len(v) <= 20 && strings.Trim(v, "0123456789") == ""
	}
	emailCheck = func(v string) bool {
		local, domain, ok := strings.Cut(v, "@")
		return ok && local != "" && domain != "" && !strings.ContainsAny(domain, "@ ") && !strings.Contains(local, " ")
	}
	phoneWant = "5 to 20 digits with the country code, no + or spaces"
)

// writeTexts are the text members of a batch_create customer: the write
// spelling whats_app_phone, not the whatsApp_phone of answers.
var writeTexts = []writeText{
	{"first_name", func(c *Customer) *string { return &c.FirstName }, nil, ""},
	{"last_name", func(c *Customer) *string { return &c.LastName }, nil, ""},
	{"full_name", func(c *Customer) *string { return &c.FullName }, nil, ""},
	{"sms_phone", func(c *Customer) *string { return &c.SMSPhone }, phoneCheck, phoneWant},
	{"whats_app_phone", func(c *Customer) *string { return &c.WhatsAppPhone }, phoneCheck, phoneWant},
	{"viber_phone", func(c *Customer) *string { return &c.ViberPhone }, phoneCheck, phoneWant},
	{"email", func(c *Customer) *string { return &c.Email }, emailCheck, "an email address"},
	{"country", func(c *Customer) *string { return &c.Country }, nil, ""},
	{"address", func(c *Customer) *string { return &c.Address }, nil, ""},
	{"birthday", func(c *Customer) *string { return &c.Birthday }, validDate, "yyyy-MM-dd"},
	{"remark", func(c *Customer) *string { return &c.Remark }, nil, ""},
	{"time_zone", func(c *Customer) *string { return &c.TimeZone }, nil, ""},
}

// matchKeys are the members an incoming customer is matched on, in order.
var matchKeys = []string{"whats_app_phone", "sms_phone", "viber_phone", "email"}

// incoming is one checked customer of a batch_create call: only the
// values it gave, "" and null being no value.
type incoming struct {
	text   map[string]string
	gender *int
	tags   []string // names, trimmed, without repeats
	custom map[string]any
}

type batchAnswer struct {
	Total       int     `json:"total"`
	Created     int     `json:"created"`
	Updated     int     `json:"updated"`
	Skipped     int     `json:"skipped"`
	CustomerIDs []int64 `json:"customer_ids"`
}

// batchCreate serves POST /saas/cdp/openapi/customers/batch_create. The
// whole call is checked before anything is written: a refusal writes
// nothing.
func (s *Server) batchCreate(r *http.Request) (any, error) {
	o, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if err := s.tenant(o); err != nil {
		return nil, err
	}
	typ, ok, err := o.int64("type")
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, invalid("type is required")
	case typ != BatchReplace && typ != BatchMerge && typ != BatchKeep:
		return nil, invalid("type must be 0, 1 or 2, got %d", typ)
	}
	raws, _, err := o.array("customers")
	switch {
	case err != nil:
		return nil, err
	case len(raws) == 0:
		return nil, invalid("customers is required")
	case len(raws) > maxBatch:
		return nil, invalid("at most %d customers per call, got %d", maxBatch, len(raws))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := make([]incoming, len(raws))
	for i, raw := range raws {
		if items[i], err = s.parseIncomingLocked(raw, i); err != nil {
			return nil, err
		}
	}
	now := s.now().Truncate(time.Second)
	out := batchAnswer{Total: len(items), CustomerIDs: make([]int64, len(items))}
	for i, it := range items {
		c := s.matchLocked(it)
		switch {
		case c == nil:
			c = &Customer{ID: s.newID(), SourceType: SourceAPI, Status: 1, WhatsAppSubscribe: "1", SMSSubscribe: "1",
				CreatedAt: now, UpdatedAt: now}
			s.replaceLocked(c, it)
			s.putLocked(c)
			out.Created++
		case typ == BatchKeep:
			out.Skipped++
		default:
			if typ == BatchReplace {
				s.replaceLocked(c, it)
			} else {
				s.mergeLocked(c, it)
			}
			c.UpdatedAt = now
			out.Updated++
		}
		out.CustomerIDs[i] = c.ID
	}
	return out, nil
}

// parseIncomingLocked checks one customer of the call.
func (s *Server) parseIncomingLocked(raw json.RawMessage, i int) (incoming, error) {
	o, err := asObject(raw, "customers["+strconv.Itoa(i)+"]")
	if err != nil {
		return incoming{}, err
	}
	it := incoming{text: map[string]string{}}
	for _, f := range writeTexts {
		v, _, err := o.string(f.key)
		if err != nil {
			return incoming{}, err
		}
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		if f.check != nil && !f.check(v) {
			return incoming{}, invalid("%s%s must be %s, got %q", o.where, f.key, f.want, v)
		}
		it.text[f.key] = v
	}
	if !slices.ContainsFunc(matchKeys, func(k string) bool { return it.text[k] != "" }) {
		return incoming{}, invalid("%s needs at least one of %s", o.where[:len(o.where)-1], strings.Join(matchKeys, ", "))
	}
	if g, ok, err := o.int64("gender"); err != nil {
		return incoming{}, err
	} else if ok {
		if g != 0 && g != 1 {
			return incoming{}, invalid("%sgender must be 1 (male) or 0 (female), got %d", o.where, g)
		}
		it.gender = ptr(int(g))
	}
	tagStr, _, err := o.string("tagStr")
	if err != nil {
		return incoming{}, err
	}
	for name := range strings.SplitSeq(tagStr, ",") {
		if name = strings.TrimSpace(name); name != "" && !slices.Contains(it.tags, name) {
			it.tags = append(it.tags, name)
		}
	}
	if it.custom, err = s.parseCustomLocked(o); err != nil {
		return incoming{}, err
	}
	return it, nil
}

// parseCustomLocked checks customize_field: a string holding a JSON object
// whose members are custom fields, each value of its field's type (see
// checkCustomValue). Null, "" and [] values are no value.
func (s *Server) parseCustomLocked(o object) (map[string]any, error) {
	str, _, err := o.string("customize_field")
	if err != nil || strings.TrimSpace(str) == "" {
		return nil, err
	}
	where := o.where + "customize_field"
	values, err := decodeCustom([]byte(str))
	if err != nil || values == nil {
		return nil, invalid("%s must hold a JSON object", where)
	}
	out := map[string]any{}
	for _, name := range sortedKeys(values) {
		f := s.fieldLocked(name)
		if f == nil || f.Preset {
			return nil, invalid("%s: unknown custom field %s", where, name)
		}
		v := values[name]
		if err := checkCustomValue(f, v); err != nil {
			return nil, invalid("%s: %s %v", where, name, err)
		}
		if !emptyValue(v) {
			out[name] = v
		}
	}
	return out, nil
}

type valueError string

func (e valueError) Error() string { return string(e) }

// checkCustomValue checks a custom value against its field's type: text a
// string; number a JSON number; date a yyyy-MM-dd string; select an array
// of at most one of the options; multi_select an array of options.
func checkCustomValue(f *Field, v any) error {
	if v == nil {
		return nil
	}
	switch f.Type {
	case FieldText:
		if _, ok := v.(string); !ok {
			return valueError("must be a string")
		}
	case FieldNumber:
		if _, ok := v.(json.Number); !ok {
			return valueError("must be a number")
		}
	case FieldDate:
		if d, ok := v.(string); !ok || (d != "" && !validDate(d)) {
			return valueError("must be a yyyy-MM-dd string")
		}
	case FieldSelect, FieldMultiSelect:
		list, ok := v.([]any)
		if !ok {
			return valueError("must be an array of options")
		}
		if f.Type == FieldSelect && len(list) > 1 {
			return valueError("takes one option at most")
		}
		for _, e := range list {
			if o, ok := e.(string); !ok || !slices.Contains(f.Options, o) {
				return valueError("has a value that is not an option: " + strings.Join(f.Options, ", "))
			}
		}
	}
	return nil
}

func emptyValue(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	}
	return false
}

// matchLocked is the customer an incoming one matches: for the first of
// whats_app_phone, sms_phone, viber_phone and email that it gives and a
// stored customer has (email without regard to case), the oldest such
// customer.
func (s *Server) matchLocked(it incoming) *Customer {
	for _, key := range matchKeys {
		v := it.text[key]
		if v == "" {
			continue
		}
		f := writeTextByKey(key)
		for _, id := range s.ids {
			c := s.customers[id]
			if have := *f.field(c); have == v || (key == "email" && strings.EqualFold(have, v)) {
				return c
			}
		}
	}
	return nil
}

func writeTextByKey(key string) writeText {
	i := slices.IndexFunc(writeTexts, func(f writeText) bool { return f.key == key })
	return writeTexts[i]
}

// replaceLocked gives c exactly the incoming values: the write fields it
// lacks are cleared, its tags replace c's (those lost go to c's history)
// and its custom values replace c's.
func (s *Server) replaceLocked(c *Customer, it incoming) {
	for _, f := range writeTexts {
		*f.field(c) = it.text[f.key]
	}
	c.Gender = it.gender
	tags := s.tagIDsLocked(it.tags)
	for _, id := range c.TagIDs {
		if !slices.Contains(tags, id) {
			c.HisTagIDs = insertSorted(c.HisTagIDs, id)
		}
	}
	c.TagIDs = nil
	s.addTagsLocked(c, tags)
	c.Custom = cloneCustom(it.custom)
	if len(c.Custom) == 0 {
		c.Custom = nil
	}
}

// mergeLocked writes the incoming values onto c and keeps the rest: tags
// are added, custom values set by field.
func (s *Server) mergeLocked(c *Customer, it incoming) {
	for key, v := range it.text {
		*writeTextByKey(key).field(c) = v
	}
	if it.gender != nil {
		c.Gender = ptr(*it.gender)
	}
	s.addTagsLocked(c, s.tagIDsLocked(it.tags))
	for name, v := range it.custom {
		if c.Custom == nil {
			c.Custom = map[string]any{}
		}
		c.Custom[name] = cloneJSON(v)
	}
}

// tagIDsLocked resolves tag names, creating the tags no tag has the name
// of.
func (s *Server) tagIDsLocked(names []string) []int64 {
	ids := make([]int64, 0, len(names))
	for _, name := range names {
		t := s.tagByNameLocked(name)
		if t == nil {
			t = s.addTagLocked(name, 0, "")
		}
		ids = append(ids, t.ID)
	}
	return ids
}

// addTagsLocked gives c the tags; a tag regained leaves its history.
func (s *Server) addTagsLocked(c *Customer, ids []int64) {
	for _, id := range ids {
		c.TagIDs = insertSorted(c.TagIDs, id)
		c.HisTagIDs = slices.DeleteFunc(c.HisTagIDs, func(h int64) bool { return h == id })
	}
	if len(c.HisTagIDs) == 0 {
		c.HisTagIDs = nil
	}
}
