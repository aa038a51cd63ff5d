package domain_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// chunkJob is a job kind that carries items 0..n-1 in chunks of one,
// checkpointing the next item after each, and records every item it
// carried in carried (a target that counts duplicates).
type chunkJob struct {
	n       int
	mu      sync.Mutex
	carried map[int]int
	// before is called before carrying item i; an error stops the handler.
	before func(ctx context.Context, i int) error
}

func (c *chunkJob) RunJob(ctx context.Context, run *domain.JobRun) error {
	next := 0
	if cp := run.Job().Checkpoint; len(cp) > 0 {
		next, _ = strconv.Atoi(string(cp))
	}
	run.Progress("items", func(p *domain.JobProgress) { p.Total, p.TotalKnown = int64(c.n), true })
	for i := next; i < c.n; i++ {
		if c.before != nil {
			if err := c.before(ctx, i); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		c.mu.Lock()
		c.carried[i]++
		c.mu.Unlock()
		run.Progress("items", func(p *domain.JobProgress) { p.Done++ })
		if err := run.Checkpoint([]byte(strconv.Itoa(i + 1))); err != nil {
			return err
		}
	}
	return nil
}

// exactlyOnce fails unless every item 0..n-1 was carried once.
func (c *chunkJob) exactlyOnce(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.n {
		if c.carried[i] != 1 {
			t.Errorf("item %d carried %d times, want once", i, c.carried[i])
		}
	}
}

func newJob(t *testing.T, s domain.JobStore, id string) {
	t.Helper()
	now := time.Now().UTC()
	if err := s.Create(t.Context(), domain.Job{ID: id, Kind: "chunks", Tenant: "acme", State: domain.JobQueued, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
}

// startRunner runs a runner until the test ends or stop is called.
func startRunner(t *testing.T, s domain.JobStore, owner string, h domain.JobHandler, log *slog.Logger) (stop func()) {
	t.Helper()
	return startRunnerLease(t, s, owner, h, log, time.Second)
}

func startRunnerLease(t *testing.T, s domain.JobStore, owner string, h domain.JobHandler, log *slog.Logger, lease time.Duration) (stop func()) {
	t.Helper()
	return startRunnerWith(t, domain.JobRunnerConfig{Store: s, Owner: owner, Handlers: map[string]domain.JobHandler{"chunks": h},
		Lease: lease, Poll: 10 * time.Millisecond, Logger: log})
}

func startRunnerWith(t *testing.T, cfg domain.JobRunnerConfig) (stop func()) {
	t.Helper()
	r, err := domain.NewJobRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// waitState waits up to 10 s for the job to reach state.
func waitState(t *testing.T, s domain.JobStore, id string, state domain.JobState) domain.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := s.Job(t.Context(), "acme", id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State == state {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s (%s), want %s", id, j.State, j.Reason, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestJobRunsToTheEnd(t *testing.T) {
	t.Parallel()
	s := memory.NewJobs(memory.JobsOptions{})
	logs := &vendortest.LogBuffer{}
	h := &chunkJob{n: 5, carried: map[int]int{}}
	startRunner(t, s, "r1", h, slog.New(slog.NewJSONHandler(logs, nil)))
	newJob(t, s, "j1")
	j := waitState(t, s, "j1", domain.JobSucceeded)
	h.exactlyOnce(t)
	if p := j.Progress; len(p) != 1 || p[0] != (domain.JobProgress{Resource: "items", Total: 5, TotalKnown: true, Done: 5}) {
		t.Fatalf("progress %+v", p)
	}
	if j.StartedAt.IsZero() || j.FinishedAt.Before(j.StartedAt) || j.Runs != 1 {
		t.Fatalf("started %v, finished %v, runs %d", j.StartedAt, j.FinishedAt, j.Runs)
	}
	for _, msg := range []string{"job running", "job succeeded"} {
		if !strings.Contains(logs.String(), msg) {
			t.Errorf("no %q log line in\n%s", msg, logs.String())
		}
	}
}

// TestJobTakenOverFromADeadRunner: the first runner's process "dies" in
// the middle (its handler hangs and its saves stop reaching the store);
// the second takes the job over after the lease and carries every item
// exactly once.
func TestJobTakenOverFromADeadRunner(t *testing.T) {
	t.Parallel()
	s := memory.NewJobs(memory.JobsOptions{})
	dead := make(chan struct{})
	h := &chunkJob{n: 6, carried: map[int]int{}}
	h.before = func(ctx context.Context, i int) error {
		if i == 3 && ctx.Value(ownerKey{}) == "r1" {
			close(dead)
			<-ctx.Done() // hangs until its lease is lost
			return ctx.Err()
		}
		return nil
	}
	r1 := &deadAfter{JobStore: s, owner: "r1", dead: dead}
	startRunnerLease(t, r1, "r1", withOwner("r1", h), nil, 300*time.Millisecond)
	newJob(t, s, "j1")
	<-dead
	startRunnerLease(t, s, "r2", withOwner("r2", h), nil, 300*time.Millisecond)
	j := waitState(t, s, "j1", domain.JobSucceeded)
	h.exactlyOnce(t)
	if j.Runs != 2 || j.Progress[0].Done != 6 {
		t.Fatalf("runs %d, done %d; want 2 runs, 6 done", j.Runs, j.Progress[0].Done)
	}
}

type ownerKey struct{}

func withOwner(owner string, h domain.JobHandler) domain.JobHandler {
	return domain.JobHandlerFunc(func(ctx context.Context, run *domain.JobRun) error {
		return h.RunJob(context.WithValue(ctx, ownerKey{}, owner), run)
	})
}

// deadAfter is a store whose saves by owner stop arriving once dead is
// closed, as if that replica's process had gone.
type deadAfter struct {
	domain.JobStore
	owner string
	dead  chan struct{}
}

func (d *deadAfter) Save(ctx context.Context, j domain.Job, owner string, lease time.Duration) (bool, error) {
	select {
	case <-d.dead:
		return false, fmt.Errorf("%w: the replica is gone", domain.ErrStoreUnavailable)
	default:
		return d.JobStore.Save(ctx, j, owner, lease)
	}
}

func (d *deadAfter) Claim(ctx context.Context, owner string, lease time.Duration) (domain.Job, bool, error) {
	select {
	case <-d.dead:
		return domain.Job{}, false, nil
	default:
		return d.JobStore.Claim(ctx, owner, lease)
	}
}

// TestJobPausesWhileTheVendorRests: a spent quota or an open breaker
// pauses the job (it does not fail) and it resumes from its checkpoint.
func TestJobPausesWhileTheVendorRests(t *testing.T) {
	t.Parallel()
	for _, kind := range []domain.VendorErrorKind{domain.VendorRateLimited, domain.VendorCircuitOpen} {
		t.Run(kind.String(), func(t *testing.T) {
			t.Parallel()
			s := memory.NewJobs(memory.JobsOptions{})
			h := &chunkJob{n: 4, carried: map[int]int{}}
			var once sync.Once
			h.before = func(_ context.Context, i int) (err error) {
				if i == 2 {
					once.Do(func() {
						err = &domain.VendorError{Vendor: "linkflow", Kind: kind, Detail: "resting", RetryAfter: 400 * time.Millisecond, Err: errors.New("secret-token-123")}
					})
				}
				return err
			}
			startRunner(t, s, "r1", h, nil)
			newJob(t, s, "j1")
			p := waitState(t, s, "j1", domain.JobPaused)
			if p.Reason == "" || strings.Contains(p.Reason, "secret") || p.ResumeAt.Sub(p.UpdatedAt) < 300*time.Millisecond || string(p.Checkpoint) != "2" {
				t.Fatalf("paused job: reason %q, resume at %v, checkpoint %q", p.Reason, p.ResumeAt, p.Checkpoint)
			}
			j := waitState(t, s, "j1", domain.JobSucceeded)
			h.exactlyOnce(t)
			if j.Runs != 2 {
				t.Fatalf("runs %d, want 2", j.Runs)
			}
		})
	}
}

func TestJobCancelStopsTheHandler(t *testing.T) {
	t.Parallel()
	s := memory.NewJobs(memory.JobsOptions{})
	started := make(chan struct{})
	h := &chunkJob{n: 1000, carried: map[int]int{}}
	h.before = func(ctx context.Context, i int) error {
		if i == 1 {
			close(started)
		}
		if i >= 1 {
			time.Sleep(10 * time.Millisecond)
		}
		return nil
	}
	startRunner(t, s, "r1", h, nil)
	newJob(t, s, "j1")
	<-started
	if j, err := s.Cancel(t.Context(), "acme", "j1", "ignored while running"); err != nil || !j.CancelRequested {
		t.Fatalf("Cancel = %+v, %v", j, err)
	}
	j := waitState(t, s, "j1", domain.JobCancelled)
	if j.Progress[0].Done >= 1000 || j.FinishedAt.IsZero() {
		t.Fatalf("cancelled job: done %d, finished %v", j.Progress[0].Done, j.FinishedAt)
	}
}

func TestJobFailsWithASafeReason(t *testing.T) {
	t.Parallel()
	s := memory.NewJobs(memory.JobsOptions{})
	h := &chunkJob{n: 3, carried: map[int]int{}}
	h.before = func(_ context.Context, i int) error {
		if i == 1 {
			return &domain.VendorError{Vendor: "meihua", Kind: domain.VendorRejected, Detail: "meihua refused the contact", Err: errors.New("body: secret-token-123")}
		}
		return nil
	}
	logs := &vendortest.LogBuffer{}
	startRunner(t, s, "r1", h, slog.New(slog.NewJSONHandler(logs, nil)))
	newJob(t, s, "j1")
	j := waitState(t, s, "j1", domain.JobFailed)
	if j.Reason != "meihua refused the contact" || j.Progress[0].Done != 1 {
		t.Fatalf("failed job: reason %q, done %d", j.Reason, j.Progress[0].Done)
	}
	if strings.Contains(logs.String(), "secret-token-123") {
		t.Fatalf("a vendor error's cause reached the log:\n%s", logs.String())
	}
}

// TestJobHandedOverWhenTheReplicaStops: a replica that stops pauses its
// job for the next runner at once, rather than leaving it to its lease.
func TestJobHandedOverWhenTheReplicaStops(t *testing.T) {
	t.Parallel()
	s := memory.NewJobs(memory.JobsOptions{})
	h := &chunkJob{n: 4, carried: map[int]int{}}
	reached := make(chan struct{})
	var once sync.Once
	h.before = func(ctx context.Context, i int) error {
		if i == 2 && ctx.Value(ownerKey{}) == "r1" {
			once.Do(func() { close(reached) })
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	stop := startRunner(t, s, "r1", withOwner("r1", h), nil)
	newJob(t, s, "j1")
	<-reached
	stop()
	p := waitState(t, s, "j1", domain.JobPaused)
	if string(p.Checkpoint) != "2" || time.Until(p.ResumeAt) > 0 {
		t.Fatalf("handed-over job: checkpoint %q, resume at %v", p.Checkpoint, p.ResumeAt)
	}
	startRunner(t, s, "r2", withOwner("r2", h), nil)
	waitState(t, s, "j1", domain.JobSucceeded)
	h.exactlyOnce(t)
}

func TestJobOfAnUnknownKindFails(t *testing.T) {
	t.Parallel()
	s := memory.NewJobs(memory.JobsOptions{})
	startRunner(t, s, "r1", &chunkJob{}, nil)
	now := time.Now().UTC()
	if err := s.Create(t.Context(), domain.Job{ID: "j1", Kind: "teleport", Tenant: "acme", State: domain.JobQueued, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if j := waitState(t, s, "j1", domain.JobFailed); !strings.Contains(j.Reason, `"teleport"`) {
		t.Fatalf("reason %q", j.Reason)
	}
}

// TestJobKeepsItsLeaseBetweenCheckpoints: a step longer than the lease
// does not let a second runner take the job over while the first works.
// The lease is long enough that only a heartbeat missing for 600 ms lets
// it run out, so a loaded machine does not fail the test.
func TestJobKeepsItsLeaseBetweenCheckpoints(t *testing.T) {
	t.Parallel()
	s := memory.NewJobs(memory.JobsOptions{})
	h := &chunkJob{n: 2, carried: map[int]int{}}
	h.before = func(ctx context.Context, i int) error {
		if i == 1 {
			select { // two and a half leases long
			case <-time.After(2500 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	startRunnerLease(t, s, "r1", h, nil, time.Second)
	startRunnerLease(t, s, "r2", h, nil, time.Second)
	newJob(t, s, "j1")
	j := waitState(t, s, "j1", domain.JobSucceeded)
	h.exactlyOnce(t)
	if j.Runs != 1 {
		t.Fatalf("runs %d, want 1: the job was taken over from a live runner", j.Runs)
	}
}

// restAt makes a chunkJob's handler rest in place for wait before item 2
// (in runner owner's run only, when owner is set), and report the rest's
// end and error on rested.
func restAt(h *chunkJob, owner string, wait time.Duration, rested chan<- error) {
	h.before = func(ctx context.Context, i int) error {
		if i != 2 || owner != "" && ctx.Value(ownerKey{}) != owner {
			return nil
		}
		ok, err := domain.RestInJob(ctx, wait, "the tenant's linkflow call quota is spent")
		if !ok {
			err = errors.New("RestInJob did not rest in a job")
		}
		rested <- err
		return err
	}
}

type stateChange struct{ from, to domain.JobState }

// stateChanges records a runner's OnState calls.
type stateChanges struct {
	mu sync.Mutex
	l  []stateChange
}

func (c *stateChanges) add(_ string, from, to domain.JobState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.l = append(c.l, stateChange{from, to})
}

func (c *stateChanges) get() []stateChange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.l)
}

// TestJobRestsInPlace: a handler that rests shows its job paused, with
// its reason and end, to every reader, through heartbeats that would
// otherwise save it running, and held: a second runner does not take it.
// It then goes on in the same run.
func TestJobRestsInPlace(t *testing.T) {
	t.Parallel()
	if ok, err := domain.RestInJob(t.Context(), time.Hour, "x"); ok || err != nil {
		t.Fatalf("RestInJob outside a job = %v, %v; want false at once", ok, err)
	}
	s := memory.NewJobs(memory.JobsOptions{})
	h := &chunkJob{n: 4, carried: map[int]int{}}
	rested := make(chan error, 1)
	const rest = 2 * time.Second
	restAt(h, "", rest, rested)
	changes := &stateChanges{}
	logs := &vendortest.LogBuffer{}
	// A lease of a second: a heartbeat every third, six within the rest.
	startRunnerWith(t, domain.JobRunnerConfig{Store: s, Owner: "r1", Handlers: map[string]domain.JobHandler{"chunks": h},
		Lease: time.Second, Poll: 10 * time.Millisecond, OnState: changes.add, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	start := time.Now() // before the rest starts
	newJob(t, s, "j1")
	p := waitState(t, s, "j1", domain.JobPaused)
	startRunnerLease(t, s, "r2", h, nil, time.Second) // polls for a job every 10 ms of the rest
	if p.Reason != "the tenant's linkflow call quota is spent" || !p.Held || string(p.Checkpoint) != "2" || p.Progress[0].Done != 2 {
		t.Fatalf("resting job: reason %q, held %v, checkpoint %q, progress %+v", p.Reason, p.Held, p.Checkpoint, p.Progress)
	}
	if d := p.ResumeAt.Sub(start); d < rest || d > rest+2*time.Second {
		t.Fatalf("resume at %v after the start, want the rest's end, about %v", d, rest)
	}
	for resting := true; resting; {
		select {
		case err := <-rested:
			if err != nil {
				t.Fatal(err)
			}
			resting = false
		case <-time.After(20 * time.Millisecond):
			// The rest started after start: it cannot have ended yet
			// when less than its length has passed since.
			in := time.Since(start)
			if j, err := s.Job(t.Context(), "acme", "j1"); err != nil || j.State != domain.JobPaused && in < rest {
				t.Fatalf("%v into the rest the job is %s (%v), want paused", in, j.State, err)
			}
		}
	}
	if time.Since(start) < rest {
		t.Fatalf("the rest ended after %v, want %v", time.Since(start), rest)
	}
	j := waitState(t, s, "j1", domain.JobSucceeded)
	h.exactlyOnce(t)
	if j.Runs != 1 || j.Held || j.Reason != "" || !j.ResumeAt.IsZero() {
		t.Fatalf("runs %d, held %v, reason %q, resume at %v; want one run, ended plain", j.Runs, j.Held, j.Reason, j.ResumeAt)
	}
	want := []stateChange{{domain.JobQueued, domain.JobRunning}, {domain.JobRunning, domain.JobPaused}, {domain.JobPaused, domain.JobRunning}, {domain.JobRunning, domain.JobSucceeded}}
	if got := changes.get(); !slices.Equal(got, want) {
		t.Fatalf("state changes %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), `"msg":"job paused"`) || !strings.Contains(logs.String(), `"from":"paused"`) {
		t.Fatalf("the rest is not logged:\n%s", logs.String())
	}
}

// TestJobRestsOfSeveralGoroutines: goroutines of one job rest at once;
// the job is shown paused until the last rest ends, until its end.
func TestJobRestsOfSeveralGoroutines(t *testing.T) {
	t.Parallel()
	s := memory.NewJobs(memory.JobsOptions{})
	changes := &stateChanges{}
	shown := make(chan domain.Job, 1)
	h := domain.JobHandlerFunc(func(ctx context.Context, _ *domain.JobRun) error {
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i, wait := range []time.Duration{600 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
			wg.Go(func() { _, errs[i] = domain.RestInJob(ctx, wait, fmt.Sprintf("rest %d", i)) })
		}
		time.Sleep(300 * time.Millisecond) // the shortest rest is over
		j, err := s.Job(ctx, "acme", "j1")
		if err != nil {
			return err
		}
		shown <- j
		wg.Wait()
		return errors.Join(errs...)
	})
	startRunnerWith(t, domain.JobRunnerConfig{Store: s, Owner: "r1", Handlers: map[string]domain.JobHandler{"chunks": h},
		Poll: 10 * time.Millisecond, OnState: changes.add})
	start := time.Now()
	newJob(t, s, "j1")
	if j := <-shown; j.State != domain.JobPaused || j.Reason != "rest 0" || j.ResumeAt.Sub(start) < 500*time.Millisecond {
		t.Fatalf("with two rests left the job is %s (%q until %v after the start), want paused until the longest ends", j.State, j.Reason, j.ResumeAt.Sub(start))
	}
	waitState(t, s, "j1", domain.JobSucceeded)
	want := []stateChange{{domain.JobQueued, domain.JobRunning}, {domain.JobRunning, domain.JobPaused}, {domain.JobPaused, domain.JobRunning}, {domain.JobRunning, domain.JobSucceeded}}
	if got := changes.get(); !slices.Equal(got, want) {
		t.Fatalf("state changes %v, want %v", got, want)
	}
}

// TestJobCancelledInARest: a cancel ends a resting job promptly, at its
// next heartbeat, not at the rest's end.
func TestJobCancelledInARest(t *testing.T) {
	t.Parallel()
	s := memory.NewJobs(memory.JobsOptions{})
	h := &chunkJob{n: 4, carried: map[int]int{}}
	rested := make(chan error, 1)
	restAt(h, "", time.Hour, rested)
	changes := &stateChanges{}
	startRunnerWith(t, domain.JobRunnerConfig{Store: s, Owner: "r1", Handlers: map[string]domain.JobHandler{"chunks": h},
		Lease: time.Second, Poll: 10 * time.Millisecond, OnState: changes.add})
	newJob(t, s, "j1")
	waitState(t, s, "j1", domain.JobPaused)
	start := time.Now()
	if j, err := s.Cancel(t.Context(), "acme", "j1", "asked by ops"); err != nil || j.State != domain.JobPaused || !j.CancelRequested {
		t.Fatalf("Cancel = %s (requested %v), %v; want a cancel requested of the resting runner", j.State, j.CancelRequested, err)
	}
	j := waitState(t, s, "j1", domain.JobCancelled)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancelled after %v, want within a heartbeat", d)
	}
	if err := <-rested; err == nil {
		t.Fatal("RestInJob returned no error when its job was cancelled")
	}
	if j.Progress[0].Done != 2 || j.Held || j.FinishedAt.IsZero() {
		t.Fatalf("cancelled job: done %d, held %v, finished %v", j.Progress[0].Done, j.Held, j.FinishedAt)
	}
	if got := changes.get(); got[len(got)-1] != (stateChange{domain.JobPaused, domain.JobCancelled}) {
		t.Fatalf("state changes %v, want the last from paused to cancelled", got)
	}
}

// TestJobHandedOverFromARest: a replica that stops while its job rests
// hands the job over as it would a running one: paused, not held,
// runnable at once.
func TestJobHandedOverFromARest(t *testing.T) {
	t.Parallel()
	s := memory.NewJobs(memory.JobsOptions{})
	h := &chunkJob{n: 4, carried: map[int]int{}}
	rested := make(chan error, 1)
	restAt(h, "r1", time.Hour, rested)
	stop := startRunner(t, s, "r1", withOwner("r1", h), nil)
	newJob(t, s, "j1")
	waitState(t, s, "j1", domain.JobPaused)
	start := time.Now()
	stop()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the replica stopped after %v, want at once", d)
	}
	if err := <-rested; err == nil {
		t.Fatal("RestInJob returned no error when its replica stopped")
	}
	p := waitState(t, s, "j1", domain.JobPaused)
	if p.Held || p.Reason != "the replica running it stopped" || time.Until(p.ResumeAt) > 0 || string(p.Checkpoint) != "2" {
		t.Fatalf("handed-over job: held %v, reason %q, resume at %v, checkpoint %q", p.Held, p.Reason, p.ResumeAt, p.Checkpoint)
	}
	startRunner(t, s, "r2", withOwner("r2", h), nil)
	if j := waitState(t, s, "j1", domain.JobSucceeded); j.Runs != 2 {
		t.Fatalf("runs %d, want 2", j.Runs)
	}
	h.exactlyOnce(t)
}

// TestJobRestDeclinedPastItsLimit: a rest that would end after the limit
// set for it (a cut-over's freeze) or after ctx's deadline is declined at
// once, and the caller answers as outside a job; a shorter one is taken.
func TestJobRestDeclinedPastItsLimit(t *testing.T) {
	t.Parallel()
	s := memory.NewJobs(memory.JobsOptions{})
	type result struct {
		rested bool
		err    error
		took   time.Duration
	}
	results := make(chan result, 3)
	h := domain.JobHandlerFunc(func(ctx context.Context, _ *domain.JobRun) error {
		restFor := func(ctx context.Context, d time.Duration) {
			start := time.Now()
			ok, err := domain.RestInJob(ctx, d, "quota spent")
			results <- result{ok, err, time.Since(start)}
		}
		limited := domain.RestWithin(ctx, time.Now().Add(time.Second))
		restFor(limited, time.Hour)
		restFor(limited, 10*time.Millisecond)
		deadlined, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		restFor(deadlined, time.Hour)
		return nil
	})
	startRunnerWith(t, domain.JobRunnerConfig{Store: s, Owner: "r1", Handlers: map[string]domain.JobHandler{"chunks": h}, Poll: 10 * time.Millisecond})
	newJob(t, s, "j1")
	if j := waitState(t, s, "j1", domain.JobSucceeded); j.Runs != 1 {
		t.Fatalf("runs %d", j.Runs)
	}
	for i, want := range []bool{false, true, false} {
		r := <-results
		if r.rested != want || r.err != nil || !want && r.took > 500*time.Millisecond {
			t.Errorf("rest %d: rested %v, %v after %v; want rested %v, at once when declined", i, r.rested, r.err, r.took, want)
		}
	}
}
