package http

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/cdp-gateway/cdp-gateway/api"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// newTestHandler builds the whole handler over one tenant "acme" on a
// vendor without an adapter, and one key "writer" (read and write on acme).
func newTestHandler(t *testing.T) http.Handler {
	t.Helper()
	ctx := context.Background()
	vs, err := domain.NewVendors(domain.VendorInfo{Name: "linkflow", Prefix: "lf"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := domain.NewService(ctx, domain.ServiceConfig{
		Vendors: vs, CursorSecret: []byte("0123456789abcdef"), Bindings: memory.NewBindings(memory.BindingsOptions{}),
		Tenants: []domain.Tenant{{ID: "acme", Initial: "linkflow", Connections: map[domain.Vendor]domain.Connection{
			"linkflow": domain.NewBareConnection("linkflow")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(Config{Service: svc, MaxBodyBytes: 64, Keys: []APIKey{
		{Name: "writer", SHA256: HashKey("key-w"), Scopes: []Scope{ScopeRead, ScopeWrite}, Tenants: []string{"acme"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// watchedBody is a request body that counts its reads.
type watchedBody struct {
	r     io.Reader
	reads atomic.Int32
}

func (b *watchedBody) Read(p []byte) (int, error) { b.reads.Add(1); return b.r.Read(p) }
func (b *watchedBody) Close() error               { return nil }

// TestAuthenticationNeverReadsTheBody: a caller without a known key is
// answered 401 from its headers alone, however large or broken its body;
// the body is not read at all.
func TestAuthenticationNeverReadsTheBody(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	for name, auth := range map[string]string{"no key": "", "unknown key": "Bearer key-x", "basic": "Basic a2V5LXc6"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Over MaxBodyBytes and not JSON; no Content-Length, so that
			// only reading it could find either.
			body := &watchedBody{r: strings.NewReader(strings.Repeat("x", 1000))}
			r := httptest.NewRequest(http.MethodPost, "/v1/contacts", nil)
			r.Body, r.ContentLength = body, -1
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-Tenant-ID", "acme")
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			var p struct{ Code ProblemCode }
			_ = json.Unmarshal(rec.Body.Bytes(), &p)
			if rec.Code != http.StatusUnauthorized || p.Code != ProblemCodeUnauthenticated {
				t.Fatalf("%d %s, want 401 UNAUTHENTICATED", rec.Code, rec.Body)
			}
			if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", rec.Header().Get("WWW-Authenticate"))
			}
			if n := body.reads.Load(); n != 0 {
				t.Errorf("the body was read %d times before the caller was known", n)
			}
		})
	}
	// The same request with the key gets past authentication: it is the
	// body that fails now, so the check above is about the key.
	r := httptest.NewRequest(http.MethodPost, "/v1/contacts", nil)
	r.Body, r.ContentLength = &watchedBody{r: strings.NewReader(strings.Repeat("x", 1000))}, -1
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Tenant-ID", "acme")
	r.Header.Set("Authorization", "Bearer key-w")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("with the key: %d %s, want 413", rec.Code, rec.Body)
	}
}

// TestPublicRoutesNeedNoKey: the operations the spec opens to everyone
// answer without a key, and a wrong key does not close them.
func TestPublicRoutesNeedNoKey(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	for _, auth := range []string{"", "Bearer key-x"} {
		r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			t.Fatalf("healthz with %q: %d %s", auth, rec.Code, rec.Body)
		}
	}
}

func TestPublicRoutes(t *testing.T) {
	t.Parallel()
	spec, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	public := publicRoutes(spec)
	for _, r := range []route{{"GET", "/healthz"}, {"GET", "/readyz"}} {
		if !public[r] {
			t.Errorf("%v is not public", r)
		}
	}
	for _, r := range []route{{"GET", "/v1/contacts"}, {"POST", "/v1/contacts"}, {"GET", "/admin/v1/tenants"}} {
		if public[r] {
			t.Errorf("%v is public, but the spec asks for a key", r)
		}
	}
}

// TestAuthenticateWithoutPrincipal: the validator's check fails closed
// when no caller was identified before it.
func TestAuthenticateWithoutPrincipal(t *testing.T) {
	t.Parallel()
	in := &openapi3filter.AuthenticationInput{RequestValidationInput: &openapi3filter.RequestValidationInput{
		Request: httptest.NewRequest(http.MethodGet, "/v1/contacts", nil),
	}}
	err := authenticate(context.Background(), in)
	var p *problem
	if !errors.As(err, &p) || p.Code != ProblemCodeUnauthenticated {
		t.Fatalf("authenticate = %v, want UNAUTHENTICATED", err)
	}
}
