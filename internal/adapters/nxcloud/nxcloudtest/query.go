package nxcloudtest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	maxLimit     = 50
	defaultLimit = 25
)

// queryRequest is a checked customers/query body.
type queryRequest struct {
	start, end        *time.Time // created_at in [start, end)
	tags, hisTags     []int64
	all               bool // tags_logic_type "and"
	sourceType        *int
	name              string // a case-insensitive substring of first_name
	channel           string
	sms, whatsApp     string
	email, viber      string
	after, before     int64 // 0: not given
	limit             int
	afterOK, beforeOK bool
}

// query serves POST /saas/cdp/openapi/customers/query.
func (s *Server) query(r *http.Request) (any, error) {
	o, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if err := s.tenant(o); err != nil {
		return nil, err
	}
	q, err := parseQuery(o)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*Customer // newest first
	for _, id := range slices.Backward(s.ids) {
		if c := s.customers[id]; q.matches(c) {
			matched = append(matched, c)
		}
	}
	page := q.page(matched)
	out := queryAnswer{Paging: pagingOf(matched, page), CustomerList: make([]customerView, len(page))}
	for i, c := range page {
		out.CustomerList[i] = s.viewLocked(c)
	}
	return out, nil
}

func parseQuery(o object) (queryRequest, error) {
	var q queryRequest
	var err error
	if q.start, err = queryTime(o, "start_time"); err != nil {
		return q, err
	}
	if q.end, err = queryTime(o, "end_time"); err != nil {
		return q, err
	}
	if q.start != nil && q.end != nil && q.start.After(*q.end) {
		return q, invalid("start_time is after end_time")
	}
	if q.tags, err = tagIDs(o, "tags"); err != nil {
		return q, err
	}
	if q.hisTags, err = tagIDs(o, "his_tags"); err != nil {
		return q, err
	}
	logic, _, err := o.string("tags_logic_type")
	if err != nil {
		return q, err
	}
	switch logic {
	case "and":
		q.all = true
	case "or", "":
	default:
		return q, invalid(`tags_logic_type must be "and", "or" or "", got %q`, logic)
	}
	if st, ok, err := o.int64("source_type"); err != nil {
		return q, err
	} else if ok {
		if st < 0 || st > maxSourceType {
			return q, invalid("source_type must be 0 to %d, got %d", maxSourceType, st)
		}
		q.sourceType = ptr(int(st))
	}
	for _, f := range []struct {
		name string
		v    *string
	}{
		{"name", &q.name}, {"source_channel_key", &q.channel}, {"sms_phone", &q.sms},
		{"whatsApp_phone", &q.whatsApp}, {"email", &q.email}, {"viber_phone", &q.viber},
	} {
		if *f.v, _, err = o.string(f.name); err != nil {
			return q, err
		}
	}
	if q.after, q.afterOK, err = cursor(o, "after"); err != nil {
		return q, err
	}
	if q.before, q.beforeOK, err = cursor(o, "before"); err != nil {
		return q, err
	}
	if q.afterOK && q.beforeOK {
		return q, invalid("after and before cannot both be given")
	}
	limit, ok, err := o.int64("limit")
	switch {
	case err != nil:
		return q, err
	case !ok:
		limit = defaultLimit
	case limit < 1 || limit > maxLimit:
		return q, invalid("limit must be between 1 and %d, got %d", maxLimit, limit)
	}
	q.limit = int(limit)
	return q, nil
}

// queryTime reads start_time or end_time, yyyy-MM-dd HH:mm:ss in China
// Standard Time; "" is not given.
func queryTime(o object, name string) (*time.Time, error) {
	v, _, err := o.string(name)
	if err != nil || v == "" {
		return nil, err
	}
	t, err := time.ParseInLocation(queryTimeLayout, v, cst)
	if err != nil {
		return nil, invalid("%s must be yyyy-MM-dd HH:mm:ss, got %q", name, v)
	}
	return &t, nil
}

// tagIDs reads tags or his_tags: objects {id, tag_name} of which id is
// required and tag_name, when given, a string (not used to match).
func tagIDs(o object, name string) ([]int64, error) {
	items, _, err := o.array(name)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(items))
	for i, raw := range items {
		item, err := asObject(raw, name+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		id, ok, err := item.int64("id")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, invalid("%sid is required", item.where)
		}
		if _, _, err := item.string("tag_name"); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// cursor reads after or before: a customer id, positive.
func cursor(o object, name string) (int64, bool, error) {
	v, ok, err := o.int64(name)
	if err == nil && ok && v <= 0 {
		err = invalid("%s must be a positive customer id, got %d", name, v)
	}
	return v, ok, err
}

func (q *queryRequest) matches(c *Customer) bool {
	created := c.CreatedAt
	switch {
	case q.start != nil && created.Before(*q.start),
		q.end != nil && !created.Before(*q.end),
		q.sourceType != nil && c.SourceType != *q.sourceType,
		q.name != "" && !strings.Contains(strings.ToLower(c.FirstName), strings.ToLower(q.name)),
		q.channel != "" && c.SourceChannelKey != q.channel,
		q.sms != "" && c.SMSPhone != q.sms,
		q.whatsApp != "" && c.WhatsAppPhone != q.whatsApp,
		q.viber != "" && c.ViberPhone != q.viber,
		q.email != "" && !strings.EqualFold(c.Email, q.email):
		return false
	}
	return hasTags(c.TagIDs, q.tags, q.all) && hasTags(slices.Concat(c.TagIDs, c.HisTagIDs), q.hisTags, q.all)
}

// hasTags reports whether have holds every one (all) or any one of want;
// an empty want holds.
func hasTags(have, want []int64, all bool) bool {
	if len(want) == 0 {
		return true
	}
	has := func(id int64) bool { return slices.Contains(have, id) }
	if all {
		return !slices.ContainsFunc(want, func(id int64) bool { return !has(id) })
	}
	return slices.ContainsFunc(want, has)
}

// page cuts the matching customers (newest first) to the page the cursor
// and limit ask for. after=X is the customers after X in the listing,
// that is with ids below X; before=X those listed before X (ids above X),
// the limit nearest X.
func (q *queryRequest) page(matched []*Customer) []*Customer {
	switch {
	case q.afterOK:
		i, _ := slices.BinarySearchFunc(matched, q.after, descending)
		if i < len(matched) && matched[i].ID == q.after {
			i++
		}
		return matched[i:min(i+q.limit, len(matched))]
	case q.beforeOK:
		j, _ := slices.BinarySearchFunc(matched, q.before, descending)
		return matched[max(0, j-q.limit):j]
	}
	return matched[:min(q.limit, len(matched))]
}

// descending orders customers by id, highest first, for binary search.
func descending(c *Customer, id int64) int {
	switch {
	case c.ID > id:
		return -1
	case c.ID < id:
		return 1
	}
	return 0
}

// Paging is the paging object of a customers/query answer: Before and
// After the ids of the first and last customer answered (null on an empty
// page); Previous and Next the cursors of the pages around it, to send as
// before and after, null when there is nothing there.
type Paging struct {
	After    *int64 `json:"after"`
	Before   *int64 `json:"before"`
	Previous *int64 `json:"previous"`
	Next     *int64 `json:"next"`
}

func pagingOf(matched, page []*Customer) Paging {
	if len(page) == 0 {
		return Paging{}
	}
	first, last := page[0].ID, page[len(page)-1].ID
	p := Paging{After: ptr(last), Before: ptr(first)}
	if matched[0].ID > first {
		p.Previous = ptr(first)
	}
	if matched[len(matched)-1].ID < last {
		p.Next = ptr(last)
	}
	return p
}

type queryAnswer struct {
	Paging       Paging         `json:"paging"`
	CustomerList []customerView `json:"customer_list"`
}

// customerView is a customer as customers/query answers it, members in
// the order of the vendor's sample.
type customerView struct {
	ID               int64     `json:"id"`
	FirstName        *string   `json:"first_name"`
	LastName         *string   `json:"last_name"`
	FullName         *string   `json:"full_name"`
	SMSPhone         *string   `json:"sms_phone"`
	WhatsAppPhone    *string   `json:"whatsApp_phone"`
	ViberPhone       *string   `json:"viber_phone"`
	Line             *string   `json:"line"`
	Messenger        *string   `json:"messenger"`
	Instagram        *string   `json:"instagram"`
	Email            *string   `json:"email"`
	Country          *string   `json:"country"`
	Birthday         *string   `json:"birthday"`
	Remark           *string   `json:"remark"`
	SourceType       int       `json:"source_type"`
	SourceChannelKey *string   `json:"source_channel_key"`
	Gender           *int      `json:"gender"`
	CreatedAt        string    `json:"created_at"`
	Status           int       `json:"status"`
	UpdatedAt        string    `json:"updated_at"`
	Tags             []tagView `json:"tags"`
	WhatAppSubscribe *string   `json:"whatApp_subscribe"`
	SMSSubscribe     *string   `json:"sms_subscribe"`
	CustomizeField   *string   `json:"customize_field"`
	TenantID         int64     `json:"tenant_id"`
	Weight           int64     `json:"weight"`
}

type tagView struct {
	ID         int64   `json:"id"`
	UserID     int64   `json:"user_id"`
	TenantID   int64   `json:"tenant_id"`
	GroupID    int64   `json:"group_id"`
	GroupName  *string `json:"group_name"`
	TagName    string  `json:"tag_name"`
	Note       string  `json:"note"`
	CreatedAt  string  `json:"created_at"`
	UpdatedAt  string  `json:"updated_at"`
	CustomerID int64   `json:"customer_id"`
}

// orNull is v, or null when v is empty.
func orNull(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func (s *Server) viewLocked(c *Customer) customerView {
	v := customerView{
		ID: c.ID, FirstName: orNull(c.FirstName), LastName: orNull(c.LastName), FullName: orNull(c.FullName),
		SMSPhone: orNull(c.SMSPhone), WhatsAppPhone: orNull(c.WhatsAppPhone), ViberPhone: orNull(c.ViberPhone),
		Line: orNull(c.Line), Messenger: orNull(c.Messenger), Instagram: orNull(c.Instagram),
		Email: orNull(c.Email), Country: orNull(c.Country), Birthday: orNull(c.Birthday), Remark: orNull(c.Remark),
		SourceType: c.SourceType, SourceChannelKey: orNull(c.SourceChannelKey), Gender: c.Gender,
		CreatedAt: formatTime(c.CreatedAt), Status: c.Status, UpdatedAt: formatTime(c.UpdatedAt),
		Tags:             make([]tagView, 0, len(c.TagIDs)),
		WhatAppSubscribe: orNull(c.WhatsAppSubscribe), SMSSubscribe: orNull(c.SMSSubscribe),
		TenantID: s.cfg.TenantID, Weight: c.Weight,
	}
	for _, id := range c.TagIDs {
		t := s.tags[id]
		v.Tags = append(v.Tags, tagView{
			ID: t.ID, UserID: DefaultUserID, TenantID: s.cfg.TenantID, GroupID: t.GroupID,
			GroupName: orNull(t.GroupName), TagName: t.Name, Note: t.Note,
			CreatedAt: formatTime(t.CreatedAt), UpdatedAt: formatTime(t.CreatedAt), CustomerID: c.ID,
		})
	}
	if len(c.Custom) > 0 {
		b, err := marshal(c.Custom)
		if err == nil {
			v.CustomizeField = ptr(string(b))
		}
	}
	return v
}
