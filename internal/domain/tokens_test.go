package domain_test

import (
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/domain/storetest"
)

func TestMemoryTokens(t *testing.T) {
	t.Parallel()
	storetest.Tokens(t, func(*testing.T) domain.TokenStore { return domain.NewMemoryTokens() })
}
