package meihua

import (
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

var _ domain.ContactFieldStorer = (*Adapter)(nil)

// StorableContactFields implements domain.ContactFieldStorer: the fields
// contact writes store, as they check them.
func (a *Adapter) StorableContactFields() []domain.ContactField { return vendorhttp.Listed(storable) }

// StoresExternalIDs implements domain.ContactFieldStorer: Meihua keeps no external ids.
func (a *Adapter) StoresExternalIDs() bool { return false }

// RequiresExternalID implements domain.ContactFieldStorer: Meihua needs none.
func (a *Adapter) RequiresExternalID() bool { return false }
