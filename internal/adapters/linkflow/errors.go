package linkflow

import (
	"encoding/json"
	"strings"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// errorCodes maps the error codes the Linkflow docs publish to what they
// mean for the caller. The same code can name different causes on
// different endpoints (B00030); the adapter avoids sending what triggers
// them, so meeting one means the vendor refused the request.
var errorCodes = map[string]struct {
	kind   domain.VendorErrorKind
	detail string
}{
	"B00001": {domain.VendorExists, "linkflow already has a group with this name"},
	"B00008": {domain.VendorNotFound, "linkflow has no such record"},
	"B00010": {domain.VendorRejected, "linkflow refused a parameter as invalid"},
	"B00030": {domain.VendorRejected, "linkflow refused the request parameters"},
	"B00031": {domain.VendorRejected, "linkflow refused the request: too many items in one call"},
	"B00093": {domain.VendorResultWindow, "linkflow cannot page this far"},
	"B00157": {domain.VendorLimit, "linkflow refused the group because the tenant has reached its group limit"},
}

// vendorError reads a Linkflow error answer. Linkflow does not publish its
// error body; the code is looked for under the usual names and kept only
// if it has the shape of a Linkflow code (letter + digits).
//
// Linkflow documents a missing record as 404 with B00008. Any other 404
// (its router's NOT_FOUND, a proxy's HTML page) means the path does not
// exist: the connection's base URL is wrong, which is a configuration
// error to report as such, not a missing record.
func (a *Adapter) vendorError(resp *vendorhttp.Response) *domain.VendorError {
	code := errorCode(resp)
	e := &domain.VendorError{Vendor: vendor, Status: resp.Status, Code: code, RetryAfter: vendorhttp.RetryAfter(resp.Header)}
	if known, ok := errorCodes[code]; ok {
		e.Kind, e.Detail = known.kind, known.detail
		return e
	}
	// A 404 without B00008 (Linkflow's "no such record") is a wrong base URL.
	return vendorhttp.StatusError(vendor, resp, code, "base_url or cdp_base_url")
}

func errorCode(resp *vendorhttp.Response) string {
	if !resp.IsJSON() {
		return ""
	}
	var body map[string]json.RawMessage
	if json.Unmarshal(resp.Body, &body) != nil {
		return ""
	}
	for _, k := range []string{"code", "errorCode", "error_code", "errCode", "error"} {
		var s string
		if json.Unmarshal(body[k], &s) == nil && looksLikeCode(s) {
			return s
		}
	}
	return ""
}

func looksLikeCode(s string) bool {
	if len(s) < 2 || len(s) > 16 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	return strings.Trim(s[1:], "0123456789") == ""
}
