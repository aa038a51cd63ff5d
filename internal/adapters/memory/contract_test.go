package memory_test

import (
	"time"

	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/domain/storetest"
)

// The same contracts the Redis stores pass (internal/adapters/redis).

func TestTokensContract(t *testing.T) {
	t.Parallel()
	storetest.Tokens(t, func(*testing.T) domain.TokenStore { return memory.NewTokens(memory.TokensOptions{}) })
}

func TestIdempotencyContract(t *testing.T) {
	t.Parallel()
	storetest.Idempotency(t, func(_ *testing.T, times storetest.IdempotencyTimes) domain.IdempotencyStore {
		return memory.NewIdempotency(memory.IdempotencyOptions{TTL: times.TTL, Lease: times.Lease})
	})
}

func TestQuotaContract(t *testing.T) {
	t.Parallel()
	storetest.Quota(t, func(*testing.T) domain.QuotaStore { return memory.NewQuota(memory.QuotaOptions{}) })
}

func TestBindingsContract(t *testing.T) {
	t.Parallel()
	storetest.Bindings(t, func(*testing.T) domain.BindingStore { return memory.NewBindings(memory.BindingsOptions{}) })
}

func TestJobsContract(t *testing.T) {
	t.Parallel()
	storetest.Jobs(t, func(*testing.T) domain.JobStore { return memory.NewJobs(memory.JobsOptions{}) })
}

func TestIDMapContract(t *testing.T) {
	t.Parallel()
	storetest.IDMap(t, func(*testing.T) domain.IDMapStore { return memory.NewIDMap() })
}

func TestFreezeContract(t *testing.T) {
	t.Parallel()
	storetest.Freeze(t, func(*testing.T) domain.FreezeStore { return memory.NewFreezes(nil) })
}

func TestJobDataContract(t *testing.T) {
	t.Parallel()
	storetest.JobData(t, func(_ *testing.T, ttl time.Duration) domain.JobDataStore {
		return memory.NewJobData(memory.JobDataOptions{TTL: ttl})
	})
}
