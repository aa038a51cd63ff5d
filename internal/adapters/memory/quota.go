package memory

import (
	"context"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// QuotaOptions configures a Quota store.
type QuotaOptions struct {
	// Now is the clock windows are computed with; time.Now when nil.
	Now func() time.Time
}

// Quota is an in-process domain.QuotaStore.
type Quota struct {
	mu  sync.Mutex
	m   map[string]quotaWindow
	now func() time.Time
}

var _ domain.QuotaStore = (*Quota)(nil)

type quotaWindow struct {
	start time.Time
	used  int64
}

// NewQuota returns an in-process quota counter.
func NewQuota(opts QuotaOptions) *Quota {
	return &Quota{m: map[string]quotaWindow{}, now: clock(opts.Now)}
}

// Take implements domain.QuotaStore.
func (q *Quota) Take(_ context.Context, key string, limit int64, window time.Duration) (bool, time.Duration, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	start := windowStart(now, window)
	w := q.m[key]
	if !w.start.Equal(start) {
		w = quotaWindow{start: start}
	}
	if w.used >= limit {
		return false, start.Add(window).Sub(now), nil
	}
	w.used++
	q.m[key] = w
	return true, 0, nil
}

// windowStart is the start of the window of length window that holds now,
// counted from the Unix epoch. (time.Time.Truncate counts from Go's zero
// time, year 1, which puts the ends of windows that do not divide a day,
// such as 7 s or a week, elsewhere than vendors and the Redis store do.)
func windowStart(now time.Time, window time.Duration) time.Time {
	if window <= 0 {
		return now
	}
	n := now.UnixNano()
	return time.Unix(0, n-n%int64(window))
}
