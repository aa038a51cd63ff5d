package http

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// Scope is a permission an API key carries.
type Scope string

// Scopes.
const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
	ScopeAdmin Scope = "admin"
)

// APIKey is a caller's key as configured: only its SHA-256 hash is known.
// Tenants may hold "*" for every tenant.
type APIKey struct {
	Name    string
	SHA256  [32]byte
	Scopes  []Scope
	Tenants []string
}

// HashKey returns the SHA-256 of a raw key, as stored in configuration.
func HashKey(raw string) [32]byte { return sha256.Sum256([]byte(raw)) }

// principal is an authenticated caller.
type principal struct {
	name    string
	scopes  []Scope
	tenants []string
}

func (p *principal) hasScope(s Scope) bool { return slices.Contains(p.scopes, s) }

func (p *principal) mayUse(tenant string) bool {
	return slices.Contains(p.tenants, "*") || slices.Contains(p.tenants, tenant)
}

// keyring finds the API key a bearer token belongs to.
type keyring struct{ keys []APIKey }

// find compares the token's hash with every key in constant time, so the
// time taken says nothing about which key, or how much of one, matched.
func (k keyring) find(token string) (*principal, bool) {
	if token == "" {
		return nil, false
	}
	h := HashKey(token)
	found := -1
	for i := range k.keys {
		if subtle.ConstantTimeCompare(h[:], k.keys[i].SHA256[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil, false
	}
	key := k.keys[found]
	return &principal{name: key.Name, scopes: key.Scopes, tenants: key.Tenants}, true
}

func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// authState carries the authenticated principal out of the validator's
// authentication callback, which cannot change the request context.
type authState struct{ p *principal }

type authStateKey struct{}

func withAuthState(ctx context.Context) (context.Context, *authState) {
	st := &authState{}
	return context.WithValue(ctx, authStateKey{}, st), st
}

func principalFrom(ctx context.Context) *principal {
	if st, ok := ctx.Value(authStateKey{}).(*authState); ok {
		return st.p
	}
	return nil
}

// authenticate is the validator's AuthenticationFunc for bearerAuth: it
// finds the key, checks the operation's x-required-scopes and that the key
// is granted the tenant named in X-Tenant-ID or in the path. Unknown and
// ungranted tenants get the same answer.
func (k keyring) authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	p, ok := k.find(bearerToken(r))
	if !ok {
		return newProblem(ProblemCodeUnauthenticated, "send Authorization: Bearer <api key>")
	}
	for _, s := range requiredScopes(in) {
		if !p.hasScope(s) {
			return newProblem(ProblemCodeInsufficientScope, fmt.Sprintf("this operation needs the %s scope", s))
		}
	}
	tenant := r.Header.Get("X-Tenant-ID")
	if t := in.RequestValidationInput.PathParams["tenant"]; t != "" {
		tenant = t
	}
	if tenant != "" && !p.mayUse(tenant) {
		return newProblem(ProblemCodeTenantForbidden, "")
	}
	if st, ok := r.Context().Value(authStateKey{}).(*authState); ok {
		st.p = p
	}
	return nil
}

func requiredScopes(in *openapi3filter.AuthenticationInput) []Scope {
	op := in.RequestValidationInput.Route.Operation
	raw, ok := op.Extensions["x-required-scopes"].([]any)
	if !ok {
		// Fail closed: an operation without declared scopes needs admin.
		return []Scope{ScopeAdmin}
	}
	out := make([]Scope, 0, len(raw))
	for _, s := range raw {
		if str, ok := s.(string); ok {
			out = append(out, Scope(str))
		}
	}
	return out
}
