package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// JobData is the contract of a JobDataStore. newStore returns an empty
// store whose data expires ttl after its last append.
func JobData(t *testing.T, newStore func(t *testing.T, ttl time.Duration) domain.JobDataStore) {
	t.Helper()
	chunk := func(t *testing.T, s domain.JobDataStore, job string, i int, want string) {
		t.Helper()
		b, err := s.Chunk(t.Context(), job, i)
		if want == "" {
			if !errors.Is(err, domain.ErrJobDataNotFound) {
				t.Fatalf("Chunk(%s, %d) = %q, %v; want ErrJobDataNotFound", job, i, b, err)
			}
			return
		}
		if err != nil || string(b) != want {
			t.Fatalf("Chunk(%s, %d) = %q, %v; want %q", job, i, b, err, want)
		}
	}
	appendChunk := func(t *testing.T, s domain.JobDataStore, job, data string, want int) {
		t.Helper()
		i, err := s.Append(t.Context(), job, []byte(data))
		if err != nil || i != want {
			t.Fatalf("Append(%s, %q) = %d, %v; want %d", job, data, i, err, want)
		}
	}
	tests := []struct {
		name string
		ttl  time.Duration
		run  func(t *testing.T, s domain.JobDataStore)
	}{
		{"chunks in order, per job", time.Hour, func(t *testing.T, s domain.JobDataStore) {
			chunk(t, s, "job_a", 0, "")
			appendChunk(t, s, "job_a", `[{"line":1}]`, 0)
			appendChunk(t, s, "job_a", `[{"line":2,"n":9007199254740993}]`, 1)
			appendChunk(t, s, "job_b", `other`, 0)
			chunk(t, s, "job_a", 0, `[{"line":1}]`)
			chunk(t, s, "job_a", 1, `[{"line":2,"n":9007199254740993}]`)
			chunk(t, s, "job_a", 2, "")
			chunk(t, s, "job_a", -1, "")
			chunk(t, s, "job_b", 0, "other")
		}},
		{"the caller's slice is not kept", time.Hour, func(t *testing.T, s domain.JobDataStore) {
			b := []byte("abc")
			if _, err := s.Append(t.Context(), "job_a", b); err != nil {
				t.Fatal(err)
			}
			b[0] = 'x'
			chunk(t, s, "job_a", 0, "abc")
		}},
		{"drop", time.Hour, func(t *testing.T, s domain.JobDataStore) {
			appendChunk(t, s, "job_a", "one", 0)
			appendChunk(t, s, "job_b", "two", 0)
			if err := s.Drop(t.Context(), "job_a"); err != nil {
				t.Fatal(err)
			}
			chunk(t, s, "job_a", 0, "")
			chunk(t, s, "job_b", 0, "two")
			if err := s.Drop(t.Context(), "job_none"); err != nil {
				t.Fatalf("Drop of a job without data: %v", err)
			}
			appendChunk(t, s, "job_a", "again", 0)
		}},
		{"concurrent appends get distinct indexes", time.Hour, func(t *testing.T, s domain.JobDataStore) {
			var wg sync.WaitGroup
			got := make([]int, workers)
			for w := range workers {
				wg.Go(func() {
					i, err := s.Append(t.Context(), "job_a", fmt.Appendf(nil, "w%d", w))
					if err != nil {
						t.Error(err)
					}
					got[w] = i
				})
			}
			wg.Wait()
			for w, i := range got {
				chunk(t, s, "job_a", i, fmt.Sprintf("w%d", w))
			}
		}},
		{"expires after its ttl", 200 * time.Millisecond, func(t *testing.T, s domain.JobDataStore) {
			appendChunk(t, s, "job_a", "one", 0)
			time.Sleep(400 * time.Millisecond)
			chunk(t, s, "job_a", 0, "")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t, tc.ttl))
		})
	}
}
