package meihua

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Meihua's documented error codes the adapter treats apart.
const (
	codeServerError  = "E10001"
	codeTokenInvalid = "E10101"
	codeRateLimited  = "E10104"
)

// errorCodes maps every error code the Meihua docs publish to what it
// means for the caller.
var errorCodes = map[string]struct {
	kind   domain.VendorErrorKind
	detail string
}{
	codeServerError:  {domain.VendorUnavailable, "meihua reported a server error"},
	codeTokenInvalid: {domain.VendorAuth, "meihua refused the gateway's access token, also after a refresh"},
	"E10102":         {domain.VendorAuth, "meihua does not let the gateway's app use this API for the tenant"},
	"E10103":         {domain.VendorRejected, "meihua refused the request: a required parameter is missing"},
	"E00001":         {domain.VendorLimit, "the tenant's meihua plan (free) holds no more contacts"},
	"E00002":         {domain.VendorLimit, "the tenant's meihua plan (gold, expired) holds no more contacts"},
	"E00003":         {domain.VendorLimit, "the tenant's meihua plan (gold) holds no more contacts"},
	"E00004":         {domain.VendorLimit, "the tenant's meihua plan (diamond, expired) holds no more contacts"},
	"E00005":         {domain.VendorRejected, "meihua refused the request: more than 1000 contacts in one call"},
	codeRateLimited:  {domain.VendorRateLimited, "the tenant's meihua hourly API call quota is spent"},
}

// codeShape is a Meihua error code: E and five digits.
var (
	codeShape  = regexp.MustCompile(`^E[0-9]{5}$`)
	codeInText = regexp.MustCompile(`(?:^|[^A-Za-z0-9])(E[0-9]{5})(?:$|[^0-9])`)
)

// errorCode finds the E-code of a Meihua error body. The docs list the
// codes but show no error body, so the code is looked for under the usual
// member names, and then inside the message.
func errorCode(body map[string]json.RawMessage) string {
	for _, k := range []string{"code", "errorCode", "error_code", "errcode", "errCode"} {
		var s string
		if json.Unmarshal(body[k], &s) == nil && codeShape.MatchString(s) {
			return s
		}
	}
	for _, k := range []string{"msg", "message"} {
		var s string
		if json.Unmarshal(body[k], &s) == nil {
			if m := codeInText.FindStringSubmatch(s); m != nil {
				return m[1]
			}
		}
	}
	return ""
}

// responseCode is the E-code of an answer, "" when it has none.
func responseCode(r *vendorhttp.Response) string {
	var body map[string]json.RawMessage
	if !r.IsJSON() || vendorhttp.Unmarshal(r.Body, &body) != nil {
		return ""
	}
	return errorCode(body)
}

// tokenRejected reports whether an answer says the access token is no
// longer valid (E10101).
func tokenRejected(r *vendorhttp.Response) bool {
	// Most answers are not errors: look for the code's bytes before
	// reading the body.
	return bytes.Contains(r.Body, []byte(codeTokenInvalid)) && responseCode(r) == codeTokenInvalid
}

// codeError is the error of a Meihua answer with success false and code
// (possibly "").
func (a *Adapter) codeError(resp *vendorhttp.Response, code string) *domain.VendorError {
	e := &domain.VendorError{Vendor: vendor, Status: resp.Status, Code: code}
	known, ok := errorCodes[code]
	switch {
	case ok:
		e.Kind, e.Detail = known.kind, known.detail
	case code != "":
		e.Kind, e.Detail = domain.VendorUnknown, fmt.Sprintf("meihua answered with error code %s, which the gateway does not know", code)
	default:
		e.Kind, e.Detail = domain.VendorUnknown, "meihua reported a failure without an error code"
	}
	if code == codeRateLimited {
		// A Retry-After the vendor sends wins; the docs promise none.
		e.RetryAfter = vendorhttp.RetryAfter(resp.Header)
		if e.RetryAfter == 0 {
			e.RetryAfter = untilNextHour(a.now())
		}
	}
	return e
}

// untilNextHour is how long from now until Meihua's hourly call window
// ends: its quota counts calls per clock hour, which starts at the same
// instant in China Standard Time as in UTC. At least a second.
func untilNextHour(now time.Time) time.Duration {
	return max(now.Truncate(time.Hour).Add(time.Hour).Sub(now), time.Second)
}

// statusError reads an answer with an error status: by its E-code when it
// carries one, otherwise by the status. Meihua documents no error status,
// so a 404 means the path does not exist: the connection's base URL is
// wrong.
func (a *Adapter) statusError(resp *vendorhttp.Response) *domain.VendorError {
	if code := responseCode(resp); code != "" {
		return a.codeError(resp, code)
	}
	return vendorhttp.StatusError(vendor, resp, "", "base_url")
}
