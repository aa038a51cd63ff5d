package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// IDMapOptions configures an IDMap.
type IDMapOptions struct {
	// Prefix is put before every key; DefaultPrefix when empty.
	Prefix string
}

// IDMap is a domain.IDMapStore on Redis: one hash per tenant, from -> to.
// The pairs have no expiry: old ids are served for as long as the map is
// kept.
type IDMap struct {
	c   goredis.UniversalClient
	pfx string
}

var _ domain.IDMapStore = (*IDMap)(nil)

// NewIDMap returns an id map on client.
func NewIDMap(client goredis.UniversalClient, opts IDMapOptions) *IDMap {
	return &IDMap{c: client, pfx: prefixOr(opts.Prefix)}
}

func (s *IDMap) key(tenant string) string { return s.pfx + "idmap:" + tenant }

// PutIDs implements domain.IDMapStore.
func (s *IDMap) PutIDs(ctx context.Context, tenant string, pairs map[string]string) error {
	if len(pairs) == 0 {
		return nil
	}
	if err := s.c.HSet(ctx, s.key(tenant), pairs).Err(); err != nil {
		return unavailable("record carried ids", err)
	}
	return nil
}

// LookupIDs implements domain.IDMapStore.
func (s *IDMap) LookupIDs(ctx context.Context, tenant string, ids []string) (map[string]string, error) {
	out := make(map[string]string)
	if len(ids) == 0 {
		return out, nil
	}
	v, err := s.c.HMGet(ctx, s.key(tenant), ids...).Result()
	if err != nil {
		return nil, unavailable("look up carried ids", err)
	}
	for i, to := range v {
		if to, ok := to.(string); ok {
			out[ids[i]] = to
		}
	}
	return out, nil
}
