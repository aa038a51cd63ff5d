package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// TokensOptions configures a Tokens store.
type TokensOptions struct {
	// Prefix is put before every key; DefaultPrefix when empty.
	Prefix string
}

// Tokens is a domain.TokenStore on Redis, shared by every replica.
type Tokens struct {
	c      goredis.UniversalClient
	prefix string
}

var _ domain.TokenStore = (*Tokens)(nil)

// NewTokens returns a token store on client.
func NewTokens(client goredis.UniversalClient, opts TokensOptions) *Tokens {
	return &Tokens{c: client, prefix: prefixOr(opts.Prefix)}
}

func (s *Tokens) tokenKey(key string) string   { return s.prefix + "token:" + key }
func (s *Tokens) lockKey(key string) string    { return s.prefix + "token-lock:" + key }
func (s *Tokens) refreshKey(key string) string { return s.prefix + "refresh:" + key }

// Token implements domain.TokenStore.
func (s *Tokens) Token(ctx context.Context, key string) (domain.StoredToken, bool, error) {
	vals, err := s.c.HMGet(ctx, s.tokenKey(key), "value", "expires").Result()
	if err != nil {
		return domain.StoredToken{}, false, unavailable("get token", err)
	}
	value, ok1 := vals[0].(string)
	exp, ok2 := vals[1].(string)
	if !ok1 || !ok2 {
		return domain.StoredToken{}, false, nil
	}
	expires, err := parseTime(exp)
	if err != nil {
		// Not written by this store: treat it as missing, so that the
		// next fetch overwrites it instead of failing every call.
		return domain.StoredToken{}, false, nil
	}
	return domain.StoredToken{Value: value, Expires: expires}, true, nil
}

// putTokenScript replaces the token hash and its TTL in one step, so that
// no reader sees a token without expiry.
var putTokenScript = goredis.NewScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'value', ARGV[1], 'expires', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

// PutToken implements domain.TokenStore. A ttl that is not positive
// deletes the token, as an already expired one would be.
func (s *Tokens) PutToken(ctx context.Context, key string, tok domain.StoredToken, ttl time.Duration) error {
	k := s.tokenKey(key)
	if ttl <= 0 {
		if err := s.c.Del(ctx, k).Err(); err != nil {
			return unavailable("put token", err)
		}
		return nil
	}
	err := putTokenScript.Run(ctx, s.c, []string{k}, tok.Value, formatTime(tok.Expires), millis(ttl)).Err()
	if err != nil {
		return unavailable("put token", err)
	}
	return nil
}

// dropTokenScript deletes the token only if it still has the given value.
var dropTokenScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'value') == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// DropToken implements domain.TokenStore.
func (s *Tokens) DropToken(ctx context.Context, key, value string) error {
	if err := dropTokenScript.Run(ctx, s.c, []string{s.tokenKey(key)}, value).Err(); err != nil {
		return unavailable("drop token", err)
	}
	return nil
}

// unlockScript deletes a lock only while it holds the caller's owner id.
var unlockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// LockToken implements domain.TokenStore with SET NX PX and a random
// owner id that release compares before deleting. ttl is at least 1 ms.
func (s *Tokens) LockToken(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	owner := newOwnerID()
	k := s.lockKey(key)
	err := s.c.SetArgs(ctx, k, owner, goredis.SetArgs{Mode: "NX", TTL: max(ttl, time.Millisecond)}).Err()
	switch {
	case errors.Is(err, goredis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, unavailable("lock token", err)
	}
	release := func(ctx context.Context) error {
		if err := unlockScript.Run(ctx, s.c, []string{k}, owner).Err(); err != nil {
			return unavailable("unlock token", err)
		}
		return nil
	}
	return release, true, nil
}

// RefreshToken implements domain.TokenStore.
func (s *Tokens) RefreshToken(ctx context.Context, key string) (string, bool, error) {
	v, err := s.c.Get(ctx, s.refreshKey(key)).Result()
	switch {
	case errors.Is(err, goredis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, unavailable("get refresh token", err)
	}
	return v, true, nil
}

// swapRefreshScript sets the refresh token to ARGV[2] if it is ARGV[1]; a
// missing token counts as "".
var swapRefreshScript = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then
	return 0
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`)

// SwapRefreshToken implements domain.TokenStore.
func (s *Tokens) SwapRefreshToken(ctx context.Context, key, old, next string) (bool, error) {
	n, err := swapRefreshScript.Run(ctx, s.c, []string{s.refreshKey(key)}, old, next).Int()
	if err != nil {
		return false, unavailable("swap refresh token", err)
	}
	return n == 1, nil
}

// newOwnerID is a random lock owner id: unique across replicas without
// coordination.
func newOwnerID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

func prefixOr(p string) string {
	if p == "" {
		return DefaultPrefix
	}
	return p
}

// millis is d in milliseconds for PX/PEXPIRE, rounded up and at least 1, so
// that nothing expires earlier than asked.
func millis(d time.Duration) int64 {
	return max(int64((d+time.Millisecond-1)/time.Millisecond), 1)
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}
