package nxcloud

import (
	"encoding/json"
	"fmt"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Result codes the adapter treats apart.
const (
	codeOK        = "0"
	codeClockSkew = "1004"
)

// errorCodes maps the codes NXCloud publishes (other than 1004, whose
// error names the measured clock offset) to what they mean for the
// caller.
var errorCodes = map[string]struct {
	kind   domain.VendorErrorKind
	detail string
}{
	// The adapter sends every common header on every call: a missing one
	// is the gateway's fault, which the caller cannot fix.
	"1001": {domain.VendorUnknown, "nxcloud says a common header of the request is missing, which is a gateway fault: report it with the trace id"},
	"1002": {domain.VendorRejected, "nxcloud refused a parameter of the request (the business type or action, or a body parameter)"},
	"1003": {domain.VendorAuth, "nxcloud refused the request's signature: check the connection's access_secret (and algorithm)"},
	"1005": {domain.VendorAuth, "nxcloud refused the access key, or does not let it use this API: check the connection's access_key, tenant_id and app_key"},
}

// codeError is the error of an answer whose envelope carries a code other
// than 0.
func (a *Adapter) codeError(resp *vendorhttp.Response, env envelope[json.RawMessage]) *domain.VendorError {
	code := env.Code.value
	e := &domain.VendorError{Vendor: vendor, Status: resp.Status, Code: code, TraceID: string(env.TraceID)}
	if known, ok := errorCodes[code]; ok {
		e.Kind, e.Detail = known.kind, known.detail
		return e
	}
	if code == codeClockSkew {
		e.Kind, e.Detail = domain.VendorClockSkew, a.clockSkewDetail(resp)
		return e
	}
	e.Kind, e.Detail = domain.VendorUnknown, fmt.Sprintf("nxcloud answered with result code %s, which the gateway does not know", code)
	return e
}
