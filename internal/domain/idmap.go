package domain

import "context"

// IDMapStore keeps, per tenant, where a migration carried each record: the
// record's canonical id at the vendor it came from to its canonical id at
// the vendor it went to (lf_2865 -> mh_4338372). After the switch, a
// request naming an old id is served through it.
type IDMapStore interface {
	// PutIDs records pairs (from -> to) for tenant. Recording a pair
	// again, as a re-run or a takeover does, replaces it.
	PutIDs(ctx context.Context, tenant string, pairs map[string]string) error
	// LookupIDs returns the pairs of tenant whose from is in ids; ids
	// without a pair are left out.
	LookupIDs(ctx context.Context, tenant string, ids []string) (map[string]string, error)
}

// RecordKind is the kind of record an id names (not IDKind, how a vendor
// writes its ids). The id map keeps each kind
// apart: a vendor numbers each kind on its own, so Linkflow's contact 5
// and its group 5 are both lf_5.
type RecordKind string

// The kinds of records a migration carries.
const (
	ContactKind  RecordKind = "contact"
	GroupKind    RecordKind = "group"
	TagKind      RecordKind = "tag"
	TagGroupKind RecordKind = "tag_group"
	EventKind    RecordKind = "event"
)

// mapKey is the id map's key of the canonical id of a record of kind.
func mapKey(kind RecordKind, id string) string { return string(kind) + ":" + id }

// kindIDs is a tenant's id map for one kind of record: its keys and
// values are canonical ids.
type kindIDs struct {
	store IDMapStore
	kind  RecordKind
}

// PutIDs implements IDMapStore.
func (k kindIDs) PutIDs(ctx context.Context, tenant string, pairs map[string]string) error {
	if len(pairs) == 0 {
		return nil
	}
	keyed := make(map[string]string, len(pairs))
	for from, to := range pairs {
		keyed[mapKey(k.kind, from)] = to
	}
	return k.store.PutIDs(ctx, tenant, keyed)
}

// LookupIDs implements IDMapStore.
func (k kindIDs) LookupIDs(ctx context.Context, tenant string, ids []string) (map[string]string, error) {
	if len(ids) == 0 {
		return map[string]string{}, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = mapKey(k.kind, id)
	}
	found, err := k.store.LookupIDs(ctx, tenant, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(found))
	for i, id := range ids {
		if to, ok := found[keys[i]]; ok {
			out[id] = to
		}
	}
	return out, nil
}

// idField is an id in a request: the member errors name, and the kind of
// record it names, by which an old vendor's id is translated.
type idField struct {
	name string
	kind RecordKind
}

// The ids requests carry.
var (
	pathContactID   = idField{"path.contact_id", ContactKind}
	bodyContactID   = idField{"body.contact_id", ContactKind}
	bodyContactIDs  = idField{"body.contact_ids", ContactKind}
	pathGroupID     = idField{"path.group_id", GroupKind}
	queryGroupID    = idField{"query.group_id", GroupKind}
	pathTagID       = idField{"path.tag_id", TagKind}
	queryTagID      = idField{"query.tag_id", TagKind}
	bodyTagIDs      = idField{"body.tag_ids", TagKind}
	pathTagGroupID  = idField{"path.tag_group_id", TagGroupKind}
	queryTagGroupID = idField{"query.group_id", TagGroupKind} // the tags of a tag group
	bodyTagGroupID  = idField{"body.group_id", TagGroupKind}  // a new tag's group
)
