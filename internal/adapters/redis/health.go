package redis

import (
	"context"
	"errors"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// Ping checks that Redis answers, for readiness. Its error wraps
// domain.ErrStoreUnavailable.
func Ping(ctx context.Context, client goredis.UniversalClient) error {
	if err := client.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// AOFEnabled reports whether Redis keeps an append-only file, on every
// master of a cluster: what the gateway needs for its idempotency records
// and bindings to survive a Redis restart. It reads INFO persistence,
// which managed Redis services answer where they refuse CONFIG GET. Its
// error wraps domain.ErrStoreUnavailable.
func AOFEnabled(ctx context.Context, client goredis.UniversalClient) (bool, error) {
	if cc, ok := client.(*goredis.ClusterClient); ok {
		var off bool
		err := cc.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
			on, err := aofEnabled(ctx, node)
			if err == nil && !on {
				off = true
			}
			return err
		})
		return !off && err == nil, err
	}
	return aofEnabled(ctx, client)
}

// errUnexpectedInfo: INFO persistence without an aof_enabled line.
var errUnexpectedInfo = errors.New("INFO persistence has no aof_enabled field")

func aofEnabled(ctx context.Context, c goredis.Cmdable) (bool, error) {
	info, err := c.Info(ctx, "persistence").Result()
	if err != nil {
		return false, unavailable("info persistence", err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "aof_enabled:"); ok {
			return v == "1", nil
		}
	}
	return false, unavailable("info persistence", errUnexpectedInfo)
}
