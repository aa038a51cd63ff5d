package redis

import (
	"cmp"
	"context"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// JobDataOptions configures a JobData store.
type JobDataOptions struct {
	// Prefix is put before every key; DefaultPrefix when empty.
	Prefix string
	// TTL is how long a job's data is kept after its last append;
	// domain.JobRetention when zero.
	TTL time.Duration
}

// JobData is a domain.JobDataStore on Redis: a list per job, one element
// per chunk, under the {jobs} hash tag of the job store so that a job and
// its data live on one Redis Cluster slot. The list expires TTL after its
// last append.
type JobData struct {
	c   goredis.UniversalClient
	pfx string
	ttl time.Duration
}

var _ domain.JobDataStore = (*JobData)(nil)

// NewJobData returns a job data store on client.
func NewJobData(client goredis.UniversalClient, opts JobDataOptions) *JobData {
	return &JobData{c: client, pfx: prefixOr(opts.Prefix) + "{jobs}:data:", ttl: cmp.Or(opts.TTL, domain.JobRetention)}
}

// Append implements domain.JobDataStore.
func (s *JobData) Append(ctx context.Context, job string, data []byte) (int, error) {
	key := s.pfx + job
	var n *goredis.IntCmd
	_, err := s.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		n = p.RPush(ctx, key, data)
		p.PExpire(ctx, key, s.ttl)
		return nil
	})
	if err != nil {
		return 0, unavailable("append job data", err)
	}
	return int(n.Val()) - 1, nil
}

// Chunk implements domain.JobDataStore.
func (s *JobData) Chunk(ctx context.Context, job string, i int) ([]byte, error) {
	if i < 0 {
		return nil, domain.ErrJobDataNotFound
	}
	b, err := s.c.LIndex(ctx, s.pfx+job, int64(i)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, domain.ErrJobDataNotFound
	}
	if err != nil {
		return nil, unavailable("read job data", err)
	}
	return b, nil
}

// Drop implements domain.JobDataStore.
func (s *JobData) Drop(ctx context.Context, job string) error {
	if err := s.c.Del(ctx, s.pfx+job).Err(); err != nil {
		return unavailable("drop job data", err)
	}
	return nil
}
