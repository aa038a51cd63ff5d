package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// TokensOptions configures a Tokens store.
type TokensOptions struct {
	// Prefix is put before every key; DefaultPrefix when empty.
	Prefix string
}

// Tokens is a domain.TokenStore on Redis, shared by every replica. Every
// value it stores is sealed with its keyring (package doc, Tokens at
// rest); compare-and-swaps compare plaintexts.
type Tokens struct {
	c      goredis.UniversalClient
	prefix string
	keys   *Keyring
	// beforeWrite, when set (tests), runs between the read of a
	// compare-and-swap and its conditional write.
	beforeWrite func()
}

var _ domain.TokenStore = (*Tokens)(nil)

// NewTokens returns a token store on client that seals every value with
// keys. keys is required: tokens are never stored in Redis in the clear.
func NewTokens(client goredis.UniversalClient, keys *Keyring, opts TokensOptions) (*Tokens, error) {
	if keys == nil || keys.current == "" {
		return nil, errors.New("redis tokens: a keyring (token_keys) is required: tokens are never stored in Redis in the clear")
	}
	return &Tokens{c: client, prefix: prefixOr(opts.Prefix), keys: keys}, nil
}

// Keys is the keyring the store seals with.
func (s *Tokens) Keys() *Keyring { return s.keys }

func (s *Tokens) tokenKey(key string) string   { return s.prefix + "token:" + key }
func (s *Tokens) lockKey(key string) string    { return s.prefix + "token-lock:" + key }
func (s *Tokens) refreshKey(key string) string { return s.prefix + "refresh:" + key }

// Token implements domain.TokenStore. A value that does not open reads as
// no token, so that the gateway fetches a new one, which replaces it; one
// sealed with an older key is sealed again with the current one.
func (s *Tokens) Token(ctx context.Context, key string) (domain.StoredToken, bool, error) {
	k := s.tokenKey(key)
	vals, err := s.c.HMGet(ctx, k, "value", "expires").Result()
	if err != nil {
		return domain.StoredToken{}, false, unavailable("get token", err)
	}
	raw, ok1 := vals[0].(string)
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
	value, stale, err := s.keys.open(k, raw)
	if err != nil {
		return domain.StoredToken{}, false, nil
	}
	if stale {
		// Best effort: the next read tries again.
		_, _ = s.resealToken(ctx, k, raw, value)
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
	err := putTokenScript.Run(ctx, s.c, []string{k}, s.keys.seal(k, tok.Value), formatTime(tok.Expires), millis(ttl)).Err()
	if err != nil {
		return unavailable("put token", err)
	}
	return nil
}

// dropTokenScript deletes the token only if its stored (sealed) value is
// still ARGV[1].
var dropTokenScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'value') == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// tokenRaw reads the stored (sealed) access token at the Redis key k.
func (s *Tokens) tokenRaw(ctx context.Context, k string) (string, bool, error) {
	return stored("get token", s.c.HGet(ctx, k, "value"))
}

// refreshRaw reads the stored (sealed) refresh token at the Redis key k.
func (s *Tokens) refreshRaw(ctx context.Context, k string) (string, bool, error) {
	return stored("get refresh token", s.c.Get(ctx, k))
}

// stored is the result of a read of a stored value; ok is false when there
// is none.
func stored(op string, cmd *goredis.StringCmd) (raw string, ok bool, err error) {
	raw, err = cmd.Result()
	switch {
	case errors.Is(err, goredis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, unavailable(op, err)
	}
	return raw, true, nil
}

// resealTokenScript replaces the token's stored value by ARGV[2] if it is
// still ARGV[1], keeping its expiry.
var resealTokenScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'value') == ARGV[1] then
	redis.call('HSET', KEYS[1], 'value', ARGV[2])
	return 1
end
return 0
`)

// resealToken seals value, which raw held under the Redis key k, again
// with the current key, unless raw was replaced meanwhile.
func (s *Tokens) resealToken(ctx context.Context, k, raw, value string) (bool, error) {
	n, err := resealTokenScript.Run(ctx, s.c, []string{k}, raw, s.keys.seal(k, value)).Int()
	if err != nil {
		return false, unavailable("reseal token", err)
	}
	return n == 1, nil
}

// DropToken implements domain.TokenStore: it compares plaintexts, and
// deletes only if the stored bytes it opened are still there (a value
// that does not open is not value, and is left to be replaced).
func (s *Tokens) DropToken(ctx context.Context, key, value string) error {
	k := s.tokenKey(key)
	return untilSettled("drop token", func() (bool, error) {
		raw, ok, err := s.tokenRaw(ctx, k)
		if err != nil || !ok {
			return !ok, err
		}
		if cur, _, err := s.keys.open(k, raw); err != nil || cur != value {
			return true, nil
		}
		s.pause()
		n, err := dropTokenScript.Run(ctx, s.c, []string{k}, raw).Int()
		if err != nil {
			return false, unavailable("drop token", err)
		}
		return n == 1, nil
	})
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

// RefreshToken implements domain.TokenStore. A refresh token that does
// not open is an *OpenError (package doc); one sealed with an older key is
// sealed again with the current one.
func (s *Tokens) RefreshToken(ctx context.Context, key string) (string, bool, error) {
	k := s.refreshKey(key)
	raw, ok, err := s.refreshRaw(ctx, k)
	if err != nil || !ok {
		return "", false, err
	}
	v, stale, err := s.keys.open(k, raw)
	if err != nil {
		return "", false, err
	}
	if stale {
		// Best effort: the next read tries again.
		_, _ = s.resealRefresh(ctx, k, raw, v)
	}
	return v, true, nil
}

// swapRefreshScript sets the refresh token's stored value to ARGV[2] if it
// is ARGV[1]; a missing token counts as "".
var swapRefreshScript = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then
	return 0
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`)

// SwapRefreshToken implements domain.TokenStore. Sealing is randomized, so
// it reads the stored value, opens it and compares plaintexts, then writes
// only if the stored bytes are still the ones it read; if they changed
// (another swap, or a re-seal under a new key) it looks again, so that of
// concurrent swappers from one old value exactly one wins. A stored value
// that does not open is an *OpenError: it is no plaintext old can match,
// and a seed must not replace it either.
func (s *Tokens) SwapRefreshToken(ctx context.Context, key, old, next string) (bool, error) {
	k := s.refreshKey(key)
	swapped := false
	err := untilSettled("swap refresh token", func() (bool, error) {
		raw, ok, err := s.refreshRaw(ctx, k)
		if err != nil {
			return false, err
		}
		cur := ""
		if ok {
			if cur, _, err = s.keys.open(k, raw); err != nil {
				return false, err
			}
		}
		if cur != old {
			return true, nil
		}
		s.pause()
		n, err := swapRefreshScript.Run(ctx, s.c, []string{k}, raw, s.keys.seal(k, next)).Int()
		if err != nil {
			return false, unavailable("swap refresh token", err)
		}
		swapped = n == 1
		return swapped, nil
	})
	return swapped, err
}

// ReplaceRefreshToken implements domain.TokenStore: the value is sealed
// and written over whatever the key held, a value that no longer opens
// included.
func (s *Tokens) ReplaceRefreshToken(ctx context.Context, key, next string) error {
	k := s.refreshKey(key)
	if err := s.c.Set(ctx, k, s.keys.seal(k, next), 0).Err(); err != nil {
		return unavailable("replace refresh token", err)
	}
	return nil
}

// resealRefresh seals value, which raw held under the Redis key k, again
// with the current key, unless raw was replaced meanwhile.
func (s *Tokens) resealRefresh(ctx context.Context, k, raw, value string) (bool, error) {
	n, err := swapRefreshScript.Run(ctx, s.c, []string{k}, raw, s.keys.seal(k, value)).Int()
	if err != nil {
		return false, unavailable("reseal refresh token", err)
	}
	return n == 1, nil
}

// casAttempts bounds how often a compare-and-swap reads again because the
// stored bytes changed between its read and its write. Each retry means
// another writer succeeded, so only a pathological stream of writers to one
// key reaches it.
const casAttempts = 32

// untilSettled runs step until it reports done: step reads, compares, and
// writes on the condition that the stored bytes are still those it read,
// reporting done false when they were not.
func untilSettled(op string, step func() (done bool, err error)) error {
	for range casAttempts {
		done, err := step()
		if err != nil || done {
			return err
		}
	}
	return fmt.Errorf("redis %s: the value changed %d times while it was being compared: %w", op, casAttempts, domain.ErrStoreUnavailable)
}

// pause runs the test hook between a compare-and-swap's read and write.
func (s *Tokens) pause() {
	if s.beforeWrite != nil {
		s.beforeWrite()
	}
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
