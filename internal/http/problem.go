package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// problem is an RFC 9457 problem, with the gateway's extension members.
type problem struct {
	Type          string        `json:"type"`
	Title         string        `json:"title"`
	Status        int           `json:"status"`
	Detail        string        `json:"detail,omitempty"`
	Instance      string        `json:"instance,omitempty"`
	Code          ProblemCode   `json:"code"`
	Vendor        domain.Vendor `json:"vendor,omitempty"`
	VendorCode    string        `json:"vendor_code,omitempty"`
	VendorTraceID string        `json:"vendor_trace_id,omitempty"`
	RequestID     string        `json:"request_id"`
	Errors        []fieldError  `json:"errors,omitempty"`

	retryAfter time.Duration
	cause      error // logged, never sent
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func fieldErrors(fs []domain.FieldError) []fieldError {
	out := make([]fieldError, len(fs))
	for i, f := range fs {
		out[i] = fieldError(f)
	}
	return out
}

var problemInfo = map[ProblemCode]struct {
	status int
	title  string
}{
	ProblemCodeValidationFailed:              {400, "Request validation failed"},
	ProblemCodeInvalidCursor:                 {400, "Invalid cursor"},
	ProblemCodeUnauthenticated:               {401, "Missing or invalid API key"},
	ProblemCodeInsufficientScope:             {403, "The API key lacks the scope this operation needs"},
	ProblemCodeTenantForbidden:               {403, "This API key may not use this tenant"},
	ProblemCodeNotFound:                      {404, "Not found"},
	ProblemCodeMethodNotAllowed:              {405, "Method not allowed"},
	ProblemCodeIDVendorMismatch:              {409, "Id belongs to another vendor"},
	ProblemCodeAlreadyExists:                 {409, "Already exists"},
	ProblemCodeIdempotencyInFlight:           {409, "A request with this Idempotency-Key is in progress"},
	ProblemCodePreconditionFailed:            {412, "The record has changed"},
	ProblemCodePayloadTooLarge:               {413, "Request body too large"},
	ProblemCodeUnsupportedMediaType:          {415, "Unsupported media type"},
	ProblemCodeIdempotencyKeyReused:          {422, "Idempotency-Key reused with a different request"},
	ProblemCodeVendorRejected:                {422, "The vendor refused the input"},
	ProblemCodeVendorLimitReached:            {422, "Vendor limit reached"},
	ProblemCodeVendorNotConfigured:           {422, "Vendor not configured for this tenant"},
	ProblemCodeMigrationRunning:              {409, "The tenant has a migration that has not ended"},
	ProblemCodeTenantMigrating:               {503, "The tenant is being switched to another vendor"},
	ProblemCodeResultWindowExceeded:          {422, "The vendor cannot page this deep"},
	ProblemCodeVendorRateLimited:             {429, "Vendor rate limit reached"},
	ProblemCodeInternal:                      {500, "Internal error"},
	ProblemCodeUnsupportedOperation:          {501, "Operation not supported by the vendor"},
	ProblemCodeUnsupportedFilter:             {501, "Filter not supported by the vendor"},
	ProblemCodeVendorAuthFailed:              {502, "The vendor refused the gateway's credentials"},
	ProblemCodeInvalidOauthState:             {400, "Invalid OAuth state"},
	ProblemCodeAuthorizationDenied:           {422, "The vendor did not authorize the gateway"},
	ProblemCodeVendorReauthorizationRequired: {502, "The tenant must be connected to the vendor again"},
	ProblemCodeVendorClockSkew:               {502, "The vendor refused the gateway's clock"},
	ProblemCodeVendorBadResponse:             {502, "Vendor sent an unusable answer"},
	ProblemCodeVendorError:                   {502, "Vendor error"},
	ProblemCodeVendorUnavailable:             {503, "Vendor unavailable"},
	ProblemCodeCircuitOpen:                   {503, "Vendor circuit open"},
	ProblemCodeVendorTimeout:                 {504, "Vendor timed out"},
	ProblemCodeStateUnavailable:              {503, "The gateway's shared state is unavailable"},
	ProblemCodeServerBusy:                    {503, "The gateway is handling too many request bodies"},
	ProblemCodeOverloaded:                    {503, "The gateway is serving too many requests"},

	// A wrong base URL in the tenant's connection, not a missing record.
	ProblemCodeVendorEndpointNotFound: {502, "The vendor has no such endpoint: the connection is misconfigured"},
}

func newProblem(code ProblemCode, detail string) *problem {
	info, ok := problemInfo[code]
	if !ok {
		code, info = ProblemCodeInternal, problemInfo[ProblemCodeInternal]
	}
	return &problem{
		Type:   "urn:cdp-gateway:problem:" + strings.ToLower(strings.ReplaceAll(string(code), "_", "-")),
		Title:  info.title,
		Status: info.status,
		Detail: detail,
		Code:   code,
	}
}

var vendorKindCode = map[domain.VendorErrorKind]ProblemCode{
	domain.VendorUnknown:                 ProblemCodeVendorError,
	domain.VendorRejected:                ProblemCodeVendorRejected,
	domain.VendorNotFound:                ProblemCodeNotFound,
	domain.VendorExists:                  ProblemCodeAlreadyExists,
	domain.VendorLimit:                   ProblemCodeVendorLimitReached,
	domain.VendorResultWindow:            ProblemCodeResultWindowExceeded,
	domain.VendorAuth:                    ProblemCodeVendorAuthFailed,
	domain.VendorReauthorizationRequired: ProblemCodeVendorReauthorizationRequired,
	domain.VendorClockSkew:               ProblemCodeVendorClockSkew,
	domain.VendorRateLimited:             ProblemCodeVendorRateLimited,
	domain.VendorUnavailable:             ProblemCodeVendorUnavailable,
	domain.VendorTimeout:                 ProblemCodeVendorTimeout,
	domain.VendorBadResponse:             ProblemCodeVendorBadResponse,
	domain.VendorCircuitOpen:             ProblemCodeCircuitOpen,

	domain.VendorEndpointNotFound: ProblemCodeVendorEndpointNotFound,
}

// defaultRetryAfter is sent with 429 and 503 answers when the vendor did
// not say how long to wait.
var defaultRetryAfter = map[ProblemCode]time.Duration{
	ProblemCodeVendorUnavailable: 5 * time.Second,
	ProblemCodeVendorRateLimited: 30 * time.Second,
	ProblemCodeCircuitOpen:       5 * time.Second,
	ProblemCodeStateUnavailable:  5 * time.Second,
}

// problemFor maps an error to the problem a caller sees. It is the one
// place where errors become HTTP statuses.
func problemFor(err error) *problem {
	var (
		pe  *problem
		ve  *domain.VendorError
		val *domain.ValidationError
		ue  *domain.UnsupportedError
		ose *domain.OAuthStateError
		ade *domain.AuthorizationDeniedError
		me  *domain.IDMismatchError
		ce  *domain.CursorError
		nc  *domain.VendorNotConfiguredError
		fe  *domain.FrozenError
		pre *domain.PreconditionError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &ve):
		code, ok := vendorKindCode[ve.Kind]
		if !ok {
			code = ProblemCodeVendorError
		}
		p := newProblem(code, domain.SafeDetail(ve))
		p.Vendor, p.VendorCode, p.VendorTraceID, p.retryAfter, p.cause = ve.Vendor, ve.Code, ve.TraceID, ve.RetryAfter, err
		if p.retryAfter == 0 {
			p.retryAfter = defaultRetryAfter[code]
		}
		return p
	case errors.As(err, &val):
		p := newProblem(ProblemCodeValidationFailed, validationDetail(val))
		p.Errors = fieldErrors(val.Fields)
		return p
	case errors.As(err, &ue):
		code := ProblemCodeUnsupportedOperation
		if ue.Filter != "" {
			code = ProblemCodeUnsupportedFilter
		}
		p := newProblem(code, ue.Error())
		p.Vendor = ue.Vendor
		return p
	case errors.As(err, &me):
		p := newProblem(ProblemCodeIDVendorMismatch, me.Error())
		p.Vendor = me.TenantVendor
		return p
	case errors.As(err, &ce):
		return newProblem(ProblemCodeInvalidCursor, ce.Reason)
	case errors.As(err, &nc):
		return newProblem(ProblemCodeVendorNotConfigured, nc.Error())
	case errors.As(err, &ose):
		return newProblem(ProblemCodeInvalidOauthState, "the OAuth state cannot be used: "+ose.Reason)
	case errors.As(err, &ade):
		p := newProblem(ProblemCodeAuthorizationDenied, ade.Error())
		p.Vendor, p.VendorCode = ade.Vendor, ade.Code
		return p
	case errors.As(err, &pre):
		p := newProblem(ProblemCodePreconditionFailed, pre.Error())
		p.Vendor = pre.Vendor
		return p
	case errors.As(err, &mbe):
		return newProblem(ProblemCodePayloadTooLarge, fmt.Sprintf("the request body exceeds %d bytes", mbe.Limit))
	case errors.Is(err, domain.ErrIdempotencyInFlight):
		p := newProblem(ProblemCodeIdempotencyInFlight, err.Error())
		return p
	case errors.As(err, &fe):
		p := newProblem(ProblemCodeTenantMigrating, fe.Error())
		p.retryAfter = fe.RetryAfter
		return p
	case errors.Is(err, domain.ErrMigrationRunning):
		return newProblem(ProblemCodeMigrationRunning, err.Error())
	case errors.Is(err, domain.ErrIdempotencyMismatch):
		return newProblem(ProblemCodeIdempotencyKeyReused, err.Error())
	case errors.Is(err, domain.ErrStoreUnavailable):
		p := newProblem(ProblemCodeStateUnavailable, "the gateway cannot reach its shared state (Redis) right now; try again shortly")
		p.retryAfter, p.cause = defaultRetryAfter[ProblemCodeStateUnavailable], err
		return p
	case errors.Is(err, domain.ErrNotFound):
		return newProblem(ProblemCodeNotFound, "")
	case errors.Is(err, domain.ErrAlreadyExists):
		return newProblem(ProblemCodeAlreadyExists, "")
	case errors.Is(err, context.DeadlineExceeded):
		p := newProblem(ProblemCodeVendorTimeout, "the call did not finish in time")
		p.cause = err
		return p
	}
	p := newProblem(ProblemCodeInternal, "")
	p.cause = err
	return p
}

func validationDetail(v *domain.ValidationError) string {
	if len(v.Fields) == 1 {
		return v.Fields[0].Field + " " + v.Fields[0].Message
	}
	return strconv.Itoa(len(v.Fields)) + " fields are invalid"
}

// writeProblem answers r with the problem for err and logs server-side
// failures with their cause.
func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	ctx := r.Context()
	infoFrom(ctx).code = p.Code
	if p.Status >= 500 || p.Status == http.StatusTooManyRequests {
		logger(ctx).LogAttrs(ctx, levelFor(p.Status), "request failed",
			slog.String("code", string(p.Code)), slog.Int("status", p.Status),
			slog.String("vendor", string(p.Vendor)), slog.String("vendor_code", p.VendorCode),
			slog.String("vendor_trace_id", p.VendorTraceID), slog.String("error", errorText(p)))
	}
	sendProblem(w, r, p)
}

func levelFor(status int) slog.Level {
	if status == http.StatusInternalServerError {
		return slog.LevelError
	}
	return slog.LevelWarn
}

func errorText(p *problem) string {
	if p.cause == nil {
		return p.Detail
	}
	return p.cause.Error()
}

// fallbackProblem is sent when a problem cannot be encoded.
const fallbackProblem = `{"type":"urn:cdp-gateway:problem:internal","title":"Internal error","status":500,"code":"` + string(ProblemCodeInternal) + `"}`

// sendProblem writes p as application/problem+json.
func sendProblem(w http.ResponseWriter, r *http.Request, p *problem) {
	out := *p
	out.Instance = r.URL.Path
	out.RequestID = requestIDFrom(r.Context())
	if out.retryAfter > 0 {
		secs := int((out.retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	if out.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cdp-gateway"`)
	}
	body, err := json.Marshal(out)
	if err != nil {
		body = []byte(fallbackProblem)
		out.Status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(out.Status)
	_, _ = w.Write(append(body, '\n'))
}

// Error lets a problem travel as an error (from the authentication callback).
func (p *problem) Error() string { return string(p.Code) + ": " + p.Detail }
