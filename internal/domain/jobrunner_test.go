package domain_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	r, err := domain.NewJobRunner(domain.JobRunnerConfig{Store: s, Owner: owner, Handlers: map[string]domain.JobHandler{"chunks": h},
		Lease: lease, Poll: 10 * time.Millisecond, Logger: log})
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
