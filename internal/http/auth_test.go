package http

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	"github.com/cdp-gateway/cdp-gateway/api"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// newTestHandler builds the whole handler over one tenant "acme" on a
// vendor without an adapter, with keys "writer" (read and write on acme)
// and "reader" (read on acme), a 64-byte body limit and cfg's in-flight
// budget.
func newTestHandler(t *testing.T, edit ...func(*Config)) http.Handler {
	t.Helper()
	return handlerOver(t, domain.NewBareConnection("linkflow"), "lf", Config{MaxBodyBytes: 64, Keys: []APIKey{
		{Name: "writer", SHA256: HashKey("key-w"), Scopes: []Scope{ScopeRead, ScopeWrite}, Tenants: []string{"acme"}},
		{Name: "reader", SHA256: HashKey("key-r"), Scopes: []Scope{ScopeRead}, Tenants: []string{"acme"}},
	}}, edit...)
}

// handlerOver builds the whole handler from cfg over one tenant "acme" on
// conn's vendor (its ids prefixed prefix), then edited by edit.
func handlerOver(tb testing.TB, conn domain.Connection, prefix string, cfg Config, edit ...func(*Config)) http.Handler {
	tb.Helper()
	v := conn.Vendor()
	vs, err := domain.NewVendors(domain.VendorInfo{Name: v, Prefix: prefix})
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Service, err = domain.NewService(context.Background(), domain.ServiceConfig{
		Vendors: vs, CursorSecret: []byte("0123456789abcdef"), Bindings: memory.NewBindings(memory.BindingsOptions{}),
		Tenants: []domain.Tenant{{ID: "acme", Initial: v, Connections: map[domain.Vendor]domain.Connection{v: conn}}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range edit {
		f(&cfg)
	}
	h, err := NewHandler(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// untouchable is a request body that fails the test when anything reads
// or closes it... reads only: the server may close an unread body.
type untouchable struct{ t *testing.T }

func (b untouchable) Read([]byte) (int, error) {
	b.t.Error("the body was read before the caller was authorised")
	return 0, io.ErrUnexpectedEOF
}
func (untouchable) Close() error { return nil }

// postContact is a POST /v1/contacts with the given auth, tenant and body.
func postContact(auth, tenant string, body io.ReadCloser, length int64) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/contacts", nil)
	r.Body, r.ContentLength = body, length
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Tenant-ID", tenant)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return r
}

// TestAuthorisationNeverReadsTheBody: a caller without a known key, without
// the scope or without the tenant is answered from its headers alone,
// whatever its body: with a Content-Length over the limit or none at all,
// the body is not read (and an over-limit body is not a 413 before the
// 401). Before, scopes and tenants were checked inside the validator after
// it had read and decoded the body, and the body limit came first.
func TestAuthorisationNeverReadsTheBody(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	for _, c := range []struct {
		name, auth, tenant string
		status             int
		code               ProblemCode
	}{
		{"no key", "", "acme", 401, ProblemCodeUnauthenticated},
		{"unknown key", "Bearer key-x", "acme", 401, ProblemCodeUnauthenticated},
		{"basic", "Basic a2V5LXc6", "acme", 401, ProblemCodeUnauthenticated},
		{"no scope", "Bearer key-r", "acme", 403, ProblemCodeInsufficientScope},
		{"ungranted tenant", "Bearer key-w", "other", 403, ProblemCodeTenantForbidden},
		{"unknown tenant", "Bearer key-w", "no-such-tenant", 403, ProblemCodeTenantForbidden},
	} {
		for _, length := range []int64{4 << 20, -1} {
			t.Run(fmt.Sprintf("%s/length %d", c.name, length), func(t *testing.T) {
				t.Parallel()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, postContact(c.auth, c.tenant, untouchable{t}, length))
				var p struct{ Code ProblemCode }
				_ = json.Unmarshal(rec.Body.Bytes(), &p)
				if rec.Code != c.status || p.Code != c.code {
					t.Fatalf("%d %s, want %d %s", rec.Code, rec.Body, c.status, c.code)
				}
				if c.status == 401 && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q", rec.Header().Get("WWW-Authenticate"))
				}
			})
		}
	}
	// The same requests with a key that may make the call get past
	// authorisation: the body limit answers now, so the checks above are
	// about the caller.
	for _, length := range []int64{4 << 20, -1} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, postContact("Bearer key-w", "acme", io.NopCloser(strings.NewReader(strings.Repeat("x", 1000))), length))
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("with the key, length %d: %d %s, want 413", length, rec.Code, rec.Body)
		}
	}
}

// heldBody is a request body that blocks its reader until released, and
// says when the first read began.
type heldBody struct {
	reading chan struct{}
	release chan struct{}
	r       io.Reader
	once    sync.Once
}

func newHeldBody(body string) *heldBody {
	return &heldBody{reading: make(chan struct{}), release: make(chan struct{}), r: strings.NewReader(body)}
}

func (b *heldBody) Read(p []byte) (int, error) {
	b.once.Do(func() { close(b.reading) })
	<-b.release
	return b.r.Read(p)
}
func (*heldBody) Close() error { return nil }

// TestInFlightBodyBudget: with bodies holding the server's whole in-flight
// budget, another request with a body is answered 503 SERVER_BUSY with
// Retry-After at once, without its body being read; requests without a
// body still pass; once a body is answered its bytes are free again. A
// body of unknown length reserves the whole per-request limit.
func TestInFlightBodyBudget(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, func(c *Config) { c.MaxInFlightBodyBytes = 100 })
	const body = `{"name":"x"}` // 12 bytes, under the 64-byte limit
	busy := func(t *testing.T, r *http.Request) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var p struct{ Code ProblemCode }
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		if rec.Code != http.StatusServiceUnavailable || p.Code != ProblemCodeServerBusy || rec.Header().Get("Retry-After") != "1" {
			t.Fatalf("%d %v %s, want 503 SERVER_BUSY with Retry-After: 1", rec.Code, rec.Header(), rec.Body)
		}
	}
	served := func(t *testing.T, r *http.Request) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code == http.StatusServiceUnavailable || rec.Code == http.StatusRequestEntityTooLarge {
			t.Fatalf("%d %s, want the request served", rec.Code, rec.Body)
		}
		return rec
	}
	// hold starts a request whose body blocks in the validator, holding
	// length bytes of the budget, and returns what ends it.
	hold := func(length int64) func() {
		b := newHeldBody(body)
		done := make(chan struct{})
		go func() {
			defer close(done)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, postContact("Bearer key-w", "acme", b, length))
		}()
		<-b.reading
		return func() { close(b.release); <-done }
	}

	end1 := hold(60) // declared 60 of 100
	busy(t, postContact("Bearer key-w", "acme", untouchable{t}, 41))
	busy(t, postContact("Bearer key-w", "acme", untouchable{t}, -1)) // reserves 64
	served(t, postContact("Bearer key-w", "acme", io.NopCloser(strings.NewReader(body)), int64(len(body))))
	end2 := hold(40) // now full
	busy(t, postContact("Bearer key-w", "acme", untouchable{t}, 1))
	get := httptest.NewRequest(http.MethodGet, "/v1/capabilities", nil)
	get.Header.Set("Authorization", "Bearer key-r")
	get.Header.Set("X-Tenant-ID", "acme")
	if rec := served(t, get); rec.Code != http.StatusOK {
		t.Fatalf("GET without a body: %d %s", rec.Code, rec.Body)
	}
	end1()
	served(t, postContact("Bearer key-w", "acme", io.NopCloser(strings.NewReader(body)), 60))
	busy(t, postContact("Bearer key-w", "acme", untouchable{t}, -1))
	end2()
	served(t, postContact("Bearer key-w", "acme", io.NopCloser(strings.NewReader(body)), -1))
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
	public := accessRules(spec).public
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

// TestUnlistedRouteNeedsAdmin: a route the spec's access rules do not
// list fails closed: it needs the admin scope.
func TestUnlistedRouteNeedsAdmin(t *testing.T) {
	t.Parallel()
	k := keyring{keys: []APIKey{
		{Name: "writer", SHA256: HashKey("key-w"), Scopes: []Scope{ScopeRead, ScopeWrite}, Tenants: []string{"*"}},
		{Name: "admin", SHA256: HashKey("key-a"), Scopes: []Scope{ScopeAdmin}, Tenants: []string{"*"}},
	}}
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, &reqInfo{})))
		})
	})
	r.With(k.authorize(access{})).Get("/x", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for key, want := range map[string]int{"key-w": http.StatusForbidden, "key-a": http.StatusNoContent} {
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("%s: %d %s, want %d", key, rec.Code, rec.Body, want)
		}
	}
}
