package domain

import (
	"context"
	"time"
)

// QuotaStore counts vendor calls against a budget shared by every replica.
type QuotaStore interface {
	// Take counts one call against key's budget of limit calls per window.
	// Windows are fixed and aligned to the Unix epoch (an hourly window runs
	// from one full hour to the next, as vendors count plan quotas). When
	// the call does not fit, ok is false, nothing is counted and retryAfter
	// is the time left until the window ends.
	Take(ctx context.Context, key string, limit int64, window time.Duration) (ok bool, retryAfter time.Duration, err error)
}
