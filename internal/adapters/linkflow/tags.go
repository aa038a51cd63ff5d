package linkflow

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
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

// ListTags implements domain.TagLister (GET /v1/tags, page from 0, size at
// most 200). Linkflow cannot filter tags by folder; with a group_id the
// gateway keeps the matching tags of each vendor page, so a page can hold
// fewer tags than the limit.
func (a *Adapter) ListTags(ctx context.Context, q domain.TagQuery, p domain.PageRequest) (domain.Page[domain.Tag], error) {
	tags, err := vendorhttp.WalkPages(tagPages, p, func(page, size int) ([]domain.Tag, error) {
		return doList(ctx, a, call{method: http.MethodGet, host: cdpAPI, path: "/v1/tags", query: url.Values{
			"page": {strconv.Itoa(page)}, "size": {strconv.Itoa(size)},
		}}, lfTag.domain)
	})
	if err != nil || q.GroupID == "" {
		return tags, err
	}
	// The next state counts the tags walked, kept or not.
	tags.Items = slices.DeleteFunc(tags.Items, func(t domain.Tag) bool { return t.GroupID != q.GroupID })
	return tags, nil
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

// tagGroup is a folder as a tag group, and whether it holds tags.
type tagGroup struct {
	group  domain.TagGroup
	ofTags bool
}

func (f lfFolder) tagGroup(raw json.RawMessage) tagGroup {
	g := domain.TagGroup{ID: strconv.FormatInt(f.ID, 10), Name: f.Name, CreatedAt: parseTime(f.DateCreated), UpdatedAt: parseTime(f.LastUpdated), Raw: raw}
	if f.ParentID > 0 {
		g.ParentID = strconv.FormatInt(f.ParentID, 10)
	}
	return tagGroup{group: g, ofTags: f.Domain == "" || f.Domain == "TAG"}
}

// ListTagGroups implements domain.TagGroupLister (GET /open/folders, the
// folders whose domain is TAG).
func (a *Adapter) ListTagGroups(ctx context.Context, p domain.PageRequest) (domain.Page[domain.TagGroup], error) {
	folders, err := doList(ctx, a, call{method: http.MethodGet, host: cdpAPI, path: "/open/folders"}, lfFolder.tagGroup)
	if err != nil {
		return domain.Page[domain.TagGroup]{}, err
	}
	var all []domain.TagGroup
	for _, f := range folders {
		if f.ofTags {
			all = append(all, f.group)
		}
	}
	return vendorhttp.SlicePage(all, p)
}
