package memory

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// JobsOptions configures a Jobs store.
type JobsOptions struct {
	// Retention is how long an ended job is kept; domain.JobRetention when
	// zero.
	Retention time.Duration
	// Now is the clock leases run out by; time.Now when nil.
	Now func() time.Time
}

// Jobs is an in-process domain.JobStore. It keeps each job encoded, as
// the Redis store does, so that a caller's later changes to a job it
// saved never reach the store.
type Jobs struct {
	mu        sync.Mutex
	m         map[jobKey]*jobEntry
	now       func() time.Time
	retention time.Duration
}

var _ domain.JobStore = (*Jobs)(nil)

type jobKey struct{ tenant, id string }

type jobEntry struct {
	doc        []byte    // the job, JSON
	created    time.Time // its CreatedAt, for ordering
	kind       string
	state      domain.JobState
	runnableAt time.Time // when a runner may claim it; zero once final
	owner      string    // who holds the lease, until leaseUntil
	leaseUntil time.Time
	cancel     bool
	expires    time.Time // zero until final
}

// NewJobs returns an empty in-process job store.
func NewJobs(opts JobsOptions) *Jobs {
	return &Jobs{m: make(map[jobKey]*jobEntry), now: clock(opts.Now), retention: cmp.Or(opts.Retention, domain.JobRetention)}
}

// Create implements domain.JobStore.
func (s *Jobs) Create(_ context.Context, j domain.Job) error {
	doc, err := json.Marshal(j)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep()
	k := jobKey{j.Tenant, j.ID}
	if _, ok := s.m[k]; ok {
		return domain.ErrJobExists
	}
	s.m[k] = &jobEntry{doc: doc, created: j.CreatedAt, kind: j.Kind, state: j.State, runnableAt: minTime(j.CreatedAt, s.now())}
	return nil
}

// Job implements domain.JobStore.
func (s *Jobs) Job(_ context.Context, tenant, id string) (domain.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep()
	e, ok := s.m[jobKey{tenant, id}]
	if !ok {
		return domain.Job{}, domain.ErrJobNotFound
	}
	return e.job()
}

// Jobs implements domain.JobStore.
func (s *Jobs) Jobs(_ context.Context, tenant, kind string, limit int) ([]domain.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep()
	var es []*jobEntry
	for k, e := range s.m {
		if k.tenant == tenant && (kind == "" || e.kind == kind) {
			es = append(es, e)
		}
	}
	slices.SortFunc(es, func(a, b *jobEntry) int { return b.created.Compare(a.created) })
	out := []domain.Job{}
	for _, e := range es[:min(len(es), max(limit, 0))] {
		j, err := e.job()
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// Claim implements domain.JobStore.
func (s *Jobs) Claim(_ context.Context, owner string, lease time.Duration) (domain.Job, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var best *jobEntry
	for _, e := range s.m {
		if e.state.Final() || e.runnableAt.After(now) {
			continue
		}
		if best == nil || e.runnableAt.Before(best.runnableAt) || e.runnableAt.Equal(best.runnableAt) && e.created.Before(best.created) {
			best = e
		}
	}
	if best == nil {
		return domain.Job{}, false, nil
	}
	j, err := best.job()
	if err != nil {
		return domain.Job{}, false, err
	}
	j.Runs++
	doc, err := json.Marshal(j)
	if err != nil {
		return domain.Job{}, false, err
	}
	best.doc, best.owner, best.leaseUntil, best.runnableAt = doc, owner, now.Add(lease), now.Add(lease)
	return j, true, nil
}

// Save implements domain.JobStore.
func (s *Jobs) Save(_ context.Context, j domain.Job, owner string, lease time.Duration) (bool, error) {
	doc, err := json.Marshal(j)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e, ok := s.m[jobKey{j.Tenant, j.ID}]
	if !ok || e.owner != owner || !e.leaseUntil.After(now) || e.state.Final() {
		return false, domain.ErrJobLeaseLost
	}
	e.doc, e.state = doc, j.State
	switch {
	case j.State.Final():
		e.owner, e.leaseUntil, e.runnableAt, e.expires = "", time.Time{}, time.Time{}, now.Add(s.retention)
	case j.State == domain.JobPaused && !j.Held:
		e.owner, e.leaseUntil, e.runnableAt = "", time.Time{}, j.ResumeAt
	default:
		e.leaseUntil, e.runnableAt = now.Add(lease), now.Add(lease)
	}
	return e.cancel, nil
}

// Cancel implements domain.JobStore.
func (s *Jobs) Cancel(_ context.Context, tenant, id, reason string) (domain.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep()
	now := s.now()
	e, ok := s.m[jobKey{tenant, id}]
	if !ok {
		return domain.Job{}, domain.ErrJobNotFound
	}
	j, err := e.job()
	if err != nil || e.state.Final() {
		return j, err
	}
	if e.owner != "" && e.leaseUntil.After(now) {
		e.cancel = true
		j.CancelRequested = true
		return j, nil
	}
	j.State, j.Reason, j.FinishedAt, j.UpdatedAt = domain.JobCancelled, reason, now.UTC(), now.UTC()
	doc, err := json.Marshal(j)
	if err != nil {
		return domain.Job{}, err
	}
	e.doc, e.state, e.owner, e.leaseUntil, e.runnableAt, e.expires = doc, j.State, "", time.Time{}, time.Time{}, now.Add(s.retention)
	return j, nil
}

func (e *jobEntry) job() (domain.Job, error) {
	var j domain.Job
	if err := json.Unmarshal(e.doc, &j); err != nil {
		return domain.Job{}, err
	}
	j.CancelRequested = e.cancel && !e.state.Final()
	return j, nil
}

// sweep forgets ended jobs past their retention. The caller holds mu.
func (s *Jobs) sweep() {
	now := s.now()
	for k, e := range s.m {
		if !e.expires.IsZero() && !e.expires.After(now) {
			delete(s.m, k)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
