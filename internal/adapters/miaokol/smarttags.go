package miaokol

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Smart tags: Miaokol's tag groups and tags are one kind of record (a
// "smart tag", type 2 a group and type 1 a tag) in one id space, listed
// together by GET /smart-tag/list and written by POST /smart-tag/add and
// POST /smart-tag/delete. This file holds what tags and tag groups
// share: the list's pages, lookups by id and the two writes.

// groupPageSize is the most groups /smart-tag/list answers a page.
const groupPageSize = 100

// groupPages is how /smart-tag/list pages its groups.
var groupPages = vendorhttp.PageNumbers{First: 1, MaxSize: groupPageSize}

// listedGroup is a group of /smart-tag/list and the bytes of its record.
type listedGroup struct {
	mkGroup
	raw json.RawMessage
}

// listedTag is a tag of /smart-tag/list: its record, its bytes and its
// group's id (the group it is listed under).
type listedTag struct {
	mkTag
	group int64
	raw   json.RawMessage
}

// listQuery is what a /smart-tag/list call asks for.
type listQuery struct {
	page, size int
	withTags   bool
	id         int64 // one group; 0 for all
}

// listGroups reads one page of /smart-tag/list.
func (a *Adapter) listGroups(ctx context.Context, lq listQuery) ([]listedGroup, error) {
	q := url.Values{"page": {strconv.Itoa(lq.page)}, "page_size": {strconv.Itoa(lq.size)}}
	if lq.withTags {
		q.Set("with_tags", "1")
	}
	if lq.id != 0 {
		q.Set("id", strconv.FormatInt(lq.id, 10))
	}
	data, resp, err := a.data(ctx, call{method: http.MethodGet, path: "/smart-tag/list", query: q})
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if err := vendorhttp.Unmarshal(nullAsEmpty(data), &raws); err != nil {
		return nil, vendorhttp.BadResponse(vendor, resp.Status, "miaokol answered a tag list whose data is not a list", err)
	}
	out := make([]listedGroup, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &out[i].mkGroup); err != nil || out[i].ID <= 0 {
			return nil, vendorhttp.BadResponse(vendor, resp.Status, "miaokol listed a tag group the gateway cannot read", err)
		}
		out[i].raw = raw
	}
	return out, nil
}

// nullAsEmpty reads a missing or null list as an empty one.
func nullAsEmpty(data json.RawMessage) json.RawMessage {
	if len(data) == 0 || string(data) == "null" {
		return json.RawMessage("[]")
	}
	return data
}

// tags reads the tags listed in g.
func (g listedGroup) tags() ([]listedTag, error) {
	out := make([]listedTag, len(g.Tags))
	for i, raw := range g.Tags {
		if err := json.Unmarshal(raw, &out[i].mkTag); err != nil || out[i].ID <= 0 {
			return nil, vendorhttp.BadResponse(vendor, http.StatusOK, "miaokol listed a tag the gateway cannot read", err)
		}
		out[i].group, out[i].raw = int64(g.ID), raw
	}
	return out, nil
}

// isGroup reports whether a record listed as a group is one: Miaokol
// lists groups only, but says so in type when it says anything.
func (g mkGroup) isGroup() bool { return g.Type == 0 || g.Type == typeGroup }

// group reads the group id (GET /smart-tag/list?id=), with its tags when
// withTags; found is false when Miaokol has no group of that id.
func (a *Adapter) group(ctx context.Context, id int64, withTags bool) (g listedGroup, found bool, err error) {
	groups, err := a.listGroups(ctx, listQuery{page: 1, size: groupPageSize, withTags: withTags, id: id})
	if err != nil {
		return listedGroup{}, false, err
	}
	for _, g := range groups {
		if int64(g.ID) == id && g.isGroup() {
			return g, true, nil
		}
	}
	return listedGroup{}, false, nil
}

// eachGroupPage reads /smart-tag/list with tags page by page from page
// first, and gives each page to f until f says stop or a short page
// ends the list. A page that lists no group not seen before also ends it:
// a vendor that ignored the page number would otherwise be asked forever.
func (a *Adapter) eachGroupPage(ctx context.Context, first int, f func(page int, groups []listedGroup) (more bool, err error)) error {
	seen := map[num]bool{}
	for page := first; ; page++ {
		groups, err := a.listGroups(ctx, listQuery{page: page, size: groupPageSize, withTags: true})
		if err != nil {
			return err
		}
		fresh := false
		for _, g := range groups {
			if !seen[g.ID] {
				seen[g.ID], fresh = true, true
			}
		}
		if !fresh && len(groups) > 0 {
			return nil
		}
		more, err := f(page, groups)
		if err != nil || !more || len(groups) < groupPageSize {
			return err
		}
	}
}

// smartTags is every group and tag Miaokol lists.
type smartTags struct {
	groups map[int64]listedGroup
	tags   map[int64]listedTag
}

// all reads every group with its tags (GET /smart-tag/list?with_tags=1,
// a call per hundred groups): Miaokol has no lookup of one tag.
func (a *Adapter) all(ctx context.Context) (smartTags, error) {
	st := smartTags{groups: map[int64]listedGroup{}, tags: map[int64]listedTag{}}
	err := a.eachGroupPage(ctx, 1, func(_ int, groups []listedGroup) (bool, error) {
		for _, g := range groups {
			st.groups[int64(g.ID)] = g
			tags, err := g.tags()
			if err != nil {
				return false, err
			}
			for _, t := range tags {
				st.tags[int64(t.ID)] = t
			}
		}
		return true, nil
	})
	return st, err
}

// smartTagID reads the id of a tag or tag group (what) given in field: a
// positive integer written without sign or leading zeros, as Miaokol
// writes its ids. Any other spelling is refused, so that each record has
// one id.
func smartTagID(field, id, what string) (int64, error) {
	n, ok := parseSmartTagID(id)
	if !ok {
		return 0, domain.Invalid(field, badSmartTagID(what))
	}
	return n, nil
}

// parseSmartTagID reads a smart tag id written as Miaokol writes it.
func parseSmartTagID(id string) (int64, bool) {
	n, ok := vendorhttp.PositiveID(id)
	return n, ok && strconv.FormatInt(n, 10) == id
}

// badSmartTagID says why an id is not one of a tag or tag group (what).
func badSmartTagID(what string) string {
	return "is not a miaokol " + what + " id: after \"mk_\" comes a positive integer without sign or leading zeros, e.g. mk_12"
}

// addParams are the parameters of POST /smart-tag/add.
type addParams struct {
	ID       int64  `json:"id"` // 0 creates
	Name     string `json:"name"`
	Type     int    `json:"type"`
	ParentID *int64 `json:"parent_id,omitempty"` // tags only
}

// add creates (p.ID 0) or renames a tag or a group (POST /smart-tag/add)
// and answers the record. A rename is safe to repeat; a create is not.
func (a *Adapter) add(ctx context.Context, p addParams) (mkRecord, json.RawMessage, error) {
	data, resp, err := a.data(ctx, call{method: http.MethodPost, path: "/smart-tag/add", params: p, write: true, idempotent: p.ID != 0})
	if err != nil {
		return mkRecord{}, nil, err
	}
	var rec mkRecord
	if len(data) > 0 && string(data) != "null" {
		// An edit's answer is not needed (what was written is known), so
		// one that is no record is taken as none.
		if err := json.Unmarshal(data, &rec); err != nil && p.ID == 0 {
			return mkRecord{}, nil, vendorhttp.BadResponse(vendor, resp.Status, "miaokol answered a tag write with a record the gateway cannot read", err)
		} else if err != nil {
			rec = mkRecord{}
		}
	}
	switch {
	case p.ID == 0 && rec.ID <= 0:
		return mkRecord{}, nil, vendorhttp.BadResponse(vendor, resp.Status, "miaokol answered the new tag or tag group without its id")
	case p.ID != 0 && rec.ID <= 0:
		rec = mkRecord{ID: num(p.ID), Name: p.Name, Type: num(p.Type)}
		data = nil
	case p.ID != 0 && int64(rec.ID) != p.ID:
		return mkRecord{}, nil, vendorhttp.BadResponse(vendor, resp.Status, "miaokol answered the rename with another record")
	}
	if rec.Name == "" {
		rec.Name = p.Name
	}
	if !domain.WantRaw(ctx) {
		data = nil
	}
	return rec, data, nil
}

// remove deletes a tag or a group (POST /smart-tag/delete).
func (a *Adapter) remove(ctx context.Context, id int64) error {
	_, _, err := a.data(ctx, call{method: http.MethodPost, path: "/smart-tag/delete", params: struct {
		ID int64 `json:"id"`
	}{id}, write: true})
	return err
}

// checkName refuses an empty name, which Miaokol requires.
func checkName(name string) error {
	if name == "" {
		return domain.Invalid("body.name", "must not be empty")
	}
	return nil
}
