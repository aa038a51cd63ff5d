package meihua

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// mhTagOf is a tag as /contact/tag/all answers it, read two ways as
// mhContactOf is.
type mhTagOf[S ~string, N ~int64] struct {
	ID          N  `json:"id"`
	TagName     S  `json:"tagName"`
	ContactSize *N `json:"contactSize"`
}

func (t mhTagOf[S, N]) domain(raw json.RawMessage) domain.Tag {
	out := domain.Tag{ID: decimal(t.ID), Name: value(t.TagName), Raw: raw}
	if t.ContactSize != nil {
		n := int(*t.ContactSize)
		out.ContactCount = &n
	}
	return out
}

// tagPage reads one page of tags (GET /contact/tag/all), those whose
// name holds key when key is not "".
func (a *Adapter) tagPage(ctx context.Context, key string, page, size int) ([]domain.Tag, error) {
	return searchPage(ctx, a, "/contact/tag/all", "tags", key, page, size, mhTagOf[string, int64].domain, mhTagOf[text, num].domain)
}

// ListTags implements domain.TagLister (GET /contact/tag/all). Meihua has
// no tag groups, so a tag group filter is refused.
func (a *Adapter) ListTags(ctx context.Context, q domain.TagQuery, p domain.PageRequest) (domain.Page[domain.Tag], error) {
	if q.GroupID != "" {
		return domain.Page[domain.Tag]{}, domain.Invalid("query.group_id", "meihua has no tag groups")
	}
	return vendorhttp.WalkPages(pages, p, func(page, size int) ([]domain.Tag, error) {
		return a.tagPage(ctx, "", page, size)
	})
}

// tagsNamed lists the tags named exactly name (found by key search).
func (a *Adapter) tagsNamed(ctx context.Context, name string) ([]domain.Tag, error) {
	var out []domain.Tag
	err := every(func(page, size int) ([]domain.Tag, error) { return a.tagPage(ctx, name, page, size) }, func(t domain.Tag) bool {
		if t.Name == name {
			out = append(out, t)
		}
		return true
	})
	return out, err
}

// CreateTag implements domain.TagCreator (POST /contact/tag/add). Meihua
// answers the add without the tag: the adapter lists the tags of that
// name (GET /contact/tag/all, key search) before and after it, and
// answers the new one. When no new one appears and one of that name was
// there before, Meihua kept its tag and the create answers VendorExists.
// Meihua has no tag groups, so a tag group is refused.
func (a *Adapter) CreateTag(ctx context.Context, name, groupID string) (domain.Tag, error) {
	if groupID != "" {
		return domain.Tag{}, domain.Invalid("body.group_id", "meihua has no tag groups")
	}
	before, err := a.tagsNamed(ctx, name)
	if err != nil {
		return domain.Tag{}, err
	}
	if _, _, err := a.data(ctx, call{method: http.MethodPost, path: "/contact/tag/add", query: url.Values{"name": {name}}}); err != nil {
		return domain.Tag{}, err
	}
	after, err := a.tagsNamed(ctx, name)
	if err != nil {
		return domain.Tag{}, err
	}
	if t, ok := newest(after, before, func(t domain.Tag) string { return t.ID }); ok {
		return t, nil
	}
	if len(before) > 0 {
		return domain.Tag{}, &domain.VendorError{Vendor: vendor, Kind: domain.VendorExists, Detail: "meihua already has a tag with this name"}
	}
	return domain.Tag{}, vendorhttp.BadResponse(vendor, 0, "meihua took the new tag but does not list it")
}

// newest returns the item of after with the highest id that before does
// not hold: the record a create added, as ids grow.
func newest[T any](after, before []T, id func(T) string) (T, bool) {
	had := make(map[string]bool, len(before))
	for _, b := range before {
		had[id(b)] = true
	}
	var best T
	found := false
	for _, x := range after {
		if !had[id(x)] && (!found || vendorhttp.LessID(id(best), id(x))) {
			best, found = x, true
		}
	}
	return best, found
}
