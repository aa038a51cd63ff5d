package linkflow

import (
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

var _ domain.ContactFieldStorer = (*Adapter)(nil)

// StorableContactFields implements domain.ContactFieldStorer: the fields
// contact writes store, as they check them.
func (a *Adapter) StorableContactFields() []domain.ContactField {
	return vendorhttp.Listed(identifyFields, updateFields)
}

// StoresExternalIDs implements domain.ContactFieldStorer: Linkflow keeps a contact's channel identities.
func (a *Adapter) StoresExternalIDs() bool { return true }

// RequiresExternalID implements domain.ContactFieldStorer: Linkflow creates a contact by identifying it in a custom channel.
func (a *Adapter) RequiresExternalID() bool { return true }

var _ domain.ContactFieldEncoder = (*Adapter)(nil)

// ContactFieldEncodings implements domain.ContactFieldEncoder.
func (a *Adapter) ContactFieldEncodings() map[domain.ContactField]string {
	return map[domain.ContactField]string{domain.FieldGender: "male/female", domain.FieldBirthday: `"yyyy-MM-dd 00:00:00" text`}
}
