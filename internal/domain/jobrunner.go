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
// A vendor call that meets the gateway's own spent quota or its open
// breaker rests the job in place (RestInJob, which the vendor client
// calls with the handler's ctx): the job is shown paused while the call
// waits, and the call then goes on, so nothing is done again. An error
// pauses the job when it says the vendor is resting all the same (a
// *VendorError with VendorRateLimited or VendorCircuitOpen: the vendor's
// own quota, or a rest too long to take in place; or a *JobPauseError);
// the job then resumes from its checkpoint after the error's RetryAfter.
// Any other error fails the job. When ctx ends the handler returns ctx's
// error promptly: its job was cancelled, its lease lost or its replica is
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
	// rests are the job's goroutines resting in place now (RestInJob).
	rests []*jobRest

	// saveMu makes saves one at a time, so that the last one writes the
	// state shown last; shown is what it wrote of it.
	saveMu sync.Mutex
	shown  jobShown
	// write saves a job to the store for the runner.
	write func(Job) error
	// changed logs a change of the saved state and reports it (OnState).
	changed func(j Job, from JobState)
	now     func() time.Time
}

// jobShown is the state a job run is shown in.
type jobShown struct {
	state    JobState
	reason   string
	resumeAt time.Time
}

// jobRest is one rest in place.
type jobRest struct {
	until  time.Time
	reason string
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
	if err := r.save(j, false); err != nil {
		return err
	}
	r.mu.Lock()
	r.committed = j
	r.mu.Unlock()
	return nil
}

// jobRunKey holds, in a job handler's context, its *JobRun.
type jobRunKey struct{}

// restLimitKey holds, in a context, the time.Time rests in place must
// have ended by (restWithin).
type restLimitKey struct{}

// restWithin returns ctx in which a job rests in place only when its rest
// ends by limit; a longer one is declined (RestInJob), and the call that
// asked for it pauses the job instead.
func restWithin(ctx context.Context, limit time.Time) context.Context {
	return context.WithValue(ctx, restLimitKey{}, limit)
}

// afterRestKey holds, in a context, the check a call makes after it
// rested in place, before it goes on (withAfterRest).
type afterRestKey struct{}

// withAfterRest returns ctx in which a call that rested in place checks,
// before it goes on, that what it was to do still holds (a write: that its
// tenant is still writable at the same vendor): an error of check is
// RestInJob's.
func withAfterRest(ctx context.Context, check func(context.Context) error) context.Context {
	return context.WithValue(ctx, afterRestKey{}, check)
}

// minJobRest is the shortest rest in place.
const minJobRest = time.Millisecond

// RestInJob rests the job that ctx runs in (the ctx of a JobHandler, or
// one made from it) in place for wait: the job is saved as paused, with
// reason and ResumeAt, still held under its runner's lease, and shown so
// until the rest is over; then it is saved as running again and the
// caller goes on. Nothing is done again, as it would be after a pause
// that gives the job up. Progress and checkpoint are shown as last
// committed throughout. Several goroutines of one job may rest at once:
// the job is shown paused until the last rest ends.
//
// rested is false, at once, when ctx is no job's, or when the rest would
// end after ctx's deadline or the limit the job's handler set for it (a
// migration's cut-over rests only within its writes freeze): the caller
// then answers as it would outside a job. err is not nil when the job
// must stop (cancelled, lease lost, replica stopping: ctx's cause, or
// the error of a save), or the check its handler set for after a rest
// failed (a write whose tenant was frozen or moved meanwhile: a
// *JobPauseError); the caller returns it.
func RestInJob(ctx context.Context, wait time.Duration, reason string) (rested bool, err error) {
	run, _ := ctx.Value(jobRunKey{}).(*JobRun)
	if run == nil {
		return false, nil
	}
	wait = max(wait, minJobRest)
	until := run.now().Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Before(until) {
		return false, nil
	}
	if limit, ok := ctx.Value(restLimitKey{}).(time.Time); ok && limit.Before(until) {
		return false, nil
	}
	if err := run.rest(ctx, &jobRest{until: until.UTC(), reason: reason}, wait); err != nil {
		return true, err
	}
	if check, ok := ctx.Value(afterRestKey{}).(func(context.Context) error); ok {
		return true, check(ctx)
	}
	return true, nil
}

// rest rests x for wait: the job is saved as paused when it starts and
// as running when the last rest ends.
func (r *JobRun) rest(ctx context.Context, x *jobRest, wait time.Duration) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	r.mu.Lock()
	r.rests = append(r.rests, x)
	r.mu.Unlock()
	if err := r.save(r.Job(), true); err != nil {
		return err
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		// The run is over; its runner ends the job from the state shown.
		return context.Cause(ctx)
	case <-t.C:
	}
	r.mu.Lock()
	r.rests = slices.DeleteFunc(r.rests, func(y *jobRest) bool { return y == x })
	r.mu.Unlock()
	return r.save(r.Job(), true)
}

// show sets j's state as shown while its run goes on: paused (held in
// place, with the reason and end of the rest that ends last) while one
// of its goroutines rests, running otherwise. The caller holds r.mu.
func (r *JobRun) show(j *Job) {
	j.State, j.Reason, j.ResumeAt, j.Held = JobRunning, "", time.Time{}, false
	for _, x := range r.rests {
		if !j.Held || x.until.After(j.ResumeAt) {
			j.State, j.Reason, j.ResumeAt, j.Held = JobPaused, x.reason, x.until, true
		}
	}
}

// save writes j (a checkpoint, a heartbeat, a rest) in the state shown
// now, and logs a change of state. With ifChanged it writes only when
// what is shown (state, reason, resume time) is not what was written
// last: a rest that ends while a longer one goes on changes nothing.
func (r *JobRun) save(j Job, ifChanged bool) error {
	r.saveMu.Lock()
	defer r.saveMu.Unlock()
	r.mu.Lock()
	r.show(&j)
	r.mu.Unlock()
	shown := jobShown{j.State, j.Reason, j.ResumeAt}
	if ifChanged && shown == r.shown {
		return nil
	}
	if err := r.write(j); err != nil {
		return err
	}
	from := r.shown.state
	r.shown = shown
	if from != j.State {
		r.changed(j, from)
	}
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
	j.State, j.Reason, j.ResumeAt, j.Held, j.UpdatedAt = JobRunning, "", time.Time{}, false, now
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
	run := &JobRun{committed: cloneJob(j), working: cloneJob(j), shown: jobShown{state: JobRunning}, now: r.now}
	run.write = func(s Job) error {
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
	run.changed = func(s Job, from JobState) { r.changed(parent, s, from) }
	ctx = context.WithValue(ctx, jobRunKey{}, run)
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
				_ = run.save(run.Job(), false)
			}
		}
	}()
	err := h.RunJob(ctx, run)
	close(beat)
	cause := context.Cause(ctx)
	run.saveMu.Lock() // no heartbeat or rest saving from here on
	defer run.saveMu.Unlock()
	// The job ends from the state last saved: paused when it ends in a
	// rest in place.
	ended := func(j Job) Job {
		j.State = run.shown.state
		return j
	}
	j = ended(run.Job())
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
		r.end(parent, ended(run.working), JobSucceeded)
	case errors.As(err, &pe):
		j.Reason, j.ResumeAt = pe.Reason, r.now().Add(cmp.Or(pe.After, DefaultJobPause)).UTC()
		r.end(parent, j, JobPaused)
	case errors.As(err, &ve) && (ve.Kind == VendorRateLimited || ve.Kind == VendorCircuitOpen):
		j.Reason, j.ResumeAt = SafeDetail(err), r.now().Add(cmp.Or(ve.RetryAfter, DefaultJobPause)).UTC()
		r.end(parent, j, JobPaused)
	default:
		j = ended(run.working)
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
	// A job that ends paused while it rested in place was paused already
	// (held; now given up): logged, but not counted as a change.
	if r.cfg.OnState != nil && from != j.State {
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
