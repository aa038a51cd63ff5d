package linkflowtest

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	defaultListSize = 200
	maxListSize     = 1000 // not documented; see the package doc
	maxBulkIDs      = 100
	maxIDsWindow    = 10000
	channelTypeUDC  = "UDC"
	channelTypeWX   = "WECHAT"
	statusActive    = "ACTIVE"
	genderUnknown   = "unknown"
)

// contactField returns the address of a contact's string field by its vendor
// JSON name.
func contactField(c *Contact, name string) *string {
	switch name {
	case "anonymousId":
		return &c.AnonymousID
	case "name":
		return &c.Name
	case "nickname":
		return &c.Nickname
	case "gender":
		return &c.Gender
	case "dateOfBirthday":
		return &c.DateOfBirthday
	case "avatar":
		return &c.Avatar
	case "mobilePhone":
		return &c.MobilePhone
	case "homePhone":
		return &c.HomePhone
	case "email":
		return &c.Email
	case "country":
		return &c.Country
	case "state":
		return &c.State
	case "street":
		return &c.Street
	case "city":
		return &c.City
	case "postalCode":
		return &c.PostalCode
	case "comments":
		return &c.Comments
	case "userName":
		return &c.UserName
	case "title":
		return &c.Title
	case "website":
		return &c.Website
	case "company":
		return &c.Company
	case "industry":
		return &c.Industry
	case "department":
		return &c.Department
	case "idCard":
		return &c.IDCard
	}
	return nil
}

// identifyFields are the contact fields documented for POST /identifiers.
var identifyFields = []string{
	"name", "dateOfBirthday", "mobilePhone", "email", "country", "state", "city", "title",
	"company", "industry", "department", "street", "postalCode", "website", "idCard",
}

// updateFields are the contact fields documented for PUT /v2/contacts/{id}
// (its parameter table plus the extra fields its sample body sends).
var updateFields = []string{
	"name", "avatar", "gender", "mobilePhone", "userName", "nickname", "email", "country", "state",
	"city", "title", "company", "industry", "department", "comments", "website", "dateOfBirthday",
	"homePhone", "street", "postalCode",
}

type fieldChange struct {
	field string
	val   string
}

// collectChanges validates the documented string fields of a body. With
// nullClears a null member clears the field; otherwise null is ignored.
func collectChanges(m map[string]json.RawMessage, fields []string, nullClears bool) ([]fieldChange, error) {
	var out []fieldChange
	for _, f := range fields {
		raw, ok := m[f]
		if !ok {
			continue
		}
		if isNull(raw) {
			if nullClears {
				out = append(out, fieldChange{f, ""})
			}
			continue
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, invalid("%s must be a string", f)
		}
		switch f {
		case "gender":
			if v != "" && v != "male" && v != "female" && v != genderUnknown {
				return nil, invalid("gender must be male, female or unknown, got %q", v)
			}
		case "dateOfBirthday":
			if v != "" {
				if _, err := time.ParseInLocation(timeLayout, v, CST); err != nil {
					return nil, invalid("dateOfBirthday must be yyyy-MM-dd HH:mm:ss, got %q", v)
				}
			}
		}
		out = append(out, fieldChange{f, v})
	}
	return out, nil
}

func applyChanges(c *Contact, changes []fieldChange) {
	for _, ch := range changes {
		*contactField(c, ch.field) = ch.val
	}
	if c.Gender == "" {
		c.Gender = genderUnknown
	}
}

type propChange struct {
	alias string
	val   any
	del   bool
}

// collectProps validates a props member against the property metadata.
// Callers hold s.mu.
func (s *Server) collectProps(raw json.RawMessage, nullDeletes bool) ([]propChange, error) {
	if isNull(raw) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, invalid("props must be a JSON object keyed by custom field alias")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []propChange
	for _, k := range keys {
		p := s.propertyByAlias(k)
		if p == nil {
			return nil, invalid("props key %q is not a custom field alias defined in the property metadata", k)
		}
		v := m[k]
		if v == nil {
			if nullDeletes {
				out = append(out, propChange{alias: k, del: true})
			}
			continue
		}
		if err := checkPropValue(p, v); err != nil {
			return nil, err
		}
		out = append(out, propChange{alias: k, val: v})
	}
	return out, nil
}

func applyProps(c *Contact, changes []propChange) {
	for _, ch := range changes {
		if ch.del {
			delete(c.Props, ch.alias)
			continue
		}
		if c.Props == nil {
			c.Props = map[string]any{}
		}
		c.Props[ch.alias] = ch.val
	}
}

func (s *Server) propertyByAlias(alias string) *Property {
	for _, p := range s.properties {
		if p.Alias == alias {
			return p
		}
	}
	return nil
}

func checkPropValue(p *Property, v any) error {
	bad := func(want string) error {
		return invalid("props.%s (%s, dataType %s) must be %s", p.Alias, p.Label, p.DataType, want)
	}
	switch strings.ToLower(p.DataType) {
	case "text", "string":
		if _, ok := v.(string); !ok {
			return bad("a string")
		}
	case "number", "decimal", "double", "float":
		if _, ok := v.(json.Number); !ok {
			return bad("a number")
		}
	case "integer", "int", "long":
		n, ok := v.(json.Number)
		if !ok {
			return bad("an integer")
		}
		if _, err := n.Int64(); err != nil {
			f, ferr := n.Float64()
			if ferr != nil || f != math.Trunc(f) {
				return bad("an integer")
			}
		}
	case "boolean", "bool":
		if _, ok := v.(bool); !ok {
			return bad("a boolean")
		}
	case "date":
		str, ok := v.(string)
		if !ok {
			return bad(`a "yyyy-MM-dd" string`)
		}
		if _, err := ParseTime(str); err != nil {
			return bad(`a "yyyy-MM-dd" string`)
		}
	case "datetime", "date_time":
		str, ok := v.(string)
		if !ok {
			return bad(`a "yyyy-MM-dd HH:mm:ss" string`)
		}
		if _, err := time.ParseInLocation(timeLayout, str, CST); err != nil {
			return bad(`a "yyyy-MM-dd HH:mm:ss" string`)
		}
	case "list", "array", "multiselect":
		arr, ok := v.([]any)
		if !ok {
			return bad("an array of strings")
		}
		for _, e := range arr {
			if _, ok := e.(string); !ok {
				return bad("an array of strings")
			}
		}
	}
	return nil
}

// ---- channels and identities (callers hold s.mu) ----

func (s *Server) channelByKey(typ, id string) *Channel {
	if cid, ok := s.channelIdx[chanKey{typ, id}]; ok {
		return s.channels[cid]
	}
	return nil
}

// channelForIdentify finds a channel by its string id, preferring UDC, and
// otherwise the oldest channel with that id.
func (s *Server) channelForIdentify(id string) *Channel {
	if ch := s.channelByKey(channelTypeUDC, id); ch != nil {
		return ch
	}
	var best *Channel
	for _, ch := range s.channels {
		if ch.ChannelID == id && (best == nil || ch.ID < best.ID) {
			best = ch
		}
	}
	return best
}

func (s *Server) ensureChannel(typ, id, name string, now time.Time) *Channel {
	if ch := s.channelByKey(typ, id); ch != nil {
		return ch
	}
	if name == "" {
		name = id
	}
	ch := &Channel{ID: s.newID(), DateCreated: now, LastUpdated: now, ChannelID: id, ChannelType: typ, Name: name, Status: statusActive}
	s.channels[ch.ID] = ch
	s.channelIdx[chanKey{typ, id}] = ch.ID
	return ch
}

func (s *Server) identityFor(channel int64, externalID string) *Identity {
	if iid, ok := s.identityIdx[identKey{channel, externalID}]; ok {
		return s.identities[iid]
	}
	return nil
}

func (s *Server) linkIdentity(contactID int64, ch *Channel, externalID, anonymousID string, now time.Time) *Identity {
	id := &Identity{
		ID: s.newID(), DateCreated: now, LastUpdated: now, Ver: 1,
		ContactID: contactID, ChannelID: ch.ID, AnonymousID: anonymousID,
		IsActive: true, ExternalID: externalID,
	}
	s.storeIdentity(id)
	return id
}

func (s *Server) storeIdentity(id *Identity) {
	if old, ok := s.identities[id.ID]; ok {
		delete(s.identityIdx, identKey{old.ChannelID, old.ExternalID})
		s.byContact[old.ContactID] = slices.DeleteFunc(s.byContact[old.ContactID], func(x int64) bool { return x == id.ID })
	}
	s.identities[id.ID] = id
	s.identityIdx[identKey{id.ChannelID, id.ExternalID}] = id.ID
	s.byContact[id.ContactID] = append(s.byContact[id.ContactID], id.ID)
	slices.Sort(s.byContact[id.ContactID])
}

// identitySnapshot returns a copy of the identity with its channel filled in.
func (s *Server) identitySnapshot(id *Identity) Identity {
	out := *id
	if ch, ok := s.channels[id.ChannelID]; ok {
		out.Channel = *ch
	}
	return out
}

func (s *Server) newContact(now time.Time) *Contact {
	c := &Contact{ID: s.newID(), DateCreated: now, LastUpdated: now, Ver: 1, Gender: genderUnknown}
	s.contacts[c.ID] = c
	return c
}

type openID struct {
	ChannelID   string  `json:"channelId"`
	ChannelName *string `json:"channelName"`
	OpenID      string  `json:"openId"`
}

func (s *Server) openIDs(contactID int64) []openID {
	out := []openID{}
	for _, iid := range s.byContact[contactID] {
		id := s.identities[iid]
		ch := s.channels[id.ChannelID]
		if ch == nil || ch.ChannelType != channelTypeWX {
			continue
		}
		o := openID{ChannelID: ch.ChannelID, OpenID: id.AnonymousID}
		if o.OpenID == "" {
			o.OpenID = id.ExternalID
		}
		if ch.Name != "" {
			name := ch.Name
			o.ChannelName = &name
		}
		out = append(out, o)
	}
	return out
}

// contactView is a contact prepared for an answer, optionally with openIds.
type contactView struct {
	c       Contact
	openIDs []openID // nil: not answered
}

func (v contactView) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(v.c)
	if err != nil || v.openIDs == nil {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	ids, err := json.Marshal(v.openIDs)
	if err != nil {
		return nil, err
	}
	m["openIds"] = ids
	return json.Marshal(m)
}

func (s *Server) view(c *Contact, withOpenIDs bool) contactView {
	v := contactView{c: c.clone()}
	if withOpenIDs {
		v.openIDs = s.openIDs(c.ID)
	}
	return v
}

// ---- handlers ----

// listContacts serves GET /contacts and GET /open/contacts.
func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, _, err := queryInt(q, "page", 0)
	if err != nil {
		return err
	}
	size, _, err := queryInt(q, "size", defaultListSize)
	if err != nil {
		return err
	}
	if page < 0 {
		return invalid("page must be 0 or more")
	}
	if size < 1 || size > maxListSize {
		return invalid("size must be between 1 and %d", maxListSize)
	}
	groupID, hasGroup, err := queryInt(q, "groupId", 0)
	if err != nil {
		return err
	}
	search := strings.ToLower(strings.TrimSpace(q.Get("search")))

	s.mu.Lock()
	var inGroup map[int64]*member
	if hasGroup {
		if _, ok := s.groups[groupID]; !ok {
			s.mu.Unlock()
			return notFound("group %d not found", groupID)
		}
		inGroup = s.members[groupID]
	}
	var matched []*Contact
	for _, id := range sortedKeys(s.contacts) {
		c := s.contacts[id]
		if hasGroup {
			if _, ok := inGroup[id]; !ok {
				continue
			}
		}
		if search != "" && !strings.Contains(strings.ToLower(c.Name), search) &&
			!strings.Contains(strings.ToLower(c.MobilePhone), search) &&
			!strings.Contains(strings.ToLower(c.Email), search) {
			continue
		}
		matched = append(matched, c)
	}
	lo, hi := pageSlice(len(matched), page, size)
	out := make([]contactView, 0, hi-lo)
	for _, c := range matched[lo:hi] {
		out = append(out, s.view(c, false))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// lookupContacts serves GET /v2/contacts (by email and/or mobilePhone).
func (s *Server) lookupContacts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	email := strings.TrimSpace(q.Get("email"))
	phone := strings.TrimSpace(q.Get("mobilePhone"))
	if email == "" && phone == "" {
		return &apiError{statusQueryLimit, codeQueryLimit, "at least one of email and mobilePhone is required"}
	}
	withOpenIDs := q.Get("needOpenId") == "1"
	s.mu.Lock()
	out := []contactView{}
	for _, id := range sortedKeys(s.contacts) {
		c := s.contacts[id]
		if email != "" && !strings.EqualFold(c.Email, email) {
			continue
		}
		if phone != "" && c.MobilePhone != phone {
			continue
		}
		out = append(out, s.view(c, withOpenIDs))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// bulkContacts serves GET /v2/contacts_bulk and GET /open/contacts_bulk.
func (s *Server) bulkContacts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var ids []int64
	for _, v := range q["ids"] {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			id, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return invalid("ids must be a comma-separated list of integers, got %q", part)
			}
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return invalid("ids is required")
	}
	if len(ids) > maxBulkIDs {
		ids = ids[:maxBulkIDs] // documented: only the first 100 are used
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	withOpenIDs := q.Get("needOpenId") == "1"
	s.mu.Lock()
	out := []contactView{}
	for _, id := range ids {
		if c, ok := s.contacts[id]; ok {
			out = append(out, s.view(c, withOpenIDs))
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// contactIDsByUpdateTime serves GET /v2/contacts_bulk/ids and
// GET /open/contacts_bulk/ids.
func (s *Server) contactIDsByUpdateTime(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, hasPage, err := queryInt(q, "page", 0)
	if err != nil {
		return err
	}
	size, hasSize, err := queryInt(q, "size", 0)
	if err != nil {
		return err
	}
	if !hasPage || !hasSize {
		return invalid("page and size are required")
	}
	if page < 0 || size < 1 {
		return invalid("page must be 0 or more and size 1 or more")
	}
	if page > maxIDsWindow/size {
		return &apiError{statusQueryLimit, codeQueryLimit, "page*size must not exceed 10000"}
	}
	minT, hasMin, err := queryTime(q, "minUpdateTime")
	if err != nil {
		return err
	}
	maxT, hasMax, err := queryTime(q, "maxUpdateTime")
	if err != nil {
		return err
	}
	s.mu.Lock()
	var matched []int64
	for _, id := range sortedKeys(s.contacts) {
		c := s.contacts[id]
		if hasMin && c.LastUpdated.Before(minT) {
			continue
		}
		if hasMax && !c.LastUpdated.Before(maxT) {
			continue
		}
		matched = append(matched, id)
	}
	s.mu.Unlock()
	lo, hi := pageSlice(len(matched), page, size)
	out := append([]int64{}, matched[lo:hi]...)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// updateContact serves PUT /v2/contacts/{id}.
func (s *Server) updateContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	m, err := decodeObject(r)
	if err != nil {
		return err
	}
	rawID, ok := m["id"]
	if !ok || isNull(rawID) {
		return invalid("id is required in the body")
	}
	var bodyID int64
	if err := json.Unmarshal(rawID, &bodyID); err != nil {
		return invalid("id must be an integer")
	}
	if bodyID != id {
		return invalid("body id %d does not match path id %d", bodyID, id)
	}
	changes, err := collectChanges(m, updateFields, true)
	if err != nil {
		return err
	}
	s.mu.Lock()
	c, ok := s.contacts[id]
	if !ok {
		s.mu.Unlock()
		return notFound("contact %d not found", id)
	}
	props, err := s.collectProps(m["props"], true)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	applyChanges(c, changes)
	applyProps(c, props)
	c.Ver++
	c.LastUpdated = s.now()
	out := s.view(c, false)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// identify serves POST /identifiers: create or update a contact by
// (externalId, channel.channelId).
func (s *Server) identify(w http.ResponseWriter, r *http.Request) error {
	m, err := decodeObject(r)
	if err != nil {
		return err
	}
	externalID, err := reqString(m, "externalId")
	if err != nil {
		return err
	}
	rawCh, ok := m["channel"]
	if !ok || isNull(rawCh) {
		return invalid("channel.channelId is required")
	}
	var ch map[string]json.RawMessage
	if err := json.Unmarshal(rawCh, &ch); err != nil {
		return invalid("channel must be an object")
	}
	channelID, _, err := optString(ch, "channelId")
	if err != nil {
		return invalid("channel.channelId must be a string")
	}
	if strings.TrimSpace(channelID) == "" {
		return invalid("channel.channelId is required")
	}
	channelName, _, err := optString(ch, "name")
	if err != nil {
		return invalid("channel.name must be a string")
	}
	changes, err := collectChanges(m, identifyFields, false)
	if err != nil {
		return err
	}
	var wx struct{ appID, appName, openID string }
	if raw, ok := m["weChatInfo"]; ok && !isNull(raw) {
		var wm map[string]json.RawMessage
		if err := json.Unmarshal(raw, &wm); err != nil {
			return invalid("weChatInfo must be an object")
		}
		for key, dst := range map[string]*string{"appId": &wx.appID, "appName": &wx.appName, "openId": &wx.openID} {
			if *dst, _, err = optString(wm, key); err != nil {
				return invalid("weChatInfo.%s must be a string", key)
			}
		}
		if (wx.appID == "") != (wx.openID == "") {
			return invalid("weChatInfo needs both appId and openId")
		}
	}

	out, err := locked(s, func() (contactView, error) {
		var zero contactView
		props, err := s.collectProps(m["props"], false)
		if err != nil {
			return zero, err
		}
		now := s.now()
		channel := s.channelForIdentify(channelID)
		if channel == nil {
			channel = s.ensureChannel(channelTypeUDC, channelID, channelName, now)
		} else if channelName != "" && channel.Name != channelName {
			channel.Name = channelName
			channel.LastUpdated = now
		}
		var c *Contact
		if ident := s.identityFor(channel.ID, externalID); ident != nil {
			c = s.contacts[ident.ContactID]
			ident.LastUpdated = now
			c.Ver++
			c.LastUpdated = now
		} else {
			c = s.newContact(now)
			c.Identified = now
			s.linkIdentity(c.ID, channel, externalID, "", now)
		}
		if c.Identified.IsZero() {
			c.Identified = now
		}
		applyChanges(c, changes)
		applyProps(c, props)
		if wx.appID != "" {
			wch := s.ensureChannel(channelTypeWX, wx.appID, wx.appName, now)
			if wx.appName != "" {
				wch.Name = wx.appName
			}
			if s.identityFor(wch.ID, wx.openID) == nil {
				s.linkIdentity(c.ID, wch, wx.openID, wx.openID, now)
			}
		}
		return s.view(c, false), nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// lookupIdentifier serves GET /identifiers?externalId&channelId&channelType.
func (s *Server) lookupIdentifier(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	externalID, channelID := q.Get("externalId"), q.Get("channelId")
	if externalID == "" || channelID == "" {
		return invalid("externalId and channelId are required")
	}
	typ := q.Get("channelType")
	if typ == "" {
		typ = channelTypeUDC
	}
	out, err := locked(s, func() (contactView, error) {
		var zero contactView
		ch := s.channelByKey(typ, channelID)
		if ch == nil {
			return zero, notFound("no contact with externalId %q in %s channel %q", externalID, typ, channelID)
		}
		ident := s.identityFor(ch.ID, externalID)
		if ident == nil {
			return zero, notFound("no contact with externalId %q in %s channel %q", externalID, typ, channelID)
		}
		c, ok := s.contacts[ident.ContactID]
		if !ok {
			return zero, notFound("contact %d not found", ident.ContactID)
		}
		return s.view(c, true), nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// listIdentities serves GET /contacts/{id}/identities.
func (s *Server) listIdentities(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	out, err := locked(s, func() ([]Identity, error) {
		var zero []Identity
		if _, ok := s.contacts[id]; !ok {
			return zero, notFound("contact %d not found", id)
		}
		out := []Identity{}
		for _, iid := range s.byContact[id] {
			out = append(out, s.identitySnapshot(s.identities[iid]))
		}
		return out, nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// wechatUser serves GET /v1/wx/{appId}/user?unionId=.
func (s *Server) wechatUser(w http.ResponseWriter, r *http.Request) error {
	appID := r.PathValue("appId")
	unionID := r.URL.Query().Get("unionId")
	if unionID == "" {
		return invalid("unionId is required")
	}
	out, err := locked(s, func() (map[string]any, error) {
		var zero map[string]any
		ch := s.channelByKey(channelTypeWX, appID)
		var ident *Identity
		if ch != nil {
			ident = s.identityFor(ch.ID, unionID)
		}
		if ident == nil {
			return zero, notFound("no WeChat user with unionId %q in app %q", unionID, appID)
		}
		openID := ident.AnonymousID
		if openID == "" {
			openID = ident.ExternalID
		}
		return map[string]any{
			"openId":        openID,
			"unionId":       unionID,
			"status":        ident.IsActive,
			"subscribeTime": ident.DateCreated.Unix(),
		}, nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// listUserFields serves the deprecated GET /contacts/meta/userfields.
func (s *Server) listUserFields(w http.ResponseWriter, r *http.Request) error {
	type userField struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
		Name string `json:"name"`
		Col  string `json:"col"`
	}
	s.mu.Lock()
	out := []userField{}
	for _, id := range sortedKeys(s.properties) {
		p := s.properties[id]
		out = append(out, userField{ID: p.ID, Type: p.DataType, Name: p.Label, Col: p.Alias})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// listProperties serves GET /v2/contacts/meta/properties.
func (s *Server) listProperties(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	out := []Property{}
	for _, id := range sortedKeys(s.properties) {
		out = append(out, *s.properties[id])
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createUDC serves POST /udc.
func (s *Server) createUDC(w http.ResponseWriter, r *http.Request) error {
	m, err := decodeObject(r)
	if err != nil {
		return err
	}
	name, err := reqString(m, "name")
	if err != nil {
		return err
	}
	channelID, _, err := optString(m, "channelId")
	if err != nil {
		return err
	}
	out, err := locked(s, func() (Channel, error) {
		now := s.now()
		if channelID == "" {
			for {
				channelID = "udc_" + randomString(10)
				if s.channelByKey(channelTypeUDC, channelID) == nil {
					break
				}
			}
		}
		ch := s.channelByKey(channelTypeUDC, channelID)
		if ch == nil {
			ch = s.ensureChannel(channelTypeUDC, channelID, name, now)
		} else if ch.Name != name {
			ch.Name = name
			ch.LastUpdated = now
		}
		return *ch, nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type channelType struct {
	ChannelType     string `json:"channelType"`
	ChannelTypeName string `json:"channelTypeName"`
}

// channelTypes are the documented channel type codes, with English names.
var channelTypes = []channelType{
	{"LINK_FLOW", "Linkflow"},
	{"WECHAT", "WeChat"},
	{"WORKWECHAT", "WeCom"},
	{"SMS_YUN_PIAN", "Yunpian SMS"},
	{"WENJUANWANG", "Wenjuanwang"},
	{"DINGTALK", "DingTalk"},
	{"SEND_CLOUD", "SendCloud"},
	{"JINSHUJU", "Jinshuju"},
	{"PRIVATE_APP", "Private app"},
	{"SALESFORCE", "Salesforce"},
	{"VHALL", "Vhall"},
	{"YOUZAN", "Youzan"},
	{"EXMAIL", "Tencent Exmail"},
	{"DUMMY", "DUMMY"},
	{"FENXIANGXIAOKE", "Fxiaoke"},
	{"SMS_TENCENT", "Tencent SMS"},
	{"GENSEE", "Gensee"},
	{"AIKE", "Aike"},
	{"HUODONGXING", "Huodongxing"},
	{"WEIMOB", "Weimob"},
	{"QLCHAT", "Qianliao"},
	{"MYSQL", "mysql"},
	{"SQL_SERVER", "sqlserver"},
	{"UDC", "user_defined_channel"},
}

func knownChannelType(t string) bool {
	for _, ct := range channelTypes {
		if ct.ChannelType == t {
			return true
		}
	}
	return false
}

// listChannelTypes serves GET /channels/meta/types.
func (s *Server) listChannelTypes(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, channelTypes)
	return nil
}
