package redis

import (
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/domain/storetest"
)

// The same contracts the in-process stores pass (internal/adapters/memory).

func TestTokensContract(t *testing.T) {
	t.Parallel()
	storetest.Tokens(t, func(t *testing.T) domain.TokenStore {
		return newTokens(t, shared, TokensOptions{Prefix: prefix(t)})
	})
}

func TestIdempotencyContract(t *testing.T) {
	t.Parallel()
	storetest.Idempotency(t, func(t *testing.T, times storetest.IdempotencyTimes) domain.IdempotencyStore {
		return NewIdempotency(shared, IdempotencyOptions{Prefix: prefix(t), TTL: times.TTL, Lease: times.Lease})
	})
}

func TestQuotaContract(t *testing.T) {
	t.Parallel()
	storetest.Quota(t, func(t *testing.T) domain.QuotaStore {
		return NewQuota(shared, QuotaOptions{Prefix: prefix(t)})
	})
}

func TestBindingsContract(t *testing.T) {
	t.Parallel()
	storetest.Bindings(t, func(t *testing.T) domain.BindingStore {
		return newBindings(t, shared, BindingsOptions{Prefix: prefix(t)})
	})
}

func TestJobsContract(t *testing.T) {
	t.Parallel()
	storetest.Jobs(t, func(t *testing.T) domain.JobStore {
		return NewJobs(shared, JobsOptions{Prefix: prefix(t)})
	})
}

func TestIDMapContract(t *testing.T) {
	t.Parallel()
	storetest.IDMap(t, func(t *testing.T) domain.IDMapStore {
		return NewIDMap(shared, IDMapOptions{Prefix: prefix(t)})
	})
}

func TestFreezeContract(t *testing.T) {
	t.Parallel()
	storetest.Freeze(t, func(t *testing.T) domain.FreezeStore { return NewFreezes(shared, prefix(t)) })
}

func TestJobDataContract(t *testing.T) {
	t.Parallel()
	storetest.JobData(t, func(t *testing.T, ttl time.Duration) domain.JobDataStore {
		return NewJobData(shared, JobDataOptions{Prefix: prefix(t), TTL: ttl})
	})
}
