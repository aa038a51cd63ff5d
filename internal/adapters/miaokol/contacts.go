package miaokol

import (
	"context"
	"net/http"
	"strconv"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

var _ domain.ContactTagSetter = (*Adapter)(nil)

// updateContactParams are the parameters of POST /smart-tag/updateContact.
type updateContactParams struct {
	RelWxid     string  `json:"rel_wxid"`
	ContactWxid string  `json:"contact_wxid"`
	SmartTagIDs []int64 `json:"smart_tag_ids"` // never null: [] clears
}

// SetContactTags implements domain.ContactTagSetter with POST
// /smart-tag/updateContact, which replaces the customer's whole set of
// smart tags. The contact id is checked before any call (400 for a
// malformed one), and so are the tags: each must be a tag Miaokol lists
// (GET /smart-tag/list?with_tags=1), not a group, which shares their id
// space (400 naming the item otherwise). The answer is the tags as asked,
// once each, in the order given, named as that list reads; the vendor's
// answer (the customer's record, whose shape is not published) is not
// read. An empty list clears the tags without the lookup.
func (a *Adapter) SetContactTags(ctx context.Context, contactID string, tagIDs []string) ([]domain.TagRef, error) {
	rel, contact, err := ParseContactID(contactID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(tagIDs))
	index := map[int64]int{} // a tag's first place in tagIDs
	var bad domain.ValidationError
	for i, id := range tagIDs {
		n, ok := parseSmartTagID(id)
		if !ok {
			bad.Fields = append(bad.Fields, domain.FieldError{Field: tagField(i), Message: badSmartTagID("tag")})
			continue
		}
		if _, dup := index[n]; !dup {
			index[n] = i
			ids = append(ids, n)
		}
	}
	if len(bad.Fields) > 0 {
		return nil, &bad
	}
	refs := make([]domain.TagRef, 0, len(ids))
	if len(ids) > 0 {
		all, err := a.all(ctx)
		if err != nil {
			return nil, err
		}
		for _, n := range ids {
			t, ok := all.tags[n]
			switch {
			case ok:
				refs = append(refs, domain.TagRef{ID: t.ID.id(), Name: t.Name})
			case all.groups[n].ID != 0:
				bad.Fields = append(bad.Fields, domain.FieldError{Field: tagField(index[n]), Message: "is a miaokol tag group, not a tag"})
			default:
				bad.Fields = append(bad.Fields, domain.FieldError{Field: tagField(index[n]), Message: "is no tag miaokol has"})
			}
		}
		if len(bad.Fields) > 0 {
			return nil, &bad
		}
	}
	_, _, err = a.data(ctx, call{method: http.MethodPost, path: "/smart-tag/updateContact", write: true, idempotent: true,
		params: updateContactParams{RelWxid: rel, ContactWxid: contact, SmartTagIDs: ids}})
	if err != nil {
		return nil, err
	}
	return refs, nil
}

func tagField(i int) string { return "body.tag_ids[" + strconv.Itoa(i) + "]" }
