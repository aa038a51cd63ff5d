package nxcloud

import (
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

var _ domain.ContactFieldStorer = (*Adapter)(nil)

// StorableContactFields implements domain.ContactFieldStorer: the fields
// contact writes store, as they check them.
func (a *Adapter) StorableContactFields() []domain.ContactField { return vendorhttp.Listed(storable) }

// StoresExternalIDs implements domain.ContactFieldStorer: NXCloud keeps no external ids.
func (a *Adapter) StoresExternalIDs() bool { return false }

// RequiresExternalID implements domain.ContactFieldStorer: NXCloud needs none.
func (a *Adapter) RequiresExternalID() bool { return false }

var _ domain.ContactFieldEncoder = (*Adapter)(nil)

// ContactFieldEncodings implements domain.ContactFieldEncoder.
func (a *Adapter) ContactFieldEncodings() map[domain.ContactField]string {
	return map[domain.ContactField]string{domain.FieldGender: "1/0", domain.FieldBirthday: `"yyyy-MM-dd" text`}
}
