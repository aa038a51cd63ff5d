package http

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/go-chi/chi/v5"
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

// principal is an authenticated caller. It is put into the request
// context once, by identify, and never changed afterwards.
type principal struct {
	name    string
	scopes  []Scope
	tenants []string
}

func (p principal) hasScope(s Scope) bool { return slices.Contains(p.scopes, s) }

func (p principal) mayUse(tenant string) bool {
	return slices.Contains(p.tenants, "*") || slices.Contains(p.tenants, tenant)
}

type principalKey struct{}

// principalFrom returns the caller identify found; ok is false on routes
// open to everyone, which carry none.
func principalFrom(ctx context.Context) (p principal, ok bool) {
	p, ok = ctx.Value(principalKey{}).(principal)
	return p, ok
}

// keyring finds the API key a bearer token belongs to.
type keyring struct{ keys []APIKey }

// find compares the token's hash with every key in constant time, so the
// time taken says nothing about which key, or how much of one, matched.
func (k keyring) find(token string) (principal, bool) {
	if token == "" {
		return principal{}, false
	}
	h := HashKey(token)
	found := -1
	for i := range k.keys {
		if subtle.ConstantTimeCompare(h[:], k.keys[i].SHA256[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return principal{}, false
	}
	key := k.keys[found]
	return principal{name: key.Name, scopes: key.Scopes, tenants: key.Tenants}, true
}

func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// askForKey is the detail of a 401: how to send a key, never why the one
// sent was refused.
const askForKey = "send Authorization: Bearer <api key>"

// route is an operation as the router matched it: method and path
// template ("/v1/contacts/{contact_id}"), spelled as in the spec.
type route struct{ method, pattern string }

// publicRoutes lists the operations the spec opens to callers without a
// key: those whose security requirements are empty or allow an empty one.
func publicRoutes(spec *openapi3.T) map[route]bool {
	public := map[route]bool{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			reqs := spec.Security
			if op.Security != nil {
				reqs = *op.Security
			}
			if len(reqs) == 0 || slices.ContainsFunc(reqs, func(r openapi3.SecurityRequirement) bool { return len(r) == 0 }) {
				public[route{method: method, pattern: path}] = true
			}
		}
	}
	return public
}

// identify finds the caller from the Authorization header alone and puts
// it into the request context, before anything reads the body: a request
// without a known key is answered 401 here, whatever its body. Routes the
// spec opens to everyone (public) need no key. Scopes and the tenant grant
// depend on the operation, which the validator knows; its
// AuthenticationFunc (authenticate) checks them from this principal.
func (k keyring) identify(public map[route]bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// chi has matched the route when a group's middleware runs.
			if public[route{method: r.Method, pattern: chi.RouteContext(r.Context()).RoutePattern()}] {
				next.ServeHTTP(w, r)
				return
			}
			p, ok := k.find(bearerToken(r))
			if !ok {
				writeProblem(w, r, newProblem(ProblemCodeUnauthenticated, askForKey))
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
		})
	}
}

// authenticate is the validator's AuthenticationFunc for bearerAuth. It
// reads the caller identify put into the request context (it looks up no
// key itself), checks the operation's x-required-scopes and that the key is
// granted the tenant named in X-Tenant-ID or in the path. Unknown and
// ungranted tenants get the same answer.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	p, ok := principalFrom(r.Context())
	if !ok {
		// identify lets no such request through; fail closed should the
		// two ever disagree on which routes are public.
		return newProblem(ProblemCodeUnauthenticated, askForKey)
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
