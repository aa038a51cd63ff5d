package domain

import (
	"regexp"
	"strings"
)

// nativeID is what a vendor's own id may hold. Integer ids are digits
// only; text ids may also hold '%', for adapters that percent-encode the
// parts of a composite id (Miaokol contacts) and decode it before use.
var nativeID = regexp.MustCompile(`^[A-Za-z0-9._~:@+=%-]{1,200}$`)

// IDKind says how a vendor writes its own ids, so that every record has
// exactly one canonical id: idempotency fingerprints, logs, audit lines
// and the caller's stored ids then agree on one spelling per record.
type IDKind uint8

const (
	// IDText ids are strings the adapter reads (Miaokol's contacts,
	// "<rel_wxid>~<contact_wxid>" with both parts percent-encoded).
	IDText IDKind = iota
	// IDInteger ids are positive decimal integers written without sign or
	// leading zeros (Linkflow, Meihua, NXCloud). They are kept as digit
	// strings, so ids beyond 2^53 keep every digit; whether one is in the
	// vendor's range is the vendor's to say (not found).
	IDInteger
)

func (k IDKind) valid() bool { return k <= IDInteger }

// canonical reports whether native is the one spelling of an id of this
// kind.
func (k IDKind) canonical(native string) bool {
	if k != IDInteger {
		return true
	}
	if native == "" || native[0] == '0' {
		return false
	}
	for i := 0; i < len(native); i++ {
		if native[i] < '0' || native[i] > '9' {
			return false
		}
	}
	return true
}

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
// not a canonical id, including another spelling of a canonical one
// ("lf_0004", "lf_+4" for "lf_4"), is a *ValidationError.
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
	if !vs.kind[v].canonical(native) {
		return "", Invalid(field, "is not a "+string(v)+" id: after "+quote(prefix+"_")+" comes a positive integer without sign or leading zeros, e.g. "+vs.FormatID(v, "2865"))
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
