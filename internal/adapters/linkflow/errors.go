package linkflow

import (
	"encoding/json"
	"fmt"
	"net/http"
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
	e.Kind = vendorhttp.StatusKind(resp.Status)
	switch e.Kind {
	case domain.VendorAuth:
		e.Detail = "linkflow refused the gateway's access token"
	case domain.VendorNotFound:
		e.Kind = domain.VendorEndpointNotFound
		e.Detail = "linkflow has no such endpoint (404 without its record-not-found code B00008): check the connection's base URLs"
	case domain.VendorRateLimited:
		e.Detail = "linkflow is limiting the call rate"
	case domain.VendorTimeout:
		e.Detail = "linkflow timed out"
	case domain.VendorUnavailable:
		e.Detail = fmt.Sprintf("linkflow answered %d", resp.Status)
		if !resp.IsJSON() && len(resp.Body) > 0 {
			e.Detail += " with a non-JSON page"
		}
	default:
		if code != "" {
			e.Detail = fmt.Sprintf("linkflow answered %d with error code %s, which the gateway does not know", resp.Status, code)
		} else {
			e.Detail = fmt.Sprintf("linkflow answered %d %s", resp.Status, http.StatusText(resp.Status))
		}
	}
	return e
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
