package memory

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// JobDataOptions configures a JobData store.
type JobDataOptions struct {
	// TTL is how long a job's data is kept after its last append;
	// domain.JobRetention when zero.
	TTL time.Duration
	Now func() time.Time
}

// JobData is an in-process domain.JobDataStore. It holds every chunk in
// memory: one process's imports, for tests and the sandbox.
type JobData struct {
	mu  sync.Mutex
	m   map[string]*jobData
	ttl time.Duration
	now func() time.Time
}

type jobData struct {
	chunks  [][]byte
	expires time.Time
}

var _ domain.JobDataStore = (*JobData)(nil)

// NewJobData returns an in-process job data store.
func NewJobData(opts JobDataOptions) *JobData {
	return &JobData{m: make(map[string]*jobData), ttl: cmp.Or(opts.TTL, domain.JobRetention), now: clock(opts.Now)}
}

// Append implements domain.JobDataStore.
func (s *JobData) Append(_ context.Context, job string, data []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, d := range s.m { // expired data goes as new data comes
		if !now.Before(d.expires) {
			delete(s.m, k)
		}
	}
	d := s.m[job]
	if d == nil {
		d = &jobData{}
		s.m[job] = d
	}
	d.chunks = append(d.chunks, slices.Clone(data))
	d.expires = now.Add(s.ttl)
	return len(d.chunks) - 1, nil
}

// Chunk implements domain.JobDataStore.
func (s *JobData) Chunk(_ context.Context, job string, i int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.m[job]
	if d == nil || !s.now().Before(d.expires) || i < 0 || i >= len(d.chunks) {
		return nil, domain.ErrJobDataNotFound
	}
	return slices.Clone(d.chunks[i]), nil
}

// Drop implements domain.JobDataStore.
func (s *JobData) Drop(_ context.Context, job string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, job)
	return nil
}
