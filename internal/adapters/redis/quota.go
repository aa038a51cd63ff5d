package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// quotaExpiryMargin keeps a window's counter a little past the window's
// end, so that a replica whose clock is slightly behind still counts
// against the full counter instead of a fresh one.
const quotaExpiryMargin = time.Second

// QuotaOptions configures a Quota store.
type QuotaOptions struct {
	// Prefix is put before every key; DefaultPrefix when empty.
	Prefix string
	// Now is the clock windows are computed with; time.Now when nil.
	Now func() time.Time
}

// Quota is a domain.QuotaStore on Redis: one counter per key and window,
// named after the window's start and expiring with the window. Windows are
// computed from the replica's clock, not Redis's, so that the counter's
// name can be passed to the script as its key (Cluster needs every key a
// script touches declared); replicas' clocks are assumed to agree to well
// under a second.
type Quota struct {
	c   goredis.UniversalClient
	pfx string
	now func() time.Time
}

var _ domain.QuotaStore = (*Quota)(nil)

// NewQuota returns a quota store on client.
func NewQuota(client goredis.UniversalClient, opts QuotaOptions) *Quota {
	q := &Quota{c: client, pfx: prefixOr(opts.Prefix), now: opts.Now}
	if q.now == nil {
		q.now = time.Now
	}
	return q
}

// takeScript counts one call if it fits: nothing is counted when the
// budget is spent, so refused calls do not eat into a raised limit.
var takeScript = goredis.NewScript(`
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then
	return 0
end
redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
`)

// Take implements domain.QuotaStore. The window must be at least a
// millisecond.
func (q *Quota) Take(ctx context.Context, key string, limit int64, window time.Duration) (bool, time.Duration, error) {
	if window < time.Millisecond {
		return false, 0, fmt.Errorf("quota %s: window %v is shorter than a millisecond", key, window)
	}
	now := q.now()
	n := now.UnixNano()
	start := n - n%int64(window)
	left := time.Duration(start + int64(window) - n)
	k := q.pfx + "quota:" + window.String() + ":" +
		strconv.FormatInt(start/int64(time.Millisecond), 10) + ":" + key
	ok, err := takeScript.Run(ctx, q.c, []string{k}, limit, millis(left+quotaExpiryMargin)).Int()
	if err != nil {
		return false, 0, unavailable("take quota", err)
	}
	if ok == 0 {
		return false, left, nil
	}
	return true, 0, nil
}
