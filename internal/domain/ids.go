package domain

import (
	"regexp"
	"strings"
)

// nativeID is what a vendor's own id may hold. It keeps ids safe to put
// into a vendor URL path or query.
var nativeID = regexp.MustCompile(`^[A-Za-z0-9._~:@+=-]{1,200}$`)

// FormatID returns the canonical id of vendor v's own id: "lf_2865".
func (vs *Vendors) FormatID(v Vendor, native string) string {
	if native == "" {
		return ""
	}
	return vs.prefix[v] + "_" + native
}

// ParseID checks that id is a canonical id of vendor want and returns the
// vendor's own id. field names the input for error messages ("path.contact_id").
// An id of another known vendor is an *IDMismatchError; anything else that is
// not a canonical id is a *ValidationError.
func (vs *Vendors) ParseID(field, id string, want Vendor) (string, error) {
	prefix, native, ok := strings.Cut(id, "_")
	if !ok || native == "" || len(prefix) != 2 {
		return "", Invalid(field, "is not a gateway id (expected <vendor prefix>_<id>, e.g. "+vs.FormatID(want, "123")+")")
	}
	v, known := vs.byPrefix[prefix]
	if !known {
		return "", Invalid(field, "has unknown vendor prefix "+quote(prefix))
	}
	if v != want {
		return "", &IDMismatchError{ID: id, IDVendor: v, TenantVendor: want}
	}
	if !nativeID.MatchString(native) {
		return "", Invalid(field, "holds characters no vendor id has")
	}
	return native, nil
}

// parseIDs parses a list of canonical ids; field is the list's name.
func (vs *Vendors) parseIDs(field string, ids []string, want Vendor) ([]string, error) {
	out := make([]string, len(ids))
	var verr ValidationError
	for i, id := range ids {
		n, err := vs.ParseID(field+"["+itoa(i)+"]", id, want)
		if err != nil {
			if ve, ok := err.(*ValidationError); ok {
				verr.Fields = append(verr.Fields, ve.Fields...)
				continue
			}
			return nil, err
		}
		out[i] = n
	}
	if len(verr.Fields) > 0 {
		return nil, &verr
	}
	return out, nil
}
