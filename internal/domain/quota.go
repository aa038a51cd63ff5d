package domain

import (
	"context"
	"sync"
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

// MemoryQuota is an in-process QuotaStore.
type MemoryQuota struct {
	mu  sync.Mutex
	m   map[string]quotaWindow
	now func() time.Time
}

type quotaWindow struct {
	start time.Time
	used  int64
}

// NewMemoryQuota returns an in-process quota counter.
func NewMemoryQuota() *MemoryQuota {
	return &MemoryQuota{m: map[string]quotaWindow{}, now: time.Now}
}

// Take implements QuotaStore.
func (q *MemoryQuota) Take(_ context.Context, key string, limit int64, window time.Duration) (bool, time.Duration, error) {
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
