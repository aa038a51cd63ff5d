package nxcloudtest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"time"
)

// Source types (source_type) the vendor documents, by number; the names
// are the simulator's English paraphrases.
const (
	SourceUnknown     = 0
	SourceManual      = 1
	SourceExcelImport = 2
	SourceCustomer    = 3 // the customer wrote first
	SourceSMSCampaign = 4
	SourceVoiceBlast  = 5
	SourceAPI         = 6 // third-party API: customers created by batch_create
	SourceCallbot     = 7
	SourceCallCenter  = 8
	SourceEmail       = 9
	SourceForm        = 10
	SourceCustomer2   = 11 // documented with the same meaning as 3
	SourceViber       = 12
	SourceMessenger   = 13
	SourceInstagram   = 14
	SourceLine        = 15
	maxSourceType     = SourceLine
)

// Customer is a stored customer. Empty strings (and a nil Gender) are
// answered as null; Address and TimeZone are kept (batch_create writes
// them) but customers/query does not answer them.
type Customer struct {
	ID                                  int64
	FirstName, LastName, FullName       string
	SMSPhone, WhatsAppPhone, ViberPhone string
	Line, Messenger, Instagram, Email   string
	Country, Address                    string
	Birthday                            string // yyyy-MM-dd or ""
	Remark, TimeZone                    string
	Gender                              *int // 1 male, 0 female, nil unknown
	SourceType                          int  // see SourceUnknown and the others
	SourceChannelKey                    string
	Status                              int    // 1 enabled, 0 disabled
	WhatsAppSubscribe, SMSSubscribe     string // "1", "0" or ""
	// Custom holds custom field values by field name (customize_N_M), as
	// encoding/json decodes them with UseNumber: string, json.Number,
	// bool, []any, map[string]any.
	Custom    map[string]any
	TagIDs    []int64 // the tags it has, ascending
	HisTagIDs []int64 // tags it had and lost, ascending
	Weight    int64   // the customer level
	// CreatedAt and UpdatedAt are kept to the second.
	CreatedAt, UpdatedAt time.Time
}

func (c *Customer) clone() Customer {
	out := *c
	if c.Gender != nil {
		out.Gender = ptr(*c.Gender)
	}
	out.Custom = cloneCustom(c.Custom)
	out.TagIDs = slices.Clone(c.TagIDs)
	out.HisTagIDs = slices.Clone(c.HisTagIDs)
	return out
}

// Tag is a customer tag. GroupID 0 is no group.
type Tag struct {
	ID        int64
	Name      string
	GroupID   int64
	GroupName string
	Note      string
	CreatedAt time.Time
}

// The field types. Preset fields are text, phone, email, date or select;
// custom fields text, number, date, select or multi_select.
const (
	FieldText        = "text"
	FieldPhone       = "phone"
	FieldEmail       = "email"
	FieldNumber      = "number"
	FieldDate        = "date" // yyyy-MM-dd
	FieldSelect      = "select"
	FieldMultiSelect = "multi_select"
)

// Field is a customer field definition. Custom fields are named
// customize_N_M; preset ones by the key customers/query answers them
// under (address and time_zone, which it does not answer, by their
// batch_create key). Options are the values a select or multi_select
// field takes: a custom value of such a field is a JSON array of them.
type Field struct {
	Name, Label string
	Type        string
	Preset      bool
	Options     []string
}

var customName = regexp.MustCompile(`^customize_[0-9]+_[0-9]+$`)

func presetFields() []Field {
	f := func(name, label, typ string, options ...string) Field {
		return Field{Name: name, Label: label, Type: typ, Preset: true, Options: options}
	}
	return []Field{
		f("first_name", "名", FieldText),
		f("last_name", "姓", FieldText),
		f("full_name", "姓名", FieldText),
		f("sms_phone", "短信手机号", FieldPhone),
		f("whatsApp_phone", "WhatsApp手机号", FieldPhone),
		f("viber_phone", "Viber手机号", FieldPhone),
		f("line", "Line", FieldText),
		f("messenger", "Messenger", FieldText),
		f("instagram", "Instagram", FieldText),
		f("email", "邮箱", FieldEmail),
		f("country", "国家", FieldText),
		f("address", "地址", FieldText),
		f("birthday", "生日", FieldDate),
		f("gender", "性别", FieldSelect, "0", "1"),
		f("remark", "备注", FieldText),
		f("time_zone", "时区", FieldText),
	}
}

// Seeding helpers bypass the API's checks. They panic on a reference to a
// tag or field that does not exist, or on a field that cannot be, a
// programming error in the test.

// AddCustomer stores c and returns its id: c.ID (replacing a stored
// customer with that id), or the next id when it is 0. Zero CreatedAt takes the clock
// and zero UpdatedAt the CreatedAt; both are kept to the second. Every key
// of c.Custom must be a custom field's name and every tag must exist.
func (s *Server) AddCustomer(c Customer) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c = c.clone()
	c.Custom = s.mustCustom(c.Custom)
	for _, id := range slices.Concat(c.TagIDs, c.HisTagIDs) {
		if _, ok := s.tags[id]; !ok {
			panic(fmt.Sprintf("nxcloudtest: tag %d does not exist", id))
		}
	}
	slices.Sort(c.TagIDs)
	c.TagIDs = slices.Compact(c.TagIDs)
	slices.Sort(c.HisTagIDs)
	c.HisTagIDs = slices.Compact(c.HisTagIDs)
	if c.ID <= 0 {
		c.ID = s.newID()
	}
	s.lastID = max(s.lastID, c.ID)
	c.CreatedAt = cmp.Or(c.CreatedAt, s.now()).Truncate(time.Second)
	c.UpdatedAt = cmp.Or(c.UpdatedAt, c.CreatedAt).Truncate(time.Second)
	s.putLocked(&c)
	return c.ID
}

// Customer returns a copy of a stored customer.
func (s *Server) Customer(id int64) (Customer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[id]
	if !ok {
		return Customer{}, false
	}
	return c.clone(), true
}

// Customers returns copies of every customer in the order customers/query
// lists them: newest (highest id) first.
func (s *Server) Customers() []Customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Customer, 0, len(s.ids))
	for _, id := range slices.Backward(s.ids) {
		out = append(out, s.customers[id].clone())
	}
	return out
}

// AddTag returns the id of the tag with this name, created without a group
// when no tag has it: tag names are unique, since batch_create names tags.
func (s *Server) AddTag(name string) int64 {
	return s.AddTagInGroup(name, 0, "")
}

// AddTagInGroup is [Server.AddTag] for a tag in a tag group; a tag that
// exists keeps its group.
func (s *Server) AddTagInGroup(name string, groupID int64, groupName string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tagByNameLocked(name); t != nil {
		return t.ID
	}
	return s.addTagLocked(name, groupID, groupName).ID
}

// TagCustomer gives customers a tag (the API has no call that does this,
// besides batch_create's tagStr).
func (s *Server) TagCustomer(tagID int64, customerIDs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tags[tagID]; !ok {
		panic(fmt.Sprintf("nxcloudtest: tag %d does not exist", tagID))
	}
	for _, id := range customerIDs {
		c, ok := s.customers[id]
		if !ok {
			panic(fmt.Sprintf("nxcloudtest: customer %d does not exist", id))
		}
		c.TagIDs = insertSorted(c.TagIDs, tagID)
	}
}

// Tags returns copies of every tag, by id.
func (s *Server) Tags() []Tag {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Tag, 0, len(s.tagOrder))
	for _, id := range s.tagOrder {
		out = append(out, *s.tags[id])
	}
	return out
}

// AddField adds a field definition after the others. A custom field
// (Preset false) is named customize_N_M and has a custom type; options
// belong to select and multi_select fields only; names are unique.
func (s *Server) AddField(f Field) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fieldLocked(f.Name) != nil {
		panic(fmt.Sprintf("nxcloudtest: field %s exists", f.Name))
	}
	choice := f.Type == FieldSelect || f.Type == FieldMultiSelect
	switch {
	case !f.Preset && !customName.MatchString(f.Name):
		panic(fmt.Sprintf("nxcloudtest: custom field name %q is not customize_N_M", f.Name))
	case f.Preset && customName.MatchString(f.Name):
		panic(fmt.Sprintf("nxcloudtest: preset field named %q like a custom one", f.Name))
	case !f.Preset && !slices.Contains([]string{FieldText, FieldNumber, FieldDate, FieldSelect, FieldMultiSelect}, f.Type):
		panic(fmt.Sprintf("nxcloudtest: custom field type %q", f.Type))
	case choice && len(f.Options) == 0, !choice && len(f.Options) > 0:
		panic(fmt.Sprintf("nxcloudtest: field %s of type %s with options %v", f.Name, f.Type, f.Options))
	}
	f.Options = slices.Clone(f.Options)
	s.fields = append(s.fields, f)
}

// Fields returns copies of the field definitions: the preset ones, then
// those added, in order.
func (s *Server) Fields() []Field {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Field, len(s.fields))
	for i, f := range s.fields {
		f.Options = slices.Clone(f.Options)
		out[i] = f
	}
	return out
}

// ---- internal bookkeeping (callers hold s.mu) ----

func (s *Server) newID() int64 {
	s.lastID++
	return s.lastID
}

// putLocked stores c, new or replacing the customer with its id.
func (s *Server) putLocked(c *Customer) {
	if _, ok := s.customers[c.ID]; !ok {
		s.ids = insertSorted(s.ids, c.ID)
	}
	s.customers[c.ID] = c
}

func (s *Server) addTagLocked(name string, groupID int64, groupName string) *Tag {
	s.lastTagID++
	t := &Tag{ID: s.lastTagID, Name: name, GroupID: groupID, GroupName: groupName, CreatedAt: s.now().Truncate(time.Second)}
	s.tags[t.ID] = t
	s.tagOrder = append(s.tagOrder, t.ID)
	return t
}

func (s *Server) tagByNameLocked(name string) *Tag {
	for _, id := range s.tagOrder {
		if s.tags[id].Name == name {
			return s.tags[id]
		}
	}
	return nil
}

func (s *Server) fieldLocked(name string) *Field {
	for i := range s.fields {
		if s.fields[i].Name == name {
			return &s.fields[i]
		}
	}
	return nil
}

// mustCustom checks a seeded customer's custom values name custom fields
// and returns them as the API would store them.
func (s *Server) mustCustom(custom map[string]any) map[string]any {
	if len(custom) == 0 {
		return nil
	}
	for name := range custom {
		if f := s.fieldLocked(name); f == nil || f.Preset {
			panic(fmt.Sprintf("nxcloudtest: %s is not a custom field", name))
		}
	}
	b, err := json.Marshal(custom)
	if err != nil {
		panic(fmt.Sprintf("nxcloudtest: custom values: %v", err))
	}
	out, err := decodeCustom(b)
	if err != nil {
		panic(fmt.Sprintf("nxcloudtest: custom values: %v", err))
	}
	return out
}

// decodeCustom decodes a JSON object of custom values, numbers as
// json.Number.
func decodeCustom(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the JSON object")
	}
	return out, nil
}

func cloneCustom(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneJSON(v)
	}
	return out
}

func cloneJSON(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneJSON(e)
		}
		return out
	case map[string]any:
		return cloneCustom(v)
	}
	return v
}

func insertSorted(ids []int64, id int64) []int64 {
	i, found := slices.BinarySearch(ids, id)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
