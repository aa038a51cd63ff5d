package miaokol

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Miaokol's errcodes the adapter treats apart. The docs publish 0
// (success) and 1 (a failure, with no reason); the token codes are the
// WeChat convention Miaokol's token scheme follows.
const (
	codeFailure = 1
	// codeTokenInvalid and the two below say the access token is not (or
	// no longer) valid.
	codeTokenInvalid = 40001
	codeTokenBad     = 40014
	codeTokenExpired = 42001
	// codeBadAppID and codeBadAppSecret refuse the app's credentials.
	codeBadAppID     = 40013
	codeBadAppSecret = 40125
)

// codeText is an errcode as a VendorError's Code.
func codeText(code num) string { return strconv.FormatInt(int64(code), 10) }

// tokenRejected reports whether an answer says the access token is not
// valid (any status: HTTP 401, or errcode 40001, 40014 or 42001).
func tokenRejected(r *vendorhttp.Response) bool {
	if r.Status == http.StatusUnauthorized {
		return true
	}
	// Most answers are not errors: look for the code's bytes before
	// reading the body.
	if !tokenCodeBytes(r.Body) || !r.IsJSON() {
		return false
	}
	var body struct {
		ErrCode num `json:"errcode"`
	}
	if json.Unmarshal(r.Body, &body) != nil {
		return false
	}
	switch body.ErrCode {
	case codeTokenInvalid, codeTokenBad, codeTokenExpired:
		return true
	}
	return false
}

// tokenCodeBytes reports whether b holds the digits of a token code.
func tokenCodeBytes(b []byte) bool {
	for _, c := range [...]string{"40001", "40014", "42001"} {
		if bytes.Contains(b, []byte(c)) {
			return true
		}
	}
	return false
}

// codeError is the error of an answer with errcode code (not 0). write
// says whether the call carried the caller's input (a create, rename,
// delete or tag change): Miaokol's errcode 1 then means it refused that
// input (VendorRejected, 422); on a read, whose parameters the gateway
// writes, it is a failure the gateway cannot explain (VendorUnknown, 502).
func codeError(resp *vendorhttp.Response, code num, write bool) *domain.VendorError {
	e := &domain.VendorError{Vendor: vendor, Status: resp.Status, Code: codeText(code)}
	switch {
	case code == codeTokenInvalid || code == codeTokenBad || code == codeTokenExpired:
		e.Kind, e.Detail = domain.VendorAuth, "miaokol refused the gateway's access token, also after getting a new one"
	case code == codeBadAppID || code == codeBadAppSecret:
		e.Kind, e.Detail = domain.VendorAuth, "miaokol refused the gateway's app id"
	case code == codeFailure && write:
		e.Kind, e.Detail = domain.VendorRejected, "miaokol refused the request without giving a reason (an unknown record, or a value it does not take)"
	case code == codeFailure:
		e.Kind, e.Detail = domain.VendorUnknown, "miaokol reported a failure without giving a reason"
	default:
		e.Kind, e.Detail = domain.VendorUnknown, "miaokol answered with an error code the gateway does not know"
	}
	return e
}

// statusError reads an answer with an error status. Miaokol documents
// none (its errors come with 200), so the status alone says what
// happened; a 404 means the path does not exist there, as a wrong
// base_url gives. An errcode in the body is kept as the Code.
func statusError(resp *vendorhttp.Response) *domain.VendorError {
	code := ""
	var body struct {
		ErrCode *num `json:"errcode"`
	}
	if resp.IsJSON() && json.Unmarshal(resp.Body, &body) == nil && body.ErrCode != nil && *body.ErrCode != 0 {
		code = codeText(*body.ErrCode)
	}
	return vendorhttp.StatusError(vendor, resp, code, "base_url")
}
