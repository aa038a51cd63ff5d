package miaokol

import (
	"context"
	"encoding/json"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

var (
	_ domain.TagGroupLister  = (*Adapter)(nil)
	_ domain.TagGroupCreator = (*Adapter)(nil)
	_ domain.TagGroupRenamer = (*Adapter)(nil)
	_ domain.TagGroupDeleter = (*Adapter)(nil)
)

func (g listedGroup) domain(ctx context.Context) domain.TagGroup {
	out := domain.TagGroup{ID: g.ID.id(), Name: g.Name}
	if domain.WantRaw(ctx) {
		out.Raw = g.raw
	}
	return out
}

func (r mkRecord) tagGroup(raw json.RawMessage) domain.TagGroup {
	return domain.TagGroup{ID: r.ID.id(), Name: r.Name, CreatedAt: r.CTime.seconds(), UpdatedAt: r.UTime.seconds(), Raw: raw}
}

// ListTagGroups implements domain.TagGroupLister (GET /smart-tag/list
// without tags, pages of at most 100 groups).
func (a *Adapter) ListTagGroups(ctx context.Context, p domain.PageRequest) (domain.Page[domain.TagGroup], error) {
	return vendorhttp.WalkPages(groupPages, p, func(page, size int) ([]domain.TagGroup, error) {
		groups, err := a.listGroups(ctx, listQuery{page: page, size: size})
		if err != nil {
			return nil, err
		}
		out := make([]domain.TagGroup, len(groups))
		for i, g := range groups {
			out[i] = g.domain(ctx)
		}
		return out, nil
	})
}

// CreateTagGroup implements domain.TagGroupCreator (POST /smart-tag/add,
// id 0 and type 2).
func (a *Adapter) CreateTagGroup(ctx context.Context, name string) (domain.TagGroup, error) {
	if err := checkName(name); err != nil {
		return domain.TagGroup{}, err
	}
	rec, raw, err := a.add(ctx, addParams{Name: name, Type: typeGroup})
	if err != nil {
		return domain.TagGroup{}, err
	}
	return rec.tagGroup(raw), nil
}

// findGroup reads the id of a tag group given in field and checks that
// Miaokol has such a group (GET /smart-tag/list?id=): tags and groups
// share one id space, and a group's write given a tag's id would turn
// the tag into a group.
func (a *Adapter) findGroup(ctx context.Context, field, id string) (int64, error) {
	n, err := smartTagID(field, id, "tag group")
	if err != nil {
		return 0, err
	}
	_, found, err := a.group(ctx, n, false)
	switch {
	case err != nil:
		return 0, err
	case !found:
		return 0, vendorhttp.NotFound(vendor, "tag group")
	}
	return n, nil
}

// RenameTagGroup implements domain.TagGroupRenamer: after a lookup (GET
// /smart-tag/list?id=, 404 for an unknown group), POST /smart-tag/add
// with the group's id and type 2.
func (a *Adapter) RenameTagGroup(ctx context.Context, id, name string) (domain.TagGroup, error) {
	if err := checkName(name); err != nil {
		return domain.TagGroup{}, err
	}
	n, err := a.findGroup(ctx, "path.tag_group_id", id)
	if err != nil {
		return domain.TagGroup{}, err
	}
	rec, raw, err := a.add(ctx, addParams{ID: n, Name: name, Type: typeGroup})
	if err != nil {
		return domain.TagGroup{}, err
	}
	return rec.tagGroup(raw), nil
}

// DeleteTagGroup implements domain.TagGroupDeleter: after a lookup (GET
// /smart-tag/list?id=, 404 for an unknown group), POST /smart-tag/delete.
// Miaokol deletes the group's tags with it.
func (a *Adapter) DeleteTagGroup(ctx context.Context, id string) error {
	n, err := a.findGroup(ctx, "path.tag_group_id", id)
	if err != nil {
		return err
	}
	return a.remove(ctx, n)
}

var _ domain.TagGroupRequirer = (*Adapter)(nil)

// TagsNeedGroup implements domain.TagGroupRequirer: every Miaokol tag
// belongs to a tag group.
func (a *Adapter) TagsNeedGroup() bool { return true }
