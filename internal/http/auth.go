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
// context once, by authorize, and never changed afterwards.
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

// tenantKey holds the tenantCall of a tenant call (X-Tenant-ID), once the
// caller was found to be granted the tenant.
type tenantKey struct{}

// tenantCall is a call's tenant and whether the call is a write (its
// operation needs the write scope).
type tenantCall struct {
	tenant string
	write  bool
}

// principalFrom returns the caller authorize found; ok is false on routes
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

// access is what the spec asks of a caller per operation: nothing (public),
// or a key with these scopes; and which operations are tenant calls (take
// X-Tenant-ID).
type access struct {
	public     map[route]bool
	scopes     map[route][]Scope
	tenantCall map[route]bool
}

// accessRules reads, once, which operations the spec opens to callers
// without a key (security requirements empty or allowing an empty one) and
// which scopes the others need (x-required-scopes; an operation without
// them needs admin, so a forgotten declaration fails closed).
func accessRules(spec *openapi3.T) access {
	a := access{public: map[route]bool{}, scopes: map[route][]Scope{}, tenantCall: map[route]bool{}}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			rt := route{method: method, pattern: path}
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				if p.Value.In == openapi3.ParameterInHeader && p.Value.Name == "X-Tenant-ID" {
					a.tenantCall[rt] = true
				}
			}
			reqs := spec.Security
			if op.Security != nil {
				reqs = *op.Security
			}
			if len(reqs) == 0 || slices.ContainsFunc(reqs, func(r openapi3.SecurityRequirement) bool { return len(r) == 0 }) {
				a.public[rt] = true
				continue
			}
			a.scopes[rt] = []Scope{ScopeAdmin}
			if raw, ok := op.Extensions["x-required-scopes"].([]any); ok {
				a.scopes[rt] = a.scopes[rt][:0]
				for _, s := range raw {
					if str, ok := s.(string); ok {
						a.scopes[rt] = append(a.scopes[rt], Scope(str))
					}
				}
			}
		}
	}
	return a
}

// authorize decides from the request line and headers alone whether the
// caller may make this call: its API key (401), the scopes the operation
// needs (403 INSUFFICIENT_SCOPE) and the tenant named in the path or in
// X-Tenant-ID (403 TENANT_FORBIDDEN, the same for unknown and ungranted
// tenants). It runs before anything reads the body, so a refused caller
// costs no body bytes, however large its body says it is. The caller goes
// into the request context as an immutable principal. Routes the spec
// opens to everyone need no key.
//
// Passthrough is the one operation whose scope depends on the body (a
// method other than GET needs write): its route asks for read here, and
// the handler checks write once the body is decoded.
func (k keyring) authorize(a access) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// chi has matched the route when a group's middleware runs.
			rc := chi.RouteContext(r.Context())
			rt := route{method: r.Method, pattern: rc.RoutePattern()}
			if a.public[rt] {
				next.ServeHTTP(w, r)
				return
			}
			p, ok := k.find(bearerToken(r))
			if !ok {
				writeProblem(w, r, newProblem(ProblemCodeUnauthenticated, askForKey))
				return
			}
			// Named in the request's log line, a refusal below too.
			infoFrom(r.Context()).caller = p.name
			scopes, known := a.scopes[rt]
			if !known {
				// A route the spec does not list: fail closed.
				scopes = []Scope{ScopeAdmin}
			}
			for _, s := range scopes {
				if !p.hasScope(s) {
					writeProblem(w, r, newProblem(ProblemCodeInsufficientScope, fmt.Sprintf("this operation needs the %s scope", s)))
					return
				}
			}
			// A tenant named in X-Tenant-ID must be granted even where the
			// operation takes none: a key never gets an answer while naming a
			// tenant it may not use.
			header := r.Header.Get("X-Tenant-ID")
			for _, tenant := range []string{header, rc.URLParam("tenant")} {
				if tenant != "" && !p.mayUse(tenant) {
					writeProblem(w, r, newProblem(ProblemCodeTenantForbidden, ""))
					return
				}
			}
			ctx := context.WithValue(r.Context(), principalKey{}, p)
			if a.tenantCall[rt] && header != "" {
				// resolveTenant binds the call to this tenant, and checks
				// that a write may be made now.
				ctx = context.WithValue(ctx, tenantKey{}, tenantCall{tenant: header, write: slices.Contains(scopes, ScopeWrite)})
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
