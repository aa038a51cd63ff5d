package linkflow

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// lfTag is Linkflow tag metadata (GET /v1/tags).
type lfTag struct {
	TagID       int64  `json:"tagId"`
	TagKey      string `json:"tagKey"`
	TagName     string `json:"tagName"`
	TagType     string `json:"tagType"`
	FolderID    int64  `json:"folderId"`
	DateCreated string `json:"dateCreated"`
	LastUpdated string `json:"lastUpdated"`
}

func (t lfTag) domain(raw json.RawMessage) domain.Tag {
	out := domain.Tag{
		ID: strconv.FormatInt(t.TagID, 10), Name: t.TagName, Key: t.TagKey, Type: t.TagType,
		CreatedAt: parseTime(t.DateCreated), UpdatedAt: parseTime(t.LastUpdated), Raw: raw,
	}
	if t.FolderID > 0 {
		out.GroupID = strconv.FormatInt(t.FolderID, 10)
	}
	return out
}

// maxTagPage is the documented largest size of a /v1/tags page.
const maxTagPage = 200

// ListTags implements domain.TagLister (GET /v1/tags, page from 0, size at
// most 200). Linkflow cannot filter tags by folder; with a group_id the
// gateway keeps the matching tags of each vendor page, so a page can hold
// fewer tags than the limit.
func (a *Adapter) ListTags(ctx context.Context, q domain.TagQuery, p domain.PageRequest) (domain.Page[domain.Tag], error) {
	off, err := parseOffset(p.State)
	if err != nil {
		return domain.Page[domain.Tag]{}, err
	}
	items, more, err := window(off, min(p.Limit, maxTagPage), func(page, size int) ([]domain.Tag, error) {
		resp, err := a.do(ctx, call{method: http.MethodGet, host: cdpAPI, path: "/v1/tags", query: url.Values{
			"page": {strconv.Itoa(page)}, "size": {strconv.Itoa(size)},
		}})
		if err != nil {
			return nil, err
		}
		recs, raws, err := decodeList[lfTag](ctx, resp)
		if err != nil {
			return nil, err
		}
		out := make([]domain.Tag, len(recs))
		for i, r := range recs {
			out[i] = r.domain(raws[i])
		}
		return out, nil
	})
	if err != nil {
		return domain.Page[domain.Tag]{}, err
	}
	page := domain.Page[domain.Tag]{}
	for _, t := range items {
		if q.GroupID == "" || t.GroupID == q.GroupID {
			page.Items = append(page.Items, t)
		}
	}
	if more {
		page.Next = offsetState(off + len(items))
	}
	return page, nil
}

// lfFolder is a Linkflow folder (GET /open/folders); folders of domain TAG
// organise tags and are the gateway's tag groups.
type lfFolder struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Domain      string `json:"domain"`
	ParentID    int64  `json:"parentId"`
	DateCreated string `json:"dateCreated"`
	LastUpdated string `json:"lastUpdated"`
}

// ListTagGroups implements domain.TagGroupLister (GET /open/folders, the
// folders whose domain is TAG).
func (a *Adapter) ListTagGroups(ctx context.Context, p domain.PageRequest) (domain.Page[domain.TagGroup], error) {
	resp, err := a.do(ctx, call{method: http.MethodGet, host: cdpAPI, path: "/open/folders"})
	if err != nil {
		return domain.Page[domain.TagGroup]{}, err
	}
	recs, raws, err := decodeList[lfFolder](ctx, resp)
	if err != nil {
		return domain.Page[domain.TagGroup]{}, err
	}
	var all []domain.TagGroup
	for i, f := range recs {
		if f.Domain != "" && f.Domain != "TAG" {
			continue
		}
		g := domain.TagGroup{ID: strconv.FormatInt(f.ID, 10), Name: f.Name, CreatedAt: parseTime(f.DateCreated), UpdatedAt: parseTime(f.LastUpdated), Raw: raws[i]}
		if f.ParentID > 0 {
			g.ParentID = strconv.FormatInt(f.ParentID, 10)
		}
		all = append(all, g)
	}
	return slicePage(all, p.State, p.Limit)
}
