package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Jobs is the contract of a JobStore. newStore returns an empty store.
func Jobs(t *testing.T, newStore func(t *testing.T) domain.JobStore) {
	t.Helper()
	const (
		long  = time.Hour
		short = 150 * time.Millisecond
	)
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	job := func(tenant, id string) domain.Job {
		return domain.Job{ID: id, Kind: "migration", Tenant: tenant, State: domain.JobQueued,
			Input: []byte(`{"to":"meihua","n":9007199254740993}`), CreatedAt: at, UpdatedAt: at}
	}
	create := func(t *testing.T, s domain.JobStore, j domain.Job) {
		t.Helper()
		if err := s.Create(t.Context(), j); err != nil {
			t.Fatalf("Create(%s/%s): %v", j.Tenant, j.ID, err)
		}
	}
	claim := func(t *testing.T, s domain.JobStore, owner string, lease time.Duration) domain.Job {
		t.Helper()
		j, ok, err := s.Claim(t.Context(), owner, lease)
		if err != nil || !ok {
			t.Fatalf("Claim(%s) = %v, %v; want a job", owner, ok, err)
		}
		return j
	}
	none := func(t *testing.T, s domain.JobStore) {
		t.Helper()
		if j, ok, err := s.Claim(t.Context(), "r9", long); err != nil || ok {
			t.Fatalf("Claim = %s/%s %v, %v; want nothing runnable", j.Tenant, j.ID, ok, err)
		}
	}
	get := func(t *testing.T, s domain.JobStore, tenant, id string) domain.Job {
		t.Helper()
		j, err := s.Job(t.Context(), tenant, id)
		if err != nil {
			t.Fatalf("Job(%s, %s): %v", tenant, id, err)
		}
		return j
	}
	save := func(t *testing.T, s domain.JobStore, j domain.Job, owner string, lease time.Duration) bool {
		t.Helper()
		c, err := s.Save(t.Context(), j, owner, lease)
		if err != nil {
			t.Fatalf("Save(%s, %s by %s): %v", j.ID, j.State, owner, err)
		}
		return c
	}

	tests := []struct {
		name string
		run  func(t *testing.T, s domain.JobStore)
	}{
		{"create and read back", func(t *testing.T, s domain.JobStore) {
			j := job("acme", "j1")
			create(t, s, j)
			if got := get(t, s, "acme", "j1"); !reflect.DeepEqual(got, j) {
				t.Fatalf("Job = %+v\nwant %+v", got, j)
			}
			if err := s.Create(t.Context(), j); !errors.Is(err, domain.ErrJobExists) {
				t.Fatalf("second Create: %v, want ErrJobExists", err)
			}
		}},
		{"tenants are apart", func(t *testing.T, s domain.JobStore) {
			create(t, s, job("acme", "j1"))
			if _, err := s.Job(t.Context(), "globex", "j1"); !errors.Is(err, domain.ErrJobNotFound) {
				t.Fatalf("another tenant's job: %v, want ErrJobNotFound", err)
			}
			if _, err := s.Cancel(t.Context(), "globex", "j1", "x"); !errors.Is(err, domain.ErrJobNotFound) {
				t.Fatalf("cancel another tenant's job: %v, want ErrJobNotFound", err)
			}
			if js, err := s.Jobs(t.Context(), "globex", "", 10); err != nil || len(js) != 0 {
				t.Fatalf("another tenant's list = %v, %v; want none", js, err)
			}
			if get(t, s, "acme", "j1").State != domain.JobQueued {
				t.Fatal("a cancel by another tenant changed the job")
			}
		}},
		{"list newest first, by kind, limited", func(t *testing.T, s domain.JobStore) {
			for i := range 4 {
				j := job("acme", fmt.Sprintf("j%d", i))
				j.CreatedAt = at.Add(time.Duration(i) * time.Minute)
				if i == 2 {
					j.Kind = "import"
				}
				create(t, s, j)
			}
			ids := func(kind string, limit int) []string {
				js, err := s.Jobs(t.Context(), "acme", kind, limit)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, j := range js {
					out = append(out, j.ID)
				}
				return out
			}
			if got := ids("", 10); !reflect.DeepEqual(got, []string{"j3", "j2", "j1", "j0"}) {
				t.Fatalf("Jobs = %v", got)
			}
			if got := ids("migration", 2); !reflect.DeepEqual(got, []string{"j3", "j1"}) {
				t.Fatalf("Jobs(migration, 2) = %v", got)
			}
		}},
		{"claim the oldest, once, and save", func(t *testing.T, s domain.JobStore) {
			older, newer := job("acme", "old"), job("globex", "new")
			newer.CreatedAt = at.Add(time.Second)
			create(t, s, newer)
			create(t, s, older)
			j := claim(t, s, "r1", long)
			if j.ID != "old" || j.Runs != 1 {
				t.Fatalf("claimed %s (runs %d), want old (runs 1)", j.ID, j.Runs)
			}
			if claim(t, s, "r2", long).ID != "new" {
				t.Fatal("second claim did not get the other job")
			}
			none(t, s)
			j.State = domain.JobRunning
			j.StartedAt = at
			j.ProgressOf("contacts").Done = 7
			j.Checkpoint = []byte("page\x00\xff 9007199254740993")
			if save(t, s, j, "r1", long) {
				t.Fatal("cancel requested without a Cancel")
			}
			if got := get(t, s, "acme", "old"); !reflect.DeepEqual(got, j) {
				t.Fatalf("after Save: %+v\nwant %+v", got, j)
			}
			if _, err := s.Save(t.Context(), j, "r2", long); !errors.Is(err, domain.ErrJobLeaseLost) {
				t.Fatalf("Save by a runner without the lease: %v, want ErrJobLeaseLost", err)
			}
		}},
		{"one claim among many runners", func(t *testing.T, s domain.JobStore) {
			create(t, s, job("acme", "j1"))
			var won atomic.Int64
			var wg sync.WaitGroup
			for i := range workers {
				wg.Go(func() {
					if _, ok, err := s.Claim(t.Context(), fmt.Sprintf("r%d", i), long); err != nil {
						t.Error(err)
					} else if ok {
						won.Add(1)
					}
				})
			}
			wg.Wait()
			if won.Load() != 1 {
				t.Fatalf("%d runners claimed the job, want 1", won.Load())
			}
		}},
		{"an expired lease is taken over", func(t *testing.T, s domain.JobStore) {
			create(t, s, job("acme", "j1"))
			j := claim(t, s, "r1", short)
			j.State, j.Checkpoint = domain.JobRunning, []byte("c1")
			save(t, s, j, "r1", short)
			none(t, s)
			time.Sleep(2 * short)
			k := claim(t, s, "r2", long)
			if k.ID != "j1" || string(k.Checkpoint) != "c1" || k.Runs != 2 {
				t.Fatalf("took over %s at checkpoint %q, runs %d; want j1 at c1, runs 2", k.ID, k.Checkpoint, k.Runs)
			}
			if _, err := s.Save(t.Context(), j, "r1", long); !errors.Is(err, domain.ErrJobLeaseLost) {
				t.Fatalf("Save by the runner that lost the lease: %v, want ErrJobLeaseLost", err)
			}
		}},
		{"saving keeps the lease", func(t *testing.T, s domain.JobStore) {
			create(t, s, job("acme", "j1"))
			j := claim(t, s, "r1", short)
			j.State = domain.JobRunning
			for range 4 {
				time.Sleep(short / 2)
				save(t, s, j, "r1", long)
			}
			none(t, s)
		}},
		{"paused until ResumeAt", func(t *testing.T, s domain.JobStore) {
			create(t, s, job("acme", "soon"))
			create(t, s, job("acme", "later"))
			for range 2 {
				j := claim(t, s, "r1", long)
				j.State, j.Reason = domain.JobPaused, "quota spent"
				j.ResumeAt = time.Now().Add(map[string]time.Duration{"soon": 2 * short, "later": time.Hour}[j.ID])
				save(t, s, j, "r1", long)
				if _, err := s.Save(t.Context(), j, "r1", long); !errors.Is(err, domain.ErrJobLeaseLost) {
					t.Fatalf("Save after pausing: %v, want ErrJobLeaseLost (a pause gives up the lease)", err)
				}
			}
			none(t, s)
			time.Sleep(3 * short)
			if j := claim(t, s, "r2", long); j.ID != "soon" || j.State != domain.JobPaused || j.Runs != 2 {
				t.Fatalf("claimed %s (%s, runs %d), want soon (paused, runs 2)", j.ID, j.State, j.Runs)
			}
			none(t, s)
		}},
		{"a paused job held in place keeps its lease", func(t *testing.T, s domain.JobStore) {
			create(t, s, job("acme", "j1"))
			j := claim(t, s, "r1", short)
			j.State, j.Reason, j.ResumeAt, j.Held = domain.JobPaused, "quota spent", time.Now(), true
			save(t, s, j, "r1", short)
			if got := get(t, s, "acme", "j1"); got.State != domain.JobPaused || !got.Held || got.Reason != "quota spent" {
				t.Fatalf("shown %s (held %v, %q), want paused, held, with its reason", got.State, got.Held, got.Reason)
			}
			for range 3 { // past ResumeAt and past the first lease, saved within each
				none(t, s)
				time.Sleep(short / 2)
				save(t, s, j, "r1", short)
			}
			if got, err := s.Cancel(t.Context(), "acme", "j1", "x"); err != nil || got.State != domain.JobPaused || !got.CancelRequested {
				t.Fatalf("Cancel(held) = %s (requested %v), %v; want a cancel requested of its runner", got.State, got.CancelRequested, err)
			}
			j.State, j.Reason, j.ResumeAt, j.Held = domain.JobRunning, "", time.Time{}, false
			if !save(t, s, j, "r1", short) {
				t.Fatal("Save did not report the cancel")
			}
			j.State, j.Held, j.ResumeAt = domain.JobPaused, true, time.Now()
			save(t, s, j, "r1", short)
			time.Sleep(2 * short)
			if k := claim(t, s, "r2", long); k.ID != "j1" || k.Runs != 2 {
				t.Fatalf("took over %s (runs %d), want j1 (runs 2) once the held lease ran out", k.ID, k.Runs)
			}
		}},
		{"final jobs are not claimed again", func(t *testing.T, s domain.JobStore) {
			for _, st := range []domain.JobState{domain.JobSucceeded, domain.JobFailed, domain.JobCancelled} {
				create(t, s, job("acme", string(st)))
				j := claim(t, s, "r1", short)
				j.State, j.FinishedAt = st, at
				save(t, s, j, "r1", short)
			}
			time.Sleep(2 * short)
			none(t, s)
			if got := get(t, s, "acme", "failed"); got.State != domain.JobFailed {
				t.Fatalf("state %s, want failed", got.State)
			}
		}},
		{"cancel a queued or paused job", func(t *testing.T, s domain.JobStore) {
			create(t, s, job("acme", "q"))
			got, err := s.Cancel(t.Context(), "acme", "q", "asked by ops")
			if err != nil || got.State != domain.JobCancelled || got.Reason != "asked by ops" || got.FinishedAt.IsZero() {
				t.Fatalf("Cancel(queued) = %+v, %v; want cancelled at once", got, err)
			}
			create(t, s, job("acme", "p"))
			j := claim(t, s, "r1", long)
			j.State, j.ResumeAt = domain.JobPaused, time.Now()
			save(t, s, j, "r1", long)
			if got, err := s.Cancel(t.Context(), "acme", "p", "x"); err != nil || got.State != domain.JobCancelled {
				t.Fatalf("Cancel(paused) = %s, %v; want cancelled", got.State, err)
			}
			none(t, s)
			if again, err := s.Cancel(t.Context(), "acme", "p", "y"); err != nil || again.Reason != "x" {
				t.Fatalf("Cancel(cancelled) = %+v, %v; want it unchanged", again, err)
			}
		}},
		{"cancel a running job", func(t *testing.T, s domain.JobStore) {
			create(t, s, job("acme", "j1"))
			j := claim(t, s, "r1", long)
			j.State = domain.JobRunning
			save(t, s, j, "r1", long)
			got, err := s.Cancel(t.Context(), "acme", "j1", "x")
			if err != nil || got.State != domain.JobRunning || !got.CancelRequested {
				t.Fatalf("Cancel(running) = %s (requested %v), %v; want running with a cancel requested", got.State, got.CancelRequested, err)
			}
			if !save(t, s, j, "r1", long) {
				t.Fatal("Save did not report the cancel")
			}
			j.State, j.FinishedAt, j.Reason = domain.JobCancelled, at, "x"
			save(t, s, j, "r1", long)
			if got := get(t, s, "acme", "j1"); got.State != domain.JobCancelled {
				t.Fatalf("state %s, want cancelled", got.State)
			}
		}},
		{"cancel a running job whose runner died", func(t *testing.T, s domain.JobStore) {
			create(t, s, job("acme", "j1"))
			j := claim(t, s, "r1", short)
			j.State = domain.JobRunning
			save(t, s, j, "r1", short)
			time.Sleep(2 * short)
			if got, err := s.Cancel(t.Context(), "acme", "j1", "x"); err != nil || got.State != domain.JobCancelled {
				t.Fatalf("Cancel = %s, %v; want cancelled at once, no runner holds it", got.State, err)
			}
			none(t, s)
		}},
		{"unknown job", func(t *testing.T, s domain.JobStore) {
			if _, err := s.Job(t.Context(), "acme", "nope"); !errors.Is(err, domain.ErrJobNotFound) {
				t.Fatalf("Job: %v, want ErrJobNotFound", err)
			}
			if _, err := s.Cancel(t.Context(), "acme", "nope", ""); !errors.Is(err, domain.ErrJobNotFound) {
				t.Fatalf("Cancel: %v, want ErrJobNotFound", err)
			}
			if _, err := s.Save(t.Context(), job("acme", "nope"), "r1", long); !errors.Is(err, domain.ErrJobLeaseLost) {
				t.Fatalf("Save: %v, want ErrJobLeaseLost", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}
