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
