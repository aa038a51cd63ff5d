package domain_test

import (
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/domain/storetest"
)

func TestMemoryIdempotency(t *testing.T) {
	t.Parallel()
	storetest.Idempotency(t, func(_ *testing.T, times storetest.IdempotencyTimes) domain.IdempotencyStore {
		return domain.NewMemoryIdempotencyForTest(times.TTL, times.Lease)
	})
}
