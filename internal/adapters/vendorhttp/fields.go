package vendorhttp

import "github.com/cdp-gateway/cdp-gateway/internal/domain"

// FieldSet is a set of canonical contact fields: the fields a contact
// sets, or the fields one vendor endpoint can write. A
// domain.ContactPatch's Set is one; a field mapped to false is not in it.
type FieldSet map[domain.ContactField]bool

// Fields returns the set of fs.
func Fields(fs ...domain.ContactField) FieldSet {
	s := make(FieldSet, len(fs))
	for _, f := range fs {
		s[f] = true
	}
	return s
}

// PresentFields returns the fields c sets: a gender, a birthday, or a
// non-empty string.
func PresentFields(c *domain.Contact) FieldSet {
	s := FieldSet{}
	for _, f := range domain.ContactFields {
		var present bool
		switch f {
		case domain.FieldGender:
			present = c.Gender != ""
		case domain.FieldBirthday:
			present = c.Birthday != nil
		default:
			present = *c.StringField(f) != ""
		}
		if present {
			s[f] = true
		}
	}
	return s
}

// Unstorable refuses the fields of set that none of the allowed sets
// holds, naming each one (prefix + field, e.g. "body.fax") and the vendor
// that has no place for it, so that nothing a caller sent is silently
// dropped. It returns nil when every field can be stored. Fields are
// named in the order of domain.ContactFields, so the answer is stable.
func Unstorable(vendor domain.Vendor, prefix string, set FieldSet, allowed ...FieldSet) error {
	var verr domain.ValidationError
	for _, f := range domain.ContactFields {
		if set[f] && !anyHas(allowed, f) {
			verr.Fields = append(verr.Fields, domain.FieldError{Field: prefix + string(f), Message: "cannot be stored on " + vendor.String()})
		}
	}
	if len(verr.Fields) > 0 {
		return &verr
	}
	return nil
}

func anyHas(sets []FieldSet, f domain.ContactField) bool {
	for _, s := range sets {
		if s[f] {
			return true
		}
	}
	return false
}

// Listed returns the fields any of sets holds, in the order of
// domain.ContactFields: what an adapter's StorableContactFields answers.
func Listed(sets ...FieldSet) []domain.ContactField {
	var out []domain.ContactField
	for _, f := range domain.ContactFields {
		if anyHas(sets, f) {
			out = append(out, f)
		}
	}
	return out
}
