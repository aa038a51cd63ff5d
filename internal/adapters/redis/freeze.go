package redis

import (
	"context"
	"errors"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Freezes is a domain.FreezeStore on Redis: one key per frozen tenant,
// holding the freeze's end (Unix ms) and expiring then.
type Freezes struct {
	c   goredis.UniversalClient
	pfx string
}

var _ domain.FreezeStore = (*Freezes)(nil)

// NewFreezes returns a freeze store on client, its keys under prefix
// (DefaultPrefix when empty).
func NewFreezes(client goredis.UniversalClient, prefix string) *Freezes {
	return &Freezes{c: client, pfx: prefixOr(prefix)}
}

func (s *Freezes) key(tenant string) string { return s.pfx + "freeze:" + tenant }

// Freeze implements domain.FreezeStore.
func (s *Freezes) Freeze(ctx context.Context, tenant string, until time.Time) error {
	if !until.After(time.Now()) {
		return s.Unfreeze(ctx, tenant)
	}
	if err := s.c.Set(ctx, s.key(tenant), until.UnixMilli(), 0).Err(); err != nil {
		return unavailable("freeze tenant writes", err)
	}
	if err := s.c.PExpireAt(ctx, s.key(tenant), until).Err(); err != nil {
		return unavailable("freeze tenant writes", err)
	}
	return nil
}

// Unfreeze implements domain.FreezeStore.
func (s *Freezes) Unfreeze(ctx context.Context, tenant string) error {
	if err := s.c.Del(ctx, s.key(tenant)).Err(); err != nil {
		return unavailable("unfreeze tenant writes", err)
	}
	return nil
}

// Frozen implements domain.FreezeStore.
func (s *Freezes) Frozen(ctx context.Context, tenant string) (time.Time, bool, error) {
	v, err := s.c.Get(ctx, s.key(tenant)).Result()
	if errors.Is(err, goredis.Nil) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, unavailable("read tenant freeze", err)
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false, unavailable("read tenant freeze", err)
	}
	return time.UnixMilli(ms), true, nil
}
