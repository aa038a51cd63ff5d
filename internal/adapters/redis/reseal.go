package redis

import (
	"context"
	"errors"
	"strings"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// ResealReport is what Reseal found among the stored token values.
type ResealReport struct {
	// Resealed counts the values sealed with an older key that are now
	// sealed with the current one.
	Resealed int
	// Unopened counts the values that do not open, by the key id they name
	// ("" for values that are not sealed at all). They are left as they
	// are: an access token among them is fetched again when needed; a
	// refresh token fails until its key is listed again.
	Unopened map[string]int
}

// Reseal seals again with the current key every token value in Redis
// that another key of the ring sealed, each with the compare-and-swap on
// the stored bytes that a read uses, so that it never overwrites a
// concurrent write. It is the last step of a key rotation before the old
// key can go (package doc); a replica runs it at start. It scans the
// store's keys with SCAN (every master of a cluster), so it costs one pass
// over the keyspace.
func (s *Tokens) Reseal(ctx context.Context) (ResealReport, error) {
	var mu sync.Mutex
	r := ResealReport{Unopened: map[string]int{}}
	count := func(resealed bool, err error) error {
		var oe *OpenError
		switch {
		case errors.As(err, &oe):
			mu.Lock()
			r.Unopened[oe.KeyID]++
			mu.Unlock()
		case err != nil:
			return err
		case resealed:
			mu.Lock()
			r.Resealed++
			mu.Unlock()
		}
		return nil
	}
	pattern := globEscape(s.prefix)
	err := scan(ctx, s.c, pattern+"token:*", func(k string) error {
		return count(s.reseal(ctx, k, s.tokenRaw, s.resealToken))
	})
	if err == nil {
		err = scan(ctx, s.c, pattern+"refresh:*", func(k string) error {
			return count(s.reseal(ctx, k, s.refreshRaw, s.resealRefresh))
		})
	}
	return r, err
}

// reseal reads the value at the Redis key k and, when an older key sealed
// it, seals it again with write. The error is an *OpenError when the value
// does not open.
func (s *Tokens) reseal(ctx context.Context, k string, read func(ctx context.Context, k string) (string, bool, error),
	write func(ctx context.Context, k, raw, value string) (bool, error)) (bool, error) {
	raw, ok, err := read(ctx, k)
	if err != nil || !ok {
		return false, err
	}
	v, stale, err := s.keys.open(k, raw)
	if err != nil || !stale {
		return false, err
	}
	return write(ctx, k, raw, v)
}

// scan calls fn with every key matching pattern, on every master of a
// cluster. fn may be called concurrently (one goroutine per master).
func scan(ctx context.Context, c goredis.UniversalClient, pattern string, fn func(key string) error) error {
	each := func(ctx context.Context, n goredis.Cmdable) error {
		it := n.Scan(ctx, 0, pattern, 200).Iterator()
		for it.Next(ctx) {
			if err := fn(it.Val()); err != nil {
				return err
			}
		}
		if err := it.Err(); err != nil {
			return unavailable("scan", err)
		}
		return nil
	}
	if cc, ok := c.(*goredis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, n *goredis.Client) error { return each(ctx, n) })
	}
	return each(ctx, c)
}

// globEscape quotes the glob characters of s for a SCAN MATCH pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
