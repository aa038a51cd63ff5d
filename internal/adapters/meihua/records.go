package meihua

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// How Meihua pages its lists: page numbers from 1, at most 50 contacts a
// page. The docs give no page limit for groups and tags; the gateway asks
// for pages of at most 50 there too.
const maxPage = 50

var pages = vendorhttp.PageNumbers{First: 1, MaxSize: maxPage}

// records sends c and converts each record of its answer with conv: the
// array under member of the answer's data ("" when data is the array).
// Every number is exact, and each record keeps its own bytes when the
// caller asked for raw payloads.
func records[F, T, D any](ctx context.Context, a *Adapter, c call, member string, fast func(F, json.RawMessage) D, tolerant func(T, json.RawMessage) D) ([]D, error) {
	resp, err := a.send(ctx, c)
	if err != nil {
		return nil, err
	}
	return readRecords(ctx, a, resp, c.name(), member, fast, tolerant)
}

// readRecords reads the answer resp to the list call named op, as records
// does.
func readRecords[F, T, D any](ctx context.Context, a *Adapter, resp *vendorhttp.Response, op, member string, fast func(F, json.RawMessage) D, tolerant func(T, json.RawMessage) D) ([]D, error) {
	d, err := a.envelope(resp)
	if err != nil {
		return nil, err
	}
	bad := func(err error) error {
		return vendorhttp.BadResponse(vendor, resp.Status, "meihua answered "+op+" with a list the gateway cannot read", err)
	}
	list := d
	if member != "" {
		var obj map[string]json.RawMessage
		if err := vendorhttp.Unmarshal(d, &obj); err != nil {
			return nil, bad(err)
		}
		list = obj[member]
	}
	if t := bytes.TrimSpace(list); len(t) == 0 || string(t) == "null" {
		return []D{}, nil // an empty page may come without its list
	}
	out, err := vendorhttp.FastRecords(ctx, list, fast, tolerant)
	if err != nil {
		return nil, bad(err)
	}
	return out, nil
}

// pageQuery is the query of one page of a list.
func pageQuery(page, size int) url.Values {
	return url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(size)}}
}

// idList writes ids as the JSON array Meihua takes ("[1,2]").
func idList(ids ...int64) string {
	b, err := json.Marshal(ids)
	if err != nil {
		panic(err) // integers: cannot fail
	}
	return string(b)
}

// contactPage reads one page of contacts (GET /contact/all), of one group
// when group is not 0.
func (a *Adapter) contactPage(ctx context.Context, group int64, page, size int) ([]domain.Contact, error) {
	q := pageQuery(page, size)
	if group != 0 {
		q.Set("groupIds", idList(group))
	}
	c := call{method: http.MethodGet, path: "/contact/all", query: q}
	resp, err := a.send(ctx, c)
	if err != nil {
		return nil, err
	}
	return a.contacts(ctx, resp, c.name())
}

// contacts reads resp, an answer of GET /contact/all sent as the call
// named op. A plain success is decoded once: successList finds its list
// without decoding the envelope, and the list is decoded straight into
// fastContact records (a page of 50 is some 56 KB, and reading it in the
// three steps of readRecords costs a third of the gateway's CPU on the
// call); any other answer, and a request for raw payloads, goes through
// readRecords, which classifies every error.
func (a *Adapter) contacts(ctx context.Context, resp *vendorhttp.Response, op string) ([]domain.Contact, error) {
	if !domain.WantRaw(ctx) && resp.Status >= 200 && resp.Status <= 299 && resp.IsJSON() {
		if list, ok := successList(resp.Body, "list"); ok {
			buf := contactBufs.Get().(*[]fastContact)
			recs := (*buf)[:0]
			err := vendorhttp.UnmarshalPage(list, &recs)
			var out []domain.Contact
			if err == nil {
				out = make([]domain.Contact, len(recs))
				for i := range recs {
					out[i] = recs[i].domain(nil)
				}
			}
			clear(recs[:cap(recs)])
			if cap(recs) <= 2*maxPage {
				*buf = recs[:0]
				contactBufs.Put(buf)
			}
			if err == nil {
				return out, nil
			}
		}
	}
	return readRecords(ctx, a, resp, op, "list", fastContact.domain, mhContact.domain)
}

// contactBufs holds the records of pages of contacts, decoded into and
// cleared after their conversion, so that a page's 50 records (some
// 24 KB) are not allocated, in growing arrays, for each page.
var contactBufs = sync.Pool{New: func() any { b := make([]fastContact, 0, maxPage); return &b }}

// allContacts reads every contact of a group, page after page.
func (a *Adapter) allContacts(ctx context.Context, group int64) ([]domain.Contact, error) {
	var out []domain.Contact
	err := every(func(page, size int) ([]domain.Contact, error) { return a.contactPage(ctx, group, page, size) },
		func(c domain.Contact) bool { out = append(out, c); return true })
	return out, err
}

// every calls fn with every item of a list Meihua pages by number, page
// after page (of the largest size), until fn returns false or a short
// page ends the list.
func every[T any](fetch func(page, size int) ([]T, error), fn func(T) bool) error {
	for page := pages.First; ; page++ {
		got, err := fetch(page, maxPage)
		if err != nil {
			return err
		}
		for _, it := range got {
			if !fn(it) {
				return nil
			}
		}
		if len(got) < maxPage {
			return nil
		}
	}
}

// searchPage reads one page of a list of named records (groups, tags)
// that Meihua searches by key, those whose name holds key when key is not
// "".
func searchPage[F, T, D any](ctx context.Context, a *Adapter, path, member, key string, page, size int, fast func(F, json.RawMessage) D, tolerant func(T, json.RawMessage) D) ([]D, error) {
	q := pageQuery(page, size)
	if key != "" {
		q.Set("key", key)
	}
	return records(ctx, a, call{method: http.MethodGet, path: path, query: q}, member, fast, tolerant)
}

// detail reads one contact (GET /contact/detail). Meihua answers a
// record for every id it has; an answer without one is a contact it does
// not have.
func (a *Adapter) detail(ctx context.Context, id int64) (domain.Contact, []mhMembership, error) {
	c := call{method: http.MethodGet, path: "/contact/detail", query: url.Values{"id": {strconv.FormatInt(id, 10)}}}
	d, resp, err := a.data(ctx, c)
	if err != nil {
		return domain.Contact{}, nil, err
	}
	var body struct {
		Detail json.RawMessage `json:"detail"`
	}
	if t := bytes.TrimSpace(d); len(t) == 0 || string(t) == "null" {
		return domain.Contact{}, nil, vendorhttp.NotFound(vendor, "contact")
	}
	if err := vendorhttp.Unmarshal(d, &body); err != nil {
		return domain.Contact{}, nil, vendorhttp.BadResponse(vendor, resp.Status, "meihua answered a contact detail the gateway cannot read", err)
	}
	if t := bytes.TrimSpace(body.Detail); len(t) == 0 || string(t) == "null" {
		return domain.Contact{}, nil, vendorhttp.NotFound(vendor, "contact")
	}
	var rec mhContact
	if err := vendorhttp.Unmarshal(body.Detail, &rec); err != nil {
		return domain.Contact{}, nil, vendorhttp.BadResponse(vendor, resp.Status, "meihua answered a contact detail the gateway cannot read", err)
	}
	if int64(rec.ID) != id {
		return domain.Contact{}, nil, vendorhttp.NotFound(vendor, "contact")
	}
	var raw json.RawMessage
	if domain.WantRaw(ctx) {
		raw = body.Detail
	}
	return rec.domain(raw), rec.Groups, nil
}

// mhGroupOf is a group as /contact/group/all and /contact/group/add
// answer it, read two ways as mhContactOf is.
type mhGroupOf[S ~string, N ~int64] struct {
	ID          N  `json:"id"`
	GroupName   S  `json:"groupName"`
	ContactSize *N `json:"contactSize"`
	CreateTime  N  `json:"createTime"`
	UpdateTime  N  `json:"updateTime"`
}

type mhGroup = mhGroupOf[text, num]

func (g mhGroupOf[S, N]) domain(raw json.RawMessage) domain.Group {
	out := domain.Group{
		ID: decimal(g.ID), Name: value(g.GroupName), Type: domain.GroupStatic,
		CreatedAt: vendorhttp.FromMillis(int64(g.CreateTime)), UpdatedAt: vendorhttp.FromMillis(int64(g.UpdateTime)), Raw: raw,
	}
	if g.ContactSize != nil {
		n := int(*g.ContactSize)
		out.MemberCount = &n
	}
	return out
}

// groupPage reads one page of groups (GET /contact/group/all), those
// whose name holds key when key is not "".
func (a *Adapter) groupPage(ctx context.Context, key string, page, size int) ([]domain.Group, error) {
	return searchPage(ctx, a, "/contact/group/all", "groups", key, page, size, mhGroupOf[string, int64].domain, mhGroup.domain)
}

// eachGroup calls fn with every group (whose name holds key), page after
// page, until fn returns false.
func (a *Adapter) eachGroup(ctx context.Context, key string, fn func(domain.Group) bool) error {
	return every(func(page, size int) ([]domain.Group, error) { return a.groupPage(ctx, key, page, size) }, fn)
}

// group finds a group by id. Meihua has no read of one group: the
// groups are listed until it shows up.
func (a *Adapter) group(ctx context.Context, id int64) (domain.Group, error) {
	want := strconv.FormatInt(id, 10)
	var found *domain.Group
	err := a.eachGroup(ctx, "", func(g domain.Group) bool {
		if g.ID == want {
			found = &g
		}
		return found == nil
	})
	switch {
	case err != nil:
		return domain.Group{}, err
	case found == nil:
		return domain.Group{}, vendorhttp.NotFound(vendor, "group")
	}
	return *found, nil
}

// groupsNamed lists the groups named exactly name (found by key search).
func (a *Adapter) groupsNamed(ctx context.Context, name string) ([]domain.Group, error) {
	var out []domain.Group
	err := a.eachGroup(ctx, name, func(g domain.Group) bool {
		if g.Name == name {
			out = append(out, g)
		}
		return true
	})
	return out, err
}

// deleteGroups deletes groups (POST /contact/group/delete); withContacts
// deletes their contacts too.
func (a *Adapter) deleteGroups(ctx context.Context, withContacts bool, ids ...int64) error {
	_, _, err := a.data(ctx, call{method: http.MethodPost, path: "/contact/group/delete", idempotent: true,
		query: url.Values{"flag": {strconv.FormatBool(withContacts)}}, form: url.Values{"ids": {idList(ids...)}}})
	return err
}
