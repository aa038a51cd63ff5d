package domain_test

import (
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/domain/storetest"
)

func TestMemoryBindings(t *testing.T) {
	t.Parallel()
	storetest.Bindings(t, func(*testing.T) domain.BindingStore { return domain.NewMemoryBindings() })
}
