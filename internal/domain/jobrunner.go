package domain

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// JobHandler runs one kind of job. It starts from run.Job's Input and
// Checkpoint (empty on a first run; where the last runner got to on a
// resumed or taken-over one), reports what it does through run, and
// returns nil when the job is done. Work done since the last Checkpoint
// may be done again by the next runner, so every step must be safe to
// repeat (upsert on a natural key, not insert).
//
// An error pauses the job when it says the vendor is resting (its quota
// is spent or the gateway's breaker is open: a *VendorError with
// VendorRateLimited or VendorCircuitOpen, or a *JobPauseError); the job
// resumes from its checkpoint after the error's RetryAfter. Any other
// error fails the job. When ctx ends the handler returns ctx's error
// promptly: its job was cancelled, its lease lost or its replica is
// stopping.
type JobHandler interface {
	RunJob(ctx context.Context, run *JobRun) error
}

// JobHandlerFunc is a function that is a JobHandler.
type JobHandlerFunc func(ctx context.Context, run *JobRun) error

// RunJob implements JobHandler.
func (f JobHandlerFunc) RunJob(ctx context.Context, run *JobRun) error { return f(ctx, run) }

// JobPauseError asks the runner to pause the job until After has passed.
// Reason is shown to operators.
type JobPauseError struct {
	After  time.Duration
	Reason string
}

func (e *JobPauseError) Error() string {
	return fmt.Sprintf("paused for %s: %s", e.After, e.Reason)
}

// DefaultJobPause is how long a job rests when its vendor gave no time.
const DefaultJobPause = 30 * time.Second

// JobRun is a handler's view of the job it runs. Progress and item errors
// are recorded as work goes and become visible, together with the
// checkpoint, at each Checkpoint: a job's shown progress always matches
// the checkpoint a new runner would resume from. Its methods are safe for
// concurrent use.
type JobRun struct {
	mu        sync.Mutex
	committed Job // as last saved; what a takeover resumes from
	working   Job // committed plus progress since
	save      func(Job) error
}

// Job is the job as the handler started it: its Input and Checkpoint.
func (r *JobRun) Job() Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.committed
}

// Progress changes the progress over resource.
func (r *JobRun) Progress(resource string, change func(p *JobProgress)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	change(r.working.ProgressOf(resource))
}

// Progressed returns the progress so far, checkpointed or not.
func (r *JobRun) Progressed() []JobProgress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.working.Progress)
}

// ItemError records an item that could not be carried.
func (r *JobRun) ItemError(e JobItemError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.working.AddError(e)
}

// SetOutput sets the job's result; it is saved with the next checkpoint
// or when the job ends.
func (r *JobRun) SetOutput(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.working.Output = b
}

// Checkpoint records where the handler is, together with the progress so
// far, and saves both. An error means the job must stop (its lease is
// lost, or the store is unreachable); the handler returns it.
func (r *JobRun) Checkpoint(checkpoint []byte) error {
	r.mu.Lock()
	r.working.Checkpoint = checkpoint
	j := cloneJob(r.working)
	r.mu.Unlock()
	if err := r.save(j); err != nil {
		return err
	}
	r.mu.Lock()
	r.committed = j
	r.mu.Unlock()
	return nil
}

func cloneJob(j Job) Job {
	j.Progress = append([]JobProgress(nil), j.Progress...)
	j.Errors = append([]JobItemError(nil), j.Errors...)
	return j
}

// JobRunnerConfig configures a JobRunner.
type JobRunnerConfig struct {
	Store JobStore
	// Owner names this replica in leases (host name and a random part).
	Owner string
	// Handlers by job kind.
	Handlers map[string]JobHandler
	// Lease is how long a claim lasts without a save; the runner saves
	// every third of it. A dead replica's jobs resume elsewhere within it.
	// 30 s when zero.
	Lease time.Duration
	// Poll is how often an idle runner looks for a job; 1 s when zero.
	Poll time.Duration
	// Workers is how many jobs the replica runs at once; 2 when zero.
	Workers int
	Logger  *slog.Logger
	// OnState is called on every state change (metrics).
	OnState func(kind string, from, to JobState)
	Now     func() time.Time
}

// JobRunner claims runnable jobs and runs them. Run it on every replica.
type JobRunner struct {
	cfg JobRunnerConfig
	log *slog.Logger
	now func() time.Time
}

// NewJobRunner returns a runner; Run starts it.
func NewJobRunner(cfg JobRunnerConfig) (*JobRunner, error) {
	if cfg.Store == nil || cfg.Owner == "" {
		return nil, errors.New("a job runner needs a store and an owner name")
	}
	cfg.Lease = cmp.Or(cfg.Lease, 30*time.Second)
	cfg.Poll = cmp.Or(cfg.Poll, time.Second)
	cfg.Workers = cmp.Or(cfg.Workers, 2)
	r := &JobRunner{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

// errJobCancelled is why a cancelled job's handler context ends.
var errJobCancelled = errors.New("the job was cancelled")

// Run claims and runs jobs until ctx ends. A job still running then is
// paused, so that another replica takes it over at once instead of after
// its lease.
func (r *JobRunner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range r.cfg.Workers {
		wg.Go(func() {
			t := time.NewTicker(r.cfg.Poll)
			defer t.Stop()
			for {
				for r.runOne(ctx) {
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		})
	}
	wg.Wait()
}

// runOne claims a job and runs it; false when there was none to claim.
func (r *JobRunner) runOne(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	j, ok, err := r.cfg.Store.Claim(ctx, r.cfg.Owner, r.cfg.Lease)
	if err != nil {
		if ctx.Err() == nil {
			r.log.LogAttrs(ctx, slog.LevelWarn, "job claim failed", slog.String("error", err.Error()))
		}
		return false
	}
	if !ok {
		return false
	}
	r.run(ctx, j)
	return true
}

func (r *JobRunner) run(parent context.Context, j Job) {
	from := j.State
	now := r.now().UTC()
	if j.StartedAt.IsZero() {
		j.StartedAt = now
	}
	j.State, j.Reason, j.ResumeAt, j.UpdatedAt = JobRunning, "", time.Time{}, now
	if _, err := r.cfg.Store.Save(parent, j, r.cfg.Owner, r.cfg.Lease); err != nil {
		r.log.LogAttrs(parent, slog.LevelWarn, "job start failed", jobAttrs(j, slog.String("error", err.Error()))...)
		return
	}
	r.changed(parent, j, from)
	h, ok := r.cfg.Handlers[j.Kind]
	if !ok {
		j.Reason = "this gateway cannot run jobs of kind " + quote(j.Kind)
		r.end(parent, j, JobFailed)
		return
	}

	ctx, stop := context.WithCancelCause(parent)
	defer stop(nil)
	run := &JobRun{committed: cloneJob(j), working: cloneJob(j)}
	var saveMu sync.Mutex
	run.save = func(s Job) error {
		saveMu.Lock()
		defer saveMu.Unlock()
		s.UpdatedAt = r.now().UTC()
		cancelled, err := r.cfg.Store.Save(parent, s, r.cfg.Owner, r.cfg.Lease)
		if err != nil {
			stop(err)
			return err
		}
		if cancelled {
			stop(errJobCancelled)
			return errJobCancelled
		}
		return nil
	}
	beat := make(chan struct{})
	go func() { // keep the lease while the handler works between checkpoints
		t := time.NewTicker(r.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-beat:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				_ = run.save(run.Job())
			}
		}
	}()
	err := h.RunJob(ctx, run)
	close(beat)
	cause := context.Cause(ctx)
	saveMu.Lock() // no heartbeat in flight from here on
	defer saveMu.Unlock()
	j = run.Job()
	var pe *JobPauseError
	var ve *VendorError
	switch {
	case errors.Is(cause, ErrJobLeaseLost) || errors.Is(err, ErrJobLeaseLost):
		r.log.LogAttrs(parent, slog.LevelWarn, "job lease lost: another replica resumes it", jobAttrs(j)...)
	case errors.Is(cause, ErrStoreUnavailable):
		r.log.LogAttrs(parent, slog.LevelWarn, "job stopped: its store is unavailable; it resumes when its lease runs out", jobAttrs(j, slog.String("error", cause.Error()))...)
	case errors.Is(cause, errJobCancelled):
		j.Reason = "cancelled by an operator"
		r.end(parent, j, JobCancelled)
	case parent.Err() != nil:
		j.Reason = "the replica running it stopped"
		j.ResumeAt = r.now().UTC()
		r.end(context.WithoutCancel(parent), j, JobPaused)
	case err == nil:
		j = run.working
		r.end(parent, j, JobSucceeded)
	case errors.As(err, &pe):
		j.Reason, j.ResumeAt = pe.Reason, r.now().Add(cmp.Or(pe.After, DefaultJobPause)).UTC()
		r.end(parent, j, JobPaused)
	case errors.As(err, &ve) && (ve.Kind == VendorRateLimited || ve.Kind == VendorCircuitOpen):
		j.Reason, j.ResumeAt = SafeDetail(err), r.now().Add(cmp.Or(ve.RetryAfter, DefaultJobPause)).UTC()
		r.end(parent, j, JobPaused)
	default:
		j = run.working
		j.Reason = SafeDetail(err)
		r.end(parent, j, JobFailed)
	}
}

// end saves j in state to and logs the change.
func (r *JobRunner) end(ctx context.Context, j Job, to JobState) {
	from := j.State
	j.State, j.UpdatedAt = to, r.now().UTC()
	if to.Final() {
		j.FinishedAt = j.UpdatedAt
	}
	if _, err := r.cfg.Store.Save(ctx, j, r.cfg.Owner, r.cfg.Lease); err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "job save failed", jobAttrs(j, slog.String("state", string(to)), slog.String("error", err.Error()))...)
		return
	}
	r.changed(ctx, j, from)
}

func (r *JobRunner) changed(ctx context.Context, j Job, from JobState) {
	if r.cfg.OnState != nil {
		r.cfg.OnState(j.Kind, from, j.State)
	}
	level := slog.LevelInfo
	if j.State == JobFailed {
		level = slog.LevelWarn
	}
	r.log.LogAttrs(ctx, level, "job "+string(j.State), jobAttrs(j,
		slog.String("from", string(from)), slog.String("reason", j.Reason), slog.Int("runs", j.Runs))...)
}

func jobAttrs(j Job, more ...slog.Attr) []slog.Attr {
	return append([]slog.Attr{slog.String("job", j.ID), slog.String("kind", j.Kind), slog.String("tenant", j.Tenant)}, more...)
}
