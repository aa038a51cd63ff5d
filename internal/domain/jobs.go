package domain

import (
	"context"
	"errors"
	"time"
)

// Jobs are long pieces of work (a tenant's migration to another vendor, a
// bulk import) that outlive a request. A JobStore keeps them; a JobRunner
// on every replica claims runnable jobs under a lease, runs them through
// the kind's JobHandler and saves their progress and checkpoint as they
// go. When a replica dies, its lease runs out and another replica claims
// the job and resumes it from its last checkpoint.

// JobState is where a job is in its life.
type JobState string

// Job states. Succeeded, failed and cancelled are final.
const (
	JobQueued    JobState = "queued"
	JobRunning   JobState = "running"
	JobPaused    JobState = "paused"
	JobSucceeded JobState = "succeeded"
	JobFailed    JobState = "failed"
	JobCancelled JobState = "cancelled"
)

// Final reports whether the job will not change any more.
func (s JobState) Final() bool {
	return s == JobSucceeded || s == JobFailed || s == JobCancelled
}

// JobMaxItemErrors is how many item errors a job keeps; later ones are
// only counted (Job.ErrorsDropped).
const JobMaxItemErrors = 100

// JobRetention is how long a store keeps a job after it ended.
const JobRetention = 7 * 24 * time.Hour

// Job store errors.
var (
	// ErrJobNotFound: the tenant has no job with this id (or it ended
	// longer than JobRetention ago).
	ErrJobNotFound = errors.New("no such job")
	// ErrJobExists: a job with this id is already stored.
	ErrJobExists = errors.New("a job with this id exists")
	// ErrJobLeaseLost: the saver no longer holds the job's lease; another
	// replica may be running it, so the saver must stop.
	ErrJobLeaseLost = errors.New("the job's lease is held by another runner or ran out")
)

// JobProgress is a job's progress over one resource (contacts, tags, …).
type JobProgress struct {
	Resource string
	// Total is the number of items, when known (TotalKnown).
	Total      int64
	TotalKnown bool
	Done       int64
	Failed     int64
	Skipped    int64
}

// JobItemError is one item a job could not carry. Message is written by
// the gateway (SafeDetail), never a vendor's body.
type JobItemError struct {
	Resource string
	Item     string // the item's id or index, as the kind names it
	Code     string
	Message  string
}

// Job is one long piece of work of one tenant.
type Job struct {
	ID     string
	Kind   string
	Tenant string
	State  JobState
	// Reason says why a job is paused, failed or cancelled.
	Reason string
	// Input is the kind's parameters, fixed when the job is created.
	Input []byte
	// Progress is per resource, in the order the kind works through them.
	Progress      []JobProgress
	Errors        []JobItemError
	ErrorsDropped int64
	// Checkpoint is the kind's own record of where it is; a runner that
	// takes the job over resumes from it.
	Checkpoint []byte
	// Output is the kind's result, when it has one to show.
	Output []byte
	// CancelRequested is set by Cancel while the job runs; its runner
	// stops at its next save.
	CancelRequested bool
	CreatedAt       time.Time
	UpdatedAt       time.Time
	StartedAt       time.Time // first run; zero while queued
	FinishedAt      time.Time // zero until final
	// ResumeAt is when a paused job may run again.
	ResumeAt time.Time
	// Held marks a paused job whose runner rests it in place (RestInJob):
	// it keeps its lease, as a running job does, and goes on in the same
	// run at ResumeAt, without a claim.
	Held bool
	// Runs counts the claims: above one, the job was resumed or taken over.
	Runs int
}

// ProgressOf returns the job's progress over resource, adding it when the
// job has none yet.
func (j *Job) ProgressOf(resource string) *JobProgress {
	for i := range j.Progress {
		if j.Progress[i].Resource == resource {
			return &j.Progress[i]
		}
	}
	j.Progress = append(j.Progress, JobProgress{Resource: resource})
	return &j.Progress[len(j.Progress)-1]
}

// AddError records an item error, or only counts it once the job keeps
// JobMaxItemErrors.
func (j *Job) AddError(e JobItemError) {
	if len(j.Errors) >= JobMaxItemErrors {
		j.ErrorsDropped++
		return
	}
	j.Errors = append(j.Errors, e)
}

// JobStore keeps jobs. One process keeps them in memory
// (internal/adapters/memory); replicas share them on Redis
// (internal/adapters/redis). Lease times are the store's clock (Redis's
// on Redis), so replicas whose clocks differ still agree on them.
type JobStore interface {
	// Create stores j, which must be queued; ErrJobExists when the id is
	// taken.
	Create(ctx context.Context, j Job) error
	// Job returns the tenant's job; ErrJobNotFound when the tenant has no
	// job with that id, even if another tenant has.
	Job(ctx context.Context, tenant, id string) (Job, error)
	// Jobs lists the tenant's jobs of kind (every kind when ""), newest
	// first, at most limit.
	Jobs(ctx context.Context, tenant, kind string, limit int) ([]Job, error)
	// Claim gives owner the lease on one runnable job for lease and counts
	// a run: a queued job, a paused job whose ResumeAt has passed, or a
	// running (or Held) job whose lease ran out (its runner died). ok is false when
	// none is runnable. The oldest runnable job comes first.
	Claim(ctx context.Context, owner string, lease time.Duration) (j Job, ok bool, err error)
	// Save writes j while owner holds its lease: a running job, or a
	// paused one Held in place, keeps the lease for another lease from
	// now; a paused job gives it up until ResumeAt; a final job gives it
	// up for good and is kept for JobRetention. It returns whether a cancel was requested.
	// ErrJobLeaseLost when owner does not hold the lease.
	Save(ctx context.Context, j Job, owner string, lease time.Duration) (cancelRequested bool, err error)
	// Cancel ends a queued or paused job at once (cancelled, reason given)
	// and asks a running or Held one to stop (its runner ends it at its
	// next save). A final job is returned as it is.
	Cancel(ctx context.Context, tenant, id, reason string) (Job, error)
}
