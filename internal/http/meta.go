package http

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// GetCapabilities implements StrictServerInterface.
func (s *Server) GetCapabilities(ctx context.Context, _ GetCapabilitiesRequestObject) (GetCapabilitiesResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	caps := s.svc.Capabilities(t)
	ops := make(map[string]bool, len(caps.Operations))
	for op, ok := range caps.Operations {
		ops[string(op)] = ok
	}
	ifMatch := make([]string, len(caps.IfMatch))
	for i, op := range caps.IfMatch {
		ifMatch[i] = string(op)
	}
	return GetCapabilities200JSONResponse{Body: Capabilities{
		Tenant: t.Tenant, Vendor: Vendor(t.Vendor), BindingVersion: t.Version,
		Operations: ops, ContactFilters: caps.ContactFilters, IfMatch: ifMatch,
	}}, nil
}

// Passthrough implements StrictServerInterface. The spec asks for the read
// scope; a method other than GET also needs write.
func (s *Server) Passthrough(ctx context.Context, req PassthroughRequestObject) (PassthroughResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	if b.Method != PassthroughRequestMethodGET {
		if p, _ := principalFrom(ctx); !p.hasScope(ScopeWrite) {
			return nil, newProblem(ProblemCodeInsufficientScope, "a passthrough "+string(b.Method)+" needs the write scope")
		}
		wctx, end, err := s.svc.BeginWrite(ctx, t.Tenant)
		defer end()
		if err != nil {
			return nil, err
		}
		ctx = wctx
	}
	// The bodies travel as the bytes they are, numbers exact.
	in := domain.PassthroughRequest{Method: string(b.Method), Path: b.Path, Query: b.Query}
	if b.Body != nil {
		in.Body = *b.Body
	}
	out, err := s.svc.Passthrough(ctx, t, in)
	if err != nil {
		return nil, err
	}
	return passthroughAnswer(out), nil
}

// passthroughAnswer is Passthrough's 200, the PassthroughResponse of the
// spec written around the vendor's body as the bytes the adapter returned
// (JSON, which vendorhttp.PassthroughAnswer checked), with a
// Content-Length. Passthrough200JSONResponse would have encoding/json scan
// and compact every byte of the body once more (and escape its <, > and
// &, which the vendor's own answer does not need either).
type passthroughAnswer domain.PassthroughResponse

func (a passthroughAnswer) VisitPassthroughResponse(w http.ResponseWriter) error {
	head := make([]byte, 0, len(`{"status":,"body":`)+20)
	head = strconv.AppendInt(append(head, `{"status":`...), int64(a.Status), 10)
	if len(a.Body) > 0 {
		head = append(head, `,"body":`...)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(head)+len(a.Body)+len(answerEnd)))
	w.WriteHeader(http.StatusOK)
	// Three writes into the server's buffer rather than a copy of the body.
	for _, part := range [...][]byte{head, a.Body, answerEnd} {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}

// answerEnd closes a JSON answer as encoding/json's Encoder does.
var answerEnd = []byte("}\n")

// ListTenants implements StrictServerInterface.
func (s *Server) ListTenants(ctx context.Context, _ ListTenantsRequestObject) (ListTenantsResponseObject, error) {
	p, _ := principalFrom(ctx)
	ts, err := s.svc.Tenants(ctx, p.mayUse)
	if err != nil {
		return nil, err
	}
	return ListTenants200JSONResponse{Body: TenantList{Data: mapSlice(ts, toTenant)}}, nil
}

// GetTenant implements StrictServerInterface.
func (s *Server) GetTenant(ctx context.Context, req GetTenantRequestObject) (GetTenantResponseObject, error) {
	ti, err := s.svc.Tenant(ctx, req.Tenant)
	if err != nil {
		return nil, tenantError(err)
	}
	return GetTenant200JSONResponse{Body: toTenant(ti)}, nil
}

// SwitchTenantVendor implements StrictServerInterface.
func (s *Server) SwitchTenantVendor(ctx context.Context, req SwitchTenantVendorRequestObject) (SwitchTenantVendorResponseObject, error) {
	// The spec lists the vendors; one the tenant has no connection for is
	// VENDOR_NOT_CONFIGURED.
	p, _ := principalFrom(ctx)
	ti, err := s.svc.SwitchVendor(ctx, req.Tenant, domain.Vendor(req.Body.Vendor), p.name, deref(req.Body.Reason))
	if err != nil {
		return nil, tenantError(err)
	}
	return SwitchTenantVendor200JSONResponse{Body: toTenant(ti)}, nil
}

// tenantError answers an unknown tenant like an ungranted one.
func tenantError(err error) error {
	if errors.Is(err, domain.ErrTenantUnknown) {
		return newProblem(ProblemCodeTenantForbidden, "")
	}
	return err
}

// StartAuthorization implements StrictServerInterface.
func (s *Server) StartAuthorization(ctx context.Context, req StartAuthorizationRequestObject) (StartAuthorizationResponseObject, error) {
	st, err := s.svc.StartAuthorization(ctx, req.Tenant, domain.Vendor(req.Vendor))
	if err != nil {
		return nil, tenantError(err)
	}
	return StartAuthorization200JSONResponse{Body: AuthorizationStart{
		Tenant: st.Tenant, Vendor: Vendor(st.Vendor), AuthorizeURL: st.AuthorizeURL,
		RedirectURI: st.RedirectURI, State: st.State, ExpiresAt: Timestamp(st.Expires.UTC()),
	}}, nil
}

// CompleteAuthorization implements StrictServerInterface. The tenant is
// the one the state names; the key must be granted it, which the Service
// checks once the state's signature holds.
func (s *Server) CompleteAuthorization(ctx context.Context, req CompleteAuthorizationRequestObject) (CompleteAuthorizationResponseObject, error) {
	p, _ := principalFrom(ctx)
	cb := domain.AuthorizationCallback{State: req.Params.State, Code: deref(req.Params.Code), Error: deref(req.Params.Error)}
	ca, err := s.svc.CompleteAuthorization(ctx, cb, p.mayUse, p.name)
	if err != nil {
		return nil, tenantError(err)
	}
	return CompleteAuthorization200JSONResponse{Body: ConnectionAuthorization{
		Tenant: ca.Tenant, Vendor: Vendor(ca.Vendor), Authorization: toAuthorization(ca.Authorization),
	}}, nil
}
