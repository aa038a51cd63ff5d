package vendorhttp

import (
	"strconv"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// PositiveID parses a vendor's numeric record id: a positive int64 in
// decimal, as strconv.ParseInt reads it. Ids beyond 2^53 keep every digit;
// anything else is no id of the vendor's, which adapters answer with
// NotFound rather than sending it.
func PositiveID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && n > 0
}

// Int64Cursor reports whether s is a non-negative int64 written as
// strconv.FormatInt writes it: the shape of the numeric cursors vendors
// page with (Linkflow's memberId, NXCloud's customer id). It suits
// CursorPaging.Valid.
func Int64Cursor(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n >= 0 && strconv.FormatInt(n, 10) == s
}

// LessID orders numeric ids held as decimal strings by their value,
// without parsing them: among digit strings without leading zeros the
// shorter is the smaller, and strings of one length compare as text.
func LessID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// NotFound is the error for a record the vendor does not have, or for an
// id that cannot be the vendor's; what names the record ("contact").
func NotFound(vendor domain.Vendor, what string) *domain.VendorError {
	return &domain.VendorError{Vendor: vendor, Kind: domain.VendorNotFound, Detail: vendor.String() + " has no such " + what}
}
