package http

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// TestShedding: with the bound of requests in flight reached, an API
// request is answered at once with 503 OVERLOADED, Retry-After and a
// problem, before authentication and without its body being read, and is
// counted; probes and the operators' routes are still served; once a
// request in flight is answered, the next is served again.
func TestShedding(t *testing.T) {
	t.Parallel()
	tel, err := telemetry.New(context.Background(), telemetry.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	sh, err := NewShedder(2, tel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sh.Close() })
	h := newTestHandler(t, func(c *Config) { c.Shedder, c.Telemetry = sh, tel })
	serve := func(r *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	const body = `{"name":"x"}`
	// hold starts a request whose body blocks in the validator, in flight
	// until the returned function releases it.
	hold := func() func() {
		b := newHeldBody(body)
		done := make(chan struct{})
		go func() {
			defer close(done)
			serve(postContact("Bearer key-w", "acme", b, int64(len(body))))
		}()
		<-b.reading
		return func() { close(b.release); <-done }
	}
	capabilities := func(auth string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/v1/capabilities", nil)
		r.Header.Set("X-Tenant-ID", "acme")
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return r
	}
	overloaded := func(t *testing.T, r *http.Request) {
		t.Helper()
		rec := serve(r)
		var p problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
		}
		if rec.Code != http.StatusServiceUnavailable || p.Code != ProblemCodeOverloaded || p.Status != http.StatusServiceUnavailable ||
			rec.Header().Get("Retry-After") != "1" || rec.Header().Get("Connection") != "close" || rec.Header().Get("Content-Type") != "application/problem+json" ||
			p.RequestID == "" || p.RequestID != rec.Header().Get("X-Request-Id") || p.Instance != r.URL.Path {
			t.Fatalf("%d %v %s, want 503 OVERLOADED, Retry-After: 1, Connection: close, a problem with the request id", rec.Code, rec.Header(), rec.Body)
		}
	}
	served := func(t *testing.T, r *http.Request, want int) {
		t.Helper()
		if rec := serve(r); rec.Code != want {
			t.Fatalf("%s %s: %d %s, want %d", r.Method, r.URL.Path, rec.Code, rec.Body, want)
		}
	}
	metrics := func(t *testing.T) string {
		t.Helper()
		rec := serve(httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("/metrics: %d", rec.Code)
		}
		return rec.Body.String()
	}
	wantMetric := func(t *testing.T, line string) {
		t.Helper()
		if m := metrics(t); !strings.Contains(m, "\n"+line+"\n") {
			ours := slices.DeleteFunc(strings.Split(m, "\n"), func(l string) bool { return !strings.Contains(l, "cdpgw_http_requests_") })
			t.Fatalf("no line %q in /metrics:\n%s", line, strings.Join(ours, "\n"))
		}
	}

	served(t, capabilities("Bearer key-r"), http.StatusOK)
	end1, end2 := hold(), hold()
	wantMetric(t, "cdpgw_http_requests_in_flight 2")
	overloaded(t, capabilities("Bearer key-r"))
	overloaded(t, capabilities(""))                                                 // before authentication
	overloaded(t, postContact("Bearer key-w", "acme", untouchable{t}, 12))          // the body unread
	overloaded(t, httptest.NewRequest(http.MethodGet, "/v1/no-such-endpoint", nil)) // before routing
	wantMetric(t, "cdpgw_http_requests_shed_total 4")
	served(t, httptest.NewRequest(http.MethodGet, "/healthz", nil), http.StatusOK)
	served(t, httptest.NewRequest(http.MethodGet, "/readyz", nil), http.StatusOK)
	served(t, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil), http.StatusOK)
	served(t, httptest.NewRequest(http.MethodGet, "/admin/v1/tenants", nil), http.StatusUnauthorized)

	// A reload's larger bound takes at once; a smaller one refuses again.
	sh.SetLimit(3)
	served(t, capabilities("Bearer key-r"), http.StatusOK)
	sh.SetLimit(2)
	overloaded(t, capabilities("Bearer key-r"))

	end1()
	served(t, capabilities("Bearer key-r"), http.StatusOK)
	end2()
	served(t, capabilities("Bearer key-r"), http.StatusOK)
	wantMetric(t, "cdpgw_http_requests_in_flight 0")
	wantMetric(t, "cdpgw_http_requests_shed_total 5")
}

// TestShedderDefault: a bound below 1 is the default, never "refuse all".
func TestShedderDefault(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{0, -1} {
		sh, err := NewShedder(limit, telemetry.Nop())
		if err != nil {
			t.Fatal(err)
		}
		if got := sh.limit.Load(); got != DefaultMaxInFlight {
			t.Errorf("NewShedder(%d): limit %d, want %d", limit, got, DefaultMaxInFlight)
		}
		sh.SetLimit(5)
		sh.SetLimit(limit)
		if got := sh.limit.Load(); got != DefaultMaxInFlight {
			t.Errorf("SetLimit(%d): limit %d, want %d", limit, got, DefaultMaxInFlight)
		}
		if err := sh.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEveryAPIOperationMayBeShed: every /v1 operation declares the 503
// with Retry-After that shedding answers, so that the spec says what a
// client must be ready for.
func TestEveryAPIOperationMayBeShed(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	for path, item := range spec.Paths.Map() {
		if !apiPath(path) {
			continue
		}
		for method, op := range item.Operations() {
			r := op.Responses.Status(http.StatusServiceUnavailable)
			if r == nil || r.Value == nil || r.Value.Headers["Retry-After"] == nil || r.Value.Content.Get("application/problem+json") == nil {
				t.Errorf("%s %s: no 503 problem with Retry-After", method, path)
			}
		}
	}
}
