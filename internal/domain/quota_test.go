package domain_test

import (
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/domain/storetest"
)

func TestMemoryQuota(t *testing.T) {
	t.Parallel()
	storetest.Quota(t, func(*testing.T) domain.QuotaStore { return domain.NewMemoryQuota() })
}
