package meihuatest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	blank        = " "     // how the vendor stores and answers an empty text field
	sourceAPI    = "API导入" // the source of contacts added through the API
	apiUsername  = "api"   // who the contact history says acted
	opOverwrite  = "1"
	opMerge      = "2"
	opInsertOnly = "3"
)

type fieldKind int

const (
	textField fieldKind = iota
	genderField
	birthdayField
)

// systemField is a built-in contact field, in the order /contact/setting
// lists them.
type systemField struct {
	field       string // its name in /contact/setting and /contact/edit
	addKey      string // its key in /contact/add and in answers
	name        string // its display name
	showInQuery bool
	kind        fieldKind
	text        func(*Contact) *string // for text fields
}

var systemFields = []systemField{
	{"fullName", "fullName", "姓名", true, textField, func(c *Contact) *string { return &c.FullName }},
	{"gender", "gender", "性别", false, genderField, nil},
	{"birthday", "birthday", "生日", false, birthdayField, nil},
	{"companyName", "companyName", "公司", true, textField, func(c *Contact) *string { return &c.CompanyName }},
	{"jobTitle", "jobTitle", "职位", false, textField, func(c *Contact) *string { return &c.JobTitle }},
	{"email", "email", "邮箱", true, textField, func(c *Contact) *string { return &c.Email }},
	{"workPhone", "workPhone", "电话", false, textField, func(c *Contact) *string { return &c.WorkPhone }},
	{"mobilePhone", "mobilePhone", "手机", true, textField, func(c *Contact) *string { return &c.MobilePhone }},
	{"website", "website", "网址", false, textField, func(c *Contact) *string { return &c.Website }},
	{"fax", "fax", "传真", false, textField, func(c *Contact) *string { return &c.Fax }},
	{"country", "country", "国家", false, textField, func(c *Contact) *string { return &c.Country }},
	{"province", "province_zh", "省份", false, textField, func(c *Contact) *string { return &c.ProvinceZh }},
	{"city", "city_zh", "城市", false, textField, func(c *Contact) *string { return &c.CityZh }},
	{"address", "address", "地址", false, textField, func(c *Contact) *string { return &c.Address }},
	{"postCode", "postCode", "邮编", false, textField, func(c *Contact) *string { return &c.PostCode }},
	{"qQ", "qQ", "QQ", false, textField, func(c *Contact) *string { return &c.QQ }},
	{"weibo", "weibo", "微博", false, textField, func(c *Contact) *string { return &c.Weibo }},
	{"weixin", "weixin", "微信", false, textField, func(c *Contact) *string { return &c.Weixin }},
	{"notes", "notes", "备注", false, textField, func(c *Contact) *string { return &c.Notes }},
}

var (
	fieldsByName = map[string]*systemField{}
	fieldsByKey  = map[string]*systemField{}
)

func init() {
	for i := range systemFields {
		f := &systemFields[i]
		fieldsByName[f.field] = f
		fieldsByKey[f.addKey] = f
	}
}

func isBlank(v string) bool { return strings.TrimSpace(v) == "" }

// orBlank is v, or the vendor's blank when v has no value.
func orBlank(v string) string {
	if isBlank(v) {
		return blank
	}
	return v
}

// ---- /contact/setting ----

type settingField struct {
	Field         string `json:"field"`
	Name          string `json:"name"`
	IsOrigin      bool   `json:"isOrigin"`
	IsShowInQuery bool   `json:"isShowInQuery"`
	Orderby       int    `json:"orderby"`
	Type          int    `json:"type"`
}

type settingData struct {
	ID      int64          `json:"id"`
	Setting []settingField `json:"setting"`
}

// contactSetting serves GET /contact/setting: the system fields, then the
// custom properties by id.
func (s *Server) contactSetting(params) (any, error) {
	out := settingData{ID: s.cfg.AccountID, Setting: []settingField{}}
	for _, f := range systemFields {
		out.Setting = append(out.Setting, settingField{Field: f.field, Name: f.name, IsOrigin: true,
			IsShowInQuery: f.showInQuery, Orderby: len(out.Setting) + 1, Type: propertyText})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range sortedKeys(s.props) {
		p := s.props[id]
		out.Setting = append(out.Setting, settingField{Field: strconv.FormatInt(id, 10), Name: p.Label,
			Orderby: len(out.Setting) + 1, Type: p.FieldType})
	}
	return out, nil
}

// ---- /contact/add ----

// addItem is one contact of a /contact/add call, with only the keys it
// had.
type addItem struct {
	text        map[string]string // by system field name
	gender      *bool
	birthday    int64
	props       map[int64]string
	hasProps    bool
	propsListed []int64 // ids in the order given, to check they exist
}

func decodeRaw(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	return dec.Decode(v)
}

// parseAddItem reads one contact object; keys the docs do not list are
// ignored.
func parseAddItem(i int, obj map[string]json.RawMessage) (addItem, error) {
	if obj == nil {
		return addItem{}, invalid("contacts[%d] is not an object", i)
	}
	it := addItem{text: map[string]string{}}
	for key, raw := range obj {
		if key == "propertys" {
			if err := it.parseProps(i, raw); err != nil {
				return addItem{}, err
			}
			continue
		}
		f, ok := fieldsByKey[key]
		if !ok {
			continue
		}
		var err error
		switch f.kind {
		case textField:
			var v *string
			if err = decodeRaw(raw, &v); err == nil && v != nil {
				it.text[f.field] = *v
			}
		case genderField:
			err = decodeRaw(raw, &it.gender)
		case birthdayField:
			var v any
			if err = decodeRaw(raw, &v); err == nil && v != nil {
				var ok bool
				if it.birthday, ok = integer(v); !ok {
					err = fmt.Errorf("not an integer")
				}
			}
		}
		if err != nil {
			return addItem{}, invalid("contacts[%d].%s: %v", i, key, err)
		}
	}
	return it, nil
}

func (it *addItem) parseProps(i int, raw json.RawMessage) error {
	var list []map[string]any
	if err := decodeRaw(raw, &list); err != nil {
		return invalid("contacts[%d].propertys: %v", i, err)
	}
	it.hasProps = true
	it.props = map[int64]string{}
	for j, p := range list {
		id, ok := integer(p["propertyId"])
		if !ok {
			return invalid("contacts[%d].propertys[%d].propertyId is not an integer", i, j)
		}
		label, ok := p["label"].(string)
		if !ok && p["label"] != nil {
			return invalid("contacts[%d].propertys[%d].label is not a string", i, j)
		}
		it.props[id] = label
		it.propsListed = append(it.propsListed, id)
	}
	return nil
}

// overwrite gives c exactly the item's values: what it lacks becomes blank.
func (it *addItem) overwrite(c *Contact) {
	for _, f := range systemFields {
		if f.kind == textField {
			*f.text(c) = orBlank(it.text[f.field])
		}
	}
	c.Gender = it.gender
	c.Birthday = it.birthday
	c.Properties = map[int64]string{}
	for id, v := range it.props {
		if !isBlank(v) {
			c.Properties[id] = v
		}
	}
}

// merge writes the item's non-blank values onto c and keeps the rest.
func (it *addItem) merge(c *Contact) {
	for field, v := range it.text {
		if !isBlank(v) {
			*fieldsByName[field].text(c) = v
		}
	}
	if it.gender != nil {
		c.Gender = it.gender
	}
	if it.birthday != 0 {
		c.Birthday = it.birthday
	}
	for id, v := range it.props {
		if !isBlank(v) {
			if c.Properties == nil {
				c.Properties = map[int64]string{}
			}
			c.Properties[id] = v
		}
	}
}

type addResult struct {
	GroupID any `json:"groupId"` // the number, or the string "null"
}

// addContacts serves POST /contact/add. The whole call is checked before
// anything is stored: a refusal stores nothing.
func (s *Server) addContacts(p params) (any, error) {
	var objs []map[string]json.RawMessage
	if err := p.jsonParam("contacts", &objs); err != nil {
		return nil, err
	}
	opType, err := p.required("opType")
	if err != nil {
		return nil, err
	}
	if opType != opOverwrite && opType != opMerge && opType != opInsertOnly {
		return nil, invalid("opType must be 1, 2 or 3, got %q", opType)
	}
	if len(objs) == 0 {
		return nil, invalid("contacts is an empty array")
	}
	if len(objs) > maxContactsPerAdd {
		return nil, vendorError(CodeTooManyContacts, "%d contacts in one call", len(objs))
	}
	items := make([]addItem, len(objs))
	for i, obj := range objs {
		if items[i], err = parseAddItem(i, obj); err != nil {
			return nil, err
		}
	}
	groupName := p.optional("groupName")

	s.mu.Lock()
	defer s.mu.Unlock()
	for i, it := range items {
		for _, id := range it.propsListed {
			if _, ok := s.props[id]; !ok {
				return nil, invalid("contacts[%d]: unknown propertyId %d", i, id)
			}
		}
	}
	if err := s.checkCap(items); err != nil {
		return nil, err
	}
	now := s.nowMillis()
	named := make([]int64, 0, len(items))
	for _, it := range items {
		c := s.byEmailLocked(it.text["email"])
		switch {
		case c == nil:
			c = &Contact{ID: s.newID(), CreateTime: now, UpdateTime: now, Source: sourceAPI}
			s.sourceID(sourceAPI)
			it.overwrite(c)
			s.contacts[c.ID] = c
			s.index(c)
			s.logOp(c, "通过API导入了联系人")
		case opType == opInsertOnly:
		default:
			s.unindex(c)
			if opType == opOverwrite {
				it.overwrite(c)
			} else {
				it.merge(c)
			}
			s.index(c)
			c.UpdateTime = now
			s.logOp(c, "通过API更新了联系人")
		}
		named = append(named, c.ID)
	}
	if groupName == "" {
		return addResult{GroupID: "null"}, nil
	}
	g := s.groupByName(groupName)
	if g == nil {
		g = s.addGroupLocked(groupName)
	}
	for _, id := range named {
		c := s.contacts[id]
		c.GroupIDs = insertSorted(c.GroupIDs, g.ID)
	}
	g.UpdateTime = now
	return addResult{GroupID: g.ID}, nil
}

// checkCap refuses a call that would take the account over its contact
// cap. Items match stored contacts, or earlier items of the call, by
// email; the others are new.
func (s *Server) checkCap(items []addItem) error {
	if s.limits.contactCap <= 0 {
		return nil
	}
	added := 0
	seen := map[string]bool{}
	for _, it := range items {
		k := emailKey(it.text["email"])
		if k != "" && (seen[k] || len(s.byEmail[k]) > 0) {
			continue
		}
		if k != "" {
			seen[k] = true
		}
		added++
	}
	if len(s.contacts)+added > s.limits.contactCap {
		return vendorError(s.limits.capCode, "%d contacts and %d new, the cap is %d", len(s.contacts), added, s.limits.contactCap)
	}
	return nil
}

// ---- /contact/delete ----

// deleteContacts serves POST /contact/delete; unknown ids are ignored.
func (s *Server) deleteContacts(p params) (any, error) {
	ids, err := p.requiredIDs("ids")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.deleteContactLocked(id)
	}
	return "success", nil
}

// ---- /contact/edit ----

// editColumn is one entry of the fields parameter: a system field or a
// custom property.
type editColumn struct {
	sys  *systemField
	prop int64
}

// editValue is a row's cell, converted.
type editValue struct {
	text     string
	gender   *bool
	birthday int64
}

// editContacts serves POST /contact/edit. Every row is checked before any
// is applied; a row whose unique value matches no contact is skipped.
func (s *Server) editContacts(p params) (any, error) {
	var descs []map[string]any
	if err := p.jsonParam("fields", &descs); err != nil {
		return nil, err
	}
	var rows [][]any
	if err := p.jsonParam("contacts", &rows); err != nil {
		return nil, err
	}
	if len(descs) == 0 || len(rows) == 0 {
		return nil, invalid("fields and contacts must not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cols, uniq, err := s.editColumns(descs)
	if err != nil {
		return nil, err
	}
	values := make([][]editValue, len(rows))
	for i, row := range rows {
		if values[i], err = convertRow(i, row, cols); err != nil {
			return nil, err
		}
	}
	now := s.nowMillis()
	for _, row := range values {
		key := row[uniq].text
		if isBlank(key) {
			continue
		}
		for _, c := range s.matching(cols[uniq], key) {
			s.unindex(c)
			for j, col := range cols {
				if j != uniq {
					col.set(c, row[j])
				}
			}
			s.index(c)
			c.UpdateTime = now
			s.logOp(c, "通过API编辑了联系人")
		}
	}
	return "success", nil
}

// editColumns resolves the fields parameter and finds its one unique
// column, which must be a text field or a property.
func (s *Server) editColumns(descs []map[string]any) ([]editColumn, int, error) {
	cols := make([]editColumn, len(descs))
	uniq := -1
	seen := map[string]bool{}
	for i, d := range descs {
		name, _ := d["field"].(string)
		if name == "" || seen[name] {
			return nil, 0, invalid("fields[%d]: field missing or repeated", i)
		}
		seen[name] = true
		isUniq, ok := d["isUniq"].(bool)
		if d["isUniq"] != nil && !ok {
			return nil, 0, invalid("fields[%d].isUniq is not a boolean", i)
		}
		if f, ok := fieldsByName[name]; ok {
			cols[i].sys = f
		} else if id, err := strconv.ParseInt(name, 10, 64); err == nil && s.props[id] != nil {
			cols[i].prop = id
		} else {
			return nil, 0, invalid("fields[%d]: unknown field %q", i, name)
		}
		if !isUniq {
			continue
		}
		if uniq >= 0 || (cols[i].sys != nil && cols[i].sys.kind != textField) {
			return nil, 0, invalid("fields[%d]: one text field or property may be unique", i)
		}
		uniq = i
	}
	if uniq < 0 {
		return nil, 0, invalid("no field is marked isUniq")
	}
	return cols, uniq, nil
}

func convertRow(i int, row []any, cols []editColumn) ([]editValue, error) {
	if len(row) != len(cols) {
		return nil, invalid("contacts[%d] has %d values for %d fields", i, len(row), len(cols))
	}
	out := make([]editValue, len(row))
	for j, v := range row {
		str, ok := v.(string)
		if !ok {
			return nil, invalid("contacts[%d][%d] is not a string", i, j)
		}
		out[j].text = str
		if cols[j].sys == nil || isBlank(str) {
			continue
		}
		switch cols[j].sys.kind {
		case genderField:
			g, ok := map[string]bool{"男": true, "女": false}[strings.TrimSpace(str)]
			if !ok {
				return nil, invalid("contacts[%d][%d]: gender must be 男 or 女, got %q", i, j, str)
			}
			out[j].gender = &g
		case birthdayField:
			ms, err := parseBirthday(str)
			if err != nil {
				return nil, invalid("contacts[%d][%d]: %v", i, j, err)
			}
			out[j].birthday = ms
		}
	}
	return out, nil
}

// set writes a converted value; a blank one clears the field.
func (col editColumn) set(c *Contact, v editValue) {
	switch {
	case col.sys == nil && isBlank(v.text):
		delete(c.Properties, col.prop)
	case col.sys == nil:
		if c.Properties == nil {
			c.Properties = map[int64]string{}
		}
		c.Properties[col.prop] = v.text
	case col.sys.kind == genderField:
		c.Gender = v.gender
	case col.sys.kind == birthdayField:
		c.Birthday = v.birthday
	default:
		*col.sys.text(c) = orBlank(v.text)
	}
}

// matching lists the contacts whose value of col is key: emails compare
// case-insensitively, other values exactly once trimmed.
func (s *Server) matching(col editColumn, key string) []*Contact {
	var out []*Contact
	if col.sys != nil && col.sys.field == "email" {
		for _, id := range s.byEmail[emailKey(key)] {
			out = append(out, s.contacts[id])
		}
		return out
	}
	key = strings.TrimSpace(key)
	for _, id := range sortedKeys(s.contacts) {
		c := s.contacts[id]
		v := c.Properties[col.prop]
		if col.sys != nil {
			v = *col.sys.text(c)
		}
		if strings.TrimSpace(v) == key {
			out = append(out, c)
		}
	}
	return out
}

// zoneOffsets are the zone abbreviations a Java Date.toString birthday may
// carry. CST is read as China Standard Time, the vendor's zone.
var zoneOffsets = map[string]int{
	"CST": 8, "HKT": 8, "JST": 9, "GMT": 0, "UTC": 0,
	"EST": -5, "EDT": -4, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}

// parseBirthday reads a birthday of /contact/edit: Java's Date.toString
// form ("Thu May 10 00:00:00 CDT 1990") or yyyy-MM-dd (midnight, China
// Standard Time). It answers epoch milliseconds.
func parseBirthday(v string) (int64, error) {
	v = strings.TrimSpace(v)
	if t, err := time.ParseInLocation("2006-01-02", v, cst); err == nil {
		return t.UnixMilli(), nil
	}
	f := strings.Fields(v)
	if len(f) == 6 {
		if off, ok := zoneOffsets[f[4]]; ok {
			zone := time.FixedZone(f[4], off*60*60)
			t, err := time.ParseInLocation("Mon Jan 2 15:04:05 2006", strings.Join([]string{f[0], f[1], f[2], f[3], f[5]}, " "), zone)
			if err == nil {
				return t.UnixMilli(), nil
			}
		}
	}
	return 0, fmt.Errorf("birthday %q is neither like %q nor yyyy-MM-dd", v, "Thu May 10 00:00:00 CDT 1990")
}

// ---- /contact/detail and /contact/all ----

type contactProperty struct {
	ID         int64  `json:"id"`
	PropertyID int64  `json:"propertyId"`
	ContactID  int64  `json:"contactId"`
	Label      string `json:"label"`
	CreateTime int64  `json:"createTime"`
	UpdateTime int64  `json:"updateTime"`
}

type contactGroup struct {
	ID         int64  `json:"id"`
	GroupID    int64  `json:"groupId"`
	GroupName  string `json:"groupName"`
	ContactID  int64  `json:"contactId"`
	CreateTime int64  `json:"createTime"`
}

type contactSource struct {
	ID         int64  `json:"id"`
	SourceID   int64  `json:"sourceId"`
	Name       string `json:"name"`
	ContactID  int64  `json:"contactId"`
	CreateTime int64  `json:"createTime"`
}

type contactTag struct {
	ID         int64  `json:"id"`
	TagID      int64  `json:"tagId"`
	TagName    string `json:"tagName"`
	ContactID  int64  `json:"contactId"`
	CreateTime int64  `json:"createTime"`
}

type opLog struct {
	at   int64 // epoch milliseconds
	text string
}

type opLogDay struct {
	Date string       `json:"date"`
	Log  []opLogEntry `json:"log"`
}

type opLogEntry struct {
	Logs     []string `json:"logs"`
	Username string   `json:"username"`
}

// wireContact is a contact as answered. The pointer fields are always set
// in lists and left out of a detail when the contact has no value.
type wireContact struct {
	ID            int64             `json:"id"`
	FullName      string            `json:"fullName"`
	Gender        *bool             `json:"gender,omitempty"`
	GenderDes     *string           `json:"gender_des,omitempty"`
	Birthday      *int64            `json:"birthday,omitempty"`
	BirthdayDes   string            `json:"birthday_des"`
	CompanyName   string            `json:"companyName"`
	JobTitle      string            `json:"jobTitle"`
	Email         string            `json:"email"`
	WorkPhone     string            `json:"workPhone"`
	MobilePhone   string            `json:"mobilePhone"`
	Website       string            `json:"website"`
	Fax           string            `json:"fax"`
	Country       string            `json:"country"`
	Province      int               `json:"province"`
	ProvinceDes   *string           `json:"province_des,omitempty"`
	ProvinceZh    *string           `json:"province_zh,omitempty"`
	City          int               `json:"city"`
	CityDes       *string           `json:"city_des,omitempty"`
	CityZh        *string           `json:"city_zh,omitempty"`
	Address       string            `json:"address"`
	PostCode      string            `json:"postCode"`
	QQ            string            `json:"qQ"`
	Weibo         string            `json:"weibo"`
	Weixin        string            `json:"weixin"`
	Notes         string            `json:"notes"`
	CreateAt      int64             `json:"createAt"`
	AccountID     string            `json:"accountId"`
	CreateTime    int64             `json:"createTime"`
	UpdateTime    int64             `json:"updateTime"`
	QRCodeURL     string            `json:"QRCodeURL"`
	IsEmailActive bool              `json:"isEmailActive"`
	Propertys     []contactProperty `json:"propertys"`
	Groups        []contactGroup    `json:"groups"`
	Sources       []contactSource   `json:"sources"`
	OpLogs        *[]opLogDay       `json:"opLogs,omitempty"`
	Tags          []contactTag      `json:"tags"`
}

func ptr[T any](v T) *T { return &v }

func dateOf(ms int64) string { return time.UnixMilli(ms).In(cst).Format("2006-01-02") }

// wire renders c for a list (every field) or a detail (without the
// fields c has no value for, and with its history). Callers hold s.mu.
func (s *Server) wire(c *Contact, list bool) wireContact {
	w := wireContact{
		ID: c.ID, FullName: orBlank(c.FullName), CompanyName: orBlank(c.CompanyName), JobTitle: orBlank(c.JobTitle),
		Email: orBlank(c.Email), WorkPhone: orBlank(c.WorkPhone), MobilePhone: orBlank(c.MobilePhone),
		Website: orBlank(c.Website), Fax: orBlank(c.Fax), Country: orBlank(c.Country), Address: orBlank(c.Address),
		PostCode: orBlank(c.PostCode), QQ: orBlank(c.QQ), Weibo: orBlank(c.Weibo), Weixin: orBlank(c.Weixin),
		Notes: orBlank(c.Notes), AccountID: s.accountID, CreateTime: c.CreateTime, UpdateTime: c.UpdateTime,
		QRCodeURL: blank, IsEmailActive: !isBlank(c.Email),
		Propertys: []contactProperty{}, Groups: []contactGroup{}, Sources: []contactSource{}, Tags: []contactTag{},
	}
	switch {
	case c.Gender != nil:
		w.Gender, w.GenderDes = ptr(*c.Gender), ptr(map[bool]string{true: "男", false: "女"}[*c.Gender])
	case list:
		w.Gender, w.GenderDes = ptr(true), ptr(blank)
	}
	if c.Birthday != 0 {
		w.Birthday, w.BirthdayDes = ptr(c.Birthday), dateOf(c.Birthday)
	} else if list {
		w.Birthday = ptr(int64(0))
	}
	if list || !isBlank(c.ProvinceZh) {
		w.ProvinceDes, w.ProvinceZh = ptr(orBlank(c.ProvinceZh)), ptr(orBlank(c.ProvinceZh))
	}
	if list || !isBlank(c.CityZh) {
		w.CityDes, w.CityZh = ptr(orBlank(c.CityZh)), ptr(orBlank(c.CityZh))
	}
	for _, id := range slices.Sorted(maps.Keys(c.Properties)) {
		w.Propertys = append(w.Propertys, contactProperty{PropertyID: id, Label: c.Properties[id]})
	}
	for _, id := range c.GroupIDs {
		w.Groups = append(w.Groups, contactGroup{GroupID: id, GroupName: s.groups[id].Name})
	}
	if c.Source != "" {
		w.Sources = append(w.Sources, contactSource{SourceID: s.sources[c.Source], Name: c.Source})
	}
	for _, id := range c.TagIDs {
		w.Tags = append(w.Tags, contactTag{TagID: id, TagName: s.tags[id].Name})
	}
	if !list {
		w.OpLogs = ptr(s.history(c.ID))
	}
	return w
}

// logOp adds to a contact's history. Callers hold s.mu.
func (s *Server) logOp(c *Contact, what string) {
	s.opLogs[c.ID] = append(s.opLogs[c.ID], opLog{at: s.nowMillis(), text: what + strings.TrimSpace(c.FullName)})
}

// history is a contact's history grouped by day (China Standard Time),
// oldest first.
func (s *Server) history(id int64) []opLogDay {
	out := []opLogDay{}
	for _, l := range s.opLogs[id] {
		d := dateOf(l.at)
		if n := len(out); n > 0 && out[n-1].Date == d {
			out[n-1].Log[0].Logs = append(out[n-1].Log[0].Logs, l.text)
			continue
		}
		out = append(out, opLogDay{Date: d, Log: []opLogEntry{{Logs: []string{l.text}, Username: apiUsername}}})
	}
	return out
}

type contactDetail struct {
	Detail wireContact `json:"detail"`
	EDM    contactEDM  `json:"edm"`
}

// contactDetail serves GET /contact/detail; an unknown id answers data
// null.
func (s *Server) contactDetail(p params) (any, error) {
	id, err := p.requiredInt("id")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.contacts[id]
	if !ok {
		return nil, nil
	}
	return contactDetail{Detail: s.wire(c, false), EDM: s.edmOf(c)}, nil
}

type contactPage struct {
	Total int           `json:"total"`
	List  []wireContact `json:"list"`
}

// listContacts serves GET /contact/all: contacts by id, 1-based pages of
// at most 50, optionally only members of any of groupIds.
func (s *Server) listContacts(p params) (any, error) {
	page, limit, err := p.page(maxContactPageSize)
	if err != nil {
		return nil, err
	}
	var groupIDs []int64
	if p.optional("groupIds") != "" {
		if groupIDs, err = p.idList("groupIds"); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for _, id := range sortedKeys(s.contacts) {
		c := s.contacts[id]
		if len(groupIDs) == 0 || slices.ContainsFunc(groupIDs, func(g int64) bool {
			_, ok := slices.BinarySearch(c.GroupIDs, g)
			return ok
		}) {
			ids = append(ids, id)
		}
	}
	lo, hi := pageBounds(len(ids), page, limit)
	out := contactPage{Total: len(ids), List: make([]wireContact, 0, hi-lo)}
	for _, id := range ids[lo:hi] {
		out.List = append(out.List, s.wire(s.contacts[id], true))
	}
	return out, nil
}
