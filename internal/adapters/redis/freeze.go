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
// holding the freeze's end (Unix ms) and expiring then, and one sorted
// set per tenant of its running writes (member the write's id, score its
// deadline in Unix ms), expiring with its latest deadline.
//
// BeginWrite's script reads the one and adds to the other, so both must
// be in one Cluster slot. The freeze key is the one earlier releases
// used (prefix + "freeze:" + tenant, no hash tag: replicas of both
// releases see each other's freezes while they are rolled), and the set's
// hash tag is that whole key (prefix + "writes:{" + freeze key + "}"),
// which puts it in the freeze key's slot: a key without braces is hashed
// whole. Tenant ids (config) and the prefix hold no braces.
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

func (s *Freezes) writesKey(tenant string) string {
	return s.pfx + "writes:{" + s.key(tenant) + "}"
}

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

// beginWriteScript answers the freeze's end (Unix ms) when KEYS[1]
// holds one, or registers the write ARGV[1] in KEYS[2] until ARGV[2]
// (Unix ms) and answers 0. It forgets writes whose deadline passed before
// ARGV[3] (now, Unix ms; their end was missed) and keeps the set until
// its latest deadline.
var beginWriteScript = goredis.NewScript(`
local frozen = redis.call('GET', KEYS[1])
if frozen then
	return tonumber(frozen)
end
local deadline, now = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], deadline, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
if redis.call('PTTL', KEYS[2]) < deadline - now then
	redis.call('PEXPIREAT', KEYS[2], deadline)
end
return 0
`)

// BeginWrite implements domain.FreezeStore in one round trip.
func (s *Freezes) BeginWrite(ctx context.Context, tenant, id string, deadline time.Time) (time.Time, bool, error) {
	now := time.Now()
	if !deadline.After(now) {
		deadline = now.Add(time.Millisecond)
	}
	until, err := beginWriteScript.Run(ctx, s.c, []string{s.key(tenant), s.writesKey(tenant)}, id, deadline.UnixMilli(), now.UnixMilli()).Int64()
	if err != nil {
		return time.Time{}, false, unavailable("begin tenant write", err)
	}
	if until != 0 {
		return time.UnixMilli(until), true, nil
	}
	return time.Time{}, false, nil
}

// EndWrite implements domain.FreezeStore.
func (s *Freezes) EndWrite(ctx context.Context, tenant, id string) error {
	if err := s.c.ZRem(ctx, s.writesKey(tenant), id).Err(); err != nil {
		return unavailable("end tenant write", err)
	}
	return nil
}

// WritesRunning implements domain.FreezeStore.
func (s *Freezes) WritesRunning(ctx context.Context, tenant string) (time.Time, bool, error) {
	zs, err := s.c.ZRevRangeByScoreWithScores(ctx, s.writesKey(tenant), &goredis.ZRangeBy{
		Max: "+inf", Min: "(" + strconv.FormatInt(time.Now().UnixMilli(), 10), Count: 1,
	}).Result()
	if err != nil {
		return time.Time{}, false, unavailable("read tenant writes", err)
	}
	if len(zs) == 0 {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(int64(zs[0].Score)), true, nil
}
