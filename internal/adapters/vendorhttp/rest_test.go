package vendorhttp

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// inJob runs fn as the handler of a job and returns the job as its run
// ended (final, or paused by the runner) and every state the store
// showed while it ran, in order.
func inJob(t *testing.T, fn func(ctx context.Context) error) (domain.Job, []domain.Job) {
	t.Helper()
	s := memory.NewJobs(memory.JobsOptions{})
	r, err := domain.NewJobRunner(domain.JobRunnerConfig{Store: s, Owner: "r1", Poll: 5 * time.Millisecond, Lease: time.Second,
		Handlers: map[string]domain.JobHandler{"calls": domain.JobHandlerFunc(func(ctx context.Context, _ *domain.JobRun) error { return fn(ctx) })}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	now := time.Now().UTC()
	if err := s.Create(t.Context(), domain.Job{ID: "j1", Kind: "calls", Tenant: "acme", State: domain.JobQueued, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	var seen []domain.Job
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		j, err := s.Job(t.Context(), "acme", "j1")
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) == 0 || seen[len(seen)-1].State != j.State {
			seen = append(seen, j)
		}
		if j.State.Final() || j.State == domain.JobPaused && !j.Held {
			return j, seen
		}
	}
	t.Fatalf("the job's run did not end; it went through %v", seen)
	return domain.Job{}, nil
}

// restedInPlace fails unless the job was shown paused, held, with a
// reason holding reason and a resume time, while it ran.
func restedInPlace(t *testing.T, seen []domain.Job, reason string) {
	t.Helper()
	var states []domain.JobState
	paused := false
	for _, j := range seen {
		states = append(states, j.State)
		if j.State == domain.JobPaused {
			paused = true
			if !j.Held || !strings.Contains(j.Reason, reason) || j.ResumeAt.Before(j.UpdatedAt) {
				t.Errorf("shown paused: held %v, reason %q, resume at %v (saved %v)", j.Held, j.Reason, j.ResumeAt, j.UpdatedAt)
			}
		}
	}
	if !paused {
		t.Errorf("states shown %v, want it paused in between", states)
	}
}

// TestJobWaitsForASpentQuota: a job's calls that meet the gateway's own
// spent quota wait for its window and are then sent, the job shown
// paused meanwhile; a request's call is refused at once, as is a job's
// whose deadline comes before the window's end.
func TestJobWaitsForASpentQuota(t *testing.T) {
	t.Parallel()
	f := newFlaky(t, 0, 200)
	c := NewClient(domain.Vendor("meihua"), Options{Tenant: "acme", Quota: Quota{Calls: 1, Per: 300 * time.Millisecond}})
	j, seen := inJob(t, func(ctx context.Context) error {
		for range 3 {
			if resp, err := c.Call(ctx, f.req("POST")); err != nil || resp.Status != 200 {
				return errors.Join(err, errors.New("the call did not go through"))
			}
		}
		return nil
	})
	if j.State != domain.JobSucceeded || j.Runs != 1 {
		t.Fatalf("job %s (%s), runs %d; want succeeded in one run", j.State, j.Reason, j.Runs)
	}
	if n := f.calls.Load(); n != 3 {
		t.Fatalf("the vendor saw %d calls, want 3", n)
	}
	restedInPlace(t, seen, "meihua call quota (1 per 300ms) is spent")

	hourly := NewClient(domain.Vendor("meihua"), Options{Tenant: "acme", Quota: Quota{Calls: 1, Per: time.Hour}})
	if _, err := hourly.Call(t.Context(), f.req("GET")); err != nil {
		t.Fatal(err)
	}
	_, err := hourly.Call(t.Context(), f.req("GET"))
	var ve *domain.VendorError
	if !errors.As(err, &ve) || ve.Kind != domain.VendorRateLimited || ve.RetryAfter <= 0 {
		t.Fatalf("a request's call: %v, want VendorRateLimited at once", err)
	}
	start := time.Now()
	j, _ = inJob(t, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err := hourly.Call(ctx, f.req("GET"))
		return err
	})
	if j.State != domain.JobPaused || !strings.Contains(j.Reason, "quota") || j.Held || time.Since(start) > 3*time.Second {
		t.Fatalf("a job's call with a deadline before the window's end: job %s (%q, held %v) after %v; want paused by the runner at once",
			j.State, j.Reason, j.Held, time.Since(start))
	}
	if n := f.calls.Load(); n != 4 {
		t.Fatalf("the vendor saw %d calls, want 4", n)
	}
}

// TestJobWaitsForAnOpenBreaker: a job's call that meets the open breaker
// waits until it lets a probe through, and is the probe; it rests only
// 3 times in a call before answering VendorCircuitOpen.
func TestJobWaitsForAnOpenBreaker(t *testing.T) {
	t.Parallel()
	f := newFlaky(t, 1, 500)
	c := NewClient(domain.Vendor("linkflow"), Options{Retry: RetryPolicy{MaxAttempts: 1},
		Breaker: BreakerSettings{Failures: 1, OpenFor: 200 * time.Millisecond}})
	j, seen := inJob(t, func(ctx context.Context) error {
		if resp, err := c.Call(ctx, f.req("GET")); err != nil || resp.Status != 500 {
			return errors.Join(err, errors.New("the first call did not fail"))
		}
		if resp, err := c.Call(ctx, f.req("GET")); err != nil || resp.Status != 200 {
			return errors.Join(err, errors.New("the call after the breaker opened did not go through"))
		}
		return nil
	})
	if j.State != domain.JobSucceeded || j.Runs != 1 {
		t.Fatalf("job %s (%s), runs %d; want succeeded in one run", j.State, j.Reason, j.Runs)
	}
	restedInPlace(t, seen, "linkflow has been failing")

	down := newFlaky(t, 1, 500)
	stuck := NewClient(domain.Vendor("linkflow"), Options{Retry: RetryPolicy{MaxAttempts: 1},
		Breaker: BreakerSettings{Failures: 1, OpenFor: time.Hour}})
	stuck.openFor = 0 // each rest lasts the shortest, a second; the breaker stays open
	start := time.Now()
	j, _ = inJob(t, func(ctx context.Context) error {
		_, _ = stuck.Call(ctx, down.req("GET"))
		_, err := stuck.Call(ctx, down.req("GET"))
		return err
	})
	if j.State != domain.JobPaused || j.Held || !strings.Contains(j.Reason, "linkflow has been failing") {
		t.Fatalf("job %s (%q, held %v), want paused by the runner after the rests", j.State, j.Reason, j.Held)
	}
	if d := time.Since(start); d < maxBreakerRests*time.Second {
		t.Fatalf("the call gave up after %v, want %d rests of a second", d, maxBreakerRests)
	}
}
