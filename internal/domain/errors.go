package domain

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Sentinel errors. Match them with errors.Is; vendor errors of the matching
// kind match too.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	ErrInvalidCursor = errors.New("invalid cursor")
	ErrTenantUnknown = errors.New("unknown tenant")
	// ErrStoreUnavailable marks a failure of the gateway's shared state
	// (Redis): the call cannot be done safely right now.
	ErrStoreUnavailable = errors.New("the gateway's shared state is unavailable")
)

// FieldError is one invalid input field. Field is "body.<path>",
// "query.<name>", "header.<name>" or "path.<name>".
type FieldError struct {
	Field   string
	Message string
}

// ValidationError is bad caller input, field by field.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	if len(e.Fields) == 1 {
		return "invalid input: " + e.Fields[0].Field + " " + e.Fields[0].Message
	}
	return fmt.Sprintf("invalid input: %d fields", len(e.Fields))
}

// Invalid returns a ValidationError for one field.
func Invalid(field, message string) *ValidationError {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: message}}}
}

// UnsupportedError says the tenant's vendor cannot do an operation, or
// cannot apply a filter (Filter set), or cannot honour an option of it
// (Option set), or cannot make it conditional (IfMatch set: it keeps no
// record versions).
type UnsupportedError struct {
	Vendor    Vendor
	Operation Operation
	Filter    string
	Option    string
	IfMatch   bool
}

func (e *UnsupportedError) Error() string {
	switch {
	case e.Filter != "":
		return fmt.Sprintf("%s cannot filter %s by %s", e.Vendor, e.Operation, e.Filter)
	case e.Option != "":
		return fmt.Sprintf("%s cannot do %s with %s", e.Vendor, e.Operation, e.Option)
	case e.IfMatch:
		return fmt.Sprintf("%s keeps no record versions, so %s cannot honour If-Match; send it without", e.Vendor, e.Operation)
	}
	return fmt.Sprintf("%s does not support %s", e.Vendor, e.Operation)
}

// PreconditionError is a conditional write refused because the record is
// not at the version the caller named (HTTP 412): Current is its version
// at the vendor now, "" when the vendor keeps none for it. Nothing was
// written.
type PreconditionError struct {
	Vendor  Vendor
	Want    string
	Current string
}

func (e *PreconditionError) Error() string {
	if e.Current == "" {
		return fmt.Sprintf("%s keeps no version for this record, so If-Match %q cannot match; write without If-Match", e.Vendor, e.Want)
	}
	return fmt.Sprintf("the record has changed: it is at version %q, not %q; read it again before writing", e.Current, e.Want)
}

// IDMismatchError is an id of another vendor than the tenant's current one.
type IDMismatchError struct {
	ID           string
	IDVendor     Vendor
	TenantVendor Vendor
}

func (e *IDMismatchError) Error() string {
	return fmt.Sprintf("id %s is a %s id but the tenant is on %s", e.ID, e.IDVendor, e.TenantVendor)
}

// CursorError explains why a cursor was refused. It matches ErrInvalidCursor.
type CursorError struct{ Reason string }

func (e *CursorError) Error() string { return "invalid cursor: " + e.Reason }

// Is lets errors.Is(err, ErrInvalidCursor) see every cursor error.
func (e *CursorError) Is(target error) bool { return target == ErrInvalidCursor }

// VendorNotConfiguredError is a switch to a vendor the tenant has no connection for.
type VendorNotConfiguredError struct {
	Tenant string
	Vendor Vendor
}

func (e *VendorNotConfiguredError) Error() string {
	return fmt.Sprintf("tenant %s has no %s connection configured", e.Tenant, e.Vendor)
}

// VendorErrorKind classifies what a vendor's failure means for the caller.
type VendorErrorKind int

// Kinds of vendor failure.
const (
	// VendorUnknown: the vendor reported an error code the gateway does not know.
	VendorUnknown VendorErrorKind = iota
	// VendorRejected: the vendor refused the input.
	VendorRejected
	// VendorNotFound: the record does not exist at the vendor.
	VendorNotFound
	// VendorExists: the record already exists at the vendor.
	VendorExists
	// VendorLimit: a vendor-side limit (number of groups, plan size) is reached.
	VendorLimit
	// VendorResultWindow: the vendor cannot page this deep.
	VendorResultWindow
	// VendorAuth: the vendor refused the gateway's credentials.
	VendorAuth
	// VendorRateLimited: the vendor's call quota is spent.
	VendorRateLimited
	// VendorUnavailable: 5xx, connection refused, reset.
	VendorUnavailable
	// VendorTimeout: no answer in time.
	VendorTimeout
	// VendorBadResponse: an answer that is not the documented shape
	// (HTML page, wrong content type, truncated JSON).
	VendorBadResponse
	// VendorCircuitOpen: the gateway's breaker for the connection is open,
	// so the vendor was not called.
	VendorCircuitOpen
	// VendorEndpointNotFound: the vendor has no such endpoint (a 404 that
	// is not its "no such record" answer), as a wrong base URL gives: a
	// configuration error, not a missing record.
	VendorEndpointNotFound
	// VendorReauthorizationRequired: the connection's authorization at the
	// vendor is gone (its refresh token was refused, or a refresh's answer
	// was lost after the vendor may have rotated it); the gateway calls the
	// vendor again for the tenant only after an operator connects it anew
	// (Code names the reason).
	VendorReauthorizationRequired
	// VendorClockSkew: the vendor refused a signed request's timestamp:
	// the gateway's clock is too far off the vendor's.
	VendorClockSkew
)

var vendorKindNames = [...]string{
	VendorUnknown: "unknown", VendorRejected: "rejected", VendorNotFound: "not found", VendorExists: "exists",
	VendorLimit: "limit", VendorResultWindow: "result window", VendorAuth: "auth", VendorRateLimited: "rate limited",
	VendorUnavailable: "unavailable", VendorTimeout: "timeout", VendorBadResponse: "bad response",
	VendorCircuitOpen: "circuit open", VendorEndpointNotFound: "endpoint not found",
	VendorReauthorizationRequired: "reauthorization required", VendorClockSkew: "clock skew",
}

// String names the kind, for logs and tests.
func (k VendorErrorKind) String() string {
	if int(k) < len(vendorKindNames) && k >= 0 {
		return vendorKindNames[k]
	}
	return "kind(" + itoa(int(k)) + ")"
}

// VendorError is a failed vendor call. Detail is written by the gateway and
// safe to show to callers; the vendor's own body is never put in it. Err
// keeps the underlying cause for logs.
type VendorError struct {
	Vendor Vendor
	Kind   VendorErrorKind
	Status int    // the vendor's HTTP status, 0 if none
	Code   string // the vendor's error code, if any
	// TraceID is the vendor's id of the call, when it sends one: safe to
	// show, and what its support asks for.
	TraceID    string
	Detail     string
	RetryAfter time.Duration
	Err        error
}

func (e *VendorError) Error() string {
	s := string(e.Vendor) + ": " + e.Detail
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *VendorError) Unwrap() error { return e.Err }

// Is lets errors.Is(err, ErrNotFound) and ErrAlreadyExists see vendor errors of that kind.
func (e *VendorError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Kind == VendorNotFound
	case ErrAlreadyExists:
		return e.Kind == VendorExists
	}
	return false
}

// Retryable reports whether the failure is transient (worth retrying an idempotent call).
func (e *VendorError) Retryable() bool {
	return e.Kind == VendorUnavailable || e.Kind == VendorTimeout
}

// FailsEveryCall reports whether err is a failure that would hit every
// call to the vendor the same way right now: the vendor refused the
// gateway's credentials, limits its call rate, cannot be reached or does
// not answer in time, or the caller cancelled or ran out of time. A batch
// that meets one reports it once for the whole call instead of repeating
// it for every item. Other vendor errors (a refused record, a missing id)
// belong to the item that caused them. A vendor without the endpoint (a
// wrong base URL) fails every call too.
func FailsEveryCall(err error) bool {
	var ve *VendorError
	var pe *JobPauseError
	if errors.As(err, &pe) { // a job's write after a rest: the job pauses
		return true
	}
	if errors.As(err, &ve) {
		switch ve.Kind {
		case VendorAuth, VendorReauthorizationRequired, VendorClockSkew, VendorRateLimited, VendorUnavailable, VendorTimeout, VendorEndpointNotFound:
			return true
		}
		return false
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func quote(s string) string { return strconv.Quote(s) }
func itoa(i int) string     { return strconv.Itoa(i) }

// SafeDetail describes err in words fit for a caller: gateway-written
// details only, never a vendor body, URL or internal error text.
func SafeDetail(err error) string {
	var (
		ve  *VendorError
		val *ValidationError
		ue  *UnsupportedError
		me  *IDMismatchError
		ce  *CursorError
		pe  *PreconditionError
		ns  *NotSwitchedError
	)
	switch {
	case errors.As(err, &ve):
		d := ve.Detail
		if d == "" {
			d = string(ve.Vendor) + " call failed"
		}
		if ve.Code != "" {
			return d + " (" + string(ve.Vendor) + " " + ve.Code + ")"
		}
		return d
	case errors.As(err, &val):
		return val.Error()
	case errors.As(err, &ue):
		return ue.Error()
	case errors.As(err, &me):
		return me.Error()
	case errors.As(err, &ce):
		return ce.Error()
	case errors.As(err, &pe):
		return pe.Error()
	case errors.As(err, &ns):
		return ns.Error()
	case errors.Is(err, ErrNotFound):
		return "not found"
	case errors.Is(err, ErrAlreadyExists):
		return "already exists"
	case errors.Is(err, context.DeadlineExceeded):
		return "the request deadline passed"
	case errors.Is(err, context.Canceled):
		return "the request was cancelled"
	}
	return "internal error"
}
