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

var _ domain.ContactFieldEncoder = (*Adapter)(nil)

// ContactFieldEncodings implements domain.ContactFieldEncoder: gender as
// a word, a birthday as the epoch milliseconds of its midnight in China.
func (a *Adapter) ContactFieldEncodings() map[domain.ContactField]string {
	return map[domain.ContactField]string{domain.FieldGender: genderMale + "/" + genderFemale, domain.FieldBirthday: "epoch milliseconds (midnight, China time)"}
}

var _ domain.FieldTypeMapper = (*Adapter)(nil)

// CreatableAs implements domain.FieldTypeMapper: Meihua creates text and
// select properties, and keeps a value as the text it was written as, so
// numbers, dates, date-times and booleans are created as text.
func (a *Adapter) CreatableAs(t domain.FieldType) (domain.FieldType, bool) {
	switch t {
	case domain.FieldTypeText, domain.FieldTypeSelect:
		return t, true
	case domain.FieldTypeNumber, domain.FieldTypeDate, domain.FieldTypeDateTime, domain.FieldTypeBoolean:
		return domain.FieldTypeText, true
	}
	return "", false
}
