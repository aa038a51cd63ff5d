package miaokol

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

var (
	_ domain.TagLister  = (*Adapter)(nil)
	_ domain.TagCreator = (*Adapter)(nil)
	_ domain.TagRenamer = (*Adapter)(nil)
	_ domain.TagDeleter = (*Adapter)(nil)
)

func (t listedTag) domain(ctx context.Context) domain.Tag {
	out := domain.Tag{ID: t.ID.id(), Name: t.Name, GroupID: strconv.FormatInt(t.group, 10), ContactCount: t.contactCount()}
	if domain.WantRaw(ctx) {
		out.Raw = t.raw
	}
	return out
}

// contactCount is how many contacts carry the tag, when the list says.
func (t mkTag) contactCount() *int {
	if t.ContactCnt == nil {
		return nil
	}
	n := int(*t.ContactCnt)
	return &n
}

func (r mkRecord) tag(group int64, raw json.RawMessage) domain.Tag {
	return domain.Tag{
		ID: r.ID.id(), Name: r.Name, GroupID: strconv.FormatInt(group, 10),
		CreatedAt: r.CTime.seconds(), UpdatedAt: r.UTime.seconds(), Raw: raw,
	}
}

// ListTags implements domain.TagLister. Miaokol lists tags inside their
// groups (GET /smart-tag/list?with_tags=1): every group's tags, in the
// groups' order, reading a hundred groups per call as the page needs
// them; or, with a group filter, that group's (id=, one call; 404 for an
// unknown group).
func (a *Adapter) ListTags(ctx context.Context, q domain.TagQuery, p domain.PageRequest) (domain.Page[domain.Tag], error) {
	if q.GroupID == "" {
		return a.walkTags(ctx, p)
	}
	id, err := smartTagID("query.group_id", q.GroupID, "tag group")
	if err != nil {
		return domain.Page[domain.Tag]{}, err
	}
	g, found, err := a.group(ctx, id, true)
	switch {
	case err != nil:
		return domain.Page[domain.Tag]{}, err
	case !found:
		return domain.Page[domain.Tag]{}, vendorhttp.NotFound(vendor, "tag group")
	}
	tags, err := g.tags()
	if err != nil {
		return domain.Page[domain.Tag]{}, err
	}
	out := make([]domain.Tag, len(tags))
	for i, t := range tags {
		out[i] = t.domain(ctx)
	}
	return vendorhttp.SlicePage(out, p)
}

// tagState is where a list of every tag goes on: the group page (of a
// hundred groups) and how many of that page's tags were served. Its text
// is "t<page>.<skip>", one spelling per state.
type tagState struct{ page, skip int }

func (s tagState) String() string {
	return "t" + strconv.Itoa(s.page) + "." + strconv.Itoa(s.skip)
}

// parseTagState reads a state tagState.String wrote; "" is the start.
func parseTagState(state string) (tagState, error) {
	if state == "" {
		return tagState{page: 1}, nil
	}
	rest, ok := strings.CutPrefix(state, "t")
	pg, sk, ok2 := strings.Cut(rest, ".")
	page, err1 := strconv.Atoi(pg)
	skip, err2 := strconv.Atoi(sk)
	s := tagState{page: page, skip: skip}
	if !ok || !ok2 || err1 != nil || err2 != nil || page < 1 || skip < 0 || s.String() != state {
		return tagState{}, &domain.CursorError{Reason: "the cursor does not belong to this list"}
	}
	return s, nil
}

// walkTags serves a page of every group's tags. Tags come within their
// groups, so a page is read from as many group pages as it needs, from
// where the last one stopped; a page that ends on a short group page
// ends the list.
func (a *Adapter) walkTags(ctx context.Context, p domain.PageRequest) (domain.Page[domain.Tag], error) {
	st, err := parseTagState(p.State)
	if err != nil {
		return domain.Page[domain.Tag]{}, err
	}
	need := max(p.Limit, 1)
	var out domain.Page[domain.Tag]
	err = a.eachGroupPage(ctx, st.page, func(page int, groups []listedGroup) (bool, error) {
		var tags []listedTag
		for _, g := range groups {
			gt, err := g.tags()
			if err != nil {
				return false, err
			}
			tags = append(tags, gt...)
		}
		skip := 0
		if page == st.page {
			skip = min(st.skip, len(tags))
		}
		rest := tags[skip:]
		if len(rest) > need {
			rest = rest[:need]
			out.Next = tagState{page: page, skip: skip + need}.String()
		} else if len(rest) == need && len(groups) == groupPageSize {
			out.Next = tagState{page: page + 1}.String()
		}
		for _, t := range rest {
			out.Items = append(out.Items, t.domain(ctx))
		}
		need -= len(rest)
		return need > 0, nil
	})
	if err != nil {
		return domain.Page[domain.Tag]{}, err
	}
	return out, nil
}

// findTag reads the id of a tag given in field and finds it among every
// group's tags (GET /smart-tag/list?with_tags=1): Miaokol has no lookup
// of one tag, and tags and groups share one id space, so a tag's write
// given a group's id would change the group.
func (a *Adapter) findTag(ctx context.Context, field, id string) (listedTag, error) {
	n, err := smartTagID(field, id, "tag")
	if err != nil {
		return listedTag{}, err
	}
	all, err := a.all(ctx)
	if err != nil {
		return listedTag{}, err
	}
	t, ok := all.tags[n]
	if !ok {
		return listedTag{}, vendorhttp.NotFound(vendor, "tag")
	}
	return t, nil
}

// CreateTag implements domain.TagCreator: after a lookup of the group
// (GET /smart-tag/list?id=, 404 for an unknown group), POST
// /smart-tag/add with id 0, type 1 and the group as parent_id. Every
// Miaokol tag lives in a group (a tag outside any is never listed), so a
// tag without a group is refused.
func (a *Adapter) CreateTag(ctx context.Context, name, groupID string) (domain.Tag, error) {
	if groupID == "" {
		return domain.Tag{}, domain.Invalid("body.group_id", "is required: every miaokol tag belongs to a tag group")
	}
	if err := checkName(name); err != nil {
		return domain.Tag{}, err
	}
	group, err := a.findGroup(ctx, "body.group_id", groupID)
	if err != nil {
		return domain.Tag{}, err
	}
	rec, raw, err := a.add(ctx, addParams{Name: name, Type: typeTag, ParentID: &group})
	if err != nil {
		return domain.Tag{}, err
	}
	return rec.tag(group, raw), nil
}

// RenameTag implements domain.TagRenamer: after finding the tag and its
// group (GET /smart-tag/list?with_tags=1, 404 for an unknown tag), POST
// /smart-tag/add with the tag's id, type 1 and its group as parent_id.
func (a *Adapter) RenameTag(ctx context.Context, id, name string) (domain.Tag, error) {
	if err := checkName(name); err != nil {
		return domain.Tag{}, err
	}
	t, err := a.findTag(ctx, "path.tag_id", id)
	if err != nil {
		return domain.Tag{}, err
	}
	rec, raw, err := a.add(ctx, addParams{ID: int64(t.ID), Name: name, Type: typeTag, ParentID: &t.group})
	if err != nil {
		return domain.Tag{}, err
	}
	out := rec.tag(t.group, raw)
	out.ContactCount = t.contactCount() // a rename keeps the tag's contacts
	return out, nil
}

// DeleteTag implements domain.TagDeleter: after finding the tag (GET
// /smart-tag/list?with_tags=1, 404 for an unknown tag), POST
// /smart-tag/delete.
func (a *Adapter) DeleteTag(ctx context.Context, id string) error {
	t, err := a.findTag(ctx, "path.tag_id", id)
	if err != nil {
		return err
	}
	return a.remove(ctx, int64(t.ID))
}
