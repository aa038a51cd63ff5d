package redis

import (
	"context"

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
